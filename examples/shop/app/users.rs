//! The shop's accounts: who they are and their password hashes, kept in memory (a real shop
//! keeps them in its database; a changed password lasts until the shop restarts).

use std::sync::{PoisonError, RwLock};

/// Who an account belongs to.
#[derive(Clone, Debug)]
pub struct User {
    pub id: &'static str,
    pub email: &'static str,
    pub name: &'static str,
}

pub struct Users {
    /// Each user with their Argon2 password hash (PHC string).
    accounts: Vec<(User, RwLock<String>)>,
}

impl Users {
    /// The demo users, Alice (alice@example.com / wonderland) and Bob (bob@example.com /
    /// builder), with their passwords hashed by `hash`.
    pub fn demo(
        hash: impl Fn(&str) -> Result<String, argon2::password_hash::Error>,
    ) -> Result<Self, argon2::password_hash::Error> {
        let demo = [
            ("alice", "alice@example.com", "Alice", "wonderland"),
            ("bob", "bob@example.com", "Bob", "builder"),
        ];
        let mut accounts = Vec::new();
        for (id, email, name, password) in demo {
            let user = User { id, email, name };
            accounts.push((user, RwLock::new(hash(password)?)));
        }
        Ok(Self { accounts })
    }

    pub fn get(&self, id: &str) -> Option<&User> {
        self.accounts
            .iter()
            .map(|(user, _)| user)
            .find(|user| user.id == id)
    }

    /// The user with this e-mail address (any case) and their current password hash.
    pub fn by_email(&self, email: &str) -> Option<(&User, String)> {
        let (user, hash) = self
            .accounts
            .iter()
            .find(|(user, _)| user.email.eq_ignore_ascii_case(email))?;
        Some((user, read(hash)))
    }

    /// The current password hash of the user with this ID.
    pub fn hash_of(&self, id: &str) -> Option<String> {
        let (_, hash) = self.accounts.iter().find(|(user, _)| user.id == id)?;
        Some(read(hash))
    }

    /// Replaces the password hash of `id` with `new` if it is still `old`: of two changes that
    /// both checked the same current password, only the first one lands.
    pub fn replace_hash(&self, id: &str, old: &str, new: String) -> bool {
        let Some((_, hash)) = self.accounts.iter().find(|(user, _)| user.id == id) else {
            return false;
        };
        let mut hash = hash.write().unwrap_or_else(PoisonError::into_inner);
        if *hash != old {
            return false;
        }
        *hash = new;
        true
    }
}

/// A hash is a plain string: a writer that panicked cannot have left it half-written.
fn read(hash: &RwLock<String>) -> String {
    hash.read().unwrap_or_else(PoisonError::into_inner).clone()
}
