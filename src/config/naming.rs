//! How the layer's cookies are named: the prefix rule, and the names that must not clash.

use std::time::Duration;

use super::{ConfigError, CookieOwner, SessionConfig};
use crate::cookie::CookieSettings;

const HOST_PREFIX: &str = "__Host-";
const HOST_HTTP_PREFIX: &str = "__Host-Http-";
const HTTP_PREFIX: &str = "__Http-";
const SECURE_PREFIX: &str = "__Secure-";

impl SessionConfig {
    /// The settings of the `cookie` cookie of a feature (`cart`, `remember-me`), named `name`
    /// by the feature's `setting` and lasting `lifetime`: the session cookie's attributes and
    /// `__Host-` prefix rule.
    /// Refused if the name is no cookie name, or is (once prefixed) one of `taken`: the names
    /// of the session cookie and the other features' cookies, with whose they are.
    #[cfg_attr(
        not(any(
            feature = "cart",
            feature = "remember-me",
            feature = "flash",
            feature = "dbsc"
        )),
        expect(dead_code, reason = "an extension point: only features call it")
    )]
    pub(crate) fn companion_cookie(
        &self,
        (cookie, setting): CookieOwner,
        name: &str,
        lifetime: Duration,
        taken: &[(&str, CookieOwner)],
    ) -> Result<CookieSettings, ConfigError> {
        if !is_token(name) {
            return Err(ConfigError::CookieName(name.to_owned()));
        }
        let (name, old_name) = self.prefixed(name)?;
        if let Some(&(_, (taken_by, taken_by_setting))) = taken.iter().find(|(t, _)| *t == name) {
            return Err(ConfigError::CookieNameTaken {
                name,
                cookie,
                setting,
                taken_by,
                taken_by_setting,
            });
        }
        let mut settings = self.cookie.companion(&name, lifetime);
        settings.old_name = old_name.filter(|_| self.read_old_cookie_names);
        Ok(settings)
    }

    /// Names the session cookie by the prefix rule (see [`prefixed`](Self::prefixed)).
    pub(super) fn name_session_cookie(&mut self) -> Result<(), ConfigError> {
        let (name, old_name) = self.prefixed(&self.cookie.name)?;
        self.cookie.name = name;
        self.cookie.old_name = old_name.filter(|_| self.read_old_cookie_names);
        Ok(())
    }

    /// `name` with the strongest prefix the cookie attributes allow, and the name it had before
    /// this crate used that prefix, if another. Where the cookie is `Secure` with `Path=/` and
    /// no `Domain` (the defaults), `__Host-` keeps any sibling subdomain and plain-http response
    /// from planting one; where it is `HttpOnly` as well (the default), `__Host-Http-` also keeps
    /// script on the page from setting one (Chrome 140+, WebKit; other browsers read the prefix
    /// as part of the name). The old `__Host-` name is still read (until
    /// `read_old_cookie_names(false)`), so an upgrade signs nobody out. A name given with a prefix keeps it; one the attributes do not allow is refused.
    fn prefixed(&self, name: &str) -> Result<(String, Option<String>), ConfigError> {
        let cookie = &self.cookie;
        let secure = cookie.secure;
        let allowed = secure && cookie.path == "/" && cookie.domain.is_none();
        if name.starts_with(SECURE_PREFIX) && !secure {
            return Err(ConfigError::SecurePrefix);
        }
        let http = name.starts_with(HTTP_PREFIX) || name.starts_with(HOST_HTTP_PREFIX);
        if http && !(secure && cookie.http_only) {
            return Err(ConfigError::HttpPrefix);
        }
        let prefixed = name.starts_with(HOST_PREFIX);
        if prefixed && !allowed {
            return Err(ConfigError::HostPrefix);
        }
        let plain = !prefixed && !http && !name.starts_with(SECURE_PREFIX);
        match self.host_prefix {
            Some(true) if !allowed => Err(ConfigError::HostPrefix),
            Some(false) => Ok((name.to_owned(), None)),
            _ if allowed && plain && cookie.http_only => Ok((
                format!("{HOST_HTTP_PREFIX}{name}"),
                Some(format!("{HOST_PREFIX}{name}")),
            )),
            _ if allowed && plain => Ok((format!("{HOST_PREFIX}{name}"), None)),
            _ => Ok((name.to_owned(), None)),
        }
    }
}

