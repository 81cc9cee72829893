//! Conformance behaviours of a session's values and ID: what is stored, read, removed, cycled
//! and deleted, by one request or fifty at once, within the caps.

use std::time::Duration;

use crate::SessionId;
use axum::http::StatusCode;

use crate::test_kit::{Backend, Client, app};

fn client<B: Backend>(backend: &B) -> Client {
    Client::new(app(backend.store(), |b| b))
}

pub(crate) async fn untouched_route_gets_no_cookie<B: Backend>() {
    let backend = B::start();
    let reply = client(&backend).get("/untouched").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.set_cookies.is_empty());
}

pub(crate) async fn a_visitor_who_stores_nothing_gets_no_cookie<B: Backend>() {
    let backend = B::start();
    let reply = client(&backend).get("/get/n").await;
    assert_eq!(reply.body, "none");
    assert!(reply.set_cookies.is_empty());
}

pub(crate) async fn insert_then_read_with_the_cookie_returns_the_value<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/set/n", "42").await.status, StatusCode::OK);
    assert!(client.cookie.is_some());
    assert_eq!(client.get("/get/n").await.body, "42");
}

pub(crate) async fn unchanged_request_sends_no_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/n", "1").await;
    assert!(client.get("/get/n").await.set_cookies.is_empty());
    assert!(client.post("/set/n", "1").await.set_cookies.is_empty());
}

pub(crate) async fn unknown_session_id_is_never_adopted<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let planted = SessionId::generate().unwrap().encode();
    client.cookie = Some(planted.clone());
    client.post("/set/n", "1").await;
    let issued = client.cookie.clone().expect("a new session cookie");
    assert_ne!(issued, planted);
    let mut attacker = client.clone();
    attacker.cookie = Some(planted);
    assert_eq!(attacker.get("/get/n").await.body, "none");
}

pub(crate) async fn cookie_naming_no_live_session_is_expired<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.cookie = Some(SessionId::generate().unwrap().encode());
    let reply = client.get("/get/n").await;
    assert_eq!(reply.set_cookies.len(), 1);
    assert!(reply.set_cookies[0].contains("Max-Age=0"));
    assert!(client.cookie.is_none());
}

pub(crate) async fn malformed_cookie_is_treated_as_absent<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    for bad in [
        "",
        "short",
        "!!!!",
        &"A".repeat(51 * 10),
        "A".repeat(50).as_str(),
    ] {
        client.cookie = Some(bad.to_owned());
        let reply = client.get("/get/n").await;
        assert_eq!(reply.status, StatusCode::OK, "cookie {bad:?}");
        assert_eq!(reply.body, "none");
    }
}

pub(crate) async fn cycle_id_keeps_the_data_under_a_new_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let before = client.cookie.clone();
    let reply = client.post("/cycle", "").await;
    assert_eq!(reply.set_cookies.len(), 1);
    assert_ne!(client.cookie, before);
    assert_eq!(client.get("/get/user").await.body, "\"alice\"");
}

pub(crate) async fn cycle_id_kills_the_old_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let mut old = client.clone();
    client.post("/cycle", "").await;
    assert_eq!(old.get("/get/user").await.body, "none");
}

pub(crate) async fn delete_removes_the_data_and_expires_the_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let mut old = client.clone();
    let reply = client.post("/delete", "").await;
    let removal = &reply.set_cookies[0];
    for attribute in [
        "__Host-Http-id=;",
        "Max-Age=0",
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
    ] {
        assert!(
            removal.contains(attribute),
            "{attribute} missing in {removal}"
        );
    }
    assert!(client.cookie.is_none());
    assert_eq!(old.get("/get/user").await.body, "none");
}

