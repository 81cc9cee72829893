//! [`UserSessions`]: a user's signed-in sessions, outside of any request.

use std::collections::HashMap;
use std::sync::Arc;

use crate::auth::device::{belongs_to, device_info};
use crate::auth::{DeviceInfo, check_user_id};
use crate::error::SessionError;
use crate::id::Handle;
use crate::session::meta::{LISTED_FIELDS, USER};
use crate::session::{Context, index, sign_out};
use crate::store::IndexEntry;
use crate::telemetry;
use crate::time::UnixMillis;

/// Every user's signed-in sessions, outside of any request. Made by
/// [`SessionLayer::users`](crate::SessionLayer::users) or [`Session::users`](crate::Session::users).
///
/// Each operation takes a small, fixed number of round trips however many sessions the user
/// has: the index read, one pipeline over the sessions, and the index update.
#[derive(Clone)]
pub struct UserSessions {
    context: Arc<Context>,
}

/// The session a sign-out of a user's other sessions keeps: its handle (once stored) and
/// its metadata, where the features find what they keep for it.
#[derive(Clone, Copy)]
pub(crate) struct Kept<'a> {
    pub(crate) id: Option<&'a Handle>,
    pub(crate) meta: &'a HashMap<String, String>,
}

impl std::fmt::Debug for UserSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSessions").finish_non_exhaustive()
    }
}

impl UserSessions {
    pub(crate) fn new(context: Arc<Context>) -> Self {
        Self { context }
    }

    /// `user_id`'s live sessions, most recently seen first (none marked current).
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store could not be
    /// reached.
    pub async fn devices(&self, user_id: &str) -> Result<Vec<DeviceInfo>, SessionError> {
        check_user_id(user_id)?;
        self.list(user_id, None).await
    }

    /// Signs out `user_id`'s session named `handle`, and revokes what was bound to it (its
    /// remember-me token), so that device is signed out for good; `false` if the user has no
    /// such session, or it was renamed meanwhile (see `session/index.rs`).
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store could not be
    /// reached.
    #[must_use = "`false` means no session was signed out"]
    pub async fn revoke(&self, user_id: &str, handle: &str) -> Result<bool, SessionError> {
        check_user_id(user_id)?;
        let Some(target) = Handle::parse(handle) else {
            return Ok(false);
        };
        if !self.indexed(user_id).await?.iter().any(|e| e.id == target) {
            return Ok(false);
        }
        let target = [target];
        let meta = sign_out::read_meta(&self.context, &target).await?;
        // A record already gone (renamed, expired) has nothing bound to it left to read: the
        // entry is unlisted all the same, and a rename in flight then fails to confirm and
        // ends the session itself.
        let meta = meta.into_iter().flatten().next().unwrap_or_default();
        let [target] = target;
        sign_out::end_one(&self.context, user_id, &target, &meta, "device").await
    }

    /// Signs out every session of `user_id`; returns how many. Safe to repeat if interrupted.
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store could not be
    /// reached.
    #[must_use = "the count says how many sessions were signed out"]
    pub async fn logout_all(&self, user_id: &str) -> Result<usize, SessionError> {
        check_user_id(user_id)?;
        Ok(self.sign_out(user_id, None).await?.0)
    }

    /// Drops `user_id`'s index entries whose session has expired; returns how many. Listing
    /// does the same on the way; call this where nothing lists (a nightly job, say). While a
    /// session of the user is being signed in or renamed, it drops nothing (a renamed session
    /// looks expired under its old name until the rename completes).
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store could not be
    /// reached.
    #[must_use = "the count says how many entries were dropped"]
    pub async fn cleanup_expired(&self, user_id: &str) -> Result<usize, SessionError> {
        check_user_id(user_id)?;
        let store = &*self.context.store;
        // Pending entries are sessions being written: not stale, even where no record exists yet.
        let ids: Vec<Handle> = self
            .indexed(user_id)
            .await?
            .into_iter()
            .filter(|entry| !entry.pending)
            .map(|entry| entry.id)
            .collect();
        let rows = store.read_many(&ids, &[USER]).await?;
        let stale: Vec<Handle> = ids
            .into_iter()
            .zip(rows)
            .filter(|(_, row)| !belongs_to(row.as_deref(), user_id))
            .map(|(id, _)| id)
            .collect();
        Ok(store.index_prune(user_id, &stale).await?)
    }

