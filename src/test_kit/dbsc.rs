//! A device-bound session client at the protocol level: a software key, and the proofs exactly
//! as Chromium builds them (`session_binding_utils.cc`): header `alg`, `typ` `dbsc+jwt` and, at
//! registration, the public key as `jwk`; payload `{"jti": <challenge>}`; ES256 signatures as
//! raw `r || s`; sent in `Secure-Session-Response` as a structured-field string, with
//! `Sec-Secure-Session-Id` the same way.

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use serde_json::{Value, json};

use super::{Client, Reply};

/// A 2048-bit RSA key for the RS256 behaviours (ring signs RSA but does not make keys).
const RSA_KEY: &[u8] = include_bytes!("fixtures/rs256-test-key.pk8");

/// A browser's session key.
enum DeviceKey {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

/// A browser that supports device-bound sessions (feature `dbsc`), at the protocol level: a
/// software key, and the registration and refresh requests Chromium makes, sent through a
/// [`Client`]. For an application's own tests of what a bound session does.
///
/// ```ignore
/// let mut client = Client::new(app);
/// let login = client.post("/login", "").await;
/// let mut device = DbscDevice::es256();
/// assert_eq!(device.register(&mut client, &login).await.status, 200);
/// client.other_cookies.clear(); // the credential expires
/// assert_eq!(device.refresh(&mut client).await.status, 200);
/// ```
pub struct DbscDevice {
    key: DeviceKey,
    rng: SystemRandom,
    id: Option<String>,
}

impl std::fmt::Debug for DbscDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbscDevice")
            .field("algorithm", &self.algorithm())
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl DbscDevice {
    /// A browser with a fresh P-256 key, as Chromium makes on Linux with software keys.
    ///
    /// # Panics
    /// If the system has no randomness.
    #[must_use]
    pub fn es256() -> Self {
        let rng = SystemRandom::new();
        let alg = &ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("a P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("a P-256 key");
        Self {
            key: DeviceKey::Es256(key),
            rng,
            id: None,
        }
    }

    /// A browser with an RSA key (2048 bits, fixed: for tests only), as on a Windows TPM that
    /// lacks P-256.
    ///
    /// # Panics
    /// Never: the key is the kit's own.
    #[must_use]
    pub fn rs256() -> Self {
        let key = RsaKeyPair::from_pkcs8(RSA_KEY).expect("the test RSA key");
        Self {
            key: DeviceKey::Rs256(key),
            rng: SystemRandom::new(),
            id: None,
        }
    }

    fn algorithm(&self) -> &'static str {
        match self.key {
            DeviceKey::Es256(_) => "ES256",
            DeviceKey::Rs256(_) => "RS256",
        }
    }

    /// The public key as a JWK.
    fn jwk(&self) -> Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        match &self.key {
            DeviceKey::Es256(key) => {
                let point = key.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])})
            }
            DeviceKey::Rs256(key) => {
                let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(key.public());
                json!({"kty": "RSA", "n": b64(&public.n), "e": b64(&public.e)})
            }
        }
    }

    /// A registration proof for `challenge`: the key travels in the header.
    pub fn registration_proof(&self, challenge: &str) -> String {
        let header = json!({"alg": self.algorithm(), "typ": "dbsc+jwt", "jwk": self.jwk()});
        self.sign(&header, challenge)
    }

    /// A refresh proof for `challenge`: no key, the server has it.
    pub fn refresh_proof(&self, challenge: &str) -> String {
        self.sign(
            &json!({"alg": self.algorithm(), "typ": "dbsc+jwt"}),
            challenge,
        )
    }

    /// A registration proof whose header carries `carried`'s key but which this key signs.
    pub(crate) fn registration_proof_carrying(&self, carried: &Self, challenge: &str) -> String {
        let header = json!({"alg": self.algorithm(), "typ": "dbsc+jwt", "jwk": carried.jwk()});
        self.sign(&header, challenge)
    }

    fn sign(&self, header: &Value, challenge: &str) -> String {
        let b64 = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let signed = format!("{}.{}", b64(header), b64(&json!({"jti": challenge})));
        let signature = match &self.key {
            DeviceKey::Es256(key) => key
                .sign(&self.rng, signed.as_bytes())
                .expect("a signature")
                .as_ref()
                .to_vec(),
            DeviceKey::Rs256(key) => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(
                    &RSA_PKCS1_SHA256,
                    &self.rng,
                    signed.as_bytes(),
                    &mut signature,
                )
                .expect("a signature");
                signature
            }
        };
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The DBSC session identifier its registration was given, once registered.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Registers with the offer a sign-in's `reply` made, signing its challenge.
    ///
    /// # Panics
    /// If `offer` offers no registration.
    pub async fn register(&mut self, client: &mut Client, offer: &Reply) -> Reply {
        let (path, challenge) = offered(offer).expect("a registration offer");
        let proof = self.registration_proof(&challenge);
        let reply = post(
            client,
            &path,
            &[("secure-session-response", quoted(&proof))],
        )
        .await;
        if reply.status == StatusCode::OK {
            let instructions: Value = serde_json::from_str(&reply.body).expect("JSON instructions");
            self.id = instructions["session_identifier"]
                .as_str()
                .map(str::to_owned);
        }
        reply
    }

    /// Asks the refresh path for a challenge, as a browser whose credential expired does.
    ///
    /// # Panics
    /// If the device has not registered.
    pub async fn ask(&self, client: &mut Client) -> Reply {
        post(
            client,
            REFRESH,
            &[("sec-secure-session-id", quoted(self.registered()))],
        )
        .await
    }

    /// Sends `proof` (of a challenge) to the refresh path.
    ///
    /// # Panics
    /// If the device has not registered.
    pub async fn answer(&self, client: &mut Client, proof: &str) -> Reply {
        let headers = [
            ("sec-secure-session-id", quoted(self.registered())),
            ("secure-session-response", quoted(proof)),
        ];
        post(client, REFRESH, &headers).await
    }

    /// A whole refresh: a challenge, then its proof.
    ///
    /// # Panics
    /// If the device has not registered.
    pub async fn refresh(&self, client: &mut Client) -> Reply {
        let asked = self.ask(client).await;
        let Some(challenge) = challenged(&asked) else {
            return asked;
        };
        let proof = self.refresh_proof(&challenge);
        self.answer(client, &proof).await
    }

    fn registered(&self) -> &str {
        self.id.as_deref().expect("a registered device")
    }
}

