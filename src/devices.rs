//! Signed-in users: login, each user's index of sessions, the device list, signing out one,
//! the others or all devices, and activity tracking.
//!
//! A signed-in session carries its user and device in metadata fields of its own record. Each
//! user has an index (see [`RedisStore`](crate::RedisStore) for its layout) naming their
//! sessions by public handle; `index.rs` says how it stays exact under concurrent sign-ins,
//! renames and sign-outs. Entries are pruned lazily when the index is read: by their absolute
//! deadline, and, once confirmed, by finding the record gone. No background job, no keyspace
//! scan.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderMap;
use http::header::USER_AGENT;
use serde::{Deserialize, Serialize};

use crate::config::{Context, SessionConfig};
use crate::error::SessionError;
use crate::id::StorageId;
use crate::index;
use crate::session::{Login, Session, State};
use crate::store::IndexEntry;
use crate::time::{millis, now_millis, to_system_time};

/// Metadata field: the signed-in user's ID (JSON string).
const USER: &str = "$u";
/// Metadata field: the device, as [`StoredDevice`] JSON.
const DEVICE: &str = "$d";
/// Metadata field: when the session was last used, Unix ms (refreshed at most once per interval).
const LAST_SEEN: &str = "$s";
/// Metadata field: the last tracked activity, as [`StoredActivity`] JSON.
const ACTIVITY: &str = "$a";
/// Metadata field: `true` when a remember-me token, not a password, signed this session in.
const REMEMBERED: &str = "$r";
/// Metadata field: the selector of this device's remember-me token (JSON string).
const TOKEN: &str = "$k";
/// Metadata field: the user's sign-out generation this session was born under (JSON string;
/// see `index.rs`).
pub(crate) const GENERATION: &str = "$g";

/// The fields a device listing reads from each session, in the order `device_info` takes them.
const LISTED_FIELDS: [&str; 4] = [USER, DEVICE, LAST_SEEN, ACTIVITY];

/// Longest user ID accepted; it is part of Redis key names.
const MAX_USER_ID: usize = 128;
/// Longest label, user agent, IP or action kept; longer text is cut.
const MAX_TEXT: usize = 256;

/// The device a user signs in from, as the application knows it.
///
/// ```
/// use tower_redis_session::Device;
/// let device = Device::new().label("Work laptop").ip("203.0.113.7");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Device {
    label: Option<String>,
    user_agent: Option<String>,
    ip: Option<String>,
}

impl Device {
    /// A device with nothing known about it.
    pub fn new() -> Self {
        Self::default()
    }

    /// A device described by the request's `User-Agent` header.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let user_agent = headers
            .get(USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Self {
            user_agent,
            ..Self::default()
        }
    }

    /// A name the user gave the device ("Work laptop").
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The browser's `User-Agent`.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The client's IP address, as the application determines it (behind a proxy, from a
    /// header the proxy sets; this crate does not guess).
    #[must_use]
    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }
}

/// One of a user's signed-in sessions, as [`Session::devices`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// Public handle naming the session in [`Session::revoke`]; it cannot be turned into a
    /// cookie.
    pub handle: String,
    /// The label given at login.
    pub label: Option<String>,
    /// The user agent given at login.
    pub user_agent: Option<String>,
    /// The IP address given at login.
    pub ip: Option<String>,
    /// When the user signed in on this device.
    pub created_at: SystemTime,
    /// When the session was last used (updated at most once per
    /// [`last_seen_interval`](crate::SessionLayerBuilder::last_seen_interval)).
    pub last_seen_at: SystemTime,
    /// The last activity recorded with [`Session::track_activity`].
    pub last_activity: Option<Activity>,
    /// Whether this is the session of the request that asked.
    pub current: bool,
}

/// An activity recorded with [`Session::track_activity`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// What the user did, as the application named it.
    pub action: String,
    /// When.
    pub at: SystemTime,
}

