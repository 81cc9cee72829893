//! A local cache of session records (feature `local-cache`): a read of a session this server
//! has read before costs no Redis command while the copy is known current.
//!
//! Known current means two things. Redis client-side caching (RESP3 `CLIENT TRACKING` in
//! broadcast mode, on a connection of the cache's own: `tracking.rs`) sends an invalidation
//! whenever anyone changes, deletes, expires or evicts a session key, and the cache drops that
//! copy. And the tracking connection has proven itself within the lease: a `PING` answered on
//! it shows that every invalidation Redis sent before the `PING` has arrived, so a copy is
//! served only while the last answered `PING` was sent less than the lease ago. A sign-out that
//! has returned is therefore seen by every server's next read within the lease, whatever the
//! network does; a lost connection drops everything.
//!
//! The race the issue names (an invalidation arriving between a read's reply and the copy's
//! insertion) is closed by tickets: a load takes one before it sends `GETEX`, an invalidation
//! of that key (or a reconnection) voids it, and a void ticket inserts nothing.

mod tracking;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use deadpool_redis::redis::Client;
use tokio::sync::mpsc::UnboundedSender;

use super::RedisStoreBuilder;
use super::builder::Target;
use crate::error::StoreError;
use crate::store::Loaded;
use crate::time::UnixMillis;

crate::telemetry::counter!(
    /// A cached read: `hit`, `miss`, `stale` (no copy served: the lease had lapsed),
    /// `invalidated` (a copy dropped by Redis' invalidation), `evicted` (by the bounds).
    counted,
    "session_cache_total",
    "outcome"
);

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
    /// (default 100 ms): a copy is served only while the tracking connection answered a `PING`
    /// sent less than this ago.
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

/// The cache one store shares between its requests.
pub(super) struct LocalCache {
    config: LocalCacheConfig,
    state: Mutex<State>,
    /// When the instant the last answered `PING` was sent, as nanoseconds after `base` (0:
    /// never, or not since the connection was last lost).
    proven: AtomicU64,
    base: Instant,
    /// Slides for the tracking connection to send (`PEXPIREAT … GT`), off the request's path.
    slides: Mutex<Option<UnboundedSender<(String, UnixMillis)>>>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Keys in the order they were inserted; an entry used since is given another round.
    order: VecDeque<String>,
    bytes: usize,
    /// Loads in flight, by key: how many, and the key's invalidation count.
    inflight: HashMap<String, (u32, u64)>,
    /// Bumped whenever everything is dropped: a ticket of an earlier epoch inserts nothing.
    epoch: u64,
}

struct Entry {
    loaded: Loaded,
    bytes: usize,
    /// The deadline last given to the record in Redis, by a load or a slide.
    slid_to: UnixMillis,
    used: bool,
}

/// What a load took before it sent its read.
pub(super) struct Ticket {
    key: String,
    epoch: u64,
    invalidations: u64,
}

