//! The conformance suite through a Sentinel group (feature `sentinel`).
#![cfg(feature = "sentinel")]

mod common;

use std::time::Duration;

use common::Backend;
use common::sentinel::{MASTER_NAME, RedisSentinel};
use tower_redis_session::RedisStore;

/// The shared Sentinel group's master, through a store with a key prefix of the test's own.
struct Sentinel {
    store: RedisStore,
}

impl Backend for Sentinel {
    type Store = RedisStore;

    fn start() -> Self {
        let group = RedisSentinel::shared();
        let store = RedisStore::sentinel_builder(MASTER_NAME, group.sentinel_urls())
            .key_prefix(common::unique_prefix())
            .command_timeout(Duration::from_secs(2))
            .build()
            .expect("a sentinel store");
        Self { store }
    }

    fn store(&self) -> RedisStore {
        self.store.clone()
    }
}

conformance_suite!(Sentinel);

#[tokio::test]
async fn the_check_reads_the_policy_of_the_master() {
    let group = RedisSentinel::shared();
    let store = RedisStore::sentinel_builder(MASTER_NAME, group.sentinel_urls())
        .key_prefix(common::unique_prefix())
        .build()
        .unwrap();
    store.check().await.expect("the master runs noeviction");
}
