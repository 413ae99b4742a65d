//! The OpenAPI document as a client generator sees it: served without a token, valid OpenAPI
//! 3.1, and true to the router — every documented operation is routed and answers a documented
//! status with the documented scope, every path refuses the methods it does not list, and the
//! routes the README promises are all there.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::{Api, TestServer, signed_in};
use reef::error::ApiError;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const FLOW: &str = "flowchart LR\n  A[Start] --> B[End]\n";
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(server: &TestServer) -> Value {
    let response = reqwest::get(server.url("/api/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

/// Every (method, path template) the document lists.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                found.push((method.to_owned(), path.clone()));
            }
        }
    }
    found
}

fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(pointer) => doc
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
        None => node,
    }
}

/// A valid JSON body for a request schema: required strings (Mermaid for `source`), booleans.
fn example_body(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    let mut body = serde_json::Map::new();
    for name in schema["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap();
        let property = resolve(doc, &schema["properties"][name]);
        let value = match property["type"].as_str() {
            Some("boolean") => json!(true),
            _ if name == "source" => json!(FLOW),
            _ => json!("Probe"),
        };
        body.insert(name.to_owned(), value);
    }
    Value::Object(body)
}

struct Probe {
    server: TestServer,
    writer: Api,
    reader: Api,
}

impl Probe {
    async fn start() -> Self {
        // Unlimited buckets: this test makes many requests in a burst.
        let server = TestServer::start_with(|c| {
            c.rate_read_per_min = 0;
            c.rate_write_per_min = 0;
        })
        .await;
        let b = signed_in(&server, "alice@example.net").await;
        let writer = Api::new(&server, &b.create_token("probe-rw", "read-write").await);
        let reader = Api::new(&server, &b.create_token("probe-r", "read").await);
        Self {
            server,
            writer,
            reader,
        }
    }

    /// Calls one documented operation with a fresh diagram and a body that fits its schema.
    async fn call(&self, doc: &Value, api: &Api, method: &str, template: &str) -> common::Reply {
        let id = self.writer.create("Probe", FLOW).await;
        if template.ends_with("/restore") {
            // Only a trashed diagram can be restored.
            self.writer.delete(&format!("/api/diagrams/{id}")).await;
        }
        let path = template.replace("{id}", &id).replace("{version}", "1");
        let operation = &doc["paths"][template][method];
        let mut request = api.request(
            Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
            &path,
        );
        if let Some(body) = operation.get("requestBody") {
            let schema = &resolve(doc, body)["content"]["application/json"]["schema"];
            request = request.json(&example_body(doc, schema));
        }
        Api::send(request).await
    }
}

