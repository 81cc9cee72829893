//! What the pages and the API share: errors, preferences, times.

use std::time::SystemTime;

use super::accounts::Refusal;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_redis_session::{CartError, Session, SessionError, SessionFailure, SessionRejection};

/// An error as the API renders it: `{"error": "<message>"}` with a status (and `Retry-After`
/// when over a limit).
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "not signed in")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if let Some(seconds) = self.retry_after {
            (response.headers_mut()).insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Session(error) => error.into(),
            Refusal::NotSignedIn => Self::unauthorized(),
            refusal => Self {
                status: refusal.status(),
                message: api_message(&refusal),
                retry_after: refusal.retry_after(),
            },
        }
    }
}

/// The API's wording: lower case, like its other errors.
fn api_message(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Wrong => "wrong email or password".into(),
        Refusal::Limited(_) => "too many sign-in attempts; retry after Retry-After seconds".into(),
        Refusal::BadNewPassword => "new: 8 to 256 characters".into(),
        Refusal::ConfirmFirst => {
            "signed in by remember-me: confirm the password first (POST /api/confirm)".into()
        }
        refusal => refusal.message(),
    }
}

impl From<SessionError> for ApiError {
    /// The status and the sentence the session layer itself would answer with: never the
    /// cause (an address, an OS error), which goes to the log.
    fn from(error: SessionError) -> Self {
        tracing::warn!(error = &error as &dyn std::error::Error, "session error");
        let failure = SessionFailure::from_error(error, true);
        Self {
            status: failure.status(),
            message: failure.message().to_owned(),
            retry_after: failure.retry_after(),
        }
    }
}

impl From<SessionRejection> for ApiError {
    fn from(rejection: SessionRejection) -> Self {
        match rejection {
            SessionRejection::Unavailable(error) => error.into(),
            other => {
                tracing::error!(error = &other as &dyn std::error::Error, "no session");
                Self::new(other.status(), "the session could not be handled")
            }
        }
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

/// RFC 3339, as the API writes times.
pub fn rfc3339(time: SystemTime) -> String {
    time::OffsetDateTime::from(time)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
