//! The conformance suite against a real `redis-server`, plus what only Redis can show: round
//! trips, TTLs, the stored layout and failures. The server is one without `SET … IFEQ` (Redis
//! before 8.4; Redis 7.0 in CI), so updates run `update.lua`; `valkey_store.rs` covers the
//! native compare-and-set that newer servers allow.

mod common;

use common::Redis;

tower_redis_session::conformance_suite!(Redis);

use std::time::Duration;

use axum::http::StatusCode;
use common::server::RedisServer;
#[cfg(feature = "cart")]
use tower_redis_session::store::cart::CartOwner;
use tower_redis_session::test_kit::{Backend, Client, app};
use tower_redis_session::{RedisStore, RedisStoreBuilder};

/// A client that has stored `n = 1`, with its connection and the scripts already warm, so what
/// follows is measured in steady state.
async fn warm_client(backend: &Redis) -> Client {
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/set/n", "0").await;
    client.post("/set/n", "1").await;
    assert_eq!(client.get("/get/n").await.body, "1");
    client
}

/// A client whose session holds a 200-byte profile: its record has room for a few small
/// changes before it is due for compaction.
async fn client_with_profile(backend: &Redis) -> Client {
    let mut client = Client::new(app(backend.store(), |b| b));
    let profile = format!("\"{}\"", "p".repeat(200));
    client.post("/set/profile", &profile).await;
    client
}

/// A client of an app whose store the test configures.
fn client_with_store(
    backend: &Redis,
    configure: impl FnOnce(RedisStoreBuilder) -> RedisStoreBuilder,
) -> Client {
    let store = configure(RedisStore::builder(backend.server.url()))
        .build()
        .unwrap();
    Client::new(app(store, |b| b))
}

fn session_key(server: &RedisServer) -> String {
    let keys = server.keys();
    assert_eq!(keys.len(), 1, "expected one session record, found {keys:?}");
    keys[0].clone()
}

#[tokio::test]
async fn reading_an_existing_session_is_one_round_trip_that_refreshes_the_ttl() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let key = session_key(&backend.server);
    backend.server.cmd(&["PEXPIRE", &key, "5000"]);
    let monitor = backend.server.monitor();
    assert_eq!(client.get("/get/n").await.body, "1");
    assert_eq!(monitor.commands(), ["getex"], "one command");
    let ttl = backend.server.int(&["PTTL", &key]);
    assert!(
        ttl > 29 * 60 * 1000,
        "TTL back to the 30 min idle timeout, got {ttl} ms"
    );
}

#[tokio::test]
async fn untouched_route_sends_no_redis_command() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let monitor = backend.server.monitor();
    let reply = client.get("/untouched").await;
    assert!(reply.set_cookies.is_empty());
    assert!(monitor.commands().is_empty());
}

#[tokio::test]
async fn malformed_cookie_sends_no_redis_command() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let monitor = backend.server.monitor();
    for bad in ["garbage", "", &"A".repeat(4096), "AAAA;;;==="] {
        client.cookie = Some(bad.to_owned());
        assert_eq!(client.get("/get/n").await.status, StatusCode::OK);
    }
    assert!(monitor.commands().is_empty());
}

#[tokio::test]
async fn unchanged_session_sends_no_write() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let monitor = backend.server.monitor();
    client.get("/get/n").await;
    client.post("/set/n", "1").await;
    assert_eq!(monitor.commands(), ["getex", "getex"], "two loads, no save");
}

#[tokio::test]
async fn read_modify_write_is_two_round_trips() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let monitor = backend.server.monitor();
    client.post("/set/n", "2").await;
    assert_eq!(
        monitor.commands(),
        ["getex", "evalsha"],
        "one load, one save"
    );
}

#[tokio::test]
async fn a_server_without_set_ifeq_is_asked_once_then_gets_the_script_alone() {
    let backend = Redis::start();
    assert!(
        !backend.server.has_set_ifeq(),
        "this test needs a redis-server without SET … IFEQ (Redis before 8.4)"
    );
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/set/n", "0").await;
    let monitor = backend.server.monitor();
    client.post("/set/n", "1").await;
    let first = monitor.commands();
    assert_eq!(first[..3], ["getex", "set", "evalsha"], "{first:?}");
    client.post("/set/n", "2").await;
    assert_eq!(monitor.commands(), ["getex", "evalsha"]);
    assert_eq!(client.get("/get/n").await.body, "2");
}

