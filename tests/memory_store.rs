//! The conformance suite against [`MemoryStore`](tower_redis_session::MemoryStore).

mod common;

use common::Memory;

tower_redis_session::conformance_suite!(Memory);
