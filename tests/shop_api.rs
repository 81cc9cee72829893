#![cfg(all(feature = "cart", feature = "remember-me"))]
//! The example shop's JSON API, over real HTTP against a real Redis: the contract other tools
//! test against.

#[path = "shop_api/account.rs"]
mod account;
mod common;
#[path = "shop_api/health.rs"]
mod health;
#[path = "shop_api/sign_in.rs"]
mod sign_in;
// The example's own modules, so the test serves exactly the app `cargo run --example shop` runs
// (which reads the port this test does not need).
#[allow(dead_code)]
#[path = "../examples/shop/app/mod.rs"]
mod shop;

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use common::http::{self, Response};
use common::server::RedisServer;
use serde_json::{Value, json};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// The shop served on a free port against its own Redis.
struct Shop {
    port: u16,
    redis: RedisServer,
}

impl Shop {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// The shop as `adjust` configures it. Sign-in limits are lifted unless `adjust` sets them:
    /// most tests sign in more often than a person would.
    async fn start_with(adjust: impl FnOnce(&mut shop::Config)) -> Self {
        let redis = RedisServer::start();
        let mut config = shop::Config::from_env().expect("default config");
        config.redis_url = Some(redis.url());
        config.sign_ins_per_ip = NonZeroU32::MAX;
        config.sign_ins_per_account = NonZeroU32::MAX;
        adjust(&mut config);
        let router = shop::router(&config).await.expect("shop router");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(shop::serve(listener, router));
        Self { port, redis }
    }

    fn browser(&self) -> Browser {
        Browser {
            port: self.port,
            cookies: BTreeMap::new(),
            headers: Vec::new(),
        }
    }
}

/// An HTTP client with a cookie jar.
#[derive(Clone)]
struct Browser {
    port: u16,
    cookies: BTreeMap<String, String>,
    /// Headers sent with every request besides the cookies and the content type.
    headers: Vec<(&'static str, String)>,
}

impl Browser {
    async fn request(&mut self, method: &str, path: &str, body: Option<Value>) -> Response {
        let body = body.map(|b| b.to_string());
        let content_type = body.as_ref().map(|_| JSON);
        self.send(method, path, body.as_deref(), content_type).await
    }

    /// Sends a request with the jar's cookies and keeps the cookies the response sets.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
        content_type: Option<&str>,
    ) -> Response {
        let jar: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let jar = jar.join("; ");
        let mut headers = Vec::new();
        if !self.headers.iter().any(|(name, _)| *name == "User-Agent") {
            headers.push(("User-Agent", "shop-test"));
        }
        headers.extend(
            self.headers
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        if !jar.is_empty() {
            headers.push(("Cookie", jar.as_str()));
        }
        if let Some(content_type) = content_type {
            headers.push(("Content-Type", content_type));
        }
        let response = http::send(self.port, method, path, &headers, body)
            .await
            .expect("the shop answers");
        for cookie in response.header_values("set-cookie") {
            let (name, rest) = cookie.split_once('=').expect("name=value");
            let value = rest.split(';').next().unwrap_or_default();
            if cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        response
    }

    /// Posts a form, as a page of the shop itself would.
    async fn form(&mut self, path: &str, body: &str) -> Response {
        self.send("POST", path, Some(body), Some(FORM)).await
    }

    async fn login(&mut self, email: &str, password: &str, remember: bool) -> Response {
        let body =
            json!({ "email": email, "password": password, "remember": remember, "device": "test" });
        self.request("POST", "/api/login", Some(body)).await
    }
}

#[tokio::test]
async fn healthz_never_touches_the_session() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    let reply = browser.request("GET", "/healthz", None).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    assert_eq!(reply.header_values("set-cookie").count(), 0);
}

#[tokio::test]
async fn login_me_and_wrong_password() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    assert_eq!(browser.request("GET", "/api/me", None).await.status, 401);
    let wrong = browser.login("alice@example.com", "nope", false).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.json()["error"].is_string());
    let login = browser
        .login("alice@example.com", "wonderland", false)
        .await;
    assert_eq!(login.status, 200);
    assert_eq!(
        login.json(),
        json!({"user_id": "alice", "email": "alice@example.com", "name": "Alice"})
    );
    assert!(browser.cookies.contains_key("__Host-Http-id"));
    assert!(!browser.cookies.contains_key("__Host-Http-remember"));
    let me = browser.request("GET", "/api/me", None).await.json();
    assert_eq!(me["user_id"], "alice");
    assert_eq!(me["remembered"], false);
    for field in ["created_at", "expires_at"] {
        let text = me[field].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .is_ok()
        );
    }
}

