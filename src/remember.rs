//! [`RememberMe`]: long-lived sign-in tokens, rotated on use, with theft detection.
//!
//! The `remember` cookie holds `selector.validator`. The selector (128 random bits) names the
//! token record; the store keeps only SHA-256 of the validator (256 random bits), so a dump of
//! the store yields no usable token. Using a token signs the user back in on a fresh session and
//! rotates the validator. Browsers fire parallel requests with the same old cookie: for a short
//! grace window the previous validator leads every such request to the one session and the one
//! new cookie the first rotation made, sealed (AES-256-GCM) under a key derived from the old
//! validator, which only the client holds. Any other validator for a known selector is a replay
//! of a stolen token: all of the user's tokens and sessions are revoked.

use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use axum_core::extract::FromRequestParts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::request::Parts;
use sha2::{Digest, Sha256};

use crate::auth::Device;
use crate::auth::index;
use crate::config::Context;
use crate::cookie::CookieUpdate;
use crate::error::{SessionError, StoreError};
use crate::extract::SessionRejection;
use crate::id::SessionId;
use crate::session::{Client, Session, State};
use crate::store::token::{Rotated, TokenRecord};
use crate::store::{Change, IndexEntry, Written};
use crate::time::{millis, now_millis};

const DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const DEFAULT_GRACE: Duration = Duration::from_secs(60);
const SELECTOR_BYTES: usize = 16;
const VALIDATOR_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// When the layer uses a remember-me cookie to sign a user back in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RememberMode {
    /// Whenever the request's session is loaded (by any extractor) and nobody is signed in
    /// (default). Routes that never touch the session are not affected.
    #[default]
    Automatic,
    /// Only when a handler extracts [`RememberMe`].
    OnDemand,
}

/// What a theft-detection hook is told. The token itself is never included.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TheftDetected {
    /// The user whose token was replayed; all their tokens and sessions are now revoked.
    pub user_id: String,
}

type TheftHook = Arc<dyn Fn(&TheftDetected) + Send + Sync>;

/// Remember-me settings, given to
/// [`SessionLayerBuilder::remember_me`](crate::SessionLayerBuilder::remember_me).
#[derive(Clone)]
#[must_use]
pub struct RememberConfig {
    pub(crate) ttl: Duration,
    pub(crate) grace: Duration,
    pub(crate) mode: RememberMode,
    pub(crate) cookie_name: String,
    pub(crate) on_theft: Option<TheftHook>,
}

impl Default for RememberConfig {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            grace: DEFAULT_GRACE,
            mode: RememberMode::Automatic,
            cookie_name: "remember".to_owned(),
            on_theft: None,
        }
    }
}

impl std::fmt::Debug for RememberConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RememberConfig")
            .field("ttl", &self.ttl)
            .field("grace", &self.grace)
            .field("mode", &self.mode)
            .field("cookie_name", &self.cookie_name)
            .field("on_theft", &self.on_theft.is_some())
            .finish()
    }
}

impl RememberConfig {
    /// A token's absolute lifetime, however often it is used (default 30 days). Also the
    /// cookie's `Max-Age`.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long after a rotation the previous validator still leads to the rotation's result
    /// (default 60 s): long enough for a page's parallel requests, short enough for a thief.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// When the layer signs users back in (default [`RememberMode::Automatic`]).
    pub fn mode(mut self, mode: RememberMode) -> Self {
        self.mode = mode;
        self
    }

    /// Name of the cookie (default `remember`, sent as `__Host-remember` where the cookie
    /// attributes allow: see
    /// [`SessionLayerBuilder::host_prefix`](crate::SessionLayerBuilder::host_prefix)).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// Called when a stolen token is detected (after every token and session of the user has
    /// been revoked), besides a `tracing` warn event.
    pub fn on_theft(mut self, hook: impl Fn(&TheftDetected) + Send + Sync + 'static) -> Self {
        self.on_theft = Some(Arc::new(hook));
        self
    }
}

/// A parsed `remember` cookie.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RememberCookie {
    pub(crate) selector: String,
    validator: [u8; VALIDATOR_BYTES],
}

impl std::fmt::Debug for RememberCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RememberCookie(..)")
    }
}

