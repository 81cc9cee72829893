//! A Sentinel failover while the app runs: requests fail with the typed 503 at most, and
//! recover, with their data, on the promoted replica; a master that stalls is waited for
//! (feature `sentinel`).
#![cfg(feature = "sentinel")]

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::cluster::redis_cli as cli;
use common::sentinel::{MASTER_NAME, RedisSentinel};
use tower_redis_session::RedisStore;
use tower_redis_session::test_kit::{Client, app};

/// The tests here fail over or stall the shared group, so they take turns.
static GROUP_IN_USE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A client of the test app, whose store follows the group's master within `timeout`.
fn client_of(group: &RedisSentinel, timeout: Duration) -> Client {
    let store = RedisStore::sentinel_builder(MASTER_NAME, group.sentinel_urls())
        .command_timeout(timeout)
        .build()
        .unwrap();
    Client::new(app(store, |b| b))
}

#[cfg(feature = "cart")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_failover_recovers_with_the_data() {
    let _turn = GROUP_IN_USE.lock().await;
    let group = RedisSentinel::shared();
    let mut client = client_of(group, Duration::from_secs(1));
    client.post("/login/alice", "").await;
    client.post("/cart/add/tea/2", "").await;
    let (_, new_master) = group.fail_over();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut statuses = Vec::new();
    let mut recovered = None;
    while Instant::now() < deadline {
        let started = Instant::now();
        let reply = client.post("/cart/add/tea/1", "").await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "no hang past the timeout"
        );
        statuses.push(reply.status);
        let promoted = cli(new_master, &["INFO", "replication"]).contains("role:master");
        if reply.status == StatusCode::OK && promoted {
            recovered = Some(reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].contains(s)),
        "{statuses:?}"
    );
    assert!(
        recovered.is_some(),
        "writes recover on the new master: {statuses:?}"
    );
    let acknowledged = 2 + statuses.iter().filter(|s| **s == StatusCode::OK).count() as u64;
    let cart: serde_json::Value = serde_json::from_str(&client.get("/cart").await.body).unwrap();
    assert!(
        cart["count"].as_u64().unwrap() >= acknowledged,
        "nothing acknowledged was lost: {cart}, {acknowledged} acknowledged"
    );
    assert_eq!(client.get("/me").await.body, "alice");
    group.settle();
}

#[cfg(feature = "cart")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_slower_than_half_a_second_is_awaited_up_to_the_command_timeout() {
    let _turn = GROUP_IN_USE.lock().await;
    let group = RedisSentinel::shared();
    let mut client = client_of(group, Duration::from_secs(3));
    client.post("/cart/add/tea/1", "").await;
    // Both nodes stall, whichever is the master now; for less than the Sentinels' down-after
    // time, so no failover starts.
    for port in [group.master, group.replica] {
        cli(port, &["CLIENT", "PAUSE", "750", "ALL"]);
    }
    let started = Instant::now();
    // A cart change is never retried, so only one limit may apply: the command timeout.
    let reply = client.post("/cart/add/tea/1", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body, "2");
    assert!(started.elapsed() >= Duration::from_millis(650));
}

/// The test app on a store with the local cache, following the group's master within a second.
#[cfg(feature = "local-cache")]
fn cached_app(group: &RedisSentinel) -> axum::Router {
    let store = RedisStore::sentinel_builder(MASTER_NAME, group.sentinel_urls())
        .command_timeout(Duration::from_secs(1))
        .local_cache(tower_redis_session::LocalCacheConfig::default())
        .build()
        .unwrap();
    app(store, |b| b)
}

/// The local cache through a failover: its tracking connection follows the Sentinels to the new
/// master, and a sign-out there is seen by the other server's reads.
#[cfg(feature = "local-cache")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_cache_follows_a_failover_and_misses_no_sign_out() {
    let _turn = GROUP_IN_USE.lock().await;
    let group = RedisSentinel::shared();
    let cached = || cached_app(group);
    let mut device = Client::new(cached());
    device.post("/login/alice", "").await;
    let mut other = device.clone();
    other.set_app(cached());
    assert_eq!(other.get("/me").await.body, "alice");
    group.fail_over();
    common::sign_out_seen_within(&mut device, &mut other, Duration::from_millis(100)).await;
    group.settle();
}

