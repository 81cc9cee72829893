//! How a record is written on Redis: the script that applies a change (`update.lua`,
//! `cycle.lua`), `SET … IFEQ` where the server has it, a new record with `SET … NX`, and the
//! copy that moves a record across Cluster slots.

use std::sync::atomic::Ordering;

use deadpool_redis::redis::{Cmd, Value, cmd};

use super::connection::Request;
use super::record::{self, AsLoaded, EncodedChange, Plan};
use super::scripts::StoreScript;
use super::session::{parse_record, refused};
use super::{RedisStore, SessionKey};
use crate::error::StoreError;
use crate::id::Handle;
use crate::store::{Caps, Change, Written};
use crate::telemetry;
use crate::time::UnixMillis;

/// The longest record updated with `SET … IFEQ`, which sends it twice (as loaded and as
/// updated). Longer ones get the script, which sends only the change: for them the bytes on the
/// wire outweigh the Redis CPU the script costs.
const COMPARE_AND_SET_MAX_BYTES: usize = 1024;

/// The replies of `update.lua` and `cycle.lua`, named as `scripts/record.lua` names them.
struct Reply;

impl Reply {
    const STORED: i64 = 1;
    const GONE: i64 = 0;
    const ID_TAKEN: i64 = -1;
    const MALFORMED: i64 = -2;
    const TOO_MANY_KEYS: i64 = -3;
    /// With the size the record would have had: `{TOO_LARGE, size}`.
    const TOO_LARGE: i64 = -4;
}

impl RedisStore {
    /// `cycle` on a Cluster, where the two names live in different slots and no script may
    /// touch both: the new record is written in full first, then the old one deleted; if the
    /// old one was already gone by then (deleted since it was read), the copy is deleted too. A
    /// change another request makes to the old record in between is lost, as with any ID
    /// rotation that copies.
    pub(super) async fn cycle_across_slots(
        &self,
        from: &Handle,
        to: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        let mut command = cmd("GET");
        command.arg(self.session_key(from));
        let stored = self.run(Request::Command(&command), true).await?;
        let Some(loaded) = parse_record(stored)? else {
            return Ok(Written::Gone);
        };
        let mut fields: std::collections::HashMap<String, String> =
            loaded.fields.iter().cloned().collect();
        for (field, value) in &change.set {
            fields.insert((*field).to_owned(), (*value).to_owned());
        }
        let before =
            crate::store::user_size(loaded.fields.iter().map(|(f, v)| (f.as_str(), v.as_str())));
        for field in &change.remove {
            fields.remove(*field);
        }
        if let Some(caps) = change.caps {
            let after =
                crate::store::user_size(fields.iter().map(|(f, v)| (f.as_str(), v.as_str())));
            if let Err(refused) = caps.check(before, after) {
                return Ok(refused);
            }
        }
        let whole = Change::whole(
            fields
                .iter()
                .map(|(f, v)| (f.as_str(), v.as_str()))
                .collect(),
        );
        let written = self.create_record(to, &whole, deadline).await?;
        if written != Written::Stored {
            return Ok(written);
        }
        let mut delete = cmd("DEL");
        delete.arg(self.session_key(from));
        // Not retried: a retry would find the record gone and undo a move that succeeded.
        let deleted: usize = self.run(Request::Command(&delete), false).await?;
        if deleted == 0 {
            // Deleted since it was read (signed out, revoked, expired): the copy must not outlive
            // it.
            let mut undo = cmd("DEL");
            undo.arg(self.session_key(to));
            self.run::<()>(Request::Command(&undo), true).await?;
            return Ok(Written::Gone);
        }
        Ok(Written::Stored)
    }

