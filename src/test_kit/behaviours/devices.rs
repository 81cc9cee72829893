//! Conformance behaviours of signed-in users and their devices (part of `conformance_suite!`).

use std::time::Duration;

use axum::http::StatusCode;

use serde_json::Value;

use crate::test_kit::{Backend, Client, app};

pub(super) fn client<B: Backend>(backend: &B) -> Client {
    Client::new(app(backend.store(), |b| b))
}

/// A client of an app that notes a session's last-seen time at (nearly) every request.
fn seen_at_every_request<B: Backend>(backend: &B) -> Client {
    Client::new(app(backend.store(), |b| {
        b.last_seen_interval(Duration::from_millis(1))
    }))
}

/// A client of the same app that has signed in as `user`.
pub(super) async fn signed_in(app_client: &Client, user: &str, label: &str) -> Client {
    let mut client = app_client.clone();
    client.cookie = None;
    let reply = client.post(&format!("/login/{user}"), label).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    client
}

pub(super) fn handle_of(devices: &[Value], label: &str) -> String {
    devices
        .iter()
        .find(|d| d["label"] == label)
        .and_then(|d| d["handle"].as_str())
        .unwrap_or_else(|| panic!("no device labelled {label} in {devices:?}"))
        .to_owned()
}

pub(crate) async fn login_changes_the_cookie_and_the_old_one_is_dead<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/cart", "[1]").await;
    let mut before = client.clone();
    client.post("/login/alice", "").await;
    assert_ne!(client.cookie, before.cookie);
    assert_eq!(client.get("/me").await.body, "alice");
    assert_eq!(client.get("/get/cart").await.body, "[1]", "data kept");
    assert_eq!(before.get("/me").await.body, "anonymous");
    assert_eq!(before.get("/get/cart").await.body, "none");
}

pub(crate) async fn the_user_id_survives_later_requests<B: Backend>() {
    let backend = B::start();
    let mut client = signed_in(&client(&backend), "alice", "").await;
    for _ in 0..3 {
        assert_eq!(client.get("/me").await.body, "alice");
    }
}

pub(crate) async fn two_logins_are_both_listed_with_the_current_flag<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut laptop = signed_in(&base, "alice", "laptop").await;
    let mut phone = signed_in(&base, "alice", "phone").await;
    let devices = laptop.devices().await;
    assert_eq!(devices.len(), 2);
    let current: Vec<&Value> = devices.iter().filter(|d| d["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["label"], "laptop");
    assert_eq!(current[0]["user_agent"], "test-agent/1.0");
    assert_eq!(current[0]["ip"], "127.0.0.1");
    let from_phone = phone.devices().await;
    let current = from_phone.iter().find(|d| d["current"] == true).unwrap();
    assert_eq!(current["label"], "phone");
}

pub(crate) async fn another_users_sessions_are_not_listed<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut alice = signed_in(&base, "alice", "a").await;
    signed_in(&base, "bob", "b").await;
    let devices = alice.devices().await;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["label"], "a");
}

pub(crate) async fn revoke_signs_out_that_client_and_not_the_other<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut laptop = signed_in(&base, "alice", "laptop").await;
    let mut phone = signed_in(&base, "alice", "phone").await;
    let handle = handle_of(&laptop.devices().await, "phone");
    assert_eq!(
        laptop.post(&format!("/revoke/{handle}"), "").await.body,
        "true"
    );
    assert_eq!(phone.get("/me").await.body, "anonymous");
    assert_eq!(laptop.get("/me").await.body, "alice");
    assert_eq!(laptop.devices().await.len(), 1);
}

pub(crate) async fn revoking_an_unknown_or_foreign_handle_finds_nothing<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut alice = signed_in(&base, "alice", "a").await;
    let mut bob = signed_in(&base, "bob", "b").await;
    let bobs = handle_of(&bob.devices().await, "b");
    assert_eq!(
        alice.post(&format!("/revoke/{bobs}"), "").await.body,
        "false"
    );
    assert_eq!(alice.post("/revoke/not-a-handle", "").await.body, "false");
    assert_eq!(bob.get("/me").await.body, "bob");
}

