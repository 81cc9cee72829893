#![cfg(feature = "dbsc")]
//! Device-bound sessions behind tower-http's `CsrfLayer`: the browser's registration and refresh
//! requests are same-origin POSTs, which it lets through; a forged cross-site one it stops.

use axum::http::StatusCode;
use tower_http::csrf::CsrfLayer;
use tower_redis_session::test_kit::{Client, DbscDevice, app};
use tower_redis_session::{DbscConfig, MemoryStore};

/// The kit's application with device-bound sessions, a CSRF filter in front of its layer, and
/// a client that sends what Chromium sends with every request of a page of this origin.
fn client() -> Client {
    let router = app(MemoryStore::new(), |b| b.dbsc(DbscConfig::default())).layer(CsrfLayer::new());
    let mut client = Client::new(router);
    client
        .headers
        .push(("sec-fetch-site", "same-origin".to_owned()));
    client
        .headers
        .push(("origin", "https://shop.example".to_owned()));
    client
}

#[tokio::test]
async fn registration_and_refresh_pass_a_csrf_layer_in_front_of_the_session_layer() {
    let mut client = client();
    let login = client.post("/login/alice", "").await;
    let mut device = DbscDevice::es256();
    let registered = device.register(&mut client, &login).await;
    assert_eq!(registered.status, StatusCode::OK, "{registered:?}");
    client.other_cookies.clear();
    assert_eq!(device.refresh(&mut client).await.status, StatusCode::OK);
    assert_eq!(client.get("/me").await.body, "alice");
}

#[tokio::test]
async fn a_cross_site_registration_is_stopped_by_the_csrf_layer() {
    let mut client = client();
    let login = client.post("/login/alice", "").await;
    client.headers = vec![("sec-fetch-site", "cross-site".to_owned())];
    let forged = DbscDevice::es256().register(&mut client, &login).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let devices = client.devices().await;
    assert_eq!(devices[0]["bound"], false, "{devices:?}");
}
