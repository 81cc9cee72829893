//! [`RedisStoreBuilder`]: where the store's Redis is, its key prefix, timeouts and pool.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool::managed;
use deadpool_redis::redis::aio::ConnectionLike;
#[cfg(feature = "cluster")]
use deadpool_redis::redis::cluster::ClusterClient;
#[cfg(feature = "sentinel")]
use deadpool_redis::redis::sentinel::{SentinelClient, SentinelServerType};
use deadpool_redis::redis::{AsyncConnectionConfig, Client, RedisError};

use super::connection::{Connections, Pool};
use super::manager::ClientManager;
#[cfg(feature = "cluster")]
use super::manager::{ClusterManager, cluster_client};
use super::recycler::{Recycler, Retirement};
#[cfg(any(feature = "cluster", feature = "sentinel"))]
use super::server_error::redacted;
use super::server_error::{redact, server_name};
use super::{Inner, RedisStore};
#[cfg(feature = "sentinel")]
use super::{manager::SentinelManager, sentinel_watch::Watch, sentinels::Sentinels};
use crate::error::StoreError;

const DEFAULT_PREFIX: &str = "trs:";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
const DEFAULT_TRUST: Duration = Duration::from_secs(2);

/// Where the store's Redis is.
pub(super) enum Target {
    Server(String),
    /// A server reached through the application's own redis-rs client (and its TLS settings).
    Client(Box<Client>),
    #[cfg(feature = "cluster")]
    Cluster(Vec<String>),
    /// A Cluster reached through the application's own redis-rs cluster client.
    #[cfg(feature = "cluster")]
    ClusterClient(Box<ClusterClient>),
    #[cfg(feature = "sentinel")]
    Sentinel {
        master: String,
        sentinels: Vec<String>,
    },
    /// A master named by the application's own redis-rs Sentinel client.
    #[cfg(feature = "sentinel")]
    SentinelClient(Box<SentinelClient>),
    /// Settings handed over that cannot work: refused at `build()`, with what to fix.
    Refused(String),
}

impl Target {
    /// The server as errors name it: by address, never with a password.
    fn server(&self) -> Arc<str> {
        match self {
            Self::Server(url) => server_name("Redis", &[url]),
            Self::Client(client) => {
                Arc::from(format!("Redis at {}", client.get_connection_info().addr()))
            }
            #[cfg(feature = "cluster")]
            Self::Cluster(urls) => {
                let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
                server_name("Redis Cluster", &urls)
            }
            #[cfg(feature = "cluster")]
            Self::ClusterClient(_) => Arc::from("the Redis Cluster of the application's client"),
            #[cfg(feature = "sentinel")]
            Self::Sentinel { master, sentinels } => {
                let urls: Vec<&str> = sentinels.iter().map(String::as_str).collect();
                server_name(&format!("Redis master {master:?} via Sentinel"), &urls)
            }
            #[cfg(feature = "sentinel")]
            Self::SentinelClient(_) => {
                Arc::from("the Redis master of the application's Sentinel client")
            }
            Self::Refused(_) => Arc::from("Redis"),
        }
    }
}

impl std::fmt::Debug for Target {
    /// The kind of target and its addresses, passwords redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Server(url) => f.debug_tuple("Server").field(&redact(url)).finish(),
            Self::Client(client) => f
                .debug_tuple("Client")
                // Display, not Debug: an address's TLS parameters are not for logs.
                .field(&format_args!("{}", client.get_connection_info().addr()))
                .finish(),
            #[cfg(feature = "cluster")]
            Self::Cluster(urls) => f.debug_tuple("Cluster").field(&redacted(urls)).finish(),
            #[cfg(feature = "cluster")]
            Self::ClusterClient(_) => f.write_str("ClusterClient"),
            #[cfg(feature = "sentinel")]
            Self::Sentinel { master, sentinels } => f
                .debug_struct("Sentinel")
                .field("master", master)
                .field("sentinels", &redacted(sentinels))
                .finish(),
            #[cfg(feature = "sentinel")]
            Self::SentinelClient(_) => f.write_str("SentinelClient"),
            Self::Refused(why) => f.debug_tuple("Refused").field(why).finish(),
        }
    }
}

/// Configures a [`RedisStore`]; made by [`RedisStore::builder`] (or `cluster_builder` with the
/// `cluster` feature).
#[derive(Debug)]
#[must_use]
pub struct RedisStoreBuilder {
    target: Target,
    prefix: String,
    timeout: Duration,
    trust: Duration,
    pool_size: Option<usize>,
    replica_wait: Option<Duration>,
    allow_eviction: bool,
    #[cfg(feature = "local-cache")]
    pub(super) local_cache: Option<super::cache::LocalCacheConfig>,
}

impl RedisStore {
    /// Starts configuring a store for the server at `url` (`redis://[user:password@]host:port/db`,
    /// or `rediss://` with the `tls-rustls` or `tls-native-tls` feature).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Target::Server(url.into()))
    }

    /// Starts configuring a store for a Redis Cluster reached through any of the seed `urls`.
    #[cfg(feature = "cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
    pub fn cluster_builder<U: Into<String>>(
        urls: impl IntoIterator<Item = U>,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Target::Cluster(urls.into_iter().map(Into::into).collect()))
    }
}

