#![cfg(feature = "local-cache")]
//! The Redis store with its local cache (feature `local-cache`): the conformance suite, a
//! repeated read that sends no command, and the revocation bound between two servers.

mod common;

use std::time::{Duration, Instant};

use common::server::{RedisServer, Reply};
use tower_redis_session::test_kit::{Backend, Client, app};
use tower_redis_session::{LocalCacheConfig, RedisStore};

const LEASE: Duration = Duration::from_millis(100);

/// A store with the local cache over `server`.
fn cached(server: &RedisServer) -> RedisStore {
    RedisStore::builder(server.url())
        .command_timeout(Duration::from_millis(500))
        .local_cache(LocalCacheConfig::default().lease(LEASE))
        .build()
        .expect("build a RedisStore with a local cache")
}

pub struct Cached {
    pub server: RedisServer,
    store: RedisStore,
}

impl Backend for Cached {
    type Store = RedisStore;
    fn start() -> Self {
        let server = RedisServer::start();
        let store = cached(&server);
        Self { server, store }
    }
    fn store(&self) -> RedisStore {
        self.store.clone()
    }
}

tower_redis_session::conformance_suite!(Cached);

/// Reads `path` until the cache serves it, or a second has passed.
async fn until_cached(client: &mut Client, server: &RedisServer, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let monitor = server.monitor();
        client.get(path).await;
        let sent = session_commands(&monitor.lines());
        if sent.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never served from the cache: {sent:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The commands that touched sessions (the tracking connection's lease probes aside).
fn session_commands(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|line| {
            let probe = ["\"PING\"", "\"ping\"", "\"ROLE\"", "\"role\""];
            !probe.iter().any(|command| line.contains(command))
        })
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_read_sends_no_redis_command() {
    let backend = Cached::start();
    backend
        .store()
        .check()
        .await
        .expect("a server with client tracking");
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/set/n", "1").await;
    until_cached(&mut client, &backend.server, "/get/n").await;
    let monitor = backend.server.monitor();
    for _ in 0..10 {
        assert_eq!(client.get("/get/n").await.body, "1");
    }
    assert_eq!(session_commands(&monitor.lines()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_servers_own_write_is_read_back_at_once() {
    let backend = Cached::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/set/n", "1").await;
    until_cached(&mut client, &backend.server, "/get/n").await;
    for n in 2..50 {
        client.post("/set/n", &n.to_string()).await;
        assert_eq!(client.get("/get/n").await.body, n.to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_servers_write_is_read_within_the_lease() {
    let server = RedisServer::start();
    let mut writer = Client::new(app(cached(&server), |b| b));
    writer.post("/set/n", "1").await;
    let mut reader = writer.clone();
    reader.set_app(app(cached(&server), |b| b));
    until_cached(&mut reader, &server, "/get/n").await;
    writer.post("/set/n", "2").await;
    let written = Instant::now();
    loop {
        let asked = Instant::now();
        if reader.get("/get/n").await.body == "2" {
            break;
        }
        assert!(
            asked - written < LEASE,
            "an old value read {:?} after the write",
            asked - written
        );
    }
}

/// The revocation bound over many sign-outs: two layers on two stores sharing Redis; one signs
/// the user out while the other reads in a tight loop. A read that began after the sign-out
/// returned and still saw the session must have begun within the lease (by construction: the
/// copy was served only while a probe sent before the sign-out was the last one answered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_is_seen_by_the_other_servers_reads_within_the_lease() {
    let server = RedisServer::start();
    let (signing_out, reading) = (app(cached(&server), |b| b), app(cached(&server), |b| b));
    let mut late = Vec::new();
    let mut seen = Vec::new();
    for trial in 0..1000 {
        let mut device = Client::new(signing_out.clone());
        device.post(&format!("/login/user{trial}"), "").await;
        let mut other = device.clone();
        other.set_app(reading.clone());
        assert_eq!(other.get("/me").await.body, format!("user{trial}"));
        let reads = tokio::spawn(async move {
            let mut stale = Vec::new();
            loop {
                let asked = Instant::now();
                let me = other.get("/me").await.body;
                if me == "anonymous" {
                    return (stale, Instant::now());
                }
                stale.push(asked);
            }
        });
        device.post("/logout", "").await;
        let returned = Instant::now();
        let (stale, fresh) = reads.await.expect("the reading task");
        let after: Vec<Duration> = stale
            .iter()
            .filter_map(|at| at.checked_duration_since(returned))
            .collect();
        if let Some(latest) = after.iter().max() {
            late.push(*latest);
        }
        seen.push(fresh.saturating_duration_since(returned));
    }
    seen.sort();
    let percentile = |p: usize| seen[(seen.len() * p / 100).min(seen.len() - 1)];
    eprintln!(
        "sign-out seen by the other server's reads: p50 {:?}, p99 {:?}, max {:?}; reads begun after it returned that still saw the session: {} (latest {:?})",
        percentile(50),
        percentile(99),
        seen[seen.len() - 1],
        late.len(),
        late.iter().max()
    );
    for latest in &late {
        assert!(
            *latest < LEASE,
            "a stale read began {latest:?} after the sign-out returned"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_tracking_connection_drops_the_cache_and_misses_no_sign_out() {
    let server = RedisServer::start();
    let mut device = Client::new(app(cached(&server), |b| b));
    device.post("/login/alice", "").await;
    let mut other = device.clone();
    other.set_app(app(cached(&server), |b| b));
    until_cached(&mut other, &server, "/me").await;
    // Every client that tracks keys: the two caches' connections.
    let killed = server.cmd(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
    assert!(matches!(killed, Reply::Int(n) if n > 0), "{killed:?}");
    device.post("/logout", "").await;
    assert_eq!(other.get("/me").await.body, "anonymous");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_drops_the_cache() {
    let mut server = RedisServer::start();
    let store = cached(&server);
    let mut client = Client::new(app(store, |b| b));
    client.post("/set/n", "1").await;
    until_cached(&mut client, &server, "/get/n").await;
    // The restarted server keeps nothing: the copy must not outlive it.
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = client.get("/get/n").await;
        if reply.status.is_success() {
            assert_eq!(
                reply.body, "none",
                "nothing survives a restart of a server that keeps nothing"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the store never came back: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `CLIENT PAUSE` stalls the tracking connection's probes: once the lease has run out, no copy
/// is served; a read goes to Redis like any other, and waits or times out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_copy_is_served_past_the_lease_while_redis_is_paused() {
    let backend = Cached::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/set/n", "1").await;
    until_cached(&mut client, &backend.server, "/get/n").await;
    let pause = Duration::from_millis(1500);
    let paused = Instant::now();
    let reply = backend
        .server
        .cmd(&["CLIENT", "PAUSE", &pause.as_millis().to_string(), "ALL"]);
    assert!(matches!(reply, Reply::Status(_)), "{reply:?}");
    tokio::time::sleep(LEASE + Duration::from_millis(50)).await;
    let reply = client.get("/get/n").await;
    // Served from Redis, the read timed out (503) or waited for the pause to end.
    assert!(
        !reply.status.is_success() || paused.elapsed() >= pause,
        "a read begun past the lease was answered from the cache during the pause: {reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_client_tracking_is_refused_at_start_up() {
    // As on managed services that do not offer it: the command is not there.
    let server = RedisServer::start_with(&["--rename-command", "CLIENT", ""]);
    let refused = cached(&server)
        .check()
        .await
        .expect_err("no client tracking");
    assert!(
        refused.to_string().contains("RESP3 client tracking"),
        "{refused}"
    );
}

/// Cached reads still slide the idle timeout, through the tracking connection, whose writes do
/// not invalidate this server's own copies (`NOLOOP`): the reads after a slide stay cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_read_slides_the_idle_timeout_and_keeps_its_copy() {
    let server = RedisServer::start();
    // A lease no busy machine outlasts between two probes: only the slide may drop the copy.
    let store = RedisStore::builder(server.url())
        .local_cache(LocalCacheConfig::default().lease(Duration::from_secs(5)))
        .build()
        .unwrap();
    let idle = Duration::from_secs(10);
    let mut client = Client::new(app(store, |b| b.idle_timeout(idle)));
    client.post("/set/n", "1").await;
    until_cached(&mut client, &server, "/get/n").await;
    let key = server.cmd(&["KEYS", "*s:*"]).strings().concat();
    let ttl = || server.int(&["PTTL", &key]);
    // A slide is due once the record has run down by a tenth of the idle timeout.
    tokio::time::sleep(idle / 10 + Duration::from_millis(200)).await;
    let before = ttl();
    let monitor = server.monitor();
    assert_eq!(client.get("/get/n").await.body, "1");
    let deadline = Instant::now() + Duration::from_secs(5);
    while ttl() <= before {
        assert!(
            Instant::now() < deadline,
            "the cached read never slid the record"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        (monitor.commands().iter())
            .filter(|command| !["role", "pttl"].contains(&command.as_str()))
            .collect::<Vec<_>>(),
        ["pexpireat"],
        "one slide, no read"
    );
    for _ in 0..10 {
        assert_eq!(client.get("/get/n").await.body, "1");
    }
    assert_eq!(session_commands(&monitor.lines()), Vec::<String>::new());
}

/// Redis deletes an expired key, and sends its invalidation, only when it gets round to it (here:
/// never, its active expiry turned off): a copy is not served past the deadline Redis last
/// confirmed for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_is_not_served_past_its_idle_timeout_before_redis_deletes_the_record() {
    let server = RedisServer::start_with(&["--enable-debug-command", "yes"]);
    let store = RedisStore::builder(server.url())
        .local_cache(LocalCacheConfig::default().lease(Duration::from_secs(5)))
        .build()
        .unwrap();
    let idle = Duration::from_secs(1);
    let mut client = Client::new(app(store, |b| b.idle_timeout(idle)));
    client.post("/login/alice", "").await;
    until_cached(&mut client, &server, "/me").await;
    server.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    tokio::time::sleep(idle * 2).await;
    assert_eq!(client.get("/me").await.body, "anonymous");
}

/// Every slide drops the other servers' copies, so reads that alternate between two servers
/// must not slide at each load: a load reads the record's deadline instead, and slides only a
/// record that has run down by a tenth of its idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_alternating_between_two_servers_neither_slide_nor_reload_within_a_tenth() {
    let server = RedisServer::start();
    let idle = Duration::from_secs(60);
    let layer = || app(cached(&server), |b| b.idle_timeout(idle));
    let mut first = Client::new(layer());
    first.post("/login/alice", "").await;
    let mut second = first.clone();
    second.set_app(layer());
    let monitor = server.monitor();
    for _ in 0..20 {
        assert_eq!(first.get("/me").await.body, "alice");
        assert_eq!(second.get("/me").await.body, "alice");
    }
    let sent = session_commands(&monitor.lines());
    assert!(
        !sent.iter().any(|line| line.contains("PEXPIREAT")),
        "no slide was due: {sent:?}"
    );
    assert!(
        sent.iter().filter(|line| line.contains("\"GET\"")).count() <= 4,
        "each server loaded once (twice if its first read came before its lease): {sent:?}"
    );
}
