//! Device-bound sessions (feature `dbsc`): Device Bound Session Credentials, the W3C draft
//! Chrome ships, on top of the session lifecycle.
//!
//! A response that signs a user in (a login, a remember-me sign-in) offers registration with
//! `Secure-Session-Registration`. A browser that supports DBSC makes a key pair (in a TPM where
//! it has one) and proves it to the registration path, which the layer serves: the session is
//! then *bound*. From then on the session is signed in only with a short-lived credential
//! cookie, which the browser renews at the refresh path (also the layer's) by signing a
//! single-use challenge with its key, before it sends requests on. A copy of the cookies on
//! another machine stops working once the credential expires: the key never left the device.
//!
//! | | |
//! |---|---|
//! | registration | `binding.rs` (what `$b` holds), `proof.rs` (the JWT), `endpoints.rs` |
//! | a bound request | `feature.rs`: without a valid credential cookie, the session is hidden from the request |
//! | refresh | `endpoints.rs`: challenge (403), proof, new credential, or `{"continue": false}` |
//! | every way out | the record is deleted, so the next refresh ends the browser's session |
//! | a wrong key | [`TheftDetected`](crate::TheftDetected), [`WrongKey`] |
//!
//! Sessions that are not bound cost nothing more on the read path.

mod binding;
mod endpoints;
mod feature;
mod proof;
mod wire;

use std::time::Duration;

pub(crate) use self::feature::DbscFeature;

/// What the layer does when a device-bound session's refresh carries a proof its key did not
/// sign: someone with the session's cookies, not its device, is keeping it alive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WrongKey {
    /// Ends that session only.
    EndSession,
    /// Ends every session of the user and revokes their remember-me tokens, as a replayed
    /// remember-me token does (the default).
    #[default]
    EndAllSessions,
}

/// Settings of device-bound sessions, given to
/// [`SessionLayerBuilder::dbsc`](crate::SessionLayerBuilder::dbsc). The defaults need no
/// change: the application writes no handler, only turns the feature on.
///
/// ```
/// # use std::time::Duration;
/// use tower_redis_session::{DbscConfig, MemoryStore, SessionLayer};
///
/// let layer = SessionLayer::builder(MemoryStore::new())
///     .dbsc(DbscConfig::default().credential_lifetime(Duration::from_secs(5 * 60)))
///     .build()?;
/// # Ok::<(), tower_redis_session::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct DbscConfig {
    pub(crate) registration_path: String,
    pub(crate) refresh_path: String,
    pub(crate) credential_lifetime: Duration,
    pub(crate) challenge_lifetime: Duration,
    pub(crate) refreshes_per_minute: u32,
    pub(crate) cookie_name: String,
    pub(crate) on_wrong_key: WrongKey,
}

impl Default for DbscConfig {
    fn default() -> Self {
        Self {
            registration_path: "/dbsc/registration".to_owned(),
            refresh_path: "/dbsc/refresh".to_owned(),
            credential_lifetime: Duration::from_secs(10 * 60),
            challenge_lifetime: Duration::from_secs(5 * 60),
            refreshes_per_minute: 30,
            cookie_name: "bound".to_owned(),
            on_wrong_key: WrongKey::default(),
        }
    }
}

impl DbscConfig {
    /// The path the layer serves registrations at (default `/dbsc/registration`); requests
    /// there never reach the application.
    pub fn registration_path(mut self, path: impl Into<String>) -> Self {
        self.registration_path = path.into();
        self
    }

    /// The path the layer serves refreshes at (default `/dbsc/refresh`); requests there never
    /// reach the application.
    pub fn refresh_path(mut self, path: impl Into<String>) -> Self {
        self.refresh_path = path.into();
        self
    }

    /// How long a credential cookie signs in before the browser must prove its key again
    /// (default 10 minutes): the longest a copied credential works elsewhere.
    pub fn credential_lifetime(mut self, lifetime: Duration) -> Self {
        self.credential_lifetime = lifetime;
        self
    }

    /// How long a challenge may be answered (default 5 minutes); each is answered once.
    pub fn challenge_lifetime(mut self, lifetime: Duration) -> Self {
        self.challenge_lifetime = lifetime;
        self
    }

    /// The most challenges one session is given per minute, its registration's included
    /// (default 30); past it, the refresh path answers 429 and keeps nothing.
    pub fn refreshes_per_minute(mut self, limit: u32) -> Self {
        self.refreshes_per_minute = limit;
        self
    }

    /// The credential cookie's name before its prefix (default `bound`, sent as `__Host-bound`
    /// under the session cookie's attributes: Chromium refuses a credential named
    /// `__Host-Http-`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// What a refresh proved by another key does (default [`WrongKey::EndAllSessions`]); the
    /// layer's [`on_theft`](crate::SessionLayerBuilder::on_theft) hook is told either way.
    pub fn on_wrong_key(mut self, response: WrongKey) -> Self {
        self.on_wrong_key = response;
        self
    }
}
