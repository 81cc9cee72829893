//! The local cache on a Redis Cluster: a tracking connection per master, found with
//! `CLUSTER SLOTS`; a round of the lease proves itself only if every master answers `ROLE` as a
//! master and the slots are still where they were, so that a failover or a slot moved to a
//! master not tracked drops everything within the lease.

use deadpool_redis::redis::Value;
#[cfg(feature = "cluster")]
use deadpool_redis::redis::{Client, ConnectionAddr, cmd};

#[cfg(feature = "cluster")]
use crate::error::StoreError;

/// The masters and the slot ranges each serves, as `CLUSTER SLOTS` lists them; compared as a
/// whole to notice any change.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Topology(Vec<(i64, i64, String, i64)>);

impl Topology {
    /// Reads a `CLUSTER SLOTS` reply; `None` for anything else.
    pub(super) fn parse(reply: &Value) -> Option<Self> {
        let Value::Array(ranges) = reply else {
            return None;
        };
        let mut slots = Vec::with_capacity(ranges.len());
        for range in ranges {
            let Value::Array(fields) = range else {
                return None;
            };
            let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(master))) =
                (fields.first(), fields.get(1), fields.get(2))
            else {
                return None;
            };
            let host = match master.first()? {
                Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok()?,
                Value::SimpleString(text) => text.clone(),
                _ => return None,
            };
            let Value::Int(port) = master.get(1)? else {
                return None;
            };
            slots.push((*start, *end, host, *port));
        }
        slots.sort();
        Some(Self(slots))
    }

    /// The masters, each once.
    pub(super) fn masters(&self) -> Vec<(String, u16)> {
        let mut masters: Vec<(String, u16)> = (self.0.iter())
            .filter_map(|(_, _, host, port)| Some((host.clone(), u16::try_from(*port).ok()?)))
            .collect();
        masters.sort();
        masters.dedup();
        masters
    }

    /// The slot ranges, each with the index of its master in [`masters`](Self::masters).
    pub(super) fn routes(&self) -> Vec<(i64, i64, usize)> {
        let masters = self.masters();
        (self.0.iter())
            .filter_map(|(start, end, host, port)| {
                let at = masters
                    .iter()
                    .position(|(h, p)| h == host && i64::from(*p) == *port)?;
                Some((*start, *end, at))
            })
            .collect()
    }
}

/// The Cluster slot of `key`: CRC16 (XMODEM) of the key, or of its hash tag (the text between
/// the first `{` and the next `}`, if not empty), modulo 16,384.
pub(super) fn slot(key: &[u8]) -> i64 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    let mut crc: u16 = 0;
    for &byte in tagged.unwrap_or(key) {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ 0x1021
            };
        }
    }
    i64::from(crc % 16_384)
}

/// The topology as the first seed that answers sees it.
#[cfg(feature = "cluster")]
pub(super) async fn topology(seeds: &[Client]) -> Result<Topology, StoreError> {
    let mut last = None;
    for seed in seeds {
        let connected = seed.get_multiplexed_async_connection().await;
        let reply = match connected {
            Ok(mut connection) => {
                cmd("CLUSTER")
                    .arg("SLOTS")
                    .query_async::<Value>(&mut connection)
                    .await
            }
            Err(error) => Err(error),
        };
        match reply {
            Ok(reply) => {
                return Topology::parse(&reply).ok_or_else(|| {
                    StoreError::UnexpectedReply("CLUSTER SLOTS gave no slot map".to_owned())
                });
            }
            Err(error) => last = Some(error),
        }
    }
    Err(last.map_or_else(
        || StoreError::Config("a Cluster store has at least one URL".to_owned()),
        |error| StoreError::Unavailable(Box::new(error)),
    ))
}

/// A client of the master at `host:port`, with `seed`'s credentials and TLS.
#[cfg(feature = "cluster")]
pub(super) fn client_of(seed: &Client, host: &str, port: u16) -> Result<Client, StoreError> {
    let info = seed.get_connection_info().clone();
    let addr = match info.addr() {
        ConnectionAddr::Tcp(..) => ConnectionAddr::Tcp(host.to_owned(), port),
        ConnectionAddr::TcpTls {
            insecure,
            tls_params,
            ..
        } => ConnectionAddr::TcpTls {
            host: host.to_owned(),
            port,
            insecure: *insecure,
            tls_params: tls_params.clone(),
        },
        _ => {
            return Err(StoreError::Config(
                "the local cache reaches Cluster nodes over TCP only".to_owned(),
            ));
        }
    };
    Client::open(info.set_addr(addr))
        .map_err(|error| StoreError::Config(format!("the local cache's connection: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: i64, end: i64, port: i64) -> Value {
        Value::Array(vec![
            Value::Int(start),
            Value::Int(end),
            Value::Array(vec![
                Value::BulkString(b"127.0.0.1".to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ]),
        ])
    }

    #[test]
    fn the_masters_are_read_from_the_slot_map_once_each() {
        let reply = Value::Array(vec![
            range(0, 99, 7001),
            range(100, 199, 7002),
            range(200, 299, 7001),
        ]);
        let topology = Topology::parse(&reply).expect("a slot map");
        assert_eq!(
            topology.masters(),
            vec![
                ("127.0.0.1".to_owned(), 7001),
                ("127.0.0.1".to_owned(), 7002)
            ]
        );
    }

    #[test]
    fn slots_are_those_redis_gives() {
        // As `CLUSTER KEYSLOT` answers.
        assert_eq!(slot(b"foo"), 12_182);
        assert_eq!(slot(b"bar"), 5_061);
        assert_eq!(slot(b"123456789"), 12_739);
        assert_eq!(slot(b"{user1000}.following"), slot(b"user1000"));
        assert_ne!(
            slot(b"foo{}{bar}"),
            slot(b"bar"),
            "an empty tag hashes the whole key"
        );
        assert_eq!(slot(b"foo{{bar}}zap"), slot(b"{bar"));
    }

    #[test]
    fn each_range_routes_to_its_master() {
        let reply = Value::Array(vec![
            range(0, 99, 7002),
            range(100, 199, 7001),
            range(200, 299, 7002),
        ]);
        let topology = Topology::parse(&reply).expect("a slot map");
        assert_eq!(
            topology.routes(),
            vec![(0, 99, 1), (100, 199, 0), (200, 299, 1)]
        );
    }

    #[test]
    fn a_slot_moved_to_another_master_is_another_topology() {
        let before = Value::Array(vec![range(0, 99, 7001), range(100, 199, 7002)]);
        let after = Value::Array(vec![range(0, 99, 7001), range(100, 199, 7003)]);
        assert_ne!(Topology::parse(&before), Topology::parse(&after));
    }
}
