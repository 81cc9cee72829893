//! The handlers under test: the same work served bare, over raw Redis, through our layer and
//! through tower-sessions.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName};
use axum::routing::{get, post};
use deadpool_redis::redis::AsyncCommands;
use deadpool_redis::redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

/// About 200 bytes of JSON: what a typical signed-in session holds.
#[derive(Clone, Serialize, Deserialize)]
pub struct Profile {
    pub user_id: u64,
    pub name: String,
    pub email: String,
    pub theme: String,
    pub language: String,
    pub roles: Vec<String>,
    pub csrf: String,
}

impl Profile {
    pub fn sample(n: u64) -> Self {
        Self {
            user_id: n,
            name: format!("User Number {n}"),
            email: format!("user{n}@example.com"),
            theme: "dark".into(),
            language: "en-GB".into(),
            roles: vec!["customer".into(), "newsletter".into()],
            csrf: "3q2-7wEjG2fX1mJ0a9Y8sPqLkR4tUvWx".into(),
        }
    }
}

impl Profile {
    /// The profile as separate session keys, each value small.
    pub fn fields(&self) -> Vec<(&'static str, serde_json::Value)> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => {
                let names = [
                    "user_id", "name", "email", "theme", "language", "roles", "csrf",
                ];
                names
                    .into_iter()
                    .filter_map(|name| Some((name, map.get(name)?.clone())))
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Which session work a route does.
#[derive(Clone, Copy)]
pub enum Work {
    Untouched,
    Read,
    ReadModifyWrite,
}

pub fn bare() -> Router {
    Router::new().route("/", get(|| async { "ok" }))
}

/// The bare handler behind a layer that does nothing: what axum's `Router::layer` costs.
pub fn bare_behind_empty_layer() -> Router {
    bare().layer(tower::layer::layer_fn(|service| service))
}

async fn multiplexed(url: &str) -> MultiplexedConnection {
    let client = deadpool_redis::redis::Client::open(url).expect("redis url");
    client
        .get_multiplexed_async_connection()
        .await
        .expect("connect")
}

pub async fn floor_multiplexed(url: &str) -> Router {
    let conn = multiplexed(url).await;
    async fn handler(State(mut conn): State<MultiplexedConnection>) -> String {
        let value: Option<String> = conn.get("bench:floor").await.unwrap_or(None);
        value.map_or(0, |v| v.len()).to_string()
    }
    Router::new().route("/", get(handler)).with_state(conn)
}

/// The least work any session read that slides the expiry must do, written straight into a
/// handler with no layer: find the cookie, `GETEX` its record with a new deadline, decode the
/// value. No implementation can beat it, so it bounds what the ratios to tower-sessions can be.
pub async fn ideal_sliding_read(url: &str) -> Router {
    #[derive(Deserialize)]
    struct Record {
        profile: Profile,
    }
    async fn read(State(mut conn): State<MultiplexedConnection>, headers: HeaderMap) -> String {
        match ideal_load::<Record>(&mut conn, &headers).await {
            Some((_, record)) => record.profile.name,
            None => "none".into(),
        }
    }
    ideal_app(url, read).await
}

/// The least work any read served from a local copy must do, written straight into a handler
/// with no layer: find the cookie, look its record up in a map of this process, decode the value.
/// A miss reads the record with `GET` and keeps it. It keeps nothing safe: no copy is ever
/// dropped (a sign-out elsewhere is never seen) and the expiry never slides. It bounds what any
/// local cache, however coherent, can reach.
pub async fn ideal_cached_read(url: &str) -> Router {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    type Copies = Arc<Mutex<HashMap<String, Arc<[u8]>>>>;
    #[derive(Deserialize)]
    struct Record {
        profile: Profile,
    }
    async fn read(
        State((mut conn, copies)): State<(MultiplexedConnection, Copies)>,
        headers: HeaderMap,
    ) -> String {
        let Some(id) = cookie_id(&headers) else {
            return "none".into();
        };
        let key = format!("bench:ideal:{id}");
        let kept = copies.lock().ok().and_then(|map| map.get(&key).cloned());
        let record = match kept {
            Some(record) => record,
            None => {
                let read: Option<Vec<u8>> = conn.get(&key).await.ok().flatten();
                let Some(read) = read else {
                    return "none".into();
                };
                let record: Arc<[u8]> = read.into();
                if let Ok(mut map) = copies.lock() {
                    map.insert(key, Arc::clone(&record));
                }
                record
            }
        };
        match serde_json::from_slice::<Record>(&record) {
            Ok(record) => record.profile.name,
            Err(_) => "none".into(),
        }
    }
    let conn = multiplexed(url).await;
    let copies = Copies::default();
    Router::new()
        .route("/login", post(ideal_login).with_state(conn.clone()))
        .route("/", get(read).with_state((conn, copies)))
}

/// The least work any read-modify-write that slides the expiry must do, written straight into a
/// handler with no layer: `GETEX` the record, bump the counter (the profile passes through
/// undecoded), and `SET` the whole record back. It guards against nothing (a concurrent request's
/// change is lost, and a record deleted meanwhile only stays deleted thanks to `XX`), so it
/// bounds from above what any correct write can reach.
pub async fn ideal_read_modify_write(url: &str) -> Router {
    use serde_json::value::RawValue;
    #[derive(Serialize, Deserialize)]
    struct Record {
        profile: Box<RawValue>,
        counter: u64,
    }
    async fn rmw(State(mut conn): State<MultiplexedConnection>, headers: HeaderMap) -> String {
        let Some((key, mut record)) = ideal_load::<Record>(&mut conn, &headers).await else {
            return "none".into();
        };
        record.counter += 1;
        let Ok(bytes) = serde_json::to_vec(&record) else {
            return "none".into();
        };
        let _: Result<Option<String>, _> = deadpool_redis::redis::cmd("SET")
            .arg(key)
            .arg(bytes)
            .arg("XX")
            .arg("KEEPTTL")
            .query_async(&mut conn)
            .await;
        record.counter.to_string()
    }
    ideal_app(url, rmw).await
}

/// The least work a read-modify-write that loses no concurrent change can do on Redis 7.0,
/// written straight into a handler with no layer: `GETEX` the record, bump the counter, and write
/// the whole record back with a compare-and-set script, which writes only if the record still
/// holds what was read (Redis 7.0 has no native compare-and-set). A real implementation would
/// reload and retry on a conflict; this one leaves it, as the benchmark's sessions seldom meet.
/// It bounds from above what any write that keeps concurrent changes can reach here.
pub async fn ideal_atomic_read_modify_write(url: &str) -> Router {
    use deadpool_redis::redis::Script;
    static COMPARE_AND_SET: std::sync::LazyLock<Script> = std::sync::LazyLock::new(|| {
        Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then \
               redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end return 0",
        )
    });
    async fn rmw(State(mut conn): State<MultiplexedConnection>, headers: HeaderMap) -> String {
        let Some((key, loaded)) = ideal_load_bytes(&mut conn, &headers).await else {
            return "none".into();
        };
        let Some((bytes, counter)) = bumped(&loaded) else {
            return "none".into();
        };
        let _: Result<i64, _> = COMPARE_AND_SET
            .key(key)
            .arg(&loaded)
            .arg(bytes)
            .invoke_async(&mut conn)
            .await;
        counter.to_string()
    }
    ideal_app(url, rmw).await
}

/// The least work a read-modify-write that loses no concurrent change can do on a server with a
/// native compare-and-set (`SET … IFEQ`: Valkey 8.1+, Redis 8.4+), written straight into a handler
/// with no layer: `GETEX` the record, bump the counter, and `SET` the whole record back only if it
/// still holds what was read.
pub async fn ideal_native_cas_read_modify_write(url: &str) -> Router {
    async fn rmw(State(mut conn): State<MultiplexedConnection>, headers: HeaderMap) -> String {
        let Some((key, loaded)) = ideal_load_bytes(&mut conn, &headers).await else {
            return "none".into();
        };
        let Some((bytes, counter)) = bumped(&loaded) else {
            return "none".into();
        };
        let _: Result<Option<String>, _> = deadpool_redis::redis::cmd("SET")
            .arg(key)
            .arg(bytes)
            .arg("IFEQ")
            .arg(&loaded)
            .arg("KEEPTTL")
            .query_async(&mut conn)
            .await;
        counter.to_string()
    }
    ideal_app(url, rmw).await
}

/// For the atomic ideal writes: the record `loaded` holds with its counter bumped (the profile
/// passes through undecoded), encoded, and the new count.
fn bumped(loaded: &[u8]) -> Option<(Vec<u8>, u64)> {
    #[derive(Serialize, Deserialize)]
    struct Record<'a> {
        #[serde(borrow)]
        profile: &'a serde_json::value::RawValue,
        counter: u64,
    }
    let mut record = serde_json::from_slice::<Record>(loaded).ok()?;
    record.counter += 1;
    Some((serde_json::to_vec(&record).ok()?, record.counter))
}