#[tokio::test]
async fn remember_me_signs_back_in_after_the_session_is_gone() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    browser.login("alice@example.com", "wonderland", true).await;
    assert!(browser.cookies.contains_key("__Host-Http-remember"));
    browser.cookies.remove("__Host-Http-id");
    let me = browser.request("GET", "/api/me", None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["remembered"], true);
}

#[tokio::test]
async fn devices_revoke_and_logout_variants() {
    let shop = Shop::start().await;
    let mut laptop = shop.browser();
    let mut phone = shop.browser();
    laptop.login("alice@example.com", "wonderland", false).await;
    phone.login("alice@example.com", "wonderland", false).await;
    let devices = laptop.request("GET", "/api/devices", None).await.json();
    let devices = devices.as_array().unwrap();
    assert_eq!(devices.len(), 2);
    for key in [
        "handle",
        "label",
        "user_agent",
        "ip",
        "created_at",
        "last_seen_at",
        "last_activity",
        "current",
    ] {
        assert!(devices[0].get(key).is_some(), "{key}");
    }
    let phone_handle = devices.iter().find(|d| d["current"] == false).unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/devices/{phone_handle}");
    assert_eq!(
        laptop.send("DELETE", &path, None, Some(JSON)).await.status,
        204
    );
    assert_eq!(
        laptop.send("DELETE", &path, None, Some(JSON)).await.status,
        404
    );
    assert_eq!(phone.request("GET", "/api/me", None).await.status, 401);

    phone.login("alice@example.com", "wonderland", false).await;
    assert_eq!(
        laptop
            .send("POST", "/api/logout-others", None, Some(JSON))
            .await
            .status,
        204
    );
    assert_eq!(phone.request("GET", "/api/me", None).await.status, 401);
    assert_eq!(laptop.request("GET", "/api/me", None).await.status, 200);

    phone.login("alice@example.com", "wonderland", false).await;
    assert_eq!(
        laptop
            .send("POST", "/api/logout-all", None, Some(JSON))
            .await
            .status,
        204
    );
    assert_eq!(phone.request("GET", "/api/me", None).await.status, 401);
    assert_eq!(laptop.request("GET", "/api/me", None).await.status, 401);

    laptop.login("alice@example.com", "wonderland", false).await;
    assert_eq!(
        laptop
            .send("POST", "/api/logout", None, Some(JSON))
            .await
            .status,
        204
    );
    assert_eq!(laptop.request("GET", "/api/me", None).await.status, 401);
}

#[tokio::test]
async fn activity_shows_in_the_device_list() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    browser.login("bob@example.com", "builder", false).await;
    let reply = browser
        .request(
            "POST",
            "/api/activity",
            Some(json!({"action": "viewed-orders"})),
        )
        .await;
    assert_eq!(reply.status, 204);
    let devices = browser.request("GET", "/api/devices", None).await.json();
    assert_eq!(devices[0]["last_activity"]["action"], "viewed-orders");
}

#[tokio::test]
async fn prefs_round_trip_and_invalid_ones_are_422() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    let defaults = browser.request("GET", "/api/prefs", None).await.json();
    assert_eq!(defaults, json!({"theme": "light", "language": "en"}));
    let dark = json!({"theme": "dark", "language": "de-CH"});
    let reply = browser
        .request("PUT", "/api/prefs", Some(dark.clone()))
        .await;
    assert_eq!((reply.status, reply.json()), (200, dark.clone()));
    assert_eq!(
        browser.request("GET", "/api/prefs", None).await.json(),
        dark
    );
    let bad = browser
        .request(
            "PUT",
            "/api/prefs",
            Some(json!({"theme": "neon", "language": "en"})),
        )
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn cart_api_and_invalid_input() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    let add = |sku: &str, quantity: i64| json!({"sku": sku, "quantity": quantity});
    let reply = browser
        .request("POST", "/api/cart/lines", Some(add("TEA-EARL", 2)))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"lines": [{"sku": "TEA-EARL", "quantity": 2}], "count": 2})
    );
    let reply = browser
        .request(
            "PATCH",
            "/api/cart/lines/TEA-EARL",
            Some(json!({"quantity": 5})),
        )
        .await;
    assert_eq!(reply.json()["count"], 5);
    for bad in [
        add("NOPE", 1),
        add("TEA-EARL", 0),
        add("TEA-EARL", -1),
        json!({"sku": 3}),
    ] {
        let reply = browser
            .request("POST", "/api/cart/lines", Some(bad.clone()))
            .await;
        assert_eq!(reply.status, 422, "{bad}");
        assert!(reply.json()["error"].is_string());
    }
    let reply = browser
        .send("DELETE", "/api/cart/lines/TEA-EARL", None, Some(JSON))
        .await;
    assert_eq!(reply.json(), json!({"lines": [], "count": 0}));
}