#[tokio::test]
async fn a_write_just_after_the_load_adds_its_change_and_leaves_the_expiry() {
    let backend = Redis::start();
    let mut client = client_with_profile(&backend).await;
    let monitor = backend.server.monitor();
    client.post("/set/n", "2").await;
    let lines = monitor.script_lines();
    assert_eq!(lines.len(), 2, "one read, one write: {lines:?}");
    assert!(lines[0].contains("\"GET\""), "{}", lines[0]);
    assert!(
        lines[1].contains("\"SET\"") && lines[1].ends_with("|1:n1:2\" \"KEEPTTL\""),
        "the change added, the expiry kept: {}",
        lines[1]
    );
    assert_eq!(client.get("/get/n").await.body, "2");
}

#[tokio::test]
async fn a_written_record_is_stored_in_no_more_memory_than_its_length_needs() {
    let backend = Redis::start();
    let mut client = client_with_profile(&backend).await;
    let key = session_key(&backend.server);
    let memory = || backend.server.int(&["MEMORY", "USAGE", &key]);
    let length = || backend.server.int(&["STRLEN", &key]);
    let (created, created_length) = (memory(), length());
    for n in 1..=20 {
        client.post("/set/n", &n.to_string()).await;
        // Redis doubles the allocation of a string grown in place (APPEND); the allocator
        // rounds up to 64 bytes at these sizes.
        let (grown, grown_by) = (memory() - created, length() - created_length);
        assert!(
            grown <= grown_by.max(0) + 64,
            "{grown} more bytes of memory for {grown_by} more bytes of record after {n} writes"
        );
    }
}

#[tokio::test]
async fn a_change_made_after_the_load_is_kept_by_a_later_write() {
    let backend = Redis::start();
    let client = client_with_profile(&backend).await;
    let mut client = client.race_a_late_write().await;
    assert_eq!(client.get("/get/meanwhile").await.body, "1");
    assert_eq!(client.get("/get/late").await.body, "\"late\"");
    let stored = backend
        .server
        .cmd(&["GET", &session_key(&backend.server)])
        .strings()
        .concat();
    assert!(stored.contains('|'), "the late change appended: {stored}");
}

#[tokio::test]
async fn a_record_due_for_compaction_is_compacted_by_its_writer() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let key = session_key(&backend.server);
    let monitor = backend.server.monitor();
    let mut compactions = 0;
    for n in 2..40 {
        client.post("/set/n", &n.to_string()).await;
        let write = monitor.lines().pop().unwrap_or_default();
        let stored = backend.server.cmd(&["GET", &key]).strings().concat();
        if !stored.contains('|') {
            compactions += 1;
            assert!(
                write.ends_with(&format!(" \"{stored}\"")),
                "the writer sent the compacted record: {write}"
            );
        }
    }
    assert!(compactions > 0, "no write compacted the record");
}

#[tokio::test]
async fn a_compaction_racing_another_write_keeps_both_changes() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client
        .post("/set/big", &format!("\"{}\"", "b".repeat(200)))
        .await;
    let mut other = client.clone();
    let slow = tokio::spawn(async move {
        client.post("/slow-remove/big?ms=300", "").await;
        client
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    other.post("/set/meanwhile", "1").await;
    let mut client = slow.await.unwrap();
    let stored = backend
        .server
        .cmd(&["GET", &session_key(&backend.server)])
        .strings()
        .concat();
    assert_eq!(stored, "9:meanwhile1:1", "compacted by the script");
    assert_eq!(client.get("/get/big").await.body, "none");
}

#[tokio::test]
async fn a_session_compacted_to_no_fields_keeps_its_id() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    let long = "k".repeat(100);
    client.post(&format!("/set/{long}"), "1").await;
    client.post(&format!("/remove/{long}"), "").await;
    let key = session_key(&backend.server);
    let stored = backend.server.cmd(&["GET", &key]).strings().concat();
    assert_eq!(stored, "", "compacted to a record without fields");
    client.post("/set/n", "1").await;
    assert_eq!(session_key(&backend.server), key);
    assert_eq!(client.get("/get/n").await.body, "1");
}

