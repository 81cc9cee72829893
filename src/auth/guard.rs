//! [`LoggedIn`]: the extractor of routes only signed-in users reach, and its rejection
//! [`LoginRequired`].
//!
//! An anonymous request to such a route is answered 401, or, where the layer has a
//! [`login_path`](crate::SessionLayerBuilder::login_path), sent there with `next` naming the page
//! it asked for. The login handler reads `next` back after signing the user in and redirects to it,
//! which is where open redirects come from: `next` is only ever a path on this origin, checked by
//! [`safe_next`](crate::safe_next) on the way out and by the login handler again on the way back
//! in.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, LOCATION};
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::extract::SessionRejection;
use crate::redirect::login_location;
use crate::session::Session;

/// The signed-in user of a request: a handler that takes it runs only for signed-in users
/// (remembered ones included). Anonymous requests are rejected with [`LoginRequired`].
///
/// Load the application's own user type once per request by wrapping it in an extractor of your
/// own, which the handlers then take instead:
///
/// ```
/// use axum::extract::FromRequestParts;
/// use axum::http::request::Parts;
/// use axum::response::{IntoResponse, Response};
/// use tower_redis_session::LoggedIn;
///
/// #[derive(Clone)]
/// struct User {
///     id: String,
///     name: String,
/// }
///
/// async fn find_user(id: &str) -> Option<User> {
///     Some(User { id: id.to_owned(), name: "Alice".to_owned() })
/// }
///
/// struct CurrentUser(User);
///
/// impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
///     type Rejection = Response;
///
///     async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
///         // Loaded once per request, however many extractors ask.
///         if let Some(user) = parts.extensions.get::<User>() {
///             return Ok(Self(user.clone()));
///         }
///         let logged_in = LoggedIn::from_request_parts(parts, state)
///             .await
///             .map_err(IntoResponse::into_response)?;
///         let user = find_user(&logged_in.user_id)
///             .await
///             // The account is gone: treat the request as anonymous.
///             .ok_or_else(|| axum::http::StatusCode::UNAUTHORIZED.into_response())?;
///         parts.extensions.insert(user.clone());
///         Ok(Self(user))
///     }
/// }
///
/// async fn account(CurrentUser(user): CurrentUser) -> String {
///     format!("Hello, {} ({})", user.name, user.id)
/// }
/// ```
#[derive(Clone)]
pub struct LoggedIn {
    /// The user's ID, as [`Session::login`] was given it.
    pub user_id: String,
    /// The request's session.
    pub session: Session,
}

impl std::fmt::Debug for LoggedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggedIn")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LoggedIn {
    type Rejection = LoginRequired;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, LoginRequired> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(LoginRequired::Session)?;
        match session.user_id().await {
            Ok(Some(user_id)) => Ok(Self { user_id, session }),
            Ok(None) => Err(LoginRequired::anonymous(parts, &session)),
            Err(error) => Err(LoginRequired::Session(SessionRejection::Unavailable(error))),
        }
    }
}

/// Why a [`LoggedIn`] could not be extracted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginRequired {
    /// The request is anonymous and the layer has no login path. Renders as 401, with a JSON
    /// body (`{"error": "login_required", …}`) when the request accepts JSON.
    #[error("this page is for signed-in users")]
    Unauthorized {
        /// Whether the request's `Accept` header asks for JSON.
        wants_json: bool,
    },
    /// The request is anonymous: it is sent to the layer's login path. Renders as 303 See Other.
    #[error("this page is for signed-in users: sent to the login page")]
    Redirect {
        /// The login path, with `next` naming the page asked for when that is a safe one.
        location: String,
    },
    /// The session could not be loaded. Renders as [`SessionRejection`] does.
    #[error(transparent)]
    Session(SessionRejection),
}

impl LoginRequired {
    fn anonymous(parts: &Parts, session: &Session) -> Self {
        let Some(login) = session.context().config.login_path.as_deref() else {
            let wants_json = crate::failure::accepts_json(parts.headers.get(http::header::ACCEPT));
            return Self::Unauthorized { wants_json };
        };
        let asked = parts
            .uri
            .path_and_query()
            .map_or("/", |target| target.as_str());
        Self::Redirect {
            location: login_location(login, asked),
        }
    }
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        match self {
            Self::Session(rejection) => rejection.into_response(),
            Self::Redirect { location } => match HeaderValue::try_from(location) {
                Ok(location) => (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response(),
                // The login path was checked at build and `next` is encoded: never reached.
                Err(_) => StatusCode::UNAUTHORIZED.into_response(),
            },
            Self::Unauthorized { wants_json } => {
                let message = "this page is for signed-in users; please log in";
                let (content_type, body) = if wants_json {
                    let body = serde_json::json!({ "error": "login_required", "message": message });
                    ("application/json", body.to_string())
                } else {
                    (
                        "text/plain; charset=utf-8",
                        format!("Unauthorized: {message}\n"),
                    )
                };
                let content_type = HeaderValue::from_static(content_type);
                (
                    StatusCode::UNAUTHORIZED,
                    [(CONTENT_TYPE, content_type)],
                    body,
                )
                    .into_response()
            }
        }
    }
}
