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

const INSTALL_HINT: &str = "The HTTPS browser test needs openssl and NSS's certutil: `bash .ci/test` \
     installs them on Debian or Ubuntu (`apt-get install -y openssl libnss3-tools`); on macOS, \
     `brew install openssl nss`.";

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
        let (certificate, key) = certificates(&directory);
        let home = directory.join("home");
        trust(&home, &directory.join("ca.pem"));

        let chain = CertificateDer::pem_file_iter(&certificate)
            .expect("the certificate file")
            .collect::<Result<Vec<_>, _>>()
            .expect("a PEM certificate");
        let key = PrivateKeyDer::from_pem_file(&key).expect("a PEM key");
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

/// A certificate authority and a `localhost` certificate it signed, as PEM files in
/// `directory`: returns the certificate's and its key's paths.
fn certificates(directory: &Path) -> (PathBuf, PathBuf) {
    let at = |file: &str| directory.join(file).display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=tower-redis-session test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        "-keyout",
        &at("ca.key"),
        "-out",
        &at("ca.pem"),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &at("key.pem"),
        "-out",
        &at("request.pem"),
    ]);
    std::fs::write(
        directory.join("extensions.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("the certificate's extensions");
    openssl(&[
        "x509",
        "-req",
        "-days",
        "2",
        "-in",
        &at("request.pem"),
        "-CA",
        &at("ca.pem"),
        "-CAkey",
        &at("ca.key"),
        "-CAcreateserial",
        "-extfile",
        &at("extensions.cnf"),
        "-out",
        &at("certificate.pem"),
    ]);
    (directory.join("certificate.pem"), directory.join("key.pem"))
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

fn openssl(args: &[&str]) {
    run("openssl", args);
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
