//! Writing a request's session back: a change to an existing record, a new record, an ID
//! cycle, a login (through `session/index.rs` when signed in), and what each outcome does to the
//! state.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{Data, Rotation, State};
use crate::codec::field_for_key;
use crate::config::SessionConfig;
use crate::cookie::CookieUpdate;
use crate::error::SessionError;
use crate::expiry::{Expiry, must_slide};
use crate::id::SessionId;
use crate::session::index::{self, Entered, Entering};
use crate::session::{Context, Login, SaveOutcome, SignIn, meta, sign_out};
use crate::store::{Caps, Change, IndexEntry, Written};
use crate::telemetry;
use crate::time::UnixMillis;

/// How many fresh IDs a write tries before giving up; a collision of 256-bit IDs means a broken
/// random source, not bad luck.
const ID_ATTEMPTS: usize = 3;

impl State {
    pub(crate) async fn flush(&mut self, context: &Context) -> Result<SaveOutcome, SessionError> {
        if !self.has_changes() {
            return Ok(SaveOutcome::Unchanged);
        }
        let now = UnixMillis::now();
        let new_deadline = context
            .config
            .timeouts
            .new_session_deadline(self.expiry, now);
        // The rarer writes are boxed: the future of every write holds the largest branch inline,
        // and past about 1 KiB it no longer fits the allocator's fast per-thread cache.
        let (outcome, expires_at) = match (self.id.clone(), self.rotation.take()) {
            (_, Some(Rotation::Login(login))) => (
                Box::pin(self.write_login(context, login, now)).await?,
                new_deadline,
            ),
            (None, Some(Rotation::Cycle)) | (None, None) => {
                (Box::pin(self.write_new(context, now)).await?, new_deadline)
            }
            (Some(current), rotation) => {
                self.write_existing(context, current, rotation.is_some(), now)
                    .await?
            }
        };
        self.finish_write(outcome, expires_at, &context.config)
    }

    /// Writes this request's changes to the stored session `current`, under a new ID if
    /// `cycle`. Returns the outcome and the record's expiry after it.
    async fn write_existing(
        &mut self,
        context: &Context,
        current: SessionId,
        cycle: bool,
        now: UnixMillis,
    ) -> Result<(Written, UnixMillis), SessionError> {
        // The session's own expiry as this request leaves it: a change of it is a cycle.
        let timeouts = &context.config.timeouts;
        let deadline = timeouts.deadline(current.created_at(), self.expiry, now);
        if deadline <= now {
            // The absolute deadline passed during this request, or the new expiry's time did:
            // the record is expiring, and must not live on under the old ID's deadline.
            if cycle {
                context.store.delete(&current.handle()).await?;
            }
            return Ok((Written::Gone, deadline));
        }
        let config = &context.config;
        let mut change = self.change(Caps {
            max_bytes: config.max_bytes,
            max_keys: config.max_keys,
        });
        change.base = self.revision.as_ref();
        let store = &*context.store;
        if cycle {
            // Boxed, as the rare writes in `flush` are.
            let moved = Box::pin(self.write_cycle(context, &current, &change, deadline)).await?;
            return Ok(match moved {
                NewId::Stored(new, ()) => {
                    self.id = Some(new);
                    self.revision = None;
                    (Written::Stored, deadline)
                }
                NewId::SignedOut => {
                    drop(change);
                    Box::pin(self.ended_in_rename(context, &current)).await?;
                    (Written::Gone, deadline)
                }
                NewId::Refused(refused) => (refused, deadline),
            });
        }
        // Usually this request's load has just slid the expiry; then the write leaves it.
        let kept = self.expires_at.filter(|&at| !must_slide(at, deadline, now));
        let written = store
            .update(
                &current.handle(),
                &change,
                kept.is_none().then_some(deadline),
            )
            .await?;
        self.revision = None;
        Ok((written, kept.unwrap_or(deadline)))
    }

