//! A session's own expiry (`Session::set_expiry`) within the layer's timeouts, on every backend.

use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::test_kit::{Backend, Client, app};

const HOUR: Duration = Duration::from_secs(3600);

/// A client of an app with the given absolute timeout, and an idle timeout of an hour or, if
/// shorter, the absolute timeout.
fn client<B: Backend>(backend: &B, absolute: Duration) -> Client {
    Client::new(app(backend.store(), |b| {
        b.idle_timeout(HOUR.min(absolute))
            .absolute_timeout(absolute)
    }))
}

/// The `Max-Age` of a `Set-Cookie` header, if it has one.
fn max_age(set_cookie: &str) -> Option<u64> {
    set_cookie
        .split("; ")
        .find_map(|attribute| attribute.strip_prefix("Max-Age="))
        .map(|seconds| seconds.parse().expect("Max-Age in seconds"))
}

/// The one session `Set-Cookie` of a reply.
fn session_cookie(set_cookies: &[String]) -> &str {
    let mut session = set_cookies
        .iter()
        .filter(|c| c.starts_with("__Host-Http-id="));
    let cookie = session.next().expect("a session Set-Cookie");
    assert!(session.next().is_none(), "one session Set-Cookie");
    cookie
}

pub(crate) async fn a_short_inactivity_expiry_expires_that_session_and_not_another<B: Backend>() {
    let backend = B::start();
    let mut short = client(&backend, 2 * HOUR);
    let mut usual = short.clone();
    short.post("/set/n", "1").await;
    short.post("/expiry/inactivity-400", "").await;
    usual.post("/set/n", "2").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(short.get("/get/n").await.body, "none");
    assert_eq!(usual.get("/get/n").await.body, "2");
}

pub(crate) async fn reads_slide_an_inactivity_expiry<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    client.post("/set/n", "1").await;
    client.post("/expiry/inactivity-2000", "").await;
    // Reads 700 ms apart for 2.8 s: past the first deadline, each with 1.3 s to spare.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(client.get("/get/n").await.body, "1");
    }
}

pub(crate) async fn an_inactivity_expiry_makes_the_cookie_last_until_the_absolute_deadline<
    B: Backend,
>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    let created = client.post("/set/n", "1").await;
    assert_eq!(max_age(session_cookie(&created.set_cookies)), None);
    let chosen = client.post("/expiry/inactivity-600000", "").await;
    let cookie = session_cookie(&chosen.set_cookies);
    let seconds = max_age(cookie).expect("a persistent cookie");
    assert!((7190..=7200).contains(&seconds), "{cookie}");
    assert_eq!(client.get("/expiry").await.body, "inactivity 600000");
}

pub(crate) async fn on_session_end_keeps_a_persistent_layers_cookie_to_the_browser_session<
    B: Backend,
>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.persistent_cookie(true)));
    let created = client.post("/set/n", "1").await;
    assert!(max_age(session_cookie(&created.set_cookies)).is_some());
    let chosen = client.post("/expiry/session-end", "").await;
    assert_eq!(max_age(session_cookie(&chosen.set_cookies)), None);
    assert_eq!(client.get("/get/n").await.body, "1");
    assert_eq!(client.get("/expiry").await.body, "session-end");
}

pub(crate) async fn removing_the_expiry_returns_to_the_layers_settings<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(1000))
    }));
    client.post("/set/n", "1").await;
    client.post("/expiry/inactivity-600000", "").await;
    let back = client.post("/expiry/none", "").await;
    assert_eq!(max_age(session_cookie(&back.set_cookies)), None);
    assert_eq!(client.get("/expiry").await.body, "none");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(client.get("/get/n").await.body, "none", "the layer's 1 s");
}

pub(crate) async fn changing_the_expiry_gives_a_new_id_and_the_old_cookie_names_nothing<
    B: Backend,
>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    client.post("/set/n", "1").await;
    let mut old = client.clone();
    client.post("/expiry/inactivity-600000", "").await;
    assert_ne!(client.cookie, old.cookie);
    assert_eq!(client.get("/get/n").await.body, "1");
    assert_eq!(old.get("/get/n").await.body, "none");
    let mut older = client.clone();
    client.post("/expiry/session-end", "").await;
    assert_eq!(older.get("/get/n").await.body, "none");
    assert_eq!(client.get("/get/n").await.body, "1");
}

pub(crate) async fn setting_the_expiry_a_session_has_changes_nothing<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    client.post("/set/n", "1").await;
    client.post("/expiry/inactivity-600000", "").await;
    let again = client.post("/expiry/inactivity-600000", "").await;
    assert!(again.set_cookies.is_empty(), "{:?}", again.set_cookies);
}

pub(crate) async fn an_expiry_at_a_time_ends_the_session_then_however_active<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    client.post("/set/n", "1").await;
    client.post("/expiry/at+2500", "").await;
    let expiry = client.get("/expiry").await.body;
    assert!(expiry.starts_with("at "), "{expiry}");
    // Active until 1.2 s before the time, then past it.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(client.get("/get/n").await.body, "1");
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(client.get("/get/n").await.body, "none");
}

pub(crate) async fn the_absolute_timeout_caps_an_inactivity_expiry_that_slides_past_it<
    B: Backend,
