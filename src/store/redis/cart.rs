//! Carts in Redis: one hash per cart, one field per line (see `scripts/cart.lua`); a visitor's
//! under its cart ID's handle, a user's under the user's hash tag, beside the markers of the
//! visitor carts merged into it.

use std::time::Duration;

use deadpool_redis::redis::cmd;

use super::RedisStore;
use super::connection::Request;
use super::scripts;
use crate::error::StoreError;
use crate::id::Handle;
use crate::store::cart::{
    CartLimits, CartLine, CartOp, CartOwner, CartStore, CartWritten, MergePolicy,
};
use crate::time::millis;

impl RedisStore {
    /// The Redis key of a cart: a visitor's by its handle, a user's under the user's hash
    /// tag beside their index.
    pub fn cart_key(&self, owner: &CartOwner) -> String {
        match owner {
            CartOwner::Visitor(id) => {
                let mut key = format!("{}c:", self.inner.prefix);
                id.write_to(&mut key);
                key
            }
            CartOwner::User(user) => self.user_key(user, "c"),
        }
    }

    /// The Redis key that records a visitor cart's merge into `user`'s cart, under the user's
    /// hash tag beside that cart; it expires with the visitor cart.
    pub fn merge_marker_key(&self, user: &str, source: &Handle) -> String {
        self.user_key(user, &format!("m:{source}"))
    }
}

impl CartStore for RedisStore {
    async fn cart_apply(
        &self,
        owner: &CartOwner,
        must_exist: bool,
        op: &CartOp<'_>,
        limits: CartLimits,
    ) -> Result<CartWritten, StoreError> {
        let (name, sku, quantity, payload) = match *op {
            CartOp::Add {
                sku,
                quantity,
                payload,
            } => ("add", sku, quantity, payload),
            CartOp::Set {
                sku,
                quantity,
                payload,
            } => ("set", sku, quantity, payload),
            CartOp::Decrement { sku, quantity } => ("decr", sku, quantity, None),
            CartOp::Remove { sku } => ("remove", sku, 0, None),
        };
        let mut call = scripts::CART_APPLY.call(&[self.cart_key(owner)]);
        call.arg(name)
            .arg(if must_exist { "1" } else { "0" })
            .arg(millis(limits.ttl))
            .arg(limits.max_lines)
            .arg(limits.max_quantity)
            .arg(sku)
            .arg(quantity)
            .arg(payload.unwrap_or_default());
        // Not retried: an add whose reply was lost would be counted twice.
        match self.run::<i64>(Request::Script(&call), false).await? {
            -1 => Ok(CartWritten::NoCart),
            -2 => Ok(CartWritten::TooManyLines),
            -3 => Ok(CartWritten::QuantityOverLimit),
            quantity => u32::try_from(quantity)
                .map(CartWritten::Quantity)
                .map_err(|_| StoreError::UnexpectedReply(format!("cart quantity {quantity}"))),
        }
    }

    async fn cart_lines(&self, owner: &CartOwner) -> Result<Vec<CartLine>, StoreError> {
        let mut command = cmd("HGETALL");
        command.arg(self.cart_key(owner));
        let fields: Vec<(String, String)> = self.run(Request::Command(&command), true).await?;
        Ok(parse_cart(fields))
    }

    async fn cart_clear(&self, owner: &CartOwner) -> Result<(), StoreError> {
        let mut command = cmd("DEL");
        command.arg(self.cart_key(owner));
        self.run(Request::Command(&command), true).await
    }

    async fn cart_merge(
        &self,
        user: &str,
        source: &Handle,
        lines: &[CartLine],
        policy: MergePolicy,
        limits: CartLimits,
        source_ttl: Duration,
    ) -> Result<bool, StoreError> {
        let owner = CartOwner::User(user.to_owned());
        let keys = [self.cart_key(&owner), self.merge_marker_key(user, source)];
        let mut call = scripts::CART_MERGE.call(&keys);
        call.arg(match policy {
            MergePolicy::Sum => "sum",
            MergePolicy::Max => "max",
            MergePolicy::Replace => "replace",
        })
        .arg(millis(limits.ttl))
        .arg(limits.max_lines)
        .arg(limits.max_quantity)
        .arg(millis(source_ttl).max(1));
        for line in lines {
            call.arg(&line.sku)
                .arg(line.quantity)
                .arg(line.payload.as_deref().unwrap_or_default());
        }
        // Safe to retry: the marker makes a repeated merge a no-op.
        Ok(self.run::<i64>(Request::Script(&call), true).await? == 1)
    }
}

/// A cart's lines from its hash fields (see `scripts/cart.lua`), sorted by SKU.
fn parse_cart(fields: Vec<(String, String)>) -> Vec<CartLine> {
    let mut lines: Vec<CartLine> = fields
        .into_iter()
        // SKUs never contain ':'; such fields are what earlier builds kept beside the lines.
        .filter(|(sku, _)| !sku.contains(':'))
        .filter_map(|(sku, stored)| {
            let (quantity, payload) = match stored.split_once(' ') {
                Some((quantity, payload)) => (quantity, Some(payload.to_owned())),
                None => (stored.as_str(), None),
            };
            let Ok(quantity) = quantity.parse::<u32>() else {
                tracing::warn!("ignoring a cart line with a corrupt quantity");
                return None;
            };
            Some(CartLine {
                sku,
                quantity,
                payload,
            })
        })
        .collect();
    lines.sort_by(|a, b| a.sku.cmp(&b.sku));
    lines
}
