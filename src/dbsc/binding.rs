//! A session's device binding, kept in its metadata field `$b`, and the short-lived credential
//! cookie it vouches for.
//!
//! The binding holds the browser's public key, the DBSC session identifier the browser knows
//! the binding by, and a secret of the session's own. The credential cookie is an expiry and an
//! HMAC of it under that secret: checking it needs the record the request loads anyway, and no
//! key of the layer's, and it proves nothing for any other session. It moves with the record
//! (an ID cycle, a change of expiry) and ends with it (every way out deletes the record).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde::{Deserialize, Serialize};

use super::proof::PublicKey;
use crate::session::meta::BINDING;
use crate::session::{State, meta};
use crate::time::UnixMillis;

/// The secret's size, bytes.
const SECRET_BYTES: usize = 32;
/// The longest credential cookie value read.
const MAX_CREDENTIAL: usize = 96;

/// A session's device binding, as stored in `$b`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Binding {
    /// The DBSC session identifier the browser refreshes under.
    #[serde(rename = "i")]
    pub(super) id: String,
    /// The session's credential secret, base64url.
    #[serde(rename = "s")]
    secret: String,
    /// The browser's public key.
    #[serde(rename = "k")]
    pub(super) key: PublicKey,
}

impl Binding {
    /// A new binding to `key`, with a fresh identifier and secret.
    pub(super) fn new(key: PublicKey) -> Result<Self, getrandom::Error> {
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut secret)?;
        Ok(Self {
            id: crate::id::random_text()?,
            secret: URL_SAFE_NO_PAD.encode(secret),
            key,
        })
    }

    /// The binding of the session `state` holds, if it is bound.
    /// A binding whose secret is not one this crate made is none: its session stays hidden
    /// rather than checked against a key anyone could compute.
    pub(super) fn of(state: &State) -> Option<Self> {
        let binding: Self = serde_json::from_str(state.meta.get(BINDING)?).ok()?;
        let secret = URL_SAFE_NO_PAD.decode(&binding.secret).ok()?;
        (secret.len() == SECRET_BYTES).then_some(binding)
    }

    /// Stores this binding on the session `state` holds, written with the request.
    pub(super) fn store(&self, state: &mut State) {
        state.set_meta(BINDING, meta::json(self));
    }

    /// A credential cookie value valid until `expires_at`.
    pub(super) fn credential(&self, expires_at: UnixMillis) -> String {
        let expires = expires_at.0.to_string();
        let tag = hmac::sign(&self.mac_key(), expires.as_bytes());
        format!("{expires}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Whether `value` is a credential of this binding, unexpired at `now`.
    pub(super) fn accepts(&self, value: &str, now: UnixMillis) -> bool {
        if value.len() > MAX_CREDENTIAL {
            return false;
        }
        let Some((expires, tag)) = value.split_once('.') else {
            return false;
        };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        let unexpired = expires.parse::<u64>().is_ok_and(|at| at > now.0);
        unexpired && hmac::verify(&self.mac_key(), expires.as_bytes(), &tag).is_ok()
    }

    fn mac_key(&self) -> hmac::Key {
        let secret = URL_SAFE_NO_PAD.decode(&self.secret).unwrap_or_default();
        hmac::Key::new(hmac::HMAC_SHA256, &secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> Binding {
        Binding::new(PublicKey::Rsa {
            n: String::new(),
            e: String::new(),
        })
        .unwrap()
    }

    #[test]
    fn a_credential_is_accepted_until_it_expires() {
        let binding = binding();
        let credential = binding.credential(UnixMillis(2_000));
        assert!(binding.accepts(&credential, UnixMillis(1_999)));
        assert!(!binding.accepts(&credential, UnixMillis(2_000)));
    }

    #[test]
    fn a_credential_proves_nothing_for_another_binding() {
        let credential = binding().credential(UnixMillis(2_000));
        assert!(!binding().accepts(&credential, UnixMillis(1_000)));
    }

    #[test]
    fn a_credential_with_a_moved_expiry_is_refused() {
        let binding = binding();
        let credential = binding.credential(UnixMillis(2_000));
        let (_, tag) = credential.split_once('.').unwrap();
        let forged = format!("9999999999999.{tag}");
        assert!(!binding.accepts(&forged, UnixMillis(1_000)));
    }

    #[test]
    fn a_binding_with_a_secret_this_crate_did_not_make_is_none() {
        let mut binding = binding();
        binding.secret = String::new();
        let mut state = State::default();
        binding.store(&mut state);
        assert!(
            Binding::of(&state).is_none(),
            "an empty key would accept forged credentials"
        );
        let good = self::binding();
        good.store(&mut state);
        assert!(Binding::of(&state).is_some());
    }

    #[test]
    fn garbage_is_no_credential() {
        let binding = binding();
        for value in ["", ".", "1.", "x.y", "1.!!", &"1".repeat(200)] {
            assert!(!binding.accepts(value, UnixMillis(0)), "{value:?}");
        }
    }
}
