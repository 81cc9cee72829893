//! The handlers under test: the same work served bare, over raw Redis, through our layer and
//! through tower-sessions.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
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

pub async fn floor_multiplexed(url: &str) -> Router {
    let client = deadpool_redis::redis::Client::open(url).expect("redis url");
    let conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    async fn handler(State(mut conn): State<MultiplexedConnection>) -> String {
        let value: Option<String> = conn.get("bench:floor").await.unwrap_or(None);
        value.map_or(0, |v| v.len()).to_string()
    }
    Router::new().route("/", get(handler)).with_state(conn)
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
    use tower_redis_session::{RedisStore, Session, SessionLayer};
    let store = RedisStore::builder(url).build().expect("store");
    let layer = SessionLayer::builder(store)
        .secure(false)
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

/// Sends `GET /` with `cookie` and waits for the answer.
pub async fn request(router: &Router, cookie: &str) {
    use tower::ServiceExt;
    let request = axum::http::Request::get("/")
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("response");
    assert!(response.status().is_success(), "{}", response.status());
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
