//! The synthetic market: a deterministic, seeded stand-in for real data so the
//! whole system runs with no network (demo, tests, benchmarks).
//!
//! How it plants what the detector looks for:
//! - A shared **market factor** over calendar days (seed only) alternates calm
//!   spells with stress episodes (higher volatility, negative drift). The
//!   synthetic **VIX** is a smoothed function of that stress, so it rises in
//!   market-wide stress.
//! - Each ticker (seeded by seed + name) cycles through phases:
//!   `Normal` (GARCH(1,1)-style volatility clustering around its base
//!   volatility) -> `Compression` (target volatility decays to ~35-45% of base,
//!   ranges narrow, volume dries up) -> `Breakout` (volatility expands, volume
//!   surges, a directional drift that is upward about 70% of the time).
//!   A quiet range therefore tends to be followed by a move larger than the
//!   RALLY_ST barrier — the volatility-compression-to-rally transition.
//! - Equity-like tickers trade on weekdays; `*-USD` tickers every calendar day
//!   with about twice the volatility. Prices are already adjusted.
//!
//! For the data-quality guard's test corpora, [`SyntheticSource::with_faults`]
//! plants [`Fault`]s (bad prints, unadjusted splits, absurd ticks, far-future
//! rows, frozen prices) in named tickers; without faults the output is
//! exactly the plain synthetic market.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::clean::CleanReport;
use crate::error::DataError;
use crate::series::{Bar, Series};
use crate::source::{Loaded, Source, VIX_TICKER};

/// Last bar date of the synthetic market (fixed so runs are reproducible).
pub fn default_end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 8, 21).unwrap_or(NaiveDate::MIN)
}

/// xoshiro256++ seeded through splitmix64: small, fast, reproducible everywhere.
#[derive(Debug, Clone)]
struct Rng {
    s: [u64; 4],
    spare: Option<f64>,
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut x = seed;
        Rng {
            s: [
                splitmix(&mut x),
                splitmix(&mut x),
                splitmix(&mut x),
                splitmix(&mut x),
            ],
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    fn int(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.uniform() * f64::from(hi - lo + 1)) as u32
    }

    /// Standard normal (Marsaglia polar method).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(v * m);
                return u * m;
            }
        }
    }
}

/// FNV-1a, so a ticker's stream depends only on its name and the seed.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The market factor on calendar days.
#[derive(Debug, Clone)]
struct Market {
    start: NaiveDate,
    ret: Vec<f64>,
    vol: Vec<f64>,
    vix: Vec<f64>,
}

impl Market {
    fn generate(seed: u64, start: NaiveDate, days: usize) -> Market {
        let mut rng = Rng::new(seed ^ 0x5EED_3A4C_E7F0_0D11);
        let (mut ret, mut vol, mut vix) = (
            Vec::with_capacity(days),
            Vec::with_capacity(days),
            Vec::with_capacity(days),
        );
        let mut stress = 0.0f64; // 0 calm .. 1 crisis
        let mut target = 0.0f64;
        let mut left = 0u32;
        let mut noise = 0.0f64;
        for _ in 0..days {
            if left == 0 && target > 0.0 {
                target = 0.0;
            }
            if target == 0.0 && rng.uniform() < 1.0 / 600.0 {
                target = rng.range(0.4, 1.0);
                left = rng.int(15, 70);
            }
            left = left.saturating_sub(1);
            // Stress builds fast and decays slowly, like real sell-offs.
            let speed = if target > stress { 0.15 } else { 0.03 };
            stress += speed * (target - stress);
            let v = 0.0065 * (1.0 + 2.5 * stress);
            let drift = 0.0003 - 0.004 * stress;
            ret.push(drift + v * rng.normal());
            vol.push(v);
            noise = 0.9 * noise + 0.8 * rng.normal();
            vix.push((12.5 + 32.0 * stress + noise).max(9.0));
        }
        Market {
            start,
            ret,
            vol,
            vix,
        }
    }

