//! The MCP tools: what each is called, what it takes, whether it writes, and what it does —
//! always through the same use cases the REST handlers call ([`crate::diagrams`]), answering
//! with the same JSON shapes ([`crate::wire`]), so both surfaces keep one set of rules
//! (validation, ownership, versions, share links).

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::{Access, ApiCaller};
use crate::diagrams::{self, DiagramId};
use crate::error::{ApiError, ApiResult};
use crate::http::BaseUrl;
use crate::render::{ExportFormat, ExportOptions};
use crate::state::AppState;
use crate::wire::{DiagramJson, ListJson, ShareJson};

/// The tools Reef offers, by the names MCP clients call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolName {
    ListDiagrams,
    GetDiagram,
    CreateDiagram,
    UpdateDiagram,
    RenderDiagram,
    ShareDiagram,
    DeleteDiagram,
}

impl ToolName {
    /// Every tool, in the order `tools/list` shows them.
    pub const ALL: [ToolName; 7] = [
        ToolName::ListDiagrams,
        ToolName::GetDiagram,
        ToolName::CreateDiagram,
        ToolName::UpdateDiagram,
        ToolName::RenderDiagram,
        ToolName::ShareDiagram,
        ToolName::DeleteDiagram,
    ];

    /// The tool's MCP name.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::ListDiagrams => "list_diagrams",
            ToolName::GetDiagram => "get_diagram",
            ToolName::CreateDiagram => "create_diagram",
            ToolName::UpdateDiagram => "update_diagram",
            ToolName::RenderDiagram => "render_diagram",
            ToolName::ShareDiagram => "share_diagram",
            ToolName::DeleteDiagram => "delete_diagram",
        }
    }

    /// The tool an MCP name calls; None for an unknown name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether the tool changes anything; a read token may call only the others, exactly as
    /// on the REST API (where rendering, which stores nothing, is a read too).
    pub fn writes(self) -> bool {
        !matches!(
            self,
            ToolName::ListDiagrams | ToolName::GetDiagram | ToolName::RenderDiagram
        )
    }

    fn description(self) -> &'static str {
        match self {
            ToolName::ListDiagrams => {
                "List your diagrams, newest first (without their Mermaid source). Pass the \
                 returned next_cursor as cursor to get the next page."
            }
            ToolName::GetDiagram => {
                "Get one diagram with its Mermaid source and its current version."
            }
            ToolName::CreateDiagram => "Create a diagram from Mermaid text.",
            ToolName::UpdateDiagram => {
                "Change a diagram's title and/or Mermaid source. expected_version must be the \
                 version you last read: if the diagram changed since, nothing is written and \
                 the error is precondition_failed (read it again, then retry)."
            }
            ToolName::RenderDiagram => {
                "Render Mermaid text, or a saved diagram by id, to SVG (returned as text), \
                 PNG (returned as an image) or txt (a Unicode text drawing, returned as text, \
                 for the kinds that have one). Stores nothing."
            }
            ToolName::ShareDiagram => {
                "Turn a diagram's public read-only link on (returns the URL) or off (the old \
                 link stops working at once)."
            }
            ToolName::DeleteDiagram => {
                "Move a diagram to the trash (restorable for 30 days in Reef). With \
                 expected_version, refuse if the diagram changed since that version."
            }
        }
    }

    fn input_schema(self) -> Result<Arc<JsonObject>, String> {
        match self {
            ToolName::ListDiagrams => schema::<ListArgs>(),
            ToolName::GetDiagram => schema::<IdArgs>(),
            ToolName::CreateDiagram => schema::<CreateArgs>(),
            ToolName::UpdateDiagram => schema::<UpdateArgs>(),
            ToolName::RenderDiagram => schema::<RenderArgs>(),
            ToolName::ShareDiagram => schema::<ShareArgs>(),
            ToolName::DeleteDiagram => schema::<DeleteArgs>(),
        }
    }

    /// The tool as `tools/list` shows it.
    pub fn definition(self) -> Result<Tool, String> {
        let annotations = ToolAnnotations::new()
            .read_only(!self.writes())
            .destructive(self == ToolName::DeleteDiagram)
            .idempotent(!matches!(self, ToolName::CreateDiagram))
            // Only the caller's own diagrams, never the outside world.
            .open_world(false);
        Ok(Tool::new(
            Cow::Borrowed(self.as_str()),
            Cow::Borrowed(self.description()),
            self.input_schema()?,
        )
        .with_annotations(annotations))
    }
}

/// JSON Schema's own `format` values (2020-12 §7.3); schemars also writes Rust's integer
/// widths (`uint32`, `int64`), which strict clients reject.
const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// A tool's input schema as every MCP client reads it: `$ref`s inlined (no `$defs`), an
/// optional field typed `T` rather than `[T, "null"]` (leaving it out is how to omit it), and
/// only standard `format` values. MCP Inspector's `--strict` mode checks exactly these.
fn schema<T: JsonSchema + std::any::Any>() -> Result<Arc<JsonObject>, String> {
    let raw = rmcp::handler::server::common::schema_for_input::<T>()?;
    let mut root = serde_json::Value::Object(raw.as_ref().clone());
    let defs = root
        .as_object_mut()
        .and_then(|o| o.remove("$defs"))
        .unwrap_or_default();
    portable(&mut root, &defs, 0)?;
    match root {
        serde_json::Value::Object(object) => Ok(Arc::new(object)),
        _ => Err("the input schema is not an object".into()),
    }
}