#[derive(Serialize, Deserialize)]
struct StoredDevice {
    #[serde(rename = "l", skip_serializing_if = "Option::is_none", default)]
    label: Option<String>,
    #[serde(rename = "ua", skip_serializing_if = "Option::is_none", default)]
    user_agent: Option<String>,
    #[serde(rename = "ip", skip_serializing_if = "Option::is_none", default)]
    ip: Option<String>,
    #[serde(rename = "c")]
    created_at: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredActivity {
    action: String,
    at: u64,
}

/// Refreshes a signed-in session's last-seen time if it is older than the interval, so that
/// most reads stay reads.
pub(crate) fn note_last_seen(state: &mut State, config: &SessionConfig, now: u64) {
    if !state.meta.contains_key(USER) {
        return;
    }
    let last_seen = state
        .meta
        .get(LAST_SEEN)
        .and_then(|raw| raw.parse::<u64>().ok());
    let interval = millis(config.last_seen_interval);
    if last_seen.is_none_or(|last| now.saturating_sub(last) >= interval) {
        state.set_meta(LAST_SEEN, now.to_string());
    }
}

pub(crate) fn check_user_id(user_id: &str) -> Result<(), SessionError> {
    // The ID becomes a Redis Cluster hash tag, `{<id>}`: braces would break it.
    let valid = !user_id.is_empty()
        && user_id.len() <= MAX_USER_ID
        && !user_id.contains(['{', '}'])
        && !user_id.chars().any(char::is_control);
    if valid {
        Ok(())
    } else {
        Err(SessionError::InvalidUserId)
    }
}

fn cut(text: Option<String>) -> Option<String> {
    text.map(|mut text| {
        if text.len() > MAX_TEXT {
            let mut end = MAX_TEXT;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        text
    })
}

/// The selector of this session's remember-me token, if it has one.
pub(crate) fn remember_selector(state: &State) -> Option<String> {
    serde_json::from_str(state.meta.get(TOKEN)?).ok()
}

/// Records this session's remember-me token.
pub(crate) fn note_remember_selector(state: &mut State, selector: &str) {
    state.set_meta(TOKEN, json(&selector));
}

/// The sign-out generation this signed-in session was born under.
pub(crate) fn generation(state: &State) -> Option<String> {
    serde_json::from_str(state.meta.get(GENERATION)?).ok()
}

/// The stored form of a generation.
pub(crate) fn generation_json(generation: &str) -> String {
    json(&generation)
}

/// Whether a remember-me token signed this session in.
pub(crate) fn is_remembered(state: &State) -> bool {
    state.meta.get(REMEMBERED).is_some_and(|raw| raw == "true")
}

/// The stored form of a device.
pub(crate) fn device_json(device: Device, now: u64) -> String {
    json(&StoredDevice {
        label: cut(device.label),
        user_agent: cut(device.user_agent),
        ip: cut(device.ip),
        created_at: now,
    })
}

/// The metadata of a session a remember-me token signs in: the token's user, flagged as
/// remembered, on the device that used the token: the label the token was issued with, and the
/// user agent and IP of the request that presented it (a copied cookie shows up as the browser
/// that used it, not as the victim's).
pub(crate) fn remembered_meta(
    user: &str,
    issued_to: &str,
    using: Device,
    selector: &str,
    generation: &str,
    now: u64,
) -> HashMap<String, String> {
    let label = serde_json::from_str::<StoredDevice>(issued_to)
        .ok()
        .and_then(|device| device.label);
    let device = StoredDevice {
        label,
        user_agent: cut(using.user_agent),
        ip: cut(using.ip),
        created_at: now,
    };
    HashMap::from([
        (USER.to_owned(), json(&user)),
        (DEVICE.to_owned(), json(&device)),
        (LAST_SEEN.to_owned(), now.to_string()),
        (REMEMBERED.to_owned(), "true".to_owned()),
        (TOKEN.to_owned(), json(&selector)),
        (GENERATION.to_owned(), json(&generation)),
    ])
}

fn json(value: &impl Serialize) -> String {
    // Strings, numbers and these plain structs always serialize.
    serde_json::to_string(value).unwrap_or_default()
}

/// Signed-in users on a [`Session`].
impl Session {
    /// Signs `user_id` in on this session: the session gets a new ID and a new lifetime
    /// (session-fixation protection), records the user and `device`, and joins the user's index.
    /// If the session belonged to another user, its data is cleared first.
    ///
    /// The new ID is written when the response is sent (or at [`Session::save`]).
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`] for an empty ID, one over 128 bytes, or one with braces or
    /// control characters; [`SessionError::Store`] when the session could not be loaded.
    pub async fn login(&self, user_id: &str, device: Device) -> Result<(), SessionError> {
        check_user_id(user_id)?;
        let mut state = self.loaded().await?;
        let previous_owner = owner(&state);
        if let Some(previous) = previous_owner.as_deref().filter(|owner| *owner != user_id) {
            state.clear_data();
            state.unset_meta(ACTIVITY);
            // The browser's remember-me token is the previous user's: revoke it.
            if let Some(selector) = remember_selector(&state) {
                self.context()
                    .store
                    .token_revoke(previous, std::slice::from_ref(&selector))
                    .await?;
                state.unset_meta(TOKEN);
                state.remember_cookie = crate::cookie::CookieUpdate::Remove;
            }
        }
        // A password login is a stronger proof than a remembered one.
        state.unset_meta(REMEMBERED);
        let now = now_millis();
        let stored = StoredDevice {
            label: cut(device.label),
            user_agent: cut(device.user_agent),
            ip: cut(device.ip),
            created_at: now,
        };
        state.set_meta(USER, json(&user_id));
        state.set_meta(DEVICE, json(&stored));
        state.set_meta(LAST_SEEN, now.to_string());
        state.rotate_for_login(Login {
            user: user_id.to_owned(),
            previous_owner,
        });
        Ok(())
    }

    /// The signed-in user's ID, or `None`.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn user_id(&self) -> Result<Option<String>, SessionError> {
        Ok(owner(&*self.loaded().await?))
    }

    /// This session's public handle (as in [`DeviceInfo::handle`]), once it is stored.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn handle(&self) -> Result<Option<String>, SessionError> {
        let state = self.loaded().await?;
        Ok(state.id.as_ref().map(|id| id.storage_id().to_string()))
    }

    /// Records what the user just did (shown in [`DeviceInfo::last_activity`]). Written with
    /// the response, as one changed field.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn track_activity(&self, action: &str) -> Result<(), SessionError> {
        let activity = StoredActivity {
            action: cut(Some(action.to_owned())).unwrap_or_default(),
            at: now_millis(),
        };
        self.loaded().await?.set_meta(ACTIVITY, json(&activity));
        Ok(())
    }

    /// Signs out: deletes this session now, removes it from the user's index, and expires the
    /// cookie (with `Clear-Site-Data` if so configured).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    pub async fn logout(&self) -> Result<(), SessionError> {
        let (user, id, token) = {
            let state = self.loaded().await?;
            let id = state.id.as_ref().map(|id| id.storage_id());
            (owner(&state), id, remember_selector(&state))
        };
        self.delete().await?;
        if let Some(user) = user {
            let store = &self.context().store;
            if let Some(id) = id {
                store.index_remove(&user, std::slice::from_ref(&id)).await?;
            }
            if let Some(token) = token {
                store
                    .token_revoke(&user, std::slice::from_ref(&token))
                    .await?;
            }
        }
        let mut state = self.loaded().await?;
        if state.remember_in.is_some() || token_cookie_set(&state) {
            state.remember_cookie = crate::cookie::CookieUpdate::Remove;
        }
        drop(state);
        if self.context().config.clear_site_data {
            self.loaded().await?.clear_site_data = true;
        }
        Ok(())
    }

    /// The signed-in user's sessions, most recently seen first, this one marked `current` and
    /// shown as this request leaves it (its last-seen time and activity, not yet written).
    /// Empty when nobody is signed in.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    pub async fn devices(&self) -> Result<Vec<DeviceInfo>, SessionError> {
        let (user, current) = self.user_and_handle().await?;
        let Some(user) = user else {
            return Ok(Vec::new());
        };
        let mut devices = self.users().list(&user, current.as_ref()).await?;
        let Some(current) = current else {
            return Ok(devices);
        };
        let state = self.loaded().await?;
        let row: Vec<Option<String>> = LISTED_FIELDS
            .iter()
            .map(|field| state.meta.get(*field).cloned())
            .collect();
        let pending = device_info(&row, &user, &current, Some(&current));
        if let (Some(pending), Some(listed)) = (pending, devices.iter_mut().find(|d| d.current)) {
            *listed = pending;
            devices.sort_by_key(|device| std::cmp::Reverse(device.last_seen_at));
        }
        Ok(devices)
    }

    /// Signs out the signed-in user's session named `handle`; `false` if the user has no such
    /// session. Revoking this session's own handle is a [`logout`](Self::logout).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    pub async fn revoke(&self, handle: &str) -> Result<bool, SessionError> {
        let (user, current) = self.user_and_handle().await?;
        let Some(user) = user else {
            return Ok(false);
        };
        if current.is_some_and(|current| current.to_string() == handle) {
            self.logout().await?;
            return Ok(true);
        }
        self.users().revoke(&user, handle).await
    }

    /// Signs out every other session of the signed-in user, and their remember-me tokens
    /// (what a password change calls); returns how many sessions. A login, ID cycle or
    /// remember-me sign-in of another device racing it is undone, and a token issued to another
    /// device before it signs nobody in again (see the crate's README, "Signed-in users").
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    pub async fn logout_others(&self) -> Result<usize, SessionError> {
        let (user, current) = self.user_and_handle().await?;
        let token = remember_selector(&*self.loaded().await?);
        let Some(user) = user else {
            return Ok(0);
        };
        let (count, kept) = self
            .users()
            .sign_out(&user, current.as_ref(), token.as_deref())
            .await?;
        if let Some(generation) = kept {
            // This session is kept: it now carries the generation the sign-out began.
            self.loaded().await?.set_meta(GENERATION, json(&generation));
        }
        Ok(count)
    }

    /// Signs out every session of the signed-in user, this one included, and every remember-me
    /// token; returns how many sessions. A login, ID cycle or remember-me sign-in racing it is
    /// undone, and no token issued before it signs anyone in again.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached.
    pub async fn logout_all(&self) -> Result<usize, SessionError> {
        let (user, _) = self.user_and_handle().await?;
        let Some(user) = user else {
            return Ok(0);
        };
        let (count, _) = self.users().sign_out(&user, None, None).await?;
        // This session was among those deleted: only the cookies are left to expire.
        let mut state = self.loaded().await?;
        state.reset();
        state.remember_cookie = crate::cookie::CookieUpdate::Remove;
        Ok(count)
    }

    /// The same per-user operations, for any user.
    pub fn users(&self) -> UserSessions {
        UserSessions::new(Arc::clone(self.context()))
    }

    async fn user_and_handle(&self) -> Result<(Option<String>, Option<StorageId>), SessionError> {
        let state = self.loaded().await?;
        Ok((owner(&state), state.id.as_ref().map(|id| id.storage_id())))
    }
}

pub(crate) fn owner(state: &State) -> Option<String> {
    let raw = state.meta.get(USER)?;
    serde_json::from_str(raw).ok()
}

/// Every user's signed-in sessions, outside of any request. Made by
/// [`SessionLayer::users`](crate::SessionLayer::users) or [`Session::users`].
///
/// Each operation takes a small, fixed number of round trips however many sessions the user
/// has: the index read, one pipeline over the sessions, and the index update.
#[derive(Clone)]
pub struct UserSessions {
    context: Arc<Context>,
}

impl std::fmt::Debug for UserSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSessions").finish_non_exhaustive()
    }
}

impl UserSessions {
    pub(crate) fn new(context: Arc<Context>) -> Self {
        Self { context }
    }

    /// `user_id`'s live sessions, most recently seen first (none marked current).
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store could not be
    /// reached.
    pub async fn devices(&self, user_id: &str) -> Result<Vec<DeviceInfo>, SessionError> {
        check_user_id(user_id)?;
        self.list(user_id, None).await
    }

    /// Signs out `user_id`'s session named `handle`; `false` if the user has no such session.
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store could not be
    /// reached.
    pub async fn revoke(&self, user_id: &str, handle: &str) -> Result<bool, SessionError> {
        check_user_id(user_id)?;
        let Some(target) = StorageId::parse(handle) else {
            return Ok(false);
        };
        let store = &*self.context.store;
        if !self.indexed(user_id).await?.iter().any(|e| e.id == target) {
            return Ok(false);
        }
        // Record first, then entry: never a live unlisted session. A rename racing this either
        // fails to confirm (the old name is unlisted), or has already unlisted the old name, and
        // then nothing was revoked (see `index.rs`).
        let target = [target];
        let deleted = store.delete_many(&target).await?;
        let unlisted = store.index_remove(user_id, &target).await?;
        Ok(deleted + unlisted > 0)
    }

    /// Signs out every session of `user_id`; returns how many. Safe to repeat if interrupted.
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store could not be
    /// reached.
    pub async fn logout_all(&self, user_id: &str) -> Result<usize, SessionError> {
        check_user_id(user_id)?;
        Ok(self.sign_out(user_id, None, None).await?.0)
    }

    /// Drops `user_id`'s index entries whose session has expired; returns how many. Listing
    /// does the same on the way; call this where nothing lists (a nightly job, say).
    ///
    /// # Errors
    /// [`SessionError::InvalidUserId`], or [`SessionError::Store`] when the store could not be
    /// reached.
    pub async fn cleanup_expired(&self, user_id: &str) -> Result<usize, SessionError> {
        check_user_id(user_id)?;
        let store = &*self.context.store;
        // Pending entries are sessions being written: not stale, even where no record exists yet.
        let ids: Vec<StorageId> = self
            .indexed(user_id)
            .await?
            .into_iter()
            .filter(|entry| !entry.pending)
            .map(|entry| entry.id)
            .collect();
        let rows = store.read_many(&ids, &[USER]).await?;
        let stale: Vec<StorageId> = ids
            .into_iter()
            .zip(rows)
            .filter(|(_, row)| !belongs_to(row.as_deref(), user_id))
            .map(|(id, _)| id)
            .collect();
        Ok(store.index_remove(user_id, &stale).await?)
    }

    /// The entries of `user`'s index that are not past their absolute deadline.
    async fn indexed(&self, user: &str) -> Result<Vec<IndexEntry>, SessionError> {
        Ok(self.context.store.index_list(user, now_millis()).await?)
    }

    /// Signs out the user's sessions except `keep`, and their remember-me tokens except
    /// `keep_token`, in the order `index.rs` explains: the user's generation replaced first,
    /// the tokens revoked, then the sessions the index lists deleted and, last, their entries,
    /// so that an interruption leaves entries a retry deletes again, never a live unlisted
    /// session. Returns how many sessions, and the generation what was kept now carries.
    pub(crate) async fn sign_out(
        &self,
        user: &str,
        keep: Option<&StorageId>,
        keep_token: Option<&str>,
    ) -> Result<(usize, Option<String>), SessionError> {
        let store = &*self.context.store;
        let config = &self.context.config;
        let now = now_millis();
        let lifetime = config.expiry.absolute.max(config.remember.ttl);
        let keeps = keep.is_some() || keep_token.is_some();
        let kept = index::fence(store, user, keeps, now.saturating_add(millis(lifetime))).await?;
        let mut tokens = store.token_list(user, now).await?;
        tokens.retain(|token| Some(token.as_str()) != keep_token);
        if !tokens.is_empty() {
            store.token_revoke(user, &tokens).await?;
        }
        if let (Some(token), Some(generation)) = (keep_token, &kept) {
            store.token_restamp(token, generation).await?;
        }
        let mut ids: Vec<StorageId> = self
            .indexed(user)
            .await?
            .into_iter()
            .map(|entry| entry.id)
            .collect();
        ids.retain(|id| Some(id) != keep);
        store.delete_many(&ids).await?;
        store.index_remove(user, &ids).await?;
        Ok((ids.len(), kept))
    }

    async fn list(
        &self,
        user: &str,
        current: Option<&StorageId>,
    ) -> Result<Vec<DeviceInfo>, SessionError> {
        let store = &*self.context.store;
        let entries = self.indexed(user).await?;
        let ids: Vec<StorageId> = entries.iter().map(|entry| entry.id.clone()).collect();
        let rows = store.read_many(&ids, &LISTED_FIELDS).await?;
        let mut devices = Vec::with_capacity(ids.len());
        let mut stale = Vec::new();
        for (entry, row) in entries.into_iter().zip(rows) {
            match row.and_then(|row| device_info(&row, user, &entry.id, current)) {
                Some(device) => devices.push(device),
                // A pending entry's record may be about to be written: not stale.
                None if entry.pending => {}
                None => stale.push(entry.id),
            }
        }
        if !stale.is_empty() {
            store.index_remove(user, &stale).await?;
        }
        devices.sort_by_key(|device| std::cmp::Reverse(device.last_seen_at));
        Ok(devices)
    }
}

/// Whether a record's `$u` field (first of `row`) names `user`.
fn belongs_to(row: Option<&[Option<String>]>, user: &str) -> bool {
    row.and_then(|row| row.first()?.as_deref())
        .and_then(|raw| serde_json::from_str::<String>(raw).ok())
        .is_some_and(|owner| owner == user)
}

/// A listed session from its `$u`, `$d`, `$s`, `$a` fields; `None` if it is not `user`'s.
fn device_info(
    row: &[Option<String>],
    user: &str,
    id: &StorageId,
    current: Option<&StorageId>,
) -> Option<DeviceInfo> {
    if !belongs_to(Some(row), user) {
        return None;
    }
    let device: StoredDevice = serde_json::from_str(row.get(1)?.as_deref()?).ok()?;
    let last_seen = row
        .get(2)
        .and_then(Option::as_deref)
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(device.created_at);
    let last_activity = row
        .get(3)
        .and_then(Option::as_deref)
        .and_then(|raw| serde_json::from_str::<StoredActivity>(raw).ok())
        .map(|activity| Activity {
            action: activity.action,
            at: to_system_time(activity.at),
        });
    Some(DeviceInfo {
        handle: id.to_string(),
        label: device.label,
        user_agent: device.user_agent,
        ip: device.ip,
        created_at: to_system_time(device.created_at),
        last_seen_at: to_system_time(last_seen),
        last_activity,
        current: current == Some(id),
    })
}

fn token_cookie_set(state: &State) -> bool {
    matches!(state.remember_cookie, crate::cookie::CookieUpdate::Set(_))
}
