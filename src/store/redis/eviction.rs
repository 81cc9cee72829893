//! The server's `maxmemory-policy`, read from `INFO memory` (allowed where `CONFIG` is blocked,
//! as on several managed services) and judged: only `noeviction` keeps every key until it
//! expires.
//!
//! Any other policy lets Redis delete keys under memory pressure, and it picks the least used
//! first: a user's index of sessions, read only at sign-in, listing and sign-out, goes before the
//! sessions it lists, and then "sign out everywhere" finds nothing to sign out. Every key of this
//! store has a TTL, so the `volatile-*` policies evict them as readily as `allkeys-*`.

use deadpool_redis::redis::aio::ConnectionLike;
use deadpool_redis::redis::{Cmd, RedisError, Value};

use crate::error::StoreError;

/// The one policy under which Redis never deletes a key before it expires.
const SAFE: &str = "noeviction";

/// A server (or Cluster master) whose policy can evict the store's keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Evicting {
    /// The policy, as `INFO` names it.
    pub(super) policy: String,
    /// The node's address, on a Cluster.
    pub(super) node: Option<String>,
}

impl Evicting {
    pub(super) fn into_error(self) -> StoreError {
        StoreError::EvictionPolicy {
            policy: self.policy,
            node: self.node,
        }
    }
}

/// Reads the policy of the server behind `connection` (of every master, on a Cluster): the first
/// one that can evict, if any.
pub(super) async fn check(
    connection: &mut impl ConnectionLike,
) -> Result<Option<Evicting>, RedisError> {
    let mut info = Cmd::new();
    info.arg("INFO").arg("memory");
    let reply = connection.req_packed_command(&info).await?;
    Ok(first_evicting(&reply))
}

/// The first node in an `INFO` reply (one server's text, or a Cluster's map of node to text)
/// whose policy is not `noeviction`.
pub(super) fn first_evicting(reply: &Value) -> Option<Evicting> {
    match reply {
        Value::Map(nodes) => nodes.iter().find_map(|(node, info)| {
            let mut evicting = first_evicting(info)?;
            evicting.node = text(node).map(str::to_owned);
            Some(evicting)
        }),
        other => {
            let policy = text(other)?
                .lines()
                .find_map(|line| line.strip_prefix("maxmemory_policy:"))?
                .trim();
            (policy != SAFE).then(|| Evicting {
                policy: policy.to_owned(),
                node: None,
            })
        }
    }
}

fn text(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
        Value::VerbatimString { text, .. } | Value::SimpleString(text) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(policy: &str) -> Value {
        Value::BulkString(
            format!("# Memory\r\nmaxmemory:0\r\nmaxmemory_policy:{policy}\r\n").into(),
        )
    }

    #[test]
    fn noeviction_is_safe() {
        assert_eq!(first_evicting(&info("noeviction")), None);
    }

    #[test]
    fn every_other_policy_evicts() {
        for policy in [
            "allkeys-lru",
            "volatile-lru",
            "volatile-ttl",
            "allkeys-random",
        ] {
            let evicting = first_evicting(&info(policy)).expect("an evicting policy");
            assert_eq!(evicting.policy, policy);
        }
    }

    #[test]
    fn a_cluster_names_the_master_that_evicts() {
        let reply = Value::Map(vec![
            (
                Value::BulkString(b"127.0.0.1:7000".to_vec()),
                info("noeviction"),
            ),
            (
                Value::BulkString(b"127.0.0.1:7001".to_vec()),
                info("allkeys-lfu"),
            ),
        ]);
        let evicting = first_evicting(&reply).expect("an evicting master");
        assert_eq!(evicting.node.as_deref(), Some("127.0.0.1:7001"));
        assert_eq!(evicting.policy, "allkeys-lfu");
    }
}
