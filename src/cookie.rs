//! The session cookie: reading the ID from a request, and the Set-Cookie headers that change it.

use std::time::Duration;

use cookie::{Cookie, SameSite};
use http::HeaderValue;
use http::header::{COOKIE, HeaderMap};

use crate::id::SessionId;

/// A cookie value longer than this is ignored unread: no legitimate one comes close (a private
/// cookie of an ID is about 100 characters).
const MAX_VALUE_LEN: usize = 256;

/// How the cookie value protects the ID beyond its own randomness.
#[derive(Clone, Default)]
pub(crate) enum Protection {
    /// The ID as it is.
    #[default]
    Plain,
    /// The ID with an HMAC; a tampered value reads as no cookie.
    #[cfg(feature = "signed")]
    Signed(cookie::Key),
    /// The ID encrypted and authenticated; a tampered value reads as no cookie.
    #[cfg(feature = "private")]
    Private(cookie::Key),
}

/// Every attribute of the session cookie.
#[derive(Clone)]
pub(crate) struct CookieSettings {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSite,
    /// `Some(max_age)` makes a companion cookie outlive the browser session; the session
    /// cookie's is the session's (`SessionConfig::cookie_header`).
    pub(crate) max_age: Option<Duration>,
    pub(crate) protection: Protection,
    /// The name this crate gave the cookie before its current prefix (`__Host-id` for
    /// `__Host-Http-id`), still read where a request lacks the current one.
    pub(crate) old_name: Option<String>,
    /// Keys the value was protected with before the current one: still accepted for reading.
    #[cfg(any(feature = "signed", feature = "private"))]
    pub(crate) previous_keys: Vec<cookie::Key>,
}

impl Default for CookieSettings {
    fn default() -> Self {
        Self {
            name: "id".to_owned(),
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            max_age: None,
            protection: Protection::Plain,
            old_name: None,
            #[cfg(any(feature = "signed", feature = "private"))]
            previous_keys: Vec::new(),
        }
    }
}

impl std::fmt::Debug for CookieSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let protection = match self.protection {
            Protection::Plain => "plain",
            #[cfg(feature = "signed")]
            Protection::Signed(_) => "signed",
            #[cfg(feature = "private")]
            Protection::Private(_) => "private",
        };
        f.debug_struct("CookieSettings")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("same_site", &self.same_site)
            .field("max_age", &self.max_age)
            .field("protection", &protection)
            .finish()
    }
}

/// A request's `Cookie` headers, kept as they came until the session is first used, so that a
/// route that never touches the session parses nothing. Cloning a header shares its bytes.
#[derive(Debug, Default)]
pub(crate) enum RawCookies {
    /// No `Cookie` header.
    #[default]
    None,
    /// One `Cookie` header, as browsers send.
    One(HeaderValue),
    /// Several `Cookie` headers.
    Many(Vec<HeaderValue>),
}

impl RawCookies {
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let mut all = headers.get_all(COOKIE).iter();
        match (all.next(), all.next()) {
            (None, _) => Self::None,
            (Some(one), None) => Self::One(one.clone()),
            _ => Self::Many(headers.get_all(COOKIE).iter().cloned().collect()),
        }
    }

    /// The request's cookies as (name, value) pairs; oversized values are skipped unread.
    ///
    /// The header is split on bytes, and only a pair that is not UTF-8 is skipped: browsers
    /// send every cookie of a site in one header, and another application's cookie in Latin-1
    /// must not hide this one's.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        let headers = match self {
            Self::None => &[],
            Self::One(header) => std::slice::from_ref(header),
            Self::Many(headers) => headers.as_slice(),
        };
        headers
            .iter()
            .flat_map(|header| header.as_bytes().split(|&byte| byte == b';'))
            .filter_map(|pair| std::str::from_utf8(pair).ok())
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(_, value)| value.len() <= MAX_VALUE_LEN)
    }
}

/// What the response must tell the browser about a cookie.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum CookieUpdate<T> {
    /// Nothing changed: no Set-Cookie.
    #[default]
    Keep,
    /// The cookie now holds this ID.
    Set(T),
    /// The ID is gone: expire the cookie.
    Remove,
}

impl CookieSettings {
    /// A persistent companion cookie (cart, remember-me): these attributes, its own name, and
    /// `Max-Age` = its lifetime. Its value is a random ID of its own, so it is not signed.
    pub(crate) fn companion(&self, name: &str, lifetime: Duration) -> Self {
        Self {
            name: name.to_owned(),
            max_age: Some(lifetime),
            protection: Protection::Plain,
            ..self.clone()
        }
    }

