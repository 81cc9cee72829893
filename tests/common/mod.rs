//! Test support shared by the test binaries: backends, a test app, and a cookie-keeping client.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

#[cfg(feature = "cart")]
pub mod cart_suite;
pub mod cluster;
pub mod devices_suite;
pub mod expiry_suite;
pub mod http;
#[cfg(all(feature = "remember-me", feature = "cart"))]
pub mod lifecycle_suite;
pub mod proxy;
#[cfg(feature = "remember-me")]
pub mod remember_suite;
pub mod sentinel;
pub mod server;
pub mod suite;
pub mod webdriver;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Path, Query};
use axum::http::HeaderMap as RequestHeaders;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
#[cfg(feature = "remember-me")]
use tower_redis_session::RememberMe;
#[cfg(feature = "cart")]
use tower_redis_session::{Cart, CartError};
use tower_redis_session::{
    Device, Expiry, LayerStore, MemoryStore, RedisStore, Session, SessionError, SessionLayer,
    SessionLayerBuilder, SessionRejection, TypedKey,
};

use self::server::RedisServer;

/// A key prefix no other test of this binary uses, so tests can share one Redis deployment.
pub fn unique_prefix() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    format!(
        "t{}:",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// Collects everything logged while a test runs (install it with `tracing_subscriber`).
#[derive(Clone, Default)]
pub struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A store to run the suite against, with whatever keeps it alive.
pub trait Backend: Send + Sync + Sized + 'static {
    type Store: LayerStore + Clone;
    fn start() -> Self;
    fn store(&self) -> Self::Store;
}

pub struct Memory(MemoryStore);

impl Backend for Memory {
    type Store = MemoryStore;
    fn start() -> Self {
        Self(MemoryStore::new())
    }
    fn store(&self) -> MemoryStore {
        self.0.clone()
    }
}

pub struct Redis {
    pub server: RedisServer,
    store: RedisStore,
}

impl Redis {
    fn on(server: RedisServer) -> Self {
        let store = RedisStore::builder(server.url())
            .command_timeout(Duration::from_millis(500))
            .build()
            .expect("build a RedisStore");
        Self { server, store }
    }
}

impl Backend for Redis {
    type Store = RedisStore;
    fn start() -> Self {
        Self::on(RedisServer::start())
    }
    fn store(&self) -> RedisStore {
        self.store.clone()
    }
}

/// The Redis store on Valkey 8.1+, whose `SET … IFEQ` it updates records with.
pub struct Valkey(pub Redis);

impl Backend for Valkey {
    type Store = RedisStore;
    fn start() -> Self {
        let server = RedisServer::start_valkey();
        assert!(
            server.has_set_ifeq(),
            "this valkey-server has no SET … IFEQ: the tests need Valkey 8.1 or newer \
             (`bash .ci/install-valkey` builds one)"
        );
        Self(Redis::on(server))
    }
    fn store(&self) -> RedisStore {
        self.0.store()
    }
}

