//! Session IDs: 256 random bits from the OS plus the creation time, and the hash that names them
//! in storage.
//!
//! The creation time rides in the cookie so that every request knows the session's absolute
//! deadline before it asks the store anything; that is what lets a read be one plain
//! `GETEX ... PXAT` instead of a script. So does a session's own [`Expiry`], when it has one:
//! such an ID is 7 bytes longer. A client cannot move its deadline: the handle hashes the
//! time and the expiry together with the random bytes, so an altered one names no session.

use std::fmt;

use crate::expiry::{self, Expiry, Timeouts};
use crate::time::UnixMillis;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Random bytes in a session ID: 256 bits, well beyond guessing (a UUIDv4 has 122).
pub(crate) const RANDOM_BYTES: usize = 32;
/// The creation time, Unix milliseconds, big-endian in 6 bytes (good until the year 10889).
const TIME_BYTES: usize = 6;
const ID_BYTES: usize = RANDOM_BYTES + TIME_BYTES;
/// An ID with its session's own expiry after the creation time.
const WITH_EXPIRY_BYTES: usize = ID_BYTES + expiry::ENCODED_BYTES;
/// Bytes of the handle: half a SHA-256 digest.
const HANDLE_BYTES: usize = 16;

/// Length of an ID in its cookie form: base64url of 38 bytes, without padding.
pub(crate) const ENCODED_LEN: usize = 51;
/// Length of an ID with an expiry of its own: base64url of 45 bytes.
const WITH_EXPIRY_ENCODED_LEN: usize = 60;

/// A session ID: the secret a browser holds in its cookie.
///
/// It is never stored, logged or printed: storage sees only its [`Handle`], and `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId {
    /// The ID's bytes, then zeros past `len`.
    bytes: [u8; WITH_EXPIRY_BYTES],
    /// `ID_BYTES`, or `WITH_EXPIRY_BYTES` for a session with an expiry of its own.
    len: usize,
    /// Derived once: a request that loads and then writes needs it twice.
    handle: Handle,
}

impl SessionId {
    fn from_bytes(bytes: [u8; WITH_EXPIRY_BYTES], len: usize) -> Self {
        Self {
            handle: Handle::digest(&bytes[..len]),
            bytes,
            len,
        }
    }

    /// Draws a fresh ID from the operating system's CSPRNG, for a session created now.
    ///
    /// # Errors
    /// When the operating system cannot supply randomness, which no request should paper over.
    pub fn generate() -> Result<Self, getrandom::Error> {
        Self::generate_created_at(UnixMillis::now())
    }

    /// Draws a fresh ID for a session created at `created_at` (Unix milliseconds): a new name for
    /// an existing session keeps its creation time, and so its absolute deadline.
    ///
    /// # Errors
    /// When the operating system cannot supply randomness.
    pub fn generate_created_at(created_at: UnixMillis) -> Result<Self, getrandom::Error> {
        Self::generate_with(created_at, None)
    }

