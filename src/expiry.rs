//! How long a session lives: the layer's two timeouts ([`Timeouts`]), and the [`Expiry`] one
//! session may have of its own within them.
//!
//! A session's own expiry rides in its ID (see `id.rs`), beside its creation time, so that every
//! request knows the session's deadline before it asks the store anything: a read stays one
//! plain `GETEX … PXAT`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::time::{UnixMillis, millis};

/// How one session expires, set with [`Session::set_expiry`](crate::Session::set_expiry); the
/// names are tower-sessions'. The session never outlives the layer's
/// [`absolute_timeout`](crate::SessionLayerBuilder::absolute_timeout), counted from its creation:
/// an expiry that reaches past it is refused ([`SessionError::ExpiryBeyondAbsolute`](crate::SessionError::ExpiryBeyondAbsolute)),
/// so a layer whose sessions may last a week has an absolute timeout of at least a week.
///
/// ```
/// # use std::time::Duration;
/// use tower_redis_session::{Expiry, Session, SessionError};
///
/// /// "Keep me signed in on this browser": a week without use, and a cookie that outlives
/// /// the browser session.
/// async fn keep_me_signed_in(session: Session) -> Result<(), SessionError> {
///     let week = Duration::from_secs(7 * 24 * 60 * 60);
///     session.set_expiry(Some(Expiry::OnInactivity(week))).await
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// The cookie ends with the browser session (no `Max-Age`), even where the layer's cookie
    /// is [persistent](crate::SessionLayerBuilder::persistent_cookie); the layer's idle timeout
    /// applies.
    OnSessionEnd,
    /// The session expires after this long without use (a read counts as use), in place of the
    /// layer's idle timeout, shorter or longer; the cookie persists across browser restarts
    /// until the session's absolute deadline.
    OnInactivity(Duration),
    /// The session expires at this time however it is used, or at its absolute deadline if that
    /// comes first; the cookie persists until then.
    AtDateTime(SystemTime),
}

impl Expiry {
    /// The expiry as a session keeps it, to the millisecond; `None` if it would end the
    /// session at once (a zero inactivity timeout, a time at or before `now`, Unix milliseconds).
    pub(crate) fn checked(self, now: UnixMillis) -> Option<Self> {
        match self {
            Self::OnSessionEnd => Some(self),
            Self::OnInactivity(idle) => match millis(idle).min(MAX_MILLIS) {
                0 => None,
                idle => Some(Self::OnInactivity(Duration::from_millis(idle))),
            },
            Self::AtDateTime(at) => match unix_millis(at).min(MAX_MILLIS) {
                at if at <= now.0 => None,
                at => Some(Self::AtDateTime(UNIX_EPOCH + Duration::from_millis(at))),
            },
        }
    }

    /// The expiry as 7 bytes: a kind, then milliseconds in 6 bytes (an idle timeout or a Unix
    /// time), big-endian.
    pub(crate) fn to_bytes(self) -> [u8; ENCODED_BYTES] {
        let (kind, value) = match self {
            Self::OnSessionEnd => (SESSION_END, 0),
            Self::OnInactivity(idle) => (INACTIVITY, millis(idle).min(MAX_MILLIS)),
            Self::AtDateTime(at) => (AT, unix_millis(at).min(MAX_MILLIS)),
        };
        let mut bytes = [0u8; ENCODED_BYTES];
        bytes[0] = kind;
        bytes[1..].copy_from_slice(&value.to_be_bytes()[2..]);
        bytes
    }

    /// Reads [`to_bytes`](Self::to_bytes)' form; `None` for anything it cannot have written, so
    /// one expiry has one spelling.
    pub(crate) fn from_bytes(bytes: &[u8; ENCODED_BYTES]) -> Option<Self> {
        let mut value = [0u8; 8];
        value[2..].copy_from_slice(&bytes[1..]);
        let value = u64::from_be_bytes(value);
        match (bytes[0], value) {
            (SESSION_END, 0) => Some(Self::OnSessionEnd),
            (INACTIVITY, 1..) => Some(Self::OnInactivity(Duration::from_millis(value))),
            (AT, _) => Some(Self::AtDateTime(UNIX_EPOCH + Duration::from_millis(value))),
            _ => None,
        }
    }
}

/// Bytes of an expiry in an ID.
pub(crate) const ENCODED_BYTES: usize = 7;
const SESSION_END: u8 = 1;
const INACTIVITY: u8 = 2;
const AT: u8 = 3;
/// The largest value 6 bytes hold: about 8,900 years of milliseconds.
const MAX_MILLIS: u64 = (1 << 48) - 1;

fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, millis)
}

/// The two timeouts the layer gives every session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// Sliding: a session unused for this long expires.
    pub(crate) idle: Duration,
    /// Fixed: a session expires this long after its creation, however active.
    pub(crate) absolute: Duration,
}

impl Timeouts {
    /// The absolute deadline, Unix milliseconds, of a session created at `created` with its own
    /// expiry `own`.
    pub(crate) fn absolute_deadline(&self, created: UnixMillis, own: Option<Expiry>) -> UnixMillis {
        let absolute = created.after(self.absolute);
        match own {
            Some(Expiry::AtDateTime(at)) => absolute.min(UnixMillis(unix_millis(at))),
            _ => absolute,
        }
    }

    /// Whether `own`, set on a session created at `created`, reaches past the session's
    /// absolute deadline: an inactivity timeout longer than the absolute timeout, or a time
    /// after the deadline.
    pub(crate) fn outlasted_by(&self, own: Expiry, created: UnixMillis) -> bool {
        match own {
            Expiry::OnSessionEnd => false,
            Expiry::OnInactivity(idle) => idle > self.absolute,
            Expiry::AtDateTime(at) => UnixMillis(unix_millis(at)) > created.after(self.absolute),
        }
    }

