//! Signing in, confirming a password and changing it: the checks around the session's
//! `login` and `logout_others`, shared by the pages and the API.
//!
//! Every password check is limited (`limits.rs`) and runs off the runtime (`passwords.rs`). A
//! sign-in is written at once and then kept only if the password it checked is still the
//! account's: a sign-in that checked the old password while the password changed either sees
//! the change and signs itself out, or was written before the change's `logout_others`, which
//! signs it out. Either way no session signed in with an old password survives the change.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tower_redis_session::{Device, RememberMe, SaveOutcome, Session, SessionError};

use super::config::Config;
use super::limits::SignInLimits;
use super::passwords::{self, Passwords};
use super::users::{User, Users};

/// Shortest and longest new password, in characters.
const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;

/// Why an account action was refused.
#[derive(Debug)]
pub enum Refusal {
    /// Nobody is signed in (401).
    NotSignedIn,
    /// Unknown e-mail address or wrong password, which the answer does not tell apart (401).
    Wrong,
    /// Too many attempts; try again after this long (429).
    Limited(Duration),
    /// A new password shorter than 8 or longer than 256 characters (422).
    BadNewPassword,
    /// A remembered session must confirm the password first (403).
    ConfirmFirst,
    /// The session store failed (503) or the session refused (500).
    Session(SessionError),
    /// Hashing the new password failed (500).
    Hashing,
}

impl Refusal {
    /// The status this refusal answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotSignedIn | Self::Wrong => StatusCode::UNAUTHORIZED,
            Self::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::BadNewPassword => StatusCode::UNPROCESSABLE_ENTITY,
            Self::ConfirmFirst => StatusCode::FORBIDDEN,
            Self::Session(error) => error.status(),
            Self::Hashing => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A sentence for the user.
    pub fn message(&self) -> String {
        match self {
            Self::NotSignedIn => "Sign in first.".into(),
            Self::Wrong => "Wrong email or password.".into(),
            Self::Limited(wait) => format!(
                "Too many sign-in attempts. Try again in {} seconds.",
                retry_after_secs(*wait)
            ),
            Self::BadNewPassword => "The new password must be 8 to 256 characters long.".into(),
            Self::ConfirmFirst => {
                "You were signed in by “remember me”: confirm your password first.".into()
            }
            Self::Session(_) | Self::Hashing => "Something went wrong; try again.".into(),
        }
    }

    /// Seconds to send in `Retry-After`, for an attempt over the limit.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Limited(wait) => Some(retry_after_secs(*wait)),
            _ => None,
        }
    }
}

/// Whole seconds, rounded up, so that a client that waits this long is let through.
fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl From<SessionError> for Refusal {
    fn from(error: SessionError) -> Self {
        Self::Session(error)
    }
}

/// A password that was just checked: whose, and the hash it matched.
pub struct Verified {
    pub user: User,
    hash: String,
}

pub struct Accounts {
    pub users: Users,
    passwords: Passwords,
    limits: Arc<SignInLimits>,
}

impl Accounts {
    /// The demo accounts, with the limits and hashing threads `config` asks for.
    pub fn new(config: &Config) -> Result<Self, argon2::password_hash::Error> {
        Ok(Self {
            users: Users::demo(|password| passwords::hash_now(password.as_bytes()))?,
            passwords: Passwords::new(config.hashing_threads)?,
            limits: SignInLimits::new(config.sign_ins_per_ip, config.sign_ins_per_account),
        })
    }

    /// How many passwords were checked, known accounts or not.
    #[cfg(test)]
    pub fn password_checks(&self) -> u64 {
        self.passwords.checks()
    }