/// The test application: one route per session operation.
pub fn app<S: LayerStore>(
    store: S,
    configure: impl FnOnce(SessionLayerBuilder) -> SessionLayerBuilder,
) -> Router {
    let layer = configure(SessionLayer::builder(store))
        .build()
        .expect("valid test configuration");
    let router = Router::new()
        .route("/untouched", get(|| async { "ok" }))
        .route("/get/{key}", get(read))
        .route("/set/{key}", post(write))
        .route("/remove/{key}", post(remove))
        .route("/take/{key}", post(take))
        .route("/take-number/{key}", post(take_number))
        .route("/keys", get(keys))
        .route("/touch", post(touch))
        .route("/modified/{key}", post(modified))
        .route("/visit", post(visit))
        .route("/clear", post(clear))
        .route("/cycle", post(cycle))
        .route("/delete", post(delete))
        .route("/save", post(save))
        .route("/times", get(times))
        .route("/expiry", get(expiry))
        .route("/expiry/{expiry}", post(set_expiry))
        .route("/fail/{key}", post(fail))
        .route("/slow/{key}", post(slow_write))
        .route("/slow-save/{key}", post(slow_save))
        .route("/slow-remove/{key}", post(slow_remove))
        .route("/save-then-fail/{key}", post(save_then_fail))
        .route("/handled", get(handled))
        .route("/login/{user}", post(login))
        .route("/me", get(me))
        .route("/logout", post(logout))
        .route("/devices", get(devices))
        .route("/revoke/{handle}", post(revoke))
        .route("/logout-others", post(logout_others))
        .route("/logout-all", post(logout_all))
        .route("/activity/{action}", post(activity))
        .route("/cleanup/{user}", post(cleanup));
    #[cfg(feature = "cart")]
    let router = router
        .route("/cart", get(cart_lines))
        .route("/cart/add/{sku}/{quantity}", post(cart_add))
        .route("/cart/set/{sku}/{quantity}", post(cart_set))
        .route("/cart/decr/{sku}/{quantity}", post(cart_decrement))
        .route("/cart/remove/{sku}", post(cart_remove))
        .route("/cart/clear", post(cart_clear))
        .route("/cart/count", get(cart_count));
    #[cfg(feature = "remember-me")]
    let router = router
        .route("/login-remember/{user}", post(login_remember))
        .route("/remembered", get(remembered))
        .route("/remember-me", get(remember_me));
    router.layer(layer)
}

async fn read(session: Session, Path(key): Path<String>) -> Result<String, SessionError> {
    let value: Option<Value> = session.get(&key).await?;
    Ok(value.map_or_else(|| "none".to_owned(), |v| v.to_string()))
}

async fn write(
    session: Session,
    Path(key): Path<String>,
    body: String,
) -> Result<&'static str, SessionError> {
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    session.insert(&key, &value).await?;
    Ok("ok")
}

async fn remove(session: Session, Path(key): Path<String>) -> Result<String, SessionError> {
    Ok(session.remove_key(&key).await?.to_string())
}

/// Removes `key` and answers with the value it held, or `none`.
async fn take(session: Session, Path(key): Path<String>) -> Result<String, SessionError> {
    let value: Option<Value> = session.remove(&key).await?;
    Ok(value.map_or_else(|| "none".to_owned(), |v| v.to_string()))
}

/// Removes `key` if it holds a number, answering with it.
async fn take_number(session: Session, Path(key): Path<String>) -> Result<String, SessionError> {
    let value: Option<u64> = session.remove(&key).await?;
    Ok(value.map_or_else(|| "none".to_owned(), |v| v.to_string()))
}

/// The session's keys, sorted, comma-separated.
async fn keys(session: Session) -> Result<String, SessionError> {
    let mut keys = session.keys().await?;
    keys.sort();
    Ok(keys.join(","))
}

/// Whether the session exists, after sliding its expiry without reading it.
async fn touch(Extension(session): Extension<Session>) -> Result<String, SessionError> {
    Ok(session.touch().await?.to_string())
}

/// Whether the request changed the session, before and after setting `key` to the body.
async fn modified(
    session: Session,
    Path(key): Path<String>,
    body: String,
) -> Result<String, SessionError> {
    let before = session.is_modified();
    session.insert(&key, body).await?;
    Ok(format!("{before} {}", session.is_modified()))
}

const VISITS: TypedKey<u64> = TypedKey::new("visits");

/// Counts visits through a typed key.
async fn visit(session: Session) -> Result<String, SessionError> {
    let visits = VISITS.get(&session).await?.unwrap_or(0) + 1;
    VISITS.insert(&session, visits).await?;
    Ok(visits.to_string())
}

async fn clear(session: Session) -> Result<&'static str, SessionError> {
    session.clear().await?;
    Ok("ok")
}

async fn cycle(session: Session) -> Result<&'static str, SessionError> {
    session.cycle_id().await?;
    Ok("ok")
}

