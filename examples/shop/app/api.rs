//! The JSON API: the contract other tools test against.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::csrf::{CsrfLayer, ProtectionError};
use tower_redis_session::{Cart, RememberMe, Session, SessionRejection};

use super::Shop;
use super::catalog::{self, Product};
use super::client_ip::ClientIp;
use super::devices;
use super::web::{ApiError, Prefs, rfc3339};

type Reply<T> = Result<T, ApiError>;

pub fn routes() -> Router<Shop> {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/password", post(change_password))
        .route("/confirm", post(confirm))
        .route("/logout", post(logout))
        .route("/logout-others", post(logout_others))
        .route("/logout-all", post(logout_all))
        .route("/devices", get(devices))
        .route("/devices/{handle}", axum::routing::delete(revoke))
        .route("/activity", post(activity))
        .route("/prefs", get(prefs).put(set_prefs))
        .route("/products", get(products))
        .route("/cart", get(cart))
        .route("/cart/lines", post(add_line))
        .route("/cart/lines/{sku}", patch(set_line).delete(remove_line))
        .layer(middleware::from_fn(require_json))
        .layer(
            CsrfLayer::new().with_rejection_response(|_: ProtectionError| {
                ApiError::new(StatusCode::FORBIDDEN, "cross-origin request refused").into_response()
            }),
        )
}

/// State-changing calls must say `Content-Type: application/json`: a cross-site form cannot,
/// a second defence beside the cross-origin protection around the shop, for browsers too old to
/// send `Sec-Fetch-Site`.
async fn require_json(request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(';').next() == Some("application/json"));
    if changes_state && !is_json {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send Content-Type: application/json",
        )
        .into_response();
    }
    next.run(request).await
}

/// The session, or the API's JSON error (503 when the store is down).
fn session(session: Result<Session, SessionRejection>) -> Reply<Session> {
    Ok(session?)
}

/// The signed-in user's ID, or 401.
async fn user_id(session: &Session) -> Reply<String> {
    session.user_id().await?.ok_or_else(ApiError::unauthorized)
}

/// A JSON body, or 422 with serde's reason.
fn body<T>(body: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> Reply<T> {
    body.map(|Json(value)| value)
        .map_err(|rejection| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, rejection.body_text()))
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
    #[serde(default)]
    remember: bool,
    device: Option<String>,
}

