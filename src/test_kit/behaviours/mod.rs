//! The behaviours, one function each, by group; `test_kit/mod.rs` lists them.

#[cfg(feature = "cart")]
pub(super) mod cart;
pub(super) mod cookie_names;
pub(super) mod data;
#[cfg(feature = "dbsc")]
pub(super) mod dbsc;
#[cfg(all(feature = "dbsc", feature = "remember-me"))]
pub(super) use self::dbsc::remembered as dbsc_remembered;
pub(super) mod device_races;
pub(super) mod devices;
pub(super) mod expiry;
#[cfg(feature = "flash")]
pub(super) mod flash;
pub(super) mod guard;
#[cfg(all(feature = "cart", feature = "remember-me"))]
pub(super) mod lifecycle;
#[cfg(all(feature = "cart", feature = "remember-me"))]
pub(super) mod lifecycle_races;
#[cfg(feature = "remember-me")]
pub(super) mod remember;
pub(super) mod responses;
