//! What `SessionLayerBuilder::build` refuses, and what its errors tell the developer.

use tower_redis_session::{ConfigError, MemoryStore, SessionLayer};

#[cfg(feature = "cart")]
#[test]
fn a_session_cookie_named_as_the_cart_cookie_says_how_to_rename_either() {
    let refused = SessionLayer::builder(MemoryStore::new())
        .cookie_name("cart")
        .build()
        .unwrap_err();
    assert_eq!(
        refused,
        ConfigError::CookieNameTaken {
            name: "__Host-cart".into(),
            cookie: "cart",
            setting: "CartConfig::cookie_name",
            taken_by: "session",
            taken_by_setting: "SessionLayerBuilder::cookie_name",
        }
    );
    let text = refused.to_string();
    assert!(text.contains("SessionLayerBuilder::cookie_name"), "{text}");
    assert!(text.contains("CartConfig::cookie_name"), "{text}");
}

#[cfg(all(feature = "cart", feature = "remember-me"))]
#[test]
fn a_remember_me_cookie_named_as_the_cart_cookie_is_refused() {
    let refused = SessionLayer::builder(MemoryStore::new())
        .remember_me(tower_redis_session::RememberConfig::default().cookie_name("cart"))
        .build()
        .unwrap_err();
    assert!(matches!(
        refused,
        ConfigError::CookieNameTaken {
            cookie: "remember-me",
            taken_by: "cart",
            ..
        }
    ));
}

#[test]
fn a_cookie_name_with_separators_is_refused() {
    let refused = SessionLayer::builder(MemoryStore::new())
        .cookie_name("a;b")
        .build()
        .unwrap_err();
    assert_eq!(refused, ConfigError::CookieName("a;b".into()));
}
