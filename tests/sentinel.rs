//! The conformance suite through a Sentinel group (feature `sentinel`).
#![cfg(feature = "sentinel")]

mod common;

use std::time::Duration;

use common::cluster::redis_cli;
use common::sentinel::{MASTER_NAME, RedisSentinel};
use tower_redis_session::test_kit::Backend;
use tower_redis_session::test_kit::{Client, app};
use tower_redis_session::{RedisStore, RedisStoreBuilder};

/// A store of the shared Sentinel group's master, with a key prefix of the test's own, as
/// `configure` makes it.
fn store_of_the_group(
    configure: impl FnOnce(RedisStoreBuilder) -> RedisStoreBuilder,
) -> RedisStore {
    let group = RedisSentinel::shared();
    let builder = RedisStore::sentinel_builder(MASTER_NAME, group.sentinel_urls())
        .key_prefix(common::unique_prefix())
        .command_timeout(Duration::from_secs(2));
    configure(builder).build().expect("a sentinel store")
}

/// The shared Sentinel group's master, through a store with a key prefix of the test's own.
struct Sentinel {
    store: RedisStore,
}

impl Backend for Sentinel {
    type Store = RedisStore;

    fn start() -> Self {
        Self {
            store: store_of_the_group(|builder| builder),
        }
    }

    fn store(&self) -> RedisStore {
        self.store.clone()
    }
}

tower_redis_session::conformance_suite!(Sentinel);

/// The same, with the local cache on: its tracking connection follows the Sentinels' master.
#[cfg(feature = "local-cache")]
mod with_the_local_cache {
    use super::*;

    struct CachedSentinel {
        store: RedisStore,
    }

    impl Backend for CachedSentinel {
        type Store = RedisStore;

        fn start() -> Self {
            let cache = tower_redis_session::LocalCacheConfig::default();
            Self {
                store: store_of_the_group(|builder| builder.local_cache(cache)),
            }
        }

        fn store(&self) -> RedisStore {
            self.store.clone()
        }
    }

    tower_redis_session::conformance_suite!(CachedSentinel);
}

#[tokio::test]
async fn the_check_reads_the_policy_of_the_master() {
    let group = RedisSentinel::shared();
    let store = RedisStore::sentinel_builder(MASTER_NAME, group.sentinel_urls())
        .key_prefix(common::unique_prefix())
        .build()
        .unwrap();
    store.check().await.expect("the master runs noeviction");
}

#[tokio::test]
async fn a_deadpool_sentinel_config_reaches_the_master_with_its_settings() {
    use tower_redis_session::deadpool_redis::{self, PoolConfig, sentinel};
    let group = RedisSentinel::shared();
    let mut config = sentinel::Config::from_urls(
        group.sentinel_urls(),
        MASTER_NAME.to_owned(),
        sentinel::SentinelServerType::Master,
    );
    config.pool = Some(PoolConfig::new(2));
    config.node_connection_info = Some(sentinel::SentinelNodeConnectionInfo {
        tls_mode: None,
        redis_connection_info: Some(deadpool_redis::RedisConnectionInfo {
            db: 4,
            ..Default::default()
        }),
    });
    let prefix = common::unique_prefix();
    let store = RedisStore::from_sentinel_config(config)
        .key_prefix(&prefix)
        .build()
        .unwrap();
    assert!(format!("{store:?}").contains("max_size: 2"), "{store:?}");
    let mut browser = Client::new(app(store, |b| b));
    browser.post("/login/alice", "").await;
    assert_eq!(browser.get("/me").await.body, "alice");
    let pattern = format!("{prefix}*");
    let in_db4 = redis_cli(group.master, &["-n", "4", "KEYS", &pattern]);
    assert!(
        in_db4.contains(&prefix),
        "the master's database 4 holds the session"
    );
}

#[tokio::test]
async fn a_store_from_the_applications_sentinel_client_reaches_the_master() {
    use tower_redis_session::deadpool_redis::redis::sentinel::{
        SentinelClient, SentinelServerType,
    };
    let group = RedisSentinel::shared();
    let client = SentinelClient::build(
        group.sentinel_urls(),
        String::from(MASTER_NAME),
        None,
        SentinelServerType::Master,
    )
    .unwrap();
    let store = RedisStore::from_sentinel_client(client)
        .key_prefix(common::unique_prefix())
        .build()
        .unwrap();
    let mut browser = Client::new(app(store, |b| b));
    browser.post("/login/alice", "").await;
    browser.post("/set/n", "1").await;
    assert_eq!(browser.get("/get/n").await.body, "1");
}

#[test]
fn a_sentinel_config_for_replicas_is_refused() {
    use tower_redis_session::deadpool_redis::sentinel;
    let config = sentinel::Config::from_urls(
        vec!["redis://127.0.0.1:1".to_owned()],
        MASTER_NAME.to_owned(),
        sentinel::SentinelServerType::Replica,
    );
    match RedisStore::from_sentinel_config(config).build() {
        Err(tower_redis_session::StoreError::Config(what)) => {
            assert!(what.contains("server_type"), "{what}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}
