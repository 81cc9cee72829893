//! A private `redis-server` (or `valkey-server`) per test: started on a free loopback port,
//! stopped on drop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which server a test runs: the binary's environment variable, its default name, and what to
/// say when it is missing.
#[derive(Clone, Copy)]
struct Kind {
    variable: &'static str,
    default: &'static str,
    install_hint: &'static str,
}

/// Redis, as the tests find it (Redis 7.0 in CI).
const REDIS: Kind = Kind {
    variable: "REDIS_SERVER_BIN",
    default: "redis-server",
    install_hint: "redis-server was not found on PATH. The tests need a real Redis: \
     install it (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) \
     or point REDIS_SERVER_BIN at the binary.",
};

/// Valkey 8.1 or newer, which has a native compare-and-set (`SET … IFEQ`).
const VALKEY: Kind = Kind {
    variable: "VALKEY_SERVER_BIN",
    default: "valkey-server",
    install_hint: "valkey-server was not found on PATH. The tests need Valkey 8.1 or newer, \
     whose SET … IFEQ the store uses where it can: on Debian 12 or Ubuntu, `bash \
     .ci/install-valkey` builds it from Debian's source into /usr/local/bin (about 90 seconds \
     on two cores; set PREFIX for another place); on macOS, `brew install valkey`; or point \
     VALKEY_SERVER_BIN at the binary.",
};

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A running `redis-server` (or `valkey-server`) owned by one test.
pub struct RedisServer {
    kind: Kind,
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    /// Configuration arguments beyond the defaults, such as `--maxmemory-policy allkeys-lru`.
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts a `redis-server` on a free port.
    pub fn start() -> Self {
        Self::start_kind(REDIS, &[])
    }

    /// Starts a `redis-server` on a free port with extra configuration arguments.
    pub fn start_with(extra: &[&str]) -> Self {
        Self::start_kind(REDIS, extra)
    }

    /// Starts a `valkey-server` on a free port.
    pub fn start_valkey() -> Self {
        Self::start_kind(VALKEY, &[])
    }

