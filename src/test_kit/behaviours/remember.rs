//! Conformance behaviours of remember-me tokens (part of `conformance_suite!`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::Method;
use axum::http::StatusCode;

const GET: Method = Method::GET;
const POST: Method = Method::POST;
use crate::{Evidence, RememberConfig, RememberMode, SessionLayerBuilder};

use super::cookie_names::{expires, under_old_name};
use crate::test_kit::{Backend, Client, app};

/// An app whose theft alarms are counted, with the given remember-me settings.
fn counted<B: Backend>(
    backend: &B,
    remember: RememberConfig,
    configure: impl FnOnce(SessionLayerBuilder) -> SessionLayerBuilder,
) -> (Client, Arc<AtomicUsize>) {
    let alarms = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&alarms);
    let client = Client::new(app(backend.store(), |b| {
        configure(b.remember_me(remember).on_theft(move |theft| {
            assert_eq!(theft.evidence, Evidence::RememberMeReplay);
            counter.fetch_add(1, Ordering::SeqCst);
        }))
    }));
    (client, alarms)
}

/// Signs `user` in with "remember me", then forgets the session cookie (a browser restart).
async fn remembered_browser(base: &Client, user: &str, label: &str) -> Client {
    let mut client = base.clone();
    client.cookie = None;
    client.remember = None;
    let reply = client.post(&format!("/login-remember/{user}"), label).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(client.remember.is_some(), "a remember cookie was issued");
    client.cookie = None;
    client
}

pub(crate) async fn issue_sets_the_cookie_with_secure_attributes<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    let reply = client.post("/login-remember/alice", "").await;
    let cookie = reply
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-Http-remember="))
        .expect("a remember cookie");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=2592000",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    let value = client.remember.clone().unwrap();
    let (selector, validator) = value.split_once('.').unwrap();
    assert_eq!((selector.len(), validator.len()), (22, 43));
}

pub(crate) async fn a_remember_cookie_signs_back_in_and_rotates<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| b));
    let mut browser = remembered_browser(&base, "alice", "laptop").await;
    let old = browser.remember.clone();
    assert_eq!(browser.get("/me").await.body, "alice");
    assert!(browser.cookie.is_some(), "a new session cookie");
    assert_ne!(browser.remember, old, "the token rotated");
    assert_eq!(browser.get("/remembered").await.body, "true");
    browser.post("/login/alice", "").await;
    assert_eq!(
        browser.get("/remembered").await.body,
        "false",
        "a login is stronger"
    );
}

pub(crate) async fn the_old_token_within_grace_gets_the_same_session_and_cookies<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| b));
    let mut first = remembered_browser(&base, "alice", "").await;
    let mut second = first.clone();
    first.get("/me").await;
    assert_eq!(second.get("/me").await.body, "alice");
    assert_eq!(second.cookie, first.cookie, "the same session");
    assert_eq!(second.remember, first.remember, "the same new token");
}