async fn delete(session: Session) -> Result<&'static str, SessionError> {
    session.delete().await?;
    Ok("ok")
}

async fn save(session: Session) -> Result<String, SessionError> {
    Ok(format!("{:?}", session.save().await?))
}

async fn times(session: Session) -> Result<String, SessionError> {
    let created = session.created_at().await?.and_then(unix_millis);
    let expires = session.expires_at().await?.and_then(unix_millis);
    Ok(json!({ "created_at": created, "expires_at": expires }).to_string())
}

/// Sets the expiry `session-end`, `inactivity-<ms>`, `at+<ms>` or `at-<ms>` (from now), or
/// `none`; then, given a body, stores it under `n`.
async fn set_expiry(
    session: Session,
    Path(expiry): Path<String>,
    body: String,
) -> Result<&'static str, SessionError> {
    let now = std::time::SystemTime::now();
    let ms = |text: &str| Duration::from_millis(text.parse().expect("milliseconds"));
    let expiry = match expiry.as_str() {
        "none" => None,
        "session-end" => Some(Expiry::OnSessionEnd),
        _ => Some(match expiry.split_at(3) {
            ("at+", after) => Expiry::AtDateTime(now + ms(after)),
            ("at-", before) => Expiry::AtDateTime(now - ms(before)),
            _ => Expiry::OnInactivity(ms(expiry.trim_start_matches("inactivity-"))),
        }),
    };
    session.set_expiry(expiry).await?;
    if !body.is_empty() {
        session.insert("n", body).await?;
    }
    Ok("ok")
}

/// The session's own expiry: `none`, `session-end`, `inactivity <ms>` or `at <unix ms>`.
async fn expiry(session: Session) -> Result<String, SessionError> {
    Ok(match session.expiry().await? {
        None => "none".to_owned(),
        Some(Expiry::OnSessionEnd) => "session-end".to_owned(),
        Some(Expiry::OnInactivity(idle)) => format!("inactivity {}", idle.as_millis()),
        Some(Expiry::AtDateTime(at)) => format!("at {}", unix_millis(at).unwrap_or_default()),
    })
}

fn unix_millis(time: std::time::SystemTime) -> Option<u128> {
    time.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|since| since.as_millis())
}

async fn fail(session: Session, Path(key): Path<String>) -> Result<StatusCode, SessionError> {
    session.insert(&key, "lost").await?;
    Ok(StatusCode::INTERNAL_SERVER_ERROR)
}

#[derive(serde::Deserialize)]
struct Delay {
    ms: u64,
}

impl Delay {
    /// Loads the session, then waits: what the request does next comes long after its load.
    async fn after_loading(&self, session: &Session) -> Result<(), SessionError> {
        session.load().await?;
        tokio::time::sleep(Duration::from_millis(self.ms)).await;
        Ok(())
    }
}

/// Loads the session, waits, then changes it, leaving the write to the layer: a request still
/// in flight while others act.
async fn slow_write(
    session: Session,
    Path(key): Path<String>,
    Query(delay): Query<Delay>,
) -> Result<&'static str, SessionError> {
    delay.after_loading(&session).await?;
    session.insert(&key, "late").await?;
    Ok("ok")
}

/// Like `slow_write`, but saves explicitly and reports the outcome.
async fn slow_save(
    session: Session,
    Path(key): Path<String>,
    Query(delay): Query<Delay>,
) -> Result<String, SessionError> {
    delay.after_loading(&session).await?;
    session.insert(&key, "late").await?;
    Ok(format!("{:?}", session.save().await?))
}

/// Loads the session, waits `ms`, then removes `key`.
async fn slow_remove(
    session: Session,
    Path(key): Path<String>,
    Query(delay): Query<Delay>,
) -> Result<&'static str, SessionError> {
    delay.after_loading(&session).await?;
    session.remove_key(&key).await?;
    Ok("ok")
}

