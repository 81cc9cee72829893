//! Conformance behaviours of the cart (part of `conformance_suite!`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::store::cart::{CartLimits, CartLine, CartOp, CartOwner, CartStore, MergePolicy};
use crate::{CartConfig, CartId};
use axum::http::StatusCode;

use super::cookie_names::{expires, under_old_name};
use crate::test_kit::{Backend, Client, app};

fn client<B: Backend>(backend: &B) -> Client {
    Client::new(app(backend.store(), |b| b))
}

fn cart_of(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

pub(crate) async fn anonymous_add_read_remove_round_trip<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/cart/add/apple/2", "").await.body, "2");
    assert_eq!(client.post("/cart/add/pear/1", "").await.body, "1");
    assert_eq!(client.cart().await, cart_of(&[("apple", 2), ("pear", 1)]));
    client.post("/cart/remove/apple", "").await;
    assert_eq!(client.cart().await, cart_of(&[("pear", 1)]));
    client.post("/cart/clear", "").await;
    assert!(client.cart().await.is_empty());
    assert!(client.cookie.is_none(), "no session was needed");
}

pub(crate) async fn payloads_are_kept_with_their_line<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client
        .post("/cart/add/apple/1", r#"{"name":"Apple","price":120}"#)
        .await;
    client.post("/cart/add/apple/1", "").await;
    let cart: serde_json::Value = serde_json::from_str(&client.get("/cart").await.body).unwrap();
    assert_eq!(cart["lines"][0]["quantity"], 2);
    let payload: serde_json::Value =
        serde_json::from_str(cart["lines"][0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["price"], 120);
    assert_eq!(cart["count"], 2);
    assert_eq!(client.get("/cart/count").await.body, "2");
}

pub(crate) async fn a_hundred_parallel_adds_of_one_sku_make_a_hundred<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/cart/add/apple/1", "").await;
    let adds: Vec<_> = (0..99)
        .map(|_| {
            let mut adder = client.clone();
            tokio::spawn(async move { adder.post("/cart/add/apple/1", "").await })
        })
        .collect();
    for add in adds {
        assert_eq!(add.await.unwrap().status, StatusCode::OK);
    }
    assert_eq!(client.cart().await, cart_of(&[("apple", 100)]));
}

pub(crate) async fn a_hundred_parallel_adds_of_distinct_skus_make_a_hundred_lines<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/cart/add/sku-0/1", "").await;
    let adds: Vec<_> = (1..100)
        .map(|i| {
            let mut adder = client.clone();
            tokio::spawn(async move { adder.post(&format!("/cart/add/sku-{i}/1"), "").await })
        })
        .collect();
    for add in adds {
        assert_eq!(add.await.unwrap().status, StatusCode::OK);
    }
    assert_eq!(client.cart().await.len(), 100);
}

pub(crate) async fn decrement_to_zero_removes_the_line<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/cart/add/apple/3", "").await;
    assert_eq!(client.post("/cart/decr/apple/2", "").await.body, "1");
    assert_eq!(client.post("/cart/decr/apple/5", "").await.body, "0");
    assert!(client.cart().await.is_empty());
    client.post("/cart/add/pear/2", "").await;
    assert_eq!(client.post("/cart/set/pear/0", "").await.body, "0");
    assert!(client.cart().await.is_empty());
}

pub(crate) async fn the_cart_cookie_is_persistent_and_secure<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.cart(CartConfig::default().ttl(Duration::from_secs(3600)))
    });
    let mut client = Client::new(app);
    assert!(
        client.get("/cart").await.set_cookies.is_empty(),
        "a read sets nothing"
    );
    let reply = client.post("/cart/add/apple/1", "").await;
    let cookie = reply
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-Http-cart="))
        .expect("a cart cookie");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=3600",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    let again = client.post("/cart/add/apple/1", "").await;
    assert!(
        again
            .set_cookies
            .iter()
            .any(|c| c.starts_with("__Host-Http-cart=")),
        "Max-Age refreshed on change"
    );
}

pub(crate) async fn limits_give_typed_errors_and_leave_the_cart_unchanged<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.cart(
            CartConfig::default()
                .max_lines(2)
                .max_quantity(5)
                .max_payload(32),
        )
    });
    let mut client = Client::new(app);
    client.post("/cart/add/a/1", "").await;
    client.post("/cart/add/b/1", "").await;
    let refused = [
        ("/cart/add/c/1", ""),
        ("/cart/add/a/5", ""),
        ("/cart/set/b/6", ""),
        ("/cart/add/a/0", ""),
        ("/cart/add/bad%20sku/1", ""),
        (
            "/cart/add/a/1",
            "\"a payload that is far too long for the cap\"",
        ),
    ];
    for (path, body) in refused {
        let reply = client.post(path, body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
    assert_eq!(client.cart().await, cart_of(&[("a", 1), ("b", 1)]));
}

pub(crate) async fn a_refused_cart_change_answers_json_to_a_client_that_accepts_json<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.cart(CartConfig::default().max_lines(1))
    });
    let mut client = Client::new(app);
    client.post("/cart/add/a/1", "").await;
    let plain = client.post("/cart/add/b/1", "").await;
    assert_eq!(plain.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        plain.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        plain.body.contains("a cart holds at most 1 lines"),
        "{}",
        plain.body
    );

    client
        .headers
        .push(("accept", "application/json".to_owned()));
    let json = client.post("/cart/add/b/1", "").await;
    assert_eq!(json.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = serde_json::from_str(&json.body).expect("a JSON body");
    assert_eq!(body["error"], "cart_refused");
    assert_eq!(body["message"], "a cart holds at most 1 lines");
}

