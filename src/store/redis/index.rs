//! A user's index of sessions in Redis: a sorted set under the user's hash tag, members being
//! handles, scores the absolute deadlines (plus one half while pending),
//! beside the user's sign-out generation; see `session/index.rs` for the protocol.

use deadpool_redis::redis::cmd;

use super::connection::Request;
use super::scripts;
use super::{PIPELINE_CHUNK, RedisStore};
use crate::error::StoreError;
use crate::id::Handle;
use crate::store::{IndexEntry, UserIndex};
use crate::time::UnixMillis;

impl UserIndex for RedisStore {
    async fn index_add(
        &self,
        user: &str,
        entry: &IndexEntry,
        _now: UnixMillis,
        fresh_generation: &str,
    ) -> Result<String, StoreError> {
        add(self, user, entry, fresh_generation).await
    }

    async fn index_confirm(
        &self,
        user: &str,
        entry: &IndexEntry,
        generation: &str,
        replaces: Option<&Handle>,
    ) -> Result<bool, StoreError> {
        confirm(self, user, entry, generation, replaces).await
    }

    async fn index_fence(
        &self,
        user: &str,
        next: Option<&str>,
        keep_until: UnixMillis,
    ) -> Result<(), StoreError> {
        fence(self, user, next, keep_until).await
    }

    async fn index_list(&self, user: &str, now: UnixMillis) -> Result<Vec<IndexEntry>, StoreError> {
        list(self, user, now).await
    }

    async fn index_list_fenced(
        &self,
        user: &str,
        now: UnixMillis,
    ) -> Result<Vec<IndexEntry>, StoreError> {
        list_fenced(self, user, now).await
    }

    async fn index_prune(&self, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
        prune(self, user, ids).await
    }

    async fn index_remove(&self, user: &str, ids: &[Handle]) -> Result<usize, StoreError> {
        remove(self, user, ids).await
    }
}

impl RedisStore {
    /// The Redis key of a user's session index. The user ID is the hash tag, so all of a user's
    /// keys share one Cluster slot.
    pub fn index_key(&self, user: &str) -> String {
        self.user_key(user, "s")
    }

    /// The Redis key of a user's sign-out generation, under the user's hash tag.
    pub fn generation_key(&self, user: &str) -> String {
        self.user_key(user, "g")
    }
}

/// Adds `member` with `score` to one of `user`'s sorted-set indexes (`index_add.lua`),
/// dropping the entries past their deadline; returns the user's sign-out generation.
pub(super) async fn add_member(
    store: &RedisStore,
    index: &str,
    user: &str,
    member: &str,
    score: &str,
    deadline: UnixMillis,
    fresh_generation: &str,
) -> Result<String, StoreError> {
    let mut call = scripts::INDEX_ADD.call(&[index, &store.generation_key(user)]);
    call.arg(UnixMillis::now())
        .arg(member)
        .arg(score)
        .arg(deadline)
        .arg(fresh_generation);
    // Safe to retry: adding the same member again changes nothing.
    store.run(Request::Script(&call), true).await
}

/// Prunes a sorted-set index by deadline and returns its members with their scores.
pub(super) async fn members(
    store: &RedisStore,
    key: &str,
    now: UnixMillis,
) -> Result<Vec<(String, f64)>, StoreError> {
    members_then_delete(store, key, now, None).await
}

/// As [`members`], then deletes `then_delete` (a key in the same slot) in the same pipeline.
async fn members_then_delete(
    store: &RedisStore,
    key: &str,
    now: UnixMillis,
    then_delete: Option<&str>,
) -> Result<Vec<(String, f64)>, StoreError> {
    let mut pipeline = deadpool_redis::redis::pipe();
    pipeline
        .cmd("ZREMRANGEBYSCORE")
        .arg(key)
        .arg("-inf")
        .arg(now)
        .ignore()
        .cmd("ZRANGE")
        .arg(key)
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES");
    if let Some(then_delete) = then_delete {
        pipeline.cmd("DEL").arg(then_delete).ignore();
    }
    let (members,): (Vec<(String, f64)>,) = store.run(Request::Pipeline(&pipeline), true).await?;
    Ok(members)
}

/// [`UserIndex::index_add`](crate::UserIndex::index_add) on Redis.
pub(super) async fn add(
    store: &RedisStore,
    user: &str,
    entry: &IndexEntry,
    fresh_generation: &str,
) -> Result<String, StoreError> {
    // Half a millisecond past the deadline marks a pending entry (see `index_list`).
    let score = format!("{}.5", entry.expires_at);
    add_member(
        store,
        &store.index_key(user),
        user,
        &entry.id.to_string(),
        &score,
        entry.expires_at,
        fresh_generation,
    )
    .await
}

