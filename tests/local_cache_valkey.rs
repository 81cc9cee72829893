#![cfg(feature = "local-cache")]
//! The conformance suite against Valkey 8.1+ with the local cache on: its records are written
//! with `SET … IFEQ`, whose changes Valkey's client tracking reports as Redis' scripts' are.

mod common;

use std::time::Duration;

use common::server::RedisServer;
use tower_redis_session::test_kit::Backend;
use tower_redis_session::{LocalCacheConfig, RedisStore};

pub struct CachedValkey {
    _server: RedisServer,
    store: RedisStore,
}

impl Backend for CachedValkey {
    type Store = RedisStore;
    fn start() -> Self {
        let server = RedisServer::start_valkey();
        let store = RedisStore::builder(server.url())
            .command_timeout(Duration::from_millis(500))
            .local_cache(LocalCacheConfig::default())
            .build()
            .expect("build a RedisStore with a local cache");
        Self {
            _server: server,
            store,
        }
    }
    fn store(&self) -> RedisStore {
        self.store.clone()
    }
}

tower_redis_session::conformance_suite!(CachedValkey);
