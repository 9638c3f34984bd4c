//! Rendering tests: every tab of a filled store and of an empty one, drawn
//! with ratatui's `TestBackend`, checked on the key cells.

#![allow(clippy::unwrap_used)]

mod common;

use dashboard::app::{App, Tab};
use dashboard::data::{self, LoadOptions, Snapshot, StoreState};
use dashboard::ui;
use rally_pipeline::state::StateDir;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn opts(root: &std::path::Path) -> LoadOptions {
    let state = StateDir::new(root);
    LoadOptions {
        database_url: state.database_url(false),
        state,
        journal: 50,
        equity: 90,
        scan_clock: false,
    }
}

fn filled() -> (tempfile::TempDir, Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    common::fill_store_blocking(dir.path());
    let snap = data::load(&opts(dir.path())).unwrap();
    (dir, snap)
}

fn render_tab(snap: &Snapshot, tab: Tab) -> String {
    let mut app = App::new(snap.clone());
    app.tab = tab;
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| ui::draw(f, &app)).unwrap();
    ui::buffer_to_plain(t.backend().buffer())
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{screen}"))
}

#[test]
fn snapshot_reads_the_store() {
    let (_dir, s) = filled();
    assert_eq!(s.store, StoreState::Ok);
    let tickers: Vec<&str> = s.positions.iter().map(|p| p.ticker.as_str()).collect();
    assert_eq!(tickers, ["AAPL", "MSFT", "NVDA"]);
    assert_eq!(s.journal.len(), 5);
    assert_eq!(s.journal[0].ticker, "AMZN", "newest exit first");
    assert_eq!(s.closed_count, 5);
    assert_eq!(s.equity.len(), 41);
    assert_eq!(s.signals.len(), 2);
    assert_eq!(s.market.vix, Some(12.9));
    assert_eq!(s.outbox.len(), 2);
    assert_eq!(s.health.corrupt, 1);
    // Tickers of positions and signals without a model are reported missing.
    assert_eq!(s.health.missing, 5);
}

#[test]
fn journal_and_equity_limits_apply() {
    let dir = tempfile::tempdir().unwrap();
    common::fill_store_blocking(dir.path());
    let mut o = opts(dir.path());
    o.journal = 2;
    o.equity = 10;
    let s = data::load(&o).unwrap();
    assert_eq!(s.journal.len(), 2);
    assert_eq!(s.closed_count, 5, "realised P&L still counts every trade");
    assert_eq!(s.equity.len(), 10);
    assert_eq!(
        s.equity.last().map(|e| e.date),
        Some(common::d(2024, 5, 31))
    );
}

