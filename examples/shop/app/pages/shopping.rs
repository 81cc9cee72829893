//! The products and the cart.

use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tower_redis_session::{Cart, Session};

use super::catalog::{price, product, products};
use super::frame::{Page, PageError, escape, layout};

pub async fn home(session: Session, cart: Cart) -> Page {
    let mut items = String::new();
    for product in products() {
        items.push_str(&format!(
            "<li><div class=\"what\">{name}<small>{description}</small></div><div class=\"buy\"><span class=\"price\">{price}</span><form method=\"post\" action=\"/cart/add\"><input type=\"hidden\" name=\"sku\" value=\"{sku}\"><button>Add to cart</button></form></div></li>",
            name = escape(&product.name),
            description = escape(&product.description),
            price = price(product.price_cents),
            sku = escape(&product.sku),
        ));
    }
    let body = format!("<div class=\"card\"><ul class=\"list products\">{items}</ul></div>");
    layout(&session, &cart, "Products", &body).await
}

#[derive(Deserialize)]
pub struct CartForm {
    sku: String,
    quantity: Option<u32>,
}

pub async fn cart_add(session: Session, cart: Cart, Form(form): Form<CartForm>) -> Page {
    let product = product(&form.sku).ok_or_else(no_such_product)?;
    let payload = serde_json::json!({ "name": product.name, "price_cents": product.price_cents });
    cart.add_with(&product.sku, form.quantity.unwrap_or(1), &payload)
        .await?;
    session.track_activity("added to cart").await?;
    Ok(Redirect::to("/cart").into_response())
}

pub async fn cart_update(cart: Cart, Form(form): Form<CartForm>) -> Page {
    product(&form.sku).ok_or_else(no_such_product)?;
    cart.set_quantity(&form.sku, form.quantity.unwrap_or(0))
        .await?;
    Ok(Redirect::to("/cart").into_response())
}

fn no_such_product() -> PageError {
    PageError::Message(StatusCode::UNPROCESSABLE_ENTITY, "No such product.")
}

pub async fn cart_page(session: Session, cart: Cart) -> Page {
    let lines = cart.lines().await?;
    if lines.is_empty() {
        let body =
            "<p class=\"card\">Your cart is empty. <a href=\"/\">Browse the products</a>.</p>";
        return layout(&session, &cart, "Your cart", body).await;
    }
    let mut items = String::new();
    let mut total = 0;
    for line in &lines {
        let product = product(&line.sku);
        let unit = product.map_or(0, |p| p.price_cents);
        total += unit * line.quantity;
        items.push_str(&format!(
            "<li class=\"line\"><div class=\"what\">{name}<small>{unit} each</small></div>\
             <div class=\"controls\"><form class=\"qty\" method=\"post\" action=\"/cart/update\"><input type=\"hidden\" name=\"sku\" value=\"{sku}\"><input name=\"quantity\" type=\"number\" min=\"0\" max=\"999\" value=\"{quantity}\" aria-label=\"Quantity\"><button class=\"update\">Update</button></form>\
             <form method=\"post\" action=\"/cart/update\"><input type=\"hidden\" name=\"sku\" value=\"{sku}\"><input type=\"hidden\" name=\"quantity\" value=\"0\"><button class=\"link\">Remove</button></form></div>\
             <span class=\"price\">{subtotal}</span></li>",
            name = escape(product.map_or(line.sku.as_str(), |p| p.name.as_str())),
            unit = price(unit),
            sku = escape(&line.sku),
            quantity = line.quantity,
            subtotal = price(unit * line.quantity),
        ));
    }
    let body = format!(
        "<div class=\"card\"><ul class=\"list\">{items}</ul><p class=\"total\"><span>Total</span><span class=\"price\">{}</span></p></div>",
        price(total)
    );
    layout(&session, &cart, "Your cart", &body).await
}
