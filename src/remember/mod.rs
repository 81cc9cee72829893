//! [`RememberMe`]: long-lived sign-in tokens, rotated on use, with theft detection.
//!
//! The `remember` cookie holds `selector.validator` (`token.rs`). The selector (128 random bits)
//! names the token record; the store keeps only SHA-256 of the validator (256 random bits), so a
//! dump of the store yields no usable token. Using a token signs the user back in on a fresh
//! session and rotates the validator (`sign_in.rs`). Browsers fire parallel requests with the
//! same old cookie: for a short grace window the previous validator leads every such request to
//! the one session and the one new cookie the first rotation made, sealed (AES-256-GCM) under a
//! key derived from the old validator, which only the client holds. Any other validator for a
//! known selector is a replay of a stolen token: all of the user's tokens and sessions are
//! revoked.

mod config;
mod feature;
mod fields;
mod sign_in;
mod token;

use std::sync::Arc;

use axum_core::extract::FromRequestParts;
use http::request::Parts;

use crate::auth::Device;
use crate::cookie::CookieUpdate;
use crate::error::SessionError;
use crate::extract::SessionRejection;
use crate::session::Session;
use crate::store::token::TokenRecord;
use crate::time::UnixMillis;

pub use self::config::{RememberConfig, RememberMode};
pub(crate) use self::feature::RememberFeature;
use self::sign_in::sign_in;
use self::token::RememberCookie;

/// Remember-me for the current request: issue a token at login, tell whether this request was
/// signed in by one. An axum extractor served by the [`SessionLayer`](crate::SessionLayer);
/// extracting it signs the user back in if a valid token is present (in either
/// [`RememberMode`]).
///
/// ```no_run
/// use tower_redis_session::{Device, RememberMe, Session, SessionError};
///
/// async fn login(session: Session, remember: RememberMe) -> Result<&'static str, SessionError> {
///     session.login("alice", Device::new()).await?;
///     remember.issue("alice", Device::new()).await?;
///     Ok("welcome back, any time in the next 30 days")
/// }
/// ```
#[derive(Clone)]
pub struct RememberMe {
    session: Session,
    feature: Arc<RememberFeature>,
}

impl std::fmt::Debug for RememberMe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RememberMe").finish_non_exhaustive()
    }
}

impl RememberMe {
    /// Issues a token for `user_id` on this device and sets the `remember` cookie. The session
    /// keeps the token's selector, so [`Session::logout`] revokes it. A token this session
    /// already had is revoked first.
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store fails.
    pub async fn issue(&self, user_id: &str, device: Device) -> Result<(), SessionError> {
        crate::auth::check_user_id(user_id)?;
        let store = &*self.feature.store;
        let mut state = self.session.loaded().await?;
        if let Some(old) = fields::selector(&state.meta) {
            store
                .token_revoke(user_id, std::slice::from_ref(&old))
                .await?;
        }
        let token = RememberCookie::generate()?;
        let now = UnixMillis::now();
        let record = TokenRecord {
            user: user_id.to_owned(),
            validator_hash: token.validator_hash(),
            previous_hash: None,
            grace_until: UnixMillis(0),
            sealed: None,
            device: crate::auth::device::device_json(device, now),
            created_at: now,
            expires_at: now.after(self.feature.config.ttl),
            generation: String::new(),
            // A device-bound session's token stays bound to that device.
            carried: crate::session::carried::of(self.session.context(), &state.meta),
        };
        let fresh = crate::id::random_text().map_err(SessionError::Randomness)?;
        store.token_create(&token.selector, &record, &fresh).await?;
        fields::note_selector(&mut state, &token.selector);
        fields::set_cookie(&mut state, CookieUpdate::Set(token));
        Ok(())
    }

    /// Whether this request's user was signed in by a remember-me token rather than a password
    /// (a weaker proof: ask for the password again before sensitive actions).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn is_remembered(&self) -> Result<bool, SessionError> {
        self.session.is_remembered().await
    }
}

/// Extracting `RememberMe` loads the session and, if nobody is signed in and the request has a
/// valid token, signs its user back in.
impl<S: Send + Sync> FromRequestParts<S> for RememberMe {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let feature = (session.context().feature::<RememberFeature>())
            .ok_or(SessionRejection::MissingLayer)?;
        let context = Arc::clone(session.context());
        let mut signing_in = (session.loaded().await).map_err(SessionRejection::Unavailable)?;
        sign_in(
            &feature.tokens(),
            &context,
            &mut signing_in,
            session.client(),
        )
        .await
        .map_err(SessionRejection::Unavailable)?;
        drop(signing_in);
        Ok(Self { session, feature })
    }
}

/// Remember-me on a [`Session`].
impl Session {
    /// Whether a remember-me token (rather than a login) signed this session in.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn is_remembered(&self) -> Result<bool, SessionError> {
        Ok(fields::is_remembered(&*self.loaded().await?))
    }
}
