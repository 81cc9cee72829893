#![cfg(all(feature = "cart", feature = "remember-me"))]
//! The example shop in headless Chromium: what a shopper does, click by click, with a
//! screenshot of each page under `target/screenshots/`.

mod common;
#[allow(dead_code)]
#[path = "../examples/shop/app/mod.rs"]
mod shop;

use common::server::RedisServer;
use common::webdriver::{Browser, Driver};

async fn serve_shop(redis: &RedisServer) -> String {
    let mut config = shop::Config::from_env().expect("default config");
    config.redis_url = Some(redis.url());
    let router = shop::router(&config).await.expect("shop router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    // `localhost`, which browsers treat as secure, so the Secure cookies are kept over http.
    format!("http://localhost:{port}")
}

fn profile(name: &str) -> std::path::PathBuf {
    let directory = std::env::temp_dir().join(format!("trs-browser-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    directory
}

async fn sign_in(browser: &Browser, shop: &str, remember: bool) {
    browser.go(&format!("{shop}/login")).await;
    browser.fill("input[name=email]", "alice@example.com").await;
    browser.fill("input[name=password]", "wonderland").await;
    if remember {
        browser.click("input[name=remember]").await;
    }
    browser.submit("form.card button").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_signs_in_shops_and_manages_devices() {
    let redis = RedisServer::start();
    let shop = serve_shop(&redis).await;
    let driver = Driver::start().await;

    let first = driver.browser(profile("first")).await;
    first.go(&shop).await;
    first.screenshot("products").await;
    sign_in(&first, &shop, true).await;
    assert!(first.source().await.contains("Where you are signed in"));
    first.screenshot("account").await;

    first.go(&shop).await;
    first.submit("tr:nth-child(2) button").await;
    first.go(&shop).await;
    first.submit("tr:nth-child(3) button").await;
    first
        .fill("tr:nth-child(2) input[name=quantity]", "3")
        .await;
    first.submit("tr:nth-child(2) form.inline button").await;
    let cart = first.source().await;
    assert!(cart.contains("Earl Grey tea") && cart.contains("Sencha green tea"));
    assert!(cart.contains("value=\"3\""), "the quantity changed");
    first.screenshot("cart").await;

    let second = driver.browser(profile("second")).await;
    sign_in(&second, &shop, false).await;
    let account = second.source().await;
    assert_eq!(account.matches("<strong>this device</strong>").count(), 1);
    second.submit("form[action='/account/revoke'] button").await;
    second.screenshot("account-second-device").await;
    assert!(
        !second.source().await.contains("action=\"/account/revoke\""),
        "one device left"
    );

    // The first window: its session is gone; a browser restart keeps only persistent cookies.
    let kept: Vec<_> = first
        .cookies()
        .await
        .into_iter()
        .filter(|cookie| cookie.get("expiry").is_some())
        .collect();
    assert!(
        kept.iter()
            .any(|cookie| cookie["name"] == "__Host-remember")
    );
    first.quit().await;
    let restarted = driver.browser(profile("first-again")).await;
    restarted.go(&format!("{shop}/login")).await;
    for cookie in kept {
        restarted.add_cookie(cookie).await;
    }
    restarted.go(&format!("{shop}/account")).await;
    let account = restarted.source().await;
    assert!(
        account.contains("Where you are signed in"),
        "signed in again"
    );
    assert!(account.contains("remember me"), "by remember-me");
    restarted.screenshot("account-remembered").await;

    restarted
        .submit("form[action='/account/logout-all'] button")
        .await;
    restarted.go(&format!("{shop}/account")).await;
    assert!(
        restarted.source().await.contains("name=\"password\""),
        "signed out"
    );
    second.go(&format!("{shop}/account")).await;
    assert!(
        second.source().await.contains("name=\"password\""),
        "everywhere"
    );
    restarted.screenshot("signed-out").await;
    restarted.quit().await;
    second.quit().await;
}

/// A page on another site whose form signs the visitor in to the shop as someone else (login
/// CSRF): Chromium sends the real `Sec-Fetch-Site` and `Origin`, and the shop refuses the post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_on_another_site_cannot_sign_a_shopper_in() {
    let redis = RedisServer::start();
    let shop = serve_shop(&redis).await;
    let form = format!(
        "<!doctype html><form method=\"post\" action=\"{shop}/login\">\
         <input type=\"hidden\" name=\"email\" value=\"bob@example.com\">\
         <input type=\"hidden\" name=\"password\" value=\"builder\">\
         <button>Win a prize</button></form>"
    );
    let other_site = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(form) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, other_site).await });
    let driver = Driver::start().await;
    let browser = driver.browser(profile("cross-site")).await;

    browser.go(&format!("http://127.0.0.1:{port}/")).await;
    browser.submit("button").await;
    let refused = browser.source().await;
    assert!(refused.contains("sent from another site"), "{refused}");
    browser.screenshot("cross-site-refused").await;
    browser.go(&format!("{shop}/account")).await;
    assert!(
        browser.source().await.contains("name=\"password\""),
        "nobody signed in"
    );
    browser.quit().await;
}
