//! Side-by-side benchmark: tower-redis-session, tower-sessions 0.14 (+ redis-store 0.16), the
//! floors (bare handler, one raw GET) and the ideal references (an empty layer; a sliding read,
//! a read from a map of this process, and read-modify-writes, one unsafe and two atomic, written
//! straight into handlers), against
//! one private redis-server, in one run.
//!
//!     cargo run --release --manifest-path benches/compare/Cargo.toml
//!
//! `REDIS_SERVER_BIN` names another server binary (a Valkey 8.1+ or Redis 8.4+ one adds the ideal
//! write with a native compare-and-set, `SET … IFEQ`, which older servers lack).
//!
//! Each variant is served by its own single-threaded runtime (one core at most), driven by wrk
//! if it is installed (or the in-process load generator) with 32 keep-alive connections rotating
//! over 1,000 sessions. Figures are medians of interleaved rounds (three unless `BENCH_ROUNDS`
//! says otherwise). Only ratios within one run are comparable.

mod alloc_count;
mod apps;
mod load;

#[global_allocator]
static ALLOCATOR: alloc_count::Counting = alloc_count::Counting;
#[path = "../../../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use std::time::Duration;

use axum::Router;
use server::RedisServer;

const BARE: &str = "bare axum handler";
const EMPTY_LAYER: &str = "bare handler behind an empty layer";
const FLOOR: &str = "one GET, shared multiplexed conn (floor)";
const IDEAL_READ: &str = "ideal sliding read: cookie, GETEX, decode; no layer";
const IDEAL_CACHED_READ: &str =
    "ideal cached read: cookie, a map of this process, decode; no layer, no coherence";
const IDEAL_RMW: &str = "ideal read-modify-write: GETEX, SET of the whole record; no layer";
const IDEAL_ATOMIC_RMW: &str =
    "ideal atomic read-modify-write: GETEX, compare-and-set script; no layer";
const IDEAL_NATIVE_CAS_RMW: &str =
    "ideal native compare-and-set read-modify-write: GETEX, SET IFEQ; no layer";
const POOL: &str = "one GET, deadpool-redis default pool";
const OURS_UNTOUCHED: &str = "ours: route that never touches the session";
const OURS_READ: &str = "ours: read (TTL slid)";
const OURS_CACHED_READ: &str = "ours: cached read (local cache, TTL slid in the background)";
const OURS_RMW: &str = "ours: read-modify-write";
const TS_READ: &str = "tower-sessions: read (no slide)";
const TS_SAVE: &str = "tower-sessions: read, always_save";
const TS_RMW: &str = "tower-sessions: read-modify-write";

fn connections() -> usize {
    setting("BENCH_CONNECTIONS", 32)
}

/// Rounds per variant; more of them steady the medians on a noisy machine.
fn rounds() -> usize {
    setting("BENCH_ROUNDS", 3).max(1)
}

/// A numeric setting from the environment, or `default`.
fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
/// Whether wrk drives the servers, as the figures were measured: when it is installed,
/// unless `BENCH_LOAD=in-process` asks for the in-process load generator.
fn with_wrk() -> bool {
    static WRK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WRK.get_or_init(|| match std::env::var("BENCH_LOAD").as_deref() {
        Ok("in-process") => false,
        Ok("wrk") => true,
        _ => std::process::Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok(),
    })
}

const SESSIONS: usize = 1000;
const SAMPLE: usize = 200;

fn seconds() -> Duration {
    Duration::from_secs_f64(setting("BENCH_SECS", 3.0))
}

struct Round {
    rate: f64,
    p50: f64,
    p99: f64,
    commands: f64,
    /// Bytes Redis received (commands and their arguments), per request.
    bytes_in: f64,
    server_cpu: f64,
    client_cpu: f64,
    redis_cpu: f64,
    allocations: f64,
}

struct Variant {
    name: &'static str,
    port: u16,
    tid: u32,
    cookies: Vec<String>,
    /// Per round: what it measured.
    rounds: Vec<Round>,
    round_trips: f64,
    errors: u64,
}

