//! [`SessionFailure`]: how a session failure reaches the client, whichever way it happened: an
//! extractor's rejection, a [`SessionError`] a handler returned, or a write-back that failed
//! after the handler ran.
//!
//! Each renders with a short body that names what failed and never how (no store address, no
//! key): plain text, or JSON when the request accepts JSON; a 503 adds `Retry-After`. The cause
//! goes to the `tracing` event and the error's `Display`. An application renders them itself,
//! all three alike, with [`SessionLayerBuilder::render_failure`](crate::SessionLayerBuilder::render_failure).
//!
//! A rejection or handler error is rendered where the layer is not known; it carries a mark in
//! the response's extensions, and the layer renders it again for the request that got it.

use std::borrow::Cow;
use std::sync::Arc;

use axum_core::response::IntoResponse;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Response, StatusCode};

use crate::error::{SessionError, StoreError};

/// Seconds a client is asked to wait before retrying after a 503.
const RETRY_AFTER_SECONDS: u64 = 2;

/// Renders a [`SessionFailure`] as the response the client gets.
pub(crate) type Renderer = Arc<dyn Fn(&SessionFailure) -> Response<Bytes> + Send + Sync>;

/// A session failure about to be answered, as a renderer set with
/// [`SessionLayerBuilder::render_failure`](crate::SessionLayerBuilder::render_failure) sees it.
///
/// ```
/// use tower_redis_session::{MemoryStore, SessionLayer};
///
/// let layer = SessionLayer::builder(MemoryStore::new())
///     .render_failure(|failure| {
///         let page = format!("<h1>Sorry</h1><p>{}</p>", failure.message());
///         let mut response = failure.default_response();
///         *response.body_mut() = page.into();
///         let html = http::HeaderValue::from_static("text/html; charset=utf-8");
///         response.headers_mut().insert(http::header::CONTENT_TYPE, html);
///         response
///     })
///     .build()?;
/// # Ok::<(), tower_redis_session::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SessionFailure {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    error: Arc<dyn std::error::Error + Send + Sync>,
    wants_json: bool,
}

impl SessionFailure {
    pub(crate) fn new(error: Arc<SessionError>, wants_json: bool) -> Self {
        let (code, message) = describe(&error);
        Self {
            status: error.status(),
            code,
            message: Cow::Borrowed(message),
            error,
            wants_json,
        }
    }

