//! The shop application: configuration, the router, and its parts.

mod accounts;
mod api;
mod catalog;
mod client_ip;
mod config;
pub mod devices;
mod limits;
mod pages;
mod passwords;
mod users;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, StatusCode};
use axum::routing::get;
use tower_redis_session::{
    CartConfig, MemoryStore, RedisStore, RememberConfig, SessionLayer, SessionLayerBuilder,
};

pub use self::accounts::Accounts;
pub use self::config::Config;

/// What every handler can reach.
#[derive(Clone)]
pub struct Shop {
    pub accounts: Arc<Accounts>,
    /// The header a trusted proxy puts the client's address in, if any.
    pub client_ip_header: Option<HeaderName>,
}

impl Shop {
    pub fn new(config: &Config) -> Result<Self, Box<dyn std::error::Error>> {
        Ok(Self {
            accounts: Arc::new(Accounts::new(config).map_err(|error| error.to_string())?),
            client_ip_header: config.client_ip_header.clone(),
        })
    }
}

/// The whole application, wrapped in the session layer built from `config`. With Redis, the
/// server is checked first: one that may evict keys (and so undo sign-outs) is an error.
pub async fn router(config: &Config) -> Result<Router, Box<dyn std::error::Error>> {
    // Before the layer is built, so that it describes its metrics to the recorder.
    #[cfg(feature = "metrics")]
    prometheus();
    let (builder, redis) = match &config.redis_url {
        Some(url) => {
            let store = RedisStore::builder(url).build()?;
            store.check().await?;
            (SessionLayer::builder(store.clone()), Some(store))
        }
        None => (SessionLayer::builder(MemoryStore::new()), None),
    };
    let layer = configure(builder, config).build()?;
    let app = Router::new()
        .merge(pages::routes())
        .nest("/api", api::routes())
        .with_state(Shop::new(config)?)
        .layer(layer)
        // Outside the session layer: health checks never touch a session.
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(move || ready(redis.clone())));
    #[cfg(feature = "metrics")]
    let app = app.route("/metrics", get(metrics));
    Ok(app)
}

/// Serves `router` on `listener`, telling handlers the client's address.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// 200 while the session store answers (and still refuses to evict), 503 while it does not:
/// what a load balancer asks before sending the shop requests.
async fn ready(redis: Option<RedisStore>) -> (StatusCode, String) {
    let Some(redis) = redis else {
        return (StatusCode::OK, "ready".into());
    };
    match redis.check().await {
        Ok(()) => (StatusCode::OK, "ready".into()),
        Err(error) => {
            tracing::warn!(error = &error as &dyn std::error::Error, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready".into())
        }
    }
}

/// The session layer's metrics in Prometheus' text format, served outside the session layer.
#[cfg(feature = "metrics")]
async fn metrics() -> String {
    prometheus()
        .map(metrics_exporter_prometheus::PrometheusHandle::render)
        .unwrap_or_default()
}

/// The process's Prometheus recorder, installed at the first call; `None` if another recorder
/// was installed first.
#[cfg(feature = "metrics")]
fn prometheus() -> Option<&'static metrics_exporter_prometheus::PrometheusHandle> {
    use std::sync::OnceLock;

    use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .as_ref()
}

fn configure(builder: SessionLayerBuilder, config: &Config) -> SessionLayerBuilder {
    let builder = match &config.client_ip_header {
        Some(name) => builder.client_ip_header(name.clone()),
        None => builder,
    };
    // Device-bound sessions, where the crate is built with `dbsc`: the layer serves
    // /dbsc/registration and /dbsc/refresh itself. A CSRF filter in front of the layer lets them
    // through: browsers send them same-origin (`Sec-Fetch-Site: same-origin`, with `Origin`).
    #[cfg(feature = "dbsc")]
    let builder = builder.dbsc(
        tower_redis_session::DbscConfig::default().credential_lifetime(config.dbsc_credential),
    );
    builder
        .render_failure(pages::failure)
        .idle_timeout(config.idle)
        .absolute_timeout(config.absolute)
        .secure(config.cookie_secure)
        .cart(CartConfig::default().ttl(config.cart_ttl))
        .remember_me(
            RememberConfig::default()
                .ttl(config.remember_ttl)
                .grace(config.remember_grace),
        )
}