/// An ideal variant's app: `/login`, and its handler at `/`, over one multiplexed connection.
async fn ideal_app<H, T>(url: &str, handler: H) -> Router
where
    H: axum::handler::Handler<T, MultiplexedConnection>,
    T: 'static,
{
    Router::new()
        .route("/login", post(ideal_login))
        .route("/", get(handler))
        .with_state(multiplexed(url).await)
}

const IDEAL_IDLE_MS: u64 = 30 * 60 * 1000;

/// Stores a new record for the ideal handlers (the profile and a counter, as one JSON document)
/// and sets its cookie.
async fn ideal_login(
    State(mut conn): State<MultiplexedConnection>,
) -> ([(HeaderName, String); 1], &'static str) {
    let n = rand_n();
    let id = format!("{n:0>51}");
    let profile = serde_json::to_string(&Profile::sample(n)).expect("encode");
    let record = format!(r#"{{"profile":{profile},"counter":0}}"#);
    let _: Result<(), _> = conn
        .pset_ex(format!("bench:ideal:{id}"), record, IDEAL_IDLE_MS)
        .await;
    ([(SET_COOKIE, format!("id={id}"))], "ok")
}

/// For the ideal handlers: the key the request's `id` cookie names and its record, decoded,
/// read with `GETEX` that slides its expiry.
async fn ideal_load<T: serde::de::DeserializeOwned>(
    conn: &mut MultiplexedConnection,
    headers: &HeaderMap,
) -> Option<(String, T)> {
    let (key, record) = ideal_load_bytes(conn, headers).await?;
    Some((key, serde_json::from_slice(&record).ok()?))
}

/// As [`ideal_load`], with the record as stored.
async fn ideal_load_bytes(
    conn: &mut MultiplexedConnection,
    headers: &HeaderMap,
) -> Option<(String, Vec<u8>)> {
    let key = format!("bench:ideal:{}", cookie_id(headers)?);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    let record: Option<Vec<u8>> = deadpool_redis::redis::cmd("GETEX")
        .arg(&key)
        .arg("PXAT")
        .arg(now + IDEAL_IDLE_MS)
        .query_async(conn)
        .await
        .ok()?;
    Some((key, record?))
}

/// The ID in the request's `id` cookie, for the ideal handlers.
fn cookie_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(COOKIE)?
        .to_str()
        .ok()?
        .split(';')
        .find_map(|pair| pair.trim().strip_prefix("id="))
}

