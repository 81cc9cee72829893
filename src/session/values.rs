//! The keys and values of a [`Session`]: read, written, removed, listed.

use std::sync::atomic::Ordering;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Session;
use crate::error::SessionError;

impl Session {
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

    /// Stores `value` under `key`; takes the value or a reference to it. Setting a key to the
    /// value it already has changes nothing.
    ///
    /// # Errors
    /// [`SessionError::TooLarge`] or [`SessionError::TooManyKeys`] when the session would exceed
    /// its caps (the session is left unchanged); [`SessionError::Encode`] when `value` does not
    /// serialize; [`SessionError::Store`] when the session could not be loaded.
    pub async fn insert<T: Serialize>(&self, key: &str, value: T) -> Result<(), SessionError> {
        let raw = serde_json::to_string(&value).map_err(|source| SessionError::Encode {
            key: key.to_owned(),
            source,
        })?;
        let mut state = self.loaded().await?;
        let config = &self.shared.context.config;
        state.set(key, raw, config.max_bytes, config.max_keys)
    }

    /// Removes `key` and returns the value it held, or `None`.
    ///
    /// # Errors
    /// [`SessionError::Decode`] when the stored value is not a `T`: the key is then kept;
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn remove<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let mut state = self.loaded().await?;
        let Some(raw) = state.data.get(key) else {
            return Ok(None);
        };
        let value = serde_json::from_str(raw).map_err(|source| SessionError::Decode {
            key: key.to_owned(),
            source,
        })?;
        state.unset(key);
        Ok(Some(value))
    }

    /// Removes `key` without decoding what it held; returns whether it was present.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn remove_key(&self, key: &str) -> Result<bool, SessionError> {
        let mut state = self.loaded().await?;
        Ok(state.unset(key))
    }

    /// The session's keys, in no particular order.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn keys(&self) -> Result<Vec<String>, SessionError> {
        let state = self.loaded().await?;
        Ok(state.data.iter().map(|(key, _)| key.to_owned()).collect())
    }

    /// Removes every key. The session itself (its ID, lifetime and signed-in user) stays.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn clear(&self) -> Result<(), SessionError> {
        self.loaded().await?.clear_data();
        Ok(())
    }

    /// Whether the session holds no keys.
    ///
    /// # Errors
    /// [`SessionError::Store`] when the session could not be loaded.
    pub async fn is_empty(&self) -> Result<bool, SessionError> {
        Ok(self.loaded().await?.data.is_empty())
    }

    /// Whether this request has changes to write back (keys set or removed, a new ID, a login),
    /// without waiting: `true` too while another clone of this handle is using the session.
    pub fn is_modified(&self) -> bool {
        if !self.shared.touched.load(Ordering::Acquire) {
            return false;
        }
        match self.shared.state.try_lock() {
            Ok(state) => state.as_ref().is_some_and(|state| state.has_changes()),
            Err(_) => true,
        }
    }
}
