//! Timestamp text format.
//!
//! sqlx encodes `DateTime<Utc>` with a variable number of fractional digits,
//! which breaks ordering by text comparison (`next_attempt_at <= ?`). Every
//! timestamp the store writes therefore goes through [`format_ts`]: RFC 3339,
//! UTC, `Z` suffix, always microseconds. sqlx decodes it back as `DateTime<Utc>`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Fixed-width RFC 3339 text of a UTC timestamp, e.g. `2024-05-01T21:30:00.000000Z`.
pub fn format_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}
