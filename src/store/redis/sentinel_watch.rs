//! The pool's watch on a Sentinel-named master: every quarter second it asks every Sentinel
//! which master it names, and once one names another than the master the pool's connections
//! were opened to, it retires them all (see [`Retirement`]).
//!
//! Without it the pool would stay on an old master that is still up: after a failover the
//! Sentinels reconfigure it only some ten seconds later, and never while a partition keeps them
//! from it, while servers that connect meanwhile are sent to the new master; sign-outs made on
//! the old one are lost when it rejoins. A Sentinel that does not answer is not taken for a
//! failover; the others are still asked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use super::recycler::Retirement;
use super::sentinels::{Address, Dissent, Sentinels};

/// How often the Sentinels are asked.
const EVERY: Duration = Duration::from_millis(250);

/// The watch of one store's pool.
pub(super) struct Watch {
    sentinels: Sentinels,
    retirement: Arc<Retirement>,
    /// The master the pool's newest connection was opened to; `None` once retired.
    master: Mutex<Option<Address>>,
    started: AtomicBool,
}

impl Watch {
    pub(super) fn new(sentinels: Sentinels, retirement: Arc<Retirement>) -> Arc<Self> {
        Arc::new(Self {
            sentinels,
            retirement,
            master: Mutex::new(None),
            started: AtomicBool::new(false),
        })
    }

    /// The pool opened a connection to `master`; the watch starts with the first, on the
    /// runtime that serves the requests, and ends when the store is dropped.
    pub(super) fn connected(self: &Arc<Self>, master: Option<Address>) {
        *self.master.lock().unwrap_or_else(PoisonError::into_inner) = master;
        if !self.started.swap(true, Ordering::AcqRel) {
            tokio::spawn(run(Arc::downgrade(self)));
        }
    }
}

async fn run(watch: Weak<Watch>) {
    // One connection per Sentinel, opened again after it fails: one that is down must not
    // blind the watch to what the others say.
    let mut connections = Vec::new();
    let mut ticks = tokio::time::interval(EVERY);
    for round in 0_u64.. {
        ticks.tick().await;
        let Some(strong) = watch.upgrade() else {
            return;
        };
        // Every eighth round (two seconds), the Sentinels that failed are connected again.
        if round % 8 == 0 {
            strong.sentinels.reconnect(&mut connections, EVERY).await;
        }
        let master = strong
            .master
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(master) = master else {
            continue;
        };
        for slot in &mut connections {
            let Some(connection) = slot else {
                continue;
            };
            match strong.sentinels.ask(connection, &master).await {
                Ok(()) => {}
                Err(Dissent::Silent(_)) => *slot = None,
                Err(Dissent::NamesAnother(why)) => {
                    tracing::warn!(%why, "a failover: the store's connections to the old master are closed");
                    *strong.master.lock().unwrap_or_else(PoisonError::into_inner) = None;
                    strong.retirement.retire_all();
                    break;
                }
            }
        }
    }
}
