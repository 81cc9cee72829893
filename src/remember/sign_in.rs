//! Signing back in with a remember-me token: rotating a current one, following a rotation
//! within its grace window, and treating any other validator of a known selector as theft.

use std::sync::Arc;

use super::config::RememberConfig;
use super::fields::{REMEMBERED, RememberSlot, TOKEN, set_cookie};
use super::token::RememberCookie;
use crate::auth::Device;
use crate::cookie::CookieUpdate;
use crate::error::SessionError;
use crate::id::SessionId;
use crate::session::meta::json;
use crate::session::{Client, Context, SignIn, State};
use crate::store::DynTokenStore;
use crate::store::token::{Rotated, TokenRecord};
use crate::theft::Evidence;
use crate::time::UnixMillis;

crate::telemetry::counter!(
    /// A remember-me sign-in attempt: `rotated`, `followed` (within grace), `theft`, `expired`,
    /// `unknown`, `fenced` (issued before a sign-out of all devices), `unproven` (a device-bound
    /// session's token, used without its device's proof).
    counted,
    "session_remember_total",
    "outcome"
);

/// Describes this feature's counter to the installed recorder.
pub(super) fn describe_counter() {
    #[cfg(feature = "metrics")]
    metrics::describe_counter!(
        "session_remember_total",
        "Remember-me sign-ins, by outcome."
    );
}

/// What signing in with a token works with: the token store and remember-me's settings.
pub(super) struct Tokens<'a> {
    pub(super) store: &'a dyn DynTokenStore,
    pub(super) config: &'a RememberConfig,
}

/// Signs the user of the request's remember-me token back in, at most once per request:
/// rotates a current token, follows a rotation within its grace window, and treats anything
/// else from a known selector as theft.
pub(crate) async fn sign_in(
    feature: &Tokens<'_>,
    context: &Arc<Context>,
    state: &mut State,
    client: &Client,
) -> Result<(), SessionError> {
    if state.ended {
        return Ok(());
    }
    let Some(slot) = state.features.get_mut::<RememberSlot>() else {
        return Ok(());
    };
    if std::mem::replace(&mut slot.tried, true) {
        return Ok(());
    }
    let Some(token) = slot.token_in.clone() else {
        return Ok(());
    };
    if crate::session::meta::owner(state).is_some() {
        return Ok(());
    }
    let store = feature.store;
    let now = UnixMillis::now();
    let Some(record) = store.token_get(&token.selector).await? else {
        tracing::debug!("remember-me cookie names no token");
        counted("unknown");
        set_cookie(state, CookieUpdate::Remove);
        return Ok(());
    };
    if record.expires_at <= now {
        store
            .token_revoke(&record.user, std::slice::from_ref(&token.selector))
            .await?;
        set_cookie(state, CookieUpdate::Remove);
        counted("expired");
        return Ok(());
    }
    if token.matches(&record.validator_hash) {
        rotate(feature, context, state, client, &token, &record, now).await
    } else if within_grace(&token, &record, now) {
        follow(context, state, &token, &record, now).await
    } else {
        theft(context, state, &record).await
    }
}

fn within_grace(token: &RememberCookie, record: &TokenRecord, now: UnixMillis) -> bool {
    now < record.grace_until
        && record
            .previous_hash
            .as_deref()
            .is_some_and(|previous| token.matches(previous))
}

