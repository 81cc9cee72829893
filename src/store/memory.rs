//! [`MemoryStore`]: the store semantics in process, for zero-setup runs and handler tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::{BoxFuture, Change, FieldsRow, IndexEntry, Loaded, SessionStore, Written};
use crate::error::StoreError;
use crate::id::StorageId;
use crate::store::cart::{CartLimits, CartLine, CartOp, CartOwner, CartWritten, MergePolicy};
use crate::store::token::{Rotated, TokenRecord};
use crate::time::now_millis;

/// An operation's result: every operation here completes before it returns.
fn done<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, Result<T, StoreError>> {
    Box::pin(std::future::ready(Ok(value)))
}

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
    /// Each user's index: storage name → (absolute deadline, pending).
    users: HashMap<String, HashMap<StorageId, (u64, bool)>>,
    /// Each user's sign-out generation, and until when it is kept.
    generations: HashMap<String, (String, u64)>,
    carts: HashMap<CartOwner, CartEntry>,
    tokens: HashMap<String, TokenRecord>,
    /// Each user's remember-me tokens: selector → absolute deadline.
    token_index: HashMap<String, HashMap<String, u64>>,
    writes: u64,
}

#[derive(Debug, Default)]
struct CartEntry {
    /// SKU → (quantity, payload JSON).
    lines: BTreeMap<String, (u32, Option<String>)>,
    /// Visitor carts already merged into this one, until when they could still be merged.
    merged: HashMap<StorageId, u64>,
    expires_at: u64,
}

#[derive(Debug)]
struct Entry {
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
        // Every write below completes before it returns, so the data behind a lock poisoned by
        // a panic elsewhere is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// The live entry for `id`, dropping it first if it has expired, as Redis would have.
    fn live(&mut self, id: &StorageId, now: u64) -> Option<&mut Entry> {
        if self
            .records
            .get(id)
            .is_some_and(|entry| entry.expires_at <= now)
        {
            self.records.remove(id);
        }
        self.records.get_mut(id)
    }

    fn count_write(&mut self, now: u64) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.records.retain(|_, entry| entry.expires_at > now);
            for index in self.users.values_mut() {
                index.retain(|_, (expires_at, _)| *expires_at > now);
            }
            self.generations.retain(|_, (_, until)| *until > now);
            self.users.retain(|_, index| !index.is_empty());
            self.carts.retain(|_, cart| cart.expires_at > now);
            self.tokens.retain(|_, token| token.expires_at > now);
        }
    }

    /// The live token under `selector`, dropping it first if it has expired.
    fn live_token(&mut self, selector: &str, now: u64) -> Option<&mut TokenRecord> {
        if self
            .tokens
            .get(selector)
            .is_some_and(|token| token.expires_at <= now)
        {
            self.tokens.remove(selector);
        }
        self.tokens.get_mut(selector)
    }

    /// `user`'s sign-out generation, `fresh` if it has none, kept at least until `until`.
    fn generation(&mut self, user: &str, fresh: &str, until: u64, now: u64) -> String {
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

    /// The live cart of `owner`, dropping it first if it has expired.
    fn live_cart(&mut self, owner: &CartOwner, now: u64) -> Option<&mut CartEntry> {
        if self
            .carts
            .get(owner)
            .is_some_and(|cart| cart.expires_at <= now)
        {
            self.carts.remove(owner);
        }
        self.carts.get_mut(owner)
    }
}

impl Entry {
    /// Applies `change` if it keeps the record within its caps; the refusal otherwise.
    fn apply_within_caps(
        &mut self,
        change: &Change<'_>,
        deadline: Option<u64>,
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

    fn apply(&mut self, change: &Change<'_>, deadline: Option<u64>) {
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
    fn load<'a>(
        &'a self,
        id: &'a StorageId,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Option<Loaded>, StoreError>> {
        let mut state = self.lock();
        let loaded = state.live(id, now_millis()).map(|entry| {
            entry.expires_at = deadline;
            Loaded {
                fields: entry
                    .fields
                    .iter()
                    .map(|(field, value)| (field.clone(), value.clone()))
                    .collect(),
                revision: None,
            }
        });
        done(loaded)
    }

    fn create<'a>(
        &'a self,
        id: &'a StorageId,
        change: &'a Change<'a>,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        state.count_write(now);
        let written = if state.live(id, now).is_some() {
            Written::IdTaken
        } else {
            let mut entry = Entry {
                expires_at: deadline,
                fields: HashMap::new(),
            };
            entry.apply(change, None);
            state.records.insert(id.clone(), entry);
            Written::Stored
        };
        done(written)
    }

