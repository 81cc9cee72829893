//! The conformance suite: every session behaviour, black-box through an axum router, run
//! against each store by `conformance_suite!(Backend)`.

use std::time::Duration;

use axum::http::StatusCode;
use tower_redis_session::{SameSite, SessionId};

use super::{Backend, Client, app};

/// Expands to one `#[tokio::test]` per behaviour below, for the given [`Backend`].
#[macro_export]
macro_rules! conformance_suite {
    ($backend:ty) => {
        $crate::conformance_suite!(@tests $backend, suite;
            untouched_route_gets_no_cookie,
            a_visitor_who_stores_nothing_gets_no_cookie,
            insert_then_read_with_the_cookie_returns_the_value,
            unchanged_request_sends_no_cookie,
            unknown_session_id_is_never_adopted,
            cookie_naming_no_live_session_is_expired,
            malformed_cookie_is_treated_as_absent,
            cycle_id_keeps_the_data_under_a_new_cookie,
            cycle_id_kills_the_old_cookie,
            delete_removes_the_data_and_expires_the_cookie,
            delete_then_a_late_in_flight_save_stays_deleted,
            fifty_parallel_writers_of_distinct_keys_lose_nothing,
            fifty_parallel_writers_never_take_the_session_past_its_size_cap,
            fifty_parallel_writers_never_take_the_session_past_its_key_cap,
            a_session_over_a_lowered_cap_can_still_shrink,
            remove_and_clear_are_saved,
            remove_returns_the_value_and_insert_takes_it_by_value,
            a_remove_as_the_wrong_type_keeps_the_key,
            keys_lists_the_session_keys,
            is_modified_tells_whether_the_request_changed_the_session,
            touch_slides_the_expiry_without_a_load,
            touch_of_an_unknown_session_finds_nothing,
            a_typed_key_reads_and_writes_its_type,
            a_session_emptied_of_every_key_keeps_its_id,
            idle_timeout_expires_the_session,
            reads_slide_the_idle_timeout,
            a_write_long_after_the_load_slides_the_idle_timeout,
            absolute_timeout_expires_an_active_session,
            oversize_insert_is_refused_and_nothing_is_written,
            too_many_keys_are_refused_and_nothing_is_written,
            a_refused_change_answers_with_a_plain_text_body,
            a_refused_change_answers_with_json_to_a_client_that_accepts_json,
            the_layers_renderer_renders_a_handlers_session_error,
            server_error_responses_do_not_save,
            explicit_save_writes_before_the_response,
            explicit_save_reports_a_session_deleted_meanwhile,
            session_times_are_reported,
            dollar_keys_cannot_clobber_metadata,
            cookie_has_secure_defaults,
            cookie_attributes_follow_the_builder,
            persistent_cookie_has_max_age_of_the_absolute_timeout,
            cookies_are_host_prefixed_by_default,
            cookies_without_the_host_prefix_are_not_read,
            plain_cookie_names_where_the_prefix_cannot_apply,
        );
        $crate::conformance_suite!(@tests $backend, expiry_suite;
            a_short_inactivity_expiry_expires_that_session_and_not_another,
            reads_slide_an_inactivity_expiry,
            an_inactivity_expiry_makes_the_cookie_last_until_the_absolute_deadline,
            on_session_end_keeps_a_persistent_layers_cookie_to_the_browser_session,
            removing_the_expiry_returns_to_the_layers_settings,
            changing_the_expiry_gives_a_new_id_and_the_old_cookie_names_nothing,
            setting_the_expiry_a_session_has_changes_nothing,
            an_expiry_at_a_time_ends_the_session_then_however_active,
            the_absolute_timeout_caps_a_longer_inactivity_expiry,
            the_absolute_timeout_caps_a_later_time,
            the_expiry_survives_login_and_cycle_id,
            a_visitor_who_only_sets_an_expiry_gets_no_cookie,
            an_expiry_set_before_the_session_is_stored_is_the_new_sessions,
            login_as_another_user_forgets_the_expiry,
            a_forged_expiry_in_the_cookie_names_no_session,
            an_expiry_that_ends_the_session_at_once_is_refused_and_changes_nothing,
        );
        $crate::conformance_suite!(@tests $backend, devices_suite;
            login_changes_the_cookie_and_the_old_one_is_dead,
            the_user_id_survives_later_requests,
            two_logins_are_both_listed_with_the_current_flag,
            another_users_sessions_are_not_listed,
            revoke_signs_out_that_client_and_not_the_other,
            revoking_an_unknown_or_foreign_handle_finds_nothing,
            logout_others_keeps_only_the_caller,
            logout_all_signs_out_every_client,
            logout_removes_the_session_from_the_listing,
            logout_can_clear_site_data,
            login_as_another_user_clears_the_data,
            login_again_as_the_same_user_keeps_one_listing,
            expired_sessions_vanish_from_the_listing,
            tracked_activity_is_listed,
            activity_tracked_in_a_request_is_listed_by_that_request,
            an_overlong_user_id_is_refused,
            any_user_id_signs_in_lists_and_signs_out,
            revocation_racing_an_in_flight_write_never_resurrects,
            cleanup_expired_drops_entries_of_expired_sessions,
            devices_are_listed_most_recently_seen_first,
            the_current_device_is_listed_as_this_request_leaves_it,
            cycle_id_of_a_signed_in_session_keeps_it_listed_once_as_current,
            a_cycled_session_is_signed_out_by_logout_all_from_another_device,
            a_cycled_session_is_signed_out_by_logout_others,
            the_session_kept_by_logout_others_can_still_cycle_its_id,
            a_cycle_racing_logout_all_leaves_no_session_alive,
            a_change_of_expiry_racing_logout_all_leaves_no_session_alive,
            a_session_whose_expiry_changed_is_signed_out_by_logout_all,
            a_login_racing_logout_all_is_listed_if_it_survives,
            a_revocation_racing_a_cycle_of_another_device_spares_it,
            a_revocation_racing_a_cycle_of_that_device_is_true_only_if_it_signed_it_out,
        );
        $crate::conformance_suite!(@tests $backend, cart_suite, feature = "cart";
            anonymous_add_read_remove_round_trip,
            payloads_are_kept_with_their_line,
            a_hundred_parallel_adds_of_one_sku_make_a_hundred,
            a_hundred_parallel_adds_of_distinct_skus_make_a_hundred_lines,
            decrement_to_zero_removes_the_line,
            the_cart_cookie_is_persistent_and_secure,
            limits_give_typed_errors_and_leave_the_cart_unchanged,
            an_unknown_cart_id_is_never_adopted,
            login_merges_the_visitor_cart_by_summing,
            a_retried_merge_gives_the_same_result,
            merge_policies_max_and_replace,
            after_logout_the_browser_has_a_new_empty_cart_and_the_users_cart_stays,
            the_visitor_cart_survives_session_expiry,
            the_visitor_cart_expires_after_its_ttl,
        );
        $crate::conformance_suite!(@tests $backend, remember_suite, feature = "remember-me";
            issue_sets_the_cookie_with_secure_attributes,
            a_remember_cookie_signs_back_in_and_rotates,
            the_old_token_within_grace_gets_the_same_session_and_cookies,
            twenty_parallel_requests_with_the_old_cookie_share_one_session,
            the_old_token_after_grace_is_theft,
            logout_revokes_this_devices_token_only,
            logout_all_revokes_every_token,
            tokens_expire_at_their_absolute_deadline,
            a_malformed_or_unknown_token_is_just_not_remembered,
            a_tampered_validator_of_a_known_selector_is_theft,
            on_demand_mode_signs_in_only_through_the_extractor,
            a_remembered_sign_in_racing_logout_all_leaves_no_session_alive,
            a_token_issued_before_logout_all_signs_nobody_in,
            the_token_kept_by_logout_others_still_signs_in,
            a_remembered_sign_in_is_listed_as_the_browser_that_used_the_token,
        );
        $crate::conformance_suite!(@tests $backend, lifecycle_suite,
            all(feature = "remember-me", feature = "cart");
            logout_ends_a_device_however_it_signed_in,
            revoking_a_device_ends_it_however_it_signed_in,
            logout_others_ends_a_device_however_it_signed_in,
            logout_all_from_another_device_ends_a_device_however_it_signed_in,
            logout_all_from_the_device_ends_it_however_it_signed_in,
            theft_ends_a_device_however_it_signed_in,
            the_session_limit_ends_a_device_however_it_signed_in,
            a_remembered_sign_in_merges_the_visitors_cart,
            other_applications_cookies_hide_none_of_ours,
            a_cycle_racing_a_device_listing_keeps_the_session,
            a_change_of_expiry_racing_a_device_listing_keeps_the_session,
            a_cycle_racing_cleanup_keeps_the_session,
            a_logout_racing_a_cycle_of_its_session_is_true_only_if_it_ended_it,
            a_revocation_racing_a_cycle_of_a_remembered_device_ends_it_for_good,
            parallel_sign_ins_past_the_limit_leave_exactly_the_limit,
        );
    };
    (@tests $backend:ty, $module:ident; $($name:ident),* $(,)?) => {
        $crate::conformance_suite!(@tests $backend, $module, all(); $($name),*);
    };
    (@tests $backend:ty, $module:ident, $cfg:meta; $($name:ident),* $(,)?) => {
        $(
            #[cfg($cfg)]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                common::$module::$name::<$backend>().await;
            }
        )*
    };
}

