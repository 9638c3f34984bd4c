//! Number formatting shared by every export: C's `%.17g`, the layout of the
//! golden files (17 significant digits round-trip any `f64`; whole numbers
//! print without a decimal point; NaN is an empty field).

/// `printf("%.17g", x)`; NaN -> empty string.
pub fn g17(x: f64) -> String {
    if x.is_nan() {
        return String::new();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` is correctly rounded, like glibc's printf.
    let e = format!("{:.16e}", x);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if !(-4..17).contains(&exp) {
        let mut m = format!("{}.{}", &digits[..1], &digits[1..]);
        trim_zeros(&mut m);
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{es}{:02}", exp.abs());
    }
    let mut s = if exp >= 0 {
        let int_len = exp as usize + 1;
        format!("{}.{}", &digits[..int_len], &digits[int_len..])
    } else {
        format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
    };
    trim_zeros(&mut s);
    format!("{sign}{s}")
}

fn trim_zeros(s: &mut String) {
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
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
        assert_eq!(g17(3.9446187697354522e-65), "3.9446187697354522e-65");
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
