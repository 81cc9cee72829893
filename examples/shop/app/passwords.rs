//! Password hashing with Argon2, off the async runtime.
//!
//! Argon2 is slow on purpose (milliseconds of CPU and 19 MiB per check). Run on a runtime
//! thread, a burst of sign-ins stalls every other request behind it; here each hash or check
//! runs on tokio's blocking threads, at most `parallel` at a time, and the rest wait their turn
//! without holding a runtime thread.
//!
//! An unknown account is checked against a dummy hash made with the same parameters, so that
//! refusing it takes as long as refusing a wrong password: the time of an answer does not tell
//! which e-mail addresses have accounts.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

pub struct Passwords {
    permits: Arc<Semaphore>,
    /// The hash an unknown account's password is checked against; no password matches it.
    dummy: String,
    #[cfg(test)]
    checks: std::sync::atomic::AtomicU64,
}

impl Passwords {
    /// At most `parallel` hashes or checks at a time (at least one).
    pub fn new(parallel: usize) -> Result<Self, password_hash::Error> {
        let mut unguessable = [0u8; 32];
        getrandom::fill(&mut unguessable).map_err(|_| password_hash::Error::Crypto)?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            dummy: hash_now(&unguessable)?,
            #[cfg(test)]
            checks: Default::default(),
        })
    }

    /// Whether `password` matches `hash`; with no hash (an unknown account), `false` after the
    /// same work as a check against a real one.
    pub async fn verify(&self, hash: Option<String>, password: String) -> bool {
        #[cfg(test)]
        self.checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.clone());
        let matches = self
            .run(move || {
                PasswordHash::new(&hash).is_ok_and(|hash| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &hash)
                        .is_ok()
                })
            })
            .await;
        known && matches == Some(true)
    }

    /// The Argon2 hash of `password`, with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<String, password_hash::Error> {
        self.run(move || hash_now(password.as_bytes()))
            .await
            .unwrap_or(Err(password_hash::Error::Crypto))
    }

    /// How many passwords were checked, known accounts or not.
    #[cfg(test)]
    pub fn checks(&self) -> u64 {
        self.checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `work` on a blocking thread once a permit is free; `None` if it panicked.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        // The semaphore is never closed, so acquiring only waits.
        let permit = Arc::clone(&self.permits).acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .ok()
    }
}

/// The Argon2 hash of `password`, computed on this thread (for start-up).
pub fn hash_now(password: &[u8]) -> Result<String, password_hash::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| password_hash::Error::Crypto)?;
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password, &salt)?
        .to_string())
}
