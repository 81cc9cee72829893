//! Flash messages (`Flash`), on every backend.

use axum::http::StatusCode;

use crate::test_kit::{Backend, Client, app};

fn client<B: Backend>(backend: &B) -> Client {
    Client::new(app(backend.store(), |b| b))
}

pub(crate) async fn a_flash_is_shown_once_on_a_later_request<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(
        client.post("/flash/success", "Saved").await.status,
        StatusCode::OK
    );
    assert_eq!(client.get("/flash").await.body, "success: Saved");
    assert_eq!(client.get("/flash").await.body, "", "shown once");
    assert!(
        client.other_cookies.is_empty(),
        "{:?}",
        client.other_cookies
    );
}

pub(crate) async fn messages_keep_their_levels_in_order<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    for (level, text) in [
        ("info", "a"),
        ("warning", "b"),
        ("error", "c"),
        ("success", "d"),
    ] {
        client.post(&format!("/flash/{level}"), text).await;
    }
    assert_eq!(
        client.get("/flash").await.body,
        "info: a\nwarning: b\nerror: c\nsuccess: d"
    );
}

pub(crate) async fn a_flash_survives_the_new_id_of_a_login<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/flash/info", "Welcome").await;
    let before = client.cookie.clone();
    client.post("/login/alice", "").await;
    assert_ne!(client.cookie, before, "the login gave a new ID");
    assert_eq!(client.get("/flash").await.body, "info: Welcome");
}

pub(crate) async fn a_flash_pushed_after_logout_is_shown_on_the_next_page<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/login/alice", "").await;
    client.post("/logout-then-flash", "Signed out").await;
    assert_eq!(client.get("/me").await.body, "anonymous");
    assert_eq!(client.get("/flash").await.body, "info: Signed out");
}

pub(crate) async fn a_flash_cookie_without_messages_shows_nothing_and_is_expired<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/n", "1").await;
    client
        .other_cookies
        .insert("__Host-Http-flash".to_owned(), "1".to_owned());
    let page = client.get("/flash").await;
    assert_eq!(page.body, "");
    assert!(client.other_cookies.is_empty(), "{:?}", page.set_cookies);
}

pub(crate) async fn a_request_without_messages_gets_no_cookie_from_reading_them<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let page = client.get("/flash").await;
    assert_eq!((page.body.as_str(), page.set_cookies.len()), ("", 0));
    assert!(client.cookie.is_none());
}

pub(crate) async fn messages_past_4_kib_are_refused_and_the_others_kept<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/flash/info", "kept").await;
    let refused = client.post("/flash/info", &"x".repeat(5000)).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(client.get("/flash").await.body, "info: kept");
}
