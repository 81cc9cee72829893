//! Error types: one for the store, one for session operations. Sources are kept, never flattened.

use std::time::Duration;

use http::StatusCode;

/// A failure of the session store itself (Redis unreachable, slow, or answering nonsense).
///
/// Renders as `503 Service Unavailable`: the request may succeed once the store is back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached or refused the command.
    #[error("session store unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store was configured in a way that cannot work (a malformed URL, a `rediss://` URL
    /// without a TLS feature, a zero pool size or timeout, a key prefix with braces): what to
    /// fix.
    /// Returned by [`RedisStoreBuilder::build`](crate::RedisStoreBuilder::build), never by a
    /// request.
    #[error("session store misconfigured: {0}")]
    Config(String),
    /// The store did not answer within the configured command timeout.
    #[error("session store did not answer within {0:?}")]
    Timeout(Duration),
    /// The store answered with a reply this crate does not understand.
    #[error("session store sent an unexpected reply: {0}")]
    UnexpectedReply(String),
    /// The Redis server (or a Cluster master, `node`) runs a `maxmemory-policy` that can evict
    /// the store's keys: under memory pressure a user's index of sessions goes first, and
    /// signing out would then miss sessions that stay signed in. The store refuses to use it.
    /// Set `maxmemory-policy noeviction` on the server, or accept the risk with
    /// [`RedisStoreBuilder::allow_eviction`](crate::RedisStoreBuilder::allow_eviction).
    #[error(
        "Redis{} has maxmemory-policy {policy}, which can evict session, user index and \
         remember-me keys and so undo sign-outs: set `maxmemory-policy noeviction` on the server \
         (or accept the risk with RedisStoreBuilder::allow_eviction)",
        node.as_deref().map(|node| format!(" at {node}")).unwrap_or_default()
    )]
    EvictionPolicy {
        /// The policy the server reports.
        policy: String,
        /// The Cluster master that reports it; `None` for a single server.
        node: Option<String>,
    },
}

/// A failure of a [`Session`](crate::Session) operation.
///
/// Handlers can return it with `?`: it renders as an opaque response with the status given per
/// variant, and the cause is logged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The store failed; see [`StoreError`]. Renders as 503.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A value could not be serialized to JSON. Renders as 500.
    #[error("could not encode session value `{key}`")]
    Encode {
        /// The session key being written.
        key: String,
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
    /// A stored value does not deserialize into the requested type. Renders as 500.
    #[error("could not decode session value `{key}`")]
    Decode {
        /// The session key being read.
        key: String,
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
    /// The insert would make the session larger than the configured cap; nothing was changed.
    /// Renders as 413.
    #[error("session would hold {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// The size the session would have had, in bytes of keys and encoded values.
        size: usize,
        /// The configured cap.
        limit: usize,
    },
    /// The insert would give the session more keys than the configured cap; nothing was changed.
    /// Renders as 413.
    #[error("session would hold more than {limit} keys")]
    TooManyKeys {
        /// The configured cap.
        limit: usize,
    },
    /// A user ID that cannot be stored: empty, or over 512 bytes. Renders as 500: user IDs come
    /// from the application.
    #[error("invalid user ID")]
    InvalidUserId,
    /// An [`Expiry`](crate::Expiry) that would end the session at once (a zero inactivity
    /// timeout, a time already past); nothing was changed. Renders as 500: expiries come from
    /// the application. To end a session, delete it.
    #[error(
        "this expiry would end the session at once (a zero inactivity timeout or a time already past)"
    )]
    ExpiryPassed,
    /// An [`Expiry`](crate::Expiry) that reaches past the session's absolute deadline (an
    /// inactivity timeout longer than the layer's
    /// [`absolute_timeout`](crate::SessionLayerBuilder::absolute_timeout), a time after the
    /// deadline), which would end the session first; nothing was changed. Renders as 500:
    /// expiries come from the application.
    #[error(
        "this expiry reaches past the session's absolute deadline ({absolute} after its \
         creation), which would end it first: raise the layer's absolute_timeout, or ask for less"
    )]
    ExpiryBeyondAbsolute {
        /// The layer's absolute timeout, as a person reads it (`12h`).
        absolute: String,
    },
    /// Sealing a remember-me rotation's cookies failed. Renders as 500.
    #[cfg(feature = "remember-me")]
    #[error("could not seal remember-me cookies")]
    Sealing,
    /// The operating system could not supply randomness for a new session ID. Renders as 500.
    #[error("could not generate a session ID")]
    Randomness(#[source] getrandom::Error),
    /// The store's answers contradict what it promises (a fresh 256-bit ID reported taken, a
    /// cart just created reported missing): a broken store or random source, not bad input.
    /// Renders as 500.
    #[error("the session store broke its contract: {0}")]
    BrokenContract(&'static str),
}

impl SessionError {
    /// The HTTP status this error renders as.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooLarge { .. } | Self::TooManyKeys { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Encode { .. }
            | Self::Decode { .. }
            | Self::InvalidUserId
            | Self::ExpiryPassed
            | Self::ExpiryBeyondAbsolute { .. }
            | Self::Randomness(_)
            | Self::BrokenContract(_) => StatusCode::INTERNAL_SERVER_ERROR,
            #[cfg(feature = "remember-me")]
            Self::Sealing => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl SessionError {
    /// Logs the error with its cause: at `error` when the server failed, at `warn` when the
    /// request was refused.
    pub(crate) fn log(&self, failed: &str, refused: &str) {
        let error = self as &dyn std::error::Error;
        if self.status().is_server_error() {
            tracing::error!(error, "{failed}");
        } else {
            tracing::warn!(error, "{refused}");
        }
    }
}
