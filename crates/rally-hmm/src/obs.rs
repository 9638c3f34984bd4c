//! Observations of METHOD §4: `o[t] = (ln(C[t]/C[t-1]), ln(H[t]/L[t]))`.

/// Observations of METHOD §4: `o[t] = (ln(C[t]/C[t-1]), ln(H[t]/L[t]))` for
/// `t >= 1`; row 0 (no previous close) is `[NaN, NaN]`. Bad prices (zero,
/// negative, NaN) simply give non-finite rows, which [`crate::fit`] rejects and
/// [`crate::filter`] skips.
///
/// # Panics
/// If the three slices do not have the same length (a caller bug, not a data
/// condition).
pub fn observations(high: &[f64], low: &[f64], close: &[f64]) -> Vec<[f64; 2]> {
    assert!(
        high.len() == close.len() && low.len() == close.len(),
        "observations: high/low/close lengths differ ({}, {}, {})",
        high.len(),
        low.len(),
        close.len()
    );
    let mut out = Vec::with_capacity(close.len());
    if close.is_empty() {
        return out;
    }
    out.push([f64::NAN, f64::NAN]);
    for t in 1..close.len() {
        out.push([(close[t] / close[t - 1]).ln(), (high[t] / low[t]).ln()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_row_nan_then_logs() {
        let o = observations(&[2.0, 4.0], &[1.0, 1.0], &[1.0, std::f64::consts::E]);
        assert!(o[0][0].is_nan() && o[0][1].is_nan());
        assert!((o[1][0] - 1.0).abs() < 1e-15);
        assert!((o[1][1] - 4f64.ln()).abs() < 1e-15);
        assert!(observations(&[], &[], &[]).is_empty());
    }
}
