#![cfg(feature = "cart")]
//! What carts cost Redis: a user's cart holds its lines and nothing else, however often the user
//! signs in with a visitor cart.

mod common;

use std::time::Duration;

use common::Redis;
use tower_redis_session::CartId;
use tower_redis_session::store::cart::{
    CartLimits, CartLine, CartOp, CartOwner, CartStore, MergePolicy,
};
use tower_redis_session::test_kit::Backend;

const LIMITS: CartLimits = CartLimits {
    max_lines: 100,
    max_quantity: 999,
    ttl: Duration::from_secs(30 * 24 * 3600),
};
const VISITOR_TTL: Duration = Duration::from_secs(24 * 3600);

fn line(sku: &str) -> CartLine {
    CartLine {
        sku: sku.to_owned(),
        quantity: 1,
        payload: Some(r#"{"name":"tea"}"#.to_owned()),
    }
}

/// The microseconds Redis spent per `EVALSHA` since the last reset, as `INFO commandstats`
/// reports them.
fn evalsha_usec_per_call(backend: &Redis) -> f64 {
    let stats = backend
        .server
        .cmd(&["INFO", "commandstats"])
        .strings()
        .concat();
    stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:"))
        .and_then(|fields| {
            fields
                .split(',')
                .find_map(|f| f.strip_prefix("usec_per_call="))
        })
        .and_then(|usec| usec.parse().ok())
        .expect("EVALSHA in commandstats")
}

/// Redis' time per cart operation that adds a new line (the one that counts the lines), over
/// 100 such operations, each undone.
async fn cost_of_adding_a_line(backend: &Redis, store: &impl CartStore, user: &CartOwner) -> f64 {
    backend.server.cmd(&["CONFIG", "RESETSTAT"]);
    for _ in 0..100 {
        let add = CartOp::Add {
            sku: "NEW",
            quantity: 1,
            payload: None,
        };
        let _ = store.cart_apply(user, false, &add, LIMITS).await.unwrap();
        let remove = CartOp::Remove { sku: "NEW" };
        let _ = store
            .cart_apply(user, false, &remove, LIMITS)
            .await
            .unwrap();
    }
    evalsha_usec_per_call(backend)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_merged_visitor_carts_leave_the_users_cart_holding_only_its_lines() {
    let backend = Redis::start();
    let store = backend.store();
    let user = CartOwner::User("alice".into());
    let add = CartOp::Add {
        sku: "TEA",
        quantity: 1,
        payload: None,
    };
    let _ = store.cart_apply(&user, false, &add, LIMITS).await.unwrap();
    let before = cost_of_adding_a_line(&backend, &store, &user).await;

    let skus = ["TEA", "MUG", "POT"];
    for i in 0..10_000 {
        let source = CartId::generate().unwrap().handle();
        let lines = [line(skus[i % skus.len()])];
        let merged = store
            .cart_merge(
                "alice",
                &source,
                &lines,
                MergePolicy::Max,
                LIMITS,
                VISITOR_TTL,
            )
            .await
            .unwrap();
        assert!(merged);
    }

    let store = backend.store();
    let cart = &store.cart_key(&CartOwner::User("alice".to_owned()));
    assert_eq!(
        backend.server.int(&["HLEN", cart]),
        3,
        "three lines, nothing else"
    );
    let markers = cart.replace(":c", ":m:*");
    let markers = backend.server.cmd(&["KEYS", &markers]).strings();
    assert_eq!(markers.len(), 10_000);
    for marker in markers.iter().step_by(1000) {
        let ttl = backend.server.int(&["PTTL", marker]);
        assert!(
            ttl > 0 && ttl <= 24 * 3600 * 1000,
            "expires with the visitor cart: {ttl}"
        );
    }
    let after = cost_of_adding_a_line(&backend, &store, &user).await;
    println!(
        "cart_apply.lua adding a line: {before:.2} µs per call on a fresh cart, {after:.2} µs after 10,000 merges"
    );
}
