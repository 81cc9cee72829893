//! A browser's proof of possession: the JWT in `Secure-Session-Response`, as Chromium builds it.
//!
//! Header `{"alg": "ES256" | "RS256", "typ": "dbsc+jwt", "jwk": {…}}` (`jwk` at registration
//! only), payload `{"jti": <challenge>}` plus `authorization` when the registration header
//! offered one; nothing else is required (older drafts' `aud` and `iat` are not sent any more).
//! ES256 signatures are the raw `r || s` of JWS, not DER.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use serde::{Deserialize, Serialize};

/// The longest proof read: an RS256 registration with an 8192-bit key fits well within it.
const MAX_PROOF: usize = 8 * 1024;

/// Why a proof was not accepted; never shown to the client beyond its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// Not a compact JWT of the right type, algorithm and claims.
    Malformed,
    /// Well formed, but the key did not sign it.
    Signature,
}

/// A session key's public half, in the JWK form the browser sent and the binding stores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kty")]
pub(super) enum PublicKey {
    /// A P-256 key, for ES256.
    #[serde(rename = "EC")]
    Ec { crv: String, x: String, y: String },
    /// An RSA key of 2048 to 8192 bits, for RS256.
    #[serde(rename = "RSA")]
    Rsa { n: String, e: String },
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    typ: String,
    #[serde(default)]
    jwk: Option<PublicKey>,
}

#[derive(Deserialize)]
struct Payload {
    jti: String,
}

/// A parsed, not yet verified, proof.
pub(super) struct Proof<'a> {
    /// The challenge it answers.
    pub(super) jti: String,
    /// The key it carries (registration only).
    pub(super) key: Option<PublicKey>,
    signed: &'a str,
    signature: Vec<u8>,
}

impl<'a> Proof<'a> {
    /// Parses a compact JWT: three base64url parts, `typ` `dbsc+jwt`, an accepted `alg` that
    /// matches the key it carries, a `jti`.
    pub(super) fn parse(jwt: &'a str) -> Result<Self, Refused> {
        if jwt.len() > MAX_PROOF {
            return Err(Refused::Malformed);
        }
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refused::Malformed);
        };
        let header: Header = decode_json(header)?;
        let payload: Payload = decode_json(payload)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Refused::Malformed)?;
        if header.typ != "dbsc+jwt" || payload.jti.is_empty() {
            return Err(Refused::Malformed);
        }
        if let Some(key) = &header.jwk
            && key.algorithm() != header.alg
        {
            return Err(Refused::Malformed);
        }
        if !matches!(header.alg.as_str(), "ES256" | "RS256") {
            return Err(Refused::Malformed);
        }
        let signed = &jwt[..jwt.rfind('.').unwrap_or(0)];
        Ok(Self {
            jti: payload.jti,
            key: header.jwk,
            signed,
            signature,
        })
    }

    /// Whether `key` signed this proof.
    pub(super) fn verify(&self, key: &PublicKey) -> Result<(), Refused> {
        key.verify(self.signed.as_bytes(), &self.signature)
    }
}

impl PublicKey {
    /// The JWS algorithm this key signs with.
    pub(super) fn algorithm(&self) -> &'static str {
        match self {
            Self::Ec { .. } => "ES256",
            Self::Rsa { .. } => "RS256",
        }
    }

    /// Checks that this is a key the layer can verify with: a P-256 point of the right size,
    /// an RSA modulus of 2048 to 8192 bits.
    pub(super) fn check(&self) -> Result<(), Refused> {
        match self {
            Self::Ec { crv, x, y } => {
                let sized = |c: &str| decode(c).is_ok_and(|bytes| bytes.len() == 32);
                (crv == "P-256" && sized(x) && sized(y))
                    .then_some(())
                    .ok_or(Refused::Malformed)
            }
            Self::Rsa { n, e } => {
                let n = decode(n)?;
                let bits = n.len() * 8;
                ((2048..=8192).contains(&bits) && !decode(e)?.is_empty())
                    .then_some(())
                    .ok_or(Refused::Malformed)
            }
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Refused> {
        match self {
            Self::Ec { x, y, .. } => {
                let mut point = vec![0x04];
                point.extend(decode(x)?);
                point.extend(decode(y)?);
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, signature)
                    .map_err(|_| Refused::Signature)
            }
            Self::Rsa { n, e } => RsaPublicKeyComponents {
                n: decode(n)?,
                e: decode(e)?,
            }
            .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
            .map_err(|_| Refused::Signature),
        }
    }
}

fn decode(part: &str) -> Result<Vec<u8>, Refused> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| Refused::Malformed)
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, Refused> {
    serde_json::from_slice(&decode(part)?).map_err(|_| Refused::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn jwt(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", encode(header), encode(payload), encode("sig"))
    }

    #[test]
    fn a_proof_of_another_type_is_refused() {
        let token = jwt(r#"{"alg":"ES256","typ":"JWT"}"#, r#"{"jti":"c"}"#);
        assert_eq!(Proof::parse(&token).err(), Some(Refused::Malformed));
    }

    #[test]
    fn a_proof_without_a_challenge_is_refused() {
        let token = jwt(r#"{"alg":"ES256","typ":"dbsc+jwt"}"#, r"{}");
        assert_eq!(Proof::parse(&token).err(), Some(Refused::Malformed));
    }

    #[test]
    fn an_unaccepted_algorithm_is_refused() {
        for alg in ["none", "HS256", "ES384", "PS256"] {
            let header = format!(r#"{{"alg":"{alg}","typ":"dbsc+jwt"}}"#);
            let token = jwt(&header, r#"{"jti":"c"}"#);
            assert_eq!(
                Proof::parse(&token).err(),
                Some(Refused::Malformed),
                "{alg}"
            );
        }
    }

    #[test]
    fn a_key_of_another_algorithm_than_the_header_says_is_refused() {
        let header = r#"{"alg":"RS256","typ":"dbsc+jwt","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}}"#;
        let token = jwt(header, r#"{"jti":"c"}"#);
        assert_eq!(Proof::parse(&token).err(), Some(Refused::Malformed));
    }

    #[test]
    fn claims_current_browsers_do_not_send_are_not_required() {
        let token = jwt(r#"{"alg":"ES256","typ":"dbsc+jwt"}"#, r#"{"jti":"c"}"#);
        let proof = Proof::parse(&token).expect("no aud, no iat: still a proof");
        assert_eq!(proof.jti, "c");
    }

    #[test]
    fn a_point_of_the_wrong_size_or_curve_is_refused() {
        let x = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let short = URL_SAFE_NO_PAD.encode([1u8; 31]);
        let key = |crv: &str, y: &str| PublicKey::Ec {
            crv: crv.to_owned(),
            x: x.clone(),
            y: y.to_owned(),
        };
        assert!(key("P-256", &x).check().is_ok());
        assert!(key("P-256", &short).check().is_err());
        assert!(key("P-384", &x).check().is_err());
    }

    #[test]
    fn an_rsa_key_under_2048_bits_is_refused() {
        let key = |bytes: usize| PublicKey::Rsa {
            n: URL_SAFE_NO_PAD.encode(vec![0xff; bytes]),
            e: "AQAB".to_owned(),
        };
        assert!(key(256).check().is_ok());
        assert!(key(128).check().is_err());
    }
}