pub fn floor_default_pool(url: &str) -> Router {
    let pool = deadpool_redis::Config::from_url(url)
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .expect("pool");
    async fn handler(State(pool): State<deadpool_redis::Pool>) -> String {
        let Ok(mut conn) = pool.get().await else {
            return "no connection".into();
        };
        let value: Option<String> = conn.get("bench:floor").await.unwrap_or(None);
        value.map_or(0, |v| v.len()).to_string()
    }
    Router::new().route("/", get(handler)).with_state(pool)
}

pub fn ours(url: &str, work: Work) -> Router {
    ours_with(
        tower_redis_session::RedisStore::builder(url),
        work,
        |layer| layer,
    )
}

/// Ours with the local cache: a read of a session this server has read before sends no command
/// while its copy is known current.
#[cfg(feature = "local-cache")]
pub fn ours_cached(url: &str, work: Work) -> Router {
    let store = tower_redis_session::RedisStore::builder(url)
        .local_cache(tower_redis_session::LocalCacheConfig::default());
    ours_with(store, work, |layer| layer)
}

/// Ours over `store`, its layer configured by `configure` besides.
pub fn ours_with(
    store: tower_redis_session::RedisStoreBuilder,
    work: Work,
    configure: impl FnOnce(
        tower_redis_session::SessionLayerBuilder,
    ) -> tower_redis_session::SessionLayerBuilder,
) -> Router {
    use tower_redis_session::{Session, SessionLayer};
    let store = store.build().expect("store");
    let layer = configure(SessionLayer::builder(store).secure(false))
        .build()
        .expect("layer");
    async fn login(session: Session) -> &'static str {
        let n = rand_n();
        session.insert("profile", &Profile::sample(n)).await.ok();
        session.insert("counter", &0u64).await.ok();
        "ok"
    }
    async fn read(session: Session) -> String {
        match session.get::<Profile>("profile").await {
            Ok(Some(profile)) => profile.name,
            _ => "none".into(),
        }
    }
    async fn rmw(session: Session) -> String {
        let n: u64 = session.get("counter").await.ok().flatten().unwrap_or(0) + 1;
        session.insert("counter", &n).await.ok();
        n.to_string()
    }
    async fn login_split(session: Session) -> &'static str {
        for (key, value) in Profile::sample(rand_n()).fields() {
            session.insert(key, &value).await.ok();
        }
        session.insert("counter", &0u64).await.ok();
        "ok"
    }
    let router = Router::new()
        .route("/login", post(login))
        .route("/login-split", post(login_split));
    let router = match work {
        Work::Untouched => router.route("/", get(|| async { "ok" })),
        Work::Read => router.route("/", get(read)),
        Work::ReadModifyWrite => router.route("/", get(rmw)),
    };
    router.layer(layer)
}

