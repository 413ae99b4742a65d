//! The JSON API as a script sees it: CRUD with ETags, raw-text PUT, revisions, sharing,
//! exports, rendering, other accounts' 404s and the error envelope for every bad input.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Api, TestServer, signed_in};
use reqwest::{Method, StatusCode};
use serde_json::json;

const FLOW: &str = "flowchart LR\n  A[Start] --> B[End]\n";

async fn setup() -> (TestServer, Api) {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let token = b.create_token("script", "read-write").await;
    let api = Api::new(&server, &token);
    (server, api)
}

#[tokio::test]
async fn a_script_can_create_read_update_and_delete_a_diagram() {
    let (_server, api) = setup().await;
    let created = api
        .post(
            "/api/diagrams",
            json!({"title": "Pipeline", "source": FLOW}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location").unwrap(),
        format!("/api/diagrams/{id}")
    );
    assert_eq!(created.header("etag").unwrap(), "\"1\"");

    let got = api.get(&format!("/api/diagrams/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json()["source"], FLOW);
    assert_eq!(got.json()["version"], 1);
    assert_eq!(got.header("etag").unwrap(), "\"1\"");

    let put = api
        .json(
            Method::PUT,
            &format!("/api/diagrams/{id}"),
            json!({"title": "Pipeline v2", "source": "flowchart TD\n  X --> Y\n"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(put.json()["version"], 2);
    assert_eq!(put.header("etag").unwrap(), "\"2\"");

    let patched = api
        .json(
            Method::PATCH,
            &format!("/api/diagrams/{id}"),
            json!({"title": "Renamed"}),
        )
        .await;
    assert_eq!(patched.json()["title"], "Renamed");
    assert_eq!(patched.json()["source"], "flowchart TD\n  X --> Y\n");
    assert_eq!(patched.json()["version"], 3);

    let deleted = api.delete(&format!("/api/diagrams/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    api.get(&format!("/api/diagrams/{id}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let restored = api
        .post(&format!("/api/diagrams/{id}/restore"), json!({}))
        .await;
    assert_eq!(restored.status, StatusCode::OK);
    assert_eq!(restored.json()["title"], "Renamed");
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_raw_text_put_replaces_the_source_like_curl_upload_file() {
    let (_server, api) = setup().await;
    let id = api.create("Keeps its title", FLOW).await;
    // `curl -T file.mmd` sends a PUT with no JSON content type.
    let reply = Api::send(
        api.request(Method::PUT, &format!("/api/diagrams/{id}"))
            .body("sequenceDiagram\n  Alice->>Bob: Hi\n"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["title"], "Keeps its title");
    assert_eq!(
        reply.json()["source"],
        "sequenceDiagram\n  Alice->>Bob: Hi\n"
    );
    let plain = Api::send(
        api.request(Method::PUT, &format!("/api/diagrams/{id}"))
            .header("content-type", "text/plain; charset=utf-8")
            .body(FLOW),
    )
    .await;
    assert_eq!(plain.json()["source"], FLOW);
    let bad = Api::send(
        api.request(Method::PUT, &format!("/api/diagrams/{id}"))
            .header("content-type", "text/plain")
            .body(vec![0xff, 0xfe, 0x41]),
    )
    .await;
    bad.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_utf8");
}

#[tokio::test]
async fn a_stale_if_match_gets_412_and_a_matching_one_proceeds() {
    let (_server, api) = setup().await;
    let id = api.create("Contended", FLOW).await;
    let path = format!("/api/diagrams/{id}");
    let first = Api::send(
        api.request(Method::PUT, &path)
            .header("if-match", "\"1\"")
            .json(&json!({"title": "first", "source": FLOW})),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    let stale_put = Api::send(
        api.request(Method::PUT, &path)
            .header("if-match", "\"1\"")
            .json(&json!({"title": "second", "source": FLOW})),
    )
    .await;
    stale_put.assert_error(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    assert_eq!(stale_put.json()["current_version"], 2);
    let stale_patch = Api::send(
        api.request(Method::PATCH, &path)
            .header("if-match", "W/\"1\"")
            .json(&json!({"title": "third"})),
    )
    .await;
    stale_patch.assert_error(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    let stale_delete = Api::send(
        api.request(Method::DELETE, &path)
            .header("if-match", "\"1\""),
    )
    .await;
    stale_delete.assert_error(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    let garbage = Api::send(
        api.request(Method::DELETE, &path)
            .header("if-match", "nonsense"),
    )
    .await;
    garbage.assert_error(StatusCode::PRECONDITION_FAILED, "precondition_failed");
    assert_eq!(
        api.get(&path).await.json()["title"],
        "first",
        "nothing was overwritten"
    );
    let delete = Api::send(
        api.request(Method::DELETE, &path)
            .header("if-match", "\"2\""),
    )
    .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn concurrent_writers_with_if_match_never_lose_an_update() {
    let (_server, api) = setup().await;
    let id = api.create("Race", FLOW).await;
    let api = std::sync::Arc::new(api);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let api = api.clone();
        let path = format!("/api/diagrams/{id}");
        tasks.push(tokio::spawn(async move {
            Api::send(
                api.request(Method::PATCH, &path)
                    .header("if-match", "\"1\"")
                    .json(&json!({"title": format!("writer {i}")})),
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let winners = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let losers = statuses
        .iter()
        .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!((winners, losers), (1, 7), "{statuses:?}");
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.json()["version"],
        2
    );
}

#[tokio::test]
async fn concurrent_writers_without_if_match_all_succeed_and_each_keeps_a_revision() {
    let server = TestServer::start_with(|c| c.rate_write_per_min = 0).await;
    let b = signed_in(&server, "alice@example.net").await;
    let api = Api::new(&server, &b.create_token("script", "read-write").await);
    let id = api.create("Race", FLOW).await;
    let api = std::sync::Arc::new(api);
    let mut tasks = Vec::new();
    for i in 0..24 {
        let api = api.clone();
        let path = format!("/api/diagrams/{id}");
        tasks.push(tokio::spawn(async move {
            let source = format!("flowchart LR\n  A --> W{i}\n");
            Api::send(
                api.request(Method::PUT, &path)
                    .json(&json!({"title": format!("writer {i}"), "source": source})),
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    // Last writer wins without a precondition, but no writer is ever refused or lost.
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let current = api.get(&format!("/api/diagrams/{id}")).await.json();
    assert_eq!(current["version"], 25);
    let revisions = api
        .get(&format!("/api/diagrams/{id}/revisions"))
        .await
        .json();
    assert_eq!(revisions["items"].as_array().unwrap().len(), 25);
}

#[tokio::test]
async fn the_list_is_newest_first_with_keyset_pagination() {
    let (server, api) = setup().await;
    for i in 0..5 {
        api.create(&format!("d{i}"), FLOW).await;
        server.state.clock.advance(1);
    }
    let page = api.get("/api/diagrams?limit=2").await;
    let body = page.json();
    let titles: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["d4", "d3"]);
    assert!(
        body["items"][0].get("source").is_none(),
        "lists carry no source"
    );
    let mut seen = titles.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut cursor = body["next_cursor"].as_str().unwrap().to_owned();
    loop {
        let page = api
            .get(&format!("/api/diagrams?limit=2&cursor={cursor}"))
            .await
            .json();
        for d in page["items"].as_array().unwrap() {
            seen.push(d["title"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["d4", "d3", "d2", "d1", "d0"]);
    api.get("/api/diagrams?limit=0")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    api.get("/api/diagrams?limit=abc")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    api.get("/api/diagrams?cursor=zzz")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_cursor");
}

#[tokio::test]
async fn revisions_are_listed_and_readable() {
    let (_server, api) = setup().await;
    let id = api.create("R", FLOW).await;
    api.json(
        Method::PATCH,
        &format!("/api/diagrams/{id}"),
        json!({"source": "flowchart LR\n  C --> D\n"}),
    )
    .await;
    let list = api
        .get(&format!("/api/diagrams/{id}/revisions"))
        .await
        .json();
    let versions: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    let one = api.get(&format!("/api/diagrams/{id}/revisions/1")).await;
    assert_eq!(one.json()["source"], FLOW);
    api.get(&format!("/api/diagrams/{id}/revisions/9"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    api.get(&format!("/api/diagrams/{id}/revisions/x"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn sharing_turns_a_public_link_on_and_off() {
    let (server, api) = setup().await;
    let id = api.create("Public", FLOW).await;
    let on = api
        .post(
            &format!("/api/diagrams/{id}/share"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK);
    assert_eq!(on.json()["enabled"], true);
    let url = on.json()["url"].as_str().unwrap().to_owned();
    let path = &url[url.find("/s/").unwrap()..];
    let public = reqwest::get(server.url(path)).await.unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    assert!(public.text().await.unwrap().contains("Public"));
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.json()["share_url"],
        url.as_str()
    );
    let off = api
        .post(
            &format!("/api/diagrams/{id}/share"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(off.json(), json!({"enabled": false, "url": null}));
    assert_eq!(
        reqwest::get(server.url(path)).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn exports_come_as_svg_png_and_mermaid_text() {
    let (_server, api) = setup().await;
    let id = api.create("Export me", FLOW).await;
    let svg = api.get(&format!("/api/diagrams/{id}.svg")).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.header("content-type").unwrap(), "image/svg+xml");
    assert!(svg.text().contains("<svg") && svg.text().contains("Start"));
    let mmd = api.get(&format!("/api/diagrams/{id}.mmd")).await;
    assert_eq!(mmd.text(), FLOW);
    assert!(
        mmd.header("content-type")
            .unwrap()
            .starts_with("text/vnd.mermaid")
    );
    let png = api.get(&format!("/api/diagrams/{id}.png")).await;
    assert_eq!(png.status, StatusCode::OK, "{}", png.text());
    assert_eq!(png.header("content-type").unwrap(), "image/png");
    assert!(png.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let width = |bytes: &[u8]| u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let one = api.get(&format!("/api/diagrams/{id}.png?scale=1")).await;
    let four = api.get(&format!("/api/diagrams/{id}.png?scale=4")).await;
    assert_eq!(width(&four.bytes), width(&one.bytes) * 4);
    api.get(&format!("/api/diagrams/{id}.png?scale=9"))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let pdf = api.get(&format!("/api/diagrams/{id}.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text());
    assert_eq!(pdf.header("content-type").unwrap(), "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    let txt = api.get(&format!("/api/diagrams/{id}.txt")).await;
    assert_eq!(txt.status, StatusCode::OK, "{}", txt.text());
    assert!(
        txt.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(!txt.text().contains("<svg"), "{}", txt.text());
    let portable = api
        .get(&format!("/api/diagrams/{id}.svg?portable=true"))
        .await;
    assert_eq!(portable.status, StatusCode::OK, "{}", portable.text());
    assert!(
        !portable.text().contains("<foreignObject"),
        "{}",
        portable.text()
    );
    api.get(&format!("/api/diagrams/{id}.gif"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn render_turns_text_into_svg_or_png_and_reports_parse_errors() {
    let (server, api) = setup().await;
    let svg = api.post("/api/render", json!({"source": FLOW})).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.text().starts_with("<svg") || svg.text().contains("<svg"));
    let raw = Api::send(
        api.request(Method::POST, "/api/render")
            .header("content-type", "text/plain")
            .body(FLOW),
    )
    .await;
    assert_eq!(raw.status, StatusCode::OK);
    let png = Api::send(
        api.request(Method::POST, "/api/render")
            .header("accept", "image/png")
            .json(&json!({"source": FLOW})),
    )
    .await;
    assert_eq!(png.status, StatusCode::OK, "{}", png.text());
    assert!(png.bytes.starts_with(b"\x89PNG"));
    let png = api
        .post("/api/render?format=png", json!({"source": FLOW}))
        .await;
    assert!(png.bytes.starts_with(b"\x89PNG"));
    let bad = api
        .post(
            "/api/render",
            json!({"source": "flowchart LR\n  A --> B\n  subgraph open\n"}),
        )
        .await;
    bad.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "parse_error");
    assert!(bad.json()["line"].as_u64().is_some(), "{}", bad.text());
    api.post("/api/render", json!({"source": ""}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    // Rendering stores nothing.
    let count: i64 = server
        .state
        .db
        .conn()
        .unwrap()
        .query_row("SELECT count(*) FROM diagrams", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn another_accounts_diagrams_answer_404_on_every_route() {
    let server = TestServer::start_with(|c| c.open_signups = true).await;
    let alice = signed_in(&server, "alice@example.net").await;
    let alice_api = Api::new(&server, &alice.create_token("a", "read-write").await);
    let id = alice_api.create("Private", FLOW).await;
    let bob = signed_in(&server, "bob@example.net").await;
    let bob_api = Api::new(&server, &bob.create_token("b", "read-write").await);
    let p = format!("/api/diagrams/{id}");
    let replies = [
        bob_api.get(&p).await,
        bob_api.get(&format!("{p}.svg")).await,
        bob_api.get(&format!("{p}.png")).await,
        bob_api.get(&format!("{p}.mmd")).await,
        bob_api.get(&format!("{p}/revisions")).await,
        bob_api.get(&format!("{p}/revisions/1")).await,
        bob_api
            .json(Method::PUT, &p, json!({"title": "x", "source": FLOW}))
            .await,
        bob_api.json(Method::PATCH, &p, json!({"title": "x"})).await,
        bob_api.delete(&p).await,
        bob_api.post(&format!("{p}/restore"), json!({})).await,
        bob_api
            .post(&format!("{p}/share"), json!({"enabled": true}))
            .await,
    ];
    for reply in replies {
        reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    assert!(
        bob_api.get("/api/diagrams").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let mine = alice_api.get(&p).await.json();
    assert_eq!(
        (
            mine["title"].as_str(),
            mine["version"].as_i64(),
            mine["shared"].as_bool()
        ),
        (Some("Private"), Some(1), Some(false))
    );
}

#[tokio::test]
async fn bad_requests_get_the_error_envelope_never_plain_text() {
    let (_server, api) = setup().await;
    let id = api.create("x", FLOW).await;
    let malformed = Api::send(
        api.request(Method::POST, "/api/diagrams")
            .header("content-type", "application/json")
            .body("{\"title\": "),
    )
    .await;
    malformed.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    let unknown_field = api
        .post("/api/diagrams", json!({"source": FLOW, "colour": "red"}))
        .await;
    unknown_field.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let missing = api
        .post("/api/diagrams", json!({"title": "no source"}))
        .await;
    missing.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let wrong_type = Api::send(
        api.request(Method::POST, "/api/diagrams")
            .header("content-type", "text/xml")
            .body("<x/>"),
    )
    .await;
    wrong_type.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let no_type = Api::send(api.request(Method::POST, "/api/diagrams").body("{}")).await;
    no_type.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let huge = api
        .post("/api/diagrams", json!({"source": "x".repeat(1_100_000)}))
        .await;
    huge.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let too_long = api
        .post(
            "/api/diagrams",
            json!({"source": format!("flowchart LR\n%% {}", "x".repeat(300_000))}),
        )
        .await;
    too_long.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let empty_title = api
        .post("/api/diagrams", json!({"title": " ", "source": FLOW}))
        .await;
    empty_title.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let bad_utf8 = Api::send(
        api.request(Method::POST, "/api/diagrams")
            .header("content-type", "application/json")
            .body(vec![b'{', b'"', 0xff, b'"', b':', b'1', b'}']),
    )
    .await;
    bad_utf8.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    api.get("/api/nothing/here")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    Api::send(api.request(Method::DELETE, "/api/diagrams"))
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    Api::send(api.request(Method::POST, &format!("/api/diagrams/{id}")))
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    api.get("/api/diagrams/..%2f..%2fetc")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let share_bad = api
        .post(
            &format!("/api/diagrams/{id}/share"),
            json!({"enabled": "yes"}),
        )
        .await;
    share_bad.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
}

#[tokio::test]
async fn exports_answer_304_to_a_matching_if_none_match_without_rendering_again() {
    let server = TestServer::start_with(|c| c.open_signups = true).await;
    let owner = signed_in(&server, "alice@example.net").await;
    let api = Api::new(&server, &owner.create_token("script", "read-write").await);
    let id = api.create("Cached export", FLOW).await;
    for (export, other) in [
        ("svg", "png"),
        ("png?scale=2", "png?scale=3"),
        ("mmd", "svg"),
    ] {
        let path = format!("/api/diagrams/{id}.{export}");
        let first = api.get(&path).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        let etag = first.header("etag").unwrap();
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
        assert_eq!(first.header("cache-control").unwrap(), "private, no-cache");
        for sent in [etag.clone(), format!("W/{etag}"), format!("\"x\", {etag}")] {
            let again = Api::send(
                api.request(Method::GET, &path)
                    .header("if-none-match", sent),
            )
            .await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
            assert!(again.bytes.is_empty());
            assert_eq!(again.header("etag").unwrap(), etag);
            // The browser keeps the 304's headers: the SVG's own policy, not the pages'.
            assert_eq!(
                again.header("content-security-policy"),
                first.header("content-security-policy"),
                "{path}"
            );
        }
        // Another format or scale of the same diagram is another representation.
        let other = Api::send(
            api.request(Method::GET, &format!("/api/diagrams/{id}.{other}"))
                .header("if-none-match", &etag),
        )
        .await;
        assert_eq!(other.status, StatusCode::OK, "{}", other.text());
    }
    // A new version is a new picture; a stranger still gets 404 whatever the tag.
    let etag = api
        .get(&format!("/api/diagrams/{id}.svg"))
        .await
        .header("etag")
        .unwrap();
    api.json(
        Method::PATCH,
        &format!("/api/diagrams/{id}"),
        json!({"source": "flowchart LR\n  X --> Y"}),
    )
    .await;
    let changed = Api::send(
        api.request(Method::GET, &format!("/api/diagrams/{id}.svg"))
            .header("if-none-match", &etag),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.text().contains('X'));
    let stranger = signed_in_token(&server, "mallory@example.net").await;
    Api::send(
        stranger
            .request(Method::GET, &format!("/api/diagrams/{id}.svg"))
            .header("if-none-match", changed.header("etag").unwrap()),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

/// A token for a second account on a server whose sign-ups are open.
async fn signed_in_token(server: &TestServer, email: &str) -> Api {
    let b = server.browser();
    let page = b.sign_up(email, common::PASSWORD).await;
    assert!(page.status.is_redirection(), "{}", page.body);
    Api::new(server, &b.create_token("other", "read-write").await)
}

#[tokio::test]
async fn exports_are_read_only_and_say_so_in_allow() {
    let (_server, api) = setup().await;
    let id = api.create("Read-only export", FLOW).await;
    for ext in ["svg", "png", "mmd"] {
        for method in [
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::POST,
            Method::OPTIONS,
        ] {
            let reply = Api::send(
                api.request(method.clone(), &format!("/api/diagrams/{id}.{ext}"))
                    .header("content-type", "application/json")
                    .body(r#"{"title":"x","source":"flowchart LR\n a-->b"}"#),
            )
            .await;
            reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
            assert_eq!(
                reply.header("allow").unwrap(),
                "GET,HEAD",
                "{method} .{ext}"
            );
        }
    }
    // Nothing was changed or trashed through an export path.
    let d = api.get(&format!("/api/diagrams/{id}")).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.json()["version"], 1);
}

#[tokio::test]
async fn a_hopeless_body_is_refused_before_the_version_is_checked() {
    let (_server, api) = setup().await;
    let id = api.create("Checked first", FLOW).await;
    let path = format!("/api/diagrams/{id}");
    // An empty source could never be saved: 422 says so even with a stale If-Match, so
    // the client is not sent to re-fetch and retry the same mistake.
    let empty = Api::send(
        api.request(Method::PUT, &path)
            .header("if-match", "\"7\"")
            .header("content-type", "text/plain")
            .body("  \n"),
    )
    .await;
    empty.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    // A JSON array is not an object, although serde could fill the struct from it.
    for method in [Method::PUT, Method::PATCH] {
        let array = Api::send(
            api.request(method, &path)
                .header("content-type", "application/json")
                .body(r#"["Title", "flowchart LR\n a-->b"]"#),
        )
        .await;
        array.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    }
    let array = Api::send(
        api.request(Method::POST, "/api/diagrams")
            .header("content-type", "application/json")
            .body(r#"[null, "flowchart LR\n a-->b"]"#),
    )
    .await;
    array.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(api.get(&path).await.json()["version"], 1);
    // A scale is checked even for SVG, where it does not apply.
    Api::send(
        api.request(Method::POST, "/api/render?scale=0")
            .header("content-type", "text/plain")
            .body(FLOW),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[tokio::test]
async fn mermaid_text_uploads_are_taken_under_any_text_type_and_mislabelled_json_gets_a_hint() {
    let (_server, api) = setup().await;
    let id = api.create("x", FLOW).await;
    // HTTPie labels .mmd files with the type Debian's MIME table gives them.
    for (n, media) in [
        "application/vnd.chipnuts.karaoke-mmd",
        "text/x-mermaid",
        "text/markdown; charset=utf-8",
    ]
    .into_iter()
    .enumerate()
    {
        let source = format!("flowchart LR\n  upload{n} --> done\n");
        let put = Api::send(
            api.request(Method::PUT, &format!("/api/diagrams/{id}"))
                .header("content-type", media)
                .body(source.clone()),
        )
        .await;
        assert_eq!(put.status, StatusCode::OK, "{media}: {}", put.text());
        assert_eq!(put.json()["source"], source, "{media}");
    }
    let rendered = Api::send(
        api.request(Method::POST, "/api/render")
            .header("content-type", "application/vnd.chipnuts.karaoke-mmd")
            .body(FLOW),
    )
    .await;
    assert_eq!(rendered.status, StatusCode::OK, "{}", rendered.text());

    // Mermaid text sent as JSON: the error says what to send instead.
    let mislabelled = Api::send(
        api.request(Method::PUT, &format!("/api/diagrams/{id}"))
            .header("content-type", "application/json")
            .body(FLOW),
    )
    .await;
    mislabelled.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    let message = mislabelled.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("is Mermaid text: send the same body with Content-Type: text/plain"),
        "{message}"
    );
    let create = Api::send(
        api.request(Method::POST, "/api/diagrams")
            .header("content-type", "application/json")
            .body(FLOW),
    )
    .await;
    create.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json");
    assert!(
        create.json()["message"]
            .as_str()
            .unwrap()
            .contains("put the text in the JSON body")
    );
    // Broken JSON that is not Mermaid keeps the parser's own explanation.
    let broken = Api::send(
        api.request(Method::PUT, &format!("/api/diagrams/{id}"))
            .header("content-type", "application/json")
            .body("{\"source\": "),
    )
    .await;
    assert!(
        broken.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("The body is not valid JSON")
    );
    // A type that is neither still gets 415, with the hint when the body is Mermaid.
    let xml = Api::send(
        api.request(Method::PUT, &format!("/api/diagrams/{id}"))
            .header("content-type", "application/xml")
            .body(FLOW),
    )
    .await;
    xml.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert!(
        xml.json()["message"]
            .as_str()
            .unwrap()
            .contains("looks like Mermaid text")
    );
}
