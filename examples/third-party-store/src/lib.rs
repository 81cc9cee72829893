//! `VecStore`: a session store in one mutex, written with `tower-redis-session`'s public items
//! only, as the author of a Postgres or DynamoDB store would start. Every method is one step
//! under the lock, which makes each atomic, as the contract asks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tower_redis_session::store::{Change, FieldsRow, IndexEntry, Loaded, Written};
use tower_redis_session::{Handle, SessionStore, StoreError, UnixMillis, UserIndex};

/// Sessions and users' indexes in process memory; clones share them.
#[derive(Clone, Default)]
pub struct VecStore(Arc<Mutex<Data>>);

type Fields = HashMap<String, String>;

#[derive(Default)]
struct Data {
    /// Each record's deadline and fields.
    records: HashMap<Handle, (UnixMillis, Fields)>,
    users: HashMap<String, User>,
}

#[derive(Default)]
struct User {
    entries: HashMap<Handle, IndexEntry>,
    /// Kept as long as the process runs: it outlives every session stamped with it.
    generation: Option<String>,
}

impl VecStore {
    fn with<T>(&self, f: impl FnOnce(&mut Data) -> T) -> Result<T, StoreError> {
        Ok(f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner)))
    }

    fn with_user<T>(&self, user: &str, f: impl FnOnce(&mut User) -> T) -> Result<T, StoreError> {
        self.with(|data| f(data.users.entry(user.to_owned()).or_default()))
    }
}

impl Data {
    /// A record that has not passed its deadline; an expired one is dropped on the way.
    fn live(&mut self, id: &Handle) -> Option<&mut (UnixMillis, Fields)> {
        if self.records.get(id).is_some_and(|(deadline, _)| *deadline <= UnixMillis::now()) {
            self.records.remove(id);
        }
        self.records.get_mut(id)
    }

    /// The fields of `id` with `change` applied, or why they cannot be.
    fn changed(&mut self, id: &Handle, change: &Change<'_>) -> Result<Fields, Written> {
        let (_, before) = self.live(id).ok_or(Written::Gone)?;
        let mut after = before.clone();
        after.extend(change.set.iter().map(|(f, v)| ((*f).to_owned(), (*v).to_owned())));
        after.retain(|field, _| !change.remove.contains(&field.as_str()));
        match change.caps.and_then(|caps| caps.refusal(pairs(before), pairs(&after))) {
            Some(refused) => Err(refused),
            None => Ok(after),
        }
    }
}

fn pairs(fields: &Fields) -> impl Iterator<Item = (&str, &str)> {
    fields.iter().map(|(f, v)| (f.as_str(), v.as_str()))
}

impl User {
    fn listed(&mut self, now: UnixMillis) -> Vec<IndexEntry> {
        self.entries.retain(|_, entry| entry.expires_at > now);
        self.entries.values().cloned().collect()
    }

    fn remove(&mut self, ids: &[Handle]) -> usize {
        ids.iter().filter(|id| self.entries.remove(*id).is_some()).count()
    }
}

impl SessionStore for VecStore {
    async fn load(&self, id: &Handle, deadline: UnixMillis) -> Result<Option<Loaded>, StoreError> {
        self.with(|data| {
            let (expiry, fields) = data.live(id)?;
            *expiry = deadline;
            let fields = fields.iter().map(|(f, v)| (f.clone(), v.clone())).collect();
            Some(Loaded { fields, revision: None })
        })
    }

    async fn create(
        &self, id: &Handle, change: &Change<'_>, deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        self.with(|data| {
            if data.live(id).is_some() {
                return Written::IdTaken;
            }
            let fields = change.set.iter().map(|(f, v)| ((*f).to_owned(), (*v).to_owned()));
            data.records.insert(id.clone(), (deadline, fields.collect()));
            Written::Stored
        })
    }

    async fn update(
        &self, id: &Handle, change: &Change<'_>, deadline: Option<UnixMillis>,
    ) -> Result<Written, StoreError> {
        self.with(|data| match data.changed(id, change) {
            Err(refused) => refused,
            Ok(fields) => {
                let record = data.records.entry(id.clone()).or_default();
                *record = (deadline.unwrap_or(record.0), fields);
                Written::Stored
            }
        })
    }

    async fn cycle(
        &self, from: &Handle, to: &Handle, change: &Change<'_>, deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        self.with(|data| match data.changed(from, change) {
            Err(refused) => refused,
            Ok(_) if data.live(to).is_some() => Written::IdTaken,
            Ok(fields) => {
                data.records.remove(from);
                data.records.insert(to.clone(), (deadline, fields));
                Written::Stored
            }
        })
    }

    async fn delete(&self, id: &Handle) -> Result<(), StoreError> {
        self.with(|data| drop(data.records.remove(id)))
    }

    async fn read_many(
        &self, ids: &[Handle], fields: &[&str],
    ) -> Result<Vec<FieldsRow>, StoreError> {
        let row = |(_, record): &mut (UnixMillis, Fields)| {
            fields.iter().map(|f| record.get(*f).cloned()).collect()
        };
        self.with(|data| ids.iter().map(|id| data.live(id).map(row)).collect())
    }

    async fn delete_many(&self, ids: &[Handle]) -> Result<usize, StoreError> {
        self.with(|data| {
            ids.iter()
                .filter(|id| data.live(id).is_some() && data.records.remove(*id).is_some())
                .count()
        })
    }
}

impl UserIndex for VecStore {
    async fn index_add(
        &self, user: &str, entry: &IndexEntry, now: UnixMillis, fresh: &str,
    ) -> Result<String, StoreError> {
        self.with_user(user, |user| {
            user.listed(now);
            user.entries.insert(entry.id.clone(), IndexEntry { pending: true, ..entry.clone() });
            user.generation.get_or_insert_with(|| fresh.to_owned()).clone()
        })
    }

    async fn index_confirm(
        &self, user: &str, entry: &IndexEntry, generation: &str, replaces: Option<&Handle>,
    ) -> Result<bool, StoreError> {
        self.with_user(user, |user| {
            let current = user.generation.as_deref() == Some(generation);
            let replaced_listed = replaces.is_none_or(|old| user.entries.contains_key(old));
            let Some(listed) =
                user.entries.get_mut(&entry.id).filter(|_| current && replaced_listed)
            else {
                user.entries.remove(&entry.id);
                return false;
            };
            listed.pending = false;
            if let Some(old) = replaces {
                user.entries.remove(old);
            }
            true
        })
    }

    async fn index_fence(
        &self, user: &str, next: Option<&str>, _keep_until: UnixMillis,
    ) -> Result<(), StoreError> {
        self.with_user(user, |user| user.generation = next.map(str::to_owned))
    }

    async fn index_list(&self, user: &str, now: UnixMillis) -> Result<Vec<IndexEntry>, StoreError> {
        self.with_user(user, |user| user.listed(now))
    }

    async fn index_list_fenced(
        &self, user: &str, now: UnixMillis,
    ) -> Result<Vec<IndexEntry>, StoreError> {
        self.with_user(user, |user| {
            user.generation = None;
            user.listed(now)
        })
    }

    async fn index_prune(&self, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
        self.with_user(user, |user| {
            let pending = user.entries.values().any(|entry| entry.pending);
            if pending { 0 } else { user.remove(ids) }
        })
    }

    async fn index_remove(&self, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
        self.with_user(user, |user| user.remove(ids))
    }
}
