//! Conformance behaviours of the session lifecycle as a whole (part of `conformance_suite!`):
//! every way a signed-in session begins against every way it ends, and the races between them.
//!
//! The matrix: a device signs in one way (a password, a remember-me token, then an ID cycle or
//! a change of expiry), holding a session cookie and a remember-me cookie; another device of
//! the same user signs in too; then the first device is signed out one way. Afterwards the
//! first device's session cookie, its remember-me cookie and both together sign nobody in, its
//! token is gone from the store, it is not listed, and the other device is untouched unless the
//! way out ended it too.

use std::time::Duration;

use crate::SessionStore;
use crate::store::token::TokenStore;
use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::test_kit::{Backend, Client, app};

pub(super) const POST: Method = Method::POST;
pub(super) const GET: Method = Method::GET;
pub(super) const TRIALS: usize = 100;

/// The ways a device's session begins.
#[derive(Clone, Copy, Debug)]
pub(super) enum WayIn {
    Password,
    /// A remember-me token, once the password sign-in's session has expired.
    Remembered,
    /// A password, then a new ID.
    Cycled,
    /// A password, then an expiry of its own (which moves the session to a new ID).
    ExpiryChanged,
}

const WAYS_IN: [WayIn; 4] = [
    WayIn::Password,
    WayIn::Remembered,
    WayIn::Cycled,
    WayIn::ExpiryChanged,
];

/// The ways a device's session ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum WayOut {
    /// The device logs out.
    Logout,
    /// Another device signs it out by its handle.
    Revoked,
    /// Another device signs out every other session (what a password change does).
    Others,
    /// Another device signs out every session.
    All,
    /// The device signs out every session itself.
    AllFromItself,
    /// Someone replays the device's token with a forged validator: theft, everything ends.
    Theft,
    /// A third device signs in past the user's session limit; this one was seen least recently.
    Evicted,
}

/// The user's session limit in the matrix: the two devices fit, a third does not.
pub(super) const LIMIT: usize = 2;

pub(super) fn base<B: Backend>(backend: &B) -> Client {
    Client::new(app(backend.store(), |b| b.max_sessions_per_user(LIMIT)))
}

pub(super) fn handle_of(devices: &[Value], label: &str) -> Option<String> {
    devices
        .iter()
        .find(|d| d["label"] == label)
        .and_then(|d| d["handle"].as_str())
        .map(str::to_owned)
}

/// A device of alice signed in with "remember me", labelled `label`, by `way`.
pub(super) async fn signed_in<B: Backend>(
    backend: &B,
    base: &Client,
    way: WayIn,
    label: &str,
) -> Client {
    let mut device = base.clone();
    device.cookie = None;
    device.remember = None;
    let reply = device.post("/login-remember/alice", label).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    match way {
        WayIn::Password => {}
        WayIn::Remembered => {
            // The password session expires (its record is gone); the token signs back in.
            let handle = handle_of(&device.devices().await, label).expect("listed");
            let id = crate::Handle::parse(&handle).expect("a handle");
            backend.store().delete(&id).await.expect("the store");
            assert_eq!(device.get("/remembered").await.body, "true", "{way:?}");
        }
        WayIn::Cycled => assert_eq!(device.post("/cycle", "").await.status, StatusCode::OK),
        WayIn::ExpiryChanged => {
            let reply = device.post("/expiry/inactivity-600000", "").await;
            assert_eq!(reply.status, StatusCode::OK);
        }
    }
    assert_eq!(device.get("/me").await.body, "alice", "{way:?}");
    device
}

