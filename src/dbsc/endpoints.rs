//! The registration and refresh endpoints, which the layer serves itself.
//!
//! Both read the request's own session through its cookie, as any handler would, and the
//! layer writes it back afterwards. A refresh without cookies names nothing and costs no store
//! command; with a session cookie, the load is the one command it costs before a proof is
//! checked. A bound session's remember-me token signs in again only here: the new session is
//! bound as the old one was, and of no use until the device proves its key.

use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Response, StatusCode};

use super::WrongKey;
use super::binding::Binding;
use super::feature::{DbscFeature, DbscSlot, REFRESH, REGISTRATION, counted};
use super::proof::{Proof, Refused};
use super::wire::{self, status};
use crate::cookie::CookieUpdate;
use crate::error::SessionError;
use crate::failure::SessionFailure;
use crate::session::{Feature, SaveOutcome, Session, State, meta};
use crate::theft::Evidence;
use crate::time::UnixMillis;

/// The longest DBSC session identifier read (the layer's are 22 characters).
const MAX_ID: usize = 64;

/// Describes this feature's counter to the installed recorder.
pub(super) fn describe_counter() {
    #[cfg(feature = "metrics")]
    metrics::describe_counter!(
        "session_dbsc_total",
        "Device-bound session registrations, refreshes and refusals, by outcome."
    );
}

/// Answers a registration or a refresh.
pub(super) async fn serve(
    feature: &DbscFeature,
    session: &Session,
    request: &Parts,
) -> Response<Bytes> {
    let registering = request.uri.path() == feature.config.registration_path;
    {
        let mut state = session.lock().await;
        let slot = state.features.get_or_insert_default::<DbscSlot>();
        slot.serving = true;
        slot.refreshing = !registering;
    }
    let answer = if registering {
        register(feature, session, &request.headers).await
    } else {
        refresh(feature, session, &request.headers).await
    };
    answer.unwrap_or_else(|error| {
        error.log(
            "device-bound session endpoint failed",
            "device-bound session endpoint refused",
        );
        session.render_failure(SessionFailure::new(Arc::new(error), false))
    })
}

/// The proof a request carries, if it carries one.
fn proof(headers: &HeaderMap) -> Option<String> {
    headers.get(wire::RESPONSE).and_then(wire::sf_string)
}

/// Binds the request's signed-in session to the key its registration proof carries.
async fn register(
    feature: &DbscFeature,
    session: &Session,
    headers: &HeaderMap,
) -> Result<Response<Bytes>, SessionError> {
    let Some(jwt) = proof(headers) else {
        return Ok(status(StatusCode::BAD_REQUEST, "no proof"));
    };
    let Ok(proof) = Proof::parse(&jwt) else {
        return Ok(status(StatusCode::BAD_REQUEST, "malformed proof"));
    };
    let Some(key) = proof.key.clone().filter(|key| key.check().is_ok()) else {
        return Ok(status(StatusCode::BAD_REQUEST, "no usable key"));
    };
    let mut state = session.loaded().await?;
    let signed_in = meta::owner(&state).is_some() && Binding::of(&state).is_none();
    let Some(handle) = state
        .id
        .as_ref()
        .map(crate::id::SessionId::handle)
        .filter(|_| signed_in)
    else {
        return Ok(status(StatusCode::FORBIDDEN, "no session to bind"));
    };
    let offered = proof.jti.starts_with(REGISTRATION)
        && feature.store.challenge_take(&handle, &proof.jti).await?;
    if !offered {
        return Ok(status(StatusCode::FORBIDDEN, "unknown challenge"));
    }
    if proof.verify(&key).is_err() {
        return Ok(status(
            StatusCode::BAD_REQUEST,
            "proof not signed by its key",
        ));
    }
    let binding = Binding::new(key).map_err(SessionError::Randomness)?;
    binding.store(&mut state);
    let meta = state.meta.clone();
    drop(state);
    if session.save().await? == SaveOutcome::Gone {
        return Ok(wire::end(&binding.id));
    }
    // What can sign this session in again (its remember-me token) is bound to the device too.
    crate::session::carried::changed(session.context(), &meta).await?;
    tracing::info!("session bound to its device");
    counted("registered");
    Ok(credential(feature, &mut *session.lock().await, &binding))
}

