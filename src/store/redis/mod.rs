//! [`RedisStore`]: sessions in Redis, every operation one atomic round trip.
//!
//! # Data layout
//! A session is one string at `{prefix}s:{handle}`, where the handle is base64url of
//! the first 128 bits of SHA-256 of the session ID (the raw ID never reaches Redis). The string
//! holds the session's fields, user keys with their JSON values and the crate's metadata, in the
//! layout described in `store/redis/record/mod.rs`. The key's expiry is always
//! `min(last use + idle, created + absolute)`.
//!
//! A user's signed-in sessions are listed in a sorted set at `{prefix}u:{<user tag>}:s` (the tag
//! is a hash of the user ID: see `user_key`), members
//! being the sessions' handles, scores their absolute deadlines.
//!
//! # Round trips
//! A read is one `GETEX ... PXAT`: it returns the record and slides its expiry, with no script,
//! so Redis spends well under a microsecond on it. Writes are Lua scripts (`scripts/`), because
//! they are conditional (an update applies only if the record still exists) and because they
//! apply only the changed fields to the stored record, inside Redis.
//!
//! Where the server has a native compare-and-set (`SET … IFEQ`: Valkey 8.1+, Redis 8.4+), the
//! common update skips the script: a request that loaded a record of at most 1 KiB sends the
//! record as it leaves it, to be written only if the stored one is still as loaded. That costs
//! Redis under a third of what the script costs, with the same guarantees; when the compare
//! fails (another request changed the record, or it is gone) the script decides as before. A
//! server without `SET … IFEQ` answers the first such update with an `ERR` reply (a syntax
//! error), which turns this off for the store's life.
//!
//! # Connections
//! See [`RedisStoreBuilder`]: a deadpool pool of multiplexed connections to one server, or with
//! the `cluster` feature of Cluster connections, checked out without a `PING` per request.

mod builder;
#[cfg(feature = "local-cache")]
mod cache;
#[cfg(feature = "cart")]
mod cart;
#[cfg(feature = "dbsc")]
mod challenge;
mod connection;
mod eviction;
mod handover;
mod index;
mod manager;
mod record;
mod recycler;
mod scripts;
#[cfg(feature = "sentinel")]
mod sentinel_watch;
#[cfg(feature = "sentinel")]
mod sentinels;
mod server_error;
mod session;
#[cfg(feature = "remember-me")]
mod token;
mod write;

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use deadpool_redis::redis::{Cmd, FromRedisValue, RedisWrite, ToRedisArgs, Value, cmd};

pub use self::builder::RedisStoreBuilder;
#[cfg(feature = "local-cache")]
pub use self::cache::LocalCacheConfig;
use self::connection::{Connections, Request};

use crate::error::StoreError;
use crate::id::Handle;
use crate::time::{UnixMillis, millis};

/// Most keys in one multi-key command or pipeline, so one call never blocks Redis for long.
const PIPELINE_CHUNK: usize = 1000;

/// A session store on Redis (standalone server, 6.2 or newer).
///
/// Cheap to clone; clones share the pool. Connections are opened lazily, so building the store
/// succeeds while Redis is down and requests recover by themselves when it comes back.
///
/// A read is one `GETEX`; an update is one Lua script that applies only the changed keys, or,
/// where the server has a native compare-and-set (`SET … IFEQ`: Valkey 8.1+, Redis 8.4+) and the
/// record is at most 1 KiB, one `SET … IFEQ` of the updated record, which costs Redis less with
/// the same guarantees. The store finds out by itself whether the server has it.
///
/// ```no_run
/// use std::time::{Duration, Instant};
/// use tower_redis_session::{RedisStore, SessionLayer};
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379")
///     .key_prefix("shop:")
///     .command_timeout(Duration::from_millis(500))
///     .build()?;
/// let layer = SessionLayer::builder(store).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    connections: Connections,
    #[cfg(feature = "local-cache")]
    cache: Option<cache::CacheHandle>,
    prefix: String,
    /// Whether the server may have `SET … IFEQ`; cleared at the first write it refuses.
    compare_and_set: AtomicBool,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.connections.timeout())
            .field("pool", &self.inner.connections.status())
            .finish()
    }
}

impl RedisStore {
    /// Connects, and checks that the server keeps every key until it expires
    /// (`maxmemory-policy noeviction`, read from `INFO memory`; on a Cluster, of every master).
    /// Await it at start-up, so that a misconfigured Redis stops the application with a clear
    /// message instead of answering requests with 503s.
    ///
    /// ```no_run
    /// # async fn start() -> Result<(), Box<dyn std::error::Error>> {
    /// use tower_redis_session::RedisStore;
    ///
    /// let store = RedisStore::builder("redis://127.0.0.1:6379").build()?;
    /// if let Err(error) = store.check().await {
    ///     eprintln!("{error}");
    ///     std::process::exit(1);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`StoreError::EvictionPolicy`] for a server whose policy can evict keys (unless
    /// [`RedisStoreBuilder::allow_eviction`]); [`StoreError::Unavailable`] or
    /// [`StoreError::Timeout`] when it does not answer.
    pub async fn check(&self) -> Result<(), StoreError> {
        #[cfg(feature = "local-cache")]
        if let Some(cache) = &self.inner.cache {
            cache.check(&self.inner.prefix).await?;
        }
        self.inner.connections.check_policy().await
    }

