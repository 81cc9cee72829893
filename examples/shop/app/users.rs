//! The demo users, with their passwords kept as Argon2 hashes as a real shop would.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub struct User {
    pub id: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    password_hash: String,
}

pub struct Users {
    users: Vec<User>,
}

impl Users {
    /// Alice (alice@example.com / wonderland) and Bob (bob@example.com / builder).
    pub fn demo() -> Result<Self, Box<dyn std::error::Error>> {
        let demo = [
            ("alice", "alice@example.com", "Alice", "wonderland"),
            ("bob", "bob@example.com", "Bob", "builder"),
        ];
        let mut users = Vec::new();
        for (id, email, name, password) in demo {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
            let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
            let password_hash = Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map_err(|e| e.to_string())?
                .to_string();
            users.push(User {
                id,
                email,
                name,
                password_hash,
            });
        }
        Ok(Self { users })
    }

    /// The user with this email and password, checked against the Argon2 hash.
    pub fn authenticate(&self, email: &str, password: &str) -> Option<&User> {
        let user = self
            .users
            .iter()
            .find(|user| user.email.eq_ignore_ascii_case(email))?;
        let hash = PasswordHash::new(&user.password_hash).ok()?;
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .ok()
            .map(|()| user)
    }

    pub fn get(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }
}
