//! [`UnixTime`]: the one way Reef writes down a point in time, in the store and above it.

use std::fmt;
use std::ops::{Add, Sub};

use rusqlite::ToSql;
use rusqlite::types::{FromSql, FromSqlResult, ToSqlOutput, ValueRef};

/// A point in time: whole seconds since the Unix epoch (1970-01-01T00:00:00Z), UTC. Stored as
/// an SQLite integer. Adding or subtracting an `i64` moves it by that many seconds; the
/// difference of two is in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// Seconds since the Unix epoch.
    pub fn seconds(self) -> i64 {
        self.0
    }
}

impl Add<i64> for UnixTime {
    type Output = UnixTime;

    /// `self` moved `secs` seconds later (saturating at the ends of `i64`).
    fn add(self, secs: i64) -> UnixTime {
        UnixTime(self.0.saturating_add(secs))
    }
}

impl Sub<i64> for UnixTime {
    type Output = UnixTime;

    /// `self` moved `secs` seconds earlier (saturating at the ends of `i64`).
    fn sub(self, secs: i64) -> UnixTime {
        UnixTime(self.0.saturating_sub(secs))
    }
}

impl Sub for UnixTime {
    type Output = i64;

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    fn sub(self, earlier: UnixTime) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// The number of seconds, as in list cursors (`<updated_at>.<id>`).
impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ToSql for UnixTime {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0))
    }
}

impl FromSql for UnixTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(UnixTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_in_seconds_and_never_overflows() {
        let t = UnixTime(1_000);
        assert_eq!(t + 60, UnixTime(1_060));
        assert_eq!(t - 60, UnixTime(940));
        assert_eq!(UnixTime(1_060) - t, 60);
        assert_eq!(UnixTime(i64::MAX) + 1, UnixTime(i64::MAX));
        assert_eq!(UnixTime(i64::MIN) - 1, UnixTime(i64::MIN));
        assert_eq!(t.to_string(), "1000");
    }
}
