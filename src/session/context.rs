//! [`Context`]: what every request's session shares: the store, the settings, the features.

use std::any::Any;
use std::sync::Arc;

use super::Feature;
use crate::config::SessionConfig;
use crate::failure::Renderer;
use crate::store::DynUserIndex;
use crate::theft::TheftHook;

/// Everything a request's session needs besides its own state: shared by all requests.
pub(crate) struct Context {
    pub(crate) store: Arc<dyn DynUserIndex>,
    pub(crate) config: SessionConfig,
    /// The features built on sessions, in the order their hooks run.
    pub(crate) features: Vec<Arc<dyn Feature>>,
    /// The application's rendering of session failures, if it has one.
    pub(crate) render_failure: Option<Renderer>,
    /// The application's theft hook, if it has one.
    #[cfg_attr(
        not(any(feature = "remember-me", feature = "dbsc")),
        expect(dead_code, reason = "only a credential's feature detects a theft")
    )]
    pub(crate) on_theft: Option<TheftHook>,
    /// The metadata fields whose presence on a loaded record runs the features' `loaded` hooks
    /// (see `Feature::guard_field`); empty unless a feature guards sessions.
    pub(crate) guard_fields: Vec<&'static str>,
    /// The paths the features serve themselves, each with its feature's index in `features`;
    /// empty unless a feature has endpoints.
    pub(crate) endpoints: Vec<(String, usize)>,
}

impl Context {
    /// Whether a record with metadata `meta` is guarded by a feature, whose `loaded` hook must
    /// then run whatever the request carried.
    pub(crate) fn guards(&self, meta: &std::collections::HashMap<String, String>) -> bool {
        !self.guard_fields.is_empty() && self.guard_fields.iter().any(|f| meta.contains_key(*f))
    }

    /// The feature that answers `request` itself, if one does.
    #[inline]
    pub(crate) fn serving<B>(&self, request: &http::Request<B>) -> Option<&Arc<dyn Feature>> {
        if self.endpoints.is_empty() || request.method() != http::Method::POST {
            return None;
        }
        let path = request.uri().path();
        let (_, index) = self.endpoints.iter().find(|(served, _)| served == path)?;
        self.features.get(*index)
    }

    /// The registered feature of type `F`, if any.
    #[cfg_attr(
        not(any(feature = "cart", feature = "remember-me", feature = "flash")),
        expect(dead_code, reason = "an extension point: only features call it")
    )]
    pub(crate) fn feature<F: Feature>(&self) -> Option<Arc<F>> {
        self.features.iter().find_map(|feature| {
            let any: Arc<dyn Any + Send + Sync> = Arc::clone(feature) as _;
            any.downcast().ok()
        })
    }
}