>() {
    let backend = B::start();
    let mut client = client(&backend, Duration::from_millis(3000));
    client.post("/set/n", "1").await;
    client.post("/expiry/inactivity-3000", "").await;
    // A read 1.5 s before the absolute deadline slides the inactivity expiry past it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(client.get("/get/n").await.body, "1");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(client.get("/get/n").await.body, "none");
}

pub(crate) async fn an_expiry_past_the_absolute_deadline_is_refused_saying_so_and_changes_nothing<
    B: Backend,
>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    client.post("/set/n", "1").await;
    let cookie = client.cookie.clone();
    for expiry in ["inactivity-7200001", "at+7300000"] {
        let refused = client.post(&format!("/expiry/{expiry}"), "").await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{expiry}");
        assert!(
            refused
                .body
                .contains("absolute deadline (2h after its creation)"),
            "{expiry}: {}",
            refused.body
        );
        assert!(refused.set_cookies.is_empty(), "{:?}", refused.set_cookies);
    }
    assert_eq!(client.cookie, cookie);
    assert_eq!(client.get("/expiry").await.body, "none");
    client.post("/expiry/inactivity-7200000", "").await;
    assert_eq!(client.get("/expiry").await.body, "inactivity 7200000");
}

pub(crate) async fn the_expiry_survives_login_and_cycle_id<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    client.post("/set/n", "1").await;
    client.post("/expiry/inactivity-2000", "").await;
    client.post("/login/alice", "laptop").await;
    assert_eq!(client.get("/expiry").await.body, "inactivity 2000");
    client.post("/cycle", "").await;
    assert_eq!(client.get("/expiry").await.body, "inactivity 2000");
    assert_eq!(client.get("/me").await.body, "alice");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(client.get("/me").await.body, "anonymous");
}

pub(crate) async fn a_visitor_who_only_sets_an_expiry_gets_no_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    let reply = client.post("/expiry/inactivity-400", "").await;
    assert!(reply.set_cookies.is_empty(), "{:?}", reply.set_cookies);
    client.post("/set/n", "1").await;
    assert_eq!(
        client.get("/expiry").await.body,
        "none",
        "nothing was stored"
    );
}

pub(crate) async fn an_expiry_set_before_the_session_is_stored_is_the_new_sessions<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    let created = client.post("/expiry/inactivity-400", "1").await;
    assert!(max_age(session_cookie(&created.set_cookies)).is_some());
    assert_eq!(client.get("/get/n").await.body, "\"1\"");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(client.get("/get/n").await.body, "none");
}

pub(crate) async fn login_as_another_user_forgets_the_expiry<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    client.post("/login/alice", "").await;
    client.post("/expiry/inactivity-600000", "").await;
    let switched = client.post("/login/bob", "").await;
    assert_eq!(max_age(session_cookie(&switched.set_cookies)), None);
    assert_eq!(client.get("/expiry").await.body, "none");
}

/// The expiry rides in the cookie, covered by the handle's hash: a client that alters it,
/// adds one or drops one presents an ID that names no session.
pub(crate) async fn a_forged_expiry_in_the_cookie_names_no_session<B: Backend>() {
    let backend = B::start();
    let mut plain = client(&backend, 2 * HOUR);
    let mut own = plain.clone();
    plain.post("/set/n", "1").await;
    own.post("/expiry/inactivity-500", "2").await;
    let decode = |client: &Client| {
        let cookie = client.cookie.as_deref().expect("a cookie");
        URL_SAFE_NO_PAD.decode(cookie).expect("base64url")
    };
    let (plain_id, own_id) = (decode(&plain), decode(&own));
    assert_eq!((plain_id.len(), own_id.len()), (38, 45));
    let an_hour = [2, 0, 0, 0, 0x36, 0xEE, 0x80];
    let forged = [
        [&own_id[..38], &an_hour].concat(),
        own_id[..38].to_vec(),
        [&plain_id[..], &an_hour].concat(),
        [&plain_id[..], &[1, 0, 0, 0, 0, 0, 0]].concat(),
    ];
    for bytes in forged {
        let mut forger = plain.clone();
        forger.cookie = Some(URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(forger.get("/get/n").await.body, "none", "{bytes:?}");
    }
    assert_eq!(plain.get("/get/n").await.body, "1");
    assert_eq!(own.get("/get/n").await.body, "\"2\"");
}

pub(crate) async fn an_expiry_that_ends_the_session_at_once_is_refused_and_changes_nothing<
    B: Backend,
>() {
    let backend = B::start();
    let mut client = client(&backend, 2 * HOUR);
    client.post("/set/n", "1").await;
    let cookie = client.cookie.clone();
    for expiry in ["inactivity-0", "at-1000"] {
        let refused = client.post(&format!("/expiry/{expiry}"), "").await;
        assert_eq!(
            refused.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{expiry}"
        );
        assert!(refused.set_cookies.is_empty(), "{:?}", refused.set_cookies);
    }
    assert_eq!(client.cookie, cookie);
    assert_eq!(client.get("/get/n").await.body, "1");
    assert_eq!(client.get("/expiry").await.body, "none");
}
