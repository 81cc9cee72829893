//! Conformance behaviours of what a response carries: timeouts, refused changes and how they
//! are rendered, explicit saves, session times, and the session cookie's attributes.

use std::time::Duration;

use crate::SameSite;
use axum::http::StatusCode;

use crate::test_kit::{Backend, Client, app};

fn client<B: Backend>(backend: &B) -> Client {
    Client::new(app(backend.store(), |b| b))
}

pub(crate) async fn idle_timeout_expires_the_session<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(400))
    }));
    client.post("/set/n", "1").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(client.get("/get/n").await.body, "none");
}

pub(crate) async fn reads_slide_the_idle_timeout<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
    }));
    client.post("/set/n", "1").await;
    // Reads 700 ms apart for 2.8 s: past the first deadline, each with 1.3 s to spare.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(client.get("/get/n").await.body, "1");
    }
}

pub(crate) async fn a_write_long_after_the_load_slides_the_idle_timeout<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
    }));
    client.post("/set/n", "1").await;
    client.post("/slow/m?ms=1500", "").await;
    // 2.5 s after the load (past its deadline), 1 s after the write (1 s before its deadline).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(client.get("/get/n").await.body, "1");
}

pub(crate) async fn absolute_timeout_expires_an_active_session<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
            .absolute_timeout(Duration::from_millis(3000))
    }));
    client.post("/set/n", "1").await;
    // Active every 600 ms until 1.8 s (1.2 s before the absolute deadline), then past it.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(client.get("/get/n").await.body, "1");
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(client.get("/get/n").await.body, "none");
}

pub(crate) async fn oversize_insert_is_refused_and_nothing_is_written<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.max_size(100)));
    client.post("/set/small", "\"fits\"").await;
    let big = format!("\"{}\"", "x".repeat(200));
    assert_eq!(
        client.post("/set/big", &big).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(client.get("/get/big").await.body, "none");
    assert_eq!(client.get("/get/small").await.body, "\"fits\"");
}

pub(crate) async fn a_refused_change_answers_with_a_plain_text_body<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.max_size(10)));
    let reply = client.post("/set/big", &"1".repeat(20)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        reply.body,
        "Payload Too Large: the session cannot hold this much data\n"
    );
    assert_eq!(
        reply.header("retry-after"),
        None,
        "only a 503 asks to retry"
    );
}

pub(crate) async fn a_refused_change_answers_with_json_to_a_client_that_accepts_json<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.max_keys(1)));
    client
        .headers
        .push(("accept", "application/json".to_owned()));
    client.post("/set/a", "1").await;
    let reply = client.post("/set/b", "2").await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    assert_eq!(body["error"], "session_too_many_keys");
    assert_eq!(body["message"], "the session cannot hold this many entries");
}

pub(crate) async fn the_layers_renderer_renders_a_handlers_session_error<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.max_size(10).render_failure(|failure| {
            let page = format!("<p>{} ({})</p>", failure.message(), failure.code());
            let mut response = failure.default_response();
            *response.body_mut() = page.into();
            response
        })
    });
    let reply = Client::new(app).post("/set/big", &"1".repeat(20)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.body,
        "<p>the session cannot hold this much data (session_too_large)</p>"
    );
}

pub(crate) async fn too_many_keys_are_refused_and_nothing_is_written<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.max_keys(2)));
    client.post("/set/a", "1").await;
    client.post("/set/b", "2").await;
    assert_eq!(
        client.post("/set/c", "3").await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(client.get("/get/c").await.body, "none");
    assert_eq!(client.post("/set/a", "10").await.status, StatusCode::OK);
}

pub(crate) async fn server_error_responses_do_not_save<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/n", "1").await;
    let reply = client.post("/fail/n", "").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(client.get("/get/n").await.body, "1");
    let mut fresh = self::client(&backend);
    let reply = fresh.post("/fail/n", "").await;
    assert!(reply.set_cookies.is_empty());
}

pub(crate) async fn explicit_save_writes_before_the_response<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let reply = client.post("/save-then-fail/k", "").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.set_cookies.len(),
        1,
        "the saved session's cookie is still sent"
    );
    assert_eq!(client.get("/get/k").await.body, "\"saved\"");
}

