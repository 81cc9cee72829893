//! Time as this crate counts it: Unix milliseconds from the application server's clock.
//!
//! Deadlines are decided by the session, not the store, so every store operation carries them
//! in this unit; Redis compares them with its own clock when it expires keys (keep both on NTP).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time as Unix milliseconds: how sessions and stores speak of deadlines (a record's
/// expiry, an index entry's end) and of now. Redis takes it as is (`PXAT`, `PEXPIREAT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// Now, by the application server's clock.
    pub fn now() -> Self {
        Self(now_millis())
    }

    /// `duration` later, saturating.
    #[must_use]
    pub fn after(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(millis(duration)))
    }

    /// How long from `self` until `later`; zero if `later` is not later.
    pub fn until(self, later: Self) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0))
    }
}

impl std::fmt::Display for UnixMillis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Now, Unix milliseconds.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

/// A duration in milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A duration as a person reads it in a message: in the largest of days, hours, minutes,
/// seconds and milliseconds that measures it exactly (`12h`, `90m`, `1500ms`).
pub(crate) fn readable(duration: Duration) -> String {
    let ms = millis(duration);
    let unit = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ]
    .into_iter()
    .find(|(size, _)| ms > 0 && ms.is_multiple_of(*size));
    match unit {
        Some((size, name)) => format!("{}{name}", ms / size),
        None => format!("{ms}ms"),
    }
}

/// Unix milliseconds as a [`SystemTime`].
pub(crate) fn to_system_time(at: UnixMillis) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(at.0)
}

/// Serializes a time as RFC 3339 in UTC with milliseconds (`2026-12-02T06:42:43.123Z`), the
/// form JSON APIs and JavaScript's `Date` read.
pub(crate) fn serialize_rfc3339<S: serde::Serializer>(
    time: &SystemTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&Rfc3339(*time))
}

/// A [`SystemTime`] shown as RFC 3339 (times before 1970 show as 1970).
struct Rfc3339(SystemTime);

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let since = self.0.duration_since(UNIX_EPOCH).unwrap_or_default();
        let seconds = since.as_secs();
        let (year, month, day) = civil_date(seconds / 86_400);
        let (hour, minute, second) = (seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
        let millis = since.subsec_millis();
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z"
        )
    }
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_exact_unit() {
        let read = |ms| readable(Duration::from_millis(ms));
        assert_eq!(read(12 * 3_600_000), "12h");
        assert_eq!(read(90 * 60_000), "90m");
        assert_eq!(read(2 * 86_400_000), "2d");
        assert_eq!(read(1_500), "1500ms");
        assert_eq!(read(0), "0ms");
    }

    fn shown(millis: u64) -> String {
        Rfc3339(to_system_time(UnixMillis(millis))).to_string()
    }

    #[test]
    fn the_epoch_and_leap_days_are_shown_as_rfc_3339() {
        assert_eq!(shown(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(shown(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(shown(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
    }

    #[test]
    fn times_keep_their_milliseconds() {
        assert_eq!(shown(1_796_193_763_123), "2026-12-02T06:42:43.123Z");
        assert_eq!(shown(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
    }
}
