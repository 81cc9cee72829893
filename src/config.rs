//! What a [`SessionLayer`](crate::SessionLayer) was built with, checked once by its builder.

use std::time::Duration;

use cookie::SameSite;

use crate::cart::CartConfig;
use crate::cookie::CookieSettings;
use crate::remember::RememberConfig;
use crate::store::{Expiry, SessionStore};

pub(crate) const DEFAULT_IDLE: Duration = Duration::from_secs(30 * 60);
pub(crate) const DEFAULT_ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
pub(crate) const DEFAULT_MAX_BYTES: usize = 64 * 1024;
pub(crate) const DEFAULT_MAX_KEYS: usize = 256;
pub(crate) const DEFAULT_LAST_SEEN_INTERVAL: Duration = Duration::from_secs(60);
const HOST_PREFIX: &str = "__Host-";

/// Everything a request's session needs besides its own state: shared by all requests.
pub(crate) struct Context {
    pub(crate) store: Box<dyn SessionStore>,
    pub(crate) config: SessionConfig,
    /// The visitor cart cookie, derived from the session cookie and the cart settings.
    pub(crate) cart_cookie: CookieSettings,
    /// The remember-me cookie, derived likewise.
    pub(crate) remember_cookie: CookieSettings,
}

/// Timeouts, limits and the cookie.
#[derive(Clone, Debug)]
pub(crate) struct SessionConfig {
    pub(crate) expiry: Expiry,
    pub(crate) max_bytes: usize,
    pub(crate) max_keys: usize,
    pub(crate) cookie: CookieSettings,
    pub(crate) host_prefix: bool,
    /// A signed-in session's last-seen time is rewritten at most this often.
    pub(crate) last_seen_interval: Duration,
    /// Send `Clear-Site-Data: "cookies"` on logout.
    pub(crate) clear_site_data: bool,
    pub(crate) cart: CartConfig,
    pub(crate) remember: RememberConfig,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            expiry: Expiry {
                idle: DEFAULT_IDLE,
                absolute: DEFAULT_ABSOLUTE,
            },
            max_bytes: DEFAULT_MAX_BYTES,
            max_keys: DEFAULT_MAX_KEYS,
            cookie: CookieSettings::default(),
            host_prefix: false,
            last_seen_interval: DEFAULT_LAST_SEEN_INTERVAL,
            clear_site_data: false,
            cart: CartConfig::default(),
            remember: RememberConfig::default(),
        }
    }
}

/// A configuration that would make insecure or broken sessions; returned by
/// [`SessionLayerBuilder::build`](crate::SessionLayerBuilder::build).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is empty or has characters a cookie name cannot have.
    #[error("invalid cookie name {0:?}")]
    CookieName(String),
    /// The cookie path is empty, relative, or has `;` or control characters.
    #[error("invalid cookie path {0:?}")]
    CookiePath(String),
    /// The cookie domain has characters a host name cannot have.
    #[error("invalid cookie domain {0:?}")]
    CookieDomain(String),
    /// A timeout or limit is zero.
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    /// The `__Host-` prefix requires `Secure`, `Path=/` and no `Domain`; browsers drop the cookie
    /// otherwise.
    #[error("the __Host- cookie prefix requires Secure, Path=/ and no Domain")]
    HostPrefix,
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
        if self.expiry.idle.is_zero() {
            return Err(ConfigError::Zero("idle timeout"));
        }
        if self.expiry.absolute.is_zero() {
            return Err(ConfigError::Zero("absolute timeout"));
        }
        if self.max_bytes == 0 {
            return Err(ConfigError::Zero("session size limit"));
        }
        if self.max_keys == 0 {
            return Err(ConfigError::Zero("session key limit"));
        }
        let cart = &self.cart;
        if !is_token(&cart.cookie_name) || cart.cookie_name == self.cookie.name {
            return Err(ConfigError::CookieName(cart.cookie_name.clone()));
        }
        let remember = &self.remember;
        let names = [&self.cookie.name, &cart.cookie_name];
        if !is_token(&remember.cookie_name) || names.contains(&&remember.cookie_name) {
            return Err(ConfigError::CookieName(remember.cookie_name.clone()));
        }
        for (value, what) in [
            (remember.ttl.is_zero(), "remember-me lifetime"),
            (cart.ttl.is_zero(), "cart time to live"),
            (cart.user_ttl.is_zero(), "user cart time to live"),
            (cart.max_lines == 0, "cart line limit"),
            (cart.max_quantity == 0, "cart quantity limit"),
        ] {
            if value {
                return Err(ConfigError::Zero(what));
            }
        }
        if self.host_prefix {
            if !cookie.secure || cookie.path != "/" || cookie.domain.is_some() {
                return Err(ConfigError::HostPrefix);
            }
            if !self.cookie.name.starts_with(HOST_PREFIX) {
                self.cookie.name = format!("{HOST_PREFIX}{}", self.cookie.name);
            }
        }
        Ok(self)
    }
}

/// RFC 6265's `token`: visible ASCII except separators.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(change: impl FnOnce(&mut CookieSettings)) -> Result<SessionConfig, ConfigError> {
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

    #[test]
    fn host_prefix_requires_root_path_and_no_domain() {
        let mut config = SessionConfig {
            host_prefix: true,
            ..SessionConfig::default()
        };
        config.cookie.domain = Some("example.com".into());
        assert_eq!(config.finish().unwrap_err(), ConfigError::HostPrefix);
    }

    #[test]
    fn host_prefix_is_added_to_the_name() {
        let config = SessionConfig {
            host_prefix: true,
            ..SessionConfig::default()
        };
        assert_eq!(config.finish().unwrap().cookie.name, "__Host-id");
    }
}
