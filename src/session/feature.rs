//! The core's extension points: what a feature built on sessions (the cart, remember-me) can
//! hook into, so that the core never names one.
//!
//! A feature is registered once, at [`SessionLayerBuilder::build`](crate::SessionLayerBuilder::build),
//! holding its own settings, cookie and store. Per request it keeps what it needs in
//! `State::features`, a type map that stays empty (and allocates nothing) until it has
//! something to keep. Every hook has a default that does nothing, and an asynchronous hook that
//! has nothing to do returns `None`, so a request no feature cares about boxes no future.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response};

use super::{Client, Context, Session, State};
use crate::cookie::CookieSettings;
use crate::error::{SessionError, StoreError};
use crate::store::BoxFuture;

/// A hook's work, when it has any.
pub(crate) type Hook<'a, E = SessionError> = Option<BoxFuture<'a, Result<(), E>>>;

/// What a feature hooks into. See the module documentation.
pub(crate) trait Feature: Any + Send + Sync {
    /// Claims the request cookie `name` if it is this feature's, keeping what it parses in
    /// `state.features`. Pure parsing: a malformed value is simply absent.
    fn read_cookie(&self, name: &str, value: &str, state: &mut State) -> bool;

    /// Runs once per request, when the session has just been loaded (or found absent), if some
    /// feature keeps something for the request (`State::features` is not empty).
    fn loaded<'a>(
        &'a self,
        _context: &'a Arc<Context>,
        _state: &'a mut State,
        _client: &'a Client,
    ) -> Hook<'a> {
        None
    }

    /// A metadata field that puts a session in this feature's keeping: on a record that has it,
    /// [`loaded`](Self::loaded) runs even when the request gave this feature nothing (a device
    /// binding, which a request without the device's proof must not get past).
    fn guard_field(&self) -> Option<&'static str> {
        None
    }

    /// A metadata field this feature keeps that belongs to the browser more than to the session
    /// (a device binding): a credential issued for the session keeps it, and a sign-in with
    /// that credential gives it to the new session (see `session/carried.rs`).
    #[cfg_attr(
        not(any(feature = "remember-me", feature = "dbsc")),
        allow(dead_code, reason = "an extension point: only features call it")
    )]
    fn carried_field(&self) -> Option<&'static str> {
        None
    }

    /// Whether this request may sign in with a credential that carries the fields `carried`
    /// (the feature's own among them, or not).
    #[cfg_attr(
        not(feature = "remember-me"),
        allow(
            dead_code,
            reason = "an extension point: only a credential's feature calls it"
        )
    )]
    fn admits_sign_in(&self, _state: &State, _carried: &HashMap<String, String>) -> bool {
        true
    }

    /// Runs when the carried fields of the session whose metadata is `meta` changed: whatever
    /// this feature keeps for that session that can sign in again must carry `carried` (JSON).
    fn carry<'a>(
        &'a self,
        _meta: &'a HashMap<String, String>,
        _carried: &'a str,
    ) -> Hook<'a, StoreError> {
        None
    }

    /// The paths whose `POST` requests the layer answers itself, through
    /// [`serve`](Self::serve), without calling the application. Asked once, when the layer is
    /// built.
    fn endpoints(&self) -> Vec<String> {
        Vec::new()
    }

    /// Answers a `POST` to one of this feature's [`endpoints`](Self::endpoints), with the request's session,
    /// which the layer then writes back as after any handler.
    fn serve<'a>(
        &'a self,
        _session: &'a Session,
        _request: &'a http::request::Parts,
    ) -> BoxFuture<'a, Response<Bytes>> {
        Box::pin(async {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = http::StatusCode::NOT_FOUND;
            response
        })
    }

    /// Runs when a handler signs `user` in on a session that `previous_owner` held, before
    /// the login is written.
    fn logging_in<'a>(
        &'a self,
        _state: &'a mut State,
        _previous_owner: Option<&'a str>,
        _user: &'a str,
    ) -> Hook<'a> {
        None
    }

    /// Runs once a new signed-in session (a login, a remember-me sign-in) is written, listed
    /// and this request's.
    fn logged_in<'a>(&'a self, _state: &'a mut State, _user: &'a str) -> Hook<'a> {
        None
    }

    /// The metadata fields this feature keeps on a session (besides the core's), which its
    /// [`ending`](Self::ending) hook reads: a sign-out of a session that no request has
    /// loaded reads them from the store.
    fn session_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// Runs when one session of `user` ends (logout, revocation, eviction by the session
    /// limit, a rename undone by a sign-out), before its record is deleted: whatever this
    /// feature keeps for that session alone, found in its metadata `meta`, is revoked.
    fn ending<'a>(
        &'a self,
        _user: &'a str,
        _meta: &'a HashMap<String, String>,
    ) -> Hook<'a, StoreError> {
        None
    }

    /// Runs once this request's session has been signed out (logout, a sign-out of all the
    /// user's sessions, or any sign-out found at write-back): only the browser's cookies are
    /// left to clean up.
    fn signed_out(&self, _state: &mut State) {}

    /// How long something this feature keeps can sign a user in (a remember-me token): a
    /// sign-out's fence must outlive it.
    fn sign_in_lifetime(&self) -> Duration {
        Duration::ZERO
    }

    /// Runs inside a sign-out of all (or all other) sessions of `user`, once nothing born before
    /// it can still be created: whatever this feature keeps that could sign the user in again
    /// is revoked, except what belongs to the session `keep` (its metadata).
    fn signing_out<'a>(
        &'a self,
        _user: &'a str,
        _keep: Option<&'a HashMap<String, String>>,
    ) -> Hook<'a, StoreError> {
        None
    }

    /// Runs when a sign-out kept the session whose metadata is `keep`: it now lives under
    /// `generation`, and so must what this feature kept for it.
    fn kept<'a>(
        &'a self,
        _keep: &'a HashMap<String, String>,
        _generation: &'a str,
    ) -> Hook<'a, StoreError> {
        None
    }

    /// The settings of this feature's cookie, if it has one: how it is named and set, so that
    /// one sent under an old name is read and moved to the current one.
    fn cookie(&self) -> Option<&CookieSettings> {
        None
    }

    /// Adds the `Set-Cookie` headers this feature's cookies need to `out`; called, as `loaded`,
    /// only when some feature keeps something for the request.
    fn set_cookies(&self, _state: &mut State, _out: &mut Vec<HeaderValue>) {}

    /// Adds the other response headers this feature needs to `out`; called as `set_cookies`.
    fn headers(&self, _state: &mut State, _out: &mut Vec<(HeaderName, HeaderValue)>) {}
}