/// Builds the variant's app and serves it on its own thread with a single-threaded runtime.
/// Everything, the app's Redis connections and their driver tasks included, lives on that
/// thread, so its CPU time is the variant's whole cost. Returns (port, thread id, cookies).
fn serve(name: &'static str, url: String) -> (u16, u32, Vec<String>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new().name("server".into());
    let _ = thread.spawn(move || {
        alloc_count::count_this_thread();
        let tid = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|p| p.file_name()?.to_str()?.parse().ok())
            .unwrap_or(0);
        if std::env::var_os("BENCH_NO_PIN").is_none() {
            pin(tid, SERVER_CORE);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let (router, with_sessions) = build(name, &url).await;
            let cookies = if with_sessions {
                apps::sessions(&router, SESSIONS).await
            } else {
                apps::stand_in_cookies(SESSIONS)
            };
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let port = listener.local_addr().expect("addr").port();
            tx.send((port, tid, cookies)).expect("report port");
            axum::serve(listener, router).await.expect("serve");
        });
    });
    rx.recv().expect("server started")
}

/// The app of a variant, and whether it needs sessions created first.
async fn build(name: &str, url: &str) -> (Router, bool) {
    match name {
        BARE => (apps::bare(), false),
        EMPTY_LAYER => (apps::bare_behind_empty_layer(), false),
        FLOOR => (apps::floor_multiplexed(url).await, false),
        POOL => (apps::floor_default_pool(url), false),
        IDEAL_READ => (apps::ideal_sliding_read(url).await, true),
        IDEAL_CACHED_READ => (apps::ideal_cached_read(url).await, true),
        IDEAL_RMW => (apps::ideal_read_modify_write(url).await, true),
        IDEAL_ATOMIC_RMW => (apps::ideal_atomic_read_modify_write(url).await, true),
        IDEAL_NATIVE_CAS_RMW => (apps::ideal_native_cas_read_modify_write(url).await, true),
        OURS_UNTOUCHED => (apps::ours(url, apps::Work::Untouched), true),
        OURS_READ => (apps::ours(url, apps::Work::Read), true),
        #[cfg(feature = "local-cache")]
        OURS_CACHED_READ => (apps::ours_cached(url, apps::Work::Read), true),
        OURS_RMW => (apps::ours(url, apps::Work::ReadModifyWrite), true),
        TS_READ => (
            apps::tower_sessions(url, apps::Work::Read, false).await,
            true,
        ),
        TS_SAVE => (
            apps::tower_sessions(url, apps::Work::Read, true).await,
            true,
        ),
        _ => (
            apps::tower_sessions(url, apps::Work::ReadModifyWrite, false).await,
            true,
        ),
    }
}

/// The server threads get core 0 to themselves; the load generator and Redis share core 1.
const SERVER_CORE: u32 = 0;
const CLIENT_CORE: u32 = 1;

/// Pins a thread (or, with `all`, every thread of a process) to one core, if `taskset` exists.
fn pin_with(args: &[&str], id: u32, core: u32) {
    let status = std::process::Command::new("taskset")
        .args(args)
        .arg(core.to_string())
        .arg(id.to_string())
        .stdout(std::process::Stdio::null())
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("could not pin {id} to core {core}; figures will be noisier");
    }
}

fn pin(tid: u32, core: u32) {
    pin_with(&["-pc"], tid, core);
}

/// CPU time (user + system) a thread or process has used, in microseconds, from `/proc/<path>/stat`.
fn cpu_micros(path: &str) -> f64 {
    stat_micros(path, 11)
}

/// CPU time (user + system) of this process's children that have ended (wrk), in microseconds.
fn children_cpu_micros() -> f64 {
    stat_micros("self", 13)
}

/// The sum of the two clock-tick fields of `/proc/<path>/stat` starting at `first` (counted
/// after the command name), in microseconds.
fn stat_micros(path: &str, first: usize) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{path}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .iter()
        .skip(first)
        .take(2)
        .filter_map(|v| v.parse::<f64>().ok())
        .sum();
    ticks * 1_000_000.0 / 100.0
}