pub(crate) async fn logout_others_keeps_only_the_caller<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut me = signed_in(&base, "alice", "me").await;
    let mut others = vec![
        signed_in(&base, "alice", "o1").await,
        signed_in(&base, "alice", "o2").await,
    ];
    assert_eq!(me.post("/logout-others", "").await.body, "2");
    for other in &mut others {
        assert_eq!(other.get("/me").await.body, "anonymous");
    }
    assert_eq!(me.get("/me").await.body, "alice");
    let devices = me.devices().await;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["current"], true);
}

pub(crate) async fn logout_all_signs_out_every_client<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut me = signed_in(&base, "alice", "me").await;
    let mut other = signed_in(&base, "alice", "other").await;
    let reply = me.post("/logout-all", "").await;
    assert_eq!(reply.body, "2");
    assert!(reply.set_cookies.iter().any(|c| c.contains("Max-Age=0")));
    assert_eq!(other.get("/me").await.body, "anonymous");
    let mut fresh = signed_in(&base, "alice", "fresh").await;
    assert_eq!(fresh.devices().await.len(), 1);
}

pub(crate) async fn logout_removes_the_session_from_the_listing<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut leaving = signed_in(&base, "alice", "leaving").await;
    let mut staying = signed_in(&base, "alice", "staying").await;
    let reply = leaving.post("/logout", "").await;
    assert!(reply.set_cookies.iter().any(|c| c.contains("Max-Age=0")));
    assert!(
        !reply
            .set_cookies
            .iter()
            .any(|c| c.contains("Clear-Site-Data"))
    );
    assert_eq!(leaving.get("/me").await.body, "anonymous");
    let devices = staying.devices().await;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["label"], "staying");
}

pub(crate) async fn logout_can_clear_site_data<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| b.clear_site_data_on_logout(true)));
    let mut client = signed_in(&base, "alice", "").await;
    let response = client.post("/logout", "").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        client.clone().get("/me").await.body,
        "anonymous",
        "signed out"
    );
    assert!(response.clear_site_data, "Clear-Site-Data sent");
}

pub(crate) async fn login_as_another_user_clears_the_data<B: Backend>() {
    let backend = B::start();
    let mut client = signed_in(&client(&backend), "alice", "").await;
    client.post("/set/secret", "\"alice's\"").await;
    client.post("/activity/checkout", "").await;
    client.post("/login/bob", "").await;
    assert_eq!(client.get("/me").await.body, "bob");
    assert_eq!(client.get("/get/secret").await.body, "none");
    let devices = client.devices().await;
    assert_eq!(devices.len(), 1);
    assert!(devices[0]["last_activity"].is_null());
    let mut alice = signed_in(&client, "alice", "other").await;
    assert_eq!(
        alice.devices().await.len(),
        1,
        "the session left alice's index"
    );
}

pub(crate) async fn login_again_as_the_same_user_keeps_one_listing<B: Backend>() {
    let backend = B::start();
    let mut client = signed_in(&client(&backend), "alice", "first").await;
    client.post("/set/n", "1").await;
    client.post("/login/alice", "second").await;
    assert_eq!(client.get("/get/n").await.body, "1");
    let devices = client.devices().await;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["label"], "second");
}

pub(crate) async fn expired_sessions_vanish_from_the_listing<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
    }));
    signed_in(&base, "alice", "idle").await;
    let mut active = signed_in(&base, "alice", "active").await;
    // Active every 700 ms (1.3 s to spare) until the idle one is 0.8 s past its deadline.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        active.get("/me").await;
    }
    let devices = active.devices().await;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["label"], "active");
}

pub(crate) async fn tracked_activity_is_listed<B: Backend>() {
    let backend = B::start();
    let mut client = signed_in(&client(&backend), "alice", "").await;
    client.post("/activity/viewed-cart", "").await;
    let devices = client.devices().await;
    assert_eq!(devices[0]["last_activity"]["action"], "viewed-cart");
}

pub(crate) async fn activity_tracked_in_a_request_is_listed_by_that_request<B: Backend>() {
    let backend = B::start();
    let mut client = signed_in(&client(&backend), "alice", "").await;
    let reply = client.post("/activity/checked-out", "").await;
    let devices: Vec<Value> = serde_json::from_str(&reply.body).expect("a device listing");
    assert_eq!(devices[0]["last_activity"]["action"], "checked-out");
}

pub(crate) async fn an_overlong_user_id_is_refused<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let reply = client
        .post(&format!("/login/{}", "a".repeat(513)), "")
        .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(client.get("/me").await.body, "anonymous");
}

