//! Test support shared by the test binaries: the backends the conformance suite runs on (the
//! suite itself, its test app and client are the crate's `test_kit`), servers, and a log buffer.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

pub mod certificates;
pub mod cluster;
pub mod http;
pub mod proxy;
pub mod sentinel;
pub mod server;
#[cfg(feature = "dbsc")]
pub mod tls;
pub mod webdriver;

use std::time::Duration;

use tower_redis_session::test_kit::Backend;
use tower_redis_session::{MemoryStore, RedisStore};

use self::server::RedisServer;

/// A key prefix no other test of this binary uses, so tests can share one Redis deployment.
pub fn unique_prefix() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    format!(
        "t{}:",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// Collects everything logged while a test runs (install it with `tracing_subscriber`).
#[derive(Clone, Default)]
pub struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct Memory(MemoryStore);

impl Backend for Memory {
    type Store = MemoryStore;
    fn start() -> Self {
        Self(MemoryStore::new())
    }
    fn store(&self) -> MemoryStore {
        self.0.clone()
    }
}

pub struct Redis {
    pub server: RedisServer,
    store: RedisStore,
}

impl Redis {
    fn on(server: RedisServer) -> Self {
        let store = RedisStore::builder(server.url())
            .command_timeout(Duration::from_millis(500))
            .build()
            .expect("build a RedisStore");
        Self { server, store }
    }
}

impl Backend for Redis {
    type Store = RedisStore;
    fn start() -> Self {
        Self::on(RedisServer::start())
    }
    fn store(&self) -> RedisStore {
        self.store.clone()
    }
}

/// The Redis store on Valkey 8.1+, whose `SET … IFEQ` it updates records with.
pub struct Valkey(pub Redis);

impl Backend for Valkey {
    type Store = RedisStore;
    fn start() -> Self {
        let server = RedisServer::start_valkey();
        assert!(
            server.has_set_ifeq(),
            "this valkey-server has no SET … IFEQ: the tests need Valkey 8.1 or newer \
             (`bash .ci/install-valkey` builds one)"
        );
        Self(Redis::on(server))
    }
    fn store(&self) -> RedisStore {
        self.0.store()
    }
}

/// Signs `device` out as soon as the store takes writes again (after a failover), then reads
/// `/me` as `other` until it is signed out: a read begun more than `lease` after the sign-out
/// returned must not see the session.
pub async fn sign_out_seen_within(
    device: &mut tower_redis_session::test_kit::Client,
    other: &mut tower_redis_session::test_kit::Client,
    lease: Duration,
) {
    use axum::http::StatusCode;
    use std::time::Instant;

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = device.post("/logout", "").await;
        if reply.status == StatusCode::OK && reply.body == "true" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sign-out never went through: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let signed_out = Instant::now();
    loop {
        let asked = Instant::now();
        let reply = other.get("/me").await;
        if reply.status == StatusCode::OK && reply.body == "anonymous" {
            return;
        }
        assert!(
            reply.status != StatusCode::OK || asked - signed_out < lease,
            "the session was still read {:?} after the sign-out: {reply:?}",
            asked - signed_out
        );
        assert!(
            Instant::now() < deadline,
            "never read as signed out: {reply:?}"
        );
    }
}
