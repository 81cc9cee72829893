//! Device-bound sessions' place in the session lifecycle: the credential cookie, the gate a
//! bound session's requests pass, the registration offer of every sign-in, and the endpoints.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response};

use super::DbscConfig;
use super::binding::Binding;
use super::wire;
use crate::config::{ConfigError, CookieOwner, SessionConfig};
use crate::cookie::{CookieSettings, CookieUpdate};
use crate::error::SessionError;
use crate::id::Handle;
use crate::session::feature::{Feature, Hook};
use crate::session::meta::BINDING;
use crate::session::{Client, Context, Session, State};
use crate::store::challenge::ChallengeLimit;
use crate::store::{BoxFuture, DynChallengeStore};
use crate::time::UnixMillis;

crate::telemetry::counter!(
    /// A device-bound session event: `offered` (registration offered at a sign-in),
    /// `registered`, `challenged`, `refreshed`, `ended` (a refresh for a session that is gone),
    /// `throttled`, `wrong_key`, `hidden` (a bound session's request without its credential).
    counted,
    "session_dbsc_total",
    "outcome"
);

/// The prefix of registration challenges; refresh challenges have [`REFRESH`]. A proof of one
/// kind never answers the other.
pub(super) const REGISTRATION: &str = "r-";
/// The prefix of refresh challenges.
pub(super) const REFRESH: &str = "f-";

/// Device-bound sessions, registered with the layer.
pub(crate) struct DbscFeature {
    pub(super) store: Arc<dyn DynChallengeStore>,
    pub(super) config: DbscConfig,
    pub(super) cookie: CookieSettings,
    /// The credential cookie's attributes, as the session instructions tell the browser.
    pub(super) attributes: String,
}

/// What this feature keeps for one request.
#[derive(Clone, Default)]
pub(super) struct DbscSlot {
    /// The credential cookie the request carried.
    credential_in: Option<String>,
    /// The request is a registration or a refresh: the binding is its subject, not its gate.
    pub(super) serving: bool,
    /// The request is a refresh: a bound session's remember-me token may sign in here.
    pub(super) refreshing: bool,
    /// The registration offer for the response.
    offer: Option<HeaderValue>,
    /// What the response does with the credential cookie.
    pub(super) credential_out: CookieUpdate<String>,
}

impl DbscFeature {
    /// The credential cookie, and the setting that names it.
    pub(crate) const COOKIE: CookieOwner = ("DBSC credential", "DbscConfig::cookie_name");

    /// Device-bound sessions over `store` with `config`, the credential cookie named beside the
    /// session cookie and the cookie names already `taken`.
    pub(crate) fn new(
        store: Arc<dyn DynChallengeStore>,
        config: DbscConfig,
        session: &SessionConfig,
        taken: &[(&str, CookieOwner)],
    ) -> Result<Self, ConfigError> {
        for (which, path) in [
            ("registration", &config.registration_path),
            ("refresh", &config.refresh_path),
        ] {
            let plain = !path.contains(['"', '?', '#', ';', ',']);
            if !plain
                || crate::safe_next(path).is_none()
                || config.registration_path == config.refresh_path
            {
                return Err(ConfigError::DbscPath {
                    which,
                    path: path.clone(),
                });
            }
        }
        if config.credential_lifetime < Duration::from_secs(1) {
            return Err(ConfigError::Zero("DBSC credential lifetime"));
        }
        if config.challenge_lifetime.is_zero() {
            return Err(ConfigError::Zero("DBSC challenge lifetime"));
        }
        if config.refreshes_per_minute == 0 {
            return Err(ConfigError::Zero("DBSC refreshes per minute"));
        }
        let mut cookie = session.companion_cookie(
            Self::COOKIE,
            &config.cookie_name,
            config.credential_lifetime,
            taken,
        )?;
        // A new cookie: it never had another name.
        cookie.old_name = None;
        // Chromium (156) refuses a credential named with `__Host-Http-` ("InvalidCredentialsCookie"
        // in its DevTools events). `__Host-` still keeps sibling subdomains and plain-http
        // responses from planting one, the cookie is HttpOnly, and a planted value proves
        // nothing without the session's secret.
        if let Some(name) = cookie.name.strip_prefix("__Host-Http-") {
            cookie.name = format!("__Host-{name}");
        }
        let attributes = attributes(&cookie);
        super::endpoints::describe_counter();
        Ok(Self {
            store,
            config,
            cookie,
            attributes,
        })
    }

    /// The name of the credential cookie, as sent.
    pub(crate) fn cookie_name(&self) -> &str {
        &self.cookie.name
    }

    /// How many challenges a session keeps and may be given.
    pub(super) fn limit(&self) -> ChallengeLimit {
        ChallengeLimit {
            kept: 2,
            per_window: self.config.refreshes_per_minute,
            window: Duration::from_secs(60),
        }
    }

    /// Keeps a fresh challenge of `kind` for the session `handle`; `None` when the session has
    /// had its allowance.
    pub(super) async fn challenge(
        &self,
        handle: &Handle,
        kind: &str,
    ) -> Result<Option<String>, SessionError> {
        let challenge = format!(
            "{kind}{}",
            crate::id::random_text().map_err(SessionError::Randomness)?
        );
        let deadline = UnixMillis::now().after(self.config.challenge_lifetime);
        let issued = (self.store)
            .challenge_issue(handle, &challenge, deadline, self.limit())
            .await?;
        Ok(issued.then_some(challenge))
    }

