//! What every page shares: the frame (header, navigation, theme), escaping, and the error
//! pages, including the one the session layer renders when the store is down.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tower_redis_session::{Cart, CartError, Session, SessionError, SessionFailure};

use super::web::Prefs;

pub type Page = Result<Response, PageError>;

const STYLE: &str = include_str!("style.css");

/// A page that could not be shown: a message on a page of its own, or a session failure the
/// layer renders (with [`failure`], below).
pub enum PageError {
    Message(StatusCode, &'static str),
    Session(SessionError),
}

impl From<SessionError> for PageError {
    fn from(error: SessionError) -> Self {
        Self::Session(error)
    }
}

impl From<CartError> for PageError {
    fn from(error: CartError) -> Self {
        match error {
            CartError::Session(error) => error.into(),
            _ => Self::Message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "That cart change is not possible.",
            ),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Message(status, message) => {
                (status, standalone(title(status), message)).into_response()
            }
            // Marked for the layer, which renders it with `failure`.
            Self::Session(error) => error.into_response(),
        }
    }
}

/// How the shop answers a session failure (the layer's `render_failure`): the JSON API's
/// `{"error": …}` to clients that accept JSON, otherwise a page in the shop's style, with the
/// layer's status and `Retry-After`.
pub fn failure(failure: &SessionFailure) -> axum::http::Response<bytes::Bytes> {
    let mut response = failure.default_response();
    let (body, content_type) = if failure.wants_json() {
        let body = serde_json::json!({ "error": failure.message() }).to_string();
        (body, "application/json")
    } else {
        let page = standalone(title(failure.status()), sentence(failure)).0;
        (page, "text/html; charset=utf-8")
    };
    *response.body_mut() = body.into();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// What the page tells a shopper about a session failure.
fn sentence(failure: &SessionFailure) -> &'static str {
    match failure.status() {
        StatusCode::SERVICE_UNAVAILABLE => {
            "We cannot reach our session store right now; please try again in a minute."
        }
        StatusCode::PAYLOAD_TOO_LARGE => "Your session holds too much to save more.",
        _ => "Something went wrong on our side; please try again.",
    }
}

fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
        StatusCode::FORBIDDEN => "Refused",
        StatusCode::NOT_FOUND => "Not found",
        status if status.is_client_error() => "That did not work",
        _ => "Something went wrong",
    }
}

/// A page that needs no session: the error pages, which must render when the store is down.
pub fn standalone(title: &str, message: &str) -> Html<String> {
    let body = format!(
        "<div class=\"card narrow\"><p>{}</p><p><a href=\"/\">Back to the shop</a></p></div>",
        escape(message)
    );
    Html(document("en", "", title, "<nav></nav>", &body))
}

/// The page frame around `body`: header with navigation, the cart's item count and the
/// account, in the visitor's theme and language.
pub async fn layout(session: &Session, cart: &Cart, title: &str, body: &str) -> Page {
    let prefs = Prefs::load(session).await?;
    let items = match cart.count().await? {
        0 => String::new(),
        count => format!(" ({count})"),
    };
    let account = match session.user_id().await? {
        Some(user) => format!(
            "<span class=\"who\"><a href=\"/account\">{}</a><form class=\"inline\" method=\"post\" action=\"/logout\"><button>Sign out</button></form></span>",
            escape(&user)
        ),
        None => "<a href=\"/login\">Sign in</a>".to_owned(),
    };
    let nav =
        format!("<nav><a href=\"/\">Products</a><a href=\"/cart\">Cart{items}</a></nav>{account}");
    let page = document(&prefs.language, &prefs.theme, title, &nav, body);
    Ok(Html(page).into_response())
}

fn document(lang: &str, theme: &str, title: &str, nav: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title} · Teashop</title><style>{STYLE}</style></head><body class=\"{theme}\"><header><div class=\"bar\"><a class=\"brand\" href=\"/\">Teashop</a>{nav}</div></header><main><h1>{title}</h1>{body}</main></body></html>",
        lang = escape(lang),
        theme = escape(theme),
        title = escape(title),
    )
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
