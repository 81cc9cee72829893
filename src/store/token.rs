//! [`TokenStore`]: the store ability behind [`RememberMe`](crate::RememberMe), and what its
//! operations work with: a remember-me token as stored, and what a rotation did.

use std::future::Future;

use super::UserIndex;
use crate::error::StoreError;
use crate::time::UnixMillis;

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
    pub grace_until: UnixMillis,
    /// The cookies the last rotation handed out, sealed under the previous validator.
    pub sealed: Option<String>,
    /// The device the token was issued to, as JSON.
    pub device: String,
    /// When the token was issued, Unix ms.
    pub created_at: UnixMillis,
    /// The token's absolute deadline, Unix ms.
    pub expires_at: UnixMillis,
    /// Its user's sign-out generation when it was issued (see
    /// [`UserIndex::index_add`]): a token issued before the
    /// user's last sign-out of all devices signs nobody in.
    pub generation: String,
    /// What the session it was issued for carries to the sessions it signs in (a device
    /// binding), as an opaque JSON object the layer writes; `None` for nothing.
    pub carried: Option<String>,
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

/// A store that also keeps remember-me tokens, for [`RememberMe`](crate::RememberMe), and each
/// user's index of them. Every operation is atomic and one round trip.
pub trait TokenStore: UserIndex {
    /// Stores a new remember-me token under `selector`, entered in its user's token index
    /// first; it expires at `record.expires_at`. The token is stamped with its user's sign-out
    /// generation as [`UserIndex::index_add`] gives it (`record.generation` is ignored),
    /// which is returned.
    fn token_create(
        &self,
        selector: &str,
        record: &TokenRecord,
        fresh_generation: &str,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// Stamps an existing token with a new generation (the one a sign-out of the user's other
    /// devices kept it under). A token that no longer exists is left alone.
    fn token_restamp(
        &self,
        selector: &str,
        generation: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Sets what a token carries to the sessions it signs in (see [`TokenRecord::carried`]). A
    /// token that no longer exists is left alone.
    fn token_carry(
        &self,
        selector: &str,
        carried: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The token stored under `selector`, if it exists.
    fn token_get(
        &self,
        selector: &str,
    ) -> impl Future<Output = Result<Option<TokenRecord>, StoreError>> + Send;

    /// Rotates a token if its validator hash is still `expected`: the current hash becomes the
    /// previous one (accepted until `grace_until`), `new_hash` the current, and `sealed` the
    /// cookies handed out.
    fn token_rotate(
        &self,
        selector: &str,
        expected: &str,
        new_hash: &str,
        grace_until: UnixMillis,
        sealed: &str,
    ) -> impl Future<Output = Result<Rotated, StoreError>> + Send;

    /// Deletes tokens and removes them from `user`'s token index.
    fn token_revoke(
        &self,
        user: &str,
        selectors: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The selectors of `user`'s tokens not past their deadline at `now`.
    fn token_list(
        &self,
        user: &str,
        now: UnixMillis,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}
