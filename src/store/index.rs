//! The user index contract: each user's list of signed-in sessions and sign-out generation, on
//! top of the record operations. Why each operation must be one atomic step, and what the
//! steps together guarantee, is in `session/index.rs`.

use std::future::Future;

use super::SessionStore;
use crate::error::StoreError;
use crate::id::Handle;
use crate::time::UnixMillis;

/// A session in a user's index: its handle and when it expires at the latest (its
/// absolute deadline, Unix milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// The session's handle.
    pub id: Handle,
    /// The session's absolute deadline; it may expire earlier if left idle.
    pub expires_at: UnixMillis,
    /// Whether the session is still being created or renamed ([`UserIndex::index_add`]
    /// added it, [`UserIndex::index_confirm`] has not yet confirmed it). A pending entry
    /// whose record is missing is not stale: its record may be about to be written.
    pub pending: bool,
}

/// Each user's index of signed-in sessions and sign-out generation: what login, device
/// listings and every sign-out build on. Each operation is atomic and one round trip; the
/// index of a user and the user's generation may live apart from the records (on Redis Cluster
/// they are in another slot), and nothing here needs to change a record.
pub trait UserIndex: SessionStore {
    /// Adds a session that is about to be created or renamed to `user`'s index as a pending
    /// entry, and drops entries past their deadline at `now`. Returns the user's sign-out
    /// generation: an opaque value that every sign-out of all the user's sessions replaces
    /// ([`index_fence`](Self::index_fence)). A user who has none gets `fresh_generation`.
    ///
    /// The index, and the generation, must live at least as long as `entry.expires_at`.
    fn index_add(
        &self,
        user: &str,
        entry: &IndexEntry,
        now: UnixMillis,
        fresh_generation: &str,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// Confirms a pending entry once its record is written, in one atomic step: if `user`'s
    /// generation is still `generation` and the entry is still in the index (and so is the
    /// entry of the session it `replaces`, renamed into it), the entry is no longer pending,
    /// the replaced entry is removed, and the answer is `true`. Otherwise a sign-out or a
    /// revocation has begun since the session was born: the entry is removed and the answer is
    /// `false` (the caller then deletes the record).
    fn index_confirm(
        &self,
        user: &str,
        entry: &IndexEntry,
        generation: &str,
        replaces: Option<&Handle>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Starts a sign-out of all (or all other) sessions of `user`: replaces the user's
    /// generation, so that no session or token born under the old one can still be created,
    /// renamed or signed in with. The old generation must be gone even when the server is out
    /// of memory (on Redis: a `DEL`); `next`, the generation of what the sign-out keeps, is
    /// stored afterwards, alive until `keep_until` (Unix ms), and only logged if that fails.
    fn index_fence(
        &self,
        user: &str,
        next: Option<&str>,
        keep_until: UnixMillis,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The entries of `user`'s index that are not past their deadline at `now`; the others are
    /// dropped on the way.
    fn index_list(
        &self,
        user: &str,
        now: UnixMillis,
    ) -> impl Future<Output = Result<Vec<IndexEntry>, StoreError>> + Send;

    /// As [`index_list`](Self::index_list), and in the same step, after the listing, the user's
    /// generation is deleted as by [`index_fence`](Self::index_fence) with no `next`: a
    /// sign-out lists the sessions it will delete and, at that instant, stops every session
    /// listed while pending from confirming. Must work when the server is out of memory.
    fn index_list_fenced(
        &self,
        user: &str,
        now: UnixMillis,
    ) -> impl Future<Output = Result<Vec<IndexEntry>, StoreError>> + Send;

    /// Removes the entries of sessions found gone (their record missing) from `user`'s index,
    /// in one atomic step; returns how many were in it. Removes nothing while any entry of the
    /// index is pending: a session being renamed has no record under its old name until the
    /// rename is confirmed, and pruning that name would sign the session out.
    fn index_prune(
        &self,
        user: &str,
        ids: &[Handle],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Removes sessions from `user`'s index; returns how many were in it.
    fn index_remove(
        &self,
        user: &str,
        ids: &[Handle],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}
