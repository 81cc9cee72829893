//! [`SessionLayer`] and its builder: the one place sessions are configured (the session
//! cookie's settings in `cookies.rs`).

mod cookies;

use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use crate::config::{ConfigError, SessionConfig};
use crate::failure::{Renderer, SessionFailure};
use crate::features::Features;
use crate::service::SessionService;
use crate::session::Context;
use crate::store::{DynUserIndex, LayerStore};
use crate::theft::TheftHook;

/// A tower layer that gives each request a [`Session`](crate::Session).
///
/// The session is loaded only when first used, and written back (only what changed) when the
/// response passes through; responses whose handler never used the session cost nothing.
///
/// ```
/// use axum::{Router, routing::get};
/// use tower_redis_session::{MemoryStore, Session, SessionLayer};
///
/// async fn handler(session: Session) -> String {
///     let n: u32 = session.get("n").await.ok().flatten().unwrap_or(0);
///     let _ = session.insert("n", &(n + 1)).await;
///     n.to_string()
/// }
///
/// let layer = SessionLayer::builder(MemoryStore::new()).build().unwrap();
/// let app: Router = Router::new().route("/", get(handler)).layer(layer);
/// ```
#[derive(Clone)]
pub struct SessionLayer {
    context: Arc<Context>,
}

impl std::fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionLayer")
            .field("config", &self.context.config)
            .finish_non_exhaustive()
    }
}

impl SessionLayer {
    /// Signed-in sessions by user, for use outside a request (an admin page, a password reset
    /// job): list a user's devices, sign one out, or sign out all of them.
    pub fn users(&self) -> crate::auth::UserSessions {
        crate::auth::UserSessions::new(Arc::clone(&self.context))
    }

    /// Starts configuring a layer over `store`. Every setting has a secure default.
    ///
    /// The store must have what the enabled Cargo features use (see [`LayerStore`]):
    /// [`RedisStore`](crate::RedisStore) and [`MemoryStore`](crate::MemoryStore) have it all.
    pub fn builder(store: impl LayerStore) -> SessionLayerBuilder {
        let store = Arc::new(store);
        SessionLayerBuilder {
            features: Features::new(&store),
            store,
            config: SessionConfig::default(),
            render_failure: None,
            on_theft: None,
        }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService::new(inner, Arc::clone(&self.context))
    }
}

/// Configures a [`SessionLayer`]; made by [`SessionLayer::builder`], checked by
/// [`build`](Self::build).
///
/// | setting | default |
/// |---|---|
/// | [`idle_timeout`](Self::idle_timeout) | 30 minutes, sliding |
/// | [`absolute_timeout`](Self::absolute_timeout) | 12 hours from creation |
/// | [`max_size`](Self::max_size) / [`max_keys`](Self::max_keys) | 64 KiB / 256 keys |
/// | [`cookie_name`](Self::cookie_name) | `id`, as `__Host-Http-id` ([`host_prefix`](Self::host_prefix)) |
/// | cookie attributes | `HttpOnly; Secure; SameSite=Lax; Path=/`, no `Domain`, no `Max-Age` |
/// | [`login_path`](Self::login_path) | none: [`LoggedIn`](crate::LoggedIn) answers 401 |
#[must_use]
pub struct SessionLayerBuilder {
    store: Arc<dyn DynUserIndex>,
    config: SessionConfig,
    render_failure: Option<Renderer>,
    on_theft: Option<TheftHook>,
    features: Features,
}

