//! What the shop sells: `products.json`, embedded in the binary.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: u32,
}

static PRODUCTS: LazyLock<Vec<Product>> = LazyLock::new(|| {
    // The file is part of the program, not input: a malformed one fails the shop's tests.
    serde_json::from_str(include_str!("products.json"))
        .unwrap_or_else(|error| panic!("examples/shop/app/products.json is malformed: {error}"))
});

/// Every product, in the order the shop shows them.
pub fn products() -> &'static [Product] {
    &PRODUCTS
}

/// The product with this SKU, if the shop sells it.
pub fn product(sku: &str) -> Option<&'static Product> {
    products().iter().find(|product| product.sku == sku)
}

pub fn price(cents: u32) -> String {
    format!("€{}.{:02}", cents / 100, cents % 100)
}