#[tokio::test]
async fn the_catalog_lists_a_dozen_products_with_descriptions_and_prices() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    let reply = browser.request("GET", "/api/products", None).await;
    assert_eq!(reply.status, 200);
    let products = reply.json();
    let products = products.as_array().expect("an array");
    assert!(products.len() >= 12, "{products:?}");
    for product in products {
        let fields: Vec<&str> = product
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, ["description", "name", "price_cents", "sku"]);
        assert!(
            product["price_cents"]
                .as_u64()
                .is_some_and(|cents| cents > 0)
        );
    }
    let home = browser.request("GET", "/", None).await.body;
    assert!(
        home.contains("Black tea with bergamot"),
        "descriptions show"
    );
    assert!(home.contains("€9.90"), "prices show");
}

#[tokio::test]
async fn unknown_skus_are_422_everywhere_and_change_nothing() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    browser
        .request(
            "POST",
            "/api/cart/lines",
            Some(json!({"sku": "TEA-EARL", "quantity": 1})),
        )
        .await;
    let set = browser
        .request(
            "PATCH",
            "/api/cart/lines/NOPE-1",
            Some(json!({"quantity": 3})),
        )
        .await;
    assert_eq!(set.status, 422);
    assert!(set.json()["error"].is_string());
    let removed = browser
        .send("DELETE", "/api/cart/lines/NOPE-1", None, Some(JSON))
        .await;
    assert_eq!(removed.status, 422);
    let cart = browser.request("GET", "/api/cart", None).await.json();
    assert_eq!(
        cart,
        json!({"lines": [{"sku": "TEA-EARL", "quantity": 1}], "count": 1})
    );

    let form = "sku=NOPE-1&quantity=4";
    let updated = browser
        .send("POST", "/cart/update", Some(form), Some(FORM))
        .await;
    assert_eq!(updated.status, 422);
    let cart = browser.request("GET", "/api/cart", None).await.json();
    assert_eq!(cart["count"], 1, "the form changed nothing either");
}

#[tokio::test]
async fn state_changing_calls_without_json_are_415() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    let reply = browser
        .send(
            "POST",
            "/api/login",
            Some("email=alice@example.com&password=wonderland"),
            Some(FORM),
        )
        .await;
    assert_eq!(reply.status, 415);
    assert!(reply.json()["error"].is_string());
    assert_eq!(
        browser.send("POST", "/api/logout", None, None).await.status,
        415
    );
}

#[tokio::test]
async fn pages_render_for_visitors_and_users() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    for path in ["/", "/login", "/cart"] {
        let reply = browser.request("GET", path, None).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(reply.body.contains("<!doctype html>"));
    }
    assert_eq!(browser.request("GET", "/account", None).await.status, 303);
    let body = "email=alice%40example.com&password=wonderland&remember=on";
    let reply = browser.send("POST", "/login", Some(body), Some(FORM)).await;
    assert_eq!(reply.status, 303);
    assert!(browser.cookies.contains_key("__Host-Http-remember"));
    let account = browser.request("GET", "/account", None).await;
    assert!(account.body.contains("Where you are signed in"));
}

/// Looking costs nothing: page views and API reads by visitors without a cookie store no key
/// and set no cookie, however many there are.
#[tokio::test]
async fn visitors_who_only_look_store_nothing_and_get_no_cookie() {
    let shop = Shop::start().await;
    let paths = [
        "/",
        "/login",
        "/cart",
        "/account",
        "/api/products",
        "/api/cart",
        "/api/prefs",
        "/api/me",
    ];
    for _ in 0..25 {
        for path in paths {
            let reply = shop.browser().request("GET", path, None).await;
            assert!(reply.status < 500, "{path}: {}", reply.status);
            let cookies: Vec<_> = reply.header_values("set-cookie").collect();
            assert!(cookies.is_empty(), "{path}: {cookies:?}");
        }
    }
    assert_eq!(shop.redis.keys(), Vec::<String>::new());
}

