//! The store traits as the layer holds them: object-safe, each method returning a boxed future.
//!
//! The public traits (`SessionStore`, `UserIndex`, `CartStore`, `TokenStore`) let a store write
//! `async fn`s; a trait whose methods return `impl Future` cannot be a `dyn` object, and the
//! layer keeps one store for every request, of a type it does not name. Each trait here is
//! implemented for every store with its public counterpart, by boxing the future: one
//! allocation a store operation, as before a store could write `async fn`.

use std::future::Future;
use std::pin::Pin;
#[cfg(feature = "cart")]
use std::time::Duration;

#[cfg(feature = "cart")]
use super::cart::{CartLimits, CartLine, CartOp, CartOwner, CartWritten, MergePolicy};
#[cfg(feature = "remember-me")]
use super::token::{Rotated, TokenRecord};
use super::{Change, FieldsRow, IndexEntry, Loaded, Written};
use crate::error::StoreError;
use crate::id::Handle;

/// A boxed, sendable future, as the methods here return.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`SessionStore`](super::SessionStore), object-safe.
pub(crate) trait DynSessionStore: Send + Sync {
    fn load<'a>(
        &'a self,
        id: &'a Handle,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Option<Loaded>, StoreError>>;
    fn touch<'a>(
        &'a self,
        id: &'a Handle,
        deadline: u64,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
    fn create<'a>(
        &'a self,
        id: &'a Handle,
        change: &'a Change<'a>,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;
    fn update<'a>(
        &'a self,
        id: &'a Handle,
        change: &'a Change<'a>,
        deadline: Option<u64>,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;
    fn cycle<'a>(
        &'a self,
        from: &'a Handle,
        to: &'a Handle,
        change: &'a Change<'a>,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;
    fn delete<'a>(&'a self, id: &'a Handle) -> BoxFuture<'a, Result<(), StoreError>>;
    fn read_many<'a>(
        &'a self,
        ids: &'a [Handle],
        fields: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Vec<FieldsRow>, StoreError>>;
    fn delete_many<'a>(&'a self, ids: &'a [Handle]) -> BoxFuture<'a, Result<usize, StoreError>>;
}

impl<T: super::SessionStore> DynSessionStore for T {
    fn load<'a>(
        &'a self,
        id: &'a Handle,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Option<Loaded>, StoreError>> {
        Box::pin(super::SessionStore::load(self, id, deadline))
    }

    fn touch<'a>(
        &'a self,
        id: &'a Handle,
        deadline: u64,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(super::SessionStore::touch(self, id, deadline))
    }

    fn create<'a>(
        &'a self,
        id: &'a Handle,
        change: &'a Change<'a>,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        Box::pin(super::SessionStore::create(self, id, change, deadline))
    }

    fn update<'a>(
        &'a self,
        id: &'a Handle,
        change: &'a Change<'a>,
        deadline: Option<u64>,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        Box::pin(super::SessionStore::update(self, id, change, deadline))
    }

    fn cycle<'a>(
        &'a self,
        from: &'a Handle,
        to: &'a Handle,
        change: &'a Change<'a>,
        deadline: u64,
    ) -> BoxFuture<'a, Result<Written, StoreError>> {
        Box::pin(super::SessionStore::cycle(self, from, to, change, deadline))
    }

    fn delete<'a>(&'a self, id: &'a Handle) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(super::SessionStore::delete(self, id))
    }

    fn read_many<'a>(
        &'a self,
        ids: &'a [Handle],
        fields: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Vec<FieldsRow>, StoreError>> {
        Box::pin(super::SessionStore::read_many(self, ids, fields))
    }

    fn delete_many<'a>(&'a self, ids: &'a [Handle]) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(super::SessionStore::delete_many(self, ids))
    }
}

/// [`UserIndex`](super::UserIndex), object-safe.
pub(crate) trait DynUserIndex: DynSessionStore {
    fn index_add<'a>(
        &'a self,
        user: &'a str,
        entry: &'a IndexEntry,
        now: u64,
        fresh_generation: &'a str,
    ) -> BoxFuture<'a, Result<String, StoreError>>;
    fn index_confirm<'a>(
        &'a self,
        user: &'a str,
        entry: &'a IndexEntry,
        generation: &'a str,
        replaces: Option<&'a Handle>,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
    fn index_fence<'a>(
        &'a self,
        user: &'a str,
        next: Option<&'a str>,
        keep_until: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn index_list<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<IndexEntry>, StoreError>>;
    fn index_list_fenced<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<IndexEntry>, StoreError>>;
    fn index_prune<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [Handle],
    ) -> BoxFuture<'a, Result<usize, StoreError>>;
    fn index_remove<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [Handle],
    ) -> BoxFuture<'a, Result<usize, StoreError>>;
}

impl<T: super::UserIndex> DynUserIndex for T {
    fn index_add<'a>(
        &'a self,
        user: &'a str,
        entry: &'a IndexEntry,
        now: u64,
        fresh_generation: &'a str,
    ) -> BoxFuture<'a, Result<String, StoreError>> {
        Box::pin(super::UserIndex::index_add(
            self,
            user,
            entry,
            now,
            fresh_generation,
        ))
    }

    fn index_confirm<'a>(
        &'a self,
        user: &'a str,
        entry: &'a IndexEntry,
        generation: &'a str,
        replaces: Option<&'a Handle>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(super::UserIndex::index_confirm(
            self, user, entry, generation, replaces,
        ))
    }

    fn index_fence<'a>(
        &'a self,
        user: &'a str,
        next: Option<&'a str>,
        keep_until: u64,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(super::UserIndex::index_fence(self, user, next, keep_until))
    }

    fn index_list<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<IndexEntry>, StoreError>> {
        Box::pin(super::UserIndex::index_list(self, user, now))
    }

    fn index_list_fenced<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<IndexEntry>, StoreError>> {
        Box::pin(super::UserIndex::index_list_fenced(self, user, now))
    }

    fn index_prune<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [Handle],
    ) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(super::UserIndex::index_prune(self, user, ids))
    }

    fn index_remove<'a>(
        &'a self,
        user: &'a str,
        ids: &'a [Handle],
    ) -> BoxFuture<'a, Result<usize, StoreError>> {
        Box::pin(super::UserIndex::index_remove(self, user, ids))
    }
}

