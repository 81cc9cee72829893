//! The account: changing the password, confirming it in a remembered session, and the device
//! list's names.

use axum::http::HeaderName;
use serde_json::json;

use super::{Browser, JSON, Shop};

const FIREFOX_ON_MAC: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_ON_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

async fn signed_in(shop: &Shop, password: &str) -> Browser {
    let mut browser = shop.browser();
    let reply = browser.login("alice@example.com", password, false).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    browser
}

/// A browser that "remember me" signed back in after its session cookie was gone.
async fn remembered(shop: &Shop) -> Browser {
    let mut browser = shop.browser();
    browser.login("alice@example.com", "wonderland", true).await;
    browser.cookies.remove("__Host-Http-id");
    let me = browser.request("GET", "/api/me", None).await.json();
    assert_eq!(me["remembered"], true);
    browser
}

async fn change(browser: &mut Browser, current: &str, new: &str) -> u16 {
    let body = json!({ "current": current, "new": new });
    browser
        .request("POST", "/api/password", Some(body))
        .await
        .status
}

/// The account page's HTML, at `path` (`/account` with any query).
async fn account_page(browser: &mut Browser, path: &str) -> String {
    browser.request("GET", path, None).await.body
}

async fn is_signed_in(browser: &mut Browser) -> bool {
    browser.request("GET", "/api/me", None).await.status == 200
}

