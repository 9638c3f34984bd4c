//! The data-quality guard: a pure step after METHOD §1 cleaning that finds
//! bars no market produced (bad prints, absurd ticks and volumes, unadjusted
//! splits, rows from the future, frozen prices) and repairs, drops or
//! quarantines them. Every decision is a [`GuardEvent`] in the ticker's
//! [`GuardReport`]; nothing is changed silently.
//!
//! Cleaning (§1.2) only rejects prices that are unusable on their own
//! (missing, non-finite, `<= 0`). The guard looks at a bar against its
//! neighbours and the asset's own history. Its rules (volumes are checked
//! after the bad prints are gone, so one junk bar is one decision):
//!
//! 1. **Far-future rows.** Bars dated after `now + 1 day` (the day of
//!    allowance absorbs time zones: an Asian exchange's bar can carry
//!    tomorrow's date) are dropped.
//! 2. **Absurd volumes.** A volume above `1e6 x` the asset's median positive
//!    volume, above `1e15` units, or whose product with the close is not
//!    finite, is set to 0 (the §1.2 convention for a bad volume).
//! 3. **Bad prints** (bar dropped). In log prices `x = ln C`:
//!    - *absurd level*: `C` more than `1e4 x` away (either way) from the
//!      asset's median close. A real asset that rose ten-thousand-fold has
//!      its median in between, so this only catches junk such as `1e20`.
//!    - *bad open*: `|ln(O / C)| >= T_bar` (below).
//!    - *spike*: the bar's `x` is far from BOTH the median of the (up to) 5
//!      kept closes before it and the median of the 5 after it, on the same
//!      side: `min(|x - left|, |x - right|) >= T` with
//!      `T = max(ln 3, 50 s)`. Medians of neighbours rather than the
//!      adjacent closes make runs of up to 2-3 bad bars (a spike over two
//!      days, or `10 -> 0.10 -> 19,900 -> 10.1`) visible; a level shift
//!      (DOGE-USD x4.6 on 2021-01-28) is far from one side only and passes.
//!      `s` is the robust scale of the asset: the median absolute daily log
//!      return over the 250 returns before the bar (the whole series while
//!      fewer than 20 precede it), so a bar is judged against the asset's
//!      own recent volatility, not against bars after it. `ln 3` keeps real
//!      squeezes out (Volkswagen 2008-10-28 sits ~0.86 above its right-hand
//!      median, GameStop 2021-01-27 ~0.59), `50 s` widens the bar for
//!      volatile assets (crypto, meme stocks: `s` ~ 0.03-0.05).
//!    - the first bar has no left side: it is dropped when it is
//!      `T_bar = max(ln 10, 50 s)` from the right-hand median.
//!    - the spike rule runs again after a pass dropped bars (at most 4
//!      passes), so neighbours that were themselves bad no longer count.
//! 4. **Bad wicks** (repaired): a high above `max(O, C) e^T_bar` or a low
//!    below `min(O, C) e^-T_bar` is set to the body's edge.
//! 5. **Quarantine** (the ticker is kept out of the run, bars untouched), when
//!    a decision would be a guess:
//!    - *unadjusted split*: a single close-to-close move whose ratio is within
//!      3% of a common split ratio (3:2, 2, 3, 4, 5, 7, 8, 10, 15, 20, 25, 30,
//!      50, 100, or the reverse) that is `>= 20 s`, that does not revert (it
//!      is a step: the 10 moves on each side are all below a quarter of
//!      it), and whose day's volume is not a spike (`<= 3 x` the median of
//!      the next 10 days: a real crash trades heavily on the day, a split
//!      only changes the share count). With the split ratio known but not
//!      whether it is a split, repairing would be a guess.
//!    - *unconfirmed jump*: the last bar is `T_bar` away from its left-hand
//!      median and further than twice any earlier move of the asset; the
//!      bar that would show whether it reverts does not exist yet.
//!    - *constant price*: the whole series, or its last 20 or more bars,
//!      at one close ("constant price since DATE") — stale data rather than
//!      a market.
//!    - *too many bad prints*: more than `max(5, 1%)` of the bars dropped.
//!
//! The thresholds are deliberately loose: on the project's shared market
//! data (39 files, 2000-2026) and on DOGE-USD 2014-2021 the guard changes
//! nothing, so golden parity is exact.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::series::Series;

