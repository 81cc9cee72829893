//! Carried fields: metadata that belongs to the browser more than to one session (a device
//! binding), so that a credential issued for a session (a remember-me token) keeps it, and a
//! sign-in with that credential gives it to the new session, which the feature that owns the
//! field then guards as it guarded the old one. The core moves the fields; it reads neither.

use std::collections::HashMap;

use super::{Context, State};
use crate::error::StoreError;

/// The carried fields of a session's metadata `meta`, as the JSON object a credential keeps;
/// `None` when it has none.
#[cfg_attr(
    not(any(feature = "remember-me", feature = "dbsc")),
    allow(dead_code, reason = "an extension point: only features call it")
)]
pub(crate) fn of(context: &Context, meta: &HashMap<String, String>) -> Option<String> {
    let carried: HashMap<&str, &String> = (context.features.iter())
        .filter_map(|feature| feature.carried_field())
        .filter_map(|field| Some((field, meta.get(field)?)))
        .collect();
    (!carried.is_empty()).then(|| crate::session::meta::json(&carried))
}

/// The fields a credential keeps, from the JSON [`of`] made; nothing from anything else.
#[cfg_attr(
    not(feature = "remember-me"),
    allow(
        dead_code,
        reason = "an extension point: only a credential's feature calls it"
    )
)]
pub(crate) fn parse(carried: Option<&str>) -> HashMap<String, String> {
    carried
        .and_then(|raw| serde_json::from_str(raw).ok())
        .unwrap_or_default()
}

/// Whether this request may sign in with a credential that carries `carried`: each feature
/// whose field it carries has its say (a device binding: only where the device can prove
/// itself).
#[cfg_attr(
    not(feature = "remember-me"),
    allow(
        dead_code,
        reason = "an extension point: only a credential's feature calls it"
    )
)]
pub(crate) fn admits(context: &Context, state: &State, carried: &HashMap<String, String>) -> bool {
    carried.is_empty()
        || (context.features.iter()).all(|feature| feature.admits_sign_in(state, carried))
}

/// Tells the features that the carried fields of the session whose metadata is `meta` changed:
/// what each keeps for that session (its remember-me token) must carry them from now on.
#[cfg_attr(
    not(feature = "dbsc"),
    expect(
        dead_code,
        reason = "an extension point: only a carried field's feature calls it"
    )
)]
pub(crate) async fn changed(
    context: &Context,
    meta: &HashMap<String, String>,
) -> Result<(), StoreError> {
    let Some(carried) = of(context, meta) else {
        return Ok(());
    };
    for feature in &context.features {
        if let Some(hook) = feature.carry(meta, &carried) {
            hook.await?;
        }
    }
    Ok(())
}
