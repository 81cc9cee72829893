//! [`Session`]: one request's view of its session, loaded lazily and written back as a delta.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, MutexGuard};

use crate::codec::{self, field_cost, field_for_key};
use crate::config::Context;
use crate::cookie::CookieUpdate;
use crate::error::{SessionError, StoreError};
use crate::id::{SessionId, StorageId, now_millis};
use crate::store::{Change, Written};

/// How many fresh IDs a write tries before giving up; a collision of 256-bit IDs means a broken
/// random source, not bad luck.
const ID_ATTEMPTS: usize = 3;

/// The session of the current request.
///
/// Taken by handlers as an axum extractor (which loads it, so a store outage rejects the request
/// with 503 before the handler runs) or read from request extensions by other middleware (then
/// loaded on first use). Clones share the same state.
///
/// Changes are kept in the handle and written when the response passes back through the layer:
/// only the keys that changed, in one round trip, and only if the record still exists. Nothing
/// is stored for a visitor until the session holds data.
///
/// ```no_run
/// use tower_redis_session::{Session, SessionError};
///
/// async fn visit(session: Session) -> Result<String, SessionError> {
///     let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
///     session.insert("visits", &visits).await?;
///     Ok(format!("visit number {visits}"))
/// }
/// ```
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
}

struct Shared {
    context: Arc<Context>,
    /// Set on first use, so the layer can skip untouched sessions without taking the lock.
    touched: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The well-formed ID the request's cookie carried, whether or not a record exists for it.
    cookie_id: Option<SessionId>,
    loaded: bool,
    /// The ID of the stored record; `None` until one exists.
    id: Option<SessionId>,
    /// The record's deadline as of the last load or write, Unix milliseconds.
    expires_at: Option<u64>,
    /// Current values (stored values with this request's changes applied), as JSON text.
    data: HashMap<String, String>,
    /// Keys changed by this request: a new JSON value, or `None` for removed.
    changes: HashMap<String, Option<String>>,
    /// Bytes the data counts against the size cap.
    size: usize,
    cycle_pending: bool,
    cookie: CookieUpdate,
}

/// What an explicit [`Session::save`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum SaveOutcome {
    /// There was nothing to write.
    Unchanged,
    /// The changes were written.
    Saved,
    /// The session was deleted or expired meanwhile; nothing was written and it is not
    /// recreated. The response expires the cookie.
    Gone,
}

/// What the layer must do with a session once the handler has answered.
pub(crate) enum Finish {
    /// The handler never used the session: no store command, no cookie.
    Untouched,
    /// Nothing to write; send this Set-Cookie header, if any.
    Done(Option<HeaderValue>),
    /// Changes must be written first (see [`Session::finish`]).
    Write,
}

impl Session {
    pub(crate) fn new(context: Arc<Context>, cookie_id: Option<SessionId>) -> Self {
        Self {
            shared: Arc::new(Shared {
                context,
                touched: AtomicBool::new(false),
                state: Mutex::new(State {
                    cookie_id,
                    ..State::default()
                }),
            }),
        }
    }

    /// Loads the session if this request has not yet; every other method calls it.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store cannot be reached; the next call tries again.
    pub async fn load(&self) -> Result<(), SessionError> {
        self.loaded().await.map(drop)
    }

