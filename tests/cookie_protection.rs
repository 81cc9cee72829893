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
