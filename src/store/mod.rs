//! The storage abstraction: a few semantic operations that each take one round trip.
//!
//! [`RedisStore`] is the product; [`MemoryStore`] keeps the same semantics in process for
//! zero-setup runs and handler tests. Both pass the same conformance suite (`tests/`).
//!
//! # Implementing a store
//! A backend (Postgres, SQLite, another key-value server) implements two traits. [`SessionStore`]
//! holds the records: `load`, `create`, `update`, `cycle`, `delete`, and the bulk reads and
//! deletes of device listings and sign-outs. [`UserIndex`], on top of it, keeps each user's
//! list of signed-in sessions and sign-out generation. Each method is one atomic step; its
//! documentation says what must hold under concurrency, and `session/index.rs` why. With those
//! two the layer runs with the crate's default features off (`default-features = false`):
//! sessions, login, devices and every sign-out.
//!
//! The features ask for more, as extension traits (the way `tower-sessions` has
//! `ExpiredDeletion`): `cart::CartStore` for the `cart` feature, `token::TokenStore` for
//! `remember-me`. [`LayerStore`] names what the enabled features need, and is implemented for
//! every store that has it. Cargo unifies features across a build, so a store meant for
//! applications with default features implements all four.
//!
//! A store proves itself with the conformance suite that this crate's own stores pass: with the
//! `test-kit` feature, one `tower_redis_session::conformance_suite!(YourBackend)` line in a test
//! file runs every behaviour the layer promises against it, races included, with the features'
//! behaviours where those features are on (see the `test_kit` module).
//! `examples/third-party-store` is a complete store written with public items only that passes
//! it; [`MemoryStore`] is the complete one with every feature (`store/memory/`: one trait per
//! file).
//!
//! Time is decided by the session, not the store: every operation carries the record's new
//! deadline, `min(now + idle, created + absolute)` in Unix milliseconds, and the store makes it
//! the record's expiry in the same step (an update may leave the expiry that the same request's
//! load has just set). A record past its deadline is gone, whatever a client sends.

use std::future::Future;

use crate::error::StoreError;
use crate::id::Handle;

#[cfg(feature = "cart")]
pub mod cart;
#[cfg(feature = "dbsc")]
pub mod challenge;
mod erased;
mod index;
pub mod memory;
mod record;
pub mod redis;
#[cfg(feature = "remember-me")]
pub mod token;

#[cfg(feature = "cart")]
pub(crate) use self::erased::DynCartStore;
#[cfg(feature = "dbsc")]
pub(crate) use self::erased::DynChallengeStore;
#[cfg(feature = "remember-me")]
pub(crate) use self::erased::DynTokenStore;
pub(crate) use self::erased::{BoxFuture, DynUserIndex};
pub use self::index::{IndexEntry, UserIndex};
pub(crate) use self::record::user_size;
pub use self::record::{Caps, Change, Field, FieldsRow, Loaded, Revision, Written};
pub use crate::time::UnixMillis;

pub use self::memory::MemoryStore;
#[cfg(feature = "local-cache")]
pub use self::redis::LocalCacheConfig;
pub use self::redis::{RedisStore, RedisStoreBuilder};

/// What [`SessionLayer::builder`](crate::SessionLayer::builder) asks of a store: the core
/// [`SessionStore`], and the abilities the enabled Cargo features use: `store::cart::CartStore`
/// with `cart`, `store::token::TokenStore` with `remember-me`, `store::challenge::ChallengeStore` with `dbsc`.
/// Implemented for every store that
/// has them; [`RedisStore`] and [`MemoryStore`] have them all.
pub trait LayerStore:
    UserIndex + abilities::Carts + abilities::Tokens + abilities::Challenges
{
}

impl<T: UserIndex + abilities::Carts + abilities::Tokens + abilities::Challenges> LayerStore for T {}

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

    /// `ChallengeStore` with the `dbsc` feature; nothing without it.
    #[cfg(feature = "dbsc")]
    pub trait Challenges: super::challenge::ChallengeStore {}
    #[cfg(feature = "dbsc")]
    impl<T: super::challenge::ChallengeStore> Challenges for T {}
    /// `ChallengeStore` with the `dbsc` feature; nothing without it.
    #[cfg(not(feature = "dbsc"))]
    pub trait Challenges {}
    #[cfg(not(feature = "dbsc"))]
    impl<T> Challenges for T {}
}

/// The operations a session store provides. Each is atomic and one round trip.
///
/// Implement it only to add a backend; applications pick [`RedisStore`] or [`MemoryStore`].
/// `deadline` is always in the future when the session calls; a store must make it the record's
/// expiry (Unix milliseconds) in the same atomic step as the operation.
pub trait SessionStore: Send + Sync + 'static {
    /// Loads a record and sets its expiry to `deadline`. `None` when it does not exist or is
    /// corrupt (logged at warn).
    fn load(
        &self,
        id: &Handle,
        deadline: UnixMillis,
    ) -> impl Future<Output = Result<Option<Loaded>, StoreError>> + Send;

    /// Sets a record's expiry to `deadline` without reading it; whether it exists. The default
    /// loads the record (as [`load`](Self::load), one round trip) and drops what it read; a
    /// store that can slide an expiry alone should do that instead.
    fn touch(
        &self,
        id: &Handle,
        deadline: UnixMillis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        async move { Ok(self.load(id, deadline).await?.is_some()) }
    }

    /// Creates a record holding `change.set`. [`Written::IdTaken`] if the ID is in use.
    fn create(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> impl Future<Output = Result<Written, StoreError>> + Send;

    /// Applies `change` to an existing record and, given a `deadline`, sets its expiry;
    /// [`Written::Gone`] (and no write) if the record no longer exists, and
    /// [`Written::TooLarge`] or [`Written::TooManyKeys`] if the record as stored, changed,
    /// would break `change.caps`. The session passes no
    /// deadline when its request has just set nearly the same one by loading the record. A store
    /// may use `change.base` to write the whole record when it is still as loaded.
    fn update(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: Option<UnixMillis>,
    ) -> impl Future<Output = Result<Written, StoreError>> + Send;

    /// Moves a record to a new ID, applying `change` on the way; the old ID stops working at the
    /// instant the new one starts. [`Written::Gone`] if `from` no longer exists,
    /// [`Written::IdTaken`] if `to` does.
    fn cycle(
        &self,
        from: &Handle,
        to: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> impl Future<Output = Result<Written, StoreError>> + Send;

    /// Deletes a record. Deleting a missing record is not an error.
    fn delete(&self, id: &Handle) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Reads some fields of many records without touching their expiry (one pipeline). `None`
    /// for a record that does not exist; `None` inside for a field it does not have.
    fn read_many(
        &self,
        ids: &[Handle],
        fields: &[&str],
    ) -> impl Future<Output = Result<Vec<FieldsRow>, StoreError>> + Send;

    /// Deletes many records (one pipeline); returns how many existed. Missing records are
    /// skipped.
    fn delete_many(&self, ids: &[Handle])
    -> impl Future<Output = Result<usize, StoreError>> + Send;
}
