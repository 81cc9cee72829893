//! The local cache on a Redis Cluster (features `local-cache` and `cluster`): the conformance
//! suite with it on, and a sign-out on one server seen by another's reads within the lease.
#![cfg(all(feature = "local-cache", feature = "cluster"))]

mod common;

use std::time::{Duration, Instant};

use common::cluster::{RedisCluster, redis_cli as cli};
use common::server::Monitor;
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

/// On a Cluster too, cached reads send no command, and their slides go through the tracking
/// connection of the key's master (`NOLOOP`): the reads after a slide stay cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_reads_send_no_command_and_their_slides_keep_the_copy() {
    let prefix = common::unique_prefix();
    // A lease no busy machine outlasts between two probes: only a slide could drop the copy.
    let store = RedisStore::cluster_builder(RedisCluster::shared().urls())
        .key_prefix(prefix.clone())
        .local_cache(LocalCacheConfig::default().lease(Duration::from_secs(5)))
        .build()
        .unwrap();
    let idle = Duration::from_secs(10);
    let mut client = Client::new(app(store, |b| b.idle_timeout(idle)));
    client.post("/set/n", "1").await;
    let (master, key) = (RedisCluster::shared().ports.iter())
        .filter(|port| cli(**port, &["ROLE"]).starts_with("master"))
        .find_map(|port| {
            let key = cli(*port, &["KEYS", &format!("{prefix}s:*")]);
            (!key.trim().is_empty()).then(|| (*port, key.trim().to_owned()))
        })
        .expect("the session's master");
    let monitor = Monitor::start(master);
    // Other tests share the cluster: only the commands naming this session count.
    let reads_sent = || {
        (monitor.lines().iter())
            .filter(|line| line.contains(&key) && !line.contains("\"PTTL\""))
            .filter_map(|line| Some(line.split('"').nth(1)?.to_lowercase()))
            .collect::<Vec<_>>()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert_eq!(client.get("/get/n").await.body, "1");
        if reads_sent().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "never served from the cache");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ttl = || cli(master, &["PTTL", &key]).trim().parse::<i64>().unwrap();
    // A slide is due once the record has run down by a tenth of the idle timeout.
    tokio::time::sleep(idle / 10 + Duration::from_millis(200)).await;
    let before = ttl();
    assert_eq!(client.get("/get/n").await.body, "1");
    while ttl() <= before {
        assert!(
            Instant::now() < deadline + idle,
            "the cached read never slid the record"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(reads_sent(), ["pexpireat"], "one slide, no read");
    for _ in 0..10 {
        assert_eq!(client.get("/get/n").await.body, "1");
    }
    assert_eq!(reads_sent(), Vec::<String>::new());
}
