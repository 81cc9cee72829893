//! Conformance races of the session lifecycle: renames against listings, cleanup, logout and
//! revocation, and parallel sign-ins under a session limit.

use axum::http::Method;

use super::lifecycle::{
    GET, LIMIT, POST, TRIALS, WayIn, base, handle_of, sign_out_everywhere, signed_in,
};
use crate::test_kit::Backend;

/// `path` moves a device's session to a new ID while another device runs `other_path` (a
/// listing, a cleanup); the moved session must stay signed in and listed.
async fn a_new_id_racing<B: Backend>(path: &str, other_path: (Method, &str)) {
    let backend = B::start();
    let base = base(&backend);
    let mut signed_out = 0;
    for _ in 0..TRIALS {
        let moving = signed_in(&backend, &base, WayIn::Password, "device").await;
        let other = signed_in(&backend, &base, WayIn::Password, "other").await;
        let ((mut moving, reply), (mut other, _)) = moving
            .race((POST, path), other, (other_path.0.clone(), other_path.1))
            .await;
        if moving.get("/me").await.body != "alice" || reply.set_cookies.is_empty() {
            signed_out += 1;
        } else {
            let listed = other.devices().await;
            assert!(
                handle_of(&listed, "device").is_some(),
                "unlisted: {listed:?}"
            );
        }
        sign_out_everywhere(&base).await;
    }
    assert_eq!(signed_out, 0, "spurious sign-outs in {TRIALS} trials");
}

pub(crate) async fn a_cycle_racing_a_device_listing_keeps_the_session<B: Backend>() {
    a_new_id_racing::<B>("/cycle", (GET, "/devices")).await;
}

pub(crate) async fn a_change_of_expiry_racing_a_device_listing_keeps_the_session<B: Backend>() {
    a_new_id_racing::<B>("/expiry/inactivity-600000", (GET, "/devices")).await;
}

pub(crate) async fn a_cycle_racing_cleanup_keeps_the_session<B: Backend>() {
    a_new_id_racing::<B>("/cycle", (POST, "/cleanup/alice")).await;
}

pub(crate) async fn a_logout_racing_a_cycle_of_its_session_is_true_only_if_it_ended_it<
    B: Backend,
>() {
    let backend = B::start();
    let base = base(&backend);
    let mut escaped = 0;
    for _ in 0..TRIALS {
        let device = signed_in(&backend, &base, WayIn::Password, "device").await;
        let old = device.clone();
        let ((cycled, _), (_, logout)) = device
            .clone()
            .race((POST, "/cycle"), device, (POST, "/logout"))
            .await;
        let mut alive = false;
        for mut client in [cycled.clone(), old] {
            client.remember = None;
            alive |= client.get("/me").await.body == "alice";
        }
        if logout.body == "true" && alive {
            escaped += 1;
        }
        sign_out_everywhere(&base).await;
    }
    assert_eq!(
        escaped, 0,
        "logouts that answered true in {TRIALS} trials left a session"
    );
}

pub(crate) async fn a_revocation_racing_a_cycle_of_a_remembered_device_ends_it_for_good<
    B: Backend,
>() {
    let backend = B::start();
    let base = base(&backend);
    let mut escaped = 0;
    for _ in 0..TRIALS {
        let device = signed_in(&backend, &base, WayIn::Remembered, "device").await;
        let mut other = signed_in(&backend, &base, WayIn::Password, "other").await;
        let handle = handle_of(&other.devices().await, "device").expect("listed");
        let old = device.clone();
        let revoke = format!("/revoke/{handle}");
        let ((cycled, _), (_, reply)) = device.race((POST, "/cycle"), other, (POST, &revoke)).await;
        let mut alive = false;
        for client in [cycled.clone(), old] {
            for forget in [false, true] {
                let mut client = client.clone();
                if forget {
                    client.cookie = None;
                }
                alive |= client.get("/me").await.body == "alice";
            }
        }
        if reply.body == "true" && alive {
            escaped += 1;
        }
        sign_out_everywhere(&base).await;
    }
    assert_eq!(escaped, 0, "revoked yet alive in {TRIALS} trials");
}

pub(crate) async fn parallel_sign_ins_past_the_limit_leave_exactly_the_limit<B: Backend>() {
    const SIGN_INS: usize = 6;
    let backend = B::start();
    let base = base(&backend);
    for _ in 0..TRIALS / 5 {
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(SIGN_INS));
        let tasks: Vec<_> = (0..SIGN_INS)
            .map(|i| {
                let (mut client, start) = (base.clone(), std::sync::Arc::clone(&start));
                tokio::spawn(async move {
                    start.wait().await;
                    client.post("/login/alice", &format!("d{i}")).await;
                    client
                })
            })
            .collect();
        let mut clients = Vec::new();
        for task in tasks {
            clients.push(task.await.expect("a sign-in task"));
        }
        let mut signed_in = Vec::new();
        for mut client in clients {
            if client.get("/me").await.body == "alice" {
                signed_in.push(client);
            }
        }
        assert_eq!(
            signed_in.len(),
            LIMIT,
            "signed in after {SIGN_INS} parallel sign-ins"
        );
        let listed = signed_in[0].devices().await;
        assert_eq!(listed.len(), LIMIT, "{listed:?}");
        sign_out_everywhere(&base).await;
    }
}
