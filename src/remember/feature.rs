//! Remember-me's place in the session lifecycle: its cookie, signing back in at load, what a
//! login, a logout and a sign-out of all devices do to tokens, and the session's own fields
//! (`$r`, `$k`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use super::{RememberConfig, RememberCookie, RememberMode};
use crate::config::{ConfigError, SessionConfig};
use crate::cookie::{CookieSettings, CookieUpdate};
use crate::error::StoreError;
use crate::session::feature::{Feature, Hook};
use crate::session::meta::json;
use crate::session::{Client, Context, State};
use crate::store::token::TokenStore;

/// Metadata field: `true` when a remember-me token, not a password, signed this session in.
pub(super) const REMEMBERED: &str = "$r";
/// Metadata field: the selector of this device's remember-me token (JSON string).
pub(super) const TOKEN: &str = "$k";

/// Remember-me, registered with the layer.
pub(crate) struct RememberFeature {
    pub(super) store: Arc<dyn TokenStore>,
    pub(super) config: RememberConfig,
    cookie: CookieSettings,
}

/// What remember-me keeps for one request.
#[derive(Clone, Default)]
pub(super) struct RememberSlot {
    /// The request carried a remember-me cookie, well-formed or not.
    pub(super) cookie_seen: bool,
    /// The request's token, if its cookie was well-formed.
    pub(super) token_in: Option<RememberCookie>,
    /// Whether signing back in with it was already tried in this request.
    pub(super) tried: bool,
    pub(super) cookie: CookieUpdate<RememberCookie>,
}

impl RememberFeature {
    /// Remember-me over `store` with `config`, its cookie named beside the session cookie and
    /// the cookie names already `taken`.
    pub(crate) fn new(
        store: Arc<dyn TokenStore>,
        config: RememberConfig,
        session: &SessionConfig,
        taken: &[(&str, &'static str)],
    ) -> Result<Self, ConfigError> {
        if config.ttl.is_zero() {
            return Err(ConfigError::Zero("remember-me lifetime"));
        }
        let cookie =
            session.companion_cookie("remember-me", &config.cookie_name, config.ttl, taken)?;
        Ok(Self {
            store,
            config,
            cookie,
        })
    }
}

/// The selector of the session's remember-me token, if it has one.
pub(super) fn selector(meta: &HashMap<String, String>) -> Option<String> {
    serde_json::from_str(meta.get(TOKEN)?).ok()
}

/// Records the session's remember-me token.
pub(super) fn note_selector(state: &mut State, selector: &str) {
    state.set_meta(TOKEN, json(&selector));
}

/// Whether a remember-me token signed the session in.
pub(super) fn is_remembered(state: &State) -> bool {
    state.meta.get(REMEMBERED).is_some_and(|raw| raw == "true")
}

/// Sets the remember-me cookie this response sends.
pub(super) fn set_cookie(state: &mut State, update: CookieUpdate<RememberCookie>) {
    state
        .features
        .get_or_insert_default::<RememberSlot>()
        .cookie = update;
}

impl Feature for RememberFeature {
    fn read_cookie(&self, name: &str, value: &str, state: &mut State) -> bool {
        if !self.cookie.is_named(name) {
            return false;
        }
        let slot = state.features.get_or_insert_default::<RememberSlot>();
        slot.cookie_seen = true;
        if slot.token_in.is_none() {
            slot.token_in = RememberCookie::parse(value);
        }
        true
    }

    fn loaded<'a>(
        &'a self,
        context: &'a Arc<Context>,
        state: &'a mut State,
        client: &'a Client,
    ) -> Hook<'a> {
        if self.config.mode != RememberMode::Automatic {
            return None;
        }
        state.features.get::<RememberSlot>()?.token_in.as_ref()?;
        Some(Box::pin(super::sign_in(self, context, state, client)))
    }

    fn logging_in<'a>(
        &'a self,
        state: &'a mut State,
        previous_owner: Option<&'a str>,
        user: &'a str,
    ) -> Hook<'a> {
        // A password login is a stronger proof than a remembered one.
        state.unset_meta(REMEMBERED);
        let previous = previous_owner.filter(|owner| *owner != user)?;
        // The browser's token is the previous user's: revoke it.
        let token = selector(&state.meta)?;
        Some(Box::pin(async move {
            let revoked = std::slice::from_ref(&token);
            self.store.token_revoke(previous, revoked).await?;
            state.unset_meta(TOKEN);
            set_cookie(state, CookieUpdate::Remove);
            Ok(())
        }))
    }

    fn logging_out<'a>(&'a self, state: &'a mut State, user: &'a str) -> Hook<'a> {
        let token = selector(&state.meta)?;
        Some(Box::pin(async move {
            let revoked = std::slice::from_ref(&token);
            Ok(self.store.token_revoke(user, revoked).await?)
        }))
    }

    fn signed_out(&self, state: &mut State) {
        let Some(slot) = state.features.get_mut::<RememberSlot>() else {
            return;
        };
        if slot.cookie_seen || matches!(slot.cookie, CookieUpdate::Set(_)) {
            slot.cookie = CookieUpdate::Remove;
        }
    }

    fn sign_in_lifetime(&self) -> Duration {
        self.config.ttl
    }

    fn signing_out<'a>(
        &'a self,
        user: &'a str,
        keep: Option<&'a HashMap<String, String>>,
    ) -> Hook<'a, StoreError> {
        let kept = keep.and_then(selector);
        Some(Box::pin(async move {
            let now = crate::time::now_millis();
            let mut tokens = self.store.token_list(user, now).await?;
            tokens.retain(|token| Some(token) != kept.as_ref());
            if !tokens.is_empty() {
                self.store.token_revoke(user, &tokens).await?;
            }
            Ok(())
        }))
    }

    fn kept<'a>(
        &'a self,
        keep: &'a HashMap<String, String>,
        generation: &'a str,
    ) -> Hook<'a, StoreError> {
        let token = selector(keep)?;
        Some(Box::pin(async move {
            self.store.token_restamp(&token, generation).await
        }))
    }

    fn set_cookies(&self, state: &mut State, out: &mut Vec<HeaderValue>) {
        let Some(slot) = state.features.get::<RememberSlot>() else {
            return;
        };
        let header = match &slot.cookie {
            CookieUpdate::Keep => None,
            CookieUpdate::Set(token) => self.cookie.render(Some(token.encode())),
            CookieUpdate::Remove => self.cookie.render(None),
        };
        out.extend(header);
    }
}
