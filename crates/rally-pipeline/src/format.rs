//! Number formatting shared by every export: C's `%.17g`, the layout of the
//! golden files (17 significant digits round-trip any `f64`; whole numbers
//! print without a decimal point; NaN is an empty field).

/// `printf("%.17g", x)`; NaN -> empty string.
pub fn g17(x: f64) -> String {
    let mut s = String::with_capacity(24);
    push_g17(&mut s, x);
    s
}

/// Append `printf("%.17g", x)` to `out` without allocating (exports write
/// millions of numbers).
pub fn push_g17(out: &mut String, x: f64) {
    use std::io::Write as _;
    if x.is_nan() {
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    // Rust's `{:e}` is correctly rounded, like glibc's printf.
    let mut buf = [0u8; 40];
    let len = {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        if write!(cur, "{:.16e}", x.abs()).is_err() {
            return;
        }
        cur.position() as usize
    };
    let text = &buf[..len];
    let epos = text.iter().position(|&b| b == b'e').unwrap_or(len);
    let exp: i32 = std::str::from_utf8(&text[epos + 1..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    // 17 significant digits, without the decimal point.
    let mut digits = [0u8; 17];
    let mut k = 0;
    for &b in &text[..epos] {
        if b.is_ascii_digit() && k < 17 {
            digits[k] = b;
            k += 1;
        }
    }
    let mut last = k;
    while last > 1 && digits[last - 1] == b'0' {
        last -= 1;
    }
    if x < 0.0 {
        out.push('-');
    }
    // The digits are ASCII, so this never fails; one `push_str` per run.
    let push = |out: &mut String, d: &[u8]| out.push_str(std::str::from_utf8(d).unwrap_or(""));
    if !(-4..17).contains(&exp) {
        push(out, &digits[..1]);
        if last > 1 {
            out.push('.');
            push(out, &digits[1..last]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        push(out, &digits[..int_len]);
        if last > int_len {
            out.push('.');
            push(out, &digits[int_len..last]);
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        push(out, &digits[..last]);
    }
}

#[cfg(test)]
mod tests {
    use super::g17;

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
        assert_eq!(g17(1e17), "1e+17");
        assert_eq!(g17(-2.5), "-2.5");
        assert_eq!(g17(f64::NAN), "");
        for x in [0.1, 1.0 / 3.0, 123456.789, 1e-300, 6.02e23] {
            assert_eq!(g17(x).parse::<f64>().ok(), Some(x));
        }
    }
}
