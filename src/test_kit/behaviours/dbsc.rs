//! Conformance behaviours of device-bound sessions (part of `conformance_suite!` with `dbsc`):
//! registration, the credential, refresh, and every way out, driven by a protocol-level client.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;

use crate::test_kit::dbsc::{CREDENTIAL, DbscDevice as Device, challenged, ends, offered};
use crate::test_kit::{Backend, Client, Reply, app};
use crate::{DbscConfig, Evidence, SessionLayerBuilder, WrongKey};

/// A client of an app with device-bound sessions, configured further by `configure`.
fn client<B: Backend>(
    backend: &B,
    dbsc: DbscConfig,
    configure: impl FnOnce(SessionLayerBuilder) -> SessionLayerBuilder,
) -> Client {
    Client::new(app(backend.store(), |b| configure(b.dbsc(dbsc))))
}

/// Signs `user` in on `client` and binds the session to a new key of `device`'s kind.
async fn bind(client: &mut Client, user: &str, mut device: Device) -> Device {
    let login = client.post(&format!("/login/{user}"), "").await;
    let registered = device.register(client, &login).await;
    assert_eq!(registered.status, StatusCode::OK, "{registered:?}");
    device
}

/// A browser whose credential cookie expired: it has only the long-lived cookies.
fn expire_credential(client: &mut Client) {
    client.other_cookies.remove(CREDENTIAL);
}

async fn me(client: &mut Client) -> String {
    client.get("/me").await.body
}

fn instructions(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).expect("JSON session instructions")
}

pub(crate) async fn a_sign_in_offers_registration_with_a_fresh_challenge<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let first = client.post("/login/alice", "").await;
    let second = client.post("/login/alice", "").await;
    let (path, challenge) = offered(&first).expect("the login offers registration");
    assert_eq!(path, "/dbsc/registration");
    assert_ne!(offered(&second).map(|(_, c)| c), Some(challenge));
    let visit = client.post("/set/k", "1").await;
    assert!(offered(&visit).is_none(), "only a sign-in offers it");
}

pub(crate) async fn registration_binds_the_session_and_sets_a_short_lived_credential<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let login = client.post("/login/alice", "").await;
    let mut device = Device::es256();
    let registered = device.register(&mut client, &login).await;
    assert_eq!(registered.status, StatusCode::OK, "{registered:?}");
    let body = instructions(&registered);
    assert_eq!(body["refresh_url"], "/dbsc/refresh");
    assert_eq!(body["scope"]["include_site"], false);
    let credential = &body["credentials"][0];
    assert_eq!(credential["type"], "cookie");
    assert_eq!(credential["name"], CREDENTIAL);
    assert_eq!(
        credential["attributes"],
        "Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    let set = registered
        .set_cookies
        .iter()
        .find(|c| c.starts_with(CREDENTIAL))
        .expect("the credential cookie");
    assert!(
        set.contains("Max-Age=600") && set.contains("HttpOnly"),
        "{set}"
    );
    assert_eq!(me(&mut client).await, "alice");
    let devices = client.devices().await;
    assert_eq!(devices[0]["bound"], true, "{devices:?}");
}

pub(crate) async fn an_rs256_key_binds_and_refreshes_too<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut client, "alice", Device::rs256()).await;
    expire_credential(&mut client);
    assert_eq!(device.refresh(&mut client).await.status, StatusCode::OK);
    assert_eq!(me(&mut client).await, "alice");
}

pub(crate) async fn a_registration_challenge_answers_once<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let login = client.post("/login/alice", "").await;
    let mut first = Device::es256();
    assert_eq!(
        first.register(&mut client, &login).await.status,
        StatusCode::OK
    );
    let mut second = Device::es256();
    let again = second.register(&mut client, &login).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{again:?}");
    assert_eq!(me(&mut client).await, "alice", "the first binding stands");
}

pub(crate) async fn a_registration_not_signed_by_the_key_it_carries_binds_nothing<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let login = client.post("/login/alice", "").await;
    let (path, challenge) = offered(&login).expect("an offer");
    let (signer, carried) = (Device::es256(), Device::es256());
    let proof = signer.registration_proof_carrying(&carried, &challenge);
    client.headers.push((
        "secure-session-response",
        crate::test_kit::dbsc::quoted(&proof),
    ));
    let refused = client.post(&path, "").await;
    client.headers.clear();
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let devices = client.devices().await;
    assert_eq!(devices[0]["bound"], false);
}

