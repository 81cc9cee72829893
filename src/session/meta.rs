//! The crate's own fields in a session record (`$`-prefixed: no user key can name them, see
//! `codec.rs`), and what reads and writes them: the signed-in user, the device, when it was last
//! seen, its last activity, its sign-out generation and whether it is bound to a device. Features
//! name their own fields (remember-me: `$r`, `$k`; flash: `$f`).

use serde::Serialize;

use crate::config::SessionConfig;
use crate::session::State;
use crate::time::{UnixMillis, millis};

/// Metadata field: the signed-in user's ID (JSON string).
pub(crate) const USER: &str = "$u";
/// Metadata field: the device, as the JSON `auth/device.rs` stores.
pub(crate) const DEVICE: &str = "$d";
/// Metadata field: when the session was last used, Unix ms (refreshed at most once per interval).
pub(crate) const LAST_SEEN: &str = "$s";
/// Metadata field: the last tracked activity, as the JSON `auth/device.rs` stores.
pub(crate) const ACTIVITY: &str = "$a";
/// Metadata field: the user's sign-out generation this session was born under (JSON string;
/// see `session/index.rs`).
pub(crate) const GENERATION: &str = "$g";

/// Metadata field: the session's device binding. The core reads only whether it is there (a
/// listing's `bound`); what it holds is the binding feature's (DBSC: `dbsc/binding.rs`).
pub(crate) const BINDING: &str = "$b";

/// The fields a device listing reads from each session, in the order `device_info` takes them.
pub(crate) const LISTED_FIELDS: [&str; 5] = [USER, DEVICE, LAST_SEEN, ACTIVITY, BINDING];

pub(crate) fn owner(state: &State) -> Option<String> {
    let raw = state.meta.get(USER)?;
    serde_json::from_str(raw).ok()
}

/// Refreshes a signed-in session's last-seen time if it is older than the interval, so that
/// most reads stay reads.
pub(crate) fn note_last_seen(state: &mut State, config: &SessionConfig, now: UnixMillis) {
    if !state.meta.contains_key(USER) {
        return;
    }
    let last_seen = state
        .meta
        .get(LAST_SEEN)
        .and_then(|raw| raw.parse::<u64>().ok());
    let interval = millis(config.last_seen_interval);
    if last_seen.is_none_or(|last| now.0.saturating_sub(last) >= interval) {
        state.set_meta(LAST_SEEN, now.to_string());
    }
}

/// The sign-out generation this signed-in session was born under.
pub(crate) fn generation(state: &State) -> Option<String> {
    serde_json::from_str(state.meta.get(GENERATION)?).ok()
}

/// The stored form of a generation.
pub(crate) fn generation_json(generation: &str) -> String {
    json(&generation)
}

/// A metadata value as stored: JSON.
pub(crate) fn json(value: &impl Serialize) -> String {
    // Strings, numbers and these plain structs always serialize.
    serde_json::to_string(value).unwrap_or_default()
}
