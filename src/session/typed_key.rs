//! [`TypedKey`]: a session key that knows the type of its value.

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Session;
use crate::error::SessionError;

/// A session key that knows the type of its value, declared once as a `const`, so that no
/// handler reads a key as the wrong type.
///
/// ```no_run
/// use tower_redis_session::{Session, SessionError, TypedKey};
///
/// const VISITS: TypedKey<u64> = TypedKey::new("visits");
///
/// async fn visit(session: Session) -> Result<String, SessionError> {
///     let visits = VISITS.get(&session).await?.unwrap_or(0) + 1;
///     VISITS.insert(&session, visits).await?;
///     Ok(format!("visit number {visits}"))
/// }
/// ```
pub struct TypedKey<T> {
    name: &'static str,
    value: PhantomData<fn() -> T>,
}

impl<T> TypedKey<T> {
    /// The key `name`, holding a `T`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            value: PhantomData,
        }
    }

    /// The key's name in the session.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<T: Serialize + DeserializeOwned> TypedKey<T> {
    /// [`Session::get`] of this key.
    ///
    /// # Errors
    /// As [`Session::get`].
    pub async fn get(&self, session: &Session) -> Result<Option<T>, SessionError> {
        session.get(self.name).await
    }

    /// [`Session::insert`] of this key.
    ///
    /// # Errors
    /// As [`Session::insert`].
    pub async fn insert(&self, session: &Session, value: T) -> Result<(), SessionError> {
        session.insert(self.name, value).await
    }

    /// [`Session::remove`] of this key: the value it held, if any.
    ///
    /// # Errors
    /// As [`Session::remove`].
    pub async fn remove(&self, session: &Session) -> Result<Option<T>, SessionError> {
        session.remove(self.name).await
    }
}

impl<T> Clone for TypedKey<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for TypedKey<T> {}

impl<T> std::fmt::Debug for TypedKey<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TypedKey").field(&self.name).finish()
    }
}
