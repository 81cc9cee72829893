//! Remember-me tokens and each user's index of them, in memory.

use super::MemoryStore;
use crate::error::StoreError;
use crate::store::token::{Rotated, TokenRecord};
use crate::time::now_millis;

/// [`SessionStore::token_create`](crate::SessionStore::token_create) in memory.
pub(super) fn create(
    store: &MemoryStore,
    selector: &str,
    record: &TokenRecord,
    fresh_generation: &str,
) -> Result<String, StoreError> {
    let now = now_millis();
    let mut state = store.lock();
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

/// [`SessionStore::token_restamp`](crate::SessionStore::token_restamp) in memory.
pub(super) fn restamp(
    store: &MemoryStore,
    selector: &str,
    generation: &str,
) -> Result<(), StoreError> {
    if let Some(token) = store.lock().live_token(selector, now_millis()) {
        generation.clone_into(&mut token.generation);
    }
    Ok(())
}

/// [`SessionStore::token_get`](crate::SessionStore::token_get) in memory.
pub(super) fn get(store: &MemoryStore, selector: &str) -> Result<Option<TokenRecord>, StoreError> {
    let record = store.lock().live_token(selector, now_millis()).cloned();
    Ok(record)
}

/// [`SessionStore::token_rotate`](crate::SessionStore::token_rotate) in memory.
pub(super) fn rotate(
    store: &MemoryStore,
    selector: &str,
    expected: &str,
    new_hash: &str,
    grace_until: u64,
    sealed: &str,
) -> Result<Rotated, StoreError> {
    let mut state = store.lock();
    let rotated = match state.live_token(selector, now_millis()) {
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

/// [`SessionStore::token_revoke`](crate::SessionStore::token_revoke) in memory.
pub(super) fn revoke(
    store: &MemoryStore,
    user: &str,
    selectors: &[String],
) -> Result<(), StoreError> {
    let mut state = store.lock();
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

/// [`SessionStore::token_list`](crate::SessionStore::token_list) in memory.
pub(super) fn list(store: &MemoryStore, user: &str, now: u64) -> Result<Vec<String>, StoreError> {
    let mut state = store.lock();
    let selectors = state
        .token_index
        .get_mut(user)
        .map_or_else(Vec::new, |index| {
            index.retain(|_, expires_at| *expires_at > now);
            index.keys().cloned().collect()
        });
    Ok(selectors)
}