#[tokio::test]
async fn only_changed_keys_are_sent() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    client
        .post("/set/big", &format!("\"{}\"", "x".repeat(1000)))
        .await;
    let monitor = backend.server.monitor();
    client.post("/set/n", "2").await;
    let lines = monitor.lines();
    assert_eq!(lines.len(), 2, "one load, one save: {lines:?}");
    assert!(
        lines[1].contains("\"|1:n1:2\""),
        "the change alone: {}",
        lines[1]
    );
    assert!(
        !lines[1].contains("xxxx"),
        "the unchanged value was sent again"
    );
}

#[tokio::test]
async fn a_record_written_often_stays_compact() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let profile = format!("\"{}\"", "p".repeat(200));
    client.post("/set/profile", &profile).await;
    for n in 0..200 {
        client.post("/set/n", &n.to_string()).await;
    }
    let key = session_key(&backend.server);
    let stored = backend.server.cmd(&["GET", &key]).strings().concat();
    assert!(
        stored.len() < 500,
        "{} bytes after 200 writes: {stored}",
        stored.len()
    );
    assert_eq!(client.get("/get/n").await.body, "199");
    assert_eq!(client.get("/get/profile").await.body, profile);
}

#[tokio::test]
async fn redis_holds_only_the_hash_of_the_session_id() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let id = client.cookie.clone().unwrap();
    let key = session_key(&backend.server);
    assert!(key.starts_with("trs:s:"));
    assert!(!key.contains(&id));
    let stored = backend.server.cmd(&["GET", &key]).strings();
    assert_eq!(stored.len(), 1, "one string per session");
    assert!(!stored[0].contains(&id));
    let _ = client.get("/get/n").await;
}

#[tokio::test]
async fn key_prefix_namespaces_the_records() {
    let backend = Redis::start();
    let mut client = client_with_store(&backend, |store| store.key_prefix("shop:"));
    client.post("/set/n", "1").await;
    assert!(session_key(&backend.server).starts_with("shop:s:"));
}

#[tokio::test]
async fn ttl_is_the_idle_timeout_capped_by_the_absolute_deadline() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_secs(10))
            .absolute_timeout(Duration::from_secs(10))
    }));
    client.post("/set/n", "1").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(client.get("/get/n").await.body, "1");
    // The read slid the idle timeout to 10 s from now, past the absolute deadline, at most 9 s away.
    let ttl = backend.server.int(&["PTTL", &session_key(&backend.server)]);
    assert!((1..=9_000).contains(&ttl), "TTL {ttl} ms");
}

/// Overwrites a session record with raw bytes (`\xNN` escapes allowed), as corruption would.
fn overwrite_record(server: &RedisServer, key: &str, lua_bytes: &str) {
    let script = format!("redis.call('SET', KEYS[1], \"{lua_bytes}\", 'KEEPTTL')");
    server.cmd(&["EVAL", &script, "1", key]);
}

#[tokio::test]
async fn a_corrupt_value_fails_only_its_own_read() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let key = session_key(&backend.server);
    overwrite_record(&backend.server, &key, "1:n9:{not json1:m1:7");
    let reply = client.get("/get/n").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(client.get("/get/m").await.body, "7", "the rest is usable");
    client.post("/set/m", "8").await;
    assert_eq!(client.get("/get/m").await.body, "8");
    let stored = backend.server.cmd(&["GET", &key]).strings().concat();
    assert!(
        stored.starts_with("1:n9:{not json"),
        "nothing is lost: {stored}"
    );
}

#[tokio::test]
async fn a_malformed_record_is_treated_as_no_session_and_left_alone() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let key = session_key(&backend.server);
    overwrite_record(&backend.server, &key, "1:n99:short");
    let reply = client.get("/get/n").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "none");
    client.post("/set/n", "5").await;
    assert_eq!(client.get("/get/n").await.body, "5");
    let stored = backend.server.cmd(&["GET", &key]).strings();
    assert_eq!(stored, ["1:n99:short"], "kept as found, for inspection");
}

