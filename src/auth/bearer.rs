//! Who is calling the API: a bearer token, or the browser's own session (then non-GET
//! requests must carry the CSRF header). The REST door also applies the scope and rate-limit
//! policy ([`super::policy`]); `/mcp` takes tokens only and applies the same policy per
//! JSON-RPC message, where it knows which tool is called. Every bearer response carries
//! `Reef-Token-Expires`.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::visitor::{CookieNames, CsrfHeader};
use super::{Access, Visitor};
use crate::db::UnixTime;
use crate::diagrams::{Owner, Requester};
use crate::error::ApiError;
use crate::http::forwarded::Forwarded;
use crate::state::{AppState, rfc3339};
use crate::tokens::{self, Scope};

/// How the caller authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    Token {
        /// The token's name.
        name: String,
        scope: Scope,
        expires_at: UnixTime,
    },
    Session,
}

/// An authenticated API caller: the account, and the token or session it came with.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub user_id: i64,
    pub email: String,
    pub via: Via,
}

impl ApiCaller {
    /// The owner of the diagrams this caller works on.
    pub fn owner(&self) -> Owner {
        Owner::User(self.user_id)
    }

    /// Whose render queue this caller's drawings wait in: its account's.
    pub fn requester(&self) -> Requester {
        Requester::account(self.user_id)
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

/// The caller the door admitted (see [`authenticate`]); 401 if a route forgot its door.
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

/// `Authorization: Bearer <secret>`, scheme case-insensitive, whitespace tolerated
/// (RFC 9110 §11.4); two Authorization headers are malformed.
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

async fn bearer_caller(
    state: &AppState,
    raw: &str,
    ip: std::net::IpAddr,
) -> Result<ApiCaller, ApiError> {
    let token = tokens::authenticate(state, raw, ip)
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
        .is_some_and(|c| {
            c.get(CookieNames::new(state.config.secure_cookies).session)
                .is_some()
        });
    if !has_session {
        return Err(ApiError::Unauthorized);
    }
    let visitor = Visitor::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::Unauthorized)?;
    let user = visitor.user.clone().ok_or(ApiError::Unauthorized)?;
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        let CsrfHeader(sent) = CsrfHeader::from_headers(&parts.headers);
        visitor.check_csrf(&sent).map_err(|_| ApiError::Csrf)?;
    }
    Ok(ApiCaller {
        user_id: user.id,
        email: user.email,
        via: Via::Session,
    })
}

/// What a door checks besides who is calling.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The REST API: a token or the browser session; scope and rate limit follow from the
    /// method and path.
    Rest,
    /// `/mcp`: a token only (a cookie must never drive an agent endpoint); the MCP layer applies
    /// scope and rate limit per JSON-RPC message.
    TokenOnly,
}

/// The route layer in front of every authenticated route, given the state and its door:
/// `from_fn_with_state((state, Door::Rest), authenticate)`. Answers the uniform 401 (and for
/// REST the scope's 403 and the rate limit's 429) itself; otherwise the handler sees the
/// [`ApiCaller`], and a bearer response gets `Reef-Token-Expires`.
pub async fn authenticate(
    State((state, door)): State<(AppState, Door)>,
    request: Request,
    next: Next,
) -> Response {
    pass(&state, request, next, door).await
}

async fn pass(state: &AppState, request: Request, next: Next, door: Door) -> Response {
    if !state.config.accounts {
        return ApiError::Unauthorized.into_response();
    }
    let (mut parts, body) = request.into_parts();
    let ip = Forwarded::from_parts(&state.config, &parts).client;
    let caller = match identify(state, ip, &mut parts, door).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    // Once the token is known, every answer says when it expires, refusals included.
    let mut response = match admit(state, &caller, &parts, door) {
        Ok(()) => {
            parts.extensions.insert(caller.clone());
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) => e.into_response(),
    };
    if let Via::Token { expires_at, .. } = &caller.via
        && let Ok(value) = HeaderValue::from_str(&rfc3339(*expires_at))
    {
        response.headers_mut().insert("reef-token-expires", value);
    }
    response
}

/// Who is calling, from the credentials the request carries.
async fn identify(
    state: &AppState,
    ip: std::net::IpAddr,
    parts: &mut Parts,
    door: Door,
) -> Result<ApiCaller, ApiError> {
    match credentials(&parts.headers) {
        Credentials::Bearer(raw) => {
            let raw = raw.to_owned();
            bearer_caller(state, &raw, ip).await
        }
        Credentials::Malformed => Err(ApiError::Unauthorized),
        Credentials::None if door == Door::TokenOnly => Err(ApiError::Unauthorized),
        Credentials::None => session_caller(state, parts).await,
    }
}

/// What the REST door checks besides who is calling: the scope, then the rate limit.
fn admit(state: &AppState, caller: &ApiCaller, parts: &Parts, door: Door) -> Result<(), ApiError> {
    if door == Door::Rest {
        let access = Access::of_rest(&parts.method, parts.uri.path());
        caller.check_scope(access)?;
        caller.count(&state.limits.api, access)?;
    }
    Ok(())
}