#[cfg(feature = "sentinel")]
impl RedisStore {
    /// Starts configuring a store for the master that the Sentinels at `sentinels` (URLs such
    /// as `redis://127.0.0.1:26379`) know as `master`; after a failover it follows the new one.
    #[cfg_attr(docsrs, doc(cfg(feature = "sentinel")))]
    pub fn sentinel_builder<U: Into<String>>(
        master: impl Into<String>,
        sentinels: impl IntoIterator<Item = U>,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Target::Sentinel {
            master: master.into(),
            sentinels: sentinels.into_iter().map(Into::into).collect(),
        })
    }
}

impl RedisStoreBuilder {
    pub(super) fn new(target: Target) -> Self {
        Self {
            target,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            trust: DEFAULT_TRUST,
            pool_size: None,
            replica_wait: None,
            allow_eviction: false,
            #[cfg(feature = "local-cache")]
            local_cache: None,
        }
    }

    /// Prefix of every key this store writes (default `trs:`). Lets several applications share
    /// one Redis database.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Longest time one store operation may take, connecting and retrying included (default 2 s).
    /// Past it the operation fails with [`StoreError::Timeout`] and the request gets a 503. On a
    /// Cluster, a node refusing a command for a moment is asked again within it, from 10 ms on.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A pooled connection checked out again within this time of its last checkout is used
    /// without a `PING` (default 2 s). Longer idle connections are pinged first. `Duration::ZERO`
    /// pings on every checkout, like deadpool-redis' own manager.
    pub fn trust_recent_connections(mut self, window: Duration) -> Self {
        self.trust = window;
        self
    }

