//! What strangers may store (SECURITY.md): per-owner quotas on diagrams and storage, stricter
//! for guests; guest editing that can be turned off; idle guests' diagrams purged.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Api, TestServer, extract_between, signed_in};
use reef::config::Quota;
use reef::db::UnixTime;
use reef::db::diagrams::{self as store, Owner};
use reqwest::StatusCode;

const KIB: u64 = 1024;

fn guest_quota(diagrams: u64, bytes: u64) -> impl FnOnce(&mut reef::config::Config) {
    move |c| c.guest_quota = Quota { diagrams, bytes }
}

/// A flowchart of about `bytes` bytes whose text differs with `tag`.
fn sized(bytes: usize, tag: &str) -> String {
    let mut s = format!("flowchart LR\n  %% {tag}\n");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!("  n{i} --> n{}\n", i + 1));
        i += 1;
    }
    s
}

#[tokio::test]
async fn a_guest_keeps_at_most_its_quota_of_diagrams_and_the_trash_frees_none_of_it_until_purged() {
    let server = TestServer::start_with(guest_quota(3, 0)).await;
    let b = server.browser();
    let ids = [
        b.new_diagram().await,
        b.new_diagram().await,
        b.new_diagram().await,
    ];
    let refused = b.post("/d", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("You have 3 diagrams; a guest may keep 3 here"),
        "{}",
        refused.body
    );
    let list = b.get("/").await;
    assert!(
        list.body.contains("Using 3 of 3 diagrams."),
        "{}",
        list.body
    );

    // Trashed, a diagram frees its place in the count...
    let deleted = b.post(&format!("/d/{}/delete", ids[0]), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let fourth = b.new_diagram().await;
    // ...so it cannot come back while the others fill the quota.
    let restore = b.post(&format!("/d/{}/restore", ids[0]), &[]).await;
    assert_eq!(restore.status, StatusCode::FORBIDDEN, "{}", restore.body);
    let trash = b.get("/trash").await;
    assert!(trash.body.contains("Delete for good"), "{}", trash.body);
    // Deleted for good, it is gone from the trash and from the store.
    let purged = b.post(&format!("/d/{}/purge", ids[0]), &[]).await;
    purged.assert_redirect("/trash");
    assert!(!b.get("/trash").await.body.contains(&ids[0]));
    let again = b.post(&format!("/d/{}/purge", ids[0]), &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    // A live diagram cannot be deleted for good from outside the trash.
    let live = b.post(&format!("/d/{fourth}/purge"), &[]).await;
    assert_eq!(live.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get(&format!("/d/{fourth}")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_guest_cannot_store_past_its_bytes_and_loses_nothing_it_typed() {
    let server = TestServer::start_with(guest_quota(0, 64 * KIB)).await;
    let b = server.browser();
    let id = b.new_diagram().await;
    let mut saved = 0;
    let mut refused = None;
    for i in 0..20 {
        let source = sized(8 * 1024, &format!("save {i}"));
        let page = b.save(&id, "Big", &source).await;
        if page.status == StatusCode::SEE_OTHER {
            saved += 1;
        } else {
            refused = Some((page, source));
            break;
        }
    }
    // The diagram's 8 KiB, plus an 8 KiB revision per save: about seven saves fit in 64 KiB.
    assert!((5..8).contains(&saved), "{saved} saves fitted");
    let (page, typed) = refused.unwrap();
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.body.contains(
            "over the 64 KiB allowed here (diagrams, their revisions and the trash count)"
        ),
        "{}",
        page.body
    );
    // The editor comes back with the text as typed.
    let shown = extract_between(&page.body, "name=\"source\"", "</textarea>").unwrap();
    assert!(shown.contains("%% save "), "{shown}");
    assert!(typed.contains(&format!("%% save {saved}")));
    assert!(shown.contains(&format!("%% save {saved}")), "{shown}");
    // Nothing of the refused save was written: the stored text is the last accepted one.
    let stored = server
        .state
        .db
        .run({
            let id = id.clone();
            move |conn| store::revisions(conn, &id)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), saved + 1, "one revision per accepted save");
    assert!(stored[0].source.contains(&format!("%% save {}", saved - 1)));
    // A save that does not grow the storage still goes through, so an owner over quota can
    // tidy up: the same text again writes nothing.
    let same = b
        .save(&id, "Big", &sized(8 * 1024, &format!("save {}", saved - 1)))
        .await;
    assert_eq!(same.status, StatusCode::SEE_OTHER, "{}", same.body);
    let list = b.get("/").await;
    assert!(list.body.contains("of 64 KiB storage"), "{}", list.body);
}

#[tokio::test]
async fn accounts_have_their_own_quota_and_the_api_says_quota_exceeded() {
    let server = TestServer::start_with(|c| {
        c.user_quota = Quota {
            diagrams: 2,
            bytes: 0,
        };
        c.guest_quota = Quota {
            diagrams: 1,
            bytes: 0,
        };
    })
    .await;
    let browser = signed_in(&server, "owner@example.net").await;
    let token = browser.create_token("ci", "read-write").await;
    let api = Api::new(&server, &token);
    api.create("one", "flowchart LR\n  a --> b\n").await;
    api.create("two", "flowchart LR\n  a --> c\n").await;
    let reply = api
        .post(
            "/api/diagrams",
            serde_json::json!({"title": "three", "source": "flowchart LR\n  a --> d\n"}),
        )
        .await;
    reply.assert_error(StatusCode::FORBIDDEN, "quota_exceeded");
    let message = reply.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("an account may keep 2 here"), "{message}");
    let listed = api.get("/api/diagrams").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn with_guests_off_only_accounts_edit_and_share_links_stay_public() {
    let server = TestServer::start_with(|c| c.guests = false).await;
    let owner = signed_in(&server, "owner@example.net").await;
    let id = owner.new_diagram().await;
    let shared = owner
        .post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await;
    assert_eq!(shared.status, StatusCode::SEE_OTHER);
    let editor = owner.get(&format!("/d/{id}")).await;
    let share_path = extract_between(&editor.body, "/s/", "\"").unwrap();

    let stranger = server.browser();
    for path in ["/", "/trash", &format!("/d/{id}")] {
        stranger.get(path).await.assert_redirect("/login");
    }
    let csrf = stranger.get("/login").await.csrf();
    let create = stranger.post_raw("/d", &[("csrf", &csrf)]).await;
    create.assert_redirect("/login");
    let preview = stranger
        .client
        .post(stranger.url("/preview"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"source": "flowchart LR\n  a --> b\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::SEE_OTHER);
    // Nothing was stored for the stranger.
    let guests: i64 = server
        .state
        .db
        .run(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM diagrams WHERE owner_guest IS NOT NULL",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(guests, 0);
    let page = stranger.get(&format!("/s/{share_path}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(stranger.get("/login").await.status, StatusCode::OK);
}

#[tokio::test]
async fn guests_off_needs_accounts_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::reef_exe())
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--accounts",
            "off",
            "--guests",
            "off",
        ])
        .env("REEF_DATA", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("REEF_GUESTS=off needs REEF_ACCOUNTS=on"),
        "{stderr}"
    );
}

#[tokio::test]
async fn idle_guests_diagrams_are_purged_from_a_month_after_purging_began_and_everyone_elses_kept()
{
    let server = TestServer::start().await;
    let day = 86_400;
    let now = 100 * day;
    let (idle, active) = ([1u8; 32], [2u8; 32]);
    server
        .state
        .db
        .run(move |conn| {
            let at = |d: i64| UnixTime(now - d * day);
            store::create(
                conn,
                &Owner::Guest(idle),
                "idle1",
                "t",
                "flowchart LR\n a\n",
                at(40),
            )?;
            store::create(
                conn,
                &Owner::Guest(idle),
                "idle2",
                "t",
                "flowchart LR\n a\n",
                at(35),
            )?;
            // One recent change keeps all of a guest's diagrams.
            store::create(
                conn,
                &Owner::Guest(active),
                "act1",
                "t",
                "flowchart LR\n a\n",
                at(90),
            )?;
            store::create(
                conn,
                &Owner::Guest(active),
                "act2",
                "t",
                "flowchart LR\n a\n",
                at(2),
            )?;
            // The first run (a server upgraded into the purge) only starts the clock...
            let first = store::purge_idle_guests(conn, UnixTime(now - 30 * day), UnixTime(now))?;
            assert_eq!(first, 0, "nothing goes the day purging begins");
            // ...turned off and on again, the clock starts over...
            store::guest_purge_off(conn)?;
            let later = now + 10 * day;
            let restarted =
                store::purge_idle_guests(conn, UnixTime(later - 30 * day), UnixTime(later))?;
            assert_eq!(restarted, 0);
            // ...and 30 days after it began, guests unchanged for 30 days go.
            conn.execute(
                "UPDATE diagrams SET updated_at = ?1 WHERE id = 'act2'",
                [UnixTime(later + 15 * day)],
            )?;
            let then = later + 31 * day;
            let gone = store::purge_idle_guests(conn, UnixTime(then - 30 * day), UnixTime(then))?;
            assert_eq!(gone, 2);
            let left: Vec<String> = conn
                .prepare("SELECT id FROM diagrams ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let revisions: i64 = conn.query_row(
                "SELECT count(*) FROM revisions WHERE diagram_id LIKE 'idle%'",
                [],
                |r| r.get(0),
            )?;
            assert_eq!(revisions, 0);
            Ok(left)
        })
        .await
        .map(|left| {
            assert!(left.contains(&"act1".to_owned()) && left.contains(&"act2".to_owned()));
            assert!(!left.iter().any(|id| id.starts_with("idle")), "{left:?}");
        })
        .unwrap();
}

#[tokio::test]
async fn the_list_tells_guests_when_their_diagrams_go() {
    let server = TestServer::start_with(|c| {
        c.guest_purge_after = Some(std::time::Duration::from_secs(30 * 86_400));
        c.guest_quota = Quota {
            diagrams: 50,
            bytes: 5 * 1024 * KIB,
        };
    })
    .await;
    let page = server.browser().get("/").await;
    assert!(
        page.body
            .contains("and they are deleted for good 30 days after your last change"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Using 0 of 50 diagrams · 0 KiB of 5.0 MiB storage."),
        "{}",
        page.body
    );
    let owner = signed_in(&server, "owner@example.net").await;
    let mine = owner.get("/").await;
    assert!(!mine.body.contains("deleted for good"), "{}", mine.body);
}

#[tokio::test]
async fn strangers_making_a_new_guest_for_every_save_share_one_bounded_room() {
    let server = TestServer::start_with(|c| c.guests_total_bytes = 64 * KIB).await;
    let mut refused = None;
    for i in 0..12 {
        // A fresh browser each time: a new guest, as a script without cookies gets.
        let b = server.browser();
        let id = b.new_diagram().await;
        let page = b
            .save(&id, "Filler", &sized(12 * 1024, &format!("guest {i}")))
            .await;
        if page.status != StatusCode::SEE_OTHER {
            refused = Some((i, page));
            break;
        }
    }
    let (i, page) = refused.expect("the guests' room filled up");
    assert!(i >= 1, "at least one guest fitted");
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.body
            .contains("Guests together have used all the storage this server gives them (64 KiB)"),
        "{}",
        page.body
    );
    let guests: i64 = server
        .state
        .db
        .run(|conn| Ok(store::guests_usage(conn)? as i64))
        .await
        .unwrap();
    assert!(guests <= 64 * 1024 + 2 * 13 * 1024, "{guests} bytes kept");
    // An account is not held back by the guests' room.
    let owner = signed_in(&server, "owner@example.net").await;
    let id = owner.new_diagram().await;
    let saved = owner.save(&id, "Mine", &sized(12 * 1024, "account")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn guest_diagrams_moved_in_at_sign_in_are_kept_and_the_list_says_the_account_is_over() {
    let server = TestServer::start_with(|c| {
        c.open_signups = true;
        c.user_quota = Quota {
            diagrams: 2,
            bytes: 0,
        };
    })
    .await;
    let owner = signed_in(&server, "owner@example.net").await;
    owner.new_diagram().await;
    owner.new_diagram().await;
    owner.post("/logout", &[]).await;
    let guest_one = owner.new_diagram().await;
    let signed = owner.sign_in("owner@example.net", common::PASSWORD).await;
    assert!(signed.status.is_redirection());
    let list = owner.get("/").await;
    assert!(list.body.contains(&guest_one), "nothing is lost at sign-in");
    assert!(
        list.body
            .contains("Over this server&#x27;s limit: using 3 of 2 diagrams")
            || list
                .body
                .contains("Over this server&#39;s limit: using 3 of 2 diagrams")
            || list
                .body
                .contains("Over this server's limit: using 3 of 2 diagrams"),
        "{}",
        list.body
    );
}

#[tokio::test]
async fn guests_on_one_address_write_at_a_persons_pace() {
    let server = TestServer::start().await;
    let mut statuses = Vec::new();
    for _ in 0..62 {
        // A new guest each time, as a script without cookies would be.
        let b = server.browser();
        let csrf = b.csrf().await;
        statuses.push(b.post_raw("/d", &[("csrf", &csrf)]).await.status);
    }
    let made = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(made, 60, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    // Accounts are not counted against the address.
    let owner = signed_in(&server, "owner@example.net").await;
    owner.new_diagram().await;
}