/// The local cache through a failover that leaves the old master running, a writable master
/// until the Sentinels reconfigure it: a server that connects meanwhile is sent to the new
/// master and signs out there, and the server that stayed on the old one sees it within the
/// lease, from its copies and from the pool alike.
#[cfg(feature = "local-cache")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_on_the_new_master_is_seen_while_the_old_master_still_runs() {
    let _turn = GROUP_IN_USE.lock().await;
    let group = RedisSentinel::shared();
    let mut stayed = Client::new(cached_app(group));
    stayed.post("/login/alice", "").await;
    assert_eq!(stayed.get("/me").await.body, "alice");
    let joined = cached_app(group);
    sign_out_on_the_new_master_seen_within(group, &mut stayed, joined, Duration::from_millis(100))
        .await;
}

/// A failover that leaves the old master running, without the local cache: the pool's watch
/// sees a Sentinel name the new master and closes the connections to the old one, so a sign-out
/// made on the new master by a server that connected meanwhile is seen within a second (the
/// watch asks every quarter second) rather than when the Sentinels demote the old master.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_cache_a_store_leaves_an_old_master_that_still_runs() {
    let _turn = GROUP_IN_USE.lock().await;
    let group = RedisSentinel::shared();
    let mut stayed = client_of(group, Duration::from_secs(1));
    stayed.post("/login/alice", "").await;
    assert_eq!(stayed.get("/me").await.body, "alice");
    let store = RedisStore::sentinel_builder(MASTER_NAME, group.sentinel_urls());
    let joined = app(store.build().unwrap(), |b| b);
    sign_out_on_the_new_master_seen_within(group, &mut stayed, joined, Duration::from_secs(1))
        .await;
}

/// Fails the group over, the old master kept a master (as if cut off from the Sentinels) and,
/// once every Sentinel has switched (until then redis-rs is still sent to the old master), signs
/// `stayed`'s session out through `joined`, an app that connects only then, so to the new
/// master: `stayed` must read it signed out within `bound`.
async fn sign_out_on_the_new_master_seen_within(
    group: &RedisSentinel,
    stayed: &mut Client,
    joined: axum::Router,
    bound: Duration,
) {
    let (old, new) = group.fail_over();
    group.keep_master(old);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !group.switched_to(new) {
        assert!(Instant::now() < deadline, "the Sentinels never switched");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut device = stayed.clone();
    device.set_app(joined);
    common::sign_out_seen_within(&mut device, stayed, bound).await;
    assert!(
        cli(old, &["ROLE"]).starts_with("master"),
        "the old master was still a master throughout"
    );
    group.settle();
}

/// A Sentinel that does not answer may be the one another server asks, and name another master
/// to it: until it answers, the cache serves no copy, and every read goes to Redis.
#[cfg(feature = "local-cache")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_a_sentinel_does_not_answer_no_copy_is_served() {
    let _turn = GROUP_IN_USE.lock().await;
    let group = RedisSentinel::shared();
    let (master, _) = group.settle();
    let mut sentinels = group.sentinel_urls();
    // A port nothing listens on: the Sentinel there is down.
    sentinels.push(format!(
        "redis://127.0.0.1:{}",
        common::cluster::free_port_pair()
    ));
    let store = RedisStore::sentinel_builder(MASTER_NAME, sentinels)
        .command_timeout(Duration::from_secs(1))
        .local_cache(tower_redis_session::LocalCacheConfig::default())
        .build()
        .unwrap();
    let mut client = Client::new(app(store, |b| b));
    client.post("/login/alice", "").await;
    let reads_before = reads_sent(master);
    for _ in 0..20 {
        assert_eq!(client.get("/me").await.body, "alice");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sent = reads_sent(master) - reads_before;
    assert!(sent >= 20, "every read went to Redis: {sent} of 20");
}

/// The session reads a server has been sent (`GETEX`, or `GET` where a copy may be kept).
#[cfg(feature = "local-cache")]
fn reads_sent(port: u16) -> u64 {
    let stats = cli(port, &["INFO", "commandstats"]);
    ["cmdstat_getex:", "cmdstat_get:"]
        .iter()
        .filter_map(|name| {
            let line = stats.lines().find_map(|line| line.strip_prefix(name))?;
            let calls = line.strip_prefix("calls=")?.split(',').next()?;
            calls.parse::<u64>().ok()
        })
        .sum()
}
