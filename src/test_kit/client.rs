//! [`Client`]: a browser stand-in that sends requests to the test application in process and
//! keeps the cookies it is given.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// What a test sees of a response.
#[derive(Debug)]
pub struct Reply {
    /// The response's status.
    pub status: StatusCode,
    /// The response's headers.
    pub headers: axum::http::HeaderMap,
    /// Its `Set-Cookie` headers, in order.
    pub set_cookies: Vec<String>,
    /// Whether it carries `Clear-Site-Data`.
    pub clear_site_data: bool,
    /// Its body, as text.
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

/// The prefix of the layer's cookies where they are `HttpOnly` too: the default.
pub const HOST_HTTP: &str = "__Host-Http-";

/// A browser stand-in over `oneshot`: keeps the cookies the app sets (the session's, the
/// cart's, remember-me's and any other) and sends them back, as a browser would.
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
    /// Every other cookie the app set and has not expired (the flash cookie, the
    /// application's own), by name.
    pub other_cookies: std::collections::BTreeMap<String, String>,
    /// The `User-Agent` it sends.
    pub user_agent: String,
    /// Further headers it sends with every request.
    pub headers: Vec<(&'static str, String)>,
    /// Cookies of other applications on the same site, as raw bytes (UTF-8 or not), sent before,
    /// between and after this client's own.
    pub foreign: Vec<u8>,
}

impl Client {
    /// A client of an app with the default cookie names (`__Host-Http-id`, `__Host-Http-cart`,
    /// `__Host-Http-remember`).
    pub fn new(app: Router) -> Self {
        Self::named(app, "__Host-Http-id")
    }

    /// A client of an app whose session cookie is `cookie_name`; its cart and remember-me
    /// cookies are prefixed like it.
    pub fn named(app: Router, cookie_name: &str) -> Self {
        let prefix = [HOST_HTTP, HOST]
            .into_iter()
            .find(|prefix| cookie_name.starts_with(prefix))
            .unwrap_or("");
        Self {
            app,
            cookie_name: cookie_name.to_owned(),
            cart_name: format!("{prefix}cart"),
            remember_name: format!("{prefix}remember"),
            cookie: None,
            cart: None,
            remember: None,
            other_cookies: std::collections::BTreeMap::new(),
            user_agent: "test-agent/1.0".to_owned(),
            headers: Vec::new(),
            foreign: Vec::new(),
        }
    }

    /// Sends this client's later requests to `app`: the same browser, with its cookies, served
    /// by another instance of the application (behind a load balancer).
    pub fn set_app(&mut self, app: Router) {
        self.app = app;
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

    /// Sends a `GET` of `path`.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, "").await
    }

    /// Sends a `POST` of `body` to `path`.
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

    /// Sends a request with this client's cookies, headers and `User-Agent`, and keeps the
    /// cookies the response sets (or expires).
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
        for (name, value) in &self.other_cookies {
            cookies.push(format!("{name}={value}"));
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
        let base = |name: &str| {
            let name = name.strip_prefix(HOST_HTTP).unwrap_or(name);
            name.strip_prefix(HOST).unwrap_or(name).to_owned()
        };
        if self.other_cookies.contains_key(name) {
            match kept {
                Some(value) => self.other_cookies.insert(name.to_owned(), value),
                None => self.other_cookies.remove(name),
            };
            return;
        }
        // A cookie of ours under another prefix: the app's naming (adopted when it sets one),
        // or an old name it expires (which leaves the current one alone).
        let ours =
            |current: &str| name == current || (base(name) == base(current) && kept.is_some());
        if ours(&self.cookie_name) {
            self.cookie_name = name.to_owned();
            self.cookie = kept;
        } else if ours(&self.cart_name) {
            self.cart_name = name.to_owned();
            self.cart = kept;
        } else if ours(&self.remember_name) {
            self.remember_name = name.to_owned();
            self.remember = kept;
        } else if [&self.cookie_name, &self.cart_name, &self.remember_name]
            .iter()
            .all(|current| base(current) != base(name))
        {
            match kept {
                Some(value) => self.other_cookies.insert(name.to_owned(), value),
                None => self.other_cookies.remove(name),
            };
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
