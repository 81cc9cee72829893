//! [`SessionService`]: puts a [`Session`] in each request and hands the response to
//! [`ResponseFuture`](crate::future::ResponseFuture) to write it back.

use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::header::{ACCEPT, USER_AGENT};
use http::{Request, Response};
use tower_service::Service;

use crate::cookie::RawCookies;
use crate::future::ResponseFuture;
use crate::session::{Client, Context, Session};

/// The middleware made by [`SessionLayer`](crate::SessionLayer).
#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    context: Arc<Context>,
}

impl<S> SessionService<S> {
    pub(crate) fn new(inner: S, context: Arc<Context>) -> Self {
        Self { inner, context }
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<bytes::Bytes> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let headers = request.headers();
        let cookies = RawCookies::of(headers);
        let client = Client {
            user_agent: headers.get(USER_AGENT).cloned(),
            accept: headers.get(ACCEPT).cloned(),
            ip: (self.context.config.client_ip_header.as_ref())
                .and_then(|name| headers.get(name))
                .cloned(),
        };
        let session = Session::new(Arc::clone(&self.context), cookies, client);
        if let Some(feature) = self.context.serving(&request) {
            let feature = Arc::clone(feature);
            let (parts, _body) = request.into_parts();
            let served = session.clone();
            let future = Box::pin(async move { feature.serve(&served, &parts).await });
            return ResponseFuture::served(future, session);
        }
        request.extensions_mut().insert(session.clone());
        ResponseFuture::new(self.inner.call(request), session)
    }
}