    /// `SET ... NX PXAT`: a new record, unless the name is taken.
    pub(super) async fn create_record(
        &self,
        id: &Handle,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<Written, StoreError> {
        let mut command = cmd("SET");
        command
            .arg(self.session_key(id))
            .arg(record::encode_fields(&change.set))
            .arg("NX")
            .arg("PXAT")
            .arg(deadline);
        // A retry after a lost reply reports IdTaken; the session then picks another ID.
        let set: Option<String> = self.run(Request::Command(&command), true).await?;
        Ok(if set.is_some() {
            Written::Stored
        } else {
            Written::IdTaken
        })
    }

    /// Writes the record as `change` leaves it with one `SET … IFEQ`, if it is still as this
    /// request loaded it (see the module's "Round trips"). `None` when that does not apply or
    /// did not write; `update.lua` then finds out why (the record is gone, or another request
    /// changed it) and applies the change or not.
    pub(super) async fn compare_and_set(
        &self,
        key: &SessionKey<'_>,
        change: &Change<'_>,
        deadline: Option<UnixMillis>,
    ) -> Result<Option<Written>, StoreError> {
        let Some(loaded) = AsLoaded::of(change) else {
            return Ok(None);
        };
        let base = loaded.bytes();
        if base.len() > COMPARE_AND_SET_MAX_BYTES
            || !self.inner.compare_and_set.load(Ordering::Relaxed)
        {
            return Ok(None);
        }
        let updated = Plan::new(Some(&loaded), change).updated(base, change);
        let mut command = Cmd::with_capacity(7, 96 + key.prefix.len() + base.len() + updated.len());
        command
            .arg("SET")
            .arg(key)
            .arg(updated)
            .arg("IFEQ")
            .arg(base);
        match deadline {
            Some(deadline) => command.arg("PXAT").arg(deadline),
            None => command.arg("KEEPTTL"),
        };
        // Safe to retry: if the first attempt wrote, the second finds the record changed and
        // the script appends the change again, which resolves to the same fields.
        match self
            .run::<Option<()>>(Request::Command(&command), true)
            .await
        {
            Ok(written) => {
                telemetry::compare_and_set(if written.is_some() {
                    "written"
                } else {
                    "fell_back"
                });
                Ok(written.map(|()| Written::Stored))
            }
            Err(error) if refused(&error, "ERR") => {
                self.inner.compare_and_set.store(false, Ordering::Relaxed);
                tracing::info!("the server has no SET … IFEQ; session updates use update.lua");
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Runs `update.lua` or `cycle.lua` on `keys`: their arguments and replies are alike.
    pub(super) async fn write(
        &self,
        script: &StoreScript,
        keys: &[SessionKey<'_>],
        change: &Change<'_>,
        deadline: Option<UnixMillis>,
        retry: bool,
    ) -> Result<Written, StoreError> {
        let appended = EncodedChange(change);
        let loaded = AsLoaded::of(change);
        let plan = Plan::new(loaded.as_ref(), change);
        // When the record is due for compaction, it is compacted here, not in Lua (which is
        // slow at it): the script writes the result if the record is still as loaded.
        let rewrite = loaded.map(|loaded| loaded.bytes()).zip(plan.compacted);
        // The command's name and SHA1, the keys, the numbers (the caps among them), the change,
        // and when compacting, the record as loaded and compacted.
        let bytes = 128
            + keys.len() * (self.inner.prefix.len() + 24)
            + appended.len()
            + rewrite
                .as_ref()
                .map_or(0, |(base, compacted)| base.len() + compacted.len());
        let mut call = script.call_sized(keys, bytes);
        call.arg(appended).arg(plan.threshold);
        match deadline {
            Some(deadline) => call.arg(deadline),
            None => call.arg(""),
        };
        let caps = change.caps.unwrap_or(Caps {
            max_bytes: usize::MAX,
            max_keys: usize::MAX,
        });
        call.arg(caps.max_bytes).arg(caps.max_keys);
        if let Some((base, compacted)) = rewrite {
            call.arg(base).arg(compacted);
        }
        match self.run::<Value>(Request::Script(&call), retry).await? {
            Value::Int(Reply::STORED) => Ok(Written::Stored),
            Value::Int(Reply::GONE) => Ok(Written::Gone),
            Value::Int(Reply::ID_TAKEN) => Ok(Written::IdTaken),
            Value::Int(Reply::MALFORMED) => {
                tracing::warn!("stored session record is malformed; treating it as gone");
                Ok(Written::Gone)
            }
            Value::Int(Reply::TOO_MANY_KEYS) => Ok(Written::TooManyKeys),
            Value::Array(reply) => match reply.as_slice() {
                [Value::Int(Reply::TOO_LARGE), Value::Int(size)] => Ok(Written::TooLarge {
                    size: usize::try_from(*size).unwrap_or(usize::MAX),
                }),
                _ => Err(StoreError::UnexpectedReply(
                    "a write returned an unknown array".to_owned(),
                )),
            },
            other => Err(StoreError::UnexpectedReply(format!(
                "a write returned {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Reply;

    #[test]
    fn the_scripts_name_their_replies_as_the_store_reads_them() {
        let lua = include_str!("scripts/record.lua");
        let declared = lua
            .lines()
            .find(|line| line.starts_with("local STORED,"))
            .expect("record.lua names the replies");
        assert_eq!(
            declared,
            format!(
                "local STORED, GONE, ID_TAKEN, MALFORMED, TOO_MANY_KEYS, TOO_LARGE = {}, {}, {}, {}, {}, {}",
                Reply::STORED,
                Reply::GONE,
                Reply::ID_TAKEN,
                Reply::MALFORMED,
                Reply::TOO_MANY_KEYS,
                Reply::TOO_LARGE,
            )
        );
    }
}
