//! [`TheftDetected`]: what the layer tells the application when a credential turns up where it
//! should not (a replayed remember-me token, a wrong proof of a device-bound session's key),
//! through the one hook [`SessionLayerBuilder::on_theft`](crate::SessionLayerBuilder::on_theft).

use std::sync::Arc;

/// What a theft hook is told. No credential, token or key is ever included.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TheftDetected {
    /// The user whose credential was used elsewhere.
    pub user_id: String,
    /// What gave the theft away.
    pub evidence: Evidence,
    /// Whether every session of the user was ended (otherwise only the one concerned).
    pub all_sessions_ended: bool,
}

/// What gave a theft away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Evidence {
    /// A remember-me token was used again after its rotation: its cookie was copied. Every
    /// token and session of the user is revoked.
    RememberMeReplay,
    /// A device-bound session's refresh carried a proof that its key did not sign: someone
    /// holding the session's cookies, not the device, asked to keep it alive.
    WrongDeviceKey,
}

/// The application's theft hook.
pub(crate) type TheftHook = Arc<dyn Fn(&TheftDetected) + Send + Sync>;

/// Tells the application's hook, if it has one, that `user`'s credential was stolen.
#[cfg(any(feature = "remember-me", feature = "dbsc"))]
pub(crate) fn report(
    hook: Option<&TheftHook>,
    user: &str,
    evidence: Evidence,
    all_sessions_ended: bool,
) {
    if let Some(hook) = hook {
        hook(&TheftDetected {
            user_id: user.to_owned(),
            evidence,
            all_sessions_ended,
        });
    }
}
