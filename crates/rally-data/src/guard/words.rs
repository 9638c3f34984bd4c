//! How the guard's report lines write prices, volumes and ratios
//! (`0.10 → 19,900 → 10.1`, `×1/2.00`).

/// A price for a report line: `0.10`, `10.1`, `19,900`, `1.00e20`.
pub fn format_price(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() || a >= 1e9 {
        return if v.is_finite() {
            format!("{v:.2e}")
        } else {
            v.to_string()
        };
    }
    if a >= 1000.0 {
        return group_thousands(v.round());
    }
    if a == 0.0 {
        return "0".into();
    }
    // Three significant digits from 1 up, two below.
    let digits = if a >= 1.0 { 3 } else { 2 };
    let magnitude = a.log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    format!("{v:.decimals$}")
}

/// A volume for a report line: `1,200,000`, `1.00e308`.
pub fn format_volume(v: f64) -> String {
    if !v.is_finite() || v.abs() >= 1e15 {
        return if v.is_finite() {
            format!("{v:.2e}")
        } else {
            v.to_string()
        };
    }
    group_thousands(v.round())
}

fn group_thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0.0 {
        out.push('-');
    }
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(super) fn format_ratio(q: f64) -> String {
    if q.fract() == 0.0 {
        format!("{q:.0}")
    } else {
        format!("{q}")
    }
}

pub(super) fn format_factor(f: f64) -> String {
    if f >= 1.0 {
        format!("{f:.2}")
    } else {
        format!("1/{:.2}", 1.0 / f)
    }
}
