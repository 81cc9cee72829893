//! A Redis Cluster master fails while the app runs: requests fail with the typed 503 during the
//! switch (never a panic or a hang past the timeout) and recover, with their data, once its
//! replica is promoted; a node that stalls is waited for (feature `cluster`).
#![cfg(feature = "cluster")]

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::cluster::{RedisCluster, redis_cli as cli};
use tower_redis_session::RedisStore;
#[cfg(feature = "cart")]
use tower_redis_session::store::cart::CartOwner;
use tower_redis_session::test_kit::{Client, app};

/// The tests here fail or stall nodes of the shared cluster, so they take turns.
static CLUSTER_IN_USE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The slot of `key`.
fn slot_of(cluster: &RedisCluster, key: &str) -> u16 {
    let slot = cli(cluster.ports[0], &["CLUSTER", "KEYSLOT", key]);
    slot.trim().parse().expect("a slot number")
}

/// The port of the master serving `key`'s slot, and of its replica, if it has one.
fn master_and_replica(cluster: &RedisCluster, key: &str) -> (u16, Option<u16>) {
    let slot = slot_of(cluster, key);
    let nodes = cli(cluster.ports[0], &["CLUSTER", "NODES"]);
    let lines: Vec<Vec<&str>> = nodes.lines().map(|l| l.split(' ').collect()).collect();
    let port_of = |fields: &Vec<&str>| -> u16 {
        fields[1].split(['@', ':']).nth(1).unwrap().parse().unwrap()
    };
    let master = lines
        .iter()
        .find(|fields| {
            fields[2].contains("master")
                && fields[8..].iter().any(|range| {
                    let (start, end) = range.split_once('-').unwrap_or((range, range));
                    let (start, end): (u16, u16) =
                        (start.parse().unwrap_or(1), end.parse().unwrap_or(0));
                    (start..=end).contains(&slot)
                })
        })
        .expect("a master for the slot");
    let replica = lines.iter().find(|fields| fields[3] == master[0]);
    (port_of(master), replica.map(port_of))
}

/// A client of the test app, whose store runs on the cluster within `timeout`.
fn client_of(cluster: &RedisCluster, timeout: Duration) -> Client {
    let store = RedisStore::cluster_builder(cluster.urls())
        .command_timeout(timeout)
        .build()
        .unwrap();
    Client::new(app(store, |b| b))
}

#[cfg(feature = "cart")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_failure_is_a_503_then_recovers_with_the_data() {
    let _turn = CLUSTER_IN_USE.lock().await;
    let cluster = RedisCluster::shared();
    let timeout = Duration::from_secs(1);
    let mut client = client_of(cluster, timeout);
    client.post("/login/alice", "").await;
    client.post("/cart/add/tea/2", "").await;
    let cart = RedisStore::cluster_builder(cluster.urls())
        .build()
        .unwrap()
        .cart_key(&CartOwner::User("alice".to_owned()));
    let (master, Some(replica)) = master_and_replica(cluster, &cart) else {
        panic!("the master of {cart} has no replica");
    };

    // Acknowledged writes that reached the replica survive the failover: wait until it has
    // everything the master has.
    let offset = |port: u16| {
        cli(port, &["INFO", "replication"])
            .lines()
            .find_map(|line| line.strip_prefix("master_repl_offset:"))
            .and_then(|offset| offset.trim().parse::<u64>().ok())
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while offset(replica) != offset(master) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(offset(replica), offset(master), "the replica caught up");

    cli(master, &["SHUTDOWN", "NOSAVE"]);
    let started = Instant::now();
    let during = client.get("/cart").await;
    assert!(started.elapsed() < timeout * 3, "no hang past the timeout");
    assert_eq!(during.status, StatusCode::SERVICE_UNAVAILABLE, "{during:?}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut recovered = None;
    while Instant::now() < deadline {
        let reply = client.get("/cart").await;
        assert!(
            [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].contains(&reply.status),
            "{reply:?}"
        );
        if reply.status == StatusCode::OK {
            recovered = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let recovered = recovered.expect("requests recover after the replica's promotion");
    let cart: serde_json::Value = serde_json::from_str(&recovered.body).unwrap();
    assert_eq!(cart["count"], 2, "the cart survived the failover");
    assert!(cli(replica, &["INFO", "replication"]).contains("role:master"));
    assert_eq!(client.get("/me").await.body, "alice");
}

#[cfg(feature = "cart")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_slower_than_half_a_second_is_awaited_up_to_the_command_timeout() {
    let _turn = CLUSTER_IN_USE.lock().await;
    let cluster = RedisCluster::shared();
    let mut client = client_of(cluster, Duration::from_secs(3));
    client.post("/cart/add/tea/1", "").await;
    // Every node stalls (a node that a failover took down does not answer this), for less than
    // the cluster's node timeout, so no failover starts.
    for port in &cluster.ports {
        cli(*port, &["CLIENT", "PAUSE", "750", "ALL"]);
    }
    let started = Instant::now();
    // A cart change is never retried, so only one limit may apply: the command timeout.
    let reply = client.post("/cart/add/tea/1", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body, "2");
    assert!(started.elapsed() >= Duration::from_millis(650));
}

/// A master that refuses commands for a moment (`CLUSTERDOWN`, as while a slot moves or a
/// failover settles) is asked again within milliseconds: three refusals and the answer after
/// them fit in the default 2 s command timeout (redis-rs' own first retry waits 1.28 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_refusing_commands_for_a_moment_is_asked_again_within_the_command_timeout() {
    let _turn = CLUSTER_IN_USE.lock().await;
    let cluster = RedisCluster::shared();
    let prefix = common::unique_prefix();
    let store = RedisStore::cluster_builder(cluster.urls())
        .key_prefix(prefix.clone())
        .build()
        .unwrap();
    let mut client = Client::new(app(store, |b| b));
    client.post("/login/alice", "").await;
    let [key] = &session_keys(cluster, &prefix)[..] else {
        panic!("one session");
    };
    let (master, _) = master_and_replica(cluster, key);
    let slot = slot_of(cluster, key).to_string();
    let refusals = || {
        let stats = cli(master, &["INFO", "errorstats"]);
        (stats.lines())
            .find_map(|line| line.strip_prefix("errorstat_CLUSTERDOWN:count="))
            .map_or(0, |count| count.trim().parse::<u64>().unwrap_or(0))
    };
    let before = refusals();

    // The master stops serving the session's slot until it has refused the read three times.
    assert!(cli(master, &["CLUSTER", "DELSLOTS", &slot]).contains("OK"));
    let reading = tokio::spawn(async move { client.get("/me").await });
    while refusals() < before + 3 && !reading.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(cli(master, &["CLUSTER", "ADDSLOTS", &slot]).contains("OK"));
    let reply = reading.await.unwrap();
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body, "alice");
}

