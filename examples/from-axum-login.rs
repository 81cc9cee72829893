//! An axum-login and axum-messages application, moved to tower-redis-session: a login form that
//! sends the user back where they were going, a page for signed-in users only, flash messages
//! across the redirects, and logout. `docs/migrating-from-tower-sessions.md` walks through the
//! move; `cargo run --example from-axum-login` serves it on http://localhost:3000 (alice /
//! `wonderland`).
//!
//! What each piece replaces:
//! - axum-login's `AuthSession` and `login_required!(…, login_url = "/login")`: the `LoggedIn`
//!   extractor and `SessionLayerBuilder::login_path("/login")`, which redirects with a `next` that
//!   `safe_next` checks on the way back;
//! - its `AuthnBackend::authenticate`: your own password check (`authenticate` below), then
//!   `Session::login`, which gives the session a new ID;
//! - axum-messages' `Messages`: the `Flash` extractor.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_redis_session::{
    Device, Flash, LoggedIn, MemoryStore, Session, SessionError, SessionLayer, safe_next,
};

/// The application's users: name and Argon2 hash of the password, by user ID.
#[derive(Clone)]
struct Users(Arc<HashMap<String, (String, String)>>);

impl Users {
    /// Alice, whose password is `wonderland`.
    fn demo() -> Result<Self, argon2::password_hash::Error> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hash = Argon2::default().hash_password(b"wonderland", &salt)?;
        let users = HashMap::from([("alice".to_owned(), ("Alice".to_owned(), hash.to_string()))]);
        Ok(Self(Arc::new(users)))
    }

    /// The user's name if `password` is theirs (axum-login's `authenticate`).
    fn authenticate(&self, user_id: &str, password: &str) -> Option<&str> {
        let (name, hash) = self.0.get(user_id)?;
        let hash = PasswordHash::new(hash).ok()?;
        let verified = Argon2::default().verify_password(password.as_bytes(), &hash);
        verified.is_ok().then_some(name.as_str())
    }

    fn name<'a>(&'a self, user_id: &'a str) -> &'a str {
        self.0
            .get(user_id)
            .map_or(user_id, |(name, _)| name.as_str())
    }
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
    next: Option<String>,
}

/// The messages waiting for this page, as HTML (escaped: messages are text).
async fn messages(flash: &Flash) -> Result<String, SessionError> {
    let messages = flash.take().await?;
    Ok(messages
        .iter()
        .map(|message| {
            format!(
                "<p class=\"{}\">{}</p>",
                message.level.as_str(),
                escape(&message.text)
            )
        })
        .collect())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn login_page(flash: Flash, Query(query): Query<Next>) -> Result<Html<String>, SessionError> {
    let next = query.next.as_deref().and_then(safe_next).unwrap_or("/");
    Ok(Html(format!(
        "{}<form method=\"post\" action=\"/login\">\
         <input name=\"username\"><input name=\"password\" type=\"password\">\
         <input name=\"next\" type=\"hidden\" value=\"{}\"><button>Log in</button></form>",
        messages(&flash).await?,
        escape(next)
    )))
}

async fn login(
    State(users): State<Users>,
    session: Session,
    flash: Flash,
    headers: HeaderMap,
    Form(credentials): Form<Credentials>,
) -> Result<Redirect, SessionError> {
    // Checked again on the way back: the form field is whatever the client sent.
    let next = credentials
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("/");
    let Some(name) = users.authenticate(&credentials.username, &credentials.password) else {
        flash.error("Invalid credentials.").await?;
        return Ok(Redirect::to(&format!("/login?next={}", encode(next))));
    };
    session
        .login(&credentials.username, Device::from_headers(&headers))
        .await?;
    flash.success(format!("Welcome, {name}.")).await?;
    Ok(Redirect::to(next))
}

/// `text` as a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// For signed-in users only: anonymous requests are sent to `/login?next=/`.
async fn protected(
    State(users): State<Users>,
    user: LoggedIn,
    flash: Flash,
) -> Result<Html<String>, SessionError> {
    Ok(Html(format!(
        "{}<h1>Hello, {}</h1><form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
        messages(&flash).await?,
        escape(users.name(&user.user_id))
    )))
}

async fn logout(session: Session, flash: Flash) -> Result<Redirect, SessionError> {
    session.logout().await?;
    flash.info("You are logged out.").await?;
    Ok(Redirect::to("/login"))
}

/// The application, behind its session layer.
fn app() -> Result<Router, Box<dyn std::error::Error>> {
    let layer = SessionLayer::builder(MemoryStore::new())
        .login_path("/login")
        .build()?;
    Ok(Router::new()
        .route("/", get(protected))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .with_state(Users::demo().map_err(|error| error.to_string())?)
        .layer(layer))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("Serving on http://localhost:{port} (alice / wonderland)");
    axum::serve(listener, app()?).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use tower_redis_session::test_kit::Client;

    use super::app;

    fn form(username: &str, password: &str, next: &str) -> String {
        format!(
            "username={username}&password={password}&next={}",
            super::encode(next)
        )
    }

    async fn post_form(
        client: &mut Client,
        path: &str,
        body: &str,
    ) -> tower_redis_session::test_kit::Reply {
        client.headers.push((
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ));
        let reply = client.post(path, body).await;
        client.headers.pop();
        reply
    }

    #[tokio::test]
    async fn an_anonymous_visit_is_sent_to_login_and_back_after_it() {
        let mut browser = Client::new(app().unwrap());
        let sent = browser.get("/").await;
        assert_eq!(sent.header("location"), Some("/login?next=/"));
        let login = post_form(&mut browser, "/login", &form("alice", "wonderland", "/")).await;
        assert_eq!(login.header("location"), Some("/"));
        let page = browser.get("/").await;
        assert!(page.body.contains("Welcome, Alice."), "{}", page.body);
        assert!(page.body.contains("Hello, Alice"), "{}", page.body);
        assert!(
            !browser.get("/").await.body.contains("Welcome"),
            "shown once"
        );
    }

    #[tokio::test]
    async fn a_wrong_password_is_a_flash_on_the_login_page() {
        let mut browser = Client::new(app().unwrap());
        let refused = post_form(&mut browser, "/login", &form("alice", "nope", "/")).await;
        assert_eq!(refused.header("location"), Some("/login?next=/"));
        let page = browser.get("/login?next=/").await;
        assert!(page.body.contains("Invalid credentials."), "{}", page.body);
    }

    #[tokio::test]
    async fn a_next_on_another_origin_is_never_followed() {
        let mut browser = Client::new(app().unwrap());
        let login = post_form(
            &mut browser,
            "/login",
            &form("alice", "wonderland", "//evil.example"),
        )
        .await;
        assert_eq!(login.header("location"), Some("/"));
    }

    #[tokio::test]
    async fn logout_closes_the_page_and_says_so() {
        let mut browser = Client::new(app().unwrap());
        post_form(&mut browser, "/login", &form("alice", "wonderland", "/")).await;
        let out = post_form(&mut browser, "/logout", "").await;
        assert_eq!(out.header("location"), Some("/login"));
        assert!(
            browser
                .get("/login")
                .await
                .body
                .contains("You are logged out.")
        );
        assert_eq!(
            browser.get("/").await.header("location"),
            Some("/login?next=/")
        );
    }
}
