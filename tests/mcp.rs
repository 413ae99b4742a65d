//! The MCP endpoint as an agent's client sees it: JSON-RPC over streamable HTTP with a bearer
//! token, the handshake, the tool list a token's scope allows, every tool end to end (checked
//! through the REST API), and every way a request can be refused.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use base64::Engine;
use common::{Api, TestServer, signed_in};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const FLOW: &str = "flowchart LR\n  A[Start] --> B[End]\n";
const PROTOCOL: &str = "2025-06-18";

/// The client configuration the README gives (`mcpServers`, as Claude Desktop, Claude Code,
/// Cursor and others read it): the first ```json block that mentions `mcpServers`. The test
/// fills in the server's address and a token.
fn readme_client_config() -> String {
    let readme = include_str!("../README.md");
    readme
        .split("```json")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .find(|block| block.contains("mcpServers"))
        .unwrap()
        .to_owned()
}

/// A minimal streamable-HTTP MCP client: one POST per JSON-RPC message.
struct Mcp {
    url: String,
    authorization: Option<String>,
    client: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The JSON-RPC result, asserting the exchange succeeded.
    fn result(&self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        let body = self.json();
        assert_eq!(body["jsonrpc"], "2.0");
        assert!(body.get("error").is_none(), "{body}");
        body["result"].clone()
    }
}

impl Mcp {
    fn new(server: &TestServer, token: &str) -> Self {
        Self {
            url: server.url("/mcp"),
            authorization: Some(format!("Bearer {token}")),
            client: reqwest::Client::new(),
        }
    }

    fn anonymous(server: &TestServer) -> Self {
        Self {
            url: server.url("/mcp"),
            authorization: None,
            client: reqwest::Client::new(),
        }
    }

    async fn post_raw(&self, content_type: &str, body: Vec<u8>) -> Answer {
        // The negotiated version travels in a header on every request after `initialize`.
        let initialize =
            serde_json::from_slice::<Value>(&body).is_ok_and(|m| m["method"] == "initialize");
        let mut request = self
            .client
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", content_type)
            .body(body);
        if !initialize {
            request = request.header("mcp-protocol-version", PROTOCOL);
        }
        if let Some(auth) = &self.authorization {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        }
    }

    async fn send(&self, message: Value) -> Answer {
        self.post_raw("application/json", serde_json::to_vec(&message).unwrap())
            .await
    }

