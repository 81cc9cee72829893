//! The cache's own rules, without a server: tickets, the bounds, the lease and deadlines.

use super::*;

fn loaded(value: &str) -> Loaded {
    Loaded {
        fields: vec![("k".to_owned(), value.to_owned())].into(),
        revision: None,
    }
}

/// A cache whose tracking connection has just proven itself.
fn proven(config: LocalCacheConfig) -> LocalCache {
    let cache = LocalCache::new(config);
    cache.prove(Instant::now());
    cache
}

/// Far ahead: a record Redis keeps for as long as a test runs.
const LATER: UnixMillis = UnixMillis(u64::MAX / 2);

/// Keeps `value` as `key`'s copy of a record that lives until `lives`; its generation (0:
/// not kept).
fn load(cache: &LocalCache, key: &str, value: &str, lives: UnixMillis) -> u64 {
    let ticket = cache.ticket(key.to_owned());
    let _ = cache.settle(ticket, Some(&loaded(value)), Some(lives), LATER);
    cache
        .lock()
        .entries
        .get(key)
        .map_or(0, |entry| entry.generation)
}

fn keep(cache: &LocalCache, key: &str, value: &str) {
    load(cache, key, value, LATER);
}

#[test]
fn a_copy_is_not_served_past_the_deadline_read_with_it() {
    let cache = proven(LocalCacheConfig::default());
    load(&cache, "s:a", "1", UnixMillis(UnixMillis::now().0 + 1));
    std::thread::sleep(Duration::from_millis(5));
    assert!(cache.get("s:a", UnixMillis(0)).is_none());
}

#[test]
fn a_slide_redis_answered_extends_the_copys_life() {
    let cache = proven(LocalCacheConfig::default());
    let generation = load(&cache, "s:a", "1", UnixMillis(UnixMillis::now().0 + 1));
    cache.slid("s:a", generation, LATER);
    std::thread::sleep(Duration::from_millis(5));
    assert!(cache.get("s:a", UnixMillis(0)).is_some());
}

#[test]
fn a_slide_answered_for_an_earlier_copy_vouches_for_no_later_one() {
    let cache = proven(LocalCacheConfig::default());
    let soon = || UnixMillis(UnixMillis::now().0 + 1);
    let earlier = load(&cache, "s:a", "1", soon());
    cache.invalidate(["s:a"]);
    let later = load(&cache, "s:a", "2", soon());
    assert_ne!(earlier, later);
    cache.slid("s:a", earlier, LATER);
    std::thread::sleep(Duration::from_millis(5));
    assert!(cache.get("s:a", UnixMillis(0)).is_none());
}

#[test]
fn a_load_slides_only_a_record_that_has_run_down_by_a_tenth() {
    let cache = proven(LocalCacheConfig::default());
    let now = UnixMillis::now().0;
    let deadline = UnixMillis(now + 100_000);
    let (sender, mut slides) = tokio::sync::mpsc::unbounded_channel();
    cache.track(sender, Arc::new(Routes::new(Vec::new(), None)));
    for (key, lives) in [("s:fresh", now + 95_000), ("s:worn", now + 85_000)] {
        let ticket = cache.ticket(key.to_owned());
        assert!(cache.settle(
            ticket,
            Some(&loaded("1")),
            Some(UnixMillis(lives)),
            deadline
        ));
    }
    let slide = slides.try_recv().expect("one slide");
    assert_eq!((slide.key.as_str(), slide.deadline), ("s:worn", deadline));
    assert!(slides.try_recv().is_err(), "the fresh record was not slid");
}

#[test]
fn a_load_that_an_invalidation_overtook_keeps_nothing() {
    let cache = proven(LocalCacheConfig::default());
    let ticket = cache.ticket("s:a".to_owned());
    cache.invalidate(["s:a"]);
    let _ = cache.settle(ticket, Some(&loaded("old")), Some(LATER), LATER);
    assert!(cache.get("s:a", UnixMillis(0)).is_none());
}

#[test]
fn a_load_that_a_reconnection_overtook_keeps_nothing() {
    let cache = proven(LocalCacheConfig::default());
    let ticket = cache.ticket("s:a".to_owned());
    cache.clear();
    let _ = cache.settle(ticket, Some(&loaded("old")), Some(LATER), LATER);
    assert!(cache.get("s:a", UnixMillis(0)).is_none());
}

#[test]
fn past_the_entry_bound_the_least_recently_used_goes() {
    let cache = proven(LocalCacheConfig::default().max_entries(2));
    keep(&cache, "s:a", "1");
    keep(&cache, "s:b", "2");
    assert!(cache.get("s:a", UnixMillis(0)).is_some(), "a is used");
    keep(&cache, "s:c", "3");
    assert!(cache.get("s:a", UnixMillis(0)).is_some());
    assert!(
        cache.get("s:b", UnixMillis(0)).is_none(),
        "b was the least recently used"
    );
    assert!(cache.get("s:c", UnixMillis(0)).is_some());
}

#[test]
fn a_copy_over_the_byte_bound_is_not_kept() {
    let cache = proven(LocalCacheConfig::default().max_bytes(16));
    keep(&cache, "s:a", &"x".repeat(64));
    assert!(cache.get("s:a", UnixMillis(0)).is_none());
}

#[test]
fn copies_are_not_current_once_the_lease_has_run_out() {
    let cache = LocalCache::new(LocalCacheConfig::default().lease(Duration::from_millis(1)));
    assert!(!cache.current(), "never proven");
    cache.prove(Instant::now());
    std::thread::sleep(Duration::from_millis(5));
    assert!(!cache.current());
}
