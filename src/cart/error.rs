//! [`CartError`]: why a cart operation was refused, and the checks made before the store.

use axum_core::response::{IntoResponse, Response};
use http::StatusCode;

use std::sync::Arc;

use crate::error::{SessionError, StoreError};
use crate::failure::SessionFailure;

const MAX_SKU_LEN: usize = 64;

/// Why a cart operation was refused or failed. The cart is unchanged in every case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CartError {
    /// The SKU is empty, over 64 bytes, or has characters other than letters, digits, `-`, `_`
    /// and `.`. Renders as 422.
    #[error("invalid SKU")]
    InvalidSku,
    /// A quantity of zero where a positive one is needed. Renders as 422.
    #[error("quantity must be at least 1")]
    InvalidQuantity,
    /// The cart already has the most lines allowed. Renders as 422.
    #[error("a cart holds at most {limit} lines")]
    TooManyLines {
        /// The configured limit.
        limit: u32,
    },
    /// The line's quantity would exceed the limit. Renders as 422.
    #[error("a line holds at most {limit} items")]
    QuantityOverLimit {
        /// The configured limit.
        limit: u32,
    },
    /// The payload is larger than allowed. Renders as 422.
    #[error("a line's payload is at most {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The payload could not be serialized. Renders as 422.
    #[error("could not encode the line's payload")]
    Payload(#[source] serde_json::Error),
    /// The session or the store failed. Renders as the session error does (503 when the store
    /// is unavailable).
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl From<StoreError> for CartError {
    fn from(error: StoreError) -> Self {
        Self::Session(SessionError::Store(error))
    }
}

/// A session failure renders as [`SessionError`] does; a refusal (a limit, a bad SKU or
/// quantity) as 422 with code `cart_refused` and the refusal as its message, through the layer's
/// failure renderer: plain text, or JSON when the request accepts JSON.
impl IntoResponse for CartError {
    fn into_response(self) -> Response {
        match self {
            Self::Session(error) => error.into_response(),
            refused => {
                tracing::debug!(
                    error = &refused as &dyn std::error::Error,
                    "cart change refused"
                );
                let failure = SessionFailure::refusal(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "cart_refused",
                    Arc::new(refused),
                );
                crate::failure::respond_with(failure)
            }
        }
    }
}

/// Checks a SKU before it reaches the store.
pub(super) fn check_sku(sku: &str) -> Result<(), CartError> {
    let valid = !sku.is_empty()
        && sku.len() <= MAX_SKU_LEN
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(CartError::InvalidSku)
    }
}
