//! [`MemoryStore`]: the store semantics in process, for zero-setup runs and handler tests.

#[cfg(feature = "cart")]
mod cart;
#[cfg(feature = "dbsc")]
mod challenge;
mod index;
#[cfg(feature = "remember-me")]
mod token;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{Change, Field, FieldsRow, Loaded, SessionStore, Written};
use crate::error::StoreError;
use crate::id::Handle;
#[cfg(feature = "cart")]
use crate::store::cart::CartOwner;
#[cfg(feature = "remember-me")]
use crate::store::token::TokenRecord;
use crate::time::UnixMillis;

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
    records: HashMap<Handle, Entry>,
    /// Each user's index: handle → (absolute deadline, pending).
    users: HashMap<String, HashMap<Handle, (UnixMillis, bool)>>,
    /// Each user's sign-out generation, and until when it is kept.
    generations: HashMap<String, (String, UnixMillis)>,
    #[cfg(feature = "cart")]
    carts: HashMap<CartOwner, cart::CartEntry>,
    #[cfg(feature = "remember-me")]
    tokens: HashMap<String, TokenRecord>,
    /// Each user's remember-me tokens: selector → absolute deadline.
    #[cfg(feature = "remember-me")]
    token_index: HashMap<String, HashMap<String, UnixMillis>>,
    /// Each session's device-binding challenges.
    #[cfg(feature = "dbsc")]
    challenges: HashMap<Handle, challenge::Challenges>,
    writes: u64,
}

#[derive(Debug)]
struct Entry {
    expires_at: UnixMillis,
    fields: HashMap<String, String>,
    /// The fields as the last load handed them out, shared with every load until a write.
    loaded: Option<Arc<[Field]>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of live records, for tests and diagnostics.
    pub fn len(&self) -> usize {
        let now = UnixMillis::now();
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
        // Every write below completes before it returns, so the data behind a lock poisoned by
        // a panic elsewhere is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// The live entry for `id`, dropping it first if it has expired, as Redis would have.
    fn live(&mut self, id: &Handle, now: UnixMillis) -> Option<&mut Entry> {
        if self
            .records
            .get(id)
            .is_some_and(|entry| entry.expires_at <= now)
        {
            self.records.remove(id);
        }
        self.records.get_mut(id)
    }

    fn count_write(&mut self, now: UnixMillis) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.records.retain(|_, entry| entry.expires_at > now);
            for index in self.users.values_mut() {
                index.retain(|_, (expires_at, _)| *expires_at > now);
            }
            self.generations.retain(|_, (_, until)| *until > now);
            self.users.retain(|_, index| !index.is_empty());
            #[cfg(feature = "cart")]
            self.carts.retain(|_, cart| cart.expires_at > now);
            #[cfg(feature = "remember-me")]
            self.tokens.retain(|_, token| token.expires_at > now);
            #[cfg(feature = "dbsc")]
            self.sweep_challenges(now);
        }
    }

    /// `user`'s sign-out generation, `fresh` if it has none, kept at least until `until`.
    fn generation(
        &mut self,
        user: &str,
        fresh: &str,
        until: UnixMillis,
        now: UnixMillis,
    ) -> String {
        let (generation, kept_until) = self
            .generations
            .entry(user.to_owned())
            .or_insert_with(|| (fresh.to_owned(), until));
        if *kept_until <= now {
            fresh.clone_into(generation);
        }
        *kept_until = (*kept_until).max(until);
        generation.clone()
    }
}

impl Entry {
    /// Applies `change` if it keeps the record within its caps; the refusal otherwise.
    fn apply_within_caps(
        &mut self,
        change: &Change<'_>,
        deadline: Option<UnixMillis>,
    ) -> Result<(), Written> {
        if let Some(caps) = change.caps {
            let mut after = self.fields.clone();
            for (field, value) in &change.set {
                after.insert((*field).to_owned(), (*value).to_owned());
            }
            for field in &change.remove {
                after.remove(*field);
            }
            let measure = |fields: &HashMap<String, String>| {
                super::user_size(fields.iter().map(|(f, v)| (f.as_str(), v.as_str())))
            };
            caps.check(measure(&self.fields), measure(&after))?;
        }
        self.apply(change, deadline);
        Ok(())
    }

