//! The universe list and where it comes from: refreshed from public
//! sources (`retrainer universe refresh`), or the list shipped with the
//! project when no refreshed one exists.
//!
//! A refresh reads the S&P 500 and Nasdaq-100 member tables of Wikipedia
//! ([`wikipedia`]) and, for more Nasdaq names, the exchange's listed-symbols
//! file ([`nasdaqtrader`]); symbols are normalised to Yahoo's spelling
//! ([`crate::normalise_symbol`]), de-duplicated, and written with the
//! refresh instant and each S&P member's "Date added" to
//! `data_cache/universe.csv`. Which list a run uses is decided once, in
//! [`choose_universe`]: `--universe-file`, else the refreshed list, else
//! the shipped one.

mod html;
pub mod nasdaqtrader;
#[cfg(feature = "yahoo")]
pub mod refresh;
pub mod wikipedia;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use crate::universe::Universe;

/// The refreshed list's file name inside the data cache directory.
pub const REFRESHED_FILE: &str = "universe.csv";
/// Where the shipped list lives in the repository (it is built in, so it
/// works from any directory).
pub const SHIPPED_PATH: &str = "fixtures/universe/us_large_caps.csv";
/// The shipped ~520 names: S&P 500 and Nasdaq-100 members, a snapshot.
pub const SHIPPED_LIST: &str = include_str!("../../../../fixtures/universe/us_large_caps.csv");

/// A refresh that finds fewer S&P 500 rows than this is refused: a page
/// that lost rows must not shrink the universe.
pub const MIN_SP500_ROWS: usize = 400;
/// Likewise for the Nasdaq-100 table.
pub const MIN_NASDAQ100_ROWS: usize = 90;
/// Likewise for the exchange's listed-symbols file (~5,000 lines).
pub const MIN_NASDAQ_LISTED_ROWS: usize = 1000;
/// How many Nasdaq names the refreshed list keeps by default: the
/// Nasdaq-100, then Global Select common stocks up to this many.
pub const DEFAULT_NASDAQ_MAX: usize = 500;

/// A list a member was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndexList {
    Sp500,
    Nasdaq100,
    NasdaqGlobalSelect,
}

impl IndexList {
    pub fn label(self) -> &'static str {
        match self {
            IndexList::Sp500 => "S&P 500",
            IndexList::Nasdaq100 => "Nasdaq-100",
            IndexList::NasdaqGlobalSelect => "Nasdaq Global Select",
        }
    }
}

impl std::fmt::Display for IndexList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One name of the universe and what the sources said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Normalised (Yahoo spelling, e.g. `BRK-B`).
    pub symbol: String,
    pub name: String,
    pub lists: Vec<IndexList>,
    /// When it joined the S&P 500, where the source says.
    pub date_added: Option<NaiveDate>,
}

/// Why a universe list could not be refreshed or read.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error("{url}: no table id=\"{id}\" on the page; the page layout changed")]
    TableMissing { url: String, id: &'static str },
    #[error("{url}: the table id=\"constituents\" has no \"{column}\" column (its header: {}); the page layout changed", .found.join(" | "))]
    ColumnMissing {
        url: String,
        column: &'static str,
        found: Vec<String>,
    },
    #[error("{url}: no \"{column}\" field in the header (found: {}); the file layout changed", .found.join(" | "))]
    FieldMissing {
        url: String,
        column: &'static str,
        found: Vec<String>,
    },
    #[error(
        "{url}: only {rows} {list} rows (at least {min} expected); refusing to shrink the universe"
    )]
    TooFewRows {
        url: String,
        list: IndexList,
        rows: usize,
        min: usize,
    },
    #[error("{url}: {message}")]
    Fetch { url: String, message: String },
    #[error("universe {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The refusal of a source that gave fewer rows than `min`.
pub fn check_rows(url: &str, list: IndexList, rows: usize, min: usize) -> Result<(), ListingError> {
    if rows < min {
        return Err(ListingError::TooFewRows {
            url: url.to_owned(),
            list,
            rows,
            min,
        });
    }
    Ok(())
}

/// A universe list with the instant it was refreshed.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub refreshed_at: DateTime<Utc>,
    pub members: Vec<Member>,
}

/// The CSV header of a refreshed list (`Symbol` first, so it also works
/// as a `--universe-file`).
const HEADER: [&str; 5] = ["Symbol", "Name", "Lists", "Date added", "Refreshed"];

