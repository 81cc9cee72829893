//! Carts in memory.

use std::time::Duration;

use std::collections::{BTreeMap, HashMap};

use super::{MemoryStore, State};
use crate::error::StoreError;
use crate::id::Handle;
use crate::store::cart::{
    CartLimits, CartLine, CartOp, CartOwner, CartStore, CartWritten, MergePolicy,
};
use crate::time::UnixMillis;

impl CartStore for MemoryStore {
    async fn cart_apply(
        &self,
        owner: &CartOwner,
        must_exist: bool,
        op: &CartOp<'_>,
        limits: CartLimits,
    ) -> Result<CartWritten, StoreError> {
        let now = UnixMillis::now();
        let mut state = self.lock();
        state.count_write(now);
        let written = if must_exist && state.live_cart(owner, now).is_none() {
            CartWritten::NoCart
        } else {
            state.live_cart(owner, now);
            let cart = state.carts.entry(owner.clone()).or_default();
            let written = apply_to_cart(cart, op, limits);
            if matches!(written, CartWritten::Quantity(_)) {
                cart.expires_at = now.after(limits.ttl);
            }
            if cart.lines.is_empty() && cart.merged.is_empty() {
                state.carts.remove(owner);
            }
            written
        };
        Ok(written)
    }

    async fn cart_lines(&self, owner: &CartOwner) -> Result<Vec<CartLine>, StoreError> {
        let mut state = self.lock();
        let lines = state
            .live_cart(owner, UnixMillis::now())
            .map(|cart| {
                cart.lines
                    .iter()
                    .map(|(sku, (quantity, payload))| CartLine {
                        sku: sku.clone(),
                        quantity: *quantity,
                        payload: payload.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(lines)
    }

    async fn cart_clear(&self, owner: &CartOwner) -> Result<(), StoreError> {
        self.lock().carts.remove(owner);
        Ok(())
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
        let now = UnixMillis::now();
        let mut state = self.lock();
        state.count_write(now);
        let owner = CartOwner::User(user.to_owned());
        state.live_cart(&owner, now);
        let cart = state.carts.entry(owner).or_default();
        cart.merged.retain(|_, until| *until > now);
        let until = now.after(source_ttl);
        let merged = cart.merged.insert(source.clone(), until).is_none();
        if merged {
            if policy == MergePolicy::Replace {
                cart.lines.clear();
            }
            for line in lines {
                let known = cart.lines.contains_key(&line.sku);
                if !known && cart.lines.len() >= limits.max_lines as usize {
                    continue;
                }
                let entry = cart.lines.entry(line.sku.clone()).or_insert((0, None));
                entry.0 = match policy {
                    MergePolicy::Max => entry.0.max(line.quantity),
                    MergePolicy::Sum | MergePolicy::Replace => {
                        entry.0.saturating_add(line.quantity)
                    }
                }
                .min(limits.max_quantity);
                if line.payload.is_some() {
                    entry.1.clone_from(&line.payload);
                }
            }
            cart.expires_at = now.after(limits.ttl);
        }
        Ok(merged)
    }
}

/// One change to a cart, as the Redis script applies it.
fn apply_to_cart(cart: &mut CartEntry, op: &CartOp<'_>, limits: CartLimits) -> CartWritten {
    let (sku, payload) = match *op {
        CartOp::Add { sku, payload, .. } | CartOp::Set { sku, payload, .. } => (sku, payload),
        CartOp::Decrement { sku, .. } | CartOp::Remove { sku } => (sku, None),
    };
    let current = cart.lines.get(sku).map_or(0, |line| line.0);
    let new = match *op {
        CartOp::Add { quantity, .. } => u64::from(current) + u64::from(quantity),
        CartOp::Set { quantity, .. } => u64::from(quantity),
        CartOp::Decrement { quantity, .. } => u64::from(current.saturating_sub(quantity)),
        CartOp::Remove { .. } => 0,
    };
    if new == 0 {
        cart.lines.remove(sku);
        return CartWritten::Quantity(0);
    }
    if new > u64::from(limits.max_quantity) {
        return CartWritten::QuantityOverLimit;
    }
    if current == 0 && cart.lines.len() >= limits.max_lines as usize {
        return CartWritten::TooManyLines;
    }
    let line = cart.lines.entry(sku.to_owned()).or_insert((0, None));
    line.0 = u32::try_from(new).unwrap_or(u32::MAX);
    if let Some(payload) = payload {
        line.1 = Some(payload.to_owned());
    }
    CartWritten::Quantity(line.0)
}

#[derive(Debug, Default)]
pub(super) struct CartEntry {
    /// SKU → (quantity, payload JSON).
    pub(super) lines: BTreeMap<String, (u32, Option<String>)>,
    /// Visitor carts already merged into this one, until when they could still be merged.
    pub(super) merged: HashMap<Handle, UnixMillis>,
    pub(super) expires_at: UnixMillis,
}

impl State {
    /// The live cart of `owner`, dropping it first if it has expired.
    fn live_cart(&mut self, owner: &CartOwner, now: UnixMillis) -> Option<&mut CartEntry> {
        if self
            .carts
            .get(owner)
            .is_some_and(|cart| cart.expires_at <= now)
        {
            self.carts.remove(owner);
        }
        self.carts.get_mut(owner)
    }
}