pub(crate) async fn delete_then_a_late_in_flight_save_stays_deleted<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let mut slow = client.clone();
    let in_flight = tokio::spawn(async move { slow.post("/slow/late?ms=300", "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut logout = client.clone();
    logout.post("/delete", "").await;
    let late = in_flight.await.unwrap();
    assert_eq!(late.status, StatusCode::OK);
    assert!(late.set_cookies.iter().any(|c| c.contains("Max-Age=0")));
    assert_eq!(client.get("/get/user").await.body, "none");
    assert_eq!(client.get("/get/late").await.body, "none");
}

pub(crate) async fn fifty_parallel_writers_of_distinct_keys_lose_nothing<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/start", "0").await;
    let writers: Vec<_> = (0..50)
        .map(|i| {
            let mut writer = client.clone();
            tokio::spawn(async move { writer.post(&format!("/set/k{i}"), &i.to_string()).await })
        })
        .collect();
    for writer in writers {
        assert_eq!(writer.await.unwrap().status, StatusCode::OK);
    }
    for i in 0..50 {
        assert_eq!(client.get(&format!("/get/k{i}")).await.body, i.to_string());
    }
}

/// Starts a session holding `seed`, then has fifty clients of it insert a distinct key
/// `k<i>` holding `value` at once. Returns the statuses and a client of the session.
async fn fifty_parallel_inserts(mut client: Client, value: &str) -> (Vec<StatusCode>, Client) {
    client.post("/set/seed", "1").await;
    let writers: Vec<_> = (0..50)
        .map(|i| {
            let mut writer = client.clone();
            let value = value.to_owned();
            tokio::spawn(async move { writer.post(&format!("/set/k{i}"), &value).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for writer in writers {
        statuses.push(writer.await.unwrap());
    }
    (statuses, client)
}

/// Asserts that every insert whose key the session does not hold was refused with 413.
fn assert_the_rest_refused(statuses: &[StatusCode], held: usize) {
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PAYLOAD_TOO_LARGE)
        .count();
    assert_eq!(
        refused,
        50 - held,
        "every key not held was refused: {statuses:?}"
    );
}

/// The keys `k0`..`k49` the session holds.
async fn stored_keys(client: &mut Client) -> usize {
    let mut held = 0;
    for i in 0..50 {
        if client.get(&format!("/get/k{i}")).await.body != "none" {
            held += 1;
        }
    }
    held
}

pub(crate) async fn fifty_parallel_writers_never_take_the_session_past_its_size_cap<B: Backend>() {
    let backend = B::start();
    let client = Client::new(app(backend.store(), |b| b.max_size(10_000)));
    let value = format!("\"{}\"", "x".repeat(998));
    let (statuses, mut client) = fifty_parallel_inserts(client, &value).await;
    let held = stored_keys(&mut client).await;
    // Each insert costs 1,002 or 1,003 bytes (its key and JSON value); the seed 5.
    assert!(held <= 9, "{held} values of 1 KB held under a 10 KB cap");
    assert_the_rest_refused(&statuses, held);
    assert_eq!(
        client.get("/get/seed").await.body,
        "1",
        "the session survives"
    );
}

pub(crate) async fn fifty_parallel_writers_never_take_the_session_past_its_key_cap<B: Backend>() {
    let backend = B::start();
    let client = Client::new(app(backend.store(), |b| b.max_keys(10)));
    let (statuses, mut client) = fifty_parallel_inserts(client, "1").await;
    let held = stored_keys(&mut client).await;
    assert!(held <= 9, "{held} keys besides the seed under a cap of 10");
    assert_the_rest_refused(&statuses, held);
}

pub(crate) async fn a_session_over_a_lowered_cap_can_still_shrink<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    let value = format!("\"{}\"", "x".repeat(2_000));
    client.post("/set/a", &value).await;
    client.post("/set/b", &value).await;
    let lowered = app(backend.store(), |b| b.max_size(1_000));
    let mut shrinking = Client::new(lowered);
    shrinking.cookie.clone_from(&client.cookie);
    assert_eq!(shrinking.post("/remove/a", "").await.body, "true");
    assert_eq!(shrinking.get("/get/a").await.body, "none");
    assert_eq!(shrinking.get("/get/b").await.body.len(), 2_002);
}

pub(crate) async fn remove_returns_the_value_and_insert_takes_it_by_value<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/cart", r#"{"items":3}"#).await;
    assert_eq!(client.post("/take/cart", "").await.body, r#"{"items":3}"#);
    assert_eq!(client.post("/take/cart", "").await.body, "none");
    assert_eq!(
        client.get("/get/cart").await.body,
        "none",
        "the removal was saved"
    );
}

pub(crate) async fn a_remove_as_the_wrong_type_keeps_the_key<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/name", "\"alice\"").await;
    let reply = client.post("/take-number/name", "").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(client.get("/get/name").await.body, "\"alice\"");
}

pub(crate) async fn keys_lists_the_session_keys<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.get("/keys").await.body, "");
    for key in ["b", "a", "$c"] {
        client.post(&format!("/set/{key}"), "1").await;
    }
    assert_eq!(client.get("/keys").await.body, "$c,a,b");
}

pub(crate) async fn is_modified_tells_whether_the_request_changed_the_session<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/modified/a", "x").await.body, "false true");
    assert_eq!(
        client.post("/modified/a", "x").await.body,
        "false false",
        "setting the value a key has is no change"
    );
}

pub(crate) async fn touch_slides_the_expiry_without_a_load<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
    }));
    client.post("/set/n", "1").await;
    // Touches 700 ms apart for 2.8 s: past the first deadline, each with 1.3 s to spare.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(client.post("/touch", "").await.body, "true");
    }
    assert_eq!(
        client.get("/get/n").await.body,
        "1",
        "alive after 2.8 s of touches"
    );
}

pub(crate) async fn touch_of_an_unknown_session_finds_nothing<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/touch", "").await.body, "false");
    client.post("/set/n", "1").await;
    client.post("/delete", "").await;
    assert_eq!(client.post("/touch", "").await.body, "false");
}

pub(crate) async fn a_typed_key_reads_and_writes_its_type<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/visit", "").await.body, "1");
    assert_eq!(client.post("/visit", "").await.body, "2");
    assert_eq!(client.get("/get/visits").await.body, "2");
}

pub(crate) async fn remove_and_clear_are_saved<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/a", "1").await;
    client.post("/set/b", "2").await;
    client.post("/set/c", "3").await;
    assert_eq!(client.post("/remove/a", "").await.body, "true");
    assert_eq!(client.post("/remove/a", "").await.body, "false");
    assert_eq!(client.get("/get/a").await.body, "none");
    assert_eq!(client.get("/get/b").await.body, "2");
    client.post("/clear", "").await;
    assert_eq!(client.get("/get/b").await.body, "none");
    assert_eq!(client.get("/get/c").await.body, "none");
}

pub(crate) async fn a_session_emptied_of_every_key_keeps_its_id<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/a", "1").await;
    let id = client.cookie.clone();
    client.post("/clear", "").await;
    client.post("/set/b", "2").await;
    assert_eq!(client.cookie, id, "the same session throughout");
    assert_eq!(client.get("/get/b").await.body, "2");
    assert_eq!(client.get("/get/a").await.body, "none");
}
