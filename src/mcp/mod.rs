//! `/mcp`: the Model Context Protocol over streamable HTTP, so agents can use Reef as a tool
//! server with the same bearer tokens and scopes as the REST API. rmcp speaks the protocol;
//! Reef authenticates in front of it (the same bearer door and policy as REST) and its tools
//! call the same use cases as the REST handlers.

mod gate;
mod server;
pub mod tools;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::state::AppState;

/// The `/mcp` route: token authentication, then the JSON-RPC gate, then rmcp.
pub fn router(state: &AppState) -> Router<AppState> {
    let handler_state = state.clone();
    let config = StreamableHttpServerConfig::default()
        // Stateless: every POST carries its own token and is answered on its own, with a
        // plain JSON body; no session store to keep, nothing to resume.
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // Host checks guard localhost servers from DNS rebinding, which rides on ambient
        // credentials; /mcp accepts only an explicit bearer token, and Reef may be served
        // under any host name.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(crate::config::MAX_BODY_BYTES);
    let mcp = StreamableHttpService::new(
        move || Ok(server::Reef::new(handler_state.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    // Layers run outside in: authenticate, then the gate, then rmcp.
    Router::new()
        .route_service("/mcp", mcp)
        .route_layer(middleware::from_fn_with_state(state.clone(), gate::admit))
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), crate::auth::bearer::Door::TokenOnly),
            crate::auth::bearer::authenticate,
        ))
}
