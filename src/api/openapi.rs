//! The OpenAPI 3.1 document at `GET /api/openapi.json`. Paths come from the handlers'
//! `#[utoipa::path]` annotations via the route table in `api::authenticated_routes`; this module
//! holds what is shared: the bearer scheme and its scopes, the error envelope and the reusable
//! error responses.

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, RefOr};
use utoipa::{Modify, OpenApi, PartialSchema, ToResponse, ToSchema};

use crate::auth::Access;
use crate::config::Config;
use crate::error::{CODES, ErrorBody};

const DESCRIPTION: &str = "\
Reef's JSON API for scripts, CI jobs and agents. Authenticate with \
`Authorization: Bearer reef_…` (a token made in Settings → API tokens); every authenticated \
response carries `Reef-Token-Expires`.

Errors always use the envelope `{\"error\": \"<stable_code>\", \"message\": \"<sentence>\"}` \
(see the `ErrorBody` schema for every code). Any path answers `405 method_not_allowed` to a \
method it does not list, and unknown paths answer `404 not_found`. Other accounts' diagrams \
answer 404, never 403.

`PUT`, `PATCH` and `DELETE` honour `If-Match: \"<version>\"` (the ETag): a stale version gets \
`412 precondition_failed` and nothing is overwritten.";

/// The document's fixed parts: info, security scheme, tags, the error envelope and responses.
#[derive(OpenApi)]
#[openapi(
    info(title = "Reef API", description = DESCRIPTION),
    components(
        schemas(ErrorBody),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            PreconditionFailed,
            TooLarge,
            UnsupportedMediaType,
            Invalid,
            RateLimited,
            RenderFailed
        )
    ),
    modifiers(&Bearer, &ErrorCodes),
    tags(
        (name = "account", description = "The caller"),
        (name = "diagrams", description = "Your diagrams: CRUD with ETags, sharing, revisions, exports"),
        (name = "rendering", description = "Mermaid to SVG, PNG, PDF or a text drawing, storing nothing"),
        (name = "meta", description = "This document"),
    )
)]
struct Base;

/// The document's fixed parts (info, the bearer scheme, tags, the error envelope and
/// responses); the paths are added from the route table.
pub fn base() -> utoipa::openapi::OpenApi {
    Base::openapi()
}

/// The `bearer` scheme. Scopes on an operation name the least token scope it needs.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("reef_ + 32 random bytes base62 + 6-char checksum".into());
        http.description = Some(
            "An API token from Settings → API tokens. Scope `read` may call every GET and \
             `POST /api/render` (which stores nothing); any other call with it is \
             `403 insufficient_scope`. Scope `read-write` may call everything. Missing, \
             malformed, unknown, expired and revoked tokens all get the same bare \
             `401 {\"error\":\"unauthorized\"}`."
                .into(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// Lists every stable error code in the `ErrorBody` schema's description, from the same table
/// the code comes from, so the list cannot go stale.
struct ErrorCodes;

impl Modify for ErrorCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(RefOr::T(Schema::Object(object))) = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("ErrorBody"))
        else {
            return;
        };
        let mut text = String::from(
            "The error envelope. Codes (rendering failures may also carry the renderer's own \
             codes, with status 413, 422 or 503):\n",
        );
        for (code, meaning) in CODES {
            text.push_str(&format!("\n- `{code}` — {meaning}"));
        }
        object.description = Some(text);
    }
}

/// A file body of one media type: raw bytes, which OpenAPI 3.1 spells as a schema without a
/// `type` (the bytes are no JSON string) carrying the `contentMediaType`, plus
/// `format: binary` for generators written for 3.0.
macro_rules! file_schema {
    ($(#[$doc:meta])* $name:ident, $media:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                    .content_media_type($media)
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

file_schema!(
    /// A PNG image.
    Png,
    "image/png"
);
file_schema!(
    /// A PDF document.
    Pdf,
    "application/pdf"
);
file_schema!(
    /// An SVG image (served with a sandboxing Content-Security-Policy).
    Svg,
    "image/svg+xml"
);
file_schema!(
    /// A Mermaid text file, offered as a download.
    MermaidFile,
    "text/vnd.mermaid"
);

/// A raw Mermaid text body (`curl -T file.mmd`): a string, not empty, not only whitespace.
pub struct MermaidText;

impl PartialSchema for MermaidText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("Mermaid text, at most 256 KiB."))
            .min_length(Some(1))
            .pattern(Some(r"\S"))
            .into()
    }
}

