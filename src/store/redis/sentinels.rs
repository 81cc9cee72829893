//! The Sentinels, as a store asks them which master is current: the local cache at every round
//! of its lease, or else the pool's watch (`sentinel_watch.rs`) every quarter second.
//!
//! After a failover the old master, if it is still running, stays a writable master until the
//! Sentinels reconfigure it (some ten seconds): its `ROLE` proves nothing. A server that
//! connects meanwhile is sent to the new master and signs sessions out there, so a copy is
//! served only while every Sentinel names the tracked master, asked after the round's `ROLE`:
//! any Sentinel that had switched would have named the new one, and no server can have been sent
//! there before some Sentinel switched. One Sentinel that does not answer stops the copies being
//! served (reads go to Redis) until it answers again: the server it did not answer may be the
//! one another server asks. Only one that names another master is a failover, which also
//! retires the pool's connections; one that names none sends nobody elsewhere.

use std::time::Duration;

use deadpool_redis::redis::aio::MultiplexedConnection;
use deadpool_redis::redis::{
    AsyncConnectionConfig, Client, ConnectionAddr, RedisError, Value, cmd,
};

use crate::error::StoreError;

/// The Sentinels of one master name.
pub(in crate::store::redis) struct Sentinels {
    master: String,
    clients: Vec<Client>,
}

/// A master's address: host and port.
pub(in crate::store::redis) type Address = (String, u16);

impl Sentinels {
    /// The Sentinels at `urls`, asked about `master`.
    pub(in crate::store::redis) fn new(master: &str, urls: &[String]) -> Result<Self, RedisError> {
        Ok(Self {
            master: master.to_owned(),
            clients: (urls.iter())
                .map(|url| Client::open(url.as_str()))
                .collect::<Result<_, _>>()?,
        })
    }

    /// A connection to each Sentinel, each command answered within `timeout`.
    #[cfg(feature = "local-cache")]
    pub(in crate::store::redis) async fn connect(
        &self,
        timeout: Duration,
    ) -> Result<Vec<MultiplexedConnection>, StoreError> {
        let mut connections = Vec::with_capacity(self.clients.len());
        for client in &self.clients {
            connections.push(connect(client, timeout).await?);
        }
        Ok(connections)
    }

    /// Connects, within `timeout` each, the Sentinels `connections` lacks (`None`, or not yet
    /// listed); one that does not answer stays `None`.
    pub(in crate::store::redis) async fn reconnect(
        &self,
        connections: &mut Vec<Option<MultiplexedConnection>>,
        timeout: Duration,
    ) {
        connections.resize_with(self.clients.len(), || None);
        for (client, slot) in self.clients.iter().zip(connections.iter_mut()) {
            if slot.is_none() {
                *slot = connect(client, timeout).await.ok();
            }
        }
    }

    /// Whether every Sentinel names `master` now (or no master at all, so sends nobody
    /// elsewhere); else the first that does not, and how.
    #[cfg(feature = "local-cache")]
    pub(in crate::store::redis) async fn all_name(
        &self,
        connections: &mut [MultiplexedConnection],
        master: &Address,
    ) -> Result<(), Dissent> {
        for connection in connections {
            self.ask(connection, master).await?;
        }
        Ok(())
    }

    /// What the Sentinel on `connection` says of `master`.
    pub(in crate::store::redis) async fn ask(
        &self,
        connection: &mut MultiplexedConnection,
        master: &Address,
    ) -> Result<(), Dissent> {
        let named = cmd("SENTINEL")
            .arg("GET-MASTER-ADDR-BY-NAME")
            .arg(&self.master)
            .query_async::<Value>(connection)
            .await;
        dissent(&named, master)
    }
}

async fn connect(client: &Client, timeout: Duration) -> Result<MultiplexedConnection, StoreError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout));
    (client.get_multiplexed_async_connection_with_config(&config))
        .await
        .map_err(|error| StoreError::Unavailable(Box::new(error)))
}

/// A Sentinel that does not vouch for the tracked master.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::store::redis) enum Dissent {
    /// It did not answer: it may be down, or cut off from this server only.
    Silent(String),
    /// It names another master: a failover.
    NamesAnother(String),
}

impl std::fmt::Display for Dissent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (Self::Silent(why) | Self::NamesAnother(why)) = self;
        f.write_str(why)
    }
}

/// What a Sentinel's answer to `GET-MASTER-ADDR-BY-NAME` says of `master`.
fn dissent(named: &Result<Value, RedisError>, master: &Address) -> Result<(), Dissent> {
    let fields = match named {
        Ok(Value::Array(fields)) => fields,
        Ok(Value::Nil) => return Ok(()),
        Ok(other) => return Err(Dissent::Silent(format!("a Sentinel answered {other:?}"))),
        Err(error) => return Err(Dissent::Silent(format!("a Sentinel failed: {error}"))),
    };
    let text = |field: Option<&Value>| match field {
        Some(Value::BulkString(bytes)) => String::from_utf8(bytes.clone()).ok(),
        Some(Value::SimpleString(text)) => Some(text.clone()),
        _ => None,
    };
    let host = text(fields.first());
    let port = text(fields.get(1)).and_then(|port| port.parse::<u16>().ok());
    match (host, port) {
        (Some(host), Some(port)) if (&host, port) == (&master.0, master.1) => Ok(()),
        (Some(host), Some(port)) => Err(Dissent::NamesAnother(format!(
            "a Sentinel names another master: {host}:{port}"
        ))),
        _ => Err(Dissent::Silent(format!("a Sentinel answered {fields:?}"))),
    }
}

/// The address a client of the master connects to.
pub(in crate::store::redis) fn address_of(client: &Client) -> Option<Address> {
    match client.get_connection_info().addr() {
        ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
            Some((host.clone(), *port))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(host: &str, port: &str) -> Result<Value, RedisError> {
        Ok(Value::Array(vec![
            Value::BulkString(host.as_bytes().to_vec()),
            Value::BulkString(port.as_bytes().to_vec()),
        ]))
    }

    fn tracked() -> Address {
        ("10.0.0.1".to_owned(), 6379)
    }

    #[test]
    fn a_sentinel_naming_the_tracked_master_vouches_for_it() {
        assert_eq!(dissent(&named("10.0.0.1", "6379"), &tracked()), Ok(()));
    }

    #[test]
    fn a_sentinel_naming_another_master_means_a_failover() {
        let verdict = dissent(&named("10.0.0.2", "6379"), &tracked());
        assert!(
            matches!(verdict, Err(Dissent::NamesAnother(_))),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_sentinel_naming_no_master_sends_nobody_elsewhere() {
        assert_eq!(dissent(&Ok(Value::Nil), &tracked()), Ok(()));
    }

    #[test]
    fn a_sentinel_that_fails_or_answers_nonsense_is_silent_not_a_failover() {
        let failed = Err(RedisError::from(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        for answer in [failed, Ok(Value::Okay), named("10.0.0.1", "port")] {
            let verdict = dissent(&answer, &tracked());
            assert!(matches!(verdict, Err(Dissent::Silent(_))), "{verdict:?}");
        }
    }
}