#[test]
fn overview_tab() {
    let (_dir, s) = filled();
    let screen = render_tab(&s, Tab::Overview);
    assert!(screen.contains("Rally detector"), "{screen}");
    assert!(screen.contains("1 Overview"), "{screen}");
    assert!(screen.contains("last scan 2024-05-31 (ok)"), "{screen}");
    assert!(
        line_with(&screen, "Equity ").contains("104,321"),
        "{screen}"
    );
    // The stored exposure is a fraction of equity: 0.3 x 104,321.
    assert!(
        line_with(&screen, "Exposure").contains("31,296 (30.0% of equity)"),
        "{screen}"
    );
    assert!(line_with(&screen, "Open positions").contains("3 (1 pending entry)"));
    // AMZN 55 x 18 + META 21 x -23.5 + GOOGL 60 x 6.6 + QQQ 23 x -1.3 + SPY 19 x 5 = +958.
    assert!(
        line_with(&screen, "Realised P&L").contains("+958 (5 closed trades)"),
        "{screen}"
    );
    // AAPL (189.9-180)*55 = +544.5, MSFT (409.5-420)*23 = -241.5 -> +303.
    assert!(
        line_with(&screen, "Unrealised P&L").contains("+303"),
        "{screen}"
    );
    assert!(
        line_with(&screen, "VIX").contains("12.90 (calm)"),
        "{screen}"
    );
    // Never the system's figure without what holding the same tickers did
    // and what entering every compressed bar did: every figure, side by
    // side, in the panel beside the chart.
    assert!(screen.contains("vs benchmarks"), "{screen}");
    let cells = |name: &str| panel_cells(&screen, name);
    assert!(
        line_with(&screen, "Equity — last 41 days").contains("vs benchmarks"),
        "the panel sits beside the chart\n{screen}"
    );
    assert_eq!(cells("total"), ["+1.03%", "+4.17%", "-0.52%"], "{screen}");
    assert_eq!(cells("CAGR"), ["+13.17%", "+61.95%", "-6.01%"], "{screen}");
    assert_eq!(cells("Sharpe"), ["1.42", "3.10", "-0.45"], "{screen}");
    assert_eq!(cells("Sortino"), ["2.05", "4.87", "-0.62"], "{screen}");
    assert_eq!(cells("max DD"), ["-1.21%", "-2.33%", "-1.48%"], "{screen}");
    assert_eq!(
        cells("exposure"),
        ["21.40%", "100.00%", "30.20%"],
        "{screen}"
    );
    assert!(
        screen.contains("since 2024-05-01 · 23 equity dates"),
        "{screen}"
    );
    // The returns are not repeated in the portfolio panel.
    assert!(!screen.contains("System vs B&H"), "{screen}");
    assert!(
        line_with(&screen, "above SMA50").contains("64%"),
        "{screen}"
    );
    assert!(
        line_with(&screen, "golden crosses").contains("AMD"),
        "{screen}"
    );
    assert!(screen.contains("Equity — last 41 days"), "{screen}");
    // The chart's x axis is labelled with dates.
    assert!(
        screen.contains("2024-04-21") && screen.contains("2024-05-31"),
        "{screen}"
    );
}