impl RememberCookie {
    /// A fresh token.
    fn generate() -> Result<Self, SessionError> {
        let mut selector = [0u8; SELECTOR_BYTES];
        let mut validator = [0u8; VALIDATOR_BYTES];
        getrandom::fill(&mut selector).map_err(SessionError::Randomness)?;
        getrandom::fill(&mut validator).map_err(SessionError::Randomness)?;
        Ok(Self {
            selector: URL_SAFE_NO_PAD.encode(selector),
            validator,
        })
    }

    /// The same selector with a fresh validator.
    fn rotated(&self) -> Result<Self, SessionError> {
        let mut validator = [0u8; VALIDATOR_BYTES];
        getrandom::fill(&mut validator).map_err(SessionError::Randomness)?;
        Ok(Self {
            selector: self.selector.clone(),
            validator,
        })
    }

    /// Parses `selector.validator`; anything malformed is `None`, before any store access.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let (selector, validator) = value.split_once('.')?;
        let mut selector_bytes = [0u8; SELECTOR_BYTES];
        let mut validator_bytes = [0u8; VALIDATOR_BYTES];
        let selector_ok = selector.len() == 22
            && URL_SAFE_NO_PAD.decode_slice(selector, &mut selector_bytes) == Ok(SELECTOR_BYTES);
        let validator_ok = validator.len() == 43
            && URL_SAFE_NO_PAD.decode_slice(validator, &mut validator_bytes) == Ok(VALIDATOR_BYTES);
        (selector_ok && validator_ok).then(|| Self {
            selector: selector.to_owned(),
            validator: validator_bytes,
        })
    }

    pub(crate) fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.selector,
            URL_SAFE_NO_PAD.encode(self.validator)
        )
    }

    /// SHA-256 of the validator, base64url: all the store ever sees of it.
    pub(crate) fn validator_hash(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.validator))
    }

    /// Whether `hash` is this validator's hash, compared in constant time.
    pub(crate) fn matches(&self, hash: &str) -> bool {
        let ours = self.validator_hash();
        ours.len() == hash.len()
            && ours
                .bytes()
                .zip(hash.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    fn cipher(&self) -> Aes256Gcm {
        let mut hasher = Sha256::new();
        hasher.update(b"tower-redis-session remember grace v1");
        hasher.update(self.validator);
        let key: [u8; 32] = hasher.finalize().into();
        Aes256Gcm::new(&key.into())
    }

    /// Seals `plaintext` under a key only this validator's holder can derive.
    pub(crate) fn seal(&self, plaintext: &str) -> Result<String, SessionError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(SessionError::Randomness)?;
        let sealed = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| SessionError::Sealing)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`seal`](Self::seal) sealed with the same validator; `None` if it fails.
    pub(crate) fn open(&self, sealed: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher()
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

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
#[derive(Clone, Debug)]
pub struct RememberMe {
    session: Session,
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
        let context = Arc::clone(self.session.context());
        let store = &*context.store;
        let mut state = self.session.loaded().await?;
        if let Some(old) = crate::session::meta::remember_selector(&state) {
            store
                .token_revoke(user_id, std::slice::from_ref(&old))
                .await?;
        }
        let token = RememberCookie::generate()?;
        let now = crate::time::now_millis();
        let record = TokenRecord {
            user: user_id.to_owned(),
            validator_hash: token.validator_hash(),
            previous_hash: None,
            grace_until: 0,
            sealed: None,
            device: crate::auth::device_json(device, now),
            created_at: now,
            expires_at: now.saturating_add(crate::time::millis(context.config.remember.ttl)),
            generation: String::new(),
        };
        let fresh = crate::id::random_text().map_err(SessionError::Randomness)?;
        store.token_create(&token.selector, &record, &fresh).await?;
        crate::session::meta::note_remember_selector(&mut state, &token.selector);
        state.remember_cookie = CookieUpdate::Set(token);
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
        session
            .remember_sign_in()
            .await
            .map_err(SessionRejection::Unavailable)?;
        Ok(Self { session })
    }
}

/// Remember-me on a [`Session`].
impl Session {
    /// Whether a remember-me token (rather than a login) signed this session in.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn is_remembered(&self) -> Result<bool, SessionError> {
        Ok(crate::session::meta::is_remembered(&*self.loaded().await?))
    }

    /// Signs the token's user back in if nobody is signed in and the request has a valid
    /// remember-me token (see [`RememberMe`]).
    pub(crate) async fn remember_sign_in(&self) -> Result<(), SessionError> {
        let context = Arc::clone(self.context());
        let mut state = self.loaded().await?;
        sign_in(&context, &mut state, self.client()).await
    }
}

