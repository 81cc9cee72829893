//! The test application: one route per session operation, so that each behaviour of the kit
//! is a request a browser could send.

mod accounts;
#[cfg(feature = "flash")]
mod flash;

use std::time::Duration;

use axum::Router;
use axum::extract::{Extension, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::{
    Expiry, LayerStore, Session, SessionError, SessionLayer, SessionLayerBuilder, SessionRejection,
    TypedKey,
};

/// The test application: one route per session operation.
pub fn app<S: LayerStore>(
    store: S,
    configure: impl FnOnce(SessionLayerBuilder) -> SessionLayerBuilder,
) -> Router {
    let layer = configure(SessionLayer::builder(store))
        .build()
        .expect("valid test configuration");
    let router = Router::new()
        .route("/untouched", get(|| async { "ok" }))
        .route("/get/{key}", get(read))
        .route("/set/{key}", post(write))
        .route("/remove/{key}", post(remove))
        .route("/take/{key}", post(take))
        .route("/take-number/{key}", post(take_number))
        .route("/keys", get(keys))
        .route("/touch", post(touch))
        .route("/modified/{key}", post(modified))
        .route("/visit", post(visit))
        .route("/clear", post(clear))
        .route("/cycle", post(cycle))
        .route("/delete", post(delete))
        .route("/save", post(save))
        .route("/times", get(times))
        .route("/expiry", get(expiry))
        .route("/expiry/{expiry}", post(set_expiry))
        .route("/fail/{key}", post(fail))
        .route("/slow/{key}", post(slow_write))
        .route("/slow-save/{key}", post(slow_save))
        .route("/slow-remove/{key}", post(slow_remove))
        .route("/save-then-fail/{key}", post(save_then_fail))
        .route("/handled", get(handled))
        .route("/login/{user}", post(accounts::login))
        .route("/me", get(accounts::me))
        .route("/private", get(accounts::private))
        .route("/logout", post(accounts::logout))
        .route("/devices", get(accounts::devices))
        .route("/revoke/{handle}", post(accounts::revoke))
        .route("/logout-others", post(accounts::logout_others))
        .route("/logout-all", post(accounts::logout_all))
        .route("/activity/{action}", post(accounts::activity))
        .route("/cleanup/{user}", post(accounts::cleanup))
        .route("/sign-out-user/{user}", post(accounts::sign_out_user));
    #[cfg(feature = "cart")]
    let router = router
        .route("/cart", get(accounts::cart_lines))
        .route("/cart/add/{sku}/{quantity}", post(accounts::cart_add))
        .route("/cart/set/{sku}/{quantity}", post(accounts::cart_set))
        .route(
            "/cart/decr/{sku}/{quantity}",
            post(accounts::cart_decrement),
        )
        .route("/cart/remove/{sku}", post(accounts::cart_remove))
        .route("/cart/clear", post(accounts::cart_clear))
        .route("/cart/count", get(accounts::cart_count));
    #[cfg(feature = "flash")]
    let router = router
        .route("/flash", get(flash::take))
        .route("/flash/{level}", post(flash::push))
        .route("/logout-then-flash", post(flash::logout_then_push));
    #[cfg(feature = "remember-me")]
    let router = router
        .route("/login-remember/{user}", post(accounts::login_remember))
        .route(
            "/remember-this-session",
            post(accounts::remember_this_session),
        )
        .route("/remembered", get(accounts::remembered))
        .route("/remember-me", get(accounts::remember_me));
    router.layer(layer)
}

async fn read(session: Session, Path(key): Path<String>) -> Result<String, SessionError> {
    let value: Option<Value> = session.get(&key).await?;
    Ok(value.map_or_else(|| "none".to_owned(), |v| v.to_string()))
}

async fn write(
    session: Session,
    Path(key): Path<String>,
    body: String,
) -> Result<&'static str, SessionError> {
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    session.insert(&key, &value).await?;
    Ok("ok")
}

async fn remove(session: Session, Path(key): Path<String>) -> Result<String, SessionError> {
    Ok(session.remove_key(&key).await?.to_string())
}

/// Removes `key` and answers with the value it held, or `none`.
async fn take(session: Session, Path(key): Path<String>) -> Result<String, SessionError> {
    let value: Option<Value> = session.remove(&key).await?;
    Ok(value.map_or_else(|| "none".to_owned(), |v| v.to_string()))
}

/// Removes `key` if it holds a number, answering with it.
async fn take_number(session: Session, Path(key): Path<String>) -> Result<String, SessionError> {
    let value: Option<u64> = session.remove(&key).await?;
    Ok(value.map_or_else(|| "none".to_owned(), |v| v.to_string()))
}

/// The session's keys, sorted, comma-separated.
async fn keys(session: Session) -> Result<String, SessionError> {
    let mut keys = session.keys().await?;
    keys.sort();
    Ok(keys.join(","))
}

/// Whether the session exists, after sliding its expiry without reading it.
async fn touch(Extension(session): Extension<Session>) -> Result<String, SessionError> {
    Ok(session.touch().await?.to_string())
}

/// Whether the request changed the session, before and after setting `key` to the body.
async fn modified(
    session: Session,
    Path(key): Path<String>,
    body: String,
) -> Result<String, SessionError> {
    let before = session.is_modified();
    session.insert(&key, body).await?;
    Ok(format!("{before} {}", session.is_modified()))
}