/// The three cells of a row of the benchmark panel: the fields after the
/// row's name, up to the panel's border.
fn panel_cells(screen: &str, name: &str) -> Vec<String> {
    let needle = format!("│{name} ");
    let line = line_with(screen, &needle);
    let row = &line[line.rfind(&needle).unwrap() + needle.len()..];
    row.split('│')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[test]
fn benchmark_panel_of_an_old_summary_and_of_a_short_record() {
    let (_dir, mut s) = filled();
    // A summary stored before the figures existed: the returns alone.
    let b = s.market.benchmark.as_mut().unwrap();
    let full = b.figures.take();
    let screen = render_tab(&s, Tab::Overview);
    assert_eq!(
        panel_cells(&screen, "total"),
        ["+1.03%", "+4.17%", "-0.52%"],
        "{screen}"
    );
    assert!(!screen.contains("│CAGR"), "{screen}");
    assert!(screen.contains("returns only"), "{screen}");
    // A short record: no annualised figure, and why.
    let mut short = full.unwrap();
    short.annualised = false;
    for f in [&mut short.system, &mut short.buy_hold] {
        *f = f.without_annualised();
    }
    short.every_compressed = None;
    s.market.benchmark.as_mut().unwrap().figures = Some(short);
    let screen = render_tab(&s, Tab::Overview);
    assert_eq!(
        panel_cells(&screen, "CAGR"),
        ["n/a", "n/a", "n/a"],
        "{screen}"
    );
    assert_eq!(
        panel_cells(&screen, "max DD"),
        ["-1.21%", "-2.33%", "n/a"],
        "{screen}"
    );
    assert!(
        screen.contains("CAGR, Sharpe, Sortino: n/a until"),
        "{screen}"
    );
}

#[test]
fn benchmark_panel_goes_above_the_chart_on_a_narrow_screen() {
    let (_dir, s) = filled();
    let mut t = Terminal::new(TestBackend::new(80, 40)).unwrap();
    t.draw(|f| ui::draw(f, &App::new(s.clone()))).unwrap();
    let screen = ui::buffer_to_plain(t.backend().buffer());
    let header = screen
        .lines()
        .position(|l| l.contains("system  buy & hold  every compr."))
        .unwrap_or_else(|| panic!("no panel in\n{screen}"));
    let chart = screen
        .lines()
        .position(|l| l.contains("Equity — last"))
        .unwrap_or_else(|| panic!("no chart in\n{screen}"));
    assert!(header < chart, "{screen}");
    assert_eq!(
        panel_cells(&screen, "exposure"),
        ["21.40%", "100.00%", "30.20%"],
        "{screen}"
    );
    assert!(screen.lines().all(|l| l.chars().count() <= 80));
}

#[test]
fn the_once_frame_keeps_the_returns_beside_buy_and_hold() {
    let (_dir, s) = filled();
    let text = dashboard::render_once(&s, 120, 40, false).unwrap();
    assert!(
        line_with(&text, "System vs B&H").contains("+1.03% vs +4.17% since 2024-05-01"),
        "{text}"
    );
    assert!(
        line_with(&text, "Every compr.").contains("-0.52%"),
        "{text}"
    );
}

#[test]
fn positions_tab() {
    let (_dir, s) = filled();
    let screen = render_tab(&s, Tab::Positions);
    assert!(screen.contains("Open positions (3)"), "{screen}");
    for h in [
        "Ticker",
        "Entry date",
        "P&L %",
        "Stop",
        "Target",
        "Bars",
        "To stop",
        "To target",
    ] {
        assert!(
            line_with(&screen, "Entry date").contains(h),
            "{h}\n{screen}"
        );
    }
    let aapl = line_with(&screen, "AAPL");
    assert!(aapl.contains("2024-05-20"), "{aapl}");
    assert!(aapl.contains("180.00") && aapl.contains("189.90"), "{aapl}");
    assert!(aapl.contains("+5.50%"), "{aapl}");
    assert!(aapl.contains("-9.95%"), "distance to stop: {aapl}");
    assert!(aapl.contains("+4.27%"), "distance to target: {aapl}");
    let msft = line_with(&screen, "MSFT");
    assert!(msft.contains("-2.50%"), "{msft}");
    assert!(line_with(&screen, "NVDA").contains("pending"));
    assert!(screen.contains("unrealised P&L +303"), "{screen}");
}

#[test]
fn signals_tab() {
    let (_dir, s) = filled();
    let screen = render_tab(&s, Tab::Signals);
    assert!(
        screen.contains("Entry signals of 2024-05-31 (2)"),
        "{screen}"
    );
    assert!(line_with(&screen, "Ticker").contains("Compression"));
    let amd = line_with(&screen, "AMD");
    assert!(amd.contains("0.712") && amd.contains("0.081"), "{amd}");
    // A model v2 signal says where its P stands among the training setups.
    assert!(amd.contains("0.712 · top 12%"), "{amd}");
    assert!(
        !line_with(&screen, "TSLA").contains("top"),
        "classic: bare P"
    );
    assert!(screen.contains("TSLA"));
    // AMD ranks above TSLA (highest P(rally) first).
    assert!(screen.find("AMD").unwrap() < screen.find("TSLA").unwrap());
    assert!(screen.contains("Watchlist"), "{screen}");
}

#[test]
fn journal_tab() {
    let (_dir, s) = filled();
    let screen = render_tab(&s, Tab::Journal);
    assert!(
        screen.contains("Journal — 5 of 5 closed trades, newest first"),
        "{screen}"
    );
    let amzn = line_with(&screen, "AMZN");
    assert!(
        amzn.starts_with("│2024-05-28") || amzn.contains("2024-05-28"),
        "{amzn}"
    );
    assert!(amzn.contains("2024-05-02") && amzn.contains("+10.00%") && amzn.contains("target"));
    let meta = line_with(&screen, "META");
    assert!(meta.contains("-5.00%") && meta.contains("stop"), "{meta}");
    assert!(line_with(&screen, "GOOGL").contains("exhaustion"));
    assert!(line_with(&screen, "QQQ").contains("time"));
    assert!(line_with(&screen, "SPY").contains("end"));
    // Newest first.
    let order: Vec<usize> = ["AMZN", "META", "GOOGL", "QQQ", "SPY"]
        .iter()
        .map(|t| screen.find(t).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{screen}");
}

#[test]
fn journal_reasons_are_colour_coded() {
    use ratatui::style::Color;
    let (_dir, s) = filled();
    let mut app = App::new(s);
    app.tab = Tab::Journal;
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| ui::draw(f, &app)).unwrap();
    let buf = t.backend().buffer();
    let colour_of = |word: &str| {
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            if let Some(pos) = line.find(&format!(" {word} ")) {
                // Box-drawing characters are multi-byte: count chars, not bytes.
                let x = line[..pos].chars().count() as u16 + 1;
                return buf[(x, y)].fg;
            }
        }
        panic!("{word} not found");
    };
    assert_eq!(colour_of("target"), Color::Green);
    assert_eq!(colour_of("stop"), Color::Red);
    assert_eq!(colour_of("exhaustion"), Color::Yellow);
    assert_eq!(colour_of("time"), Color::Gray);
}