/// Saves explicitly, then fails: what was saved stays saved.
async fn save_then_fail(
    session: Session,
    Path(key): Path<String>,
) -> Result<StatusCode, SessionError> {
    session.insert(&key, "saved").await?;
    let _ = session.save().await?;
    Ok(StatusCode::INTERNAL_SERVER_ERROR)
}

async fn handled(session: Result<Session, SessionRejection>) -> (StatusCode, &'static str) {
    match session {
        Ok(_) => (StatusCode::OK, "session"),
        Err(_) => (StatusCode::OK, "handled without a session"),
    }
}

/// Signs `user` in; the body, if any, labels the device.
async fn login(
    session: Session,
    Path(user): Path<String>,
    headers: RequestHeaders,
    label: String,
) -> Result<&'static str, SessionError> {
    let mut device = Device::from_headers(&headers).ip("127.0.0.1");
    if !label.is_empty() {
        device = device.label(label);
    }
    session.login(&user, device).await?;
    Ok("ok")
}

async fn me(session: Session) -> Result<String, SessionError> {
    Ok(session
        .user_id()
        .await?
        .unwrap_or_else(|| "anonymous".to_owned()))
}

/// Logs out, answering whether a session was ended.
async fn logout(session: Session) -> Result<String, SessionError> {
    Ok(session.logout().await?.to_string())
}

async fn devices(session: Session) -> Result<String, SessionError> {
    Ok(serde_json::to_string(&session.devices().await?).unwrap_or_default())
}

async fn revoke(session: Session, Path(handle): Path<String>) -> Result<String, SessionError> {
    Ok(session.revoke(&handle).await?.to_string())
}

async fn logout_others(session: Session) -> Result<String, SessionError> {
    Ok(session.logout_others().await?.to_string())
}

async fn logout_all(session: Session) -> Result<String, SessionError> {
    Ok(session.logout_all().await?.to_string())
}

/// Tracks `action`, then answers with the device listing, as `/devices` does.
async fn activity(session: Session, Path(action): Path<String>) -> Result<String, SessionError> {
    session.track_activity(&action).await?;
    devices(session).await
}

async fn cleanup(session: Session, Path(user): Path<String>) -> Result<String, SessionError> {
    Ok(session.users().cleanup_expired(&user).await?.to_string())
}

#[cfg(feature = "cart")]
async fn cart_lines(cart: Cart) -> Result<String, CartError> {
    let lines = cart.lines().await?;
    let count: u32 = lines.iter().map(|line| line.quantity).sum();
    let lines: Vec<Value> = lines
        .into_iter()
        .map(|line| json!({ "sku": line.sku, "quantity": line.quantity, "payload": line.payload }))
        .collect();
    Ok(json!({ "lines": lines, "count": count }).to_string())
}

#[cfg(feature = "cart")]
async fn cart_add(
    cart: Cart,
    Path((sku, quantity)): Path<(String, u32)>,
    payload: String,
) -> Result<String, CartError> {
    let quantity = if payload.is_empty() {
        cart.add(&sku, quantity).await?
    } else {
        let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::String(payload));
        cart.add_with(&sku, quantity, &payload).await?
    };
    Ok(quantity.to_string())
}

#[cfg(feature = "cart")]
async fn cart_set(
    cart: Cart,
    Path((sku, quantity)): Path<(String, u32)>,
) -> Result<String, CartError> {
    Ok(cart.set_quantity(&sku, quantity).await?.to_string())
}

#[cfg(feature = "cart")]
async fn cart_decrement(
    cart: Cart,
    Path((sku, quantity)): Path<(String, u32)>,
) -> Result<String, CartError> {
    Ok(cart.decrement(&sku, quantity).await?.to_string())
}

#[cfg(feature = "cart")]
async fn cart_remove(cart: Cart, Path(sku): Path<String>) -> Result<&'static str, CartError> {
    cart.remove(&sku).await?;
    Ok("ok")
}

