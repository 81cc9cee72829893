//! Conformance behaviours of signed-in sessions renamed while other devices sign in, sign out
//! and revoke: the races that "sign out everywhere" must win.

use std::time::Duration;

use axum::http::Method;
use axum::http::StatusCode;

use super::devices::{client, handle_of, signed_in};
use crate::test_kit::gate::Gate;
use crate::test_kit::{Backend, Client, app};

const POST: Method = Method::POST;

/// How many times each race below is run; the invariant is checked after every one.
const TRIALS: usize = 100;

pub(crate) async fn cycle_id_of_a_signed_in_session_keeps_it_listed_once_as_current<B: Backend>() {
    let backend = B::start();
    let mut laptop = signed_in(&client(&backend), "alice", "laptop").await;
    let before = laptop.cookie.clone();
    laptop.post("/cycle", "").await;
    assert_ne!(laptop.cookie, before, "a new ID");
    let devices = laptop.devices().await;
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["current"], true);
    assert_eq!(devices[0]["label"], "laptop");
}

pub(crate) async fn a_cycled_session_is_signed_out_by_logout_all_from_another_device<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut laptop = signed_in(&base, "alice", "laptop").await;
    let mut phone = signed_in(&base, "alice", "phone").await;
    laptop.post("/cycle", "").await;
    assert_eq!(
        phone.devices().await.len(),
        2,
        "both listed from the other device"
    );
    assert_eq!(phone.post("/logout-all", "").await.body, "2");
    assert_eq!(laptop.get("/me").await.body, "anonymous");
}

pub(crate) async fn a_cycled_session_is_signed_out_by_logout_others<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut laptop = signed_in(&base, "alice", "laptop").await;
    let mut phone = signed_in(&base, "alice", "phone").await;
    laptop.post("/cycle", "").await;
    assert_eq!(phone.post("/logout-others", "").await.body, "1");
    assert_eq!(laptop.get("/me").await.body, "anonymous");
    assert_eq!(phone.get("/me").await.body, "alice");
}

pub(crate) async fn the_session_kept_by_logout_others_can_still_cycle_its_id<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut me = signed_in(&base, "alice", "me").await;
    signed_in(&base, "alice", "other").await;
    me.post("/logout-others", "").await;
    me.post("/cycle", "").await;
    assert_eq!(me.get("/me").await.body, "alice");
    assert_eq!(me.devices().await.len(), 1);
}

pub(crate) async fn a_cycle_racing_logout_all_leaves_no_session_alive<B: Backend>() {
    a_new_id_racing_logout_all_leaves_no_session_alive::<B>("/cycle").await;
}

/// A change of expiry moves the session to a new ID, as a cycle does.
pub(crate) async fn a_change_of_expiry_racing_logout_all_leaves_no_session_alive<B: Backend>() {
    a_new_id_racing_logout_all_leaves_no_session_alive::<B>("/expiry/inactivity-600000").await;
}

/// Neither the old ID nor the new one of a session that `path` moves to a new ID while
/// another device signs out everywhere survives.
async fn a_new_id_racing_logout_all_leaves_no_session_alive<B: Backend>(path: &str) {
    let backend = B::start();
    let base = client(&backend);
    let mut survivors = 0;
    for _ in 0..TRIALS {
        let moving = signed_in(&base, "alice", "moving").await;
        let signing_out = signed_in(&base, "alice", "signing out").await;
        let old = moving.clone();
        let ((mut moving, _), _) = moving
            .race((POST, path), signing_out, (POST, "/logout-all"))
            .await;
        for mut client in [moving.clone(), old] {
            if client.get("/me").await.body != "anonymous" {
                survivors += 1;
            }
        }
        moving.post("/logout-all", "").await;
    }
    assert_eq!(survivors, 0, "survivors in {TRIALS} trials");
}

pub(crate) async fn a_session_whose_expiry_changed_is_signed_out_by_logout_all<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut laptop = signed_in(&base, "alice", "laptop").await;
    let mut phone = signed_in(&base, "alice", "phone").await;
    laptop.post("/expiry/inactivity-600000", "").await;
    let devices = phone.devices().await;
    assert_eq!(devices.len(), 2, "both listed from the other device");
    assert_eq!(phone.post("/logout-all", "").await.body, "2");
    assert_eq!(laptop.get("/me").await.body, "anonymous");
}

pub(crate) async fn a_login_racing_logout_all_is_listed_if_it_survives<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    let mut unlisted = 0;
    for _ in 0..TRIALS {
        let signing_out = signed_in(&base, "alice", "signing out").await;
        let mut arriving = base.clone();
        arriving.cookie = None;
        let ((mut arriving, _), _) = arriving
            .race((POST, "/login/alice"), signing_out, (POST, "/logout-all"))
            .await;
        if arriving.get("/me").await.body == "alice" {
            let listed = arriving.devices().await;
            if !listed.iter().any(|device| device["current"] == true) {
                unlisted += 1;
            }
            arriving.post("/logout-all", "").await;
            assert_eq!(arriving.get("/me").await.body, "anonymous");
        }
    }
    assert_eq!(unlisted, 0, "unlisted sessions in {TRIALS} trials");
}

