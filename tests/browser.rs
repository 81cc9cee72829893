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
    tokio::spawn(shop::serve(listener, router));
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

/// The first browser, signed out by another device, restarts with its persistent cookies: its
/// remember-me cookie signs nobody in. Returns the restarted browser.
async fn the_revoked_device_stays_signed_out(
    driver: &Driver,
    shop: &str,
    first: Browser,
) -> Browser {
    // The first window was signed out for good: its remember-me cookie, kept across a browser
    // restart, signs nobody in either.
    let revoked = first.persistent_cookies().await;
    assert!(
        revoked
            .iter()
            .any(|cookie| cookie["name"] == "__Host-Http-remember")
    );
    first.quit().await;
    let revoked_restart = driver.browser(profile("first-revoked")).await;
    revoked_restart.go(&format!("{shop}/login")).await;
    for cookie in revoked {
        revoked_restart.add_cookie(cookie).await;
    }
    revoked_restart.go(&format!("{shop}/account")).await;
    assert!(
        !revoked_restart
            .source()
            .await
            .contains("Where you are signed in"),
        "the revoked device is signed out, its remember-me cookie too"
    );
    revoked_restart
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
    first.submit(".products li:nth-child(1) button").await;
    first.go(&shop).await;
    first.submit(".products li:nth-child(2) button").await;
    first
        .fill("li.line:nth-child(1) input[name=quantity]", "3")
        .await;
    first.submit("li.line:nth-child(1) button.update").await;
    let cart = first.source().await;
    assert!(cart.contains("Earl Grey tea") && cart.contains("Sencha green tea"));
    assert!(cart.contains("value=\"3\""), "the quantity changed");
    first.screenshot("cart").await;

    let second = driver.browser(profile("second")).await;
    sign_in(&second, &shop, false).await;
    let account = second.source().await;
    assert_eq!(account.matches("This device</span>").count(), 1);
    second.submit("form[action='/account/revoke'] button").await;
    second.screenshot("account-second-device").await;
    assert!(
        !second.source().await.contains("action=\"/account/revoke\""),
        "one device left"
    );

    let first_again = Box::pin(the_revoked_device_stays_signed_out(&driver, &shop, first)).await;

    // Signed in again with "remember me", then a browser restart keeps only persistent cookies.
    sign_in(&first_again, &shop, true).await;
    let kept = first_again.persistent_cookies().await;
    first_again.quit().await;
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

    // Remembered: the password first, then sign out everywhere.
    restarted
        .fill(
            "form[action='/account/confirm'] input[name=password]",
            "wonderland",
        )
        .await;
    restarted
        .submit("form[action='/account/confirm'] button")
        .await;
    assert!(restarted.source().await.contains("Password confirmed."));
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

/// Changing the password in one browser signs the other one out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_signs_the_other_browser_out() {
    let redis = RedisServer::start();
    let shop = serve_shop(&redis).await;
    let driver = Driver::start().await;
    let laptop = driver.browser(profile("change-laptop")).await;
    let phone = driver.browser(profile("change-phone")).await;
    sign_in(&laptop, &shop, false).await;
    sign_in(&phone, &shop, false).await;

    laptop
        .fill(
            "form[action='/account/password'] input[name=current]",
            "wonderland",
        )
        .await;
    laptop
        .fill(
            "form[action='/account/password'] input[name=new]",
            "looking-glass",
        )
        .await;
    laptop
        .submit("form[action='/account/password'] button")
        .await;
    let account = laptop.source().await;
    assert!(account.contains("Password changed."), "{account}");
    assert_eq!(account.matches("This device</span>").count(), 1);
    assert!(
        !account.contains("action=\"/account/revoke\""),
        "no other device"
    );
    laptop.screenshot("password-changed").await;

    phone.go(&format!("{shop}/account")).await;
    assert!(
        phone.source().await.contains("name=\"password\""),
        "the phone is signed out"
    );
    laptop.quit().await;
    phone.quit().await;
}

/// Whether the page scrolls sideways: content wider than the window.
async fn overflows(browser: &Browser) -> bool {
    let widths = browser
        .script("return [document.documentElement.scrollWidth, window.innerWidth];")
        .await;
    widths[0].as_u64() > widths[1].as_u64()
}

/// Text squeezed until it breaks letter by letter: a button or a price on more than one line,
/// or a block of text narrower than eight characters.
const SQUEEZED: &str =
    "return [...document.querySelectorAll('button, .price, .what, label, h1, h2, .card')]
    .filter(e => {
        const r = e.getBoundingClientRect();
        const size = parseFloat(getComputedStyle(e).fontSize);
        if (r.width === 0) return false;
        return e.matches('button, .price') ? r.height > 2.6 * size : r.width < 8 * size;
    })
    .map(e => e.outerHTML.slice(0, 100));";

/// The page as it is, at phone widths (360, 390, 420 px) and on a desktop (1280 px): nothing
/// wider than the window, nothing squeezed; screenshots at 390 and 1280 px.
async fn fits_every_width(browser: &Browser, name: &str) {
    for width in [360, 390, 420, 1280] {
        browser.resize(width, 1500).await;
        assert!(!overflows(browser).await, "{name} overflows at {width} px");
        let squeezed = browser.script(SQUEEZED).await;
        assert_eq!(squeezed, serde_json::json!([]), "{name} at {width} px");
        if width == 390 || width == 1280 {
            browser.screenshot(&format!("{name}-{width}")).await;
        }
    }
}

