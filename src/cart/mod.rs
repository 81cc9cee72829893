//! [`Cart`]: a shopping cart of lines keyed by SKU, changed atomically in the store.
//!
//! A visitor's cart lives under its own random ID in its own persistent cookie, so it outlives
//! the session; a signed-in user's cart is keyed by the user (under the user's Cluster hash tag)
//! and follows them across devices. At login the visitor's cart is merged into the user's.
//! Every operation is one atomic store call: concurrent adds never lose an item.

mod config;
mod error;
mod feature;
mod id;

use std::sync::Arc;

use axum_core::extract::FromRequestParts;
use http::request::Parts;
use serde::Serialize;

use crate::cookie::CookieUpdate;
use crate::error::SessionError;
use crate::extract::SessionRejection;
use crate::session::Session;
use crate::store::DynCartStore;
use crate::store::cart::{CartLimits, CartLine, CartOp, CartOwner, CartWritten};

pub use self::config::CartConfig;
pub use self::error::CartError;
use self::error::check_sku;
pub(crate) use self::feature::CartFeature;
use self::feature::CartSlot;
pub use self::id::CartId;

/// The current visitor's or user's cart. An axum extractor, served by the
/// [`SessionLayer`](crate::SessionLayer).
///
/// ```no_run
/// use tower_redis_session::{Cart, CartError};
///
/// async fn add_to_cart(cart: Cart) -> Result<String, CartError> {
///     let quantity = cart.add("SKU-42", 1).await?;
///     Ok(format!("{quantity} in the cart"))
/// }
/// ```
#[derive(Clone)]
pub struct Cart {
    session: Session,
    feature: Arc<CartFeature>,
}

impl std::fmt::Debug for Cart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cart").finish_non_exhaustive()
    }
}

impl Cart {
    /// Adds `quantity` of `sku`; returns the line's new quantity.
    ///
    /// # Errors
    /// [`CartError`] for a bad SKU, a zero quantity, or a limit; the cart is then unchanged.
    pub async fn add(&self, sku: &str, quantity: u32) -> Result<u32, CartError> {
        self.add_line(sku, quantity, None).await
    }

    /// Adds `quantity` of `sku` and sets the line's payload (name, price, options).
    ///
    /// # Errors
    /// As [`add`](Self::add), and [`CartError::PayloadTooLarge`].
    pub async fn add_with<T: Serialize + ?Sized>(
        &self,
        sku: &str,
        quantity: u32,
        payload: &T,
    ) -> Result<u32, CartError> {
        let payload = serde_json::to_string(payload).map_err(CartError::Payload)?;
        self.add_line(sku, quantity, Some(&payload)).await
    }

    async fn add_line(
        &self,
        sku: &str,
        quantity: u32,
        payload: Option<&str>,
    ) -> Result<u32, CartError> {
        if quantity == 0 {
            return Err(CartError::InvalidQuantity);
        }
        self.check_payload(payload)?;
        self.change(CartOp::Add {
            sku,
            quantity,
            payload,
        })
        .await
    }

    /// Sets the quantity of `sku`; 0 removes the line. Returns the new quantity.
    ///
    /// # Errors
    /// [`CartError`] for a bad SKU or a limit; the cart is then unchanged.
    pub async fn set_quantity(&self, sku: &str, quantity: u32) -> Result<u32, CartError> {
        self.change(CartOp::Set {
            sku,
            quantity,
            payload: None,
        })
        .await
    }

    /// Takes `quantity` of `sku` off; the line is removed at zero. Returns the new quantity.
    ///
    /// # Errors
    /// [`CartError`] for a bad SKU or a zero quantity.
    pub async fn decrement(&self, sku: &str, quantity: u32) -> Result<u32, CartError> {
        if quantity == 0 {
            return Err(CartError::InvalidQuantity);
        }
        self.change(CartOp::Decrement { sku, quantity }).await
    }

    /// Removes the line of `sku`.
    ///
    /// # Errors
    /// [`CartError`] for a bad SKU, or when the store fails.
    pub async fn remove(&self, sku: &str) -> Result<(), CartError> {
        self.change(CartOp::Remove { sku }).await.map(drop)
    }

    /// Empties the cart.
    ///
    /// # Errors
    /// [`CartError::Session`] when the store fails.
    pub async fn clear(&self) -> Result<(), CartError> {
        if let Some(owner) = self.owner().await? {
            self.store().cart_clear(&owner).await?;
        }
        Ok(())
    }