fn client<B: Backend>(backend: &B) -> Client {
    Client::new(app(backend.store(), |b| b))
}

pub async fn untouched_route_gets_no_cookie<B: Backend>() {
    let backend = B::start();
    let reply = client(&backend).get("/untouched").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.set_cookies.is_empty());
}

pub async fn a_visitor_who_stores_nothing_gets_no_cookie<B: Backend>() {
    let backend = B::start();
    let reply = client(&backend).get("/get/n").await;
    assert_eq!(reply.body, "none");
    assert!(reply.set_cookies.is_empty());
}

pub async fn insert_then_read_with_the_cookie_returns_the_value<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/set/n", "42").await.status, StatusCode::OK);
    assert!(client.cookie.is_some());
    assert_eq!(client.get("/get/n").await.body, "42");
}

pub async fn unchanged_request_sends_no_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/n", "1").await;
    assert!(client.get("/get/n").await.set_cookies.is_empty());
    assert!(client.post("/set/n", "1").await.set_cookies.is_empty());
}

pub async fn unknown_session_id_is_never_adopted<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let planted = SessionId::generate().unwrap().encode();
    client.cookie = Some(planted.clone());
    client.post("/set/n", "1").await;
    let issued = client.cookie.clone().expect("a new session cookie");
    assert_ne!(issued, planted);
    let mut attacker = client.clone();
    attacker.cookie = Some(planted);
    assert_eq!(attacker.get("/get/n").await.body, "none");
}

