//! The features the layer registers (the cart, remember-me, flash messages, device-bound
//! sessions), each with its store and settings: the one place besides `layer/` and `lib.rs`
//! that names them.

use std::sync::Arc;

#[cfg(feature = "cart")]
use crate::cart::{CartConfig, CartFeature};
use crate::config::{ConfigError, SESSION_COOKIE, SessionConfig};
#[cfg(feature = "dbsc")]
use crate::dbsc::{DbscConfig, DbscFeature};
#[cfg(feature = "flash")]
use crate::flash::FlashFeature;
#[cfg(feature = "remember-me")]
use crate::remember::{RememberConfig, RememberFeature};
use crate::session::Feature;
#[cfg(feature = "cart")]
use crate::store::DynCartStore;
#[cfg(feature = "dbsc")]
use crate::store::DynChallengeStore;
#[cfg(feature = "remember-me")]
use crate::store::DynTokenStore;
use crate::store::LayerStore;

/// The enabled features, each with its store and settings.
pub(crate) struct Features {
    #[cfg(feature = "cart")]
    pub(crate) cart: (Arc<dyn DynCartStore>, CartConfig),
    #[cfg(feature = "remember-me")]
    pub(crate) remember: (Arc<dyn DynTokenStore>, RememberConfig),
    /// Off unless the application turns it on (`SessionLayerBuilder::dbsc`).
    #[cfg(feature = "dbsc")]
    pub(crate) dbsc: (Arc<dyn DynChallengeStore>, Option<DbscConfig>),
}

impl Features {
    /// Every enabled feature with its default settings, over `store`.
    #[cfg_attr(
        not(any(feature = "cart", feature = "remember-me", feature = "dbsc")),
        allow(unused_variables)
    )]
    pub(crate) fn new<S: LayerStore>(store: &Arc<S>) -> Self {
        Self {
            #[cfg(feature = "cart")]
            cart: (Arc::clone(store) as _, CartConfig::default()),
            #[cfg(feature = "remember-me")]
            remember: (Arc::clone(store) as _, RememberConfig::default()),
            #[cfg(feature = "dbsc")]
            dbsc: (Arc::clone(store) as _, None),
        }
    }

    /// The enabled features, each checking its own settings; none may name its cookie as the
    /// session's or an earlier feature's.
    #[cfg_attr(
        not(all(feature = "cart", feature = "remember-me")),
        allow(
            unused_mut,
            unused_variables,
            clippy::unnecessary_wraps,
            clippy::useless_vec
        )
    )]
    pub(crate) fn build(
        self,
        config: &SessionConfig,
    ) -> Result<Vec<Arc<dyn Feature>>, ConfigError> {
        let mut features: Vec<Arc<dyn Feature>> = Vec::new();
        let mut cookies = vec![(config.cookie.name.clone(), SESSION_COOKIE)];
        #[cfg(feature = "cart")]
        {
            let (store, settings) = self.cart;
            let taken: Vec<_> = cookies.iter().map(|(n, w)| (n.as_str(), *w)).collect();
            let cart = CartFeature::new(store, settings, config, &taken)?;
            cookies.push((cart.cookie_name().to_owned(), CartFeature::COOKIE));
            features.push(Arc::new(cart));
        }
        #[cfg(feature = "remember-me")]
        {
            let (store, settings) = self.remember;
            let taken: Vec<_> = cookies.iter().map(|(n, w)| (n.as_str(), *w)).collect();
            let remember = RememberFeature::new(store, settings, config, &taken)?;
            cookies.push((remember.cookie_name().to_owned(), RememberFeature::COOKIE));
            features.push(Arc::new(remember));
        }
        #[cfg(feature = "dbsc")]
        if let (store, Some(settings)) = self.dbsc {
            let taken: Vec<_> = cookies.iter().map(|(n, w)| (n.as_str(), *w)).collect();
            let dbsc = DbscFeature::new(store, settings, config, &taken)?;
            cookies.push((dbsc.cookie_name().to_owned(), DbscFeature::COOKIE));
            features.push(Arc::new(dbsc));
        }
        #[cfg(feature = "flash")]
        {
            let taken: Vec<_> = cookies.iter().map(|(n, w)| (n.as_str(), *w)).collect();
            features.push(Arc::new(FlashFeature::new(config, &taken)?));
        }
        Ok(features)
    }
}