#[tokio::test]
async fn the_document_is_served_without_a_token_and_describes_the_bearer_scheme() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Reef API");
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    // A bad token does not stand in the way either: the route is outside authentication.
    let with_junk = reqwest::Client::new()
        .get(server.url("/api/openapi.json"))
        .header("authorization", "Bearer junk")
        .send()
        .await
        .unwrap();
    assert_eq!(with_junk.status(), StatusCode::OK);
    let post = reqwest::Client::new()
        .post(server.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_answers_a_documented_status() {
    let probe = Probe::start().await;
    let doc = document(&probe.server).await;
    let operations = operations(&doc);
    assert!(operations.len() >= 15, "{operations:?}");
    for (method, template) in &operations {
        let reply = probe.call(&doc, &probe.writer, method, template).await;
        let documented = &doc["paths"][template][method]["responses"];
        let status = reply.status.as_str().to_owned();
        // A renderer that is down or timed out (503) is documented and tolerated.
        assert!(
            reply.status.is_success() || reply.status == StatusCode::SERVICE_UNAVAILABLE,
            "{method} {template}: {} {}",
            reply.status,
            reply.text()
        );
        let response = resolve(&doc, &documented[&status]);
        assert!(
            response.is_object(),
            "{method} {template} answered {status}, which is not documented"
        );
        if let Some(content) = response.get("content").and_then(Value::as_object) {
            let sent = reply.header("content-type").unwrap_or_default();
            let media = sent.split(';').next().unwrap().trim();
            assert!(
                content.contains_key(media),
                "{method} {template}: sent {media}, documented {:?}",
                content.keys().collect::<Vec<_>>()
            );
        }
    }
}

#[tokio::test]
async fn documented_scopes_match_what_a_read_token_may_do() {
    let probe = Probe::start().await;
    let doc = document(&probe.server).await;
    for (method, template) in operations(&doc) {
        let security = &doc["paths"][&template][&method]["security"];
        if template == "/api/openapi.json" {
            assert_eq!(security, &json!([{}]), "the document needs no token");
            continue;
        }
        let scopes = security[0]["bearer"].as_array().unwrap();
        let read = scopes == &vec![json!("read")];
        let expected_read = method == "get" || template == "/api/render";
        assert_eq!(read, expected_read, "{method} {template}: {security}");
        let reply = probe.call(&doc, &probe.reader, &method, &template).await;
        if read {
            assert_ne!(reply.status, StatusCode::FORBIDDEN, "{method} {template}");
        } else {
            reply.assert_error(StatusCode::FORBIDDEN, "insufficient_scope");
            assert!(doc["paths"][&template][&method]["responses"]["403"].is_object());
        }
    }
}

#[tokio::test]
async fn every_path_refuses_the_methods_it_does_not_list() {
    let probe = Probe::start().await;
    let doc = document(&probe.server).await;
    let id = probe.writer.create("Probe", FLOW).await;
    for (template, item) in doc["paths"].as_object().unwrap() {
        let path = template.replace("{id}", &id).replace("{version}", "1");
        for method in METHODS.iter().filter(|m| item.get(**m).is_none()) {
            let reply = Api::send(probe.writer.request(
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                &path,
            ))
            .await;
            if template.contains("}.") {
                // The exports share the `{id}` route, whose writes never accept `abc.svg`
                // as an id: refused all the same (404, 405, or 415 for the missing body).
                assert!(
                    reply.status.is_client_error(),
                    "{method} {template}: {}",
                    reply.status
                );
            } else {
                reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
            }
        }
    }
}

#[tokio::test]
async fn the_routes_the_readme_promises_are_all_documented() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let documented: BTreeSet<(String, String)> = operations(&doc).into_iter().collect();
    let known = [
        ("get", "/api/me"),
        ("get", "/api/diagrams"),
        ("post", "/api/diagrams"),
        ("get", "/api/diagrams/{id}"),
        ("put", "/api/diagrams/{id}"),
        ("patch", "/api/diagrams/{id}"),
        ("delete", "/api/diagrams/{id}"),
        ("post", "/api/diagrams/{id}/restore"),
        ("post", "/api/diagrams/{id}/share"),
        ("get", "/api/diagrams/{id}/revisions"),
        ("get", "/api/diagrams/{id}/revisions/{version}"),
        ("get", "/api/diagrams/{id}.svg"),
        ("get", "/api/diagrams/{id}.png"),
        ("get", "/api/diagrams/{id}.mmd"),
        ("post", "/api/render"),
        ("get", "/api/openapi.json"),
    ];
    for (method, path) in known {
        assert!(
            documented.contains(&(method.to_owned(), path.to_owned())),
            "{method} {path} is not documented"
        );
    }
}

#[tokio::test]
async fn bodies_exports_and_errors_are_described() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let put = &doc["paths"]["/api/diagrams/{id}"]["put"];
    let put_types = put["requestBody"]["content"].as_object().unwrap();
    assert!(put_types.contains_key("application/json"));
    assert!(put_types.contains_key("text/plain"));
    let render = &doc["paths"]["/api/render"]["post"];
    assert!(render["requestBody"]["content"]["text/plain"].is_object());
    let rendered = render["responses"]["200"]["content"].as_object().unwrap();
    assert!(rendered.contains_key("image/svg+xml") && rendered.contains_key("image/png"));
    for (path, media) in [
        ("/api/diagrams/{id}.svg", "image/svg+xml"),
        ("/api/diagrams/{id}.png", "image/png"),
        ("/api/diagrams/{id}.mmd", "text/vnd.mermaid"),
    ] {
        assert!(
            doc["paths"][path]["get"]["responses"]["200"]["content"][media].is_object(),
            "{path}"
        );
    }
    let put_statuses: BTreeSet<&str> = put["responses"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for status in [
        "200", "401", "403", "404", "412", "413", "415", "422", "429",
    ] {
        assert!(put_statuses.contains(status), "PUT lacks {status}");
    }
    let unauthorized = resolve(&doc, &put["responses"]["401"]);
    assert!(unauthorized["headers"]["WWW-Authenticate"].is_object());
    let limited = resolve(&doc, &put["responses"]["429"]);
    assert!(limited["headers"]["Retry-After"].is_object());

    // The envelope lists every code the API itself can send.
    let envelope = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(envelope["required"], json!(["error"]));
    let listed = envelope["description"].as_str().unwrap();
    let errors = [
        ApiError::Unauthorized,
        ApiError::InsufficientScope,
        ApiError::Csrf,
        ApiError::NotFound,
        ApiError::MethodNotAllowed,
        ApiError::PreconditionFailed { current: 1 },
        ApiError::invalid("x"),
        ApiError::TooLarge,
        ApiError::UnsupportedMediaType("x".into()),
        ApiError::RateLimited { retry_after: 1 },
        ApiError::Internal("x".into()),
    ];
    for error in errors {
        assert!(listed.contains(&format!("`{}`", error.code())), "{error:?}");
    }
    for code in [
        "invalid_json",
        "invalid_body",
        "invalid_utf8",
        "invalid_cursor",
        "parse_error",
    ] {
        assert!(listed.contains(&format!("`{code}`")), "{code}");
    }
}

