//! When Redis fails: the shop's error pages, its readiness, and its start-up check.

use std::time::Duration;

use super::common::server::RedisServer;
use super::{Browser, Shop, shop};

/// A shop whose Redis stopped after alice signed in, with her browser.
async fn signed_in_then_redis_down() -> (Shop, Browser) {
    let mut shop = Shop::start_with(|config| config.idle = Duration::from_secs(60)).await;
    let mut browser = shop.browser();
    browser
        .login("alice@example.com", "wonderland", false)
        .await;
    shop.redis.stop();
    (shop, browser)
}

#[tokio::test]
async fn pages_show_a_styled_unavailable_page_while_redis_is_down() {
    let (_shop, mut browser) = signed_in_then_redis_down().await;
    for path in ["/", "/cart", "/account", "/login"] {
        let page = browser.request("GET", path, None).await;
        assert_eq!(page.status, 503, "{path}");
        assert!(page.body.contains("Temporarily unavailable"), "{path}");
        assert!(page.body.contains("<style>"), "{path}: styled");
        let content_type = page
            .header_values("content-type")
            .next()
            .unwrap_or_default();
        assert!(content_type.starts_with("text/html"), "{path}");
        assert!(page.header_values("retry-after").next().is_some(), "{path}");
    }
}

#[tokio::test]
async fn the_api_answers_503_json_with_retry_after_and_no_internals_while_redis_is_down() {
    let (_shop, mut browser) = signed_in_then_redis_down().await;
    for path in ["/api/me", "/api/cart", "/api/prefs", "/api/devices"] {
        let reply = browser.request("GET", path, None).await;
        assert_eq!(reply.status, 503, "{path}");
        assert!(reply.json()["error"].is_string(), "{path}");
        assert!(
            reply.header_values("retry-after").next().is_some(),
            "{path}: Retry-After"
        );
        for internal in ["127.0.0.1", "refused", "os error", "Redis at", "could not"] {
            assert!(!reply.body.contains(internal), "{path}: {}", reply.body);
        }
    }
    assert_eq!(browser.request("GET", "/healthz", None).await.status, 200);
}

#[tokio::test]
async fn readyz_is_503_while_the_store_is_unreachable_and_healthz_stays_200() {
    let mut shop = Shop::start().await;
    let mut browser = shop.browser();
    assert_eq!(browser.request("GET", "/readyz", None).await.status, 200);
    shop.redis.stop();
    assert_eq!(browser.request("GET", "/readyz", None).await.status, 503);
    assert_eq!(browser.request("GET", "/healthz", None).await.status, 200);
    shop.redis.restart();
    assert_eq!(browser.request("GET", "/readyz", None).await.status, 200);
    assert!(
        browser
            .request("GET", "/readyz", None)
            .await
            .header_values("set-cookie")
            .next()
            .is_none()
    );
}

#[tokio::test]
async fn the_shop_refuses_to_start_on_a_redis_that_may_evict_sessions() {
    let redis = RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"]);
    let mut config = shop::Config::from_env().expect("default config");
    config.redis_url = Some(redis.url());
    let refused = shop::router(&config)
        .await
        .err()
        .map(|error| error.to_string());
    let message = refused.expect("the shop refuses to start");
    assert!(message.contains("allkeys-lru"), "{message}");
}