    /// These settings under another name (an old one, to expire it).
    pub(crate) fn renamed(&self, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            old_name: None,
            ..self.clone()
        }
    }

    /// Whether a request cookie of this name is this cookie.
    pub(crate) fn is_named(&self, name: &str) -> bool {
        self.name == name
    }

    /// The session ID in this cookie's value, if intact and well-formed, and whether it was
    /// protected with a previous key (so that the response re-issues it with the current one).
    pub(crate) fn read(&self, value: &str) -> Option<(SessionId, bool)> {
        if let Some(id) = self.unprotect(&self.protection, value) {
            return Some((id, false));
        }
        #[cfg(any(feature = "signed", feature = "private"))]
        for key in &self.previous_keys {
            let previous = match self.protection {
                Protection::Plain => return None,
                #[cfg(feature = "signed")]
                Protection::Signed(_) => Protection::Signed(key.clone()),
                #[cfg(feature = "private")]
                Protection::Private(_) => Protection::Private(key.clone()),
            };
            if let Some(id) = self.unprotect(&previous, value) {
                return Some((id, true));
            }
        }
        None
    }

    fn unprotect(&self, protection: &Protection, value: &str) -> Option<SessionId> {
        match protection {
            Protection::Plain => SessionId::parse(value),
            #[cfg(feature = "signed")]
            Protection::Signed(key) => {
                let cookie = Cookie::new(self.name.clone(), value.to_owned());
                let verified = cookie::CookieJar::new().signed(key).verify(cookie)?;
                SessionId::parse(verified.value())
            }
            #[cfg(feature = "private")]
            Protection::Private(key) => {
                let cookie = Cookie::new(self.name.clone(), value.to_owned());
                let decrypted = cookie::CookieJar::new().private(key).decrypt(cookie)?;
                SessionId::parse(decrypted.value())
            }
        }
    }

    fn protect(&self, id: &SessionId) -> String {
        match &self.protection {
            Protection::Plain => id.encode(),
            #[cfg(feature = "signed")]
            Protection::Signed(key) => {
                let mut jar = cookie::CookieJar::new();
                jar.signed_mut(key)
                    .add(Cookie::new(self.name.clone(), id.encode()));
                jar.get(&self.name)
                    .map(|cookie| cookie.value().to_owned())
                    .unwrap_or_default()
            }
            #[cfg(feature = "private")]
            Protection::Private(key) => {
                let mut jar = cookie::CookieJar::new();
                jar.private_mut(key)
                    .add(Cookie::new(self.name.clone(), id.encode()));
                jar.get(&self.name)
                    .map(|cookie| cookie.value().to_owned())
                    .unwrap_or_default()
            }
        }
    }

    /// The Set-Cookie header for a session cookie update, if it needs one; a cookie set with
    /// a `max_age` outlives the browser session.
    pub(crate) fn header(
        &self,
        update: &CookieUpdate<SessionId>,
        max_age: Option<Duration>,
    ) -> Option<HeaderValue> {
        match update {
            CookieUpdate::Keep => None,
            CookieUpdate::Set(id) => self.render_for(Some(self.protect(id)), max_age),
            CookieUpdate::Remove => self.render_for(None, None),
        }
    }

    /// The Set-Cookie header `update` needs, if any, with a value as `encode` writes it.
    #[cfg(any(
        feature = "cart",
        feature = "remember-me",
        feature = "flash",
        feature = "dbsc"
    ))]
    pub(crate) fn render_update<T>(
        &self,
        update: &CookieUpdate<T>,
        encode: impl FnOnce(&T) -> String,
    ) -> Option<HeaderValue> {
        match update {
            CookieUpdate::Keep => None,
            CookieUpdate::Set(value) => self.render(Some(encode(value))),
            CookieUpdate::Remove => self.render(None),
        }
    }

    /// A Set-Cookie header that sets the cookie to `value`, or expires it for `None`.
    pub(crate) fn render(&self, value: Option<String>) -> Option<HeaderValue> {
        self.render_for(value, self.max_age)
    }

    fn render_for(&self, value: Option<String>, max_age: Option<Duration>) -> Option<HeaderValue> {
        let cookie = match value {
            Some(value) => {
                let mut cookie = self.base(value);
                if let Some(max_age) = max_age {
                    // Rounded up: a sub-second lifetime must not read as `Max-Age=0` (delete).
                    let seconds = max_age.as_secs() + u64::from(max_age.subsec_nanos() > 0);
                    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
                    cookie.set_max_age(cookie::time::Duration::seconds(seconds));
                }
                cookie
            }
            None => {
                let mut cookie = self.base(String::new());
                cookie.make_removal();
                cookie
            }
        };
        // Names, paths and domains were validated at build time and IDs are base64url, so the
        // header is always valid; a failure here would only drop the header, never panic.
        HeaderValue::try_from(cookie.to_string()).ok()
    }

    fn base(&self, value: String) -> Cookie<'static> {
        let mut cookie = Cookie::new(self.name.clone(), value);
        cookie.set_path(self.path.clone());
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.clone());
        }
        cookie.set_secure(self.secure);
        cookie.set_http_only(self.http_only);
        cookie.set_same_site(self.same_site);
        cookie
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(COOKIE, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn cookies_split_over_several_headers_are_all_read() {
        let cookies = RawCookies::of(&headers(&["a=1; b=2", "c=3"]));
        let pairs: Vec<_> = cookies.pairs().collect();
        assert_eq!(pairs, [("a", "1"), ("b", "2"), ("c", "3")]);
    }

    #[test]
    fn a_request_without_cookies_has_none() {
        assert_eq!(RawCookies::of(&HeaderMap::new()).pairs().count(), 0);
    }

    #[test]
    fn a_pair_outside_ascii_hides_no_other_pair() {
        let mut headers = HeaderMap::new();
        let mut raw = b"city=M\xfcnchen; id=7; name=M\xc3\xbcnchen; ".to_vec();
        raw.extend_from_slice(b"cart=9; x=\xff\xfe");
        headers.append(COOKIE, HeaderValue::from_bytes(&raw).unwrap());
        let cookies = RawCookies::of(&headers);
        let pairs: Vec<_> = cookies.pairs().collect();
        assert_eq!(pairs, [("id", "7"), ("name", "München"), ("cart", "9")]);
    }

    #[test]
    fn oversized_values_are_skipped_unread() {
        let long = format!("big={}; id=7", "x".repeat(MAX_VALUE_LEN + 1));
        let cookies = RawCookies::of(&headers(&[&long]));
        assert_eq!(cookies.pairs().collect::<Vec<_>>(), [("id", "7")]);
    }
}
