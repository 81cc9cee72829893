//! Remember-me's settings.

use std::time::Duration;

const DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const DEFAULT_GRACE: Duration = Duration::from_secs(60);

/// When the layer uses a remember-me cookie to sign a user back in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RememberMode {
    /// Whenever the request's session is loaded (by any extractor) and nobody is signed in
    /// (default). Routes that never touch the session are not affected.
    #[default]
    Automatic,
    /// Only when a handler extracts [`RememberMe`](crate::RememberMe).
    OnDemand,
}

/// Remember-me settings, given to
/// [`SessionLayerBuilder::remember_me`](crate::SessionLayerBuilder::remember_me).
#[derive(Clone)]
#[must_use]
pub struct RememberConfig {
    pub(crate) ttl: Duration,
    pub(crate) grace: Duration,
    pub(crate) mode: RememberMode,
    pub(crate) cookie_name: String,
}

impl Default for RememberConfig {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            grace: DEFAULT_GRACE,
            mode: RememberMode::Automatic,
            cookie_name: "remember".to_owned(),
        }
    }
}

impl std::fmt::Debug for RememberConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RememberConfig")
            .field("ttl", &self.ttl)
            .field("grace", &self.grace)
            .field("mode", &self.mode)
            .field("cookie_name", &self.cookie_name)
            .finish()
    }
}

impl RememberConfig {
    /// A token's absolute lifetime, however often it is used (default 30 days). Also the
    /// cookie's `Max-Age`.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long after a rotation the previous validator still leads to the rotation's result
    /// (default 60 s): long enough for a page's parallel requests, short enough for a thief.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// When the layer signs users back in (default [`RememberMode::Automatic`]).
    pub fn mode(mut self, mode: RememberMode) -> Self {
        self.mode = mode;
        self
    }

    /// Name of the cookie (default `remember`, sent as `__Host-Http-remember` where the cookie
    /// attributes allow: see
    /// [`SessionLayerBuilder::host_prefix`](crate::SessionLayerBuilder::host_prefix)).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }
}
