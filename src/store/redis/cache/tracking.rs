//! The local cache's connections: RESP3 `CLIENT TRACKING … BCAST PREFIX <prefix>s: NOLOOP` on
//! each server tracked, so that Redis tells the cache of every change to a session key; a `ROLE`
//! every quarter lease, whose answer proves that every invalidation sent before it has been
//! applied (push messages are handed over in order, before the reply that follows them) and that
//! the server is still a master (for a Sentinel-named master, also that every Sentinel still
//! names it: `../sentinels.rs`); and, on the connection of the server holding the key (`routes.rs`),
//! the reads whose copies are kept and the cached reads' slides, which thus do not invalidate
//! this server's own copies (`NOLOOP`). Lost, it drops everything and connects again; a failover
//! seen also retires the pool's connections to the old master.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use deadpool_redis::redis::aio::MultiplexedConnection;
use deadpool_redis::redis::{
    AsyncConnectionConfig, Client, ProtocolVersion, PushInfo, PushKind, Value, cmd,
};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::cluster::Topology;
use super::routes::Routes;
use super::{LocalCache, Slide, Source};
use crate::error::StoreError;
use crate::store::redis::recycler::Retirement;
#[cfg(feature = "sentinel")]
use crate::store::redis::sentinels::{self, Address, Dissent};

/// The wait before connecting again after a failure.
const RETRY: Duration = Duration::from_millis(200);

/// The shortest wait for a reply on the cache's connections, however short the lease.
const MIN_WAIT: Duration = Duration::from_millis(50);

fn unavailable(error: deadpool_redis::redis::RedisError) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// A client like `client`, speaking RESP3 (which push messages need).
pub(in crate::store::redis) fn resp3(client: &Client) -> Result<Client, StoreError> {
    let info = client.get_connection_info().clone();
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    Client::open(info.set_redis_settings(settings))
        .map_err(|error| StoreError::Config(format!("the local cache's connection: {error}")))
}

/// Starts the tracking connection of `cache`, on the current Tokio runtime; it ends when the
/// cache is dropped.
pub(in crate::store::redis) fn start(
    cache: &Arc<LocalCache>,
    source: Arc<Source>,
    retirement: Arc<Retirement>,
    prefix: &str,
) {
    let prefix = format!("{prefix}s:");
    tokio::spawn(run(Arc::downgrade(cache), source, retirement, prefix));
}

/// Checks that the server has RESP3 client tracking: a server without it (some managed
/// services) is refused at start-up.
pub(in crate::store::redis) async fn check(
    client: &Client,
    prefix: &str,
) -> Result<(), StoreError> {
    let refused = |error: &dyn std::fmt::Display| {
        StoreError::Config(format!(
            "the local cache needs RESP3 client tracking (Redis 6 or newer, Valkey), which this server refused: {error}"
        ))
    };
    let config = AsyncConnectionConfig::new().set_push_sender(|_: PushInfo| Ok::<(), ()>(()));
    let mut connection = (client
        .get_multiplexed_async_connection_with_config(&config)
        .await)
        .map_err(|error| refused(&error))?;
    track(&mut connection, &format!("{prefix}s:"))
        .await
        .map_err(|error| refused(&error))
}

async fn track(
    connection: &mut MultiplexedConnection,
    prefix: &str,
) -> deadpool_redis::redis::RedisResult<()> {
    let mut command = cmd("CLIENT");
    command
        .arg("TRACKING")
        .arg("ON")
        .arg("BCAST")
        .arg("PREFIX")
        .arg(prefix)
        .arg("NOLOOP");
    command.query_async(connection).await
}

/// The connections of one tracking session: one per server tracked (on a Cluster, per master,
/// with the slot map they were found under).
struct Tracked {
    connections: Vec<MultiplexedConnection>,
    topology: Option<Topology>,
    /// For a Sentinel-named master: a connection to each Sentinel, and the master's address.
    #[cfg(feature = "sentinel")]
    named: Option<(Vec<MultiplexedConnection>, Address)>,
}

/// Why a round did not prove the lease.
enum Lost {
    /// The connection failed, or a Cluster's slots moved (its client follows by itself).
    Connection(String),
    /// The tracked server is no longer the master: the pool's connections to it are retired.
    Failover(String),
}

impl Tracked {
    /// Connects to every server `source` names, each tracking `prefix`, its push messages
    /// handed to `cache`.
    async fn connect(
        cache: &Weak<LocalCache>,
        source: &Source,
        prefix: &str,
        lease: Duration,
    ) -> Result<Self, StoreError> {
        let pushes = Weak::clone(cache);
        let config = AsyncConnectionConfig::new()
            .set_response_timeout(Some(lease.max(MIN_WAIT)))
            .set_push_sender(move |push: PushInfo| {
                if let Some(cache) = pushes.upgrade() {
                    cache.on_push(push);
                }
                Ok::<(), ()>(())
            });
        let (clients, topology) = source.clients().await?;
        #[cfg(feature = "sentinel")]
        let named = match source {
            Source::Sentinel(_, sentinels) => {
                let master =
                    (clients.first().and_then(sentinels::address_of)).ok_or_else(|| {
                        StoreError::Config(
                            "the Sentinels name a master without an address".to_owned(),
                        )
                    })?;
                let mut connections = sentinels.connect(lease.max(MIN_WAIT)).await?;
                (sentinels.all_name(&mut connections, &master).await)
                    .map_err(|dissent| StoreError::Unavailable(dissent.to_string().into()))?;
                Some((connections, master))
            }
            _ => None,
        };
        let mut connections = Vec::with_capacity(clients.len());
        for client in clients {
            let connect = client.get_multiplexed_async_connection_with_config(&config);
            let mut connection = connect.await.map_err(unavailable)?;
            track(&mut connection, prefix).await.map_err(unavailable)?;
            connections.push(connection);
        }
        Ok(Self {
            connections,
            topology,
            #[cfg(feature = "sentinel")]
            named,
        })
    }