#[test]
fn health_tab() {
    let (_dir, s) = filled();
    let screen = render_tab(&s, Tab::Health);
    assert!(
        screen.contains("0 fresh · 0 stale · 5 missing · 1 corrupt"),
        "{screen}"
    );
    assert!(line_with(&screen, "Last scan").contains("2024-05-31 (ok)"));
    assert!(line_with(&screen, "scanned").contains("14 tickers, 2 signals"));
    let discord = line_with(&screen, "discord");
    assert!(
        discord.contains("Pending") || discord.contains('1'),
        "{discord}"
    );
    assert!(line_with(&screen, "webhook").contains('1'));
    assert!(line_with(&screen, "BAD").contains("corrupt"), "{screen}");
    assert!(line_with(&screen, "AAPL").contains("missing"), "{screen}");
}

#[test]
fn once_frame_shows_positions_and_journal_with_dates() {
    let (_dir, s) = filled();
    let text = dashboard::render_once(&s, 120, 40, false).unwrap();
    assert_eq!(text.lines().count(), 40);
    assert!(
        text.lines()
            .all(|l| l.chars().count() <= 120 && !l.ends_with(' '))
    );
    assert!(!text.contains('\x1b'), "plain text has no escape sequences");
    assert!(line_with(&text, "AAPL").contains("2024-05-20"), "{text}");
    assert!(line_with(&text, "MSFT").contains("-2.50%"), "{text}");
    assert!(line_with(&text, "AMZN").contains("2024-05-28"), "{text}");
    assert!(line_with(&text, "META").contains("stop"), "{text}");
    assert!(text.contains("AMD"), "signals: {text}");
    assert!(text.contains("Health"), "{text}");
    assert!(text.contains("12.90 (calm)"), "{text}");
    // With colours on a terminal.
    let ansi = dashboard::render_once(&s, 120, 40, true).unwrap();
    assert!(ansi.contains("\x1b[0;32m"), "green P&L");
}

#[test]
fn once_frame_shows_the_watchlist_next_to_signals() {
    let (_dir, s) = filled();
    assert_eq!(s.market.watchlist.len(), 2);
    let text = dashboard::render_once(&s, 120, 40, false).unwrap();
    assert!(text.contains("Watchlist 2024-05-31 (2)"), "{text}");
    // Below the signals, in the same column.
    let col = |needle: &str| {
        let l = line_with(&text, needle);
        l[..l.find(needle).unwrap()].chars().count()
    };
    assert_eq!(col("Watchlist 2024"), col("Signals 2024"), "{text}");
    assert!(text.find("Signals 2024").unwrap() < text.find("Watchlist 2024").unwrap());
    let nflx = line_with(&text, "NFLX");
    assert!(
        nflx.contains("0.583") && nflx.contains("0.142") && nflx.contains("641.25"),
        "{nflx}"
    );
    assert!(line_with(&text, "CRM").contains("0.561"), "{text}");
    // The health panel still fits under them.
    assert!(text.contains("Outbox 2 pending"), "{text}");
    // An empty watchlist says so.
    let mut empty = s.clone();
    empty.market.watchlist.clear();
    let text = dashboard::render_once(&empty, 120, 40, false).unwrap();
    assert!(text.contains("No near-signals"), "{text}");
}

