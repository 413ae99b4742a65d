//! API tokens, one test per promise: once-only reveal, revocation, regeneration, expiry,
//! the 10-token cap, identical 401s, scopes, session-only management and the security log.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Api, Browser, PASSWORD, TestServer, extract_between, secret_on, signed_in};
use reqwest::{Method, StatusCode};
use serde_json::json;

const FLOW: &str = "flowchart LR\n  A --> B\n";

#[tokio::test]
async fn the_secret_is_shown_exactly_once_then_only_masked() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let settings = b.get("/settings").await;
    let nonce = extract_between(&settings.body, "name=\"nonce\" value=\"", "\"").unwrap();
    let page = b
        .post(
            "/settings/tokens",
            &[
                ("name", "backup script"),
                ("scope", "read-write"),
                ("nonce", &nonce),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(page.body.contains("it will not be shown again"));
    let secret = secret_on(&page).unwrap();
    assert!(
        secret.starts_with("reef_") && secret.len() == 54,
        "{secret}"
    );
    assert!(page.location.is_none(), "the secret never travels in a URL");
    assert!(
        !page
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().contains(&secret))
    );

    let again = b.get("/settings").await;
    assert!(
        !again.body.contains(&secret),
        "the secret is never shown again"
    );
    assert!(secret_on(&again).is_none());
    let masked = format!("reef_…{}", &secret[secret.len() - 4..]);
    assert!(again.body.contains(&masked), "masked entry {masked}");
    assert!(again.body.contains("backup script"));
    assert!(again.body.contains("never"), "not used yet");

    // Only the hash is stored.
    let conn = server.state.db.conn().unwrap();
    let stored: Vec<u8> = conn
        .query_row("SELECT secret_hash FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, reef::secret::sha256(secret.as_bytes()).to_vec());
    let raw = std::fs::read(server.dir.path().join("reef.db")).unwrap();
    let wal = std::fs::read(server.dir.path().join("reef.db-wal")).unwrap_or_default();
    for bytes in [raw, wal] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }

    // Posting the same form again (a reload of that page) makes no second token.
    let replay = b
        .post(
            "/settings/tokens",
            &[
                ("name", "backup script"),
                ("scope", "read-write"),
                ("nonce", &nonce),
            ],
        )
        .await;
    // Said calmly: a notice, not an error, and no secret.
    assert_eq!(replay.status, StatusCode::OK);
    assert!(secret_on(&replay).is_none());
    assert!(
        replay
            .body
            .contains("This page was reloaded, so nothing new was made")
    );
    assert!(!replay.body.contains("class=\"alert error\""));
    let count: i64 = conn
        .query_row("SELECT count(*) FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_token_reaches_the_api_and_every_response_says_when_it_expires() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let secret = b.create_token("ci", "read").await;
    let api = Api::new(&server, &secret);
    let me = api.get("/api/me").await;
    assert_eq!(me.status, StatusCode::OK);
    let body = me.json();
    assert_eq!(body["email"], "alice@example.net");
    assert_eq!(body["scope"], "read");
    assert_eq!(body["token"]["name"], "ci");
    let expires = me.header("reef-token-expires").unwrap();
    assert_eq!(body["token"]["expires_at"], expires.as_str());
    let expected = reef::tokens::expiry(server.state.clock.now());
    let parsed =
        time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!((parsed.unix_timestamp() - expected.seconds()).abs() <= 2);
    assert!(
        api.get("/api/diagrams")
            .await
            .header("reef-token-expires")
            .is_some()
    );
}

#[tokio::test]
async fn a_revoked_token_is_rejected_on_the_very_next_request() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let secret = b.create_token("agent", "read-write").await;
    let api = Api::new(&server, &secret);
    assert_eq!(api.get("/api/me").await.status, StatusCode::OK);
    let id = b.token_id("agent").await;
    b.post(&format!("/settings/tokens/{id}/revoke"), &[])
        .await
        .assert_redirect("/settings?done=revoked#tokens");
    api.get("/api/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        !b.get("/settings")
            .await
            .body
            .contains("aria-label=\"Revoke agent\"")
    );
}

