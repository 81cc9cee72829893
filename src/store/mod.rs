//! The storage abstraction: a few semantic operations that each take one round trip.
//!
//! [`RedisStore`] is the product; [`MemoryStore`] keeps the same semantics in process for
//! zero-setup runs and handler tests. Both pass the same conformance suite (`tests/`).
//!
//! # Implementing a store
//! A backend (Postgres, SQLite, another key-value server) implements [`SessionStore`]: records
//! (`load`, `create`, `update`, `cycle`, `delete`), bulk reads and deletes for device listings
//! and sign-outs, and each user's index of signed-in sessions. Each method is one atomic step;
//! its documentation says what must hold under concurrency, and `session/index.rs` why. With
//! that alone the layer runs with the crate's default features off
//! (`default-features = false`): sessions, login, devices and every sign-out.
//!
//! The features ask for more, as extension traits of [`SessionStore`] (the way
//! `tower-sessions` has `ExpiredDeletion`): `cart::CartStore` for the `cart` feature,
//! `token::TokenStore` for `remember-me`. [`LayerStore`] names what the enabled features need,
//! and is implemented for every store that has it. Cargo unifies features across a build, so
//! a store meant for applications with default features implements all three.
//!
//! A backend added to this repository proves itself with the conformance suite
//! (`tests/common/suite.rs`): one `conformance_suite!(YourBackend)` line runs every behaviour
//! the layer promises against it, with the features' behaviours where it has their traits.
//! [`MemoryStore`] is the smallest complete example: `store/memory/mod.rs` implements
//! `SessionStore`, and `cart.rs` and `token.rs` beside it one trait each.
//!
//! Time is decided by the session, not the store: every operation carries the record's new
//! deadline, `min(now + idle, created + absolute)` in Unix milliseconds, and the store makes it
//! the record's expiry in the same step (an update may leave the expiry that the same request's
//! load has just set). A record past its deadline is gone, whatever a client sends.

use std::future::Future;
use std::pin::Pin;

use crate::error::StoreError;
use crate::id::StorageId;

#[cfg(feature = "cart")]
pub mod cart;
pub mod memory;
pub mod redis;
#[cfg(feature = "remember-me")]
pub mod token;

pub use self::memory::MemoryStore;
pub use self::redis::{RedisStore, RedisStoreBuilder};

/// What [`SessionLayer::builder`](crate::SessionLayer::builder) asks of a store: the core
/// [`SessionStore`], and the abilities the enabled Cargo features use: `store::cart::CartStore`
/// with `cart`, `store::token::TokenStore` with `remember-me`. Implemented for every store that
/// has them; [`RedisStore`] and [`MemoryStore`] have them all.
pub trait LayerStore: SessionStore + abilities::Carts + abilities::Tokens {}

impl<T: SessionStore + abilities::Carts + abilities::Tokens> LayerStore for T {}

/// The abilities [`LayerStore`] asks for: each is its feature's store trait when the feature is
/// enabled, and asks nothing when it is not.
#[doc(hidden)]
pub mod abilities {
    /// `CartStore` with the `cart` feature; nothing without it.
    #[cfg(feature = "cart")]
    pub trait Carts: super::cart::CartStore {}
    #[cfg(feature = "cart")]
    impl<T: super::cart::CartStore> Carts for T {}
    /// `CartStore` with the `cart` feature; nothing without it.
    #[cfg(not(feature = "cart"))]
    pub trait Carts {}
    #[cfg(not(feature = "cart"))]
    impl<T> Carts for T {}

    /// `TokenStore` with the `remember-me` feature; nothing without it.
    #[cfg(feature = "remember-me")]
    pub trait Tokens: super::token::TokenStore {}
    #[cfg(feature = "remember-me")]
    impl<T: super::token::TokenStore> Tokens for T {}
    /// `TokenStore` with the `remember-me` feature; nothing without it.
    #[cfg(not(feature = "remember-me"))]
    pub trait Tokens {}
    #[cfg(not(feature = "remember-me"))]
    impl<T> Tokens for T {}
}

/// A boxed, sendable future, as returned by [`SessionStore`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A stored field: (field name, encoded value).
pub type Field = (String, String);

/// Some fields of one record, as [`SessionStore::read_many`] returns them: `None` for a missing
/// record, `None` inside for a missing field.
pub type FieldsRow = Option<Vec<Option<String>>>;

/// A record as [`SessionStore::load`] found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// Its fields.
    pub fields: Vec<Field>,
    /// The store's token for this version of the record, handed back with the request's write
    /// ([`Change::base`]); `None` from a store that needs none.
    pub revision: Option<Revision>,
}

/// A store's own token for a record as it was loaded, so that a write can tell whether the record
/// changed meanwhile. Opaque to sessions; [`RedisStore`] keeps the record's bytes in it.
#[derive(Clone, PartialEq, Eq)]
pub struct Revision(pub Vec<u8>);

