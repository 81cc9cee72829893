//! The conformance suite against [`MemoryStore`](tower_redis_session::MemoryStore).

mod common;

use common::Memory;

conformance_suite!(Memory);
