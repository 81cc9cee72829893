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
#[cfg(feature = "dbsc")]
use super::challenge::ChallengeLimit;
#[cfg(feature = "remember-me")]
use super::token::{Rotated, TokenRecord};
use super::{Change, FieldsRow, IndexEntry, Loaded, Written};
use crate::error::StoreError;
use crate::id::Handle;
use crate::time::UnixMillis;

/// A boxed, sendable future, as the methods here return.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Declares an object-safe twin of a public store trait, and implements it for every store
/// that has the public one: each method boxes the future the public method returns.
macro_rules! erased {
    ($(#[$attr:meta])* $twin:ident: [$($supers:tt)+] of $public:path {
        $(fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;)*
    }) => {
        $(#[$attr])*
        pub(crate) trait $twin: $($supers)+ {
            $(fn $name<'a>(&'a self $(, $arg: $ty)*) -> BoxFuture<'a, $ret>;)*
        }

        $(#[$attr])*
        impl<T: $public> $twin for T {
            $(
                fn $name<'a>(&'a self $(, $arg: $ty)*) -> BoxFuture<'a, $ret> {
                    Box::pin(<T as $public>::$name(self $(, $arg)*))
                }
            )*
        }
    };
}

erased! {
    /// [`SessionStore`](super::SessionStore), object-safe.
    DynSessionStore: [Send + Sync] of super::SessionStore {
        fn load(&self, id: &'a Handle, deadline: UnixMillis) -> Result<Option<Loaded>, StoreError>;
        fn touch(&self, id: &'a Handle, deadline: UnixMillis) -> Result<bool, StoreError>;
        fn create(
            &self,
            id: &'a Handle,
            change: &'a Change<'a>,
            deadline: UnixMillis,
        ) -> Result<Written, StoreError>;
        fn update(
            &self,
            id: &'a Handle,
            change: &'a Change<'a>,
            deadline: Option<UnixMillis>,
        ) -> Result<Written, StoreError>;
        fn cycle(
            &self,
            from: &'a Handle,
            to: &'a Handle,
            change: &'a Change<'a>,
            deadline: UnixMillis,
        ) -> Result<Written, StoreError>;
        fn delete(&self, id: &'a Handle) -> Result<(), StoreError>;
        fn read_many(
            &self,
            ids: &'a [Handle],
            fields: &'a [&'a str],
        ) -> Result<Vec<FieldsRow>, StoreError>;
        fn delete_many(&self, ids: &'a [Handle]) -> Result<usize, StoreError>;
    }
}

erased! {
    /// [`UserIndex`](super::UserIndex), object-safe.
    DynUserIndex: [DynSessionStore] of super::UserIndex {
        fn index_add(
            &self,
            user: &'a str,
            entry: &'a IndexEntry,
            now: UnixMillis,
            fresh_generation: &'a str,
        ) -> Result<String, StoreError>;
        fn index_confirm(
            &self,
            user: &'a str,
            entry: &'a IndexEntry,
            generation: &'a str,
            replaces: Option<&'a Handle>,
        ) -> Result<bool, StoreError>;
        fn index_fence(
            &self,
            user: &'a str,
            next: Option<&'a str>,
            keep_until: UnixMillis,
        ) -> Result<(), StoreError>;
        fn index_list(&self, user: &'a str, now: UnixMillis) -> Result<Vec<IndexEntry>, StoreError>;
        fn index_list_fenced(&self, user: &'a str, now: UnixMillis) -> Result<Vec<IndexEntry>, StoreError>;
        fn index_prune(&self, user: &'a str, ids: &'a [Handle]) -> Result<usize, StoreError>;
        fn index_remove(&self, user: &'a str, ids: &'a [Handle]) -> Result<usize, StoreError>;
    }
}

erased! {
    /// [`CartStore`](super::cart::CartStore), object-safe.
    #[cfg(feature = "cart")]
    DynCartStore: [DynSessionStore] of super::cart::CartStore {
        fn cart_apply(
            &self,
            owner: &'a CartOwner,
            must_exist: bool,
            op: &'a CartOp<'a>,
            limits: CartLimits,
        ) -> Result<CartWritten, StoreError>;
        fn cart_lines(&self, owner: &'a CartOwner) -> Result<Vec<CartLine>, StoreError>;
        fn cart_clear(&self, owner: &'a CartOwner) -> Result<(), StoreError>;
        fn cart_merge(
            &self,
            user: &'a str,
            source: &'a Handle,
            lines: &'a [CartLine],
            policy: MergePolicy,
            limits: CartLimits,
            source_ttl: Duration,
        ) -> Result<bool, StoreError>;
    }
}

erased! {
    /// [`TokenStore`](super::token::TokenStore), object-safe.
    #[cfg(feature = "remember-me")]
    DynTokenStore: [DynUserIndex] of super::token::TokenStore {
        fn token_create(
            &self,
            selector: &'a str,
            record: &'a TokenRecord,
            fresh_generation: &'a str,
        ) -> Result<String, StoreError>;
        fn token_restamp(&self, selector: &'a str, generation: &'a str) -> Result<(), StoreError>;
        fn token_carry(&self, selector: &'a str, carried: &'a str) -> Result<(), StoreError>;
        fn token_get(&self, selector: &'a str) -> Result<Option<TokenRecord>, StoreError>;
        fn token_rotate(
            &self,
            selector: &'a str,
            expected: &'a str,
            new_hash: &'a str,
            grace_until: UnixMillis,
            sealed: &'a str,
        ) -> Result<Rotated, StoreError>;
        fn token_revoke(&self, user: &'a str, selectors: &'a [String]) -> Result<(), StoreError>;
        fn token_list(&self, user: &'a str, now: UnixMillis) -> Result<Vec<String>, StoreError>;
    }
}

erased! {
    /// [`ChallengeStore`](super::challenge::ChallengeStore), object-safe.
    #[cfg(feature = "dbsc")]
    DynChallengeStore: [DynUserIndex] of super::challenge::ChallengeStore {
        fn challenge_issue(
            &self,
            scope: &'a Handle,
            challenge: &'a str,
            deadline: UnixMillis,
            limit: ChallengeLimit,
        ) -> Result<bool, StoreError>;
        fn challenge_take(&self, scope: &'a Handle, challenge: &'a str) -> Result<bool, StoreError>;
    }
}
