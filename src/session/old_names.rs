//! Cookies under the names this crate gave them before their current prefix (`__Host-id`
//! before `__Host-Http-id`): read where a request lacks the current one, so that an upgrade
//! signs nobody out, then moved to the current name and expired under the old one.

use http::HeaderValue;

use super::Context;
use crate::cookie::CookieSettings;

/// A request cookie under an old name.
#[derive(Clone, Debug)]
pub(crate) struct OldCookie {
    old: String,
    current: String,
    value: String,
    /// Read in place of the current one (a feature's; the session's re-issues by its own path).
    pub(super) read: bool,
}

/// The current name of the cookie a request sent as `name`, if `name` is an old name of one.
pub(super) fn current_name<'a>(name: &str, context: &'a Context) -> Option<&'a str> {
    // Every old name is a `__Host-` name without `Http-`: most cookies are ruled out here.
    let old = name.starts_with("__Host-") && !name.starts_with("__Host-Http-");
    if !old {
        return None;
    }
    all_settings(context)
        .find(|settings| settings.old_name.as_deref() == Some(name))
        .map(|settings| settings.name.as_str())
}

impl OldCookie {
    pub(super) fn new(old: &str, current: &str, value: &str) -> Self {
        Self {
            old: old.to_owned(),
            current: current.to_owned(),
            value: value.to_owned(),
            read: false,
        }
    }
}

/// The headers that expire `old` cookies, and re-issue under the current name those read in
/// place of it, unless this response already sets the current one (`set`).
pub(super) fn amend(
    old: Vec<OldCookie>,
    context: &Context,
    set: &[&HeaderValue],
    out: &mut Vec<HeaderValue>,
) {
    for cookie in old {
        let Some(settings) = all_settings(context).find(|s| s.name == cookie.current) else {
            continue;
        };
        out.extend(settings.renamed(&cookie.old).render(None));
        let prefix = format!("{}=", cookie.current);
        let set_already = set
            .iter()
            .any(|header| header.as_bytes().starts_with(prefix.as_bytes()));
        if cookie.read && !set_already {
            out.extend(settings.render(Some(cookie.value)));
        }
    }
}

/// The session cookie's settings, then each feature's.
fn all_settings(context: &Context) -> impl Iterator<Item = &CookieSettings> {
    std::iter::once(&context.config.cookie).chain(
        context
            .features
            .iter()
            .filter_map(|feature| feature.cookie()),
    )
}
