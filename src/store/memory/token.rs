//! Remember-me tokens and each user's index of them, in memory.

use super::{MemoryStore, State};
use crate::error::StoreError;
use crate::store::token::{Rotated, TokenRecord, TokenStore};
use crate::time::UnixMillis;

impl TokenStore for MemoryStore {
    async fn token_create(
        &self,
        selector: &str,
        record: &TokenRecord,
        fresh_generation: &str,
    ) -> Result<String, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        state.count_write(now);
        let index = state.token_index.entry(record.user.clone()).or_default();
        index.retain(|_, expires_at| *expires_at > now);
        index.insert(selector.to_owned(), record.expires_at);
        let generation = state.generation(&record.user, fresh_generation, record.expires_at, now);
        let mut stamped = record.clone();
        stamped.generation.clone_from(&generation);
        state.tokens.insert(selector.to_owned(), stamped);
        Ok(generation)
    }

    async fn token_restamp(&self, selector: &str, generation: &str) -> Result<(), StoreError> {
        if let Some(token) = self.lock().live_token(selector, UnixMillis::now()) {
            generation.clone_into(&mut token.generation);
        }
        Ok(())
    }

    async fn token_carry(&self, selector: &str, carried: &str) -> Result<(), StoreError> {
        if let Some(token) = self.lock().live_token(selector, UnixMillis::now()) {
            token.carried = Some(carried.to_owned());
        }
        Ok(())
    }

    async fn token_get(&self, selector: &str) -> Result<Option<TokenRecord>, StoreError> {
        let record = self.lock().live_token(selector, UnixMillis::now()).cloned();
        Ok(record)
    }

    async fn token_rotate(
        &self,
        selector: &str,
        expected: &str,
        new_hash: &str,
        grace_until: UnixMillis,
        sealed: &str,
    ) -> Result<Rotated, StoreError> {
        let mut state = self.lock();
        let rotated = match state.live_token(selector, UnixMillis::now()) {
            None => Rotated::Gone,
            Some(token) if token.validator_hash != expected => Rotated::Lost(token.clone()),
            Some(token) => {
                token.previous_hash = Some(std::mem::replace(
                    &mut token.validator_hash,
                    new_hash.to_owned(),
                ));
                token.grace_until = grace_until;
                token.sealed = Some(sealed.to_owned());
                Rotated::Won
            }
        };
        Ok(rotated)
    }

    async fn token_revoke(&self, user: &str, selectors: &[String]) -> Result<(), StoreError> {
        let mut state = self.lock();
        for selector in selectors {
            state.tokens.remove(selector);
        }
        if let Some(index) = state.token_index.get_mut(user) {
            for selector in selectors {
                index.remove(selector);
            }
        }
        Ok(())
    }

    async fn token_list(&self, user: &str, now: UnixMillis) -> Result<Vec<String>, StoreError> {
        let mut state = self.lock();
        let selectors = state
            .token_index
            .get_mut(user)
            .map_or_else(Vec::new, |index| {
                index.retain(|_, expires_at| *expires_at > now);
                index.keys().cloned().collect()
            });
        Ok(selectors)
    }
}

impl State {
    /// The live token under `selector`, dropping it first if it has expired.
    fn live_token(&mut self, selector: &str, now: UnixMillis) -> Option<&mut TokenRecord> {
        if self
            .tokens
            .get(selector)
            .is_some_and(|token| token.expires_at <= now)
        {
            self.tokens.remove(selector);
        }
        self.tokens.get_mut(selector)
    }
}