    /// Maximum number of pooled connections (default: deadpool's, four per CPU). Each is
    /// multiplexed and shared by concurrent requests, so one is usually enough.
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = Some(size);
        self
    }

    /// After each revocation (logout, sign-out of devices, remember-me tokens revoked), wait up
    /// to `timeout` for one replica to acknowledge it (`WAIT 1`, pipelined behind the
    /// revocation on its connection; default off).
    ///
    /// # Why
    /// Redis replicates asynchronously: if the master fails right after a revocation, the
    /// promoted replica may not have it, and the revoked session comes back. Waiting for one
    /// replica closes that window for revocations, the writes where it matters.
    pub fn wait_for_replica(mut self, timeout: Duration) -> Self {
        self.replica_wait = Some(timeout);
        self
    }

    /// Use a server whose `maxmemory-policy` can evict keys (default `false`: every new
    /// connection to such a server fails with [`StoreError::EvictionPolicy`]).
    ///
    /// # Security
    /// Under memory pressure an evicting Redis deletes the least used keys first, and a user's
    /// index of sessions is read far less often than the sessions it lists: once it is gone,
    /// [`Session::logout_all`](crate::Session::logout_all) answers success and signs nothing
    /// out, and remember-me tokens outlive it. Set `maxmemory-policy noeviction` instead, if
    /// you can. With `true`, each connection to such a server logs a warning once.
    pub fn allow_eviction(mut self, allow: bool) -> Self {
        self.allow_eviction = allow;
        self
    }

    /// Builds the store. No connection is opened yet: a server that is down is no error here
    /// (see [`RedisStore::check`]).
    ///
    /// # Errors
    /// [`StoreError::Config`], saying what to fix, for a malformed URL, a `rediss://` URL
    /// without the `tls-rustls` or `tls-native-tls` feature, a pool size or command timeout of
    /// zero, a key prefix with `{` or `}` (which would break Redis Cluster hash tags), or a
    /// handed-over configuration that cannot work (see [`RedisStore::from_config`] and its
    /// siblings).
    pub fn build(mut self) -> Result<RedisStore, StoreError> {
        self.check()?;
        let target = std::mem::replace(&mut self.target, Target::Refused(String::new()));
        let server = target.server();
        let retirement = Arc::new(Retirement::default());
        // The one server's client, which the local cache's tracking connection copies.
        #[cfg(feature = "local-cache")]
        let tracked = super::cache::source(&target).map_err(misconfigured)?;
        let pool = match target {
            Target::Server(url) => {
                let client = Client::open(url).map_err(misconfigured)?;
                Pool::Server(self.pool(self.client_manager(client), &retirement)?)
            }
            Target::Client(client) => {
                Pool::Server(self.pool(self.client_manager(*client), &retirement)?)
            }
            #[cfg(feature = "cluster")]
            Target::Cluster(urls) => {
                let client = cluster_client(urls, self.timeout).map_err(misconfigured)?;
                Pool::Cluster(self.pool(ClusterManager { client }, &retirement)?)
            }
            #[cfg(feature = "cluster")]
            Target::ClusterClient(client) => {
                let client = *client;
                Pool::Cluster(self.pool(ClusterManager { client }, &retirement)?)
            }
            #[cfg(feature = "sentinel")]
            Target::Sentinel { master, sentinels } => {
                let watch = Sentinels::new(&master, &sentinels).map_err(misconfigured)?;
                // With the local cache, its tracking asks the Sentinels and retires the pool.
                #[cfg(feature = "local-cache")]
                let watch = Some(watch).filter(|_| self.local_cache.is_none());
                #[cfg(not(feature = "local-cache"))]
                let watch = Some(watch);
                let watch = watch.map(|watched| Watch::new(watched, Arc::clone(&retirement)));
                let client =
                    SentinelClient::build(sentinels, master, None, SentinelServerType::Master)
                        .map_err(misconfigured)?;
                let manager = SentinelManager::new(client, self.connection_config(), watch);
                Pool::Sentinel(self.pool(manager, &retirement)?)
            }
            #[cfg(feature = "sentinel")]
            Target::SentinelClient(client) => {
                let client = *client;
                let manager = SentinelManager::new(client, self.connection_config(), None);
                Pool::Sentinel(self.pool(manager, &retirement)?)
            }
            Target::Refused(why) => return Err(StoreError::Config(why)),
        };
        Ok(RedisStore {
            inner: Arc::new(Inner {
                connections: Connections {
                    pool,
                    recent: Mutex::new(None),
                    trust: self.trust,
                    timeout: self.timeout,
                    replica_wait: self.replica_wait,
                    allow_eviction: self.allow_eviction,
                    server,
                    retirement: Arc::clone(&retirement),
                },
                #[cfg(feature = "local-cache")]
                cache: super::cache::handle(self.local_cache.take(), tracked, retirement)?,
                prefix: self.prefix,
                compare_and_set: AtomicBool::new(true),
            }),
        })
    }

    /// Refuses settings that cannot work.
    fn check(&self) -> Result<(), StoreError> {
        let refuse = |what: &str| Err(StoreError::Config(what.to_owned()));
        if self.pool_size == Some(0) {
            return refuse("the pool size must be at least 1");
        }
        if self.timeout.is_zero() {
            return refuse("the command timeout must be greater than zero");
        }
        if self.prefix.contains(['{', '}']) {
            return refuse("the key prefix may not contain `{` or `}`: they delimit hash tags");
        }
        let urls: Vec<&String> = match &self.target {
            Target::Server(url) => vec![url],
            Target::Client(_) | Target::Refused(_) => return Ok(()),
            #[cfg(feature = "cluster")]
            Target::ClusterClient(_) => return Ok(()),
            #[cfg(feature = "sentinel")]
            Target::SentinelClient(_) => return Ok(()),
            #[cfg(feature = "cluster")]
            Target::Cluster(urls) => urls.iter().collect(),
            #[cfg(feature = "sentinel")]
            Target::Sentinel { sentinels, .. } => sentinels.iter().collect(),
        };
        if urls.is_empty() {
            return refuse("no Redis URL was given");
        }
        for url in urls {
            let tls = cfg!(any(feature = "tls-rustls", feature = "tls-native-tls"));
            if url.starts_with("rediss://") && !tls {
                return refuse(
                    "`rediss://` (TLS) URLs need one of tower-redis-session's features \
                     `tls-rustls` or `tls-native-tls`",
                );
            }
            let schemes = ["redis://", "rediss://", "unix://", "redis+unix://"];
            if !schemes.iter().any(|scheme| url.starts_with(scheme)) {
                return Err(StoreError::Config(format!(
                    "{:?} is not a Redis URL: expected redis://[user:password@]host[:port][/db]",
                    redact(url)
                )));
            }
        }
        Ok(())
    }

    fn client_manager(&self, client: Client) -> ClientManager {
        ClientManager {
            client,
            config: self.connection_config(),
        }
    }

    /// Settings of every connection to a server: one limit, the command timeout, bounds each
    /// operation (see `run`). redis-rs' own 500 ms response timeout would cut slow replies short
    /// as broken connections, at the cost of a second timer per command.
    fn connection_config(&self) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(None)
    }

    fn pool<M>(
        &self,
        manager: M,
        retirement: &Arc<Retirement>,
    ) -> Result<managed::Pool<Recycler<M>>, StoreError>
    where
        M: managed::Manager<Error = RedisError>,
        M::Type: ConnectionLike + Send,
    {
        let recycler = Recycler {
            manager,
            trust: self.trust,
            allow_eviction: self.allow_eviction,
            retirement: Arc::clone(retirement),
        };
        // Last in, first out: the connection used last is reused, so it stays within the trust
        // window and is not pinged, while spare connections idle.
        let mut pool = managed::Pool::builder(recycler).queue_mode(managed::QueueMode::Lifo);
        if let Some(size) = self.pool_size {
            pool = pool.max_size(size);
        }
        pool.build()
            .map_err(|error| StoreError::Config(error.to_string()))
    }
}

/// A client that could not be set up from its settings: what the client library said.
fn misconfigured(error: RedisError) -> StoreError {
    StoreError::Config(error.to_string())
}
