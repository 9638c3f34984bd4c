//! The named trading configurations of METHOD §7, as data.

use serde::{Deserialize, Serialize};

use crate::TradeError;

/// Every parameter of the trade state machine (METHOD §7).
///
/// The five per-config parameters come from the named table; the four shared
/// ones (`stop_atr_mult`, `vol_target_k`, `rv_exit_pct`, `cost_bps`) are the
/// same for every named config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeConfig {
    /// Config name (`baseline`, `conservative`, `aggressive`, `concentrated`).
    pub name: String,
    /// Minimum P(rally) for a signal (compared with a 1e-9 tolerance).
    pub p_threshold: f64,
    /// Minimum compression score for a signal.
    pub comp_threshold: f64,
    /// Cap on the position size (fraction of equity).
    pub max_size: f64,
    /// Target distance above the signal close, in ATRs.
    pub profit_atr_mult: f64,
    /// Time stop: exit at the close once `bars held >= time_stop_bars`.
    pub time_stop_bars: u32,
    /// Stop distance below the signal close, in ATRs.
    pub stop_atr_mult: f64,
    /// Volatility target: `size = min(max_size, vol_target_k / RV)`.
    pub vol_target_k: f64,
    /// Exhaustion exit when `rv_pctile >= rv_exit_pct`.
    pub rv_exit_pct: f64,
    /// Cost per side, in basis points.
    pub cost_bps: f64,
}

/// Shared parameter: stop distance in ATRs.
pub const STOP_ATR_MULT: f64 = 1.0;
/// Shared parameter: volatility target.
pub const VOL_TARGET_K: f64 = 0.10;
/// Shared parameter: exhaustion threshold on `rv_pctile`.
pub const RV_EXIT_PCT: f64 = 0.80;
/// Shared parameter: cost per side in basis points.
pub const COST_BPS: f64 = 5.0;

/// `(name, p_threshold, comp_threshold, max_size, profit_atr_mult, time_stop_bars)`.
const TABLE: [(&str, f64, f64, f64, f64, u32); 4] = [
    ("baseline", 0.50, 0.55, 0.25, 2.0, 10),
    ("conservative", 0.55, 0.60, 0.15, 1.5, 8),
    ("aggressive", 0.40, 0.45, 0.30, 2.5, 12),
    ("concentrated", 0.55, 0.60, 0.40, 2.0, 10),
];

/// Tolerance on the P threshold (isotonic levels may be off by one bit).
pub const P_TOLERANCE: f64 = 1e-9;

impl TradeConfig {
    /// P(rally) clears the entry threshold (METHOD §7, within
    /// [`P_TOLERANCE`]). The one home of the rule: the state machine's
    /// signal check and the scanner's watchlist both ask here.
    pub fn p_clears(&self, p: f64) -> bool {
        p >= self.p_threshold - P_TOLERANCE
    }

    /// Compression clears its threshold (a NaN never does).
    pub fn compression_clears(&self, compression: f64) -> bool {
        compression.is_finite() && compression >= self.comp_threshold
    }

    /// The valid config names, in table order.
    pub const NAMES: [&'static str; 4] = ["baseline", "conservative", "aggressive", "concentrated"];

    /// The named config, or [`TradeError::UnknownConfig`] listing the valid names.
    pub fn named(name: &str) -> Result<TradeConfig, TradeError> {
        TABLE
            .iter()
            .find(|row| row.0 == name)
            .map(|&(n, p, c, m, pm, ts)| TradeConfig {
                name: n.to_owned(),
                p_threshold: p,
                comp_threshold: c,
                max_size: m,
                profit_atr_mult: pm,
                time_stop_bars: ts,
                stop_atr_mult: STOP_ATR_MULT,
                vol_target_k: VOL_TARGET_K,
                rv_exit_pct: RV_EXIT_PCT,
                cost_bps: COST_BPS,
            })
            .ok_or_else(|| TradeError::UnknownConfig {
                name: name.to_owned(),
                valid: Self::NAMES.join(", "),
            })
    }

    /// The `baseline` config (the one the golden outputs use).
    pub fn baseline() -> TradeConfig {
        let (n, p, c, m, pm, ts) = TABLE[0];
        TradeConfig {
            name: n.to_owned(),
            p_threshold: p,
            comp_threshold: c,
            max_size: m,
            profit_atr_mult: pm,
            time_stop_bars: ts,
            stop_atr_mult: STOP_ATR_MULT,
            vol_target_k: VOL_TARGET_K,
            rv_exit_pct: RV_EXIT_PCT,
            cost_bps: COST_BPS,
        }
    }

    /// All four named configs, in table order.
    pub fn all() -> Vec<TradeConfig> {
        Self::NAMES
            .iter()
            .filter_map(|n| Self::named(n).ok())
            .collect()
    }

    /// Cost per side as a fraction: `cost_bps / 10000`.
    pub fn cost(&self) -> f64 {
        self.cost_bps / 1e4
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn named_table_matches_spec() {
        let c = TradeConfig::named("conservative").unwrap();
        assert_eq!(
            (
                c.p_threshold,
                c.comp_threshold,
                c.max_size,
                c.profit_atr_mult,
                c.time_stop_bars
            ),
            (0.55, 0.60, 0.15, 1.5, 8)
        );
        let a = TradeConfig::named("aggressive").unwrap();
        assert_eq!(
            (
                a.p_threshold,
                a.comp_threshold,
                a.max_size,
                a.profit_atr_mult,
                a.time_stop_bars
            ),
            (0.40, 0.45, 0.30, 2.5, 12)
        );
        let k = TradeConfig::named("concentrated").unwrap();
        assert_eq!(
            (k.max_size, k.profit_atr_mult, k.time_stop_bars),
            (0.40, 2.0, 10)
        );
        let b = TradeConfig::named("baseline").unwrap();
        assert_eq!(b, TradeConfig::baseline());
        assert_eq!(
            (b.p_threshold, b.comp_threshold, b.max_size),
            (0.50, 0.55, 0.25)
        );
        for c in TradeConfig::all() {
            assert_eq!(
                (c.stop_atr_mult, c.vol_target_k, c.rv_exit_pct, c.cost_bps),
                (1.0, 0.10, 0.80, 5.0)
            );
        }
        assert_eq!(TradeConfig::all().len(), 4);
        assert_eq!(b.cost(), 0.0005);
    }

    #[test]
    fn unknown_name_lists_valid_names() {
        let e = TradeConfig::named("yolo").unwrap_err().to_string();
        assert!(e.contains("yolo"), "{e}");
        for n in TradeConfig::NAMES {
            assert!(e.contains(n), "{e}");
        }
    }

    #[test]
    fn config_serde_round_trip() {
        let c = TradeConfig::named("aggressive").unwrap();
        let s = serde_json::to_string(&c).unwrap();
        let back: TradeConfig = serde_json::from_str(&s).unwrap();
        assert_eq!(c, back);
    }
}