impl ToSchema for MermaidText {}

fn error_content() -> Content {
    Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
        "ErrorBody",
    ))))
}

fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", error_content())
}

fn string_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(Object::with_type(Type::String)))
        .description(Some(description))
        .build()
}

/// Declares reusable error responses: a marker type per response, each a component.
macro_rules! error_responses {
    ($($name:ident => $build:expr;)*) => {
        $(
            pub struct $name;
            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                    (stringify!($name), RefOr::T($build.build()))
                }
            }
        )*
    };
}

error_responses! {
    BadRequest => error_response(
        "`bad_request`: the address, query or headers could not be read (a malformed or \
         repeated query parameter, say).",
    );
    Unauthorized => error_response(
        "`unauthorized`: no valid bearer token (the body is exactly `{\"error\":\"unauthorized\"}`).",
    )
    .header("WWW-Authenticate", string_header("`Bearer`"));
    Forbidden => error_response(
        "`insufficient_scope`: a read token attempted a write (or `csrf_failed` for a browser \
         session without its CSRF header).",
    );
    NotFound => error_response(
        "`not_found`: no such diagram or revision, or it belongs to another account.",
    );
    PreconditionFailed => error_response(
        "`precondition_failed`: If-Match names an older version; `current_version` is current.",
    );
    TooLarge => error_response(
        "`payload_too_large`: the body is over 1 MiB (or the renderer's size limit).",
    );
    UnsupportedMediaType => error_response(
        "`unsupported_media_type`: send a Content-Type this operation lists.",
    );
    Invalid => error_response(
        "`invalid_json`, `invalid_body`, `invalid_utf8`, `invalid_input`, `invalid_cursor`, or \
         a rendering error such as `parse_error` (with `line` and `column`).",
    );
    RateLimited => error_response(
        "`rate_limited`: this account's read or write bucket is empty.",
    )
    .header("Retry-After", string_header("Seconds to wait."));
    RenderFailed => error_response(
        "The renderer timed out or is unavailable; try again later.",
    );
}

/// Writes each operation's least token scope from the same policy the bearer door enforces
/// ([`Access::of_rest`]), so the document cannot promise a read token more or less than it
/// gets. `prefix` is where the API is nested (`/api`); operations marked as needing no token
/// (`security(())`) are left alone.
pub fn scopes_from_policy(openapi: &mut utoipa::openapi::OpenApi, prefix: &str) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let relative = path.strip_prefix(prefix).unwrap_or(path);
        let operations = [
            (Method::GET, &mut item.get),
            (Method::PUT, &mut item.put),
            (Method::POST, &mut item.post),
            (Method::DELETE, &mut item.delete),
            (Method::PATCH, &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else {
                continue;
            };
            let public = operation
                .security
                .as_ref()
                .is_some_and(|s| s.iter().all(|r| r == &SecurityRequirement::default()));
            if public {
                continue;
            }
            let scope = match Access::of_rest(&method, relative) {
                Access::Read => "read",
                Access::Write => "read-write",
            };
            operation.security = Some(vec![SecurityRequirement::new("bearer", [scope])]);
        }
    }
}

/// The `$ref` to a reusable response, or an inline one, keyed by status.
fn response_map(
    entries: &[(u16, Option<&str>)],
) -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    entries
        .iter()
        .map(|(status, component)| {
            let response = match component {
                Some(name) => RefOr::Ref(utoipa::openapi::Ref::from_response_name(*name)),
                // The one inline entry: a 304 has no body.
                None => RefOr::T(
                    ResponseBuilder::new()
                        .description("Not modified: If-None-Match named the current ETag.")
                        .build(),
                ),
            };
            (status.to_string(), response)
        })
        .collect()
}

/// Declares the error responses an operation can give as one named set (an
/// `IntoResponses`), so operations that fail alike share one list: `(status, component)`,
/// `None` for `304 Not Modified`.
macro_rules! response_sets {
    ($($(#[$doc:meta])* $name:ident = [$($status:literal => $component:expr),* $(,)?];)*) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl utoipa::IntoResponses for $name {
                fn responses(
                ) -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
                    response_map(&[$(($status, $component)),*])
                }
            }
        )*
    };
}

