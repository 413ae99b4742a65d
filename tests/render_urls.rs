//! Kroki- and mermaid.ink-compatible render URLs (`REEF_PUBLIC_RENDER=on`): the request shapes
//! those services document, the answers they give, the rate limit per address, and a real
//! client (an MkDocs site built with mkdocs-kroki-plugin against Reef).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;

const FLOW: &str = "flowchart LR\n  docs[Docs toolchain] --> reef[Reef renders it]\n";

/// What Kroki's docs say to send: `base64.urlsafe_b64encode(zlib.compress(text, 9))`.
fn kroki_encode(text: &str) -> String {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(text.as_bytes()).unwrap();
    URL_SAFE.encode(encoder.finish().unwrap())
}

async fn public() -> TestServer {
    TestServer::start_with(|c| c.public_render = true).await
}

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    reqwest::get(server.url(path)).await.unwrap()
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

#[tokio::test]
async fn render_urls_are_off_unless_turned_on() {
    let server = TestServer::start().await;
    for path in [
        format!("/mermaid/svg/{}", kroki_encode(FLOW)),
        format!("/svg/{}", STANDARD.encode(FLOW)),
        format!("/img/{}", STANDARD.encode(FLOW)),
    ] {
        assert_eq!(
            get(&server, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let posted = reqwest::Client::new()
        .post(server.url("/mermaid/svg"))
        .body(FLOW)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn kroki_requests_get_kroki_answers() {
    let server = public().await;
    let client = reqwest::Client::new();

    let svg = get(&server, &format!("/mermaid/svg/{}", kroki_encode(FLOW))).await;
    assert_eq!(svg.status(), StatusCode::OK);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert_eq!(svg.headers()["access-control-allow-origin"], "*");
    assert!(
        svg.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
    assert!(svg.text().await.unwrap().contains("Reef renders it"));
    // mkdocs-kroki-plugin leaves an empty query on the URL.
    let png = get(&server, &format!("/mermaid/png/{}?", kroki_encode(FLOW))).await;
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(is_png(&png.bytes().await.unwrap()));

    let text = client
        .post(server.url("/mermaid/svg"))
        .header("content-type", "text/plain")
        .body(FLOW)
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::OK);
    assert!(text.text().await.unwrap().contains("Docs toolchain"));
    let json_body = client
        .post(server.url("/mermaid/png"))
        .json(&json!({"diagram_source": FLOW, "diagram_options": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::OK);
    assert!(is_png(&json_body.bytes().await.unwrap()));
    let by_accept = client
        .post(server.url("/mermaid"))
        .header("accept", "image/png")
        .body(FLOW)
        .send()
        .await
        .unwrap();
    assert_eq!(by_accept.headers()["content-type"], "image/png");
    let root = client
        .post(server.url("/"))
        .json(&json!({"diagram_source": FLOW, "diagram_type": "mermaid", "output_format": "svg"}))
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), StatusCode::OK);
    assert_eq!(root.headers()["content-type"], "image/svg+xml");

    // Errors: 400 with one plain-text sentence, as Kroki answers.
    for (request, needle) in [
        (
            client.get(server.url(&format!(
                "/mermaid/svg/{}",
                kroki_encode("flowchart LR\n  a --> \n  b -->> -->")
            ))),
            "Error 400",
        ),
        (client.get(server.url("/mermaid/svg/not-deflated")), "zlib"),
        (
            client.get(server.url(&format!("/mermaid/jpeg/{}", kroki_encode(FLOW)))),
            "Unsupported output format: jpeg",
        ),
        (
            client.post(server.url("/")).json(&json!({
                "diagram_source": "Bob -> Alice : hello",
                "diagram_type": "plantuml",
                "output_format": "svg",
            })),
            "draws mermaid only",
        ),
    ] {
        let reply = request.send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
        assert!(
            reply.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let body = reply.text().await.unwrap();
        assert!(body.contains(needle), "{body}");
    }
    // A deflate bomb in the URL is refused, not inflated.
    let bomb = kroki_encode(&"%% padding\n".repeat(100_000));
    assert!(bomb.len() < 8 * 1024);
    let reply = get(&server, &format!("/mermaid/svg/{bomb}")).await;
    assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        reply
            .text()
            .await
            .unwrap()
            .contains("inflates to more than 300 KiB")
    );
}

#[tokio::test]
async fn mermaid_ink_urls_take_base64_live_editor_state_and_pako() {
    let server = public().await;
    let plain = get(&server, &format!("/svg/{}", STANDARD.encode(FLOW))).await;
    assert_eq!(plain.status(), StatusCode::OK);
    let plain = plain.text().await.unwrap();
    assert!(plain.contains("Reef renders it"));

    // The Live Editor's state, as its "Copy image URL" writes it: pako-deflated JSON whose
    // `mermaid` is itself JSON text.
    let state = json!({
        "code": FLOW,
        "mermaid": "{\n  \"theme\": \"dark\"\n}",
        "autoSync": true,
        "updateDiagram": true,
    });
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(state.to_string().as_bytes()).unwrap();
    let pako = format!("pako:{}", URL_SAFE_NO_PAD.encode(encoder.finish().unwrap()));
    let dark = get(&server, &format!("/svg/{pako}")).await;
    assert_eq!(dark.status(), StatusCode::OK);
    let dark = dark.text().await.unwrap();
    assert!(dark.contains("Reef renders it"));
    assert_ne!(dark, plain, "the state's dark theme is drawn");
    let img = get(&server, &format!("/img/{pako}?type=png")).await;
    assert_eq!(img.headers()["content-type"], "image/png");
    assert!(is_png(&img.bytes().await.unwrap()));
    // The older base64-of-JSON state.
    let old_state =
        URL_SAFE.encode(json!({"code": FLOW, "mermaid": {"theme": "default"}}).to_string());
    let old = get(&server, &format!("/img/{old_state}")).await;
    assert!(is_png(&old.bytes().await.unwrap()));
    let jpeg = get(&server, &format!("/img/{old_state}?type=jpeg")).await;
    assert_eq!(jpeg.status(), StatusCode::BAD_REQUEST);
    assert!(jpeg.text().await.unwrap().contains("png"));
}

#[tokio::test]
async fn each_address_is_rate_limited_on_its_own() {
    let server = TestServer::start_with(|c| {
        c.public_render = true;
        c.public_render_per_min = 3;
    })
    .await;
    let path = format!("/svg/{}", STANDARD.encode(FLOW));
    for _ in 0..3 {
        assert_eq!(get(&server, &path).await.status(), StatusCode::OK);
    }
    let limited = get(&server, &path).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    let other = common::Browser::at(&server.base, "127.0.0.2".parse().unwrap());
    assert_eq!(other.get(&path).await.status, StatusCode::OK);
}

fn mkdocs_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import mkdocs, kroki"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Builds a one-page MkDocs site whose page has a ```mermaid fence, with mkdocs-kroki-plugin
/// pointed at Reef; returns the built page's HTML.
fn build_site(server_url: &str, method: &str, tag_format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("docs/index.md"),
        format!("# Architecture\n\n```mermaid\n{FLOW}```\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mkdocs.yml"),
        format!(
            "site_name: Reef docs test\nplugins:\n  - kroki:\n      server_url: {server_url}\n      http_method: {method}\n      tag_format: {tag_format}\n      fence_prefix: ''\n      fail_fast: true\n"
        ),
    )
    .unwrap();
    let out = std::process::Command::new("python3")
        .args(["-m", "mkdocs", "build", "--strict", "--site-dir", "site"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mkdocs build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.path().join("site/index.html")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mkdocs_site_with_the_kroki_plugin_renders_its_diagrams_with_reef() {
    if !mkdocs_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install mkdocs and mkdocs-kroki-plugin (pip)"
        );
        eprintln!("skipped: pip install mkdocs mkdocs-kroki-plugin to build a site against Reef");
        return;
    }
    let server = public().await;
    let base = server.base.clone();
    // POST, with the SVG inlined into the page at build time.
    let inline = tokio::task::spawn_blocking({
        let base = base.clone();
        move || build_site(&base, "POST", "svg")
    })
    .await
    .unwrap();
    assert!(inline.contains("<svg"), "{inline}");
    assert!(inline.contains("Reef renders it"), "{inline}");
    // GET, with an <img> pointing at Reef: the URL it wrote answers with the diagram.
    let linked = tokio::task::spawn_blocking(move || build_site(&base, "GET", "img"))
        .await
        .unwrap();
    let src = common::extract_between(&linked, &format!("src=\"{}", server.base), "\"")
        .unwrap_or_else(|| panic!("no image from Reef: {linked}"));
    let image = get(&server, &src.replace("&amp;", "&")).await;
    assert_eq!(image.status(), StatusCode::OK, "{src}");
    assert!(image.text().await.unwrap().contains("Reef renders it"));
}