#[test]
fn overview_tab_shows_the_watchlist() {
    let (_dir, s) = filled();
    let screen = render_tab(&s, Tab::Overview);
    let wl = line_with(&screen, "Watchlist");
    assert!(
        wl.contains("NFLX 0.583") && wl.contains("CRM 0.561"),
        "{screen}"
    );
}

#[test]
fn probabilities_near_zero_keep_their_digits() {
    let (_dir, mut s) = filled();
    s.signals[1].p_rally = 0.0004;
    s.positions[0].p_rally = 0.0004;
    s.journal[0].p_rally = 0.0004;
    s.market.watchlist[1].p_rally = Some(0.0004);
    let rows_with = |screen: &str, t: &str| -> Vec<String> {
        screen
            .lines()
            .filter(|l| l.contains(t))
            .map(str::to_owned)
            .collect()
    };
    for (tab, ticker) in [
        (Tab::Signals, "TSLA"),
        (Tab::Signals, "CRM"),
        (Tab::Positions, "AAPL"),
        (Tab::Journal, "AMZN"),
        (Tab::Overview, "CRM"),
    ] {
        let screen = render_tab(&s, tab);
        let rows = rows_with(&screen, ticker);
        assert!(
            rows.iter().any(|r| r.contains("0.00040")),
            "{tab:?} {ticker}: {rows:?}"
        );
        assert!(!screen.contains("0.000 "), "{tab:?}: {screen}");
    }
    let once = dashboard::render_once(&s, 120, 40, false).unwrap();
    for ticker in ["TSLA", "CRM"] {
        assert!(
            line_with(&once, ticker).contains("0.00040"),
            "{ticker}: {once}"
        );
    }
    // The usual ones: three decimals everywhere.
    assert!(line_with(&once, "│AMD ").contains("0.712"), "{once}");
    assert!(line_with(&render_tab(&s, Tab::Positions), "MSFT").contains("0.640"));
}

#[test]
fn empty_store_shows_help_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = data::load(&opts(dir.path())).unwrap();
    assert!(matches!(s.store, StoreState::Missing(_)));
    assert!(
        !dir.path().join("models").exists(),
        "the dashboard must not create the database"
    );
    let over = render_tab(&s, Tab::Overview);
    assert!(over.contains("no state store yet"), "{over}");
    assert!(over.contains("No equity history yet"), "{over}");
    let pos = render_tab(&s, Tab::Positions);
    assert!(
        pos.contains("No positions yet — run `scanner` (or `scanner --demo`) to populate"),
        "{pos}"
    );
    let sig = render_tab(&s, Tab::Signals);
    assert!(sig.contains("No signals yet"), "{sig}");
    let jr = render_tab(&s, Tab::Journal);
    assert!(jr.contains("No closed trades yet"), "{jr}");
    let he = render_tab(&s, Tab::Health);
    assert!(he.contains("No model files in"), "{he}");
    assert!(he.contains("not created yet"), "{he}");
    let once = dashboard::render_once(&s, 120, 40, false).unwrap();
    assert!(once.contains("No positions yet"), "{once}");
    assert!(once.contains("No closed trades yet"), "{once}");
}

#[test]
fn store_without_scans_shows_help() {
    // A database created by another tool but never scanned into.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("models").join("rally.db");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            rally_store::Store::open(&db.display().to_string())
                .await
                .unwrap()
                .close()
                .await
        });
    let s = data::load(&opts(dir.path())).unwrap();
    assert_eq!(s.store, StoreState::Ok);
    let pos = render_tab(&s, Tab::Positions);
    assert!(pos.contains("No positions yet"), "{pos}");
    assert!(render_tab(&s, Tab::Overview).contains("no scan yet"));
}