/// [`UserIndex::index_confirm`](crate::UserIndex::index_confirm) on Redis.
pub(super) async fn confirm(
    store: &RedisStore,
    user: &str,
    entry: &IndexEntry,
    generation: &str,
    replaces: Option<&Handle>,
) -> Result<bool, StoreError> {
    let keys = [store.index_key(user), store.generation_key(user)];
    let mut call = scripts::INDEX_CONFIRM.call(&keys);
    call.arg(entry.id.to_string())
        .arg(entry.expires_at)
        .arg(generation)
        .arg(replaces.map(ToString::to_string).unwrap_or_default());
    // Safe to retry: confirming twice confirms, and a refusal removed the entry.
    Ok(store.run::<i64>(Request::Script(&call), true).await? == 1)
}

/// [`UserIndex::index_fence`](crate::UserIndex::index_fence) on Redis.
pub(super) async fn fence(
    store: &RedisStore,
    user: &str,
    next: Option<&str>,
    keep_until: UnixMillis,
) -> Result<(), StoreError> {
    let key = store.generation_key(user);
    // `DEL` first, on its own: Redis still runs it when out of memory.
    let mut delete = cmd("DEL");
    delete.arg(&key);
    store.run::<()>(Request::Command(&delete), true).await?;
    let Some(next) = next else {
        return Ok(());
    };
    let mut set = cmd("SET");
    set.arg(&key).arg(next).arg("PXAT").arg(keep_until);
    if let Err(error) = store.run::<()>(Request::Command(&set), true).await {
        tracing::warn!(
            error = &error as &dyn std::error::Error,
            "could not store the generation of the session a sign-out kept; \
             renaming that session will sign it out"
        );
    }
    Ok(())
}

/// [`UserIndex::index_list`](crate::UserIndex::index_list) on Redis.
pub(super) async fn list(
    store: &RedisStore,
    user: &str,
    now: UnixMillis,
) -> Result<Vec<IndexEntry>, StoreError> {
    let members = members(store, &store.index_key(user), now).await?;
    Ok(entries(members))
}

/// [`UserIndex::index_list_fenced`](crate::UserIndex::index_list_fenced) on Redis.
pub(super) async fn list_fenced(
    store: &RedisStore,
    user: &str,
    now: UnixMillis,
) -> Result<Vec<IndexEntry>, StoreError> {
    let generation = store.generation_key(user);
    let members =
        members_then_delete(store, &store.index_key(user), now, Some(&generation)).await?;
    Ok(entries(members))
}

/// The entries of an index from its members and scores.
fn entries(members: Vec<(String, f64)>) -> Vec<IndexEntry> {
    members
        .into_iter()
        .filter_map(|(handle, score)| {
            let id = Handle::parse(&handle);
            if id.is_none() {
                tracing::warn!("ignoring a malformed entry in a user's session index");
            }
            Some(IndexEntry {
                id: id?,
                expires_at: deadline_of(score),
                pending: score.fract() != 0.0,
            })
        })
        .collect()
}

/// [`UserIndex::index_remove`](crate::UserIndex::index_remove) on Redis.
pub(super) async fn remove(
    store: &RedisStore,
    user: &str,
    ids: &[Handle],
) -> Result<usize, StoreError> {
    let mut removed = 0;
    for chunk in ids.chunks(PIPELINE_CHUNK) {
        let mut command = cmd("ZREM");
        command.arg(store.index_key(user));
        for id in chunk {
            command.arg(id.to_string());
        }
        removed += store.run::<usize>(Request::Command(&command), true).await?;
    }
    Ok(removed)
}

/// [`UserIndex::index_prune`](crate::UserIndex::index_prune) on Redis.
pub(super) async fn prune(
    store: &RedisStore,
    user: &str,
    ids: &[Handle],
) -> Result<usize, StoreError> {
    let mut pruned = 0;
    let index = store.index_key(user);
    for chunk in ids.chunks(PIPELINE_CHUNK) {
        let mut call = scripts::INDEX_PRUNE.call(std::slice::from_ref(&index));
        for id in chunk {
            call.arg(id.to_string());
        }
        // Safe to retry: pruning what is gone again removes nothing.
        pruned += store.run::<usize>(Request::Script(&call), true).await?;
    }
    Ok(pruned)
}

/// The deadline an index score stands for (a pending entry's is half a millisecond later).
fn deadline_of(score: f64) -> UnixMillis {
    // Deadlines are Unix milliseconds, far inside the range f64 holds exactly.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let deadline = score.floor().max(0.0) as u64;
    UnixMillis(deadline)
}
