//! How often a password may be tried: per client IP and per account, with `governor`'s keyed
//! limiters (GCRA: a burst of `n`, then one more every `60 / n` seconds).
//!
//! The per-IP limit slows one client guessing many accounts; the per-account limit slows many
//! clients guessing one. The per-account limit counts every attempt, so an attacker can keep an
//! account's sign-in refused for as long as they keep trying; it refuses only as many attempts
//! as the attacker spends, and a shop that must avoid this keys the limit by account and IP.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};

/// Longest account name a limit is kept for: longer ones are cut, so that a flood of made-up
/// names cannot grow the limiter's memory by more than this per name.
const MAX_ACCOUNT_LEN: usize = 254;

/// An attempt over the limit: it may be retried after this long.
#[derive(Debug)]
pub struct Limited {
    pub retry_after: Duration,
}

pub struct SignInLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl SignInLimits {
    /// At most `per_ip` attempts a minute from one client and `per_account` on one account.
    /// Every minute, the limits of clients and accounts not seen for a while are forgotten.
    pub fn new(per_ip: NonZeroU32, per_account: NonZeroU32) -> Arc<Self> {
        let limits = Arc::new(Self {
            per_ip: RateLimiter::keyed(Quota::per_minute(per_ip)),
            per_account: RateLimiter::keyed(Quota::per_minute(per_account)),
            clock: DefaultClock::default(),
        });
        let weak = Arc::downgrade(&limits);
        tokio::spawn(forget_idle(weak));
        limits
    }

    /// Counts an attempt on `account` from `ip` (`None` when the client's address is unknown:
    /// all such clients share one limit).
    pub fn attempt(&self, ip: Option<IpAddr>, account: &str) -> Result<(), Limited> {
        let limited = |not_until: NotUntil<_>| Limited {
            retry_after: not_until.wait_time_from(self.clock.now()),
        };
        let ip = ip.map_or(IpAddr::from([0u8; 4]), network);
        self.per_ip.check_key(&ip).map_err(limited)?;
        self.per_account
            .check_key(&account_key(account))
            .map_err(limited)
    }
}

/// Drops the state of keys whose limit is back to full, every minute, until the limits go.
async fn forget_idle(limits: Weak<SignInLimits>) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        let Some(limits) = limits.upgrade() else {
            return;
        };
        limits.per_ip.retain_recent();
        limits.per_account.retain_recent();
    }
}

/// The key of a client: its IPv4 address, or the /64 network of its IPv6 address (one
/// subscriber's share, which they can pick any address from).
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => v6.to_canonical(),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

/// The key of an account: its e-mail address as the users list compares it (ASCII case
/// ignored), cut to a bounded length.
fn account_key(account: &str) -> String {
    let mut end = account.len().min(MAX_ACCOUNT_LEN);
    while !account.is_char_boundary(end) {
        end -= 1;
    }
    account[..end].to_ascii_lowercase()
}
