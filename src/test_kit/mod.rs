//! The conformance suite of this crate's stores, for the author of another store (feature
//! `test-kit`).
//!
//! Every behaviour the layer promises, from a session's first cookie to "sign out everywhere"
//! racing a rename, is a test here: the application is served in process ([`app`]), a
//! [`Client`] plays the browser, and the store under test is whatever a [`Backend`] starts.
//! [`RedisStore`](crate::RedisStore) and [`MemoryStore`](crate::MemoryStore) pass it on every
//! deployment this crate supports; a store that passes it behaves as they do, races included.
//!
//! In a test file of the store's crate, with `tower-redis-session` in its `dev-dependencies`
//! with the `test-kit` feature:
//!
//! ```ignore
//! use tower_redis_session::test_kit::Backend;
//!
//! struct Mine(MyStore);
//!
//! impl Backend for Mine {
//!     type Store = MyStore;
//!     fn start() -> Self {
//!         Mine(MyStore::new())
//!     }
//!     fn store(&self) -> MyStore {
//!         self.0.clone()
//!     }
//! }
//!
//! tower_redis_session::conformance_suite!(Mine);
//! ```
//!
//! That line expands to one `#[test]` per behaviour, grouped in a module per concern
//! (`data`, `responses`, `expiry`, `devices`, `device_races`, and with their features `cart`,
//! `remember`, `lifecycle`, `lifecycle_races`), so `cargo test devices::` runs one group. Each
//! test starts its own backend. Some wait across real deadlines (a few seconds) and some race
//! a hundred trials; a store that answers in under a millisecond runs the whole suite in well
//! under a minute. `examples/third_party_store.rs` is a complete store that passes it.

mod app;
mod behaviours;
mod client;
#[cfg(feature = "dbsc")]
mod dbsc;
mod feature_behaviours;
mod gate;

use std::future::Future;
use std::pin::Pin;

pub use self::app::app;
pub use self::client::{Client, HOST, HOST_HTTP, Reply};
#[cfg(feature = "dbsc")]
pub use self::dbsc::DbscDevice;
use crate::LayerStore;

/// A store to run the suite against, with whatever keeps it alive (a server process, a
/// temporary database) for as long as the test runs.
pub trait Backend: Send + Sync + Sized + 'static {
    /// The store under test.
    type Store: LayerStore + Clone;
    /// Starts a fresh, empty backend: each behaviour calls it once.
    fn start() -> Self;
    /// A handle to the backend's store; clones share its data.
    fn store(&self) -> Self::Store;
}

/// Runs the behaviour `name` of `group` against a fresh `B`, on a runtime of its own with two
/// worker threads (the races need real parallelism). Called by the tests that
/// [`conformance_suite!`](crate::conformance_suite) writes.
///
/// # Panics
/// When the behaviour fails, or when no behaviour has that name.
#[doc(hidden)]
pub fn run<B: Backend>(group: &str, name: &str) {
    let Some(behaviour) = behaviour::<B>(group, name) else {
        panic!("the conformance suite has no behaviour {group}::{name}");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the behaviour");
    runtime.block_on(behaviour);
}

type Behaviour = Pin<Box<dyn Future<Output = ()>>>;

/// Finds a behaviour by name. Written by the list below, so that a behaviour left off the list
/// is dead code, which the build refuses.
macro_rules! __dispatch {
    ([] [$($group:ident: [$($name:ident),* $(,)?];)*]) => {
        fn behaviour<B: Backend>(group: &str, name: &str) -> Option<Behaviour> {
            $($(
                if group == stringify!($group) && name == stringify!($name) {
                    return Some(Box::pin(behaviours::$group::$name::<B>()));
                }
            )*)*
            None
        }
    };
}

crate::__conformance_core!([crate::__conformance_cart, crate::__conformance_remember,
    crate::__conformance_flash, crate::__conformance_lifecycle, crate::__conformance_dbsc,
    __dispatch] []);

/// Writes one `#[test]` per conformance behaviour for a [`Backend`](crate::test_kit::Backend), in a
/// module per group of behaviours (feature `test-kit`). See [`test_kit`](crate::test_kit).
#[macro_export]
macro_rules! conformance_suite {
    ($backend:ty) => {
        $crate::__conformance_core!([$crate::__conformance_cart, $crate::__conformance_remember,
            $crate::__conformance_flash, $crate::__conformance_lifecycle,
            $crate::__conformance_dbsc, $crate::__conformance_tests] [$backend;]);
    };
}

/// The last step of [`conformance_suite!`]: the tests themselves.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ([] [$backend:ty; $($group:ident: [$($name:ident),* $(,)?];)*]) => {
        $(
            mod $group {
                #[allow(unused_imports)]
                use super::*;
                $(
                    #[test]
                    fn $name() {
                        $crate::test_kit::run::<$backend>(stringify!($group), stringify!($name));
                    }
                )*
            }
        )*
    };
}

