//! Reef as an rmcp server handler: who may see which tools, and the dispatch of tool calls.
//! The caller comes from the HTTP request that rmcp hands over, as authenticated in front.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::tools::{Call, ToolName};
use crate::auth::ApiCaller;
use crate::http::BaseUrl;
use crate::state::AppState;

/// The rmcp server handler: one per request (stateless), holding the app state.
pub struct Reef {
    state: AppState,
}

impl Reef {
    /// A handler over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The HTTP request behind this JSON-RPC message, with the caller the middleware admitted.
fn request(
    context: &RequestContext<RoleServer>,
) -> Result<(&axum::http::request::Parts, &ApiCaller), ErrorData> {
    let parts = context
        .extensions
        .get::<axum::http::request::Parts>()
        .ok_or_else(|| ErrorData::internal_error("the HTTP request is missing", None))?;
    let caller = parts
        .extensions
        .get::<ApiCaller>()
        .ok_or_else(|| ErrorData::internal_error("the caller is missing", None))?;
    Ok((parts, caller))
}

impl ServerHandler for Reef {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("reef", env!("CARGO_PKG_VERSION")).with_title("Reef"),
            )
            .with_instructions(
                "Reef stores Mermaid diagrams. Read a diagram before changing it and pass its \
                 version as expected_version; a precondition_failed error means someone else \
                 changed it first. A read-only token sees only the read tools.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let (_, caller) = request(&context)?;
        let tools = ToolName::ALL
            .into_iter()
            .filter(|t| caller.may_write() || !t.writes())
            .map(|t| {
                t.definition()
                    .map_err(|e| ErrorData::internal_error(format!("tool schema: {e}"), None))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request_params: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let (parts, caller) = request(&context)?;
        // An unknown tool is a protocol error (the spec's -32602), not a tool result.
        let tool = ToolName::parse(&request_params.name).ok_or_else(|| {
            ErrorData::invalid_params(format!("Unknown tool: {}", request_params.name), None)
        })?;
        let call = Call {
            state: &self.state,
            caller,
            base: BaseUrl::of(&self.state.config, parts),
        };
        let result = call
            .run(tool, request_params.arguments.unwrap_or_default())
            .await;
        Ok(result.into())
    }
}
