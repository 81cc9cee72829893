//! What the record operations of [`SessionStore`](super::SessionStore) take and return: a
//! loaded record, a change to write, the caps it must keep, and the outcome of a write.

use std::sync::Arc;

use bytes::Bytes;

/// A stored field: (field name, encoded value).
pub type Field = (String, String);

/// Some fields of one record, as [`SessionStore::read_many`](super::SessionStore::read_many) returns them: `None` for a missing
/// record, `None` inside for a missing field.
pub type FieldsRow = Option<Vec<Option<String>>>;

/// A record as [`SessionStore::load`](super::SessionStore::load) found it. Cloning it copies
/// no field: a store that keeps records in memory hands each request the same fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// Its fields (`collect()` them, or `.into()` a `Vec`).
    pub fields: Arc<[Field]>,
    /// The store's token for this version of the record, handed back with the request's write
    /// ([`Change::base`]); `None` from a store that needs none.
    pub revision: Option<Revision>,
}

/// A store's own token for a record as it was loaded, handed back with the write that follows
/// the load ([`Change::base`]), so that the store can tell whether the record changed meanwhile
/// or reuse what it learned at the load. Opaque to sessions: bytes and a number, which the store
/// that made it chooses (a version number, an ETag, the record itself) and only that store reads.
///
/// ```
/// use tower_redis_session::store::Revision;
///
/// let version = Revision::new(Vec::new(), 42);
/// assert_eq!((version.bytes(), version.number()), (&[][..], 42));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Revision {
    // Shared: a local cache hands the same revision to every request that reads its copy.
    bytes: Bytes,
    number: u64,
}

impl Revision {
    /// A revision of `bytes` and `number`.
    pub fn new(bytes: Vec<u8>, number: u64) -> Self {
        Self {
            bytes: Bytes::from(bytes),
            number,
        }
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its number.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl std::fmt::Debug for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token: it may hold session data.
        f.write_str("Revision(..)")
    }
}

/// What a write changes: fields to set and fields to remove. Nothing else is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change<'a> {
    /// (field name, encoded value) pairs to write.
    pub set: Vec<(&'a str, &'a str)>,
    /// Field names to delete.
    pub remove: Vec<&'a str>,
    /// The record's revision as this request loaded it, if it did and has not written since
    /// ([`Loaded::revision`]).
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

impl Caps {
    /// The refusal a store returns for a write that takes a record whose fields were `before`
    /// to `after`, or `None` if the write keeps within the caps. Only user keys and their values
    /// count (metadata fields, whose names start with one `$`, do not), and a record already
    /// over a cap may still shrink.
    pub fn refusal<'a>(
        &self,
        before: impl IntoIterator<Item = (&'a str, &'a str)>,
        after: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Option<Written> {
        let before = user_size(before.into_iter());
        let after = user_size(after.into_iter());
        self.check(before, after).err()
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
        Self {
            set,
            remove: Vec::new(),
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