impl std::fmt::Debug for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the bytes: they are session data.
        write!(f, "Revision({} bytes)", self.0.len())
    }
}

/// What a write changes: fields to set and fields to remove. Nothing else is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change<'a> {
    /// (field name, encoded value) pairs to write.
    pub set: Vec<(&'a str, &'a str)>,
    /// Field names to delete.
    pub remove: Vec<&'a str>,
    /// The bytes of field names and values the whole record holds once the change is applied.
    /// A store that appends changes to a record uses it to tell when to compact it.
    pub record_bytes: usize,
    /// The number of fields the whole record holds once the change is applied.
    pub record_fields: usize,
    /// The record's revision as this request loaded it, if it did and has not written since.
    pub base: Option<&'a Revision>,
    /// The caps the record must stay within, checked by the store atomically with the write
    /// (see [`Caps`]); `None` for a write that creates the whole record.
    pub caps: Option<Caps>,
}

/// A session's caps: most bytes of user keys and their encoded values, and most user keys
/// (metadata fields do not count). A store refuses an update that would take the record, as
/// stored, past a cap and make it larger ([`Written::TooLarge`], [`Written::TooManyKeys`]),
/// whatever concurrent writers did meanwhile: the request's own check sees only its view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Most bytes of user keys and encoded values.
    pub max_bytes: usize,
    /// Most user keys.
    pub max_keys: usize,
}

impl Caps {
    /// Whether a record of `after` (bytes, keys), changed from one of `before`, breaks a cap:
    /// `Err` with the refusal if so.
    pub(crate) fn check(
        &self,
        before: (usize, usize),
        after: (usize, usize),
    ) -> Result<(), Written> {
        if after.1 > self.max_keys && after.1 > before.1 {
            return Err(Written::TooManyKeys);
        }
        if after.0 > self.max_bytes && after.0 > before.0 {
            return Err(Written::TooLarge { size: after.0 });
        }
        Ok(())
    }
}

/// The (bytes, keys) of user data among a record's fields, as [`Caps`] counts them.
pub(crate) fn user_size<'a>(fields: impl Iterator<Item = (&'a str, &'a str)>) -> (usize, usize) {
    fields
        .filter_map(|(field, value)| crate::codec::key_of_field(field).map(|key| (key, value)))
        .fold((0, 0), |(bytes, keys), (key, value)| {
            (bytes + key.len() + value.len(), keys + 1)
        })
}

impl<'a> Change<'a> {
    /// A change that sets every field of a whole record.
    pub fn whole(set: Vec<(&'a str, &'a str)>) -> Self {
        let record_bytes = set
            .iter()
            .map(|(field, value)| field.len() + value.len())
            .sum();
        Self {
            record_fields: set.len(),
            set,
            remove: Vec::new(),
            record_bytes,
            base: None,
            caps: None,
        }
    }
}

/// The outcome of a write. A write never brings back a record that is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Written {
    /// Written, and the record's expiry set to the given deadline.
    Stored,
    /// The record no longer exists (deleted, or expired meanwhile); nothing was written.
    Gone,
    /// A create or cycle found the new ID already taken; nothing was written.
    IdTaken,
    /// The update would take the record past its byte cap ([`Change::caps`]); nothing was
    /// written.
    TooLarge {
        /// The bytes of user keys and values the record would have held.
        size: usize,
    },
    /// The update would take the record past its key cap; nothing was written.
    TooManyKeys,
}

/// A session in a user's index: its storage name and when it expires at the latest (its
/// absolute deadline, Unix milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// The session's storage name, which is also its public handle.
    pub id: StorageId,
    /// The session's absolute deadline; it may expire earlier if left idle.
    pub expires_at: u64,
    /// Whether the session is still being created or renamed ([`SessionStore::index_add`]
    /// added it, [`SessionStore::index_confirm`] has not yet confirmed it). A pending entry
    /// whose record is missing is not stale: its record may be about to be written.
    pub pending: bool,
}

