//! [`ResponseFuture`]: waits for the handler, then writes the session back.
//!
//! Requests that never used their session, or left it unchanged, finish without allocating;
//! only a write boxes its future.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{HeaderName, SET_COOKIE};
use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use crate::failure::{Marked, SessionFailure};
use crate::session::{Amend, Finish, Session};
use crate::store::BoxFuture;

const CLEAR_SITE_DATA: HeaderName = HeaderName::from_static("clear-site-data");

pin_project! {
    /// Response future of [`SessionService`](crate::SessionService).
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Handler {
            #[pin]
            future: F,
            session: Option<Session>,
        },
        // A request the layer answers itself (a feature's endpoint), without the application.
        Serving {
            future: BoxFuture<'static, Response<Bytes>>,
            session: Option<Session>,
        },
        Writing {
            future: BoxFuture<'static, Response<B>>,
        },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn new(future: F, session: Session) -> Self {
        Self {
            state: State::Handler {
                future,
                session: Some(session),
            },
        }
    }

    /// The response of a feature's endpoint, `future`, written back as an application's.
    pub(crate) fn served(future: BoxFuture<'static, Response<Bytes>>, session: Session) -> Self {
        Self {
            state: State::Serving {
                future,
                session: Some(session),
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: From<Bytes> + Send + 'static,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let (response, session) = match this.state.as_mut().project() {
                StateProj::Handler { future, session } => {
                    (ready!(future.poll(cx))?, session.take())
                }
                StateProj::Serving { future, session } => (
                    ready!(future.as_mut().poll(cx)).map(B::from),
                    session.take(),
                ),
                StateProj::Writing { future } => return future.as_mut().poll(cx).map(Ok),
            };
            match finish(session, response) {
                Ok(response) => return Poll::Ready(Ok(response)),
                Err(future) => this.state.set(State::Writing { future }),
            }
        }
    }
}

/// Completes `response` for `session` at once, or hands back the write it must wait for.
#[inline]
fn finish<B: From<Bytes> + Send + 'static>(
    session: Option<Session>,
    mut response: Response<B>,
) -> Result<Response<B>, BoxFuture<'static, Response<B>>> {
    let Some(session) = session else {
        return Ok(response);
    };
    // A failed request must not persist what it half-did.
    let save = !response.status().is_server_error();
    match session.try_finish(save) {
        Finish::Untouched => Ok(response),
        Finish::Done(amend) => {
            render_marked(&session, &mut response);
            apply(&mut response, amend);
            Ok(response)
        }
        Finish::Write => Err(Box::pin(write_back(session, save, response))),
    }
}

/// Writes the session, then completes the response. A failed write replaces the response with
/// the failure's (503 when the store failed, 413 when concurrent writers left no room for this
/// request's change under the caps), since the client would otherwise believe a change was kept
/// that was not.
async fn write_back<B: From<Bytes>>(
    session: Session,
    save: bool,
    mut response: Response<B>,
) -> Response<B> {
    match session.finish(save).await {
        Ok(amend) => {
            render_marked(&session, &mut response);
            apply(&mut response, amend);
            response
        }
        Err(error) => {
            let status = error.status();
            error.log(
                &format!("could not save the session; answering {status}"),
                &format!("the session refused this request's change; answering {status}"),
            );
            let failure = SessionFailure::new(Arc::new(error), false);
            session.render_failure(failure).map(B::from)
        }
    }
}

/// Renders again, for this request, a session failure that a rejection or handler error
/// rendered without knowing it (see `failure.rs`).
fn render_marked<B: From<Bytes>>(session: &Session, response: &mut Response<B>) {
    if let Some(Marked(failure)) = response.extensions_mut().remove::<Marked>() {
        *response = session.render_failure(failure).map(B::from);
    }
}

fn apply<B>(response: &mut Response<B>, amend: Amend) {
    let cookies = amend.set_cookie.into_iter().chain(amend.feature_cookies);
    for cookie in cookies {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    for (name, value) in amend.feature_headers {
        response.headers_mut().append(name, value);
    }
    if amend.clear_site_data {
        response
            .headers_mut()
            .insert(CLEAR_SITE_DATA, HeaderValue::from_static("\"cookies\""));
    }
}
