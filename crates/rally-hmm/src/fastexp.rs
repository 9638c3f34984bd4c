//! A branch-free `exp` for whole buffers.
//!
//! Why: the E-step and the filter need three exponentials per row, and libm's
//! scalar `exp` (~9 ns here) was the largest single cost. This version is
//! plain arithmetic and bit operations with no branches or calls, so the
//! compiler vectorises the buffer loop; its error is about 1 ulp (measured in
//! the tests below), far inside the 1e-6 parity budget.
//!
//! Method (the classic table-driven one): Cody–Waite reduction
//! `x = k·ln2/64 + r`, `|r| <= ln2/128`, a degree-5 polynomial for `e^r`, and
//! `2^(k/64)` = a 64-entry table of `2^(j/64)` with `k div 64` added directly
//! into its exponent bits. Results below `e^-708`
//! (subnormal range) are flushed to 0, which only ever happens to the
//! non-maximal states of a row whose maximum is 1, so nothing measurable is
//! lost.

use std::sync::LazyLock;

/// Table size: `x = (64·m + j)·ln2/64 + r`, `|r| <= ln2/128`.
const N: usize = 64;
const N_OVER_LN2: f64 = N as f64 * std::f64::consts::LOG2_E;
/// High part of ln2/64 with trailing zero bits, so `k·LN2N_HI` is exact for
/// every `|k| < 2^17`; LN2N_LO is the remainder.
/// (fdlibm's `ln2_hi`/`ln2_lo`, divided by 64 exactly.)
const LN2N_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000) / N as f64;
const LN2N_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76) / N as f64;
/// 1.5·2^52: adding it rounds to an integer and leaves that integer (two's
/// complement) in the low mantissa bits.
const SHIFT: f64 = 6_755_399_441_055_744.0;
const SHIFT_BITS: u64 = 0x4338_0000_0000_0000;
const LO: f64 = -708.0;
#[cfg(test)]
const HI: f64 = 709.0;

/// `2^(j/64)`, `j = 0..64`, from libm's `exp2` (correctly rounded or within
/// an ulp).
static TABLE: LazyLock<[f64; N]> =
    LazyLock::new(|| std::array::from_fn(|j| (j as f64 / N as f64).exp2()));

/// `e^x` (see the module doc for accuracy and range).
#[cfg(test)]
#[inline(always)]
fn exp_with(x: f64, table: &[f64; N]) -> f64 {
    let y = exp_core(x.clamp(LO, HI), table);
    // Plain selects (no early returns) so a buffer loop stays vectorised.
    let y = if x < LO { 0.0 } else { y };
    let y = if x > HI { f64::INFINITY } else { y };
    if x.is_nan() { x } else { y }
}

/// `e^x` for `x <= 0` or NaN, the only inputs the callers have (log
/// emissions shifted by their row maximum; NaN rows in the filter). Same
/// result as the general `exp_with` there, with a third of its range handling: the
/// lower clamp is one `maxpd` that lets NaN through (NaN then propagates
/// through the arithmetic by itself), and the upper clamp and NaN select
/// are not needed.
#[inline(always)]
fn exp_nonpos(x: f64, table: &[f64; N]) -> f64 {
    #[allow(clippy::manual_clamp)] // `max`/`clamp` would swallow a NaN
    let xc = if LO > x { LO } else { x };
    let y = exp_core(xc, table);
    if x < LO { 0.0 } else { y }
}

/// `e^x` for `x` in `[LO, HI]` (NaN in, NaN out).
#[inline(always)]
fn exp_core(xc: f64, table: &[f64; N]) -> f64 {
    // The table index is masked so a NaN cannot take it out of bounds.
    let t = xc * N_OVER_LN2 + SHIFT;
    let kf = t - SHIFT;
    let r = (xc - kf * LN2N_HI) - kf * LN2N_LO;
    let k = t.to_bits().wrapping_sub(SHIFT_BITS) as i64;
    let j = (k & (N as i64 - 1)) as usize;
    // 2^(k div 64) goes straight into the exponent bits of 2^(j/64).
    let scale = f64::from_bits(table[j].to_bits().wrapping_add(((k >> 6) << 52) as u64));
    // e^r - 1 to degree 5 (truncation < 4e-17 relative for |r| <= ln2/128);
    // adding it as `scale + scale·q` keeps the rounding error near half an ulp.
    let r2 = r * r;
    let q = r + r2 * ((0.5 + r * (1.0 / 6.0)) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
    scale + scale * q
}

/// `e^x` for one value (tests and scalar callers).
#[cfg(test)]
fn exp(x: f64) -> f64 {
    exp_with(x, &TABLE)
}

/// `v = e^v` for every element; every element must be `<= 0` or NaN.
#[inline(never)]
pub(crate) fn exp_in_place(v: &mut [f64]) {
    let table: &[f64; N] = &TABLE;
    for x in v.iter_mut() {
        debug_assert!(
            x.is_nan() || *x <= 0.0,
            "exp_in_place needs x <= 0, got {x}"
        );
        *x = exp_nonpos(*x, table);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm_to_about_one_ulp() {
        let mut worst = 0.0f64;
        let mut x = -708.0;
        while x < 709.0 {
            let (a, b) = (exp(x), x.exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.000_731_3;
        }
        assert!(worst < 4.5e-16, "worst relative error {worst:e}");
    }

    /// The buffer version (non-positive inputs) equals the general one
    /// bitwise, including the flush to 0 and NaN.
    #[test]
    fn in_place_matches_general_on_nonpositive() {
        let mut xs: Vec<f64> = (0..200_000).map(|i| -(i as f64) * 0.003_71).collect();
        xs.extend([
            0.0,
            -0.0,
            -708.0,
            -708.5,
            -745.2,
            -1e300,
            f64::NEG_INFINITY,
            f64::NAN,
        ]);
        let mut v = xs.clone();
        exp_in_place(&mut v);
        for (x, y) in xs.iter().zip(&v) {
            let want = exp(*x);
            assert!(
                want.to_bits() == y.to_bits() || (want.is_nan() && y.is_nan()),
                "{x}: {y} vs {want}"
            );
        }
    }

    #[test]
    fn special_values() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(-1e300), 0.0);
        assert_eq!(exp(-720.0), 0.0);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(800.0), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert!((exp(1.0) / std::f64::consts::E - 1.0).abs() < 4.5e-16);
    }
}