pub(crate) async fn a_registration_without_a_signed_in_session_binds_nothing<B: Backend>() {
    let backend = B::start();
    let mut signed_in = client(&backend, DbscConfig::default(), |b| b);
    let login = signed_in.post("/login/alice", "").await;
    let mut visitor = signed_in.clone();
    visitor.cookie = None;
    let refused = Device::es256().register(&mut visitor, &login).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

pub(crate) async fn a_bound_session_without_its_credential_is_not_signed_in<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    bind(&mut client, "alice", Device::es256()).await;
    client.post("/set/secret", "42").await;
    let mut stolen = client.clone();
    expire_credential(&mut stolen);
    assert_eq!(me(&mut stolen).await, "anonymous");
    assert_eq!(stolen.get("/get/secret").await.body, "none");
    assert_eq!(
        stolen.get("/private").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me(&mut client).await,
        "alice",
        "the device itself is untouched"
    );
    assert_eq!(client.get("/get/secret").await.body, "42");
}

pub(crate) async fn a_write_without_the_credential_leaves_the_bound_session_alone<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    bind(&mut client, "alice", Device::es256()).await;
    let mut stolen = client.clone();
    expire_credential(&mut stolen);
    stolen.post("/logout", "").await;
    stolen.post("/set/planted", "1").await;
    assert_eq!(me(&mut client).await, "alice");
    assert_eq!(client.get("/get/planted").await.body, "none");
}

pub(crate) async fn a_refresh_asks_for_a_proof_then_renews_the_credential<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    expire_credential(&mut client);
    let asked = device.ask(&mut client).await;
    assert_eq!(asked.status, StatusCode::FORBIDDEN);
    let header = asked
        .header("secure-session-challenge")
        .expect("a challenge");
    let id = device.id().expect("an identifier");
    assert!(header.ends_with(&format!(";id=\"{id}\"")), "{header}");
    let challenge = challenged(&asked).expect("a challenge");
    let renewed = device
        .answer(&mut client, &device.refresh_proof(&challenge))
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{renewed:?}");
    assert_eq!(instructions(&renewed)["session_identifier"], id);
    assert!(client.other_cookies.contains_key(CREDENTIAL));
    assert_eq!(me(&mut client).await, "alice");
}

pub(crate) async fn a_refresh_challenge_answers_once<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    let challenge = challenged(&device.ask(&mut client).await).expect("a challenge");
    let proof = device.refresh_proof(&challenge);
    assert_eq!(
        device.answer(&mut client, &proof).await.status,
        StatusCode::OK
    );
    let replayed = device.answer(&mut client, &proof).await;
    assert_eq!(
        replayed.status,
        StatusCode::FORBIDDEN,
        "a retry, with a new challenge"
    );
    assert!(challenged(&replayed).is_some_and(|c| c != challenge));
    assert_eq!(me(&mut client).await, "alice", "not a sign-out");
}

pub(crate) async fn the_previous_challenge_still_answers_a_racing_refresh<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    let first = challenged(&device.ask(&mut client).await).expect("a challenge");
    let second = challenged(&device.ask(&mut client).await).expect("a challenge");
    let late = device
        .answer(&mut client, &device.refresh_proof(&first))
        .await;
    assert_eq!(late.status, StatusCode::OK, "{late:?}");
    let current = device
        .answer(&mut client, &device.refresh_proof(&second))
        .await;
    assert_eq!(current.status, StatusCode::OK, "{current:?}");
}

