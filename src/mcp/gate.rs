//! What every `/mcp` request passes before rmcp sees it: one count against the caller's rate
//! limit — the write bucket for a write tool the caller may use, the read bucket for anything
//! else — then POST only, and a JSON body within the size limit that is a JSON-RPC message
//! (else a JSON-RPC error, where rmcp would answer in plain text).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::model::{ClientJsonRpcMessage, ErrorCode};
use serde_json::{Value, json};

use super::tools::ToolName;
use crate::auth::{Access, ApiCaller};
use crate::error::ApiError;
use crate::http::body;
use crate::state::AppState;

/// The gate (see the module docs): counts the request, then lets only a well-formed JSON-RPC
/// POST through to rmcp.
pub async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(caller) = request.extensions().get::<ApiCaller>().cloned() else {
        return ApiError::Unauthorized.into_response();
    };
    let verdict = inspect(&state, request).await;
    // Every request counts once, refused ones too (as reads), so junk cannot go unmetered.
    let writes = matches!(&verdict, Ok((_, Some(tool))) if tool.writes() && caller.may_write());
    let access = if writes { Access::Write } else { Access::Read };
    if let Err(limited) = caller.count(&state.limits.api, access) {
        return limited.into_response();
    }
    match verdict {
        Ok((request, _)) => next.run(request).await,
        Err(response) => response,
    }
}

/// The request with its body buffered again, and the tool it calls if it is `tools/call`;
/// or the answer for a request rmcp should not see.
async fn inspect(
    state: &AppState,
    request: Request,
) -> Result<(Request, Option<ToolName>), Response> {
    if request.method() != axum::http::Method::POST {
        // No server-to-client SSE stream and no sessions to delete: POST is the whole protocol.
        let mut response = ApiError::MethodNotAllowed.into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Err(response);
    }
    let media = body::media_type(&request).map_err(IntoResponse::into_response)?;
    if media.as_deref() != Some("application/json") {
        return Err(ApiError::UnsupportedMediaType(
            "Send JSON-RPC with Content-Type: application/json.".into(),
        )
        .into_response());
    }
    let (parts, raw) = request.into_parts();
    let bytes = body::bytes(Request::from_parts(parts.clone(), raw), state)
        .await
        .map_err(IntoResponse::into_response)?;
    let message: Value = serde_json::from_slice(&bytes).map_err(|e| {
        rpc_error(
            Value::Null,
            ErrorCode::PARSE_ERROR,
            &format!("Parse error: {e}"),
        )
    })?;
    // rmcp would answer a message it cannot decode in plain text; decode it here first.
    if let Err(e) = serde_json::from_value::<ClientJsonRpcMessage>(message.clone()) {
        // Echo the id when there is a usable one, so the client can match the answer.
        let id = match message.get("id") {
            Some(id @ (Value::String(_) | Value::Number(_))) => id.clone(),
            _ => Value::Null,
        };
        return Err(rpc_error(
            id,
            ErrorCode::INVALID_REQUEST,
            &format!("Invalid Request: {e}"),
        ));
    }
    let tool = if message["method"] == "tools/call" {
        message["params"]["name"].as_str().and_then(ToolName::parse)
    } else {
        None
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), tool))
}

/// A JSON-RPC error for a message rmcp never gets to see.
fn rpc_error(id: Value, code: ErrorCode, message: &str) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code.0, "message": message },
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}
