//! Signing in and out.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tower_redis_session::{Cart, RememberMe, Session};

use super::Shop;
use super::accounts::Refusal;
use super::client_ip::ClientIp;
use super::frame::{Page, PageError, escape, layout};

pub async fn login_page(session: Session, cart: Cart) -> Page {
    form(&session, &cart, "", None).await
}

/// The sign-in form, with `email` filled in and `refusal` shown above it.
async fn form(session: &Session, cart: &Cart, email: &str, refusal: Option<&Refusal>) -> Page {
    let message = refusal.map_or(String::new(), |refusal| {
        format!(
            "<p class=\"notice error\" role=\"alert\"><strong>{}</strong></p>",
            escape(&refusal.message())
        )
    });
    let body = format!(
        "<form class=\"card narrow\" method=\"post\" action=\"/login\">{message}\
         <label>Email <input name=\"email\" type=\"email\" required autocomplete=\"username\" value=\"{email}\"></label>\
         <label>Password <input name=\"password\" type=\"password\" required autocomplete=\"current-password\"></label>\
         <label class=\"check\"><input name=\"remember\" type=\"checkbox\" value=\"on\"> Remember me on this device</label>\
         <label>Device name <input name=\"device\" placeholder=\"e.g. Work laptop\" maxlength=\"64\"></label>\
         <button>Sign in</button></form>\
         <p class=\"muted\">Demo: alice@example.com / wonderland, bob@example.com / builder</p>",
        email = escape(email),
    );
    layout(session, cart, "Sign in", &body).await
}

/// The sign-in form again, with the refusal's status and message (and `Retry-After` when
/// over the limit); a session failure is the layer's to render.
async fn refused(session: &Session, cart: &Cart, email: &str, refusal: Refusal) -> Page {
    if let Refusal::Session(error) = refusal {
        return Err(PageError::Session(error));
    }
    let mut page = form(session, cart, email, Some(&refusal)).await?;
    *page.status_mut() = refusal.status();
    if let Some(seconds) = refusal.retry_after() {
        page.headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }
    Ok(page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    remember: Option<String>,
    device: Option<String>,
}

pub async fn login(
    State(shop): State<Shop>,
    ip: ClientIp,
    session: Session,
    cart: Cart,
    remember: RememberMe,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Page {
    let accounts = &shop.accounts;
    let verified = match accounts.check(ip.0, &form.email, &form.password).await {
        Ok(verified) => verified,
        Err(refusal) => return refused(&session, &cart, &form.email, refusal).await,
    };
    let mut device = ip.device(&headers);
    if let Some(label) = form.device.filter(|label| !label.trim().is_empty()) {
        device = device.label(label);
    }
    let remember = form.remember.is_some().then_some(&remember);
    match accounts
        .sign_in(&session, remember, &verified, device)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(refusal) => refused(&session, &cart, &form.email, refusal).await,
    }
}

pub async fn logout(session: Session) -> Page {
    session.logout().await?;
    Ok(Redirect::to("/").into_response())
}