    /// Starts a server on a free port, retrying if another process takes the port first.
    fn start_kind(kind: Kind, extra: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "trs-test-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create a temporary directory for redis-server");
        for _ in 0..10 {
            let port = free_port();
            let mut server = Self {
                kind,
                child: None,
                port,
                dir: dir.clone(),
                extra: extra.iter().map(|arg| (*arg).to_owned()).collect(),
            };
            if server.spawn() {
                return server;
            }
            server.dir = PathBuf::new(); // keep the directory for the next attempt
        }
        panic!("could not start {}; see {}", kind.default, dir.display());
    }

    fn spawn(&mut self) -> bool {
        let kind = self.kind;
        let binary = std::env::var(kind.variable).unwrap_or_else(|_| kind.default.into());
        let child = Command::new(binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--logfile", "redis.log"])
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                panic!("{}", kind.install_hint)
            }
            Err(error) => panic!("could not run {}: {error}", kind.default),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if ping(self.port) {
                // Another test may have found the same port free and started its server there
                // first: this one then answers until ours fails to bind. Only ours will do.
                if process_id(self.port) != Some(child.id()) {
                    break;
                }
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// The server's process ID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would), keeping its port for [`restart`](Self::restart).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a fresh, empty server on the same port.
    pub fn restart(&mut self) {
        self.stop();
        assert!(
            self.spawn(),
            "{} did not come back on port {}",
            self.kind.default,
            self.port
        );
    }

    /// Sends one command and returns its reply, for inspecting what the store wrote.
    pub fn cmd(&self, args: &[&str]) -> Reply {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis");
        stream.write_all(&resp(args)).expect("send to redis");
        Reply::read(&mut BufReader::new(stream))
    }

    /// An integer reply, such as PTTL's.
    pub fn int(&self, args: &[&str]) -> i64 {
        match self.cmd(args) {
            Reply::Int(n) => n,
            other => panic!("expected an integer reply, got {other:?}"),
        }
    }

    /// Whether the server has a native compare-and-set (`SET … IFEQ`), which older ones refuse
    /// as a syntax error.
    pub fn has_set_ifeq(&self) -> bool {
        !matches!(
            self.cmd(&["SET", "probe:set-ifeq", "x", "IFEQ", "x"]),
            Reply::Error(_)
        )
    }

    /// Every key in the server (fine for a test's handful).
    pub fn keys(&self) -> Vec<String> {
        self.cmd(&["KEYS", "*"]).strings()
    }

    /// Starts recording the commands clients send (MONITOR), scripts' inner commands excluded.
    pub fn monitor(&self) -> Monitor {
        Monitor::start(self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("read the bound port").port()
}

/// The process ID of the server answering on `port`, from `INFO server`.
fn process_id(port: u16) -> Option<u32> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(b"INFO server\r\n").ok()?;
    let mut reader = BufReader::new(stream);
    let mut header = String::new();
    reader.read_line(&mut header).ok()?;
    let length: usize = header.trim().strip_prefix('$')?.parse().ok()?;
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    String::from_utf8_lossy(&body)
        .lines()
        .find_map(|line| line.strip_prefix("process_id:"))
        .and_then(|id| id.trim().parse().ok())
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    out
}

/// A RESP reply.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<String>),
    Array(Vec<Reply>),
}

impl Reply {
    fn read(reader: &mut impl BufRead) -> Self {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read a reply line");
        let line = line.trim_end();
        let (kind, rest) = line.split_at(1);
        match kind {
            "+" => Self::Status(rest.to_owned()),
            "-" => Self::Error(rest.to_owned()),
            ":" => Self::Int(rest.parse().expect("integer reply")),
            "$" => match rest.parse::<i64>().expect("bulk length") {
                -1 => Self::Bulk(None),
                len => {
                    let mut buf = vec![0u8; usize::try_from(len).unwrap() + 2];
                    reader.read_exact(&mut buf).expect("read a bulk string");
                    buf.truncate(buf.len() - 2);
                    Self::Bulk(Some(String::from_utf8_lossy(&buf).into_owned()))
                }
            },
            "*" => match rest.parse::<i64>().expect("array length") {
                -1 => Self::Bulk(None),
                len => Self::Array((0..len).map(|_| Self::read(reader)).collect()),
            },
            other => panic!("unknown reply type {other:?}"),
        }
    }

    /// The strings of an array reply (or of a single string reply).
    pub fn strings(self) -> Vec<String> {
        match self {
            Self::Array(items) => items.into_iter().flat_map(Self::strings).collect(),
            Self::Bulk(Some(text)) | Self::Status(text) => vec![text],
            _ => Vec::new(),
        }
    }
}

/// Records the top-level commands clients send, from a MONITOR connection.
///
/// Counting top-level commands (not a script's inner ones, which MONITOR tags `lua`) counts
/// round trips, since the store sends one command per round trip.
pub struct Monitor {
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
    marker: AtomicUsize,
}

impl Monitor {
    /// Records every command the server at `port` runs from now on.
    pub fn start(port: u16) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect MONITOR");
        stream.write_all(b"MONITOR\r\n").expect("send MONITOR");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let monitor = Self {
            port,
            lines,
            marker: AtomicUsize::new(0),
        };
        monitor.sync();
        monitor.take();
        monitor
    }

    /// Waits until everything sent so far has been recorded, by sending a marker and seeing it.
    fn sync(&self) -> String {
        let marker = format!("trs-marker-{}", self.marker.fetch_add(1, Ordering::Relaxed));
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .write_all(&resp(&["ECHO", &marker]))
            .expect("send ECHO");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self
                .lines
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.contains(&marker))
            {
                return marker;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("MONITOR never showed the marker");
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap())
    }

    /// The full MONITOR lines of the commands clients sent since the last call.
    pub fn lines(&self) -> Vec<String> {
        self.since_last_call(false)
    }

    /// The names of the commands clients sent since the last call (lower case, e.g. `evalsha`).
    pub fn commands(&self) -> Vec<String> {
        self.lines()
            .iter()
            .filter_map(|line| command_name(line))
            .collect()
    }

    /// The full MONITOR lines of the commands scripts ran since the last call.
    pub fn script_lines(&self) -> Vec<String> {
        self.since_last_call(true)
    }

    /// The lines since the last call, of commands scripts ran or of those clients sent.
    fn since_last_call(&self, by_scripts: bool) -> Vec<String> {
        let marker = self.sync();
        self.take()
            .into_iter()
            .filter(|line| {
                !line.contains(&marker) && line != "+OK" && line.contains(" lua]") == by_scripts
            })
            .collect()
    }
}

/// The name of the command in a MONITOR line, lower case (e.g. `evalsha`).
pub fn command_name(line: &str) -> Option<String> {
    let name = line.split("] \"").nth(1)?;
    Some(name.split('"').next()?.to_ascii_lowercase())
}
