//! The HTML pages: server-rendered, no JavaScript. Forms carry no token: the cross-origin
//! protection around the whole shop (`app/mod.rs`) refuses a post from another site, so a
//! visitor's page views store nothing.

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_http::csrf::{CsrfLayer, ProtectionError};
use tower_redis_session::{Cart, Device, RememberMe, Session, SessionError};

use super::Shop;
use super::catalog::{price, product, products};
use super::web::Prefs;

pub fn routes() -> Router<Shop> {
    let refused = |_: ProtectionError| {
        PageError(
            StatusCode::FORBIDDEN,
            "This form was sent from another site, so it was refused.",
        )
        .into_response()
    };
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/cart", get(cart_page))
        .route("/cart/add", post(cart_add))
        .route("/cart/update", post(cart_update))
        .route("/account", get(account))
        .route("/account/prefs", post(save_prefs))
        .route("/account/revoke", post(revoke))
        .route("/account/logout-others", post(logout_others))
        .route("/account/logout-all", post(logout_all))
        .layer(CsrfLayer::new().with_rejection_response(refused))
}

type Page = Result<Response, PageError>;

/// A failed page: 503 when the store is down, 500 otherwise.
pub struct PageError(StatusCode, &'static str);

impl From<SessionError> for PageError {
    fn from(error: SessionError) -> Self {
        tracing::warn!(error = &error as &dyn std::error::Error, "page failed");
        match error.status() {
            StatusCode::SERVICE_UNAVAILABLE => Self(
                StatusCode::SERVICE_UNAVAILABLE,
                "Our session store is unavailable; try again in a moment.",
            ),
            _ => Self(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong."),
        }
    }
}

impl From<tower_redis_session::CartError> for PageError {
    fn from(error: tower_redis_session::CartError) -> Self {
        match error {
            tower_redis_session::CartError::Session(error) => error.into(),
            _ => Self(
                StatusCode::UNPROCESSABLE_ENTITY,
                "That cart change is not possible.",
            ),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        (self.0, Html(format!("<!doctype html><title>Error</title><p>{}</p><p><a href=\"/\">Back to the shop</a></p>", self.1))).into_response()
    }
}

/// A time as a person reads it: `2026-11-27 21:05 UTC`.
fn short_time(time: std::time::SystemTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from(time)
        .format(&format)
        .unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:0;line-height:1.5;background:#fafafa;color:#222}
body.dark{background:#1c1c1e;color:#eee}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.75rem 1rem;background:#2d5d7b;color:#fff}
header a,header button{color:#fff}
header nav{display:flex;gap:1rem;flex:1}
main{max-width:44rem;margin:0 auto;padding:1rem}
table{width:100%;border-collapse:collapse}
td,th{padding:.4rem;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}
.price{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td small{opacity:.75}
form.inline{display:inline}
input,select,button{font:inherit;padding:.3rem .6rem}
button{white-space:nowrap;cursor:pointer;border:1px solid #2d5d7b;background:#2d5d7b;color:#fff;border-radius:4px}
header button{background:transparent;border-color:#fff}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}
body.dark .card{background:#2c2c2e;border-color:#444}
.muted{color:#777;font-size:.9em}
label{display:block;margin:.5rem 0}
";

/// The page frame: header with navigation, the cart's item count and sign-out, theme applied.
async fn layout(session: &Session, cart: &Cart, title: &str, body: &str) -> Page {
    let prefs = Prefs::load(session).await?;
    let items = match cart.count().await? {
        0 => String::new(),
        count => format!(" ({count})"),
    };
    let user = session.user_id().await?;
    let account = match &user {
        Some(user) => format!(
            "<a href=\"/account\">{}</a><form class=\"inline\" method=\"post\" action=\"/logout\"><button>Sign out</button></form>",
            escape(user)
        ),
        None => "<a href=\"/login\">Sign in</a>".to_owned(),
    };
    let page = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title} · Teashop</title><style>{STYLE}</style></head><body class=\"{theme}\"><header><strong>Teashop</strong><nav><a href=\"/\">Products</a><a href=\"/cart\">Cart{items}</a></nav>{account}</header><main><h1>{title}</h1>{body}</main></body></html>",
        lang = escape(&prefs.language),
        theme = escape(&prefs.theme),
        title = escape(title),
    );
    Ok(Html(page).into_response())
}

async fn home(session: Session, cart: Cart) -> Page {
    let mut rows = String::new();
    for product in products() {
        rows.push_str(&format!(
            "<tr><td>{name}<br><small>{description}</small></td><td class=\"price\">{price}</td><td><form method=\"post\" action=\"/cart/add\"><input type=\"hidden\" name=\"sku\" value=\"{sku}\"><button>Add to cart</button></form></td></tr>",
            name = escape(&product.name),
            description = escape(&product.description),
            price = price(product.price_cents),
            sku = escape(&product.sku),
        ));
    }
    layout(
        &session,
        &cart,
        "Products",
        &format!(
            "<table><tr><th>Product</th><th class=\"price\">Price</th><th></th></tr>{rows}</table>"
        ),
    )
    .await
}

async fn login_page(session: Session, cart: Cart) -> Page {
    let form = "<form class=\"card\" method=\"post\" action=\"/login\"><label>Email <input name=\"email\" type=\"email\" required autocomplete=\"username\"></label><label>Password <input name=\"password\" type=\"password\" required autocomplete=\"current-password\"></label><label><input name=\"remember\" type=\"checkbox\" value=\"on\"> Remember me on this device</label><label>Device name <input name=\"device\" placeholder=\"e.g. Work laptop\"></label><button>Sign in</button></form><p class=\"muted\">Demo: alice@example.com / wonderland, bob@example.com / builder</p>";
    layout(&session, &cart, "Sign in", form).await
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    remember: Option<String>,
    device: Option<String>,
}

async fn login(
    State(shop): State<Shop>,
    session: Session,
    remember: RememberMe,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Page {
    let Some(user) = shop.users.authenticate(&form.email, &form.password) else {
        return Err(PageError(
            StatusCode::UNAUTHORIZED,
            "Wrong email or password.",
        ));
    };
    let mut device = Device::from_headers(&headers);
    if let Some(label) = form.device.filter(|label| !label.trim().is_empty()) {
        device = device.label(label);
    }
    session.login(user.id, device.clone()).await?;
    if form.remember.is_some() {
        remember.issue(user.id, device).await?;
    }
    Ok(Redirect::to("/account").into_response())
}

async fn logout(session: Session) -> Page {
    session.logout().await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Deserialize)]
struct CartForm {
    sku: String,
    quantity: Option<u32>,
}

async fn cart_add(session: Session, cart: Cart, Form(form): Form<CartForm>) -> Page {
    let Some(product) = product(&form.sku) else {
        return Err(PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "No such product.",
        ));
    };
    let payload = serde_json::json!({ "name": product.name, "price_cents": product.price_cents });
    cart.add_with(&product.sku, form.quantity.unwrap_or(1), &payload)
        .await?;
    session.track_activity("added to cart").await?;
    Ok(Redirect::to("/cart").into_response())
}

async fn cart_update(cart: Cart, Form(form): Form<CartForm>) -> Page {
    if product(&form.sku).is_none() {
        return Err(PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "No such product.",
        ));
    }
    cart.set_quantity(&form.sku, form.quantity.unwrap_or(0))
        .await?;
    Ok(Redirect::to("/cart").into_response())
}

async fn cart_page(session: Session, cart: Cart) -> Page {
    let lines = cart.lines().await?;
    let body = if lines.is_empty() {
        "<p>Your cart is empty. <a href=\"/\">Browse the products</a>.</p>".to_owned()
    } else {
        let mut rows = String::new();
        let mut total = 0;
        for line in &lines {
            let product = product(&line.sku);
            let unit = product.map_or(0, |p| p.price_cents);
            total += unit * line.quantity;
            rows.push_str(&format!(
                "<tr><td>{name}</td><td><form class=\"inline\" method=\"post\" action=\"/cart/update\"><input type=\"hidden\" name=\"sku\" value=\"{sku}\"><input name=\"quantity\" type=\"number\" min=\"0\" max=\"999\" value=\"{quantity}\" style=\"width:4.5rem\"> <button>Update</button></form> <form class=\"inline\" method=\"post\" action=\"/cart/update\"><input type=\"hidden\" name=\"sku\" value=\"{sku}\"><input type=\"hidden\" name=\"quantity\" value=\"0\"><button>Remove</button></form></td><td>{subtotal}</td></tr>",
                name = escape(product.map_or(line.sku.as_str(), |p| p.name.as_str())),
                sku = escape(&line.sku),
                quantity = line.quantity,
                subtotal = price(unit * line.quantity),
            ));
        }
        format!(
            "<table><tr><th>Product</th><th>Quantity</th><th>Subtotal</th></tr>{rows}<tr><th>Total</th><th></th><th>{}</th></tr></table>",
            price(total)
        )
    };
    layout(&session, &cart, "Your cart", &body).await
}

async fn account(State(shop): State<Shop>, session: Session, cart: Cart) -> Page {
    let Some(user_id) = session.user_id().await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let prefs = Prefs::load(&session).await?;
    let name = shop.users.get(&user_id).map_or("", |user| user.name);
    let remembered = if session.is_remembered().await? {
        "<p class=\"muted\">You were signed in by “remember me”.</p>"
    } else {
        ""
    };
    let mut devices = String::new();
    for device in session.devices().await? {
        let label = device
            .label
            .clone()
            .or(device.user_agent.clone())
            .unwrap_or_else(|| "Unknown device".into());
        let action = if device.current {
            "<strong>this device</strong>".to_owned()
        } else {
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/account/revoke\"><input type=\"hidden\" name=\"handle\" value=\"{}\"><button>Sign out</button></form>",
                escape(&device.handle)
            )
        };
        devices.push_str(&format!(
            "<tr><td>{}<div class=\"muted\">{}</div></td><td>{}</td><td>{action}</td></tr>",
            escape(&label),
            escape(device.user_agent.as_deref().unwrap_or("")),
            short_time(device.last_seen_at),
        ));
    }
    let theme_option = |value: &str| {
        let selected = if prefs.theme == value {
            " selected"
        } else {
            ""
        };
        format!("<option value=\"{value}\"{selected}>{value}</option>")
    };
    let body = format!(
        "<section class=\"card\"><h2>Profile</h2><p>{name} ({id})</p>{remembered}</section>\
         <section class=\"card\"><h2>Preferences</h2><form method=\"post\" action=\"/account/prefs\"><label>Theme <select name=\"theme\">{light}{dark}</select></label><label>Language <input name=\"language\" value=\"{language}\"></label><button>Save</button></form></section>\
         <section class=\"card\"><h2>Where you are signed in</h2><table><tr><th>Device</th><th>Last seen</th><th></th></tr>{devices}</table>\
         <p><form class=\"inline\" method=\"post\" action=\"/account/logout-others\"><button>Sign out other devices</button></form> \
         <form class=\"inline\" method=\"post\" action=\"/account/logout-all\"><button>Sign out everywhere</button></form></p></section>",
        name = escape(name),
        id = escape(&user_id),
        light = theme_option("light"),
        dark = theme_option("dark"),
        language = escape(&prefs.language),
    );
    layout(&session, &cart, "Your account", &body).await
}

#[derive(Deserialize)]
struct PrefsForm {
    theme: String,
    language: String,
}

async fn save_prefs(session: Session, Form(form): Form<PrefsForm>) -> Page {
    let prefs = Prefs {
        theme: form.theme,
        language: form.language,
    };
    if !prefs.is_valid() {
        return Err(PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose light or dark, and a language tag like en.",
        ));
    }
    session.insert("prefs", &prefs).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
struct RevokeForm {
    handle: String,
}

async fn revoke(session: Session, Form(form): Form<RevokeForm>) -> Page {
    session.revoke(&form.handle).await?;
    Ok(Redirect::to("/account").into_response())
}

async fn logout_others(session: Session) -> Page {
    session.logout_others().await?;
    Ok(Redirect::to("/account").into_response())
}

async fn logout_all(session: Session) -> Page {
    session.logout_all().await?;
    Ok(Redirect::to("/").into_response())
}
