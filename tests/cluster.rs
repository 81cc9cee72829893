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
            .key_prefix(RedisCluster::unique_prefix())
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