/// Renews a bound session's credential for a proof of its key, asking for one first.
async fn refresh(
    feature: &DbscFeature,
    session: &Session,
    headers: &HeaderMap,
) -> Result<Response<Bytes>, SessionError> {
    let Some(id) = headers
        .get(wire::SESSION_ID)
        .and_then(wire::sf_string)
        .filter(|id| id.len() <= MAX_ID)
    else {
        return Ok(status(StatusCode::BAD_REQUEST, "no session identifier"));
    };
    // Without a session cookie, the load asks the store nothing, unless a credential of the
    // bound session (its remember-me token) signs it in again, for the device to prove itself.
    let mut state = session.loaded().await?;
    let bound = Binding::of(&state).filter(|binding| binding.id == id);
    let user = meta::owner(&state);
    let handle = state.id.as_ref().map(crate::id::SessionId::handle);
    let (Some(binding), Some(user), Some(handle)) = (bound, user, handle) else {
        counted("ended");
        return Ok(wire::end(&id));
    };
    let jwt = proof(headers);
    let answered = match jwt.as_deref().map(Proof::parse) {
        Some(Ok(proof)) => {
            let current = proof.jti.starts_with(REFRESH)
                && feature.store.challenge_take(&handle, &proof.jti).await?;
            current.then_some(proof)
        }
        Some(Err(Refused::Malformed | Refused::Signature)) | None => None,
    };
    // No proof, or one for a challenge that is not current (a browser's racing refreshes, an
    // expired one): a new challenge, never a sign-out.
    let Some(proof) = answered else {
        drop(state);
        return match feature.challenge(&handle, REFRESH).await? {
            Some(challenge) => {
                counted("challenged");
                Ok(wire::challenge(&challenge, &id))
            }
            None => {
                counted("throttled");
                Ok(wire::too_many())
            }
        };
    };
    if proof.verify(&binding.key).is_err() {
        drop(state);
        return wrong_key(feature, session, &user, &id).await;
    }
    counted("refreshed");
    Ok(credential(feature, &mut state, &binding))
}

/// A refresh for a challenge of this session, signed by another key: the session's cookies
/// are being kept alive away from its device.
async fn wrong_key(
    feature: &DbscFeature,
    session: &Session,
    user: &str,
    id: &str,
) -> Result<Response<Bytes>, SessionError> {
    let all = feature.config.on_wrong_key == WrongKey::EndAllSessions;
    if all {
        let users = crate::auth::UserSessions::new(Arc::clone(session.context()));
        users.sign_out(user, None).await?;
        let mut state = session.lock().await;
        state.reset();
        feature.signed_out(&mut state);
    } else {
        session.logout().await?;
    }
    counted("wrong_key");
    tracing::warn!(
        all_sessions_ended = all,
        "device-bound session refreshed with a proof its key did not sign: theft suspected; session ended"
    );
    crate::theft::report(
        session.context().on_theft.as_ref(),
        user,
        Evidence::WrongDeviceKey,
        all,
    );
    Ok(wire::end(id))
}

/// A new credential cookie for `binding`, and the session instructions that describe it.
fn credential(feature: &DbscFeature, state: &mut State, binding: &Binding) -> Response<Bytes> {
    let expires_at = UnixMillis::now().after(feature.config.credential_lifetime);
    let slot = state.features.get_or_insert_default::<DbscSlot>();
    slot.credential_out = CookieUpdate::Set(binding.credential(expires_at));
    wire::json(wire::instructions(
        &binding.id,
        &feature.config.refresh_path,
        feature.cookie_name(),
        &feature.attributes,
    ))
}
