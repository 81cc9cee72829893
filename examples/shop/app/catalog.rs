//! What the shop sells.

pub struct Product {
    pub sku: &'static str,
    pub name: &'static str,
    pub price_cents: u32,
}

pub const PRODUCTS: [Product; 4] = [
    Product {
        sku: "TEA-EARL",
        name: "Earl Grey tea, 100 g",
        price_cents: 650,
    },
    Product {
        sku: "MUG-WHITE",
        name: "White mug",
        price_cents: 1200,
    },
    Product {
        sku: "POT-CAST",
        name: "Cast-iron teapot",
        price_cents: 4500,
    },
    Product {
        sku: "CAKE-LEMON",
        name: "Lemon cake",
        price_cents: 900,
    },
];

pub fn product(sku: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|product| product.sku == sku)
}

pub fn price(cents: u32) -> String {
    format!("€{}.{:02}", cents / 100, cents % 100)
}
