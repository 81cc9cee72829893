//! Server-side sessions for [tower] and [axum] applications, stored in Redis.
//!
//! A [`SessionLayer`] reads the session cookie; the [`Session`] extractor loads the session on
//! first use, in one round trip that also slides its idle timeout, and the layer writes back
//! only the keys the request changed, with `Set-Cookie` when the ID changed. A request that
//! never touches its session costs no store command.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use tower_redis_session::{RedisStore, Session, SessionError, SessionLayer};
//!
//! async fn visit(session: Session) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
//!     session.insert("visits", visits).await?;
//!     Ok(format!("visit number {visits}"))
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::builder("redis://127.0.0.1:6379").build()?;
//! store.check().await?; // refuses a Redis that may evict keys
//! let app = Router::new()
//!     .route("/", get(visit))
//!     .layer(SessionLayer::builder(store).build()?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Where to start
//! - [`Session`]: values (`get`, `insert`, `remove`, [`TypedKey`]), the ID (`cycle_id`,
//!   `delete`), its own [`Expiry`] (`set_expiry`), signing in and out (`login`, `logout`,
//!   `logout_others`, `logout_all`), the user's devices (`devices`, `revoke`).
//! - [`SessionLayer::builder`]: timeouts, cookie attributes, size caps, the features, and
//!   [`SessionFailure`] rendering. Secure defaults: `HttpOnly; Secure; SameSite=Lax`, a
//!   `__Host-` name, 30 minutes idle, 12 hours absolute.
//! - [`RedisStore`]: from a URL, the application's own redis-rs client or its deadpool-redis
//!   configuration; Redis Cluster and Sentinel. [`MemoryStore`] has the same semantics, for
//!   tests and runs without Redis.
//! - [`UserSessions`]: a user's sessions outside a request (an admin panel, a password reset).
//! - [`Cart`] and [`RememberMe`]: a shopping cart that follows the visitor through sign-in, and
//!   "remember me" tokens with theft detection.
//! - [`store`]: the contract a store implements, and the conformance it must pass.
//! - [`migrating_from_tower_sessions`]: each tower-sessions call and option, mapped.
//!
//! # Features
//! | Feature | Default | What |
//! |---|---|---|
//! | `cart` | yes | the [`Cart`] extractor |
//! | `remember-me` | yes | the [`RememberMe`] extractor |
//! | `flash` | yes | the [`Flash`] extractor: messages shown once on a later request |
//! | `signed`, `private` | | signed or encrypted session cookies, with a `cookie::Key` |
//! | `cluster`, `sentinel` | | Redis Cluster, Redis Sentinel |
//! | `tls-rustls`, `tls-native-tls` | | `rediss://` |
//! | `metrics` | | counters and a latency histogram through the `metrics` facade |
//! | `test-kit` | | `test_kit::Client` for your handlers' tests; `conformance_suite!` for the tests of another store |
//!
//! The README covers the API, the guarantees under concurrency and the failure policy;
//! `docs/redis.md` what the Redis store needs and keeps there; `docs/observability.md` the span
//! and metric names; `BENCHMARKS.md` the figures.
//!
//! [tower]: https://docs.rs/tower
//! [axum]: https://docs.rs/axum
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
#[cfg(feature = "cart")]
mod cart;
mod codec;
mod config;
mod cookie;
#[cfg(feature = "dbsc")]
mod dbsc;
mod error;
mod expiry;
mod extract;
mod failure;
mod features;
#[cfg(feature = "flash")]
mod flash;
mod future;
mod id;
mod layer;
mod redirect;
#[cfg(feature = "remember-me")]
mod remember;
mod service;
mod session;
pub mod store;
mod telemetry;
#[cfg(feature = "test-kit")]
pub mod test_kit;
mod theft;
mod time;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The examples of the Redis guide, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/redis.md")]
struct RedisGuideDoctests;

#[doc = include_str!("../docs/migrating-from-tower-sessions.md")]
pub mod migrating_from_tower_sessions {}

pub use crate::auth::{Activity, Device, DeviceInfo, LoggedIn, LoginRequired, UserSessions};
#[cfg(feature = "cart")]
pub use crate::cart::{Cart, CartConfig, CartError, CartId};
pub use crate::config::ConfigError;
#[cfg(feature = "dbsc")]
pub use crate::dbsc::{DbscConfig, WrongKey};
pub use crate::error::{SessionError, StoreError};
pub use crate::expiry::Expiry;
pub use crate::extract::SessionRejection;
pub use crate::failure::SessionFailure;
#[cfg(feature = "flash")]
pub use crate::flash::{Flash, Level, Message};
pub use crate::future::ResponseFuture;
pub use crate::id::{Handle, SessionId};
pub use crate::layer::{SessionLayer, SessionLayerBuilder};
pub use crate::redirect::safe_next;
#[cfg(feature = "remember-me")]
pub use crate::remember::{RememberConfig, RememberMe, RememberMode};
pub use crate::service::SessionService;
pub use crate::session::{SaveOutcome, Session, TypedKey};
#[cfg(feature = "local-cache")]
pub use crate::store::LocalCacheConfig;
#[cfg(feature = "cart")]
pub use crate::store::cart::{CartLine, MergePolicy};
pub use crate::store::{
    LayerStore, MemoryStore, RedisStore, RedisStoreBuilder, SessionStore, UserIndex,
};
pub use crate::theft::{Evidence, TheftDetected};
pub use crate::time::UnixMillis;

/// The `cookie` crate's `Key`, as the builder's `signed` and `private` methods take it.
#[cfg(any(feature = "signed", feature = "private"))]
pub use ::cookie::Key;
/// The `cookie` crate's `SameSite`, as the builder takes it.
pub use ::cookie::SameSite;
/// deadpool-redis, re-exported so your code uses the same version (and `redis` through it).
pub use deadpool_redis;
