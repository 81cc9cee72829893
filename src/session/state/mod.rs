//! A request's session state: what was loaded, what changed, and how it is written back.

mod data;
mod sign_in;
mod write;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use http::HeaderValue;

use self::data::Data;
pub(crate) use self::sign_in::SignIn;
use super::Context;
use super::old_names::{OldCookie, current_name};
use crate::codec::{field_cost, field_for_key, key_of_field};
use crate::cookie::{CookieUpdate, RawCookies};
use crate::error::SessionError;
use crate::expiry::Expiry;
use crate::id::SessionId;
use crate::store::{Caps, Change, Field, Revision};
use crate::time::UnixMillis;

#[derive(Default)]
pub(crate) struct State {
    /// The well-formed ID the request's cookie carried, whether or not a record exists for it.
    pub(crate) cookie_id: Option<SessionId>,
    /// The request's cookie was protected with a previous key, or sent under an old name: the
    /// response re-issues it.
    pub(crate) reissue_cookie: bool,
    /// The request's cookies under old names, which the response expires.
    pub(crate) old_cookies: Vec<OldCookie>,
    pub(crate) loaded: bool,
    /// The ID of the stored record; `None` until one exists.
    pub(crate) id: Option<SessionId>,
    /// The record's deadline as of the last load or write, Unix milliseconds.
    pub(crate) expires_at: Option<UnixMillis>,
    /// The session's own expiry: the one its ID carries, or the one the next write gives it.
    pub(crate) expiry: Option<Expiry>,
    /// The store's revision of the record as loaded; dropped once this request writes it.
    pub(crate) revision: Option<Revision>,
    /// User data: current values (stored values with this request's changes applied), as JSON.
    pub(crate) data: Data,
    /// The crate's own metadata fields (`$`-prefixed), as JSON.
    pub(crate) meta: HashMap<String, String>,
    /// Names of the fields this request changed. Their values are the current ones in `data` or
    /// `meta`; a changed field in neither was removed.
    changes: HashSet<String>,
    /// Bytes the user data counts against the size cap.
    pub(crate) size: usize,
    /// The ID must change at the next write.
    rotation: Option<Rotation>,
    pub(crate) cookie: CookieUpdate<SessionId>,
    /// Ask the browser to drop its cookies for this site (`Clear-Site-Data`).
    pub(crate) clear_site_data: bool,
    /// The session was deleted, or found gone, during this request: nothing may sign it back
    /// in before the response.
    #[cfg_attr(
        not(feature = "remember-me"),
        expect(
            dead_code,
            reason = "for a sign-in with a credential: only remember-me has one"
        )
    )]
    pub(crate) ended: bool,
    /// What each feature keeps for this request (see `session/feature.rs`), by type.
    pub(crate) features: http::Extensions,
}

/// A pending ID change.
enum Rotation {
    /// Same session, new name (`cycle_id`): the record moves atomically, creation time kept.
    Cycle,
    /// A login: a new record with a new lifetime, entered in the user's index first.
    Login(Login),
}

/// What a pending login must do to the user indexes.
pub(crate) struct Login {
    pub(crate) user: String,
    /// The user who owned the session before, if any, whose index must lose it.
    pub(crate) previous_owner: Option<String>,
}

impl State {
    /// The state of a request that carried `cookies`, made at the session's first use. Reading
    /// is pure parsing: a malformed or oversized value is simply absent.
    pub(crate) fn read(cookies: &RawCookies, context: &Context) -> Self {
        let session = &context.config.cookie;
        let mut state = Self::default();
        for (name, value) in cookies.pairs() {
            // A cookie under an old name stands in for a current one the request lacks.
            let (name, old) = match current_name(name, context) {
                Some(current) => {
                    state.old_cookies.push(OldCookie::new(name, current, value));
                    if cookies.pairs().any(|(other, _)| other == current) {
                        continue;
                    }
                    (current, true)
                }
                None => (name, false),
            };
            if session.is_named(name) {
                if state.cookie_id.is_none()
                    && let Some((id, previous_key)) = session.read(value)
                {
                    state.cookie_id = Some(id);
                    state.reissue_cookie = previous_key || old;
                }
                continue;
            }
            for feature in &context.features {
                if feature.read_cookie(name, value, &mut state) {
                    if let (true, Some(cookie)) = (old, state.old_cookies.last_mut()) {
                        cookie.read = true;
                    }
                    break;
                }
            }
        }
        state
    }