#[tokio::test]
async fn a_non_utf8_record_is_treated_as_no_session() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let key = session_key(&backend.server);
    overwrite_record(&backend.server, &key, "1:n1:\\255");
    let reply = client.get("/get/n").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "none");
    client.post("/set/n", "5").await;
    assert_eq!(client.get("/get/n").await.body, "5");
}

#[tokio::test]
async fn a_write_racing_a_corruption_keeps_the_corrupt_bytes() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let key = session_key(&backend.server);
    let monitor = backend.server.monitor();
    let slow = client.post("/slow/n?ms=300", "");
    let corrupt = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        overwrite_record(&backend.server, &key, "garbage");
    };
    let (reply, ()) = tokio::join!(slow, corrupt);
    assert_eq!(reply.status, StatusCode::OK);
    assert!(monitor.commands().contains(&"evalsha".to_owned()));
    let stored = backend.server.cmd(&["GET", &key]).strings().concat();
    assert!(stored.starts_with("garbage"), "{stored}");
    assert_eq!(client.get("/get/n").await.body, "none", "still no session");
}

#[tokio::test]
async fn record_of_the_wrong_type_is_treated_as_no_session() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let key = session_key(&backend.server);
    backend.server.cmd(&["DEL", &key]);
    backend.server.cmd(&["HSET", &key, "n", "1"]);
    let reply = client.get("/get/n").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "none");
}

#[tokio::test]
async fn scripts_are_reloaded_after_script_flush() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    backend.server.cmd(&["SCRIPT", "FLUSH"]);
    assert_eq!(client.get("/get/n").await.body, "1");
    client.post("/set/n", "2").await;
    assert_eq!(client.get("/get/n").await.body, "2");
}

#[tokio::test]
async fn redis_down_rejects_with_503_and_recovers_after_restart() {
    let mut backend = Redis::start();
    let mut client = warm_client(&backend).await;
    backend.server.stop();
    let reply = client.get("/get/n").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.set_cookies.is_empty());
    assert_eq!(reply.header("retry-after"), Some("2"));
    assert_eq!(
        reply.body,
        "Service Unavailable: the session store is unavailable; please try again shortly\n"
    );
    assert_eq!(
        client.get("/handled").await.body,
        "handled without a session"
    );
    assert_eq!(client.get("/untouched").await.status, StatusCode::OK);
    backend.server.restart();
    // The restarted server is empty: the session is gone, but the app serves again at once.
    assert_eq!(client.get("/get/n").await.body, "none");
    client.post("/set/n", "7").await;
    assert_eq!(client.get("/get/n").await.body, "7");
}

#[tokio::test]
async fn redis_that_stops_answering_times_out_with_503() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    // The test store's command timeout is 500 ms; Redis stays silent for 1.5 s.
    backend.server.cmd(&["CLIENT", "PAUSE", "1500", "ALL"]);
    let started = std::time::Instant::now();
    let reply = client.get("/get/n").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "the timeout applied"
    );
    assert!(
        reply.body.contains("did not answer in time"),
        "{}",
        reply.body
    );
    backend.server.cmd(&["CLIENT", "UNPAUSE"]);
    assert_eq!(client.get("/get/n").await.body, "1");
}

