//! A local cache of session records (feature `local-cache`): a read of a session this server
//! has read before costs no Redis command while the copy is known current.
//!
//! Known current means two things. Redis client-side caching (RESP3 `CLIENT TRACKING` in
//! broadcast mode, on a connection of the cache's own: `tracking.rs`) sends an invalidation
//! whenever anyone changes, deletes, expires or evicts a session key, and the cache drops that
//! copy. And the tracking connection has proven itself within the lease: a `ROLE` answered on
//! it shows that every invalidation Redis sent before the `ROLE` has arrived, so a copy is
//! served only while the last answered `ROLE` was sent less than the lease ago. A sign-out that
//! has returned is therefore seen by every server's next read within the lease, whatever the
//! network does; a lost connection drops everything.
//!
//! The race other client-side caches were reported to have (an invalidation arriving between a
//! read's reply and the copy's insertion) is closed by tickets: a load takes one before it sends
//! its `GET`, an invalidation or a write of that key (or a reconnection) voids it, and a void
//! ticket keeps nothing. That `GET` goes on the tracking connection itself, so a copy always
//! comes from the server whose invalidations the cache receives (not, say, an old master).
//!
//! A copy is also served only while its record is known alive in Redis: until the deadline read
//! with it (`PTTL`), or that of the last slide Redis answered for that very copy. Redis deletes
//! an expired key (and sends its invalidation) only when it gets round to it, which on a busy
//! server can be long after the idle timeout ran out.
//!
//! Every slide is a change, which drops the other servers' copies of that session: a load reads
//! the record's deadline rather than sliding it, and a slide waits until the record has run down
//! by a tenth of its idle timeout, so each session slides at most once per tenth, whichever
//! server reads it.

mod cluster;
mod config;
mod handle;
mod routes;
mod tracking;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
#[cfg(test)]
use std::time::Duration;
use std::time::Instant;

use deadpool_redis::redis::aio::MultiplexedConnection;
use tokio::sync::mpsc::UnboundedSender;

use self::routes::Routes;

pub use self::config::LocalCacheConfig;
pub(super) use self::handle::{CacheHandle, Source, handle, source};
use crate::store::Loaded;
use crate::time::UnixMillis;

crate::telemetry::counter!(
    /// A cached read: `hit`, `miss`, `stale` (no copy served: the lease had lapsed),
    /// `invalidated` (a copy dropped by Redis' invalidation), `evicted` (by the bounds).
    counted,
    "session_cache_total",
    "outcome"
);

/// The cache one store shares between its requests.
pub(super) struct LocalCache {
    config: LocalCacheConfig,
    state: Mutex<State>,
    /// The instant the last answered `ROLE` was sent, as nanoseconds after `base` (0:
    /// never, or not since the connection was last lost).
    proven: AtomicU64,
    base: Instant,
    /// What the tracking connections take while they run.
    lanes: Mutex<Option<Lanes>>,
}

/// The slides for the tracking connections to send (`PEXPIREAT … GT`), off the request's path,
/// and the connection each key's reads go on.
struct Lanes {
    slides: UnboundedSender<Slide>,
    routes: Arc<Routes>,
}

/// A slide for the tracking connection to send: `key`'s deadline moved to `deadline`, for the
/// copy of `generation` (0: for no copy).
pub(super) struct Slide {
    pub(super) key: String,
    pub(super) deadline: UnixMillis,
    pub(super) generation: u64,
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
    /// The last copy's generation: each copy kept has its own, so that a slide's answer is
    /// applied to the copy it was sent for and to no later one.
    generation: u64,
}

struct Entry {
    loaded: Loaded,
    bytes: usize,
    /// The deadline last asked of Redis for the record, by a load or a slide.
    slid_to: UnixMillis,
    /// Until when the record is known alive in Redis: as read with the copy, or the deadline
    /// of the last slide Redis answered for this copy.
    alive_until: UnixMillis,
    generation: u64,
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
            lanes: Mutex::new(None),
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
    /// Records that a `ROLE` sent at `sent` was answered after every invalidation before it.
    fn prove(&self, sent: Instant) {
        let nanos = u64::try_from(sent.duration_since(self.base).as_nanos()).unwrap_or(u64::MAX);
        self.proven.store(nanos.max(1), Ordering::Release);
    }

