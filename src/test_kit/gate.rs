//! [`Gate`]: a store that holds a rename's confirmation until the test lets it go, so that a
//! behaviour can force the interleaving a race only sometimes hits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(feature = "cart")]
use std::time::Duration;

use tokio::sync::Notify;

use crate::error::StoreError;
use crate::id::Handle;
#[cfg(feature = "cart")]
use crate::store::cart::{CartLimits, CartLine, CartOp, CartOwner, CartWritten, MergePolicy};
#[cfg(feature = "remember-me")]
use crate::store::token::{Rotated, TokenRecord};
use crate::store::{Change, FieldsRow, IndexEntry, LayerStore, Loaded, Written};
use crate::time::UnixMillis;

/// The store `inner`, except that once armed it holds the next rename's confirmation (the
/// moment a renamed session's record exists under its new name while its index entry is still
/// pending) until released.
#[derive(Clone)]
pub(crate) struct Gate<S> {
    inner: S,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    armed: AtomicBool,
    reached: Notify,
    released: Notify,
}

impl<S> Gate<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            state: Arc::default(),
        }
    }

    /// Holds the next rename's confirmation.
    pub(crate) fn arm(&self) {
        self.state.armed.store(true, Ordering::SeqCst);
    }

    /// Waits until a rename's confirmation is held.
    pub(crate) async fn reached(&self) {
        self.state.reached.notified().await;
    }

    /// Lets the held confirmation go on.
    pub(crate) fn release(&self) {
        self.state.released.notify_one();
    }

    async fn wait_if_armed(&self, rename: bool) {
        if rename && self.state.armed.swap(false, Ordering::SeqCst) {
            self.state.reached.notify_one();
            self.state.released.notified().await;
        }
    }
}

impl<S: LayerStore> crate::SessionStore for Gate<S> {
    async fn load(&self, id: &Handle, deadline: UnixMillis) -> Result<Option<Loaded>, StoreError> {
        self.inner.load(id, deadline).await
    }

    async fn touch(&self, id: &Handle, deadline: UnixMillis) -> Result<bool, StoreError> {
        self.inner.touch(id, deadline).await
    }

    async fn create(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        self.inner.create(id, change, deadline).await
    }

    async fn update(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: Option<UnixMillis>,
    ) -> Result<Written, StoreError> {
        self.inner.update(id, change, deadline).await
    }

    async fn cycle(
        &self,
        from: &Handle,
        to: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        self.inner.cycle(from, to, change, deadline).await
    }

    async fn delete(&self, id: &Handle) -> Result<(), StoreError> {
        self.inner.delete(id).await
    }

    async fn read_many(
        &self,
        ids: &[Handle],
        fields: &[&str],
    ) -> Result<Vec<FieldsRow>, StoreError> {
        self.inner.read_many(ids, fields).await
    }

    async fn delete_many(&self, ids: &[Handle]) -> Result<usize, StoreError> {
        self.inner.delete_many(ids).await
    }
}

impl<S: LayerStore> crate::UserIndex for Gate<S> {
    async fn index_add(
        &self,
        user: &str,
        entry: &IndexEntry,
        now: UnixMillis,
        fresh_generation: &str,
    ) -> Result<String, StoreError> {
        self.inner
            .index_add(user, entry, now, fresh_generation)
            .await
    }

    async fn index_confirm(
        &self,
        user: &str,
        entry: &IndexEntry,
        generation: &str,
        replaces: Option<&Handle>,
    ) -> Result<bool, StoreError> {
        self.wait_if_armed(replaces.is_some()).await;
        self.inner
            .index_confirm(user, entry, generation, replaces)
            .await
    }

    async fn index_fence(
        &self,
        user: &str,
        next: Option<&str>,
        keep_until: UnixMillis,
    ) -> Result<(), StoreError> {
        self.inner.index_fence(user, next, keep_until).await
    }

    async fn index_list(&self, user: &str, now: UnixMillis) -> Result<Vec<IndexEntry>, StoreError> {
        self.inner.index_list(user, now).await
    }

    async fn index_list_fenced(
        &self,
        user: &str,
        now: UnixMillis,
    ) -> Result<Vec<IndexEntry>, StoreError> {
        self.inner.index_list_fenced(user, now).await
    }

    async fn index_prune(&self, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
        self.inner.index_prune(user, ids).await
    }

    async fn index_remove(&self, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
        self.inner.index_remove(user, ids).await
    }
}

#[cfg(feature = "cart")]
impl<S: LayerStore> crate::store::cart::CartStore for Gate<S> {
    async fn cart_apply(
        &self,
        owner: &CartOwner,
        must_exist: bool,
        op: &CartOp<'_>,
        limits: CartLimits,
    ) -> Result<CartWritten, StoreError> {
        self.inner.cart_apply(owner, must_exist, op, limits).await
    }

    async fn cart_lines(&self, owner: &CartOwner) -> Result<Vec<CartLine>, StoreError> {
        self.inner.cart_lines(owner).await
    }

    async fn cart_clear(&self, owner: &CartOwner) -> Result<(), StoreError> {
        self.inner.cart_clear(owner).await
    }

    async fn cart_merge(
        &self,
        user: &str,
        source: &Handle,
        lines: &[CartLine],
        policy: MergePolicy,
        limits: CartLimits,
        source_ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.inner
            .cart_merge(user, source, lines, policy, limits, source_ttl)
            .await
    }
}

#[cfg(feature = "remember-me")]
impl<S: LayerStore> crate::store::token::TokenStore for Gate<S> {
    async fn token_create(
        &self,
        selector: &str,
        record: &TokenRecord,
        fresh_generation: &str,
    ) -> Result<String, StoreError> {
        self.inner
            .token_create(selector, record, fresh_generation)
            .await
    }

    async fn token_restamp(&self, selector: &str, generation: &str) -> Result<(), StoreError> {
        self.inner.token_restamp(selector, generation).await
    }

    async fn token_carry(&self, selector: &str, carried: &str) -> Result<(), StoreError> {
        self.inner.token_carry(selector, carried).await
    }

    async fn token_get(&self, selector: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.inner.token_get(selector).await
    }

    async fn token_rotate(
        &self,
        selector: &str,
        expected: &str,
        new_hash: &str,
        grace_until: UnixMillis,
        sealed: &str,
    ) -> Result<Rotated, StoreError> {
        self.inner
            .token_rotate(selector, expected, new_hash, grace_until, sealed)
            .await
    }

    async fn token_revoke(&self, user: &str, selectors: &[String]) -> Result<(), StoreError> {
        self.inner.token_revoke(user, selectors).await
    }

    async fn token_list(&self, user: &str, now: UnixMillis) -> Result<Vec<String>, StoreError> {
        self.inner.token_list(user, now).await
    }
}

#[cfg(feature = "dbsc")]
impl<S: LayerStore> crate::store::challenge::ChallengeStore for Gate<S> {
    async fn challenge_issue(
        &self,
        scope: &crate::Handle,
        challenge: &str,
        deadline: UnixMillis,
        limit: crate::store::challenge::ChallengeLimit,
    ) -> Result<bool, StoreError> {
        (self.inner)
            .challenge_issue(scope, challenge, deadline, limit)
            .await
    }

    async fn challenge_take(
        &self,
        scope: &crate::Handle,
        challenge: &str,
    ) -> Result<bool, StoreError> {
        self.inner.challenge_take(scope, challenge).await
    }
}
