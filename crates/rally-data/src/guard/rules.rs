//! The guard's rules, one function each, in the order `guard` applies
//! them (see the module doc of `guard` for the thresholds and why).

use chrono::{Days, NaiveDate};

use super::*;
use crate::series::Series;

pub(super) fn drop_future(mut s: Series, now: NaiveDate, report: &mut GuardReport) -> Series {
    let limit = now
        .checked_add_days(Days::new(FUTURE_ALLOWANCE_DAYS))
        .unwrap_or(NaiveDate::MAX);
    let n = s.dates.partition_point(|d| *d <= limit);
    if n < s.len() {
        report.events.push(GuardEvent::FutureRows {
            first: s.dates[n],
            last: s.dates[s.len() - 1],
            count: s.len() - n,
            now,
        });
        s.truncate_to(limit);
    }
    s
}

pub(super) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

pub(super) fn repair_volumes(s: &mut Series, report: &mut GuardReport) {
    let mut positive: Vec<f64> = s.volume.iter().copied().filter(|v| *v > 0.0).collect();
    let med = median(&mut positive);
    for i in 0..s.len() {
        let v = s.volume[i];
        let absurd = v > VOLUME_MAX
            || !(v * s.close[i]).is_finite()
            || (med > 0.0 && v > VOLUME_FACTOR * med);
        if absurd {
            report.events.push(GuardEvent::AbsurdVolume {
                date: s.dates[i],
                volume: v,
                median: med,
            });
            s.volume[i] = 0.0;
        }
    }
}

/// Median absolute daily log return of `x` (consecutive differences).
pub(super) fn abs_return_median(x: &[f64]) -> f64 {
    let mut r: Vec<f64> = x.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    median(&mut r)
}

/// The robust scale at position `p` of the kept log closes `x`: trailing
/// median absolute return, the whole series' when too few precede.
pub(super) fn scale_at(x: &[f64], p: usize, whole: f64) -> f64 {
    let lo = p.saturating_sub(SCALE_WINDOW + 1);
    if p - lo > SCALE_MIN_RETURNS {
        abs_return_median(&x[lo..p])
    } else {
        whole
    }
}

/// Marks the bars to drop (absurd level, bad open, spikes) and reports them.
pub(super) fn find_bad_prints(s: &Series, report: &mut GuardReport) -> Vec<bool> {
    let n = s.len();
    let mut dropped = vec![false; n];
    let mut bad_open = vec![false; n];
    if n == 0 {
        return dropped;
    }
    let one_sided = ONE_SIDED_MIN_FACTOR.ln();
    let absurd = ABSURD_FACTOR.ln();
    let mut closes = s.close.clone();
    let level = median(&mut closes).ln();
    let whole = abs_return_median(&s.close.iter().map(|c| c.ln()).collect::<Vec<_>>());
    for i in 0..n {
        if (s.close[i].ln() - level).abs() >= absurd {
            dropped[i] = true;
        } else if (s.open[i] / s.close[i]).ln().abs() >= one_sided.max(SPIKE_SCALES * whole) {
            dropped[i] = true;
            bad_open[i] = true;
            report.events.push(GuardEvent::BadOpen {
                date: s.dates[i],
                open: s.open[i],
                close: s.close[i],
            });
        }
    }
    for _ in 0..SPIKE_PASSES {
        let idx: Vec<usize> = (0..n).filter(|i| !dropped[*i]).collect();
        let x: Vec<f64> = idx.iter().map(|i| s.close[*i].ln()).collect();
        let whole = abs_return_median(&x);
        let spikes: Vec<usize> = (0..x.len())
            .filter(|p| is_spike(&x, *p, whole))
            .map(|p| idx[p])
            .collect();
        if spikes.is_empty() {
            break;
        }
        for i in spikes {
            dropped[i] = true;
        }
    }
    for i in (0..n).filter(|i| dropped[*i] && !bad_open[*i]) {
        report.events.push(GuardEvent::BadPrint {
            date: s.dates[i],
            prev: i.checked_sub(1).map(|j| s.close[j]),
            close: s.close[i],
            next: s.close.get(i + 1).copied(),
        });
    }
    sort_events_by_date(report);
    dropped
}

/// Keeps bar-level events in date order (bad opens were found before spikes).
pub(super) fn sort_events_by_date(report: &mut GuardReport) {
    let key = |e: &GuardEvent| match e {
        GuardEvent::BadOpen { date, .. } | GuardEvent::BadPrint { date, .. } => Some(*date),
        _ => None,
    };
    let start = report.events.iter().position(|e| key(e).is_some());
    if let Some(start) = start {
        report.events[start..].sort_by_key(|e| key(e));
    }
}

/// Whether kept log close `x[p]` is a spike (see the module doc).
pub(super) fn is_spike(x: &[f64], p: usize, whole: f64) -> bool {
    let left = &x[p.saturating_sub(NEIGHBOURS)..p];
    let right = &x[(p + 1).min(x.len())..(p + 1 + NEIGHBOURS).min(x.len())];
    // Medians of at most NEIGHBOURS values, on the stack: this runs for
    // every bar of every ticker of every run.
    let level = |side: &[f64]| {
        let mut buf = [0.0; NEIGHBOURS];
        let n = side.len().min(NEIGHBOURS);
        buf[..n].copy_from_slice(&side[..n]);
        median(&mut buf[..n])
    };
    match (left.is_empty(), right.is_empty()) {
        (false, false) => {
            let (dl, dr) = (x[p] - level(left), x[p] - level(right));
            let dev = dl.abs().min(dr.abs());
            dl.signum() == dr.signum()
                && dev >= SPIKE_MIN_FACTOR.ln()
                && dev >= SPIKE_SCALES * scale_at(x, p, whole)
        }
        // The first bar: only the bars after it can vouch for it.
        (true, false) => {
            (x[p] - level(right)).abs() >= ONE_SIDED_MIN_FACTOR.ln().max(SPIKE_SCALES * whole)
        }
        // The last bar is judged in `find_unconfirmed_jump` (quarantine).
        _ => false,
    }
}

