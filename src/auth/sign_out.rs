//! Signing out this session, one other, the others or all, and listing the devices, on a
//! [`Session`].

use std::sync::Arc;

use crate::auth::device::device_info;
use crate::auth::users::Kept;
use crate::auth::{DeviceInfo, UserSessions};
use crate::error::SessionError;
use crate::id::Handle;
use crate::session::meta::{GENERATION, LISTED_FIELDS, json, owner};
use crate::session::{Session, State};

/// Signing out on a [`Session`].
impl Session {
    /// Signs out: deletes this session now, removes it from the user's device list, revokes
    /// what was bound to it (its remember-me token), and expires the cookies (with
    /// `Clear-Site-Data` if so configured). Returns whether it ended the session the request's
    /// cookie named: `false` when there was none, or it was gone (expired, or given a new ID
    /// first by a parallel request of the same browser through
    /// [`cycle_id`](Self::cycle_id) or [`set_expiry`](Self::set_expiry): it then lives on
    /// under that ID, which the other response hands the browser). A remember-me token the
    /// request carried is revoked either way.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    pub async fn logout(&self) -> Result<bool, SessionError> {
        let ended = self.end().await?;
        self.loaded().await?.clear_site_data |= self.context().config.clear_site_data;
        Ok(ended)
    }

    /// The signed-in user's sessions, most recently seen first, this one marked `current` and
    /// shown as this request leaves it (its last-seen time and activity, not yet written).
    /// Empty when nobody is signed in.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, SessionError> {
        let (user, current) = self.user_and_handle().await?;
        let Some(user) = user else {
            return Ok(Vec::new());
        };
        let mut devices = self.users().list(&user, current.as_ref()).await?;
        let Some(current) = current else {
            return Ok(devices);
        };
        let state = self.loaded().await?;
        let row: Vec<Option<String>> = LISTED_FIELDS
            .iter()
            .map(|field| state.meta.get(*field).cloned())
            .collect();
        let pending = device_info(&row, &user, &current, Some(&current));
        if let (Some(pending), Some(listed)) = (pending, devices.iter_mut().find(|d| d.current)) {
            *listed = pending;
            devices.sort_by_key(|device| std::cmp::Reverse(device.last_seen_at));
        }
        Ok(devices)
    }

    /// Signs out the signed-in user's session named `handle`, and revokes what was bound to it
    /// (its remember-me token), so that device is signed out for good; `false` if the user has
    /// no such session. Revoking this session's own handle is a [`logout`](Self::logout).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    #[must_use = "`false` means no session was signed out"]
    pub async fn revoke(&self, handle: &str) -> Result<bool, SessionError> {
        let (user, current) = self.user_and_handle().await?;
        let Some(user) = user else {
            return Ok(false);
        };
        if current.is_some_and(|current| current.to_string() == handle) {
            return self.logout().await;
        }
        self.users().revoke(&user, handle).await
    }

    /// Signs out every other session of the signed-in user, and their remember-me tokens
    /// (what a password change calls); returns how many sessions. A login, ID cycle or
    /// remember-me sign-in of another device racing it is undone, and a token issued to another
    /// device before it signs nobody in again (see the crate's README, "Signed-in users").
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    #[must_use = "the count says how many sessions were signed out"]
    pub async fn logout_others(&self) -> Result<usize, SessionError> {
        let (user, current) = self.user_and_handle().await?;
        let Some(user) = user else {
            return Ok(0);
        };
        let meta = self.loaded().await?.meta.clone();
        let keep = Kept {
            id: current.as_ref(),
            meta: &meta,
        };
        let (count, kept) = self.users().sign_out(&user, Some(keep)).await?;
        if let Some(generation) = kept {
            // This session is kept: it now carries the generation the sign-out began.
            self.loaded().await?.set_meta(GENERATION, json(&generation));
        }
        Ok(count)
    }

    /// Signs out every session of the signed-in user, this one included, and every remember-me
    /// token; returns how many sessions. A login, ID cycle or remember-me sign-in racing it is
    /// undone, and no token issued before it signs anyone in again.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    #[must_use = "the count says how many sessions were signed out"]
    pub async fn logout_all(&self) -> Result<usize, SessionError> {
        let (user, _) = self.user_and_handle().await?;
        let Some(user) = user else {
            return Ok(0);
        };
        let (count, _) = self.users().sign_out(&user, None).await?;
        // This session was among those deleted: only the cookies are left to expire.
        let mut state = self.loaded().await?;
        state.reset();
        self.signed_out(&mut state);
        Ok(count)
    }

    /// The same per-user operations, for any user.
    pub fn users(&self) -> UserSessions {
        UserSessions::new(Arc::clone(self.context()))
    }

    /// Tells the features that this request's session is signed out.
    fn signed_out(&self, state: &mut State) {
        for feature in &self.context().features {
            feature.signed_out(state);
        }
    }

    async fn user_and_handle(&self) -> Result<(Option<String>, Option<Handle>), SessionError> {
        let state = self.loaded().await?;
        Ok((owner(&state), state.id.as_ref().map(|id| id.handle())))
    }
}
