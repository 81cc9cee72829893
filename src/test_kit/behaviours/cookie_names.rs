//! The layer's cookies under the names it gave them before `__Host-Http-` (`__Host-id`,
//! `__Host-cart`, `__Host-remember`): read where the current one is missing, moved to the
//! current name and expired, so that an upgrade signs nobody out.

use crate::test_kit::{Backend, Client, app};

/// `client`'s cookie `current` sent under `old` instead.
pub(super) fn under_old_name(client: &mut Client, old: &str, value: Option<String>) {
    client
        .other_cookies
        .insert(old.to_owned(), value.expect("a cookie to rename"));
}

pub(super) fn expires(set_cookies: &[String], name: &str) -> bool {
    set_cookies
        .iter()
        .any(|c| c.starts_with(&format!("{name}=;")) && c.contains("Max-Age=0"))
}

pub(crate) async fn the_session_cookies_current_name_is_host_http<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    let reply = client.post("/set/n", "1").await;
    assert!(
        reply.set_cookies[0].starts_with("__Host-Http-id="),
        "{:?}",
        reply.set_cookies
    );
}

pub(crate) async fn a_session_cookie_under_its_old_name_is_read_and_moved<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/set/n", "1").await;
    let value = client.cookie.take();
    under_old_name(&mut client, "__Host-id", value.clone());
    let reply = client.get("/get/n").await;
    assert_eq!(reply.body, "1", "read under the old name");
    assert_eq!(client.cookie, value, "the same ID under the current name");
    assert!(
        expires(&reply.set_cookies, "__Host-id"),
        "{:?}",
        reply.set_cookies
    );
    assert!(
        client.other_cookies.is_empty(),
        "{:?}",
        client.other_cookies
    );
    let again = client.get("/get/n").await;
    assert_eq!((again.body.as_str(), again.set_cookies.len()), ("1", 0));
}

pub(crate) async fn the_current_name_wins_over_an_old_one<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/set/n", "\"current\"").await;
    let mut other = Client::new(app(backend.store(), |b| b));
    other.post("/set/n", "\"old\"").await;
    under_old_name(&mut client, "__Host-id", other.cookie.clone());
    let reply = client.get("/get/n").await;
    assert_eq!(reply.body, "\"current\"");
    assert!(
        expires(&reply.set_cookies, "__Host-id"),
        "{:?}",
        reply.set_cookies
    );
}

pub(crate) async fn old_names_are_not_read_once_turned_off<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.read_old_cookie_names(false)));
    client.post("/set/n", "1").await;
    let value = client.cookie.take();
    under_old_name(&mut client, "__Host-id", value);
    let reply = client.get("/get/n").await;
    assert_eq!(reply.body, "none");
    assert!(
        !expires(&reply.set_cookies, "__Host-id"),
        "{:?}",
        reply.set_cookies
    );
}
