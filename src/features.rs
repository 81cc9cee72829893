//! The features the layer registers (the cart, remember-me, flash messages), each with its store
//! and settings: the one place besides `layer.rs` and `lib.rs` that names them.

use std::sync::Arc;

#[cfg(feature = "cart")]
use crate::cart::{CartConfig, CartFeature};
use crate::config::{ConfigError, SESSION_COOKIE, SessionConfig};
#[cfg(feature = "flash")]
use crate::flash::FlashFeature;
#[cfg(feature = "remember-me")]
use crate::remember::{RememberConfig, RememberFeature};
use crate::session::Feature;
#[cfg(feature = "cart")]
use crate::store::DynCartStore;
#[cfg(feature = "remember-me")]
use crate::store::DynTokenStore;

/// The enabled features, each with its store and settings.
pub(crate) struct Features {
    #[cfg(feature = "cart")]
    pub(crate) cart: (Arc<dyn DynCartStore>, CartConfig),
    #[cfg(feature = "remember-me")]
    pub(crate) remember: (Arc<dyn DynTokenStore>, RememberConfig),
}

impl Features {
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
        #[cfg(feature = "flash")]
        {
            let taken: Vec<_> = cookies.iter().map(|(n, w)| (n.as_str(), *w)).collect();
            features.push(Arc::new(FlashFeature::new(config, &taken)?));
        }
        Ok(features)
    }
}
