#![cfg(any(feature = "tls-rustls", feature = "tls-native-tls"))]
//! The store over TLS: a redis-server with a TLS port and a certificate made for the test, signed
//! by a private CA that only the application's client trusts.

mod common;

use std::net::TcpListener;

use common::server::RedisServer;
use tower_redis_session::RedisStore;
use tower_redis_session::deadpool_redis::redis;
use tower_redis_session::test_kit::{Client, app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_round_trips_over_tls_through_the_applications_client() {
    let dir = std::env::temp_dir().join(format!("trs-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let made = common::certificates::make(&dir, "IP:127.0.0.1");
    let tls_port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let file = |path: &std::path::Path| path.display().to_string();
    let (cert, key, ca) = (file(&made.certificate), file(&made.key), file(&made.ca));
    let _server = RedisServer::start_with(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        "no",
    ]);
    let certificates = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(std::fs::read(&ca).expect("the CA certificate")),
    };
    let client =
        redis::Client::build_with_tls(format!("rediss://127.0.0.1:{tls_port}"), certificates)
            .expect("a TLS client");
    let store = RedisStore::from_client(client).build().expect("a store");
    store.check().await.expect("the TLS server answers");
    let mut browser = Client::new(app(store, |b| b));
    browser.post("/login/alice", "").await;
    browser.post("/set/n", "1").await;
    assert_eq!(browser.get("/get/n").await.body, "1");
    assert_eq!(browser.get("/me").await.body, "alice");
    let _ = std::fs::remove_dir_all(&dir);
}
