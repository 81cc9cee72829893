//! The client's IP address: the TCP peer's, or behind a proxy the one the proxy puts in the
//! configured header (`CLIENT_IP_HEADER`, also given to the session layer for remember-me
//! sign-ins).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use tower_redis_session::Device;

use super::Shop;

/// The request's client address; `None` when neither the header nor the connection tells.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<Shop> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, shop: &Shop) -> Result<Self, Infallible> {
        let from_proxy = shop
            .client_ip_header
            .as_ref()
            .and_then(|name| parts.headers.get(name))
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.trim().parse().ok());
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip())
        };
        Ok(Self(from_proxy.or_else(peer)))
    }
}

impl ClientIp {
    /// The device a request with these headers comes from: its User-Agent and this address.
    pub fn device(self, headers: &HeaderMap) -> Device {
        let device = Device::from_headers(headers);
        match self.0 {
            Some(ip) => device.ip(ip.to_string()),
            None => device,
        }
    }
}