pub async fn cookie_naming_no_live_session_is_expired<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.cookie = Some(SessionId::generate().unwrap().encode());
    let reply = client.get("/get/n").await;
    assert_eq!(reply.set_cookies.len(), 1);
    assert!(reply.set_cookies[0].contains("Max-Age=0"));
    assert!(client.cookie.is_none());
}

pub async fn malformed_cookie_is_treated_as_absent<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    for bad in [
        "",
        "short",
        "!!!!",
        &"A".repeat(51 * 10),
        "A".repeat(50).as_str(),
    ] {
        client.cookie = Some(bad.to_owned());
        let reply = client.get("/get/n").await;
        assert_eq!(reply.status, StatusCode::OK, "cookie {bad:?}");
        assert_eq!(reply.body, "none");
    }
}

pub async fn cycle_id_keeps_the_data_under_a_new_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let before = client.cookie.clone();
    let reply = client.post("/cycle", "").await;
    assert_eq!(reply.set_cookies.len(), 1);
    assert_ne!(client.cookie, before);
    assert_eq!(client.get("/get/user").await.body, "\"alice\"");
}

pub async fn cycle_id_kills_the_old_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let mut old = client.clone();
    client.post("/cycle", "").await;
    assert_eq!(old.get("/get/user").await.body, "none");
}

