//! The storage abstraction: a few semantic operations that each take one round trip.
//!
//! [`RedisStore`] is the product; [`MemoryStore`] keeps the same semantics in process for
//! zero-setup runs and handler tests. Both pass the same conformance suite (`tests/`).
//!
//! Stores enforce time themselves, on their own clock: every operation that touches a record
//! sets its expiry to `min(now + idle, created + absolute)`, and a record past that point is gone
//! whatever a client sends.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::StoreError;
use crate::id::StorageId;

pub mod memory;
pub mod redis;
mod scripts;

pub use self::memory::MemoryStore;
pub use self::redis::{RedisStore, RedisStoreBuilder};

/// A boxed, sendable future, as returned by [`SessionStore`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The two timeouts every record obeys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry {
    /// Sliding: a record untouched for this long expires.
    pub idle: Duration,
    /// Fixed: a record expires this long after its creation, however active.
    pub absolute: Duration,
}

impl Expiry {
    /// The expiry, in Unix milliseconds, of a record created at `created` and touched at `now`.
    pub fn deadline(&self, created: u64, now: u64) -> u64 {
        let idle = now.saturating_add(millis(self.idle));
        let absolute = created.saturating_add(millis(self.absolute));
        idle.min(absolute)
    }
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A session record as loaded: its times and its stored fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Creation time, Unix milliseconds.
    pub created_at: u64,
    /// Expiry after this load slid it, Unix milliseconds.
    pub expires_at: u64,
    /// Every stored field other than the creation time, as (field name, encoded value).
    pub fields: Vec<(String, String)>,
}

/// What a write changes: fields to set and fields to remove. Nothing else is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change<'a> {
    /// (field name, encoded value) pairs to write.
    pub set: Vec<(&'a str, &'a str)>,
    /// Field names to delete.
    pub remove: Vec<&'a str>,
}

/// The outcome of a write. A write never brings back a record that is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Written {
    /// Written; the record now expires at this Unix-millisecond time.
    Stored {
        /// New expiry, Unix milliseconds.
        expires_at: u64,
    },
    /// The record no longer exists (deleted or expired meanwhile); nothing was written.
    Gone,
    /// A create found the ID already taken; nothing was written.
    IdTaken,
}

/// The operations a session store provides. Each is atomic and one round trip.
///
/// Implement it only to add a backend; applications pick [`RedisStore`] or [`MemoryStore`].
pub trait SessionStore: Send + Sync + 'static {
    /// Loads a record and slides its expiry in the same step. `None` when it does not exist, is
    /// past its deadline, or is corrupt (logged at warn).
    fn load<'a>(
        &'a self,
        id: &'a StorageId,
        expiry: Expiry,
    ) -> BoxFuture<'a, Result<Option<Record>, StoreError>>;

    /// Creates a record holding `change.set`, stamped with the store's current time.
    /// [`Written::IdTaken`] if a record already has this ID.
    fn create<'a>(
        &'a self,
        id: &'a StorageId,
        change: &'a Change<'a>,
        expiry: Expiry,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;

    /// Applies `change` to an existing record and slides its expiry; [`Written::Gone`] (and no
    /// write) if the record no longer exists.
    fn update<'a>(
        &'a self,
        id: &'a StorageId,
        change: &'a Change<'a>,
        expiry: Expiry,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;

    /// Moves a record to a new ID, applying `change` on the way; the old ID stops working at the
    /// instant the new one starts. Creation time is kept. [`Written::Gone`] if `from` no longer
    /// exists, [`Written::IdTaken`] if `to` does.
    fn cycle<'a>(
        &'a self,
        from: &'a StorageId,
        to: &'a StorageId,
        change: &'a Change<'a>,
        expiry: Expiry,
    ) -> BoxFuture<'a, Result<Written, StoreError>>;

    /// Deletes a record. Deleting a missing record is not an error.
    fn delete<'a>(&'a self, id: &'a StorageId) -> BoxFuture<'a, Result<(), StoreError>>;
}