/// Signs the user of the request's remember-me token back in, at most once per request:
/// rotates a current token, follows a rotation within its grace window, and treats anything
/// else from a known selector as theft.
pub(crate) async fn sign_in(
    context: &Arc<Context>,
    state: &mut State,
    client: &Client,
) -> Result<(), SessionError> {
    if state.remember_tried {
        return Ok(());
    }
    state.remember_tried = true;
    let Some(token) = state.remember_in.clone() else {
        return Ok(());
    };
    if crate::session::meta::owner(state).is_some() {
        return Ok(());
    }
    let store = &*context.store;
    let now = now_millis();
    let Some(record) = store.token_get(&token.selector).await? else {
        tracing::debug!("remember-me cookie names no token");
        state.remember_cookie = CookieUpdate::Remove;
        return Ok(());
    };
    if record.expires_at <= now {
        store
            .token_revoke(&record.user, std::slice::from_ref(&token.selector))
            .await?;
        state.remember_cookie = CookieUpdate::Remove;
        return Ok(());
    }
    if token.matches(&record.validator_hash) {
        rotate(context, state, client, &token, &record, now).await
    } else if within_grace(&token, &record, now) {
        follow(context, state, &token, &record, now).await
    } else {
        theft(context, state, &record).await
    }
}

fn within_grace(token: &RememberCookie, record: &TokenRecord, now: u64) -> bool {
    now < record.grace_until
        && record
            .previous_hash
            .as_deref()
            .is_some_and(|previous| token.matches(previous))
}

/// The current validator: a new session for the token's user, then the token rotated to a new
/// validator, unless a parallel request rotated first (then its result is followed).
async fn rotate(
    context: &Context,
    state: &mut State,
    client: &Client,
    token: &RememberCookie,
    record: &TokenRecord,
    now: u64,
) -> Result<(), SessionError> {
    let store = &*context.store;
    let expiry = context.config.expiry;
    let next = token.rotated()?;
    let id = SessionId::generate_created_at(now).map_err(SessionError::Randomness)?;
    let meta = crate::auth::remembered_meta(
        &record.user,
        &record.device,
        client.device(),
        &token.selector,
        &record.generation,
        now,
    );
    let fields = state.record_fields(&meta);
    let change = Change::whole(
        fields
            .iter()
            .map(|(f, v)| (f.as_str(), v.as_str()))
            .collect(),
    );
    let entry = IndexEntry {
        id: id.storage_id(),
        expires_at: now.saturating_add(millis(expiry.absolute)),
        pending: true,
    };
    let deadline = expiry.deadline(now, now);
    // The new session is listed, and exists, before the rotation publishes it to parallel
    // requests; a token issued before the user's last sign-out of all devices mints nothing.
    let create = |_| store.create(&entry.id, &change, deadline);
    let born = Some(record.generation.as_str());
    let (written, _) = index::enter(store, &record.user, &entry, born, None, create).await?;
    match written {
        Written::Stored => {}
        Written::Gone => {
            tracing::info!("remember-me token issued before the user signed out everywhere");
            store
                .token_revoke(&record.user, std::slice::from_ref(&token.selector))
                .await?;
            state.remember_cookie = CookieUpdate::Remove;
            return Ok(());
        }
        // A create is never refused for its caps.
        Written::IdTaken | Written::TooLarge { .. } | Written::TooManyKeys => {
            return Err(SessionError::Store(StoreError::UnexpectedReply(
                "a fresh session ID was already taken".to_owned(),
            )));
        }
    }
    let sealed = token.seal(&format!("{} {}", id.encode(), next.encode()))?;
    let grace_until = now.saturating_add(millis(context.config.remember.grace));
    let rotated = store
        .token_rotate(
            &token.selector,
            &record.validator_hash,
            &next.validator_hash(),
            grace_until,
            &sealed,
        )
        .await?;
    if rotated != Rotated::Won {
        let spare = [entry.id];
        store.delete_many(&spare).await?;
        store.index_remove(&record.user, &spare).await?;
    }
    match rotated {
        Rotated::Won => {
            if let Some(old) = state.id.take() {
                store.delete(&old.storage_id()).await?;
            }
            tracing::info!("signed back in by a remember-me token; token rotated");
            state.adopt(id, None, meta, deadline);
            state.remember_cookie = CookieUpdate::Set(next);
            Ok(())
        }
        Rotated::Lost(latest) if within_grace(token, &latest, now) => {
            follow(context, state, token, &latest, now).await
        }
        Rotated::Lost(_) | Rotated::Gone => {
            state.remember_cookie = CookieUpdate::Remove;
            Ok(())
        }
    }
}

