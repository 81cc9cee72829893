//! [`Session`]: one request's view of its session, loaded lazily and written back as a delta.

pub(crate) mod carried;
mod context;
pub(crate) mod feature;
pub(crate) mod index;
mod lifetime;
pub(crate) mod meta;
mod old_names;
pub(crate) mod sign_out;
mod state;
mod typed_key;
mod values;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::HeaderValue;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crate::codec;
use crate::cookie::RawCookies;
use crate::error::SessionError;
use crate::failure::SessionFailure;
use crate::id::SessionId;
use crate::telemetry;
use crate::time::UnixMillis;

pub(crate) use self::context::Context;
pub(crate) use self::feature::Feature;
pub(crate) use self::state::{Login, SignIn, State};
pub use self::typed_key::TypedKey;

/// The session of the current request.
///
/// Taken by handlers as an axum extractor (which loads it, so a store outage rejects the request
/// with 503 before the handler runs) or read from request extensions by other middleware (then
/// loaded on first use). Clones share the same state.
///
/// Changes are kept in the handle and written when the response passes back through the layer:
/// only the keys that changed, in one round trip, and only if the record still exists. Nothing
/// is stored for a visitor until the session holds data.
///
/// ```no_run
/// use tower_redis_session::{Session, SessionError};
///
/// async fn visit(session: Session) -> Result<String, SessionError> {
///     let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
///     session.insert("visits", &visits).await?;
///     Ok(format!("visit number {visits}"))
/// }
/// ```
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
}

struct Shared {
    context: Arc<Context>,
    /// The request's cookies, read into the state at first use.
    cookies: RawCookies,
    /// Who sent the request, for the device record of a sign-in by a feature.
    client: Client,
    /// Set on first use, so the layer can skip untouched sessions without taking the lock.
    touched: AtomicBool,
    /// Made at first use: a request that never uses its session allocates no state.
    state: Mutex<Option<Box<State>>>,
}

/// What an explicit [`Session::save`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum SaveOutcome {
    /// There was nothing to write.
    Unchanged,
    /// The changes were written.
    Saved,
    /// The session was deleted or expired meanwhile; nothing was written and it is not
    /// recreated. The response expires the cookie.
    Gone,
}

/// What the layer must do with a session once the handler has answered.
pub(crate) enum Finish {
    /// The handler never used the session: no store command, no cookie.
    Untouched,
    /// Nothing to write; amend the response with these headers.
    Done(Amend),
    /// Changes must be written first (see [`Session::finish`]).
    Write,
}

/// Headers the layer adds to the response.
#[derive(Default)]
pub(crate) struct Amend {
    pub(crate) set_cookie: Option<HeaderValue>,
    /// The features' cookies.
    pub(crate) feature_cookies: Vec<HeaderValue>,
    /// The features' other headers.
    pub(crate) feature_headers: Vec<(http::HeaderName, HeaderValue)>,
    /// `Clear-Site-Data: "cookies"`, asked for at logout.
    pub(crate) clear_site_data: bool,
}

/// The request's `User-Agent` and client IP header (see
/// [`SessionLayerBuilder::client_ip_header`](crate::SessionLayerBuilder::client_ip_header)),
/// kept as the request's own header values: cloning one allocates nothing.
#[derive(Default)]
pub(crate) struct Client {
    #[cfg_attr(
        not(feature = "remember-me"),
        expect(
            dead_code,
            reason = "for a sign-in with a credential: only remember-me has one"
        )
    )]
    pub(crate) user_agent: Option<HeaderValue>,
    #[cfg_attr(
        not(feature = "remember-me"),
        expect(
            dead_code,
            reason = "for a sign-in with a credential: only remember-me has one"
        )
    )]
    pub(crate) ip: Option<HeaderValue>,
    /// The request's `Accept`, to render a failure as the client wants it.
    pub(crate) accept: Option<HeaderValue>,
}

impl Session {
    pub(crate) fn new(context: Arc<Context>, cookies: RawCookies, client: Client) -> Self {
        Self {
            shared: Arc::new(Shared {
                context,
                cookies,
                client,
                touched: AtomicBool::new(false),
                state: Mutex::new(None),
            }),
        }
    }

