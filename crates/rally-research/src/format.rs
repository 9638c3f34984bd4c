//! Number formatting shared by every export: C's `%.17g`, the layout of the
//! golden files (17 significant digits round-trip any `f64`; whole numbers
//! print without a decimal point; NaN is an empty field).
//!
//! Why not `format!("{:.16e}")`: an export writes about a million numbers and
//! std's exact-precision path (Grisu with a Dragon fallback) was a fifth of
//! the whole export's CPU time. Every value the exports hold (prices,
//! probabilities, features, equity) lies where `x·10^k` is an exact `u128` computation, so the
//! 17 digits come from one exact integer product and a shift or division,
//! rounded half-to-even like glibc. Anything outside that range takes std's
//! path; both are checked against each other on millions of random values.

/// `printf("%.17g", x)`; NaN -> empty string (the tests' view of
/// [`push_g17`]).
#[cfg(test)]
fn g17(x: f64) -> String {
    let mut s = Vec::with_capacity(24);
    push_g17(&mut s, x);
    // Only ASCII is ever written.
    String::from_utf8(s).unwrap_or_default()
}

/// Append `printf("%.17g", x)` to `out` without allocating (exports write
/// millions of numbers, so the CSV text is built as bytes).
pub fn push_g17(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        return;
    }
    if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let (digits, exp) = digits17_exact(x.abs()).unwrap_or_else(|| digits17_std(x.abs()));
    let mut buf = [0u8; 32];
    let n = layout(&mut buf, x < 0.0, &digits, exp);
    out.extend_from_slice(&buf[..n]);
}

/// Append `YYYY-MM-DD` (chrono's `Display` for years 0..=9999) without the
/// formatting machinery.
pub fn push_date(out: &mut Vec<u8>, d: chrono::NaiveDate) {
    use chrono::Datelike as _;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        out.extend_from_slice(d.to_string().as_bytes());
        return;
    }
    let y = y as u32;
    let digit = |v: u32| b'0' + (v % 10) as u8;
    out.extend_from_slice(&[
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(day / 10),
        digit(day),
    ]);
}

const POW10: [u64; 20] = {
    let mut p = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};
const POW5: [u64; 28] = {
    let mut p = [1u64; 28];
    let mut i = 1;
    while i < 28 {
        p[i] = p[i - 1] * 5;
        i += 1;
    }
    p
};
const LO17: u64 = POW10[16];
const HI17: u64 = LO17 * 10;

/// The 17 correctly rounded significant digits of finite `v > 0` and the
/// decimal exponent of the first, or `None` outside the exact `u128` range.
fn digits17_exact(v: f64) -> Option<([u8; 17], i32)> {
    let bits = v.to_bits();
    let frac = bits & ((1u64 << 52) - 1);
    let bexp = ((bits >> 52) & 0x7ff) as i32;
    if bexp == 0 {
        return None; // subnormal: never in an export, let std handle it
    }
    let m = frac | (1u64 << 52);
    let e = bexp - 1075; // v = m · 2^e
    // floor(log10 v) to within one: log10(2) ≈ 78913 / 2^18.
    let mut e10 = ((e + 52) * 78913) >> 18;
    for _ in 0..3 {
        let s = 16 - e10; // want round(v · 10^s) in [10^16, 10^17)
        let (trunc, round_up) = scaled(m, e, s)?;
        if trunc < LO17 {
            e10 -= 1;
            continue;
        }
        if trunc >= HI17 {
            e10 += 1;
            continue;
        }
        let mut q = trunc + u64::from(round_up);
        if q == HI17 {
            q = LO17;
            e10 += 1;
        }
        return Some((ascii17(q), e10));
    }
    None
}

/// `(floor(m·2^e·10^s), whether round-half-even goes up)`, exactly, or
/// `None` when an intermediate would not fit 128 bits. For `s >= 0` the
/// product is taken as `m·5^s·2^(e+s)`: `5^27` fits 64 bits, which reaches
/// down to about `1e-10`.
fn scaled(m: u64, e: i32, s: i32) -> Option<(u64, bool)> {
    if s >= 0 {
        let p = u128::from(m) * u128::from(*POW5.get(s as usize)?);
        let t = e + s;
        if t >= 0 {
            let q = p.checked_shl(t as u32).filter(|q| q >> t == p)?;
            return Some((u64::try_from(q).ok()?, false));
        }
        let sh = t.unsigned_abs();
        if sh >= 128 {
            return None;
        }
        let q = p >> sh;
        let r = p & ((1u128 << sh) - 1);
        let half = 1u128 << (sh - 1);
        let up = r > half || (r == half && q & 1 == 1);
        Some((u64::try_from(q).ok()?, up))
    } else {
        // v >= 10^17 > 2^53, so e > 0 here.
        if !(0..=74).contains(&e) {
            return None;
        }
        let p = u128::from(m) << e;
        let d = u128::from(*POW10.get(s.unsigned_abs() as usize)?);
        let (q, r) = (p / d, p % d);
        let up = 2 * r > d || (2 * r == d && q & 1 == 1);
        Some((u64::try_from(q).ok()?, up))
    }
}

/// `00`, `01`, ..., `99`.
const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// The 8 decimal digits of `v < 10^8`, as four independent pairs (a chain
/// of 17 divisions by ten was the formatter's critical path).
#[inline]
fn ascii8(v: u32, out: &mut [u8]) {
    let (hi, lo) = (v / 10_000, v % 10_000);
    for (k, p) in [hi / 100, hi % 100, lo / 100, lo % 100]
        .into_iter()
        .enumerate()
    {
        out[2 * k..2 * k + 2].copy_from_slice(&PAIRS[p as usize]);
    }
}