pub(crate) async fn an_expired_challenge_is_answered_with_a_new_one<B: Backend>() {
    let backend = B::start();
    let config = DbscConfig::default().challenge_lifetime(Duration::from_secs(1));
    let mut client = client(&backend, config, |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    let challenge = challenged(&device.ask(&mut client).await).expect("a challenge");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let late = device
        .answer(&mut client, &device.refresh_proof(&challenge))
        .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    assert!(challenged(&late).is_some());
    assert_eq!(device.refresh(&mut client).await.status, StatusCode::OK);
}

pub(crate) async fn a_credential_past_its_expiry_signs_nothing_in<B: Backend>() {
    let backend = B::start();
    let config = DbscConfig::default().credential_lifetime(Duration::from_secs(1));
    let mut client = client(&backend, config, |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    // A copy of every cookie, the credential included, kept sending after its Max-Age.
    let mut copy = client.clone();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(me(&mut copy).await, "anonymous");
    assert_eq!(device.refresh(&mut client).await.status, StatusCode::OK);
    assert_eq!(
        me(&mut client).await,
        "alice",
        "the device proves itself again"
    );
}

pub(crate) async fn a_credential_proves_nothing_for_another_session<B: Backend>() {
    let backend = B::start();
    let mut first = client(&backend, DbscConfig::default(), |b| b);
    bind(&mut first, "alice", Device::es256()).await;
    let mut second = first.clone();
    second.cookie = None;
    second.other_cookies.clear();
    bind(&mut second, "alice", Device::es256()).await;
    let mut mixed = second.clone();
    mixed.other_cookies = first.other_cookies.clone();
    assert_eq!(me(&mut mixed).await, "anonymous");
}

pub(crate) async fn a_proof_for_another_session_is_a_retry_not_a_sign_out<B: Backend>() {
    let backend = B::start();
    let mut first = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut first, "alice", Device::es256()).await;
    let mut second = first.clone();
    second.cookie = None;
    let other = bind(&mut second, "alice", Device::es256()).await;
    let theirs = challenged(&other.ask(&mut second).await).expect("a challenge");
    let crossed = device
        .answer(&mut first, &other.refresh_proof(&theirs))
        .await;
    assert_eq!(crossed.status, StatusCode::FORBIDDEN, "{crossed:?}");
    assert_eq!(me(&mut first).await, "alice");
    assert_eq!(me(&mut second).await, "alice");
}

/// A bound session of alice's and a second one, and a count of theft alarms.
async fn wrong_key_setup<B: Backend>(
    backend: &B,
    response: WrongKey,
) -> (Client, Client, Device, Arc<AtomicUsize>) {
    let alarms = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&alarms);
    let config = DbscConfig::default().on_wrong_key(response);
    let mut victim = client(backend, config, |b| {
        b.on_theft(move |theft| {
            assert_eq!(theft.evidence, Evidence::WrongDeviceKey);
            assert_eq!(theft.user_id, "alice");
            counter.fetch_add(1, Ordering::SeqCst);
        })
    });
    let device = bind(&mut victim, "alice", Device::es256()).await;
    let mut other = victim.clone();
    other.cookie = None;
    other.post("/login/alice", "").await;
    (victim, other, device, alarms)
}

/// A thief with the victim's cookies and session identifier, and a key of its own.
async fn refresh_with_another_key(victim: &Client, device: &Device) -> Reply {
    let mut thief = victim.clone();
    expire_credential(&mut thief);
    let challenge = challenged(&device.ask(&mut thief).await).expect("a challenge");
    let proof = Device::es256().refresh_proof(&challenge);
    device.answer(&mut thief, &proof).await
}

/// A thief's refresh of alice's bound session with its own key, with `response` configured:
/// whether the victim and alice's other session are still signed in afterwards.
async fn after_a_wrong_key<B: Backend>(response: WrongKey) -> (String, String) {
    let backend = B::start();
    let (mut victim, mut other, device, alarms) = wrong_key_setup(&backend, response).await;
    assert!(ends(&refresh_with_another_key(&victim, &device).await));
    assert_eq!(
        alarms.load(Ordering::SeqCst),
        1,
        "the theft is reported once"
    );
    (me(&mut victim).await, me(&mut other).await)
}

pub(crate) async fn a_refresh_proved_by_another_key_ends_every_session_of_the_user<B: Backend>() {
    let after = after_a_wrong_key::<B>(WrongKey::EndAllSessions).await;
    assert_eq!(after, ("anonymous".to_owned(), "anonymous".to_owned()));
}

pub(crate) async fn a_refresh_proved_by_another_key_can_end_only_that_session<B: Backend>() {
    let after = after_a_wrong_key::<B>(WrongKey::EndSession).await;
    assert_eq!(after, ("anonymous".to_owned(), "alice".to_owned()));
}

pub(crate) async fn a_refresh_without_a_session_ends_the_browsers_session<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    let mut restarted = client.clone();
    restarted.cookie = None;
    assert!(ends(&device.ask(&mut restarted).await));
    let mut unknown = client.clone();
    unknown.cookie = Some("not-a-session".to_owned());
    assert!(ends(&device.ask(&mut unknown).await));
}

