//! Ending one signed-in session: the one way out that a logout, a revocation, an eviction by
//! the session limit and a rename undone by a sign-out all take, so that every feature sees
//! every session end (remember-me revokes the token bound to it). Signing out all or all other
//! sessions of a user is `auth/users.rs`, built on the same index protocol.

use std::collections::HashMap;

use std::sync::atomic::Ordering;

use super::meta::{DEVICE, LAST_SEEN, USER, owner};
use super::{Context, Session};
use crate::error::SessionError;
use crate::id::Handle;
use crate::store::IndexEntry;
use crate::telemetry;
use crate::time::UnixMillis;

/// Ending this request's session.
impl Session {
    /// Deletes the session now: the record is removed from the store and the response expires
    /// the cookie (and the features' cookies, such as remember-me's). A signed-in session is
    /// signed out as by [`logout`](Self::logout): it leaves the user's device list, and
    /// whatever was bound to it (a remember-me token) is revoked. Inserting afterwards starts
    /// a new session with a new ID.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached; the session is then
    /// unchanged.
    pub async fn delete(&self) -> Result<(), SessionError> {
        self.end().await.map(drop)
    }

    /// Ends this request's session through [`end_one`] when signed in; returns whether it
    /// ended the session the request's cookie named (or, without one, any).
    pub(crate) async fn end(&self) -> Result<bool, SessionError> {
        self.shared.touched.store(true, Ordering::Release);
        let mut state = self.loaded().await?;
        let context = &self.shared.context;
        let id = state.id.as_ref().map(|id| id.handle());
        // A cookie naming a session that was gone (renamed by a parallel request, expired)
        // while remember-me signed a new one in: that one ends, not the one the browser meant.
        let named = state.cookie_id.as_ref().map(|named| named.handle());
        let meant = named.is_none() || named == id;
        let ended = match (owner(&state), id) {
            (Some(user), Some(id)) => end_one(context, &user, &id, &state.meta, "this").await?,
            (None, Some(id)) => context.store.delete_many(&[id]).await? > 0,
            (_, None) => false,
        };
        state.reset();
        for feature in &context.features {
            feature.signed_out(&mut state);
        }
        Ok(ended && meant)
    }
}

/// Ends `user`'s session `id`, whose metadata is `meta`: the features' `ending` hooks, then
/// the record, then its index entry (record first: never a live unlisted session). Returns
/// whether anything was ended: `false` when neither the record nor the entry was there (the
/// session was renamed or signed out meanwhile; see `session/index.rs`).
pub(crate) async fn end_one(
    context: &Context,
    user: &str,
    id: &Handle,
    meta: &HashMap<String, String>,
    why: &'static str,
) -> Result<bool, SessionError> {
    for feature in &context.features {
        if let Some(hook) = feature.ending(user, meta) {
            hook.await?;
        }
    }
    let ids = std::slice::from_ref(id);
    let deleted = context.store.delete_many(ids).await?;
    let unlisted = context.store.index_remove(user, ids).await?;
    telemetry::sign_out(why);
    Ok(deleted + unlisted > 0)
}

/// The metadata of sessions that no request of theirs has loaded, as far as signing them out
/// needs it: the user, the last-seen time and the fields the features keep. `None` for a
/// session whose record is gone.
pub(crate) async fn read_meta(
    context: &Context,
    ids: &[Handle],
) -> Result<Vec<Option<HashMap<String, String>>>, SessionError> {
    read_meta_with(context, ids, &[]).await
}

/// As [`read_meta`], with the metadata fields `extra` too.
async fn read_meta_with(
    context: &Context,
    ids: &[Handle],
    extra: &[&'static str],
) -> Result<Vec<Option<HashMap<String, String>>>, SessionError> {
    let mut fields = vec![USER, LAST_SEEN];
    fields.extend_from_slice(extra);
    for feature in &context.features {
        fields.extend_from_slice(feature.session_fields());
    }
    let rows = context.store.read_many(ids, &fields).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let row = row?;
            let meta = fields
                .iter()
                .zip(row)
                .filter_map(|(field, value)| value.map(|value| ((*field).to_owned(), value)));
            Some(meta.collect())
        })
        .collect())
}

/// Keeps `user` within `limit` sessions after a sign-in: the least recently seen beyond it end
/// through [`end_one`]. Every sign-in ranks the sessions it lists the same way (last seen,
/// then when signed in, then handle), and ends only sessions that at least `limit` others
/// outrank, so parallel sign-ins leave exactly the `limit` most recent. Returns whether `own`
/// survived.
pub(crate) async fn keep_limit(
    context: &Context,
    user: &str,
    own: &Handle,
    limit: usize,
) -> Result<bool, SessionError> {
    let entries = context.store.index_list(user, UnixMillis::now()).await?;
    // A pending entry is a session being created or renamed: its sign-in counts itself once
    // confirmed, and a renamed one is counted under its old name until then.
    let ids: Vec<Handle> = entries
        .into_iter()
        .filter(|entry| !entry.pending)
        .map(|entry: IndexEntry| entry.id)
        .collect();
    if ids.len() <= limit {
        return Ok(true);
    }
    let metas = read_meta_with(context, &ids, &[DEVICE]).await?;
    // Last seen, then signed in (so that a sign-in outranks a session last seen in the same
    // millisecond), then handle.
    let mut live: Vec<(Rank, Handle, HashMap<String, String>)> = ids
        .into_iter()
        .zip(metas)
        .filter_map(|(id, meta)| {
            let meta = meta?;
            let seen = meta.get(LAST_SEEN).and_then(|raw| raw.parse().ok());
            let signed_in = meta.get(DEVICE).and_then(|raw| signed_in_at(raw));
            Some(((seen.unwrap_or(0), signed_in.unwrap_or(0)), id, meta))
        })
        .collect();
    live.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    let mut survived = true;
    for (_, id, meta) in live.iter().skip(limit) {
        survived &= id != own;
        end_one(context, user, id, meta, "evicted").await?;
    }
    Ok(survived)
}

/// How recent a session is, as a sign-in past the limit ranks it: (last seen, signed in), Unix
/// milliseconds.
type Rank = (u64, u64);

/// When a session was signed in, from its device record (`$d`, whose `c` is that time in Unix
/// milliseconds: see `auth/device.rs`).
fn signed_in_at(device: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct SignedIn {
        c: u64,
    }
    serde_json::from_str::<SignedIn>(device).ok().map(|at| at.c)
}