pub async fn delete_removes_the_data_and_expires_the_cookie<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let mut old = client.clone();
    let reply = client.post("/delete", "").await;
    let removal = &reply.set_cookies[0];
    for attribute in [
        "__Host-id=;",
        "Max-Age=0",
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
    ] {
        assert!(
            removal.contains(attribute),
            "{attribute} missing in {removal}"
        );
    }
    assert!(client.cookie.is_none());
    assert_eq!(old.get("/get/user").await.body, "none");
}

pub async fn delete_then_a_late_in_flight_save_stays_deleted<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let mut slow = client.clone();
    let in_flight = tokio::spawn(async move { slow.post("/slow/late?ms=300", "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut logout = client.clone();
    logout.post("/delete", "").await;
    let late = in_flight.await.unwrap();
    assert_eq!(late.status, StatusCode::OK);
    assert!(late.set_cookies.iter().any(|c| c.contains("Max-Age=0")));
    assert_eq!(client.get("/get/user").await.body, "none");
    assert_eq!(client.get("/get/late").await.body, "none");
}

pub async fn fifty_parallel_writers_of_distinct_keys_lose_nothing<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/start", "0").await;
    let writers: Vec<_> = (0..50)
        .map(|i| {
            let mut writer = client.clone();
            tokio::spawn(async move { writer.post(&format!("/set/k{i}"), &i.to_string()).await })
        })
        .collect();
    for writer in writers {
        assert_eq!(writer.await.unwrap().status, StatusCode::OK);
    }
    for i in 0..50 {
        assert_eq!(client.get(&format!("/get/k{i}")).await.body, i.to_string());
    }
}

/// Starts a session holding `seed`, then has fifty clients of it insert a distinct key
/// `k<i>` holding `value` at once. Returns the statuses and a client of the session.
async fn fifty_parallel_inserts(mut client: Client, value: &str) -> (Vec<StatusCode>, Client) {
    client.post("/set/seed", "1").await;
    let writers: Vec<_> = (0..50)
        .map(|i| {
            let mut writer = client.clone();
            let value = value.to_owned();
            tokio::spawn(async move { writer.post(&format!("/set/k{i}"), &value).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for writer in writers {
        statuses.push(writer.await.unwrap());
    }
    (statuses, client)
}

/// Asserts that every insert whose key the session does not hold was refused with 413.
fn assert_the_rest_refused(statuses: &[StatusCode], held: usize) {
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::PAYLOAD_TOO_LARGE)
        .count();
    assert_eq!(
        refused,
        50 - held,
        "every key not held was refused: {statuses:?}"
    );
}

/// The keys `k0`..`k49` the session holds.
async fn stored_keys(client: &mut Client) -> usize {
    let mut held = 0;
    for i in 0..50 {
        if client.get(&format!("/get/k{i}")).await.body != "none" {
            held += 1;
        }
    }
    held
}

pub async fn fifty_parallel_writers_never_take_the_session_past_its_size_cap<B: Backend>() {
    let backend = B::start();
    let client = Client::new(app(backend.store(), |b| b.max_size(10_000)));
    let value = format!("\"{}\"", "x".repeat(998));
    let (statuses, mut client) = fifty_parallel_inserts(client, &value).await;
    let held = stored_keys(&mut client).await;
    // Each insert costs 1,002 or 1,003 bytes (its key and JSON value); the seed 5.
    assert!(held <= 9, "{held} values of 1 KB held under a 10 KB cap");
    assert_the_rest_refused(&statuses, held);
    assert_eq!(
        client.get("/get/seed").await.body,
        "1",
        "the session survives"
    );
}

pub async fn fifty_parallel_writers_never_take_the_session_past_its_key_cap<B: Backend>() {
    let backend = B::start();
    let client = Client::new(app(backend.store(), |b| b.max_keys(10)));
    let (statuses, mut client) = fifty_parallel_inserts(client, "1").await;
    let held = stored_keys(&mut client).await;
    assert!(held <= 9, "{held} keys besides the seed under a cap of 10");
    assert_the_rest_refused(&statuses, held);
}

pub async fn a_session_over_a_lowered_cap_can_still_shrink<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b));
    let value = format!("\"{}\"", "x".repeat(2_000));
    client.post("/set/a", &value).await;
    client.post("/set/b", &value).await;
    let lowered = app(backend.store(), |b| b.max_size(1_000));
    let mut shrinking = Client::new(lowered);
    shrinking.cookie.clone_from(&client.cookie);
    assert_eq!(shrinking.post("/remove/a", "").await.body, "true");
    assert_eq!(shrinking.get("/get/a").await.body, "none");
    assert_eq!(shrinking.get("/get/b").await.body.len(), 2_002);
}

pub async fn remove_returns_the_value_and_insert_takes_it_by_value<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/cart", r#"{"items":3}"#).await;
    assert_eq!(client.post("/take/cart", "").await.body, r#"{"items":3}"#);
    assert_eq!(client.post("/take/cart", "").await.body, "none");
    assert_eq!(
        client.get("/get/cart").await.body,
        "none",
        "the removal was saved"
    );
}

pub async fn a_remove_as_the_wrong_type_keeps_the_key<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/name", "\"alice\"").await;
    let reply = client.post("/take-number/name", "").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(client.get("/get/name").await.body, "\"alice\"");
}

