//! Session IDs: 256 random bits from the OS, and the hash that names them in storage.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Random bytes in a session ID: 256 bits, well beyond guessing (a UUIDv4 has 122).
const ID_BYTES: usize = 32;

/// Length of an ID in its cookie form: base64url of 32 bytes, without padding.
pub(crate) const ENCODED_LEN: usize = 43;

/// A session ID: the secret a browser holds in its cookie.
///
/// It is never stored, logged or printed: storage sees only its [`StorageId`], and `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId([u8; ID_BYTES]);

impl SessionId {
    /// Draws a fresh ID from the operating system's CSPRNG.
    ///
    /// # Errors
    /// When the operating system cannot supply randomness, which no request should paper over.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; ID_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Parses the cookie form of an ID. Anything that is not exactly 43 canonical base64url
    /// characters is `None`, so malformed input never reaches the store.
    ///
    /// ```
    /// use tower_redis_session::SessionId;
    /// assert!(SessionId::parse("not-an-id").is_none());
    /// let id = SessionId::generate().unwrap();
    /// assert_eq!(SessionId::parse(&id.encode()), Some(id));
    /// ```
    pub fn parse(encoded: &str) -> Option<Self> {
        if encoded.len() != ENCODED_LEN {
            return None;
        }
        let mut bytes = [0u8; ID_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(encoded, &mut bytes) {
            Ok(ID_BYTES) => Some(Self(bytes)),
            _ => None,
        }
    }

    /// The cookie form of the ID (base64url, no padding). Handle with care: it is the credential.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The name under which storage keeps this session: SHA-256 of the ID, so that a dump of the
    /// store holds no usable cookie.
    pub fn storage_id(&self) -> StorageId {
        StorageId(URL_SAFE_NO_PAD.encode(Sha256::digest(self.0)))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

/// The storage name of a session: base64url of SHA-256 of its [`SessionId`].
///
/// Knowing it does not let anyone present the session: the cookie needs the preimage.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StorageId(String);

impl StorageId {
    /// The name as text, as it appears inside storage keys.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_43_url_safe_characters() {
        let encoded = SessionId::generate().unwrap().encode();
        assert_eq!(encoded.len(), ENCODED_LEN);
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn non_canonical_trailing_bits_are_rejected() {
        // 43 characters carry 258 bits; the last two must be zero, so one ID has one spelling.
        let canonical = "A".repeat(ENCODED_LEN);
        let mut non_canonical = "A".repeat(ENCODED_LEN - 1);
        non_canonical.push('B');
        assert!(SessionId::parse(&canonical).is_some());
        assert!(SessionId::parse(&non_canonical).is_none());
    }

    #[test]
    fn wrong_length_or_alphabet_is_rejected() {
        assert!(SessionId::parse("").is_none());
        assert!(SessionId::parse(&"A".repeat(44)).is_none());
        assert!(SessionId::parse(&"*".repeat(43)).is_none());
        assert!(SessionId::parse(&"A+".repeat(21)).is_none());
    }

    #[test]
    fn storage_id_differs_from_the_cookie_value() {
        let id = SessionId::generate().unwrap();
        assert_ne!(id.storage_id().as_str(), id.encode());
        assert_eq!(id.storage_id(), id.storage_id());
    }

    #[test]
    fn debug_never_shows_the_id() {
        let id = SessionId::generate().unwrap();
        assert!(!format!("{id:?}").contains(&id.encode()));
    }
}