/// The current validator: a new session for the token's user through the core's one sign-in
/// write, published by rotating the token to a new validator, unless a parallel request
/// rotated first (then its result is followed).
async fn rotate(
    feature: &Tokens<'_>,
    context: &Context,
    state: &mut State,
    client: &Client,
    token: &RememberCookie,
    record: &TokenRecord,
    now: UnixMillis,
) -> Result<(), SessionError> {
    let carried = crate::session::carried::parse(record.carried.as_deref());
    if !crate::session::carried::admits(context, state, &carried) {
        // A device-bound session's token: only its device, proving its key, signs in with it.
        tracing::debug!("remember-me token of a device-bound session, without the device's proof");
        counted("unproven");
        return Ok(());
    }
    let tokens = feature.store;
    let next = token.rotated()?;
    let device = crate::auth::device::presented_device_json(&record.device, device_of(client), now);
    let mut meta =
        crate::auth::device::signed_in_meta(&record.user, device, &record.generation, now);
    meta.insert(REMEMBERED.to_owned(), "true".to_owned());
    meta.insert(TOKEN.to_owned(), json(&token.selector));
    meta.extend(carried);
    let sign_in = SignIn {
        user: record.user.clone(),
        previous_owner: None,
        // A token issued before the user's last sign-out of all devices mints nothing.
        born: Some(record.generation.clone()),
        meta,
        expiry: None,
    };
    // The new session is listed, and exists, before the rotation publishes it to parallel
    // requests.
    let Some(new) = state.enter_sign_in(context, &sign_in, now).await? else {
        tracing::info!("remember-me token issued before the user signed out everywhere");
        counted("fenced");
        tokens
            .token_revoke(&record.user, std::slice::from_ref(&token.selector))
            .await?;
        set_cookie(state, CookieUpdate::Remove);
        return Ok(());
    };
    let sealed = token.seal(&format!("{} {}", new.id.encode(), next.encode()))?;
    let grace_until = now.after(feature.config.grace);
    let rotated = tokens
        .token_rotate(
            &token.selector,
            &record.validator_hash,
            &next.validator_hash(),
            grace_until,
            &sealed,
        )
        .await?;
    let won = rotated == Rotated::Won;
    let signed_in = state.finish_sign_in(context, sign_in, new, won).await?;
    match rotated {
        Rotated::Won => {
            tracing::info!("signed back in by a remember-me token; token rotated");
            counted("rotated");
            let cookie = if signed_in {
                CookieUpdate::Set(next)
            } else {
                CookieUpdate::Remove
            };
            set_cookie(state, cookie);
            Ok(())
        }
        Rotated::Lost(latest) if within_grace(token, &latest, now) => {
            follow(context, state, token, &latest, now).await
        }
        Rotated::Lost(_) | Rotated::Gone => {
            set_cookie(state, CookieUpdate::Remove);
            Ok(())
        }
    }
}

/// A validator rotated away moments ago: the same session and cookies the rotation made.
async fn follow(
    context: &Context,
    state: &mut State,
    token: &RememberCookie,
    record: &TokenRecord,
    now: UnixMillis,
) -> Result<(), SessionError> {
    let opened = record
        .sealed
        .as_deref()
        .and_then(|sealed| token.open(sealed));
    let parsed = opened.as_deref().and_then(|plain| {
        let (session, remember) = plain.split_once(' ')?;
        Some((SessionId::parse(session)?, RememberCookie::parse(remember)?))
    });
    let Some((id, next)) = parsed else {
        tracing::warn!("a remember-me rotation's sealed cookies could not be opened");
        return Ok(());
    };
    let deadline = id.deadline(&context.config.timeouts, now);
    let Some(loaded) = context.store.load(&id.handle(), deadline).await? else {
        return Ok(());
    };
    let meta = crate::codec::meta_of(&loaded.fields);
    state.adopt(id, Some(loaded.fields), meta, deadline);
    set_cookie(state, CookieUpdate::Set(next));
    counted("followed");
    Ok(())
}

/// A known selector with a validator that is neither current nor within grace: the token was
/// copied and used elsewhere. Every token and session of the user is revoked.
async fn theft(
    context: &Arc<Context>,
    state: &mut State,
    record: &TokenRecord,
) -> Result<(), SessionError> {
    let users = crate::auth::UserSessions::new(Arc::clone(context));
    let (revoked, _) = users.sign_out(&record.user, None).await?;
    counted("theft");
    tracing::warn!(
        revoked_sessions = revoked,
        "remember-me token replayed after rotation: theft suspected; all of the user's tokens and sessions revoked"
    );
    crate::theft::report(
        context.on_theft.as_ref(),
        &record.user,
        Evidence::RememberMeReplay,
        true,
    );
    set_cookie(state, CookieUpdate::Remove);
    Ok(())
}

/// The device a request's headers describe, with no label: the browser that used the token.
fn device_of(client: &Client) -> Device {
    let text = |value: &Option<http::HeaderValue>| {
        value
            .as_ref()
            .and_then(|value| value.to_str().ok())
            .map(|text| text.trim().to_owned())
    };
    let mut device = Device::new();
    if let Some(user_agent) = text(&client.user_agent) {
        device = device.user_agent(user_agent);
    }
    if let Some(ip) = text(&client.ip) {
        device = device.ip(ip);
    }
    device
}
