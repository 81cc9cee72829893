//! The `Session` extractor outside the happy path.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use tower::ServiceExt;
use tower_redis_session::Session;

#[tokio::test]
async fn session_without_the_layer_is_a_500_naming_the_mistake() {
    let app = Router::new().route("/", get(|_: Session| async { "unreachable" }));
    let response = app
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