response_sets! {
    /// Reading the caller's own data.
    ReadErrors = [401 => Some("Unauthorized"), 429 => Some("RateLimited")];
    /// Reading one diagram or revision.
    ReadOneErrors = [401 => Some("Unauthorized"), 404 => Some("NotFound"), 429 => Some("RateLimited")];
    /// Listing with a query.
    ListErrors = [400 => Some("BadRequest"), 401 => Some("Unauthorized"), 422 => Some("Invalid"), 429 => Some("RateLimited")];
    /// Creating from a JSON body.
    CreateErrors = [401 => Some("Unauthorized"), 403 => Some("Forbidden"), 413 => Some("TooLarge"), 415 => Some("UnsupportedMediaType"), 422 => Some("Invalid"), 429 => Some("RateLimited")];
    /// Changing a diagram with a body, under If-Match.
    WriteErrors = [401 => Some("Unauthorized"), 403 => Some("Forbidden"), 404 => Some("NotFound"), 412 => Some("PreconditionFailed"), 413 => Some("TooLarge"), 415 => Some("UnsupportedMediaType"), 422 => Some("Invalid"), 429 => Some("RateLimited")];
    /// Trashing a diagram, under If-Match.
    DeleteErrors = [401 => Some("Unauthorized"), 403 => Some("Forbidden"), 404 => Some("NotFound"), 412 => Some("PreconditionFailed"), 429 => Some("RateLimited")];
    /// Restoring from the trash.
    RestoreErrors = [401 => Some("Unauthorized"), 403 => Some("Forbidden"), 404 => Some("NotFound"), 429 => Some("RateLimited")];
    /// Changing a diagram's share state.
    ShareErrors = [401 => Some("Unauthorized"), 403 => Some("Forbidden"), 404 => Some("NotFound"), 413 => Some("TooLarge"), 415 => Some("UnsupportedMediaType"), 422 => Some("Invalid"), 429 => Some("RateLimited")];
    /// A rendered export of a stored diagram (conditional GET).
    DrawingErrors = [304 => None, 400 => Some("BadRequest"), 401 => Some("Unauthorized"), 404 => Some("NotFound"), 413 => Some("TooLarge"), 422 => Some("Invalid"), 429 => Some("RateLimited"), 503 => Some("RenderFailed")];
    /// The Mermaid text of a stored diagram (conditional GET).
    TextErrors = [304 => None, 400 => Some("BadRequest"), 401 => Some("Unauthorized"), 404 => Some("NotFound"), 429 => Some("RateLimited")];
    /// Rendering text that is sent, storing nothing.
    RenderErrors = [400 => Some("BadRequest"), 401 => Some("Unauthorized"), 403 => Some("Forbidden"), 413 => Some("TooLarge"), 415 => Some("UnsupportedMediaType"), 422 => Some("Invalid"), 429 => Some("RateLimited"), 503 => Some("RenderFailed")];
}

/// The whole document as JSON, built once, with the parts utoipa's annotations cannot say
/// written in by [`complete`].
fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut document = serde_json::to_value(super::openapi()).unwrap_or_default();
        complete(&mut document);
        serde_json::to_string(&document).unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not serialise the OpenAPI document");
            String::from("{}")
        })
    })
}

/// The server list as served: Reef's public path (`/` at a host's root, `/reef` under a
/// sub-path), so generated clients call the right place; the document is built with `/` and
/// the path written in per request.
fn servers(url: &str) -> String {
    let list = serde_json::json!([{"url": url, "description": "This Reef server."}]);
    format!("\"servers\":{list}")
}

