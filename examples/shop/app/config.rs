//! Settings from the environment.

use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderName;

/// The shop's settings. Every variable is optional.
#[derive(Clone, Debug)]
pub struct Config {
    /// `PORT` (default 3000).
    pub port: u16,
    /// `REDIS_URL`; without it sessions live in memory.
    pub redis_url: Option<String>,
    /// `SESSION_IDLE_SECS` (default 1800).
    pub idle: Duration,
    /// `SESSION_ABSOLUTE_SECS` (default 43200).
    pub absolute: Duration,
    /// `CART_TTL_SECS` (default 86400).
    pub cart_ttl: Duration,
    /// `REMEMBER_TTL_SECS` (default 30 days).
    pub remember_ttl: Duration,
    /// `REMEMBER_GRACE_SECS` (default 60).
    pub remember_grace: Duration,
    /// `COOKIE_SECURE=false` drops the `Secure` attribute, for plain-http hosts other than
    /// localhost (browsers already accept secure cookies from `http://localhost`).
    pub cookie_secure: bool,
    /// `CLIENT_IP_HEADER`: the header your proxy sets to the client's address (`X-Real-IP`,
    /// say), overwriting what the client sent; without it, the TCP peer's address is used.
    pub client_ip_header: Option<HeaderName>,
    /// `SIGN_INS_PER_IP_PER_MINUTE` (default 20): password attempts one client may make.
    pub sign_ins_per_ip: NonZeroU32,
    /// `SIGN_INS_PER_ACCOUNT_PER_MINUTE` (default 5): password attempts on one account.
    pub sign_ins_per_account: NonZeroU32,
    /// `HASHING_THREADS` (default: the number of CPUs): Argon2 hashes computed at a time.
    pub hashing_threads: usize,
    /// `DBSC_CREDENTIAL_SECS` (default 600): with the `dbsc` feature, how long a device-bound
    /// session's credential cookie lasts before the browser proves its key again.
    #[cfg(feature = "dbsc")]
    pub dbsc_credential: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            port: number("PORT", 3000)?,
            redis_url: std::env::var("REDIS_URL")
                .ok()
                .filter(|url| !url.is_empty()),
            idle: seconds("SESSION_IDLE_SECS", 30 * 60)?,
            absolute: seconds("SESSION_ABSOLUTE_SECS", 12 * 60 * 60)?,
            cart_ttl: seconds("CART_TTL_SECS", 24 * 60 * 60)?,
            remember_ttl: seconds("REMEMBER_TTL_SECS", 30 * 24 * 60 * 60)?,
            remember_grace: seconds("REMEMBER_GRACE_SECS", 60)?,
            cookie_secure: std::env::var("COOKIE_SECURE").map_or(true, |v| v != "false"),
            client_ip_header: match std::env::var("CLIENT_IP_HEADER") {
                Err(_) => None,
                Ok(name) => Some(name.parse().map_err(|_| {
                    format!("CLIENT_IP_HEADER must be a header name, not {name:?}")
                })?),
            },
            sign_ins_per_ip: number(
                "SIGN_INS_PER_IP_PER_MINUTE",
                NonZeroU32::MIN.saturating_add(19),
            )?,
            sign_ins_per_account: number(
                "SIGN_INS_PER_ACCOUNT_PER_MINUTE",
                NonZeroU32::MIN.saturating_add(4),
            )?,
            hashing_threads: number(
                "HASHING_THREADS",
                std::thread::available_parallelism().map_or(1, usize::from),
            )?,
            #[cfg(feature = "dbsc")]
            dbsc_credential: seconds("DBSC_CREDENTIAL_SECS", 10 * 60)?,
        })
    }
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(value) => value
            .parse()
            .map_err(|_| format!("{name} must be a positive number, not {value:?}")),
    }
}

fn seconds(name: &str, default: u64) -> Result<Duration, String> {
    number(name, default).map(Duration::from_secs)
}
