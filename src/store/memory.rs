//! [`MemoryStore`]: the store semantics in process, for zero-setup runs and handler tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{BoxFuture, Change, Expiry, Record, SessionStore, Written};
use crate::error::StoreError;
use crate::id::StorageId;

/// How many writes pass between sweeps of expired records, so memory stays bounded without a
/// background task.
const SWEEP_EVERY: u64 = 1024;

/// An in-process session store with the same semantics as [`RedisStore`](crate::RedisStore),
/// timeouts included. Records live as long as the process; clones share them.
///
/// ```
/// use tower_redis_session::{MemoryStore, SessionLayer};
/// let layer = SessionLayer::builder(MemoryStore::new()).build().unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    records: HashMap<StorageId, Entry>,
    writes: u64,
}

#[derive(Debug)]
struct Entry {
    created_at: u64,
    expires_at: u64,
    fields: HashMap<String, String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of live records, for tests and diagnostics.
    pub fn len(&self) -> usize {
        let now = now_millis();
        self.lock()
            .records
            .values()
            .filter(|entry| entry.expires_at > now)
            .count()
    }

    /// Whether the store holds no live record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave a half-applied write: every write below completes
        // before it returns, so the data behind a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, super::millis)
}

impl State {
    /// The live entry for `id`.
    fn live(&mut self, id: &StorageId, now: u64) -> Option<&mut Entry> {
        self.expire(id, now);
        self.records.get_mut(id)
    }

    /// Drops the record for `id` if it has expired, as Redis would have.
    fn expire(&mut self, id: &StorageId, now: u64) {
        if self
            .records
            .get(id)
            .is_some_and(|entry| entry.expires_at <= now)
        {
            self.records.remove(id);
        }
    }

    fn count_write(&mut self, now: u64) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.records.retain(|_, entry| entry.expires_at > now);
        }
    }
}

impl Entry {
    /// Applies a change and slides the expiry; `None` if the record is past its deadline.
    fn apply(&mut self, change: &Change<'_>, expiry: Expiry, now: u64) -> Option<u64> {
        let expires_at = expiry.deadline(self.created_at, now);
        if expires_at <= now {
            return None;
        }
        for (field, value) in &change.set {
            self.fields.insert((*field).to_owned(), (*value).to_owned());
        }
        for field in &change.remove {
            self.fields.remove(*field);
        }
        self.expires_at = expires_at;
        Some(expires_at)
    }
}

fn stored(expires_at: Option<u64>) -> Written {
    expires_at.map_or(Written::Gone, |expires_at| Written::Stored { expires_at })
}

impl SessionStore for MemoryStore {
    fn load<'a>(
        &'a self,
        id: &'a StorageId,
        expiry: Expiry,
    ) -> BoxFuture<'a, Result<Option<Record>, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        let record = state.live(id, now).and_then(|entry| {
            entry
                .apply(&Change::default(), expiry, now)
                .map(|_| Record {
                    created_at: entry.created_at,
                    expires_at: entry.expires_at,
                    fields: entry
                        .fields
                        .iter()
                        .map(|(field, value)| (field.clone(), value.clone()))
                        .collect(),
                })
        });
        if record.is_none() {
            state.records.remove(id);
        }
        Box::pin(std::future::ready(Ok(record)))
    }

    fn create<'a>(
        &'a self,
        id: &'a StorageId,
        change: &'a Change<'a>,
        expiry: Expiry,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        state.count_write(now);
        let written = if state.live(id, now).is_some() {
            Written::IdTaken
        } else {
            let mut entry = Entry {
                created_at: now,
                expires_at: now,
                fields: HashMap::new(),
            };
            let written = stored(entry.apply(change, expiry, now));
            state.records.insert(id.clone(), entry);
            written
        };
        Box::pin(std::future::ready(Ok(written)))
    }

    fn update<'a>(
        &'a self,
        id: &'a StorageId,
        change: &'a Change<'a>,
        expiry: Expiry,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        state.count_write(now);
        let expires_at = state
            .live(id, now)
            .and_then(|entry| entry.apply(change, expiry, now));
        if expires_at.is_none() {
            state.records.remove(id);
        }
        Box::pin(std::future::ready(Ok(stored(expires_at))))
    }

    fn cycle<'a>(
        &'a self,
        from: &'a StorageId,
        to: &'a StorageId,
        change: &'a Change<'a>,
        expiry: Expiry,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        state.count_write(now);
        let written = if state.live(to, now).is_some() {
            Written::IdTaken
        } else {
            state.expire(from, now);
            match state.records.remove(from) {
                None => Written::Gone,
                Some(mut entry) => {
                    let expires_at = entry.apply(change, expiry, now);
                    if expires_at.is_some() {
                        state.records.insert(to.clone(), entry);
                    }
                    stored(expires_at)
                }
            }
        };
        Box::pin(std::future::ready(Ok(written)))
    }

    fn delete<'a>(&'a self, id: &'a StorageId) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().records.remove(id);
        Box::pin(std::future::ready(Ok(())))
    }
}