/// An example of each body the API takes or gives, so every operation shows one (documentation
/// tools show a schema's `examples` wherever it is used).
fn add_examples(document: &mut serde_json::Value) {
    use serde_json::json;
    const FLOW: &str = "flowchart LR\n    idea([Idea]) --> sketch[Sketch it in Reef]\n";
    let diagram = json!({
        "id": "k3J9xQ2mZp7A",
        "title": "Release flow",
        "source": FLOW,
        "version": 3,
        "created_at": "2026-11-02T09:14:05Z",
        "updated_at": "2026-11-30T16:40:12Z",
        "shared": true,
        "share_url": "https://reef.example.net/s/Qe8vN2cT5rLw0aZb",
    });
    let examples = [
        (
            "CreateBody",
            json!({"title": "Release flow", "source": FLOW}),
        ),
        (
            "ReplaceBody",
            json!({"title": "Release flow", "source": FLOW}),
        ),
        ("PatchBody", json!({"title": "Release flow, reviewed"})),
        ("RenderBody", json!({"source": FLOW})),
        ("ShareBody", json!({"enabled": true})),
        ("MermaidText", json!(FLOW)),
        ("DiagramJson", diagram.clone()),
        (
            "ListJson",
            json!({"items": [diagram], "next_cursor": "1764520812.k3J9xQ2mZp7A"}),
        ),
        (
            "ShareJson",
            json!({"enabled": true, "url": "https://reef.example.net/s/Qe8vN2cT5rLw0aZb"}),
        ),
        (
            "RevisionJson",
            json!({"version": 2, "title": "Release flow", "source": FLOW, "created_at": "2026-11-29T11:02:44Z"}),
        ),
        (
            "ErrorBody",
            json!({"error": "precondition_failed", "message": "the diagram changed since the version in If-Match", "current_version": 4}),
        ),
    ];
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for (name, example) in examples {
        if let Some(schema) = schemas
            .get_mut(name)
            .and_then(serde_json::Value::as_object_mut)
        {
            schema
                .entry("examples")
                .or_insert_with(|| serde_json::Value::Array(vec![example]));
        }
    }
}

/// A diagram id in a path: what `DiagramId` accepts.
const ID_PATTERN: &str = "^[A-Za-z0-9]{1,32}$";

/// What every operation answers besides its own responses, and what annotations cannot
/// express: the server list; `405` and `500` in the envelope; `Reef-Token-Expires` on every
/// answer to a bearer call but `401`; and the id pattern that tells `/diagrams/{id}` from
/// `/diagrams/{id}.svg` apart.
fn complete(document: &mut serde_json::Value) {
    use serde_json::{Value, json};
    if let Some(root) = document.as_object_mut() {
        root.insert(
            "servers".into(),
            json!([{"url": "/", "description": "This Reef server."}]),
        );
    }
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        })
    };
    let expires = json!({
        "description": "When the token used expires (RFC 3339, UTC).",
        "schema": {"type": "string", "format": "date-time"},
    });
    add_examples(document);
    let shared = document
        .pointer("/components/responses")
        .cloned()
        .unwrap_or_default();
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    // `/diagrams/{id}.svg` also fits the template `/diagrams/{id}`; validators that take the
    // first template fitting a URL (openapi-core) must meet the exports first.
    let mut entries: Vec<(String, Value)> = std::mem::take(paths).into_iter().collect();
    entries.sort_by_key(|(path, _)| !path.contains("}."));
    paths.extend(entries);
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (method, operation) in item.iter_mut() {
            if !["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let bearer = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            if let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            {
                for parameter in parameters {
                    if parameter["in"] == "path" && parameter["name"] == "id" {
                        parameter["schema"] = json!({"type": "string", "pattern": ID_PATTERN});
                    }
                }
            }
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            responses
                .entry("405")
                .or_insert_with(|| error("`method_not_allowed`: the path does not take this method; `Allow` lists those it does."));
            responses.entry("500").or_insert_with(|| {
                error("`internal_error`: Reef could not complete the request (the detail is logged, never returned).")
            });
            if bearer {
                for (status, response) in responses.iter_mut() {
                    if status == "401" {
                        continue;
                    }
                    // A reference cannot carry headers of its own: this operation gets a copy.
                    let named = response
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix("#/components/responses/"))
                        .and_then(|name| shared.get(name))
                        .cloned();
                    if let Some(copy) = named {
                        *response = copy;
                    }
                    if let Some(response) = response.as_object_mut() {
                        let headers = response.entry("headers").or_insert_with(|| json!({}));
                        if let Some(headers) = headers.as_object_mut() {
                            headers.insert("Reef-Token-Expires".into(), expires.clone());
                        }
                    }
                }
            }
        }
    }
}

/// This document
///
/// The OpenAPI 3.1 description of every route under `/api`. No authentication needed.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "get_openapi",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json", body = serde_json::Value))
)]
pub async fn document(State(config): State<Arc<Config>>) -> Response {
    let path = config.public_path();
    let body = if path.is_empty() {
        json().to_owned()
    } else {
        json().replacen(&servers("/"), &servers(path), 1)
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
