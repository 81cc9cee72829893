//! The account page: profile, preferences, password, and where the user is signed in.
//!
//! A session that "remember me" signed in shows a password prompt instead of the password and
//! sign-out forms: signing other devices out refuses it until the password is confirmed,
//! and changing the password takes the current one anyway. A stolen remember-me cookie must not
//! be enough to lock the owner out.

use std::time::SystemTime;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tower_redis_session::{Cart, DeviceInfo, Session};

use super::Shop;
use super::accounts::Refusal;
use super::client_ip::ClientIp;
use super::devices;
use super::frame::{Page, PageError, escape, layout};
use super::web::Prefs;

/// What the page says at the top: a done action, or why one was refused.
enum Notice {
    None,
    Done(&'static str),
    Refused(Refusal),
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn account(
    State(shop): State<Shop>,
    session: Session,
    cart: Cart,
    Query(done): Query<Done>,
) -> Page {
    let notice = match done.done.as_deref() {
        Some("password") => Notice::Done("Password changed. Your other devices were signed out."),
        Some("confirmed") => Notice::Done("Password confirmed."),
        Some("others") => Notice::Done("Your other devices were signed out."),
        _ => Notice::None,
    };
    page(&shop, &session, &cart, notice).await
}

async fn page(shop: &Shop, session: &Session, cart: &Cart, notice: Notice) -> Page {
    let Some(user_id) = session.user_id().await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let status = match &notice {
        Notice::Refused(refusal) => refusal.status(),
        _ => StatusCode::OK,
    };
    let notice = match notice {
        Notice::None => String::new(),
        Notice::Done(text) => format!("<p class=\"notice\" role=\"status\">{text}</p>"),
        Notice::Refused(Refusal::Session(error)) => return Err(PageError::Session(error)),
        Notice::Refused(refusal) => {
            let message = match refusal {
                Refusal::Wrong => "That password is not right.".to_owned(),
                refusal => refusal.message(),
            };
            format!(
                "<p class=\"notice error\" role=\"alert\"><strong>{}</strong></p>",
                escape(&message)
            )
        }
    };
    let user = shop.accounts.users.get(&user_id);
    let remembered = session.is_remembered().await?;
    let profile = format!(
        "<section class=\"card\"><h2>Profile</h2><p>{name}<br><span class=\"muted\">{email}</span></p></section>",
        name = escape(user.map_or(&user_id, |user| user.name)),
        email = escape(user.map_or("", |user| user.email)),
    );
    let password = if remembered {
        "<section class=\"card\"><h2>Confirm it’s you</h2><p class=\"muted\">You were signed in by “remember me”. Enter your password to change it or to sign out your other devices.</p>\
         <form method=\"post\" action=\"/account/confirm\"><label>Password <input name=\"password\" type=\"password\" required autocomplete=\"current-password\"></label><button>Confirm</button></form></section>"
    } else {
        "<section class=\"card\"><h2>Change password</h2><form method=\"post\" action=\"/account/password\">\
         <label>Current password <input name=\"current\" type=\"password\" required autocomplete=\"current-password\"></label>\
         <label>New password <input name=\"new\" type=\"password\" required minlength=\"8\" maxlength=\"256\" autocomplete=\"new-password\"></label>\
         <button>Change password</button></form><p class=\"muted\">Your other devices are signed out when it changes.</p></section>"
    };
    let body = format!(
        "{notice}<div class=\"grid\"><div>{profile}{prefs}{password}</div>{devices}</div>",
        prefs = preferences(&Prefs::load(session).await?),
        devices = device_list(session.devices().await?, remembered),
    );
    let mut page = layout(session, cart, "Your account", &body).await?;
    *page.status_mut() = status;
    Ok(page)
}

fn preferences(prefs: &Prefs) -> String {
    let option = |value: &str, text: &str| {
        let selected = if prefs.theme == value {
            " selected"
        } else {
            ""
        };
        format!("<option value=\"{value}\"{selected}>{text}</option>")
    };
    format!(
        "<section class=\"card\"><h2>Preferences</h2><form method=\"post\" action=\"/account/prefs\">\
         <label>Theme <select name=\"theme\">{light}{dark}</select></label>\
         <label>Language <input name=\"language\" value=\"{language}\"></label><button>Save</button></form></section>",
        light = option("light", "Light"),
        dark = option("dark", "Dark"),
        language = escape(&prefs.language),
    )
}

/// The user's devices, this one first and marked, each with a readable name, its label, when
/// it signed in and was last seen, and its IP address when known.
fn device_list(mut listed: Vec<DeviceInfo>, remembered: bool) -> String {
    // Stable: the others stay most recently seen first.
    listed.sort_by_key(|device| !device.current);
    let now = SystemTime::now();
    let mut items = String::new();
    for device in &listed {
        let name = devices::name(device.user_agent.as_deref());
        let mut badge = String::new();
        if device.current {
            badge.push_str("<span class=\"badge\">This device</span>");
        }
        // Device-bound sessions (feature `dbsc`): its cookies work on this device only.
        if device.bound {
            badge.push_str("<span class=\"badge quiet\" title=\"Its cookies do not work on another computer\">Bound to this device</span>");
        }
        let label = device
            .label
            .as_deref()
            .map_or(String::new(), |label| format!("“{}” · ", escape(label)));
        let ip = device
            .ip
            .as_deref()
            .map_or(String::new(), |ip| format!(" · IP {}", escape(ip)));
        let activity = device
            .last_activity
            .as_ref()
            .map_or(String::new(), |activity| {
                format!(
                    "<small>Last: {} ({})</small>",
                    escape(&activity.action),
                    devices::ago(activity.at, now)
                )
            });
        let action = if device.current || remembered {
            String::new()
        } else {
            format!(
                "<form method=\"post\" action=\"/account/revoke\"><input type=\"hidden\" name=\"handle\" value=\"{}\"><button class=\"quiet\">Sign out</button></form>",
                escape(&device.handle)
            )
        };
        items.push_str(&format!(
            "<li class=\"device\"><div class=\"what\"><strong>{name}</strong>{badge}<small>{label}signed in {signed_in} · last seen {seen}{ip}</small>{activity}</div>{action}</li>",
            name = escape(&name),
            signed_in = devices::ago(device.created_at, now),
            seen = devices::ago(device.last_seen_at, now),
        ));
    }
    let actions = if remembered {
        "<p class=\"muted\">Confirm your password to sign out your other devices.</p>"
    } else {
        "<div class=\"actions\"><form method=\"post\" action=\"/account/logout-others\"><button class=\"quiet\">Sign out other devices</button></form>\
         <form method=\"post\" action=\"/account/logout-all\"><button class=\"danger\">Sign out everywhere</button></form></div>"
    };
    format!(
        "<section class=\"card\"><h2>Where you are signed in</h2><ul class=\"list\">{items}</ul>{actions}</section>"
    )
}

#[derive(Deserialize)]
pub struct PrefsForm {
    theme: String,
    language: String,
}

pub async fn save_prefs(session: Session, Form(form): Form<PrefsForm>) -> Page {
    let prefs = Prefs {
        theme: form.theme,
        language: form.language,
    };
    if !prefs.is_valid() {
        return Err(PageError::Message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose light or dark, and a language tag like en.",
        ));
    }
    session.insert("prefs", &prefs).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct RevokeForm {
    handle: String,
}

pub async fn revoke(
    State(shop): State<Shop>,
    session: Session,
    cart: Cart,
    Form(form): Form<RevokeForm>,
) -> Page {
    if let Err(refusal) = shop.accounts.require_password_sign_in(&session).await {
        return refused(&shop, &session, &cart, refusal).await;
    }
    session.revoke(&form.handle).await?;
    Ok(Redirect::to("/account").into_response())
}

pub async fn logout_others(State(shop): State<Shop>, session: Session, cart: Cart) -> Page {
    if let Err(refusal) = shop.accounts.require_password_sign_in(&session).await {
        return refused(&shop, &session, &cart, refusal).await;
    }
    session.logout_others().await?;
    Ok(Redirect::to("/account?done=others").into_response())
}

pub async fn logout_all(State(shop): State<Shop>, session: Session, cart: Cart) -> Page {
    if let Err(refusal) = shop.accounts.require_password_sign_in(&session).await {
        return refused(&shop, &session, &cart, refusal).await;
    }
    session.logout_all().await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    password: String,
}

pub async fn confirm(
    State(shop): State<Shop>,
    ip: ClientIp,
    session: Session,
    cart: Cart,
    headers: HeaderMap,
    Form(form): Form<ConfirmForm>,
) -> Page {
    let device = ip.device(&headers);
    match (shop.accounts)
        .confirm(&session, ip.0, device, &form.password)
        .await
    {
        Ok(_) => Ok(Redirect::to("/account?done=confirmed").into_response()),
        Err(refusal) => refused(&shop, &session, &cart, refusal).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
}

pub async fn change_password(
    State(shop): State<Shop>,
    ip: ClientIp,
    session: Session,
    cart: Cart,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Page {
    let device = ip.device(&headers);
    let changed = (shop.accounts)
        .change_password(&session, ip.0, device, &form.current, &form.new)
        .await;
    match changed {
        Ok(()) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(refusal) => refused(&shop, &session, &cart, refusal).await,
    }
}

/// The account page with the refusal on top, its status and `Retry-After`; the sign-in page
/// for a visitor who is not signed in.
async fn refused(shop: &Shop, session: &Session, cart: &Cart, refusal: Refusal) -> Page {
    if matches!(refusal, Refusal::NotSignedIn) {
        return Ok(Redirect::to("/login").into_response());
    }
    let retry_after = refusal.retry_after();
    let mut page = page(shop, session, cart, Notice::Refused(refusal)).await?;
    if let Some(seconds) = retry_after {
        page.headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }
    Ok(page)
}