const VISITS: TypedKey<u64> = TypedKey::new("visits");

/// Counts visits through a typed key.
async fn visit(session: Session) -> Result<String, SessionError> {
    let visits = VISITS.get(&session).await?.unwrap_or(0) + 1;
    VISITS.insert(&session, visits).await?;
    Ok(visits.to_string())
}

async fn clear(session: Session) -> Result<&'static str, SessionError> {
    session.clear().await?;
    Ok("ok")
}

async fn cycle(session: Session) -> Result<&'static str, SessionError> {
    session.cycle_id().await?;
    Ok("ok")
}

async fn delete(session: Session) -> Result<&'static str, SessionError> {
    session.delete().await?;
    Ok("ok")
}

async fn save(session: Session) -> Result<String, SessionError> {
    Ok(format!("{:?}", session.save().await?))
}

async fn times(session: Session) -> Result<String, SessionError> {
    let created = session.created_at().await?.and_then(unix_millis);
    let expires = session.expires_at().await?.and_then(unix_millis);
    Ok(json!({ "created_at": created, "expires_at": expires }).to_string())
}

/// Sets the expiry `session-end`, `inactivity-<ms>`, `at+<ms>` or `at-<ms>` (from now), or
/// `none`; then, given a body, stores it under `n`. An expiry past the absolute deadline is a 422
/// that says why.
async fn set_expiry(
    session: Session,
    Path(expiry): Path<String>,
    body: String,
) -> Result<Response, SessionError> {
    let now = std::time::SystemTime::now();
    let ms = |text: &str| Duration::from_millis(text.parse().expect("milliseconds"));
    let expiry = match expiry.as_str() {
        "none" => None,
        "session-end" => Some(Expiry::OnSessionEnd),
        _ => Some(match expiry.split_at(3) {
            ("at+", after) => Expiry::AtDateTime(now + ms(after)),
            ("at-", before) => Expiry::AtDateTime(now - ms(before)),
            _ => Expiry::OnInactivity(ms(expiry.trim_start_matches("inactivity-"))),
        }),
    };
    match session.set_expiry(expiry).await {
        Err(refused @ SessionError::ExpiryBeyondAbsolute { .. }) => {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, refused.to_string()).into_response());
        }
        other => other?,
    }
    if !body.is_empty() {
        session.insert("n", body).await?;
    }
    Ok("ok".into_response())
}

/// The session's own expiry: `none`, `session-end`, `inactivity <ms>` or `at <unix ms>`.
async fn expiry(session: Session) -> Result<String, SessionError> {
    Ok(match session.expiry().await? {
        None => "none".to_owned(),
        Some(Expiry::OnSessionEnd) => "session-end".to_owned(),
        Some(Expiry::OnInactivity(idle)) => format!("inactivity {}", idle.as_millis()),
        Some(Expiry::AtDateTime(at)) => format!("at {}", unix_millis(at).unwrap_or_default()),
    })
}

fn unix_millis(time: std::time::SystemTime) -> Option<u128> {
    time.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|since| since.as_millis())
}

async fn fail(session: Session, Path(key): Path<String>) -> Result<StatusCode, SessionError> {
    session.insert(&key, "lost").await?;
    Ok(StatusCode::INTERNAL_SERVER_ERROR)
}

#[derive(serde::Deserialize)]
struct Delay {
    ms: u64,
}

impl Delay {
    /// Loads the session, then waits: what the request does next comes long after its load.
    async fn after_loading(&self, session: &Session) -> Result<(), SessionError> {
        session.load().await?;
        tokio::time::sleep(Duration::from_millis(self.ms)).await;
        Ok(())
    }
}

/// Loads the session, waits, then changes it, leaving the write to the layer: a request still
/// in flight while others act.
async fn slow_write(
    session: Session,
    Path(key): Path<String>,
    Query(delay): Query<Delay>,
) -> Result<&'static str, SessionError> {
    delay.after_loading(&session).await?;
    session.insert(&key, "late").await?;
    Ok("ok")
}

/// Like `slow_write`, but saves explicitly and reports the outcome.
async fn slow_save(
    session: Session,
    Path(key): Path<String>,
    Query(delay): Query<Delay>,
) -> Result<String, SessionError> {
    delay.after_loading(&session).await?;
    session.insert(&key, "late").await?;
    Ok(format!("{:?}", session.save().await?))
}

/// Loads the session, waits `ms`, then removes `key`.
async fn slow_remove(
    session: Session,
    Path(key): Path<String>,
    Query(delay): Query<Delay>,
) -> Result<&'static str, SessionError> {
    delay.after_loading(&session).await?;
    session.remove_key(&key).await?;
    Ok("ok")
}

/// Saves explicitly, then fails: what was saved stays saved.
async fn save_then_fail(
    session: Session,
    Path(key): Path<String>,
) -> Result<StatusCode, SessionError> {
    session.insert(&key, "saved").await?;
    let _ = session.save().await?;
    Ok(StatusCode::INTERNAL_SERVER_ERROR)
}

async fn handled(session: Result<Session, SessionRejection>) -> (StatusCode, &'static str) {
    match session {
        Ok(_) => (StatusCode::OK, "session"),
        Err(_) => (StatusCode::OK, "handled without a session"),
    }
}
