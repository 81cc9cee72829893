//! The shop application: configuration, the router, and its parts.

mod api;
mod catalog;
mod config;
mod pages;
mod users;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tower_redis_session::{
    CartConfig, MemoryStore, RedisStore, RememberConfig, SessionLayer, SessionLayerBuilder,
};

pub use self::config::Config;
use self::users::Users;

/// What every handler can reach.
#[derive(Clone)]
pub struct Shop {
    pub users: Arc<Users>,
}

/// The whole application, wrapped in the session layer built from `config`. With Redis, the
/// server is checked first: one that may evict keys (and so undo sign-outs) is an error.
pub async fn router(config: &Config) -> Result<Router, Box<dyn std::error::Error>> {
    // Before the layer is built, so that it describes its metrics to the recorder.
    #[cfg(feature = "metrics")]
    prometheus();
    let layer = match &config.redis_url {
        Some(url) => {
            let store = RedisStore::builder(url).build()?;
            store.check().await?;
            configure(SessionLayer::builder(store), config)
        }
        None => configure(SessionLayer::builder(MemoryStore::new()), config),
    }
    .build()?;
    let shop = Shop {
        users: Arc::new(Users::demo()?),
    };
    let app = Router::new()
        .merge(pages::routes())
        .nest("/api", api::routes())
        .with_state(shop)
        .layer(layer)
        // Outside the session layer: a health check never touches a session.
        .route("/healthz", get(|| async { "ok" }));
    #[cfg(feature = "metrics")]
    let app = app.route("/metrics", get(metrics));
    Ok(app)
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
    builder
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