pub(crate) async fn a_refused_cart_change_goes_through_the_layers_renderer<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.cart(CartConfig::default().max_quantity(2))
            .render_failure(|failure| {
                let mut response = failure.default_response();
                *response.body_mut() = format!("<p>{}</p>", failure.code()).into();
                response
            })
    });
    let refused = Client::new(app).post("/cart/add/a/3", "").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body, "<p>cart_refused</p>");
}

pub(crate) async fn an_unknown_cart_id_is_never_adopted<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let planted = CartId::generate().unwrap().encode();
    client.cart = Some(planted.clone());
    client.post("/cart/add/apple/1", "").await;
    assert_ne!(client.cart.as_deref(), Some(planted.as_str()));
    let mut attacker = client.clone();
    attacker.cart = Some(planted);
    assert!(attacker.cart().await.is_empty());
}

pub(crate) async fn login_merges_the_visitor_cart_by_summing<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut other_device = base.clone();
    other_device.post("/login/alice", "").await;
    other_device.post("/cart/add/b/3", "").await;
    let mut shopper = base.clone();
    shopper.post("/cart/add/a/1", "").await;
    shopper.post("/cart/add/b/2", "").await;
    let reply = shopper.post("/login/alice", "").await;
    assert!(
        reply
            .set_cookies
            .iter()
            .any(|c| c.starts_with("__Host-Http-cart=;"))
    );
    assert_eq!(shopper.cart().await, cart_of(&[("a", 1), ("b", 5)]));
    assert_eq!(other_device.cart().await, cart_of(&[("a", 1), ("b", 5)]));
}

pub(crate) async fn a_retried_merge_gives_the_same_result<B: Backend>() {
    let backend = B::start();
    let store = backend.store();
    let limits = CartLimits {
        max_lines: 100,
        max_quantity: 999,
        ttl: Duration::from_secs(60),
    };
    let source = CartId::generate().unwrap().handle();
    let lines = [line("a", 1), line("b", 2)];
    let user = CartOwner::User("alice".into());
    let add_b = CartOp::Add {
        sku: "b",
        quantity: 3,
        payload: None,
    };
    let _ = store
        .cart_apply(&user, false, &add_b, limits)
        .await
        .unwrap();
    let merge = || {
        let ttl = Duration::from_secs(60);
        store.cart_merge("alice", &source, &lines, MergePolicy::Sum, limits, ttl)
    };
    assert!(merge().await.unwrap(), "merged");
    assert!(!merge().await.unwrap(), "not merged twice");
    let merged: Vec<(String, u32)> = store
        .cart_lines(&user)
        .await
        .unwrap()
        .into_iter()
        .map(|line| (line.sku, line.quantity))
        .collect();
    assert_eq!(merged, [("a".to_owned(), 1), ("b".to_owned(), 5)]);
}

fn line(sku: &str, quantity: u32) -> CartLine {
    CartLine {
        sku: sku.to_owned(),
        quantity,
        payload: None,
    }
}

pub(crate) async fn merge_policies_max_and_replace<B: Backend>() {
    for (policy, expected) in [
        (MergePolicy::Max, cart_of(&[("a", 1), ("b", 3)])),
        (MergePolicy::Replace, cart_of(&[("a", 1), ("b", 2)])),
    ] {
        let backend = B::start();
        let base = Client::new(app(backend.store(), |b| {
            b.cart(CartConfig::default().merge(policy))
        }));
        let mut user = base.clone();
        user.post("/login/alice", "").await;
        user.post("/cart/add/b/3", "").await;
        user.post("/cart/add/c/1", "").await;
        if policy == MergePolicy::Max {
            user.post("/cart/remove/c", "").await;
        }
        let mut shopper = base.clone();
        shopper.post("/cart/add/a/1", "").await;
        shopper.post("/cart/add/b/2", "").await;
        shopper.post("/login/alice", "").await;
        assert_eq!(shopper.cart().await, expected, "{policy:?}");
    }
}

pub(crate) async fn after_logout_the_browser_has_a_new_empty_cart_and_the_users_cart_stays<
    B: Backend,
>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/login/alice", "").await;
    client.post("/cart/add/a/2", "").await;
    client.post("/logout", "").await;
    assert!(client.cart().await.is_empty());
    client.post("/cart/add/z/1", "").await;
    assert_eq!(client.cart().await, cart_of(&[("z", 1)]));
    let mut later = client.clone();
    later.cookie = None;
    later.cart = None;
    later.post("/login/alice", "").await;
    assert_eq!(later.cart().await, cart_of(&[("a", 2)]));
}

pub(crate) async fn the_visitor_cart_survives_session_expiry<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(300))
    }));
    client.post("/set/n", "1").await;
    client.post("/cart/add/apple/1", "").await;
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(
        client.get("/get/n").await.body,
        "none",
        "the session expired"
    );
    assert_eq!(client.cart().await, cart_of(&[("apple", 1)]));
}

pub(crate) async fn the_visitor_cart_expires_after_its_ttl<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.cart(CartConfig::default().ttl(Duration::from_millis(300)))
    }));
    client.post("/cart/add/apple/1", "").await;
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(client.cart().await.is_empty());
    // Read from the add's own answer: the new cart lives only 300 ms too.
    assert_eq!(
        client.post("/cart/add/pear/1", "").await.body,
        "1",
        "a new cart"
    );
}

pub(crate) async fn a_cart_cookie_under_its_old_name_keeps_the_cart<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/cart/add/tea/2", "").await;
    let value = client.cart.take();
    under_old_name(&mut client, "__Host-cart", value.clone());
    let reply = client.get("/cart/count").await;
    assert_eq!(reply.body, "2");
    assert_eq!(client.cart, value, "moved to the current name");
    assert!(
        expires(&reply.set_cookies, "__Host-cart"),
        "{:?}",
        reply.set_cookies
    );
}