#[cfg(feature = "remember-me")]
/// Signs `user` in and issues a remember-me token; the body, if any, labels the device.
async fn login_remember(
    session: Session,
    remember: RememberMe,
    Path(user): Path<String>,
    label: String,
) -> Result<&'static str, SessionError> {
    session
        .login(&user, Device::new().label(label.clone()))
        .await?;
    remember.issue(&user, Device::new().label(label)).await?;
    Ok("ok")
}

#[cfg(feature = "remember-me")]
async fn remembered(session: Session) -> Result<String, SessionError> {
    Ok(session.is_remembered().await?.to_string())
}

#[cfg(feature = "remember-me")]
/// Signs back in through the extractor (what `RememberMode::OnDemand` waits for).
async fn remember_me(session: Session, remember: RememberMe) -> Result<String, SessionError> {
    let remembered = remember.is_remembered().await?;
    let user = session
        .user_id()
        .await?
        .unwrap_or_else(|| "anonymous".into());
    Ok(format!("{user} {remembered}"))
}

#[cfg(feature = "cart")]
async fn cart_count(cart: Cart) -> Result<String, CartError> {
    Ok(cart.count().await?.to_string())
}

#[cfg(feature = "cart")]
async fn cart_clear(cart: Cart) -> Result<&'static str, CartError> {
    cart.clear().await?;
    Ok("ok")
}

/// What a test sees of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub set_cookies: Vec<String>,
    pub clear_site_data: bool,
    pub body: String,
}

impl Reply {
    /// The value of the response header `name`, if it has one.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// The prefix the layer gives its cookies' names by default.
pub const HOST: &str = "__Host-";

/// A browser stand-in: keeps the session cookie it is given and sends it back.
#[derive(Clone)]
pub struct Client {
    app: Router,
    /// The names of the session, cart and remember-me cookies, as last set by the app.
    cookie_name: String,
    cart_name: String,
    remember_name: String,
    /// The cookie value the client will send, if any.
    pub cookie: Option<String>,
    /// The `cart` cookie's value, if any.
    pub cart: Option<String>,
    /// The `remember` cookie's value, if any.
    pub remember: Option<String>,
    /// The `User-Agent` it sends.
    pub user_agent: String,
    /// Further headers it sends with every request.
    pub headers: Vec<(&'static str, String)>,
    /// Cookies of other applications on the same site, as raw bytes (UTF-8 or not), sent before,
    /// between and after this client's own.
    pub foreign: Vec<u8>,
}

impl Client {
    /// A client of an app with the default cookie names (`__Host-id`, `__Host-cart`,
    /// `__Host-remember`).
    pub fn new(app: Router) -> Self {
        Self::named(app, "__Host-id")
    }

    /// A client of an app whose session cookie is `cookie_name`; its cart and remember-me
    /// cookies are prefixed like it.
    pub fn named(app: Router, cookie_name: &str) -> Self {
        let prefix = if cookie_name.starts_with(HOST) {
            HOST
        } else {
            ""
        };
        Self {
            app,
            cookie_name: cookie_name.to_owned(),
            cart_name: format!("{prefix}cart"),
            remember_name: format!("{prefix}remember"),
            cookie: None,
            cart: None,
            remember: None,
            user_agent: "test-agent/1.0".to_owned(),
            headers: Vec::new(),
            foreign: Vec::new(),
        }
    }

