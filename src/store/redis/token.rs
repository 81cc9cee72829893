//! Remember-me tokens in Redis: one hash per token under its selector (fields in
//! `scripts/remember_rotate.lua`), and each user's index of tokens under the user's hash tag.

use deadpool_redis::redis::cmd;

use super::connection::Request;
use super::scripts;
use super::{PIPELINE_CHUNK, RedisStore};
use crate::error::StoreError;
use crate::store::token::{Rotated, TokenRecord, TokenStore};
use crate::time::UnixMillis;

impl RedisStore {
    /// The Redis key of a remember-me token.
    pub fn token_key(&self, selector: &str) -> String {
        format!("{}r:{selector}", self.inner.prefix)
    }

    /// The Redis key of a user's index of remember-me tokens, under the user's hash tag.
    pub fn token_index_key(&self, user: &str) -> String {
        self.user_key(user, "t")
    }
}

impl TokenStore for RedisStore {
    async fn token_create(
        &self,
        selector: &str,
        record: &TokenRecord,
        fresh_generation: &str,
    ) -> Result<String, StoreError> {
        let user = &record.user;
        let generation = super::index::add_member(
            self,
            &self.token_index_key(user),
            user,
            selector,
            &record.expires_at.to_string(),
            record.expires_at,
            fresh_generation,
        )
        .await?;
        let mut call = scripts::TOKEN_CREATE.call(&[self.token_key(selector)]);
        call.arg(user)
            .arg(&record.validator_hash)
            .arg(&record.device)
            .arg(record.created_at)
            .arg(record.expires_at)
            .arg(&generation)
            .arg(record.carried.as_deref().unwrap_or_default());
        self.run::<()>(Request::Script(&call), true).await?;
        Ok(generation)
    }

    async fn token_restamp(&self, selector: &str, generation: &str) -> Result<(), StoreError> {
        let mut call = scripts::TOKEN_RESTAMP.call(&[self.token_key(selector)]);
        call.arg(generation);
        self.run::<()>(Request::Script(&call), true).await
    }

    async fn token_carry(&self, selector: &str, carried: &str) -> Result<(), StoreError> {
        let mut call = scripts::TOKEN_CARRY.call(&[self.token_key(selector)]);
        call.arg(carried);
        self.run::<()>(Request::Script(&call), true).await
    }

    async fn token_get(&self, selector: &str) -> Result<Option<TokenRecord>, StoreError> {
        let mut command = cmd("HGETALL");
        command.arg(self.token_key(selector));
        let fields: std::collections::HashMap<String, String> =
            self.run(Request::Command(&command), true).await?;
        Ok(parse_token(fields))
    }

    async fn token_rotate(
        &self,
        selector: &str,
        expected: &str,
        new_hash: &str,
        grace_until: UnixMillis,
        sealed: &str,
    ) -> Result<Rotated, StoreError> {
        let mut call = scripts::REMEMBER_ROTATE.call(&[self.token_key(selector)]);
        call.arg(expected)
            .arg(new_hash)
            .arg(grace_until)
            .arg(sealed);
        match self.run::<i64>(Request::Script(&call), false).await? {
            1 => Ok(Rotated::Won),
            0 => Ok(Rotated::Gone),
            _ => Ok(match self.token_get(selector).await? {
                Some(latest) => Rotated::Lost(latest),
                None => Rotated::Gone,
            }),
        }
    }

    async fn token_revoke(&self, user: &str, selectors: &[String]) -> Result<(), StoreError> {
        for chunk in selectors.chunks(PIPELINE_CHUNK) {
            let mut delete = cmd("DEL");
            let mut unlist = cmd("ZREM");
            unlist.arg(self.token_index_key(user));
            for selector in chunk {
                delete.arg(self.token_key(selector));
                unlist.arg(selector);
            }
            self.revoke(&[delete, unlist]).await?;
        }
        Ok(())
    }

    async fn token_list(&self, user: &str, now: UnixMillis) -> Result<Vec<String>, StoreError> {
        let members = super::index::members(self, &self.token_index_key(user), now).await?;
        Ok(members.into_iter().map(|(selector, _)| selector).collect())
    }
}

/// A token from its hash fields (see `scripts/remember_rotate.lua`); `None` if missing or
/// incomplete.
fn parse_token(mut fields: std::collections::HashMap<String, String>) -> Option<TokenRecord> {
    let number = |value: Option<String>| value.and_then(|v| v.parse::<u64>().ok());
    Some(TokenRecord {
        user: fields.remove("u")?,
        validator_hash: fields.remove("h")?,
        previous_hash: fields.remove("p"),
        grace_until: UnixMillis(number(fields.remove("g")).unwrap_or(0)),
        sealed: fields.remove("e"),
        device: fields.remove("d").unwrap_or_default(),
        created_at: UnixMillis(number(fields.remove("c"))?),
        expires_at: UnixMillis(number(fields.remove("x"))?),
        generation: fields.remove("n").unwrap_or_default(),
        carried: fields.remove("b"),
    })
}