/// Every page, for visitors and signed-in shoppers, in both themes and while Redis is down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_a_desktop_window() {
    let mut redis = RedisServer::start();
    let shop = serve_shop(&redis).await;
    let driver = Driver::start().await;
    let visitor = driver.browser(profile("widths-visitor")).await;
    let shopper = driver.browser(profile("widths-shopper")).await;
    let other = driver.browser(profile("widths-other")).await;
    sign_in(&other, &shop, false).await;
    sign_in(&shopper, &shop, true).await;
    for product in 1..=3 {
        shopper.go(&shop).await;
        shopper
            .submit(&format!(".products li:nth-child({product}) button"))
            .await;
    }
    let pages = [
        (&visitor, "/", "products"),
        (&visitor, "/login", "sign-in"),
        (&visitor, "/cart", "cart-empty"),
        (&shopper, "/cart", "cart"),
        (&shopper, "/account", "account"),
    ];
    for (browser, path, name) in pages {
        browser.go(&format!("{shop}{path}")).await;
        fits_every_width(browser, name).await;
    }

    visitor.go(&format!("{shop}/login")).await;
    visitor.fill("input[name=email]", "alice@example.com").await;
    visitor.fill("input[name=password]", "wrong").await;
    visitor.submit("form.card button").await;
    assert!(visitor.source().await.contains("Wrong email or password."));
    fits_every_width(&visitor, "sign-in-refused").await;

    shopper.go(&format!("{shop}/account")).await;
    shopper.click("select[name=theme] option[value=dark]").await;
    shopper.submit("form[action='/account/prefs'] button").await;
    let field = shopper
        .script("return getComputedStyle(document.querySelector('input[name=language]')).backgroundColor;")
        .await;
    assert_ne!(field, "rgb(255, 255, 255)", "inputs follow the theme");
    fits_every_width(&shopper, "account-dark").await;

    // Signed back in by remember-me: the page asks for the password.
    shopper.delete_cookie("__Host-Http-id").await;
    shopper.go(&format!("{shop}/account")).await;
    assert!(shopper.source().await.contains("Confirm it’s you"));
    fits_every_width(&shopper, "account-remembered").await;

    // A visitor without a cookie still sees the products: their pages need no store.
    redis.stop();
    shopper.go(&format!("{shop}/cart")).await;
    assert!(shopper.source().await.contains("Temporarily unavailable"));
    fits_every_width(&shopper, "unavailable").await;
    for browser in [visitor, shopper, other] {
        browser.quit().await;
    }
}

/// Chromium's switches for device-bound sessions on Linux: the standard feature, and software
/// keys in place of a TPM (Chromium 156; the W3C draft's wiki, "Testing early versions of DBSC").
#[cfg(feature = "dbsc")]
const DBSC_SWITCHES: [&str; 2] = [
    "--enable-features=DeviceBoundSessions:RequireOriginTrialTokens/false/RefreshQuota/false,EnableBoundSessionCredentialsSoftwareKeysForManualTesting",
    "--disable-features=DeviceBoundSessionsRefreshQuota",
];

/// How long the credential cookie lasts in the device-bound test.
#[cfg(feature = "dbsc")]
const CREDENTIAL: std::time::Duration = std::time::Duration::from_secs(4);

/// The credential cookie's value in `browser`, if it has one.
#[cfg(feature = "dbsc")]
async fn credential(browser: &Browser) -> Option<String> {
    let cookies = browser.cookies().await;
    let credential = cookies
        .iter()
        .find(|cookie| cookie["name"] == "__Host-bound")?;
    credential["value"].as_str().map(str::to_owned)
}

#[cfg(feature = "dbsc")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_bound_session_outlives_its_credential_and_its_copied_cookies_do_not() {
    use std::time::{Duration, Instant};

    let redis = RedisServer::start();
    let mut config = shop::Config::from_env().expect("default config");
    config.redis_url = Some(redis.url());
    config.dbsc_credential = CREDENTIAL;
    let router = shop::router(&config).await.expect("shop router");
    let site = common::tls::Site::serve(router, "dbsc").await;
    let shop = site.url.clone();
    let driver = Driver::start_in(Some(&site.home)).await;

    let device = driver
        .browser_with(profile("dbsc-device"), &DBSC_SWITCHES)
        .await;
    sign_in(&device, &shop, false).await;
    // Chromium registers in the background, after the sign-in's response.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        device.go(&format!("{shop}/account")).await;
        if device.source().await.contains("Bound to this device") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Chromium did not bind the session: {}",
            device.source().await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    device.screenshot("account-bound").await;
    let first = credential(&device).await.expect("a credential cookie");
    // Every cookie, as an infostealer copies them; the credential kept as if it never expired.
    let mut copied = device.cookies().await;
    for cookie in &mut copied {
        if let Some(fields) = cookie.as_object_mut() {
            fields.remove("expiry");
        }
    }

    // The credential expires: the device proves its key to the refresh path and stays in.
    tokio::time::sleep(CREDENTIAL + Duration::from_secs(2)).await;
    device.go(&format!("{shop}/account")).await;
    let account = device.source().await;
    assert!(account.contains("Where you are signed in"), "{account}");
    assert!(account.contains("Bound to this device"));
    let renewed = credential(&device).await.expect("a renewed credential");
    assert_ne!(
        renewed, first,
        "the credential was renewed through a refresh"
    );

    // The same cookies in another profile, which has no key: not signed in.
    let thief = driver.browser(profile("dbsc-copy")).await;
    thief.go(&format!("{shop}/login")).await;
    for cookie in copied {
        thief.add_cookie(cookie).await;
    }
    thief.go(&format!("{shop}/account")).await;
    let stolen = thief.source().await;
    thief.screenshot("account-copied-cookies").await;
    assert!(
        !stolen.contains("Where you are signed in"),
        "a copy of a bound session's cookies signs nobody in: {stolen}"
    );
    device.go(&format!("{shop}/account")).await;
    assert!(
        device.source().await.contains("Where you are signed in"),
        "the device itself is still signed in"
    );
}