    /// Takes the user data among a loaded record's `fields`, and counts its size.
    pub(crate) fn set_loaded_data(&mut self, fields: Arc<[Field]>) {
        self.data = Data::loaded(fields);
        self.size = self.data.iter().map(|(k, v)| field_cost(k, v)).sum();
    }

    pub(crate) fn has_changes(&self) -> bool {
        !self.changes.is_empty() || self.rotation.is_some()
    }

    /// Sets a user key, within the caps.
    pub(crate) fn set(
        &mut self,
        key: &str,
        raw: String,
        max_bytes: usize,
        max_keys: usize,
    ) -> Result<(), SessionError> {
        let old = self.data.get(key);
        if old == Some(raw.as_str()) {
            return Ok(());
        }
        let old_cost = old.map_or(0, |value| field_cost(key, value));
        let size = self.size - old_cost + field_cost(key, &raw);
        if size > max_bytes {
            return Err(SessionError::TooLarge {
                size,
                limit: max_bytes,
            });
        }
        if old.is_none() && self.data.len() >= max_keys {
            return Err(SessionError::TooManyKeys { limit: max_keys });
        }
        self.size = size;
        self.mark_changed(&field_for_key(key));
        self.data.insert(key, raw);
        Ok(())
    }

    /// Removes a user key; returns whether it was present.
    pub(crate) fn unset(&mut self, key: &str) -> bool {
        let Some(old) = self.data.remove(key) else {
            return false;
        };
        self.size -= field_cost(key, &old);
        self.mark_changed(&field_for_key(key));
        true
    }

    /// Removes every user key.
    pub(crate) fn clear_data(&mut self) {
        let keys: Vec<String> = self.data.iter().map(|(key, _)| key.to_owned()).collect();
        for key in keys {
            self.unset(&key);
        }
    }

    /// Sets a metadata field.
    pub(crate) fn set_meta(&mut self, field: &str, raw: String) {
        if self.meta.get(field) != Some(&raw) {
            self.mark_changed(field);
            self.meta.insert(field.to_owned(), raw);
        }
    }

    /// Removes a metadata field.
    pub(crate) fn unset_meta(&mut self, field: &str) {
        if self.meta.remove(field).is_some() {
            self.mark_changed(field);
        }
    }

    fn mark_changed(&mut self, field: &str) {
        if !self.changes.contains(field) {
            self.changes.insert(field.to_owned());
        }
    }

    /// Asks for a new ID at the next write, keeping the creation time.
    pub(crate) fn cycle(&mut self) {
        if self.id.is_some() && self.rotation.is_none() {
            self.rotation = Some(Rotation::Cycle);
        }
    }

    /// Gives the session its own expiry, or the layer's for `None`. The expiry rides in the ID,
    /// so a stored session moves to a new ID at the next write.
    pub(crate) fn set_expiry(&mut self, expiry: Option<Expiry>) {
        if self.expiry != expiry {
            self.expiry = expiry;
            self.cycle();
        }
    }

    /// Asks for a new ID and lifetime at the next write, entered in `login.user`'s index.
    pub(crate) fn rotate_for_login(&mut self, login: Login) {
        self.rotation = Some(Rotation::Login(login));
    }

    /// Forgets the session: its record is gone (deleted here, or behind this request's back).
    /// What the features keep stays: their cookies outlive the session.
    pub(crate) fn reset(&mut self) {
        let had_cookie = self.cookie_id.is_some() || self.id.is_some();
        let cookie_id = self.cookie_id.take();
        let features = std::mem::take(&mut self.features);
        let old_cookies = std::mem::take(&mut self.old_cookies);
        let clear_site_data = self.clear_site_data;
        *self = State {
            loaded: true,
            cookie: if had_cookie {
                CookieUpdate::Remove
            } else {
                CookieUpdate::Keep
            },
            cookie_id,
            old_cookies,
            clear_site_data,
            ended: true,
            features,
            ..State::default()
        };
    }