    fn update<'a>(
        &'a self,
        id: &'a StorageId,
        change: &'a Change<'a>,
        deadline: Option<u64>,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        state.count_write(now);
        let written = match state.live(id, now) {
            Some(entry) => match entry.apply_within_caps(change, deadline) {
                Ok(()) => Written::Stored,
                Err(refused) => refused,
            },
            None => Written::Gone,
        };
        done(written)
    }

    fn cycle<'a>(
        &'a self,
        from: &'a StorageId,
        to: &'a StorageId,
        change: &'a Change<'a>,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        let now = now_millis();
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
        done(written)
    }

    fn delete<'a>(&'a self, id: &'a StorageId) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().records.remove(id);
        done(())
    }

    fn read_many<'a>(
        &'a self,
        ids: &'a [StorageId],
        fields: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Vec<FieldsRow>, StoreError>> {
        let now = now_millis();
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
        done(rows)
    }

    fn delete_many<'a>(&'a self, ids: &'a [StorageId]) -> BoxFuture<'a, Result<usize, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        let deleted = ids
            .iter()
            .filter(|id| {
                let live = state.live(id, now).is_some();
                state.records.remove(*id);
                live
            })
            .count();
        done(deleted)
    }

    fn index_add<'a>(
        &'a self,
        user: &'a str,
        entry: &'a IndexEntry,
        now: u64,
        fresh_generation: &'a str,
    ) -> BoxFuture<'a, Result<String, StoreError>> {
        let mut state = self.lock();
        state.count_write(now);
        let index = state.users.entry(user.to_owned()).or_default();
        index.retain(|_, (expires_at, _)| *expires_at > now);
        index.insert(entry.id.clone(), (entry.expires_at, true));
        let generation = state.generation(user, fresh_generation, entry.expires_at, now);
        done(generation)
    }

    fn index_confirm<'a>(
        &'a self,
        user: &'a str,
        entry: &'a IndexEntry,
        generation: &'a str,
        replaces: Option<&'a StorageId>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut state = self.lock();
        let now = now_millis();
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
        done(confirmed)
    }

    fn index_fence<'a>(
        &'a self,
        user: &'a str,
        next: Option<&'a str>,
        keep_until: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut state = self.lock();
        state.generations.remove(user);
        if let Some(next) = next {
            state
                .generations
                .insert(user.to_owned(), (next.to_owned(), keep_until));
        }
        done(())
    }

    fn index_list<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<IndexEntry>, StoreError>> {
        let mut state = self.lock();
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
        done(entries)
    }

    fn index_remove<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [StorageId],
    ) -> BoxFuture<'a, Result<usize, StoreError>> {
        let mut state = self.lock();
        let removed = state.users.get_mut(user).map_or(0, |index| {
            ids.iter().filter(|id| index.remove(*id).is_some()).count()
        });
        done(removed)
    }

    fn cart_apply<'a>(
        &'a self,
        owner: &'a CartOwner,
        must_exist: bool,
        op: &'a CartOp<'a>,
        limits: CartLimits,
    ) -> BoxFuture<'a, Result<CartWritten, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        state.count_write(now);
        let written = if must_exist && state.live_cart(owner, now).is_none() {
            CartWritten::NoCart
        } else {
            state.live_cart(owner, now);
            let cart = state.carts.entry(owner.clone()).or_default();
            let written = apply_to_cart(cart, op, limits);
            if matches!(written, CartWritten::Quantity(_)) {
                cart.expires_at = now.saturating_add(crate::time::millis(limits.ttl));
            }
            if cart.lines.is_empty() && cart.merged.is_empty() {
                state.carts.remove(owner);
            }
            written
        };
        done(written)
    }

    fn cart_lines<'a>(
        &'a self,
        owner: &'a CartOwner,
    ) -> BoxFuture<'a, Result<Vec<CartLine>, StoreError>> {
        let mut state = self.lock();
        let lines = state
            .live_cart(owner, now_millis())
            .map(|cart| {
                cart.lines
                    .iter()
                    .map(|(sku, (quantity, payload))| CartLine {
                        sku: sku.clone(),
                        quantity: *quantity,
                        payload: payload.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        done(lines)
    }

    fn cart_clear<'a>(&'a self, owner: &'a CartOwner) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().carts.remove(owner);
        done(())
    }

    fn cart_merge<'a>(
        &'a self,
        user: &'a str,
        source: &'a StorageId,
        lines: &'a [CartLine],
        policy: MergePolicy,
        limits: CartLimits,
        source_ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        state.count_write(now);
        let owner = CartOwner::User(user.to_owned());
        state.live_cart(&owner, now);
        let cart = state.carts.entry(owner).or_default();
        cart.merged.retain(|_, until| *until > now);
        let until = now.saturating_add(crate::time::millis(source_ttl));
        let merged = cart.merged.insert(source.clone(), until).is_none();
        if merged {
            if policy == MergePolicy::Replace {
                cart.lines.clear();
            }
            for line in lines {
                let known = cart.lines.contains_key(&line.sku);
                if !known && cart.lines.len() >= limits.max_lines as usize {
                    continue;
                }
                let entry = cart.lines.entry(line.sku.clone()).or_insert((0, None));
                entry.0 = match policy {
                    MergePolicy::Max => entry.0.max(line.quantity),
                    MergePolicy::Sum | MergePolicy::Replace => {
                        entry.0.saturating_add(line.quantity)
                    }
                }
                .min(limits.max_quantity);
                if line.payload.is_some() {
                    entry.1.clone_from(&line.payload);
                }
            }
            cart.expires_at = now.saturating_add(crate::time::millis(limits.ttl));
        }
        done(merged)
    }

    fn token_create<'a>(
        &'a self,
        selector: &'a str,
        record: &'a TokenRecord,
        fresh_generation: &'a str,
    ) -> BoxFuture<'a, Result<String, StoreError>> {
        let now = now_millis();
        let mut state = self.lock();
        state.count_write(now);
        let index = state.token_index.entry(record.user.clone()).or_default();
        index.retain(|_, expires_at| *expires_at > now);
        index.insert(selector.to_owned(), record.expires_at);
        let generation = state.generation(&record.user, fresh_generation, record.expires_at, now);
        let mut stamped = record.clone();
        stamped.generation.clone_from(&generation);
        state.tokens.insert(selector.to_owned(), stamped);
        done(generation)
    }

    fn token_restamp<'a>(
        &'a self,
        selector: &'a str,
        generation: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        if let Some(token) = self.lock().live_token(selector, now_millis()) {
            generation.clone_into(&mut token.generation);
        }
        done(())
    }

    fn token_get<'a>(
        &'a self,
        selector: &'a str,
    ) -> BoxFuture<'a, Result<Option<TokenRecord>, StoreError>> {
        let record = self.lock().live_token(selector, now_millis()).cloned();
        done(record)
    }

    fn token_rotate<'a>(
        &'a self,
        selector: &'a str,
        expected: &'a str,
        new_hash: &'a str,
        grace_until: u64,
        sealed: &'a str,
    ) -> BoxFuture<'a, Result<Rotated, StoreError>> {
        let mut state = self.lock();
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
        done(rotated)
    }

    fn token_revoke<'a>(
        &'a self,
        user: &'a str,
        selectors: &'a [String],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut state = self.lock();
        for selector in selectors {
            state.tokens.remove(selector);
        }
        if let Some(index) = state.token_index.get_mut(user) {
            for selector in selectors {
                index.remove(selector);
            }
        }
        done(())
    }

    fn token_list<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let mut state = self.lock();
        let selectors = state
            .token_index
            .get_mut(user)
            .map_or_else(Vec::new, |index| {
                index.retain(|_, expires_at| *expires_at > now);
                index.keys().cloned().collect()
            });
        done(selectors)
    }
}

