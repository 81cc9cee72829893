#![cfg(any(feature = "tls-rustls", feature = "tls-native-tls"))]
//! The store over TLS: a redis-server with a TLS port and a certificate made for the test, signed
//! by a private CA that only the application's client trusts.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use common::server::RedisServer;
use tower_redis_session::RedisStore;
use tower_redis_session::deadpool_redis::redis;
use tower_redis_session::test_kit::{Client, app};

/// Makes a CA and a certificate for 127.0.0.1 signed by it in `dir`, with the openssl CLI.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl CLI (apt-get install -y openssl)");
        assert!(status.status.success(), "openssl {args:?}: {status:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("write san.ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_round_trips_over_tls_through_the_applications_client() {
    let dir = std::env::temp_dir().join(format!("trs-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    make_certificates(&dir);
    let tls_port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let file = |name: &str| dir.join(name).display().to_string();
    let (cert, key, ca) = (file("server.crt"), file("server.key"), file("ca.crt"));
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