fn total_commands(server: &RedisServer) -> f64 {
    server
        .cmd(&["INFO", "commandstats"])
        .strings()
        .concat()
        .lines()
        .filter(|line| !line.starts_with("cmdstat_info") && !line.starts_with("cmdstat_config"))
        .filter_map(|line| {
            line.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum::<u64>() as f64
}

/// What Redis has received since its statistics were reset, in bytes.
fn bytes_received(server: &RedisServer) -> f64 {
    server
        .cmd(&["INFO", "stats"])
        .strings()
        .concat()
        .lines()
        .find_map(|line| line.strip_prefix("total_net_input_bytes:"))
        .and_then(|bytes| bytes.trim().parse::<u64>().ok())
        .unwrap_or(0) as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let redis = RedisServer::start();
    let url = redis.url();
    if std::env::var_os("BENCH_NO_PIN").is_none() {
        pin_with(&["-apc"], std::process::id(), CLIENT_CORE);
        pin_with(&["-apc"], redis.pid().unwrap_or(0), CLIENT_CORE);
    }
    redis.cmd(&["SET", "bench:floor", &"x".repeat(200)]);

    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let native_cas = redis.has_set_ifeq();
    if !native_cas {
        eprintln!("this server has no SET … IFEQ: skipping \"{IDEAL_NATIVE_CAS_RMW}\"");
    }
    let wanted = |name: &str| {
        (native_cas || name != IDEAL_NATIVE_CAS_RMW)
            && (only.is_empty() || only.split(',').any(|part| name.contains(part)))
    };
    let mut variants = Vec::new();
    for name in [
        BARE,
        EMPTY_LAYER,
        FLOOR,
        POOL,
        OURS_UNTOUCHED,
        IDEAL_READ,
        IDEAL_CACHED_READ,
        IDEAL_RMW,
        IDEAL_ATOMIC_RMW,
        IDEAL_NATIVE_CAS_RMW,
        OURS_READ,
        OURS_CACHED_READ,
        OURS_RMW,
        TS_READ,
        TS_SAVE,
        TS_RMW,
    ] {
        if !wanted(name) {
            continue;
        }
        let (port, tid, cookies) = serve(name, url.clone());
        variants.push(Variant {
            name,
            port,
            tid,
            cookies,
            rounds: Vec::new(),
            round_trips: 0.0,
            errors: 0,
        });
    }

    eprintln!("warming up…");
    for variant in &variants {
        let requests = load::requests(variant.port, &variant.cookies);
        load::run(
            variant.port,
            &requests,
            connections(),
            Duration::from_millis(500),
        )
        .await;
    }
    let tids: Vec<u32> = variants.iter().map(|v| v.tid).collect();
    let rounds = rounds();
    for round in 0..rounds {
        for variant in &mut variants {
            eprintln!("round {}/{rounds}: {}", round + 1, variant.name);
            let requests = load::requests(variant.port, &variant.cookies);
            redis.cmd(&["CONFIG", "RESETSTAT"]);
            let server_thread = format!("self/task/{}", variant.tid);
            let redis_process = redis.pid().unwrap_or(0).to_string();
            let servers_cpu = || -> f64 {
                tids.iter()
                    .map(|tid| cpu_micros(&format!("self/task/{tid}")))
                    .sum()
            };
            let client_cpu = || {
                if with_wrk() {
                    children_cpu_micros()
                } else {
                    cpu_micros("self") - servers_cpu()
                }
            };
            let cpu_before = (cpu_micros(&server_thread), cpu_micros(&redis_process));
            let client_before = client_cpu();
            let allocations_before = alloc_count::server_allocations();
            let measured = if with_wrk() {
                load::run_wrk(
                    variant.port,
                    &variant.cookies,
                    connections(),
                    seconds(),
                    CLIENT_CORE,
                )
            } else {
                load::run(variant.port, &requests, connections(), seconds()).await
            };
            let n = measured.requests as f64;
            if std::env::var_os("BENCH_DEBUG").is_some() {
                eprintln!(
                    "{}",
                    redis.cmd(&["INFO", "commandstats"]).strings().concat()
                );
            }
            variant.errors += measured.errors;
            variant.rounds.push(Round {
                rate: measured.rate(),
                p50: f64::from(measured.p50),
                p99: f64::from(measured.p99),
                commands: total_commands(&redis) / n,
                bytes_in: bytes_received(&redis) / n,
                server_cpu: (cpu_micros(&server_thread) - cpu_before.0) / n,
                client_cpu: (client_cpu() - client_before) / n,
                redis_cpu: (cpu_micros(&redis_process) - cpu_before.1) / n,
                allocations: (alloc_count::server_allocations() - allocations_before) as f64 / n,
            });
        }
    }
    for variant in &mut variants {
        let requests = load::requests(variant.port, &variant.cookies);
        let monitor = redis.monitor();
        load::run_count(variant.port, &requests, SAMPLE).await;
        variant.round_trips = monitor.commands().len() as f64 / SAMPLE as f64;
    }

    println!(
        "\nLoad: {}, {} connections rotating over {SESSIONS} sessions, {rounds} rounds of {:?}.",
        if with_wrk() {
            "wrk (one thread)"
        } else {
            "the in-process generator"
        },
        connections(),
        seconds()
    );
    print_table(&variants);
    print_memory(&redis).await;
}

fn print_table(variants: &[Variant]) {
    let find = |name: &str| variants.iter().find(|v| v.name == name);
    let med = |v: &Variant, f: fn(&Round) -> f64| median(v.rounds.iter().map(f).collect());
    let floor = find(FLOOR).map_or(f64::NAN, |v| med(v, |r| r.rate));
    println!();
    println!(
        "| variant | req/s | p50 µs | p99 µs | commands sent/req | commands run/req (incl. in scripts) | bytes to Redis/req | server CPU µs/req | allocations/req | Redis CPU µs/req | load generator CPU µs/req | × floor |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for v in variants {
        let of = |f: fn(&Round) -> f64| med(v, f);
        let rate = of(|r| r.rate);
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} |{}",
            v.name,
            rate,
            of(|r| r.p50),
            of(|r| r.p99),
            v.round_trips,
            of(|r| r.commands),
            of(|r| r.bytes_in),
            of(|r| r.server_cpu),
            of(|r| r.allocations),
            of(|r| r.redis_cpu),
            of(|r| r.client_cpu),
            if floor.is_nan() {
                "–".to_owned()
            } else {
                format!("{:.2}", rate / floor)
            },
            if v.errors > 0 {
                format!(" {} errors", v.errors)
            } else {
                String::new()
            },
        );
    }
    println!();
    // The targets, then references that are not targets: how near our read and write
    // are to the least work any implementation must do, how far above tower-sessions that least
    // work is, and what any layer added with `Router::layer` costs.
    #[rustfmt::skip]
    let checks = [
        ("ours read vs the one-GET floor", OURS_READ, FLOOR, Some(0.8)),
        ("ours read vs tower-sessions read", OURS_READ, TS_READ, Some(1.3)),
        ("ours read vs tower-sessions always_save read", OURS_READ, TS_SAVE, Some(2.0)),
        ("ours read-modify-write vs tower-sessions read-modify-write", OURS_RMW, TS_RMW, Some(1.5)),
        ("ours untouched route vs the bare handler", OURS_UNTOUCHED, BARE, Some(0.97)),
        ("ours cached read vs the one-GET floor", OURS_CACHED_READ, FLOOR, Some(1.5)),
        ("ours cached read vs the route that never touches the session", OURS_CACHED_READ, OURS_UNTOUCHED, Some(0.8)),
        ("ours read vs the ideal sliding read", OURS_READ, IDEAL_READ, None),
        ("the ideal sliding read vs tower-sessions read", IDEAL_READ, TS_READ, None),
        ("ours read-modify-write vs the ideal read-modify-write", OURS_RMW, IDEAL_RMW, None),
        ("the ideal read-modify-write vs tower-sessions read-modify-write", IDEAL_RMW, TS_RMW, None),
        ("ours read-modify-write vs the ideal atomic one", OURS_RMW, IDEAL_ATOMIC_RMW, None),
        ("the ideal atomic read-modify-write vs tower-sessions'", IDEAL_ATOMIC_RMW, TS_RMW, None),
        ("ours read-modify-write vs the ideal native compare-and-set one", OURS_RMW, IDEAL_NATIVE_CAS_RMW, None),
        ("the ideal native compare-and-set read-modify-write vs tower-sessions'", IDEAL_NATIVE_CAS_RMW, TS_RMW, None),
        ("ours cached read vs the ideal cached read", OURS_CACHED_READ, IDEAL_CACHED_READ, None),
        ("the ideal cached read vs the one-GET floor", IDEAL_CACHED_READ, FLOOR, None),
        ("the ideal cached read vs the route that never touches the session", IDEAL_CACHED_READ, OURS_UNTOUCHED, None),
        ("the ideal cached read vs the bare handler", IDEAL_CACHED_READ, BARE, None),
        ("an empty layer vs the bare handler (for scale)", EMPTY_LAYER, BARE, None),
    ];
    // Besides the ratio of medians: the ratio within each round (the variants of a round ran
    // back to back, so it is the fairer pairing on a noisy machine), and the inverse ratio of
    // server CPU per request, the throughput ratio a server-bound load would see.
    for (label, ours, theirs, target) in checks {
        let (Some(ours), Some(theirs)) = (find(ours), find(theirs)) else {
            continue;
        };
        let value = med(ours, |r| r.rate) / med(theirs, |r| r.rate);
        let per_round: Vec<f64> = ours
            .rounds
            .iter()
            .zip(&theirs.rounds)
            .map(|(o, t)| o.rate / t.rate)
            .collect();
        let low = per_round.iter().copied().fold(f64::INFINITY, f64::min);
        let high = per_round.iter().copied().fold(0.0, f64::max);
        let cpu = med(theirs, |r| r.server_cpu) / med(ours, |r| r.server_cpu);
        let verdict = match target {
            Some(target) if value >= target => format!(" (target ≥ {target}×) ok"),
            Some(target) => format!(" (target ≥ {target}×) MISSED"),
            None => String::new(),
        };
        println!(
            "- {label}: {value:.3}×{verdict}; \
             per round {low:.2}–{high:.2}×; by server CPU per request {cpu:.2}×"
        );
    }
}