/// Ends the bound `client`'s session by `way_out` (from `elsewhere`, another device of the same
/// user, where it takes one), then checks that its browser's next refresh ends the DBSC session.
async fn ended_by(client: &mut Client, device: &Device, elsewhere: &mut Client, way_out: &str) {
    match way_out {
        "logout" => {
            let reply = client.post("/logout", "").await;
            let expired = format!("{CREDENTIAL}=;");
            assert!(
                reply.set_cookies.iter().any(|c| c.starts_with(&expired)),
                "logout expires the credential: {:?}",
                reply.set_cookies
            );
        }
        "revoke" => {
            let devices = elsewhere.devices().await;
            let bound = devices
                .iter()
                .find(|d| d["bound"] == true)
                .expect("the bound device is listed as bound");
            let handle = bound["handle"].as_str().expect("a handle").to_owned();
            elsewhere.post(&format!("/revoke/{handle}"), "").await;
        }
        "logout-others" => {
            elsewhere.post("/logout-others", "").await;
        }
        "logout-all" => {
            elsewhere.post("/logout-all", "").await;
        }
        _ => {
            elsewhere.post("/sign-out-user/alice", "").await;
        }
    }
    expire_credential(client);
    assert!(ends(&device.refresh(client).await), "after {way_out}");
    assert_eq!(me(client).await, "anonymous", "after {way_out}");
}

async fn every_way_out<B: Backend>(way_out: &str) {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    let mut elsewhere = client.clone();
    elsewhere.cookie = None;
    elsewhere.other_cookies.clear();
    elsewhere.post("/login/alice", "").await;
    ended_by(&mut client, &device, &mut elsewhere, way_out).await;
}

pub(crate) async fn logout_ends_the_device_bound_session<B: Backend>() {
    every_way_out::<B>("logout").await;
}

pub(crate) async fn revoking_a_bound_device_ends_its_device_bound_session<B: Backend>() {
    every_way_out::<B>("revoke").await;
}

pub(crate) async fn logout_others_ends_their_device_bound_sessions<B: Backend>() {
    every_way_out::<B>("logout-others").await;
}

pub(crate) async fn logout_all_ends_every_device_bound_session<B: Backend>() {
    every_way_out::<B>("logout-all").await;
}

pub(crate) async fn a_sign_out_from_outside_ends_the_device_bound_session<B: Backend>() {
    every_way_out::<B>("outside").await;
}

pub(crate) async fn a_cycled_bound_session_stays_bound<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    let before = client.cookie.clone();
    client.post("/cycle", "").await;
    assert_ne!(client.cookie, before);
    assert_eq!(me(&mut client).await, "alice");
    expire_credential(&mut client);
    assert_eq!(me(&mut client).await, "anonymous");
    assert_eq!(device.refresh(&mut client).await.status, StatusCode::OK);
    assert_eq!(me(&mut client).await, "alice");
}

pub(crate) async fn a_login_as_another_user_on_a_bound_session_starts_unbound<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    bind(&mut client, "alice", Device::es256()).await;
    let login = client.post("/login/bob", "").await;
    assert!(
        offered(&login).is_some(),
        "a new sign-in, offered registration"
    );
    assert_eq!(me(&mut client).await, "bob");
    let devices = client.devices().await;
    assert_eq!(devices[0]["bound"], false, "{devices:?}");
}

pub(crate) async fn a_login_again_as_the_same_user_stays_bound<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    let login = client.post("/login/alice", "").await;
    assert!(offered(&login).is_none(), "bound already");
    assert_eq!(me(&mut client).await, "alice");
    expire_credential(&mut client);
    assert_eq!(me(&mut client).await, "anonymous", "still bound");
    assert_eq!(device.refresh(&mut client).await.status, StatusCode::OK);
    assert_eq!(me(&mut client).await, "alice");
}

pub(crate) async fn refreshes_past_the_allowance_are_answered_429<B: Backend>() {
    let backend = B::start();
    let config = DbscConfig::default().refreshes_per_minute(3);
    let mut client = client(&backend, config, |b| b);
    let device = bind(&mut client, "alice", Device::es256()).await;
    // The registration's challenge counts too: two refresh challenges are left.
    for _ in 0..2 {
        assert_eq!(device.ask(&mut client).await.status, StatusCode::FORBIDDEN);
    }
    let throttled = device.ask(&mut client).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.header("retry-after"), Some("60"));
    assert_eq!(me(&mut client).await, "alice");
}