    /// Moves the stored session `current` to a new ID with `change` applied. A signed-in
    /// session moves through [`index::enter`] (as one born under the generation it carries),
    /// which unlists the old name once the new one is confirmed: it stays listed at every
    /// instant, and a sign-out or a revocation that began before the move ends it.
    /// Returns the new ID, or why nothing moved.
    async fn write_cycle(
        &self,
        context: &Context,
        current: &SessionId,
        change: &Change<'_>,
        deadline: UnixMillis,
    ) -> Result<NewId<()>, SessionError> {
        let store = &*context.store;
        let from = &current.handle();
        let user = meta::owner(self);
        // A session stamped by no generation cannot prove it was born after the last sign-out.
        let born = meta::generation(self).unwrap_or_default();
        let (created, expiry) = (current.created_at(), self.expiry);
        let absolute = context.config.timeouts.absolute_deadline(created, expiry);
        with_fresh_id(created, expiry, |new| {
            let (user, born) = (user.as_deref(), born.as_str());
            async move {
                let to = new.handle();
                let Some(user) = user else {
                    return Ok(Attempt::of(store.cycle(from, &to, change, deadline).await?));
                };
                let entry = IndexEntry {
                    id: to.clone(),
                    expires_at: absolute,
                    pending: true,
                };
                let move_record = |_| store.cycle(from, &to, change, deadline);
                let renames = Some(from);
                let entered = index::enter(
                    store,
                    &Entering {
                        user,
                        entry: &entry,
                        born: Some(born),
                        renames,
                    },
                    move_record,
                )
                .await?;
                Ok(Attempt::from(entered).map(drop))
            }
        })
        .await
    }

    /// A rename of this signed-in session was undone by a sign-out or a revocation: the
    /// session has ended, and whatever the features keep for it ends with it, as at any
    /// sign-out of one session.
    async fn ended_in_rename(
        &mut self,
        context: &Context,
        renamed: &SessionId,
    ) -> Result<(), SessionError> {
        if let Some(user) = meta::owner(self) {
            let old = renamed.handle();
            sign_out::end_one(context, &user, &old, &self.meta, "this").await?;
        }
        self.reset();
        for feature in &context.features {
            feature.signed_out(self);
        }
        Ok(())
    }

    /// Creates a record for a session that has none yet, holding everything it has.
    async fn write_new(
        &mut self,
        context: &Context,
        now: UnixMillis,
    ) -> Result<Written, SessionError> {
        if self.data.is_empty() && self.meta.is_empty() {
            // Only removals of keys that were never stored: nothing to create.
            self.changes.clear();
            return Ok(Written::Stored);
        }
        let deadline = context
            .config
            .timeouts
            .new_session_deadline(self.expiry, now);
        let fields = EncodedFields::of_record(&self.data, &self.meta);
        let change = &fields.change();
        let store = &*context.store;
        let created = with_fresh_id(now, self.expiry, |new| async move {
            Ok(Attempt::of(
                store.create(&new.handle(), change, deadline).await?,
            ))
        })
        .await?;
        if let NewId::Stored(id, ()) = created {
            self.id = Some(id);
        }
        Ok(Written::Stored)
    }

    /// A password login, through the one sign-in write (`sign_in.rs`).
    async fn write_login(
        &mut self,
        context: &Context,
        login: Login,
        now: UnixMillis,
    ) -> Result<Written, SessionError> {
        let sign_in = SignIn {
            user: login.user,
            previous_owner: login.previous_owner,
            born: None,
            meta: self.meta.clone(),
            expiry: self.expiry,
        };
        let Some(new) = self.enter_sign_in(context, &sign_in, now).await? else {
            // A sign-out of the user ran meanwhile and won: nobody is signed in.
            self.drop_previous(context, sign_in.previous_owner.as_deref())
                .await?;
            telemetry::login("undone");
            return Ok(Written::Gone);
        };
        telemetry::login("signed_in");
        let signed_in = self.finish_sign_in(context, sign_in, new, true).await?;
        Ok(if signed_in {
            Written::Stored
        } else {
            Written::Gone
        })
    }

    fn finish_write(
        &mut self,
        outcome: Written,
        expires_at: UnixMillis,
        config: &SessionConfig,
    ) -> Result<SaveOutcome, SessionError> {
        telemetry::write(match outcome {
            Written::Stored => "stored",
            Written::Gone => "gone",
            Written::TooLarge { .. } => "too_large",
            Written::TooManyKeys => "too_many_keys",
            Written::IdTaken => "id_taken",
        });
        match outcome {
            Written::Stored => {
                self.expires_at = Some(expires_at);
                self.changes.clear();
                if self.cookie_id.as_ref() != self.id.as_ref() {
                    self.cookie = self
                        .id
                        .clone()
                        .map_or(CookieUpdate::Keep, CookieUpdate::Set);
                }
                Ok(SaveOutcome::Saved)
            }
            Written::Gone => {
                tracing::info!(
                    "session was deleted or expired during the request; changes dropped"
                );
                self.reset();
                Ok(SaveOutcome::Gone)
            }
            Written::IdTaken => Err(SessionError::BrokenContract(
                "an update reported a taken ID",
            )),
            // Concurrent writers made the stored session larger than this request saw.
            Written::TooLarge { size } => Err(SessionError::TooLarge {
                size,
                limit: config.max_bytes,
            }),
            Written::TooManyKeys => Err(SessionError::TooManyKeys {
                limit: config.max_keys,
            }),
        }
    }
}

