//! What a [`SessionLayer`](crate::SessionLayer) was built with, checked once by its builder.

use std::time::Duration;

use cookie::SameSite;

use http::HeaderValue;

use crate::cookie::{CookieSettings, CookieUpdate};
use crate::expiry::{Expiry, Timeouts};
use crate::id::SessionId;
use crate::time::UnixMillis;

mod naming;

use self::naming::is_token;

pub(crate) const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);
pub(crate) const DEFAULT_ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
pub(crate) const DEFAULT_MAX_BYTES: usize = 64 * 1024;
pub(crate) const DEFAULT_MAX_KEYS: usize = 256;
pub(crate) const DEFAULT_LAST_SEEN_INTERVAL: Duration = Duration::from_secs(60);

/// Timeouts, limits and the cookie.
#[derive(Clone, Debug)]
pub(crate) struct SessionConfig {
    pub(crate) timeouts: Timeouts,
    /// The session cookie outlives the browser session, unless the session's own expiry says
    /// otherwise.
    pub(crate) persistent_cookie: bool,
    pub(crate) max_bytes: usize,
    pub(crate) max_keys: usize,
    pub(crate) cookie: CookieSettings,
    /// `None`: the `__Host-` prefix wherever the cookie attributes allow it; `Some(true)`:
    /// required; `Some(false)`: never.
    pub(crate) host_prefix: Option<bool>,
    /// A signed-in session's last-seen time is rewritten at most this often.
    pub(crate) last_seen_interval: Duration,
    /// Send `Clear-Site-Data: "cookies"` on logout.
    pub(crate) clear_site_data: bool,
    /// The header a trusted proxy sets to the client's IP address.
    pub(crate) client_ip_header: Option<http::HeaderName>,
    /// Most signed-in sessions a user keeps; a sign-in past it ends the least recently seen.
    pub(crate) max_sessions_per_user: Option<usize>,
    /// Where [`LoggedIn`](crate::LoggedIn) sends anonymous requests; `None`: answer 401.
    pub(crate) login_path: Option<String>,
    /// Read cookies under the `__Host-` names of earlier versions (see `config/naming.rs`).
    pub(crate) read_old_cookie_names: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            timeouts: Timeouts {
                idle: DEFAULT_IDLE,
                absolute: DEFAULT_ABSOLUTE,
            },
            persistent_cookie: false,
            max_bytes: DEFAULT_MAX_BYTES,
            max_keys: DEFAULT_MAX_KEYS,
            cookie: CookieSettings::default(),
            host_prefix: None,
            last_seen_interval: DEFAULT_LAST_SEEN_INTERVAL,
            clear_site_data: false,
            client_ip_header: None,
            max_sessions_per_user: None,
            login_path: None,
            read_old_cookie_names: true,
        }
    }
}

/// A cookie of the layer's, and the setting that names it: (`"session"`,
/// `"SessionLayerBuilder::cookie_name"`), or a feature's.
pub(crate) type CookieOwner = (&'static str, &'static str);

/// The session cookie, as [`CookieOwner`].
pub(crate) const SESSION_COOKIE: CookieOwner = ("session", "SessionLayerBuilder::cookie_name");

/// A configuration that would make insecure or broken sessions; returned by
/// [`SessionLayerBuilder::build`](crate::SessionLayerBuilder::build).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is empty or has characters a cookie name cannot have.
    #[error("invalid cookie name {0:?}")]
    CookieName(String),
    /// Two of the layer's cookies would have the same name (say the session cookie named
    /// `cart`, which the cart cookie is called by default).
    #[error(
        "the {cookie} cookie would be named {name:?}, as the {taken_by} cookie is: name one of \
         them otherwise ({taken_by_setting}, {setting})"
    )]
    CookieNameTaken {
        /// The name both would have, prefix included.
        name: String,
        /// The cookie being named: `cart`, `remember-me`.
        cookie: &'static str,
        /// The setting that names it.
        setting: &'static str,
        /// The cookie that has the name already: `session`, `cart`.
        taken_by: &'static str,
        /// The setting that names that one, such as `SessionLayerBuilder::cookie_name`.
        taken_by_setting: &'static str,
    },
    /// The cookie path is empty, relative, or has `;` or control characters.
    #[error("invalid cookie path {0:?}")]
    CookiePath(String),
    /// The cookie domain has characters a host name cannot have.
    #[error("invalid cookie domain {0:?}")]
    CookieDomain(String),
    /// A timeout or limit is zero.
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    /// The idle timeout is longer than the absolute timeout, which would end every session
    /// first: the idle timeout would never apply as set.
    #[error(
        "the idle timeout ({idle}) is longer than the absolute timeout ({absolute}), which \
         would end every session first: raise absolute_timeout to at least {idle}, or lower \
         idle_timeout"
    )]
    IdleLongerThanAbsolute {
        /// The idle timeout, as a person reads it (`24h`).
        idle: String,
        /// The absolute timeout, as a person reads it (`12h`).
        absolute: String,
    },
    /// The login path is not a path on this origin (see [`safe_next`](crate::safe_next)).
    #[error("invalid login path {0:?}: it must be a path on this origin, such as /login")]
    LoginPath(String),
    /// A device-bound session endpoint (`DbscConfig`, feature `dbsc`) is not a path on
    /// this origin, or both endpoints have the same path.
    #[error(
        "invalid DBSC {which} path {path:?}: it must be a path on this origin, such as /dbsc/refresh, and differ from the other endpoint's"
    )]
    DbscPath {
        /// Which endpoint: `registration` or `refresh`.
        which: &'static str,
        /// The path given.
        path: String,
    },
    /// The `__Host-` prefix was required ([`host_prefix(true)`](crate::SessionLayerBuilder::host_prefix),
    /// or a cookie name that starts with it) but the cookie is not `Secure`, has a `Path` other
    /// than `/`, or a `Domain`: browsers drop such a cookie.
    #[error("the __Host- cookie prefix requires Secure, Path=/ and no Domain")]
    HostPrefix,
    /// A cookie name starts with `__Http-` or `__Host-Http-` but the cookie is not `HttpOnly`
    /// and `Secure`: browsers drop it.
    #[error(
        "the __Http- and __Host-Http- cookie prefixes require the HttpOnly and Secure attributes"
    )]
    HttpPrefix,
    /// A cookie name starts with `__Secure-` but the cookie is not `Secure`: browsers drop it.
    #[error("the __Secure- cookie prefix requires the Secure attribute")]
    SecurePrefix,
    /// `SameSite=None` requires `Secure`; browsers drop the cookie otherwise.
    #[error("SameSite=None requires the Secure attribute")]
    SameSiteNone,
}

