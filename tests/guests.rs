//! Guests: a recovery link brings a guest's diagrams into another browser (or an account),
//! shown once, asked before anything moves, revocable.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Browser, TestServer, extract_between, signed_in};
use reqwest::StatusCode;

const FLOW: &str = "flowchart LR\n  A --> B\n";

/// Presses "Make a recovery link" on /guest, as the page's form does (with its nonce).
async fn make_link(b: &Browser) -> common::Page {
    let page = b.get("/guest").await;
    let nonce = extract_between(&page.body, "name=\"nonce\" value=\"", "\"").unwrap();
    b.post("/guest/link", &[("nonce", &nonce)]).await
}

async fn titles(b: &Browser) -> Vec<String> {
    let list = b.get("/").await.body;
    list.split("class=\"tile-title\"><bdi>")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_recovery_link_brings_a_guests_diagrams_into_another_browser() {
    let server = TestServer::start().await;
    let first = server.browser();
    for title in ["One", "Two"] {
        let id = first.new_diagram().await;
        first.save(&id, title, FLOW).await;
    }
    let list = first.get("/").await;
    assert!(list.body.contains("href=\"/guest\">recovery link</a>"));
    let page = first.get("/guest").await;
    assert!(page.body.contains("You have no recovery link."));

    // Made and shown once.
    let made = make_link(&first).await;
    assert_eq!(made.status, StatusCode::OK);
    let url = extract_between(
        &made.body,
        "id=\"recovery-link\" class=\"secret\" readonly value=\"",
        "\"",
    )
    .unwrap();
    let path = url
        .split_once("127.0.0.1")
        .unwrap()
        .1
        .split_once('/')
        .unwrap()
        .1;
    let path = format!("/{path}");
    assert!(path.starts_with("/g/") && path.len() == 3 + 64, "{path}");
    let again = first.get("/guest").await;
    assert!(!again.body.contains(&path));
    assert!(again.body.contains("You have a recovery link, made"));
    // Only its hash is kept.
    let conn = server.state.db.conn().unwrap();
    let stored: Vec<u8> = conn
        .query_row("SELECT link_hash FROM guest_links", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, path.as_bytes()[3..].to_vec());

    // Opening it asks first; nothing moves on a GET (a chat's link preview).
    let second = server.browser();
    let ask = second.get(&path).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("Bring them here"));
    assert_eq!(titles(&first).await.len(), 2);
    let moved = second.post(&path, &[]).await;
    moved.assert_redirect("/?recovered=2");
    assert!(
        second
            .get("/?recovered=2")
            .await
            .body
            .contains("2 diagrams were brought into this browser.")
    );
    let mut here = titles(&second).await;
    here.sort();
    assert_eq!(here, ["One", "Two"]);
    assert!(titles(&first).await.is_empty());

    // The link follows the diagrams: this browser's own now, and it says so.
    assert!(
        second
            .get(&path)
            .await
            .body
            .contains("This is this browser's own recovery link")
    );
    second
        .post(&path, &[])
        .await
        .assert_redirect("/?recovered=here");
    assert!(
        second
            .get("/guest")
            .await
            .body
            .contains("You have a recovery link")
    );

    // Into an account: they move in and the link is used up.
    let account = signed_in(&server, "ada@example.net").await;
    assert!(
        account
            .get(&path)
            .await
            .body
            .contains("They move into the account")
    );
    account
        .post(&path, &[])
        .await
        .assert_redirect("/?recovered=2");
    assert!(
        account
            .get("/?recovered=2")
            .await
            .body
            .contains("2 diagrams were brought into your account.")
    );
    assert_eq!(titles(&account).await.len(), 2);
    assert_eq!(second.get(&path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_recovery_link_can_be_revoked_or_replaced_and_bad_ones_are_not_found() {
    let server = TestServer::start().await;
    let guest = server.browser();
    let id = guest.new_diagram().await;
    guest.save(&id, "Mine", FLOW).await;
    let secret_of = |page: &str| {
        let url = extract_between(
            page,
            "id=\"recovery-link\" class=\"secret\" readonly value=\"",
            "\"",
        )
        .unwrap();
        format!("/g/{}", url.rsplit("/g/").next().unwrap())
    };
    // Reloading the page that showed a link (the same form again) makes no new one.
    let page = guest.get("/guest").await;
    let nonce = extract_between(&page.body, "name=\"nonce\" value=\"", "\"").unwrap();
    let shown = guest.post("/guest/link", &[("nonce", &nonce)]).await;
    let first_link = secret_of(&shown.body);
    let reload = guest.post("/guest/link", &[("nonce", &nonce)]).await;
    assert!(
        reload
            .body
            .contains("This page was reloaded, so no new link was made")
    );
    assert!(!reload.body.contains("id=\"recovery-link\""));
    assert_eq!(
        server.browser().get(&first_link).await.status,
        StatusCode::OK
    );
    let old = secret_of(&make_link(&guest).await.body);
    let new = secret_of(&make_link(&guest).await.body);
    assert_ne!(old, new);
    let other = server.browser();
    assert_eq!(
        other.get(&old).await.status,
        StatusCode::NOT_FOUND,
        "replaced"
    );
    assert_eq!(other.get(&new).await.status, StatusCode::OK);
    let revoked = guest.post("/guest/link/revoke", &[]).await;
    assert!(revoked.body.contains("The recovery link was revoked"));
    assert_eq!(other.get(&new).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.post(&new, &[]).await.status, StatusCode::NOT_FOUND);
    for bad in ["/g/short", "/g/zz", &format!("/g/{}", "0".repeat(64))] {
        assert_eq!(other.get(bad).await.status, StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(titles(&guest).await, ["Mine"]);
    // Links are secrets: the log shows /g/… only.
    let log = reef::server::loggable_path(&new);
    assert_eq!(log, "/g/…");
}
