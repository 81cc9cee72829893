//! Time as this crate counts it: Unix milliseconds from the application server's clock.
//!
//! Deadlines are decided by the session, not the store, so every store operation carries them
//! in this unit; Redis compares them with its own clock when it expires keys (keep both on NTP).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// Unix milliseconds as a [`SystemTime`].
pub(crate) fn to_system_time(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}