    /// Draws a fresh ID for a session created at `created_at` with its own `expiry`, if any.
    pub(crate) fn generate_with(
        created_at: UnixMillis,
        expiry: Option<Expiry>,
    ) -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; WITH_EXPIRY_BYTES];
        getrandom::fill(&mut bytes[..RANDOM_BYTES])?;
        bytes[RANDOM_BYTES..ID_BYTES]
            .copy_from_slice(&created_at.0.to_be_bytes()[8 - TIME_BYTES..]);
        let len = match expiry {
            None => ID_BYTES,
            Some(expiry) => {
                bytes[ID_BYTES..].copy_from_slice(&expiry.to_bytes());
                WITH_EXPIRY_BYTES
            }
        };
        Ok(Self::from_bytes(bytes, len))
    }

    /// Parses the cookie form of an ID. Anything that is not exactly 51 (or, for a session
    /// with an expiry of its own, 60) canonical base64url characters is `None`, so malformed
    /// input never reaches the store.
    ///
    /// ```
    /// use tower_redis_session::SessionId;
    /// assert!(SessionId::parse("not-an-id").is_none());
    /// let id = SessionId::generate().unwrap();
    /// assert_eq!(SessionId::parse(&id.encode()), Some(id));
    /// ```
    pub fn parse(encoded: &str) -> Option<Self> {
        let len = match encoded.len() {
            ENCODED_LEN => ID_BYTES,
            WITH_EXPIRY_ENCODED_LEN => WITH_EXPIRY_BYTES,
            _ => return None,
        };
        let mut bytes = [0u8; WITH_EXPIRY_BYTES];
        if URL_SAFE_NO_PAD.decode_slice(encoded, &mut bytes) != Ok(len) {
            return None;
        }
        let id = Self::from_bytes(bytes, len);
        if len == WITH_EXPIRY_BYTES && id.expiry().is_none() {
            return None;
        }
        Some(id)
    }

    /// The cookie form of the ID (base64url, no padding). Handle with care: it is the credential.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.bytes[..self.len])
    }

    /// When the session was created, Unix milliseconds. Trustworthy once the store has found a
    /// record for this ID, since the handle covers it.
    pub fn created_at(&self) -> UnixMillis {
        let mut time = [0u8; 8];
        time[8 - TIME_BYTES..].copy_from_slice(&self.bytes[RANDOM_BYTES..ID_BYTES]);
        UnixMillis(u64::from_be_bytes(time))
    }

    /// The session's own expiry, if it has one; trustworthy as the creation time is.
    pub(crate) fn expiry(&self) -> Option<Expiry> {
        let bytes = self.bytes[ID_BYTES..self.len].try_into().ok()?;
        Expiry::from_bytes(bytes)
    }

    /// The session's deadline if it is used at `now`, under the layer's `timeouts` and its own
    /// expiry.
    pub(crate) fn deadline(&self, timeouts: &Timeouts, now: UnixMillis) -> UnixMillis {
        timeouts.deadline(self.created_at(), self.expiry(), now)
    }

    /// This session's handle: the name it is stored, indexed and shown under. The first 128
    /// bits of SHA-256 of the whole ID, so that a dump of the store holds no usable cookie. 128
    /// bits keep handles unique and unguessable while saving Redis memory on every key.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

/// A session's handle: the name it is stored, indexed and listed under, and by which one device
/// signs another out ([`Session::revoke`](crate::Session::revoke)). Half a SHA-256 digest of the
/// [`SessionId`], shown as base64url. A visitor's cart is stored under its cart ID's handle.
///
/// Knowing it does not let anyone present the session: the cookie needs the preimage.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handle([u8; HANDLE_BYTES]);

impl Handle {
    /// The first 128 bits of SHA-256 of a secret.
    pub(crate) fn digest(secret: &[u8]) -> Self {
        let digest = Sha256::digest(secret);
        let mut name = [0u8; HANDLE_BYTES];
        name.copy_from_slice(&digest[..HANDLE_BYTES]);
        Self(name)
    }

    /// Parses the text form (22 base64url characters), as found in handles and index entries.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 22 {
            return None;
        }
        let mut bytes = [0u8; HANDLE_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(text, &mut bytes) {
            Ok(HANDLE_BYTES) => Some(Self(bytes)),
            _ => None,
        }
    }

    /// Appends the name, as base64url (22 characters), to `out`: how it appears in storage keys.
    pub fn write_to(&self, out: &mut String) {
        let (text, written) = self.text();
        out.push_str(std::str::from_utf8(&text[..written]).unwrap_or_default());
    }

    /// The name as base64url, on the stack: 22 ASCII characters (fewer only if encoding failed,
    /// which a 16-byte input cannot make it do).
    pub(crate) fn text(&self) -> ([u8; 22], usize) {
        let mut text = [0u8; 22];
        let written = URL_SAFE_NO_PAD.encode_slice(self.0, &mut text).unwrap_or(0);
        (text, written)
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (text, written) = self.text();
        f.write_str(std::str::from_utf8(&text[..written]).map_err(|_| fmt::Error)?)
    }
}