/// The operations a session store provides. Each is atomic and one round trip.
///
/// Implement it only to add a backend; applications pick [`RedisStore`] or [`MemoryStore`].
/// `deadline` is always in the future when the session calls; a store must make it the record's
/// expiry (Unix milliseconds) in the same atomic step as the operation.
pub trait SessionStore: Send + Sync + 'static {
    /// Loads a record and sets its expiry to `deadline`. `None` when it does not exist or is
    /// corrupt (logged at warn).
    fn load<'a>(
        &'a self,
        id: &'a StorageId,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Option<Loaded>, StoreError>>;

    /// Sets a record's expiry to `deadline` without reading it; whether it exists. The default
    /// loads the record (as [`load`](Self::load), one round trip) and drops what it read; a
    /// store that can slide an expiry alone should do that instead.
    fn touch<'a>(
        &'a self,
        id: &'a StorageId,
        deadline: u64,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move { Ok(self.load(id, deadline).await?.is_some()) })
    }

    /// Creates a record holding `change.set`. [`Written::IdTaken`] if the ID is in use.
    fn create<'a>(
        &'a self,
        id: &'a StorageId,
        change: &'a Change<'a>,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;

    /// Applies `change` to an existing record and, given a `deadline`, sets its expiry;
    /// [`Written::Gone`] (and no write) if the record no longer exists, and
    /// [`Written::TooLarge`] or [`Written::TooManyKeys`] if the record as stored, changed,
    /// would break `change.caps`. The session passes no
    /// deadline when its request has just set nearly the same one by loading the record. A store
    /// may use `change.base` to write the whole record when it is still as loaded.
    fn update<'a>(
        &'a self,
        id: &'a StorageId,
        change: &'a Change<'a>,
        deadline: Option<u64>,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;

    /// Moves a record to a new ID, applying `change` on the way; the old ID stops working at the
    /// instant the new one starts. [`Written::Gone`] if `from` no longer exists,
    /// [`Written::IdTaken`] if `to` does.
    fn cycle<'a>(
        &'a self,
        from: &'a StorageId,
        to: &'a StorageId,
        change: &'a Change<'a>,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;

    /// Deletes a record. Deleting a missing record is not an error.
    fn delete<'a>(&'a self, id: &'a StorageId) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Reads some fields of many records without touching their expiry (one pipeline). `None`
    /// for a record that does not exist; `None` inside for a field it does not have.
    fn read_many<'a>(
        &'a self,
        ids: &'a [StorageId],
        fields: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Vec<FieldsRow>, StoreError>>;

    /// Deletes many records (one pipeline); returns how many existed. Missing records are
    /// skipped.
    fn delete_many<'a>(&'a self, ids: &'a [StorageId]) -> BoxFuture<'a, Result<usize, StoreError>>;

    /// Adds a session that is about to be created or renamed to `user`'s index as a pending
    /// entry, and drops entries past their deadline at `now`. Returns the user's sign-out
    /// generation: an opaque value that every sign-out of all the user's sessions replaces
    /// ([`index_fence`](Self::index_fence)). A user who has none gets `fresh_generation`.
    ///
    /// The index, and the generation, must live at least as long as `entry.expires_at`.
    fn index_add<'a>(
        &'a self,
        user: &'a str,
        entry: &'a IndexEntry,
        now: u64,
        fresh_generation: &'a str,
    ) -> BoxFuture<'a, Result<String, StoreError>>;

    /// Confirms a pending entry once its record is written, in one atomic step: if `user`'s
    /// generation is still `generation` and the entry is still in the index (and so is the
    /// entry of the session it `replaces`, renamed into it), the entry is no longer pending,
    /// the replaced entry is removed, and the answer is `true`. Otherwise a sign-out or a
    /// revocation has begun since the session was born: the entry is removed and the answer is
    /// `false` (the caller then deletes the record).
    fn index_confirm<'a>(
        &'a self,
        user: &'a str,
        entry: &'a IndexEntry,
        generation: &'a str,
        replaces: Option<&'a StorageId>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Starts a sign-out of all (or all other) sessions of `user`: replaces the user's
    /// generation, so that no session or token born under the old one can still be created,
    /// renamed or signed in with. The old generation must be gone even when the server is out
    /// of memory (on Redis: a `DEL`); `next`, the generation of what the sign-out keeps, is
    /// stored afterwards, alive until `keep_until` (Unix ms), and only logged if that fails.
    fn index_fence<'a>(
        &'a self,
        user: &'a str,
        next: Option<&'a str>,
        keep_until: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The entries of `user`'s index that are not past their deadline at `now`; the others are
    /// dropped on the way.
    fn index_list<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<IndexEntry>, StoreError>>;

    /// As [`index_list`](Self::index_list), and in the same step, after the listing, the user's
    /// generation is deleted as by [`index_fence`](Self::index_fence) with no `next`: a
    /// sign-out lists the sessions it will delete and, at that instant, stops every session
    /// listed while pending from confirming. Must work when the server is out of memory.
    fn index_list_fenced<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<IndexEntry>, StoreError>>;

    /// Removes the entries of sessions found gone (their record missing) from `user`'s index,
    /// in one atomic step; returns how many were in it. Removes nothing while any entry of the
    /// index is pending: a session being renamed has no record under its old name until the
    /// rename is confirmed, and pruning that name would sign the session out.
    fn index_prune<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [StorageId],
    ) -> BoxFuture<'a, Result<usize, StoreError>>;

    /// Removes sessions from `user`'s index; returns how many were in it.
    fn index_remove<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [StorageId],
    ) -> BoxFuture<'a, Result<usize, StoreError>>;
}