pub(crate) async fn explicit_save_reports_a_session_deleted_meanwhile<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let mut slow = client.clone();
    let in_flight = tokio::spawn(async move { slow.post("/slow-save/late?ms=300", "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    client.clone().post("/delete", "").await;
    assert_eq!(in_flight.await.unwrap().body, "Gone");
    assert_eq!(client.get("/get/late").await.body, "none");
}

pub(crate) async fn session_times_are_reported<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_secs(60))
            .absolute_timeout(Duration::from_secs(3600))
    }));
    let empty: serde_json::Value = serde_json::from_str(&client.get("/times").await.body).unwrap();
    assert!(empty["created_at"].is_null());
    client.post("/set/n", "1").await;
    let times: serde_json::Value = serde_json::from_str(&client.get("/times").await.body).unwrap();
    let created = times["created_at"].as_u64().unwrap();
    let expires = times["expires_at"].as_u64().unwrap();
    let idle = expires - created;
    assert!((59_000..=61_000).contains(&idle), "idle window {idle} ms");
}

pub(crate) async fn dollar_keys_cannot_clobber_metadata<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/$c", "\"mine\"").await;
    assert_eq!(client.get("/get/$c").await.body, "\"mine\"");
    let times: serde_json::Value = serde_json::from_str(&client.get("/times").await.body).unwrap();
    assert!(times["created_at"].as_u64().is_some());
}

pub(crate) async fn cookie_has_secure_defaults<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let cookie = client.post("/set/n", "1").await.set_cookies.remove(0);
    let value = client.cookie.clone().unwrap();
    assert_eq!(value.len(), 51);
    assert_eq!(
        cookie,
        format!("__Host-Http-id={value}; HttpOnly; SameSite=Lax; Secure; Path=/")
    );
}

pub(crate) async fn cookie_attributes_follow_the_builder<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.cookie_name("sid")
            .cookie_path("/app")
            .cookie_domain("example.com")
            .same_site(SameSite::Strict)
            .secure(false)
    });
    let mut client = Client::named(app, "sid");
    let cookie = client.post("/set/n", "1").await.set_cookies.remove(0);
    assert!(cookie.starts_with("sid="));
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/app",
        "Domain=example.com",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert!(!cookie.contains("Secure"));
    assert_eq!(client.get("/get/n").await.body, "1");
}

pub(crate) async fn persistent_cookie_has_max_age_of_the_absolute_timeout<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.persistent_cookie(true)
            .absolute_timeout(Duration::from_secs(7200))
    });
    let cookie = Client::new(app)
        .post("/set/n", "1")
        .await
        .set_cookies
        .remove(0);
    assert!(cookie.contains("Max-Age=7200"), "{cookie}");
}

pub(crate) async fn cookies_are_host_prefixed_by_default<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let cookie = client.post("/set/n", "1").await.set_cookies.remove(0);
    assert!(cookie.starts_with("__Host-Http-id="), "{cookie}");
    #[cfg(feature = "cart")]
    {
        let cart = client.post("/cart/add/apple/1", "").await.set_cookies;
        assert!(cart[0].starts_with("__Host-Http-cart="), "{cart:?}");
    }
    #[cfg(feature = "remember-me")]
    {
        let remember = client.post("/login-remember/alice", "").await.set_cookies;
        assert!(
            remember
                .iter()
                .any(|c| c.starts_with("__Host-Http-remember=")),
            "{remember:?}"
        );
    }
}

/// A cookie a sibling subdomain or a plain-http response could have planted (no prefix) names
/// nothing, even when its value is a live session, cart or remember-me token.
pub(crate) async fn cookies_without_the_host_prefix_are_not_read<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| b);
    let mut victim = Client::new(app.clone());
    #[cfg(feature = "cart")]
    victim.post("/cart/add/apple/1", "").await;
    #[cfg(feature = "remember-me")]
    victim.post("/login-remember/mallory", "").await;
    #[cfg(not(feature = "remember-me"))]
    victim.post("/login/mallory", "").await;
    victim.post("/set/n", "1").await;
    let mut planted = Client::named(app, "id");
    planted.cookie.clone_from(&victim.cookie);
    planted.cart.clone_from(&victim.cart);
    planted.remember.clone_from(&victim.remember);
    assert_eq!(planted.get("/me").await.body, "anonymous");
    assert_eq!(planted.get("/get/n").await.body, "none");
    #[cfg(feature = "cart")]
    assert!(planted.cart().await.is_empty());
}

pub(crate) async fn plain_cookie_names_where_the_prefix_cannot_apply<B: Backend>() {
    let backend = B::start();
    let mut client = Client::named(app(backend.store(), |b| b.secure(false)), "id");
    let cookie = client.post("/set/n", "1").await.set_cookies.remove(0);
    assert!(cookie.starts_with("id="), "{cookie}");
    #[cfg(feature = "cart")]
    {
        let cart = client.post("/cart/add/apple/1", "").await.set_cookies;
        assert!(cart[0].starts_with("cart="), "{cart:?}");
    }
    assert_eq!(client.get("/get/n").await.body, "1");
}
