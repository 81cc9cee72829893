//! Which tracking connection a key's commands go on: the slides of cached reads, and the reads
//! whose copies are kept. Both go to the server the cache tracks, on the connection whose
//! invalidations they must be ordered with: on a Cluster, the master of the key's slot.

use deadpool_redis::redis::aio::MultiplexedConnection;

use super::cluster::{self, Topology};

/// The tracking connections of one tracking session, and where each key's commands go.
pub(super) struct Routes {
    connections: Vec<MultiplexedConnection>,
    /// On a Cluster, the slot ranges with the index of their master's connection.
    slots: Option<Vec<(i64, i64, usize)>>,
}

impl Routes {
    pub(super) fn new(
        connections: Vec<MultiplexedConnection>,
        topology: Option<&Topology>,
    ) -> Self {
        Self {
            connections,
            slots: topology.map(Topology::routes),
        }
    }

    /// The connection of the server holding `key`; `None` if no master serves its slot.
    pub(super) fn connection(&self, key: &str) -> Option<MultiplexedConnection> {
        let at = match &self.slots {
            None => 0,
            Some(slots) => {
                let slot = cluster::slot(key.as_bytes());
                let (_, _, at) =
                    (slots.iter()).find(|(start, end, _)| (*start..=*end).contains(&slot))?;
                *at
            }
        };
        self.connections.get(at).cloned()
    }
}