#[cfg(feature = "cart")]
#[tokio::test]
async fn a_reply_slower_than_half_a_second_is_awaited_up_to_the_command_timeout() {
    let backend = Redis::start();
    let mut client = client_with_store(&backend, |store| {
        store.command_timeout(Duration::from_secs(3))
    });
    client.post("/cart/add/tea/1", "").await;
    backend.server.cmd(&["CLIENT", "PAUSE", "800", "ALL"]);
    let started = std::time::Instant::now();
    // A cart change is never retried, so only one limit may apply: the command timeout.
    let reply = client.post("/cart/add/tea/1", "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "2");
    assert!(started.elapsed() >= Duration::from_millis(700));
}

#[cfg(feature = "cart")]
#[tokio::test]
async fn a_connection_idle_past_the_trust_window_is_checked_before_use() {
    let mut backend = Redis::start();
    let mut client = client_with_store(&backend, |store| {
        store.trust_recent_connections(Duration::from_millis(100))
    });
    client.post("/cart/add/tea/1", "").await;
    backend.server.restart();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A cart change is never retried: it succeeds only if the dead connection is noticed first.
    let reply = client.post("/cart/add/tea/1", "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "1", "the restarted server is empty");
}

#[tokio::test]
async fn failed_write_back_turns_the_response_into_503() {
    let mut backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let mut slow = client.clone();
    let in_flight = tokio::spawn(async move { slow.post("/slow/late?ms=300", "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    backend.server.stop();
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.set_cookies.is_empty());
    assert_eq!(reply.header("retry-after"), Some("2"));
    assert!(
        reply.body.starts_with("Service Unavailable: "),
        "{}",
        reply.body
    );
    backend.server.restart();
    assert_eq!(client.get("/untouched").await.status, StatusCode::OK);
}

#[tokio::test]
async fn raw_session_id_never_appears_in_logs() {
    let logs = common::LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let mut ids = vec![client.cookie.clone().unwrap()];
    client.post("/cycle", "").await;
    ids.push(client.cookie.clone().unwrap());
    overwrite_record(&backend.server, &session_key(&backend.server), "garbage");
    client.get("/get/n").await;
    client.post("/set/n", "1").await;
    ids.push(client.cookie.clone().unwrap());
    client.post("/delete", "").await;

    let logs = logs.text();
    assert!(
        logs.contains("malformed session record"),
        "the warning is logged"
    );
    for id in ids {
        assert!(!logs.contains(&id), "a session ID was logged");
    }
}

/// A store that reaches the backend's Redis through a round-trip-counting proxy.
async fn counted_client(
    backend: &Redis,
    configure: impl FnOnce(
        tower_redis_session::SessionLayerBuilder,
    ) -> tower_redis_session::SessionLayerBuilder,
) -> (Client, common::proxy::RoundTripCounter) {
    let proxy = common::proxy::RoundTripCounter::start(backend.server.port()).await;
    let store = RedisStore::builder(proxy.url()).build().unwrap();
    (Client::new(app(store, configure)), proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_is_one_round_trip_and_a_change_one_more() {
    let backend = Redis::start();
    let (mut client, proxy) = counted_client(&backend, |b| b).await;
    client.post("/set/n", "0").await;
    client.post("/set/n", "1").await;
    client.get("/get/n").await;
    proxy.take();
    client.get("/get/n").await;
    assert_eq!(proxy.take(), 1, "read");
    client.post("/set/n", "2").await;
    assert_eq!(proxy.take(), 2, "read-modify-write");
    client.get("/untouched").await;
    assert_eq!(proxy.take(), 0, "untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_seen_writes_are_throttled() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/login/alice", "").await;
    let monitor = backend.server.monitor();
    for _ in 0..20 {
        assert_eq!(client.get("/me").await.body, "alice");
    }
    let writes = monitor
        .commands()
        .into_iter()
        .filter(|c| c == "evalsha")
        .count();
    assert_eq!(writes, 0, "20 reads within the interval write nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_seen_is_refreshed_once_the_interval_has_passed() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.last_seen_interval(Duration::from_millis(200))
    }));
    client.post("/login/alice", "").await;
    client.post("/set/scripts", "\"loaded\"").await;
    let monitor = backend.server.monitor();
    for _ in 0..4 {
        client.get("/me").await;
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    client.get("/me").await;
    let writes = monitor
        .commands()
        .into_iter()
        .filter(|c| c == "evalsha")
        .count();
    assert_eq!(writes, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sessions_are_listed_and_signed_out_in_a_few_round_trips() {
    let backend = Redis::start();
    let (client, proxy) = counted_client(&backend, |b| b).await;
    let mut me = client.clone();
    me.post("/login/alice", "me").await;
    for i in 0..999 {
        let mut other = client.clone();
        other.cookie = None;
        other.post("/login/alice", &format!("device {i}")).await;
    }
    proxy.take();

    let started = std::time::Instant::now();
    assert_eq!(me.devices().await.len(), 1000);
    let listing = (proxy.take(), started.elapsed());

    let started = std::time::Instant::now();
    assert_eq!(me.post("/logout-all", "").await.body, "1000");
    let logout_all = (proxy.take(), started.elapsed());

    println!(
        "devices() of 1,000 sessions: {} round trips, {:?}",
        listing.0, listing.1
    );
    println!(
        "logout_all() of 1,000 sessions: {} round trips, {:?}",
        logout_all.0, logout_all.1
    );
    assert!(listing.0 <= 6, "listing took {} round trips", listing.0);
    assert!(
        logout_all.0 <= 6,
        "logout-all took {} round trips",
        logout_all.0
    );
    assert!(
        backend.server.keys().is_empty(),
        "every session and the index are gone"
    );
}

#[tokio::test]
async fn the_user_index_is_one_sorted_set_under_the_users_hash_tag() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/login/alice", "").await;
    let index = &backend.store().index_key("alice");
    assert_eq!(backend.server.int(&["ZCARD", index]), 1);
    assert!(
        backend.server.int(&["PTTL", index]) > 0,
        "the index expires too"
    );
    let handle = backend.server.cmd(&["ZRANGE", index, "0", "-1"]).strings();
    let key = format!("trs:s:{}", handle[0]);
    assert_eq!(backend.server.int(&["EXISTS", &key]), 1);
}

#[cfg(feature = "cart")]
#[tokio::test]
async fn the_cart_ttl_is_set_on_create_and_refreshed_on_change() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.cart(tower_redis_session::CartConfig::default().ttl(Duration::from_secs(600)))
    }));
    client.post("/cart/add/apple/1", "").await;
    let keys = backend.server.keys();
    assert_eq!(keys.len(), 1);
    let cart = &keys[0];
    assert!(cart.starts_with("trs:c:"));
    assert!(backend.server.int(&["PTTL", cart]) > 599_000);
    backend.server.cmd(&["PEXPIRE", cart, "5000"]);
    client.get("/cart").await;
    assert!(
        backend.server.int(&["PTTL", cart]) <= 5000,
        "a read does not refresh"
    );
    client.post("/cart/add/apple/1", "").await;
    assert!(
        backend.server.int(&["PTTL", cart]) > 599_000,
        "a change refreshes"
    );
}

#[cfg(feature = "cart")]
#[tokio::test]
async fn a_users_cart_lives_under_the_users_hash_tag() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/login/alice", "").await;
    client.post("/cart/add/apple/1", "").await;
    let cart = backend
        .store()
        .cart_key(&CartOwner::User("alice".to_owned()));
    let ttl = backend.server.int(&["PTTL", &cart]);
    assert!(ttl > 29 * 24 * 3600 * 1000, "30 days, got {ttl} ms");
}

#[cfg(feature = "cart")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_cart_operation_is_one_round_trip() {
    let backend = Redis::start();
    let (mut client, proxy) = counted_client(&backend, |b| b).await;
    client.post("/cart/add/apple/1", "").await;
    proxy.take();
    for path in [
        "/cart/add/apple/2",
        "/cart/set/apple/5",
        "/cart/decr/apple/1",
        "/cart/remove/apple",
        "/cart/clear",
    ] {
        client.post(path, "").await;
        assert_eq!(proxy.take(), 1, "{path}");
    }
    client.get("/cart").await;
    assert_eq!(proxy.take(), 1, "reading the lines");
}

