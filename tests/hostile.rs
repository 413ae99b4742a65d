//! Hostile HTTP against a real server: oversized, slow, malformed and ambiguous requests each
//! get a 4xx (the JSON envelope under /api, a friendly page elsewhere) and the server keeps
//! serving everyone else. Raw TCP is used wherever an ordinary client would refuse to send the
//! attack.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Api, Browser, TestServer, signed_in};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FLOW: &str = "flowchart LR\n  A[Start] --> B[End]\n";
/// The server's read timeout in these tests (headers, and again the body).
const READ_TIMEOUT: Duration = Duration::from_secs(1);
const UNAUTHORIZED: &[u8] = br#"{"error":"unauthorized"}"#;

struct World {
    server: TestServer,
    browser: Browser,
    api: Api,
    token: String,
    id: String,
}

async fn world() -> World {
    let server = TestServer::start_with(|c| {
        c.read_timeout = READ_TIMEOUT;
        c.rate_read_per_min = 0;
        c.rate_write_per_min = 0;
    })
    .await;
    let browser = signed_in(&server, "alice@example.net").await;
    let token = browser.create_token("script", "read-write").await;
    let api = Api::new(&server, &token);
    let id = api.create("Target", FLOW).await;
    World {
        server,
        browser,
        api,
        token,
        id,
    }
}

/// The server still answers its health check promptly.
async fn up(server: &TestServer) {
    let started = Instant::now();
    let reply = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "healthz was slow"
    );
}

/// One response read off a raw connection.
struct Raw {
    status: u16,
    head: String,
    body: Vec<u8>,
    /// Everything the server sent, for checks that nothing else came.
    all: Vec<u8>,
    elapsed: Duration,
}

impl Raw {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.all).into_owned()
    }

    fn assert_envelope(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/json"),
            "{}",
            self.text()
        );
        let body: serde_json::Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()));
        assert_eq!(body["error"], code, "{}", self.text());
    }

    fn assert_page(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text());
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{}",
            self.text()
        );
        assert!(
            String::from_utf8_lossy(&self.body).contains("<!doctype html>"),
            "{}",
            self.text()
        );
    }
}

fn parse(all: Vec<u8>, elapsed: Duration) -> Raw {
    let end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head: {:?}", String::from_utf8_lossy(&all)));
    let head = String::from_utf8_lossy(&all[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head}"));
    let rest = &all[end + 4..];
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())?
    });
    let body = rest[..length.unwrap_or(rest.len()).min(rest.len())].to_vec();
    Raw {
        status,
        head,
        body,
        all,
        elapsed,
    }
}

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (at most 10 s).
async fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "the server neither answered nor closed: {:?}",
                String::from_utf8_lossy(&all)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return all,
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `request` as is on a fresh connection and reads the whole answer. Write errors are
/// ignored: the server may refuse and close before the client is done.
async fn raw(server: &TestServer, request: &[u8]) -> Raw {
    let started = Instant::now();
    let mut stream = connect(server).await;
    let _ = stream.write_all(request).await;
    let all = read_all(&mut stream).await;
    parse(all, started.elapsed())
}

