//! Remember-me's place in the session lifecycle: its cookie, signing back in at load, and what
//! a login, the end of one session and a sign-out of all devices do to tokens.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use super::config::{RememberConfig, RememberMode};
use super::fields::{REMEMBERED, RememberSlot, TOKEN, selector, set_cookie};
use super::sign_in::{Tokens, sign_in};
use super::token::RememberCookie;
use crate::config::{ConfigError, CookieOwner, SessionConfig};
use crate::cookie::{CookieSettings, CookieUpdate};
use crate::error::StoreError;
use crate::session::feature::{Feature, Hook};
use crate::session::{Client, Context, State};
use crate::store::DynTokenStore;
use crate::time::UnixMillis;

/// Remember-me, registered with the layer.
pub(crate) struct RememberFeature {
    pub(super) store: Arc<dyn DynTokenStore>,
    pub(super) config: RememberConfig,
    cookie: CookieSettings,
}

impl RememberFeature {
    /// The remember-me cookie, and the setting that names it.
    pub(crate) const COOKIE: CookieOwner = ("remember-me", "RememberConfig::cookie_name");

    /// The name of the remember-me cookie, as sent.
    pub(crate) fn cookie_name(&self) -> &str {
        &self.cookie.name
    }

    /// Remember-me over `store` with `config`, its cookie named beside the session cookie and
    /// the cookie names already `taken`.
    pub(crate) fn new(
        store: Arc<dyn DynTokenStore>,
        config: RememberConfig,
        session: &SessionConfig,
        taken: &[(&str, CookieOwner)],
    ) -> Result<Self, ConfigError> {
        if config.ttl.is_zero() {
            return Err(ConfigError::Zero("remember-me lifetime"));
        }
        let cookie =
            session.companion_cookie(Self::COOKIE, &config.cookie_name, config.ttl, taken)?;
        super::sign_in::describe_counter();
        Ok(Self {
            store,
            config,
            cookie,
        })
    }

    /// What signing in with a token works with.
    pub(super) fn tokens(&self) -> Tokens<'_> {
        Tokens {
            store: &*self.store,
            config: &self.config,
        }
    }
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
        Some(Box::pin(async move {
            sign_in(&self.tokens(), context, state, client).await
        }))
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

    fn session_fields(&self) -> &'static [&'static str] {
        &[TOKEN]
    }

    fn ending<'a>(
        &'a self,
        user: &'a str,
        meta: &'a HashMap<String, String>,
    ) -> Hook<'a, StoreError> {
        // The token bound to the session ends with it: a device signed out stays signed out.
        let token = selector(meta)?;
        Some(Box::pin(async move {
            let revoked = std::slice::from_ref(&token);
            self.store.token_revoke(user, revoked).await
        }))
    }

    fn carry<'a>(
        &'a self,
        meta: &'a HashMap<String, String>,
        carried: &'a str,
    ) -> Hook<'a, StoreError> {
        let token = selector(meta)?;
        Some(Box::pin(async move {
            self.store.token_carry(&token, carried).await
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
            let now = UnixMillis::now();
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

    fn cookie(&self) -> Option<&CookieSettings> {
        Some(&self.cookie)
    }

    fn set_cookies(&self, state: &mut State, out: &mut Vec<HeaderValue>) {
        let Some(slot) = state.features.get::<RememberSlot>() else {
            return;
        };
        out.extend(
            self.cookie
                .render_update(&slot.cookie, RememberCookie::encode),
        );
    }
}
