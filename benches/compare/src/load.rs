//! A small HTTP/1.1 load generator: a fixed number of keep-alive connections, each sending the
//! next request as soon as the previous answer is in, for a fixed time.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one run measured.
pub struct Measured {
    pub requests: u64,
    pub elapsed: Duration,
    /// Sorted latencies, microseconds.
    pub latencies: Vec<u32>,
    pub errors: u64,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> u32 {
        if self.latencies.is_empty() {
            return 0;
        }
        let index = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[index]
    }
}

/// Prebuilt request bytes: one per session cookie (or one without a cookie).
pub fn requests(port: u16, cookies: &[String]) -> Vec<Vec<u8>> {
    let build = |cookie: Option<&String>| {
        let mut request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
        if let Some(cookie) = cookie {
            request.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        request.push_str("\r\n");
        request.into_bytes()
    };
    if cookies.is_empty() {
        vec![build(None)]
    } else {
        cookies.iter().map(|c| build(Some(c))).collect()
    }
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
        latencies,
        errors,
    }
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