pub async fn keys_lists_the_session_keys<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.get("/keys").await.body, "");
    for key in ["b", "a", "$c"] {
        client.post(&format!("/set/{key}"), "1").await;
    }
    assert_eq!(client.get("/keys").await.body, "$c,a,b");
}

pub async fn is_modified_tells_whether_the_request_changed_the_session<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/modified/a", "x").await.body, "false true");
    assert_eq!(
        client.post("/modified/a", "x").await.body,
        "false false",
        "setting the value a key has is no change"
    );
}

pub async fn touch_slides_the_expiry_without_a_load<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
    }));
    client.post("/set/n", "1").await;
    // Touches 700 ms apart for 2.8 s: past the first deadline, each with 1.3 s to spare.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(client.post("/touch", "").await.body, "true");
    }
    assert_eq!(
        client.get("/get/n").await.body,
        "1",
        "alive after 2.8 s of touches"
    );
}

pub async fn touch_of_an_unknown_session_finds_nothing<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/touch", "").await.body, "false");
    client.post("/set/n", "1").await;
    client.post("/delete", "").await;
    assert_eq!(client.post("/touch", "").await.body, "false");
}

pub async fn a_typed_key_reads_and_writes_its_type<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    assert_eq!(client.post("/visit", "").await.body, "1");
    assert_eq!(client.post("/visit", "").await.body, "2");
    assert_eq!(client.get("/get/visits").await.body, "2");
}

pub async fn remove_and_clear_are_saved<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/a", "1").await;
    client.post("/set/b", "2").await;
    client.post("/set/c", "3").await;
    assert_eq!(client.post("/remove/a", "").await.body, "true");
    assert_eq!(client.post("/remove/a", "").await.body, "false");
    assert_eq!(client.get("/get/a").await.body, "none");
    assert_eq!(client.get("/get/b").await.body, "2");
    client.post("/clear", "").await;
    assert_eq!(client.get("/get/b").await.body, "none");
    assert_eq!(client.get("/get/c").await.body, "none");
}

pub async fn a_session_emptied_of_every_key_keeps_its_id<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/a", "1").await;
    let id = client.cookie.clone();
    client.post("/clear", "").await;
    client.post("/set/b", "2").await;
    assert_eq!(client.cookie, id, "the same session throughout");
    assert_eq!(client.get("/get/b").await.body, "2");
    assert_eq!(client.get("/get/a").await.body, "none");
}

pub async fn idle_timeout_expires_the_session<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(400))
    }));
    client.post("/set/n", "1").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(client.get("/get/n").await.body, "none");
}

pub async fn reads_slide_the_idle_timeout<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
    }));
    client.post("/set/n", "1").await;
    // Reads 700 ms apart for 2.8 s: past the first deadline, each with 1.3 s to spare.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(client.get("/get/n").await.body, "1");
    }
}

pub async fn a_write_long_after_the_load_slides_the_idle_timeout<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
    }));
    client.post("/set/n", "1").await;
    client.post("/slow/m?ms=1500", "").await;
    // 2.5 s after the load (past its deadline), 1 s after the write (1 s before its deadline).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(client.get("/get/n").await.body, "1");
}

