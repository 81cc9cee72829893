//! [`CartId`]: the secret in a visitor's cart cookie.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::id::{Handle, RANDOM_BYTES};

/// A visitor's cart ID: 256 random bits, the secret in the `cart` cookie. Like a session ID, it
/// is never stored or logged: storage sees only its [`Handle`](crate::Handle).
#[derive(Clone, PartialEq, Eq)]
pub struct CartId([u8; RANDOM_BYTES]);

/// Length of a cart ID in its cookie form: base64url of 32 bytes, without padding.
const CART_ENCODED_LEN: usize = 43;

impl CartId {
    /// Draws a fresh cart ID from the operating system's CSPRNG.
    ///
    /// # Errors
    /// When the operating system cannot supply randomness.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; RANDOM_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Parses the cookie form; anything but 43 canonical base64url characters is `None`.
    pub fn parse(encoded: &str) -> Option<Self> {
        if encoded.len() != CART_ENCODED_LEN {
            return None;
        }
        let mut bytes = [0u8; RANDOM_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(encoded, &mut bytes) {
            Ok(RANDOM_BYTES) => Some(Self(bytes)),
            _ => None,
        }
    }

    /// The cookie form (base64url, no padding).
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The name under which storage keeps this cart.
    pub fn handle(&self) -> Handle {
        Handle::digest(&self.0)
    }
}

impl fmt::Debug for CartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CartId(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_ids_round_trip_and_differ_from_their_storage_name() {
        let id = CartId::generate().unwrap();
        assert_eq!(CartId::parse(&id.encode()), Some(id.clone()));
        assert_ne!(id.handle().to_string(), id.encode());
        assert!(CartId::parse("short").is_none());
        assert!(!format!("{id:?}").contains(&id.encode()));
    }
}