async fn login(
    State(shop): State<Shop>,
    ip: ClientIp,
    s: Result<Session, SessionRejection>,
    remember: Result<RememberMe, SessionRejection>,
    headers: HeaderMap,
    request: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> Reply<Json<Value>> {
    let session = session(s)?;
    let request = body(request)?;
    let accounts = &shop.accounts;
    let verified = (accounts.check(ip.0, &request.email, &request.password)).await?;
    let mut device = ip.device(&headers);
    if let Some(label) = request.device.filter(|label| !label.is_empty()) {
        device = device.label(label);
    }
    let remember = if request.remember {
        Some(remember?)
    } else {
        None
    };
    (accounts.sign_in(&session, remember.as_ref(), &verified, device)).await?;
    let user = verified.user;
    Ok(Json(
        json!({ "user_id": user.id, "email": user.email, "name": user.name }),
    ))
}

#[derive(Deserialize)]
struct NewPassword {
    current: String,
    new: String,
}

/// 204 once the password changed, the user's other sessions were signed out and this one got
/// a new ID; 401 when `current` is wrong, 422 when `new` is too short or too long, 429 over
/// the limit.
async fn change_password(
    State(shop): State<Shop>,
    ip: ClientIp,
    s: Result<Session, SessionRejection>,
    headers: HeaderMap,
    request: Result<Json<NewPassword>, axum::extract::rejection::JsonRejection>,
) -> Reply<StatusCode> {
    let session = session(s)?;
    let request = body(request)?;
    let device = ip.device(&headers);
    (shop.accounts)
        .change_password(&session, ip.0, device, &request.current, &request.new)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Password {
    password: String,
}

/// 204 once the password is confirmed: a session signed in by remember-me counts as signed
/// in by password from now on, under a new ID.
async fn confirm(
    State(shop): State<Shop>,
    ip: ClientIp,
    s: Result<Session, SessionRejection>,
    headers: HeaderMap,
    request: Result<Json<Password>, axum::extract::rejection::JsonRejection>,
) -> Reply<StatusCode> {
    let session = session(s)?;
    let request = body(request)?;
    let device = ip.device(&headers);
    (shop.accounts)
        .confirm(&session, ip.0, device, &request.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(shop): State<Shop>, s: Result<Session, SessionRejection>) -> Reply<Json<Value>> {
    let session = session(s)?;
    let id = user_id(&session).await?;
    let user = (shop.accounts.users.get(&id)).ok_or_else(ApiError::unauthorized)?;
    let created = session.created_at().await?.map(rfc3339);
    let expires = session.expires_at().await?.map(rfc3339);
    Ok(Json(json!({
        "user_id": user.id,
        "email": user.email,
        "name": user.name,
        "remembered": session.is_remembered().await?,
        "created_at": created,
        "expires_at": expires,
    })))
}

async fn logout(s: Result<Session, SessionRejection>) -> Reply<StatusCode> {
    session(s)?.logout().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 403 for a session signed in by remember-me until it confirms the password.
async fn logout_others(
    State(shop): State<Shop>,
    s: Result<Session, SessionRejection>,
) -> Reply<StatusCode> {
    let session = session(s)?;
    shop.accounts.require_password_sign_in(&session).await?;
    session.logout_others().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 403 for a session signed in by remember-me until it confirms the password.
async fn logout_all(
    State(shop): State<Shop>,
    s: Result<Session, SessionRejection>,
) -> Reply<StatusCode> {
    let session = session(s)?;
    shop.accounts.require_password_sign_in(&session).await?;
    session.logout_all().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The crate's device list, each with a readable `name` beside the raw `user_agent`.
async fn devices(s: Result<Session, SessionRejection>) -> Reply<Json<Vec<Value>>> {
    let session = session(s)?;
    user_id(&session).await?;
    let listed = session.devices().await?;
    let named = listed.into_iter().map(|device| {
        let name = devices::name(device.user_agent.as_deref());
        let mut json = serde_json::to_value(device).unwrap_or_default();
        if let Some(fields) = json.as_object_mut() {
            fields.insert("name".into(), name.into());
        }
        json
    });
    Ok(Json(named.collect()))
}

/// 403 for a session signed in by remember-me until it confirms the password.
async fn revoke(
    State(shop): State<Shop>,
    s: Result<Session, SessionRejection>,
    Path(handle): Path<String>,
) -> Reply<StatusCode> {
    let session = session(s)?;
    shop.accounts.require_password_sign_in(&session).await?;
    if session.revoke(&handle).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, "no such device"))
    }
}

#[derive(Deserialize)]
struct Activity {
    action: String,
}

async fn activity(
    s: Result<Session, SessionRejection>,
    request: Result<Json<Activity>, axum::extract::rejection::JsonRejection>,
) -> Reply<StatusCode> {
    let session = session(s)?;
    let request = body(request)?;
    user_id(&session).await?;
    if request.action.is_empty() || request.action.len() > 64 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "action: 1 to 64 characters",
        ));
    }
    session.track_activity(&request.action).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn prefs(s: Result<Session, SessionRejection>) -> Reply<Json<Prefs>> {
    Ok(Json(Prefs::load(&session(s)?).await?))
}

async fn set_prefs(
    s: Result<Session, SessionRejection>,
    request: Result<Json<Prefs>, axum::extract::rejection::JsonRejection>,
) -> Reply<Json<Prefs>> {
    let session = session(s)?;
    let prefs = body(request)?;
    if !prefs.is_valid() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "theme: light or dark; language: a tag like en or de-CH",
        ));
    }
    session.insert("prefs", &prefs).await?;
    Ok(Json(prefs))
}

async fn cart_json(cart: &Cart) -> Reply<Json<Value>> {
    let lines = cart.lines().await?;
    let count: u32 = lines.iter().map(|line| line.quantity).sum();
    let lines: Vec<Value> = lines
        .into_iter()
        .map(|line| json!({ "sku": line.sku, "quantity": line.quantity }))
        .collect();
    Ok(Json(json!({ "lines": lines, "count": count })))
}

fn cart_of(cart: Result<Cart, SessionRejection>) -> Reply<Cart> {
    Ok(cart?)
}

async fn cart(c: Result<Cart, SessionRejection>) -> Reply<Json<Value>> {
    cart_json(&cart_of(c)?).await
}

async fn products() -> Json<&'static [Product]> {
    Json(catalog::products())
}

/// The product with this SKU, or 422: the shop does not sell it.
fn known(sku: &str) -> Reply<&'static Product> {
    catalog::product(sku)
        .ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown SKU"))
}

#[derive(Deserialize)]
struct NewLine {
    sku: String,
    quantity: u32,
}

async fn add_line(
    c: Result<Cart, SessionRejection>,
    request: Result<Json<NewLine>, axum::extract::rejection::JsonRejection>,
) -> Reply<Json<Value>> {
    let cart = cart_of(c)?;
    let line = body(request)?;
    let product = known(&line.sku)?;
    let payload = json!({ "name": product.name, "price_cents": product.price_cents });
    cart.add_with(&line.sku, line.quantity, &payload).await?;
    cart_json(&cart).await
}

#[derive(Deserialize)]
struct Quantity {
    quantity: u32,
}

async fn set_line(
    c: Result<Cart, SessionRejection>,
    Path(sku): Path<String>,
    request: Result<Json<Quantity>, axum::extract::rejection::JsonRejection>,
) -> Reply<Json<Value>> {
    let cart = cart_of(c)?;
    known(&sku)?;
    let quantity = body(request)?.quantity;
    cart.set_quantity(&sku, quantity).await?;
    cart_json(&cart).await
}

async fn remove_line(
    c: Result<Cart, SessionRejection>,
    Path(sku): Path<String>,
) -> Reply<Json<Value>> {
    let cart = cart_of(c)?;
    known(&sku)?;
    cart.remove(&sku).await?;
    cart_json(&cart).await
}