    /// The entries of `user`'s index that are not past their absolute deadline.
    async fn indexed(&self, user: &str) -> Result<Vec<IndexEntry>, SessionError> {
        Ok(self
            .context
            .store
            .index_list(user, UnixMillis::now())
            .await?)
    }

    /// Signs out the user's sessions except `keep`, and what the features keep that could sign
    /// the user in again except what belongs to `keep`, in the order `session/index.rs`
    /// explains: the user's generation replaced, the features' credentials revoked, the sessions
    /// listed, the generation replaced again, then the listed sessions deleted and, last, their
    /// entries, so that an interruption leaves entries a retry deletes again, never a live
    /// unlisted session. Returns how many sessions, and the generation what was kept now
    /// carries.
    pub(crate) async fn sign_out(
        &self,
        user: &str,
        keep: Option<Kept<'_>>,
    ) -> Result<(usize, Option<String>), SessionError> {
        let store = &*self.context.store;
        let features = &self.context.features;
        let now = UnixMillis::now();
        let lifetime = features
            .iter()
            .map(|feature| feature.sign_in_lifetime())
            .fold(self.context.config.timeouts.absolute, std::cmp::max);
        // Fenced before listing: nothing born under the old generation can be created or
        // renamed from now on.
        store.index_fence(user, None, UnixMillis(0)).await?;
        for feature in features {
            if let Some(hook) = feature.signing_out(user, keep.map(|keep| keep.meta)) {
                hook.await?;
            }
        }
        // Listed and fenced again in one step: a session listed while pending cannot confirm
        // later, when its record, written after the deletion below, would outlive it.
        let mut ids: Vec<Handle> = store
            .index_list_fenced(user, now)
            .await?
            .into_iter()
            .map(|entry| entry.id)
            .collect();
        let mut kept = None;
        if let Some(keep) = keep {
            let until = now.after(lifetime);
            let generation = index::renew(store, user, until).await?;
            for feature in features {
                if let Some(hook) = feature.kept(keep.meta, &generation) {
                    hook.await?;
                }
            }
            ids.retain(|id| Some(id) != keep.id);
            kept = Some(generation);
        }
        store.delete_many(&ids).await?;
        store.index_remove(user, &ids).await?;
        telemetry::sign_out(if kept.is_some() { "others" } else { "all" });
        Ok((ids.len(), kept))
    }

    pub(super) async fn list(
        &self,
        user: &str,
        current: Option<&Handle>,
    ) -> Result<Vec<DeviceInfo>, SessionError> {
        let store = &*self.context.store;
        let entries = self.indexed(user).await?;
        let ids: Vec<Handle> = entries.iter().map(|entry| entry.id.clone()).collect();
        let rows = store.read_many(&ids, &LISTED_FIELDS).await?;
        let mut devices = Vec::with_capacity(ids.len());
        let mut stale = Vec::new();
        for (entry, row) in entries.into_iter().zip(rows) {
            match row.and_then(|row| device_info(&row, user, &entry.id, current)) {
                Some(device) => devices.push(device),
                // A pending entry's record may be about to be written: not stale.
                None if entry.pending => {}
                None => stale.push(entry.id),
            }
        }
        if !stale.is_empty() {
            store.index_prune(user, &stale).await?;
        }
        devices.sort_by_key(|device| std::cmp::Reverse(device.last_seen_at));
        Ok(devices)
    }
}