    /// One round of the lease: every server answers, as a master, after every invalidation it
    /// sent before; for a Sentinel-named master, every Sentinel still names it; on a Cluster,
    /// the slots are still where they were.
    async fn answered(&mut self, source: &Source) -> Result<(), Lost> {
        for connection in &mut self.connections {
            let role = cmd("ROLE").query_async::<Value>(connection).await;
            match &role {
                Ok(Value::Array(fields)) => {
                    if !matches!(fields.first(), Some(Value::BulkString(role)) if role == b"master")
                    {
                        return Err(Lost::Failover(format!(
                            "a tracked server is no longer a master: {role:?}"
                        )));
                    }
                }
                _ => return Err(Lost::Connection(format!("no answer to ROLE: {role:?}"))),
            }
        }
        #[cfg(feature = "sentinel")]
        if let (Source::Sentinel(_, sentinels), Some((connections, master))) =
            (source, &mut self.named)
        {
            (sentinels.all_name(connections, master).await).map_err(|dissent| match dissent {
                Dissent::Silent(why) => Lost::Connection(why),
                Dissent::NamesAnother(why) => Lost::Failover(why),
            })?;
        }
        #[cfg(not(feature = "sentinel"))]
        let _ = source;
        if let (Some(known), Some(connection)) = (&self.topology, self.connections.first_mut()) {
            let slots = cmd("CLUSTER")
                .arg("SLOTS")
                .query_async::<Value>(connection)
                .await;
            if slots
                .ok()
                .and_then(|reply| Topology::parse(&reply))
                .as_ref()
                != Some(known)
            {
                return Err(Lost::Connection("the Cluster's slots moved".to_owned()));
            }
        }
        Ok(())
    }
}

async fn run(
    cache: Weak<LocalCache>,
    source: Arc<Source>,
    retirement: Arc<Retirement>,
    prefix: String,
) {
    loop {
        let Some(strong) = cache.upgrade() else {
            return;
        };
        strong.clear();
        let lease = strong.config.lease;
        let mut tracked = match Tracked::connect(&cache, &source, &prefix, lease).await {
            Ok(tracked) => tracked,
            Err(error) => {
                tracing::warn!(%error, "the local cache's tracking connection failed; reads go to Redis");
                drop(strong);
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        // The tracking connections send the slides (`NOLOOP`: no copy of ours dropped) and the
        // reads whose copies are kept.
        let routes = Arc::new(Routes::new(
            tracked.connections.clone(),
            tracked.topology.as_ref(),
        ));
        let (sender, slides) = unbounded_channel();
        strong.track(sender, Arc::clone(&routes));
        let slider = tokio::spawn(slide(Weak::clone(&cache), routes, slides));
        drop(strong);
        let mut ticks = tokio::time::interval(lease / 4);
        loop {
            ticks.tick().await;
            let Some(strong) = cache.upgrade() else {
                slider.abort();
                return;
            };
            let sent = Instant::now();
            match tracked.answered(&source).await {
                Ok(()) => strong.prove(sent),
                Err(Lost::Connection(error)) => {
                    strong.clear();
                    tracing::warn!(%error, "the local cache's tracking was lost; reads go to Redis");
                    break;
                }
                Err(Lost::Failover(error)) => {
                    strong.clear();
                    retirement.retire_all();
                    tracing::warn!(%error, "a failover: the local cache and the pool reconnect");
                    break;
                }
            }
        }
        slider.abort();
    }
}

/// Sends the cached reads' slides: only forward (`GT`), never to a key that is gone. Redis's
/// answer tells the cache how long the record lives; a slide that fails drops its copy (the next
/// read loads and slides it again). A lost connection ends the sending (the lease's next probe
/// notices it, and until the next round the store sends slides itself).
async fn slide(cache: Weak<LocalCache>, routes: Arc<Routes>, mut slides: UnboundedReceiver<Slide>) {
    while let Some(Slide {
        key,
        deadline,
        generation,
    }) = slides.recv().await
    {
        // `None`: no master serves the key's slot.
        let answered = match routes.connection(&key) {
            Some(mut connection) => {
                let mut command = cmd("PEXPIREAT");
                command.arg(&key).arg(deadline.0).arg("GT");
                Some(command.query_async::<Value>(&mut connection).await)
            }
            None => None,
        };
        let Some(cache) = cache.upgrade() else {
            return;
        };
        match answered {
            // 0 (not set) too: the key is gone (its invalidation came first) or lives longer.
            Some(Ok(_)) => cache.slid(&key, generation, deadline),
            Some(Err(error))
                if error.is_io_error() || error.is_connection_dropped() || error.is_timeout() =>
            {
                cache.invalidate([key.as_str()]);
                return;
            }
            Some(Err(_)) | None => cache.invalidate([key.as_str()]),
        }
    }
}

impl LocalCache {
    /// Applies a push message of the tracking connection.
    fn on_push(&self, push: PushInfo) {
        match push.kind {
            PushKind::Invalidate => match push.data.first() {
                Some(Value::Array(keys)) => {
                    let keys = keys.iter().filter_map(|key| match key {
                        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
                        Value::SimpleString(text) => Some(text.as_str()),
                        _ => None,
                    });
                    self.invalidate(keys);
                }
                // A flush of the whole database.
                _ => self.clear(),
            },
            PushKind::Disconnection => self.clear(),
            _ => {}
        }
    }
}