pub(crate) async fn twenty_parallel_requests_with_the_old_cookie_share_one_session<B: Backend>() {
    let backend = B::start();
    let (base, alarms) = counted(&backend, RememberConfig::default(), |b| b);
    let browser = remembered_browser(&base, "alice", "").await;
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let mut tab = browser.clone();
            tokio::spawn(async move {
                let reply = tab.get("/me").await;
                (reply.body, tab.cookie, tab.remember)
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for request in requests {
        outcomes.push(request.await.unwrap());
    }
    assert!(outcomes.iter().all(|(user, _, _)| user == "alice"));
    let (_, cookie, remember) = &outcomes[0];
    assert!(
        outcomes
            .iter()
            .all(|(_, c, r)| c == cookie && r == remember)
    );
    let mut tab = browser.clone();
    tab.cookie.clone_from(cookie);
    tab.remember.clone_from(remember);
    assert_eq!(
        tab.devices().await.len(),
        2,
        "the session signed in with the password, and one sign-in shared by all twenty"
    );
    assert_eq!(alarms.load(Ordering::SeqCst), 0, "no theft alarm");
}

pub(crate) async fn the_old_token_after_grace_is_theft<B: Backend>() {
    let backend = B::start();
    let remember = RememberConfig::default().grace(Duration::from_millis(200));
    let (base, alarms) = counted(&backend, remember, |b| b);
    let stolen = remembered_browser(&base, "alice", "").await;
    let mut owner = stolen.clone();
    assert_eq!(owner.get("/me").await.body, "alice");
    let mut other_device = remembered_browser(&base, "alice", "other").await;
    other_device.get("/me").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut thief = stolen.clone();
    assert_eq!(thief.get("/me").await.body, "anonymous");
    assert_eq!(alarms.load(Ordering::SeqCst), 1);
    assert_eq!(owner.get("/me").await.body, "anonymous", "sessions revoked");
    owner.cookie = None;
    assert_eq!(owner.get("/me").await.body, "anonymous", "tokens revoked");
    other_device.cookie = None;
    assert_eq!(other_device.get("/me").await.body, "anonymous");
}

pub(crate) async fn logout_revokes_this_devices_token_only<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| b));
    let mut leaving = remembered_browser(&base, "alice", "a").await;
    let mut staying = remembered_browser(&base, "alice", "b").await;
    leaving.get("/me").await;
    let kept = leaving.remember.clone();
    let reply = leaving.post("/logout", "").await;
    assert!(
        reply
            .set_cookies
            .iter()
            .any(|c| c.starts_with("__Host-Http-remember=;")),
        "{reply:?}"
    );
    leaving.cookie = None;
    leaving.remember = kept;
    assert_eq!(leaving.get("/me").await.body, "anonymous");
    assert_eq!(staying.get("/me").await.body, "alice");
}

pub(crate) async fn logout_all_revokes_every_token<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| b));
    let mut first = remembered_browser(&base, "alice", "a").await;
    let mut second = remembered_browser(&base, "alice", "b").await;
    first.get("/me").await;
    first.post("/logout-all", "").await;
    assert_eq!(second.get("/me").await.body, "anonymous");
}

pub(crate) async fn tokens_expire_at_their_absolute_deadline<B: Backend>() {
    let backend = B::start();
    let remember = RememberConfig::default().ttl(Duration::from_millis(300));
    let base = Client::new(app(backend.store(), |b| b.remember_me(remember)));
    let mut browser = remembered_browser(&base, "alice", "").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(browser.get("/me").await.body, "anonymous");
}

pub(crate) async fn a_malformed_or_unknown_token_is_just_not_remembered<B: Backend>() {
    let backend = B::start();
    let (mut client, alarms) = counted(&backend, RememberConfig::default(), |b| b);
    let unknown = format!("{}.{}", "A".repeat(22), "A".repeat(43));
    for value in ["garbage", "a.b", unknown.as_str()] {
        client.remember = Some(value.to_owned());
        let reply = client.get("/me").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, "anonymous");
    }
    assert_eq!(alarms.load(Ordering::SeqCst), 0);
}

pub(crate) async fn a_tampered_validator_of_a_known_selector_is_theft<B: Backend>() {
    let backend = B::start();
    let (base, alarms) = counted(&backend, RememberConfig::default(), |b| b);
    let mut browser = remembered_browser(&base, "alice", "").await;
    let value = browser.remember.clone().unwrap();
    let (selector, _) = value.split_once('.').unwrap();
    browser.remember = Some(format!("{selector}.{}", "B".repeat(42) + "A"));
    assert_eq!(browser.get("/me").await.body, "anonymous");
    assert_eq!(alarms.load(Ordering::SeqCst), 1);
}

pub(crate) async fn on_demand_mode_signs_in_only_through_the_extractor<B: Backend>() {
    let backend = B::start();
    let remember = RememberConfig::default().mode(RememberMode::OnDemand);
    let base = Client::new(app(backend.store(), |b| b.remember_me(remember)));
    let mut browser = remembered_browser(&base, "alice", "").await;
    assert_eq!(browser.get("/me").await.body, "anonymous");
    assert_eq!(browser.get("/remember-me").await.body, "alice true");
    assert_eq!(browser.get("/me").await.body, "alice");
}