/// 128 random bits as base64url: a user's fresh sign-out generation.
pub(crate) fn random_text() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; HANDLE_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_51_url_safe_characters() {
        let encoded = SessionId::generate().unwrap().encode();
        assert_eq!(encoded.len(), ENCODED_LEN);
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn the_creation_time_round_trips() {
        let id = SessionId::generate_created_at(UnixMillis(1_764_270_000_123)).unwrap();
        let parsed = SessionId::parse(&id.encode()).unwrap();
        assert_eq!(parsed.created_at(), UnixMillis(1_764_270_000_123));
    }

    #[test]
    fn a_changed_creation_time_names_another_record() {
        let id = SessionId::generate_created_at(UnixMillis(1_000)).unwrap();
        let mut bytes = id.bytes;
        bytes[ID_BYTES - 1] ^= 1;
        let moved = SessionId::from_bytes(bytes, ID_BYTES);
        assert_ne!(id.handle(), moved.handle());
    }

    #[test]
    fn an_expiry_of_its_own_round_trips_in_60_characters() {
        let expiry = Expiry::OnInactivity(std::time::Duration::from_secs(600));
        let id = SessionId::generate_with(UnixMillis(1_764_270_000_123), Some(expiry)).unwrap();
        let encoded = id.encode();
        assert_eq!(encoded.len(), WITH_EXPIRY_ENCODED_LEN);
        let parsed = SessionId::parse(&encoded).unwrap();
        assert_eq!(parsed.expiry(), Some(expiry));
        assert_eq!(parsed.created_at(), UnixMillis(1_764_270_000_123));
        assert_eq!(parsed, id);
        assert_eq!(SessionId::generate().unwrap().expiry(), None);
    }

    #[test]
    fn a_changed_or_added_expiry_names_another_record() {
        let expiry = Expiry::OnInactivity(std::time::Duration::from_secs(600));
        let id = SessionId::generate_with(UnixMillis(1_000), Some(expiry)).unwrap();
        let mut bytes = id.bytes;
        bytes[WITH_EXPIRY_BYTES - 1] ^= 1;
        let longer = SessionId::from_bytes(bytes, WITH_EXPIRY_BYTES);
        assert_eq!(
            longer.expiry(),
            Some(Expiry::OnInactivity(std::time::Duration::from_millis(
                600_001
            )))
        );
        assert_ne!(id.handle(), longer.handle());
        let plain = SessionId::from_bytes(id.bytes, ID_BYTES);
        assert_ne!(id.handle(), plain.handle(), "the expiry dropped");
    }

    #[test]
    fn an_id_with_an_unknown_expiry_is_rejected() {
        let expiry = Expiry::OnSessionEnd;
        let mut bytes = SessionId::generate_with(UnixMillis(1_000), Some(expiry))
            .unwrap()
            .bytes;
        bytes[ID_BYTES] = 9;
        let encoded = URL_SAFE_NO_PAD.encode(bytes);
        assert!(SessionId::parse(&encoded).is_none());
    }

    #[test]
    fn non_canonical_trailing_bits_are_rejected() {
        // 51 characters carry 306 bits; the last two must be zero, so one ID has one spelling.
        let canonical = "A".repeat(ENCODED_LEN);
        let mut non_canonical = "A".repeat(ENCODED_LEN - 1);
        non_canonical.push('B');
        assert!(SessionId::parse(&canonical).is_some());
        assert!(SessionId::parse(&non_canonical).is_none());
    }

    #[test]
    fn wrong_length_or_alphabet_is_rejected() {
        assert!(SessionId::parse("").is_none());
        assert!(SessionId::parse(&"A".repeat(ENCODED_LEN + 1)).is_none());
        assert!(SessionId::parse(&"*".repeat(ENCODED_LEN)).is_none());
        assert!(SessionId::parse(&"A+".repeat(26)[..ENCODED_LEN]).is_none());
    }

    #[test]
    fn the_handle_differs_from_the_cookie_value() {
        let id = SessionId::generate().unwrap();
        assert_ne!(id.handle().to_string(), id.encode());
        assert_eq!(id.handle(), id.handle());
    }

    #[test]
    fn a_handles_text_round_trips() {
        let handle = SessionId::generate().unwrap().handle();
        assert_eq!(Handle::parse(&handle.to_string()), Some(handle));
        assert!(Handle::parse("short").is_none());
    }

    #[test]
    fn debug_never_shows_the_id() {
        let id = SessionId::generate().unwrap();
        assert!(!format!("{id:?}").contains(&id.encode()));
    }
}
