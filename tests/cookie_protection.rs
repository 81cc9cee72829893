//! Signed and private session cookies: a tampered cookie reads as no cookie.
#![cfg(all(feature = "signed", feature = "private"))]

mod common;

use tower_redis_session::test_kit::{Client, app};
use tower_redis_session::{Key, MemoryStore, SessionId};

fn tamper(value: &str) -> String {
    let mut bytes = value.as_bytes().to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn signed_cookie_round_trips() {
    let mut client = Client::new(app(MemoryStore::new(), |b| b.signed(Key::generate())));
    client.post("/set/n", "1").await;
    assert!(client.cookie.as_ref().unwrap().len() > 51);
    assert_eq!(client.get("/get/n").await.body, "1");
}

#[tokio::test]
async fn tampered_signed_cookie_is_treated_as_absent() {
    let mut client = Client::new(app(MemoryStore::new(), |b| b.signed(Key::generate())));
    client.post("/set/n", "1").await;
    client.cookie = client.cookie.as_deref().map(tamper);
    assert_eq!(client.get("/get/n").await.body, "none");
}

#[tokio::test]
async fn unsigned_id_is_refused_when_signing_is_on() {
    let mut client = Client::new(app(MemoryStore::new(), |b| b.signed(Key::generate())));
    client.post("/set/n", "1").await;
    let signed = client.cookie.clone().unwrap();
    // The signed value is the HMAC followed by the ID; the bare ID alone must not work.
    client.cookie = Some(signed[signed.len() - 51..].to_owned());
    assert!(SessionId::parse(client.cookie.as_deref().unwrap()).is_some());
    assert_eq!(client.get("/get/n").await.body, "none");
}

#[tokio::test]
async fn private_cookie_round_trips_and_hides_the_id() {
    let mut client = Client::new(app(MemoryStore::new(), |b| b.private(Key::generate())));
    client.post("/set/n", "1").await;
    let value = client.cookie.clone().unwrap();
    assert!(SessionId::parse(&value).is_none());
    assert_eq!(client.get("/get/n").await.body, "1");
}

#[tokio::test]
async fn tampered_private_cookie_is_treated_as_absent() {
    let mut client = Client::new(app(MemoryStore::new(), |b| b.private(Key::generate())));
    client.post("/set/n", "1").await;
    client.cookie = client.cookie.as_deref().map(tamper);
    assert_eq!(client.get("/get/n").await.body, "none");
}

/// A client of a layer protecting cookies with `protect`, on `store`, holding `cookie`.
fn client_of(
    store: &MemoryStore,
    cookie: Option<String>,
    protect: impl FnOnce(
        tower_redis_session::SessionLayerBuilder,
    ) -> tower_redis_session::SessionLayerBuilder,
) -> Client {
    let mut client = Client::new(app(store.clone(), protect));
    client.cookie = cookie;
    client
}

#[tokio::test]
async fn a_cookie_under_a_previous_key_is_read_and_reissued_under_the_current_one() {
    for private in [false, true] {
        let store = MemoryStore::new();
        let (old, new) = (Key::generate(), Key::generate());
        let protect = move |key: Key| {
            move |b: tower_redis_session::SessionLayerBuilder| {
                if private {
                    b.private(key)
                } else {
                    b.signed(key)
                }
            }
        };
        let mut before = client_of(&store, None, protect(old.clone()));
        before.post("/set/n", "1").await;

        let mut rotated = client_of(&store, before.cookie.clone(), |b| {
            protect(new.clone())(b).previous_keys([old.clone()])
        });
        let read = rotated.get("/get/n").await;
        assert_eq!(read.body, "1", "private: {private}");
        assert_eq!(
            read.set_cookies.len(),
            1,
            "re-issued: {:?}",
            read.set_cookies
        );
        assert_ne!(rotated.cookie, before.cookie, "under the new key");

        let mut current_only = client_of(&store, rotated.cookie.clone(), protect(new.clone()));
        let again = current_only.get("/get/n").await;
        assert_eq!(
            again.body, "1",
            "the re-issued cookie needs no previous key"
        );
        assert!(again.set_cookies.is_empty(), "{:?}", again.set_cookies);
    }
}

#[tokio::test]
async fn a_cookie_under_a_key_no_longer_listed_names_no_session() {
    let store = MemoryStore::new();
    let (old, new) = (Key::generate(), Key::generate());
    let mut before = client_of(&store, None, |b| b.signed(old));
    before.post("/set/n", "1").await;
    let mut after = client_of(&store, before.cookie.clone(), |b| b.signed(new));
    assert_eq!(after.get("/get/n").await.body, "none");
}
