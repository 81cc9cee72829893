//! The devices users sign in from, as the application describes them and as the device list
//! shows them.

use std::collections::HashMap;
use std::time::SystemTime;

use http::HeaderMap;
use http::header::USER_AGENT;
use serde::{Deserialize, Serialize};

use crate::id::Handle;
use crate::session::meta::{DEVICE, GENERATION, LAST_SEEN, USER, json};
use crate::time::{UnixMillis, to_system_time};

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

/// One of a user's signed-in sessions, as [`Session::devices`](crate::Session::devices) lists it.
///
/// Serializes as a JSON object of these fields, by these names, with times in RFC 3339 (UTC,
/// milliseconds: `"2026-12-02T06:42:43.123Z"`), ready for a device-list API:
/// `Json(session.devices().await?)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// Public handle naming the session in [`Session::revoke`](crate::Session::revoke); it cannot be turned into a
    /// cookie.
    pub handle: String,
    /// The label given at login.
    pub label: Option<String>,
    /// The user agent given at login.
    pub user_agent: Option<String>,
    /// The IP address given at login.
    pub ip: Option<String>,
    /// When the user signed in on this device.
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub created_at: SystemTime,
    /// When the session was last used (updated at most once per
    /// [`last_seen_interval`](crate::SessionLayerBuilder::last_seen_interval)).
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub last_seen_at: SystemTime,
    /// The last activity recorded with [`Session::track_activity`](crate::Session::track_activity).
    pub last_activity: Option<Activity>,
    /// Whether this is the session of the request that asked.
    pub current: bool,
    /// Whether the session is bound to a key its browser keeps (feature `dbsc`): its cookies
    /// copied elsewhere do not sign in.
    pub bound: bool,
}

/// An activity recorded with [`Session::track_activity`](crate::Session::track_activity).
/// Serializes as `{"action": …, "at": …}`, `at` in RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// What the user did, as the application named it.
    pub action: String,
    /// When.
    #[serde(serialize_with = "crate::time::serialize_rfc3339")]
    pub at: SystemTime,
}

#[derive(Serialize, Deserialize)]
pub(super) struct StoredDevice {
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
pub(super) struct StoredActivity {
    action: String,
    at: u64,
}

pub(super) fn cut(text: Option<String>) -> Option<String> {
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

/// The stored form of an activity at `at` (Unix ms).
pub(super) fn activity_json(action: &str, at: UnixMillis) -> String {
    json(&StoredActivity {
        action: cut(Some(action.to_owned())).unwrap_or_default(),
        at: at.0,
    })
}

/// The stored form of a device.
pub(crate) fn device_json(device: Device, now: UnixMillis) -> String {
    json(&StoredDevice {
        label: cut(device.label),
        user_agent: cut(device.user_agent),
        ip: cut(device.ip),
        created_at: now.0,
    })
}

/// The stored device of a session that a credential issued to `issued_to` (a stored device)
/// signs in: the label it was issued with, and the user agent and IP of the request that
/// presented it (a copied credential shows up as the browser that used it, not as the victim's).
#[cfg_attr(
    not(feature = "remember-me"),
    expect(
        dead_code,
        reason = "for a sign-in with a credential: only remember-me has one"
    )
)]
pub(crate) fn presented_device_json(issued_to: &str, using: Device, now: UnixMillis) -> String {
    let label = serde_json::from_str::<StoredDevice>(issued_to)
        .ok()
        .and_then(|device| device.label);
    json(&StoredDevice {
        label,
        user_agent: cut(using.user_agent),
        ip: cut(using.ip),
        created_at: now.0,
    })
}

/// The metadata of a session signed in for `user` on `device` (its stored form), born under
/// the sign-out `generation`.
#[cfg_attr(
    not(feature = "remember-me"),
    expect(
        dead_code,
        reason = "for a sign-in with a credential: only remember-me has one"
    )
)]
pub(crate) fn signed_in_meta(
    user: &str,
    device: String,
    generation: &str,
    now: UnixMillis,
) -> HashMap<String, String> {
    HashMap::from([
        (USER.to_owned(), json(&user)),
        (DEVICE.to_owned(), device),
        (LAST_SEEN.to_owned(), now.to_string()),
        (GENERATION.to_owned(), json(&generation)),
    ])
}

/// Whether a record's `$u` field (first of `row`) names `user`.
pub(super) fn belongs_to(row: Option<&[Option<String>]>, user: &str) -> bool {
    row.and_then(|row| row.first()?.as_deref())
        .and_then(|raw| serde_json::from_str::<String>(raw).ok())
        .is_some_and(|owner| owner == user)
}

/// A listed session from its `$u`, `$d`, `$s`, `$a`, `$b` fields; `None` if it is not `user`'s.
pub(super) fn device_info(
    row: &[Option<String>],
    user: &str,
    id: &Handle,
    current: Option<&Handle>,
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
            at: to_system_time(UnixMillis(activity.at)),
        });
    Some(DeviceInfo {
        handle: id.to_string(),
        label: device.label,
        user_agent: device.user_agent,
        ip: device.ip,
        created_at: to_system_time(UnixMillis(device.created_at)),
        last_seen_at: to_system_time(UnixMillis(last_seen)),
        last_activity,
        current: current == Some(id),
        bound: row.get(4).is_some_and(Option::is_some),
    })
}