/// The session keys under `prefix`, on every master.
fn session_keys(cluster: &RedisCluster, prefix: &str) -> Vec<String> {
    (cluster.ports.iter())
        .filter(|port| cli(**port, &["ROLE"]).starts_with("master"))
        .flat_map(|port| {
            let keys = cli(*port, &["KEYS", &format!("{prefix}s:*")]);
            keys.lines().map(str::to_owned).collect::<Vec<_>>()
        })
        .filter(|key| !key.is_empty())
        .collect()
}

/// The replication offset of the node at `port`.
fn replication_offset(port: u16) -> Option<u64> {
    cli(port, &["INFO", "replication"])
        .lines()
        .find_map(|line| line.strip_prefix("master_repl_offset:"))
        .and_then(|offset| offset.trim().parse().ok())
}

/// The local cache through a manual Cluster failover (`CLUSTER FAILOVER` on a replica; the old
/// master stays up, as its replica): the copies kept under the old master are dropped, the new
/// master is read, and a sign-out there is seen by the other server's reads within the lease.
#[cfg(feature = "local-cache")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_cache_follows_a_cluster_failover_and_misses_no_sign_out() {
    use common::server::Monitor;
    use tower_redis_session::LocalCacheConfig;

    const LEASE: Duration = Duration::from_millis(100);
    let _turn = CLUSTER_IN_USE.lock().await;
    let cluster = RedisCluster::shared();
    let prefix = common::unique_prefix();
    let cached = || {
        let store = RedisStore::cluster_builder(cluster.urls())
            .key_prefix(prefix.clone())
            .command_timeout(Duration::from_secs(1))
            .local_cache(LocalCacheConfig::default().lease(LEASE))
            .build()
            .unwrap();
        app(store, |b| b)
    };
    let session_keys = || session_keys(cluster, &prefix);
    // A session whose master has a replica (an earlier test may have left a master without).
    let mut found = None;
    for _ in 0..20 {
        let mut device = Client::new(cached());
        device.post("/login/alice", "").await;
        let [key] = &session_keys()[..] else {
            panic!("one session: {:?}", session_keys());
        };
        match master_and_replica(cluster, key) {
            (master, Some(replica)) => {
                found = Some((device, key.clone(), master, replica));
                break;
            }
            (_, None) => assert_eq!(device.post("/logout", "").await.body, "true"),
        }
    }
    let (mut device, key, master, replica) = found.expect("a session on a master with a replica");
    let mut other = device.clone();
    other.set_app(cached());
    let reads = Monitor::start(master);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert_eq!(other.get("/me").await.body, "alice");
        let sent = reads.lines();
        if !sent.iter().any(|line| line.contains(&key)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never served from the cache: {sent:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    while replication_offset(replica) != replication_offset(master) {
        assert!(Instant::now() < deadline, "the replica never caught up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cli(replica, &["CLUSTER", "FAILOVER"]).contains("OK"));
    while !cli(replica, &["ROLE"]).starts_with("master") {
        assert!(Instant::now() < deadline, "the replica was never promoted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Past the lease, a copy kept under the old master can no longer be proven current.
    tokio::time::sleep(LEASE * 2).await;
    let promoted = Monitor::start(replica);
    loop {
        let reply = other.get("/me").await;
        if reply.status == StatusCode::OK {
            assert_eq!(reply.body, "alice");
            break;
        }
        assert!(Instant::now() < deadline, "never read again: {reply:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = promoted.lines();
    assert!(
        after.iter().any(|line| line.contains(&key)),
        "the read after the failover asked the new master: {after:?}"
    );

    common::sign_out_seen_within(&mut device, &mut other, LEASE).await;
    // The next test finds the cluster settled: the old master a replica of the new one.
    let deadline = Instant::now() + Duration::from_secs(30);
    while master_and_replica(cluster, &key) != (replica, Some(master)) {
        assert!(Instant::now() < deadline, "the cluster never settled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
