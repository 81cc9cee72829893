//! What a token store works with (the `token_*` operations of
//! [`SessionStore`](super::SessionStore)): a remember-me token as stored, and what a rotation
//! did.

/// A token as the store keeps it: no validator, only hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// Whose token it is.
    pub user: String,
    /// SHA-256 of the current validator, base64url.
    pub validator_hash: String,
    /// SHA-256 of the validator rotated away last, base64url.
    pub previous_hash: Option<String>,
    /// Until when (Unix ms) the previous validator is accepted.
    pub grace_until: u64,
    /// The cookies the last rotation handed out, sealed under the previous validator.
    pub sealed: Option<String>,
    /// The device the token was issued to, as JSON.
    pub device: String,
    /// When the token was issued, Unix ms.
    pub created_at: u64,
    /// The token's absolute deadline, Unix ms.
    pub expires_at: u64,
    /// Its user's sign-out generation when it was issued (see
    /// [`SessionStore::index_add`](crate::SessionStore::index_add)): a token issued before the
    /// user's last sign-out of all devices signs nobody in.
    pub generation: String,
}

/// The outcome of a rotation attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotated {
    /// This rotation won: its validator and sealed cookies are now the token's.
    Won,
    /// Another request rotated first; here is the token as that left it.
    Lost(TokenRecord),
    /// The token no longer exists.
    Gone,
}
