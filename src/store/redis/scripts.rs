//! The Lua scripts behind [`RedisStore`](super::RedisStore), built once from `scripts/*.lua`.
//!
//! Each script runs atomically as one `EVALSHA` (with a `NOSCRIPT` fallback that loads it), so
//! every store operation is one round trip. Every key a script touches is passed in `KEYS`.

use std::sync::LazyLock;

use deadpool_redis::redis::aio::ConnectionLike;
use deadpool_redis::redis::{Cmd, FromRedisValue, RedisResult, Script, ToRedisArgs};

/// A Lua script of the store: its source, loaded into Redis the first time a server lacks it,
/// and its SHA1, sent with every call.
pub(super) struct StoreScript {
    /// Its file, as metrics and traces name it.
    name: &'static str,
    source: &'static str,
    hash: String,
}

impl StoreScript {
    fn new(name: &'static str, source: &'static str) -> Self {
        Self {
            name,
            source,
            hash: Script::new(source).get_hash().to_owned(),
        }
    }

    /// A call of this script on `keys`; add its arguments with [`ScriptCall::arg`].
    pub(super) fn call<K: ToRedisArgs>(&self, keys: &[K]) -> ScriptCall<'_> {
        self.call_sized(keys, 256)
    }

    /// As [`call`](Self::call), for a command of about `bytes` bytes (name, SHA1, keys and
    /// arguments), so that building it never grows its buffer.
    pub(super) fn call_sized<K: ToRedisArgs>(&self, keys: &[K], bytes: usize) -> ScriptCall<'_> {
        // The name, the SHA1, the key count, the keys, and up to seven arguments.
        let mut command = Cmd::with_capacity(keys.len() + 10, bytes);
        command.arg("EVALSHA").arg(&self.hash).arg(keys.len());
        for key in keys {
            command.arg(key);
        }
        ScriptCall {
            script: self,
            command,
        }
    }
}

/// One `EVALSHA`, built straight into a command: no argument is copied twice.
pub(super) struct ScriptCall<'a> {
    script: &'a StoreScript,
    command: Cmd,
}

impl ScriptCall<'_> {
    /// The script's file.
    pub(super) fn name(&self) -> &'static str {
        self.script.name
    }

    pub(super) fn arg(&mut self, arg: impl ToRedisArgs) -> &mut Self {
        self.command.arg(arg);
        self
    }

    /// Sends the call; a server that does not know the script (`NOSCRIPT`: restarted, flushed,
    /// or a new node) is given it with `SCRIPT LOAD` and asked again.
    pub(super) async fn invoke<T: FromRedisValue>(
        &self,
        connection: &mut impl ConnectionLike,
    ) -> RedisResult<T> {
        match self.command.query_async(connection).await {
            Err(error) if error.code() == Some("NOSCRIPT") => {
                let mut load = Cmd::new();
                load.arg("SCRIPT").arg("LOAD").arg(self.script.source);
                load.query_async::<()>(connection).await?;
                self.command.query_async(connection).await
            }
            reply => reply,
        }
    }
}

/// A script from `scripts/`, with the helper file it uses placed in front of it.
macro_rules! script {
    ($file:literal) => {
        LazyLock::new(|| StoreScript::new($file, include_str!(concat!("scripts/", $file))))
    };
    ($helpers:literal, $file:literal) => {
        LazyLock::new(|| {
            StoreScript::new(
                $file,
                concat!(
                    include_str!(concat!("scripts/", $helpers)),
                    include_str!(concat!("scripts/", $file))
                ),
            )
        })
    };
}

/// Append a change to an existing record.
pub(super) static UPDATE: LazyLock<StoreScript> = script!("record.lua", "update.lua");
/// Move a record to a new ID, applying a change.
pub(super) static CYCLE: LazyLock<StoreScript> = script!("record.lua", "cycle.lua");
/// Add a member to a user's index, returning the user's sign-out generation.
pub(super) static INDEX_ADD: LazyLock<StoreScript> = script!("index_add.lua");
/// Confirm a pending session in a user's index.
pub(super) static INDEX_CONFIRM: LazyLock<StoreScript> = script!("index_confirm.lua");
/// Prune entries of sessions found gone from a user's index, unless one is pending.
pub(super) static INDEX_PRUNE: LazyLock<StoreScript> = script!("index_prune.lua");
#[cfg(feature = "cart")]
/// Change one cart line.
pub(super) static CART_APPLY: LazyLock<StoreScript> = script!("cart.lua", "cart_apply.lua");
#[cfg(feature = "cart")]
/// Merge a visitor's cart into a user's, once.
pub(super) static CART_MERGE: LazyLock<StoreScript> = script!("cart.lua", "cart_merge.lua");
#[cfg(feature = "remember-me")]
/// Rotate a remember-me token, once.
pub(super) static REMEMBER_ROTATE: LazyLock<StoreScript> = script!("remember_rotate.lua");
#[cfg(feature = "remember-me")]
/// Store a new remember-me token.
pub(super) static TOKEN_CREATE: LazyLock<StoreScript> = script!("token_create.lua");
#[cfg(feature = "remember-me")]
/// Set what a remember-me token carries to the sessions it signs in.
pub(super) static TOKEN_CARRY: LazyLock<StoreScript> = script!("token_carry.lua");
#[cfg(feature = "remember-me")]
/// Stamp a remember-me token with a new sign-out generation.
pub(super) static TOKEN_RESTAMP: LazyLock<StoreScript> = script!("token_restamp.lua");
#[cfg(feature = "dbsc")]
/// Keep a new device-binding challenge for a session, within its allowance.
pub(super) static CHALLENGE_ISSUE: LazyLock<StoreScript> = script!("challenge_issue.lua");
#[cfg(feature = "dbsc")]
/// Take a device-binding challenge, once.
pub(super) static CHALLENGE_TAKE: LazyLock<StoreScript> = script!("challenge_take.lua");