pub async fn absolute_timeout_expires_an_active_session<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_millis(2000))
            .absolute_timeout(Duration::from_millis(3000))
    }));
    client.post("/set/n", "1").await;
    // Active every 600 ms until 1.8 s (1.2 s before the absolute deadline), then past it.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(client.get("/get/n").await.body, "1");
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(client.get("/get/n").await.body, "none");
}

pub async fn oversize_insert_is_refused_and_nothing_is_written<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.max_size(100)));
    client.post("/set/small", "\"fits\"").await;
    let big = format!("\"{}\"", "x".repeat(200));
    assert_eq!(
        client.post("/set/big", &big).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(client.get("/get/big").await.body, "none");
    assert_eq!(client.get("/get/small").await.body, "\"fits\"");
}

pub async fn a_refused_change_answers_with_a_plain_text_body<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.max_size(10)));
    let reply = client.post("/set/big", &"1".repeat(20)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        reply.body,
        "Payload Too Large: the session cannot hold this much data\n"
    );
    assert_eq!(
        reply.header("retry-after"),
        None,
        "only a 503 asks to retry"
    );
}

pub async fn a_refused_change_answers_with_json_to_a_client_that_accepts_json<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.max_keys(1)));
    client
        .headers
        .push(("accept", "application/json".to_owned()));
    client.post("/set/a", "1").await;
    let reply = client.post("/set/b", "2").await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    assert_eq!(body["error"], "session_too_many_keys");
    assert_eq!(body["message"], "the session cannot hold this many entries");
}

pub async fn the_layers_renderer_renders_a_handlers_session_error<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.max_size(10).render_failure(|failure| {
            let page = format!("<p>{} ({})</p>", failure.message(), failure.code());
            let mut response = failure.default_response();
            *response.body_mut() = page.into();
            response
        })
    });
    let reply = Client::new(app).post("/set/big", &"1".repeat(20)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.body,
        "<p>the session cannot hold this much data (session_too_large)</p>"
    );
}

pub async fn too_many_keys_are_refused_and_nothing_is_written<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| b.max_keys(2)));
    client.post("/set/a", "1").await;
    client.post("/set/b", "2").await;
    assert_eq!(
        client.post("/set/c", "3").await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(client.get("/get/c").await.body, "none");
    assert_eq!(client.post("/set/a", "10").await.status, StatusCode::OK);
}

pub async fn server_error_responses_do_not_save<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/n", "1").await;
    let reply = client.post("/fail/n", "").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(client.get("/get/n").await.body, "1");
    let mut fresh = self::client(&backend);
    let reply = fresh.post("/fail/n", "").await;
    assert!(reply.set_cookies.is_empty());
}

pub async fn explicit_save_writes_before_the_response<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let reply = client.post("/save-then-fail/k", "").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.set_cookies.len(),
        1,
        "the saved session's cookie is still sent"
    );
    assert_eq!(client.get("/get/k").await.body, "\"saved\"");
}

pub async fn explicit_save_reports_a_session_deleted_meanwhile<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/user", "\"alice\"").await;
    let mut slow = client.clone();
    let in_flight = tokio::spawn(async move { slow.post("/slow-save/late?ms=300", "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    client.clone().post("/delete", "").await;
    assert_eq!(in_flight.await.unwrap().body, "Gone");
    assert_eq!(client.get("/get/late").await.body, "none");
}

pub async fn session_times_are_reported<B: Backend>() {
    let backend = B::start();
    let mut client = Client::new(app(backend.store(), |b| {
        b.idle_timeout(Duration::from_secs(60))
            .absolute_timeout(Duration::from_secs(3600))
    }));
    let empty: serde_json::Value = serde_json::from_str(&client.get("/times").await.body).unwrap();
    assert!(empty["created_at"].is_null());
    client.post("/set/n", "1").await;
    let times: serde_json::Value = serde_json::from_str(&client.get("/times").await.body).unwrap();
    let created = times["created_at"].as_u64().unwrap();
    let expires = times["expires_at"].as_u64().unwrap();
    let idle = expires - created;
    assert!((59_000..=61_000).contains(&idle), "idle window {idle} ms");
}

pub async fn dollar_keys_cannot_clobber_metadata<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    client.post("/set/$c", "\"mine\"").await;
    assert_eq!(client.get("/get/$c").await.body, "\"mine\"");
    let times: serde_json::Value = serde_json::from_str(&client.get("/times").await.body).unwrap();
    assert!(times["created_at"].as_u64().is_some());
}

pub async fn cookie_has_secure_defaults<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let cookie = client.post("/set/n", "1").await.set_cookies.remove(0);
    let value = client.cookie.clone().unwrap();
    assert_eq!(value.len(), 51);
    assert_eq!(
        cookie,
        format!("__Host-id={value}; HttpOnly; SameSite=Lax; Secure; Path=/")
    );
}