impl Listing {
    /// The union of the S&P 500 members and the Nasdaq names (the
    /// Nasdaq-100 first, then `more_nasdaq` until `nasdaq_max` distinct
    /// Nasdaq symbols), each symbol once: first-seen order, every list it
    /// was found in, its S&P "Date added".
    pub fn assemble(
        sp500: Vec<Member>,
        nasdaq100: Vec<Member>,
        more_nasdaq: Vec<Member>,
        nasdaq_max: usize,
        refreshed_at: DateTime<Utc>,
    ) -> Listing {
        let nasdaq = merge(nasdaq100.into_iter().chain(more_nasdaq))
            .into_iter()
            .take(nasdaq_max);
        Listing {
            refreshed_at,
            members: merge(sp500.into_iter().chain(nasdaq)),
        }
    }

    /// How many members each list contributed.
    pub fn counts(&self) -> BTreeMap<IndexList, usize> {
        let mut out = BTreeMap::new();
        for l in self.members.iter().flat_map(|m| &m.lists) {
            *out.entry(*l).or_insert(0) += 1;
        }
        out
    }

    /// The list as CSV (see [`HEADER`]).
    pub fn to_csv(&self) -> std::io::Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(HEADER)?;
        let refreshed = self
            .refreshed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for m in &self.members {
            let lists: Vec<&str> = m.lists.iter().map(|l| l.label()).collect();
            let date = m.date_added.map(|d| d.to_string()).unwrap_or_default();
            w.write_record([
                m.symbol.as_str(),
                m.name.as_str(),
                &lists.join("; "),
                &date,
                &refreshed,
            ])?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        String::from_utf8(bytes).map_err(std::io::Error::other)
    }

    /// Writes the list to `path` atomically: a reader sees the previous
    /// list or this one, never a torn file.
    pub fn write(&self, path: &Path) -> Result<(), ListingError> {
        let fail = |source| ListingError::Write {
            path: path.to_owned(),
            source,
        };
        let text = self.to_csv().map_err(fail)?;
        crate::cache::atomic_write(path, text.as_bytes()).map_err(fail)
    }
}

/// Each symbol once, in first-seen order, with the lists of every
/// occurrence and the first known date added.
fn merge(members: impl IntoIterator<Item = Member>) -> Vec<Member> {
    let mut out: Vec<Member> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for m in members {
        match at.get(&m.symbol) {
            Some(&i) => {
                let kept = &mut out[i];
                for l in m.lists {
                    if !kept.lists.contains(&l) {
                        kept.lists.push(l);
                    }
                }
                kept.date_added = kept.date_added.or(m.date_added);
                if kept.name.is_empty() {
                    kept.name = m.name;
                }
            }
            None => {
                at.insert(m.symbol.clone(), out.len());
                out.push(m);
            }
        }
    }
    out
}

/// A universe file as read: its tickers, the membership dates it gives
/// (a `Date added` column) and when it was refreshed (a `Refreshed` column).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadList {
    pub universe: Universe,
    pub member_since: BTreeMap<String, NaiveDate>,
    pub refreshed_at: Option<DateTime<Utc>>,
}

