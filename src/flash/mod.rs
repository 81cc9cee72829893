//! [`Flash`]: messages set on one request and shown once on a later one, as after a form post
//! that redirects (post/redirect/get).
//!
//! Messages are kept in the session (metadata field `$f`), so they survive the ID change at
//! login and nothing a client sends can plant one. A small cookie says that some are waiting: a
//! request without it reads no messages and sends no store command for them.

mod feature;

use axum_core::extract::FromRequestParts;
use http::request::Parts;
use serde::{Deserialize, Serialize};

use crate::cookie::CookieUpdate;
use crate::error::SessionError;
use crate::extract::SessionRejection;
use crate::session::Session;

pub(crate) use self::feature::FlashFeature;
use self::feature::{FlashSlot, MESSAGES};

/// Most bytes of messages (as JSON) waiting in one session: a push past it is refused.
const MAX_BYTES: usize = 4096;

/// How much a message matters, as pages style it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something the user may like to know.
    Info,
    /// Something the user did worked.
    Success,
    /// Something worked, with a caveat.
    Warning,
    /// Something failed.
    Error,
}

impl Level {
    /// Its name in lower case (`info`, `success`, `warning`, `error`), as a CSS class or in
    /// JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Success => "success",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One flash message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// How much it matters.
    pub level: Level,
    /// Its text, to be rendered as text (escaped in HTML), never as markup.
    pub text: String,
}

/// Flash messages: pushed on one request, taken (and so removed) on a later one. An axum
/// extractor, served by the [`SessionLayer`](crate::SessionLayer) (feature `flash`).
///
/// ```no_run
/// use axum::response::Redirect;
/// use tower_redis_session::{Flash, SessionError};
///
/// async fn save_settings(flash: Flash) -> Result<Redirect, SessionError> {
///     flash.success("Settings saved").await?;
///     Ok(Redirect::to("/settings"))
/// }
///
/// async fn settings_page(flash: Flash) -> Result<String, SessionError> {
///     let notes: Vec<String> = flash.take().await?.into_iter().map(|m| m.text).collect();
///     Ok(format!("Settings. {}", notes.join(" ")))
/// }
/// ```
#[derive(Clone)]
pub struct Flash {
    session: Session,
}

impl std::fmt::Debug for Flash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flash").finish_non_exhaustive()
    }
}

impl Flash {
    /// Adds a message for a later request.
    ///
    /// # Errors
    /// [`SessionError::TooLarge`] when the waiting messages would pass 4 KiB (they stay as they
    /// were); [`SessionError::Store`] when the session could not be loaded.
    pub async fn push(&self, level: Level, text: impl Into<String>) -> Result<(), SessionError> {
        let mut state = self.session.loaded().await?;
        let mut messages = stored(state.meta.get(MESSAGES));
        messages.push(Message {
            level,
            text: text.into(),
        });
        let raw = serde_json::to_string(&messages).map_err(|source| SessionError::Encode {
            key: "flash messages".to_owned(),
            source,
        })?;
        if raw.len() > MAX_BYTES {
            return Err(SessionError::TooLarge {
                size: raw.len(),
                limit: MAX_BYTES,
            });
        }
        state.set_meta(MESSAGES, raw);
        state.features.get_or_insert_default::<FlashSlot>().cookie = CookieUpdate::Set(());
        Ok(())
    }

    /// [`push`](Self::push) at [`Level::Info`].
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub async fn info(&self, text: impl Into<String>) -> Result<(), SessionError> {
        self.push(Level::Info, text).await
    }

    /// [`push`](Self::push) at [`Level::Success`].
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub async fn success(&self, text: impl Into<String>) -> Result<(), SessionError> {
        self.push(Level::Success, text).await
    }

    /// [`push`](Self::push) at [`Level::Warning`].
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub async fn warning(&self, text: impl Into<String>) -> Result<(), SessionError> {
        self.push(Level::Warning, text).await
    }

    /// [`push`](Self::push) at [`Level::Error`].
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub async fn error(&self, text: impl Into<String>) -> Result<(), SessionError> {
        self.push(Level::Error, text).await
    }

    /// The waiting messages, oldest first, removed: a later request does not see them again.
    /// A request that carries none (no flash cookie) sends no store command.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn take(&self) -> Result<Vec<Message>, SessionError> {
        let waiting = {
            let state = self.session.lock().await;
            state
                .features
                .get::<FlashSlot>()
                .is_some_and(|slot| slot.waiting)
                || state.meta.contains_key(MESSAGES) && state.loaded
        };
        if !waiting {
            return Ok(Vec::new());
        }
        let mut state = self.session.loaded().await?;
        let messages = stored(state.meta.get(MESSAGES));
        state.unset_meta(MESSAGES);
        let slot = state.features.get_or_insert_default::<FlashSlot>();
        slot.waiting = false;
        slot.cookie = CookieUpdate::Remove;
        Ok(messages)
    }
}

/// The messages a session holds; none if it holds none or what it holds is not messages.
fn stored(raw: Option<&String>) -> Vec<Message> {
    raw.and_then(|raw| serde_json::from_str(raw).ok())
        .unwrap_or_default()
}

/// Extracting `Flash` loads nothing: [`Flash::take`] loads the session only when messages wait.
impl<S: Send + Sync> FromRequestParts<S> for Flash {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = crate::extract::layer_session(parts)?;
        if session.context().feature::<FlashFeature>().is_none() {
            return Err(SessionRejection::MissingLayer);
        }
        Ok(Self { session })
    }
}