pub(super) fn keep(s: &Series, dropped: &[bool]) -> Series {
    let mut out = Series::with_capacity(s.ticker.clone(), s.len());
    for i in (0..s.len()).filter(|i| !dropped[*i]) {
        out.push(s.bar(i));
    }
    out
}

pub(super) fn repair_wicks(s: &mut Series, report: &mut GuardReport) {
    let x: Vec<f64> = s.close.iter().map(|c| c.ln()).collect();
    let factor = ONE_SIDED_MIN_FACTOR
        .ln()
        .max(SPIKE_SCALES * abs_return_median(&x))
        .exp();
    for i in 0..s.len() {
        let top = s.open[i].max(s.close[i]);
        let bottom = s.open[i].min(s.close[i]);
        if s.high[i] > top * factor {
            report.events.push(GuardEvent::BadHigh {
                date: s.dates[i],
                high: s.high[i],
                to: top,
            });
            s.high[i] = top;
        }
        if s.low[i] < bottom / factor {
            report.events.push(GuardEvent::BadLow {
                date: s.dates[i],
                low: s.low[i],
                to: bottom,
            });
            s.low[i] = bottom;
        }
    }
}

/// The split ratio a move's factor is close to, if any.
/// The split ratio a log move `step` matches within [`SPLIT_TOLERANCE`],
/// given the ratios' logarithms (computed once per series: this runs for
/// every bar of every ticker of every run).
pub(super) fn nearest_split(step: f64, log_ratios: &[f64; SPLIT_RATIOS.len()]) -> Option<f64> {
    let r = step.abs();
    // Below the smallest ratio no ratio can match: most bars stop here.
    if r < log_ratios[0] - SPLIT_TOLERANCE {
        return None;
    }
    SPLIT_RATIOS
        .iter()
        .zip(log_ratios)
        .find(|(_, lq)| (r - *lq).abs() <= SPLIT_TOLERANCE)
        .map(|(q, _)| *q)
}

pub(super) fn find_split_like(s: &Series) -> Vec<GuardEvent> {
    let x: Vec<f64> = s.close.iter().map(|c| c.ln()).collect();
    let whole = abs_return_median(&x);
    let log_ratios = SPLIT_RATIOS.map(f64::ln);
    let mut out = Vec::new();
    for p in 1..x.len() {
        let step = x[p] - x[p - 1];
        let Some(split) = nearest_split(step, &log_ratios) else {
            continue;
        };
        if step.abs() < SPLIT_SCALES * scale_at(&x, p, whole) {
            continue;
        }
        // A step: the moves around it are all small and it does not revert.
        let lo = p.saturating_sub(SPLIT_CALM_BARS);
        let hi = (p + SPLIT_CALM_BARS).min(x.len() - 1);
        if hi <= p {
            continue;
        }
        let calm = (lo + 1..=hi)
            .filter(|q| *q != p)
            .all(|q| (x[q] - x[q - 1]).abs() < step.abs() / 4.0);
        if !calm {
            continue;
        }
        let mut after: Vec<f64> = s.volume[p + 1..=hi].to_vec();
        let after = median(&mut after);
        if after > 0.0 && s.volume[p] > SPLIT_VOLUME_SPIKE * after {
            continue;
        }
        out.push(GuardEvent::SplitLike {
            date: s.dates[p],
            prev: s.close[p - 1],
            close: s.close[p],
            ratio: step.exp(),
            split,
        });
    }
    out
}

pub(super) fn find_unconfirmed_jump(s: &Series) -> Option<GuardEvent> {
    let n = s.len();
    if n < 3 {
        return None;
    }
    let x: Vec<f64> = s.close.iter().map(|c| c.ln()).collect();
    let p = n - 1;
    let left = median(&mut x[p.saturating_sub(NEIGHBOURS)..p].to_vec());
    let jump = (x[p] - left).abs();
    let whole = abs_return_median(&x);
    let largest_earlier = x[..p]
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f64::max);
    (jump
        >= ONE_SIDED_MIN_FACTOR
            .ln()
            .max(SPIKE_SCALES * scale_at(&x, p, whole))
        && jump > 2.0 * largest_earlier)
        .then(|| GuardEvent::UnconfirmedJump {
            date: s.dates[p],
            prev: s.close[p - 1],
            close: s.close[p],
        })
}

pub(super) fn find_constant(s: &Series) -> Option<GuardEvent> {
    let last = *s.close.last()?;
    let run = s.close.iter().rev().take_while(|c| **c == last).count();
    let whole = run == s.len() && s.len() > 1;
    (whole || run >= STALE_MIN_BARS).then(|| GuardEvent::ConstantPrice {
        since: s.dates[s.len() - run],
        close: last,
        bars: run,
    })
}