#[cfg(feature = "remember-me")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_holds_no_remember_me_validator_or_cookie_in_clear() {
    let backend = Redis::start();
    let mut browser = Client::new(app(backend.store(), |b| b));
    browser.post("/login-remember/alice", "").await;
    let issued = browser.remember.clone().unwrap();
    browser.cookie = None;
    browser.get("/me").await;
    let rotated = browser.remember.clone().unwrap();
    let session = browser.cookie.clone().unwrap();
    let mut dump = String::new();
    for key in backend.server.keys() {
        dump.push_str(&key);
        let value = match backend.server.cmd(&["TYPE", &key]) {
            common::server::Reply::Status(kind) if kind == "hash" => {
                backend.server.cmd(&["HGETALL", &key])
            }
            common::server::Reply::Status(kind) if kind == "zset" => {
                backend.server.cmd(&["ZRANGE", &key, "0", "-1"])
            }
            _ => backend.server.cmd(&["GET", &key]),
        };
        dump.push_str(&value.strings().join(" "));
    }
    for secret in [&issued, &rotated, &session] {
        let validator = secret.split('.').next_back().unwrap();
        assert!(!dump.contains(validator), "a secret is stored in clear");
    }
    assert!(
        dump.contains(issued.split('.').next().unwrap()),
        "the selector is the lookup key"
    );
}