#[tokio::test]
async fn regenerating_keeps_name_and_scope_and_kills_the_old_secret_at_once() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let old = b.create_token("nightly", "read").await;
    let id = b.token_id("nightly").await;
    server.state.clock.advance(10 * 86_400);
    let page = b
        .post(&format!("/settings/tokens/{id}/regenerate"), &[])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let new = secret_on(&page).unwrap();
    assert_ne!(new, old);
    Api::new(&server, &old)
        .get("/api/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let me = Api::new(&server, &new).get("/api/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["token"]["name"], "nightly");
    assert_eq!(me.json()["scope"], "read");
    // A fresh six-month lifetime from the moment of regeneration.
    let expires = me.json()["token"]["expires_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        expires,
        reef::state::rfc3339(reef::tokens::expiry(server.state.clock.now()))
    );
    // Still one live token.
    assert!(
        b.get("/settings")
            .await
            .body
            .contains("1 of 10 active tokens")
    );
}

#[tokio::test]
async fn every_authentication_failure_is_the_same_bare_401() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let good = b.create_token("good", "read-write").await;
    let revoked = b.create_token("revoked", "read-write").await;
    let id = b.token_id("revoked").await;
    b.post(&format!("/settings/tokens/{id}/revoke"), &[]).await;
    let mut typo = good.clone().into_bytes();
    typo[12] = if typo[12] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    let unknown = reef::tokens::TokenSecret::generate().expose().to_owned();
    let expiring = b.create_token("short-lived", "read").await;

    let client = reqwest::Client::new();
    let url = server.url("/api/me");
    let mut cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("basic", Some("Basic YWxpY2U6cHc=".into())),
        ("empty bearer", Some("Bearer".into())),
        ("junk", Some("Bearer junk".into())),
        ("wrong prefix", Some(format!("Bearer ghp_{}", &good[5..]))),
        ("bad checksum", Some(format!("Bearer {typo}"))),
        ("unknown", Some(format!("Bearer {unknown}"))),
        ("revoked", Some(format!("Bearer {revoked}"))),
    ];
    server.state.clock.advance(200 * 86_400);
    cases.push(("expired", Some(format!("Bearer {expiring}"))));
    let mut bodies = Vec::new();
    for (label, header) in &cases {
        let mut request = client.get(&url);
        if let Some(h) = header {
            request = request.header("authorization", h);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{label}");
        assert!(
            response.headers().get("reef-token-expires").is_none(),
            "{label}"
        );
        bodies.push((label, response.bytes().await.unwrap()));
    }
    for (label, body) in &bodies {
        assert_eq!(&body[..], br#"{"error":"unauthorized"}"#, "{label}");
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_whitespace_tolerant() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let secret = b.create_token("t", "read").await;
    let client = reqwest::Client::new();
    for header in [
        format!("bearer {secret}"),
        format!("  BEARER    {secret}  "),
    ] {
        let response = client
            .get(server.url("/api/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_token_expires_six_months_after_creation_and_shows_as_expired() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let secret = b.create_token("half-year", "read").await;
    let api = Api::new(&server, &secret);
    let created = server.state.clock.now();
    let expires = reef::tokens::expiry(created);
    server.state.clock.advance(expires - created - 10 * 86_400);
    assert_eq!(api.get("/api/me").await.status, StatusCode::OK);
    // Browser sessions idle out long before tokens do.
    b.sign_in("alice@example.net", PASSWORD)
        .await
        .assert_redirect("/");
    let page = b.get("/settings").await;
    // The date and the count of days agree, whatever the time of day.
    let shown = reef::web::date(expires);
    assert!(
        page.body.contains(&format!(
            "<span class=\"warn\">{shown}</span> <span class=\"muted small\">(in 10 days)</span>"
        )),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("class=\"warn\""),
        "close expiry is flagged"
    );
    server.state.clock.advance(10 * 86_400 + 1);
    api.get("/api/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    b.sign_in("alice@example.net", PASSWORD)
        .await
        .assert_redirect("/");
    let page = b.get("/settings").await;
    assert!(page.body.contains("class=\"expired\""));
    assert!(page.body.contains("Token “half-year” expired"));
    assert!(
        page.body.contains("0 of 10 active tokens"),
        "an expired token frees its slot"
    );
}

#[tokio::test]
async fn the_eleventh_token_is_refused_and_the_form_is_disabled_at_ten() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    for i in 0..10 {
        b.create_token(&format!("t{i}"), "read").await;
    }
    let settings = b.get("/settings").await;
    assert!(settings.body.contains("<fieldset disabled>"));
    assert!(settings.body.contains("the most an account can have"));
    let nonce = extract_between(&settings.body, "name=\"nonce\" value=\"", "\"").unwrap();
    let page = b
        .post(
            "/settings/tokens",
            &[("name", "eleventh"), ("nonce", &nonce)],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("Revoke one you no longer use"));
    assert!(secret_on(&page).is_none());
    // Revoking frees a slot.
    let id = b.token_id("t3").await;
    b.post(&format!("/settings/tokens/{id}/revoke"), &[]).await;
    b.create_token("eleventh", "read").await;
}

#[tokio::test]
async fn twenty_parallel_creates_on_an_empty_account_make_exactly_ten() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let csrf = b.csrf().await;
    let mut nonces = Vec::new();
    for _ in 0..20 {
        let page = b.get("/settings").await;
        nonces.push(extract_between(&page.body, "name=\"nonce\" value=\"", "\"").unwrap());
    }
    let mut tasks = Vec::new();
    for (i, nonce) in nonces.into_iter().enumerate() {
        let client = b.client.clone();
        let url = b.url("/settings/tokens");
        let csrf = csrf.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .form(&[("name", format!("p{i}")), ("nonce", nonce), ("csrf", csrf)])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, refused), (10, 10));
    let conn = server.state.db.conn().unwrap();
    let live: i64 = conn
        .query_row(
            "SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(live, 10);
}

#[tokio::test]
async fn tokens_never_authenticate_pages_or_token_management() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let secret = b.create_token("agent", "read-write").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let settings = client
        .get(server.url("/settings"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(settings.headers()["location"], "/login");
    for path in [
        "/settings/tokens",
        "/settings/tokens/revoke-all",
        "/settings/password",
        "/settings/email",
    ] {
        let response = client
            .post(server.url(path))
            .bearer_auth(&secret)
            .form(&[
                ("name", "x"),
                ("new_password", "abcdefghij"),
                ("email", "e@x.net"),
            ])
            .send()
            .await
            .unwrap();
        assert!(
            matches!(
                response.status(),
                StatusCode::SEE_OTHER | StatusCode::FORBIDDEN
            ),
            "{path}: {}",
            response.status()
        );
    }
    let api = Api::new(&server, &secret);
    for path in [
        "/api/tokens",
        "/api/settings/tokens",
        "/api/me/tokens",
        "/api/account",
    ] {
        api.get(path)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        api.post(path, json!({"name": "x"}))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let count: i64 = server
        .state
        .db
        .conn()
        .unwrap()
        .query_row("SELECT count(*) FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_read_token_can_read_and_render_but_not_write() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let writer = Api::new(&server, &b.create_token("w", "read-write").await);
    let id = writer.create("Mine", FLOW).await;
    let reader = Api::new(&server, &b.create_token("r", "read").await);
    assert_eq!(reader.get("/api/diagrams").await.status, StatusCode::OK);
    let one = reader.get(&format!("/api/diagrams/{id}")).await;
    assert_eq!(one.status, StatusCode::OK, "{id}: {}", one.text());
    assert_eq!(
        reader
            .post("/api/render", json!({"source": FLOW}))
            .await
            .status,
        StatusCode::OK
    );
    let writes = [
        reader
            .post("/api/diagrams", json!({"title": "x", "source": FLOW}))
            .await,
        reader
            .json(
                Method::PUT,
                &format!("/api/diagrams/{id}"),
                json!({"title": "x", "source": FLOW}),
            )
            .await,
        reader
            .json(
                Method::PATCH,
                &format!("/api/diagrams/{id}"),
                json!({"title": "x"}),
            )
            .await,
        reader.delete(&format!("/api/diagrams/{id}")).await,
        reader
            .post(
                &format!("/api/diagrams/{id}/share"),
                json!({"enabled": true}),
            )
            .await,
        reader
            .post(&format!("/api/diagrams/{id}/restore"), json!({}))
            .await,
    ];
    for reply in writes {
        reply.assert_error(StatusCode::FORBIDDEN, "insufficient_scope");
        // Every bearer response says when the token expires, a refusal too.
        assert!(reply.header("reef-token-expires").is_some());
    }
    assert_eq!(
        writer.get(&format!("/api/diagrams/{id}")).await.json()["title"],
        "Mine"
    );
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute_and_new_addresses_are_logged() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let api = Api::new(&server, &b.create_token("probe", "read").await);
    let last_used = || -> Option<i64> {
        server
            .state
            .db
            .conn()
            .unwrap()
            .query_row("SELECT last_used_at FROM api_tokens", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(last_used(), None);
    api.get("/api/me").await;
    let first = last_used().unwrap();
    server.state.clock.advance(30);
    api.get("/api/me").await;
    assert_eq!(last_used(), Some(first), "no write within the minute");
    server.state.clock.advance(31);
    api.get("/api/diagrams").await;
    assert_eq!(last_used(), Some(first + 61));
    let page = b.get("/settings").await;
    assert!(page.body.contains("Token “probe” used from a new address"));
    assert!(page.body.contains("127.0.0.1"));
    assert_eq!(page.body.matches("used from a new address").count(), 1);
}

#[tokio::test]
async fn the_security_log_lists_sign_ins_and_token_events() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    b.create_token("a", "read").await;
    let id = b.token_id("a").await;
    b.post(&format!("/settings/tokens/{id}/regenerate"), &[])
        .await;
    let id = b.token_id("a").await;
    b.post(&format!("/settings/tokens/{id}/revoke"), &[]).await;
    let log = b.get("/settings").await.body;
    let section = &log[log.find("id=\"security-log\"").unwrap()..];
    for entry in [
        "Signed in",
        "Token “a” created",
        "Token “a” regenerated",
        "Token “a” revoked",
    ] {
        assert!(section.contains(entry), "{entry} missing");
    }
    // Entries older than 90 days are gone.
    server.state.clock.advance(91 * 86_400);
    let conn = server.state.db.conn().unwrap();
    reef::db::security_log::purge_old(&conn, server.state.clock.now()).unwrap();
    let log = b.get("/settings").await.body;
    assert!(!log.contains("Token “a” created"));
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

#[tokio::test]
async fn the_security_log_shows_account_events_with_the_browser_and_pages_past_fifty() {
    let server = TestServer::start().await;
    let b = Browser::behind_proxy(&server.base, &[("user-agent", FIREFOX)]);
    b.sign_up("alice@example.net", PASSWORD)
        .await
        .assert_redirect("/");
    // Someone else guesses the password; the account's owner gets to see it.
    let stranger = server.browser();
    stranger
        .sign_in("alice@example.net", "not the password")
        .await;
    b.post(
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a new long password"),
        ],
    )
    .await
    .assert_redirect("/settings?done=password");
    b.post(
        "/settings/email",
        &[
            ("email", "alice@example.org"),
            ("current_password", "a new long password"),
        ],
    )
    .await
    .assert_redirect("/settings?done=email");
    b.post("/logout", &[]).await;
    b.sign_in("alice@example.org", "a new long password")
        .await
        .assert_redirect("/");
    let log = b.get("/settings").await.body;
    let section = &log[log.find("id=\"security-log\"").unwrap()..];
    for entry in [
        "<td>Signed in</td><td>127.0.0.1</td><td>Firefox on Linux</td>",
        "<td>Failed sign-in (wrong password)</td><td>127.0.0.1</td>",
        "<td>Password changed (other browsers signed out)</td><td>127.0.0.1</td><td>Firefox on Linux</td>",
        "<td>Email address changed</td><td>127.0.0.1</td><td>Firefox on Linux</td>",
        "<td>Signed out</td><td>127.0.0.1</td><td>Firefox on Linux</td>",
    ] {
        assert!(section.contains(entry), "{entry} missing: {section}");
    }
    assert!(!section.contains("Older events"), "six events fit one page");

    // Sixty token events later, the log pages: 50, then the rest, oldest last.
    for i in 0..30 {
        b.create_token(&format!("t{i}"), "read").await;
        let id = b.token_id(&format!("t{i}")).await;
        b.post(&format!("/settings/tokens/{id}/revoke"), &[]).await;
    }
    let first = b.get("/settings").await.body;
    let rows = |page: &str| {
        let section = &page[page.find("id=\"security-log\"").unwrap()..];
        let section = &section[..section.find("</table>").unwrap_or(section.len())];
        section.matches("<tr><td>").count()
    };
    assert_eq!(rows(&first), 50);
    let older = extract_between(&first, "/settings?before=", "#security-log").unwrap();
    let second = b.get(&format!("/settings?before={older}")).await.body;
    assert_eq!(rows(&second), 66 - 50);
    assert!(second.contains("Token “t4” created") && second.contains("<td>Signed in</td>"));
    // Token events name the browser too.
    for event in ["Token “t29” created", "Token “t29” revoked"] {
        assert!(
            first.contains(&format!(
                "<td>{event}</td><td>127.0.0.1</td><td>Firefox on Linux</td>"
            )),
            "{event} with its browser"
        );
    }
    assert!(second.contains("← Newest events"));
    assert!(!second.contains("Older events"));
    // Every token was revoked: the list says none is active rather than "no tokens yet".
    assert!(first.contains("None active: earlier tokens were revoked or have expired"));
}

#[tokio::test]
async fn reloading_the_page_of_a_regenerated_secret_does_not_regenerate_again() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    b.create_token("deploy", "read").await;
    let id = b.token_id("deploy").await;
    let settings = b.get("/settings").await;
    let nonce = extract_between(&settings.body, "name=\"nonce\" value=\"", "\"").unwrap();
    let path = format!("/settings/tokens/{id}/regenerate");
    let shown = b.post(&path, &[("nonce", &nonce)]).await;
    let secret = secret_on(&shown).unwrap();
    // The browser's reload sends the same form again.
    let reload = b.post(&path, &[("nonce", &nonce)]).await;
    assert_eq!(reload.status, StatusCode::OK);
    assert!(secret_on(&reload).is_none());
    assert!(
        reload
            .body
            .contains("This page was reloaded, so nothing new was made")
    );
    assert_eq!(
        Api::new(&server, &secret).get("/api/me").await.status,
        StatusCode::OK,
        "the secret shown still works"
    );
}

#[tokio::test]
async fn revoke_all_revokes_every_live_token() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let one = Api::new(&server, &b.create_token("one", "read").await);
    let two = Api::new(&server, &b.create_token("two", "read-write").await);
    b.post("/settings/tokens/revoke-all", &[])
        .await
        .assert_redirect("/settings?done=revoked-all#tokens");
    one.get("/api/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    two.get("/api/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        b.get("/settings")
            .await
            .body
            .contains("0 of 10 active tokens")
    );
}

#[tokio::test]
async fn a_password_change_keeps_tokens_and_account_deletion_removes_them() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let api = Api::new(&server, &b.create_token("keep", "read").await);
    b.post(
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "brand new password"),
        ],
    )
    .await
    .assert_redirect("/settings?done=password");
    assert_eq!(api.get("/api/me").await.status, StatusCode::OK);
    b.post(
        "/settings/delete",
        &[("current_password", "brand new password")],
    )
    .await
    .assert_redirect("/");
    api.get("/api/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let count: i64 = server
        .state
        .db
        .conn()
        .unwrap()
        .query_row("SELECT count(*) FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn with_accounts_off_there_are_no_tokens_and_bearer_requests_get_401() {
    let server = TestServer::start_with(|c| c.accounts = false).await;
    let b = server.browser();
    assert_eq!(b.get("/settings").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.post("/settings/tokens", &[("name", "x")]).await.status,
        StatusCode::NOT_FOUND
    );
    let page = b.get("/").await;
    assert!(!page.body.contains("API token") && !page.body.contains("/settings/tokens"));
    let fake = reef::tokens::TokenSecret::generate();
    let api = Api::new(&server, fake.expose());
    api.get("/api/me")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    api.get("/api/diagrams")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn the_browser_session_may_call_the_api_with_the_csrf_header() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    let me = b.client.get(b.url("/api/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let body: serde_json::Value = me.json().await.unwrap();
    assert_eq!(body["scope"], "session");
    assert!(body.get("token").is_none());
    let no_csrf = b
        .client
        .post(b.url("/api/diagrams"))
        .json(&json!({"title": "t", "source": FLOW}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let csrf = b.csrf().await;
    let with = b
        .client
        .post(b.url("/api/diagrams"))
        .header("x-csrf-token", csrf)
        .json(&json!({"title": "t", "source": FLOW}))
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::CREATED);
    // A guest (no account) cannot use the API at all.
    let guest = server.browser();
    guest.get("/").await;
    let reply = guest.client.get(guest.url("/api/me")).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_per_bucket() {
    let server = TestServer::start_with(|c| {
        c.rate_read_per_min = 3;
        c.rate_write_per_min = 2;
    })
    .await;
    let b = signed_in(&server, "alice@example.net").await;
    let api = Api::new(&server, &b.create_token("busy", "read-write").await);
    for _ in 0..3 {
        assert_eq!(api.get("/api/me").await.status, StatusCode::OK);
    }
    let limited = api.get("/api/me").await;
    limited.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(limited.header("reef-token-expires").is_some());
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Rendering counts as a read.
    api.post("/api/render", json!({"source": FLOW}))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Writes have their own bucket.
    assert_eq!(
        api.post("/api/diagrams", json!({"source": FLOW}))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.post("/api/diagrams", json!({"source": FLOW}))
            .await
            .status,
        StatusCode::CREATED
    );
    api.post("/api/diagrams", json!({"source": FLOW}))
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn token_names_are_checked() {
    let server = TestServer::start().await;
    let b = signed_in(&server, "alice@example.net").await;
    for name in ["", "   ", &"n".repeat(65)] {
        let settings = b.get("/settings").await;
        let nonce = extract_between(&settings.body, "name=\"nonce\" value=\"", "\"").unwrap();
        let page = b
            .post("/settings/tokens", &[("name", name), ("nonce", &nonce)])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("1 to 64 characters"));
    }
    let settings = b.get("/settings").await;
    let nonce = extract_between(&settings.body, "name=\"nonce\" value=\"", "\"").unwrap();
    let page = b
        .post(
            "/settings/tokens",
            &[("name", "x"), ("scope", "admin"), ("nonce", &nonce)],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    // The default scope is read-write.
    let first = b.create_token("same", "read-write").await;
    let me = Api::new(&server, &first).get("/api/me").await;
    assert_eq!(me.json()["scope"], "read-write");
    // Names are unique among live tokens, letter case ignored...
    let settings = b.get("/settings").await;
    let nonce = extract_between(&settings.body, "name=\"nonce\" value=\"", "\"").unwrap();
    let page = b
        .post("/settings/tokens", &[("name", " SAME "), ("nonce", &nonce)])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.body
            .contains("You already have an active token called “SAME”")
    );
    assert!(secret_on(&page).is_none());
    // ...so a revoked one's name is free again.
    let id = b.token_id("same").await;
    b.post(&format!("/settings/tokens/{id}/revoke"), &[]).await;
    b.create_token("same", "read").await;
}
