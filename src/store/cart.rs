//! [`CartStore`]: the store ability behind the [`Cart`](crate::Cart) extractor, and what its
//! operations work with: whose cart, one change to a line, the limits the store enforces
//! atomically, what it did, and the lines.

use std::time::Duration;

use serde::de::DeserializeOwned;

use std::future::Future;

use super::SessionStore;
use crate::error::StoreError;
use crate::id::Handle;

/// How a visitor's cart joins the user's cart at login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MergePolicy {
    /// Add the quantities of lines in both carts (default).
    #[default]
    Sum,
    /// Keep the larger quantity of lines in both carts.
    Max,
    /// The visitor's cart replaces the user's.
    Replace,
}

/// Whose cart a store operation is on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CartOwner {
    /// A visitor's cart, by the handle of its cart ID.
    Visitor(Handle),
    /// A signed-in user's cart.
    User(String),
}

/// One change to a cart line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CartOp<'a> {
    /// Add `quantity` to the line (creating it), and set its payload if given.
    Add {
        /// The line.
        sku: &'a str,
        /// How many to add.
        quantity: u32,
        /// The line's new payload, as JSON.
        payload: Option<&'a str>,
    },
    /// Set the line's quantity (0 removes it), and its payload if given.
    Set {
        /// The line.
        sku: &'a str,
        /// The new quantity.
        quantity: u32,
        /// The line's new payload, as JSON.
        payload: Option<&'a str>,
    },
    /// Take `quantity` off the line; at zero the line is removed.
    Decrement {
        /// The line.
        sku: &'a str,
        /// How many to take off.
        quantity: u32,
    },
    /// Remove the line.
    Remove {
        /// The line.
        sku: &'a str,
    },
}

/// The bounds a store enforces inside the atomic operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CartLimits {
    /// Most lines in the cart.
    pub max_lines: u32,
    /// Largest quantity of one line.
    pub max_quantity: u32,
    /// The cart's time to live after this change.
    pub ttl: Duration,
}

/// What a cart operation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum CartWritten {
    /// Done; the line now has this quantity (0: removed).
    Quantity(u32),
    /// The visitor cart must already exist and does not (an unknown or expired cart ID).
    NoCart,
    /// The change would add a line beyond the limit; nothing changed.
    TooManyLines,
    /// The change would put the line's quantity over the limit; nothing changed.
    QuantityOverLimit,
}

/// A line of a cart. Serializes as a JSON API returns it:
/// `{"sku": "tea-1", "quantity": 2, "payload": {"name": "Tea"}}` (the payload as JSON, `null`
/// without one).
///
/// ```
/// use tower_redis_session::CartLine;
///
/// let line = CartLine {
///     sku: "tea-1".into(),
///     quantity: 2,
///     payload: Some(r#"{"name":"Tea"}"#.into()),
/// };
/// assert_eq!(
///     serde_json::to_string(&line)?,
///     r#"{"sku":"tea-1","quantity":2,"payload":{"name":"Tea"}}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartLine {
    /// The item's SKU.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// The line's payload (name, price, options), as JSON, if one was given.
    pub payload: Option<String>,
}

impl serde::Serialize for CartLine {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        // Stored payloads are JSON the cart encoded; one that is not reads as none.
        let payload: Option<serde_json::Value> = self
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str(payload).ok());
        let mut line = serializer.serialize_struct("CartLine", 3)?;
        line.serialize_field("sku", &self.sku)?;
        line.serialize_field("quantity", &self.quantity)?;
        line.serialize_field("payload", &payload)?;
        line.end()
    }
}

impl CartLine {
    /// The payload decoded as `T`, if there is one.
    ///
    /// # Errors
    /// When the payload is not a `T`.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<Option<T>, serde_json::Error> {
        self.payload
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
    }
}

/// A store that also keeps carts, for the [`Cart`](crate::Cart) extractor. Every operation is
/// atomic and one round trip: concurrent changes to one cart never lose one another.
pub trait CartStore: SessionStore {
    /// Applies one change to a cart line, within `limits`, and sets the cart's time to live.
    /// With `must_exist`, a cart that does not exist is left alone ([`CartWritten::NoCart`]).
    fn cart_apply(
        &self,
        owner: &CartOwner,
        must_exist: bool,
        op: &CartOp<'_>,
        limits: CartLimits,
    ) -> impl Future<Output = Result<CartWritten, StoreError>> + Send;

    /// A cart's lines, by SKU.
    fn cart_lines(
        &self,
        owner: &CartOwner,
    ) -> impl Future<Output = Result<Vec<CartLine>, StoreError>> + Send;

    /// Deletes a cart.
    fn cart_clear(&self, owner: &CartOwner) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Merges `lines` (a visitor's cart, named `source`) into `user`'s cart under `policy`,
    /// once: a repeat with the same `source` within `source_ttl` (as long as the visitor's cart
    /// can live) changes nothing and returns `false`. What records the merge must expire after
    /// `source_ttl` and must not be kept in the cart's lines, so logins cost the user's cart
    /// nothing lasting. Lines beyond the line limit are dropped and quantities capped, so a
    /// login never fails on them.
    fn cart_merge(
        &self,
        user: &str,
        source: &Handle,
        lines: &[CartLine],
        policy: MergePolicy,
        limits: CartLimits,
        source_ttl: Duration,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
