//! The HTML pages: server-rendered, no JavaScript. Forms carry no token: the cross-origin
//! protection around the pages refuses a post from another site, so a visitor's page views
//! store nothing.

mod account;
mod frame;
mod shopping;
mod sign_in;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_http::csrf::{CsrfLayer, ProtectionError};

use self::frame::PageError;
pub use self::frame::failure;
// What the pages below reach of the app, as `super::…`.
use super::{Shop, accounts, catalog, client_ip, devices, web};

pub fn routes() -> Router<Shop> {
    let refused = |_: ProtectionError| {
        PageError::Message(
            StatusCode::FORBIDDEN,
            "This form was sent from another site, so it was refused.",
        )
        .into_response()
    };
    Router::new()
        .route("/", get(shopping::home))
        .route("/cart", get(shopping::cart_page))
        .route("/cart/add", post(shopping::cart_add))
        .route("/cart/update", post(shopping::cart_update))
        .route("/login", get(sign_in::login_page).post(sign_in::login))
        .route("/logout", post(sign_in::logout))
        .route("/account", get(account::account))
        .route("/account/prefs", post(account::save_prefs))
        .route("/account/password", post(account::change_password))
        .route("/account/confirm", post(account::confirm))
        .route("/account/revoke", post(account::revoke))
        .route("/account/logout-others", post(account::logout_others))
        .route("/account/logout-all", post(account::logout_all))
        .layer(CsrfLayer::new().with_rejection_response(refused))
}
