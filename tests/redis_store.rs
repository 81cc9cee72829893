//! The conformance suite against a real `redis-server`, plus what only Redis can show: round
//! trips, TTLs, the stored layout and failures.

mod common;

use common::Redis;

conformance_suite!(Redis);