    /// A feature's refusal of a request (a cart limit, say): `status`, a machine-readable
    /// `code`, and `error`, whose `Display` is the public message: it must hold nothing
    /// internal.
    #[cfg_attr(
        not(feature = "cart"),
        expect(
            dead_code,
            reason = "an extension point: only features refuse requests"
        )
    )]
    pub(crate) fn refusal(
        status: StatusCode,
        code: &'static str,
        error: Arc<dyn std::error::Error + Send + Sync>,
    ) -> Self {
        Self {
            status,
            code,
            message: Cow::Owned(error.to_string()),
            error,
            wants_json: false,
        }
    }

    /// The failure `error` answers with, as the layer renders it for a request that accepts
    /// JSON (`wants_json`) or not: for code that answers session errors itself, such as a JSON
    /// API with its own error shape, which can then take the status, the public sentence and
    /// `Retry-After` from it and leave the cause to the log.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_redis_session::{SessionError, SessionFailure, StoreError};
    ///
    /// let error = SessionError::Store(StoreError::Timeout(Duration::from_millis(500)));
    /// let failure = SessionFailure::from_error(error, true);
    /// assert_eq!(failure.status(), 503);
    /// assert_eq!(failure.retry_after(), Some(2));
    /// assert!(!failure.message().contains("500ms"), "no internals");
    /// ```
    pub fn from_error(error: SessionError, wants_json: bool) -> Self {
        Self::new(Arc::new(error), wants_json)
    }

    /// The status the failure answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A stable machine-readable name: `session_unavailable` (503), `session_too_large` and
    /// `session_too_many_keys` (413), `session_error` (500), and `cart_refused` (422) for a
    /// [`CartError`](crate::CartError) other than a session failure.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// A sentence for the user, free of internals.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What failed, with its cause, for logs; never show it to the client. A
    /// [`SessionError`] for a session failure.
    pub fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.error
    }

    pub(crate) fn set_wants_json(&mut self, wants_json: bool) {
        self.wants_json = wants_json;
    }

    /// Whether the request's `Accept` header asks for JSON.
    pub fn wants_json(&self) -> bool {
        self.wants_json
    }

    /// Seconds the client should wait before retrying, for a 503.
    pub fn retry_after(&self) -> Option<u64> {
        (self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(RETRY_AFTER_SECONDS)
    }

    /// The crate's own rendering: `{"error": code, "message": message}` when the request
    /// accepts JSON, otherwise `<status>: <message>` as plain text; `Retry-After` on a 503.
    pub fn default_response(&self) -> Response<Bytes> {
        let (content_type, body) = if self.wants_json {
            let body = serde_json::json!({ "error": self.code, "message": &*self.message });
            ("application/json", body.to_string())
        } else {
            let reason = self.status.canonical_reason().unwrap_or("Error");
            (
                "text/plain; charset=utf-8",
                format!("{reason}: {}\n", self.message),
            )
        };
        let mut response = Response::new(Bytes::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(seconds) = self.retry_after() {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The code and public message of an error.
fn describe(error: &SessionError) -> (&'static str, &'static str) {
    match error {
        SessionError::Store(StoreError::Timeout(_)) => (
            "session_unavailable",
            "the session store did not answer in time; please try again shortly",
        ),
        SessionError::Store(_) => (
            "session_unavailable",
            "the session store is unavailable; please try again shortly",
        ),
        SessionError::TooLarge { .. } => (
            "session_too_large",
            "the session cannot hold this much data",
        ),
        SessionError::TooManyKeys { .. } => (
            "session_too_many_keys",
            "the session cannot hold this many entries",
        ),
        _ => ("session_error", "the session could not be handled"),
    }
}

/// Renders as [`SessionFailure`](crate::SessionFailure) does: a short plain-text or JSON body
/// by the request's `Accept` header, `Retry-After` on a 503, or what the layer's
/// [`render_failure`](crate::SessionLayerBuilder::render_failure) makes of it. The cause is
/// logged, never sent.
impl IntoResponse for SessionError {
    fn into_response(self) -> axum_core::response::Response {
        self.log("session operation failed", "session operation refused");
        respond(self)
    }
}

/// A failure rendered where the request was not known, marked for the layer to render again.
#[derive(Clone)]
pub(crate) struct Marked(pub(crate) SessionFailure);

/// The response for `error` outside the layer's knowledge of the request: plain text, marked.
pub(crate) fn respond(error: SessionError) -> axum_core::response::Response {
    respond_with(SessionFailure::new(Arc::new(error), false))
}

/// The response for `failure` outside the layer's knowledge of the request: plain text,
/// marked.
pub(crate) fn respond_with(failure: SessionFailure) -> axum_core::response::Response {
    let mut response = failure.default_response().map(axum_core::body::Body::from);
    response.extensions_mut().insert(Marked(failure));
    response
}

/// Whether an `Accept` header value asks for JSON (`application/json`, `…+json`).
pub(crate) fn accepts_json(accept: Option<&HeaderValue>) -> bool {
    accept
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_body_names_the_failure_and_nothing_internal() {
        let error = StoreError::Unavailable("connection refused (10.0.0.3:6379)".into());
        let failure = SessionFailure::new(Arc::new(SessionError::Store(error)), true);
        let response = failure.default_response();
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["error"], "session_unavailable");
        assert!(!response.body().windows(8).any(|w| w == b"10.0.0.3"));
        assert!(
            failure.error().to_string().contains("10.0.0.3"),
            "the cause is kept for logs"
        );
    }

    #[test]
    fn accept_headers_that_ask_for_json() {
        let accepts = |value: &'static str| accepts_json(Some(&HeaderValue::from_static(value)));
        assert!(accepts("application/json"));
        assert!(accepts("application/problem+json, */*"));
        assert!(!accepts("text/html,application/xhtml+xml"));
        assert!(!accepts_json(None));
    }
}
