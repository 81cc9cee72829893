//! The conformance suite on a local 3-master / 3-replica Redis Cluster (feature `cluster`).
#![cfg(feature = "cluster")]

mod common;

use std::time::Duration;

use common::cluster::RedisCluster;
use tower_redis_session::RedisStore;
use tower_redis_session::test_kit::Backend;
use tower_redis_session::test_kit::{Client, app};

/// The shared cluster, seen through a store with a key prefix of the test's own.
struct Cluster {
    store: RedisStore,
}

impl Backend for Cluster {
    type Store = RedisStore;

    fn start() -> Self {
        let cluster = RedisCluster::shared();
        let store = RedisStore::cluster_builder(cluster.urls())
            .key_prefix(common::unique_prefix())
            .command_timeout(Duration::from_secs(2))
            .build()
            .expect("a cluster store");
        Self { store }
    }

    fn store(&self) -> RedisStore {
        self.store.clone()
    }
}

tower_redis_session::conformance_suite!(Cluster);

#[tokio::test]
async fn revocations_wait_for_a_replica_on_the_cluster() {
    let logs = common::LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let cluster = RedisCluster::shared();
    let store = RedisStore::cluster_builder(cluster.urls())
        .key_prefix(common::unique_prefix())
        .wait_for_replica(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut client = Client::new(app(store, |b| b));
    client.post("/login/alice", "").await;
    assert_eq!(client.post("/logout-all", "").await.body, "1");
    assert_eq!(client.get("/me").await.body, "anonymous");
    assert!(
        !logs.text().contains("no replica acknowledged"),
        "a replica acknowledged every revocation"
    );
}

#[tokio::test]
async fn the_check_reads_the_policy_of_every_master() {
    let cluster = RedisCluster::shared();
    let store = RedisStore::cluster_builder(cluster.urls())
        .key_prefix(common::unique_prefix())
        .build()
        .unwrap();
    store.check().await.expect("every master runs noeviction");
}

#[tokio::test]
async fn a_store_from_the_applications_cluster_client_signs_in_and_out() {
    use tower_redis_session::deadpool_redis::redis::cluster::ClusterClient;
    let client = ClusterClient::new(RedisCluster::shared().urls()).unwrap();
    let store = RedisStore::from_cluster_client(client)
        .key_prefix(common::unique_prefix())
        .build()
        .unwrap();
    let mut browser = Client::new(app(store, |b| b));
    browser.post("/login/alice", "").await;
    assert_eq!(browser.get("/me").await.body, "alice");
    assert_eq!(browser.post("/logout-all", "").await.body, "1");
    assert_eq!(browser.get("/me").await.body, "anonymous");
}

#[tokio::test]
async fn a_deadpool_cluster_config_is_handed_over_with_its_pool_size() {
    use tower_redis_session::deadpool_redis::{PoolConfig, cluster::Config};
    let mut config = Config::from_urls(RedisCluster::shared().urls());
    config.pool = Some(PoolConfig::new(2));
    let store = RedisStore::from_cluster_config(config)
        .key_prefix(common::unique_prefix())
        .build()
        .unwrap();
    assert!(format!("{store:?}").contains("max_size: 2"), "{store:?}");
    store.check().await.expect("the cluster answers");
}

#[test]
fn a_cluster_config_reading_from_replicas_is_refused() {
    let mut config = tower_redis_session::deadpool_redis::cluster::Config::from_urls(
        RedisCluster::shared().urls(),
    );
    config.read_from_replicas = true;
    match RedisStore::from_cluster_config(config).build() {
        Err(tower_redis_session::StoreError::Config(what)) => {
            assert!(what.contains("read_from_replicas"), "{what}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}
