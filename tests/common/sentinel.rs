//! A local Sentinel group (a master, a replica, three sentinels) shared by one test binary;
//! every process runs under the watchdog of [`super::cluster::spawn_watched`].

use std::process::Child;
use std::sync::OnceLock;

use super::cluster::{free_port_pair, spawn_watched, wait_for};

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

    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("trs-sentinel-{}", std::process::id()));
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
        wait_for(replica, "INFO replication", "master_link_status:up");
        let sentinels: Vec<u16> = (0..3).map(|_| free_port_pair()).collect();
        for port in &sentinels {
            let sentinel_dir = dir.join(format!("s{port}"));
            std::fs::create_dir_all(&sentinel_dir).expect("sentinel directory");
            // Sentinel rewrites its configuration: each gets a writable file of its own.
            let config = sentinel_dir.join("sentinel.conf");
            std::fs::write(
                &config,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {}\n\
                     sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n\
                     sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
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
        for port in &sentinels {
            wait_for(
                *port,
                &format!("SENTINEL REPLICAS {MASTER_NAME}"),
                &replica.to_string(),
            );
            wait_for(*port, &format!("SENTINEL SENTINELS {MASTER_NAME}"), "runid");
        }
        Self {
            master,
            replica,
            sentinels,
            _watchdogs: watchdogs,
        }
    }
}