#[tokio::test]
async fn changing_the_password_signs_out_every_other_session_and_gives_a_new_id() {
    let shop = Shop::start().await;
    let mut laptop = signed_in(&shop, "wonderland").await;
    let mut phone = signed_in(&shop, "wonderland").await;
    let before = laptop.cookies["__Host-Http-id"].clone();
    assert_eq!(
        change(&mut laptop, "wonderland", "looking-glass").await,
        204
    );
    assert_ne!(laptop.cookies["__Host-Http-id"], before, "a new ID");
    assert!(is_signed_in(&mut laptop).await);
    assert!(
        !is_signed_in(&mut phone).await,
        "the other session is signed out"
    );
    let mut old_cookie = shop.browser();
    old_cookie.cookies.insert("__Host-Http-id".into(), before);
    assert!(
        !is_signed_in(&mut old_cookie).await,
        "the old ID names nothing"
    );
    let mut again = shop.browser();
    assert_eq!(
        again
            .login("alice@example.com", "wonderland", false)
            .await
            .status,
        401
    );
    assert_eq!(
        again
            .login("alice@example.com", "looking-glass", false)
            .await
            .status,
        200
    );
    assert_eq!(
        laptop
            .request("GET", "/api/devices", None)
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_wrong_current_password_is_401_and_a_short_new_one_422_changing_nothing() {
    let shop = Shop::start().await;
    let mut laptop = signed_in(&shop, "wonderland").await;
    let mut phone = signed_in(&shop, "wonderland").await;
    assert_eq!(change(&mut laptop, "nope", "looking-glass").await, 401);
    assert_eq!(change(&mut laptop, "wonderland", "short").await, 422);
    assert_eq!(
        change(&mut laptop, "wonderland", &"x".repeat(257)).await,
        422
    );
    assert!(is_signed_in(&mut laptop).await && is_signed_in(&mut phone).await);
    let mut again = shop.browser();
    assert_eq!(
        again
            .login("alice@example.com", "wonderland", false)
            .await
            .status,
        200
    );
    let mut visitor = shop.browser();
    assert_eq!(
        change(&mut visitor, "wonderland", "looking-glass").await,
        401
    );
}

#[tokio::test]
async fn a_remembered_session_confirms_the_password_before_signing_out_everywhere() {
    let shop = Shop::start().await;
    let mut other = signed_in(&shop, "wonderland").await;
    let mut browser = remembered(&shop).await;
    let listed = browser.request("GET", "/api/devices", None).await.json();
    let handle = (listed.as_array().into_iter().flatten())
        .find(|device| device["current"] == false)
        .and_then(|device| device["handle"].as_str())
        .map(|handle| format!("/api/devices/{handle}"))
        .expect("the other device");
    for (method, path) in [
        ("POST", "/api/logout-all"),
        ("POST", "/api/logout-others"),
        ("DELETE", handle.as_str()),
    ] {
        let refused = browser.send(method, path, None, Some(JSON)).await;
        assert_eq!(refused.status, 403, "{path}");
        assert!(
            refused.json()["error"]
                .as_str()
                .unwrap_or_default()
                .contains("confirm")
        );
    }
    assert!(is_signed_in(&mut other).await, "nobody signed out");

    let wrong = json!({ "password": "nope" });
    assert_eq!(
        browser
            .request("POST", "/api/confirm", Some(wrong))
            .await
            .status,
        401
    );
    let before = browser.cookies["__Host-Http-id"].clone();
    let right = json!({ "password": "wonderland" });
    assert_eq!(
        browser
            .request("POST", "/api/confirm", Some(right))
            .await
            .status,
        204
    );
    assert_ne!(
        browser.cookies["__Host-Http-id"], before,
        "confirming gives a new ID"
    );
    let me = browser.request("GET", "/api/me", None).await.json();
    assert_eq!(me["remembered"], false);
    assert_eq!(
        browser
            .send("POST", "/api/logout-all", None, Some(JSON))
            .await
            .status,
        204
    );
    assert!(!is_signed_in(&mut other).await);
}

#[tokio::test]
async fn a_remembered_session_may_change_the_password_with_the_current_one() {
    let shop = Shop::start().await;
    let mut other = signed_in(&shop, "wonderland").await;
    let mut browser = remembered(&shop).await;
    assert_eq!(change(&mut browser, "nope", "looking-glass").await, 401);
    assert_eq!(
        change(&mut browser, "wonderland", "looking-glass").await,
        204
    );
    let me = browser.request("GET", "/api/me", None).await.json();
    assert_eq!(
        (me["user_id"].as_str(), me["remembered"].as_bool()),
        (Some("alice"), Some(false))
    );
    assert!(!is_signed_in(&mut other).await);
}

#[tokio::test]
async fn the_account_page_asks_a_remembered_session_for_the_password() {
    let shop = Shop::start().await;
    let mut other = signed_in(&shop, "wonderland").await;
    let mut browser = remembered(&shop).await;
    let page = account_page(&mut browser, "/account").await;
    assert!(page.contains("action=\"/account/confirm\""));
    assert!(!page.contains("action=\"/account/logout-all\""));
    assert!(!page.contains("action=\"/account/password\""));
    assert!(!page.contains("action=\"/account/revoke\""));
    for path in ["/account/logout-all", "/account/logout-others"] {
        let refused = browser.form(path, "").await;
        assert_eq!(refused.status, 403, "{path}");
        assert!(refused.body.contains("confirm your password first"));
    }
    let handle = other.request("GET", "/api/devices", None).await.json()[0]["handle"]
        .as_str()
        .map(str::to_owned)
        .expect("a handle");
    let refused = browser
        .form("/account/revoke", &format!("handle={handle}"))
        .await;
    assert_eq!(refused.status, 403);
    assert!(is_signed_in(&mut other).await);

    let wrong = browser.form("/account/confirm", "password=nope").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("That password is not right."));
    let confirmed = browser
        .form("/account/confirm", "password=wonderland")
        .await;
    assert_eq!(confirmed.status, 303);
    let page = account_page(&mut browser, "/account?done=confirmed").await;
    assert!(page.contains("Password confirmed."));
    assert!(page.contains("action=\"/account/logout-all\""));
    assert!(page.contains("action=\"/account/password\""));
}

#[tokio::test]
async fn the_account_page_changes_the_password_and_signs_out_the_other_devices() {
    let shop = Shop::start().await;
    let mut laptop = signed_in(&shop, "wonderland").await;
    let mut phone = signed_in(&shop, "wonderland").await;
    let short = laptop
        .form("/account/password", "current=wonderland&new=short")
        .await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("8 to 256 characters"));
    let changed = laptop
        .form("/account/password", "current=wonderland&new=looking-glass")
        .await;
    assert_eq!(changed.status, 303);
    let page = account_page(&mut laptop, "/account?done=password").await;
    assert!(page.contains("Password changed."));
    assert!(!is_signed_in(&mut phone).await);
}