pub async fn tower_sessions(url: &str, work: Work, always_save: bool) -> Router {
    use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::time};
    let pool = Pool::new(Config::from_url(url).expect("url"), None, None, None, 6).expect("pool");
    // The connection tasks run on their own; their join handle is not needed.
    drop(pool.connect());
    pool.wait_for_connect().await.expect("connect");
    let store = tower_sessions_redis_store::RedisStore::new(pool);
    let layer = SessionManagerLayer::new(store)
        .with_secure(false)
        .with_always_save(always_save)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(30)));
    async fn login(session: Session) -> &'static str {
        let n = rand_n();
        session.insert("profile", Profile::sample(n)).await.ok();
        session.insert("counter", 0u64).await.ok();
        "ok"
    }
    async fn read(session: Session) -> String {
        match session.get::<Profile>("profile").await {
            Ok(Some(profile)) => profile.name,
            _ => "none".into(),
        }
    }
    async fn rmw(session: Session) -> String {
        let n: u64 = session.get("counter").await.ok().flatten().unwrap_or(0) + 1;
        session.insert("counter", n).await.ok();
        n.to_string()
    }
    async fn login_split(session: Session) -> &'static str {
        for (key, value) in Profile::sample(rand_n()).fields() {
            session.insert(key, value).await.ok();
        }
        session.insert("counter", 0u64).await.ok();
        "ok"
    }
    let router = Router::new()
        .route("/login", post(login))
        .route("/login-split", post(login_split));
    let router = match work {
        Work::Untouched => router.route("/", get(|| async { "ok" })),
        Work::Read => router.route("/", get(read)),
        Work::ReadModifyWrite => router.route("/", get(rmw)),
    };
    router.layer(layer)
}

fn rand_n() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Sends `GET /` with `cookie` and the `extra` headers, and waits for the answer.
pub async fn request(router: &Router, cookie: &str, extra: &[(&str, &'static str)]) {
    use tower::ServiceExt;
    let mut request = axum::http::Request::get("/");
    for &(name, value) in extra {
        // As hyper's, the values share one buffer: a clone copies nothing.
        request = request.header(name, axum::http::HeaderValue::from_static(value));
    }
    let request = request
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    assert!(response.status().is_success(), "{}", response.status());
}

/// `Cookie` headers shaped like this layer's session cookie (`id=` and 51 characters), for the
/// variants that keep no sessions: every variant then receives and parses the same requests,
/// and a ratio to the bare handler shows only what the layer costs.
pub fn stand_in_cookies(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("id={i:0>51}")).collect()
}

/// Creates `count` sessions through the app's `/login` route; returns their `Cookie` headers.
pub async fn sessions(router: &Router, count: usize) -> Vec<String> {
    sessions_via(router, "/login", count).await
}

/// Creates `count` sessions through the given login route; returns their `Cookie` headers.
pub async fn sessions_via(router: &Router, route: &str, count: usize) -> Vec<String> {
    use tower::ServiceExt;
    let mut cookies = Vec::with_capacity(count);
    for _ in 0..count {
        let request = axum::http::Request::post(route)
            .body(axum::body::Body::empty())
            .expect("request");
        let response = router.clone().oneshot(request).await.expect("login");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        cookies.push(cookie);
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    cookies
}
