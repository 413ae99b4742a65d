//! Reef: a self-hosted Mermaid diagram studio. `app` builds the whole HTTP surface; `main.rs`
//! and the tests both use it.
//!
//! Data flows one way: surfaces (`web`, `api`, `mcp`, `client`) → who is calling (`auth`) →
//! use cases (`diagrams`, `tokens`, `accounts`) → store and renderer (`db`, `render`); see
//! `docs/architecture.md`.
#![forbid(unsafe_code)]

// Entry: the router, the server loop and the request guards.
pub mod guard;
pub mod server;

// Surfaces.
pub mod api;
pub mod client;
pub mod mcp;
pub mod web;

// Who is calling.
pub mod auth;

// Use cases, and the vocabulary the surfaces share.
pub mod accounts;
pub mod assets;
pub mod compare;
pub mod diagrams;
pub mod encoded;
pub mod etag;
pub mod guest_links;
pub mod http;
pub mod imports;
pub mod limits;
pub mod samples;
pub mod secret;
pub mod styles;
pub mod tokens;
pub mod wire;

// Core.
pub mod config;
pub mod error;
pub mod state;

// Below: the store and the renderer.
pub mod db;
pub mod render;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use state::AppState;

pub use config::MAX_BODY_BYTES;

/// Pages load only our own script, style and images; nothing is inlined and nothing remote.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole HTTP surface: pages, `/api`, `/mcp` and `/healthz`, behind the request guards
/// and the security headers every response carries (CSP, nosniff, no framing, no-store).
pub fn app(state: AppState) -> Router {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let routes = web::router(&state)
        .nest("/api", api::router(&state))
        .merge(mcp::router(&state))
        .route("/healthz", get(healthz))
        .fallback(|| async { error::AppError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            guard::requests,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_cookies::CookieManagerLayer::new())
        .layer(header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "same-origin"))
        .layer(header(header::CACHE_CONTROL, "no-store"))
        .layer(
            // Log method, path and status only: never headers (cookies), query strings or
            // share ids.
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let path = server::loggable_path(req.uri().path());
                tracing::info_span!("request", method = %req.method(), path = %path)
            }),
        )
        .with_state(state.clone());
    // Outside the router, so the public path comes off before routing.
    Router::new()
        .fallback_service(routes)
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            http::public_path::under_public_path,
        ))
}

async fn healthz(State(db): State<db::Db>) -> impl IntoResponse {
    match db.run(|conn| db::ping(conn)).await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
