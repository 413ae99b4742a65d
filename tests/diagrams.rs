//! Diagrams in the browser: create, edit, revisions, trash, sharing, ownership and bad input.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Browser, TestServer, extract_between};
use reqwest::StatusCode;

const FLOW: &str = "flowchart LR\n  A[Start] --> B[End]\n";

#[tokio::test]
async fn a_guest_can_create_edit_and_see_a_diagram_kept() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let editor = b.get(&format!("/d/{id}")).await;
    assert_eq!(editor.status, StatusCode::OK);
    assert!(
        editor.body.contains("flowchart LR"),
        "new diagrams start from an example"
    );

    b.save(&id, "Release flow", FLOW)
        .await
        .assert_redirect(&format!("/d/{id}?saved=1"));
    let editor = b.get(&format!("/d/{id}")).await;
    assert!(editor.body.contains("value=\"Release flow\""));
    assert!(editor.body.contains("A[Start] --&#62; B[End]"));
    let list = b.get("/").await;
    assert!(list.body.contains("Release flow"));

    let image = b
        .client
        .get(b.url(&format!("/d/{id}/image.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()["content-type"], "image/svg+xml");
    assert!(
        image.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let svg = image.text().await.unwrap();
    assert!(svg.contains("<svg") && svg.contains("Start"));
}

#[tokio::test]
async fn textarea_line_endings_are_stored_as_typed() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.save(&id, "CRLF", "flowchart LR\r\n  A --> B\r\n").await;
    let source: String = server
        .state
        .db
        .conn()
        .unwrap()
        .query_row("SELECT source FROM diagrams WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(source, "flowchart LR\n  A --> B\n");
}

#[tokio::test]
async fn someone_elses_diagram_is_not_found() {
    let server = TestServer::start().await;
    let owner = server.browser();
    let id = owner.new_diagram().await;
    let stranger = server.browser();
    for path in [
        format!("/d/{id}"),
        format!("/d/{id}/image.svg"),
        format!("/d/{id}/revisions"),
        format!("/d/{id}/revisions/1"),
    ] {
        assert_eq!(
            stranger.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in [
        format!("/d/{id}"),
        format!("/d/{id}/delete"),
        format!("/d/{id}/share"),
        format!("/d/{id}/revisions/1/restore"),
    ] {
        let page = stranger
            .post(
                &path,
                &[("title", "x"), ("source", FLOW), ("enabled", "on")],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        stranger.get("/d/doesnotexist").await.status,
        StatusCode::NOT_FOUND
    );
    // The owner's diagram is untouched.
    assert!(
        owner
            .get(&format!("/d/{id}"))
            .await
            .body
            .contains("Untitled diagram")
    );
}

#[tokio::test]
async fn every_save_keeps_a_revision_that_can_be_restored() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.save(&id, "First", "flowchart LR\n  one --> two\n").await;
    b.save(&id, "Second", "flowchart LR\n  three --> four\n")
        .await;
    let list = b.get(&format!("/d/{id}/revisions")).await;
    for v in ["v1", "v2", "v3"] {
        assert!(list.body.contains(v), "{v} missing");
    }
    let v2 = b.get(&format!("/d/{id}/revisions/2")).await;
    assert!(v2.body.contains("one --&#62; two"));
    b.post(&format!("/d/{id}/revisions/2/restore"), &[])
        .await
        .assert_redirect(&format!("/d/{id}?saved=1"));
    let editor = b.get(&format!("/d/{id}")).await;
    assert!(editor.body.contains("one --&#62; two"));
    assert!(editor.body.contains("value=\"First\""));
    // The restore is itself a new version; nothing was lost.
    assert!(
        b.get(&format!("/d/{id}/revisions"))
            .await
            .body
            .contains("v4")
    );
    assert_eq!(
        b.get(&format!("/d/{id}/revisions/99")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn only_the_last_hundred_revisions_are_kept() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let owner = {
        let conn = server.state.db.conn().unwrap();
        let guest: Vec<u8> = conn
            .query_row(
                "SELECT owner_guest FROM diagrams WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )
            .unwrap();
        reef::db::diagrams::Owner::Guest(guest.try_into().unwrap())
    };
    let mut conn = server.state.db.conn().unwrap();
    for i in 0..120 {
        let source = format!("flowchart LR\n  A --> N{i}\n");
        reef::db::diagrams::update(
            &mut conn,
            &owner,
            &id,
            "t",
            &source,
            None,
            reef::db::UnixTime(1_000 + i),
        )
        .unwrap();
    }
    let revs = reef::db::diagrams::revisions(&conn, &id).unwrap();
    assert_eq!(revs.len(), 100);
    assert_eq!(revs[0].version, 121);
    assert_eq!(revs[99].version, 22);
}

#[tokio::test]
async fn a_stale_save_is_refused_and_keeps_the_typed_text() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let csrf = b.csrf().await;
    // Tab one saves version 1 -> 2.
    b.post(
        &format!("/d/{id}"),
        &[("title", "Tab one"), ("source", FLOW), ("version", "1")],
    )
    .await
    .assert_redirect(&format!("/d/{id}?saved=1"));
    // Tab two still edits version 1.
    let page = b
        .post_raw(
            &format!("/d/{id}"),
            &[
                ("title", "Tab two"),
                ("source", "flowchart LR\n  mine --> kept\n"),
                ("version", "1"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("changed somewhere else"));
    assert!(
        page.body.contains("mine --&#62; kept"),
        "the typed text is kept"
    );
    assert!(page.body.contains("name=\"version\" value=\"2\""));
    // Saving again from that page (now at version 2) wins deliberately.
    b.post(
        &format!("/d/{id}"),
        &[
            ("title", "Tab two"),
            ("source", "flowchart LR\n  mine --> kept\n"),
            ("version", "2"),
        ],
    )
    .await
    .assert_redirect(&format!("/d/{id}?saved=1"));
}

#[tokio::test]
async fn bad_titles_and_sources_get_clear_messages_and_lose_nothing() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let cases = [
        ("", FLOW, "Give the diagram a title"),
        (&*"t".repeat(201), FLOW, "200 characters"),
        ("Fine", "   ", "source is empty"),
        (
            "Fine",
            &*format!("flowchart LR\n%% {}\n", "x".repeat(300 * 1024)),
            "limit is 256 KiB",
        ),
    ];
    for (title, source, message) in cases {
        let page = b.save(&id, title, source).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(page.body.contains(message), "{message}");
        // The browser tab keeps the stored title, whatever was typed.
        assert!(
            page.body.contains("<title>Untitled diagram · Reef</title>"),
            "{message}"
        );
    }
    // The stored diagram is untouched.
    assert!(
        b.get(&format!("/d/{id}"))
            .await
            .body
            .contains("Untitled diagram")
    );
}

#[tokio::test]
async fn a_body_over_one_mebibyte_gets_a_friendly_413() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let page = b.save(&id, "Big", &"x".repeat(1_100_000)).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("larger than the 1 MiB"));
}

#[tokio::test]
async fn invalid_utf8_in_a_form_is_a_clear_400() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let csrf = b.csrf().await;
    let mut body = format!("csrf={csrf}&title=ok&source=").into_bytes();
    body.extend_from_slice(&[0xff, 0xfe, b'a']);
    let response = b
        .client
        .post(b.url(&format!("/d/{id}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("not valid UTF-8"));
}

#[tokio::test]
async fn deleted_diagrams_go_to_the_trash_and_can_be_restored() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.save(&id, "Keep me", FLOW).await;
    b.post(&format!("/d/{id}/delete"), &[])
        .await
        .assert_redirect("/?deleted=1");
    assert!(!b.get("/").await.body.contains("Keep me"));
    assert_eq!(
        b.get(&format!("/d/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let trash = b.get("/trash").await;
    assert!(trash.body.contains("Keep me"));
    assert!(trash.body.contains("deleted for good in 30 days"));
    b.post(&format!("/d/{id}/restore"), &[])
        .await
        .assert_redirect(&format!("/d/{id}"));
    assert!(b.get("/").await.body.contains("Keep me"));
    assert!(!b.get("/trash").await.body.contains("Keep me"));
}

#[tokio::test]
async fn the_trash_is_purged_after_thirty_days() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.post(&format!("/d/{id}/delete"), &[]).await;
    let now = server.state.clock.now();
    let conn = server.state.db.conn().unwrap();
    assert_eq!(
        reef::db::diagrams::purge_trash(&conn, now + 29 * 86_400).unwrap(),
        0
    );
    assert_eq!(
        reef::db::diagrams::purge_trash(&conn, now + 31 * 86_400).unwrap(),
        1
    );
    assert!(!b.get("/trash").await.body.contains(&id));
}

#[tokio::test]
async fn a_shared_link_renders_read_only_and_disappears_when_unshared() {
    let server = TestServer::start().await;
    let owner = server.browser();
    let id = owner.new_diagram().await;
    owner.save(&id, "Shared flow", FLOW).await;
    owner
        .post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await
        .assert_redirect(&format!("/d/{id}"));
    let editor = owner.get(&format!("/d/{id}")).await;
    let url = extract_between(&editor.body, "id=\"share-url\"", ">")
        .and_then(|tag| extract_between(&tag, "value=\"", "\""))
        .or_else(|| extract_between(&editor.body, "readonly value=\"", "\""))
        .unwrap();
    let path = url
        .split_once("/s/")
        .map(|(_, s)| format!("/s/{s}"))
        .unwrap();

    let stranger = server.browser();
    let shared = stranger.get(&path).await;
    assert_eq!(shared.status, StatusCode::OK);
    assert!(shared.body.contains("Shared flow"));
    assert!(
        !shared.body.contains("<script"),
        "the share page needs no JavaScript"
    );
    assert!(
        !shared.body.contains("<form"),
        "the share page is read-only"
    );
    assert_eq!(
        stranger.get(&format!("{path}/image.svg")).await.status,
        StatusCode::OK
    );

    // The page carries a strong ETag; a reader who holds it gets 304 until the diagram
    // changes, and the unshared link is gone whatever tag is sent.
    let first = stranger
        .client
        .get(stranger.url(&path))
        .send()
        .await
        .unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    let again = get_if_none_match(&stranger, &path, &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    owner.save(&id, "Shared flow, renamed", FLOW).await;
    let changed = get_if_none_match(&stranger, &path, &etag).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let etag = changed.headers()["etag"].to_str().unwrap().to_owned();

    owner
        .post(&format!("/d/{id}/share"), &[("enabled", "off")])
        .await;
    assert_eq!(
        get_if_none_match(&stranger, &path, &etag).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(stranger.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        stranger.get(&format!("{path}/image.svg")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn share_links_use_the_configured_public_url() {
    let server =
        TestServer::start_with(|c| c.public_url = Some("https://reef.example.net".into())).await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await;
    assert!(
        b.get(&format!("/d/{id}"))
            .await
            .body
            .contains("value=\"https://reef.example.net/s/")
    );
}

#[tokio::test]
async fn a_parse_error_is_shown_with_its_line_and_the_text_is_still_saved() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let broken = "flowchart LR\n  A --> B\n  subgraph one\n  C --> D\n";
    b.save(&id, "Broken", broken)
        .await
        .assert_redirect(&format!("/d/{id}?saved=1"));
    let editor = b.get(&format!("/d/{id}")).await;
    assert!(editor.body.contains("subgraph one"), "nothing lost");
    let alert = extract_between(&editor.body, "id=\"render-error\"", "</p>").unwrap();
    assert!(!alert.contains("hidden"), "the error is visible: {alert}");
    // The subgraph is never closed: the error is at the end of the text, the last line.
    assert!(alert.contains("line 4, column 10"), "{alert}");
    assert!(alert.contains("&#34;end&#34;"), "{alert}");
    let notice = extract_between(&editor.body, "id=\"render-notice\"", "</p>").unwrap();
    assert!(
        notice.contains("hidden"),
        "no notice beside an error: {notice}"
    );
}

#[tokio::test]
async fn a_diagram_asking_for_elk_says_it_is_drawn_with_the_default_layout() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.save(&id, "Elk", "flowchart-elk LR\n  A --> B\n")
        .await
        .assert_redirect(&format!("/d/{id}?saved=1"));
    let editor = b.get(&format!("/d/{id}")).await;
    let notice = extract_between(&editor.body, "id=\"render-notice\"", "</p>").unwrap();
    assert!(!notice.contains("hidden"), "{notice}");
    assert!(
        notice.contains("ELK layout, which Reef does not include"),
        "{notice}"
    );
}

#[tokio::test]
async fn the_live_preview_needs_the_csrf_header_and_reports_errors_as_json() {
    let server = TestServer::start().await;
    let b = server.browser();
    let csrf = b.csrf().await;
    let ok = b
        .client
        .post(b.url("/preview"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"source": FLOW}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert!(body["svg"].as_str().unwrap().contains("<svg"));
    assert_eq!(body["notices"], serde_json::json!([]), "{body}");
    let elk: serde_json::Value = b
        .client
        .post(b.url("/preview"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"source": "flowchart-elk LR\n  A --> B\n"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        elk["notices"][0].as_str().unwrap_or("").contains("ELK"),
        "{elk}"
    );

    let no_csrf = b
        .client
        .post(b.url("/preview"))
        .json(&serde_json::json!({"source": FLOW}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);

    let bad = b
        .client
        .post(b.url("/preview"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"source": "flowchart LR\n  A --> B\n  subgraph x\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "parse_error");
    assert!(body["line"].as_u64().is_some(), "{body}");
}

#[tokio::test]
async fn the_list_is_paginated_newest_first() {
    let server = TestServer::start().await;
    let b = server.browser();
    let mut ids = Vec::new();
    for i in 0..30 {
        let id = b.new_diagram().await;
        server.state.clock.advance(1);
        b.save(&id, &format!("Diagram number {i:02}"), FLOW).await;
        ids.push(id);
    }
    let first = b.get("/").await;
    assert!(first.body.contains("Diagram number 29"));
    assert!(!first.body.contains("Diagram number 05"));
    let next = extract_between(&first.body, "href=\"/?cursor=", "\"").unwrap();
    let second = b.get(&format!("/?cursor={next}")).await;
    assert!(second.body.contains("Diagram number 05"));
    assert!(second.body.contains("Diagram number 00"));
    assert!(!second.body.contains("Diagram number 29"));
    assert!(!second.body.contains("?cursor="));
}

#[tokio::test]
async fn pages_carry_strict_security_headers_and_hashed_assets() {
    let server = TestServer::start().await;
    let b = server.browser();
    let page = b.get("/").await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline'; script"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(!page.body.contains("<script>"), "no inline script");
    let css = extract_between(&page.body, "rel=\"stylesheet\" href=\"", "\"").unwrap();
    let asset = b.client.get(b.url(&css)).send().await.unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(
        b.get("/static/style.css").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get("/static/..%2fCargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
    let missing = b.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Not found"));
}

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let server = TestServer::start().await;
    let page = server.browser().get("/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "ok");
}

#[tokio::test]
async fn images_carry_a_strong_etag_and_answer_304_when_unchanged() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.save(&id, "Cached", FLOW).await;
    let first = b
        .client
        .get(b.url(&format!("/d/{id}/image.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    let again = get_if_none_match(&b, &format!("/d/{id}/image.svg"), &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Browsers keep a 304's headers: it must carry the SVG's policy, which allows its inline
    // styles and font, not the pages' (with which a reloaded SVG draws as black boxes).
    assert_eq!(
        again.headers()["content-security-policy"],
        first.headers()["content-security-policy"]
    );
    assert!(again.bytes().await.unwrap().is_empty());
    // A new version draws a new picture and a new tag.
    b.save(&id, "Cached", "flowchart LR\n  X --> Y\n").await;
    let changed = get_if_none_match(&b, &format!("/d/{id}/image.svg"), &etag).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    // Someone else's diagram is still not found, tag or no tag.
    let stranger = server.browser();
    let response = get_if_none_match(&stranger, &format!("/d/{id}/image.svg"), &etag).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// A GET that says which version of the response the client already holds.
async fn get_if_none_match(browser: &Browser, path: &str, etag: &str) -> reqwest::Response {
    browser
        .client
        .get(browser.url(path))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_editor_and_the_share_page_offer_downloads_named_after_the_title() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let source = "flowchart LR\n  a[Download me] --> b\n";
    b.save(&id, "Release flow / v2: ünïcode", source).await;
    let editor = b.get(&format!("/d/{id}")).await;
    assert!(
        editor.body.contains(&format!("/d/{id}/download/png")),
        "{}",
        editor.body
    );

    let svg = b.get(&format!("/d/{id}/download/svg")).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert_eq!(
        svg.headers["content-disposition"],
        "attachment; filename=\"Release flow - v2- -n-code.svg\""
    );
    assert!(svg.body.contains("Download me"));
    let png = b
        .client
        .get(b.url(&format!("/d/{id}/download/png?scale=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), StatusCode::OK);
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
    let mmd = b.get(&format!("/d/{id}/download/mmd")).await;
    assert_eq!(mmd.body, source);
    for bad in ["jpeg", "png?scale=9"] {
        assert_eq!(
            b.get(&format!("/d/{id}/download/{bad}")).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    // Another visitor cannot download it; a broken diagram is a page saying why.
    let other = server.browser();
    assert_eq!(
        other.get(&format!("/d/{id}/download/svg")).await.status,
        StatusCode::NOT_FOUND
    );
    // Shared, anyone with the link can; unshared, nobody.
    b.post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await;
    let editor = b.get(&format!("/d/{id}")).await;
    let share = extract_between(&editor.body, "/s/", "\"").unwrap();
    let page = other.get(&format!("/s/{share}")).await;
    assert!(page.body.contains(&format!("/s/{share}/download/svg")));
    let shared = other.get(&format!("/s/{share}/download/mmd")).await;
    assert_eq!(shared.status, StatusCode::OK);
    assert_eq!(shared.body, source);
    b.post(&format!("/d/{id}/share"), &[("enabled", "off")])
        .await;
    assert_eq!(
        other.get(&format!("/s/{share}/download/mmd")).await.status,
        StatusCode::NOT_FOUND
    );
    let broken = b.new_diagram().await;
    b.save(&broken, "Broken", "flowchart LR\n  a -->\n").await;
    let refused = b.get(&format!("/d/{broken}/download/svg")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
}
