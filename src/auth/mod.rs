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

use crate::http::forwarded::Forwarded;

/// The client's address: the TCP peer, or behind trusted reverse proxies
/// (`REEF_TRUSTED_PROXIES`) the address they forwarded (see [`Forwarded`]). Limits and the
/// security log use it.
pub struct ClientIp(pub IpAddr);

crate::http::extract_with_config!(ClientIp, |config, parts| {
    ClientIp(Forwarded::from_parts(config, parts).client)
});
