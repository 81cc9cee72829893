//! Signing in: the user and device recorded on a session under a new ID, the user's ID, the
//! session's handle, and the activity it tracks.

use crate::auth::device::{activity_json, device_json};
use crate::auth::{Device, check_user_id};
use crate::error::SessionError;
use crate::session::meta::{ACTIVITY, DEVICE, LAST_SEEN, USER, json, owner};
use crate::session::{Login, Session};
use crate::time::UnixMillis;

/// Signed-in users on a [`Session`].
impl Session {
    /// Signs `user_id` in on this session: the session gets a new ID and a new lifetime
    /// (session-fixation protection), records the user and `device`, and joins the user's index.
    /// If the session belonged to another user, its data and its own expiry are cleared first
    /// (and what the features kept for that user, such as a remember-me token, is revoked).
    ///
    /// The new ID is written when the response is sent (or at [`Session::save`]).
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`] for an empty ID or one over 512 bytes (any other string
    /// is a user ID: an e-mail address, a UUID, anything with braces);
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn login(&self, user_id: &str, device: Device) -> Result<(), SessionError> {
        check_user_id(user_id)?;
        let mut state = self.loaded().await?;
        let previous_owner = owner(&state);
        if previous_owner
            .as_deref()
            .is_some_and(|owner| owner != user_id)
        {
            state.clear_data();
            state.unset_meta(ACTIVITY);
            state.expiry = None;
        }
        for feature in &self.context().features {
            if let Some(hook) = feature.logging_in(&mut state, previous_owner.as_deref(), user_id) {
                hook.await?;
            }
        }
        let now = UnixMillis::now();
        state.set_meta(USER, json(&user_id));
        state.set_meta(DEVICE, device_json(device, now));
        state.set_meta(LAST_SEEN, now.to_string());
        state.rotate_for_login(Login {
            user: user_id.to_owned(),
            previous_owner,
        });
        Ok(())
    }

    /// The signed-in user's ID, or `None`.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn user_id(&self) -> Result<Option<String>, SessionError> {
        Ok(owner(&*self.loaded().await?))
    }

    /// This session's handle (as in [`DeviceInfo::handle`](crate::DeviceInfo::handle)), once it is stored.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn handle(&self) -> Result<Option<String>, SessionError> {
        let state = self.loaded().await?;
        Ok(state.id.as_ref().map(|id| id.handle().to_string()))
    }

    /// Records what the user just did (shown in [`DeviceInfo::last_activity`](crate::DeviceInfo::last_activity)). Written with
    /// the response, as one changed field.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn track_activity(&self, action: &str) -> Result<(), SessionError> {
        let activity = activity_json(action, UnixMillis::now());
        self.loaded().await?.set_meta(ACTIVITY, activity);
        Ok(())
    }
}
