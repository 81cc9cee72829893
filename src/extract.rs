//! The axum extractor for [`Session`], and its typed rejection.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::error::{SessionError, StoreError};
use crate::session::Session;

/// Why a [`Session`] could not be extracted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionRejection {
    /// The route is not wrapped in a [`SessionLayer`](crate::SessionLayer): a wiring mistake.
    /// Renders as 500.
    #[error("no SessionLayer wraps this route")]
    MissingLayer,
    /// The session could not be loaded because the store is unavailable. Renders as 503, as
    /// [`SessionFailure`](crate::SessionFailure) says.
    #[error("could not load the session: {0}")]
    Unavailable(#[source] SessionError),
}

impl SessionRejection {
    /// The HTTP status this rejection renders as.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingLayer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        tracing::error!(
            error = &self as &dyn std::error::Error,
            "session extraction failed"
        );
        match self {
            Self::Unavailable(error) => crate::failure::respond(error),
            Self::MissingLayer => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error: this route has no session layer\n",
            )
                .into_response(),
        }
    }
}

impl From<StoreError> for SessionRejection {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(SessionError::Store(error))
    }
}

/// The request's session as the layer left it in the request, not loaded.
pub(crate) fn layer_session(parts: &Parts) -> Result<Session, SessionRejection> {
    parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or(SessionRejection::MissingLayer)
}

/// Extracting a `Session` loads it (one round trip when the request has a session cookie, none
/// otherwise), so that a store outage is a 503 before the handler runs. Take
/// `Result<Session, SessionRejection>` to handle that case yourself.
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = layer_session(parts)?;
        session
            .load()
            .await
            .map_err(SessionRejection::Unavailable)?;
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_rejection_says_its_cause() {
        let timeout = SessionError::Store(StoreError::Timeout(Duration::from_millis(500)));
        let text = SessionRejection::Unavailable(timeout).to_string();
        assert_eq!(
            text,
            "could not load the session: session store did not answer within 500ms"
        );
    }
}
