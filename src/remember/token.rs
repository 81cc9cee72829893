//! A remember-me token as the cookie carries it: `selector.validator`, the validator's hash (all
//! the store sees of it), and sealing under a key only the validator's holder can derive.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::SessionError;

const SELECTOR_BYTES: usize = 16;
const VALIDATOR_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// A parsed `remember` cookie.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RememberCookie {
    pub(crate) selector: String,
    validator: [u8; VALIDATOR_BYTES],
}

impl std::fmt::Debug for RememberCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RememberCookie(..)")
    }
}

impl RememberCookie {
    /// A fresh token.
    pub(crate) fn generate() -> Result<Self, SessionError> {
        let mut selector = [0u8; SELECTOR_BYTES];
        let mut validator = [0u8; VALIDATOR_BYTES];
        getrandom::fill(&mut selector).map_err(SessionError::Randomness)?;
        getrandom::fill(&mut validator).map_err(SessionError::Randomness)?;
        Ok(Self {
            selector: URL_SAFE_NO_PAD.encode(selector),
            validator,
        })
    }

    /// The same selector with a fresh validator.
    pub(crate) fn rotated(&self) -> Result<Self, SessionError> {
        let mut validator = [0u8; VALIDATOR_BYTES];
        getrandom::fill(&mut validator).map_err(SessionError::Randomness)?;
        Ok(Self {
            selector: self.selector.clone(),
            validator,
        })
    }

    /// Parses `selector.validator`; anything malformed is `None`, before any store access.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let (selector, validator) = value.split_once('.')?;
        let mut selector_bytes = [0u8; SELECTOR_BYTES];
        let mut validator_bytes = [0u8; VALIDATOR_BYTES];
        let selector_ok = selector.len() == 22
            && URL_SAFE_NO_PAD.decode_slice(selector, &mut selector_bytes) == Ok(SELECTOR_BYTES);
        let validator_ok = validator.len() == 43
            && URL_SAFE_NO_PAD.decode_slice(validator, &mut validator_bytes) == Ok(VALIDATOR_BYTES);
        (selector_ok && validator_ok).then(|| Self {
            selector: selector.to_owned(),
            validator: validator_bytes,
        })
    }

    pub(crate) fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.selector,
            URL_SAFE_NO_PAD.encode(self.validator)
        )
    }

    /// SHA-256 of the validator, base64url: all the store ever sees of it.
    pub(crate) fn validator_hash(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.validator))
    }

    /// Whether `hash` is this validator's hash, compared in constant time.
    pub(crate) fn matches(&self, hash: &str) -> bool {
        let ours = self.validator_hash();
        ours.len() == hash.len()
            && ours
                .bytes()
                .zip(hash.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    fn cipher(&self) -> Aes256Gcm {
        let mut hasher = Sha256::new();
        hasher.update(b"tower-redis-session remember grace v1");
        hasher.update(self.validator);
        let key: [u8; 32] = hasher.finalize().into();
        Aes256Gcm::new(&key.into())
    }

    /// Seals `plaintext` under a key only this validator's holder can derive.
    pub(crate) fn seal(&self, plaintext: &str) -> Result<String, SessionError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(SessionError::Randomness)?;
        let sealed = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| SessionError::Sealing)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`seal`](Self::seal) sealed with the same validator; `None` if it fails.
    pub(crate) fn open(&self, sealed: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher()
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> RememberCookie {
        RememberCookie::generate().expect("randomness")
    }

    #[test]
    fn a_token_parses_back_from_its_cookie_form() {
        let token = token();
        let parsed = RememberCookie::parse(&token.encode()).expect("well-formed");
        assert_eq!(parsed, token);
    }

    #[test]
    fn malformed_cookies_do_not_parse() {
        let good = token().encode();
        let (selector, validator) = good.split_once('.').unwrap();
        for bad in [
            String::new(),
            selector.to_owned(),
            format!("{selector}."),
            format!("{selector}.{}", &validator[1..]),
            format!("{}.{validator}", &selector[1..]),
            format!("{selector}.{validator}x"),
            format!("{selector}!{validator}"),
        ] {
            assert!(RememberCookie::parse(&bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_validator_matches_only_its_own_hash() {
        let token = token();
        assert!(token.matches(&token.validator_hash()));
        let rotated = token.rotated().unwrap();
        assert!(!token.matches(&rotated.validator_hash()));
        assert!(!token.matches(""));
        assert_eq!(
            rotated.selector, token.selector,
            "rotation keeps the selector"
        );
    }

    #[test]
    fn what_is_sealed_opens_only_with_the_same_validator() {
        let token = token();
        let sealed = token.seal("session next").unwrap();
        assert_eq!(token.open(&sealed).as_deref(), Some("session next"));
        assert_eq!(token.rotated().unwrap().open(&sealed), None);
        assert!(!sealed.contains("session"), "sealed, not encoded");
    }

    #[test]
    fn a_tampered_seal_does_not_open() {
        let token = token();
        let sealed = token.seal("session next").unwrap();
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(token.open(&tampered), None);
        assert_eq!(token.open("short"), None);
    }
}
