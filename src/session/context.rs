//! [`Context`]: what every request's session shares: the store, the settings, the features.

use std::any::Any;
use std::sync::Arc;

use super::Feature;
use crate::config::SessionConfig;
use crate::failure::Renderer;
use crate::store::DynUserIndex;

/// Everything a request's session needs besides its own state: shared by all requests.
pub(crate) struct Context {
    pub(crate) store: Arc<dyn DynUserIndex>,
    pub(crate) config: SessionConfig,
    /// The features built on sessions, in the order their hooks run.
    pub(crate) features: Vec<Arc<dyn Feature>>,
    /// The application's rendering of session failures, if it has one.
    pub(crate) render_failure: Option<Renderer>,
}

impl Context {
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