#[cfg(feature = "remember-me")]
#[tokio::test]
async fn a_malformed_remember_cookie_sends_no_redis_command() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    let monitor = backend.server.monitor();
    for value in [
        "garbage",
        "x.y",
        &format!("{}.{}", "*".repeat(22), "A".repeat(43)),
    ] {
        client.remember = Some(value.to_owned());
        assert_eq!(client.get("/me").await.body, "anonymous");
    }
    assert!(monitor.commands().is_empty());
}

#[tokio::test]
async fn revocations_can_wait_for_a_replica() {
    let backend = Redis::start();
    let mut client = client_with_store(&backend, |store| {
        store.wait_for_replica(Duration::from_millis(50))
    });
    client.post("/login/alice", "").await;
    let monitor = backend.server.monitor();
    client.post("/logout", "").await;
    assert!(monitor.commands().contains(&"wait".to_owned()));

    let mut plain = Client::new(app(backend.store(), |b| b));
    plain.post("/login/bob", "").await;
    let monitor = backend.server.monitor();
    plain.post("/logout", "").await;
    assert!(!monitor.commands().contains(&"wait".to_owned()));
}

/// `WAIT` waits only for what its own connection wrote, so it goes behind the revocation in one
/// pipeline: on the same connection, and in no round trip of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_waits_for_a_replica_on_its_own_connection() {
    let backend = Redis::start();
    let mut round_trips = Vec::new();
    for wait in [None, Some(Duration::from_millis(20))] {
        let proxy = common::proxy::RoundTripCounter::start(backend.server.port()).await;
        let mut store = RedisStore::builder(proxy.url());
        if let Some(wait) = wait {
            store = store.wait_for_replica(wait);
        }
        let mut client = Client::new(app(store.build().unwrap(), |b| b));
        client.post("/login/alice", "").await;
        let monitor = backend.server.monitor();
        proxy.take();
        assert_eq!(client.post("/logout", "").await.body, "true");
        round_trips.push(proxy.take());
        let lines = monitor.lines();
        let client_of = |name: &str| {
            let line = lines.iter().find(|line| line.contains(name))?;
            line.split(['[', ']']).nth(1).map(str::to_owned)
        };
        if wait.is_some() {
            assert!(client_of("\"WAIT\"").is_some(), "{lines:?}");
            assert_eq!(client_of("\"WAIT\""), client_of("\"DEL\""), "{lines:?}");
        }
    }
    assert_eq!(round_trips[0], round_trips[1], "no round trip for WAIT");
}

#[tokio::test]
async fn no_user_id_appears_in_a_key_name() {
    let backend = Redis::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/login/alice%40example.com", "").await;
    #[cfg(feature = "cart")]
    client.post("/cart/add/apple/1", "").await;
    #[cfg(feature = "remember-me")]
    client.post("/login-remember/alice%40example.com", "").await;
    let keys = backend.server.cmd(&["KEYS", "*"]).strings();
    assert!(
        keys.iter().any(|key| key.starts_with("trs:u:{")),
        "{keys:?}"
    );
    assert!(!keys.iter().any(|key| key.contains("alice")), "{keys:?}");
}

