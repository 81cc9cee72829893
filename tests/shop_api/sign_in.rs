//! Signing in: no account enumeration by timing, hashing off the runtime, attempt limits, and
//! the sign-in form's answers.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::HeaderName;

use super::{Browser, Shop, shop};

fn limit(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("a positive limit")
}

fn retry_after(reply: &super::Response) -> u64 {
    let value = reply
        .header_values("retry-after")
        .next()
        .expect("Retry-After");
    value.parse().expect("Retry-After in seconds")
}

/// The time of a refusal must not tell an unknown address from a known one: both cost one
/// Argon2 check (of the same parameters: the dummy hash is made like the real ones).
#[tokio::test]
async fn an_unknown_email_costs_a_password_check_like_a_wrong_password() {
    let config = shop::Config::from_env().expect("default config");
    let accounts = shop::Accounts::new(&config).expect("accounts");
    let unknown = accounts
        .check(None, "nobody@example.com", "wonderland")
        .await;
    assert_eq!(
        unknown.err().map(|refusal| refusal.status().as_u16()),
        Some(401)
    );
    assert_eq!(accounts.password_checks(), 1);
    let wrong = accounts.check(None, "alice@example.com", "wrong").await;
    assert_eq!(
        wrong.err().map(|refusal| refusal.status().as_u16()),
        Some(401)
    );
    assert_eq!(accounts.password_checks(), 2);
    let right = accounts
        .check(None, "ALICE@example.com", "wonderland")
        .await;
    assert_eq!(right.ok().map(|verified| verified.user.id), Some("alice"));
}

/// On a one-thread runtime (`#[tokio::test]`'s), a handler that hashed in place would hold the
/// only thread: `/healthz` would wait for the sign-ins ahead of it.
#[tokio::test]
async fn healthz_answers_while_a_burst_of_sign_ins_is_hashing() {
    let shop = Shop::start_with(|config| config.hashing_threads = 1).await;
    let finished = Arc::new(AtomicUsize::new(0));
    let mut burst = Vec::new();
    for _ in 0..16 {
        let mut browser = shop.browser();
        let finished = Arc::clone(&finished);
        burst.push(tokio::spawn(async move {
            let reply = browser.login("alice@example.com", "wrong", false).await;
            finished.fetch_add(1, Ordering::SeqCst);
            reply.status
        }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let health = shop.browser().request("GET", "/healthz", None).await;
    assert_eq!(health.status, 200);
    let before = finished.load(Ordering::SeqCst);
    assert!(before < 8, "/healthz waited for {before} of 16 sign-ins");
    for login in burst {
        assert_eq!(login.await.expect("sign-in task"), 401);
    }
}

#[tokio::test]
async fn too_many_attempts_from_one_client_are_429_with_retry_after() {
    let shop = Shop::start_with(|config| config.sign_ins_per_ip = limit(3)).await;
    let mut browser = shop.browser();
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        assert_eq!(browser.login(email, "guess", false).await.status, 401);
    }
    let limited = browser
        .login("alice@example.com", "wonderland", false)
        .await;
    assert_eq!(limited.status, 429);
    assert!((1..=20).contains(&retry_after(&limited)));
    let error = limited.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("too many"), "{error}");
    assert!(
        !browser.cookies.contains_key("__Host-Http-id"),
        "not signed in"
    );

    let page = browser
        .form("/login", "email=alice%40example.com&password=wonderland")
        .await;
    assert_eq!(page.status, 429);
    assert!(retry_after(&page) >= 1);
    assert!(page.body.contains("Too many sign-in attempts"));
    assert!(page.body.contains("name=\"password\""), "the form again");
    assert!(shop.redis.keys().is_empty(), "nothing stored");
}

#[tokio::test]
async fn too_many_attempts_on_one_account_are_429_from_any_client() {
    let shop = Shop::start_with(|config| {
        config.sign_ins_per_account = limit(2);
        config.client_ip_header = Some(HeaderName::from_static("x-real-ip"));
    })
    .await;
    let from = |ip: &str| -> Browser {
        let mut browser = shop.browser();
        browser.headers.push(("X-Real-IP", ip.to_owned()));
        browser
    };
    for ip in ["203.0.113.1", "203.0.113.2"] {
        let reply = from(ip).login("ALICE@example.com", "guess", false).await;
        assert_eq!(reply.status, 401);
    }
    let limited = from("203.0.113.3")
        .login("alice@example.com", "wonderland", false)
        .await;
    assert_eq!(limited.status, 429, "the right password too, while limited");
    assert!(retry_after(&limited) >= 1);
    let other = from("203.0.113.3")
        .login("bob@example.com", "builder", false)
        .await;
    assert_eq!(other.status, 200, "other accounts are not limited");
}

#[tokio::test]
async fn a_wrong_password_shows_the_sign_in_form_again_with_the_message() {
    let shop = Shop::start().await;
    let mut browser = shop.browser();
    let reply = browser
        .form("/login", "email=alice%40example.com&password=nope")
        .await;
    assert_eq!(reply.status, 401);
    assert!(reply.body.contains("Wrong email or password."));
    assert!(
        reply.body.contains("value=\"alice@example.com\""),
        "email kept"
    );
    assert!(reply.body.contains("name=\"password\""));
    assert!(reply.body.contains("<style>"), "in the shop's frame");
    assert!(!browser.cookies.contains_key("__Host-Http-id"));
}

/// One IPv6 subscriber gets a /64 to pick addresses from: the limit is the network's.
#[tokio::test]
async fn addresses_of_one_ipv6_network_share_a_limit() {
    let shop = Shop::start_with(|config| {
        config.sign_ins_per_ip = limit(2);
        config.client_ip_header = Some(HeaderName::from_static("x-real-ip"));
    })
    .await;
    let attempt = async |ip: &str| {
        let mut browser = shop.browser();
        browser.headers.push(("X-Real-IP", ip.to_owned()));
        browser.login("a@example.com", "guess", false).await.status
    };
    assert_eq!(attempt("2001:db8:1:2::1").await, 401);
    assert_eq!(attempt("2001:db8:1:2::2").await, 401);
    assert_eq!(attempt("2001:db8:1:2:ffff::9").await, 429);
    assert_eq!(attempt("2001:db8:1:3::1").await, 401, "another network");
}