/// A sign-in that checked the old password while it changed must not outlive the change:
/// either it is refused, or the change's sign-out of the other sessions reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_with_the_old_password_racing_a_change_never_survives_it() {
    let shop = Shop::start().await;
    let mut survivors = 0;
    for trial in 0..30 {
        let (old, new) = if trial % 2 == 0 {
            ("wonderland", "looking-glass")
        } else {
            ("looking-glass", "wonderland")
        };
        let mut changer = signed_in(&shop, old).await;
        let mut racer = shop.browser();
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let wait = std::sync::Arc::clone(&barrier);
        let sign_in = tokio::spawn(async move {
            wait.wait().await;
            let status = racer.login("alice@example.com", old, false).await.status;
            (status, racer)
        });
        barrier.wait().await;
        assert_eq!(change(&mut changer, old, new).await, 204, "trial {trial}");
        let (status, mut racer) = sign_in.await.expect("sign-in task");
        if status == 200 && is_signed_in(&mut racer).await {
            survivors += 1;
        }
        changer
            .send("POST", "/api/logout-all", None, Some(JSON))
            .await;
    }
    assert_eq!(
        survivors, 0,
        "sessions signed in with the old password survived, of 30"
    );
}

/// Two sessions change the password at once from the same current one: one change lands, the
/// other is refused (its "current" password no longer is), and the loser is signed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_password_changes_racing_exactly_one_lands() {
    let shop = Shop::start().await;
    for trial in 0..20 {
        let current = if trial == 0 {
            "wonderland".to_owned()
        } else {
            format!("winner-{}", trial - 1)
        };
        let mut first = signed_in(&shop, &current).await;
        let mut second = signed_in(&shop, &current).await;
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let wait = std::sync::Arc::clone(&barrier);
        let (from, to) = (current.clone(), format!("winner-{trial}"));
        let racing = tokio::spawn(async move {
            wait.wait().await;
            let status = change(&mut second, &from, &to).await;
            (status, second)
        });
        barrier.wait().await;
        let loser_to = format!("lost-race-{trial}");
        let mine = change(&mut first, &current, &loser_to).await;
        let (theirs, second) = racing.await.expect("change task");
        let mut statuses = [mine, theirs];
        statuses.sort_unstable();
        assert_eq!(statuses, [204, 401], "trial {trial}");
        let (mut winner, winner_password, mut loser) = if mine == 204 {
            (first, loser_to, second)
        } else {
            (second, format!("winner-{trial}"), first)
        };
        assert!(is_signed_in(&mut winner).await, "trial {trial}");
        assert!(
            !is_signed_in(&mut loser).await,
            "trial {trial}: the loser is signed out"
        );
        // The next trial starts from a known password.
        if winner_password != format!("winner-{trial}") {
            assert_eq!(
                change(&mut winner, &winner_password, &format!("winner-{trial}")).await,
                204
            );
        }
        winner
            .send("POST", "/api/logout-all", None, Some(JSON))
            .await;
    }
}