#[tokio::test]
async fn every_key_of_a_user_shares_one_hash_tag() {
    let store = Redis::start().store();
    let owner = "{a}b@example.com";
    let tag = |key: String| {
        key.split_once('{')
            .and_then(|(_, rest)| rest.split_once('}'))
            .map(|(tag, _)| tag.to_owned())
    };
    let index = tag(store.index_key(owner)).expect("a hash tag");
    assert_eq!(index.len(), 22, "base64url of 128 bits");
    assert_eq!(tag(store.generation_key(owner)), Some(index.clone()));
    #[cfg(feature = "remember-me")]
    assert_eq!(tag(store.token_index_key(owner)), Some(index.clone()));
    #[cfg(feature = "cart")]
    assert_eq!(
        tag(store.cart_key(&CartOwner::User(owner.to_owned()))),
        Some(index)
    );
}

/// The extractor's rejection and a failed write-back both go through the layer's renderer, as
/// JSON for a client that accepts it.
#[tokio::test]
async fn a_store_outage_is_rendered_by_the_layers_renderer() {
    let mut backend = Redis::start();
    let app = app(backend.store(), |b| {
        b.render_failure(|failure| {
            let mut response = failure.default_response();
            *response.body_mut() =
                format!("custom {} json={}", failure.code(), failure.wants_json()).into();
            response
        })
    });
    let mut client = Client::new(app);
    client
        .headers
        .push(("accept", "application/json".to_owned()));
    client.post("/set/n", "1").await;
    let mut slow = client.clone();
    let in_flight = tokio::spawn(async move { slow.post("/slow/late?ms=300", "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    backend.server.stop();
    let write_back = in_flight.await.unwrap();
    assert_eq!(write_back.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(write_back.body, "custom session_unavailable json=true");
    let rejection = client.get("/get/n").await;
    assert_eq!(rejection.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(rejection.body, "custom session_unavailable json=true");
    assert_eq!(rejection.header("retry-after"), Some("2"));
}

#[tokio::test]
async fn touch_is_one_pexpireat_and_reads_nothing() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let key = session_key(&backend.server);
    backend.server.cmd(&["PEXPIRE", &key, "5000"]);
    let monitor = backend.server.monitor();
    assert_eq!(client.post("/touch", "").await.body, "true");
    assert_eq!(monitor.commands(), ["pexpireat"], "one command");
    assert!(backend.server.int(&["PTTL", &key]) > 29 * 60 * 1000);
}

#[cfg(feature = "flash")]
#[tokio::test]
async fn reading_flash_messages_when_none_wait_sends_no_redis_command() {
    let backend = Redis::start();
    let mut client = warm_client(&backend).await;
    let monitor = backend.server.monitor();
    assert_eq!(client.get("/flash").await.body, "");
    let lines = monitor.lines();
    assert!(lines.is_empty(), "{lines:?}");

    client.post("/flash/info", "hello").await;
    let monitor = backend.server.monitor();
    assert_eq!(client.get("/flash").await.body, "info: hello");
    assert_eq!(monitor.lines().len(), 2, "one load, one write");
}

#[cfg(feature = "dbsc")]
#[tokio::test]
async fn a_device_bound_refresh_without_a_session_costs_at_most_one_redis_command() {
    let backend = Redis::start();
    let client = warm_client(&backend).await;
    let dbsc = tower_redis_session::DbscConfig::default();
    let mut flood = Client::new(app(backend.store(), |b| b.dbsc(dbsc)));
    flood
        .headers
        .push(("sec-secure-session-id", "\"forged\"".to_owned()));
    let monitor = backend.server.monitor();
    let ended = flood.post("/dbsc/refresh", "").await;
    assert_eq!(ended.status, StatusCode::OK);
    assert!(ended.body.contains("\"continue\":false"), "{}", ended.body);
    let lines = monitor.lines();
    assert!(lines.is_empty(), "no session cookie, no command: {lines:?}");

    // A session that is not bound (or not this identifier's): its load is the one command.
    flood.cookie.clone_from(&client.cookie);
    let monitor = backend.server.monitor();
    let ended = flood.post("/dbsc/refresh", "").await;
    assert!(ended.body.contains("\"continue\":false"), "{}", ended.body);
    assert_eq!(monitor.lines().len(), 1, "{:?}", monitor.lines());
}
