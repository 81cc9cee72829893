//! Just enough of the W3C WebDriver protocol to drive headless Chromium through chromedriver,
//! both started by the test and stopped on drop.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use super::http;

const INSTALL_HINT: &str = "The browser test needs Chromium and its driver: `bash .ci/test` installs \
     them on Debian or Ubuntu (`apt-get install -y chromium chromium-driver`); on macOS, \
     `brew install --cask chromium` and `brew install chromedriver`. CHROMIUM_BIN and \
     CHROMEDRIVER_BIN name the binaries if they are elsewhere.";

/// Where Chromium usually is: Debian, Ubuntu, macOS.
const CHROMIUM_PATHS: [&str; 3] = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/// The Chromium binary: `CHROMIUM_BIN`, or the first of the usual places that has one.
fn chromium() -> String {
    if let Ok(binary) = std::env::var("CHROMIUM_BIN") {
        assert!(
            std::path::Path::new(&binary).exists(),
            "CHROMIUM_BIN={binary} does not exist. {INSTALL_HINT}"
        );
        return binary;
    }
    CHROMIUM_PATHS
        .iter()
        .find(|path| std::path::Path::new(path).exists())
        .map(|path| (*path).to_owned())
        .unwrap_or_else(|| panic!("Chromium was not found. {INSTALL_HINT}"))
}
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub async fn start() -> Self {
        Self::start_in(None).await
    }

    /// A chromedriver whose browsers run with `home` as their home directory (where Chromium
    /// finds the NSS database of the certificates it trusts).
    pub async fn start_in(home: Option<&std::path::Path>) -> Self {
        // Checked first: without a browser, chromedriver fails later with a WebDriver error.
        chromium();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let binary = std::env::var("CHROMEDRIVER_BIN").unwrap_or_else(|_| "chromedriver".into());
        let mut command = Command::new(&binary);
        if let Some(home) = home {
            command.env("HOME", home);
        }
        // Its own process group, which its browsers join: stopping the group stops them too,
        // even those a test never quit.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = match command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                panic!("{binary} was not found. {INSTALL_HINT}")
            }
            Err(error) => panic!("could not run chromedriver: {error}"),
        };
        let driver = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let status = http::send(port, "GET", "/status", &[], None).await;
            if status.is_ok_and(|status| status.json()["value"]["ready"] == true) {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not become ready");
    }

    /// A new browser window: a fresh profile, phone-sized.
    pub async fn browser(&self, profile: PathBuf) -> Browser {
        self.browser_with(profile, &[]).await
    }

    /// A new browser window as [`browser`](Self::browser), with further command-line switches.
    pub async fn browser_with(&self, profile: PathBuf, switches: &[&str]) -> Browser {
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=420,900",
        ]
        .iter()
        .chain(switches)
        .map(|switch| (*switch).to_owned())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": args,
            },
        }}});
        let reply = call(self.port, "POST", "/session", Some(capabilities)).await;
        let session = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {reply}"))
            .to_owned();
        Browser {
            driver: self.port,
            session,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string());
    let headers = [("Content-Type", "application/json")];
    let sent = http::send(port, method, path, &headers, body.as_deref());
    // Generous: a cold Chromium on a loaded two-core machine has taken over 30 s to start.
    let reply = tokio::time::timeout(Duration::from_secs(90), sent)
        .await
        .unwrap_or_else(|_| panic!("WebDriver {method} {path} timed out"))
        .expect("chromedriver answers");
    let value = reply.json();
    assert!(
        reply.status < 400,
        "WebDriver {method} {path} failed: {value}"
    );
    value
}

/// One browser window.
pub struct Browser {
    driver: u16,
    session: String,
}

impl Browser {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        call(self.driver, method, &path, body).await["value"].take()
    }

    pub async fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn source(&self) -> String {
        self.call("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Clicks a button that submits a form, and waits until the next page has loaded (a click
    /// returns before the navigation it starts).
    pub async fn submit(&self, css: &str) {
        let marker = "trs-before-submit";
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": format!("document.documentElement.dataset.marker = '{marker}'"), "args": []})),
        )
        .await;
        self.click(css).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let state = self
                .call(
                    "POST",
                    "/execute/sync",
                    Some(json!({"script": "return [document.readyState, document.documentElement.dataset.marker || ''];", "args": []})),
                )
                .await;
            if state[0] == "complete" && state[1] != marker {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the form at {css} did not lead to a new page");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn script(&self, script: &str) -> Value {
        let body = json!({ "script": script, "args": [] });
        self.call("POST", "/execute/sync", Some(body)).await
    }

    /// Makes the window `width` by `height` CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) {
        let body = json!({ "width": width, "height": height });
        self.call("POST", "/window/rect", Some(body)).await;
    }

    /// Saves a PNG of the window under `target/screenshots/`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.call("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a PNG");
        let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&directory).expect("screenshot directory");
        std::fs::write(directory.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub async fn cookies(&self) -> Vec<Value> {
        match self.call("GET", "/cookie", None).await {
            Value::Array(cookies) => cookies,
            _ => Vec::new(),
        }
    }

    /// The cookies a browser restart keeps: those with an expiry.
    pub async fn persistent_cookies(&self) -> Vec<Value> {
        let mut cookies = self.cookies().await;
        cookies.retain(|cookie| cookie.get("expiry").is_some());
        cookies
    }

    /// Adds a cookie as [`cookies`](Self::cookies) listed it. A `__Host-` cookie has no
    /// `Domain` attribute, so the domain the listing gives it is left out.
    pub async fn add_cookie(&self, mut cookie: Value) {
        let host_only = cookie["name"]
            .as_str()
            .is_some_and(|name| name.starts_with("__Host-"));
        if let (true, Some(fields)) = (host_only, cookie.as_object_mut()) {
            fields.remove("domain");
        }
        self.call("POST", "/cookie", Some(json!({ "cookie": cookie })))
            .await;
    }

    pub async fn delete_cookie(&self, name: &str) {
        self.call("DELETE", &format!("/cookie/{name}"), None).await;
    }

    pub async fn quit(self) {
        call(
            self.driver,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        )
        .await;
    }
}
