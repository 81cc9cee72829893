//! The Redis store and the server's memory configuration: a server that may evict keys is
//! refused (or, where allowed, warned about), and a server that is full keeps reads and
//! sign-outs working.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::LogBuffer;
use common::server::{RedisServer, Reply};
use tower_redis_session::deadpool_redis::{self, redis};
use tower_redis_session::test_kit::{Client, app};
use tower_redis_session::{RedisStore, RedisStoreBuilder, StoreError};

fn store(
    server: &RedisServer,
    configure: impl FnOnce(RedisStoreBuilder) -> RedisStoreBuilder,
) -> RedisStore {
    configure(RedisStore::builder(server.url()).command_timeout(Duration::from_secs(1)))
        .build()
        .expect("a store")
}

/// Collects what the store logs at `level` and above while the guard lives.
fn capture(level: tracing::Level) -> (LogBuffer, tracing::subscriber::DefaultGuard) {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(move || writer.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn the_check_passes_on_a_server_that_never_evicts() {
    let server = RedisServer::start();
    store(&server, |b| b)
        .check()
        .await
        .expect("noeviction is safe");
}

#[tokio::test]
async fn the_check_names_an_evicting_policy_and_the_fix() {
    for policy in ["allkeys-lru", "volatile-lru"] {
        let server = RedisServer::start_with(&["--maxmemory-policy", policy]);
        let error = store(&server, |b| b).check().await.unwrap_err();
        assert!(
            matches!(&error, StoreError::EvictionPolicy { policy: named, .. } if named == policy),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(policy), "{message}");
        assert!(message.contains("maxmemory-policy noeviction"), "{message}");
    }
}

#[tokio::test]
async fn the_check_of_a_server_that_does_not_answer_says_unavailable() {
    let mut server = RedisServer::start();
    server.stop();
    let error = store(&server, |b| b).check().await.unwrap_err();
    assert!(
        matches!(error, StoreError::Unavailable(_) | StoreError::Timeout(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn requests_on_an_evicting_server_fail_with_the_typed_error() {
    let (logs, _guard) = capture(tracing::Level::ERROR);
    let server = RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"]);
    let mut client = Client::new(app(store(&server, |b| b), |b| b));
    let reply = client.post("/set/n", "1").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        logs.text().contains("maxmemory-policy noeviction"),
        "the cause is logged"
    );
    assert!(server.keys().is_empty(), "nothing was written");
}

#[tokio::test]
async fn an_allowed_evicting_server_is_used_with_one_warning_per_connection() {
    let (logs, _guard) = capture(tracing::Level::WARN);
    let server = RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"]);
    let store = store(&server, |b| b.allow_eviction(true).pool_size(1));
    store.check().await.expect("allowed");
    let mut client = Client::new(app(store, |b| b));
    for n in 0..5 {
        client.post("/set/n", &n.to_string()).await;
    }
    assert_eq!(client.get("/get/n").await.body, "4");
    let warnings = logs.text().matches("allowed by allow_eviction").count();
    assert_eq!(warnings, 1, "{}", logs.text());
}

#[tokio::test]
async fn a_policy_turned_evicting_later_is_logged_at_error_once_per_connection() {
    let (logs, _guard) = capture(tracing::Level::ERROR);
    let server = RedisServer::start();
    // Every checkout rechecks a pooled connection: no trust window.
    let store = store(&server, |b| {
        b.trust_recent_connections(Duration::ZERO).pool_size(1)
    });
    let mut client = Client::new(app(store, |b| b));
    client.post("/set/n", "1").await;
    assert!(logs.text().is_empty(), "{}", logs.text());
    assert_eq!(
        server.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]),
        Reply::Status("OK".into())
    );
    for n in 0..5 {
        assert_eq!(
            client.post("/set/n", &n.to_string()).await.status,
            StatusCode::OK
        );
    }
    let errors = logs.text().matches("now can evict").count();
    assert_eq!(errors, 1, "{}", logs.text());
}

#[cfg(feature = "remember-me")]
/// Leaves the server full: its memory limit set below what it already uses, so it refuses
/// every command that may need more (filling it with data leaves it hovering at the limit, with
/// small writes slipping through whenever a connection closes and frees its buffers).
fn fill(server: &RedisServer) {
    let info = server.cmd(&["INFO", "memory"]).strings().concat();
    let used: u64 = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|used| used.trim().parse().ok())
        .expect("used_memory in INFO");
    let limit = (used - used / 4).to_string();
    assert_eq!(
        server.cmd(&["CONFIG", "SET", "maxmemory", &limit]),
        Reply::Status("OK".into())
    );
    assert!(
        matches!(server.cmd(&["SET", "probe", "x"]), Reply::Error(_)),
        "full"
    );
}

#[cfg(feature = "remember-me")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_refuses_writes_with_503_and_still_reads_and_signs_out() {
    let server = RedisServer::start();
    let base = Client::new(app(store(&server, |b| b), |b| b));
    let mut laptop = base.clone();
    laptop.post("/login-remember/alice", "laptop").await;
    let mut phone = base.clone();
    phone.cookie = None;
    phone.remember = None;
    phone.post("/login-remember/alice", "phone").await;
    fill(&server);

    assert_eq!(laptop.get("/me").await.body, "alice", "reads work");
    let write = laptop.post("/set/n", "1").await;
    assert_eq!(
        write.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "writes are refused"
    );
    assert_eq!(
        laptop.post("/logout-all", "").await.body,
        "2",
        "sign-out works"
    );
    assert_eq!(phone.get("/me").await.body, "anonymous");
    phone.cookie = None;
    assert_eq!(
        phone.get("/me").await.body,
        "anonymous",
        "the token is revoked too"
    );
}

fn refusal(builder: RedisStoreBuilder) -> String {
    match builder.build() {
        Err(StoreError::Config(what)) => what,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[test]
fn a_malformed_url_is_a_configuration_error_that_hides_the_password() {
    let what = refusal(RedisStore::builder("http://admin:hunter2@cache:6379"));
    assert!(what.contains("is not a Redis URL"), "{what}");
    assert!(what.contains("admin:***@cache"), "{what}");
    assert!(!what.contains("hunter2"), "{what}");
}

#[cfg(not(any(feature = "tls-rustls", feature = "tls-native-tls")))]
#[test]
fn a_tls_url_says_which_feature_it_needs() {
    let what = refusal(RedisStore::builder("rediss://cache:6380"));
    assert!(what.contains("tls-rustls"), "{what}");
}

#[test]
fn settings_that_cannot_work_are_refused_at_build() {
    let url = "redis://127.0.0.1:1";
    let zero_pool = refusal(RedisStore::builder(url).pool_size(0));
    assert!(zero_pool.contains("pool size"), "{zero_pool}");
    let zero_timeout = refusal(RedisStore::builder(url).command_timeout(Duration::ZERO));
    assert!(zero_timeout.contains("timeout"), "{zero_timeout}");
    let braces = refusal(RedisStore::builder(url).key_prefix("app{1}:"));
    assert!(braces.contains("hash tags"), "{braces}");
}

#[test]
fn a_server_that_is_down_is_no_configuration_error() {
    assert!(RedisStore::builder("redis://127.0.0.1:1").build().is_ok());
}

/// Signs in, stores a value and reads it back through `store`.
async fn round_trip(store: RedisStore) {
    let mut browser = Client::new(app(store, |b| b));
    browser.post("/login/alice", "").await;
    browser.post("/set/n", "1").await;
    assert_eq!(browser.get("/get/n").await.body, "1");
    assert_eq!(browser.get("/me").await.body, "alice");
}

#[tokio::test]
async fn a_deadpool_config_is_handed_over_with_its_pool_size() {
    let server = RedisServer::start();
    let mut config = deadpool_redis::Config::from_url(server.url());
    config.pool = Some(deadpool_redis::PoolConfig::new(3));
    let store = RedisStore::from_config(config).build().expect("a store");
    assert!(format!("{store:?}").contains("max_size: 3"), "{store:?}");
    round_trip(store).await;
}

#[tokio::test]
async fn a_deadpool_connection_info_keeps_its_password_and_database() {
    let server = RedisServer::start();
    server.cmd(&["CONFIG", "SET", "requirepass", "hunter2"]);
    let connection = deadpool_redis::ConnectionInfo {
        addr: deadpool_redis::ConnectionAddr::Tcp("127.0.0.1".to_owned(), server.port()),
        redis: deadpool_redis::RedisConnectionInfo {
            db: 3,
            password: Some("hunter2".to_owned()),
            ..Default::default()
        },
    };
    let store = RedisStore::from_config(deadpool_redis::Config::from_connection_info(connection))
        .build()
        .expect("a store");
    round_trip(store).await;
    let keyspace = keyspace(&server);
    assert!(keyspace.contains("db3:keys="), "{keyspace}");
    assert!(!keyspace.contains("db0:"), "{keyspace}");
}

/// The server's `INFO keyspace`, asked with its password.
fn keyspace(server: &RedisServer) -> String {
    let url = format!("redis://:hunter2@127.0.0.1:{}", server.port());
    let client = redis::Client::open(url).expect("a client");
    let mut connection = client.get_connection().expect("a connection");
    redis::cmd("INFO")
        .arg("keyspace")
        .query(&mut connection)
        .expect("INFO keyspace")
}

#[test]
fn a_deadpool_config_with_both_a_url_and_a_connection_is_refused() {
    let mut config = deadpool_redis::Config::from_url("redis://127.0.0.1:1");
    config.connection = Some(deadpool_redis::ConnectionInfo::default());
    let what = refusal(RedisStore::from_config(config));
    assert!(what.contains("either `url` or `connection`"), "{what}");
}

#[tokio::test]
async fn a_handed_over_client_checks_out_connections_without_a_ping() {
    let server = RedisServer::start();
    let client = redis::Client::open(server.url()).expect("a client");
    let store = RedisStore::from_client(client).build().expect("a store");
    let monitor = server.monitor();
    round_trip(store).await;
    let commands = monitor.commands();
    assert!(!commands.is_empty());
    assert!(!commands.iter().any(|c| c == "ping"), "{commands:?}");
}

#[test]
fn a_builders_debug_output_hides_the_password() {
    let builder = RedisStore::builder("redis://admin:hunter2@cache:6379");
    let shown = format!("{builder:?}");
    assert!(shown.contains("admin:***@cache"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

/// A loopback address nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// What `check` says of the server at `url`.
async fn check_of(url: String) -> String {
    let store = RedisStore::builder(url)
        .command_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    store.check().await.unwrap_err().to_string()
}

#[tokio::test]
async fn a_store_that_cannot_connect_names_the_server_and_the_cause_but_not_the_password() {
    let port = closed_port();
    let error = check_of(format!("redis://app:s3cret@127.0.0.1:{port}/0")).await;
    assert_eq!(
        error,
        format!(
            "session store unavailable: could not connect to Redis at 127.0.0.1:{port}: \
             connection refused"
        )
    );
}

#[tokio::test]
async fn a_server_that_is_not_redis_is_named_as_such() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // An HTTP server: whatever it is sent, it answers 400 and hangs up.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    let error = check_of(format!("redis://127.0.0.1:{port}")).await;
    assert_eq!(
        error,
        format!(
            "session store unavailable: Redis at 127.0.0.1:{port} is not a Redis server (its reply is not RESP)"
        )
    );
}