/// Reads a universe CSV: a `Symbol` column (required), `Date added` and
/// `Refreshed` (optional). A date that does not parse is named in a warning
/// and that row keeps no date.
pub fn read_list(path: &Path) -> Result<ReadList, ListingError> {
    let text = std::fs::read_to_string(path).map_err(|e| ListingError::Read {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    parse_list(&text, path)
}

fn parse_list(text: &str, path: &Path) -> Result<ReadList, ListingError> {
    let err = |message: String| ListingError::Read {
        path: path.to_owned(),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| err(e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let sym = col("symbol").ok_or_else(|| err("no Symbol column".into()))?;
    let (added, refreshed) = (col("date added"), col("refreshed"));
    let mut symbols = Vec::new();
    let mut dates = Vec::new();
    let mut refreshed_at: Option<DateTime<Utc>> = None;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| err(e.to_string()))?;
        let line = i + 2;
        let Some(s) = rec.get(sym) else { continue };
        symbols.push(s.to_owned());
        let field = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        if let Some(d) = field(added) {
            match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(d) => dates.push((crate::normalise_symbol(s), d)),
                Err(_) => tracing::warn!(
                    "universe {}: line {line}: Date added {d:?} is not YYYY-MM-DD; {s} keeps no membership date",
                    path.display()
                ),
            }
        }
        if let Some(r) = field(refreshed) {
            match DateTime::parse_from_rfc3339(r) {
                Ok(t) => refreshed_at = refreshed_at.max(Some(t.with_timezone(&Utc))),
                Err(_) => tracing::warn!(
                    "universe {}: line {line}: Refreshed {r:?} is not an RFC 3339 instant",
                    path.display()
                ),
            }
        }
    }
    let universe = Universe::from_symbols(symbols.iter().map(String::as_str));
    if universe.tickers.is_empty() {
        return Err(err("no symbols".into()));
    }
    Ok(ReadList {
        universe,
        member_since: dates.into_iter().collect(),
        refreshed_at,
    })
}

/// Where a run's universe came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// `--universe-file` (or `--universe FILE`).
    File(PathBuf),
    /// The list `retrainer universe refresh` wrote.
    Refreshed {
        path: PathBuf,
        at: Option<DateTime<Utc>>,
    },
    /// The list shipped with the project.
    Shipped,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(p) => write!(f, "universe file {}", p.display()),
            Origin::Refreshed { path, at } => {
                let when = at.map_or_else(
                    || "date unknown".to_owned(),
                    |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
                );
                write!(f, "refreshed list {} (refreshed {when})", path.display())
            }
            Origin::Shipped => write!(
                f,
                "shipped list {SHIPPED_PATH} (a snapshot; `retrainer universe refresh` makes a current one)"
            ),
        }
    }
}

/// The universe a run uses, where it came from, and the membership dates
/// it gives.
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenUniverse {
    pub universe: Universe,
    pub member_since: BTreeMap<String, NaiveDate>,
    pub origin: Origin,
}

/// The refreshed list's path in a data cache directory.
pub fn refreshed_path(cache_dir: &Path) -> PathBuf {
    cache_dir.join(REFRESHED_FILE)
}

/// The default universe: `file` when given (its errors are the run's),
/// else the refreshed list in `cache_dir` when there is one, else the
/// shipped list. A refreshed list that cannot be read is named in a
/// warning and the shipped list is used.
pub fn choose_universe(
    file: Option<&Path>,
    cache_dir: &Path,
) -> Result<ChosenUniverse, ListingError> {
    if let Some(f) = file {
        let r = read_list(f)?;
        return Ok(chosen(r, Origin::File(f.to_owned())));
    }
    let path = refreshed_path(cache_dir);
    if path.exists() {
        match read_list(&path) {
            Ok(r) => {
                let at = r.refreshed_at;
                return Ok(chosen(r, Origin::Refreshed { path, at }));
            }
            Err(e) => tracing::warn!("{e}; using the shipped list instead"),
        }
    }
    let r = parse_list(SHIPPED_LIST, Path::new(SHIPPED_PATH))?;
    Ok(chosen(r, Origin::Shipped))
}

