//! Every behaviour `tower-redis-session`'s own stores pass, against `VecStore`.

use third_party_store::VecStore;
use tower_redis_session::test_kit::Backend;

struct Fresh(VecStore);

impl Backend for Fresh {
    type Store = VecStore;

    fn start() -> Self {
        Fresh(VecStore::default())
    }

    fn store(&self) -> VecStore {
        self.0.clone()
    }
}

tower_redis_session::conformance_suite!(Fresh);
