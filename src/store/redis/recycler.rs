//! The manager the store's pool opens and recycles connections with: deadpool-redis' own
//! manager, minus the `PING` for a connection in use moments ago, plus the check of the server's
//! `maxmemory-policy`, and minus every connection opened before a failover the store has seen.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, RecycleResult};
use deadpool_redis::redis::RedisError;
use deadpool_redis::redis::aio::ConnectionLike;

use super::eviction::{self, Evicting};

/// A deadpool-redis manager, minus the `PING` for connections that were in use moments ago, plus
/// the check of the server's `maxmemory-policy` (see `eviction.rs`): a new connection to a server
/// that can evict fails with [`StoreError::EvictionPolicy`] (or, with `allow_eviction`, logs a
/// warning once); a pooled connection whose server turned evicting since logs an error once, in
/// place of the `PING` of its recycling.
pub(super) struct Recycler<M> {
    pub(super) manager: M,
    pub(super) trust: Duration,
    pub(super) allow_eviction: bool,
    pub(super) retirement: std::sync::Arc<Retirement>,
}

/// The connections a failover made wrong: every one opened before the store saw a Sentinel name
/// another master (the pool's watch, or the local cache) is closed rather than used again, so
/// that no read goes on to an old master that is still up. (A demoted master needs none of
/// this: the Sentinels close every connection to it when they reconfigure it.)
#[derive(Default)]
pub(super) struct Retirement {
    /// Bumped at every retirement: a connection handle kept outside the pool remembers it.
    generation: AtomicU64,
    /// When the connections opened before it were retired.
    since: Mutex<Option<Instant>>,
}

impl Retirement {
    /// Retires every connection opened until now.
    #[cfg(any(feature = "local-cache", feature = "sentinel"))]
    pub(super) fn retire_all(&self) {
        *self.since.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// How many retirements there have been.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn retired(&self, created: Instant) -> bool {
        let since = *self.since.lock().unwrap_or_else(PoisonError::into_inner);
        since.is_some_and(|since| created <= since)
    }
}

/// A pooled connection, and whether its server's policy was already reported.
pub(super) struct Checked<T> {
    pub(super) connection: T,
    reported: bool,
}

/// Why the pool could not hand out a connection.
#[derive(Debug, thiserror::Error)]
pub(super) enum ConnectError {
    #[error(transparent)]
    Redis(#[from] RedisError),
    #[error("the server's maxmemory-policy is {}", .0.policy)]
    Evicting(Evicting),
}

impl<M> managed::Manager for Recycler<M>
where
    M: managed::Manager<Error = RedisError>,
    M::Type: ConnectionLike + Send,
{
    type Type = Checked<M::Type>;
    type Error = ConnectError;

    async fn create(&self) -> Result<Self::Type, ConnectError> {
        let mut connection = self.manager.create().await?;
        let evicting = eviction::check(&mut connection).await?;
        if let Some(evicting) = &evicting {
            if !self.allow_eviction {
                return Err(ConnectError::Evicting(evicting.clone()));
            }
            tracing::warn!(
                policy = %evicting.policy,
                node = evicting.node.as_deref(),
                "connected to a Redis whose maxmemory-policy can evict session, index and token \
                 keys (allowed by allow_eviction): under memory pressure sign-outs can miss sessions"
            );
        }
        Ok(Checked {
            connection,
            reported: evicting.is_some(),
        })
    }

    async fn recycle(
        &self,
        conn: &mut Self::Type,
        metrics: &Metrics,
    ) -> RecycleResult<ConnectError> {
        if self.retirement.retired(metrics.created) {
            return Err(managed::RecycleError::message("opened before a failover"));
        }
        if metrics.last_used() < self.trust {
            return Ok(());
        }
        // `INFO memory` is the liveness check a `PING` would be, and tells the policy.
        let evicting = eviction::check(&mut conn.connection)
            .await
            .map_err(ConnectError::Redis)?;
        if let (Some(evicting), false) = (&evicting, conn.reported) {
            conn.reported = true;
            tracing::error!(
                policy = %evicting.policy,
                node = evicting.node.as_deref(),
                "the Redis server's maxmemory-policy now can evict session, index and token keys: \
                 under memory pressure sign-outs can miss sessions; set maxmemory-policy noeviction"
            );
        }
        Ok(())
    }
}
