//! Session records on Redis: the [`SessionStore`] operations (the writes behind them are in
//! `write.rs`, the user index in `index.rs`).

use deadpool_redis::redis::{Cmd, RedisError, Value, cmd};

use super::connection::Request;
use super::record;
use super::scripts;
use super::server_error::ServerError;
use super::{PIPELINE_CHUNK, RedisStore, SessionKey};
use crate::error::StoreError;
use crate::id::Handle;
use crate::store::{Change, FieldsRow, Loaded, SessionStore, Written};
use crate::time::UnixMillis;

/// Whether a command failed with an error reply whose code is `code` (such as `WRONGTYPE`: the
/// key holds another type, not a session record).
fn has_code(error: &RedisError, code: &str) -> bool {
    error
        .clone()
        .into_server_errors()
        .is_some_and(|errors| errors.iter().any(|(_, e)| e.code() == code))
}

/// Reads a stored record (the reply to `GET` or `GETEX`): `None` when there is none, or when
/// the key holds something that is not a session record (logged).
pub(super) fn parse_record(reply: Value) -> Result<Option<Loaded>, StoreError> {
    let bytes = match reply {
        Value::Nil => return Ok(None),
        Value::BulkString(bytes) => bytes,
        // Not echoed: the reply could hold session data.
        _ => {
            return Err(StoreError::UnexpectedReply(
                "a session record read returned neither a string nor nil".to_owned(),
            ));
        }
    };
    match record::decode(&bytes) {
        Ok((fields, compacted)) => Ok(Some(Loaded {
            fields: fields.into(),
            revision: Some(record::AsLoaded::revision(bytes, compacted)),
        })),
        Err(error) => {
            tracing::warn!(
                error = &error as &dyn std::error::Error,
                "treating a malformed session record as absent"
            );
            Ok(None)
        }
    }
}

/// Whether a failed read means the key holds another type: not a session record.
fn holds_another_type(error: &StoreError) -> bool {
    refused(error, "WRONGTYPE")
}

/// Whether Redis answered a command with an error reply whose code is `code`.
pub(super) fn refused(error: &StoreError, code: &str) -> bool {
    matches!(error, StoreError::Unavailable(source)
        if source.downcast_ref::<ServerError>().is_some_and(|error| has_code(error.redis(), code)))
}

impl RedisStore {
    /// The record in Redis, its deadline slid to `deadline` in the same `GETEX`.
    async fn load_from_redis(
        &self,
        id: &Handle,
        deadline: UnixMillis,
    ) -> Result<Option<Loaded>, StoreError> {
        let mut command = Cmd::with_capacity(4, self.inner.prefix.len() + 64);
        let key = SessionKey {
            prefix: &self.inner.prefix,
            id,
        };
        command.arg("GETEX").arg(key).arg("PXAT").arg(deadline);
        let read = self.run(Request::Command(&command), true).await;
        record_read(read.and_then(parse_record))
    }
}

/// A record as read, a key of another type being no record (logged).
fn record_read(read: Result<Option<Loaded>, StoreError>) -> Result<Option<Loaded>, StoreError> {
    match read {
        Err(error) if holds_another_type(&error) => {
            tracing::warn!(
                "session key holds something other than a record; treating it as absent"
            );
            Ok(None)
        }
        read => read,
    }
}

#[cfg(feature = "local-cache")]
impl RedisStore {
    /// This server's copy of the record, if it keeps one (the caller checked that copies are
    /// current). Found without awaiting, boxing a future or building its key on the heap: most
    /// cached loads end here.
    fn kept_copy(
        &self,
        cache: &super::cache::LocalCache,
        id: &Handle,
        deadline: UnixMillis,
    ) -> Option<Loaded> {
        let key = SessionKey {
            prefix: &self.inner.prefix,
            id,
        };
        let (copy, unsent) = key.with_text(|key| cache.get(key, deadline))?;
        if unsent {
            self.slide_later(id, deadline);
        }
        Some(copy)
    }