/// RFC 6265's `token`: visible ASCII except separators.
pub(super) fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SESSION_COOKIE;
    use crate::config::tests::with_cookie;

    /// A feature's cookie, as a feature names it.
    const WIDGET: CookieOwner = ("widget", "WidgetConfig::cookie_name");

    #[test]
    fn host_http_prefix_is_the_default_for_every_cookie() {
        let config = SessionConfig::default().finish().unwrap();
        assert_eq!(config.cookie.name, "__Host-Http-id");
        let companion = config.companion_cookie(WIDGET, "widget", Duration::from_secs(1), &[]);
        assert_eq!(companion.unwrap().name, "__Host-Http-widget");
    }

    #[test]
    fn a_companion_cookie_cannot_take_a_name_in_use() {
        let mut config = SessionConfig::default();
        config.cookie.name = "widget".into();
        let config = config.finish().unwrap();
        let taken = [(config.cookie.name.as_str(), SESSION_COOKIE)];
        let clash = config.companion_cookie(WIDGET, "widget", Duration::from_secs(1), &taken);
        let error = clash.unwrap_err();
        assert_eq!(
            error,
            ConfigError::CookieNameTaken {
                name: "__Host-Http-widget".into(),
                cookie: "widget",
                setting: "WidgetConfig::cookie_name",
                taken_by: "session",
                taken_by_setting: "SessionLayerBuilder::cookie_name",
            }
        );
        assert!(
            error.to_string().contains("WidgetConfig::cookie_name"),
            "{error}"
        );
    }

    #[test]
    fn plain_names_where_the_attributes_do_not_allow_the_prefix() {
        for change in [
            (|c: &mut CookieSettings| c.secure = false) as fn(&mut CookieSettings),
            |c| c.path = "/app".into(),
            |c| c.domain = Some("example.com".into()),
        ] {
            let config = with_cookie(change).unwrap();
            assert_eq!(config.cookie.name, "id");
            let companion = config.companion_cookie(WIDGET, "widget", Duration::from_secs(1), &[]);
            assert_eq!(companion.unwrap().name, "widget");
        }
    }

    #[test]
    fn host_prefix_off_keeps_the_plain_names() {
        let config = SessionConfig {
            host_prefix: Some(false),
            ..SessionConfig::default()
        };
        assert_eq!(config.finish().unwrap().cookie.name, "id");
    }

    #[test]
    fn a_required_host_prefix_needs_root_path_and_no_domain() {
        let mut config = SessionConfig {
            host_prefix: Some(true),
            ..SessionConfig::default()
        };
        config.cookie.domain = Some("example.com".into());
        assert_eq!(config.finish().unwrap_err(), ConfigError::HostPrefix);
    }

    #[test]
    fn a_host_prefixed_name_without_secure_is_refused() {
        let result = with_cookie(|cookie| {
            cookie.name = "__Host-sid".into();
            cookie.secure = false;
        });
        assert_eq!(result.unwrap_err(), ConfigError::HostPrefix);
    }

    #[test]
    fn a_secure_prefixed_name_without_secure_is_refused() {
        let result = with_cookie(|cookie| {
            cookie.name = "__Secure-sid".into();
            cookie.secure = false;
        });
        assert_eq!(result.unwrap_err(), ConfigError::SecurePrefix);
    }

    #[test]
    fn a_name_given_with_the_prefix_is_not_prefixed_twice() {
        let config = with_cookie(|cookie| cookie.name = "__Host-sid".into()).unwrap();
        assert_eq!(config.cookie.name, "__Host-sid");
    }

    #[test]
    fn an_http_only_cookie_is_named_host_http_and_read_under_its_old_name_too() {
        let config = SessionConfig::default().finish().unwrap();
        assert_eq!(config.cookie.old_name.as_deref(), Some("__Host-id"));
        let companion = config.companion_cookie(WIDGET, "widget", Duration::from_secs(1), &[]);
        assert_eq!(
            companion.unwrap().old_name.as_deref(),
            Some("__Host-widget")
        );
    }

    #[test]
    fn a_cookie_script_may_read_keeps_the_host_prefix_alone() {
        let config = with_cookie(|cookie| cookie.http_only = false).unwrap();
        assert_eq!(config.cookie.name, "__Host-id");
        assert_eq!(config.cookie.old_name, None);
    }

    #[test]
    fn an_http_prefixed_name_without_http_only_is_refused() {
        for name in ["__Http-sid", "__Host-Http-sid"] {
            let result = with_cookie(|cookie| {
                cookie.name = name.into();
                cookie.http_only = false;
            });
            assert_eq!(result.unwrap_err(), ConfigError::HttpPrefix, "{name}");
        }
    }
}