// The one list of behaviours, by group. Each step appends its groups and hands the list on to
// the next; a feature's step appends nothing when the feature is off.

/// The core's behaviours.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_core {
    ([$next:path $(, $rest:path)*] [$($list:tt)*]) => {
        $next!([$($rest),*] [$($list)*
            data: [
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
                remove_returns_the_value_and_insert_takes_it_by_value,
                a_remove_as_the_wrong_type_keeps_the_key,
                keys_lists_the_session_keys,
                is_modified_tells_whether_the_request_changed_the_session,
                touch_slides_the_expiry_without_a_load,
                touch_of_an_unknown_session_finds_nothing,
                a_typed_key_reads_and_writes_its_type,
                remove_and_clear_are_saved,
                a_session_emptied_of_every_key_keeps_its_id,
            ];
            responses: [
                idle_timeout_expires_the_session,
                reads_slide_the_idle_timeout,
                a_write_long_after_the_load_slides_the_idle_timeout,
                absolute_timeout_expires_an_active_session,
                oversize_insert_is_refused_and_nothing_is_written,
                a_refused_change_answers_with_a_plain_text_body,
                a_refused_change_answers_with_json_to_a_client_that_accepts_json,
                the_layers_renderer_renders_a_handlers_session_error,
                too_many_keys_are_refused_and_nothing_is_written,
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
            ];
            expiry: [
                a_short_inactivity_expiry_expires_that_session_and_not_another,
                reads_slide_an_inactivity_expiry,
                an_inactivity_expiry_makes_the_cookie_last_until_the_absolute_deadline,
                on_session_end_keeps_a_persistent_layers_cookie_to_the_browser_session,
                removing_the_expiry_returns_to_the_layers_settings,
                changing_the_expiry_gives_a_new_id_and_the_old_cookie_names_nothing,
                setting_the_expiry_a_session_has_changes_nothing,
                an_expiry_at_a_time_ends_the_session_then_however_active,
                the_absolute_timeout_caps_an_inactivity_expiry_that_slides_past_it,
                an_expiry_past_the_absolute_deadline_is_refused_saying_so_and_changes_nothing,
                the_expiry_survives_login_and_cycle_id,
                a_visitor_who_only_sets_an_expiry_gets_no_cookie,
                an_expiry_set_before_the_session_is_stored_is_the_new_sessions,
                login_as_another_user_forgets_the_expiry,
                a_forged_expiry_in_the_cookie_names_no_session,
                an_expiry_that_ends_the_session_at_once_is_refused_and_changes_nothing,
            ];
            devices: [
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
            ];
            device_races: [
                a_cycle_confirmed_after_a_listing_and_a_cleanup_keeps_the_session,
                a_change_of_expiry_confirmed_after_a_listing_and_a_cleanup_keeps_the_session,
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
                a_sign_in_past_the_limit_outranks_a_device_seen_in_the_same_millisecond,
            ];
            cookie_names: [
                the_session_cookies_current_name_is_host_http,
                a_session_cookie_under_its_old_name_is_read_and_moved,
                the_current_name_wins_over_an_old_one,
                old_names_are_not_read_once_turned_off,
            ];
            guard: [
                an_anonymous_request_to_a_logged_in_route_is_refused_with_401,
                an_anonymous_request_is_sent_to_the_login_path_with_next,
                a_logged_in_request_reaches_the_route_with_its_user,
                after_logout_the_route_is_closed_again,
            ];
        ]);
    };
}