#[tokio::test]
async fn the_device_list_names_devices_people_recognise() {
    let shop = Shop::start_with(|config| {
        config.client_ip_header = Some(HeaderName::from_static("x-real-ip"));
    })
    .await;
    let mut phone = shop.browser();
    phone
        .headers
        .push(("User-Agent", SAFARI_ON_IPHONE.to_owned()));
    phone.headers.push(("X-Real-IP", "198.51.100.7".to_owned()));
    phone.login("alice@example.com", "wonderland", false).await;
    let mut laptop = shop.browser();
    laptop
        .headers
        .push(("User-Agent", FIREFOX_ON_MAC.to_owned()));
    let body = json!({ "email": "alice@example.com", "password": "wonderland" });
    laptop.request("POST", "/api/login", Some(body)).await;

    let listed = laptop.request("GET", "/api/devices", None).await.json();
    let listed = listed.as_array().cloned().unwrap_or_default();
    let named = |name: &str| listed.iter().find(|device| device["name"] == name).cloned();
    let mac = named("Firefox on macOS").expect("the laptop, named");
    assert_eq!(mac["user_agent"], FIREFOX_ON_MAC, "the raw string stays");
    let iphone = named("Safari on iPhone").expect("the phone, named");
    assert_eq!(
        (iphone["label"].as_str(), iphone["ip"].as_str()),
        (Some("test"), Some("198.51.100.7"))
    );

    let page = account_page(&mut laptop, "/account").await;
    let this = page
        .find("Firefox on macOS")
        .expect("the laptop on the page");
    let other = page
        .find("Safari on iPhone")
        .expect("the phone on the page");
    assert!(this < other, "this device first");
    assert_eq!(page.matches("This device").count(), 1);
    assert!(page.contains("“test”"), "the label");
    assert!(page.contains("signed in just now"));
    assert!(page.contains("IP 198.51.100.7"));
    assert!(
        !page.contains("Mozilla/5.0"),
        "no raw User-Agent on the page"
    );
}

#[test]
fn common_browsers_get_the_names_their_users_know() {
    let cases = [
        (FIREFOX_ON_MAC, "Firefox on macOS"),
        (SAFARI_ON_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown device"),
    ];
    for (user_agent, name) in cases {
        assert_eq!(
            super::shop::devices::name(Some(user_agent)),
            name,
            "{user_agent}"
        );
    }
    assert_eq!(super::shop::devices::name(None), "Unknown device");
}

#[test]
fn times_are_told_as_a_person_says_them() {
    use std::time::{Duration, SystemTime};
    let now = SystemTime::now();
    let ago = |seconds: u64| super::shop::devices::ago(now - Duration::from_secs(seconds), now);
    assert_eq!(ago(5), "just now");
    assert_eq!(ago(60), "1 minute ago");
    assert_eq!(ago(3 * 60 + 59), "3 minutes ago");
    assert_eq!(ago(2 * 3600), "2 hours ago");
    assert_eq!(ago(86_400), "1 day ago");
    assert_eq!(
        super::shop::devices::ago(now + Duration::from_secs(9), now),
        "just now"
    );
}

/// Confirming and changing the password check it too, so they count against the same limit
/// as signing in: a stolen session cannot guess the password faster than a sign-in form.
#[tokio::test]
async fn confirming_and_changing_the_password_count_against_the_sign_in_limit() {
    let shop = Shop::start_with(|config| {
        config.sign_ins_per_account = std::num::NonZeroU32::new(3).expect("3");
    })
    .await;
    let mut browser = signed_in(&shop, "wonderland").await;
    assert_eq!(change(&mut browser, "guess", "looking-glass").await, 401);
    let guess = json!({ "password": "guess" });
    assert_eq!(
        browser
            .request("POST", "/api/confirm", Some(guess))
            .await
            .status,
        401
    );
    let limited = browser
        .request(
            "POST",
            "/api/password",
            Some(json!({ "current": "wonderland", "new": "looking-glass" })),
        )
        .await;
    assert_eq!(limited.status, 429);
    assert!(limited.header_values("retry-after").next().is_some());
    let mut again = shop.browser();
    assert_eq!(
        again
            .login("alice@example.com", "wonderland", false)
            .await
            .status,
        429
    );
}
