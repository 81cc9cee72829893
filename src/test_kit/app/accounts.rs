//! The test application's routes for signed-in users: login, devices, sign-outs, and the
//! cart and remember-me features.

use axum::extract::Path;
use axum::http::HeaderMap as RequestHeaders;
#[cfg(feature = "cart")]
use serde_json::{Value, json};

#[cfg(feature = "remember-me")]
use crate::RememberMe;
#[cfg(feature = "cart")]
use crate::{Cart, CartError};
use crate::{Device, LoggedIn, Session, SessionError};

/// Signs `user` in; the body, if any, labels the device.
pub(super) async fn login(
    session: Session,
    Path(user): Path<String>,
    headers: RequestHeaders,
    label: String,
) -> Result<&'static str, SessionError> {
    let mut device = Device::from_headers(&headers).ip("127.0.0.1");
    if !label.is_empty() {
        device = device.label(label);
    }
    session.login(&user, device).await?;
    Ok("ok")
}

pub(super) async fn me(session: Session) -> Result<String, SessionError> {
    Ok(session
        .user_id()
        .await?
        .unwrap_or_else(|| "anonymous".to_owned()))
}

/// A page for signed-in users only: their ID.
pub(super) async fn private(logged_in: LoggedIn) -> String {
    logged_in.user_id
}

/// Logs out, answering whether a session was ended.
pub(super) async fn logout(session: Session) -> Result<String, SessionError> {
    Ok(session.logout().await?.to_string())
}

pub(super) async fn devices(session: Session) -> Result<String, SessionError> {
    Ok(serde_json::to_string(&session.devices().await?).unwrap_or_default())
}

pub(super) async fn revoke(
    session: Session,
    Path(handle): Path<String>,
) -> Result<String, SessionError> {
    Ok(session.revoke(&handle).await?.to_string())
}

pub(super) async fn logout_others(session: Session) -> Result<String, SessionError> {
    Ok(session.logout_others().await?.to_string())
}

pub(super) async fn logout_all(session: Session) -> Result<String, SessionError> {
    Ok(session.logout_all().await?.to_string())
}

/// Tracks `action`, then answers with the device listing, as `/devices` does.
pub(super) async fn activity(
    session: Session,
    Path(action): Path<String>,
) -> Result<String, SessionError> {
    session.track_activity(&action).await?;
    devices(session).await
}

/// Signs out every session of `user` from outside them (`UserSessions::logout_all`).
pub(super) async fn sign_out_user(
    session: Session,
    Path(user): Path<String>,
) -> Result<String, SessionError> {
    Ok(session.users().logout_all(&user).await?.to_string())
}

pub(super) async fn cleanup(
    session: Session,
    Path(user): Path<String>,
) -> Result<String, SessionError> {
    Ok(session.users().cleanup_expired(&user).await?.to_string())
}

#[cfg(feature = "cart")]
pub(super) async fn cart_lines(cart: Cart) -> Result<String, CartError> {
    let lines = cart.lines().await?;
    let count: u32 = lines.iter().map(|line| line.quantity).sum();
    let lines: Vec<Value> = lines
        .into_iter()
        .map(|line| json!({ "sku": line.sku, "quantity": line.quantity, "payload": line.payload }))
        .collect();
    Ok(json!({ "lines": lines, "count": count }).to_string())
}

#[cfg(feature = "cart")]
pub(super) async fn cart_add(
    cart: Cart,
    Path((sku, quantity)): Path<(String, u32)>,
    payload: String,
) -> Result<String, CartError> {
    let quantity = if payload.is_empty() {
        cart.add(&sku, quantity).await?
    } else {
        let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::String(payload));
        cart.add_with(&sku, quantity, &payload).await?
    };
    Ok(quantity.to_string())
}

#[cfg(feature = "cart")]
pub(super) async fn cart_set(
    cart: Cart,
    Path((sku, quantity)): Path<(String, u32)>,
) -> Result<String, CartError> {
    Ok(cart.set_quantity(&sku, quantity).await?.to_string())
}

#[cfg(feature = "cart")]
pub(super) async fn cart_decrement(
    cart: Cart,
    Path((sku, quantity)): Path<(String, u32)>,
) -> Result<String, CartError> {
    Ok(cart.decrement(&sku, quantity).await?.to_string())
}

#[cfg(feature = "cart")]
pub(super) async fn cart_remove(
    cart: Cart,
    Path(sku): Path<String>,
) -> Result<&'static str, CartError> {
    cart.remove(&sku).await?;
    Ok("ok")
}

#[cfg(feature = "remember-me")]
/// Signs `user` in and issues a remember-me token; the body, if any, labels the device.
pub(super) async fn login_remember(
    session: Session,
    remember: RememberMe,
    Path(user): Path<String>,
    label: String,
) -> Result<&'static str, SessionError> {
    session
        .login(&user, Device::new().label(label.clone()))
        .await?;
    remember.issue(&user, Device::new().label(label)).await?;
    Ok("ok")
}

/// Issues a remember-me token for the signed-in user, on this session as it is.
#[cfg(feature = "remember-me")]
pub(super) async fn remember_this_session(
    session: Session,
    remember: RememberMe,
) -> Result<&'static str, SessionError> {
    let Some(user) = session.user_id().await? else {
        return Ok("anonymous");
    };
    remember.issue(&user, Device::new()).await?;
    Ok("ok")
}

#[cfg(feature = "remember-me")]
pub(super) async fn remembered(session: Session) -> Result<String, SessionError> {
    Ok(session.is_remembered().await?.to_string())
}

#[cfg(feature = "remember-me")]
/// Signs back in through the extractor (what `RememberMode::OnDemand` waits for).
pub(super) async fn remember_me(
    session: Session,
    remember: RememberMe,
) -> Result<String, SessionError> {
    let remembered = remember.is_remembered().await?;
    let user = session
        .user_id()
        .await?
        .unwrap_or_else(|| "anonymous".into());
    Ok(format!("{user} {remembered}"))
}

#[cfg(feature = "cart")]
pub(super) async fn cart_count(cart: Cart) -> Result<String, CartError> {
    Ok(cart.count().await?.to_string())
}

#[cfg(feature = "cart")]
pub(super) async fn cart_clear(cart: Cart) -> Result<&'static str, CartError> {
    cart.clear().await?;
    Ok("ok")
}