/// What one try of a write under a new ID did.
pub(super) enum Attempt<T> {
    /// Written, with what the write found out on the way.
    Stored(T),
    /// The new ID was taken: another is drawn.
    IdTaken,
    /// A sign-out of the user, or a revocation of the session being renamed, got in the way:
    /// nothing of it is left.
    SignedOut,
    /// The store wrote nothing: the record to rename is gone, or the change breaks a cap.
    Refused(Written),
}

impl Attempt<()> {
    /// The attempt a plain store write makes.
    pub(super) fn of(written: Written) -> Self {
        match written {
            Written::Stored => Self::Stored(()),
            Written::IdTaken => Self::IdTaken,
            refused => Self::Refused(refused),
        }
    }
}

impl<T> Attempt<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Attempt<U> {
        match self {
            Self::Stored(value) => Attempt::Stored(f(value)),
            Self::IdTaken => Attempt::IdTaken,
            Self::SignedOut => Attempt::SignedOut,
            Self::Refused(written) => Attempt::Refused(written),
        }
    }
}

impl From<Entered> for Attempt<String> {
    fn from(entered: Entered) -> Self {
        match entered {
            Entered::Listed(generation) => Self::Stored(generation),
            Entered::SignedOut => Self::SignedOut,
            Entered::Refused(refused) => Attempt::of(refused).map(|()| String::new()),
        }
    }
}

/// What a write under a new ID did, once an ID was free.
pub(super) enum NewId<T> {
    /// Written under this ID.
    Stored(SessionId, T),
    /// See [`Attempt::SignedOut`].
    SignedOut,
    /// See [`Attempt::Refused`].
    Refused(Written),
}

/// Tries `write` with fresh IDs for a session created at `created` with its own `expiry` until
/// one is not taken (in practice, the first).
pub(super) async fn with_fresh_id<F, Fut, T>(
    created: UnixMillis,
    expiry: Option<Expiry>,
    mut write: F,
) -> Result<NewId<T>, SessionError>
where
    F: FnMut(SessionId) -> Fut,
    Fut: std::future::Future<Output = Result<Attempt<T>, SessionError>>,
{
    for _ in 0..ID_ATTEMPTS {
        let id = SessionId::generate_with(created, expiry).map_err(SessionError::Randomness)?;
        match write(id.clone()).await? {
            Attempt::Stored(value) => return Ok(NewId::Stored(id, value)),
            Attempt::IdTaken => {
                tracing::warn!("a fresh session ID was already taken; drawing another");
            }
            Attempt::SignedOut => return Ok(NewId::SignedOut),
            Attempt::Refused(refused) => return Ok(NewId::Refused(refused)),
        }
    }
    Err(SessionError::BrokenContract(
        "every fresh session ID was already taken",
    ))
}

/// The fields of a whole record, owned where escaping made them, so a [`Change`] can borrow them.
pub(super) struct EncodedFields<'a> {
    pub(super) set: Vec<(Cow<'a, str>, &'a str)>,
}

impl<'a> EncodedFields<'a> {
    /// Every field of a record: user data (escaped to field names) and metadata.
    pub(super) fn of_record(data: &'a Data, meta: &'a HashMap<String, String>) -> Self {
        let set: Vec<_> = data
            .iter()
            .map(|(key, value)| (field_for_key(key), value))
            .chain(
                meta.iter()
                    .map(|(field, value)| (Cow::Borrowed(field.as_str()), value.as_str())),
            )
            .collect();
        Self { set }
    }

    pub(super) fn change(&self) -> Change<'_> {
        Change {
            set: self.set.iter().map(|(f, v)| (f.as_ref(), *v)).collect(),
            remove: Vec::new(),
            base: None,
            caps: None,
        }
    }
}
