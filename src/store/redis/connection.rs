//! Connections of a [`RedisStore`](super::RedisStore): the pool, and sending one request within
//! the timeout, retried once on a broken connection.
//!
//! deadpool-redis' own managers ping every connection on every checkout, a second round trip
//! per request; [`Recycler`] trusts a connection checked out moments ago and instead the store
//! drops any connection on which a command fails, so a Redis restart costs at most one retried
//! command. A connection is borrowed from the pool only to clone its handle: requests multiplex
//! over the pooled connections instead of queueing for one each. The handle used last is kept
//! and reused, without asking the pool, as long as it is used within the trust window.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use deadpool::managed;
use deadpool_redis::redis::aio::{ConnectionLike, MultiplexedConnection};
use deadpool_redis::redis::{Cmd, FromRedisValue, Pipeline, RedisError, RedisFuture, Value};

use super::eviction;
use super::manager::ClientManager;
#[cfg(feature = "cluster")]
use super::manager::ClusterManager;
#[cfg(feature = "sentinel")]
use super::manager::SentinelManager;
use super::recycler::{ConnectError, Recycler, Retirement};
use super::scripts::ScriptCall;
use super::server_error::ServerError;
use tracing::Instrument as _;

use crate::error::StoreError;

/// How long the connection used last is reused before it goes back through the pool, which
/// checks the server's `maxmemory-policy` again (see [`Recycler`]).
const POLICY_RECHECK: Duration = Duration::from_secs(60);

/// The store's pool: of connections to one server, to a Cluster, or to the master a Sentinel
/// group names.
pub(super) enum Pool {
    Server(managed::Pool<Recycler<ClientManager>>),
    #[cfg(feature = "cluster")]
    Cluster(managed::Pool<Recycler<ClusterManager>>),
    #[cfg(feature = "sentinel")]
    Sentinel(managed::Pool<Recycler<SentinelManager>>),
}

/// A connection handle from either kind of pool.
#[derive(Clone)]
enum Connection {
    Server(MultiplexedConnection),
    #[cfg(feature = "cluster")]
    Cluster(deadpool_redis::redis::cluster_async::ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Server(conn) => conn.req_packed_command(cmd),
            #[cfg(feature = "cluster")]
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Server(conn) => conn.req_packed_commands(pipeline, offset, count),
            #[cfg(feature = "cluster")]
            Self::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Server(conn) => conn.get_db(),
            #[cfg(feature = "cluster")]
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}

/// One request to Redis: a script, a plain command, or a pipeline (one round trip each).
#[derive(Clone, Copy)]
pub(super) enum Request<'a> {
    Script(&'a ScriptCall<'a>),
    Command(&'a Cmd),
    Pipeline(&'a Pipeline),
}

impl Request<'_> {
    /// What the request is, for metrics and traces: the script's file, the command's name, or
    /// `pipeline`. Never its arguments.
    fn operation(&self) -> &'static str {
        match self {
            Self::Script(call) => call.name(),
            Self::Pipeline(_) => "pipeline",
            Self::Command(command) => {
                let name = command.args_iter().next().and_then(|arg| match arg {
                    deadpool_redis::redis::Arg::Simple(name) => Some(name),
                    _ => None,
                });
                COMMANDS
                    .iter()
                    .find(|known| {
                        name.is_some_and(|name| name.eq_ignore_ascii_case(known.as_bytes()))
                    })
                    .copied()
                    .unwrap_or("command")
            }
        }
    }
}

/// The commands the store sends outside scripts, as metrics and traces name them.
const COMMANDS: [&str; 13] = [
    "GETEX",
    "GET",
    "SET",
    "DEL",
    "MGET",
    "PEXPIREAT",
    "HGETALL",
    "ZRANGE",
    "ZREM",
    "ZREMRANGEBYSCORE",
    "WAIT",
    "INFO",
    "PING",
];

