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
            name: "__Host-Http-cart".into(),
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

#[test]
fn an_idle_timeout_longer_than_the_absolute_timeout_is_refused_saying_which_to_raise() {
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    let refused = SessionLayer::builder(MemoryStore::new())
        .idle_timeout(day)
        .build()
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the idle timeout (1d) is longer than the absolute timeout (12h), which would end every \
         session first: raise absolute_timeout to at least 1d, or lower idle_timeout"
    );
}

#[test]
fn an_idle_timeout_as_long_as_the_absolute_timeout_is_accepted() {
    let hour = std::time::Duration::from_secs(60 * 60);
    let built = SessionLayer::builder(MemoryStore::new())
        .idle_timeout(hour)
        .absolute_timeout(hour)
        .build();
    assert!(built.is_ok());
}

#[test]
fn a_login_path_on_another_origin_is_refused() {
    for path in [
        "//evil.example/login",
        "https://evil.example/login",
        "login",
    ] {
        let refused = SessionLayer::builder(MemoryStore::new())
            .login_path(path)
            .build()
            .unwrap_err();
        assert_eq!(refused, ConfigError::LoginPath(path.into()));
    }
}
