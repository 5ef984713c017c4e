//! Calendar dates and local date-times as they are stored: ISO 8601 text, so the documents
//! stay readable and compare in order.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day (`2026-11-22`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// A wall-clock time in the street's own time zone (`2026-12-03T15:00`). Meetings happen
/// at a place, so they are kept in local time, not UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDateTime(pub NaiveDateTime);

const DATE_FORMAT: &str = "%Y-%m-%d";
const DATE_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M";

impl Date {
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        NaiveDate::from_ymd_opt(year, month, day).map(Date)
    }

    /// The day `days` later (or earlier, when negative); saturates at chrono's range.
    /// (`chrono::Duration::days` panics past its range: a renewal by a huge number of days
    /// took the process down; the fuzzer found it.)
    pub fn add_days(self, days: i64) -> Date {
        let limit = if days < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        };
        Date(
            chrono::Duration::try_days(days)
                .and_then(|d| self.0.checked_add_signed(d))
                .unwrap_or(limit),
        )
    }

    pub fn days_until(self, other: Date) -> i64 {
        (other.0 - self.0).num_days()
    }

    /// The day of a Unix-millisecond timestamp, in UTC.
    pub fn from_unix_ms(ms: i64) -> Date {
        Date(
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.date_naive())
                .unwrap_or_default(),
        )
    }
}

impl LocalDateTime {
    pub fn date(self) -> Date {
        Date(self.0.date())
    }

    /// Like [`Date::add_days`], saturating at chrono's range.
    pub fn add_days(self, days: i64) -> LocalDateTime {
        let limit = if days < 0 {
            NaiveDateTime::MIN
        } else {
            NaiveDateTime::MAX
        };
        LocalDateTime(
            chrono::Duration::try_days(days)
                .and_then(|d| self.0.checked_add_signed(d))
                .unwrap_or(limit),
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(DATE_FORMAT))
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(DATE_TIME_FORMAT))
    }
}

/// Text that is not a date or date-time in the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {expected}")]
pub struct ParseTimeError {
    pub input: String,
    pub expected: &'static str,
}

impl FromStr for Date {
    type Err = ParseTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveDate::parse_from_str(s.trim(), DATE_FORMAT)
            .map(Date)
            .map_err(|_| ParseTimeError {
                input: s.to_string(),
                expected: "date (YYYY-MM-DD)",
            })
    }
}

impl FromStr for LocalDateTime {
    type Err = ParseTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        NaiveDateTime::parse_from_str(s, DATE_TIME_FORMAT)
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
            .map(LocalDateTime)
            .map_err(|_| ParseTimeError {
                input: s.to_string(),
                expected: "date and time (YYYY-MM-DDTHH:MM)",
            })
    }
}

macro_rules! text_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "automerge")]
        impl autosurgeon::Reconcile for $ty {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
                r.str(self.to_string())
            }
        }

        #[cfg(feature = "automerge")]
        impl autosurgeon::Hydrate for $ty {
            fn hydrate_string(text: &str) -> Result<Self, autosurgeon::HydrateError> {
                text.parse().map_err(|e: ParseTimeError| {
                    autosurgeon::HydrateError::unexpected(e.expected, text.to_string())
                })
            }
        }
    };
}

text_serde!(Date);
text_serde!(LocalDateTime);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_text() {
        let d: Date = "2026-02-28".parse().unwrap();
        assert_eq!(d.to_string(), "2026-02-28");
        assert_eq!(d.add_days(1).to_string(), "2026-03-01");
        // Far past chrono's range either way: the ends of time, not a panic.
        assert_eq!(d.add_days(i64::MAX).0, NaiveDate::MAX);
        assert_eq!(d.add_days(1 << 40).0, NaiveDate::MAX);
        assert_eq!(d.add_days(i64::MIN).0, NaiveDate::MIN);
        let t: LocalDateTime = "2026-12-03T15:00".parse().unwrap();
        assert_eq!(t.add_days(-(1 << 40)).0, NaiveDateTime::MIN);
        assert!("2026-02-30".parse::<Date>().is_err());
        let t: LocalDateTime = "2026-12-03T15:00".parse().unwrap();
        assert_eq!(t.to_string(), "2026-12-03T15:00");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"2026-12-03T15:00\"");
    }
}