pub(crate) async fn the_endpoints_never_reach_the_application<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend, DbscConfig::default(), |b| b);
    let refused = client.post("/dbsc/registration", "").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.set_cookies.is_empty(), "{:?}", refused.set_cookies);
    let refused = client.post("/dbsc/refresh", "").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

/// With remember-me: a remembered sign-in is a sign-in like any other, and a bound session's
/// token is bound to its device as the session is.
#[cfg(feature = "remember-me")]
pub(crate) mod remembered {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::StatusCode;

    use super::{CREDENTIAL, Device, bind, challenged, client, ends, me, offered};
    use crate::test_kit::{Backend, Client};
    use crate::{DbscConfig, Evidence};

    /// A browser restart: only the persistent remember-me cookie is left.
    fn restart(client: &mut Client) {
        client.cookie = None;
        client.other_cookies.remove(CREDENTIAL);
    }

    pub(crate) async fn a_remembered_sign_in_offers_registration_again<B: Backend>() {
        let backend = B::start();
        let mut client = client(&backend, DbscConfig::default(), |b| b);
        let login = client.post("/login-remember/alice", "laptop").await;
        assert!(offered(&login).is_some());
        // Never bound: the remembered token signs back in, and the new session is offered
        // registration again.
        restart(&mut client);
        let back = client.get("/me").await;
        assert_eq!(back.body, "alice");
        let mut device = Device::es256();
        let registered = device.register(&mut client, &back).await;
        assert_eq!(registered.status, StatusCode::OK, "{registered:?}");
        assert_eq!(me(&mut client).await, "alice");
        let devices = client.devices().await;
        assert!(
            devices
                .iter()
                .any(|d| d["current"] == true && d["bound"] == true)
        );
    }

    pub(crate) async fn a_bound_sessions_token_signs_in_only_through_a_refresh_by_its_device<
        B: Backend,
    >() {
        let backend = B::start();
        let mut client = client(&backend, DbscConfig::default(), |b| b);
        let login = client.post("/login-remember/alice", "laptop").await;
        let mut device = Device::es256();
        let registered = device.register(&mut client, &login).await;
        assert_eq!(registered.status, StatusCode::OK);
        restart(&mut client);
        assert_eq!(
            me(&mut client).await,
            "anonymous",
            "not without the device's proof"
        );
        assert!(
            client.remember.is_some(),
            "the token is kept for the device"
        );
        let refreshed = device.refresh(&mut client).await;
        assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
        assert_eq!(me(&mut client).await, "alice");
        let devices = client.devices().await;
        assert!(
            devices
                .iter()
                .any(|d| d["current"] == true && d["bound"] == true)
        );
    }

    pub(crate) async fn a_token_issued_on_a_bound_session_is_bound_too<B: Backend>() {
        let backend = B::start();
        let mut client = client(&backend, DbscConfig::default(), |b| b);
        let device = bind(&mut client, "alice", Device::es256()).await;
        client.post("/remember-this-session", "").await;
        restart(&mut client);
        assert_eq!(me(&mut client).await, "anonymous");
        assert_eq!(device.refresh(&mut client).await.status, StatusCode::OK);
        assert_eq!(me(&mut client).await, "alice");
    }

    pub(crate) async fn a_copied_remember_cookie_of_a_bound_session_signs_nobody_in<B: Backend>() {
        let backend = B::start();
        let alarms = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&alarms);
        let mut client = client(&backend, DbscConfig::default(), |b| {
            b.on_theft(move |theft| {
                assert_eq!(theft.evidence, Evidence::WrongDeviceKey);
                counter.fetch_add(1, Ordering::SeqCst);
            })
        });
        let login = client.post("/login-remember/alice", "laptop").await;
        let mut device = Device::es256();
        assert_eq!(
            device.register(&mut client, &login).await.status,
            StatusCode::OK
        );
        let mut thief = client.clone();
        restart(&mut thief);
        assert_eq!(me(&mut thief).await, "anonymous");
        assert_eq!(me(&mut thief).await, "anonymous", "nor on a second try");
        // With the browser's session identifier too, at the refresh path: a key of its own.
        let asked = device.ask(&mut thief).await;
        let challenge = challenged(&asked).expect("a challenge for the signed-in session");
        let proof = Device::es256().refresh_proof(&challenge);
        assert!(ends(&device.answer(&mut thief, &proof).await));
        assert_eq!(alarms.load(Ordering::SeqCst), 1);
        assert_eq!(
            me(&mut client).await,
            "anonymous",
            "every session of the user ended"
        );
    }
}
