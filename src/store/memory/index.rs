//! A user's index of sessions and their sign-out generation, in memory.

use super::MemoryStore;
use crate::error::StoreError;
use crate::id::Handle;
use crate::store::{IndexEntry, UserIndex};
use crate::time::UnixMillis;

impl UserIndex for MemoryStore {
    async fn index_add(
        &self,
        user: &str,
        entry: &IndexEntry,
        now: UnixMillis,
        fresh_generation: &str,
    ) -> Result<String, StoreError> {
        add(self, user, entry, now, fresh_generation)
    }

    async fn index_confirm(
        &self,
        user: &str,
        entry: &IndexEntry,
        generation: &str,
        replaces: Option<&Handle>,
    ) -> Result<bool, StoreError> {
        confirm(self, user, entry, generation, replaces)
    }

    async fn index_fence(
        &self,
        user: &str,
        next: Option<&str>,
        keep_until: UnixMillis,
    ) -> Result<(), StoreError> {
        fence(self, user, next, keep_until)
    }

    async fn index_list(&self, user: &str, now: UnixMillis) -> Result<Vec<IndexEntry>, StoreError> {
        list(self, user, now)
    }

    async fn index_list_fenced(
        &self,
        user: &str,
        now: UnixMillis,
    ) -> Result<Vec<IndexEntry>, StoreError> {
        list_fenced(self, user, now)
    }

    async fn index_prune(&self, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
        prune(self, user, ids)
    }

    async fn index_remove(&self, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
        remove(self, user, ids)
    }
}

/// [`UserIndex::index_add`](crate::UserIndex::index_add) in memory.
pub(super) fn add(
    store: &MemoryStore,
    user: &str,
    entry: &IndexEntry,
    now: UnixMillis,
    fresh_generation: &str,
) -> Result<String, StoreError> {
    let mut state = store.lock();
    state.count_write(now);
    let index = state.users.entry(user.to_owned()).or_default();
    index.retain(|_, (expires_at, _)| *expires_at > now);
    index.insert(entry.id.clone(), (entry.expires_at, true));
    let generation = state.generation(user, fresh_generation, entry.expires_at, now);
    Ok(generation)
}

/// [`UserIndex::index_confirm`](crate::UserIndex::index_confirm) in memory.
pub(super) fn confirm(
    store: &MemoryStore,
    user: &str,
    entry: &IndexEntry,
    generation: &str,
    replaces: Option<&Handle>,
) -> Result<bool, StoreError> {
    let mut state = store.lock();
    let now = UnixMillis::now();
    let current = state
        .generations
        .get(user)
        .filter(|(_, until)| *until > now)
        .map(|(current, _)| current.clone());
    let index = state.users.entry(user.to_owned()).or_default();
    let replaced_listed = replaces.is_none_or(|old| index.contains_key(old));
    let confirmed = match index.get_mut(&entry.id) {
        Some(listed) if current.as_deref() == Some(generation) && replaced_listed => {
            *listed = (entry.expires_at, false);
            if let Some(old) = replaces {
                index.remove(old);
            }
            true
        }
        _ => {
            index.remove(&entry.id);
            false
        }
    };
    Ok(confirmed)
}

/// [`UserIndex::index_fence`](crate::UserIndex::index_fence) in memory.
pub(super) fn fence(
    store: &MemoryStore,
    user: &str,
    next: Option<&str>,
    keep_until: UnixMillis,
) -> Result<(), StoreError> {
    let mut state = store.lock();
    state.generations.remove(user);
    if let Some(next) = next {
        state
            .generations
            .insert(user.to_owned(), (next.to_owned(), keep_until));
    }
    Ok(())
}

/// [`UserIndex::index_list`](crate::UserIndex::index_list) in memory.
pub(super) fn list(
    store: &MemoryStore,
    user: &str,
    now: UnixMillis,
) -> Result<Vec<IndexEntry>, StoreError> {
    let mut state = store.lock();
    let entries = match state.users.get_mut(user) {
        None => Vec::new(),
        Some(index) => {
            index.retain(|_, (expires_at, _)| *expires_at > now);
            index
                .iter()
                .map(|(id, (expires_at, pending))| IndexEntry {
                    id: id.clone(),
                    expires_at: *expires_at,
                    pending: *pending,
                })
                .collect()
        }
    };
    Ok(entries)
}

/// [`UserIndex::index_remove`](crate::UserIndex::index_remove) in memory.
pub(super) fn remove(store: &MemoryStore, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
    let mut state = store.lock();
    let removed = state.users.get_mut(user).map_or(0, |index| {
        ids.iter().filter(|id| index.remove(*id).is_some()).count()
    });
    Ok(removed)
}

/// [`UserIndex::index_prune`](crate::UserIndex::index_prune) in memory.
pub(super) fn prune(store: &MemoryStore, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
    let mut state = store.lock();
    let Some(index) = state.users.get_mut(user) else {
        return Ok(0);
    };
    if index.values().any(|(_, pending)| *pending) {
        return Ok(0);
    }
    Ok(ids.iter().filter(|id| index.remove(*id).is_some()).count())
}

/// [`UserIndex::index_list_fenced`](crate::UserIndex::index_list_fenced) in memory.
pub(super) fn list_fenced(
    store: &MemoryStore,
    user: &str,
    now: UnixMillis,
) -> Result<Vec<IndexEntry>, StoreError> {
    let entries = list(store, user, now)?;
    store.lock().generations.remove(user);
    Ok(entries)
}