    /// The state, locked, made from the request's cookies at first use.
    pub(crate) async fn lock(&self) -> MappedMutexGuard<'_, State> {
        // Uncontended, as nearly always, `try_lock` skips the waiter queue's bookkeeping.
        let guard = match self.shared.state.try_lock() {
            Ok(guard) => guard,
            Err(_) => self.shared.state.lock().await,
        };
        self.made(guard)
    }

    fn made<'a>(&self, guard: MutexGuard<'a, Option<Box<State>>>) -> MappedMutexGuard<'a, State> {
        MutexGuard::map(guard, |state| {
            &mut **state.get_or_insert_with(|| {
                Box::new(State::read(&self.shared.cookies, &self.shared.context))
            })
        })
    }

    /// Loads the session if this request has not yet; every other method calls it.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store cannot be reached; the next call tries again.
    pub async fn load(&self) -> Result<(), SessionError> {
        self.loaded().await.map(drop)
    }

    /// The loaded state, locked. Loading happens here, once per request.
    pub(crate) async fn loaded(&self) -> Result<MappedMutexGuard<'_, State>, SessionError> {
        self.shared.touched.store(true, Ordering::Release);
        let mut state = self.lock().await;
        if !state.loaded {
            if let Some(id) = state.cookie_id.clone() {
                self.load_into(&mut state, id).await?;
            }
            state.loaded = true;
            // A feature acts on what it read from the request, or on a session in its keeping;
            // most requests give it nothing.
            if !state.features.is_empty() || self.shared.context.guards(&state.meta) {
                self.features_loaded(&mut state).await?;
            }
        }
        Ok(state)
    }

    /// Runs the features' `loaded` hooks.
    async fn features_loaded(&self, state: &mut State) -> Result<(), SessionError> {
        let context = &self.shared.context;
        for feature in &context.features {
            if let Some(hook) = feature.loaded(context, state, &self.shared.client) {
                hook.await?;
            }
        }
        Ok(())
    }

    async fn load_into(&self, state: &mut State, id: SessionId) -> Result<(), SessionError> {
        let context = &self.shared.context;
        let now = UnixMillis::now();
        let deadline = id.deadline(&context.config.timeouts, now);
        if deadline <= now {
            // Past its absolute deadline: its record has expired or is about to.
            tracing::debug!("session cookie is past its absolute deadline");
            telemetry::load("expired");
            return Ok(());
        }
        let Some(loaded) = context.store.load(&id.handle(), deadline).await? else {
            tracing::debug!("session cookie names no live session; not adopted");
            telemetry::load("missing");
            return Ok(());
        };
        telemetry::load("found");
        state.meta = codec::meta_of(&loaded.fields);
        state.set_loaded_data(loaded.fields);
        state.revision = loaded.revision;
        state.expiry = id.expiry();
        state.id = Some(id);
        state.expires_at = Some(deadline);
        meta::note_last_seen(state, &context.config, now);
        Ok(())
    }

    /// The shared context: store and configuration.
    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.shared.context
    }

    /// Who sent the request.
    #[cfg_attr(
        not(feature = "remember-me"),
        expect(
            dead_code,
            reason = "for a sign-in with a credential: only remember-me has one"
        )
    )]
    pub(crate) fn client(&self) -> &Client {
        &self.shared.client
    }

    /// The response for a failure in this request: the application's rendering, or the
    /// crate's by the request's `Accept`.
    pub(crate) fn render_failure(
        &self,
        mut failure: SessionFailure,
    ) -> http::Response<bytes::Bytes> {
        failure.set_wants_json(crate::failure::accepts_json(
            self.shared.client.accept.as_ref(),
        ));
        match &self.shared.context.render_failure {
            Some(render) => render(&failure),
            None => failure.default_response(),
        }
    }

    /// Decides, without waiting, what the layer does now that the handler has answered.
    /// `save` is false for 5xx responses, whose changes are dropped.
    pub(crate) fn try_finish(&self, save: bool) -> Finish {
        if !self.shared.touched.load(Ordering::Acquire) {
            return Finish::Untouched;
        }
        let Ok(guard) = self.shared.state.try_lock() else {
            return Finish::Write;
        };
        let mut state = self.made(guard);
        if save && state.has_changes() {
            return Finish::Write;
        }
        Finish::Done(amend(&mut state, &self.shared.context))
    }

    /// Writes pending changes (if `save`) and returns the headers to add to the response.
    pub(crate) async fn finish(&self, save: bool) -> Result<Amend, SessionError> {
        let mut state = self.lock().await;
        if save {
            // A `Gone` outcome needs nothing more here: it already set a removal cookie.
            let _outcome = state.flush(&self.shared.context).await?;
        }
        Ok(amend(&mut state, &self.shared.context))
    }
}

fn amend(state: &mut State, context: &Context) -> Amend {
    let mut feature_cookies = Vec::new();
    let mut feature_headers = Vec::new();
    if !state.features.is_empty() {
        for feature in &context.features {
            feature.set_cookies(state, &mut feature_cookies);
            feature.headers(state, &mut feature_headers);
        }
    }
    let set_cookie = state.cookie_header(context);
    if !state.old_cookies.is_empty() {
        let old = std::mem::take(&mut state.old_cookies);
        let set: Vec<&HeaderValue> = set_cookie.iter().chain(&feature_cookies).collect();
        let mut moved = Vec::new();
        old_names::amend(old, context, &set, &mut moved);
        feature_cookies.extend(moved);
    }
    Amend {
        set_cookie,
        feature_cookies,
        feature_headers,
        clear_site_data: state.clear_site_data,
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}
