//! Routes for signed-in users only (`LoggedIn`), on every backend.

use axum::http::StatusCode;

use crate::test_kit::{Backend, Client, app};

pub(crate) async fn an_anonymous_request_to_a_logged_in_route_is_refused_with_401<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    let refused = client.get("/private").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.body.contains("log in"), "{}", refused.body);
    assert!(refused.set_cookies.is_empty(), "{:?}", refused.set_cookies);

    client
        .headers
        .push(("accept", "application/json".to_owned()));
    let refused = client.get("/private").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = serde_json::from_str(&refused.body).expect("a JSON body");
    assert_eq!(body["error"], "login_required");
}

pub(crate) async fn an_anonymous_request_is_sent_to_the_login_path_with_next<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.login_path("/login")));
    let sent = client.get("/private?tab=orders&page=2").await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(
        sent.header("location"),
        Some("/login?next=/private%3Ftab%3Dorders%26page%3D2")
    );
}

pub(crate) async fn a_logged_in_request_reaches_the_route_with_its_user<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.login_path("/login")));
    client.post("/login/alice", "").await;
    let page = client.get("/private").await;
    assert_eq!((page.status, page.body.as_str()), (StatusCode::OK, "alice"));
}

pub(crate) async fn after_logout_the_route_is_closed_again<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    client.post("/login/alice", "").await;
    let mut copy = client.clone();
    client.post("/logout", "").await;
    assert_eq!(
        client.get("/private").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        copy.get("/private").await.status,
        StatusCode::UNAUTHORIZED,
        "the cookie from before the logout"
    );
}
