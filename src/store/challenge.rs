//! [`ChallengeStore`]: the store ability behind device-bound sessions (feature `dbsc`): the
//! single-use challenges a browser signs to prove it holds a session's key.

use std::future::Future;
use std::time::Duration;

use super::UserIndex;
use crate::error::StoreError;
use crate::id::Handle;
use crate::time::UnixMillis;

/// How many challenges one session may have, and how fast it may be given new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeLimit {
    /// The most challenges kept for one session: issuing one more forgets the oldest. Two lets
    /// a browser's racing refreshes both succeed.
    pub kept: usize,
    /// The most challenges issued for one session per `window`; past it, issuing is refused.
    pub per_window: u32,
    /// The window `per_window` counts in.
    pub window: Duration,
}

/// A store that also keeps single-use challenges, for device-bound sessions. Each operation is
/// atomic and one round trip, and touches the keys of one session only (one Cluster slot).
pub trait ChallengeStore: UserIndex {
    /// Keeps `challenge` for the session `scope` until `deadline`, forgetting the oldest one past
    /// `limit.kept`. `false`, keeping nothing, when `limit.per_window` challenges were already
    /// issued for `scope` in the current window.
    fn challenge_issue(
        &self,
        scope: &Handle,
        challenge: &str,
        deadline: UnixMillis,
        limit: ChallengeLimit,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Takes `challenge` of the session `scope`: `true` once, for the one caller that took a
    /// challenge kept and unexpired; `false` for every other caller, and for a challenge never
    /// issued, forgotten or expired.
    fn challenge_take(
        &self,
        scope: &Handle,
        challenge: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