fn portable(
    node: &mut serde_json::Value,
    defs: &serde_json::Value,
    depth: u8,
) -> Result<(), String> {
    use serde_json::Value;
    if depth > 16 {
        return Err("the input schema nests too deeply (a recursive type?)".into());
    }
    if let Value::Array(items) = node {
        for item in items {
            portable(item, defs, depth + 1)?;
        }
        return Ok(());
    }
    let Value::Object(object) = node else {
        return Ok(());
    };
    // `Option<T>` of a referenced type: `anyOf: [T, {"type": "null"}]` becomes T itself.
    if let Some(Value::Array(options)) = object.get("anyOf") {
        let kept: Vec<Value> = options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .cloned()
            .collect();
        if let [Value::Object(only)] = kept.as_slice() {
            object.remove("anyOf");
            for (key, value) in only {
                object.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    if let Some(Value::String(reference)) = object.remove("$ref") {
        let name = reference.trim_start_matches("#/$defs/");
        let target = defs
            .get(name)
            .and_then(Value::as_object)
            .ok_or_else(|| format!("the input schema refers to a missing {reference}"))?;
        for (key, value) in target {
            object.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    if let Some(Value::Array(types)) = object.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if let [only] = kept.as_slice() {
            object.insert("type".into(), only.clone());
        }
    }
    if object
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| !STANDARD_FORMATS.contains(&f))
    {
        object.remove("format");
    }
    for value in object.values_mut() {
        portable(value, defs, depth + 1)?;
    }
    Ok(())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    /// The next_cursor of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[schemars(range(min = 1, max = 200))]
    limit: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct IdArgs {
    /// The diagram's id.
    id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateArgs {
    /// 1 to 200 characters on one line (default "Untitled diagram").
    title: Option<String>,
    /// Mermaid text, at most 256 KiB.
    source: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UpdateArgs {
    /// The diagram's id.
    id: String,
    /// A new title; the current one is kept when left out.
    title: Option<String>,
    /// New Mermaid text; the current text is kept when left out.
    source: Option<String>,
    /// The version you last read (from get_diagram, list_diagrams or a previous update).
    expected_version: i64,
}

/// The formats `render_diagram` answers in: those an MCP content block carries (text or an
/// image), by [`ExportFormat`]'s extension.
#[derive(Clone, Copy)]
struct ToolFormat(ExportFormat);

impl ToolFormat {
    const NAMES: &[&str] = &["svg", "png", "txt"];
}

impl<'de> Deserialize<'de> for ToolFormat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = ToolFormat;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("string or map")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<ToolFormat, E> {
                ToolFormat::NAMES
                    .contains(&name)
                    .then(|| ExportFormat::from_ext(name))
                    .flatten()
                    .map(ToolFormat)
                    .ok_or_else(|| E::unknown_variant(name, ToolFormat::NAMES))
            }
        }
        deserializer.deserialize_any(Name)
    }
}

impl JsonSchema for ToolFormat {
    fn schema_name() -> Cow<'static, str> {
        "Format".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "oneOf": [
                { "type": "string", "enum": ["svg", "png"] },
                {
                    "description": "A Unicode text drawing (flowcharts, sequence diagrams and the other kinds that have one).",
                    "type": "string",
                    "const": "txt",
                },
            ]
        })
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RenderArgs {
    /// Mermaid text to render. Give this or id.
    source: Option<String>,
    /// A saved diagram to render. Give this or source.
    id: Option<String>,
    /// svg (default), png, or txt: a Unicode text drawing an agent can read, for the kinds that
    /// have one.
    format: Option<ToolFormat>,
    /// PNG pixel density, 1 to 4 (default 2).
    #[schemars(range(min = 1, max = 4))]
    scale: Option<u8>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ShareArgs {
    /// The diagram's id.
    id: String,
    /// true to share with a public read-only link, false to stop sharing.
    enabled: bool,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DeleteArgs {
    /// The diagram's id.
    id: String,
    /// Refuse if the diagram is no longer at this version.
    expected_version: Option<i64>,
}

/// Who calls, and where share links start (as on the REST API).
pub struct Call<'a> {
    pub state: &'a AppState,
    pub caller: &'a ApiCaller,
    pub base: BaseUrl,
}

impl Call<'_> {
    /// Runs a tool. Every failure is a tool result with `isError` and the API's error code,
    /// so the model can read it and correct itself.
    pub async fn run(&self, tool: ToolName, args: JsonObject) -> CallToolResult {
        let access = if tool.writes() {
            Access::Write
        } else {
            Access::Read
        };
        if let Err(refused) = self.caller.check_scope(access) {
            return failure(refused);
        }
        let outcome = match tool {
            ToolName::ListDiagrams => self.list(args).await,
            ToolName::GetDiagram => self.get(args).await,
            ToolName::CreateDiagram => self.create(args).await,
            ToolName::UpdateDiagram => self.update(args).await,
            ToolName::RenderDiagram => self.render(args).await,
            ToolName::ShareDiagram => self.share(args).await,
            ToolName::DeleteDiagram => self.delete(args).await,
        };
        outcome.unwrap_or_else(failure)
    }

    async fn list(&self, args: JsonObject) -> ApiResult<CallToolResult> {
        let args: ListArgs = parse(args)?;
        let limit = args.limit.map(|n| n as usize);
        let page = diagrams::list_page(
            self.state,
            &self.caller.owner(),
            limit,
            args.cursor.as_deref(),
        )
        .await?;
        structured(&ListJson::new(&self.base, page))
    }

    async fn get(&self, args: JsonObject) -> ApiResult<CallToolResult> {
        let args: IdArgs = parse(args)?;
        let d = diagrams::get(
            self.state,
            &self.caller.owner(),
            &DiagramId::parse(&args.id)?,
        )
        .await?;
        structured(&DiagramJson::new(&self.base, d, true))
    }

    async fn create(&self, args: JsonObject) -> ApiResult<CallToolResult> {
        let args: CreateArgs = parse(args)?;
        let d = diagrams::create(
            self.state,
            &self.caller.owner(),
            args.title.as_deref(),
            &args.source,
        )
        .await?;
        structured(&DiagramJson::new(&self.base, d, true))
    }

    async fn update(&self, args: JsonObject) -> ApiResult<CallToolResult> {
        let args: UpdateArgs = parse(args)?;
        let id = DiagramId::parse(&args.id)?;
        let (title, source) = (args.title, args.source);
        let d = diagrams::update(
            self.state,
            &self.caller.owner(),
            &id,
            Some(args.expected_version),
            move |d| {
                (
                    title.unwrap_or_else(|| d.title.clone()),
                    source.unwrap_or_else(|| d.source.clone()),
                )
            },
        )
        .await?;
        structured(&DiagramJson::new(&self.base, d, true))
    }

    async fn render(&self, args: JsonObject) -> ApiResult<CallToolResult> {
        let args: RenderArgs = parse(args)?;
        let source = match (args.source, args.id) {
            (Some(source), None) => source,
            (None, Some(id)) => {
                diagrams::get(self.state, &self.caller.owner(), &DiagramId::parse(&id)?)
                    .await?
                    .source
            }
            _ => return Err(ApiError::invalid("Give either source or id, not both.")),
        };
        let format = args.format.map_or(ExportFormat::Svg, |f| f.0);
        // The scale is PNG's alone (and ignored for the others, as it always was here).
        let options = match format {
            ExportFormat::Png => {
                ExportOptions::new(args.scale, false).map_err(ApiError::invalid)?
            }
            _ => ExportOptions::default(),
        };
        let output = diagrams::export(
            self.state,
            self.caller.requester(),
            &source,
            format,
            options,
        )
        .await?;
        let content = match format {
            ExportFormat::Png => ContentBlock::image(
                base64::engine::general_purpose::STANDARD.encode(output),
                "image/png",
            ),
            _ => ContentBlock::text(String::from_utf8_lossy(&output).as_ref()),
        };
        Ok(CallToolResult::success(vec![content]))
    }

    async fn share(&self, args: JsonObject) -> ApiResult<CallToolResult> {
        let args: ShareArgs = parse(args)?;
        let id = DiagramId::parse(&args.id)?;
        let d = diagrams::set_sharing(self.state, &self.caller.owner(), &id, args.enabled).await?;
        structured(&ShareJson::new(&self.base, &d))
    }

    async fn delete(&self, args: JsonObject) -> ApiResult<CallToolResult> {
        let args: DeleteArgs = parse(args)?;
        let id = DiagramId::parse(&args.id)?;
        diagrams::trash(self.state, &self.caller.owner(), &id, args.expected_version).await?;
        let mut result = CallToolResult::success(vec![ContentBlock::text(format!(
            "Moved diagram {id} to the trash; it can be restored in Reef for 30 days."
        ))]);
        result.structured_content = Some(json!({ "id": id.as_str(), "trashed": true }));
        Ok(result)
    }
}

fn parse<T: DeserializeOwned>(args: JsonObject) -> ApiResult<T> {
    serde_json::from_value(Value::Object(args))
        .map_err(|e| ApiError::invalid(format!("The arguments do not fit: {e}.")))
}

/// A JSON result: as structured content, and as text for clients that read only text.
fn structured(value: &impl serde::Serialize) -> ApiResult<CallToolResult> {
    let value = serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut result = CallToolResult::success(vec![ContentBlock::text(value.to_string())]);
    result.structured_content = Some(value);
    Ok(result)
}

/// A tool error: `code: sentence` as text, and the API's envelope as structured content.
fn failure(error: ApiError) -> CallToolResult {
    let text = format!("{}: {}", error.code(), error.message());
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content = Some(error.to_value());
    result
}
