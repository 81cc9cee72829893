//! A certificate authority made for a test, and a server certificate it signed, with the
//! `openssl` command: for a TLS server the test starts (a redis-server, an HTTPS application).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The PEM files of an authority and of the certificate it signed.
pub struct Certificates {
    pub ca: PathBuf,
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// Makes them in `directory`, the certificate for the names in `subject_alt_names` (such as
/// `DNS:localhost,IP:127.0.0.1`).
pub fn make(directory: &Path, subject_alt_names: &str) -> Certificates {
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
        "/CN=test server",
        "-keyout",
        &at("key.pem"),
        "-out",
        &at("request.pem"),
    ]);
    std::fs::write(
        directory.join("extensions.cnf"),
        format!("subjectAltName={subject_alt_names}\nextendedKeyUsage=serverAuth\n"),
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
    Certificates {
        ca: directory.join("ca.pem"),
        certificate: directory.join("certificate.pem"),
        key: directory.join("key.pem"),
    }
}

fn openssl(args: &[&str]) {
    let output = match Command::new("openssl").args(args).output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "openssl was not found: `bash .ci/test` installs it (apt-get install -y openssl)"
        ),
        Err(error) => panic!("could not run openssl: {error}"),
    };
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