/// Braces (a Redis Cluster hash tag's delimiters), an e-mail address, a control character and
/// non-ASCII text are user IDs like any other, each with its own sessions.
pub(crate) async fn any_user_id_signs_in_lists_and_signs_out<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let users = [
        ("a%7Bb%7D", "a{b}"),
        ("a", "a"),
        ("%7Ba%7D", "{a}"),
        ("alice%40example.com", "alice@example.com"),
        ("line%0Abreak", "line\nbreak"),
        ("%E6%97%A5%E6%9C%AC", "日本"),
    ];
    let mut clients = Vec::new();
    for (path, user) in users {
        let mut signed_in = base.clone();
        signed_in.post(&format!("/login/{path}"), "").await;
        assert_eq!(signed_in.get("/me").await.body, user);
        assert_eq!(
            signed_in.devices().await.len(),
            1,
            "{user}: only its own session"
        );
        clients.push(signed_in);
    }
    let mut first = clients.remove(0);
    assert_eq!(first.post("/logout-all", "").await.body, "1");
    assert_eq!(first.get("/me").await.body, "anonymous");
    for (mut other, (_, user)) in clients.into_iter().zip(&users[1..]) {
        assert_eq!(
            other.get("/me").await.body,
            *user,
            "not signed out with a{{b}}"
        );
    }
}

pub(crate) async fn revocation_racing_an_in_flight_write_never_resurrects<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut resurrected = 0;
    for trial in 0..200 {
        let user = format!("u{trial}");
        let victim = signed_in(&base, &user, "victim").await;
        let mut revoker = signed_in(&base, &user, "revoker").await;
        let mut slow = victim.clone();
        let in_flight = tokio::spawn(async move { slow.post("/slow/late?ms=2", "").await });
        revoker.post("/logout-all", "").await;
        in_flight.await.unwrap();
        let mut check = victim.clone();
        if check.get("/me").await.body != "anonymous" || check.get("/get/late").await.body != "none"
        {
            resurrected += 1;
        }
    }
    assert_eq!(resurrected, 0);
}

pub(crate) async fn cleanup_expired_drops_entries_of_expired_sessions<B: Backend>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(300))
    }));
    signed_in(&base, "alice", "one").await;
    signed_in(&base, "alice", "two").await;
    tokio::time::sleep(Duration::from_millis(450)).await;
    let mut admin = base.clone();
    assert_eq!(admin.post("/cleanup/alice", "").await.body, "2");
    assert_eq!(admin.post("/cleanup/alice", "").await.body, "0");
}

pub(crate) async fn devices_are_listed_most_recently_seen_first<B: Backend>() {
    let backend = B::start();
    let base = seen_at_every_request(&backend);
    let mut first = signed_in(&base, "alice", "first").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    signed_in(&base, "alice", "second").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut third = signed_in(&base, "alice", "third").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    first.get("/me").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let labels: Vec<Value> = third
        .devices()
        .await
        .into_iter()
        .map(|d| d["label"].clone())
        .collect();
    // The asking device is in use now; the first was seen after the others signed in.
    assert_eq!(labels, ["third", "first", "second"]);
}

pub(crate) async fn the_current_device_is_listed_as_this_request_leaves_it<B: Backend>() {
    let backend = B::start();
    let base = seen_at_every_request(&backend);
    let mut laptop = signed_in(&base, "alice", "laptop").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let devices = laptop.devices().await;
    let current = devices
        .iter()
        .find(|d| d["current"] == true)
        .expect("the current device");
    let created = unix_millis(&current["created_at"]);
    let seen = unix_millis(&current["last_seen_at"]);
    assert!(
        seen >= created + 50,
        "last seen {seen} is not this request's, 50 ms after sign-in at {created}"
    );
}

/// A listed time (RFC 3339 in UTC with milliseconds, as the layer writes it) as Unix
/// milliseconds.
fn unix_millis(time: &Value) -> i128 {
    let text = time.as_str().expect("a time");
    let number = |range: std::ops::Range<usize>| -> i128 {
        text.get(range)
            .and_then(|digits| digits.parse().ok())
            .expect("RFC 3339")
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    // Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    days * 86_400_000
        + number(11..13) * 3_600_000
        + number(14..16) * 60_000
        + number(17..19) * 1000
        + number(20..23)
}