#[cfg(feature = "cart")]
/// [`CartStore`](super::cart::CartStore), object-safe.
pub(crate) trait DynCartStore: DynSessionStore {
    fn cart_apply<'a>(
        &'a self,
        owner: &'a CartOwner,
        must_exist: bool,
        op: &'a CartOp<'a>,
        limits: CartLimits,
    ) -> BoxFuture<'a, Result<CartWritten, StoreError>>;
    fn cart_lines<'a>(
        &'a self,
        owner: &'a CartOwner,
    ) -> BoxFuture<'a, Result<Vec<CartLine>, StoreError>>;
    fn cart_clear<'a>(&'a self, owner: &'a CartOwner) -> BoxFuture<'a, Result<(), StoreError>>;
    fn cart_merge<'a>(
        &'a self,
        user: &'a str,
        source: &'a Handle,
        lines: &'a [CartLine],
        policy: MergePolicy,
        limits: CartLimits,
        source_ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}

#[cfg(feature = "cart")]
impl<T: super::cart::CartStore> DynCartStore for T {
    fn cart_apply<'a>(
        &'a self,
        owner: &'a CartOwner,
        must_exist: bool,
        op: &'a CartOp<'a>,
        limits: CartLimits,
    ) -> BoxFuture<'a, Result<CartWritten, StoreError>> {
        Box::pin(super::cart::CartStore::cart_apply(
            self, owner, must_exist, op, limits,
        ))
    }

    fn cart_lines<'a>(
        &'a self,
        owner: &'a CartOwner,
    ) -> BoxFuture<'a, Result<Vec<CartLine>, StoreError>> {
        Box::pin(super::cart::CartStore::cart_lines(self, owner))
    }

    fn cart_clear<'a>(&'a self, owner: &'a CartOwner) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(super::cart::CartStore::cart_clear(self, owner))
    }

    fn cart_merge<'a>(
        &'a self,
        user: &'a str,
        source: &'a Handle,
        lines: &'a [CartLine],
        policy: MergePolicy,
        limits: CartLimits,
        source_ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(super::cart::CartStore::cart_merge(
            self, user, source, lines, policy, limits, source_ttl,
        ))
    }
}

#[cfg(feature = "remember-me")]
/// [`TokenStore`](super::token::TokenStore), object-safe.
pub(crate) trait DynTokenStore: DynUserIndex {
    fn token_create<'a>(
        &'a self,
        selector: &'a str,
        record: &'a TokenRecord,
        fresh_generation: &'a str,
    ) -> BoxFuture<'a, Result<String, StoreError>>;
    fn token_restamp<'a>(
        &'a self,
        selector: &'a str,
        generation: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn token_get<'a>(
        &'a self,
        selector: &'a str,
    ) -> BoxFuture<'a, Result<Option<TokenRecord>, StoreError>>;
    fn token_rotate<'a>(
        &'a self,
        selector: &'a str,
        expected: &'a str,
        new_hash: &'a str,
        grace_until: u64,
        sealed: &'a str,
    ) -> BoxFuture<'a, Result<Rotated, StoreError>>;
    fn token_revoke<'a>(
        &'a self,
        user: &'a str,
        selectors: &'a [String],
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn token_list<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>>;
}

#[cfg(feature = "remember-me")]
impl<T: super::token::TokenStore> DynTokenStore for T {
    fn token_create<'a>(
        &'a self,
        selector: &'a str,
        record: &'a TokenRecord,
        fresh_generation: &'a str,
    ) -> BoxFuture<'a, Result<String, StoreError>> {
        Box::pin(super::token::TokenStore::token_create(
            self,
            selector,
            record,
            fresh_generation,
        ))
    }

    fn token_restamp<'a>(
        &'a self,
        selector: &'a str,
        generation: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(super::token::TokenStore::token_restamp(
            self, selector, generation,
        ))
    }

    fn token_get<'a>(
        &'a self,
        selector: &'a str,
    ) -> BoxFuture<'a, Result<Option<TokenRecord>, StoreError>> {
        Box::pin(super::token::TokenStore::token_get(self, selector))
    }

    fn token_rotate<'a>(
        &'a self,
        selector: &'a str,
        expected: &'a str,
        new_hash: &'a str,
        grace_until: u64,
        sealed: &'a str,
    ) -> BoxFuture<'a, Result<Rotated, StoreError>> {
        Box::pin(super::token::TokenStore::token_rotate(
            self,
            selector,
            expected,
            new_hash,
            grace_until,
            sealed,
        ))
    }

    fn token_revoke<'a>(
        &'a self,
        user: &'a str,
        selectors: &'a [String],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(super::token::TokenStore::token_revoke(
            self, user, selectors,
        ))
    }

    fn token_list<'a>(
        &'a self,
        user: &'a str,
        now: u64,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        Box::pin(super::token::TokenStore::token_list(self, user, now))
    }
}