/// What a browser sends with a form another site submits: `Sec-Fetch-Site: cross-site` and
/// that site's `Origin`.
fn from_another_site(browser: &mut Browser) {
    browser.headers = vec![
        ("Sec-Fetch-Site", "cross-site".to_owned()),
        ("Origin", "https://evil.example".to_owned()),
    ];
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_and_change_nothing() {
    let shop = Shop::start().await;
    let mut alice = shop.browser();
    alice.login("alice@example.com", "wonderland", false).await;
    let mut forged = alice.clone();
    from_another_site(&mut forged);
    let posts = [
        ("/login", "email=bob%40example.com&password=builder"),
        ("/cart/add", "sku=TEA-EARL"),
        ("/account/prefs", "theme=dark&language=en"),
        ("/account/logout-all", ""),
        ("/logout", ""),
    ];
    for (path, form) in posts {
        let reply = forged.send("POST", path, Some(form), Some(FORM)).await;
        assert_eq!(reply.status, 403, "{path}");
        assert!(
            reply.body.contains("another site"),
            "{path}: {}",
            reply.body
        );
    }
    let api = forged
        .request("POST", "/api/cart/lines", Some(json!({"sku": "TEA-EARL"})))
        .await;
    assert_eq!(api.status, 403);
    assert!(api.json()["error"].is_string());
    let me = alice.request("GET", "/api/me", None).await.json();
    assert_eq!(me["user_id"], "alice", "still signed in as alice");
    let cart = alice.request("GET", "/api/cart", None).await.json();
    assert_eq!(cart["count"], 0);
    let prefs = alice.request("GET", "/api/prefs", None).await.json();
    assert_eq!(prefs["theme"], "light");
}

/// A browser too old to send `Sec-Fetch-Site` is judged by its `Origin` against `Host`.
#[tokio::test]
async fn posts_from_another_origin_without_fetch_metadata_are_refused() {
    let shop = Shop::start().await;
    let mut old = shop.browser();
    old.headers = vec![("Origin", "http://evil.example".to_owned())];
    let refused = old
        .send("POST", "/cart/add", Some("sku=TEA-EARL"), Some(FORM))
        .await;
    assert_eq!(refused.status, 403);
    let origin = format!("http://localhost:{}", shop.port);
    old.headers = vec![("Origin", origin)];
    let allowed = old
        .send("POST", "/cart/add", Some("sku=TEA-EARL"), Some(FORM))
        .await;
    assert_eq!(allowed.status, 303, "the shop's own origin");
}

#[tokio::test]
async fn every_page_header_shows_the_carts_item_count() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    let empty = browser.request("GET", "/", None).await.body;
    assert!(empty.contains(">Cart</a>"), "no count for an empty cart");
    browser
        .request(
            "POST",
            "/api/cart/lines",
            Some(json!({"sku": "TEA-EARL", "quantity": 2})),
        )
        .await;
    browser
        .request(
            "POST",
            "/api/cart/lines",
            Some(json!({"sku": "TEA-SENCHA", "quantity": 1})),
        )
        .await;
    for path in ["/", "/login", "/cart"] {
        let page = browser.request("GET", path, None).await.body;
        assert!(page.contains(">Cart (3)</a>"), "{path}");
    }
    browser
        .login("alice@example.com", "wonderland", false)
        .await;
    let account = browser.request("GET", "/account", None).await.body;
    assert!(
        account.contains(">Cart (3)</a>"),
        "the cart followed the sign-in"
    );
}

#[tokio::test]
async fn same_origin_form_posts_are_accepted() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    browser.headers = vec![
        ("Sec-Fetch-Site", "same-origin".to_owned()),
        ("Origin", format!("http://localhost:{}", shop.port)),
    ];
    let added = browser
        .send("POST", "/cart/add", Some("sku=TEA-EARL"), Some(FORM))
        .await;
    assert_eq!(added.status, 303);
    let cart = browser.request("GET", "/api/cart", None).await.json();
    assert_eq!(cart["count"], 1);
}

/// The value of the Prometheus sample `name{labels}` in a `/metrics` page, 0 if absent.
#[cfg(feature = "metrics")]
fn sample(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[cfg(feature = "metrics")]
#[tokio::test]
async fn metrics_show_logins_loads_writes_and_store_latency() {
    let shop = Shop::start().await;
    let mut scraper = shop.browser();
    let before = scraper.request("GET", "/metrics", None).await.body;
    let mut browser = shop.browser();
    browser
        .login("alice@example.com", "wonderland", false)
        .await;
    browser.request("GET", "/api/me", None).await;
    let after = scraper.request("GET", "/metrics", None).await;
    assert_eq!(after.status, 200);
    assert_eq!(
        after.header_values("set-cookie").count(),
        0,
        "outside the session layer"
    );
    let page = after.body;
    for series in [
        r#"session_logins_total{outcome="signed_in"}"#,
        r#"session_loads_total{outcome="found"}"#,
        r#"session_writes_total{outcome="stored"}"#,
        r#"session_store_duration_seconds_count{operation="GETEX"}"#,
    ] {
        assert!(
            sample(&page, series) > sample(&before, series),
            "{series} did not move:\n{page}"
        );
    }
    assert!(page.contains("# HELP session_loads_total"), "{page}");
}
