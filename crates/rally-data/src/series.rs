//! The per-ticker daily bar series and VIX as-of alignment.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One adjusted daily bar (METHOD §1): prices scaled by `adj_close / close`,
/// volume unadjusted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub date: NaiveDate,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// A ticker's cleaned, adjusted bars in ascending date order, stored by column
/// so the numerics can work on plain slices.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Series {
    pub ticker: String,
    /// Stored as day numbers in serialised form: decoding a cache of 500
    /// tickers should not parse 3.5 million date strings.
    #[serde(with = "day_numbers")]
    pub dates: Vec<NaiveDate>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl Series {
    pub fn new(ticker: impl Into<String>) -> Series {
        Series {
            ticker: ticker.into(),
            ..Series::default()
        }
    }

    pub fn with_capacity(ticker: impl Into<String>, n: usize) -> Series {
        Series {
            ticker: ticker.into(),
            dates: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: Vec::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    pub fn push(&mut self, b: Bar) {
        self.dates.push(b.date);
        self.open.push(b.open);
        self.high.push(b.high);
        self.low.push(b.low);
        self.close.push(b.close);
        self.volume.push(b.volume);
    }

    pub fn bar(&self, i: usize) -> Bar {
        Bar {
            date: self.dates[i],
            open: self.open[i],
            high: self.high[i],
            low: self.low[i],
            close: self.close[i],
            volume: self.volume[i],
        }
    }

    pub fn first_date(&self) -> Option<NaiveDate> {
        self.dates.first().copied()
    }

    pub fn last_date(&self) -> Option<NaiveDate> {
        self.dates.last().copied()
    }

    /// Keep only bars dated on or before `date`.
    pub fn truncate_to(&mut self, date: NaiveDate) {
        let n = self.dates.partition_point(|d| *d <= date);
        self.dates.truncate(n);
        self.open.truncate(n);
        self.high.truncate(n);
        self.low.truncate(n);
        self.close.truncate(n);
        self.volume.truncate(n);
    }

    /// Append the bars of `newer` dated after our last bar (incremental refresh).
    /// Returns how many bars were appended.
    pub fn extend_after(&mut self, newer: &Series) -> usize {
        let start = match self.last_date() {
            Some(last) => newer.dates.partition_point(|d| *d <= last),
            None => 0,
        };
        for i in start..newer.len() {
            self.push(newer.bar(i));
        }
        newer.len() - start
    }
}

/// Serde helper: dates as days since 0001-01-01 (CE).
mod day_numbers {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(dates: &[NaiveDate], s: S) -> Result<S::Ok, S::Error> {
        let days: Vec<i32> = dates.iter().map(|d| d.num_days_from_ce()).collect();
        days.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
        let days = Vec::<i32>::deserialize(d)?;
        days.into_iter()
            .map(|n| {
                NaiveDate::from_num_days_from_ce_opt(n)
                    .ok_or_else(|| serde::de::Error::custom(format!("day number {n} out of range")))
            })
            .collect()
    }
}

/// The same month and day `years` earlier (29 February becomes 28 February).
pub fn years_before(d: NaiveDate, years: i32) -> NaiveDate {
    use chrono::Datelike;
    let y = d.year() - years;
    NaiveDate::from_ymd_opt(y, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, d.month(), 28))
        .unwrap_or(d)
}

/// `out[t]` = the value on the latest `src_dates` date `<= dates[t]`, NaN if
/// there is none (METHOD §1.3). Both date lists ascending.
pub fn align_asof(dates: &[NaiveDate], src_dates: &[NaiveDate], src_values: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(dates.len());
    let mut j = 0usize;
    for d in dates {
        while j < src_dates.len() && src_dates[j] <= *d {
            j += 1;
        }
        out.push(if j == 0 { f64::NAN } else { src_values[j - 1] });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn years_before_handles_leap_day() {
        assert_eq!(years_before(d("2024-02-29"), 5), d("2019-02-28"));
        assert_eq!(years_before(d("2026-08-21"), 5), d("2021-08-21"));
    }

    #[test]
    fn asof_takes_latest_earlier_or_equal_date() {
        let src = [d("2024-01-02"), d("2024-01-04"), d("2024-01-08")];
        let vals = [1.0, 2.0, 3.0];
        let dates = [
            d("2024-01-01"),
            d("2024-01-02"),
            d("2024-01-03"),
            d("2024-01-06"),
            d("2024-01-08"),
            d("2024-01-09"),
        ];
        let out = align_asof(&dates, &src, &vals);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], &[1.0, 1.0, 2.0, 3.0, 3.0]);
    }

    #[test]
    fn extend_after_appends_only_newer_bars() {
        let mut a = Series::new("X");
        let mut b = Series::new("X");
        for (i, day) in ["2024-01-02", "2024-01-03", "2024-01-04"]
            .iter()
            .enumerate()
        {
            let bar = Bar {
                date: d(day),
                open: 1.0,
                high: 1.0,
                low: 1.0,
                close: i as f64 + 1.0,
                volume: 0.0,
            };
            if i < 2 {
                a.push(bar);
            }
            b.push(bar);
        }
        assert_eq!(a.extend_after(&b), 1);
        assert_eq!(a.close, vec![1.0, 2.0, 3.0]);
        assert_eq!(a.extend_after(&b), 0);
    }
}