mod rules;
mod words;

use rules::*;
use words::{format_factor, format_ratio};
pub use words::{format_price, format_volume};

/// Days a bar may be dated after the run's clock (time zones).
pub const FUTURE_ALLOWANCE_DAYS: u64 = 1;
/// Kept neighbours on each side whose median is a bar's local level.
const NEIGHBOURS: usize = 5;
/// A spike must be at least this factor away from both local levels...
const SPIKE_MIN_FACTOR: f64 = 3.0;
/// ...and at least this many robust scales.
const SPIKE_SCALES: f64 = 50.0;
/// One-sided tests (first bar, last bar, open and wicks vs the close) use
/// this factor, as there is no second side to confirm.
const ONE_SIDED_MIN_FACTOR: f64 = 10.0;
/// A close this far (either way) from the asset's median close is junk.
const ABSURD_FACTOR: f64 = 1e4;
/// Trailing daily returns behind the robust scale.
const SCALE_WINDOW: usize = 250;
/// Fewer trailing returns than this: use the whole series' scale.
const SCALE_MIN_RETURNS: usize = 20;
/// A volume this many times the median positive volume is junk.
const VOLUME_FACTOR: f64 = 1e6;
/// No asset trades this many units a day.
const VOLUME_MAX: f64 = 1e15;
/// Common split ratios (the reverse splits are their inverses).
const SPLIT_RATIOS: [f64; 14] = [
    1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0, 15.0, 20.0, 25.0, 30.0, 50.0, 100.0,
];
/// A move matches a split ratio within this log distance (~3%).
const SPLIT_TOLERANCE: f64 = 0.03;
/// A split step is at least this many robust scales.
const SPLIT_SCALES: f64 = 20.0;
/// Moves on each side of a split step that must all be small.
const SPLIT_CALM_BARS: usize = 10;
/// The split day's volume is at most this multiple of the next days' median.
const SPLIT_VOLUME_SPIKE: f64 = 3.0;
/// This many identical trailing closes are a frozen price.
const STALE_MIN_BARS: usize = 20;
/// More dropped bars than this (and this share) quarantine the ticker.
const MAX_DROPS: usize = 5;
const MAX_DROP_SHARE: f64 = 0.01;
/// Passes of the spike rule.
const SPIKE_PASSES: usize = 4;

/// One decision of the guard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GuardEvent {
    /// A bar dated after the clock (plus the allowance); dropped.
    FutureRows {
        first: NaiveDate,
        last: NaiveDate,
        count: usize,
        now: NaiveDate,
    },
    /// An absurd volume, set to 0.
    AbsurdVolume {
        date: NaiveDate,
        volume: f64,
        median: f64,
    },
    /// A close that is a spike or absurd; the bar was dropped. `prev` and
    /// `next` are the adjacent closes in the input.
    BadPrint {
        date: NaiveDate,
        prev: Option<f64>,
        close: f64,
        next: Option<f64>,
    },
    /// An open far from its own close; the bar was dropped.
    BadOpen {
        date: NaiveDate,
        open: f64,
        close: f64,
    },
    /// A high far above the body; set to the body's top.
    BadHigh { date: NaiveDate, high: f64, to: f64 },
    /// A low far below the body; set to the body's bottom.
    BadLow { date: NaiveDate, low: f64, to: f64 },
    /// A step that looks like a split the data did not adjust for
    /// (`ratio` = new close / old close); ticker quarantined.
    SplitLike {
        date: NaiveDate,
        prev: f64,
        close: f64,
        ratio: f64,
        split: f64,
    },
    /// The last bar jumped further than any earlier move; ticker quarantined.
    UnconfirmedJump {
        date: NaiveDate,
        prev: f64,
        close: f64,
    },
    /// The close never changes from `since` on; ticker quarantined.
    ConstantPrice {
        since: NaiveDate,
        close: f64,
        bars: usize,
    },
    /// Too many bars dropped to trust the rest; ticker quarantined.
    TooManyBadPrints { dropped: usize, bars: usize },
}

