//! An application served over HTTPS on `localhost`, with a certificate Chromium trusts: a
//! certificate authority made for the test (with `openssl`) and entered in an NSS database
//! (with `certutil`) under a home directory of the test's own, which the browser is started
//! in. Chromium runs device-bound sessions only on a secure origin without certificate errors:
//! `http://localhost` and `--ignore-certificate-errors` are not enough (Chromium 156).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use axum::Router;
use axum::extract::connect_info::MockConnectInfo;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

const INSTALL_HINT: &str = "The HTTPS browser test needs NSS's certutil: `bash .ci/test` installs \
     it on Debian or Ubuntu (`apt-get install -y libnss3-tools`); on macOS, `brew install nss`.";

/// An HTTPS site on `localhost` and the home directory whose NSS database trusts it.
pub struct Site {
    /// `https://localhost:PORT`.
    pub url: String,
    /// The home directory to start the browser in (its `.pki/nssdb` trusts the site).
    pub home: PathBuf,
}

impl Site {
    /// Serves `router` over HTTPS on a free port of `localhost`.
    pub async fn serve(router: Router, name: &str) -> Self {
        let directory = std::env::temp_dir().join(format!("trs-tls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).expect("a directory for the certificates");
        let made = super::certificates::make(&directory, "DNS:localhost,IP:127.0.0.1");
        let home = directory.join("home");
        trust(&home, &made.ca);

        let chain = CertificateDer::pem_file_iter(&made.certificate)
            .expect("the certificate file")
            .collect::<Result<Vec<_>, _>>()
            .expect("a PEM certificate");
        let key = PrivateKeyDer::from_pem_file(&made.key).expect("a PEM key");
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("a server certificate");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let tls = TlsListener {
            listener,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        };
        // Every client is the browser on this machine.
        let peer = MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 0)));
        let app = router.layer(peer);
        tokio::spawn(async move {
            let _ = axum::serve(tls, app).await;
        });
        Self {
            url: format!("https://localhost:{port}"),
            home,
        }
    }
}

/// Accepts TCP connections and completes their TLS handshakes; a failed handshake is dropped.
struct TlsListener {
    listener: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, address)) = self.listener.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// Makes `home/.pki/nssdb` trust the authority in `ca`.
fn trust(home: &Path, ca: &Path) {
    let database = home.join(".pki/nssdb");
    std::fs::create_dir_all(&database).expect("an NSS database directory");
    let database = format!("sql:{}", database.display());
    run("certutil", &["-d", &database, "-N", "--empty-password"]);
    let ca = ca.display().to_string();
    run(
        "certutil",
        &[
            "-d", &database, "-A", "-t", "C,,", "-n", "test-ca", "-i", &ca,
        ],
    );
}

fn run(program: &str, args: &[&str]) {
    let output = match Command::new(program).args(args).output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            panic!("{program} was not found. {INSTALL_HINT}")
        }
        Err(error) => panic!("could not run {program}: {error}"),
    };
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
