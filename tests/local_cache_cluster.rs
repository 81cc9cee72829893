//! The local cache on a Redis Cluster (features `local-cache` and `cluster`): the conformance
//! suite with it on, and a sign-out on one server seen by another's reads within the lease.
#![cfg(all(feature = "local-cache", feature = "cluster"))]

mod common;

use std::time::{Duration, Instant};

use common::cluster::RedisCluster;
use tower_redis_session::test_kit::{Backend, Client, app};
use tower_redis_session::{LocalCacheConfig, RedisStore};

const LEASE: Duration = Duration::from_millis(100);

/// A store with the local cache on the shared cluster, under `prefix`.
fn cached(prefix: &str) -> RedisStore {
    RedisStore::cluster_builder(RedisCluster::shared().urls())
        .key_prefix(prefix)
        .command_timeout(Duration::from_secs(2))
        .local_cache(LocalCacheConfig::default().lease(LEASE))
        .build()
        .expect("a cluster store with a local cache")
}

struct CachedCluster {
    store: RedisStore,
}

impl Backend for CachedCluster {
    type Store = RedisStore;

    fn start() -> Self {
        Self {
            store: cached(&common::unique_prefix()),
        }
    }

    fn store(&self) -> RedisStore {
        self.store.clone()
    }
}

tower_redis_session::conformance_suite!(CachedCluster);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_on_one_server_is_seen_by_anothers_reads_within_the_lease() {
    let prefix = common::unique_prefix();
    let (signing_out, reading) = (cached(&prefix), cached(&prefix));
    signing_out.check().await.expect("every master tracks keys");
    let (signing_out, reading) = (app(signing_out, |b| b), app(reading, |b| b));
    for trial in 0..100 {
        let mut device = Client::new(signing_out.clone());
        device.post(&format!("/login/user{trial}"), "").await;
        let mut other = device.clone();
        other.set_app(reading.clone());
        // Read until the copy is known current (the tracking connections proved themselves).
        for _ in 0..3 {
            assert_eq!(other.get("/me").await.body, format!("user{trial}"));
        }
        device.post("/logout", "").await;
        let returned = Instant::now();
        loop {
            let asked = Instant::now();
            if other.get("/me").await.body == "anonymous" {
                break;
            }
            assert!(
                asked - returned < LEASE,
                "a read begun {:?} after the sign-out still saw the session",
                asked - returned
            );
        }
    }
}
