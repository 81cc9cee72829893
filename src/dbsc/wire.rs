//! The DBSC protocol's headers and bodies, as the W3C draft and Chromium spell them.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderName, HeaderValue, Response, StatusCode};
use serde_json::json;

/// Response header that offers registration: `(ES256 RS256);path="…";challenge="…"`.
pub(super) const REGISTRATION: HeaderName = HeaderName::from_static("secure-session-registration");
/// Request header carrying the browser's proof (a JWT, as a structured-field string).
pub(super) const RESPONSE: HeaderName = HeaderName::from_static("secure-session-response");
/// Request header naming the DBSC session a refresh is for.
pub(super) const SESSION_ID: HeaderName = HeaderName::from_static("sec-secure-session-id");
/// Response header asking for a proof: `"<challenge>";id="<session identifier>"`.
pub(super) const CHALLENGE: HeaderName = HeaderName::from_static("secure-session-challenge");

/// Reads a structured-field string (`"…"`, with `\"` and `\\` escapes, printable ASCII), or a
/// bare token as some clients send; `None` for anything else.
pub(super) fn sf_string(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?.trim();
    let Some(quoted) = text.strip_prefix('"') else {
        let token = |c: char| c.is_ascii_alphanumeric() || "-._~+/=:".contains(c);
        return (!text.is_empty() && text.chars().all(token)).then(|| text.to_owned());
    };
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.as_str().is_empty().then_some(out),
            '\\' => match chars.next()? {
                escaped @ ('"' | '\\') => out.push(escaped),
                _ => return None,
            },
            ' '..='~' => out.push(c),
            _ => return None,
        }
    }
    None
}

/// The registration offer for a new signed-in session.
pub(super) fn registration(path: &str, challenge: &str) -> Option<HeaderValue> {
    HeaderValue::try_from(format!(
        "(ES256 RS256);path=\"{path}\";challenge=\"{challenge}\""
    ))
    .ok()
}

/// The session instructions: what the browser keeps refreshing, where, and under which name.
pub(super) fn instructions(id: &str, refresh_path: &str, cookie: &str, attributes: &str) -> Bytes {
    let body = json!({
        "session_identifier": id,
        "refresh_url": refresh_path,
        "scope": {"include_site": false},
        "credentials": [{"type": "cookie", "name": cookie, "attributes": attributes}],
    });
    Bytes::from(body.to_string())
}

/// A 200 answer whose JSON body is `body`, never cached.
pub(super) fn json(body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The answer that ends the DBSC session `id` in the browser: the server has no such session
/// any more (signed out, expired, never known).
pub(super) fn end(id: &str) -> Response<Bytes> {
    json(Bytes::from(
        json!({"session_identifier": id, "continue": false}).to_string(),
    ))
}

/// 403 with a challenge the browser signs and sends again.
pub(super) fn challenge(challenge: &str, id: &str) -> Response<Bytes> {
    let mut response = status(StatusCode::FORBIDDEN, "sign this challenge");
    if let Ok(value) = HeaderValue::try_from(format!("\"{challenge}\";id=\"{id}\"")) {
        response.headers_mut().insert(CHALLENGE, value);
    }
    response
}

/// 429: too many challenges asked for one session; a minute's wait lets it ask again.
pub(super) fn too_many() -> Response<Bytes> {
    let mut response = status(StatusCode::TOO_MANY_REQUESTS, "too many refreshes");
    (response.headers_mut()).insert(RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

/// An answer with `status` and a short plain-text body that tells nothing of the session.
pub(super) fn status(status: StatusCode, body: &'static str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(body.as_bytes()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> Option<String> {
        sf_string(&HeaderValue::from_str(raw).unwrap())
    }

    #[test]
    fn a_quoted_string_is_unescaped() {
        assert_eq!(read(r#""abc""#).as_deref(), Some("abc"));
        assert_eq!(read(r#" "a\"b\\c" "#).as_deref(), Some(r#"a"b\c"#));
    }

    #[test]
    fn a_bare_token_is_read_as_it_is() {
        assert_eq!(read("eyJ.eyJ.sig").as_deref(), Some("eyJ.eyJ.sig"));
    }

    #[test]
    fn broken_strings_are_nothing() {
        for raw in [
            r#""open"#,
            r#""a"b"#,
            r#""bad\escape""#,
            "",
            "two words",
            r#""a";x=1"#,
        ] {
            assert_eq!(read(raw), None, "{raw}");
        }
    }
}
