//! A local Sentinel group (a master, a replica, three sentinels) shared by one test binary;
//! every process runs under the watchdog of [`super::cluster::spawn_watched`].

use std::process::Child;
use std::sync::OnceLock;

use std::time::{Duration, Instant};

use super::cluster::{answers, dir_name, free_port_pair, redis_cli, spawn_watched, wait_for};

pub const MASTER_NAME: &str = "sessions";

pub struct RedisSentinel {
    pub master: u16,
    pub replica: u16,
    pub sentinels: Vec<u16>,
    _watchdogs: Vec<Child>,
}

static GROUP: OnceLock<RedisSentinel> = OnceLock::new();

impl RedisSentinel {
    pub fn shared() -> &'static RedisSentinel {
        GROUP.get_or_init(Self::start)
    }

    pub fn sentinel_urls(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|port| format!("redis://127.0.0.1:{port}"))
            .collect()
    }

    /// The port of the master the Sentinels name now.
    pub fn current_master(&self) -> u16 {
        let reply = redis_cli(
            self.sentinels[0],
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME],
        );
        (reply.lines().nth(1))
            .and_then(|port| port.trim().parse().ok())
            .expect("the Sentinels name a master")
    }

    /// Whether every Sentinel has switched to `port` as the master (`SENTINEL MASTERS`, which
    /// redis-rs asks, names the new master only then; during the failover, before the switch,
    /// `GET-MASTER-ADDR-BY-NAME` already names the promoted replica).
    pub fn switched_to(&self, port: u16) -> bool {
        self.sentinels.iter().all(|sentinel| {
            let reply = redis_cli(*sentinel, &["SENTINEL", "MASTER", MASTER_NAME]);
            let mut lines = reply.lines();
            lines.any(|line| line == "port") && lines.next() == Some(&port.to_string())
        })
    }

    /// Waits until the node that is not the master is its synced replica: after a failover the
    /// old master stays a master for some ten seconds (until the Sentinels reconfigure it), so
    /// once every Sentinel has switched it is told to replicate the new one here, as the
    /// Sentinels would; they refuse another failover until it has synced. The master's port and the replica's.
    pub fn settle(&self) -> (u16, u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let master = self.current_master();
            let replica = if master == self.master {
                self.replica
            } else {
                self.master
            };
            let link = redis_cli(replica, &["INFO", "replication"]);
            // Only once the failover is over: while it runs, the Sentinels may still name the
            // old master to a client (`SENTINEL MASTERS`).
            if link.contains("role:master") && self.switched_to(master) {
                // It may have been kept a master (`keep_master`).
                redis_cli(replica, &["ACL", "SETUSER", "default", "+@all"]);
                redis_cli(replica, &["REPLICAOF", "127.0.0.1", &master.to_string()]);
            }
            if link.contains(&format!("master_port:{master}"))
                && link.contains("master_link_status:up")
            {
                return (master, replica);
            }
            assert!(
                Instant::now() < deadline,
                "{replica} never became a synced replica of {master}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Keeps the node at `port` a master until the next `settle`, as a partition between it and
    /// the Sentinels would: it refuses their `REPLICAOF` (by an ACL), so after a failover it stays
    /// a writable master for as long as a test needs, not the some ten seconds the Sentinels
    /// take to reconfigure it, which a busy machine can outlast.
    pub fn keep_master(&self, port: u16) {
        redis_cli(
            port,
            &["ACL", "SETUSER", "default", "-replicaof", "-slaveof"],
        );
    }

    /// Fails the group over once its replica has everything the master has (as a failover
    /// never loses an acknowledged write); the ports of the master before and after.
    pub fn fail_over(&self) -> (u16, u16) {
        let (old, new) = self.settle();
        // Not `WAIT`: from a connection that wrote nothing it waits for nothing.
        let written = repl_offset(old);
        let synced = Instant::now() + Duration::from_secs(30);
        while repl_offset(new) < written {
            assert!(Instant::now() < synced, "{new} never caught up with {old}");
            std::thread::sleep(Duration::from_millis(20));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let reply = redis_cli(self.sentinels[0], &["SENTINEL", "FAILOVER", MASTER_NAME]);
            if reply.contains("OK") {
                return (old, new);
            }
            assert!(
                Instant::now() < deadline,
                "the Sentinels never began a failover: {reply}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn start() -> Self {
        // A port found free can be taken by another process before the server binds it, so a
        // process that never answers means: try again elsewhere.
        for attempt in 1..=3 {
            match Self::try_start(attempt) {
                Ok(group) => return group,
                Err(port) => eprintln!("sentinel group: {port} did not start; retrying"),
            }
        }
        panic!("the test Sentinel group did not start in three attempts (see the temp dir)");
    }

    /// The group, or the port of a process that never answered (all of them stopped).
    fn try_start(attempt: u32) -> Result<Self, u16> {
        let dir =
            std::env::temp_dir().join(format!("trs-sentinel-{}-{attempt}", std::process::id()));
        let (master, replica) = (free_port_pair(), free_port_pair());
        let mut watchdogs = Vec::new();
        for (port, extra) in [
            (master, String::new()),
            (replica, format!("--replicaof 127.0.0.1 {master}")),
        ] {
            let node_dir = dir.join(port.to_string());
            std::fs::create_dir_all(&node_dir).expect("node directory");
            watchdogs.push(spawn_watched(&format!(
                "redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no \
                 --dir {} --logfile redis.log {extra}",
                node_dir.display()
            )));
        }
        // A process is ours if it runs in our directory (a Sentinel: from our configuration
        // file): another test may have found the same port free and started its server first.
        let ours = |port: &u16, time| {
            let node = format!("{}/{port}", dir_name(&dir));
            answers(*port, "CONFIG GET dir", &node, time)
        };
        let our_sentinel = |port: &u16, time| {
            let sentinel = format!("{}/s{port}", dir_name(&dir));
            answers(*port, "INFO server", &sentinel, time)
        };
        let stop = |ports: &[u16]| {
            for port in ports.iter().filter(|port| ours(port, Duration::ZERO)) {
                redis_cli(*port, &["SHUTDOWN", "NOSAVE"]);
            }
        };
        let alive = |port: &u16| ours(port, Duration::from_secs(10));
        if let Some(silent) = [master, replica].iter().find(|port| !alive(port)) {
            stop(&[master, replica]);
            return Err(*silent);
        }
        wait_for(replica, "INFO replication", "master_link_status:up");
        let sentinels: Vec<u16> = (0..3).map(|_| free_port_pair()).collect();
        for port in &sentinels {
            let sentinel_dir = dir.join(format!("s{port}"));
            std::fs::create_dir_all(&sentinel_dir).expect("sentinel directory");
            // Sentinel rewrites its configuration: each gets a writable file of its own. The tests
            // fail over by hand (`SENTINEL FAILOVER`); five seconds before a master counts as down
            // keep a stall test (750 ms) on a busy machine from starting a failover of its own,
            // which could promote a replica that lacks another test's latest writes.
            let config = sentinel_dir.join("sentinel.conf");
            std::fs::write(
                &config,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {}\n\
                     sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n\
                     sentinel down-after-milliseconds {MASTER_NAME} 5000\n\
                     sentinel failover-timeout {MASTER_NAME} 3000\n",
                    sentinel_dir.display()
                ),
            )
            .expect("sentinel configuration");
            watchdogs.push(spawn_watched(&format!(
                "redis-server {} --sentinel",
                config.display()
            )));
        }
        if let Some(silent) =
            (sentinels.iter()).find(|port| !our_sentinel(port, Duration::from_secs(10)))
        {
            stop(&[master, replica]);
            for port in sentinels
                .iter()
                .filter(|port| our_sentinel(port, Duration::ZERO))
            {
                redis_cli(*port, &["SHUTDOWN", "NOSAVE"]);
            }
            return Err(*silent);
        }
        for port in &sentinels {
            wait_for(
                *port,
                &format!("SENTINEL REPLICAS {MASTER_NAME}"),
                &replica.to_string(),
            );
            wait_for(*port, &format!("SENTINEL SENTINELS {MASTER_NAME}"), "runid");
        }
        Ok(Self {
            master,
            replica,
            sentinels,
            _watchdogs: watchdogs,
        })
    }
}

/// How far a node's replication stream has come (`master_repl_offset` of `INFO replication`).
fn repl_offset(port: u16) -> u64 {
    let info = redis_cli(port, &["INFO", "replication"]);
    (info.lines())
        .find_map(|line| line.strip_prefix("master_repl_offset:"))
        .and_then(|offset| offset.trim().parse().ok())
        .expect("a replication offset")
}
