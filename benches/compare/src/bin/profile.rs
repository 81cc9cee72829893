//! Instruction counts per request, for `valgrind --tool=callgrind`: drives one variant's router
//! in process (no HTTP), so the profile shows only the layer, the handler and the Redis client.
//!
//!     cargo build --release --manifest-path benches/compare/Cargo.toml
//!     valgrind --tool=callgrind benches/compare/target/release/profile ours-read [requests]
//!
//! Run it twice with different request counts: the difference, divided by the difference in
//! requests, is the cost of one request without the setup. With `PROFILE_HEADERS=browser` each
//! request also carries the eleven other headers a browser sends with a page request.

#[path = "../apps.rs"]
mod apps;
#[path = "../../../../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

/// The headers a browser sends with a page request besides its cookie (Chromium's, shortened).
const BROWSER_HEADERS: [(&str, &str); 11] = [
    ("host", "shop.example"),
    ("connection", "keep-alive"),
    ("upgrade-insecure-requests", "1"),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    ),
    (
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
    ("sec-fetch-site", "same-origin"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-dest", "document"),
    ("referer", "https://shop.example/"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-language", "en-GB,en;q=0.9"),
];

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let variant = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ours-read".into());
    let requests: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let redis = server::RedisServer::start();
    let url = redis.url();
    redis.cmd(&["SET", "bench:floor", &"x".repeat(200)]);
    let (router, with_sessions) = match variant.as_str() {
        "floor" => (apps::floor_multiplexed(&url).await, false),
        "pool" => (apps::floor_default_pool(&url), false),
        "ideal-read" => (apps::ideal_sliding_read(&url).await, true),
        "ideal-cached-read" => (apps::ideal_cached_read(&url).await, true),
        "ideal-rmw" => (apps::ideal_read_modify_write(&url).await, true),
        "ideal-atomic-rmw" => (apps::ideal_atomic_read_modify_write(&url).await, true),
        "ideal-native-cas-rmw" => (apps::ideal_native_cas_read_modify_write(&url).await, true),
        "ours-untouched" => (apps::ours(&url, apps::Work::Untouched), true),
        "ours-read" => (apps::ours(&url, apps::Work::Read), true),
        #[cfg(feature = "local-cache")]
        "ours-cached-read" => (apps::ours_cached(&url, apps::Work::Read), true),
        "ours-rmw" => (apps::ours(&url, apps::Work::ReadModifyWrite), true),
        "ts-read" => (
            apps::tower_sessions(&url, apps::Work::Read, false).await,
            true,
        ),
        "ts-save" => (
            apps::tower_sessions(&url, apps::Work::Read, true).await,
            true,
        ),
        "ts-rmw" => (
            apps::tower_sessions(&url, apps::Work::ReadModifyWrite, false).await,
            true,
        ),
        "noop-layer" => (apps::bare_behind_empty_layer(), false),
        _ => (apps::bare(), false),
    };
    let cookies = if with_sessions {
        apps::sessions(&router, 100).await
    } else {
        apps::stand_in_cookies(100)
    };
    let browser = std::env::var("PROFILE_HEADERS").is_ok_and(|headers| headers == "browser");
    let extra: &[(&str, &'static str)] = if browser { &BROWSER_HEADERS } else { &[] };
    for i in 0..requests {
        apps::request(&router, &cookies[i % cookies.len()], extra).await;
    }
    println!("{requests} requests to {variant}");
}