impl SessionConfig {
    /// Checks the configuration and applies the cookie name prefix.
    pub(crate) fn finish(mut self) -> Result<Self, ConfigError> {
        let cookie = &self.cookie;
        if !is_token(&cookie.name) {
            return Err(ConfigError::CookieName(cookie.name.clone()));
        }
        if !cookie.path.starts_with('/') || cookie.path.chars().any(|c| c == ';' || c.is_control())
        {
            return Err(ConfigError::CookiePath(cookie.path.clone()));
        }
        if let Some(domain) = &cookie.domain {
            let valid = !domain.is_empty()
                && domain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !valid {
                return Err(ConfigError::CookieDomain(domain.clone()));
            }
        }
        if cookie.same_site == SameSite::None && !cookie.secure {
            return Err(ConfigError::SameSiteNone);
        }
        if self.timeouts.idle.is_zero() {
            return Err(ConfigError::Zero("idle timeout"));
        }
        if self.timeouts.absolute.is_zero() {
            return Err(ConfigError::Zero("absolute timeout"));
        }
        if self.timeouts.idle > self.timeouts.absolute {
            return Err(ConfigError::IdleLongerThanAbsolute {
                idle: crate::time::readable(self.timeouts.idle),
                absolute: crate::time::readable(self.timeouts.absolute),
            });
        }
        if let Some(path) = &self.login_path
            && crate::redirect::safe_next(path).is_none()
        {
            return Err(ConfigError::LoginPath(path.clone()));
        }
        if self.max_bytes == 0 {
            return Err(ConfigError::Zero("session size limit"));
        }
        if self.max_sessions_per_user == Some(0) {
            return Err(ConfigError::Zero("sessions per user"));
        }
        if self.max_keys == 0 {
            return Err(ConfigError::Zero("session key limit"));
        }
        self.name_session_cookie()?;
        Ok(self)
    }
}

impl SessionConfig {
    /// The `Set-Cookie` header for an update of the session cookie. A persistent cookie lasts
    /// until the session's absolute deadline.
    pub(crate) fn cookie_header(&self, update: &CookieUpdate<SessionId>) -> Option<HeaderValue> {
        let CookieUpdate::Set(id) = update else {
            return self.cookie.header(update, None);
        };
        let persistent = match id.expiry() {
            None => self.persistent_cookie,
            Some(Expiry::OnSessionEnd) => false,
            Some(Expiry::OnInactivity(_) | Expiry::AtDateTime(_)) => true,
        };
        let max_age = persistent.then(|| {
            let deadline = self
                .timeouts
                .absolute_deadline(id.created_at(), id.expiry());
            UnixMillis::now().until(deadline)
        });
        self.cookie.header(update, max_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default configuration with the session cookie's settings changed, checked.
    pub(super) fn with_cookie(
        change: impl FnOnce(&mut CookieSettings),
    ) -> Result<SessionConfig, ConfigError> {
        let mut config = SessionConfig::default();
        change(&mut config.cookie);
        config.finish()
    }

    #[test]
    fn defaults_are_valid() {
        assert!(SessionConfig::default().finish().is_ok());
    }

    #[test]
    fn cookie_names_with_separators_are_refused() {
        let result = with_cookie(|cookie| cookie.name = "a;b".into());
        assert_eq!(result.unwrap_err(), ConfigError::CookieName("a;b".into()));
    }

    #[test]
    fn same_site_none_without_secure_is_refused() {
        let result = with_cookie(|cookie| {
            cookie.same_site = SameSite::None;
            cookie.secure = false;
        });
        assert_eq!(result.unwrap_err(), ConfigError::SameSiteNone);
    }
}