/// A validator rotated away moments ago: the same session and cookies the rotation made.
async fn follow(
    context: &Context,
    state: &mut State,
    token: &RememberCookie,
    record: &TokenRecord,
    now: u64,
) -> Result<(), SessionError> {
    let opened = record
        .sealed
        .as_deref()
        .and_then(|sealed| token.open(sealed));
    let parsed = opened.as_deref().and_then(|plain| {
        let (session, remember) = plain.split_once(' ')?;
        Some((SessionId::parse(session)?, RememberCookie::parse(remember)?))
    });
    let Some((id, next)) = parsed else {
        tracing::warn!("a remember-me rotation's sealed cookies could not be opened");
        return Ok(());
    };
    let deadline = context.config.expiry.deadline(id.created_at(), now);
    let Some(loaded) = context.store.load(&id.storage_id(), deadline).await? else {
        return Ok(());
    };
    let (data, meta) = crate::codec::decode_fields(loaded.fields);
    state.adopt(id, Some(data), meta, deadline);
    state.remember_cookie = CookieUpdate::Set(next);
    Ok(())
}

/// A known selector with a validator that is neither current nor within grace: the token was
/// copied and used elsewhere. Every token and session of the user is revoked.
async fn theft(
    context: &Arc<Context>,
    state: &mut State,
    record: &TokenRecord,
) -> Result<(), SessionError> {
    let users = crate::UserSessions::new(Arc::clone(context));
    let (revoked, _) = users.sign_out(&record.user, None, None).await?;
    tracing::warn!(
        revoked_sessions = revoked,
        "remember-me token replayed after rotation: theft suspected; all of the user's tokens and sessions revoked"
    );
    if let Some(hook) = &context.config.remember.on_theft {
        hook(&TheftDetected {
            user_id: record.user.clone(),
        });
    }
    state.remember_cookie = CookieUpdate::Remove;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> RememberCookie {
        RememberCookie::generate().expect("randomness")
    }

    #[test]
    fn a_token_parses_back_from_its_cookie_form() {
        let token = token();
        let parsed = RememberCookie::parse(&token.encode()).expect("well-formed");
        assert_eq!(parsed, token);
    }

    #[test]
    fn malformed_cookies_do_not_parse() {
        let good = token().encode();
        let (selector, validator) = good.split_once('.').unwrap();
        for bad in [
            String::new(),
            selector.to_owned(),
            format!("{selector}."),
            format!("{selector}.{}", &validator[1..]),
            format!("{}.{validator}", &selector[1..]),
            format!("{selector}.{validator}x"),
            format!("{selector}!{validator}"),
        ] {
            assert!(RememberCookie::parse(&bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_validator_matches_only_its_own_hash() {
        let token = token();
        assert!(token.matches(&token.validator_hash()));
        let rotated = token.rotated().unwrap();
        assert!(!token.matches(&rotated.validator_hash()));
        assert!(!token.matches(""));
        assert_eq!(
            rotated.selector, token.selector,
            "rotation keeps the selector"
        );
    }

    #[test]
    fn what_is_sealed_opens_only_with_the_same_validator() {
        let token = token();
        let sealed = token.seal("session next").unwrap();
        assert_eq!(token.open(&sealed).as_deref(), Some("session next"));
        assert_eq!(token.rotated().unwrap().open(&sealed), None);
        assert!(!sealed.contains("session"), "sealed, not encoded");
    }

    #[test]
    fn a_tampered_seal_does_not_open() {
        let token = token();
        let sealed = token.seal("session next").unwrap();
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(token.open(&tampered), None);
        assert_eq!(token.open("short"), None);
    }
}
