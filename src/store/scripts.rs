//! The Lua scripts behind [`RedisStore`](super::RedisStore), built once from `scripts/*.lua`.
//!
//! Each script runs atomically as one `EVALSHA` (with a `NOSCRIPT` fallback that loads it), so
//! every store operation is one round trip. Every key a script touches is passed in `KEYS`.

use std::sync::LazyLock;

use deadpool_redis::redis::Script;

macro_rules! script {
    ($file:literal) => {
        LazyLock::new(|| {
            Script::new(concat!(
                include_str!("scripts/prelude.lua"),
                include_str!(concat!("scripts/", $file))
            ))
        })
    };
}

/// Append a change to an existing record.
pub(super) static UPDATE: LazyLock<Script> = script!("update.lua");
/// Move a record to a new ID, applying a change.
pub(super) static CYCLE: LazyLock<Script> = script!("cycle.lua");
/// Add a session to a user's index.
pub(super) static INDEX_ADD: LazyLock<Script> = script!("index_add.lua");
/// Change one cart line.
pub(super) static CART_APPLY: LazyLock<Script> = script!("cart_apply.lua");
/// Merge a visitor's cart into a user's, once.
pub(super) static CART_MERGE: LazyLock<Script> = script!("cart_merge.lua");
/// Rotate a remember-me token, once.
pub(super) static REMEMBER_ROTATE: LazyLock<Script> = script!("remember_rotate.lua");
/// Store a new remember-me token.
pub(super) static TOKEN_CREATE: LazyLock<Script> = script!("token_create.lua");