pub(crate) async fn a_remembered_sign_in_racing_logout_all_leaves_no_session_alive<B: Backend>() {
    const TRIALS: usize = 200;
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| b));
    let mut survivors = 0;
    for _ in 0..TRIALS {
        let returning = remembered_browser(&base, "alice", "returning").await;
        let mut signing_out = base.clone();
        signing_out.cookie = None;
        signing_out.remember = None;
        signing_out.post("/login/alice", "").await;
        let ((mut returning, _), _) = returning
            .race((GET, "/me"), signing_out, (POST, "/logout-all"))
            .await;
        if returning.get("/me").await.body != "anonymous" {
            survivors += 1;
            returning.post("/logout-all", "").await;
        }
    }
    assert_eq!(survivors, 0, "survivors in {TRIALS} trials");
}

pub(crate) async fn a_token_issued_before_logout_all_signs_nobody_in<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| b));
    let mut returning = remembered_browser(&base, "alice", "returning").await;
    let mut signing_out = base.clone();
    signing_out.cookie = None;
    signing_out.remember = None;
    signing_out.post("/login/alice", "").await;
    signing_out.post("/logout-all", "").await;
    assert_eq!(returning.get("/me").await.body, "anonymous");
    assert!(
        returning.remember.is_none(),
        "the remember cookie is expired"
    );
}

pub(crate) async fn the_token_kept_by_logout_others_still_signs_in<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| b));
    let mut me = base.clone();
    me.post("/login-remember/alice", "me").await;
    let mut other = base.clone();
    other.cookie = None;
    other.remember = None;
    other.post("/login/alice", "other").await;
    assert_eq!(me.post("/logout-others", "").await.body, "1");
    me.cookie = None;
    assert_eq!(me.get("/me").await.body, "alice");
    assert_eq!(me.get("/remembered").await.body, "true");
}

pub(crate) async fn a_remembered_sign_in_is_listed_as_the_browser_that_used_the_token<
    B: Backend,
>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.client_ip_header(axum::http::HeaderName::from_static("x-real-ip"))
    });
    let base = Client::new(app);
    let mut laptop = base.clone();
    laptop
        .headers
        .push(("x-real-ip", "198.51.100.1".to_owned()));
    laptop.post("/login-remember/alice", "laptop").await;
    let mut thief = base.clone();
    thief.remember.clone_from(&laptop.remember);
    thief.user_agent = "thief-agent/6.6".to_owned();
    thief.headers.push(("x-real-ip", "203.0.113.9".to_owned()));
    assert_eq!(thief.get("/me").await.body, "alice");
    let devices = thief.devices().await;
    let used = devices
        .iter()
        .find(|d| d["current"] == true)
        .expect("listed");
    assert_eq!(used["label"], "laptop", "the token's label is kept");
    assert_eq!(used["user_agent"], "thief-agent/6.6");
    assert_eq!(used["ip"], "203.0.113.9");
    let from_laptop = laptop.devices().await;
    assert_eq!(from_laptop.len(), 2, "{from_laptop:?}");
}

pub(crate) async fn a_remember_cookie_under_its_old_name_still_signs_in<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/login-remember/alice", "").await;
    client.cookie = None;
    let value = client.remember.take();
    under_old_name(&mut client, "__Host-remember", value);
    let reply = client.get("/me").await;
    assert_eq!(reply.body, "alice");
    assert!(
        client.remember.is_some(),
        "a remember cookie under the current name"
    );
    assert!(
        expires(&reply.set_cookies, "__Host-remember"),
        "{:?}",
        reply.set_cookies
    );
    client.cookie = None;
    assert_eq!(
        client.get("/me").await.body,
        "alice",
        "the current one signs in"
    );
}
