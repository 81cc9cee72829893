#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Without the optional features, some of the core's extension points have no caller.
#![cfg_attr(not(all(feature = "cart", feature = "remember-me")), allow(dead_code))]

mod auth;
#[cfg(feature = "cart")]
mod cart;
mod codec;
mod config;
mod cookie;
mod error;
mod extract;
mod failure;
mod future;
mod id;
mod layer;
#[cfg(feature = "remember-me")]
mod remember;
mod service;
mod session;
pub mod store;
mod telemetry;
mod time;

#[doc = include_str!("../docs/migrating-from-tower-sessions.md")]
pub mod migrating_from_tower_sessions {}

pub use crate::auth::{Activity, Device, DeviceInfo, UserSessions};
#[cfg(feature = "cart")]
pub use crate::cart::{Cart, CartConfig, CartError, CartId};
pub use crate::config::ConfigError;
pub use crate::error::{SessionError, StoreError};
pub use crate::extract::SessionRejection;
pub use crate::failure::SessionFailure;
pub use crate::future::ResponseFuture;
pub use crate::id::{SessionId, StorageId};
pub use crate::layer::{SessionLayer, SessionLayerBuilder};
#[cfg(feature = "remember-me")]
pub use crate::remember::{RememberConfig, RememberMe, RememberMode, TheftDetected};
pub use crate::service::SessionService;
pub use crate::session::{SaveOutcome, Session, TypedKey};
#[cfg(feature = "cart")]
pub use crate::store::cart::{CartLine, MergePolicy};
pub use crate::store::{LayerStore, MemoryStore, RedisStore, RedisStoreBuilder, SessionStore};

/// The `cookie` crate's `Key`, as the builder's `signed` and `private` methods take it.
#[cfg(any(feature = "signed", feature = "private"))]
pub use ::cookie::Key;
/// The `cookie` crate's `SameSite`, as the builder takes it.
pub use ::cookie::SameSite;
/// deadpool-redis, re-exported so your code uses the same version (and `redis` through it).
pub use deadpool_redis;