fn chosen(r: ReadList, origin: Origin) -> ChosenUniverse {
    for rej in &r.universe.rejected {
        tracing::warn!("{origin}: {rej}");
    }
    ChosenUniverse {
        universe: r.universe,
        member_since: r.member_since,
        origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(s: &str, list: IndexList, date: Option<&str>) -> Member {
        Member {
            symbol: s.to_owned(),
            name: format!("{s} Inc."),
            lists: vec![list],
            date_added: date.and_then(|d| d.parse().ok()),
        }
    }

    fn at() -> DateTime<Utc> {
        "2026-08-21T21:30:00Z".parse().expect("instant")
    }

    #[test]
    fn union_keeps_each_symbol_once_with_all_its_lists_and_caps_nasdaq() {
        use IndexList::*;
        let sp = vec![
            member("AAPL", Sp500, Some("1982-11-30")),
            member("BRK-B", Sp500, Some("2010-02-16")),
        ];
        let n100 = vec![
            member("AAPL", Nasdaq100, None),
            member("ASML", Nasdaq100, None),
        ];
        let more = vec![
            member("ASML", NasdaqGlobalSelect, None),
            member("ZZZ", NasdaqGlobalSelect, None),
            member("ZZY", NasdaqGlobalSelect, None),
        ];
        let l = Listing::assemble(sp.clone(), n100.clone(), more.clone(), 3, at());
        let got: Vec<(&str, Vec<IndexList>)> = l
            .members
            .iter()
            .map(|m| (m.symbol.as_str(), m.lists.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("AAPL", vec![Sp500, Nasdaq100]),
                ("BRK-B", vec![Sp500]),
                ("ASML", vec![Nasdaq100, NasdaqGlobalSelect]),
                ("ZZZ", vec![NasdaqGlobalSelect]),
            ]
        );
        assert_eq!(l.members[0].date_added, "1982-11-30".parse().ok());
        assert_eq!(l.counts()[&NasdaqGlobalSelect], 2);
        // The cap counts Nasdaq names, S&P members come on top.
        let small = Listing::assemble(sp, n100, more, 1, at());
        let syms: Vec<&str> = small.members.iter().map(|m| m.symbol.as_str()).collect();
        assert_eq!(syms, ["AAPL", "BRK-B"]);
    }

    #[test]
    fn written_list_reads_back_with_its_dates() {
        use IndexList::*;
        let l = Listing::assemble(
            vec![
                member("BRK-B", Sp500, Some("2010-02-16")),
                member("MMM", Sp500, None),
            ],
            vec![member("AAPL", Nasdaq100, None)],
            Vec::new(),
            10,
            at(),
        );
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("cache").join(REFRESHED_FILE);
        l.write(&path).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with("Symbol,Name,Lists,Date added,Refreshed\n"),
            "{text}"
        );
        assert!(
            text.contains("BRK-B,BRK-B Inc.,S&P 500,2010-02-16,2026-08-21T21:30:00Z"),
            "{text}"
        );
        let r = read_list(&path).expect("read back");
        assert_eq!(r.universe.tickers, ["BRK-B", "MMM", "AAPL"]);
        assert_eq!(r.refreshed_at, Some(at()));
        assert_eq!(r.member_since.len(), 1);
        assert_eq!(
            r.member_since["BRK-B"],
            NaiveDate::from_ymd_opt(2010, 2, 16).expect("date")
        );
    }

    #[test]
    fn fallback_order_is_file_then_refreshed_then_shipped() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = dir.path().join("data_cache");
        let shipped = choose_universe(None, &cache).expect("shipped");
        assert_eq!(shipped.origin, Origin::Shipped);
        assert!(
            shipped.universe.tickers.len() > 500,
            "{}",
            shipped.universe.tickers.len()
        );
        assert!(shipped.member_since.is_empty());

        Listing::assemble(
            vec![member("MMM", IndexList::Sp500, Some("1957-03-04"))],
            Vec::new(),
            Vec::new(),
            0,
            at(),
        )
        .write(&refreshed_path(&cache))
        .expect("write");
        let refreshed = choose_universe(None, &cache).expect("refreshed");
        assert_eq!(refreshed.universe.tickers, ["MMM"]);
        assert!(
            refreshed
                .origin
                .to_string()
                .contains("refreshed 2026-08-21 21:30 UTC"),
            "{}",
            refreshed.origin
        );

        let file = dir.path().join("mine.csv");
        std::fs::write(&file, "Symbol\nspy\n").expect("write");
        let mine = choose_universe(Some(&file), &cache).expect("file");
        assert_eq!(mine.universe.tickers, ["SPY"]);
        assert_eq!(mine.origin, Origin::File(file.clone()));

        // A refreshed list that cannot be read falls back to the shipped one;
        // a named file that cannot be read is the run's error.
        std::fs::write(refreshed_path(&cache), "Ticker\nMMM\n").expect("write");
        assert_eq!(
            choose_universe(None, &cache).expect("fallback").origin,
            Origin::Shipped
        );
        let e =
            choose_universe(Some(&dir.path().join("none.csv")), &cache).expect_err("missing file");
        assert!(e.to_string().contains("none.csv"), "{e}");
    }

    #[test]
    fn a_bad_date_is_named_and_the_row_kept() {
        let r = parse_list(
            "Symbol,Date added\nMMM,someday\nAOS,2017-07-26\n",
            Path::new("u.csv"),
        )
        .expect("parse");
        assert_eq!(r.universe.tickers, ["MMM", "AOS"]);
        assert_eq!(r.member_since.keys().collect::<Vec<_>>(), ["AOS"]);
    }

    #[test]
    fn too_few_rows_are_refused_with_the_source() {
        let e = check_rows("http://x/sp", IndexList::Sp500, 12, MIN_SP500_ROWS).expect_err("few");
        assert_eq!(
            e.to_string(),
            "http://x/sp: only 12 S&P 500 rows (at least 400 expected); refusing to shrink the universe"
        );
        assert!(check_rows("u", IndexList::Sp500, 400, MIN_SP500_ROWS).is_ok());
    }
}