impl LocalCache {
    pub(super) fn new(config: LocalCacheConfig) -> Self {
        Self {
            config,
            state: Mutex::new(State::default()),
            proven: AtomicU64::new(0),
            base: Instant::now(),
            slides: Mutex::new(None),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the tracking connection proved itself within the lease: copies may be served and
    /// kept only then.
    pub(in crate::store::redis) fn current(&self) -> bool {
        let proven = self.proven.load(Ordering::Acquire);
        let lease = u128::from(proven) + self.config.lease.as_nanos();
        let current = proven != 0 && self.base.elapsed().as_nanos() < lease;
        if !current {
            counted("stale");
        }
        current
    }
    /// Records that a `PING` sent at `sent` was answered after every invalidation before it.
    fn prove(&self, sent: Instant) {
        let nanos = u64::try_from(sent.duration_since(self.base).as_nanos()).unwrap_or(u64::MAX);
        self.proven.store(nanos.max(1), Ordering::Release);
    }

    /// The copy of `key`, if it has one (the caller checked that copies are [`current`](Self::current)); the record's deadline is slid to `deadline`
    /// in the background when it has run down by a tenth of the way there. With the copy, whether
    /// a slide was due that the tracking connection could not take (the caller sends it).
    pub(super) fn get(&self, key: &str, deadline: UnixMillis) -> Option<(Loaded, bool)> {
        let mut state = self.lock();
        let Some(entry) = state.entries.get_mut(key) else {
            counted("miss");
            return None;
        };
        entry.used = true;
        let now = UnixMillis::now();
        let left = entry.slid_to.0.saturating_sub(now.0);
        let wanted = deadline.0.saturating_sub(now.0);
        let slide = left < wanted - wanted / 10;
        if slide {
            entry.slid_to = deadline;
        }
        let loaded = entry.loaded.clone();
        drop(state);
        let unsent = slide && !self.slide(key, deadline);
        counted("hit");
        Some((loaded, unsent))
    }

    /// Queues a slide for the tracking connection; `false` when it has none to take it.
    fn slide(&self, key: &str, deadline: UnixMillis) -> bool {
        let slides = self.slides.lock().unwrap_or_else(PoisonError::into_inner);
        slides
            .as_ref()
            .is_some_and(|sender| sender.send((key.to_owned(), deadline)).is_ok())
    }

    /// Takes a ticket for a load of `key`, before its read is sent.
    pub(super) fn ticket(&self, key: String) -> Ticket {
        let mut state = self.lock();
        let epoch = state.epoch;
        let inflight = state.inflight.entry(key.clone()).or_insert((0, 0));
        inflight.0 += 1;
        Ticket {
            invalidations: inflight.1,
            key,
            epoch,
        }
    }

    /// Ends a load, which read without sliding: keeps its result if nothing invalidated the key
    /// since its ticket was taken, and slides the record to `deadline`.
    /// `false` when the slide could not be queued (the caller sends it).
    #[must_use]
    pub(super) fn settle(
        &self,
        ticket: Ticket,
        loaded: Option<&Loaded>,
        deadline: UnixMillis,
    ) -> bool {
        let mut state = self.lock();
        let invalidations = match state.inflight.get_mut(&ticket.key) {
            Some((count, invalidations)) => {
                *count -= 1;
                let seen = *invalidations;
                if *count == 0 {
                    state.inflight.remove(&ticket.key);
                }
                seen
            }
            None => u64::MAX,
        };
        let unchanged = ticket.epoch == state.epoch && ticket.invalidations == invalidations;
        if let (true, Some(loaded)) = (unchanged, loaded) {
            let bytes = loaded.revision.as_ref().map_or(0, |r| r.bytes().len())
                + loaded
                    .fields
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
                + ticket.key.len();
            state.insert(
                &self.config,
                ticket.key.clone(),
                loaded.clone(),
                bytes,
                deadline,
            );
        }
        drop(state);
        loaded.is_none() || self.slide(&ticket.key, deadline)
    }

    /// Drops the copies of `keys` (Redis invalidated them, or this server writes them).
    pub(super) fn invalidate<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        let mut state = self.lock();
        for key in keys {
            if let Some((_, invalidations)) = state.inflight.get_mut(key) {
                *invalidations += 1;
            }
            if state.remove(key) {
                counted("invalidated");
            }
        }
    }

    /// Drops everything, and voids every ticket: the tracking connection was lost, replaced or
    /// flushed.
    pub(super) fn clear(&self) {
        self.proven.store(0, Ordering::Release);
        let mut state = self.lock();
        state.entries.clear();
        state.order.clear();
        state.bytes = 0;
        state.epoch += 1;
    }
}

impl State {
    fn insert(
        &mut self,
        config: &LocalCacheConfig,
        key: String,
        loaded: Loaded,
        bytes: usize,
        slid_to: UnixMillis,
    ) {
        if bytes > config.max_bytes {
            return;
        }
        self.remove(&key);
        // Keys removed stay queued until reached: keep the queue within twice the entries.
        if self.order.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.order.retain(|key| entries.contains_key(key));
        }
        self.bytes += bytes;
        self.order.push_back(key.clone());
        self.entries.insert(
            key,
            Entry {
                loaded,
                bytes,
                slid_to,
                used: false,
            },
        );
        // Second chance: an entry used since it was queued goes round again.
        while self.entries.len() > config.max_entries || self.bytes > config.max_bytes {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            match self.entries.get_mut(&oldest) {
                Some(entry) if entry.used => {
                    entry.used = false;
                    self.order.push_back(oldest);
                }
                Some(_) => {
                    self.remove(&oldest);
                    counted("evicted");
                }
                None => {}
            }
        }
    }

