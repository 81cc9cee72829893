//! Device-bound sessions' single-use challenges, in memory.

use super::{MemoryStore, State};
use crate::error::StoreError;
use crate::id::Handle;
use crate::store::challenge::{ChallengeLimit, ChallengeStore};
use crate::time::UnixMillis;

/// One session's challenges: each with its deadline, oldest first, and the issue window.
#[derive(Debug, Default)]
pub(super) struct Challenges {
    kept: Vec<(String, UnixMillis)>,
    window_ends: UnixMillis,
    issued: u32,
}

impl Challenges {
    fn live(&self, now: UnixMillis) -> bool {
        self.window_ends > now || self.kept.iter().any(|(_, deadline)| *deadline > now)
    }
}

impl State {
    pub(super) fn sweep_challenges(&mut self, now: UnixMillis) {
        self.challenges.retain(|_, challenges| challenges.live(now));
    }
}

impl ChallengeStore for MemoryStore {
    async fn challenge_issue(
        &self,
        scope: &Handle,
        challenge: &str,
        deadline: UnixMillis,
        limit: ChallengeLimit,
    ) -> Result<bool, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        state.count_write(now);
        let challenges = state.challenges.entry(scope.clone()).or_default();
        if challenges.window_ends <= now {
            challenges.window_ends = now.after(limit.window);
            challenges.issued = 0;
        }
        if challenges.issued >= limit.per_window {
            return Ok(false);
        }
        challenges.issued += 1;
        challenges.kept.retain(|(_, deadline)| *deadline > now);
        challenges.kept.push((challenge.to_owned(), deadline));
        let excess = challenges.kept.len().saturating_sub(limit.kept);
        challenges.kept.drain(..excess);
        Ok(true)
    }

    async fn challenge_take(&self, scope: &Handle, challenge: &str) -> Result<bool, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        let Some(challenges) = state.challenges.get_mut(scope) else {
            return Ok(false);
        };
        let Some(at) = challenges
            .kept
            .iter()
            .position(|(kept, _)| kept == challenge)
        else {
            return Ok(false);
        };
        let (_, deadline) = challenges.kept.remove(at);
        Ok(deadline > now)
    }
}
