//! A local Redis Cluster (3 masters, 3 replicas) shared by one test binary.
//!
//! Statics are never dropped, so each node runs under a small shell watchdog that stops it once
//! the test process is gone: no node outlives the tests.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct RedisCluster {
    pub ports: Vec<u16>,
    /// The watchdogs; they end by themselves once the test process is gone.
    _watchdogs: Vec<Child>,
}

static CLUSTER: OnceLock<RedisCluster> = OnceLock::new();

impl RedisCluster {
    /// The binary's cluster, started on first use.
    pub fn shared() -> &'static RedisCluster {
        CLUSTER.get_or_init(Self::start)
    }

    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|port| format!("redis://127.0.0.1:{port}"))
            .collect()
    }

    fn start() -> Self {
        // A port found free can be taken by another process before the node binds it, so a
        // node that never answers means: try again elsewhere.
        for attempt in 1..=3 {
            match Self::start_nodes(attempt) {
                Ok((ports, watchdogs)) => return Self::create(ports, watchdogs),
                Err(port) => {
                    eprintln!("cluster node {port} did not start; retrying on other ports")
                }
            }
        }
        panic!("the test cluster did not start in three attempts (see redis.log in the temp dir)");
    }

    /// Six nodes answering PING, or the port of one that does not (the others stopped).
    fn start_nodes(attempt: u32) -> Result<(Vec<u16>, Vec<Child>), u16> {
        let dir =
            std::env::temp_dir().join(format!("trs-cluster-{}-{attempt}", std::process::id()));
        let mut ports: Vec<u16> = Vec::new();
        while ports.len() < 6 {
            let port = free_port_pair();
            if !ports
                .iter()
                .any(|p| p.abs_diff(port) == 0 || p.abs_diff(port) == 10_000)
            {
                ports.push(port);
            }
        }
        let watchdogs = ports
            .iter()
            .map(|port| start_node(*port, &dir.join(port.to_string())))
            .collect();
        // The end of the node's directory, which the server reports whatever links the
        // temporary directory's path goes through (macOS: /private).
        let node_dir = |port: &u16| format!("{}/{port}", dir_name(&dir));
        // A node is ours if it runs in our directory: another test may have found the same
        // port free and started its own server there first.
        let ours = |port: &u16, time| answers(*port, "CONFIG GET dir", &node_dir(port), time);
        if let Some(silent) = ports
            .iter()
            .find(|port| !ours(port, Duration::from_secs(10)))
        {
            for port in ports.iter().filter(|port| ours(port, Duration::ZERO)) {
                redis_cli(*port, &["SHUTDOWN", "NOSAVE"]);
            }
            return Err(*silent);
        }
        Ok((ports, watchdogs))
    }

    fn create(ports: Vec<u16>, watchdogs: Vec<Child>) -> Self {
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for port in &ports {
            create.arg(format!("127.0.0.1:{port}"));
        }
        let output = create
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli --cluster create");
        assert!(
            output.status.success(),
            "cluster create failed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        for port in &ports {
            wait_for(*port, "CLUSTER INFO", "cluster_state:ok");
        }
        // Replicas in sync, so that tests which count on replication (WAIT, failover) can.
        for port in &ports {
            if redis_cli(*port, &["INFO", "replication"]).contains("role:slave") {
                wait_for(*port, "INFO replication", "master_link_status:up");
            }
        }
        Self {
            ports,
            _watchdogs: watchdogs,
        }
    }
}

/// The last component of `dir`.
pub fn dir_name(dir: &std::path::Path) -> String {
    (dir.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A port whose cluster bus port (port + 10000) is free too.
pub fn free_port_pair() -> u16 {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its number").port();
        if port < 55_000 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

fn start_node(port: u16, dir: &PathBuf) -> Child {
    std::fs::create_dir_all(dir).expect("node directory");
    let node = format!(
        "redis-server --port {port} --bind 127.0.0.1 --cluster-enabled yes \
         --cluster-config-file nodes.conf --cluster-node-timeout 2000 --save '' \
         --appendonly no --dir {dir} --logfile redis.log",
        dir = dir.display()
    );
    spawn_watched(&node)
}

/// Runs `command` under a shell watchdog that stops it once the test process is gone.
pub fn spawn_watched(command: &str) -> Child {
    let parent = std::process::id();
    let watchdog = format!(
        "{command} & child=$!; while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; \
         do sleep 0.5; done; kill $child 2>/dev/null"
    );
    Command::new("sh")
        .args(["-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh runs redis-server (is redis-server installed?)")
}

/// What `redis-cli -p <port> <args>` prints.
pub fn redis_cli(port: u16, args: &[&str]) -> String {
    Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default()
}

pub fn wait_for(port: u16, command: &str, expected: &str) {
    assert!(
        answers(port, command, expected, Duration::from_secs(30)),
        "node {port} never answered {command} with {expected}"
    );
}

/// Whether the node at `port` answers `command` with `expected` within `time`.
pub fn answers(port: u16, command: &str, expected: &str, time: Duration) -> bool {
    let deadline = Instant::now() + time;
    let args: Vec<&str> = command.split(' ').collect();
    loop {
        if redis_cli(port, &args).contains(expected) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