/// A request with `Connection: close` and the given extra header lines and body.
fn request(method: &str, path: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: reef.test\r\nConnection: close\r\n");
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    let mut out = out.into_bytes();
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// A POST with credentials (a cookie or bearer header), a content type and a stated
/// Content-Length, which the hostile cases sometimes lie about.
fn post(path: &str, credentials: &str, content_type: &str, length: usize, body: &[u8]) -> Vec<u8> {
    request(
        "POST",
        path,
        &[
            credentials,
            &format!("Content-Type: {content_type}"),
            &format!("Content-Length: {length}"),
        ],
        body,
    )
}

/// A signed-in browser's cookie header and its CSRF token, for raw form posts.
async fn cookie_and_csrf(browser: &Browser) -> (String, String) {
    let csrf = browser.csrf().await;
    let cookie = format!(
        "Cookie: reef_guest={}; reef_session={}",
        browser.cookie("reef_guest").unwrap(),
        browser.cookie("reef_session").unwrap()
    );
    (cookie, csrf)
}

#[tokio::test]
async fn bodies_over_one_mib_get_413_at_once_even_when_the_length_is_a_lie() {
    let w = world().await;
    let big = "x".repeat(1_100_000);
    let json = w
        .api
        .post("/api/diagrams", json!({"title": "t", "source": big}))
        .await;
    json.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    up(&w.server).await;
    for (method, path, content_type) in [
        (Method::PUT, format!("/api/diagrams/{}", w.id), "text/plain"),
        (Method::POST, "/api/render".to_owned(), "text/plain"),
        (Method::POST, "/mcp".to_owned(), "application/json"),
    ] {
        let reply = Api::send(
            w.api
                .request(method.clone(), &path)
                .header("content-type", content_type)
                .body(big.clone()),
        )
        .await;
        reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
        up(&w.server).await;
    }

    // A form post over the limit gets the friendly page.
    let form = w.browser.save(&w.id, "t", &big).await;
    assert_eq!(form.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(form.body.contains("<!doctype html>") && form.body.contains("1 MiB"));
    up(&w.server).await;

    // Claiming 50 MB and sending a few bytes: refused on the claim, without waiting.
    let lying = raw(
        &w.server,
        &post(
            "/api/diagrams",
            &bearer(&w.token),
            JSON,
            50_000_000,
            b"{\"title\"",
        ),
    )
    .await;
    lying.assert_envelope(413, "payload_too_large");
    assert!(lying.elapsed < READ_TIMEOUT, "{:?}", lying.elapsed);
    let (cookie, csrf) = cookie_and_csrf(&w.browser).await;
    let lying_form = raw(
        &w.server,
        &post(
            &format!("/d/{}", w.id),
            &cookie,
            FORM,
            50_000_000,
            format!("csrf={csrf}&title=t").as_bytes(),
        ),
    )
    .await;
    lying_form.assert_page(413);
    up(&w.server).await;
}

#[tokio::test]
async fn a_body_that_stops_short_of_its_length_gets_408_after_the_read_timeout() {
    let w = world().await;
    let short = raw(
        &w.server,
        &post(
            "/api/diagrams",
            &bearer(&w.token),
            JSON,
            5_000,
            b"{\"title\": \"never finished",
        ),
    )
    .await;
    short.assert_envelope(408, "request_timeout");
    assert_eq!(short.header("connection").as_deref(), Some("close"));
    assert!(
        short.elapsed >= READ_TIMEOUT && short.elapsed < READ_TIMEOUT * 4,
        "{:?}",
        short.elapsed
    );
    up(&w.server).await;

    let (cookie, csrf) = cookie_and_csrf(&w.browser).await;
    let form = raw(
        &w.server,
        &post(
            &format!("/d/{}", w.id),
            &cookie,
            FORM,
            5_000,
            format!("csrf={csrf}&title=t").as_bytes(),
        ),
    )
    .await;
    form.assert_page(408);
    up(&w.server).await;
    // Nothing was saved from the half-sent form.
    assert_eq!(
        w.api.get(&format!("/api/diagrams/{}", w.id)).await.json()["version"],
        1
    );
}

/// Sends `head`, then `body` one byte every 100 ms until the server answers, then reads the
/// answer.
async fn trickle(base: String, head: Vec<u8>, body: Vec<u8>) -> Raw {
    let started = Instant::now();
    let mut stream = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(&head).await.unwrap();
    for byte in body {
        if stream.write_all(&[byte]).await.is_err() {
            break;
        }
        let mut peek = [0u8; 1];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(100), stream.peek(&mut peek)).await
            && n > 0
        {
            break;
        }
    }
    let all = read_all(&mut stream).await;
    parse(all, started.elapsed())
}

#[tokio::test]
async fn a_trickled_body_is_cut_off_while_everyone_else_is_served() {
    let w = world().await;
    let body = json!({"source": FLOW}).to_string().into_bytes();
    let head = post("/api/render", &bearer(&w.token), JSON, body.len(), b"");
    // Steady, but 10 bytes a second: the whole body would take several read timeouts.
    assert!(body.len() as u32 * 100 > READ_TIMEOUT.as_millis() as u32 * 3);
    let slow = tokio::spawn(trickle(w.server.base.clone(), head, body));
    // Meanwhile the server answers others at once.
    for _ in 0..5 {
        up(&w.server).await;
        let started = Instant::now();
        assert_eq!(w.api.get("/api/me").await.status, StatusCode::OK);
        assert!(started.elapsed() < Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let slow = slow.await.unwrap();
    slow.assert_envelope(408, "request_timeout");
    assert!(slow.elapsed < READ_TIMEOUT * 4, "{:?}", slow.elapsed);

    // A page form trickled the same way gets the friendly page.
    let (cookie, csrf) = cookie_and_csrf(&w.browser).await;
    let form = format!("csrf={csrf}&title=slow&source=flowchart%20LR%0A%20%20A%20--%3E%20B");
    let page = trickle(
        w.server.base.clone(),
        post(&format!("/d/{}", w.id), &cookie, FORM, form.len(), b""),
        form.into_bytes(),
    )
    .await;
    page.assert_page(408);
    up(&w.server).await;
}

#[tokio::test]
async fn trickled_headers_are_disconnected_after_the_read_timeout() {
    let w = world().await;
    let started = Instant::now();
    let mut stream = connect(&w.server).await;
    stream
        .write_all(
            format!(
                "GET /api/me HTTP/1.1\r\nHost: reef.test\r\n{}\r\n",
                bearer(&w.token)
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    // One header byte every 100 ms, for at most five seconds.
    for byte in b"X-Slow: ".iter().cycle().take(50) {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if started.elapsed() < READ_TIMEOUT / 2 {
            // Others are served meanwhile.
            up(&w.server).await;
        }
    }
    answer.extend(read_all(&mut stream).await);
    let held = started.elapsed();
    assert!(
        held >= READ_TIMEOUT && held < READ_TIMEOUT * 3,
        "held for {held:?}"
    );
    // Disconnected, at most with a 408; the request never ran.
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    up(&w.server).await;
}

#[tokio::test]
async fn bad_utf8_in_bodies_forms_paths_and_queries_gets_a_clear_4xx() {
    let w = world().await;
    let id = &w.id;
    let bad_json = Api::send(
        w.api
            .request(Method::POST, "/api/diagrams")
            .header("content-type", "application/json")
            .body(b"{\"title\": \"\xff\xfe\", \"source\": \"x\"}".to_vec()),
    )
    .await;
    bad_json.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    for (method, path) in [
        (Method::PUT, format!("/api/diagrams/{id}")),
        (Method::POST, "/api/render".to_owned()),
    ] {
        let reply = Api::send(
            w.api
                .request(method, &path)
                .header("content-type", "text/plain")
                .body(b"flowchart LR\n  A --> \xc3\x28\n".to_vec()),
        )
        .await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_utf8");
    }
    up(&w.server).await;

    // A raw non-UTF-8 byte in a form gets the friendly page; nothing is saved.
    let (cookie, csrf) = cookie_and_csrf(&w.browser).await;
    let mut form = format!("csrf={csrf}&title=").into_bytes();
    form.extend_from_slice(b"\xff\xfe&source=flowchart%20LR");
    let page = raw(
        &w.server,
        &post(&format!("/d/{id}"), &cookie, FORM, form.len(), &form),
    )
    .await;
    page.assert_page(400);
    assert!(String::from_utf8_lossy(&page.body).contains("UTF-8"));
    // Percent-encoded invalid UTF-8 decodes to U+FFFD: saved, never a crash.
    let form = format!("csrf={csrf}&title=%FF%FE&source=flowchart%20LR%0A%20A-->B").into_bytes();
    let percent = raw(
        &w.server,
        &post(&format!("/d/{id}"), &cookie, FORM, form.len(), &form),
    )
    .await;
    assert_eq!(percent.status, 303, "{}", percent.text());
    let stored = w.api.get(&format!("/api/diagrams/{id}")).await.json();
    assert_eq!(stored["title"], "\u{fffd}\u{fffd}");
    up(&w.server).await;

    // Paths: percent-encoded bytes that are not UTF-8.
    let auth = bearer(&w.token);
    for path in [
        "/api/diagrams/%FF".to_owned(),
        format!("/api/diagrams/{id}/revisions/%FF"),
        "/api/diagrams/%C3%28/share".to_owned(),
    ] {
        let method = if path.ends_with("/share") {
            "POST"
        } else {
            "GET"
        };
        let reply = raw(
            &w.server,
            &request(
                method,
                &path,
                &[&auth, "Content-Type: application/json", "Content-Length: 2"],
                b"{}",
            ),
        )
        .await;
        reply.assert_envelope(400, "bad_request");
    }
    for path in [
        "/d/%FF",
        "/d/%FF/revisions",
        "/s/%FF",
        "/s/%C3%28/image.svg",
    ] {
        raw(&w.server, &request("GET", path, &[], b""))
            .await
            .assert_page(400);
    }
    // Raw non-ASCII in the request line: valid UTF-8 is just an unknown id; other bytes never
    // reach a handler.
    raw(
        &w.server,
        &request("GET", "/api/diagrams/\u{ff}\u{1f600}", &[&auth], b""),
    )
    .await
    .assert_envelope(404, "not_found");
    let mut bytes = b"GET /d/".to_vec();
    bytes.extend_from_slice(b"\xff\xfe HTTP/1.1\r\nHost: reef.test\r\nConnection: close\r\n\r\n");
    assert_eq!(raw(&w.server, &bytes).await.status, 400);
    up(&w.server).await;

    // Queries.
    w.api
        .get("/api/diagrams?cursor=%FF%FE")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_cursor");
    w.api
        .get("/api/diagrams?limit=%FF")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    Api::send(
        w.api
            .request(Method::POST, "/api/render?format=%FF")
            .header("content-type", "text/plain")
            .body(FLOW),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let png = w
        .api
        .get(&format!("/api/diagrams/{id}.png?scale=%FF"))
        .await;
    assert!(png.status.is_client_error(), "{}", png.status);
    assert!(png.json()["error"].is_string());
    // Pages ignore what they cannot read in a query.
    assert_eq!(w.browser.get("/?cursor=%FF").await.status, StatusCode::OK);
    assert_eq!(
        w.browser.get("/settings?done=%FF").await.status,
        StatusCode::OK
    );
    up(&w.server).await;
}

#[tokio::test]
async fn deeply_nested_json_is_refused_not_recursed_into() {
    let w = world().await;
    let deep = "[".repeat(100_000);
    let deep_in_object = format!("{{\"title\": {deep}");
    let deep_in_field = format!("{{\"source\": \"x\", \"title\": \"t\", \"enabled\": {deep}");
    let id = &w.id;
    for (method, path) in [
        (Method::POST, "/api/diagrams".to_owned()),
        (Method::PUT, format!("/api/diagrams/{id}")),
        (Method::PATCH, format!("/api/diagrams/{id}")),
        (Method::POST, format!("/api/diagrams/{id}/share")),
        (Method::POST, "/api/render".to_owned()),
    ] {
        for body in [&deep, &deep_in_object, &deep_in_field] {
            let reply = Api::send(
                w.api
                    .request(method.clone(), &path)
                    .header("content-type", "application/json")
                    .body(body.clone()),
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path}: {}",
                reply.text()
            );
            let code = reply.json()["error"].as_str().unwrap().to_owned();
            assert!(
                code == "invalid_json" || code == "invalid_body",
                "{method} {path}: {code}"
            );
        }
        up(&w.server).await;
    }
    // JSON-RPC parses into a generic value: the recursion limit answers, as a parse error.
    let mcp = Api::send(
        w.api
            .request(Method::POST, "/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(deep.clone()),
    )
    .await;
    assert_eq!(mcp.status, StatusCode::BAD_REQUEST, "{}", mcp.text());
    assert_eq!(mcp.json()["error"]["code"], -32700);
    // The editor's live preview.
    let csrf = w.browser.csrf().await;
    let preview = w
        .browser
        .client
        .post(w.browser.url("/preview"))
        .header("x-csrf-token", csrf)
        .header("content-type", "application/json")
        .body(format!("{{\"source\": {deep}"))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = preview.json().await.unwrap();
    assert_eq!(body["error"], "invalid_json");
    // And the diagram is untouched.
    assert_eq!(
        w.api.get(&format!("/api/diagrams/{id}")).await.json()["version"],
        1
    );
    up(&w.server).await;
}

#[tokio::test]
async fn huge_headers_get_431_and_the_server_stays_up() {
    let w = world().await;
    let big = "a".repeat(100_000);
    for headers in [
        vec![format!("X-Big: {big}")],
        vec![format!("Cookie: reef_guest={big}")],
        vec![format!("Authorization: Bearer {big}")],
        (0..1000).map(|i| format!("X-H{i}: v")).collect(),
    ] {
        for path in ["/api/me", "/", "/healthz"] {
            let lines: Vec<&str> = headers.iter().map(String::as_str).collect();
            let reply = raw(&w.server, &request("GET", path, &lines, b"")).await;
            assert_eq!(reply.status, 431, "{path}: {}", reply.head);
            up(&w.server).await;
        }
    }
    // A very long URL is refused the same way.
    let long = raw(
        &w.server,
        &request("GET", &format!("/api/diagrams/{big}"), &[], b""),
    )
    .await;
    assert!([414, 431].contains(&long.status), "{}", long.head);
    up(&w.server).await;
    // Ordinary sizes still pass: a 16 KiB header is fine.
    let fine = raw(
        &w.server,
        &request(
            "GET",
            "/api/me",
            &[
                &bearer(&w.token),
                &format!("X-Trace: {}", "b".repeat(16 * 1024)),
            ],
            b"",
        ),
    )
    .await;
    assert_eq!(fine.status, 200, "{}", fine.text());
}

#[tokio::test]
async fn asset_routes_never_leave_the_embedded_files() {
    let w = world().await;
    let page = w.browser.get("/").await;
    let css = common::extract_between(&page.body, "href=\"/static/", "\"").unwrap();
    let real = raw(
        &w.server,
        &request("GET", &format!("/static/{css}"), &[], b""),
    )
    .await;
    assert_eq!(real.status, 200);
    let traversals = [
        "/static/..%2f..%2fCargo.toml",
        "/static/..%2F..%2FCargo.toml",
        "/static/%2e%2e/%2e%2e/Cargo.toml",
        "/static/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/static/..%5c..%5cCargo.toml",
        "/static/%2e%2e%5c%2e%2e%5cCargo.toml",
        "/static/..\\..\\Cargo.toml",
        "/static/../Cargo.toml",
        "/static/../../src/main.rs",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/app.js%00.css",
        "/static/%00",
        "/static/%c0%ae%c0%ae%2fCargo.toml",
        "/static/....//....//Cargo.toml",
        "/static/app.js",
        "/static/style.css",
        "/static/",
        "/static",
    ];
    for path in traversals {
        let reply = raw(&w.server, &request("GET", path, &[], b"")).await;
        assert!(
            reply.status == 404 || reply.status == 400,
            "{path}: {}",
            reply.head
        );
        if reply.status == 404 {
            reply.assert_page(404);
        }
        let body = String::from_utf8_lossy(&reply.body);
        for leak in ["[package]", "fn main", "root:x:0:0", "#![forbid"] {
            assert!(!body.contains(leak), "{path} leaked {leak}");
        }
        assert!(!reply.head.contains("immutable"), "{path}: {}", reply.head);
    }
    up(&w.server).await;
}

#[tokio::test]
async fn methods_a_route_does_not_take_get_405_in_the_right_format() {
    let w = world().await;
    let auth = bearer(&w.token);
    let id = &w.id;
    for method in [
        "TRACE", "OPTIONS", "PROPFIND", "get", "Post", "CONNECT", "BREW",
    ] {
        for path in ["/api/me", "/api/diagrams", "/api/openapi.json"] {
            let reply = raw(&w.server, &request(method, path, &[&auth], b"")).await;
            reply.assert_envelope(405, "method_not_allowed");
            assert!(reply.header("allow").is_some(), "{method} {path}");
        }
        for path in ["/", &format!("/d/{id}"), "/settings", "/healthz"] {
            let reply = raw(&w.server, &request(method, path, &[], b"")).await;
            reply.assert_page(405);
        }
        up(&w.server).await;
    }
    // POST to GET-only routes.
    for path in [
        "/api/me".to_owned(),
        format!("/api/diagrams/{id}/revisions"),
    ] {
        let reply = raw(
            &w.server,
            &request(
                "POST",
                &path,
                &[&auth, "Content-Type: application/json", "Content-Length: 2"],
                b"{}",
            ),
        )
        .await;
        reply.assert_envelope(405, "method_not_allowed");
    }
    // DELETE on a read-only path (the list).
    Api::send(w.api.request(Method::DELETE, "/api/diagrams"))
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    // HEAD works wherever GET does, with no body.
    for path in ["/api/me".to_owned(), format!("/api/diagrams/{id}")] {
        let head = raw(&w.server, &request("HEAD", &path, &[&auth], b"")).await;
        assert_eq!(head.status, 200, "{path}");
        assert!(head.body.is_empty());
    }
    let head = raw(&w.server, &request("HEAD", "/", &[], b"")).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    // HEAD never writes, whatever path it names.
    let head_write = raw(&w.server, &request("HEAD", "/d", &[], b"")).await;
    assert_eq!(head_write.status, 405);
    up(&w.server).await;
}

#[tokio::test]
async fn content_types_must_be_one_utf8_type_the_route_takes() {
    let w = world().await;
    let body = json!({"title": "t", "source": FLOW}).to_string();
    let cases: &[(&[&str], u16, &str)] = &[
        (&[], 415, "unsupported_media_type"),
        (&["text/html"], 415, "unsupported_media_type"),
        (
            &["application/json", "application/json"],
            415,
            "unsupported_media_type",
        ),
        (
            &["application/json", "text/plain"],
            415,
            "unsupported_media_type",
        ),
        (
            &["text/plain", "application/json"],
            415,
            "unsupported_media_type",
        ),
        (
            &["application/json; charset=latin1"],
            415,
            "unsupported_media_type",
        ),
        (
            &["application/json; charset=\"ISO-8859-1\""],
            415,
            "unsupported_media_type",
        ),
        (
            &["application/json; charset=utf-16"],
            415,
            "unsupported_media_type",
        ),
        (
            &["multipart/form-data; boundary=x"],
            415,
            "unsupported_media_type",
        ),
        (
            &["application/x-www-form-urlencoded"],
            415,
            "unsupported_media_type",
        ),
        (&["application/json; charset=utf-8"], 201, ""),
        (&["Application/JSON; Charset=\"UTF-8\""], 201, ""),
    ];
    for (types, status, code) in cases {
        let mut headers: Vec<String> =
            vec![bearer(&w.token), format!("Content-Length: {}", body.len())];
        headers.extend(types.iter().map(|t| format!("Content-Type: {t}")));
        let lines: Vec<&str> = headers.iter().map(String::as_str).collect();
        let reply = raw(
            &w.server,
            &request("POST", "/api/diagrams", &lines, body.as_bytes()),
        )
        .await;
        if *status == 201 {
            assert_eq!(reply.status, 201, "{types:?}: {}", reply.text());
        } else {
            reply.assert_envelope(*status, code);
        }
    }
    // A Content-Type that is not even text.
    let mut bytes = request(
        "POST",
        "/api/render",
        &[&bearer(&w.token), "Content-Length: 5"],
        b"",
    );
    bytes.truncate(bytes.len() - 2);
    bytes.extend_from_slice(b"Content-Type: text/\xffplain\r\n\r\ngraph");
    raw(&w.server, &bytes)
        .await
        .assert_envelope(415, "unsupported_media_type");
    // Raw text bodies: the declared charset must be UTF-8 too.
    for (content_type, status) in [
        ("text/plain; charset=iso-8859-1", 415),
        ("text/plain; charset=utf-8", 200),
    ] {
        let reply = Api::send(
            w.api
                .request(Method::PUT, &format!("/api/diagrams/{}", w.id))
                .header("content-type", content_type)
                .body(FLOW),
        )
        .await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{content_type}: {}",
            reply.text()
        );
    }
    // Multipart to a JSON-only write, and duplicate types at the agent endpoint.
    let multipart = Api::send(
        w.api
            .request(Method::PATCH, &format!("/api/diagrams/{}", w.id))
            .header("content-type", "multipart/form-data; boundary=zz")
            .body("--zz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx\r\n--zz--\r\n"),
    )
    .await;
    multipart.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let rpc = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let mcp = raw(
        &w.server,
        &request(
            "POST",
            "/mcp",
            &[
                &bearer(&w.token),
                "Accept: application/json, text/event-stream",
                "Content-Type: application/json",
                "Content-Type: text/plain",
                &format!("Content-Length: {}", rpc.len()),
            ],
            rpc,
        ),
    )
    .await;
    mcp.assert_envelope(415, "unsupported_media_type");
    up(&w.server).await;
}

#[tokio::test]
async fn chunked_and_content_length_together_cannot_smuggle_a_request() {
    let w = world().await;
    let auth = bearer(&w.token);
    // The body is empty by chunked framing; by Content-Length it would swallow the start of
    // the smuggled request. Either way, the request behind it must never be answered.
    let smuggled = format!("GET /api/me HTTP/1.1\r\nHost: reef.test\r\n{auth}\r\n\r\n");
    for headers in [
        ["Content-Length: 6", "Transfer-Encoding: chunked"],
        ["Transfer-Encoding: chunked", "Content-Length: 6"],
    ] {
        let mut bytes = format!(
            "POST /api/render HTTP/1.1\r\nHost: reef.test\r\n{auth}\r\nContent-Type: text/plain\r\n{}\r\n{}\r\n\r\n0\r\n\r\n",
            headers[0], headers[1]
        )
        .into_bytes();
        bytes.extend_from_slice(smuggled.as_bytes());
        let reply = raw(&w.server, &bytes).await;
        assert!(
            (400..500).contains(&reply.status),
            "{headers:?}: {}",
            reply.text()
        );
        assert_eq!(reply.header("connection").as_deref(), Some("close"));
        let text = reply.text();
        assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
        assert!(!text.contains("alice@example.net"), "{text}");
        up(&w.server).await;
    }
    // Ambiguous framing of other kinds is refused outright.
    for framing in [
        "Content-Length: 4\r\nContent-Length: 5",
        "Content-Length: 4, 5",
        "Content-Length: -1",
        "Content-Length: 0x10",
        "Transfer-Encoding: gzip",
        "Transfer-Encoding: chunked, identity",
    ] {
        let bytes = format!(
            "POST /api/render HTTP/1.1\r\nHost: reef.test\r\n{auth}\r\nContent-Type: text/plain\r\n{framing}\r\n\r\ngraph{smuggled}"
        );
        let reply = raw(&w.server, bytes.as_bytes()).await;
        assert_eq!(reply.status, 400, "{framing}: {}", reply.text());
        assert!(!reply.text().contains("alice@example.net"));
        up(&w.server).await;
    }
    let http10 = raw(
        &w.server,
        format!(
            "POST /api/render HTTP/1.0\r\n{auth}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(http10.status, 400);
    up(&w.server).await;
}

#[tokio::test]
async fn weird_bearer_headers_all_get_the_same_bare_401() {
    let w = world().await;
    let valid = bearer(&w.token);
    let long = format!("Authorization: Bearer reef_{}", "A".repeat(40_000));
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for path in ["/api/me", "/api/diagrams", "/mcp"] {
        let method = if path == "/mcp" { "POST" } else { "GET" };
        let with = |lines: &[&str]| {
            let mut all = vec!["Content-Type: application/json", "Content-Length: 2"];
            all.extend_from_slice(lines);
            request(method, path, &all, b"{}")
        };
        cases.push(with(&[&long]));
        cases.push(with(&[&valid, &valid]));
        cases.push(with(&[&valid, "Authorization: Basic YWxpY2U6cHc="]));
        cases.push(with(&["Authorization: Bearer"]));
        cases.push(with(&["Authorization: Bearer  \t "]));
        cases.push(with(&[&format!("Authorization: Bearer {} extra", w.token)]));
        cases.push(with(&[&format!(
            "Authorization: Bearer {},{}",
            w.token, w.token
        )]));
        cases.push(with(&[&format!("Authorization: Token {}", w.token)]));
        cases.push(with(&[&format!("Authorization: Bearer{}", w.token)]));
        cases.push(with(&["Authorization: Bearer r\u{e9}ef_\u{1f600}"]));
        let mut non_ascii = with(&[]);
        let end = non_ascii.len() - 4;
        non_ascii.splice(
            end..end,
            b"Authorization: Bearer reef_\xff\xfe\xfd\x80\r\n"
                .iter()
                .copied(),
        );
        cases.push(non_ascii);
    }
    for bytes in cases {
        let reply = raw(&w.server, &bytes).await;
        let sent = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]).into_owned();
        assert_eq!(reply.status, 401, "{sent}: {}", reply.text());
        assert_eq!(reply.body, UNAUTHORIZED, "{sent}");
        assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
    }
    up(&w.server).await;
    // The real token still works: the junk did not lock the account out.
    let me = raw(&w.server, &request("GET", "/api/me", &[&valid], b"")).await;
    assert_eq!(me.status, 200, "{}", me.text());
    up(&w.server).await;
}

#[tokio::test]
async fn the_live_preview_answers_its_errors_in_json_like_the_api() {
    let w = world().await;
    let csrf = w.browser.csrf().await;
    let oversized = w
        .browser
        .client
        .post(w.browser.url("/preview"))
        .header("x-csrf-token", csrf)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"source\": \"{}\"}}",
            "x".repeat(reef::MAX_BODY_BYTES + 1)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = oversized.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");
    let wrong_method = w
        .browser
        .client
        .get(w.browser.url("/preview"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: serde_json::Value = wrong_method.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
    up(&w.server).await;
}
