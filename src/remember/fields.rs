//! What remember-me keeps on a session (`$r`, `$k`) and for one request (its cookie, the token
//! it carried), and the small reads and writes of both that signing in and the hooks share.

use std::collections::HashMap;

use super::token::RememberCookie;
use crate::cookie::CookieUpdate;
use crate::session::State;
use crate::session::meta::json;

/// Metadata field: `true` when a remember-me token, not a password, signed this session in.
pub(super) const REMEMBERED: &str = "$r";
/// Metadata field: the selector of this device's remember-me token (JSON string).
pub(super) const TOKEN: &str = "$k";

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