    /// A load of a record this server keeps no copy of: read on the tracking connection and
    /// kept, unless the key was invalidated or written meanwhile.
    async fn load_and_keep(
        &self,
        cache: &super::cache::LocalCache,
        id: &Handle,
        deadline: UnixMillis,
    ) -> Result<Option<Loaded>, StoreError> {
        let key = self.session_key(id);
        let Some(mut connection) = cache.reader(&key) else {
            return self.load_from_redis(id, deadline).await;
        };
        let ticket = cache.ticket(key);
        let read = tokio::time::timeout(self.inner.connections.timeout(), async {
            self.load_unslid(&mut connection, id).await
        });
        let (loaded, lives) = match read.await {
            Ok(Ok(read)) => read,
            // The tracking connection failed or is slow: Redis answers through the pool (which
            // also says what a failure was), and nothing is kept.
            _ => {
                let _ = cache.settle(ticket, None, None, deadline);
                return self.load_from_redis(id, deadline).await;
            }
        };
        if !cache.settle(ticket, loaded.as_ref(), lives, deadline) {
            self.slide_later(id, deadline);
        }
        Ok(loaded)
    }

    /// The record and until when it lives, read on `connection` (the cache's tracking
    /// connection) with `GET` and `PTTL`, neither of which is a change: a `GETEX` would be, and
    /// Redis would invalidate the copy this read is about to keep. The deadline is counted from
    /// before the request was sent, so it errs early.
    async fn load_unslid(
        &self,
        connection: &mut deadpool_redis::redis::aio::MultiplexedConnection,
        id: &Handle,
    ) -> Result<(Option<Loaded>, Option<UnixMillis>), StoreError> {
        let key = SessionKey {
            prefix: &self.inner.prefix,
            id,
        };
        let mut pipeline = deadpool_redis::redis::pipe();
        pipeline.cmd("GET").arg(&key).cmd("PTTL").arg(&key);
        let sent = UnixMillis::now();
        let (record, ttl): (Value, i64) = (pipeline.query_async(connection).await)
            .map_err(|error| StoreError::Unavailable(Box::new(error)))?;
        let lives = u64::try_from(ttl).ok().map(|ttl| UnixMillis(sent.0 + ttl));
        Ok((parse_record(record)?, lives))
    }
}

#[cfg(feature = "local-cache")]
impl RedisStore {
    /// Slides a record through the store's own connections, off the request's path: between
    /// two rounds of the tracking connections, which send the slides otherwise. This one drops
    /// this server's copy (it is not `NOLOOP`), so it is the exception.
    fn slide_later(&self, id: &Handle, deadline: UnixMillis) {
        let (store, id) = (self.clone(), id.clone());
        tokio::spawn(async move {
            if let Err(error) = store.touch(&id, deadline).await {
                tracing::debug!(%error, "a cached read's slide failed; the next read slides");
            }
        });
    }
}

/// While alive, this server's write of some sessions: their local copies are dropped when it
/// begins and again when it ends, so no load that read them meanwhile keeps what it read.
struct Writing<'a> {
    #[cfg(feature = "local-cache")]
    store: &'a RedisStore,
    #[cfg(feature = "local-cache")]
    ids: &'a [Handle],
    #[cfg(not(feature = "local-cache"))]
    ids: std::marker::PhantomData<&'a ()>,
}

impl<'a> Writing<'a> {
    #[cfg_attr(
        not(feature = "local-cache"),
        expect(unused_variables, reason = "no cache")
    )]
    fn begin(store: &'a RedisStore, ids: &'a [Handle]) -> Self {
        #[cfg(feature = "local-cache")]
        {
            let writing = Self { store, ids };
            writing.forget();
            writing
        }
        #[cfg(not(feature = "local-cache"))]
        Self {
            ids: std::marker::PhantomData,
        }
    }

    #[cfg(feature = "local-cache")]
    fn forget(&self) {
        if let Some(cache) = &self.store.inner.cache {
            let keys: Vec<String> = self
                .ids
                .iter()
                .map(|id| self.store.session_key(id))
                .collect();
            cache
                .running(&self.store.inner.prefix)
                .invalidate(keys.iter().map(String::as_str));
        }
    }
}

#[cfg(feature = "local-cache")]
impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.forget();
    }
}

