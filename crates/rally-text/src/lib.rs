//! How the rally detector writes numbers for people — the one home of
//! money, percent, price, probability and duration formatting, shared by
//! the text reports, the dashboard, the bot's replies and the alert embeds.
//!
//! What it is not: machine formats (CSV exports use `%.17g`, JSON uses
//! serde). Every function here is total: a non-finite input prints `n/a`,
//! and a value that rounds to zero never prints with a minus sign.

/// What a non-finite number prints as.
pub const NOT_A_NUMBER: &str = "n/a";

/// Digits of `x.abs()` rounded to `decimals`, thousands grouped: `1,234.50`.
fn grouped(x: f64, decimals: usize) -> String {
    let fixed = format!("{:.decimals$}", x.abs());
    let (int, frac) = match fixed.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (fixed.as_str(), None),
    };
    let mut out = String::with_capacity(fixed.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// `-` when `x` is negative and does not round to zero at `decimals`.
fn minus(x: f64, decimals: usize) -> &'static str {
    if x < 0.0
        && format!("{:.decimals$}", x.abs())
            .bytes()
            .any(|b| (b'1'..=b'9').contains(&b))
    {
        "-"
    } else {
        ""
    }
}

/// `10000` -> `$10,000.00`, `-50` -> `-$50.00`.
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    format!("{}${}", minus(x, 2), grouped(x, 2))
}

/// `100` -> `+$100.00`, `-50` -> `-$50.00`, `-0.001` -> `+$0.00`.
pub fn signed_money(x: f64) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    let sign = if minus(x, 2).is_empty() { "+" } else { "-" };
    format!("{sign}${}", grouped(x, 2))
}

/// Whole currency units, grouped, no symbol: `1234567.8` -> `1,234,568`;
/// with `signed` a leading `+` on gains.
pub fn whole(x: f64, signed: bool) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    let sign = match (minus(x, 0), signed) {
        ("-", _) => "-",
        (_, true) => "+",
        _ => "",
    };
    format!("{sign}{}", grouped(x, 0))
}

/// A price with two decimals: `123.456` -> `123.46`.
pub fn price(x: f64) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    format!("{}{}", minus(x, 2), grouped(x, 2))
}

/// A price in dollars: `$123.46`.
pub fn dollars(x: f64) -> String {
    if !x.is_finite() {
        return NOT_A_NUMBER.into();
    }
    format!("{}${}", minus(x, 2), grouped(x, 2))
}

/// A fraction as a percent with `decimals`: `0.1234` -> `12.34%` (2).
pub fn percent(frac: f64, decimals: usize) -> String {
    if !frac.is_finite() {
        return NOT_A_NUMBER.into();
    }
    let v = frac * 100.0;
    format!("{}{:.decimals$}%", minus(v, decimals), v.abs())
}

/// A fraction as a signed percent: `0.0523` -> `+5.23%`, never `-0.00%`.
pub fn signed_percent(frac: f64) -> String {
    if !frac.is_finite() {
        return NOT_A_NUMBER.into();
    }
    let v = frac * 100.0;
    let sign = if minus(v, 2).is_empty() { "+" } else { "-" };
    format!("{sign}{:.2}%", v.abs())
}

/// A probability: three decimals (`0.734`), except near 0 and 1, where
/// three decimals would print a misleading `0.000` or `1.000`: then as
/// many digits as show the distance to the bound with two significant
/// digits (`0.00042`, `0.99987`). Exactly 0 and 1 print `0` and `1`.
pub fn probability(p: f64) -> String {
    if !p.is_finite() {
        return NOT_A_NUMBER.into();
    }
    if p == 0.0 || p == 1.0 {
        return format!("{p:.0}");
    }
    let gap = p.min(1.0 - p).abs();
    if gap >= 0.0005 {
        return format!("{p:.3}");
    }
    // Decimals so that `gap` shows two significant digits, at most 12.
    let decimals = ((-gap.log10()).floor() as usize + 2).min(12);
    let s = format!("{p:.decimals$}");
    // Still indistinguishable from the bound at 12 decimals: say so.
    match s.trim_end_matches('0').trim_end_matches('.') {
        "0" => "<1e-12".into(),
        "1" => ">1-1e-12".into(),
        _ => s,
    }
}

/// Where a P stands among a model's training setups, from the share
/// (percent) of setups whose P is at least as high: `12.3` -> `top 12% of
/// setups`, `87` -> `bottom 13% of setups`. Never `top 0%` or `top 100%`:
/// beyond the training range it says so.
pub fn setup_rank(top_pct: f64) -> String {
    match rank_parts(top_pct) {
        Rank::Above => "above every training setup".into(),
        Rank::Below => "below every training setup".into(),
        Rank::Share(side, pct) => format!("{side} {pct}% of setups"),
        Rank::Unknown => NOT_A_NUMBER.into(),
    }
}

/// [`setup_rank`] for narrow table cells: `top 12%`, `bottom 13%`,
/// `above all`, `below all`.
pub fn setup_rank_short(top_pct: f64) -> String {
    match rank_parts(top_pct) {
        Rank::Above => "above all".into(),
        Rank::Below => "below all".into(),
        Rank::Share(side, pct) => format!("{side} {pct}%"),
        Rank::Unknown => NOT_A_NUMBER.into(),
    }
}