impl std::fmt::Debug for SessionLayerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionLayerBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SessionLayerBuilder {
    /// A session unused for this long expires (default 30 minutes). Every request that loads or
    /// writes the session counts as use, reads included.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_redis_session::{MemoryStore, SessionLayer};
    /// let layer = SessionLayer::builder(MemoryStore::new())
    ///     .idle_timeout(Duration::from_secs(15 * 60))
    ///     .build()?;
    /// # Ok::<(), tower_redis_session::ConfigError>(())
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.idle = timeout;
        self
    }

    /// A session expires this long after its creation however active it is (default 12 hours).
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.absolute = timeout;
        self
    }

    /// Largest session, counted as bytes of keys plus JSON-encoded values (default 64 KiB). An
    /// insert past it fails with [`SessionError::TooLarge`](crate::SessionError::TooLarge).
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.config.max_bytes = bytes;
        self
    }

    /// Most keys in one session (default 256). An insert past it fails with
    /// [`SessionError::TooManyKeys`](crate::SessionError::TooManyKeys).
    pub fn max_keys(mut self, keys: usize) -> Self {
        self.config.max_keys = keys;
        self
    }

    /// How often, at most, a signed-in session's last-seen time (shown in
    /// [`Session::devices`](crate::Session::devices)) is rewritten (default 60 s). Reads between
    /// two updates stay reads: no write command.
    pub fn last_seen_interval(mut self, interval: Duration) -> Self {
        self.config.last_seen_interval = interval;
        self
    }

    /// The most signed-in sessions a user may have at once (default: no limit), as a streaming
    /// service limits its devices. A sign-in past the limit (a login or a remember-me sign-in)
    /// signs out the user's least recently seen sessions, as
    /// [`UserSessions::revoke`](crate::UserSessions::revoke) does: their remember-me tokens
    /// are revoked too. Parallel sign-ins leave exactly `max` sessions. Zero is refused by
    /// [`build`](Self::build).
    pub fn max_sessions_per_user(mut self, max: usize) -> Self {
        self.config.max_sessions_per_user = Some(max);
        self
    }

    /// Where [`LoggedIn`](crate::LoggedIn) sends an anonymous request (default none: it is
    /// answered 401): a path on this origin, such as `/login`. The request's own path and query
    /// go along as `next` (percent-encoded), for the login handler to send the user back to once
    /// signed in, after checking it with [`safe_next`](crate::safe_next). Refused by
    /// [`build`](Self::build) if it is not a path on this origin.
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.config.login_path = Some(path.into());
        self
    }

    /// Send `Clear-Site-Data: "cookies"` with the response to
    /// [`Session::logout`](crate::Session::logout) (default off), so the browser also drops the
    /// site's other cookies.
    pub fn clear_site_data_on_logout(mut self, enabled: bool) -> Self {
        self.config.clear_site_data = enabled;
        self
    }

    /// The request header that holds the client's IP address (default none), recorded as the
    /// device's IP when a remember-me token signs a browser back in.
    ///
    /// # Security
    /// Name a header that your own proxy sets, overwriting whatever the client sent, to the one
    /// address it saw (`X-Real-IP` from nginx, say): any other header is whatever the client
    /// wants it to be. Not `X-Forwarded-For`, whose first entries come from the client.
    pub fn client_ip_header(mut self, name: http::HeaderName) -> Self {
        self.config.client_ip_header = Some(name);
        self
    }

    /// Settings of the [`Cart`](crate::Cart) extractor: time to live, merge policy at login,
    /// limits, cookie name.
    #[cfg(feature = "cart")]
    pub fn cart(mut self, cart: crate::CartConfig) -> Self {
        self.features.cart.1 = cart;
        self
    }

    /// Settings of remember-me tokens ([`RememberMe`](crate::RememberMe)): lifetime, rotation
    /// grace window, when users are signed back in.
    #[cfg(feature = "remember-me")]
    pub fn remember_me(mut self, remember: crate::RememberConfig) -> Self {
        self.features.remember.1 = remember;
        self
    }

    /// Turns on device-bound sessions (feature `dbsc`; see [`DbscConfig`](crate::DbscConfig)):
    /// a browser that supports them binds each signed-in session to a key it keeps, so that the
    /// session's cookies copied to another machine stop working. The layer serves the
    /// registration and refresh paths itself.
    #[cfg(feature = "dbsc")]
    pub fn dbsc(mut self, dbsc: crate::DbscConfig) -> Self {
        self.features.dbsc.1 = Some(dbsc);
        self
    }

    /// Called whenever a credential is found stolen, once the sessions it reached are ended,
    /// besides a `tracing` warn event: a remember-me token replayed after its rotation (every
    /// session and token of the user revoked), or a device-bound session's refresh proved by
    /// another key (`DbscConfig::on_wrong_key`, feature `dbsc`). A place to
    /// alert the user or the security team.
    pub fn on_theft(
        mut self,
        hook: impl Fn(&crate::TheftDetected) + Send + Sync + 'static,
    ) -> Self {
        self.on_theft = Some(Arc::new(hook));
        self
    }

    /// Renders session failures the application's way (its own error page, its own JSON shape):
    /// a rejection of the [`Session`](crate::Session), [`Cart`](crate::Cart) or
    /// [`RememberMe`](crate::RememberMe) extractors, a [`SessionError`](crate::SessionError) a
    /// handler returns, and a write-back that failed after the handler ran all come here. By
    /// default, [`SessionFailure::default_response`](crate::SessionFailure::default_response).
    pub fn render_failure(
        mut self,
        render: impl Fn(&SessionFailure) -> http::Response<bytes::Bytes> + Send + Sync + 'static,
    ) -> Self {
        self.render_failure = Some(Arc::new(render));
        self
    }

    /// Checks the configuration and builds the layer.
    ///
    /// # Errors
    /// [`ConfigError`] for settings that browsers would reject or that would be insecure.
    pub fn build(self) -> Result<SessionLayer, ConfigError> {
        let config = self.config.finish()?;
        crate::telemetry::describe();
        let features = self.features.build(&config)?;
        let guard_fields = features.iter().filter_map(|f| f.guard_field()).collect();
        let endpoints = (features.iter().enumerate())
            .flat_map(|(index, f)| f.endpoints().into_iter().map(move |path| (path, index)))
            .collect();
        Ok(SessionLayer {
            context: Arc::new(Context {
                store: self.store,
                config,
                features,
                render_failure: self.render_failure,
                on_theft: self.on_theft,
                guard_fields,
                endpoints,
            }),
        })
    }
}
