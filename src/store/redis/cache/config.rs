//! [`LocalCacheConfig`] and the builder method that turns the cache on.

use std::time::Duration;

use crate::store::redis::RedisStoreBuilder;

/// Settings of the local cache, given to
/// [`RedisStoreBuilder::local_cache`](crate::RedisStoreBuilder::local_cache).
#[derive(Clone, Debug)]
#[must_use]
pub struct LocalCacheConfig {
    pub(super) lease: Duration,
    pub(super) max_entries: usize,
    pub(super) max_bytes: usize,
}

impl Default for LocalCacheConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_millis(100),
            max_entries: 10_000,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

impl LocalCacheConfig {
    /// The longest a sign-out may go unseen by this server's reads, whatever the network does
    /// (default 100 ms): a copy is served only while the tracking connection answered a `ROLE`
    /// sent less than this ago (on Sentinel, and every Sentinel then named the tracked master).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The most sessions kept (default 10,000); past it, the least recently used go.
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// The most bytes of records kept (default 64 MiB); past it, the least recently used go.
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }
}

impl RedisStoreBuilder {
    /// Keeps a local copy of the sessions this server reads (feature `local-cache`; see
    /// [`LocalCacheConfig`]): a read of a copy known current sends no command, and a sign-out
    /// anywhere is seen here within the lease. Needs RESP3 client tracking (Redis 6+, Valkey),
    /// which [`RedisStore::check`](crate::RedisStore::check) verifies. A standalone server, a
    /// Cluster (every master tracked) or a Sentinel-named master (every Sentinel asked, each
    /// round, which master it names: while one does not answer, no copy is served), given by
    /// URLs or a redis-rs `Client`; [`build`](RedisStoreBuilder::build) refuses it for a
    /// handed-over Cluster or Sentinel client.
    pub fn local_cache(mut self, config: LocalCacheConfig) -> Self {
        self.local_cache = Some(config);
        self
    }
}