/// The default refresh path.
pub(crate) const REFRESH: &str = "/dbsc/refresh";
/// The credential cookie's default name.
pub(crate) const CREDENTIAL: &str = "__Host-bound";

/// `value` as a structured-field string.
pub(crate) fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The registration path and challenge a reply offers, if it offers registration.
pub(crate) fn offered(reply: &Reply) -> Option<(String, String)> {
    let offer = reply.header("secure-session-registration")?;
    let param = |name: &str| {
        let start = offer.find(&format!(";{name}=\""))? + name.len() + 3;
        let end = start + offer[start..].find('"')?;
        Some(offer[start..end].to_owned())
    };
    assert!(offer.starts_with("(ES256 RS256);"), "{offer}");
    Some((param("path")?, param("challenge")?))
}

/// The challenge a 403 from the refresh path asks to sign, if it asks for one.
pub(crate) fn challenged(reply: &Reply) -> Option<String> {
    let header = reply.header("secure-session-challenge")?;
    let challenge = header.strip_prefix('"')?.split('"').next()?;
    Some(challenge.to_owned())
}

/// Whether a reply ends the browser's DBSC session.
pub(crate) fn ends(reply: &Reply) -> bool {
    reply.status == StatusCode::OK
        && serde_json::from_str::<Value>(&reply.body).is_ok_and(|body| body["continue"] == false)
}

async fn post(client: &mut Client, path: &str, headers: &[(&'static str, String)]) -> Reply {
    let kept = client.headers.len();
    client.headers.extend(headers.iter().cloned());
    let reply = client.send(Method::POST, path, "").await;
    client.headers.truncate(kept);
    reply
}