/// The 17 decimal digits of `q` in `[10^16, 10^17)`.
fn ascii17(q: u64) -> [u8; 17] {
    let mut d = [b'0'; 17];
    let (head, rest) = (q / 10_000_000_000_000_000, q % 10_000_000_000_000_000);
    d[0] = b'0' + head as u8;
    ascii8((rest / 100_000_000) as u32, &mut d[1..9]);
    ascii8((rest % 100_000_000) as u32, &mut d[9..17]);
    d
}

/// The reference path: std's correctly rounded `{:.16e}`.
fn digits17_std(v: f64) -> ([u8; 17], i32) {
    let text = format!("{v:.16e}");
    let (mant, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let mut digits = [b'0'; 17];
    for (slot, b) in digits
        .iter_mut()
        .zip(mant.bytes().filter(u8::is_ascii_digit))
    {
        *slot = b;
    }
    (digits, exp.parse().unwrap_or(0))
}

/// `%.17g` layout of `digits · 10^(exp-16)` into `buf`; returns the length.
fn layout(buf: &mut [u8; 32], negative: bool, digits: &[u8; 17], exp: i32) -> usize {
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        buf[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    let mut last = 17;
    while last > 1 && digits[last - 1] == b'0' {
        last -= 1;
    }
    if negative {
        put(b"-");
    }
    if !(-4..17).contains(&exp) {
        put(&digits[..1]);
        if last > 1 {
            put(b".");
            put(&digits[1..last]);
        }
        put(if exp < 0 { b"e-" } else { b"e+" });
        let e = exp.unsigned_abs();
        if e >= 100 {
            put(&[b'0' + (e / 100) as u8]);
        }
        put(&[b'0' + (e / 10 % 10) as u8, b'0' + (e % 10) as u8]);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        put(&digits[..int_len]);
        if last > int_len {
            put(b".");
            put(&digits[int_len..last]);
        }
    } else {
        put(b"0.");
        for _ in 0..(-exp - 1) {
            put(b"0");
        }
        put(&digits[..last]);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::{digits17_exact, digits17_std, g17, push_date};

    #[test]
    fn dates_match_chrono_display() {
        let mut d = chrono::NaiveDate::from_ymd_opt(1899, 12, 25).unwrap_or_default();
        for _ in 0..60_000 {
            let mut s = Vec::new();
            push_date(&mut s, d);
            assert_eq!(s, d.to_string().as_bytes());
            d = d.succ_opt().unwrap_or_default();
        }
    }

    #[test]
    fn matches_printf_g17() {
        assert_eq!(g17(93.134384), "93.134383999999997");
        assert_eq!(g17(8164300.0), "8164300");
        assert_eq!(g17(0.0), "0");
        assert_eq!(g17(1.0), "1");
        assert_eq!(
            g17("3.9446187697354522e-65".parse().unwrap_or(0.0)),
            "3.9446187697354522e-65"
        );
        assert_eq!(g17(0.1134020618556701), "0.1134020618556701");
        assert_eq!(g17(0.0001), "0.0001");
        assert_eq!(g17(0.1), "0.10000000000000001");
        assert_eq!(g17(1e17), "1e+17");
        assert_eq!(g17(1e100), "1e+100");
        assert_eq!(g17(-2.5), "-2.5");
        assert_eq!(g17(f64::NAN), "");
        assert_eq!(g17(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(g17(5e-324), "4.9406564584124654e-324");
        for x in [0.1, 1.0 / 3.0, 123456.789, 1e-300, 6.02e23] {
            assert_eq!(g17(x).parse::<f64>().ok(), Some(x));
        }
    }

    /// splitmix64: a fixed stream of test values without a dependency.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn agrees(v: f64) {
        if let Some(fast) = digits17_exact(v) {
            assert_eq!(fast, digits17_std(v), "{v:e} ({:#x})", v.to_bits());
        }
    }

    #[test]
    fn exact_path_equals_std_on_random_bit_patterns() {
        let mut state = 7;
        let mut covered = 0;
        for _ in 0..300_000 {
            let v = f64::from_bits(next(&mut state) >> 1);
            if v.is_finite() && v > 0.0 {
                covered += usize::from(digits17_exact(v).is_some());
                agrees(v);
            }
        }
        // Random exponents mostly fall outside the exact range; the next
        // test covers the range the exports live in.
        assert!(covered > 1000, "{covered}");
    }

    #[test]
    fn exact_path_covers_and_equals_std_on_export_magnitudes() {
        let mut state = 11;
        for _ in 0..300_000 {
            let r = next(&mut state);
            // Mantissa random, exponent spread over 1e-10 .. 1e19.
            let e10 = (r % 30) as i32 - 10;
            let unit = (next(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
            let v = (1.0 + 9.0 * unit) * 10f64.powi(e10);
            assert!(digits17_exact(v).is_some(), "{v:e} not on the exact path");
            agrees(v);
        }
    }

    #[test]
    fn exact_path_handles_boundaries_and_ties() {
        // Powers of ten and their neighbours flip the exponent estimate;
        // small integers and halves are exact ties at the 17th digit.
        for k in -10..=19 {
            let p = 10f64.powi(k);
            for v in [p, p.next_up(), p.next_down(), 9.999_999_999_999_999 * p] {
                agrees(v);
            }
        }
        for i in 1..20_000u32 {
            let v = f64::from(i);
            agrees(v);
            agrees(v + 0.5);
            agrees(v / 1024.0);
            agrees(f64::from(i) * 1e12 + 0.5);
        }
        let two53 = 9_007_199_254_740_993.0_f64; // rounds to an even neighbour
        agrees(two53);
        agrees(123_456_789_012_345_678.0);
    }
}
