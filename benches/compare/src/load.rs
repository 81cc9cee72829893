//! Load generators: an in-process HTTP/1.1 one (a fixed number of keep-alive connections, each
//! sending the next request as soon as the previous answer is in, for a fixed time), and wrk.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one run measured.
pub struct Measured {
    pub requests: u64,
    pub elapsed: Duration,
    /// Latency percentiles, microseconds.
    pub p50: u32,
    pub p99: u32,
    pub errors: u64,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// The value at `p` (0 to 1) of sorted `values`.
fn percentile(values: &[u32], p: f64) -> u32 {
    if values.is_empty() {
        return 0;
    }
    values[((values.len() - 1) as f64 * p).round() as usize]
}

/// Prebuilt request bytes: one per `Cookie` header.
pub fn requests(port: u16, cookies: &[String]) -> Vec<Vec<u8>> {
    cookies
        .iter()
        .map(|cookie| {
            format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n")
                .into_bytes()
        })
        .collect()
}

/// Drives `connections` connections for `duration`; connection k sends requests k, k+n, k+2n…
pub async fn run(
    port: u16,
    requests: &[Vec<u8>],
    connections: usize,
    duration: Duration,
) -> Measured {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..connections {
        let requests: Vec<Vec<u8>> = requests.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let mut latencies = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            let mut buffer = vec![0u8; 16 * 1024];
            let mut i = k;
            while Instant::now() < deadline {
                let sent = Instant::now();
                stream
                    .write_all(&requests[i % requests.len()])
                    .await
                    .expect("send");
                match read_response(&mut stream, &mut buffer).await {
                    Some(status) if status < 400 => {
                        latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    }
                    Some(_) => errors += 1,
                    None => break,
                }
                i += connections;
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mut part, part_errors) = task.await.expect("load task");
        latencies.append(&mut part);
        errors += part_errors;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Measured {
        requests: latencies.len() as u64,
        elapsed,
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
        errors,
    }
}

/// Drives the server with wrk (one thread, pinned to `core`) for `duration`, rotating over the
/// `Cookie` headers of `cookies`.
pub fn run_wrk(
    port: u16,
    cookies: &[String],
    connections: usize,
    duration: Duration,
    core: u32,
) -> Measured {
    let script = std::env::temp_dir().join(format!("compare-wrk-{port}.lua"));
    std::fs::write(&script, wrk_script(cookies)).expect("write the wrk script");
    let output = std::process::Command::new("taskset")
        .args(["-c", &core.to_string(), "wrk", "-t1"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("-s")
        .arg(&script)
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .expect("run wrk (apt-get install wrk)");
    let _ = std::fs::remove_file(&script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Vec<u64> = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .unwrap_or_else(|| {
            panic!(
                "wrk printed no result: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let [requests, micros, p50, p99, errors] = result[..] else {
        panic!("unexpected wrk result: {stdout}");
    };
    Measured {
        requests,
        elapsed: Duration::from_micros(micros),
        p50: p50 as u32,
        p99: p99 as u32,
        errors,
    }
}

/// A wrk script that sends the requests of `cookies` in turn and prints one result line.
fn wrk_script(cookies: &[String]) -> String {
    let quoted: Vec<String> = cookies.iter().map(|c| format!("{c:?}")).collect();
    format!(
        r#"local cookies = {{ {} }}
local requests, i = {{}}, 0
init = function()
  for k, cookie in ipairs(cookies) do
    requests[k] = wrk.format("GET", "/", {{ Cookie = cookie }})
  end
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
done = function(summary, latency)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"#,
        quoted.join(", ")
    )
}

/// Reads one response; returns its status code. Bodies are small and sized by Content-Length.
async fn read_response(stream: &mut TcpStream, buffer: &mut [u8]) -> Option<u16> {
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buffer[filled..]).await.ok()?;
        if n == 0 {
            return None;
        }
        filled += n;
        let Some(end) = find(&buffer[..filled], b"\r\n\r\n") else {
            continue;
        };
        let head = std::str::from_utf8(&buffer[..end]).ok()?;
        let status = head.get(9..12)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        let total = end + 4 + length;
        while filled < total {
            let n = stream.read(&mut buffer[filled..]).await.ok()?;
            if n == 0 {
                return None;
            }
            filled += n;
        }
        return Some(status);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends `count` requests one after another on one connection (for counting commands).
pub async fn run_count(port: u16, requests: &[Vec<u8>], count: usize) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut buffer = vec![0u8; 16 * 1024];
    for i in 0..count {
        stream
            .write_all(&requests[i % requests.len()])
            .await
            .expect("send");
        read_response(&mut stream, &mut buffer)
            .await
            .expect("response");
    }
}
