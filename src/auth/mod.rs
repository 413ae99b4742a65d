//! Who is calling, decided in one place for every surface: a browser's [`Visitor`] (guest
//! identity, maybe a session, its CSRF token), a [`SignedIn`] account for settings, and an
//! [`ApiCaller`] (bearer token or the browser session) for the REST API and MCP, with the
//! scope and rate-limit policy both apply.

pub mod bearer;
pub mod policy;
pub mod visitor;

pub use bearer::{ApiCaller, Via};
pub use policy::Access;
pub use visitor::{CsrfForm, CsrfHeader, SignedIn, Visitor};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The client's address as the TCP peer. Behind a reverse proxy this is the proxy.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ))
    }
}