    fn index(&self, d: NaiveDate) -> usize {
        (d - self.start).num_days().max(0) as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Ordinary trading.
    Normal,
    /// A volatility squeeze.
    Compression,
    /// The directional move out of a squeeze.
    Breakout { up: bool },
}

/// A data fault planted in one ticker's synthetic bars, as uncurated real
/// data has them. Bar positions count from the first bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Bars `at..at + days` printed at `factor` x their prices (O, H, L, C),
    /// the following bars normal again: a spike that reverts.
    Spike { at: usize, days: usize, factor: f64 },
    /// From bar `at` on, prices divided by `ratio` and volume multiplied by
    /// it: a `ratio`:1 split the data was not adjusted for.
    UnadjustedSplit { at: usize, ratio: f64 },
    /// Bar `at`'s open, high, low and close all `price` (e.g. `1e20`).
    Tick { at: usize, price: f64 },
    /// Bar `at`'s high only at `price`.
    HighTick { at: usize, price: f64 },
    /// Bar `at`'s volume.
    Volume { at: usize, volume: f64 },
    /// One more bar, a copy of the last, dated `days` after it.
    FutureRow { days: u64 },
    /// From bar `at` on, every price frozen at bar `at`'s close, volume 0.
    Frozen { at: usize },
}

impl Fault {
    fn apply(&self, s: &mut Series) {
        let n = s.len();
        let scale = |s: &mut Series, i: usize, f: f64| {
            s.open[i] *= f;
            s.high[i] *= f;
            s.low[i] *= f;
            s.close[i] *= f;
        };
        match *self {
            Fault::Spike { at, days, factor } => {
                for i in at..(at + days).min(n) {
                    scale(s, i, factor);
                }
            }
            Fault::UnadjustedSplit { at, ratio } => {
                for i in at.min(n)..n {
                    scale(s, i, 1.0 / ratio);
                    s.volume[i] *= ratio;
                }
            }
            Fault::Tick { at, price } if at < n => {
                (s.open[at], s.high[at], s.low[at], s.close[at]) = (price, price, price, price);
            }
            Fault::HighTick { at, price } if at < n => s.high[at] = price,
            Fault::Volume { at, volume } if at < n => s.volume[at] = volume,
            Fault::FutureRow { days } => {
                if let Some(mut bar) = n.checked_sub(1).map(|i| s.bar(i)) {
                    bar.date = bar
                        .date
                        .checked_add_days(Days::new(days))
                        .unwrap_or(bar.date);
                    s.push(bar);
                }
            }
            Fault::Frozen { at } => {
                if let Some(c) = s.close.get(at).copied() {
                    for i in at..n {
                        (s.open[i], s.high[i], s.low[i], s.close[i]) = (c, c, c, c);
                        s.volume[i] = 0.0;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Deterministic synthetic market (`synthetic[:SEED]`).
#[derive(Debug, Clone)]
pub struct SyntheticSource {
    seed: u64,
    start: NaiveDate,
    end: NaiveDate,
    market: std::sync::Arc<Market>,
    /// Planted faults by ticker, applied in order (empty: the plain market).
    faults: Vec<(String, Fault)>,
}

impl SyntheticSource {
    /// ~26 years of bars ending on [`default_end`].
    pub fn new(seed: u64) -> SyntheticSource {
        SyntheticSource::with_range(seed, 26, default_end())
    }

    /// `years` of bars ending on `end`.
    pub fn with_range(seed: u64, years: u32, end: NaiveDate) -> SyntheticSource {
        let start = end
            .checked_sub_days(Days::new(u64::from(years) * 365 + u64::from(years / 4)))
            .unwrap_or(end);
        let days = (end - start).num_days() as usize + 1;
        SyntheticSource {
            seed,
            start,
            end,
            market: std::sync::Arc::new(Market::generate(seed, start, days)),
            faults: Vec::new(),
        }
    }

    /// The same market with `faults` planted in the named tickers (test
    /// corpora for the guard). Faults apply in the order given.
    pub fn with_faults(
        mut self,
        faults: impl IntoIterator<Item = (String, Fault)>,
    ) -> SyntheticSource {
        self.faults.extend(faults);
        self
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn is_crypto(ticker: &str) -> bool {
        ticker.ends_with("-USD")
    }

    fn trading_days(&self, every_day: bool) -> Vec<NaiveDate> {
        self.start
            .iter_days()
            .take_while(|d| *d <= self.end)
            .filter(|d| every_day || !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect()
    }

    fn vix_series(&self) -> Series {
        let days = self.trading_days(false);
        let mut s = Series::with_capacity(VIX_TICKER, days.len());
        let mut prev = self.market.vix[0];
        for d in days {
            let v = self.market.vix[self.market.index(d)];
            s.push(Bar {
                date: d,
                open: prev,
                high: v.max(prev) * 1.02,
                low: v.min(prev) * 0.98,
                close: v,
                volume: 0.0,
            });
            prev = v;
        }
        s
    }

    /// One ticker's bars (with its planted faults). Every name gets its own
    /// reproducible path.
    pub fn series(&self, ticker: &str) -> Series {
        let mut s = self.market_series(ticker);
        for (_, f) in self.faults.iter().filter(|(t, _)| t == ticker) {
            f.apply(&mut s);
        }
        s
    }

    fn market_series(&self, ticker: &str) -> Series {
        if ticker == VIX_TICKER || ticker == "VIX" {
            return self.vix_series();
        }
        let crypto = Self::is_crypto(ticker);
        let days = self.trading_days(crypto);
        let mut rng = Rng::new(
            self.seed
                .wrapping_mul(0x9E37_79B9)
                .wrapping_add(name_hash(ticker)),
        );
        let base_vol = if crypto {
            rng.range(0.028, 0.045)
        } else {
            rng.range(0.010, 0.022)
        };
        let beta = if crypto {
            rng.range(0.3, 0.9)
        } else {
            rng.range(0.6, 1.4)
        };
        let base_volume = rng.range(2e5, 5e7).round();
        let mut price = rng.range(15.0, 250.0);
        // Slowly rising fair value; normal phases revert towards it so
        // prices stay in a realistic range over decades.
        let mut anchor = price.ln();
        let mut phase = Phase::Normal;
        let mut left = rng.int(20, 150);
        let mut len = left;
        let mut next_up = rng.uniform() < 0.8;
        let mut h = base_vol * base_vol; // conditional variance (GARCH)
        let mut prev_eps = 0.0f64;
        let mut s = Series::with_capacity(ticker, days.len());
        for d in days {
            if left == 0 {
                (phase, left) = match phase {
                    Phase::Normal => {
                        next_up = rng.uniform() < 0.8;
                        (Phase::Compression, rng.int(20, 35))
                    }
                    Phase::Compression => (Phase::Breakout { up: next_up }, rng.int(10, 18)),
                    Phase::Breakout { .. } => (Phase::Normal, rng.int(30, 90)),
                };
                len = left;
            }
            left -= 1;
            let dir = if next_up { 1.0 } else { -1.0 };
            let (target_vol, drift, vol_mult) = match phase {
                Phase::Normal => (base_vol, 0.0002 - 0.003 * (price.ln() - anchor), 1.0),
                Phase::Compression if left < 6 => {
                    // The last bars of a squeeze lean towards the coming
                    // move and volume starts to return: observable precursors.
                    let ramp = f64::from(6 - left) / 6.0;
                    (base_vol * 0.4, dir * 0.3 * base_vol, 0.6 + 0.8 * ramp)
                }
                Phase::Compression => (base_vol * 0.35, 0.0, 0.6),
                Phase::Breakout { up } => {
                    let dir = if up { 1.0 } else { -1.0 };
                    let fade = f64::from(left + 1) / f64::from(len.max(1));
                    (base_vol * 1.2, dir * 0.8 * base_vol * (0.5 + fade), 2.0)
                }
            };
            anchor += 0.00025;
            // GARCH(1,1) on the ticker's own shocks around the phase's target
            // variance: volatility clusters but cannot explode.
            let (a, b) = (0.08, 0.88);
            h = target_vol * target_vol * (1.0 - a - b) + a * prev_eps * prev_eps + b * h;
            if matches!(phase, Phase::Compression) {
                h = h.min(2.0 * target_vol * target_vol);
            }
            let sigma = h.sqrt();
            let eps = sigma * rng.normal();
            prev_eps = eps;
            let m = self.market.index(d);
            let mret = self.market.ret[m] * beta;
            // Market stress widens every ticker's moves.
            let stress = (self.market.vol[m] / 0.0065).sqrt();
            let r = (drift + mret + eps * stress).clamp(-0.4, 0.4);
            let gap = 0.25 * sigma * rng.normal();
            let open = price * gap.exp();
            let close = price * r.exp();
            let high = open.max(close) * (0.45 * sigma * rng.normal().abs()).exp();
            let low = open.min(close) * (-0.45 * sigma * rng.normal().abs()).exp();
            let volume = (base_volume * vol_mult * (0.3 * rng.normal()).exp()).round();
            s.push(Bar {
                date: d,
                open,
                high,
                low,
                close,
                volume,
            });
            price = close;
        }
        s
    }
}

impl Source for SyntheticSource {
    fn describe(&self) -> String {
        if self.faults.is_empty() {
            format!("synthetic:{}", self.seed)
        } else {
            // Never shares a cache with the plain market.
            format!("synthetic:{}+{}faults", self.seed, self.faults.len())
        }
    }

    fn load(&self, ticker: &str) -> Result<Loaded, DataError> {
        let series = self.series(ticker);
        let report = CleanReport {
            rows_read: series.len(),
            rows_kept: series.len(),
            ..CleanReport::default()
        };
        Ok(Loaded { series, report })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_seed_and_name() {
        let a = SyntheticSource::new(1);
        let b = SyntheticSource::new(1);
        assert_eq!(a.series("SPY"), b.series("SPY"));
        assert_ne!(a.series("SPY").close, a.series("QQQ").close);
        assert_ne!(
            a.series("SPY").close,
            SyntheticSource::new(2).series("SPY").close
        );
    }

    #[test]
    fn calendars_and_bar_sanity() {
        let src = SyntheticSource::new(42);
        let eq = src.series("AAPL");
        let cr = src.series("BTC-USD");
        assert!(eq.len() > 6700 && eq.len() < 6900, "{}", eq.len());
        assert!(cr.len() > 9400, "{}", cr.len());
        assert!(
            eq.dates
                .iter()
                .all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        );
        assert_eq!(eq.last_date(), Some(default_end()));
        for s in [&eq, &cr] {
            for i in 0..s.len() {
                let b = s.bar(i);
                assert!(b.low > 0.0 && b.low <= b.open.min(b.close));
                assert!(b.high >= b.open.max(b.close));
                assert!(b.volume >= 0.0);
            }
            assert!(s.dates.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn vix_rises_with_market_stress() {
        let src = SyntheticSource::new(42);
        let vix = src.series(VIX_TICKER);
        let m = &src.market;
        // Average VIX on the most stressed decile of days vs the calmest.
        let mut pairs: Vec<(f64, f64)> = vix
            .dates
            .iter()
            .zip(&vix.close)
            .map(|(d, v)| (m.vol[m.index(*d)], *v))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let k = pairs.len() / 10;
        let calm: f64 = pairs[..k].iter().map(|p| p.1).sum::<f64>() / k as f64;
        let stressed: f64 = pairs[pairs.len() - k..].iter().map(|p| p.1).sum::<f64>() / k as f64;
        assert!(stressed > calm + 8.0, "calm {calm} stressed {stressed}");
    }
}

#[cfg(test)]
mod pin_output {
    use super::*;
    use crate::source::Source;

    /// FNV-1a over every date and value bit of a few default series.
    fn fingerprint(src: &SyntheticSource) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        let mut eat = |x: u64| {
            for b in x.to_le_bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        for t in ["SPY", "AAPL", "BTC-USD", VIX_TICKER] {
            let s = src.series(t);
            for i in 0..s.len() {
                let b = s.bar(i);
                eat(b.date.num_days_from_ce() as u64);
                for v in [b.open, b.high, b.low, b.close, b.volume] {
                    eat(v.to_bits());
                }
            }
        }
        h
    }

    /// The default market is what the demo and other crates' tests were
    /// built on: planting faults must not move a bit of it. The value was
    /// taken from the source before faults existed.
    #[test]
    fn default_output_is_pinned() {
        assert_eq!(
            fingerprint(&SyntheticSource::new(42)),
            0x8533_b36c_006c_ce01
        );
        let other = SyntheticSource::new(42).with_faults([(
            "QQQ".to_owned(),
            Fault::Tick {
                at: 10,
                price: 1e20,
            },
        )]);
        assert_eq!(fingerprint(&other), 0x8533_b36c_006c_ce01);
    }

    #[test]
    fn faults_change_only_their_ticker_and_the_description() {
        let plain = SyntheticSource::new(42);
        let src = plain.clone().with_faults([(
            "QQQ".to_owned(),
            Fault::Spike {
                at: 10,
                days: 2,
                factor: 100.0,
            },
        )]);
        let (a, b) = (plain.series("QQQ"), src.series("QQQ"));
        assert_eq!(b.close[10], a.close[10] * 100.0);
        assert_eq!(b.high[11], a.high[11] * 100.0);
        assert_eq!((b.close[9], b.close[12]), (a.close[9], a.close[12]));
        assert_ne!(plain.describe(), src.describe());
    }
}