    /// The account with this e-mail address and password.
    pub async fn check(
        &self,
        ip: Option<IpAddr>,
        email: &str,
        password: &str,
    ) -> Result<Verified, Refusal> {
        self.limits
            .attempt(ip, email)
            .map_err(|limited| Refusal::Limited(limited.retry_after))?;
        let account = self.users.by_email(email);
        let hash = account.as_ref().map(|(_, hash)| hash.clone());
        if !self.passwords.verify(hash, password.to_owned()).await {
            return Err(Refusal::Wrong);
        }
        let (user, hash) = account.ok_or(Refusal::Wrong)?;
        Ok(Verified {
            user: user.clone(),
            hash,
        })
    }

    /// Signs `verified` in on `session` (and issues a remember-me token if `remember`), then
    /// keeps the sign-in only if the password is still the one checked (see the module).
    pub async fn sign_in(
        &self,
        session: &Session,
        remember: Option<&RememberMe>,
        verified: &Verified,
        device: Device,
    ) -> Result<(), Refusal> {
        let id = verified.user.id;
        session.login(id, device.clone()).await?;
        if let Some(remember) = remember {
            remember.issue(id, device).await?;
        }
        // Written now, so that the check below sees any password change that it missed.
        if session.save().await? == SaveOutcome::Gone {
            // A sign-out of every session of the user undid it.
            return Err(Refusal::NotSignedIn);
        }
        if self.users.hash_of(id).as_deref() != Some(verified.hash.as_str()) {
            session.logout().await?;
            return Err(Refusal::Wrong);
        }
        Ok(())
    }

    /// The signed-in user of `session`, after checking their password again: what a session
    /// signed in by remember-me must do before sensitive actions. The session gets a new ID and
    /// counts as signed in by password from now on.
    pub async fn confirm(
        &self,
        session: &Session,
        ip: Option<IpAddr>,
        device: Device,
        password: &str,
    ) -> Result<Verified, Refusal> {
        let user = self.signed_in(session).await?;
        let verified = self.check(ip, user.email, password).await?;
        self.sign_in(
            session,
            None,
            &verified,
            self.same_device(session, device).await?,
        )
        .await?;
        Ok(verified)
    }

    /// Changes the signed-in user's password from `current` to `new`, signs out every other
    /// session of theirs, and gives this one a new ID.
    pub async fn change_password(
        &self,
        session: &Session,
        ip: Option<IpAddr>,
        device: Device,
        current: &str,
        new: &str,
    ) -> Result<(), Refusal> {
        let user = self.signed_in(session).await?;
        if !PASSWORD_CHARS.contains(&new.chars().count()) {
            return Err(Refusal::BadNewPassword);
        }
        let verified = self.check(ip, user.email, current).await?;
        let hash = (self.passwords.hash(new.to_owned()).await).map_err(|_| Refusal::Hashing)?;
        // Of two changes that checked the same password, the second finds it changed.
        if !self
            .users
            .replace_hash(user.id, &verified.hash, hash.clone())
        {
            return Err(Refusal::Wrong);
        }
        session.logout_others().await?;
        let changed = Verified {
            user: verified.user,
            hash,
        };
        let device = self.same_device(session, device).await?;
        self.sign_in(session, None, &changed, device).await
    }

    /// Refuses a session that remember-me signed in: it must confirm the password first.
    pub async fn require_password_sign_in(&self, session: &Session) -> Result<(), Refusal> {
        self.signed_in(session).await?;
        if session.is_remembered().await? {
            return Err(Refusal::ConfirmFirst);
        }
        Ok(())
    }

    async fn signed_in(&self, session: &Session) -> Result<User, Refusal> {
        let id = session.user_id().await?.ok_or(Refusal::NotSignedIn)?;
        self.users.get(&id).cloned().ok_or(Refusal::NotSignedIn)
    }

    /// `device`, with the label this session's device was given at sign-in.
    async fn same_device(&self, session: &Session, device: Device) -> Result<Device, Refusal> {
        let label = session
            .devices()
            .await?
            .into_iter()
            .find(|listed| listed.current)
            .and_then(|listed| listed.label);
        Ok(match label {
            Some(label) => device.label(label),
            None => device,
        })
    }
}
