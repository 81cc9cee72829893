//! [`CartConfig`]: how long carts live, how they merge at sign-in, and their limits.

use std::time::Duration;

use crate::config::ConfigError;
use crate::store::cart::MergePolicy;

const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);
const DEFAULT_USER_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const DEFAULT_MAX_LINES: u32 = 100;
const DEFAULT_MAX_QUANTITY: u32 = 999;
const DEFAULT_MAX_PAYLOAD: usize = 2048;

/// Cart settings, given to [`SessionLayerBuilder::cart`](crate::SessionLayerBuilder::cart).
///
/// ```
/// use std::time::Duration;
/// use tower_redis_session::{CartConfig, MemoryStore, MergePolicy, SessionLayer};
///
/// let layer = SessionLayer::builder(MemoryStore::new())
///     .cart(CartConfig::default().ttl(Duration::from_secs(3600)).merge(MergePolicy::Max))
///     .build()?;
/// # Ok::<(), tower_redis_session::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CartConfig {
    pub(crate) ttl: Duration,
    pub(crate) user_ttl: Duration,
    pub(crate) merge: MergePolicy,
    pub(crate) max_lines: u32,
    pub(crate) max_quantity: u32,
    pub(crate) max_payload: usize,
    pub(crate) cookie_name: String,
}

impl Default for CartConfig {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            user_ttl: DEFAULT_USER_TTL,
            merge: MergePolicy::Sum,
            max_lines: DEFAULT_MAX_LINES,
            max_quantity: DEFAULT_MAX_QUANTITY,
            max_payload: DEFAULT_MAX_PAYLOAD,
            cookie_name: "cart".to_owned(),
        }
    }
}

impl CartConfig {
    /// A visitor's cart (and its cookie's `Max-Age`) lives this long after its last change
    /// (default 24 hours).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// A signed-in user's cart lives this long after its last change (default 30 days).
    pub fn user_ttl(mut self, ttl: Duration) -> Self {
        self.user_ttl = ttl;
        self
    }

    /// How a visitor's cart joins the user's at login (default [`MergePolicy::Sum`]).
    pub fn merge(mut self, policy: MergePolicy) -> Self {
        self.merge = policy;
        self
    }

    /// Most lines in a cart (default 100).
    pub fn max_lines(mut self, lines: u32) -> Self {
        self.max_lines = lines;
        self
    }

    /// Largest quantity of one line (default 999).
    pub fn max_quantity(mut self, quantity: u32) -> Self {
        self.max_quantity = quantity;
        self
    }

    /// Largest payload of one line, in bytes of JSON (default 2 KiB).
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.max_payload = bytes;
        self
    }

    /// Name of the visitor's cart cookie (default `cart`, sent as `__Host-Http-cart` where the
    /// cookie attributes allow: see
    /// [`SessionLayerBuilder::host_prefix`](crate::SessionLayerBuilder::host_prefix)).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// Refuses a zero lifetime or limit.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        for (zero, what) in [
            (self.ttl.is_zero(), "cart time to live"),
            (self.user_ttl.is_zero(), "user cart time to live"),
            (self.max_lines == 0, "cart line limit"),
            (self.max_quantity == 0, "cart quantity limit"),
        ] {
            if zero {
                return Err(ConfigError::Zero(what));
            }
        }
        Ok(())
    }
}
