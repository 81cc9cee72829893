//! The features' part of the one list of behaviours (see `mod.rs`): each feature's step appends
//! its groups to the list and hands it on, and appends nothing when the feature is off.

/// The cart's behaviours.
#[cfg(feature = "cart")]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cart {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*
            cart: [
                anonymous_add_read_remove_round_trip,
                payloads_are_kept_with_their_line,
                a_hundred_parallel_adds_of_one_sku_make_a_hundred,
                a_hundred_parallel_adds_of_distinct_skus_make_a_hundred_lines,
                decrement_to_zero_removes_the_line,
                the_cart_cookie_is_persistent_and_secure,
                limits_give_typed_errors_and_leave_the_cart_unchanged,
                a_refused_cart_change_answers_json_to_a_client_that_accepts_json,
                a_refused_cart_change_goes_through_the_layers_renderer,
                a_cart_cookie_under_its_old_name_keeps_the_cart,
                an_unknown_cart_id_is_never_adopted,
                login_merges_the_visitor_cart_by_summing,
                a_retried_merge_gives_the_same_result,
                merge_policies_max_and_replace,
                after_logout_the_browser_has_a_new_empty_cart_and_the_users_cart_stays,
                the_visitor_cart_survives_session_expiry,
                the_visitor_cart_expires_after_its_ttl,
            ];
        ]);
    };
}

/// Without the cart: nothing.
#[cfg(not(feature = "cart"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cart {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*]);
    };
}

/// Remember-me's behaviours.
#[cfg(feature = "remember-me")]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_remember {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*
            remember: [
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
                a_remember_cookie_under_its_old_name_still_signs_in,
            ];
        ]);
    };
}

/// Without remember-me: nothing.
#[cfg(not(feature = "remember-me"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_remember {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*]);
    };
}

/// Flash messages' behaviours.
#[cfg(feature = "flash")]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_flash {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*
            flash: [
                a_flash_is_shown_once_on_a_later_request,
                messages_keep_their_levels_in_order,
                a_flash_survives_the_new_id_of_a_login,
                a_flash_pushed_after_logout_is_shown_on_the_next_page,
                a_flash_cookie_without_messages_shows_nothing_and_is_expired,
                a_request_without_messages_gets_no_cookie_from_reading_them,
                messages_past_4_kib_are_refused_and_the_others_kept,
            ];
        ]);
    };
}

/// Without flash messages: nothing.
#[cfg(not(feature = "flash"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_flash {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*]);
    };
}

/// The whole lifecycle: every way in against every way out, which needs both features.
#[cfg(all(feature = "cart", feature = "remember-me"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_lifecycle {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*
            lifecycle: [
                logout_ends_a_device_however_it_signed_in,
                revoking_a_device_ends_it_however_it_signed_in,
                logout_others_ends_a_device_however_it_signed_in,
                logout_all_from_another_device_ends_a_device_however_it_signed_in,
                logout_all_from_the_device_ends_it_however_it_signed_in,
                theft_ends_a_device_however_it_signed_in,
                the_session_limit_ends_a_device_however_it_signed_in,
                a_remembered_sign_in_merges_the_visitors_cart,
                other_applications_cookies_hide_none_of_ours,
            ];
            lifecycle_races: [
                a_cycle_racing_a_device_listing_keeps_the_session,
                a_change_of_expiry_racing_a_device_listing_keeps_the_session,
                a_cycle_racing_cleanup_keeps_the_session,
                a_logout_racing_a_cycle_of_its_session_is_true_only_if_it_ended_it,
                a_revocation_racing_a_cycle_of_a_remembered_device_ends_it_for_good,
                parallel_sign_ins_past_the_limit_leave_exactly_the_limit,
            ];
        ]);
    };
}

/// Without both features: nothing.
#[cfg(not(all(feature = "cart", feature = "remember-me")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_lifecycle {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*]);
    };
}

/// Device-bound sessions' behaviours, with remember-me's part where it is on.
#[cfg(all(feature = "dbsc", feature = "remember-me"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_dbsc {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $crate::__conformance_dbsc_core!([$next $(, $rest)*] [$($list)*
            dbsc_remembered: [
                a_remembered_sign_in_offers_registration_again,
                a_bound_sessions_token_signs_in_only_through_a_refresh_by_its_device,
                a_token_issued_on_a_bound_session_is_bound_too,
                a_copied_remember_cookie_of_a_bound_session_signs_nobody_in,
            ];
        ]);
    };
}

/// Device-bound sessions' behaviours.
#[cfg(all(feature = "dbsc", not(feature = "remember-me")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_dbsc {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $crate::__conformance_dbsc_core!([$next $(, $rest)*] [$($list)*]);
    };
}

/// The behaviours of device-bound sessions that need no other feature.
#[cfg(feature = "dbsc")]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_dbsc_core {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*
            dbsc: [
                a_sign_in_offers_registration_with_a_fresh_challenge,
                registration_binds_the_session_and_sets_a_short_lived_credential,
                an_rs256_key_binds_and_refreshes_too,
                a_registration_challenge_answers_once,
                a_registration_not_signed_by_the_key_it_carries_binds_nothing,
                a_registration_without_a_signed_in_session_binds_nothing,
                a_bound_session_without_its_credential_is_not_signed_in,
                a_write_without_the_credential_leaves_the_bound_session_alone,
                a_refresh_asks_for_a_proof_then_renews_the_credential,
                a_refresh_challenge_answers_once,
                the_previous_challenge_still_answers_a_racing_refresh,
                an_expired_challenge_is_answered_with_a_new_one,
                a_credential_past_its_expiry_signs_nothing_in,
                a_credential_proves_nothing_for_another_session,
                a_proof_for_another_session_is_a_retry_not_a_sign_out,
                a_refresh_proved_by_another_key_ends_every_session_of_the_user,
                a_refresh_proved_by_another_key_can_end_only_that_session,
                a_refresh_without_a_session_ends_the_browsers_session,
                logout_ends_the_device_bound_session,
                revoking_a_bound_device_ends_its_device_bound_session,
                logout_others_ends_their_device_bound_sessions,
                logout_all_ends_every_device_bound_session,
                a_sign_out_from_outside_ends_the_device_bound_session,
                a_cycled_bound_session_stays_bound,
                a_login_as_another_user_on_a_bound_session_starts_unbound,
                a_login_again_as_the_same_user_stays_bound,
                refreshes_past_the_allowance_are_answered_429,
                the_endpoints_never_reach_the_application,
            ];
        ]);
    };
}

/// Without device-bound sessions: nothing.
#[cfg(not(feature = "dbsc"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_dbsc {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*]);
    };
}
