//! How often the local cache's slides drop other servers' copies: several servers, each with a
//! cached store, share one Redis and take reads of the same sessions as a load balancer without
//! stickiness would send them. Reads only, so every `GET` after the first read of a session on a
//! server is a copy some other server's slide dropped (or the lease, or the bounds). Each server
//! reads every session once before the count starts.
//!
//!     cargo run --release --manifest-path benches/compare/Cargo.toml --bin slides
//!
//! Time is compressed: the idle timeout is `SLIDES_IDLE_SECS` (20) instead of 30 minutes, so a
//! session slides at most once per two seconds instead of three minutes, and each session is
//! read `SLIDES_READS_PER_WINDOW` (36) times in that window (a page every five seconds, at the
//! real scale). `SLIDES_SERVERS` (4), `SLIDES_SESSIONS` (100) and `SLIDES_SECS` (20) set the rest.

#[path = "../apps.rs"]
#[allow(dead_code)]
mod apps;
#[path = "../../../../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use std::time::{Duration, Instant};

use axum::Router;
use tower_redis_session::{LocalCacheConfig, RedisStore};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The calls of `command` Redis counted since its statistics were last reset.
fn calls(redis: &server::RedisServer, command: &str) -> u64 {
    let stats = redis.cmd(&["INFO", "commandstats"]).strings().concat();
    stats
        .lines()
        .find_map(|line| line.strip_prefix(&format!("cmdstat_{command}:calls=")))
        .and_then(|rest| rest.split(',').next())
        .and_then(|calls| calls.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let servers = setting("SLIDES_SERVERS", 4) as usize;
    let sessions = setting("SLIDES_SESSIONS", 100) as usize;
    let idle = Duration::from_secs(setting("SLIDES_IDLE_SECS", 20));
    let per_window = setting("SLIDES_READS_PER_WINDOW", 36);
    let run = Duration::from_secs(setting("SLIDES_SECS", 20));
    let window = idle / 10;
    let gap = window / per_window as u32;

    let redis = server::RedisServer::start();
    let url = redis.url();
    let routers: Vec<Router> = (0..servers)
        .map(|_| {
            let store = RedisStore::builder(&url).local_cache(LocalCacheConfig::default());
            apps::ours_with(store, apps::Work::Read, |layer| layer.idle_timeout(idle))
        })
        .collect();
    let cookies = apps::sessions(&routers[0], sessions).await;
    for router in &routers {
        for cookie in &cookies {
            apps::request(router, cookie, &[]).await;
        }
    }
    redis.cmd(&["CONFIG", "RESETSTAT"]);

    // Each session is one browser: a read every `gap`, each to a server picked at random.
    let started = Instant::now();
    let tasks: Vec<_> = (cookies.into_iter().enumerate())
        .map(|(n, cookie)| {
            let routers = routers.clone();
            tokio::spawn(async move {
                let mut pick = n as u64 * 0x9e37_79b9_7f4a_7c15 + 1;
                let mut reads = 0u64;
                tokio::time::sleep(gap * (n as u32 % per_window as u32) / sessions as u32).await;
                let mut tick = tokio::time::interval(gap);
                while started.elapsed() < run {
                    tick.tick().await;
                    pick ^= pick << 13;
                    pick ^= pick >> 7;
                    pick ^= pick << 17;
                    apps::request(&routers[pick as usize % routers.len()], &cookie, &[]).await;
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let mut reads = 0;
    for task in tasks {
        reads += task.await.expect("a browser's reads");
    }
    let (misses, slides) = (calls(&redis, "get"), calls(&redis, "pexpireat"));
    let windows = run.as_secs_f64() / window.as_secs_f64();
    println!(
        "{servers} servers, {sessions} sessions, idle timeout {idle:?} (a slide at most every \
         {window:?} per session), {per_window} reads per session per window, {run:?}"
    );
    println!("reads: {reads}");
    println!(
        "slides: {slides} ({:.2} per session per window)",
        slides as f64 / sessions as f64 / windows
    );
    println!(
        "copies dropped by other servers' slides (reads that went to Redis): {misses} \
         ({:.2} % of reads, {:.2} per slide)",
        100.0 * misses as f64 / reads as f64,
        misses as f64 / slides.max(1) as f64
    );
    println!(
        "Redis round trips per read: {:.4} (a load is one, `GET` and `PTTL` pipelined; a slide \
         is one, off the request's path)",
        (misses + slides) as f64 / reads as f64
    );
}