    async fn loaded(&self) -> Result<MutexGuard<'_, State>, SessionError> {
        self.shared.touched.store(true, Ordering::Release);
        let mut state = self.shared.state.lock().await;
        if !state.loaded {
            if let Some(id) = state.cookie_id.clone() {
                let context = &self.shared.context;
                let now = now_millis();
                let deadline = context.config.expiry.deadline(id.created_at(), now);
                let fields = if deadline > now {
                    context.store.load(&id.storage_id(), deadline).await?
                } else {
                    // Past its absolute deadline: its record has expired or is about to.
                    None
                };
                match fields {
                    None => tracing::debug!("session cookie names no live session; not adopted"),
                    Some(fields) => match codec::decode_fields(fields) {
                        Err(error) => tracing::warn!(
                            error = &error as &dyn std::error::Error,
                            "corrupt session record; starting a new session"
                        ),
                        Ok(data) => {
                            state.size = data.iter().map(|(k, v)| field_cost(k, v)).sum();
                            state.data = data;
                            state.id = Some(id);
                            state.expires_at = Some(deadline);
                        }
                    },
                }
            }
            state.loaded = true;
        }
        Ok(state)
    }

    /// The value stored under `key`, or `None`.
    ///
    /// # Errors
    /// [`SessionError::Decode`] when the stored value is not a `T`; [`SessionError::Store`] when
    /// the session could not be loaded.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let state = self.loaded().await?;
        state
            .data
            .get(key)
            .map(|raw| {
                serde_json::from_str(raw).map_err(|source| SessionError::Decode {
                    key: key.to_owned(),
                    source,
                })
            })
            .transpose()
    }

    /// Stores `value` under `key`. Setting a key to the value it already has changes nothing.
    ///
    /// # Errors
    /// [`SessionError::TooLarge`] or [`SessionError::TooManyKeys`] when the session would exceed
    /// its caps (the session is left unchanged); [`SessionError::Encode`] when `value` does not
    /// serialize; [`SessionError::Store`] when the session could not be loaded.
    pub async fn insert<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), SessionError> {
        let raw = serde_json::to_string(value).map_err(|source| SessionError::Encode {
            key: key.to_owned(),
            source,
        })?;
        let mut state = self.loaded().await?;
        let config = &self.shared.context.config;
        state.set(key, raw, config.max_bytes, config.max_keys)
    }

    /// Removes `key`; returns whether it was present.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn remove(&self, key: &str) -> Result<bool, SessionError> {
        let mut state = self.loaded().await?;
        Ok(state.unset(key))
    }

    /// Removes every key. The session itself (its ID and lifetime) stays.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn clear(&self) -> Result<(), SessionError> {
        let mut state = self.loaded().await?;
        let keys: Vec<String> = state.data.keys().cloned().collect();
        for key in keys {
            state.unset(&key);
        }
        Ok(())
    }

    /// Whether the session holds no keys.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn is_empty(&self) -> Result<bool, SessionError> {
        Ok(self.loaded().await?.data.is_empty())
    }

    /// Gives the session a new ID, keeping its data and creation time: call it whenever the
    /// user's privileges change (at login) to defeat session fixation. The move happens in one
    /// atomic step when the response is written (or at [`save`](Self::save)): the new ID works
    /// from the instant the old one stops.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn cycle_id(&self) -> Result<(), SessionError> {
        let mut state = self.loaded().await?;
        state.cycle_pending = state.id.is_some();
        Ok(())
    }

    /// Deletes the session now (logout): the record is removed from the store and the response
    /// expires the cookie. Inserting afterwards starts a new session with a new ID.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached; the session is then unchanged.
    pub async fn delete(&self) -> Result<(), SessionError> {
        self.shared.touched.store(true, Ordering::Release);
        let mut state = self.shared.state.lock().await;
        // The cookie's ID is enough to delete: no need to load the record first.
        let target = state.id.clone().or_else(|| state.cookie_id.clone());
        if let Some(id) = target {
            self.shared.context.store.delete(&id.storage_id()).await?;
        }
        let had_cookie = state.cookie_id.is_some() || state.id.is_some();
        *state = State {
            loaded: true,
            cookie: if had_cookie {
                CookieUpdate::Remove
            } else {
                CookieUpdate::Keep
            },
            ..State::default()
        };
        Ok(())
    }

    /// Writes pending changes now instead of when the response is sent.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the store could not be reached; the changes stay pending.
    pub async fn save(&self) -> Result<SaveOutcome, SessionError> {
        let mut state = self.shared.state.lock().await;
        state.flush(&self.shared.context).await
    }

    /// When the session was created, or `None` if it is not stored (yet).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn created_at(&self) -> Result<Option<SystemTime>, SessionError> {
        let state = self.loaded().await?;
        Ok(state.id.as_ref().map(|id| to_system_time(id.created_at())))
    }

    /// When the session expires if left idle (never later than its absolute deadline), as of
    /// its last load or write; `None` if it is not stored (yet).
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn expires_at(&self) -> Result<Option<SystemTime>, SessionError> {
        Ok(self.loaded().await?.expires_at.map(to_system_time))
    }

    /// Decides, without waiting, what the layer does now that the handler has answered.
    /// `save` is false for 5xx responses, whose changes are dropped.
    pub(crate) fn try_finish(&self, save: bool) -> Finish {
        if !self.shared.touched.load(Ordering::Acquire) {
            return Finish::Untouched;
        }
        let Ok(mut state) = self.shared.state.try_lock() else {
            return Finish::Write;
        };
        if save && state.has_changes() {
            return Finish::Write;
        }
        Finish::Done(state.cookie_header(&self.shared.context))
    }

    /// Writes pending changes (if `save`) and returns the Set-Cookie header to send.
    pub(crate) async fn finish(&self, save: bool) -> Result<Option<HeaderValue>, SessionError> {
        let mut state = self.shared.state.lock().await;
        if save {
            // A `Gone` outcome needs nothing more here: it already set a removal cookie.
            let _outcome = state.flush(&self.shared.context).await?;
        }
        Ok(state.cookie_header(&self.shared.context))
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

fn to_system_time(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

impl State {
    fn has_changes(&self) -> bool {
        !self.changes.is_empty() || self.cycle_pending
    }

    fn set(
        &mut self,
        key: &str,
        raw: String,
        max_bytes: usize,
        max_keys: usize,
    ) -> Result<(), SessionError> {
        let old = self.data.get(key);
        if old == Some(&raw) {
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
        self.changes.insert(key.to_owned(), Some(raw.clone()));
        self.data.insert(key.to_owned(), raw);
        Ok(())
    }

    fn unset(&mut self, key: &str) -> bool {
        let Some(old) = self.data.remove(key) else {
            return false;
        };
        self.size -= field_cost(key, &old);
        self.changes.insert(key.to_owned(), None);
        true
    }

    /// Forgets the record: it was deleted or expired behind this request's back.
    fn gone(&mut self) {
        tracing::info!("session was deleted or expired during the request; changes dropped");
        let cookie_id = self.cookie_id.take();
        *self = State {
            loaded: true,
            cookie: CookieUpdate::Remove,
            cookie_id,
            ..State::default()
        };
    }

    async fn flush(&mut self, context: &Context) -> Result<SaveOutcome, SessionError> {
        if !self.has_changes() {
            return Ok(SaveOutcome::Unchanged);
        }
        let store = &*context.store;
        let now = now_millis();
        let created = self.id.as_ref().map_or(now, SessionId::created_at);
        let deadline = context.config.expiry.deadline(created, now);
        if deadline <= now {
            // The absolute deadline passed during this request: the record is expiring.
            self.gone();
            return Ok(SaveOutcome::Gone);
        }
        let outcome = match self.id.clone() {
            None => {
                if self.data.is_empty() {
                    // Only removals of keys that were never stored: nothing to create.
                    self.changes.clear();
                    return Ok(SaveOutcome::Unchanged);
                }
                let fields = encode_fields(self.data.iter().map(|(k, v)| (k, Some(v))));
                let change = &fields.change();
                let (id, written) = with_fresh_id(created, move |new| async move {
                    store.create(&new, change, deadline).await
                })
                .await?;
                if written == Written::Stored {
                    self.id = Some(id);
                }
                written
            }
            Some(current) => {
                let fields = encode_fields(self.changes.iter().map(|(k, v)| (k, v.as_ref())));
                let change = &fields.change();
                if self.cycle_pending {
                    let from = &current.storage_id();
                    let (id, written) = with_fresh_id(created, move |new| async move {
                        store.cycle(from, &new, change, deadline).await
                    })
                    .await?;
                    if written == Written::Stored {
                        self.id = Some(id);
                    }
                    written
                } else {
                    store
                        .update(&current.storage_id(), change, deadline)
                        .await?
                }
            }
        };
        match outcome {
            Written::Stored => {
                self.expires_at = Some(deadline);
                self.changes.clear();
                if self.cycle_pending || self.cookie_id.as_ref() != self.id.as_ref() {
                    self.cookie = self
                        .id
                        .clone()
                        .map_or(CookieUpdate::Keep, CookieUpdate::Set);
                }
                self.cycle_pending = false;
                Ok(SaveOutcome::Saved)
            }
            Written::Gone => {
                self.gone();
                Ok(SaveOutcome::Gone)
            }
            Written::IdTaken => Err(SessionError::Store(StoreError::UnexpectedReply(
                "an update reported a taken ID".to_owned(),
            ))),
        }
    }

    /// The Set-Cookie header this response needs, if any.
    fn cookie_header(&mut self, context: &Context) -> Option<HeaderValue> {
        // A cookie that named no live session is expired, so the browser stops sending it.
        if self.loaded
            && self.cookie == CookieUpdate::Keep
            && self.id.is_none()
            && self.cookie_id.is_some()
        {
            self.cookie = CookieUpdate::Remove;
        }
        context.config.cookie.header(&self.cookie)
    }
}

/// Tries `write` with fresh IDs for a session created at `created` until one is not taken (in
/// practice, the first).
async fn with_fresh_id<F, Fut>(
    created: u64,
    mut write: F,
) -> Result<(SessionId, Written), SessionError>
where
    F: FnMut(StorageId) -> Fut,
    Fut: std::future::Future<Output = Result<Written, StoreError>>,
{
    for _ in 0..ID_ATTEMPTS {
        let id = SessionId::generate_created_at(created).map_err(SessionError::Randomness)?;
        let written = write(id.storage_id()).await?;
        if written != Written::IdTaken {
            return Ok((id, written));
        }
        tracing::warn!("a fresh session ID was already taken; drawing another");
    }
    Err(SessionError::Store(StoreError::UnexpectedReply(
        "every fresh session ID was already taken".to_owned(),
    )))
}

/// Field names (escaped from user keys) and values of a change, owned so a [`Change`] can
/// borrow them.
struct EncodedFields<'a> {
    set: Vec<(Cow<'a, str>, &'a str)>,
    remove: Vec<Cow<'a, str>>,
}

fn encode_fields<'a>(
    entries: impl Iterator<Item = (&'a String, Option<&'a String>)>,
) -> EncodedFields<'a> {
    let mut fields = EncodedFields {
        set: Vec::new(),
        remove: Vec::new(),
    };
    for (key, value) in entries {
        let field = field_for_key(key);
        match value {
            Some(value) => fields.set.push((field, value)),
            None => fields.remove.push(field),
        }
    }
    fields
}

impl EncodedFields<'_> {
    fn change(&self) -> Change<'_> {
        Change {
            set: self.set.iter().map(|(f, v)| (f.as_ref(), *v)).collect(),
            remove: self.remove.iter().map(AsRef::as_ref).collect(),
        }
    }
}
