//! Keeping each user's index of sessions exact while sessions are created, renamed and signed
//! out concurrently.
//!
//! The index names every signed-in session of a user, and sign-out deletes what it names, so a
//! live session missing from it would outlive "sign out everywhere". On Redis Cluster the index
//! and a session's record are in different slots, so no step can change both; the order of the
//! steps is what keeps the promise:
//!
//! - A session is created or renamed only through [`enter`]: its entry is added, marked
//!   pending, before its record exists, and confirmed after. Confirming fails if the user's
//!   sign-out generation changed since the session was born or the entry was removed (a
//!   sign-out or a revocation ran meanwhile); the new record is then deleted before any cookie
//!   names it.
//! - Sign-out of all (or all other) sessions deletes the generation (a fence), revokes the
//!   remember-me tokens, lists the index and fences again in the same step, then deletes the
//!   sessions it listed and, last, their entries (`auth/users.rs`). Whatever was confirmed before the first fence
//!   is listed; whatever is born, renamed or signed in with a token from before it fails to
//!   confirm; and a session listed while still pending (its record perhaps written only after
//!   the deletion) fails to confirm after the second.
//! - A rename confirms only while the old name is still listed, and its confirmation unlists
//!   the old name in the same step; revoking a session deletes its record, then unlists it. So
//!   a revocation racing a rename either ends the renamed session, or finds the old name gone
//!   and reports that it revoked nothing.
//! - Entries are pruned only once confirmed and their record is gone: a confirmed session whose
//!   record is missing never comes back, while a pending one may be about to be written. And
//!   nothing is pruned while any entry of the user is pending ([`UserIndex::index_prune`]):
//!   a session being renamed has no record under its old name until the rename confirms, so a
//!   device listing or `cleanup_expired` that read the old name as gone would otherwise unlist
//!   it, and the rename's confirmation would then sign the session out. The price: a server
//!   that stops between adding a pending entry and confirming it leaves that entry pending
//!   until its deadline (the session's absolute timeout at most), and the user's stale
//!   entries stay in the index until then. Nothing is wrong meanwhile: listings skip entries
//!   whose record is gone, and sign-outs delete what is listed; the index is only larger.
//! - Every single session ends through `session/sign_out.rs` (logout, revocation, eviction by
//!   the session limit): the features' `ending` hooks first (remember-me revokes that device's
//!   token), then the record, then the entry. A rename refused because its old name was
//!   unlisted meanwhile ends there too, so a token bound to it dies with it.
//! - A logout racing a rename of the same session: if the rename has not confirmed when the
//!   logout unlists the old name, the rename fails to confirm and the session ends; if it
//!   confirmed first, the logout finds neither record nor entry and reports that it ended
//!   nothing (`Session::logout` answers `false`): it never claims to have ended a session
//!   that lives on under its new name.

use std::future::Future;

use crate::error::{SessionError, StoreError};
use crate::id::{Handle, random_text};
use crate::store::{DynUserIndex, IndexEntry, Written};
use crate::time::UnixMillis;

/// What [`enter`] did.
#[derive(Debug)]
pub(crate) enum Entered {
    /// Written and listed, stamped with this generation.
    Listed(String),
    /// A sign-out of the user, or a revocation of the session being renamed, got in the way:
    /// nothing of the new session is left. For a rename, the session has ended.
    SignedOut,
    /// The write itself stored nothing (the record to rename is gone, a cap, a taken ID), so
    /// neither did this.
    Refused(Written),
}

/// A signed-in session about to be written under a new handle.
pub(crate) struct Entering<'a> {
    /// Whose it is.
    pub(crate) user: &'a str,
    /// Its entry in the user's index: its new handle and absolute deadline.
    pub(crate) entry: &'a IndexEntry,
    /// The generation it was born under; `None` for a session born now.
    pub(crate) born: Option<&'a str>,
    /// The handle it is renamed from; `None` for a new session.
    pub(crate) renames: Option<&'a Handle>,
}

/// Writes `session` with `write`, so that from the moment its record exists it is in the
/// user's index, and only if no sign-out of the user began since it was born and, for a
/// rename, the old handle was not revoked meanwhile. `write` is given the generation to stamp
/// the record with.
pub(crate) async fn enter<F, Fut>(
    store: &dyn DynUserIndex,
    session: &Entering<'_>,
    write: F,
) -> Result<Entered, SessionError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Written, StoreError>>,
{
    let Entering {
        user,
        entry,
        born,
        renames,
    } = *session;
    let fresh = random_text().map_err(SessionError::Randomness)?;
    let now = UnixMillis::now();
    let current = store.index_add(user, entry, now, &fresh).await?;
    let generation = born.map_or(current.clone(), str::to_owned);
    let unlist = || store.index_remove(user, std::slice::from_ref(&entry.id));
    if generation != current {
        tracing::info!("a sign-out of the user began since this session was born; not written");
        unlist().await?;
        return Ok(Entered::SignedOut);
    }
    let written = write(generation.clone()).await?;
    if written != Written::Stored {
        unlist().await?;
        return Ok(Entered::Refused(written));
    }
    if !store
        .index_confirm(user, entry, &generation, renames)
        .await?
    {
        tracing::info!("a sign-out of the user ran while this session was written; undone");
        store.delete(&entry.id).await?;
        return Ok(Entered::SignedOut);
    }
    Ok(Entered::Listed(generation))
}

/// Gives `user` a fresh generation, alive until `keep_until`, for what a sign-out of the user's
/// other sessions keeps; returns it.
pub(crate) async fn renew(
    store: &dyn DynUserIndex,
    user: &str,
    keep_until: UnixMillis,
) -> Result<String, SessionError> {
    let next = random_text().map_err(SessionError::Randomness)?;
    store.index_fence(user, Some(&next), keep_until).await?;
    Ok(next)
}
