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
    // Compared with the version before (the example) and, on request, with the current one.
    assert!(v2.body.contains("Changes from version 1 to version 2"));
    assert!(
        v2.body
            .contains(r#"<span class="added">+   one --&#62; two</span>"#),
        "{}",
        v2.body
    );
    let against = b.get(&format!("/d/{id}/revisions/2?against=current")).await;
    assert!(
        against
            .body
            .contains("Changes from version 2 to the current version (3)")
    );
    assert!(
        against
            .body
            .contains(r#"<span class="removed">-   one --&#62; two</span>"#)
    );
    assert!(
        against
            .body
            .contains(r#"<span class="added">+   three --&#62; four</span>"#)
    );
    assert!(against.body.contains("Also bring back its title “First”"));
    // Restoring brings the text back and keeps the current title...
    b.post(&format!("/d/{id}/revisions/2/restore"), &[])
        .await
        .assert_redirect(&format!("/d/{id}?saved=1"));
    let editor = b.get(&format!("/d/{id}")).await;
    assert!(editor.body.contains("one --&#62; two"));
    assert!(editor.body.contains("value=\"Second\""));
    // ...unless asked for the old title as well.
    b.post(&format!("/d/{id}/revisions/2/restore"), &[("title", "on")])
        .await
        .assert_redirect(&format!("/d/{id}?saved=1"));
    let editor = b.get(&format!("/d/{id}")).await;
    assert!(editor.body.contains("value=\"First\""));
    // Each restore is itself a new version; nothing was lost.
    let list = b.get(&format!("/d/{id}/revisions")).await;
    assert!(list.body.contains("v5"));
    // The same text again: said plainly, no empty diff box.
    let same = b.get(&format!("/d/{id}/revisions/5")).await;
    assert!(same.body.contains("The Mermaid text is the same."));
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
    assert!(page.body.contains("saved somewhere else"));
    // Both versions, as a line diff: theirs removed, the typed text added.
    assert!(page.body.contains("Saved elsewhere as version 2"));
    assert!(
        page.body.contains("Not saved: your text is below"),
        "the status line says so"
    );
    assert!(
        page.body
            .contains(r#"<span class="added">+   mine --&#62; kept</span>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"<span class="removed">- "#));
    assert!(page.body.contains("Their title: “Tab one”"));
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
async fn the_editor_saves_in_the_background_and_a_conflict_sends_both_versions() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let path = format!("/d/{id}");
    let json = [("accept", "application/json")];
    // The script's save: JSON back, no redirect, the new version in the body and the ETag.
    let saved = b
        .post_with(
            &path,
            &[("title", "Background"), ("source", FLOW), ("version", "1")],
            &[("accept", "application/json"), ("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
    assert_eq!(saved.header("etag").as_deref(), Some("\"2\""));
    let body = saved.json();
    assert_eq!(body["version"], 2);
    assert_eq!(body["title"], "Background");

    // If-Match wins over the form's field: the page's hidden field may be older than what
    // the script last saved.
    let stale = b
        .post_with(
            &path,
            &[
                ("title", "Background"),
                ("source", "flowchart TD\n  A --> mine\n"),
                ("version", "2"),
            ],
            &[("accept", "application/json"), ("if-match", "\"1\"")],
        )
        .await;
    stale.assert_error(StatusCode::CONFLICT, "edit_conflict");
    let body = stale.json();
    assert_eq!(body["current"]["version"], 2);
    assert_eq!(body["current"]["source"], FLOW);
    let diff = body["diff"].as_array().unwrap();
    assert!(
        diff.iter()
            .any(|l| l["kind"] == "added" && l["text"] == "  A --> mine"),
        "{diff:?}"
    );
    assert!(diff.iter().any(|l| l["kind"] == "removed"), "{diff:?}");
    // Nothing was written by the refused save.
    let page = b.get(&path).await;
    assert!(page.body.contains("name=\"version\" value=\"2\""));

    // Broken rules come back as the envelope too, and nothing is lost.
    let invalid = b
        .post_with(
            &path,
            &[("title", " "), ("source", FLOW), ("version", "2")],
            &json,
        )
        .await;
    invalid.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        invalid.json()["message"]
            .as_str()
            .unwrap()
            .contains("title")
    );
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
        ("Two\nlines", FLOW, "A title is one line of text"),
        ("Nul\u{0}byte", FLOW, "A title is one line of text"),
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
        .assert_redirect(&format!("/d/{id}?share=on#share"));
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
    // The picture is a plain image; the one script only adds zoom and full screen to it.
    assert_eq!(
        shared.body.matches("<script").count(),
        1,
        "only the viewer's script"
    );
    assert!(shared.body.contains("<script src=\"/static/preview."));
    assert!(shared.body.contains("<img src=\"/s/"));
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
async fn a_shared_diagrams_click_links_are_areas_over_their_nodes() {
    let server = TestServer::start().await;
    let owner = server.browser();
    let id = owner.new_diagram().await;
    let source = "flowchart TD\n    a[Start] --> docs[Read the docs]\n    docs --> b[Done]\n    click docs href \"https://example.org/docs?a=1&b=2\" _blank\n    click b \"https://example.net\" \"Tip\" _blank\n    click a \"javascript:alert(1)\"\n    click b call callback()\n";
    owner.save(&id, "Linked", source).await;
    owner
        .post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await;
    let editor = owner.get(&format!("/d/{id}")).await;
    let path = extract_between(&editor.body, "/s/", "\"")
        .map(|s| format!("/s/{s}"))
        .unwrap();
    let stranger = server.browser();
    let page = stranger.get(&path).await.body;
    let map = extract_between(&page, "<svg class=\"link-map\"", "</svg>").expect("a link map");
    assert_eq!(map.matches("<a ").count(), 2, "only the web links: {map}");
    assert_eq!(
        map.matches("target=\"_blank\"").count(),
        2,
        "both ask for a new window: {map}"
    );
    assert!(
        map.contains("href=\"https://example.org/docs?a=1&#38;b=2\"")
            || map.contains("href=\"https://example.org/docs?a=1&amp;b=2\""),
        "{map}"
    );
    assert!(
        map.contains("target=\"_blank\"") && map.contains("rel=\"noopener noreferrer nofollow\"")
    );
    let number = |attr: &str, within: &str| -> f64 {
        extract_between(within, &format!(" {attr}=\""), "\"")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{attr} in {within}"))
    };
    let docs_area = extract_between(&map, "example.org/docs", "</a>").unwrap();
    let rect = extract_between(&docs_area, "<rect", "/>").unwrap();
    let (x, y, w, h) = (
        number("x", &rect),
        number("y", &rect),
        number("width", &rect),
        number("height", &rect),
    );
    // The node's centre in the served SVG, in the same pixel space (the SVG's viewBox origin
    // moved to 0 0).
    let svg = stranger.get(&format!("{path}/image.svg")).await.body;
    let view_box = extract_between(&svg, "viewBox=\"", "\"").unwrap();
    let origin: Vec<f64> = view_box
        .split([' ', ','])
        .filter_map(|v| v.parse().ok())
        .collect();
    // The link wraps the node, and one of the two is moved to the node's centre.
    let node = svg
        .split("<a ")
        .find(|a| a.contains("flowchart-docs-"))
        .expect("the linked node");
    let translate = extract_between(node, "translate(", ")").unwrap();
    let centre: Vec<f64> = translate
        .split([',', ' '])
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let (cx, cy) = (centre[0] - origin[0], centre[1] - origin[1]);
    assert!(
        (x + w / 2.0 - cx).abs() < 2.0 && (y + h / 2.0 - cy).abs() < 2.0,
        "area {x},{y} {w}x{h} should be centred on the node at {cx},{cy}"
    );
    assert!(
        w > 40.0 && h > 20.0,
        "the area covers the node's box: {w}x{h}"
    );
    // The picture carries the same size, so the areas line up without JavaScript.
    let size: Vec<f64> = extract_between(&page, "viewBox=\"0 0 ", "\"")
        .unwrap()
        .split(' ')
        .filter_map(|v| v.parse().ok())
        .collect();
    assert!(
        (size[0] - origin[2]).abs() < 0.5 && (size[1] - origin[3]).abs() < 0.5,
        "map {size:?}, picture {origin:?}"
    );
    assert!(page.contains(&format!("data-width=\"{}\"", size[0])));

    // A diagram without web links gets no map (and no second render).
    owner.save(&id, "Linked", FLOW).await;
    let plain = stranger.get(&path).await.body;
    assert!(!plain.contains("link-map"));
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
        "attachment; filename=\"Release flow - v2- -n-code.svg\"; filename*=UTF-8''Release%20flow%20-%20v2-%20%C3%BCn%C3%AFcode.svg"
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
    assert_eq!(
        b.get(&format!("/d/{id}/download/jpeg")).await.status,
        StatusCode::NOT_FOUND
    );
    let bad_scale = b.get(&format!("/d/{id}/download/png?scale=9")).await;
    assert_eq!(bad_scale.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_scale
            .body
            .contains("The scale is a whole number from 1 to 4.")
    );
    // A PNG asked for at a scale is named with it.
    let big = b.get(&format!("/d/{id}/download/png?scale=4")).await;
    assert!(
        big.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename=\"Release flow - v2- -n-code@4x.png\""),
        "{:?}",
        big.headers["content-disposition"]
    );
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
    // Both pages offer every format: PNG at 1x too, and the text drawing.
    for format in ["png?scale=1", "txt"] {
        assert!(
            page.body.contains(&format!("/s/{share}/download/{format}")),
            "{format}"
        );
        assert!(
            editor.body.contains(&format!("/d/{id}/download/{format}")),
            "{format}"
        );
    }
    let drawing = other.get(&format!("/s/{share}/download/txt")).await;
    assert_eq!(drawing.status, StatusCode::OK);
    assert!(drawing.body.contains("Download me"), "{}", drawing.body);
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

#[tokio::test]
async fn export_all_gives_every_live_diagram_as_mermaid_files_in_one_zip() {
    use std::io::Read;
    let server = TestServer::start().await;
    let b = server.browser();
    let list = b.get("/").await;
    assert!(!list.body.contains("/export.zip"), "nothing to export yet");
    let mut made = Vec::new();
    for (title, source) in [
        ("Plan", "flowchart LR\n  a --> b\n"),
        ("plan", "sequenceDiagram\n  A->>B: hi\n"),
        ("Schéma / v2", "pie\n  \"x\" : 1\n"),
        ("Gone", "flowchart LR\n  trashed\n"),
    ] {
        let id = b.new_diagram().await;
        b.save(&id, title, source).await;
        made.push(id);
        // One second apart, so "newest first" is well defined.
        server.state.clock.advance(1);
    }
    b.post(&format!("/d/{}/delete", made[3]), &[]).await;
    let list = b.get("/").await;
    assert!(list.body.contains("/export.zip"));

    let zip = b.client.get(b.url("/export.zip")).send().await.unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let disposition = zip.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"reef-diagrams-")
            && disposition.ends_with(".zip\""),
        "{disposition}"
    );
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        files.insert(file.name().unwrap().into_owned(), text);
    }
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    // Newest first gets the plain name; the trashed one is not exported.
    assert_eq!(
        names,
        ["Plan (2).mmd", "Schéma - v2.mmd", "plan.mmd"],
        "{files:?}"
    );
    assert_eq!(files["plan.mmd"], "sequenceDiagram\n  A->>B: hi\n");
    assert_eq!(files["Plan (2).mmd"], "flowchart LR\n  a --> b\n");

    // Another visitor's archive holds only their own (none).
    let other = server.browser();
    let theirs = other
        .client
        .get(other.url("/export.zip"))
        .send()
        .await
        .unwrap();
    let theirs =
        zip::ZipArchive::new(std::io::Cursor::new(theirs.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(theirs.len(), 0);
}

#[tokio::test]
async fn the_editor_offers_the_diagram_as_a_markdown_block() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.save(&id, "Fenced", "flowchart LR\n  a[\"```\"] --> b\n")
        .await;
    let editor = b.get(&format!("/d/{id}")).await;
    // The text holds three backticks, so the fence is four.
    assert!(
        editor.body.contains(
            "<textarea id=\"markdown\" class=\"snippet\" readonly rows=\"6\">````mermaid\nflowchart LR\n  a[&#34;```&#34;] --&#62; b\n````\n</textarea>"
        ),
        "{}",
        editor.body
    );
}

#[tokio::test]
async fn new_diagram_offers_a_drawable_sample_of_every_kind_and_stores_nothing_before_saving() {
    let server = TestServer::start().await;
    let b = server.browser();
    let picker = b.get("/new").await;
    assert_eq!(picker.status, StatusCode::OK);
    for sample in reef::samples::SAMPLES {
        assert!(
            picker
                .body
                .contains(&format!("href=\"/new/{}\"", sample.slug)),
            "{} missing",
            sample.slug
        );
        // Every sample draws: the thumbnail is the diagram, not the error picture.
        let image = b.get(&format!("/new/{}/image.svg", sample.slug)).await;
        assert_eq!(
            image.status,
            StatusCode::OK,
            "{}: {}",
            sample.slug,
            image.body
        );
        let editor = b.get(&format!("/new/{}", sample.slug)).await;
        assert_eq!(editor.status, StatusCode::OK);
        assert!(editor.body.contains("Not saved yet"), "{}", sample.slug);
        assert!(
            !editor
                .body
                .contains("id=\"render-error\" class=\"alert error\"")
        );
    }
    let unknown = b.get("/new/nonsense").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.body.contains("no sample called “nonsense”")
            && unknown.body.contains("flowchart, sequence"),
        "the 404 says which samples there are: {}",
        unknown.body
    );
    // Opening samples stored nothing.
    let list = b.get("/").await;
    assert!(list.body.contains("No diagrams yet"), "{}", list.body);

    // The first save stores it, with the typed title and text.
    let editor = b.get("/new/sequence").await;
    assert!(editor.body.contains("action=\"/d\""));
    let saved = b
        .post(
            "/d",
            &[
                ("title", "Login flow"),
                ("source", "sequenceDiagram\n  A->>B: hi\n"),
                ("sample", "sequence"),
            ],
        )
        .await;
    let to = saved.location.clone().unwrap_or_default();
    assert!(to.starts_with("/d/") && to.ends_with("?saved=1"), "{to}");
    let page = b.get(to.trim_end_matches("?saved=1")).await;
    assert!(page.body.contains("value=\"Login flow\""));
    assert!(page.body.contains("A-&#62;&#62;B: hi"));
    // A refused first save keeps what was typed, on the same unsaved editor.
    let refused = b
        .post(
            "/d",
            &[
                ("title", ""),
                ("source", "pie\n  \"x\" : 1\n"),
                ("sample", "pie"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("action=\"/d\""));
    assert!(refused.body.contains("&#34;x&#34; : 1"));
    assert!(refused.body.contains("name=\"sample\" value=\"pie\""));
}

#[tokio::test]
async fn a_share_link_survives_off_and_on_and_the_trash_and_can_be_renewed_or_embedded() {
    let server = TestServer::start().await;
    let owner = server.browser();
    let stranger = server.browser();
    let id = owner.new_diagram().await;
    owner.save(&id, "Embedded", FLOW).await;
    owner
        .post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await
        .assert_redirect(&format!("/d/{id}?share=on#share"));
    let editor = owner.get(&format!("/d/{id}")).await;
    let link = extract_between(&editor.body, "/s/", "\"").unwrap();
    // A copy button, and ready snippets for the image.
    assert!(editor.body.contains("data-copy=\"#share-url\""));
    assert!(editor.body.contains("value=\"![Embedded](http://127.0.0.1"));
    assert!(editor.body.contains(&format!("/s/{link}.svg)\"")));
    let html_snippet = extract_between(
        &editor.body,
        "id=\"embed-html\" class=\"share-url\" readonly value=\"",
        "\">",
    )
    .unwrap();
    assert!(
        html_snippet.starts_with("&#60;img src=&#34;http://")
            && html_snippet.ends_with(".svg&#34; alt=&#34;Embedded&#34;&#62;"),
        "{html_snippet}"
    );

    // The image embeds: SVG and PNG, asked again each time.
    let svg = stranger.get(&format!("/s/{link}.svg")).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert_eq!(svg.headers["cache-control"], "no-cache");
    assert!(svg.body.contains("Start"));
    let png = stranger
        .client
        .get(stranger.url(&format!("/s/{link}.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), StatusCode::OK);
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
    assert_eq!(
        stranger.get(&format!("/s/{link}.gif")).await.status,
        StatusCode::NOT_FOUND
    );
    // The PNG takes a scale: 1× is half as wide as the default 2×; 9× is refused.
    let width = |png: &[u8]| u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let png_at = |scale: &'static str| {
        let url = stranger.url(&format!("/s/{link}.png{scale}"));
        let client = stranger.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let two = png_at("").await.bytes().await.unwrap();
    let one = png_at("?scale=1").await.bytes().await.unwrap();
    assert!(
        width(&two) > width(&one) * 19 / 10,
        "{} vs {}",
        width(&two),
        width(&one)
    );
    assert_eq!(png_at("?scale=9").await.status(), StatusCode::BAD_REQUEST);

    // Off: gone at once, page and picture. On again: the same link works again.
    owner
        .post(&format!("/d/{id}/share"), &[("enabled", "off")])
        .await;
    for path in [format!("/s/{link}"), format!("/s/{link}.svg")] {
        assert_eq!(stranger.get(&path).await.status, StatusCode::NOT_FOUND);
    }
    owner
        .post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await
        .assert_redirect(&format!("/d/{id}?share=same#share"));
    let said = owner.get(&format!("/d/{id}?share=same")).await;
    assert!(said.body.contains("with the same link as before"));
    assert_eq!(
        stranger.get(&format!("/s/{link}")).await.status,
        StatusCode::OK
    );

    // The trash hides it; a restore brings the same link back.
    owner.post(&format!("/d/{id}/delete"), &[]).await;
    assert_eq!(
        stranger.get(&format!("/s/{link}")).await.status,
        StatusCode::NOT_FOUND
    );
    owner.post(&format!("/d/{id}/restore"), &[]).await;
    assert_eq!(
        stranger.get(&format!("/s/{link}")).await.status,
        StatusCode::OK
    );

    // A new link: the old one stops at once.
    owner
        .post(&format!("/d/{id}/share"), &[("enabled", "new")])
        .await
        .assert_redirect(&format!("/d/{id}?share=new#share"));
    let editor = owner.get(&format!("/d/{id}")).await;
    let renewed = extract_between(&editor.body, "/s/", "\"").unwrap();
    assert_ne!(renewed, link);
    assert_eq!(
        stranger.get(&format!("/s/{link}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger.get(&format!("/s/{renewed}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn embed_snippets_escape_the_title_and_an_identical_save_is_no_conflict() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let title = "\"><img src=x onerror=alert(1)> [a](b)";
    b.save(&id, title, FLOW).await;
    b.post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await;
    let editor = b.get(&format!("/d/{id}")).await;
    let html = extract_between(
        &editor.body,
        "id=\"embed-html\" class=\"share-url\" readonly value=\"",
        "\">",
    )
    .unwrap();
    // Escaped twice: once for the snippet's HTML, once for the attribute holding it.
    assert!(
        html.contains("alt=&#34;&#38;quot;&#38;gt;&#38;lt;img src=x onerror=alert(1)&#38;gt;"),
        "{html}"
    );
    assert!(!html.contains("&#60;img src=x"), "{html}");
    let md = extract_between(
        &editor.body,
        "id=\"embed-markdown\" class=\"share-url\" readonly value=\"",
        "\">",
    )
    .unwrap();
    assert!(md.contains(" \\[a\\](b)](http://"), "{md}");

    // Two tabs saving exactly the same thing: the second is not a conflict.
    let json = [("accept", "application/json"), ("if-match", "\"2\"")];
    let path = format!("/d/{id}");
    let same = [("title", "Same"), ("source", FLOW)];
    let first = b.post_with(&path, &same, &json).await;
    assert_eq!(first.status, StatusCode::OK);
    let second = b.post_with(&path, &same, &json).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    assert_eq!(second.json()["version"], 3);
}

/// Posts `/import` as the page's form does: `multipart/form-data` with this browser's CSRF
/// token, the files as `(name, bytes)` and the Live Editor link.
async fn import(b: &Browser, files: &[(&str, Vec<u8>)], link: &str, csrf: bool) -> common::Page {
    let mut form = reqwest::multipart::Form::new().text("link", link.to_owned());
    if csrf {
        form = form.text("csrf", b.csrf().await);
    }
    for (name, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string());
        form = form.part("file", part);
    }
    let response = b
        .client
        .post(b.url("/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    Browser::page(response).await
}

#[tokio::test]
async fn files_markdown_zips_and_live_editor_links_can_be_imported() {
    use base64::Engine;
    use std::io::Write;
    let server = TestServer::start().await;
    let b = server.browser();
    let new = b.get("/new").await.body;
    assert!(new.contains("action=\"/import\" enctype=\"multipart/form-data\""));
    b.get("/import").await.assert_redirect("/new#import");

    // One Mermaid file: its editor, titled after the file.
    let one = import(
        &b,
        &[("Release flow.mmd", b"graph TD\n  A-->B\n".to_vec())],
        "",
        true,
    )
    .await;
    let to = one.location.clone().unwrap_or_default();
    assert!(to.starts_with("/d/") && to.ends_with("?imported=1"), "{to}");
    let editor = b.get(&to).await.body;
    assert!(
        editor.contains("value=\"Release flow\""),
        "the file's name is the title"
    );
    assert!(editor.contains("Imported: this is a new diagram"));
    assert!(editor.contains("A--&#62;B") || editor.contains("A--&gt;B"));

    // Markdown with two blocks, a zip (as Export all makes it) and a Live Editor link.
    let md = "# Plan\n```mermaid\npie\n  \"a\": 1\n```\ntext\n```mermaid\nsequenceDiagram\n  A->>B: hi\n```\n";
    let zip = b.get("/export.zip").await;
    assert_eq!(zip.status, StatusCode::OK);
    let zip_bytes = b
        .client
        .get(b.url("/export.zip"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let state = serde_json::json!({"code": "graph LR\n  X-->Y", "mermaid": "{}"});
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    deflate.write_all(state.to_string().as_bytes()).unwrap();
    let pako = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(deflate.finish().unwrap());
    let many = import(
        &b,
        &[
            ("Plan.md", md.as_bytes().to_vec()),
            ("backup.zip", zip_bytes),
        ],
        &format!("https://mermaid.live/edit#pako:{pako}"),
        true,
    )
    .await;
    many.assert_redirect("/?imported=4");
    let list = b.get("/?imported=4").await.body;
    assert!(list.contains("4 diagrams were imported."));
    for title in ["Plan (1)", "Plan (2)", "Live Editor diagram"] {
        assert!(list.contains(title), "{title} is listed");
    }
    assert_eq!(
        list.matches("Release flow").count(),
        2,
        "the zip's copy too"
    );

    // What cannot be imported says why, and nothing is half-done without saying so.
    let no_token = import(&b, &[("x.mmd", b"graph TD\n".to_vec())], "", false).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let nothing = import(&b, &[], "", true).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        nothing
            .body
            .contains("Choose a file or paste a Live Editor link")
    );
    let binary = import(
        &b,
        &[("photo.png", vec![0x89, b'P', b'N', b'G', 0xff, 0])],
        "",
        true,
    )
    .await;
    assert_eq!(binary.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        binary.body.contains("“photo.png” is not a text file"),
        "{}",
        binary.body
    );
    let bad_link = import(&b, &[], "https://example.org/nothing", true).await;
    assert!(bad_link.body.contains("That link holds no diagram"));
    let big = format!("graph TD\n%% {}\n", "x".repeat(300 * 1024));
    let too_big = import(
        &b,
        &[
            ("small.mmd", b"graph TD\n a\n".to_vec()),
            ("big.mmd", big.into_bytes()),
        ],
        "",
        true,
    )
    .await;
    assert_eq!(too_big.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_big.body.contains("“big” was not imported")
            && too_big.body.contains("The diagram before it was imported."),
        "{}",
        too_big.body
    );

    // The address of a one-time page, opened again, goes back to its form's page.
    b.get("/guest/link").await.assert_redirect("/guest");
    b.get("/settings/tokens").await.assert_redirect("/settings");
}

#[tokio::test]
async fn apply_style_writes_theme_and_look_into_the_text_without_saving() {
    let server = TestServer::start().await;
    let b = server.browser();
    let id = b.new_diagram().await;
    b.save(&id, "Styled", FLOW).await;
    let editor = b.get(&format!("/d/{id}")).await.body;
    assert!(editor.contains(&format!("formaction=\"/d/{id}/style\"")));
    assert!(editor.contains("<option value=\"handDrawn\">hand-drawn</option>"));

    // Without JavaScript: the same editor, the text restyled, nothing stored.
    let styled = b
        .post(
            &format!("/d/{id}/style"),
            &[
                ("title", "Styled, renamed"),
                ("source", FLOW),
                ("version", "2"),
                ("theme", "forest"),
                ("look", "handDrawn"),
            ],
        )
        .await;
    assert_eq!(styled.status, StatusCode::OK);
    assert!(
        styled
            .body
            .contains("---\nconfig:\n  theme: forest\n  look: handDrawn\n---\nflowchart LR"),
        "{}",
        styled.body
    );
    assert!(
        styled
            .body
            .contains("Style applied to the text: not saved yet")
    );
    // The preview draws the restyled text (not stored, so inline), and the choice stays.
    assert!(
        styled
            .body
            .contains("id=\"preview\" src=\"data:image/svg+xml;base64,")
    );
    assert!(styled.body.contains("<option value=\"forest\" selected>"));
    assert!(
        styled.body.contains("value=\"Styled, renamed\""),
        "the typed title stays"
    );
    assert!(styled.body.contains("name=\"version\" value=\"2\""));
    assert_eq!(b.get(&format!("/d/{id}/download/mmd")).await.body, FLOW);
    // A theme chosen in a directive wins in mermaid, so the page says where to change it.
    let directive = "%%{init: {\"theme\": \"dark\"}}%%\nflowchart LR\n  A --> B\n";
    let refused = b
        .post(
            &format!("/d/{id}/style"),
            &[
                ("title", "Styled"),
                ("source", directive),
                ("theme", "forest"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("directive"));
    let unsaved = b
        .post(
            "/new/sequence/style",
            &[
                ("title", "Seq"),
                ("source", "sequenceDiagram\n  A->>B: hi\n"),
                ("look", "handDrawn"),
            ],
        )
        .await;
    assert_eq!(unsaved.status, StatusCode::OK);
    assert!(unsaved.body.contains("look: handDrawn"));
    assert!(
        unsaved.body.contains("action=\"/d\""),
        "still the unsaved editor"
    );

    // The editor's script: JSON in and out, behind the CSRF header.
    let csrf = b.csrf().await;
    let call = |body: serde_json::Value, token: &str| {
        b.client
            .post(b.url("/style"))
            .header("x-csrf-token", token)
            .json(&body)
            .send()
    };
    let ok = call(serde_json::json!({"source": FLOW, "theme": "dark"}), &csrf)
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(
        body["source"],
        format!("---\nconfig:\n  theme: dark\n---\n{FLOW}")
    );
    let bad = call(serde_json::json!({"source": FLOW, "theme": "neon"}), &csrf)
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(bad["error"], "invalid_style");
    let forged = call(serde_json::json!({"source": FLOW, "theme": "dark"}), "nope")
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}
