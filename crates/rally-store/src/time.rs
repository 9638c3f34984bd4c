//! Timestamps as each backend stores them.
//!
//! SQLite has no timestamp type: sqlx encodes `DateTime<Utc>` as text with a
//! variable number of fractional digits, which breaks ordering by text
//! comparison (`next_attempt_at <= ?`). Every timestamp the store writes is
//! therefore bound as a [`Ts`]: on SQLite the fixed-width text of
//! [`format_ts`] (RFC 3339, UTC, `Z`, always microseconds), on PostgreSQL a
//! `timestamptz` (microseconds too). Both decode back as `DateTime<Utc>`, so
//! the same instant reads back the same on either.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Encode, Postgres, Sqlite, Type};

/// Fixed-width RFC 3339 text of a UTC timestamp, e.g. `2024-05-01T21:30:00.000000Z`.
pub fn format_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A timestamp bound to a query, encoded as its backend stores timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ts(pub(crate) DateTime<Utc>);

impl Type<Sqlite> for Ts {
    fn type_info() -> <Sqlite as Database>::TypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'_, Sqlite>>::encode(format_ts(self.0), buf)
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> <Postgres as Database>::TypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer,
    ) -> Result<IsNull, BoxDynError> {
        // sqlx truncates to microseconds, as `format_ts` does for SQLite:
        // both keep the same instant.
        <DateTime<Utc> as Encode<'_, Postgres>>::encode(self.0, buf)
    }
}