    /// Removes `key`'s copy; its place in `order` is skipped when reached.
    fn remove(&mut self, key: &str) -> bool {
        match self.entries.remove(key) {
            Some(entry) => {
                self.bytes -= entry.bytes;
                true
            }
            None => false,
        }
    }
}

/// The cache as the store holds it: started at its first use, on the runtime that serves the
/// requests.
pub(in crate::store::redis) struct CacheHandle {
    cache: Arc<LocalCache>,
    source: Arc<Source>,
    started: AtomicBool,
}

/// Where the tracking connection connects: the one server, or whichever the Sentinels name
/// master at each (re)connection.
pub(in crate::store::redis) enum Source {
    Server(Client),
    #[cfg(feature = "sentinel")]
    Sentinel(tokio::sync::Mutex<deadpool_redis::redis::sentinel::SentinelClient>),
}

impl Source {
    /// A client of the server to track, speaking RESP3.
    async fn client(&self) -> Result<Client, StoreError> {
        let client = match self {
            Self::Server(client) => client.clone(),
            #[cfg(feature = "sentinel")]
            Self::Sentinel(sentinel) => (sentinel.lock().await.async_get_client().await)
                .map_err(|error| StoreError::Unavailable(Box::new(error)))?,
        };
        tracking::resp3(&client)
    }
}

/// The store's cache for `config`, tracking `source`.
pub(in crate::store::redis) fn handle(
    config: Option<LocalCacheConfig>,
    source: Option<Source>,
) -> Result<Option<CacheHandle>, StoreError> {
    let Some(config) = config else {
        return Ok(None);
    };
    #[cfg(feature = "metrics")]
    metrics::describe_counter!(
        "session_cache_total",
        "Reads through the local cache, and its copies dropped, by outcome."
    );
    if config.lease.is_zero() || config.max_entries == 0 || config.max_bytes == 0 {
        return Err(StoreError::Config(
            "the local cache's lease, entries and bytes must be greater than zero".to_owned(),
        ));
    }
    let Some(source) = source else {
        return Err(StoreError::Config(
            "the local cache tracks a standalone server or a Sentinel-named master given by URLs: \
             not yet a Cluster"
                .to_owned(),
        ));
    };
    Ok(Some(CacheHandle {
        cache: Arc::new(LocalCache::new(config)),
        source: Arc::new(source),
        started: AtomicBool::new(false),
    }))
}

impl CacheHandle {
    /// The cache, its tracking connection started at the first call.
    pub(in crate::store::redis) fn running(&self, prefix: &str) -> &LocalCache {
        if !self.started.swap(true, Ordering::AcqRel) {
            tracking::start(&self.cache, Arc::clone(&self.source), prefix);
        }
        &self.cache
    }

    /// Checks that the server can track keys for the cache.
    pub(in crate::store::redis) async fn check(&self, prefix: &str) -> Result<(), StoreError> {
        tracking::check(&self.source.client().await?, prefix).await
    }
}

/// What the cache of a store reaching `target` tracks; `None` where it cannot (a Cluster, a
/// handed-over Sentinel client).
pub(in crate::store::redis) fn source(
    target: &Target,
) -> Result<Option<Source>, deadpool_redis::redis::RedisError> {
    Ok(match target {
        Target::Server(url) => Some(Source::Server(Client::open(url.as_str())?)),
        Target::Client(client) => Some(Source::Server((**client).clone())),
        #[cfg(feature = "sentinel")]
        Target::Sentinel { master, sentinels } => {
            use deadpool_redis::redis::sentinel::{SentinelClient, SentinelServerType};
            let sentinel = SentinelClient::build(
                sentinels.clone(),
                master.clone(),
                None,
                SentinelServerType::Master,
            )?;
            Some(Source::Sentinel(tokio::sync::Mutex::new(sentinel)))
        }
        _ => None,
    })
}

impl RedisStoreBuilder {
    /// Keeps a local copy of the sessions this server reads (feature `local-cache`; see
    /// [`LocalCacheConfig`]): a read of a copy known current sends no command, and a sign-out
    /// anywhere is seen here within the lease. Needs RESP3 client tracking (Redis 6+, Valkey),
    /// which [`RedisStore::check`](crate::RedisStore::check) verifies; a standalone server only,
    /// for now.
    pub fn local_cache(mut self, config: LocalCacheConfig) -> Self {
        self.local_cache = Some(config);
        self
    }
}
