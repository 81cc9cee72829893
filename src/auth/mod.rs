//! Signed-in users: login, each user's index of sessions, the device list, signing out one,
//! the others or all devices, and activity tracking.
//!
//! A signed-in session carries its user and device in metadata fields of its own record
//! (`session/meta.rs`). Each user has an index (see [`RedisStore`](crate::RedisStore) for its
//! layout) naming their sessions by handle; `session/index.rs` says how it stays exact under
//! concurrent sign-ins, renames and sign-outs. Entries are pruned lazily when the index is read:
//! by their absolute deadline, and, once confirmed, by finding the record gone. No background
//! job, no keyspace scan.

pub(crate) mod device;
mod guard;
mod login;
mod sign_out;
mod users;

pub use self::device::{Activity, Device, DeviceInfo};
pub use self::guard::{LoggedIn, LoginRequired};
pub use self::users::UserSessions;

use crate::error::SessionError;

/// Longest user ID accepted, in bytes. User IDs never appear in key names (see
/// [`RedisStore`](crate::RedisStore)), so any other non-empty string is one.
pub(crate) const MAX_USER_ID: usize = 512;

pub(crate) fn check_user_id(user_id: &str) -> Result<(), SessionError> {
    if user_id.is_empty() || user_id.len() > MAX_USER_ID {
        Err(SessionError::InvalidUserId)
    } else {
        Ok(())
    }
}
