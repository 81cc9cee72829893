//! Constructors for an application that already connects to Redis: it hands over its own
//! redis-rs client or its deadpool-redis configuration, and keeps its credentials, TLS and
//! pool size.
//!
//! Every constructor costs the same per request: the store pools multiplexed connections made
//! by the handed-over client and checks one out without a `PING` while it was used within
//! [`trust_recent_connections`](RedisStoreBuilder::trust_recent_connections), unlike
//! deadpool-redis' own pools, which ping on every checkout. The pool that a deadpool
//! configuration would create is never made: only its settings are read.

use deadpool_redis::redis::{Client, ConnectionInfo};

use super::RedisStore;
use super::builder::{RedisStoreBuilder, Target};

impl RedisStore {
    /// Starts configuring a store for the server the application's own redis-rs `client`
    /// connects to, with its settings: credentials, database, and TLS (a private CA, a client
    /// certificate: `Client::build_with_tls` with a TLS feature). Use the `redis` that this
    /// crate re-exports through [`deadpool_redis`], so the versions match.
    ///
    /// ```
    /// use tower_redis_session::{RedisStore, deadpool_redis::redis};
    ///
    /// let client = redis::Client::open("redis://127.0.0.1:6379/2")?;
    /// let store = RedisStore::from_client(client).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_client(client: Client) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Target::Client(Box::new(client)))
    }

    /// Starts configuring a store from the application's deadpool-redis configuration: its
    /// `url` or `connection`, and its pool's `max_size`. The pool's timeouts give way to
    /// [`command_timeout`](RedisStoreBuilder::command_timeout), which bounds each whole
    /// operation, checkout included.
    ///
    /// ```
    /// use tower_redis_session::{RedisStore, deadpool_redis};
    ///
    /// let mut config = deadpool_redis::Config::from_url("redis://127.0.0.1:6379");
    /// config.pool = Some(deadpool_redis::PoolConfig::new(8));
    /// let store = RedisStore::from_config(config).build()?;
    /// # Ok::<(), tower_redis_session::StoreError>(())
    /// ```
    ///
    /// [`build`](RedisStoreBuilder::build) refuses a configuration with both a `url` and a
    /// `connection`, as deadpool-redis does.
    pub fn from_config(config: deadpool_redis::Config) -> RedisStoreBuilder {
        let target = match (config.url, config.connection) {
            (Some(url), None) => Target::Server(url),
            (None, connection) => open(ConnectionInfo::from(connection.unwrap_or_default())),
            (Some(_), Some(_)) => both_given("url", "connection"),
        };
        with_pool(RedisStoreBuilder::new(target), config.pool)
    }
}

#[cfg(feature = "cluster")]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
impl RedisStore {
    /// Starts configuring a store for the Redis Cluster that the application's own redis-rs
    /// cluster `client` reaches, with its settings (credentials, TLS, retries, timeouts).
    ///
    /// # Security
    /// Build the client without a replica read strategy: the store must read sessions from
    /// their masters, or a replica that is behind would serve a session after its sign-out.
    pub fn from_cluster_client(
        client: deadpool_redis::redis::cluster::ClusterClient,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Target::ClusterClient(Box::new(client)))
    }

    /// Starts configuring a store from the application's deadpool-redis Cluster
    /// configuration: its `urls` or `connections`, and its pool's `max_size`.
    ///
    /// [`build`](RedisStoreBuilder::build) refuses `read_from_replicas: true`: a replica that is
    /// behind its master would serve a session after its sign-out.
    pub fn from_cluster_config(config: deadpool_redis::cluster::Config) -> RedisStoreBuilder {
        use deadpool_redis::redis::cluster::ClusterClient;
        let target = if config.read_from_replicas {
            Target::Refused(
                "`read_from_replicas` must be false: sessions are read from their masters, or a \
                 replica that is behind would serve a session after its sign-out"
                    .to_owned(),
            )
        } else {
            match (config.urls, config.connections) {
                (Some(urls), None) => Target::Cluster(urls),
                (None, Some(connections)) => match ClusterClient::new(connections) {
                    Ok(client) => Target::ClusterClient(Box::new(client)),
                    Err(error) => Target::Refused(error.to_string()),
                },
                (None, None) => Target::Refused("no Cluster node was given".to_owned()),
                (Some(_), Some(_)) => both_given("urls", "connections"),
            }
        };
        with_pool(RedisStoreBuilder::new(target), config.pool)
    }
}

#[cfg(feature = "sentinel")]
#[cfg_attr(docsrs, doc(cfg(feature = "sentinel")))]
impl RedisStore {
    /// Starts configuring a store for the master that the application's own redis-rs
    /// Sentinel `client` names, with its settings for the Sentinels and for the master
    /// (credentials, database, TLS). The client must be built for
    /// `SentinelServerType::Master`: sessions are written.
    pub fn from_sentinel_client(
        client: deadpool_redis::redis::sentinel::SentinelClient,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Target::SentinelClient(Box::new(client)))
    }

    /// Starts configuring a store from the application's deadpool-redis Sentinel
    /// configuration: its Sentinels (`urls` or `connections`), `master_name`,
    /// `node_connection_info` (the master's credentials and TLS), and its pool's `max_size`.
    ///
    /// [`build`](RedisStoreBuilder::build) refuses `server_type: Replica`: sessions are
    /// written, and read where they were written.
    pub fn from_sentinel_config(config: deadpool_redis::sentinel::Config) -> RedisStoreBuilder {
        use deadpool_redis::redis::sentinel::{SentinelClient, SentinelServerType};
        use deadpool_redis::sentinel::SentinelServerType as Configured;

        let node = config.node_connection_info.map(Into::into);
        let master = config.master_name;
        let client = match (config.server_type, config.urls, config.connections) {
            (Configured::Replica, _, _) => Err(
                "`server_type` must be `Master`: sessions are written, and read where they were \
                 written"
                    .to_owned(),
            ),
            (Configured::Master, Some(urls), None) => {
                SentinelClient::build(urls, master, node, SentinelServerType::Master)
                    .map_err(|error| error.to_string())
            }
            (Configured::Master, None, connections) => {
                let sentinels = connections.unwrap_or_else(|| vec![Default::default()]);
                SentinelClient::build(sentinels, master, node, SentinelServerType::Master)
                    .map_err(|error| error.to_string())
            }
            (Configured::Master, Some(_), Some(_)) => {
                Err("set either `urls` or `connections`, not both".to_owned())
            }
        };
        let target = match client {
            Ok(client) => Target::SentinelClient(Box::new(client)),
            Err(why) => Target::Refused(why),
        };
        with_pool(RedisStoreBuilder::new(target), config.pool)
    }
}

fn open(connection: ConnectionInfo) -> Target {
    match Client::open(connection) {
        Ok(client) => Target::Client(Box::new(client)),
        Err(error) => Target::Refused(error.to_string()),
    }
}

fn both_given(one: &str, other: &str) -> Target {
    Target::Refused(format!("set either `{one}` or `{other}`, not both"))
}

fn with_pool(
    builder: RedisStoreBuilder,
    pool: Option<deadpool_redis::PoolConfig>,
) -> RedisStoreBuilder {
    match pool {
        Some(pool) => builder.pool_size(pool.max_size),
        None => builder,
    }
}
