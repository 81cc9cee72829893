//! A [`Session`]'s lifetime: sliding it, its own expiry, a new ID, an explicit save, its times.

use std::time::SystemTime;

use super::{SaveOutcome, Session};
use crate::error::SessionError;
use crate::expiry::Expiry;
use crate::time::{UnixMillis, to_system_time};

impl Session {
    /// Slides the session's idle expiry without reading its data: one round trip, no decoding.
    /// Returns whether the session exists. Keys read afterwards are loaded as usual.
    ///
    /// The load a request makes at first use slides the expiry too, so after one this does
    /// nothing, and the [`Session`] extractor loads: take the handle with
    /// `axum::Extension<Session>` in a route that only keeps the session alive (a heartbeat).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    pub async fn touch(&self) -> Result<bool, SessionError> {
        let state = self.lock().await;
        if state.loaded {
            return Ok(state.id.is_some());
        }
        let Some(id) = state.cookie_id.clone() else {
            return Ok(false);
        };
        drop(state);
        let now = UnixMillis::now();
        let deadline = id.deadline(&self.shared.context.config.timeouts, now);
        if deadline <= now {
            return Ok(false);
        }
        Ok(self
            .shared
            .context
            .store
            .touch(&id.handle(), deadline)
            .await?)
    }

    /// Sets how this session expires, within the layer's absolute timeout; `None` returns it to
    /// the layer's settings. For "keep me signed in on this browser" without remember-me
    /// tokens, [`Expiry::OnInactivity`] with a long timeout; for a shorter one on a shared
    /// computer, a short one; for a cookie that ends with the browser, [`Expiry::OnSessionEnd`].
    ///
    /// The expiry rides in the session ID, so a stored session gets a new ID when the response
    /// is written, as with [`cycle_id`](Self::cycle_id), and its old cookie names nothing
    /// afterwards. It survives [`login`](Self::login) (unless the session changes hands: then,
    /// as the data, it is the new user's to set) and `cycle_id`; [`delete`](Self::delete) and
    /// [`logout`](Self::logout) forget it. A session that holds nothing is not stored, and its
    /// expiry with it.
    ///
    /// # Errors
    /// [`SessionError::ExpiryPassed`] for an expiry that would end the session at once (a zero
    /// inactivity timeout, a time already past), [`SessionError::ExpiryBeyondAbsolute`] for
    /// one that reaches past its absolute deadline: the session is left as it was;
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn set_expiry(&self, expiry: Option<Expiry>) -> Result<(), SessionError> {
        let now = UnixMillis::now();
        let checked = expiry.map(|expiry| expiry.checked(now).ok_or(SessionError::ExpiryPassed));
        let checked = checked.transpose()?;
        let mut state = self.loaded().await?;
        if let Some(expiry) = checked {
            let timeouts = &self.shared.context.config.timeouts;
            let created = state
                .id
                .as_ref()
                .map_or(now, crate::id::SessionId::created_at);
            if timeouts.outlasted_by(expiry, created) {
                return Err(SessionError::ExpiryBeyondAbsolute {
                    absolute: crate::time::readable(timeouts.absolute),
                });
            }
        }
        state.set_expiry(checked);
        Ok(())
    }

    /// The session's own expiry, as [`set_expiry`](Self::set_expiry) set it (to the
    /// millisecond), or `None` where the layer's settings apply.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn expiry(&self) -> Result<Option<Expiry>, SessionError> {
        Ok(self.loaded().await?.expiry)
    }

    /// Gives the session a new ID, keeping its data and creation time: call it whenever the
    /// user's privileges change (at login) to defeat session fixation. The move happens in one
    /// atomic step when the response is written (or at [`save`](Self::save)): the new ID works
    /// from the instant the old one stops.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn cycle_id(&self) -> Result<(), SessionError> {
        self.loaded().await?.cycle();
        Ok(())
    }

    /// Writes pending changes now instead of when the response is sent.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached; the changes stay pending.
    pub async fn save(&self) -> Result<SaveOutcome, SessionError> {
        let mut state = self.lock().await;
        state.flush(&self.shared.context).await
    }

    /// When the session was created, or `None` if it is not stored (yet).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn created_at(&self) -> Result<Option<SystemTime>, SessionError> {
        let state = self.loaded().await?;
        Ok(state.id.as_ref().map(|id| to_system_time(id.created_at())))
    }

    /// When the session expires if left idle (never later than its absolute deadline), as of
    /// its last load or write; `None` if it is not stored (yet).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn expires_at(&self) -> Result<Option<SystemTime>, SessionError> {
        Ok(self.loaded().await?.expires_at.map(to_system_time))
    }
}
