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

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::config::Config;
use crate::http::forwarded::Forwarded;

/// The client's address: the TCP peer, or behind trusted reverse proxies
/// (`REEF_TRUSTED_PROXIES`) the address they forwarded (see [`Forwarded`]). Limits and the
/// security log use it.
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    Arc<Config>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let config = Arc::<Config>::from_ref(state);
        Ok(ClientIp(Forwarded::from_parts(&config, parts).client))
    }
}