#[test]
fn small_terminal_does_not_panic() {
    let (_dir, s) = filled();
    for (w, h) in [(20, 5), (60, 12), (80, 24), (200, 60)] {
        for tab in Tab::ALL {
            let mut app = App::new(s.clone());
            app.tab = tab;
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| ui::draw(f, &app)).unwrap();
        }
        dashboard::render_once(&s, w, h, false).unwrap();
    }
}

#[test]
fn live_quotes_mark_positions() {
    let (_dir, mut s) = filled();
    let mut q = data::LiveQuotes {
        source: "csv:test".into(),
        ..Default::default()
    };
    q.prices
        .insert("AAPL".into(), (198.0, common::d(2024, 6, 3)));
    s.live = data::Live::Quotes(q);
    let screen = render_tab(&s, Tab::Positions);
    let aapl = line_with(&screen, "AAPL");
    assert!(
        aapl.contains("198.00*") && aapl.contains("+10.00%"),
        "{aapl}"
    );
    assert!(screen.contains("live as of"), "{screen}");
    s.live = data::Live::Offline {
        reason: "connection refused".into(),
        at: chrono::Utc::now(),
    };
    let screen = render_tab(&s, Tab::Positions);
    assert!(screen.contains("live quotes unavailable ("), "{screen}");
    assert!(screen.contains("): connection refused; stored"), "{screen}");
    assert!(line_with(&screen, "AAPL").contains("189.90"));
}

#[test]
fn live_fetch_from_a_csv_source() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("AAPL.csv"),
        "Date,Open,High,Low,Close,Adj Close,Volume\n\
         2024-06-03,190,195,189,194,194,1000\n\
         2024-06-04,194,199,193,198.5,198.5,1000\n",
    )
    .unwrap();
    let spec = rally_data::SourceSpec::Csv(dir.path().to_path_buf());
    let live = data::fetch_live(&spec, &["AAPL".into(), "NOPE".into()]);
    let data::Live::Quotes(q) = live else {
        panic!("expected quotes, got {live:?}");
    };
    assert_eq!(q.prices.get("AAPL"), Some(&(198.5, common::d(2024, 6, 4))));
    assert_eq!(q.errors.len(), 1);
    assert_eq!(q.errors[0].0, "NOPE");
    // Nothing fetched at all -> offline with the reason.
    let live = data::fetch_live(&spec, &["NOPE".into()]);
    assert!(
        matches!(&live, data::Live::Offline { reason, .. } if reason.contains("NOPE")),
        "{live:?}"
    );
}

#[test]
fn older_schema_is_reported_not_migrated() {
    let dir = tempfile::tempdir().unwrap();
    common::fill_store_blocking(dir.path());
    let db = dir.path().join("models").join("rally.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opens_read_only = |db: std::path::PathBuf| async move {
        let store = rally_store::Store::open(&format!("sqlite://{}?mode=ro", db.display()))
            .await
            .ok();
        store.is_some()
    };
    // Roll the newest migration back, as if the store predates this binary.
    rt.block_on(async {
        let store = rally_store::Store::open(&db.display().to_string())
            .await
            .unwrap();
        let last: (i64,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(store.sqlite_pool().unwrap())
            .await
            .unwrap();
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = ?")
            .bind(last.0)
            .execute(store.sqlite_pool().unwrap())
            .await
            .unwrap();
        store.close().await;
    });
    let err = data::load(&opts(dir.path())).unwrap_err().to_string();
    assert!(
        err.contains("schema version 3, this version needs 4"),
        "{err}"
    );
    assert!(err.contains("run `scanner` once"), "{err}");
    // Still not migrated: the dashboard wrote nothing.
    assert!(!rt.block_on(opens_read_only(db)));
}