/// Signs alice out everywhere from outside her sessions: a trial's cleanup, which must not rely
/// on a device the trial (or the session limit) may have signed out.
pub(super) async fn sign_out_everywhere(base: &Client) {
    let mut outside = base.clone();
    outside.cookie = None;
    outside.remember = None;
    let reply = outside.post("/sign-out-user/alice", "").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

/// Signs `device` out by `way`, from it or from `other`.
async fn sign_out(way: WayOut, device: &mut Client, other: &mut Client, base: &Client) {
    let handle = handle_of(&other.devices().await, "device").expect("the device is listed");
    let reply = match way {
        WayOut::Logout => device.post("/logout", "").await,
        WayOut::Revoked => other.post(&format!("/revoke/{handle}"), "").await,
        WayOut::Others => other.post("/logout-others", "").await,
        WayOut::All => other.post("/logout-all", "").await,
        WayOut::AllFromItself => device.post("/logout-all", "").await,
        WayOut::Theft => {
            let mut thief = base.clone();
            thief.cookie = None;
            let value = device.remember.clone().expect("a remember cookie");
            let (selector, _) = value.split_once('.').expect("selector.validator");
            thief.remember = Some(format!("{selector}.{}A", "B".repeat(42)));
            thief.get("/me").await
        }
        WayOut::Evicted => {
            let mut third = base.clone();
            third.cookie = None;
            third.remember = None;
            third.post("/login/alice", "third").await
        }
    };
    assert_eq!(reply.status, StatusCode::OK, "{way:?}: {reply:?}");
    assert_ne!(reply.body, "false", "{way:?} ended nothing");
}

/// Runs the matrix row of `way_out` over every way in.
async fn every_way_in_ends_by<B: Backend>(way_out: WayOut) {
    let backend = B::start();
    let base = base(&backend);
    for way_in in WAYS_IN {
        let mut device = signed_in(&backend, &base, way_in, "device").await;
        // The other device is seen after this one: the limit ends this one first.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let mut other = signed_in(&backend, &base, WayIn::Password, "other").await;
        let before = device.clone();
        sign_out(way_out, &mut device, &mut other, &base).await;
        let case = format!("{way_in:?} then {way_out:?}");

        let (mut cookie_alone, mut remember_alone, mut both) =
            (before.clone(), before.clone(), before.clone());
        cookie_alone.remember = None;
        remember_alone.cookie = None;
        for (what, client) in [
            ("session cookie", &mut cookie_alone),
            ("remember cookie", &mut remember_alone),
            ("both cookies", &mut both),
        ] {
            assert_eq!(client.get("/me").await.body, "anonymous", "{case}: {what}");
        }
        let value = before.remember.clone().expect("a remember cookie");
        let (selector, _) = value.split_once('.').expect("selector.validator");
        let token = backend
            .store()
            .token_get(selector)
            .await
            .expect("the store");
        assert!(token.is_none(), "{case}: the token lives on");

        let other_ends = matches!(way_out, WayOut::All | WayOut::AllFromItself | WayOut::Theft);
        let mut lister = if other_ends {
            assert_eq!(other.get("/me").await.body, "anonymous", "{case}: other");
            signed_in(&backend, &base, WayIn::Password, "lister").await
        } else {
            assert_eq!(other.get("/me").await.body, "alice", "{case}: other");
            other.clone()
        };
        let listed = lister.devices().await;
        assert_eq!(handle_of(&listed, "device"), None, "{case}: still listed");
        if !other_ends {
            let value = other.remember.clone().expect("a remember cookie");
            let (selector, _) = value.split_once('.').expect("selector.validator");
            let token = backend
                .store()
                .token_get(selector)
                .await
                .expect("the store");
            assert!(
                token.is_some(),
                "{case}: the other device's token was revoked"
            );
        }
        sign_out_everywhere(&base).await;
    }
}

pub(crate) async fn logout_ends_a_device_however_it_signed_in<B: Backend>() {
    every_way_in_ends_by::<B>(WayOut::Logout).await;
}

pub(crate) async fn revoking_a_device_ends_it_however_it_signed_in<B: Backend>() {
    every_way_in_ends_by::<B>(WayOut::Revoked).await;
}

pub(crate) async fn logout_others_ends_a_device_however_it_signed_in<B: Backend>() {
    every_way_in_ends_by::<B>(WayOut::Others).await;
}

pub(crate) async fn logout_all_from_another_device_ends_a_device_however_it_signed_in<
    B: Backend,
>() {
    every_way_in_ends_by::<B>(WayOut::All).await;
}

pub(crate) async fn logout_all_from_the_device_ends_it_however_it_signed_in<B: Backend>() {
    every_way_in_ends_by::<B>(WayOut::AllFromItself).await;
}

pub(crate) async fn theft_ends_a_device_however_it_signed_in<B: Backend>() {
    every_way_in_ends_by::<B>(WayOut::Theft).await;
}

pub(crate) async fn the_session_limit_ends_a_device_however_it_signed_in<B: Backend>() {
    every_way_in_ends_by::<B>(WayOut::Evicted).await;
}

pub(crate) async fn a_remembered_sign_in_merges_the_visitors_cart<B: Backend>() {
    let backend = B::start();
    let base = base(&backend);
    let mut device = base.clone();
    device.post("/login-remember/alice", "device").await;
    device.post("/cart/add/apple/2", "").await;
    let mut visitor = device.clone();
    visitor.cookie = None;
    visitor.cart = None;
    visitor.remember = None;
    visitor.post("/cart/add/pear/1", "").await;
    // The visitor's browser had alice's token all along: its next request signs her in.
    visitor.remember = device.remember.clone();
    assert_eq!(visitor.get("/me").await.body, "alice");
    let cart = visitor.cart().await;
    assert_eq!(cart.get("apple"), Some(&2), "{cart:?}");
    assert_eq!(
        cart.get("pear"),
        Some(&1),
        "the visitor's line merged: {cart:?}"
    );
}

pub(crate) async fn other_applications_cookies_hide_none_of_ours<B: Backend>() {
    let backend = B::start();
    let mut device = base(&backend);
    device.post("/login-remember/alice", "device").await;
    device.post("/cart/add/apple/2", "").await;
    for foreign in [
        &b"city=M\xc3\xbcnchen"[..],
        b"city=M\xfcnchen",
        b"x=\xff\xfe; y=\x80",
    ] {
        let mut with_foreign = device.clone();
        with_foreign.foreign = foreign.to_vec();
        let reply = with_foreign.get("/me").await;
        assert_eq!(reply.body, "alice", "{foreign:?}");
        assert!(reply.set_cookies.is_empty(), "nothing replaced: {reply:?}");
        assert_eq!(with_foreign.cart().await.get("apple"), Some(&2));
        let mut remember_alone = with_foreign.clone();
        remember_alone.cookie = None;
        assert_eq!(remember_alone.get("/remembered").await.body, "true");
        // A write keeps the session it had.
        let before = with_foreign.cookie.clone();
        with_foreign.post("/set/n", "1").await;
        assert_eq!(with_foreign.cookie, before, "{foreign:?}");
        device = with_foreign;
        device.foreign.clear();
    }
}