    fn apply(&mut self, change: &Change<'_>, deadline: Option<UnixMillis>) {
        self.loaded = None;
        for (field, value) in &change.set {
            self.fields.insert((*field).to_owned(), (*value).to_owned());
        }
        for field in &change.remove {
            self.fields.remove(*field);
        }
        if let Some(deadline) = deadline {
            self.expires_at = deadline;
        }
    }
}

impl SessionStore for MemoryStore {
    async fn load(&self, id: &Handle, deadline: UnixMillis) -> Result<Option<Loaded>, StoreError> {
        let mut state = self.lock();
        let loaded = state.live(id, UnixMillis::now()).map(|entry| {
            entry.expires_at = deadline;
            let fields = &entry.fields;
            let shared = entry.loaded.get_or_insert_with(|| {
                (fields.iter())
                    .map(|(field, value)| (field.clone(), value.clone()))
                    .collect()
            });
            Loaded {
                fields: Arc::clone(shared),
                revision: None,
            }
        });
        Ok(loaded)
    }

    async fn create(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        state.count_write(now);
        let written = if state.live(id, now).is_some() {
            Written::IdTaken
        } else {
            let mut entry = Entry {
                expires_at: deadline,
                fields: HashMap::new(),
                loaded: None,
            };
            entry.apply(change, None);
            state.records.insert(id.clone(), entry);
            Written::Stored
        };
        Ok(written)
    }

    async fn update(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: Option<UnixMillis>,
    ) -> Result<Written, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        state.count_write(now);
        let written = match state.live(id, now) {
            Some(entry) => match entry.apply_within_caps(change, deadline) {
                Ok(()) => Written::Stored,
                Err(refused) => refused,
            },
            None => Written::Gone,
        };
        Ok(written)
    }

    async fn cycle(
        &self,
        from: &Handle,
        to: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        state.count_write(now);
        let written = if state.live(to, now).is_some() {
            Written::IdTaken
        } else if state.live(from, now).is_none() {
            Written::Gone
        } else {
            match state.records.get_mut(from) {
                Some(entry) => match entry.apply_within_caps(change, Some(deadline)) {
                    Ok(()) => {
                        if let Some(entry) = state.records.remove(from) {
                            state.records.insert(to.clone(), entry);
                        }
                        Written::Stored
                    }
                    Err(refused) => refused,
                },
                None => Written::Gone,
            }
        };
        Ok(written)
    }

    async fn delete(&self, id: &Handle) -> Result<(), StoreError> {
        self.lock().records.remove(id);
        Ok(())
    }

    async fn read_many(
        &self,
        ids: &[Handle],
        fields: &[&str],
    ) -> Result<Vec<FieldsRow>, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        let rows = ids
            .iter()
            .map(|id| {
                state.live(id, now).map(|entry| {
                    fields
                        .iter()
                        .map(|field| entry.fields.get(*field).cloned())
                        .collect()
                })
            })
            .collect();
        Ok(rows)
    }

    async fn delete_many(&self, ids: &[Handle]) -> Result<usize, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        let deleted = ids
            .iter()
            .filter(|id| {
                let live = state.live(id, now).is_some();
                state.records.remove(*id);
                live
            })
            .count();
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set<'a>(field: &'a str, value: &'a str) -> Change<'a> {
        Change {
            set: vec![(field, value)],
            ..Change::default()
        }
    }

    #[tokio::test]
    async fn loads_share_the_record_until_a_write_changes_it() {
        let (store, id) = (MemoryStore::new(), Handle::digest(b"a session"));
        let deadline = UnixMillis(UnixMillis::now().0 + 60_000);
        let created = store.create(&id, &set("a", "1"), deadline).await.unwrap();
        assert_eq!(created, Written::Stored);
        let first = store.load(&id, deadline).await.unwrap().unwrap();
        let second = store.load(&id, deadline).await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&first.fields, &second.fields));
        let updated = store.update(&id, &set("a", "2"), None).await.unwrap();
        assert_eq!(updated, Written::Stored);
        let third = store.load(&id, deadline).await.unwrap().unwrap();
        assert_eq!(&*third.fields, &[("a".to_owned(), "2".to_owned())]);
        assert_eq!(&*first.fields, &[("a".to_owned(), "1".to_owned())]);
    }
}