    /// The deadline of a session created `now` with its own expiry `own`.
    pub(crate) fn new_session_deadline(&self, own: Option<Expiry>, now: UnixMillis) -> UnixMillis {
        self.deadline(now, own, now)
    }

    /// The deadline of such a session used at `now`: its idle timeout from now, never past its
    /// absolute deadline.
    pub(crate) fn deadline(
        &self,
        created: UnixMillis,
        own: Option<Expiry>,
        now: UnixMillis,
    ) -> UnixMillis {
        let absolute = self.absolute_deadline(created, own);
        let idle = match own {
            None | Some(Expiry::OnSessionEnd) => self.idle,
            Some(Expiry::OnInactivity(idle)) => idle,
            Some(Expiry::AtDateTime(_)) => return absolute,
        };
        now.after(idle).min(absolute)
    }
}

/// Whether a record that expires at `current` must be given `deadline`, set at `now`: not when
/// that moves its expiry by less than a hundredth of the time left (a second at most), as when
/// a request writes soon after its load slid the expiry. Skipping saves Redis a command.
pub(crate) fn must_slide(current: UnixMillis, deadline: UnixMillis, now: UnixMillis) -> bool {
    let slack = (deadline.0.saturating_sub(now.0) / 100).min(1_000);
    deadline.0.abs_diff(current.0) >= slack.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_270_000_000;

    #[test]
    fn every_expiry_round_trips_through_its_bytes() {
        for expiry in [
            Expiry::OnSessionEnd,
            Expiry::OnInactivity(Duration::from_millis(1)),
            Expiry::OnInactivity(Duration::from_secs(7 * 86_400)),
            Expiry::AtDateTime(UNIX_EPOCH + Duration::from_millis(NOW + 5)),
        ] {
            assert_eq!(Expiry::from_bytes(&expiry.to_bytes()), Some(expiry));
        }
    }

    #[test]
    fn bytes_no_expiry_has_are_refused() {
        let mut end = Expiry::OnSessionEnd.to_bytes();
        end[6] = 1;
        assert_eq!(Expiry::from_bytes(&end), None, "a session end with a value");
        let zero_idle = [INACTIVITY, 0, 0, 0, 0, 0, 0];
        assert_eq!(Expiry::from_bytes(&zero_idle), None);
        assert_eq!(Expiry::from_bytes(&[0, 0, 0, 0, 0, 0, 1]), None, "kind 0");
        assert_eq!(Expiry::from_bytes(&[4, 0, 0, 0, 0, 0, 1]), None, "kind 4");
    }

    #[test]
    fn an_expiry_that_ends_the_session_at_once_is_refused() {
        assert_eq!(
            Expiry::OnInactivity(Duration::from_micros(999)).checked(UnixMillis(NOW)),
            None
        );
        let past = UNIX_EPOCH + Duration::from_millis(NOW);
        assert_eq!(Expiry::AtDateTime(past).checked(UnixMillis(NOW)), None);
        let soon = UNIX_EPOCH + Duration::from_millis(NOW + 1);
        assert!(Expiry::AtDateTime(soon).checked(UnixMillis(NOW)).is_some());
    }

    #[test]
    fn a_checked_expiry_keeps_whole_milliseconds() {
        let idle = Expiry::OnInactivity(Duration::from_micros(1_500));
        assert_eq!(
            idle.checked(UnixMillis(NOW)),
            Some(Expiry::OnInactivity(Duration::from_millis(1)))
        );
    }

    #[test]
    fn the_layers_timeouts_cap_a_sessions_own() {
        let timeouts = Timeouts {
            idle: Duration::from_secs(60),
            absolute: Duration::from_secs(3_600),
        };
        let t = UnixMillis;
        let absolute = NOW + 3_600_000;
        assert_eq!(timeouts.deadline(t(NOW), None, t(NOW)), t(NOW + 60_000));
        let long = Some(Expiry::OnInactivity(Duration::from_secs(86_400)));
        assert_eq!(timeouts.deadline(t(NOW), long, t(NOW)), t(absolute));
        let short = Some(Expiry::OnInactivity(Duration::from_secs(5)));
        assert_eq!(timeouts.deadline(t(NOW), short, t(NOW + 1)), t(NOW + 5_001));
        let at = |ms| Some(Expiry::AtDateTime(UNIX_EPOCH + Duration::from_millis(ms)));
        assert_eq!(
            timeouts.deadline(t(NOW), at(NOW + 120_000), t(NOW)),
            t(NOW + 120_000)
        );
        assert_eq!(
            timeouts.deadline(t(NOW), at(absolute + 1), t(NOW)),
            t(absolute)
        );
        assert_eq!(timeouts.absolute_deadline(t(NOW), at(NOW + 7)), t(NOW + 7));
    }

    #[test]
    fn a_deadline_moved_by_less_than_the_slack_is_not_slid() {
        assert!(!must_slide(
            UnixMillis(NOW + 60_000),
            UnixMillis(NOW + 60_500),
            UnixMillis(NOW)
        ));
        assert!(must_slide(
            UnixMillis(NOW + 60_000),
            UnixMillis(NOW + 61_000),
            UnixMillis(NOW)
        ));
        assert!(
            !must_slide(
                UnixMillis(NOW + 1_000),
                UnixMillis(NOW + 1_005),
                UnixMillis(NOW)
            ),
            "a tenth of 1 s"
        );
        assert!(must_slide(
            UnixMillis(NOW + 1_000),
            UnixMillis(NOW + 1_010),
            UnixMillis(NOW)
        ));
    }
}