/// Validates with `openapi-spec-validator` (Python) when it is installed: there is no
/// maintained OpenAPI 3.1 validator crate. CI installs it, so there it must run.
#[tokio::test]
async fn the_document_validates_as_openapi_3_1() {
    let available = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install openapi-spec-validator (pip)"
        );
        eprintln!("skipped: pip install openapi-spec-validator to validate the document");
        return;
    }
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let file = server.dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let output = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn python_has(modules: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_core_and_a_generated_python_client_agree_with_the_document() {
    if !python_has("openapi_core, openapi_python_client, requests") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install openapi-core and openapi-python-client (pip)"
        );
        eprintln!("skipped: pip install openapi-core openapi-python-client to run real clients");
        return;
    }
    let server = TestServer::start_with(|c| {
        c.open_signups = true;
        c.rate_read_per_min = 0;
        c.rate_write_per_min = 0;
    })
    .await;
    let browser = common::signed_in(&server, "owner@example.net").await;
    let token = browser.create_token("clients", "read-write").await;
    let dir = tempfile::tempdir().unwrap();
    let document = dir.path().join("openapi.json");
    let text = reqwest::get(server.url("/api/openapi.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    std::fs::write(&document, text).unwrap();
    let (base, work) = (server.base.clone(), dir.path().to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/openapi_clients.py"
            ))
            .arg(&base)
            .arg(&token)
            .arg(&document)
            .arg(&work)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    let complaint = String::from_utf8_lossy(&out.stderr);
    // A rejected body is quoted whole: keep the end, where the reason is.
    let tail: String = complaint
        .chars()
        .rev()
        .take(3_000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(out.status.success(), "{said}{tail}");
    assert!(said.contains("openapi-core: every request"), "{said}");
    assert!(
        said.contains("openapi-python-client: list, create"),
        "{said}"
    );
}

#[tokio::test]
async fn under_a_sub_path_the_document_names_it_as_its_server() {
    let root = TestServer::start().await;
    let doc: serde_json::Value = reqwest::get(root.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["servers"][0]["url"], "/");
    let sub =
        TestServer::start_with(|c| c.public_url = Some("https://example.net/reef".into())).await;
    let doc: serde_json::Value = reqwest::get(sub.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["servers"][0]["url"], "/reef");
}

#[tokio::test]
async fn every_operation_says_what_it_does_and_lists_its_common_answers() {
    let server = TestServer::start().await;
    let doc: Value = reqwest::get(server.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &doc["components"]["schemas"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(
                op["description"].as_str().is_some_and(|d| d.len() > 20),
                "{at} has no description"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("405") && responses.contains_key("500"),
                "{at}"
            );
            let bearer = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            for (status, response) in responses {
                let has = response["headers"].get("Reef-Token-Expires").is_some();
                assert_eq!(has, bearer && status != "401", "{at} {status}");
            }
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                if parameter["name"] == "id" {
                    assert_eq!(
                        parameter["schema"]["pattern"], "^[A-Za-z0-9]{1,32}$",
                        "{at}"
                    );
                }
            }
            // Every JSON body it takes has an example.
            let body = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            if let Some(name) = body.as_str().and_then(|r| r.rsplit('/').next()) {
                assert!(
                    schemas[name]["examples"].is_array(),
                    "{at}: {name} has no example"
                );
            }
        }
    }
    // Raw text is a string; files are binary.
    assert_eq!(schemas["MermaidText"]["type"], "string");
    assert_eq!(schemas["Png"]["format"], "binary");
    assert_eq!(schemas["Png"]["contentMediaType"], "image/png");
}