    /// Races two writes of this session: one that loads it, waits 300 ms and sets `late`, and
    /// one that sets `meanwhile` 100 ms in. Returns once both are done.
    pub async fn race_a_late_write(self) -> Self {
        let mut other = self.clone();
        let slow = tokio::spawn(async move {
            let mut client = self;
            client.post("/slow/late?ms=300", "").await;
            client
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        other.post("/set/meanwhile", "1").await;
        slow.await.expect("the slow request's task")
    }

    /// Sends `request` from this client and `other_request` from `other` at the same instant:
    /// two tasks released together by a barrier. Returns both clients as their replies left
    /// them, with the replies.
    pub async fn race(
        self,
        request: (Method, &str),
        other: Client,
        other_request: (Method, &str),
    ) -> ((Client, Reply), (Client, Reply)) {
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let task = |mut client: Client, (method, path): (Method, &str)| {
            let start = std::sync::Arc::clone(&start);
            let path = path.to_owned();
            tokio::spawn(async move {
                start.wait().await;
                let reply = client.send(method, &path, "").await;
                assert!(!reply.status.is_server_error(), "{path}: {reply:?}");
                (client, reply)
            })
        };
        let first = task(self, request);
        let second = task(other, other_request);
        let first = first.await.expect("the first racing request's task");
        let second = second.await.expect("the second racing request's task");
        (first, second)
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, "").await
    }

    pub async fn post(&mut self, path: &str, body: &str) -> Reply {
        self.send(Method::POST, path, body).await
    }

    /// The cart as `{sku: quantity}`, from `/cart`.
    pub async fn cart(&mut self) -> std::collections::BTreeMap<String, u64> {
        let reply = self.get("/cart").await;
        let cart: Value = serde_json::from_str(&reply.body).expect("cart JSON");
        cart["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|line| {
                let sku = line["sku"].as_str().expect("sku").to_owned();
                (sku, line["quantity"].as_u64().expect("quantity"))
            })
            .collect()
    }

    /// The JSON array `/devices` returns.
    pub async fn devices(&mut self) -> Vec<Value> {
        let reply = self.get("/devices").await;
        match serde_json::from_str(&reply.body) {
            Ok(Value::Array(devices)) => devices,
            _ => panic!("no device list: {reply:?}"),
        }
    }

    pub async fn send(&mut self, method: Method, path: &str, body: &str) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::USER_AGENT, &self.user_agent);
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        let mut cookies = Vec::new();
        if let Some(value) = &self.cookie {
            cookies.push(format!("{}={value}", self.cookie_name));
        }
        if let Some(value) = &self.cart {
            cookies.push(format!("{}={value}", self.cart_name));
        }
        if let Some(value) = &self.remember {
            cookies.push(format!("{}={value}", self.remember_name));
        }
        if !self.foreign.is_empty() {
            // Other applications' cookies on the same site, around and between each of these.
            let mut pairs = vec![self.foreign.clone()];
            for cookie in cookies {
                pairs.push(cookie.into_bytes());
                pairs.push(self.foreign.clone());
            }
            let value = axum::http::HeaderValue::from_bytes(&pairs.join(&b"; "[..]))
                .expect("a Cookie header of visible bytes");
            request = request.header(header::COOKIE, value);
        } else if !cookies.is_empty() {
            request = request.header(header::COOKIE, cookies.join("; "));
        }
        let request = request
            .body(Body::from(body.to_owned()))
            .expect("valid request");
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("infallible router");
        let status = response.status();
        let set_cookies = set_cookies(response.headers());
        let clear_site_data = response.headers().contains_key("clear-site-data");
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("read body")
            .to_bytes();
        for cookie in &set_cookies {
            self.remember(cookie);
        }
        Reply {
            status,
            headers,
            set_cookies,
            clear_site_data,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    fn remember(&mut self, set_cookie: &str) {
        let Some((name, rest)) = set_cookie.split_once('=') else {
            return;
        };
        let value = rest.split(';').next().unwrap_or_default();
        let kept = (!set_cookie.contains("Max-Age=0")).then(|| value.to_owned());
        let base = |name: &str| name.strip_prefix(HOST).unwrap_or(name).to_owned();
        if base(name) == base(&self.cookie_name) {
            self.cookie_name = name.to_owned();
            self.cookie = kept;
        } else if base(name) == "cart" {
            self.cart_name = name.to_owned();
            self.cart = kept;
        } else if base(name) == "remember" {
            self.remember_name = name.to_owned();
            self.remember = kept;
        }
    }
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ASCII Set-Cookie").to_owned())
        .collect()
}
