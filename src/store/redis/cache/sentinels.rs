//! The Sentinels, as the local cache asks them at every round of its lease which master is
//! current.
//!
//! After a failover the old master, if it is still running, stays a writable master until the
//! Sentinels reconfigure it (some ten seconds): its `ROLE` proves nothing. A server that
//! connects meanwhile is sent to the new master and signs sessions out there, so a copy is
//! served only while every Sentinel names the tracked master, asked after the round's `ROLE`:
//! any Sentinel that had switched would have named the new one, and no server can have been sent
//! there before some Sentinel switched. One Sentinel that does not answer stops the copies being
//! served (reads go to Redis) until it answers again: the server it did not answer may be the
//! one another server asks.

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
pub(super) type Address = (String, u16);

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
    pub(super) async fn connect(
        &self,
        timeout: Duration,
    ) -> Result<Vec<MultiplexedConnection>, StoreError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let mut connections = Vec::with_capacity(self.clients.len());
        for client in &self.clients {
            let connection = (client.get_multiplexed_async_connection_with_config(&config))
                .await
                .map_err(|error| StoreError::Unavailable(Box::new(error)))?;
            connections.push(connection);
        }
        Ok(connections)
    }

    /// Whether every Sentinel names `master` now; else what one said instead.
    pub(super) async fn all_name(
        &self,
        connections: &mut [MultiplexedConnection],
        master: &Address,
    ) -> Result<(), String> {
        for connection in connections {
            let named = cmd("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(&self.master)
                .query_async::<Value>(connection)
                .await;
            if address(&named) != Some(master.clone()) {
                return Err(format!(
                    "a Sentinel does not name the tracked master: {named:?}"
                ));
            }
        }
        Ok(())
    }
}

/// The address a Sentinel named.
fn address(named: &Result<Value, RedisError>) -> Option<Address> {
    let Ok(Value::Array(fields)) = named else {
        return None;
    };
    let text = |field: Option<&Value>| match field {
        Some(Value::BulkString(bytes)) => String::from_utf8(bytes.clone()).ok(),
        Some(Value::SimpleString(text)) => Some(text.clone()),
        _ => None,
    };
    let host = text(fields.first())?;
    let port = text(fields.get(1))?.parse().ok()?;
    Some((host, port))
}

/// The address a client of the master connects to.
pub(super) fn address_of(client: &Client) -> Option<Address> {
    match client.get_connection_info().addr() {
        ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
            Some((host.clone(), *port))
        }
        _ => None,
    }
}
