//! The builder's settings of the session cookie: its name and prefix, its attributes, and how
//! its value is protected. Every feature's cookie follows them.

use cookie::SameSite;

use super::SessionLayerBuilder;

impl SessionLayerBuilder {
    /// Name of the session cookie (default `id`, sent as `__Host-Http-id`: see
    /// [`host_prefix`](Self::host_prefix)).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.config.cookie.name = name.into();
        self
    }

    /// `Path` of the session cookie (default `/`).
    pub fn cookie_path(mut self, path: impl Into<String>) -> Self {
        self.config.cookie.path = path.into();
        self
    }

    /// `Domain` of the session cookie (default none: only the host that set it).
    ///
    /// # Security
    /// A domain shares the cookie with every subdomain; leave it unset unless you need that.
    pub fn cookie_domain(mut self, domain: impl Into<String>) -> Self {
        self.config.cookie.domain = Some(domain.into());
        self
    }

    /// Whether the cookie has `Secure` (default true).
    ///
    /// # Security
    /// Turn it off only for plain-http development hosts: the cookie would then travel in the
    /// clear. Browsers treat `http://localhost` as secure, so local development needs no change.
    pub fn secure(mut self, secure: bool) -> Self {
        self.config.cookie.secure = secure;
        self
    }

    /// Whether the cookie has `HttpOnly` (default true).
    ///
    /// # Security
    /// Without it, any script injected into a page can read the session ID.
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.config.cookie.http_only = http_only;
        self
    }

    /// `SameSite` of the cookie (default `Lax`). `None` requires [`secure`](Self::secure).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.config.cookie.same_site = same_site;
        self
    }

    /// Keep the cookie across browser restarts, with `Max-Age` set to the time left until the
    /// session's absolute deadline (default off: the cookie ends with the browser session; the
    /// server-side TTL expires the session either way). One session can choose otherwise with
    /// [`Session::set_expiry`](crate::Session::set_expiry).
    pub fn persistent_cookie(mut self, persistent: bool) -> Self {
        self.config.persistent_cookie = persistent;
        self
    }

    /// Whether the layer's cookies are named `__Host-…` (`__Host-Http-id`, `__Host-Http-cart`,
    /// `__Host-Http-remember`, `__Host-Http-flash`). Browsers accept such a cookie only if it is
    /// `Secure`, has `Path=/` and no `Domain`, and only from a secure origin, so no sibling
    /// subdomain and no plain-http response on the same host can plant one (login CSRF, session
    /// fixation); `__Host-Http-`, used where the cookie is `HttpOnly` as well (the default), also
    /// keeps script on the page from setting one (Chrome 140+ and WebKit enforce it; other
    /// browsers read it as part of the name). Cookies under the `__Host-` names of earlier
    /// versions are still read where the current one is missing, then moved to it.
    ///
    /// By default the prefix is used whenever those attributes allow it, which they do by
    /// default; with [`secure(false)`](Self::secure), a [`cookie_domain`](Self::cookie_domain)
    /// or a [`cookie_path`](Self::cookie_path) other than `/`, the cookies keep their plain
    /// names. `true` requires the prefix ([`build`](Self::build) fails with
    /// [`ConfigError::HostPrefix`](crate::ConfigError::HostPrefix) where it cannot apply); `false` never uses it.
    ///
    /// ```
    /// # use tower_redis_session::{MemoryStore, SessionLayer};
    /// // Plain-http development host other than localhost: plain names, `id`, `cart`, `remember`.
    /// let layer = SessionLayer::builder(MemoryStore::new()).secure(false).build()?;
    /// # Ok::<(), tower_redis_session::ConfigError>(())
    /// ```
    pub fn host_prefix(mut self, enabled: bool) -> Self {
        self.config.host_prefix = Some(enabled);
        self
    }

    /// Sign the cookie with `key` (HMAC-SHA256); a tampered cookie reads as no cookie.
    #[cfg(feature = "signed")]
    pub fn signed(mut self, key: cookie::Key) -> Self {
        self.config.cookie.protection = crate::cookie::Protection::Signed(key);
        self
    }

    /// Encrypt and authenticate the cookie with `key` (AES-256-GCM); a tampered cookie reads as
    /// no cookie, and the ID is unreadable outside the server.
    #[cfg(feature = "private")]
    pub fn private(mut self, key: cookie::Key) -> Self {
        self.config.cookie.protection = crate::cookie::Protection::Private(key);
        self
    }

    /// Whether cookies under the `__Host-` names of earlier versions (`__Host-id` where the
    /// cookie is now `__Host-Http-id`; see [`host_prefix`](Self::host_prefix)) are still read
    /// where a request lacks the current one, then moved to it (default `true`, so an upgrade
    /// signs nobody out). Script on a page can set an old name, not a current one: turn this
    /// off once every browser has been moved, the longest cookie lifetime after the upgrade
    /// (the absolute timeout, or the remember-me lifetime).
    pub fn read_old_cookie_names(mut self, read: bool) -> Self {
        self.config.read_old_cookie_names = read;
        self
    }

    /// Keys the cookie was [`signed`](Self::signed) or made [`private`](Self::private) with
    /// before the current one: a cookie one of them protects is still read, and the response
    /// re-issues it under the current key, so rotating the secret at a deploy signs nobody out.
    /// Drop a previous key once the absolute timeout has passed since it stopped being current.
    /// Ignored without `signed` or `private`.
    ///
    /// ```
    /// # #[cfg(feature = "private")]
    /// # fn layer() -> Result<(), Box<dyn std::error::Error>> {
    /// use tower_redis_session::{Key, MemoryStore, SessionLayer};
    ///
    /// let current = Key::try_from(std::env::var("SESSION_KEY")?.as_bytes())?;
    /// let previous = Key::try_from(std::env::var("SESSION_KEY_PREVIOUS")?.as_bytes())?;
    /// let layer = SessionLayer::builder(MemoryStore::new())
    ///     .private(current)
    ///     .previous_keys([previous])
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(any(feature = "signed", feature = "private"))]
    pub fn previous_keys(mut self, keys: impl IntoIterator<Item = cookie::Key>) -> Self {
        self.config.cookie.previous_keys = keys.into_iter().collect();
        self
    }
}