    /// The cart's lines, by SKU.
    ///
    /// # Errors
    /// [`CartError::Session`] when the store fails.
    pub async fn lines(&self) -> Result<Vec<CartLine>, CartError> {
        match self.owner().await? {
            None => Ok(Vec::new()),
            Some(owner) => Ok(self.store().cart_lines(&owner).await?),
        }
    }

    /// How many items the cart holds (the sum of its quantities).
    ///
    /// # Errors
    /// [`CartError::Session`] when the store fails.
    pub async fn count(&self) -> Result<u32, CartError> {
        Ok(self.lines().await?.iter().map(|line| line.quantity).sum())
    }

    fn check_payload(&self, payload: Option<&str>) -> Result<(), CartError> {
        let limit = self.config().max_payload;
        match payload {
            Some(payload) if payload.len() > limit => Err(CartError::PayloadTooLarge { limit }),
            _ => Ok(()),
        }
    }

    fn config(&self) -> &CartConfig {
        &self.feature.config
    }

    fn store(&self) -> &dyn DynCartStore {
        &*self.feature.store
    }

    /// Whose cart this is: the signed-in user's, or the visitor's from the cart cookie (`None`
    /// when the visitor has none yet).
    async fn owner(&self) -> Result<Option<CartOwner>, CartError> {
        if let Some(user) = self.session.user_id().await? {
            return Ok(Some(CartOwner::User(user)));
        }
        let state = self.session.loaded().await?;
        let id = state
            .features
            .get::<CartSlot>()
            .and_then(|slot| slot.id.as_ref());
        Ok(id.map(|id| CartOwner::Visitor(id.handle())))
    }

    async fn change(&self, op: CartOp<'_>) -> Result<u32, CartError> {
        let sku = match op {
            CartOp::Add { sku, .. }
            | CartOp::Set { sku, .. }
            | CartOp::Decrement { sku, .. }
            | CartOp::Remove { sku } => sku,
        };
        check_sku(sku)?;
        let config = self.config();
        let store = self.store();
        let mut limits = CartLimits {
            max_lines: config.max_lines,
            max_quantity: config.max_quantity,
            ttl: config.user_ttl,
        };
        if let Some(user) = self.session.user_id().await? {
            let written = store
                .cart_apply(&CartOwner::User(user), false, &op, limits)
                .await?;
            return self.outcome(written);
        }
        limits.ttl = config.ttl;
        let existing = {
            let state = self.session.loaded().await?;
            state
                .features
                .get::<CartSlot>()
                .and_then(|slot| slot.id.clone())
        };
        if let Some(id) = existing {
            let owner = CartOwner::Visitor(id.handle());
            match store.cart_apply(&owner, true, &op, limits).await? {
                CartWritten::NoCart => {
                    tracing::debug!("cart cookie names no live cart; not adopted");
                }
                written => {
                    let mut state = self.session.loaded().await?;
                    state.features.get_or_insert_default::<CartSlot>().cookie =
                        CookieUpdate::Set(id);
                    return self.outcome(written);
                }
            }
        }
        if matches!(op, CartOp::Remove { .. } | CartOp::Decrement { .. }) {
            // Nothing to take away from a cart that does not exist.
            return Ok(0);
        }
        let id = CartId::generate().map_err(SessionError::Randomness)?;
        let owner = CartOwner::Visitor(id.handle());
        let written = store.cart_apply(&owner, false, &op, limits).await?;
        let quantity = self.outcome(written)?;
        let mut state = self.session.loaded().await?;
        let slot = state.features.get_or_insert_default::<CartSlot>();
        slot.id = Some(id.clone());
        slot.cookie = CookieUpdate::Set(id);
        Ok(quantity)
    }

    fn outcome(&self, written: CartWritten) -> Result<u32, CartError> {
        let config = self.config();
        match written {
            CartWritten::Quantity(quantity) => Ok(quantity),
            CartWritten::TooManyLines => Err(CartError::TooManyLines {
                limit: config.max_lines,
            }),
            CartWritten::QuantityOverLimit => Err(CartError::QuantityOverLimit {
                limit: config.max_quantity,
            }),
            CartWritten::NoCart => Err(CartError::Session(SessionError::BrokenContract(
                "a new cart was reported missing",
            ))),
        }
    }
}

/// Extracting a `Cart` loads the session (to know whether a user is signed in); a store outage
/// is a 503 before the handler runs.
impl<S: Send + Sync> FromRequestParts<S> for Cart {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let feature =
            (session.context().feature::<CartFeature>()).ok_or(SessionRejection::MissingLayer)?;
        Ok(Self { session, feature })
    }
}