    /// Offers registration to the browser of a new signed-in session. Best effort: the sign-in
    /// stands if the store cannot keep the challenge, and the session is simply not bound.
    async fn offer(&self, state: &mut State, handle: Handle) {
        match self.challenge(&handle, REGISTRATION).await {
            Ok(Some(challenge)) => {
                let offer = wire::registration(&self.config.registration_path, &challenge);
                state.features.get_or_insert_default::<DbscSlot>().offer = offer;
                counted("offered");
            }
            Ok(None) => counted("throttled"),
            Err(error) => {
                tracing::warn!(%error, "could not offer device binding at sign-in; the session stays unbound");
            }
        }
    }
}

/// Whether the request that `state` holds carries a valid credential of its bound session. A
/// binding that cannot be read proves nothing: the session stays hidden, never unbound.
fn proven(state: &State, now: UnixMillis) -> bool {
    let credential =
        (state.features.get::<DbscSlot>()).and_then(|slot| slot.credential_in.as_deref());
    match (Binding::of(state), credential) {
        (Some(binding), Some(credential)) => binding.accepts(credential, now),
        _ => false,
    }
}

/// `Path=/; Secure; HttpOnly; SameSite=Lax`, as the cookie is set.
fn attributes(cookie: &CookieSettings) -> String {
    let mut attributes = format!("Path={}", cookie.path);
    if let Some(domain) = &cookie.domain {
        attributes.push_str(&format!("; Domain={domain}"));
    }
    if cookie.secure {
        attributes.push_str("; Secure");
    }
    if cookie.http_only {
        attributes.push_str("; HttpOnly");
    }
    attributes.push_str(&format!("; SameSite={}", cookie.same_site));
    attributes
}

impl Feature for DbscFeature {
    fn read_cookie(&self, name: &str, value: &str, state: &mut State) -> bool {
        if !self.cookie.is_named(name) {
            return false;
        }
        let slot = state.features.get_or_insert_default::<DbscSlot>();
        if slot.credential_in.is_none() {
            slot.credential_in = Some(value.to_owned());
        }
        true
    }

    fn guard_field(&self) -> Option<&'static str> {
        Some(BINDING)
    }

    fn carried_field(&self) -> Option<&'static str> {
        Some(BINDING)
    }

    fn admits_sign_in(&self, state: &State, carried: &HashMap<String, String>) -> bool {
        // A credential of a bound session signs in only at the refresh path, where the device
        // then proves its key before the new session is any use.
        !carried.contains_key(BINDING)
            || state
                .features
                .get::<DbscSlot>()
                .is_some_and(|slot| slot.refreshing)
    }

    fn loaded<'a>(
        &'a self,
        _context: &'a Arc<Context>,
        state: &'a mut State,
        _client: &'a Client,
    ) -> Hook<'a> {
        if !state.meta.contains_key(BINDING) {
            return None;
        }
        let slot = state.features.get::<DbscSlot>();
        if slot.is_some_and(|slot| slot.serving) {
            return None;
        }
        if !proven(state, UnixMillis::now()) {
            // Not a downgrade to the long-lived cookie alone: the request is a visitor's.
            tracing::info!(
                "device-bound session without a valid credential; not signed in for this request"
            );
            counted("hidden");
            state.conceal();
        }
        None
    }

    fn logging_in<'a>(
        &'a self,
        state: &'a mut State,
        previous_owner: Option<&'a str>,
        user: &'a str,
    ) -> Hook<'a> {
        // The same user signing in again on this device keeps its binding; another user's
        // session is bound afresh, by its own registration.
        if previous_owner != Some(user) && state.meta.contains_key(BINDING) {
            state.unset_meta(BINDING);
            let slot = state.features.get_or_insert_default::<DbscSlot>();
            slot.credential_out = CookieUpdate::Remove;
        }
        None
    }

    fn logged_in<'a>(&'a self, state: &'a mut State, _user: &'a str) -> Hook<'a> {
        // Signed in with a bound session's credential: bound already, to that device.
        if state.meta.contains_key(BINDING) {
            return None;
        }
        let handle = state.id.as_ref()?.handle();
        Some(Box::pin(async move {
            self.offer(state, handle).await;
            Ok(())
        }))
    }

    fn signed_out(&self, state: &mut State) {
        let Some(slot) = state.features.get_mut::<DbscSlot>() else {
            return;
        };
        slot.offer = None;
        if slot.credential_in.is_some() || matches!(slot.credential_out, CookieUpdate::Set(_)) {
            slot.credential_out = CookieUpdate::Remove;
        }
    }

    fn set_cookies(&self, state: &mut State, out: &mut Vec<HeaderValue>) {
        let Some(slot) = state.features.get::<DbscSlot>() else {
            return;
        };
        out.extend(
            self.cookie
                .render_update(&slot.credential_out, String::clone),
        );
    }

    fn headers(&self, state: &mut State, out: &mut Vec<(HeaderName, HeaderValue)>) {
        let offer = state
            .features
            .get_mut::<DbscSlot>()
            .and_then(|slot| slot.offer.take());
        out.extend(offer.map(|offer| (wire::REGISTRATION, offer)));
    }

    fn endpoints(&self) -> Vec<String> {
        vec![
            self.config.registration_path.clone(),
            self.config.refresh_path.clone(),
        ]
    }

    fn serve<'a>(
        &'a self,
        session: &'a Session,
        request: &'a http::request::Parts,
    ) -> BoxFuture<'a, Response<Bytes>> {
        Box::pin(super::endpoints::serve(self, session, request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_that_cannot_be_read_proves_no_credential() {
        let mut state = State::default();
        state
            .meta
            .insert(BINDING.to_owned(), "{not a binding".to_owned());
        state.features.insert(DbscSlot {
            credential_in: Some("1.AAAA".to_owned()),
            ..DbscSlot::default()
        });
        assert!(!proven(&state, UnixMillis(0)));
    }
}