/// The pool, and the timeout every request runs within.
pub(super) struct Connections {
    pub(super) pool: Pool,
    /// The connection checked out last, reused without the pool while it is trusted.
    pub(super) recent: Mutex<Option<Recent>>,
    pub(super) trust: Duration,
    pub(super) timeout: Duration,
    pub(super) replica_wait: Option<Duration>,
    pub(super) allow_eviction: bool,
    /// The server, as errors name it (`Redis at host:port`).
    pub(super) server: Arc<str>,
    /// Which connections a failover made wrong (shared with the pool's recycler).
    pub(super) retirement: Arc<Retirement>,
}

/// A connection handle kept for the next requests: checking one out of deadpool costs more than
/// the rest of a read (its future alone is kilobytes, moved on every call).
pub(super) struct Recent {
    connection: Connection,
    /// When the pool created it: its identity, should it break.
    created: Instant,
    last_used: Instant,
    /// When it was last checked out of the pool, which checks the server's policy.
    checked_out: Instant,
    /// The retirements before it was checked out: a later one retires it.
    generation: u64,
}

impl Connections {
    /// Whether the store runs on a Redis Cluster, where one script may not span slots.
    pub(super) fn is_cluster(&self) -> bool {
        #[cfg(feature = "cluster")]
        if matches!(self.pool, Pool::Cluster(_)) {
            return true;
        }
        false
    }

    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(super) fn replica_wait(&self) -> Option<Duration> {
        self.replica_wait
    }

    /// Asks the server (every master, on a Cluster) for its `maxmemory-policy` now; see
    /// [`RedisStore::check`].
    pub(super) async fn check_policy(&self) -> Result<(), StoreError> {
        let mut info = Cmd::new();
        info.arg("INFO").arg("memory");
        let reply: Value = self.run(Request::Command(&info), true).await?;
        match eviction::first_evicting(&reply) {
            Some(evicting) if !self.allow_eviction => Err(evicting.into_error()),
            _ => Ok(()),
        }
    }

    pub(super) fn status(&self) -> managed::Status {
        match &self.pool {
            Pool::Server(pool) => pool.status(),
            #[cfg(feature = "cluster")]
            Pool::Cluster(pool) => pool.status(),
            #[cfg(feature = "sentinel")]
            Pool::Sentinel(pool) => pool.status(),
        }
    }