/// Redis memory of one session per store and payload shape (MEMORY USAGE of its key).
async fn print_memory(redis: &RedisServer) {
    let url = redis.url();
    let usage = |key: &str| match redis.cmd(&["MEMORY", "USAGE", key]) {
        server::Reply::Int(bytes) => bytes,
        _ => 0,
    };
    let value = |cookie: &str| {
        cookie
            .split_once('=')
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default()
    };
    let ours_key = |cookie: &str| {
        tower_redis_session::SessionId::parse(&value(cookie))
            .map(|id| format!("trs:s:{}", id.handle()))
            .unwrap_or_default()
    };
    let ours = apps::ours(&url, apps::Work::Read);
    let theirs = apps::tower_sessions(&url, apps::Work::Read, false).await;
    println!();
    println!("Redis memory per session (MEMORY USAGE of the session key):");
    println!("| payload | ours | tower-sessions |");
    println!("|---|---:|---:|");
    for (shape, route) in [
        ("the ~180-byte profile as one key, plus a counter", "/login"),
        (
            "the same profile as 7 small keys, plus a counter",
            "/login-split",
        ),
    ] {
        let ours_cookie = &apps::sessions_via(&ours, route, 1).await[0];
        let theirs_cookie = &apps::sessions_via(&theirs, route, 1).await[0];
        println!(
            "| {shape} | {} bytes | {} bytes |",
            usage(&ours_key(ours_cookie)),
            usage(&value(theirs_cookie))
        );
    }
    // A session written to keeps changing size (ours appends changes until it compacts), so
    // this row is the mean over the states after each of 20 writes.
    const WRITES: i64 = 20;
    let ours = apps::ours(&url, apps::Work::ReadModifyWrite);
    let theirs = apps::tower_sessions(&url, apps::Work::ReadModifyWrite, false).await;
    let ours_cookie = &apps::sessions(&ours, 1).await[0];
    let theirs_cookie = &apps::sessions(&theirs, 1).await[0];
    let (mut ours_total, mut theirs_total) = (0, 0);
    for _ in 0..WRITES {
        apps::request(&ours, ours_cookie, &[]).await;
        apps::request(&theirs, theirs_cookie, &[]).await;
        ours_total += usage(&ours_key(ours_cookie));
        theirs_total += usage(&value(theirs_cookie));
    }
    println!(
        "| the profile plus a counter, mean over {WRITES} read-modify-writes | {} bytes | {} bytes |",
        ours_total / WRITES,
        theirs_total / WRITES
    );
}