/// What the guard did to one ticker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardReport {
    pub ticker: String,
    pub events: Vec<GuardEvent>,
    /// The ticker must be left out of this run (portfolio aggregates too).
    pub quarantined: bool,
}

impl GuardReport {
    /// Whether the guard found nothing.
    pub fn is_clean(&self) -> bool {
        self.events.is_empty()
    }

    /// Bars dropped by the guard.
    pub fn bars_dropped(&self) -> usize {
        self.events
            .iter()
            .map(|e| match e {
                GuardEvent::FutureRows { count, .. } => *count,
                GuardEvent::BadPrint { .. } | GuardEvent::BadOpen { .. } => 1,
                _ => 0,
            })
            .sum()
    }

    /// The decisions, `; `-separated, without the ticker.
    pub fn describe(&self) -> String {
        self.events
            .iter()
            .map(GuardEvent::describe)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// One line naming the ticker, the dates and the actions, e.g.
    /// `SII: bad print 2018-03-15 (0.10 → 19,900 → 10.1), bar dropped`;
    /// `None` when the guard found nothing.
    pub fn line(&self) -> Option<String> {
        (!self.events.is_empty()).then(|| format!("{}: {}", self.ticker, self.describe()))
    }
}

impl GuardEvent {
    /// The decision in words (dates, values, action).
    pub fn describe(&self) -> String {
        let p = |v: Option<f64>| v.map_or_else(|| "…".to_owned(), format_price);
        match self {
            GuardEvent::FutureRows {
                first,
                last,
                count,
                now,
            } if count == &1 => format!("far-future row {first} (clock {now}), bar dropped"),
            GuardEvent::FutureRows {
                first,
                last,
                count,
                now,
            } => {
                format!("far-future rows {first}..{last} ({count} bars, clock {now}), bars dropped")
            }
            GuardEvent::AbsurdVolume {
                date,
                volume,
                median,
            } => format!(
                "absurd volume {date} ({}, median {}), volume set to 0",
                format_volume(*volume),
                format_volume(*median)
            ),
            GuardEvent::BadPrint {
                date,
                prev,
                close,
                next,
            } => format!(
                "bad print {date} ({} → {} → {}), bar dropped",
                p(*prev),
                format_price(*close),
                p(*next)
            ),
            GuardEvent::BadOpen { date, open, close } => format!(
                "bad open {date} (open {}, close {}), bar dropped",
                format_price(*open),
                format_price(*close)
            ),
            GuardEvent::BadHigh { date, high, to } => format!(
                "bad high {date} ({}), high set to {}",
                format_price(*high),
                format_price(*to)
            ),
            GuardEvent::BadLow { date, low, to } => format!(
                "bad low {date} ({}), low set to {}",
                format_price(*low),
                format_price(*to)
            ),
            GuardEvent::SplitLike {
                date,
                prev,
                close,
                ratio,
                split,
            } => {
                let kind = if *ratio < 1.0 {
                    format!("{}:1 split", format_ratio(*split))
                } else {
                    format!("1:{} reverse split", format_ratio(*split))
                };
                format!(
                    "level shift {date} ({} → {}, ×{}) looks like an unadjusted {kind}, ticker quarantined",
                    format_price(*prev),
                    format_price(*close),
                    format_factor(*ratio)
                )
            }
            GuardEvent::UnconfirmedJump { date, prev, close } => format!(
                "unconfirmed jump on the last bar {date} ({} → {}, ×{}, larger than any earlier move), ticker quarantined",
                format_price(*prev),
                format_price(*close),
                format_factor(close / prev)
            ),
            GuardEvent::ConstantPrice { since, close, bars } => format!(
                "constant price since {since} ({}, {bars} bars), ticker quarantined",
                format_price(*close)
            ),
            GuardEvent::TooManyBadPrints { dropped, bars } => {
                format!("{dropped} of {bars} bars were bad prints, ticker quarantined")
            }
        }
    }
}

/// Run the guard over one ticker's cleaned series with the run's clock.
/// Pure: the same input gives the same output; a series it finds nothing in
/// comes back unchanged (bit-identical).
pub fn guard(series: Series, now: NaiveDate) -> (Series, GuardReport) {
    let mut report = GuardReport {
        ticker: series.ticker.clone(),
        ..GuardReport::default()
    };
    let mut s = drop_future(series, now, &mut report);
    let dropped = find_bad_prints(&s, &mut report);
    let bars = s.len();
    let n_dropped = dropped.iter().filter(|d| **d).count();
    if n_dropped > 0 {
        s = keep(&s, &dropped);
    }
    repair_wicks(&mut s, &mut report);
    // After the bad prints are gone: a 1e300 close is one decision, not two.
    repair_volumes(&mut s, &mut report);
    if n_dropped > MAX_DROPS && n_dropped as f64 > MAX_DROP_SHARE * bars as f64 {
        report.events.push(GuardEvent::TooManyBadPrints {
            dropped: n_dropped,
            bars,
        });
        report.quarantined = true;
    }
    for e in find_split_like(&s)
        .into_iter()
        .chain(find_unconfirmed_jump(&s))
        .chain(find_constant(&s))
    {
        report.events.push(e);
        report.quarantined = true;
    }
    (s, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::Bar;
    use crate::synthetic::{Fault, SyntheticSource, default_end};

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// 10 years of one synthetic ticker with `faults` planted.
    fn planted(ticker: &str, faults: Vec<Fault>) -> (Series, Series) {
        let src = SyntheticSource::with_range(7, 10, default_end());
        let clean = src.series(ticker);
        let faults = faults.into_iter().map(|f| (ticker.to_owned(), f));
        (clean, src.with_faults(faults).series(ticker))
    }

    fn without(s: &Series, drop: &[usize]) -> Series {
        let mut out = Series::new(s.ticker.clone());
        for i in (0..s.len()).filter(|i| !drop.contains(i)) {
            out.push(s.bar(i));
        }
        out
    }

    fn now() -> NaiveDate {
        default_end()
    }

    #[test]
    fn clean_synthetic_markets_pass_unchanged() {
        let src = SyntheticSource::new(42);
        for t in ["SPY", "AAPL", "NVDA", "BTC-USD", "DOGE-USD", "^VIX"] {
            let s = src.series(t);
            let (out, r) = guard(s.clone(), now());
            assert!(r.is_clean(), "{}", r.line().unwrap_or_default());
            assert_eq!(out, s);
        }
    }

    #[test]
    fn one_day_spike_is_dropped_and_named() {
        let (clean, bad) = planted(
            "SII",
            vec![Fault::Spike {
                at: 1000,
                days: 1,
                factor: 1e4,
            }],
        );
        let (out, r) = guard(bad.clone(), now());
        assert_eq!(out, without(&clean, &[1000]));
        assert!(!r.quarantined);
        let expect = format!(
            "SII: bad print {} ({} → {} → {}), bar dropped",
            bad.dates[1000],
            format_price(bad.close[999]),
            format_price(bad.close[1000]),
            format_price(bad.close[1001])
        );
        assert_eq!(r.line().as_deref(), Some(expect.as_str()));
    }

    #[test]
    fn two_day_spike_that_reverts_is_dropped() {
        for factor in [50.0, 1.0 / 50.0, 4.0] {
            let (clean, bad) = planted(
                "XYZ",
                vec![Fault::Spike {
                    at: 2000,
                    days: 2,
                    factor,
                }],
            );
            let (out, r) = guard(bad, now());
            assert_eq!(out, without(&clean, &[2000, 2001]), "x{factor}");
            assert_eq!(r.bars_dropped(), 2);
        }
    }

    #[test]
    fn issue_example_two_bad_prints_in_a_row() {
        // 10 -> 0.10 -> 19,900 -> 10.1: neither adjacent close is a sane
        // reference; the medians of the neighbours are.
        let mut s = Series::new("SII");
        let closes = [
            10.0, 10.2, 9.9, 10.1, 10.0, 0.10, 19_900.0, 10.1, 10.0, 10.2, 9.8, 10.0,
        ];
        let mut day = d("2018-03-06");
        for c in closes {
            s.push(Bar {
                date: day,
                open: c,
                high: c,
                low: c,
                close: c,
                volume: 1e5,
            });
            day = day.succ_opt().expect("date");
        }
        let (out, r) = guard(s, d("2018-03-31"));
        assert_eq!(out.len(), closes.len() - 2);
        assert_eq!(
            r.line().as_deref(),
            Some(
                "SII: bad print 2018-03-11 (10.0 → 0.10 → 19,900), bar dropped; \
                 bad print 2018-03-12 (0.10 → 19,900 → 10.1), bar dropped"
            )
        );
    }

    #[test]
    fn absurd_ticks_and_volumes_are_caught() {
        let n = planted("ABC", vec![]).0.len();
        for (fault, dropped) in [
            (
                Fault::Tick {
                    at: 500,
                    price: 1e20,
                },
                vec![500],
            ),
            (
                Fault::Tick {
                    at: 500,
                    price: 1e300,
                },
                vec![500],
            ),
            (
                Fault::Tick {
                    at: 500,
                    price: 1e-300,
                },
                vec![500],
            ),
            // The newest bar too, where no later bar can confirm a revert.
            (
                Fault::Tick {
                    at: n - 1,
                    price: 1e20,
                },
                vec![n - 1],
            ),
            (Fault::Tick { at: 0, price: 1e20 }, vec![0]),
        ] {
            let (clean, bad) = planted("ABC", vec![fault.clone()]);
            let (out, r) = guard(bad, now());
            assert_eq!(out, without(&clean, &dropped), "{fault:?}");
            assert_eq!(r.events.len(), 1, "{fault:?}: {}", r.describe());
            assert!(!r.quarantined, "{fault:?}: {}", r.describe());
        }
        let (clean, bad) = planted(
            "ABC",
            vec![
                Fault::HighTick {
                    at: 700,
                    price: 1e20,
                },
                Fault::Volume {
                    at: 701,
                    volume: 1e308,
                },
                Fault::Volume {
                    at: 702,
                    volume: f64::MAX,
                },
            ],
        );
        let (out, r) = guard(bad, now());
        assert_eq!(out.len(), clean.len());
        assert_eq!(out.high[700], clean.open[700].max(clean.close[700]));
        assert_eq!((out.volume[701], out.volume[702]), (0.0, 0.0));
        let line = r.line().unwrap_or_default();
        assert!(
            line.contains(&format!(
                "bad high {} (1.00e20), high set to",
                clean.dates[700]
            )),
            "{line}"
        );
        assert!(
            line.contains(&format!(
                "absurd volume {} (1.00e308, median ",
                clean.dates[701]
            )),
            "{line}"
        );
        assert!(
            out.volume
                .iter()
                .zip(&out.close)
                .all(|(v, c)| (v * c).is_finite())
        );
    }

    #[test]
    fn unadjusted_split_quarantines_the_ticker() {
        for (ratio, words) in [
            (2.0, "unadjusted 2:1 split"),
            (10.0, "unadjusted 10:1 split"),
            (1.0 / 8.0, "unadjusted 1:8 reverse split"),
        ] {
            let (_, bad) = planted("SPL", vec![Fault::UnadjustedSplit { at: 1500, ratio }]);
            let (out, r) = guard(bad.clone(), now());
            assert!(r.quarantined, "ratio {ratio}");
            assert_eq!(out, bad, "a quarantined ticker's bars are left as they are");
            let line = r.line().unwrap_or_default();
            assert!(
                line.starts_with(&format!("SPL: level shift {} (", bad.dates[1500])),
                "{line}"
            );
            assert!(
                line.ends_with(&format!("looks like an {words}, ticker quarantined")),
                "{line}"
            );
        }
    }

    #[test]
    fn real_looking_halving_is_not_a_split() {
        // The same x0.5 step, but on heavy volume (a crash on news): no action.
        let at = 1500;
        let (_, mut s) = planted("CRA", vec![Fault::UnadjustedSplit { at, ratio: 2.0 }]);
        for v in &mut s.volume[at..] {
            *v /= 2.0;
        }
        s.volume[at] *= 10.0;
        let (out, r) = guard(s.clone(), now());
        assert!(r.is_clean(), "{}", r.describe());
        assert_eq!(out, s);
    }

    #[test]
    fn far_future_rows_are_dropped_with_a_day_of_allowance() {
        let (clean, bad) = planted("FUT", vec![Fault::FutureRow { days: 1 }]);
        let (out, r) = guard(bad.clone(), now());
        assert!(
            r.is_clean(),
            "tomorrow's bar is a time zone, not the future"
        );
        assert_eq!(out, bad);
        let (_, bad) = planted("FUT", vec![Fault::FutureRow { days: 3000 }]);
        let (out, r) = guard(bad.clone(), now());
        assert_eq!(out, clean);
        let far = bad.dates[bad.len() - 1];
        assert_eq!(
            r.line(),
            Some(format!(
                "FUT: far-future row {far} (clock {}), bar dropped",
                now()
            ))
        );
    }

    #[test]
    fn constant_prices_are_reported_with_their_start() {
        let (_, flat) = planted("FLT", vec![Fault::Frozen { at: 0 }]);
        let (_, r) = guard(flat.clone(), now());
        assert!(r.quarantined);
        let line = r.line().unwrap_or_default();
        assert!(
            line.starts_with(&format!("FLT: constant price since {} (", flat.dates[0])),
            "{line}"
        );
        let at = flat.len() - 30;
        let (_, stale) = planted("FLT", vec![Fault::Frozen { at }]);
        let (_, r) = guard(stale.clone(), now());
        assert!(r.quarantined);
        assert_eq!(
            r.events,
            vec![GuardEvent::ConstantPrice {
                since: stale.dates[at],
                close: stale.close[at],
                bars: 30
            }]
        );
        // A short run of equal closes is a quiet market, not stale data.
        let (_, quiet) = planted("FLT", vec![Fault::Frozen { at: flat.len() - 5 }]);
        assert!(guard(quiet, now()).1.is_clean());
    }

    #[test]
    fn last_bar_jump_beyond_any_earlier_move_quarantines() {
        let n = planted("LST", vec![]).0.len();
        let (_, bad) = planted(
            "LST",
            vec![Fault::Spike {
                at: n - 1,
                days: 1,
                factor: 30.0,
            }],
        );
        let (out, r) = guard(bad.clone(), now());
        assert!(r.quarantined);
        assert_eq!(out, bad);
        assert!(
            matches!(r.events.as_slice(), [GuardEvent::UnconfirmedJump { .. }]),
            "{:?}",
            r.events
        );
    }

    #[test]
    fn many_bad_prints_quarantine() {
        let faults = (0..40)
            .map(|k| Fault::Spike {
                at: 100 + 50 * k,
                days: 1,
                factor: 100.0,
            })
            .collect();
        let (_, bad) = planted("MNY", faults);
        let (out, r) = guard(bad.clone(), now());
        assert_eq!(out.len(), bad.len() - 40);
        assert!(r.quarantined);
        assert!(r.describe().contains("40 of"), "{}", r.describe());
    }

    #[test]
    fn report_numbers_read_like_the_issue() {
        assert_eq!(format_price(0.10), "0.10");
        assert_eq!(format_price(19_900.0), "19,900");
        assert_eq!(format_price(10.1), "10.1");
        assert_eq!(format_price(0.007482), "0.0075");
        assert_eq!(format_price(123.456), "123");
        assert_eq!(format_price(1_234_567.0), "1,234,567");
        assert_eq!(format_price(1e20), "1.00e20");
        assert_eq!(format_volume(1e308), "1.00e308");
        assert_eq!(format_volume(1_200_000.0), "1,200,000");
    }
}