impl SessionStore for RedisStore {
    async fn load(&self, id: &Handle, deadline: UnixMillis) -> Result<Option<Loaded>, StoreError> {
        #[cfg(feature = "local-cache")]
        if let Some(cache) = &self.inner.cache {
            let cache = cache.running(&self.inner.prefix);
            // Copies not known current are neither served nor kept: the read slides as without
            // the cache.
            if cache.current() {
                if let Some(copy) = self.kept_copy(cache, id, deadline) {
                    return Ok(Some(copy));
                }
                // Boxed: the miss's future would otherwise make every load's larger.
                return Box::pin(self.load_and_keep(cache, id, deadline)).await;
            }
        }
        self.load_from_redis(id, deadline).await
    }

    async fn touch(&self, id: &Handle, deadline: UnixMillis) -> Result<bool, StoreError> {
        let _writing = Writing::begin(self, std::slice::from_ref(id));
        let mut command = cmd("PEXPIREAT");
        command
            .arg(SessionKey {
                prefix: &self.inner.prefix,
                id,
            })
            .arg(deadline);
        let touched: i64 = self.run(Request::Command(&command), true).await?;
        Ok(touched == 1)
    }
    async fn create(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        self.create_record(id, change, deadline).await
    }

    async fn update(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: Option<UnixMillis>,
    ) -> Result<Written, StoreError> {
        let _writing = Writing::begin(self, std::slice::from_ref(id));
        let key = SessionKey {
            prefix: &self.inner.prefix,
            id,
        };
        if let Some(written) = self.compare_and_set(&key, change, deadline).await? {
            return Ok(written);
        }
        // Safe to retry: a change appended twice resolves to the same fields, and the
        // script never writes to a record that is gone.
        self.write(&scripts::UPDATE, &[key], change, deadline, true)
            .await
    }

    async fn cycle(
        &self,
        from: &Handle,
        to: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        let ids = [from.clone(), to.clone()];
        let _writing = Writing::begin(self, &ids);
        if self.inner.connections.is_cluster() {
            return self.cycle_across_slots(from, to, change, deadline).await;
        }
        let keys = [
            SessionKey {
                prefix: &self.inner.prefix,
                id: from,
            },
            SessionKey {
                prefix: &self.inner.prefix,
                id: to,
            },
        ];
        // Not retried: a rename whose reply was lost would look like a vanished session.
        self.write(&scripts::CYCLE, &keys, change, Some(deadline), false)
            .await
    }

    async fn delete(&self, id: &Handle) -> Result<(), StoreError> {
        let _writing = Writing::begin(self, std::slice::from_ref(id));
        let mut command = cmd("DEL");
        command.arg(self.session_key(id));
        self.revoke(&[command]).await.map(drop)
    }

    async fn read_many(
        &self,
        ids: &[Handle],
        fields: &[&str],
    ) -> Result<Vec<FieldsRow>, StoreError> {
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(PIPELINE_CHUNK) {
            // On a Cluster, redis-rs splits an MGET by slot and sends the parts concurrently.
            let mut command = cmd("MGET");
            for id in chunk {
                command.arg(self.session_key(id));
            }
            let replies: Vec<Value> = self.run(Request::Command(&command), true).await?;
            for reply in replies {
                let row = parse_record(reply)?.map(|record| {
                    let mut record: std::collections::HashMap<String, String> =
                        record.fields.iter().cloned().collect();
                    fields.iter().map(|field| record.remove(*field)).collect()
                });
                rows.push(row);
            }
        }
        Ok(rows)
    }

    async fn delete_many(&self, ids: &[Handle]) -> Result<usize, StoreError> {
        let _writing = Writing::begin(self, ids);
        let mut deleted = 0;
        for chunk in ids.chunks(PIPELINE_CHUNK) {
            let mut command = cmd("DEL");
            for id in chunk {
                command.arg(self.session_key(id));
            }
            // Each chunk waits for its own replication: a later one may go on another connection.
            let replies = self.revoke(&[command]).await?;
            if let Some(Value::Int(count)) = replies.first() {
                deleted += usize::try_from(*count).unwrap_or(0);
            }
        }
        Ok(deleted)
    }
}
