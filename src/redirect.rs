//! Where a user may be sent back to after login: [`safe_next`], and the login page's address
//! with `next`.

/// Longest `next` accepted, in bytes.
const MAX_NEXT: usize = 2048;

/// `candidate` if it is a safe place to send a user back to after login: a path on this
/// origin, such as `/orders?page=2`. `None` for anything a browser could read as another
/// origin (`//evil.example`, `/\evil.example`, `https://evil.example`), for those that become
/// one once percent-decoded again (`/%2F%2Fevil.example`), and for control characters, spaces
/// or backslashes anywhere (browsers drop tabs and newlines, and read `\` as `/`).
///
/// Check the `next` a login form posts back before redirecting to it:
///
/// ```
/// use tower_redis_session::safe_next;
///
/// assert_eq!(safe_next("/orders?page=2"), Some("/orders?page=2"));
/// assert_eq!(safe_next("//evil.example"), None);
/// assert_eq!(safe_next("https://evil.example"), None);
/// let next = safe_next("/\\evil.example").unwrap_or("/");
/// assert_eq!(next, "/");
/// ```
pub fn safe_next(candidate: &str) -> Option<&str> {
    let local = |path: &[u8]| {
        path.first() == Some(&b'/')
            && !matches!(path.get(1), Some(b'/' | b'\\'))
            && !path.iter().any(u8::is_ascii_control)
    };
    let bytes = candidate.as_bytes();
    let plain = !bytes.iter().any(|&b| b == b' ' || b == b'\\');
    let safe = bytes.len() <= MAX_NEXT && plain && local(bytes) && local(&percent_decode(bytes));
    safe.then_some(candidate)
}

/// `bytes` with each `%XX` escape decoded once (others left as they are).
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&byte, after)) = rest.split_first() {
        let escaped = after
            .get(..2)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, escaped) {
            (b'%', Some(value)) => {
                decoded.push(value);
                rest = &after[2..];
            }
            _ => {
                decoded.push(byte);
                rest = after;
            }
        }
    }
    decoded
}

/// `text` as a query value: every byte but unreserved ones and `/` percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 3 / 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The login path, with `next` naming `asked` (the page a request asked for) if that is safe.
pub(crate) fn login_location(login: &str, asked: &str) -> String {
    match safe_next(asked) {
        Some(next) => {
            let separator = if login.contains('?') { '&' } else { '?' };
            format!("{login}{separator}next={}", percent_encode(next))
        }
        None => login.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_this_origin_are_safe() {
        for path in ["/", "/orders", "/orders?page=2&sort=date", "/a/b%20c", "/ü"] {
            assert_eq!(safe_next(path), Some(path));
        }
    }

    #[test]
    fn anything_a_browser_could_read_as_another_origin_is_refused() {
        for hostile in [
            "//evil.example",
            "//evil.example/path",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            "%2F%2Fevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:x=1",
            "/a b",
            "/a\\b",
            "/\u{7f}",
        ] {
            assert_eq!(safe_next(hostile), None, "{hostile:?}");
        }
    }

    #[test]
    fn a_next_too_long_is_refused() {
        let long = format!("/{}", "a".repeat(MAX_NEXT));
        assert_eq!(safe_next(&long), None);
    }

    #[test]
    fn a_request_for_an_unsafe_path_is_sent_to_the_login_page_without_next() {
        assert_eq!(login_location("/login", "//evil.example/x"), "/login");
        assert_eq!(login_location("/login", "/orders"), "/login?next=/orders");
        assert_eq!(
            login_location("/login?lang=en", "/orders"),
            "/login?lang=en&next=/orders"
        );
    }

    #[test]
    fn a_next_is_encoded_as_a_query_value() {
        assert_eq!(percent_encode("/a?b=1&c=d e"), "/a%3Fb%3D1%26c%3Dd%20e");
    }
}