pub(crate) async fn a_revocation_racing_a_cycle_of_another_device_spares_it<B: Backend>() {
    let backend = B::start();
    let base = client(&backend);
    for _ in 0..TRIALS / 10 {
        let cycling = signed_in(&base, "alice", "cycling").await;
        let mut other = signed_in(&base, "alice", "other").await;
        let mut third = signed_in(&base, "alice", "third").await;
        let handle = handle_of(&other.devices().await, "third");
        let ((mut cycling, _), (mut other, _)) = cycling
            .clone()
            .race(
                (POST, "/cycle"),
                other.clone(),
                (POST, &format!("/revoke/{handle}")),
            )
            .await;
        assert_eq!(cycling.get("/me").await.body, "alice");
        assert_eq!(third.get("/me").await.body, "anonymous");
        other.post("/logout-all", "").await;
        assert_eq!(cycling.get("/me").await.body, "anonymous");
    }
}

pub(crate) async fn a_revocation_racing_a_cycle_of_that_device_is_true_only_if_it_signed_it_out<
    B: Backend,
>() {
    let backend = B::start();
    let base = client(&backend);
    let mut escaped = 0;
    for _ in 0..TRIALS {
        let cycling = signed_in(&base, "alice", "cycling").await;
        let mut revoking = signed_in(&base, "alice", "revoking").await;
        let handle = handle_of(&revoking.devices().await, "cycling");
        let old = cycling.clone();
        let revoke = (POST, format!("/revoke/{handle}"));
        let ((mut cycling, _), (mut revoking, reply)) = cycling
            .race((POST, "/cycle"), revoking, (revoke.0, &revoke.1))
            .await;
        let mut alive = false;
        for mut client in [cycling.clone(), old] {
            alive |= client.get("/me").await.body == "alice";
        }
        match reply.body.as_str() {
            "true" if alive => escaped += 1,
            "true" => {}
            _ => {
                let listed = revoking.devices().await;
                assert!(
                    !alive || listed.iter().any(|d| d["label"] == "cycling"),
                    "a live session is listed: {listed:?}"
                );
            }
        }
        cycling.post("/logout-all", "").await;
    }
    assert_eq!(escaped, 0, "sessions revoked yet alive in {TRIALS} trials");
}

/// `path` renames a device's session; its confirmation is held while another device of the
/// user lists the devices and cleans up, both finding no record under the old name. The
/// renamed session must stay signed in and listed: neither may unlist a name being renamed.
async fn a_rename_held_across_a_listing_and_a_cleanup<B: Backend>(path: &'static str) {
    let backend = B::start();
    let gate = Gate::new(backend.store());
    let base = Client::new(app(gate.clone(), |b| b));
    let moving = signed_in(&base, "alice", "device").await;
    let mut other = signed_in(&base, "alice", "other").await;
    gate.arm();
    let renamed = tokio::spawn(async move {
        let mut moving = moving;
        let reply = moving.post(path, "").await;
        (moving, reply)
    });
    tokio::time::timeout(Duration::from_secs(30), gate.reached())
        .await
        .expect("the rename reaches its confirmation");
    other.get("/devices").await;
    other.post("/cleanup/alice", "").await;
    gate.release();
    let (mut moving, reply) = renamed.await.expect("the renaming request's task");
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert!(
        !reply.set_cookies.is_empty(),
        "the renamed session's cookie: {reply:?}"
    );
    assert_eq!(
        moving.get("/me").await.body,
        "alice",
        "signed out by the listing"
    );
    let listed = other.devices().await;
    assert!(
        listed.iter().any(|device| device["label"] == "device"),
        "unlisted: {listed:?}"
    );
}

pub(crate) async fn a_cycle_confirmed_after_a_listing_and_a_cleanup_keeps_the_session<
    B: Backend,
>() {
    a_rename_held_across_a_listing_and_a_cleanup::<B>("/cycle").await;
}

pub(crate) async fn a_change_of_expiry_confirmed_after_a_listing_and_a_cleanup_keeps_the_session<
    B: Backend,
>() {
    a_rename_held_across_a_listing_and_a_cleanup::<B>("/expiry/inactivity-600000").await;
}

pub(crate) async fn a_sign_in_past_the_limit_outranks_a_device_seen_in_the_same_millisecond<
    B: Backend,
>() {
    let backend = B::start();
    let base = Client::new(app(backend.store(), |b| {
        b.max_sessions_per_user(1)
            .last_seen_interval(Duration::ZERO)
    }));
    let mut signed_itself_out = 0;
    for _ in 0..TRIALS {
        let mut first = base.clone();
        first.post("/login/alice", "first").await;
        // Signed in strictly before what follows, then seen again just before the second
        // sign-in: often in the same millisecond.
        tokio::time::sleep(Duration::from_millis(2)).await;
        let mut second = base.clone();
        first.get("/me").await;
        second.post("/login/alice", "second").await;
        if second.get("/me").await.body != "alice" {
            signed_itself_out += 1;
        }
    }
    assert_eq!(
        signed_itself_out, 0,
        "sign-ins that ended themselves in {TRIALS} trials"
    );
}
