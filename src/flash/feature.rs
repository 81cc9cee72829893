//! Flash messages' place in the session lifecycle: the cookie that says messages wait, read with
//! the session's and set with the response.

use http::HeaderValue;

use crate::config::{ConfigError, CookieOwner, SessionConfig};
use crate::cookie::{CookieSettings, CookieUpdate};
use crate::session::State;
use crate::session::feature::Feature;

/// Metadata field: the waiting messages (a JSON array).
pub(super) const MESSAGES: &str = "$f";

/// Flash messages, registered with the layer.
pub(crate) struct FlashFeature {
    cookie: CookieSettings,
}

/// What flash messages keep for one request.
#[derive(Clone, Default)]
pub(super) struct FlashSlot {
    /// The request carried the cookie that says messages wait.
    pub(super) waiting: bool,
    pub(super) cookie: CookieUpdate<()>,
}

impl FlashFeature {
    /// The flash cookie, and what names it.
    pub(crate) const COOKIE: CookieOwner = ("flash", "the flash feature");

    /// The feature, its cookie named `flash` beside the session cookie and the names already
    /// `taken`; it lasts as long as a session can.
    pub(crate) fn new(
        session: &SessionConfig,
        taken: &[(&str, CookieOwner)],
    ) -> Result<Self, ConfigError> {
        let lifetime = session.timeouts.absolute;
        let cookie = session.companion_cookie(Self::COOKIE, "flash", lifetime, taken)?;
        Ok(Self { cookie })
    }
}

impl Feature for FlashFeature {
    fn read_cookie(&self, name: &str, _value: &str, state: &mut State) -> bool {
        if !self.cookie.is_named(name) {
            return false;
        }
        state.features.get_or_insert_default::<FlashSlot>().waiting = true;
        true
    }

    fn cookie(&self) -> Option<&CookieSettings> {
        Some(&self.cookie)
    }

    fn set_cookies(&self, state: &mut State, out: &mut Vec<HeaderValue>) {
        let Some(slot) = state.features.get::<FlashSlot>() else {
            return;
        };
        out.extend(self.cookie.render_update(&slot.cookie, |()| "1".to_owned()));
    }
}
