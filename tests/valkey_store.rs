//! The conformance suite against Valkey 8.1+, where the Redis store updates small records with
//! one native compare-and-set (`SET … IFEQ`) instead of `update.lua`, plus what that write
//! itself promises; and the suite again with the local cache on.

mod common;

use common::Valkey;

tower_redis_session::conformance_suite!(Valkey);

/// The same, with the local cache on: Valkey's client tracking keeps the copies current.
#[cfg(feature = "local-cache")]
mod with_the_local_cache {
    use std::time::Duration;

    use super::common::server::RedisServer;
    use tower_redis_session::test_kit::Backend;
    use tower_redis_session::{LocalCacheConfig, RedisStore};

    struct CachedValkey {
        _server: RedisServer,
        store: RedisStore,
    }

    impl Backend for CachedValkey {
        type Store = RedisStore;

        fn start() -> Self {
            let server = RedisServer::start_valkey();
            let store = RedisStore::builder(server.url())
                .command_timeout(Duration::from_millis(500))
                .local_cache(LocalCacheConfig::default())
                .build()
                .expect("a store on Valkey with a local cache");
            Self {
                _server: server,
                store,
            }
        }

        fn store(&self) -> RedisStore {
            self.store.clone()
        }
    }

    tower_redis_session::conformance_suite!(CachedValkey);
}

use common::server::{RedisServer, command_name};
use tower_redis_session::test_kit::{Backend, Client, app};

/// A client that has stored `n = 1`, with its connection warm and `update.lua` loaded (by
/// removing a value that made the record too long for `SET … IFEQ`).
async fn warm_client(backend: &Valkey) -> Client {
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/set/n", "0").await;
    client.post("/set/n", "1").await;
    client.post("/set/big", &big_value()).await;
    client.post("/remove/big", "").await;
    client
}

/// A JSON value that makes a record longer than 1 KiB.
fn big_value() -> String {
    format!("\"{}\"", "x".repeat(1100))
}

fn server(backend: &Valkey) -> &RedisServer {
    &backend.0.server
}

fn stored_record(backend: &Valkey) -> String {
    let keys = server(backend).keys();
    assert_eq!(keys.len(), 1, "expected one session record, found {keys:?}");
    server(backend).cmd(&["GET", &keys[0]]).strings().concat()
}

#[tokio::test]
async fn an_update_is_one_set_ifeq_and_runs_no_script() {
    let backend = Valkey::start();
    let mut client = warm_client(&backend).await;
    let before = stored_record(&backend);
    let monitor = server(&backend).monitor();
    client.post("/set/n", "2").await;
    let lines = monitor.lines();
    assert_eq!(monitor_commands(&lines), ["getex", "set"], "{lines:?}");
    assert!(
        lines[1].contains(&format!(" \"IFEQ\" \"{before}\" \"KEEPTTL\"")),
        "written only if still as loaded, the expiry kept: {}",
        lines[1]
    );
    assert!(monitor.script_lines().is_empty(), "no script ran");
    assert_eq!(client.get("/get/n").await.body, "2");
}

#[tokio::test]
async fn an_update_that_finds_the_record_changed_meanwhile_keeps_both_changes() {
    let backend = Valkey::start();
    let client = warm_client(&backend).await;
    let monitor = server(&backend).monitor();
    let mut client = client.race_a_late_write().await;
    let commands = monitor_commands(&monitor.lines());
    assert_eq!(
        commands,
        ["getex", "getex", "set", "set", "evalsha"],
        "the late compare fails, and the script adds the late change"
    );
    assert_eq!(client.get("/get/meanwhile").await.body, "1");
    assert_eq!(client.get("/get/late").await.body, "\"late\"");
}

#[tokio::test]
async fn an_update_of_a_record_over_1_kib_runs_the_script_with_the_change_alone() {
    let backend = Valkey::start();
    let mut client = warm_client(&backend).await;
    client.post("/set/big", &big_value()).await;
    let monitor = server(&backend).monitor();
    client.post("/set/n", "2").await;
    let lines = monitor.lines();
    assert_eq!(monitor_commands(&lines), ["getex", "evalsha"], "{lines:?}");
    assert!(!lines[1].contains("xxxx"), "the unchanged value was sent");
    assert_eq!(client.get("/get/n").await.body, "2");
}

#[tokio::test]
async fn a_record_due_for_compaction_is_written_compacted_with_set_ifeq() {
    let backend = Valkey::start();
    let mut client = warm_client(&backend).await;
    let monitor = server(&backend).monitor();
    let mut compactions = 0;
    for n in 2..40 {
        client.post("/set/n", &n.to_string()).await;
        let write = monitor.lines().pop().unwrap_or_default();
        let stored = stored_record(&backend);
        if !stored.contains('|') {
            compactions += 1;
            assert!(
                write.contains("\"SET\" \"trs:s:")
                    && write.contains(&format!(" \"{stored}\" \"IFEQ\" ")),
                "the writer sent the compacted record: {write}"
            );
        }
    }
    assert!(compactions > 0, "no write compacted the record");
    assert_eq!(client.get("/get/n").await.body, "39");
}

/// The names of the commands in MONITOR lines.
fn monitor_commands(lines: &[String]) -> Vec<String> {
    lines.iter().filter_map(|line| command_name(line)).collect()
}