    /// Sends one request within the command timeout. With `retry`, a request that fails because
    /// its connection broke is sent once more on a fresh connection; only idempotent operations
    /// may pass `retry`.
    pub(super) async fn run<T: FromRedisValue>(
        &self,
        request: Request<'_>,
        retry: bool,
    ) -> Result<T, StoreError> {
        // Neither traced nor timed unless something records it: on the read path the span and
        // the clock would cost more than the rest of the layer's bookkeeping.
        if !cfg!(feature = "metrics") && !tracing::enabled!(tracing::Level::DEBUG) {
            return self.run_within_timeout(request, retry).await;
        }
        let span = tracing::debug_span!(
            "session_store",
            operation = request.operation(),
            outcome = tracing::field::Empty,
            micros = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .run_within_timeout(request, retry)
            .instrument(span.clone())
            .await;
        let took = started.elapsed();
        let error = result.as_ref().err().map(|error| match error {
            StoreError::Timeout(_) => "timeout",
            _ => "unavailable",
        });
        span.record("outcome", error.unwrap_or("ok"));
        span.record(
            "micros",
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        );
        crate::telemetry::store_call(request.operation(), error, took);
        result
    }

    async fn run_within_timeout<T: FromRedisValue>(
        &self,
        request: Request<'_>,
        retry: bool,
    ) -> Result<T, StoreError> {
        let attempt = async {
            let mut attempts_left = if retry { 2 } else { 1 };
            loop {
                attempts_left -= 1;
                let (mut conn, created) = self.connection().await?;
                let reply = match request {
                    Request::Script(call) => call.invoke(&mut conn).await,
                    Request::Command(command) => command.query_async(&mut conn).await,
                    Request::Pipeline(pipeline) => pipeline.query_async(&mut conn).await,
                };
                match reply {
                    Ok(value) => return Ok(value),
                    Err(error) => {
                        let broken = is_broken(&error);
                        if broken {
                            self.forget(created);
                        }
                        if !broken || attempts_left == 0 {
                            return Err(ServerError::unavailable(&self.server, error));
                        }
                        tracing::debug!("retrying a session command on a fresh connection");
                    }
                }
            }
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .map_err(|_| StoreError::Timeout(self.timeout))?
    }

    /// A connection to send on, and when the pool created it (its identity, should it break):
    /// the one used last if it was used within the trust window, else one from the pool.
    async fn connection(&self) -> Result<(Connection, Instant), StoreError> {
        if let Some(recent) = self.recent() {
            return Ok(recent);
        }
        let generation = self.retirement.generation();
        // Boxed so that callers' futures stay small: the pool's future is large and rarely needed.
        let (connection, created) = Box::pin(self.checkout()).await?;
        let now = Instant::now();
        *self.recent.lock().unwrap_or_else(PoisonError::into_inner) = Some(Recent {
            connection: connection.clone(),
            created,
            last_used: now,
            checked_out: now,
            generation,
        });
        Ok((connection, created))
    }

    fn recent(&self) -> Option<(Connection, Instant)> {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = recent.as_mut()?;
        let now = Instant::now();
        if now.saturating_duration_since(entry.last_used) >= self.trust
            || now.saturating_duration_since(entry.checked_out) >= POLICY_RECHECK
            || entry.generation != self.retirement.generation()
        {
            return None;
        }
        entry.last_used = now;
        Some((entry.connection.clone(), entry.created))
    }

    /// A connection from the pool, which pings it first if it idled past the trust window.
    async fn checkout(&self) -> Result<(Connection, Instant), StoreError> {
        match &self.pool {
            Pool::Server(pool) => {
                let pooled = pool
                    .get()
                    .await
                    .map_err(|error| refused(&self.server, error))?;
                let created = managed::Object::metrics(&pooled).created;
                Ok((Connection::Server(pooled.connection.clone()), created))
            }
            #[cfg(feature = "cluster")]
            Pool::Cluster(pool) => {
                let pooled = pool
                    .get()
                    .await
                    .map_err(|error| refused(&self.server, error))?;
                let created = managed::Object::metrics(&pooled).created;
                Ok((Connection::Cluster(pooled.connection.clone()), created))
            }
            #[cfg(feature = "sentinel")]
            Pool::Sentinel(pool) => {
                let pooled = pool
                    .get()
                    .await
                    .map_err(|error| refused(&self.server, error))?;
                let created = managed::Object::metrics(&pooled).created;
                Ok((Connection::Server(pooled.connection.clone()), created))
            }
        }
    }

    /// Drops the pooled connection created at `created`: it broke.
    fn forget(&self, created: Instant) {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        if recent
            .as_ref()
            .is_some_and(|entry| entry.created == created)
        {
            *recent = None;
        }
        drop(recent);
        match &self.pool {
            Pool::Server(pool) => {
                pool.retain(|_, metrics| metrics.created != created);
            }
            #[cfg(feature = "cluster")]
            Pool::Cluster(pool) => {
                pool.retain(|_, metrics| metrics.created != created);
            }
            #[cfg(feature = "sentinel")]
            Pool::Sentinel(pool) => {
                pool.retain(|_, metrics| metrics.created != created);
            }
        }
    }
}

/// The error of a failed checkout: [`StoreError::EvictionPolicy`] for a server that can evict,
/// [`StoreError::Unavailable`] otherwise.
fn refused(server: &Arc<str>, error: managed::PoolError<ConnectError>) -> StoreError {
    match error {
        managed::PoolError::Backend(ConnectError::Evicting(evicting)) => evicting.into_error(),
        managed::PoolError::Backend(ConnectError::Redis(error)) => {
            ServerError::unavailable(server, error)
        }
        other => StoreError::Unavailable(Box::new(other)),
    }
}

/// Whether the error means the connection itself is unusable (rather than the command failing):
/// it broke, or its server was demoted to a replica in a failover (`READONLY`), so a fresh
/// connection (which Sentinel points at the new master) is needed.
fn is_broken(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_unrecoverable_error()
        || error.code() == Some("READONLY")
        || error.to_string().contains("READONLY")
}
