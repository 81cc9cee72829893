//! The conformance suite on a local 3-master / 3-replica Redis Cluster (feature `cluster`).
#![cfg(feature = "cluster")]

mod common;

use std::time::Duration;

use common::Backend;
use common::cluster::RedisCluster;
use tower_redis_session::RedisStore;

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

conformance_suite!(Cluster);

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
    let mut client = common::Client::new(common::app(store, |b| b));
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
