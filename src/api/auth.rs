//! Who is calling the API: a bearer token, or the browser's own session (then non-GET
//! requests must carry the CSRF header). Also enforces scopes and per-account rate limits,
//! and stamps `Reef-Token-Expires` on every bearer response. `/mcp` takes tokens only and
//! leaves scopes and rate limits to the MCP layer, which knows which tool a request calls.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::auth::token::{Scope, TokenSecret};
use crate::auth::{ClientIp, Visitor};
use crate::db::api_tokens;
use crate::db::diagrams::Owner;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub enum Via {
    Token {
        name: String,
        scope: Scope,
        expires_at: i64,
    },
    Session,
}

#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub user_id: i64,
    pub email: String,
    pub via: Via,
}

impl ApiCaller {
    pub fn owner(&self) -> Owner {
        Owner::User(self.user_id)
    }

    /// False only for a read-scoped token.
    pub fn may_write(&self) -> bool {
        !matches!(
            self.via,
            Via::Token {
                scope: Scope::Read,
                ..
            }
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ApiCaller>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

enum Credentials<'a> {
    Bearer(&'a str),
    Malformed,
    None,
}

/// `Authorization: Bearer <secret>`, scheme case-insensitive, whitespace tolerated.
fn credentials(headers: &HeaderMap) -> Credentials<'_> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return if headers.contains_key(header::AUTHORIZATION) {
            Credentials::Malformed
        } else {
            Credentials::None
        };
    };
    let Ok(text) = value.to_str() else {
        return Credentials::Malformed;
    };
    let text = text.trim();
    match text.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => {
            Credentials::Bearer(rest.trim())
        }
        _ => Credentials::Malformed,
    }
}

/// Reads that a read-only token may make: safe methods and rendering (which stores nothing).
/// `path` is relative to the `/api` nest.
fn is_read(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD) || path == "/render"
}

async fn bearer_caller(state: &AppState, raw: &str, ip: String) -> Result<ApiCaller, ApiError> {
    // Junk and typos die here, before any database work.
    let secret = TokenSecret::parse(raw).ok_or(ApiError::Unauthorized)?;
    let hash = secret.hash();
    let now = state.clock.now();
    let token = state
        .db
        .run(move |conn| {
            let found = api_tokens::authenticate(conn, &hash, now)?;
            if let Some(token) = &found
                && api_tokens::needs_touch(token, &ip, now)
            {
                api_tokens::touch(conn, token, &ip, now)?;
            }
            Ok(found)
        })
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(ApiCaller {
        user_id: token.user_id,
        email: token.email,
        via: Via::Token {
            name: token.name,
            scope: token.scope,
            expires_at: token.expires_at,
        },
    })
}

async fn session_caller(state: &AppState, parts: &mut Parts) -> Result<ApiCaller, ApiError> {
    // No session cookie: refuse without minting a guest identity for an API client.
    let has_session = parts
        .extensions
        .get::<tower_cookies::Cookies>()
        .is_some_and(|c| c.get(crate::auth::visitor::SESSION_COOKIE).is_some());
    if !has_session {
        return Err(ApiError::Unauthorized);
    }
    let visitor = Visitor::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::Unauthorized)?;
    let user = visitor.user.clone().ok_or(ApiError::Unauthorized)?;
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        visitor.check_csrf(sent).map_err(|_| ApiError::Csrf)?;
    }
    Ok(ApiCaller {
        user_id: user.id,
        email: user.email,
        via: Via::Session,
    })
}

/// What a door checks besides who is calling.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Door {
    /// The REST API: a token or the browser session; scope and rate limit follow from the
    /// method and path.
    Rest,
    /// `/mcp`: a token only (a cookie must never drive an agent endpoint); the MCP layer applies
    /// scope and rate limit per JSON-RPC message.
    TokenOnly,
}

/// Route layer for every authenticated API route.
pub async fn authenticate(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: Request,
    next: Next,
) -> Response {
    pass(&state, ip.to_string(), request, next, Door::Rest).await
}

/// Route layer for `/mcp`: bearer tokens only, no scope or rate-limit decision here.
pub async fn authenticate_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: Request,
    next: Next,
) -> Response {
    pass(&state, ip.to_string(), request, next, Door::TokenOnly).await
}

async fn pass(state: &AppState, ip: String, request: Request, next: Next, door: Door) -> Response {
    match admit(state, ip, request, door).await {
        Ok((request, caller)) => {
            let expires = match &caller.via {
                Via::Token { expires_at, .. } => Some(*expires_at),
                Via::Session => None,
            };
            let mut response = next.run(request).await;
            if let Some(value) = expires
                .map(crate::api::rfc3339)
                .and_then(|t| HeaderValue::from_str(&t).ok())
            {
                response.headers_mut().insert("reef-token-expires", value);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn admit(
    state: &AppState,
    ip: String,
    request: Request,
    door: Door,
) -> Result<(Request, ApiCaller), ApiError> {
    if !state.config.accounts {
        return Err(ApiError::Unauthorized);
    }
    let (mut parts, body) = request.into_parts();
    let caller = match credentials(&parts.headers) {
        Credentials::Bearer(raw) => {
            let raw = raw.to_owned();
            bearer_caller(state, &raw, ip).await?
        }
        Credentials::Malformed => return Err(ApiError::Unauthorized),
        Credentials::None if door == Door::TokenOnly => return Err(ApiError::Unauthorized),
        Credentials::None => session_caller(state, &mut parts).await?,
    };
    if door == Door::Rest {
        let read = is_read(&parts.method, parts.uri.path());
        if !read && !caller.may_write() {
            return Err(ApiError::InsufficientScope);
        }
        state.api_limits.check(caller.user_id, read)?;
    }
    parts.extensions.insert(caller.clone());
    Ok((Request::from_parts(parts, body), caller))
}
