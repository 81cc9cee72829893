//! The cart's place in the session lifecycle: its cookie, read with the session's and set with
//! the response, and the merge of a visitor's cart into the user's at login.

use std::sync::Arc;

use http::HeaderValue;

use super::{CartConfig, CartId};
use crate::config::{ConfigError, CookieOwner, SessionConfig};
use crate::cookie::{CookieSettings, CookieUpdate};
use crate::error::SessionError;
use crate::session::State;
use crate::session::feature::{Feature, Hook};
use crate::store::DynCartStore;
use crate::store::cart::{CartLimits, CartOwner};

/// The cart, registered with the layer.
pub(crate) struct CartFeature {
    pub(super) store: Arc<dyn DynCartStore>,
    pub(super) config: CartConfig,
    cookie: CookieSettings,
}

/// What the cart keeps for one request.
#[derive(Clone, Default)]
pub(super) struct CartSlot {
    /// The visitor's cart, from the cart cookie or made by this request.
    pub(super) id: Option<CartId>,
    pub(super) cookie: CookieUpdate<CartId>,
}

impl CartFeature {
    /// The cart cookie, and the setting that names it.
    pub(crate) const COOKIE: CookieOwner = ("cart", "CartConfig::cookie_name");

    /// The cart over `store` with `config`, its cookie named beside the session cookie and the
    /// cookie names already `taken`.
    pub(crate) fn new(
        store: Arc<dyn DynCartStore>,
        config: CartConfig,
        session: &SessionConfig,
        taken: &[(&str, CookieOwner)],
    ) -> Result<Self, ConfigError> {
        config.check()?;
        let cookie =
            session.companion_cookie(Self::COOKIE, &config.cookie_name, config.ttl, taken)?;
        Ok(Self {
            store,
            config,
            cookie,
        })
    }

    /// The name of the cart cookie, as sent.
    pub(crate) fn cookie_name(&self) -> &str {
        &self.cookie.name
    }

    /// Moves the visitor's cart into the user's cart (once, even if retried), then drops the
    /// visitor's cart and its cookie: from now on the user's cart is the cart.
    async fn merge_visitor_cart(&self, state: &mut State, user: &str) -> Result<(), SessionError> {
        let Some(cart) = state
            .features
            .get_mut::<CartSlot>()
            .and_then(|s| s.id.take())
        else {
            return Ok(());
        };
        let store = &*self.store;
        let config = &self.config;
        let source = cart.handle();
        let visitor = CartOwner::Visitor(source.clone());
        let lines = store.cart_lines(&visitor).await?;
        if !lines.is_empty() {
            let limits = CartLimits {
                max_lines: config.max_lines,
                max_quantity: config.max_quantity,
                ttl: config.user_ttl,
            };
            let _merged = store
                .cart_merge(user, &source, &lines, config.merge, limits, config.ttl)
                .await?;
        }
        store.cart_clear(&visitor).await?;
        state.features.get_or_insert_default::<CartSlot>().cookie = CookieUpdate::Remove;
        Ok(())
    }
}

impl Feature for CartFeature {
    fn read_cookie(&self, name: &str, value: &str, state: &mut State) -> bool {
        if !self.cookie.is_named(name) {
            return false;
        }
        let known = state
            .features
            .get::<CartSlot>()
            .is_some_and(|s| s.id.is_some());
        if let Some(id) = CartId::parse(value).filter(|_| !known) {
            state.features.get_or_insert_default::<CartSlot>().id = Some(id);
        }
        true
    }

    fn logged_in<'a>(&'a self, state: &'a mut State, user: &'a str) -> Hook<'a> {
        state.features.get::<CartSlot>()?.id.as_ref()?;
        Some(Box::pin(self.merge_visitor_cart(state, user)))
    }

    fn cookie(&self) -> Option<&CookieSettings> {
        Some(&self.cookie)
    }

    fn set_cookies(&self, state: &mut State, out: &mut Vec<HeaderValue>) {
        let Some(slot) = state.features.get::<CartSlot>() else {
            return;
        };
        out.extend(self.cookie.render_update(&slot.cookie, |id| id.encode()));
    }
}