    /// The copy of `key`, if it has one (the caller checked that copies are [`current`](Self::current)); the record's deadline is slid to `deadline`
    /// in the background when it has run down by a tenth of the way there. With the copy, whether
    /// a slide was due that the tracking connection could not take (the caller sends it).
    pub(super) fn get(&self, key: &str, deadline: UnixMillis) -> Option<(Loaded, bool)> {
        let mut state = self.lock();
        let now = UnixMillis::now();
        let Some(entry) = state.entries.get_mut(key) else {
            counted("miss");
            return None;
        };
        if entry.alive_until <= now {
            // Its idle timeout may have run out in Redis, which deletes it when it gets round
            // to it.
            state.remove(key);
            counted("miss");
            return None;
        }
        entry.used = true;
        let slide = due(entry.slid_to, deadline, now);
        if slide {
            entry.slid_to = deadline;
        }
        let (loaded, generation) = (entry.loaded.clone(), entry.generation);
        drop(state);
        let unsent = slide && !self.slide(key, deadline, generation);
        counted("hit");
        Some((loaded, unsent))
    }

    /// Queues a slide for the tracking connection; `false` when it has none to take it.
    fn slide(&self, key: &str, deadline: UnixMillis, generation: u64) -> bool {
        let lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        lanes.as_ref().is_some_and(|lanes| {
            let key = key.to_owned();
            (lanes.slides.send(Slide {
                key,
                deadline,
                generation,
            }))
            .is_ok()
        })
    }

    /// The tracking connection to read `key` on, for a load whose copy may be kept: one read
    /// from any other connection might come from a server the cache does not track (an old
    /// master still up after a failover). `None` while the tracking connections are down.
    pub(super) fn reader(&self, key: &str) -> Option<MultiplexedConnection> {
        let lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        lanes.as_ref()?.routes.connection(key)
    }

    /// The tracking connections run again: slides and reads go on `routes`.
    fn track(&self, slides: UnboundedSender<Slide>, routes: Arc<Routes>) {
        let lanes = Lanes { slides, routes };
        *self.lanes.lock().unwrap_or_else(PoisonError::into_inner) = Some(lanes);
    }

    /// Redis answered the slide of `generation`'s copy of `key`: the record lives until
    /// `deadline` at least. (Any invalidation Redis sent before that answer was applied first,
    /// so a copy still of that generation is the record as it is.)
    pub(super) fn slid(&self, key: &str, generation: u64, deadline: UnixMillis) {
        let mut state = self.lock();
        if let Some(entry) = state.entries.get_mut(key)
            && entry.generation == generation
        {
            entry.alive_until = entry.alive_until.max(deadline);
        }
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

    /// Ends a load, which read without sliding the record that lives until `lives`: keeps its
    /// result if nothing invalidated the key since its ticket was taken (a copy another load
    /// kept meanwhile stays), and slides the record to `deadline` if a slide is due. `false`
    /// when the slide could not be queued (the caller sends it).
    #[must_use]
    pub(super) fn settle(
        &self,
        ticket: Ticket,
        loaded: Option<&Loaded>,
        lives: Option<UnixMillis>,
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
        if unchanged && state.entries.contains_key(&ticket.key) {
            return true;
        }
        let Some(loaded) = loaded else {
            return true;
        };
        // A record without a deadline (none set yet, or gone) is given one and not kept.
        let Some(lives) = lives else {
            drop(state);
            return self.slide(&ticket.key, deadline, 0);
        };
        let slide = due(lives, deadline, UnixMillis::now());
        let mut generation = 0;
        if unchanged {
            let bytes = loaded.revision.as_ref().map_or(0, |r| r.bytes().len())
                + loaded
                    .fields
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
                + ticket.key.len();
            generation = state.insert(
                &self.config,
                ticket.key.clone(),
                loaded.clone(),
                bytes,
                lives,
            );
            if let (true, Some(entry)) = (slide, state.entries.get_mut(&ticket.key)) {
                entry.slid_to = deadline;
            }
        }
        drop(state);
        !slide || self.slide(&ticket.key, deadline, generation)
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
        *self.lanes.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let mut state = self.lock();
        state.entries.clear();
        state.order.clear();
        state.bytes = 0;
        state.epoch += 1;
    }
}

/// Whether a record that lives until `lives` is due to slide to `deadline`: once it has run
/// down by a tenth of the way there. Every slide drops the other servers' copies, so they are
/// spaced that far apart.
fn due(lives: UnixMillis, deadline: UnixMillis, now: UnixMillis) -> bool {
    let left = lives.0.saturating_sub(now.0);
    let wanted = deadline.0.saturating_sub(now.0);
    left < wanted - wanted / 10
}

impl State {
    fn insert(
        &mut self,
        config: &LocalCacheConfig,
        key: String,
        loaded: Loaded,
        bytes: usize,
        lives: UnixMillis,
    ) -> u64 {
        if bytes > config.max_bytes {
            return 0;
        }
        self.remove(&key);
        self.generation += 1;
        let generation = self.generation;
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
                slid_to: lives,
                alive_until: lives,
                generation,
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
        generation
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

#[cfg(test)]
mod tests;
