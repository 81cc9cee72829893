//! Signing in: the one write every way in takes (a password login at write-back, a remember-me
//! token at load). A new session with a new ID and lifetime is written and entered in the
//! user's index under the sign-out generation of its proof ([`State::enter_sign_in`]); once the
//! way in publishes it (a remember-me rotation must win first), it becomes the request's
//! ([`State::finish_sign_in`]): the old session deleted and unlisted, the features'
//! `logged_in` hooks run, and the user's session limit kept.

use std::collections::HashMap;

use super::State;
use super::write::{Attempt, EncodedFields, NewId, with_fresh_id};
use crate::error::SessionError;
use crate::expiry::Expiry;
use crate::id::SessionId;
use crate::session::index::{self, Entering};
use crate::session::{Context, meta, sign_out};
use crate::store::IndexEntry;
use crate::time::UnixMillis;

/// A sign-in about to be written.
pub(crate) struct SignIn {
    pub(crate) user: String,
    /// The user whose index lists the session this request had, if anyone's.
    pub(crate) previous_owner: Option<String>,
    /// The user's sign-out generation when the proof was issued (a remember-me token's);
    /// `None` for a proof given now (a password). A proof older than the user's last sign-out
    /// of all devices signs nobody in.
    pub(crate) born: Option<String>,
    /// The new session's metadata; the write stamps its generation.
    pub(crate) meta: HashMap<String, String>,
    /// The new session's own expiry.
    pub(crate) expiry: Option<Expiry>,
}

/// A new signed-in session, written and listed, not yet the request's.
pub(crate) struct NewSession {
    pub(crate) id: SessionId,
    generation: String,
    deadline: UnixMillis,
}

impl State {
    /// Writes a new session for `sign_in` holding this request's data, listed in the user's
    /// index. `None` when a sign-out of the user got in the way: nothing was written.
    pub(crate) async fn enter_sign_in(
        &self,
        context: &Context,
        sign_in: &SignIn,
        now: UnixMillis,
    ) -> Result<Option<NewSession>, SessionError> {
        let store = &*context.store;
        let timeouts = context.config.timeouts;
        let deadline = timeouts.new_session_deadline(sign_in.expiry, now);
        let entry_deadline = timeouts.absolute_deadline(now, sign_in.expiry);
        let mut meta = sign_in.meta.clone();
        meta.remove(meta::GENERATION);
        let fields = EncodedFields::of_record(&self.data, &meta);
        let (fields, user, born) = (&fields, sign_in.user.as_str(), sign_in.born.as_deref());
        let entered = with_fresh_id(now, sign_in.expiry, |new| async move {
            let entry = IndexEntry {
                id: new.handle(),
                expires_at: entry_deadline,
                pending: true,
            };
            let entry = &entry;
            let create = |generation: String| async move {
                let stamp = meta::generation_json(&generation);
                let mut change = fields.change();
                change.set.push((meta::GENERATION, &stamp));
                store.create(&entry.id, &change, deadline).await
            };
            Ok(Attempt::from(
                index::enter(
                    store,
                    &Entering {
                        user,
                        entry,
                        born,
                        renames: None,
                    },
                    create,
                )
                .await?,
            ))
        })
        .await?;
        Ok(match entered {
            NewId::Stored(id, generation) => Some(NewSession {
                id,
                generation,
                deadline,
            }),
            NewId::SignedOut | NewId::Refused(_) => None,
        })
    }

    /// Makes `new` this request's session if its way in `published` it (a remember-me
    /// rotation won; a password login always does): the session the request had deleted (and
    /// unlisted), the features' `logged_in` hooks run, and the user's session limit kept.
    /// Otherwise deletes `new` again. Returns whether the request is signed in by `new`:
    /// `false` too if the limit ended it at once (parallel sign-ins ranked it last).
    pub(crate) async fn finish_sign_in(
        &mut self,
        context: &Context,
        sign_in: SignIn,
        new: NewSession,
        published: bool,
    ) -> Result<bool, SessionError> {
        if !published {
            let spare = [new.id.handle()];
            context.store.delete_many(&spare).await?;
            context.store.index_remove(&sign_in.user, &spare).await?;
            return Ok(false);
        }
        self.drop_previous(context, sign_in.previous_owner.as_deref())
            .await?;
        let mut meta = sign_in.meta;
        meta.insert(
            meta::GENERATION.to_owned(),
            meta::generation_json(&new.generation),
        );
        let own = new.id.handle();
        self.adopt(new.id, None, meta, new.deadline);
        for feature in &context.features {
            if let Some(hook) = feature.logged_in(self, &sign_in.user) {
                hook.await?;
            }
        }
        if let Some(limit) = context.config.max_sessions_per_user
            && !sign_out::keep_limit(context, &sign_in.user, &own, limit).await?
        {
            self.reset();
            for feature in &context.features {
                feature.signed_out(self);
            }
            return Ok(false);
        }
        Ok(true)
    }

    /// Deletes the session this request had before signing in, and unlists it from the index
    /// of the user it belonged to.
    pub(super) async fn drop_previous(
        &mut self,
        context: &Context,
        previous_owner: Option<&str>,
    ) -> Result<(), SessionError> {
        let Some(old) = self.id.take().map(|id| id.handle()) else {
            return Ok(());
        };
        context.store.delete(&old).await?;
        if let Some(owner) = previous_owner {
            (context.store)
                .index_remove(owner, std::slice::from_ref(&old))
                .await?;
        }
        Ok(())
    }
}
