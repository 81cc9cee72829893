//! How the pool opens connections: one deadpool manager per kind of target, each wrapping a
//! redis-rs client (built from the store's URLs, or handed over by the application).
//!
//! A manager's own `recycle` pings; the store's [`Recycler`](super::recycler::Recycler)
//! decides whether to call it, so a connection in steady use is never pinged.

use deadpool::managed::{self, Metrics, RecycleResult};
#[cfg(feature = "cluster")]
use deadpool_redis::redis::RedisResult;
use deadpool_redis::redis::aio::{ConnectionLike, MultiplexedConnection};
use deadpool_redis::redis::{AsyncConnectionConfig, Client, RedisError};
#[cfg(feature = "cluster")]
use std::time::Duration;

#[cfg(feature = "cluster")]
use deadpool_redis::redis::cluster::ClusterClient;
#[cfg(feature = "cluster")]
use deadpool_redis::redis::cluster_async::ClusterConnection;
#[cfg(feature = "sentinel")]
use deadpool_redis::redis::sentinel::SentinelClient;

/// Connections to one server, from a redis-rs client: the URL's, or the application's own.
pub(super) struct ClientManager {
    pub(super) client: Client,
    pub(super) config: AsyncConnectionConfig,
}

impl managed::Manager for ClientManager {
    type Type = MultiplexedConnection;
    type Error = RedisError;

    async fn create(&self) -> Result<MultiplexedConnection, RedisError> {
        (self.client)
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
    }

    async fn recycle(
        &self,
        conn: &mut MultiplexedConnection,
        _: &Metrics,
    ) -> RecycleResult<RedisError> {
        ping(conn).await
    }
}

/// Connections to a Redis Cluster, from a redis-rs cluster client with its own settings
/// (credentials, TLS, timeouts, retries).
#[cfg(feature = "cluster")]
pub(super) struct ClusterManager {
    pub(super) client: ClusterClient,
}

/// The client of a Cluster given by its URLs, whose retries fit the command `timeout`.
///
/// redis-rs waits at least 1.28 s before retrying a command that a node refused for a moment
/// (`CLUSTERDOWN`, `TRYAGAIN`, `LOADING`, a node not yet reconnected): within the default 2 s
/// command timeout, one such refusal costs a request 1.28 s and two cost it a 503. Here the waits
/// start at 10 ms and grow to an eighth of the timeout, so a blip of a few milliseconds costs a
/// few milliseconds, and a longer outage is still retried until the timeout gives up.
#[cfg(feature = "cluster")]
pub(super) fn cluster_client(urls: Vec<String>, timeout: Duration) -> RedisResult<ClusterClient> {
    let longest_wait = u64::try_from((timeout / 8).as_millis()).unwrap_or(u64::MAX);
    ClusterClient::builder(urls)
        .connection_timeout(timeout)
        .min_retry_wait(10)
        .max_retry_wait(longest_wait.max(11))
        .build()
}

#[cfg(feature = "cluster")]
impl managed::Manager for ClusterManager {
    type Type = ClusterConnection;
    type Error = RedisError;

    async fn create(&self) -> Result<ClusterConnection, RedisError> {
        self.client.get_async_connection().await
    }

    async fn recycle(
        &self,
        conn: &mut ClusterConnection,
        _: &Metrics,
    ) -> RecycleResult<RedisError> {
        deadpool_redis::redis::cmd("PING")
            .query_async::<()>(conn)
            .await?;
        Ok(())
    }
}

/// Connections to the master a Sentinel group names, opened with the store's connection
/// settings, which deadpool-redis' own Sentinel manager cannot take.
#[cfg(feature = "sentinel")]
pub(super) struct SentinelManager {
    client: tokio::sync::Mutex<SentinelClient>,
    config: AsyncConnectionConfig,
    /// Told of each master connected to; `None` with the local cache (whose tracking watches
    /// the Sentinels) and for the application's own Sentinel client (whose Sentinels the store
    /// does not know).
    watch: Option<std::sync::Arc<super::sentinel_watch::Watch>>,
}

#[cfg(feature = "sentinel")]
impl SentinelManager {
    pub(super) fn new(
        client: SentinelClient,
        config: AsyncConnectionConfig,
        watch: Option<std::sync::Arc<super::sentinel_watch::Watch>>,
    ) -> Self {
        Self {
            client: tokio::sync::Mutex::new(client),
            config,
            watch,
        }
    }
}

#[cfg(feature = "sentinel")]
impl managed::Manager for SentinelManager {
    type Type = MultiplexedConnection;
    type Error = RedisError;

    async fn create(&self) -> Result<MultiplexedConnection, RedisError> {
        // Locked: redis-rs' Sentinel client asks the Sentinels for the master through `&mut self`.
        let master = self.client.lock().await.async_get_client().await?;
        let connection = master
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        if let Some(watch) = &self.watch {
            watch.connected(super::sentinels::address_of(&master));
        }
        Ok(connection)
    }

    async fn recycle(
        &self,
        conn: &mut MultiplexedConnection,
        _: &Metrics,
    ) -> RecycleResult<RedisError> {
        ping(conn).await
    }
}

async fn ping(conn: &mut (impl ConnectionLike + Send)) -> RecycleResult<RedisError> {
    deadpool_redis::redis::cmd("PING")
        .query_async::<()>(conn)
        .await?;
    Ok(())
}
