//! The cache as a store holds it: what it tracks (one server, a Sentinel-named master, a
//! Cluster's masters) and its start on the runtime that serves the requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use deadpool_redis::redis::Client;

use super::config::LocalCacheConfig;
use super::{LocalCache, cluster, tracking};
use crate::error::StoreError;
use crate::store::redis::builder::Target;
use crate::store::redis::recycler::Retirement;
#[cfg(feature = "sentinel")]
use crate::store::redis::sentinels::Sentinels;

/// The cache as the store holds it: started at its first use, on the runtime that serves the
/// requests.
pub(in crate::store::redis) struct CacheHandle {
    cache: Arc<LocalCache>,
    source: Arc<Source>,
    /// The pool's: a failover the tracking sees retires the pool's connections too.
    retirement: Arc<Retirement>,
    started: AtomicBool,
}

/// Where the tracking connections connect: the one server, whichever the Sentinels name master,
/// or every master of a Cluster, asked again at each (re)connection.
pub(in crate::store::redis) enum Source {
    Server(Client),
    /// The master the Sentinels name, and the Sentinels themselves, asked at every round.
    #[cfg(feature = "sentinel")]
    Sentinel(
        tokio::sync::Mutex<deadpool_redis::redis::sentinel::SentinelClient>,
        Sentinels,
    ),
    /// The Cluster's seed URLs, asked for its masters at every (re)connection.
    #[cfg(feature = "cluster")]
    Cluster(Vec<Client>),
}

impl Source {
    /// Clients of the servers to track, speaking RESP3, and on a Cluster the slot map they
    /// were found under.
    pub(super) async fn clients(
        &self,
    ) -> Result<(Vec<Client>, Option<cluster::Topology>), StoreError> {
        let client = match self {
            Self::Server(client) => client.clone(),
            #[cfg(feature = "sentinel")]
            Self::Sentinel(sentinel, _) => (sentinel.lock().await.async_get_client().await)
                .map_err(|error| StoreError::Unavailable(Box::new(error)))?,
            #[cfg(feature = "cluster")]
            Self::Cluster(seeds) => {
                let topology = cluster::topology(seeds).await?;
                let seed = seeds.first().ok_or_else(|| {
                    StoreError::Config("a Cluster store has at least one URL".to_owned())
                })?;
                let masters = (topology.masters().iter())
                    .map(|(host, port)| tracking::resp3(&cluster::client_of(seed, host, *port)?))
                    .collect::<Result<_, _>>()?;
                return Ok((masters, Some(topology)));
            }
        };
        Ok((vec![tracking::resp3(&client)?], None))
    }
}

/// The store's cache for `config`, tracking `source`.
pub(in crate::store::redis) fn handle(
    config: Option<LocalCacheConfig>,
    source: Option<Source>,
    retirement: Arc<Retirement>,
) -> Result<Option<CacheHandle>, StoreError> {
    let Some(config) = config else {
        return Ok(None);
    };
    #[cfg(feature = "metrics")]
    metrics::describe_counter!(
        "session_cache_total",
        "Reads through the local cache, and its copies dropped, by outcome."
    );
    if config.lease.is_zero() || config.max_entries == 0 || config.max_bytes == 0 {
        return Err(StoreError::Config(
            "the local cache's lease, entries and bytes must be greater than zero".to_owned(),
        ));
    }
    let Some(source) = source else {
        return Err(StoreError::Config(
            "the local cache tracks a server, a Sentinel-named master or a Cluster given by URLs, \
             not one reached through a handed-over client of redis-rs"
                .to_owned(),
        ));
    };
    Ok(Some(CacheHandle {
        cache: Arc::new(LocalCache::new(config)),
        source: Arc::new(source),
        retirement,
        started: AtomicBool::new(false),
    }))
}

impl CacheHandle {
    /// The cache, its tracking connection started at the first call.
    pub(in crate::store::redis) fn running(&self, prefix: &str) -> &LocalCache {
        // A load first: every cached read passes here, and a swap would write every time.
        if !self.started.load(Ordering::Acquire) && !self.started.swap(true, Ordering::AcqRel) {
            let (source, retirement) = (Arc::clone(&self.source), Arc::clone(&self.retirement));
            tracking::start(&self.cache, source, retirement, prefix);
        }
        &self.cache
    }

    /// Checks that the server can track keys for the cache.
    pub(in crate::store::redis) async fn check(&self, prefix: &str) -> Result<(), StoreError> {
        let (clients, _) = self.source.clients().await?;
        for client in &clients {
            tracking::check(client, prefix).await?;
        }
        Ok(())
    }
}

/// What the cache of a store reaching `target` tracks; `None` where it cannot (a handed-over
/// client of a Cluster or of Sentinels).
pub(in crate::store::redis) fn source(
    target: &Target,
) -> Result<Option<Source>, deadpool_redis::redis::RedisError> {
    Ok(match target {
        Target::Server(url) => Some(Source::Server(Client::open(url.as_str())?)),
        Target::Client(client) => Some(Source::Server((**client).clone())),
        #[cfg(feature = "sentinel")]
        Target::Sentinel { master, sentinels } => {
            use deadpool_redis::redis::sentinel::{SentinelClient, SentinelServerType};
            let sentinel = SentinelClient::build(
                sentinels.clone(),
                master.clone(),
                None,
                SentinelServerType::Master,
            )?;
            let sentinels = Sentinels::new(master, sentinels)?;
            Some(Source::Sentinel(
                tokio::sync::Mutex::new(sentinel),
                sentinels,
            ))
        }
        #[cfg(feature = "cluster")]
        Target::Cluster(urls) => Some(Source::Cluster(
            (urls.iter())
                .map(|url| Client::open(url.as_str()))
                .collect::<Result<_, _>>()?,
        )),
        _ => None,
    })
}
