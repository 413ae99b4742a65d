//! Hosting under a sub-path (`--public-url https://host/reef/`) behind a reverse proxy that
//! forwards only `/reef/…`: every URL in every page, every redirect and every share link
//! stays under `/reef`, and all of them answer, whether the proxy passes the prefix on or
//! strips it.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::{Browser, PASSWORD, SubPathProxy, TestServer, extract_between};
use reqwest::StatusCode;

/// Reef behind a `/reef` proxy; the browser's base is the proxy's `/reef`.
async fn behind_proxy(strip: bool) -> (TestServer, SubPathProxy, Browser) {
    let mut proxy = SubPathProxy::bind().await;
    let public = proxy.public_url();
    let server = TestServer::start_with(move |c| {
        c.public_url = Some(public.trim_end_matches('/').to_owned());
        c.open_signups = true;
    })
    .await;
    proxy.forward_to(&server.base, strip);
    let browser = Browser::new(&proxy.base());
    (server, proxy, browser)
}

/// Every URL a page points at: `href`, `src`, `action` and the editor's `data-preview`.
fn urls(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["href=\"", "src=\"", "action=\"", "data-preview=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let end = rest.find('"').unwrap();
            found.push(rest[..end].replace("&#x2f;", "/"));
            rest = &rest[end..];
        }
    }
    found
}

/// Checks that each root-relative URL on `page` is under `/reef`, and gathers them.
fn under_prefix(path: &str, html: &str, seen: &mut BTreeSet<String>) {
    for url in urls(html) {
        if url.starts_with('#') || url.starts_with("data:") || url.starts_with("http") {
            continue;
        }
        assert!(
            url == "/reef" || url.starts_with("/reef/"),
            "{path} points at {url:?}, outside /reef"
        );
        seen.insert(url);
    }
}

async fn every_url_stays_under_the_public_path(strip: bool) {
    let (_server, proxy, b) = behind_proxy(strip).await;
    let mut seen = BTreeSet::new();

    // A guest makes a diagram and shares it.
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    under_prefix("/", &home.body, &mut seen);
    let csrf = home.csrf();
    let created = b.post_raw("/d", &[("csrf", &csrf)]).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let location = created.location.unwrap();
    let id = location
        .strip_prefix("/reef/d/")
        .unwrap_or_else(|| panic!("redirected to {location}"))
        .to_owned();
    let shared = b
        .post_raw(
            &format!("/d/{id}/share"),
            &[("enabled", "on"), ("csrf", &csrf)],
        )
        .await;
    assert!(
        shared.location.as_deref().unwrap().starts_with("/reef/d/"),
        "{:?}",
        shared.location
    );
    let editor = b.get(&format!("/d/{id}")).await;
    assert_eq!(editor.status, StatusCode::OK);
    under_prefix("editor", &editor.body, &mut seen);
    assert!(editor.body.contains("data-preview=\"/reef/preview\""));
    let share_link = extract_between(&editor.body, &format!("{}/reef/s/", proxy.origin), "\"")
        .unwrap_or_else(|| panic!("no share link under the public URL: {}", editor.body));

    for path in [
        "/trash".to_owned(),
        format!("/d/{id}/revisions"),
        format!("/d/{id}/revisions/1"),
        "/login".to_owned(),
        "/signup".to_owned(),
        format!("/s/{share_link}"),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        under_prefix(&path, &page.body, &mut seen);
    }
    // Error pages, built without the configuration at hand, link under /reef too.
    let missing = b.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    under_prefix("a 404 page", &missing.body, &mut seen);

    // The live preview answers at the address the editor's script is given.
    let preview = b
        .client
        .post(format!("{}/reef/preview", proxy.origin))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"source": "flowchart LR\n  a --> b\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::OK);

    // An account: sign-up redirects under /reef, and the settings page links there too.
    let signup_csrf = b.get("/signup").await.csrf();
    let signed_up = b
        .post_raw(
            "/signup",
            &[
                ("email", "owner@example.net"),
                ("password", PASSWORD),
                ("csrf", &signup_csrf),
            ],
        )
        .await;
    assert_eq!(signed_up.location.as_deref(), Some("/reef/"));
    let settings = b.get("/settings").await;
    assert_eq!(settings.status, StatusCode::OK);
    under_prefix("/settings", &settings.body, &mut seen);

    // Every link, image, stylesheet and script found answers through the proxy.
    for url in seen.iter().filter(|u| !u.ends_with("/logout")) {
        let reply = b
            .client
            .get(format!("{}{url}", proxy.origin))
            .send()
            .await
            .unwrap();
        assert!(
            !matches!(
                reply.status(),
                StatusCode::NOT_FOUND | StatusCode::INTERNAL_SERVER_ERROR
            ) || url.contains("/revisions/") && url.ends_with("/restore"),
            "{url} answered {}",
            reply.status()
        );
    }
    assert!(seen.iter().any(|u| u.starts_with("/reef/static/")));
    assert!(seen.iter().any(|u| u.ends_with("/image.svg")));
}

#[tokio::test]
async fn behind_a_proxy_that_passes_the_prefix_on_every_url_stays_under_it() {
    every_url_stays_under_the_public_path(false).await;
}

#[tokio::test]
async fn behind_a_proxy_that_strips_the_prefix_every_url_stays_under_it() {
    every_url_stays_under_the_public_path(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_check_follows_the_public_path() {
    let (_server, proxy, _b) = behind_proxy(true).await;
    let url = format!("{}/", proxy.base());
    let health = tokio::task::spawn_blocking(move || {
        std::process::Command::new(common::reef_exe())
            .args(["healthcheck", "--url", &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );
}

#[tokio::test]
async fn at_the_root_nothing_changes() {
    let server = TestServer::start_with(|c| {
        c.public_url = Some("https://reef.example.net".into());
    })
    .await;
    let page = server.browser().get("/").await;
    assert!(page.body.contains("href=\"/new\""), "{}", page.body);
    assert!(page.body.contains("href=\"/trash\""));
}

#[test]
fn a_public_url_with_a_query_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::reef_exe())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(["--public-url", "https://example.net/reef?x=1"])
        .env("REEF_DATA", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("without a query or fragment"), "{stderr}");
}