pub async fn cookie_attributes_follow_the_builder<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.cookie_name("sid")
            .cookie_path("/app")
            .cookie_domain("example.com")
            .same_site(SameSite::Strict)
            .secure(false)
    });
    let mut client = Client::named(app, "sid");
    let cookie = client.post("/set/n", "1").await.set_cookies.remove(0);
    assert!(cookie.starts_with("sid="));
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/app",
        "Domain=example.com",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert!(!cookie.contains("Secure"));
    assert_eq!(client.get("/get/n").await.body, "1");
}

pub async fn persistent_cookie_has_max_age_of_the_absolute_timeout<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| {
        b.persistent_cookie(true)
            .absolute_timeout(Duration::from_secs(7200))
    });
    let cookie = Client::new(app)
        .post("/set/n", "1")
        .await
        .set_cookies
        .remove(0);
    assert!(cookie.contains("Max-Age=7200"), "{cookie}");
}

pub async fn cookies_are_host_prefixed_by_default<B: Backend>() {
    let backend = B::start();
    let mut client = client(&backend);
    let cookie = client.post("/set/n", "1").await.set_cookies.remove(0);
    assert!(cookie.starts_with("__Host-id="), "{cookie}");
    #[cfg(feature = "cart")]
    {
        let cart = client.post("/cart/add/apple/1", "").await.set_cookies;
        assert!(cart[0].starts_with("__Host-cart="), "{cart:?}");
    }
    #[cfg(feature = "remember-me")]
    {
        let remember = client.post("/login-remember/alice", "").await.set_cookies;
        assert!(
            remember.iter().any(|c| c.starts_with("__Host-remember=")),
            "{remember:?}"
        );
    }
}

/// A cookie a sibling subdomain or a plain-http response could have planted (no prefix) names
/// nothing, even when its value is a live session, cart or remember-me token.
pub async fn cookies_without_the_host_prefix_are_not_read<B: Backend>() {
    let backend = B::start();
    let app = app(backend.store(), |b| b);
    let mut victim = Client::new(app.clone());
    #[cfg(feature = "cart")]
    victim.post("/cart/add/apple/1", "").await;
    #[cfg(feature = "remember-me")]
    victim.post("/login-remember/mallory", "").await;
    #[cfg(not(feature = "remember-me"))]
    victim.post("/login/mallory", "").await;
    victim.post("/set/n", "1").await;
    let mut planted = Client::named(app, "id");
    planted.cookie.clone_from(&victim.cookie);
    planted.cart.clone_from(&victim.cart);
    planted.remember.clone_from(&victim.remember);
    assert_eq!(planted.get("/me").await.body, "anonymous");
    assert_eq!(planted.get("/get/n").await.body, "none");
    #[cfg(feature = "cart")]
    assert!(planted.cart().await.is_empty());
}

pub async fn plain_cookie_names_where_the_prefix_cannot_apply<B: Backend>() {
    let backend = B::start();
    let mut client = Client::named(app(backend.store(), |b| b.secure(false)), "id");
    let cookie = client.post("/set/n", "1").await.set_cookies.remove(0);
    assert!(cookie.starts_with("id="), "{cookie}");
    #[cfg(feature = "cart")]
    {
        let cart = client.post("/cart/add/apple/1", "").await.set_cookies;
        assert!(cart[0].starts_with("cart="), "{cart:?}");
    }
    assert_eq!(client.get("/get/n").await.body, "1");
}
