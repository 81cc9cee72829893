#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod cart;
mod codec;
mod config;
mod cookie;
mod error;
mod extract;
mod future;
mod id;
mod layer;
mod remember;
mod service;
mod session;
pub mod store;
mod time;

pub use crate::auth::{Activity, Device, DeviceInfo, UserSessions};
pub use crate::cart::{Cart, CartConfig, CartError};
pub use crate::config::ConfigError;
pub use crate::error::{SessionError, StoreError};
pub use crate::extract::SessionRejection;
pub use crate::future::ResponseFuture;
pub use crate::id::{CartId, SessionId, StorageId};
pub use crate::layer::{SessionLayer, SessionLayerBuilder};
pub use crate::remember::{RememberConfig, RememberMe, RememberMode, TheftDetected};
pub use crate::service::SessionService;
pub use crate::session::{SaveOutcome, Session};
pub use crate::store::cart::{CartLine, MergePolicy};
pub use crate::store::{MemoryStore, RedisStore, RedisStoreBuilder, SessionStore};

/// The `cookie` crate's `Key`, as the builder's `signed` and `private` methods take it.
#[cfg(any(feature = "signed", feature = "private"))]
pub use ::cookie::Key;
/// The `cookie` crate's `SameSite`, as the builder takes it.
pub use ::cookie::SameSite;
/// deadpool-redis, re-exported so your code uses the same version (and `redis` through it).
pub use deadpool_redis;