    async fn request(&self, method: &str, params: Value) -> Answer {
        self.send(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .await
    }

    async fn initialize(&self) -> Value {
        let result = self
            .request(
                "initialize",
                json!({
                    "protocolVersion": PROTOCOL,
                    "capabilities": {},
                    "clientInfo": {"name": "reef-tests", "version": "1"},
                }),
            )
            .await
            .result();
        let done = self
            .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(done.status, StatusCode::ACCEPTED);
        result
    }

    async fn tool_names(&self) -> Vec<String> {
        let result = self.request("tools/list", json!({})).await.result();
        result["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A tool result (successful or not), asserting it is a result and not a protocol error.
    async fn call(&self, name: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
            .result()
    }

    /// A successful tool call's structured content.
    async fn ok(&self, name: &str, arguments: Value) -> Value {
        let result = self.call(name, arguments).await;
        assert_eq!(result["isError"], false, "{name}: {result}");
        result["structuredContent"].clone()
    }

    /// A failed tool call's error code, checked against its text.
    async fn tool_error(&self, name: &str, arguments: Value) -> (String, Value) {
        let result = self.call(name, arguments).await;
        assert_eq!(result["isError"], true, "{name}: {result}");
        let code = result["structuredContent"]["error"]
            .as_str()
            .unwrap()
            .to_owned();
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(text.starts_with(&format!("{code}: ")), "{text}");
        (code, result)
    }
}

async fn setup() -> (TestServer, common::Browser, Mcp, Api) {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let token = b.create_token("agent", "read-write").await;
    let mcp = Mcp::new(&server, &token);
    let api = Api::new(&server, &token);
    (server, b, mcp, api)
}

const ALL_TOOLS: [&str; 7] = [
    "list_diagrams",
    "get_diagram",
    "create_diagram",
    "update_diagram",
    "render_diagram",
    "share_diagram",
    "delete_diagram",
];
const READ_TOOLS: [&str; 3] = ["list_diagrams", "get_diagram", "render_diagram"];

#[tokio::test]
async fn initialize_negotiates_the_version_and_names_the_server() {
    let (_server, _b, mcp, _api) = setup().await;
    let answer = mcp
        .request(
            "initialize",
            json!({
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "reef-tests", "version": "1"},
            }),
        )
        .await;
    assert_eq!(answer.headers["content-type"], "application/json");
    let result = answer.result();
    assert_eq!(result["protocolVersion"], PROTOCOL);
    assert_eq!(result["serverInfo"]["name"], "reef");
    assert!(result["capabilities"]["tools"].is_object(), "{result}");
    assert!(
        result["instructions"]
            .as_str()
            .unwrap()
            .contains("expected_version")
    );

    // A version the server does not know is answered with one it does.
    let other = mcp
        .request(
            "initialize",
            json!({
                "protocolVersion": "1999-01-01",
                "capabilities": {},
                "clientInfo": {"name": "old", "version": "1"},
            }),
        )
        .await
        .result();
    let offered = other["protocolVersion"].as_str().unwrap();
    assert!(
        offered.starts_with("20") && offered != "1999-01-01",
        "{offered}"
    );

    let notified = mcp
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    assert_eq!(notified.status, StatusCode::ACCEPTED);
    assert_eq!(mcp.request("ping", json!({})).await.result(), json!({}));
}

#[tokio::test]
async fn a_read_write_token_sees_every_tool_and_a_read_token_only_the_read_tools() {
    let (server, b, mcp, _api) = setup().await;
    mcp.initialize().await;
    assert_eq!(mcp.tool_names().await, ALL_TOOLS);
    let tools = mcp.request("tools/list", json!({})).await.result();
    for tool in tools["tools"].as_array().unwrap() {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert!(tool["description"].as_str().unwrap().len() > 20, "{tool}");
    }
    // Portable schemas (what MCP Inspector's --strict checks): no references, no nullable
    // type unions, no Rust integer formats; each property still says what it takes.
    for tool in tools["tools"].as_array().unwrap() {
        let text = tool["inputSchema"].to_string();
        for forbidden in [
            "$ref", "$defs", "\"null\"", "uint", "int32", "int64", "uint8",
        ] {
            assert!(!text.contains(forbidden), "{forbidden} in {text}");
        }
        for (name, property) in tool["inputSchema"]["properties"].as_object().unwrap() {
            assert!(
                property.get("type").is_some_and(Value::is_string)
                    || property.get("oneOf").is_some(),
                "{}.{name}: {property}",
                tool["name"]
            );
        }
    }
    let render = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "render_diagram")
        .unwrap();
    let format = &render["inputSchema"]["properties"]["format"];
    assert_eq!(
        format["oneOf"][0]["enum"],
        json!(["svg", "png"]),
        "{format}"
    );
    let scale = &render["inputSchema"]["properties"]["scale"];
    assert_eq!(
        (scale["minimum"].clone(), scale["maximum"].clone()),
        (json!(1), json!(4))
    );
    let update = &tools["tools"][3];
    assert_eq!(update["name"], "update_diagram");
    let required = update["inputSchema"]["required"].as_array().unwrap();
    assert!(required.contains(&json!("id")) && required.contains(&json!("expected_version")));

    let reader = Mcp::new(&server, &b.create_token("reader", "read").await);
    reader.initialize().await;
    assert_eq!(reader.tool_names().await, READ_TOOLS);
}

#[tokio::test]
async fn every_tool_works_end_to_end_as_the_rest_api_sees_it() {
    let (server, _b, mcp, api) = setup().await;
    mcp.initialize().await;

    let created = mcp
        .ok(
            "create_diagram",
            json!({"title": "Pipeline", "source": FLOW}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["version"], 1);
    let rest = api.get(&format!("/api/diagrams/{id}")).await;
    assert_eq!(rest.json()["title"], "Pipeline");
    assert_eq!(rest.json()["source"], FLOW);

    let untitled = mcp.ok("create_diagram", json!({"source": FLOW})).await;
    assert_eq!(untitled["title"], "Untitled diagram");

    let page = mcp.ok("list_diagrams", json!({"limit": 1})).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let next = page["next_cursor"].as_str().unwrap();
    let rest_page = api.get("/api/diagrams?limit=1").await.json();
    assert_eq!(page["items"][0]["id"], rest_page["items"][0]["id"]);
    let second = mcp
        .ok("list_diagrams", json!({"limit": 1, "cursor": next}))
        .await;
    assert!(second["next_cursor"].is_null());
    let mut seen =
        [&page["items"][0]["id"], &second["items"][0]["id"]].map(|v| v.as_str().unwrap());
    seen.sort_unstable();
    let mut made = [id.as_str(), untitled["id"].as_str().unwrap()];
    made.sort_unstable();
    assert_eq!(seen, made);

    let got = mcp.ok("get_diagram", json!({"id": id})).await;
    assert_eq!(got["source"], FLOW);
    // The text content carries the same JSON for clients that read only text.
    let text = mcp.call("get_diagram", json!({"id": id})).await;
    let parsed: Value = serde_json::from_str(text["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(parsed, got);

    let new_source = "flowchart TD\n  X --> Y\n";
    let updated = mcp
        .ok(
            "update_diagram",
            json!({"id": id, "source": new_source, "expected_version": 1}),
        )
        .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["title"], "Pipeline");
    let rest = api.get(&format!("/api/diagrams/{id}")).await;
    assert_eq!(rest.json()["source"], new_source);
    assert_eq!(rest.header("etag").unwrap(), "\"2\"");
    let renamed = mcp
        .ok(
            "update_diagram",
            json!({"id": id, "title": "Renamed", "expected_version": 2}),
        )
        .await;
    assert_eq!(renamed["source"], new_source);
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.json()["title"],
        "Renamed"
    );

    let svg = mcp
        .call("render_diagram", json!({"source": FLOW, "format": "svg"}))
        .await;
    assert_eq!(svg["isError"], false, "{svg}");
    assert!(svg["content"][0]["text"].as_str().unwrap().contains("<svg"));
    let by_id = mcp.call("render_diagram", json!({"id": id})).await;
    assert!(
        by_id["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("<svg")
    );
    let png = mcp
        .call(
            "render_diagram",
            json!({"id": id, "format": "png", "scale": 1}),
        )
        .await;
    if png["isError"] == false {
        let image = &png["content"][0];
        assert_eq!(image["type"], "image");
        assert_eq!(image["mimeType"], "image/png");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(image["data"].as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"));
    } else {
        // A renderer that cannot make PNGs right now says so as a tool error, like the
        // REST export's 503.
        let rest_png = api.get(&format!("/api/diagrams/{id}.png?scale=1")).await;
        assert_eq!(rest_png.status, StatusCode::SERVICE_UNAVAILABLE);
        let text = png["content"][0]["text"].as_str().unwrap();
        assert!(text.starts_with(&format!("{}: ", rest_png.json()["error"].as_str().unwrap())));
    }
    let broken = "flowchart LR\n  A --> B\n  ))((\n";
    let (code, result) = mcp
        .tool_error("render_diagram", json!({"source": broken}))
        .await;
    assert_eq!(code, "parse_error");
    // The same envelope as REST: where the text stops parsing, when known.
    let rest = api
        .post("/api/render", json!({"source": broken}))
        .await
        .json();
    let envelope = &result["structuredContent"];
    assert_eq!(envelope["line"], rest["line"], "{envelope}");
    assert_eq!(envelope["column"], rest["column"], "{envelope}");
    assert!(envelope["line"].is_u64(), "{envelope}");

    let shared = mcp
        .ok("share_diagram", json!({"id": id, "enabled": true}))
        .await;
    assert_eq!(shared["enabled"], true);
    let url = shared["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/s/", server.base)), "{url}");
    assert_eq!(reqwest::get(url).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.json()["share_url"],
        url
    );
    let unshared = mcp
        .ok("share_diagram", json!({"id": id, "enabled": false}))
        .await;
    assert_eq!(unshared, json!({"enabled": false, "url": null}));
    assert_eq!(
        reqwest::get(url).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let deleted = mcp
        .ok("delete_diagram", json!({"id": id, "expected_version": 3}))
        .await;
    assert_eq!(deleted["trashed"], true);
    api.get(&format!("/api/diagrams/{id}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let other = untitled["id"].as_str().unwrap();
    mcp.ok("delete_diagram", json!({"id": other})).await;
    let (code, _) = mcp.tool_error("get_diagram", json!({"id": other})).await;
    assert_eq!(code, "not_found");
}

#[tokio::test]
async fn a_stale_expected_version_is_refused_and_nothing_is_overwritten() {
    let (_server, _b, mcp, api) = setup().await;
    mcp.initialize().await;
    let id = api.create("Shared", FLOW).await;
    let changed = api
        .json(
            Method::PATCH,
            &format!("/api/diagrams/{id}"),
            json!({"title": "Someone else's edit"}),
        )
        .await;
    assert_eq!(changed.json()["version"], 2);

    let (code, result) = mcp
        .tool_error(
            "update_diagram",
            json!({"id": id, "title": "Mine", "expected_version": 1}),
        )
        .await;
    assert_eq!(code, "precondition_failed");
    assert_eq!(result["structuredContent"]["current_version"], 2);
    let (code, _) = mcp
        .tool_error("delete_diagram", json!({"id": id, "expected_version": 1}))
        .await;
    assert_eq!(code, "precondition_failed");
    let rest = api.get(&format!("/api/diagrams/{id}")).await.json();
    assert_eq!(rest["title"], "Someone else's edit");
    assert_eq!(rest["version"], 2);

    // Tool input the API would refuse is refused the same way, as a tool error.
    let (code, _) = mcp
        .tool_error(
            "update_diagram",
            json!({"id": id, "source": " ", "expected_version": 2}),
        )
        .await;
    assert_eq!(code, "invalid_input");
    let (code, _) = mcp
        .tool_error("update_diagram", json!({"id": id, "title": "No version"}))
        .await;
    assert_eq!(code, "invalid_input");
    let (code, _) = mcp.tool_error("list_diagrams", json!({"limit": 500})).await;
    assert_eq!(code, "invalid_input");
    let (code, _) = mcp
        .tool_error("get_diagram", json!({"id": id, "colour": "red"}))
        .await;
    assert_eq!(code, "invalid_input");
}

#[tokio::test]
async fn a_read_token_may_read_and_render_but_write_tools_fail_with_insufficient_scope() {
    let (server, b, _mcp, api) = setup().await;
    let id = api.create("Mine", FLOW).await;
    let reader = Mcp::new(&server, &b.create_token("reader", "read").await);
    reader.initialize().await;
    let page = reader.ok("list_diagrams", json!({})).await;
    assert_eq!(page["items"][0]["id"], id.as_str());
    reader.ok("get_diagram", json!({"id": id})).await;
    let svg = reader.call("render_diagram", json!({"source": FLOW})).await;
    assert_eq!(svg["isError"], false);

    let writes = [
        ("create_diagram", json!({"source": FLOW})),
        (
            "update_diagram",
            json!({"id": id, "title": "x", "expected_version": 1}),
        ),
        ("share_diagram", json!({"id": id, "enabled": true})),
        ("delete_diagram", json!({"id": id})),
    ];
    for (tool, arguments) in writes {
        let (code, _) = reader.tool_error(tool, arguments).await;
        assert_eq!(code, "insufficient_scope", "{tool}");
    }
    let rest = api.get(&format!("/api/diagrams/{id}")).await.json();
    assert_eq!(rest["title"], "Mine");
    assert_eq!(rest["shared"], false);
    assert_eq!(
        api.get("/api/diagrams").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn without_a_valid_token_every_request_gets_the_same_bare_401() {
    let (server, b, _mcp, _api) = setup().await;
    let revoked = b.create_token("revoked", "read-write").await;
    let token_id = b.token_id("revoked").await;
    b.post(&format!("/settings/tokens/{token_id}/revoke"), &[])
        .await;

    let mut clients = vec![Mcp::anonymous(&server), Mcp::new(&server, &revoked)];
    clients.push(Mcp {
        authorization: Some("Bearer junk".into()),
        ..Mcp::anonymous(&server)
    });
    for mcp in &clients {
        for answer in [
            mcp.request("tools/list", json!({})).await,
            mcp.post_raw("application/json", b"{not json".to_vec())
                .await,
        ] {
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
            assert_eq!(answer.headers["www-authenticate"], "Bearer");
            assert_eq!(&answer.body[..], br#"{"error":"unauthorized"}"#);
        }
    }

    // A signed-in browser's session cookie (even with its CSRF token) is not a token.
    let csrf = b.csrf().await;
    let with_cookie = b
        .client
        .post(server.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .header("x-csrf-token", csrf)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        with_cookie.bytes().await.unwrap().as_ref(),
        br#"{"error":"unauthorized"}"#
    );
}

#[tokio::test]
async fn unknown_tools_and_methods_are_json_rpc_errors() {
    let (_server, _b, mcp, _api) = setup().await;
    mcp.initialize().await;
    let unknown_tool = mcp
        .request(
            "tools/call",
            json!({"name": "drop_database", "arguments": {}}),
        )
        .await;
    assert_eq!(unknown_tool.status, StatusCode::OK);
    let body = unknown_tool.json();
    assert_eq!(body["id"], 1);
    assert_eq!(body["error"]["code"], -32602);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("drop_database")
    );
    let unknown_method = mcp.request("diagrams/explode", json!({})).await.json();
    assert_eq!(unknown_method["error"]["code"], -32601, "{unknown_method}");
}

#[tokio::test]
async fn malformed_requests_get_json_rpc_errors_or_the_api_envelope() {
    let (server, _b, mcp, _api) = setup().await;
    let not_json = mcp
        .post_raw("application/json", b"{\"jsonrpc\": ".to_vec())
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    let body = not_json.json();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], Value::Null);
    assert_eq!(body["error"]["code"], -32700);

    for (message, id) in [
        (json!({"jsonrpc": "2.0", "id": 7}), json!(7)),
        (
            json!({"jsonrpc": "1.0", "id": "a", "method": "ping"}),
            json!("a"),
        ),
        (
            json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
            Value::Null,
        ),
        (json!("ping"), Value::Null),
    ] {
        let answer = mcp.send(message.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{message}");
        let body = answer.json();
        assert_eq!(body["error"]["code"], -32600, "{message}: {body}");
        assert_eq!(body["id"], id, "{message}");
    }

    let as_text = mcp
        .post_raw(
            "text/plain",
            br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec(),
        )
        .await;
    assert_eq!(as_text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(as_text.json()["error"], "unsupported_media_type");
    let huge = mcp
        .post_raw("application/json", vec![b' '; 1_100_000])
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.json()["error"], "payload_too_large");

    // No server-initiated stream: GET (and anything but POST) is not allowed.
    let get = reqwest::Client::new()
        .get(server.url("/mcp"))
        .header("accept", "text/event-stream")
        .header("authorization", mcp.authorization.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers()["allow"], "POST");
    let body: Value = get.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
}

#[tokio::test]
async fn mcp_requests_count_against_the_read_and_write_buckets() {
    let server = TestServer::start_with(|c| {
        c.rate_read_per_min = 3;
        c.rate_write_per_min = 1;
    })
    .await;
    let b = signed_in(&server, "alice@example.net").await;
    let mcp = Mcp::new(&server, &b.create_token("busy", "read-write").await);
    mcp.request("ping", json!({})).await.result();
    mcp.ok("list_diagrams", json!({})).await;
    mcp.call("render_diagram", json!({"source": FLOW})).await;
    let limited = mcp.request("tools/list", json!({})).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json()["error"], "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Writes have their own bucket, shared with the REST API.
    mcp.ok("create_diagram", json!({"source": FLOW})).await;
    let second = mcp
        .request(
            "tools/call",
            json!({"name": "create_diagram", "arguments": {"source": FLOW}}),
        )
        .await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    let rest = Api::new(
        &server,
        mcp.authorization
            .as_deref()
            .unwrap()
            .trim_start_matches("Bearer "),
    );
    rest.post("/api/diagrams", json!({"source": FLOW}))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn the_readme_client_configuration_connects() {
    let (server, b, _mcp, api) = setup().await;
    let token = b.create_token("desktop", "read-write").await;
    let config: Value = serde_json::from_str(&readme_client_config()).unwrap();
    let entry = &config["mcpServers"]["reef"];
    assert_eq!(entry["type"], "http");
    let url = entry["url"]
        .as_str()
        .unwrap()
        .replace("http://localhost:8080", &server.base);
    let authorization = entry["headers"]["Authorization"]
        .as_str()
        .unwrap()
        .replace("reef_...", &token);
    let mcp = Mcp {
        url,
        authorization: Some(authorization),
        client: reqwest::Client::new(),
    };
    mcp.initialize().await;
    let created = mcp.ok("create_diagram", json!({"source": FLOW})).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn transport_refusals_say_what_is_wrong_with_a_code_that_matches_the_status() {
    let (server, _b, mcp, _api) = setup().await;
    mcp.initialize().await;
    let auth = mcp.authorization.clone().unwrap();
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let post = |accept: Option<&str>, version: &str| {
        let mut request = reqwest::Client::new()
            .post(server.url("/mcp"))
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .header("mcp-protocol-version", version)
            .json(&list);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.send()
    };
    for (accept, version, status, code) in [
        (
            Some("application/json"),
            PROTOCOL,
            StatusCode::NOT_ACCEPTABLE,
            "not_acceptable",
        ),
        (None, PROTOCOL, StatusCode::NOT_ACCEPTABLE, "not_acceptable"),
        (
            Some("application/json, text/event-stream"),
            "1999-01-01",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ] {
        let reply = post(accept, version).await.unwrap();
        assert_eq!(reply.status(), status, "{accept:?} {version}");
        let body: Value = reply.json().await.unwrap();
        assert_eq!(body["error"], code, "{body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("address, query or headers are malformed") && message.len() > 10,
            "{accept:?} {version}: {message}"
        );
    }
}