/// One change to a cart, as the Redis script applies it.
fn apply_to_cart(cart: &mut CartEntry, op: &CartOp<'_>, limits: CartLimits) -> CartWritten {
    let (sku, payload) = match *op {
        CartOp::Add { sku, payload, .. } | CartOp::Set { sku, payload, .. } => (sku, payload),
        CartOp::Decrement { sku, .. } | CartOp::Remove { sku } => (sku, None),
    };
    let current = cart.lines.get(sku).map_or(0, |line| line.0);
    let new = match *op {
        CartOp::Add { quantity, .. } => u64::from(current) + u64::from(quantity),
        CartOp::Set { quantity, .. } => u64::from(quantity),
        CartOp::Decrement { quantity, .. } => u64::from(current.saturating_sub(quantity)),
        CartOp::Remove { .. } => 0,
    };
    if new == 0 {
        cart.lines.remove(sku);
        return CartWritten::Quantity(0);
    }
    if new > u64::from(limits.max_quantity) {
        return CartWritten::QuantityOverLimit;
    }
    if current == 0 && cart.lines.len() >= limits.max_lines as usize {
        return CartWritten::TooManyLines;
    }
    let line = cart.lines.entry(sku.to_owned()).or_insert((0, None));
    line.0 = u32::try_from(new).unwrap_or(u32::MAX);
    if let Some(payload) = payload {
        line.1 = Some(payload.to_owned());
    }
    CartWritten::Quantity(line.0)
}
