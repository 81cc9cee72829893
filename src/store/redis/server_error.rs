//! What went wrong with the store's server, in plain words that name it: the
//! [`StoreError::Unavailable`] a developer reads at start-up or in a log.
//!
//! The server is named by address only (`127.0.0.1:6379`): never a password, whichever way the
//! store was given it; where a message must show a URL, its password is redacted.

use std::sync::Arc;

use deadpool_redis::redis::{ErrorKind, RedisError};

use crate::error::StoreError;

/// A failure of the server `server` (as [`server_name`] names it), with redis-rs' error as the
/// source.
#[derive(Debug)]
pub(super) struct ServerError {
    server: Arc<str>,
    error: RedisError,
}

impl ServerError {
    /// `error` from `server`, as a [`StoreError::Unavailable`].
    pub(super) fn unavailable(server: &Arc<str>, error: RedisError) -> StoreError {
        StoreError::Unavailable(Box::new(Self {
            server: Arc::clone(server),
            error,
        }))
    }
}

impl ServerError {
    /// redis-rs' error.
    pub(super) fn redis(&self) -> &RedisError {
        &self.error
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let server = &self.server;
        let error = &self.error;
        if error.is_connection_refusal() {
            write!(f, "could not connect to {server}: connection refused")
        } else if error.is_timeout() {
            write!(f, "{server} did not answer in time")
        } else if matches!(error.kind(), ErrorKind::Parse) {
            write!(f, "{server} is not a Redis server (its reply is not RESP)")
        } else if matches!(error.kind(), ErrorKind::AuthenticationFailed) {
            write!(
                f,
                "{server} refused the credentials: check the user and password"
            )
        } else if error.is_io_error() {
            write!(f, "could not talk to {server}: the connection failed")
        } else {
            write!(f, "{server} refused a command")
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// `Redis at host:port` for one server's URL; `what` for a Cluster or a Sentinel-named master
/// (`Redis Cluster at host:port, host:port`).
pub(super) fn server_name(what: &str, urls: &[&str]) -> Arc<str> {
    let addresses: Vec<&str> = urls.iter().map(|url| address(url)).collect();
    Arc::from(format!("{what} at {}", addresses.join(", ")))
}

/// The `host:port` of a Redis URL: no scheme, credentials, database or parameters.
fn address(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// URLs with any password replaced by `***`.
#[cfg(any(feature = "cluster", feature = "sentinel"))]
pub(super) fn redacted(urls: &[String]) -> Vec<String> {
    urls.iter().map(|url| redact(url)).collect()
}

/// A URL with any password replaced by `***`, fit for an error message.
pub(super) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_named_by_its_address_alone() {
        let named = server_name(
            "Redis",
            &["redis://user:secret@cache.internal:6380/2?protocol=3"],
        );
        assert_eq!(&*named, "Redis at cache.internal:6380");
        let named = server_name("Redis Cluster", &["redis://a:7000", "rediss://:pw@b:7001"]);
        assert_eq!(&*named, "Redis Cluster at a:7000, b:7001");
    }
}
