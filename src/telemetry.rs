//! What the crate reports through the `metrics` facade (with the `metrics` feature; without it
//! every function here is empty). Names and labels are listed in `docs/observability.md`.
//! Labels are fixed words, never an ID, token or user.

use std::time::Duration;

/// Defines a function that counts one event of counter `$name`, labelled `$label`. Features
/// define their own counters with it.
macro_rules! counter {
    ($(#[$doc:meta])* $function:ident, $name:literal, $label:literal) => {
        $(#[$doc])*
        pub(crate) fn $function(value: &'static str) {
            #[cfg(feature = "metrics")]
            metrics::counter!($name, $label => value).increment(1);
            #[cfg(not(feature = "metrics"))]
            let _ = value;
        }
    };
}
#[cfg_attr(
    not(any(feature = "remember-me", feature = "dbsc", feature = "local-cache")),
    expect(unused_imports, reason = "features define their counters with it")
)]
pub(crate) use counter;

counter!(
    /// A session load: `found`, `missing` (no live record), `expired` (past its deadline).
    load,
    "session_loads_total",
    "outcome"
);
counter!(
    /// A write-back: `stored`, `gone`, `too_large`, `too_many_keys`.
    write,
    "session_writes_total",
    "outcome"
);
counter!(
    /// An update sent as `SET … IFEQ`: `written`, or `fell_back` to the script (the record had
    /// changed since it was loaded, or was gone).
    compare_and_set,
    "session_compare_and_set_total",
    "outcome"
);
counter!(
    /// A login's write: `signed_in`, or `undone` by a sign-out of the user racing it.
    login,
    "session_logins_total",
    "outcome"
);
counter!(
    /// A sign-out: `this` (logout), `device` (revoke), `others`, `all`.
    sign_out,
    "session_sign_outs_total",
    "scope"
);

/// One store request: its latency, and its error if it failed (`unavailable`, `timeout`).
pub(crate) fn store_call(operation: &'static str, error: Option<&'static str>, took: Duration) {
    #[cfg(feature = "metrics")]
    {
        metrics::histogram!("session_store_duration_seconds", "operation" => operation)
            .record(took.as_secs_f64());
        if let Some(kind) = error {
            metrics::counter!("session_store_errors_total", "operation" => operation, "kind" => kind)
                .increment(1);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (operation, error, took);
}

/// Describes every metric to the installed recorder, once per layer built.
pub(crate) fn describe() {
    #[cfg(feature = "metrics")]
    {
        use metrics::{Unit, describe_counter, describe_histogram};
        describe_counter!("session_loads_total", "Session loads, by outcome.");
        describe_counter!("session_writes_total", "Session write-backs, by outcome.");
        describe_counter!(
            "session_compare_and_set_total",
            "Updates sent as SET IFEQ, by outcome."
        );
        describe_counter!("session_logins_total", "Login writes, by outcome.");
        describe_counter!("session_sign_outs_total", "Sign-outs, by scope.");
        describe_counter!(
            "session_store_errors_total",
            "Failed store requests, by operation and kind."
        );
        describe_histogram!(
            "session_store_duration_seconds",
            Unit::Seconds,
            "Store request latency, by operation."
        );
    }
}