    /// Hides the loaded session from this request, which a feature found may not use it (a
    /// device-bound session without its device's proof): the request proceeds as a visitor's,
    /// and writes nothing to that session. The browser's cookie is left alone: the browser
    /// that holds the device may still prove itself.
    #[cfg_attr(
        not(feature = "dbsc"),
        expect(
            dead_code,
            reason = "an extension point: only a guarding feature calls it"
        )
    )]
    pub(crate) fn conceal(&mut self) {
        let features = std::mem::take(&mut self.features);
        let old_cookies = std::mem::take(&mut self.old_cookies);
        *self = State {
            loaded: true,
            old_cookies,
            features,
            ..State::default()
        };
    }

    /// The fields this request changed, with their current values, and the caps the store
    /// holds the record to.
    fn change(&self, caps: Caps) -> Change<'_> {
        let mut change = Change {
            set: Vec::with_capacity(self.changes.len()),
            remove: Vec::new(),
            base: None,
            caps: Some(caps),
        };
        for field in &self.changes {
            let value = match key_of_field(field) {
                Some(key) => self.data.get(key),
                None => self.meta.get(field).map(String::as_str),
            };
            match value {
                Some(value) => change.set.push((field, value)),
                None => change.remove.push(field),
            }
        }
        change
    }

    /// Becomes the stored session `id` (created elsewhere in this request): its metadata,
    /// and the data among its `fields` if given (otherwise this state's data, already written
    /// there).
    pub(crate) fn adopt(
        &mut self,
        id: SessionId,
        fields: Option<Arc<[Field]>>,
        meta: HashMap<String, String>,
        deadline: UnixMillis,
    ) {
        if let Some(fields) = fields {
            self.set_loaded_data(fields);
        }
        self.meta = meta;
        self.changes.clear();
        self.rotation = None;
        self.expires_at = Some(deadline);
        self.revision = None;
        self.cookie = CookieUpdate::Set(id.clone());
        self.expiry = id.expiry();
        self.id = Some(id);
    }

    /// The Set-Cookie header this response needs, if any.
    pub(crate) fn cookie_header(&mut self, context: &Context) -> Option<HeaderValue> {
        // A cookie that named no live session is expired, so the browser stops sending it.
        if self.loaded
            && self.cookie == CookieUpdate::Keep
            && self.id.is_none()
            && self.cookie_id.is_some()
        {
            self.cookie = CookieUpdate::Remove;
        }
        if self.reissue_cookie
            && self.cookie == CookieUpdate::Keep
            && self.id.is_some()
            && self.id == self.cookie_id
        {
            self.cookie = self
                .id
                .clone()
                .map_or(CookieUpdate::Keep, CookieUpdate::Set);
        }
        context.config.cookie_header(&self.cookie)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BYTES: usize = 100;
    const KEYS: usize = 3;

    fn set(state: &mut State, key: &str, raw: &str) -> Result<(), SessionError> {
        state.set(key, raw.to_owned(), BYTES, KEYS)
    }

    #[test]
    fn a_set_counts_its_key_and_value() {
        let mut state = State::default();
        set(&mut state, "name", "\"alice\"").unwrap();
        assert_eq!(state.size, 4 + 7);
        set(&mut state, "name", "\"bo\"").unwrap();
        assert_eq!(state.size, 4 + 4, "a replaced value no longer counts");
    }

    #[test]
    fn an_unset_gives_back_what_the_key_counted() {
        let mut state = State::default();
        set(&mut state, "a", "1").unwrap();
        set(&mut state, "bb", "22").unwrap();
        assert!(state.unset("a"));
        assert_eq!(state.size, 4);
        assert!(!state.unset("a"), "already gone");
        assert_eq!(state.size, 4);
    }

    #[test]
    fn a_set_past_the_byte_cap_changes_nothing() {
        let mut state = State::default();
        set(&mut state, "a", &"1".repeat(90)).unwrap();
        let refused = set(&mut state, "b", &"2".repeat(10)).unwrap_err();
        assert!(matches!(
            refused,
            SessionError::TooLarge {
                size: 102,
                limit: BYTES
            }
        ));
        assert_eq!(state.size, 91);
        assert_eq!(state.data.get("b"), None);
        assert!(!state.changes.contains("b"), "nothing to write");
    }

    #[test]
    fn a_set_past_the_key_cap_is_refused_but_replacing_a_key_is_not() {
        let mut state = State::default();
        for key in ["a", "b", "c"] {
            set(&mut state, key, "1").unwrap();
        }
        let refused = set(&mut state, "d", "1").unwrap_err();
        assert!(matches!(refused, SessionError::TooManyKeys { limit: KEYS }));
        set(&mut state, "c", "2").unwrap();
        assert_eq!(state.data.get("c"), Some("2"));
    }

    #[test]
    fn setting_the_value_a_key_has_is_no_change() {
        let mut state = State::default();
        state.data.insert("a", "1".to_owned());
        state.size = 2;
        set(&mut state, "a", "1").unwrap();
        assert!(!state.has_changes());
    }
}