enum Rank {
    Above,
    Below,
    Share(&'static str, f64),
    Unknown,
}

fn rank_parts(top_pct: f64) -> Rank {
    if !top_pct.is_finite() {
        return Rank::Unknown;
    }
    let top = top_pct.clamp(0.0, 100.0);
    if top <= 0.0 {
        Rank::Above
    } else if top >= 100.0 {
        Rank::Below
    } else if top <= 50.0 {
        Rank::Share("top", top.round().max(1.0))
    } else {
        Rank::Share("bottom", (100.0 - top).round().max(1.0))
    }
}

/// A P in a narrow table cell: `0.410 · top 12%` with a rank (model v2),
/// `0.410` without.
pub fn p_cell(p: f64, top_pct: Option<f64>) -> String {
    match top_pct {
        Some(top) => format!("{} · {}", probability(p), setup_rank_short(top)),
        None => probability(p),
    }
}

/// A probability with its rank among the training setups when the model
/// has one (model v2): `P 0.410 · top 12% of setups`; without, `P 0.410`.
/// The one wording of a v2 P for reports, alerts, the bot and the dashboard.
pub fn p_with_rank(p: f64, top_pct: Option<f64>) -> String {
    match top_pct {
        Some(top) => format!("P {} · {}", probability(p), setup_rank(top)),
        None => format!("P {}", probability(p)),
    }
}

/// `93.4` seconds -> `1m 33s`; `4000` -> `1h 06m`.
pub fn elapsed(secs: f64) -> String {
    let s = if secs.is_finite() && secs > 0.0 {
        secs.round() as u64
    } else {
        0
    };
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// `1 ticker`, `2 tickers`, `0 tickers`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_prices() {
        assert_eq!(money(10_000.0), "$10,000.00");
        assert_eq!(money(-50.0), "-$50.00");
        assert_eq!(money(-0.001), "$0.00");
        assert_eq!(signed_money(100.0), "+$100.00");
        assert_eq!(signed_money(-0.004), "+$0.00");
        assert_eq!(signed_money(-1234.5), "-$1,234.50");
        assert_eq!(whole(1_234_567.8, false), "1,234,568");
        assert_eq!(whole(-0.4, true), "+0");
        assert_eq!(whole(-12.6, true), "-13");
        assert_eq!(price(5064.914), "5,064.91");
        assert_eq!(dollars(0.5), "$0.50");
        assert_eq!(money(f64::NAN), "n/a");
    }

    #[test]
    fn percents_never_show_minus_zero() {
        assert_eq!(percent(0.1234, 2), "12.34%");
        assert_eq!(percent(-0.00001, 2), "0.00%");
        assert_eq!(signed_percent(0.0523), "+5.23%");
        assert_eq!(signed_percent(-0.00001), "+0.00%");
        assert_eq!(signed_percent(-0.0523), "-5.23%");
        assert_eq!(signed_percent(f64::INFINITY), "n/a");
    }

    #[test]
    fn ranks_among_setups_read_as_words() {
        assert_eq!(setup_rank(12.3), "top 12% of setups");
        assert_eq!(setup_rank(0.2), "top 1% of setups");
        assert_eq!(setup_rank(50.0), "top 50% of setups");
        assert_eq!(setup_rank(87.0), "bottom 13% of setups");
        assert_eq!(setup_rank(99.9), "bottom 1% of setups");
        assert_eq!(setup_rank(0.0), "above every training setup");
        assert_eq!(setup_rank(100.0), "below every training setup");
        assert_eq!(setup_rank(f64::NAN), "n/a");
        assert_eq!(p_with_rank(0.41, Some(12.0)), "P 0.410 · top 12% of setups");
        assert_eq!(p_with_rank(0.41, None), "P 0.410");
        assert_eq!(setup_rank_short(12.3), "top 12%");
        assert_eq!(setup_rank_short(87.0), "bottom 13%");
        assert_eq!(setup_rank_short(0.0), "above all");
        assert_eq!(p_cell(0.41, Some(12.0)), "0.410 · top 12%");
        assert_eq!(p_cell(0.41, None), "0.410");
    }

    #[test]
    fn probabilities_near_the_bounds_keep_their_meaning() {
        assert_eq!(probability(0.7341), "0.734");
        assert_eq!(probability(0.0005), "0.001");
        assert_eq!(probability(0.00042), "0.00042");
        assert_eq!(probability(0.000_004_2), "0.0000042");
        assert_eq!(probability(0.99987), "0.99987");
        assert_eq!(probability(0.0), "0");
        assert_eq!(probability(1.0), "1");
        assert_eq!(probability(1e-300), "<1e-12");
        // Never a bare 0.000 or 1.000 for a value that is not 0 or 1.
        for p in [1e-4, 3e-7, 1.0 - 1e-4, 0.0004999] {
            let s = probability(p);
            assert!(s != "0.000" && s != "1.000", "{p} -> {s}");
        }
    }

    #[test]
    fn durations_and_counts() {
        assert_eq!(elapsed(93.4), "1m 33s");
        assert_eq!(elapsed(4000.0), "1h 06m");
        assert_eq!(elapsed(f64::NAN), "0s");
        assert_eq!(count(1, "ticker"), "1 ticker");
        assert_eq!(count(0, "ticker"), "0 tickers");
    }
}