    /// The Redis key of one of `user`'s keys (`what`: `s` index, `g` generation, `t` tokens,
    /// `c` cart, `m:…` merge markers): `{prefix}u:{<tag>}:<what>`. The hash tag is base64url of
    /// the first 128 bits of SHA-256 of the user ID, so that every key of a user lives in one
    /// Cluster slot whatever characters the ID has, and no user ID (an e-mail address, say)
    /// appears in a key name.
    pub(super) fn user_key(&self, user: &str, what: &str) -> String {
        let tag = Handle::digest(user.as_bytes());
        format!("{}u:{{{tag}}}:{what}", self.inner.prefix)
    }

    /// The Redis key of a session record.
    pub fn session_key(&self, id: &Handle) -> String {
        SessionKey {
            prefix: &self.inner.prefix,
            id,
        }
        .text()
    }

    /// Sends one request; see [`Connections::run`].
    async fn run<T: FromRedisValue>(
        &self,
        request: Request<'_>,
        retry: bool,
    ) -> Result<T, StoreError> {
        self.inner.connections.run(request, retry).await
    }

    /// Sends the revocation `commands` (idempotent: retried on a broken connection), pipelined,
    /// and with [`RedisStoreBuilder::wait_for_replica`] a `WAIT 1` behind them on the same
    /// connection: `WAIT` waits only for what its own connection wrote, so sent apart on another
    /// pooled connection it could wait for nothing. A replica that does not answer in time is
    /// logged, not an error: the revocation is done on the master. The commands' replies.
    async fn revoke(&self, commands: &[Cmd]) -> Result<Vec<Value>, StoreError> {
        let wait = self.inner.connections.replica_wait();
        // On a Cluster each command goes to its own node (a pipeline may not span slots); the
        // cluster connection keeps one connection per node, which `WAIT` then goes to.
        if self.inner.connections.is_cluster() {
            let mut replies = Vec::with_capacity(commands.len());
            for command in commands {
                replies.push(self.run(Request::Command(command), true).await?);
            }
            if let Some(timeout) = wait {
                let mut command = cmd("WAIT");
                command.arg(1).arg(millis(timeout));
                acknowledged(self.run(Request::Command(&command), true).await?);
            }
            return Ok(replies);
        }
        let mut pipeline = deadpool_redis::redis::pipe();
        for command in commands {
            pipeline.add_command(command.clone());
        }
        if let Some(timeout) = wait {
            pipeline.cmd("WAIT").arg(1).arg(millis(timeout));
        }
        let mut replies: Vec<Value> = self.run(Request::Pipeline(&pipeline), true).await?;
        if wait.is_some() {
            let replicas = match replies.pop() {
                Some(Value::Int(replicas)) => replicas,
                _ => 0,
            };
            acknowledged(replicas);
        }
        Ok(replies)
    }
}

/// Logs a revocation that no replica acknowledged in time.
fn acknowledged(replicas: i64) {
    if replicas < 1 {
        tracing::warn!(
            "no replica acknowledged a revocation in time; a failover now could undo it"
        );
    }
}

/// A session record's key as a command argument, written straight into the command.
struct SessionKey<'a> {
    prefix: &'a str,
    id: &'a Handle,
}

impl SessionKey<'_> {
    /// The key as text. Written by hand: through `format!` it cost a cached read some 700 of
    /// its 27,600 instructions.
    fn text(&self) -> String {
        let mut key = String::with_capacity(self.prefix.len() + 2 + 22);
        key.push_str(self.prefix);
        key.push_str("s:");
        self.id.write_to(&mut key);
        key
    }

    /// Calls `f` with the key as text, written on the stack unless the prefix is long: a cached
    /// read finds its copy without allocating.
    #[cfg(feature = "local-cache")]
    fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        const ON_STACK: usize = 64;
        let (id, written) = self.id.text();
        let (prefix, len) = (self.prefix.as_bytes(), self.prefix.len() + 2 + written);
        if len > ON_STACK {
            return f(&self.text());
        }
        let mut key = [0u8; ON_STACK];
        key[..prefix.len()].copy_from_slice(prefix);
        key[prefix.len()..prefix.len() + 2].copy_from_slice(b"s:");
        key[prefix.len() + 2..len].copy_from_slice(&id[..written]);
        match std::str::from_utf8(&key[..len]) {
            Ok(key) => f(key),
            Err(_) => f(&self.text()),
        }
    }
}

impl ToRedisArgs for SessionKey<'_> {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        let (id, written) = self.id.text();
        let mut arg = out.writer_for_next_arg();
        // Writing into the command's own buffer, which cannot fail.
        let _ = arg.write_all(self.prefix.as_bytes());
        let _ = arg.write_all(b"s:");
        let _ = arg.write_all(&id[..written]);
    }
}

impl ToRedisArgs for UnixMillis {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        self.0.write_redis_args(out);
    }
}

#[cfg(all(test, feature = "local-cache"))]
mod tests {
    use super::SessionKey;
    use crate::id::Handle;

    #[test]
    fn a_key_written_on_the_stack_is_the_key_as_text_whatever_the_prefix() {
        let id = Handle::digest(b"some session");
        for prefix in [
            "",
            "trs:",
            "sessions·é:",
            &"p".repeat(39),
            &"p".repeat(40),
            &"long:".repeat(30),
        ] {
            let key = SessionKey { prefix, id: &id };
            assert_eq!(
                key.with_text(str::to_owned),
                key.text(),
                "prefix {prefix:?}"
            );
        }
    }
}
