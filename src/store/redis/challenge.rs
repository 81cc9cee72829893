//! Device-bound sessions' single-use challenges in Redis: one small hash per session (fields in
//! `scripts/challenge_issue.lua`), expiring with its last challenge.

use super::RedisStore;
use super::connection::Request;
use super::scripts;
use crate::error::StoreError;
use crate::id::Handle;
use crate::store::challenge::{ChallengeLimit, ChallengeStore};
use crate::time::{UnixMillis, millis};

impl RedisStore {
    /// The Redis key of a session's device-binding challenges.
    pub fn challenge_key(&self, scope: &Handle) -> String {
        format!("{}b:{scope}", self.inner.prefix)
    }
}

impl ChallengeStore for RedisStore {
    async fn challenge_issue(
        &self,
        scope: &Handle,
        challenge: &str,
        deadline: UnixMillis,
        limit: ChallengeLimit,
    ) -> Result<bool, StoreError> {
        let mut call = scripts::CHALLENGE_ISSUE.call(&[self.challenge_key(scope)]);
        call.arg(challenge)
            .arg(deadline)
            .arg(UnixMillis::now())
            .arg(limit.kept)
            .arg(limit.per_window)
            .arg(millis(limit.window));
        let issued: i64 = self.run(Request::Script(&call), true).await?;
        Ok(issued == 1)
    }

    async fn challenge_take(&self, scope: &Handle, challenge: &str) -> Result<bool, StoreError> {
        let mut call = scripts::CHALLENGE_TAKE.call(&[self.challenge_key(scope)]);
        call.arg(challenge).arg(UnixMillis::now());
        // Not retried: a reply lost after the take would make the retry find it gone.
        let taken: i64 = self.run(Request::Script(&call), false).await?;
        Ok(taken == 1)
    }
}
