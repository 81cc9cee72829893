//! What the pages and the API share: errors, preferences, CSRF tokens, times.

use std::time::SystemTime;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_redis_session::{CartError, Session, SessionError, SessionRejection};

/// An error as the API renders it: `{"error": "<message>"}` with a status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "not signed in")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> Self {
        tracing::warn!(error = &error as &dyn std::error::Error, "session error");
        let status = error.status();
        let message = if status == StatusCode::SERVICE_UNAVAILABLE {
            "session store unavailable".to_owned()
        } else {
            error.to_string()
        };
        Self::new(status, message)
    }
}

impl From<SessionRejection> for ApiError {
    fn from(rejection: SessionRejection) -> Self {
        tracing::warn!(error = &rejection as &dyn std::error::Error, "no session");
        Self::new(rejection.status(), rejection.to_string())
    }
}

impl From<CartError> for ApiError {
    fn from(error: CartError) -> Self {
        match error {
            CartError::Session(error) => error.into(),
            refused => Self::new(StatusCode::UNPROCESSABLE_ENTITY, refused.to_string()),
        }
    }
}

/// A visitor's preferences, kept in the session.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Prefs {
    pub theme: String,
    pub language: String,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            theme: "light".into(),
            language: "en".into(),
        }
    }
}

impl Prefs {
    pub fn is_valid(&self) -> bool {
        matches!(self.theme.as_str(), "light" | "dark")
            && (2..=16).contains(&self.language.len())
            && self
                .language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }

    pub async fn load(session: &Session) -> Result<Self, SessionError> {
        Ok(session.get("prefs").await?.unwrap_or_default())
    }
}

/// The session's CSRF token (synchronizer pattern), made on first use.
pub async fn csrf_token(session: &Session) -> Result<String, SessionError> {
    if let Some(token) = session.get::<String>("csrf").await? {
        return Ok(token);
    }
    rotate_csrf(session).await
}

/// A new CSRF token: at login, so a token seen before sign-in is worthless after.
pub async fn rotate_csrf(session: &Session) -> Result<String, SessionError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(SessionError::Randomness)?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    session.insert("csrf", &token).await?;
    Ok(token)
}

/// Whether a submitted form's token matches the session's, compared in constant time.
pub async fn csrf_ok(session: &Session, submitted: &str) -> Result<bool, SessionError> {
    let Some(expected) = session.get::<String>("csrf").await? else {
        return Ok(false);
    };
    let same_length = expected.len() == submitted.len();
    let difference = expected
        .bytes()
        .zip(submitted.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    Ok(same_length && difference == 0)
}

/// RFC 3339, as the API writes times.
pub fn rfc3339(time: SystemTime) -> String {
    time::OffsetDateTime::from(time)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
