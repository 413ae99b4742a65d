//! Faults and secrets against the real binary: a `kill -9` in the middle of a stream of writes
//! loses no acknowledged write and leaves a sound database; and no password, token secret or
//! session cookie ever reaches the logs or the database file.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{Browser, reef_exe};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path, log_level: &str) -> Server {
    let mut child = Command::new(reef_exe())
        .args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("REEF_RATE_WRITE_PER_MIN", "0")
        .env("REEF_RATE_READ_PER_MIN", "0")
        .env("REEF_LOG", log_level)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = common::listening_url(&mut child);
    Server { child, base }
}

/// Signs up the first account in a fresh browser and returns it with a token secret.
async fn account_and_token(base: &str, password: &str) -> (Browser, String) {
    let b = Browser::new(base);
    let page = b.sign_up("owner@example.net", password).await;
    assert!(page.status.is_redirection(), "{}", page.body);
    let secret = b.create_token("durability", "read-write").await;
    (b, secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_mid_stream_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), "warn");
    let (_b, secret) = account_and_token(&server.base, "durable password").await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let semaphore = Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = Vec::new();
    for i in 0..1_200 {
        let client = client.clone();
        let url = format!("{}/api/diagrams", server.base);
        let secret = secret.clone();
        let acknowledged = acknowledged.clone();
        let semaphore = semaphore.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire().await.unwrap();
            let reply = client
                .post(url)
                .bearer_auth(secret)
                .json(&serde_json::json!({"title": format!("write {i}"), "source": format!("flowchart LR\n  w{i} --> done\n")}))
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            if let Ok(reply) = reply
                && reply.status().is_success()
                && let Ok(body) = reply.json::<serde_json::Value>().await
            {
                acknowledged.lock().unwrap().push(body["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    // Let a good share of the writes land, then kill the server without warning.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 300 {
        assert!(std::time::Instant::now() < deadline, "writes did not start");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap()
            .success()
    );
    let _ = server.child.wait();
    for t in tasks {
        let _ = t.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 300 && acknowledged.len() < 1_200,
        "killed mid-stream: {}",
        acknowledged.len()
    );

    // Every acknowledged write is there after a restart, and the file is sound.
    let restarted = start(dir.path(), "warn");
    let conn = rusqlite::Connection::open(dir.path().join("reef.db")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut stmt = conn
        .prepare("SELECT count(*) FROM diagrams WHERE id = ?1")
        .unwrap();
    for id in &acknowledged {
        let n: i64 = stmt.query_row([id], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "acknowledged diagram {id} was lost");
    }
    let revisions: i64 = conn
        .query_row("SELECT count(*) FROM diagrams d WHERE NOT EXISTS (SELECT 1 FROM revisions r WHERE r.diagram_id = d.id)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        revisions, 0,
        "every diagram has its first revision (one transaction)"
    );
    let health = reqwest::get(format!("{}/healthz", restarted.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs_or_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), "trace");
    let password = "a very private password";
    let (b, secret) = account_and_token(&server.base, password).await;
    let session = b.cookie("reef_session").unwrap();
    // Use the token on several paths, including a failure and a bad one in the query string.
    let client = reqwest::Client::new();
    for path in ["/api/me", "/api/diagrams", "/api/nope"] {
        client
            .get(format!("{}{path}", server.base))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
    }
    client
        .get(format!("{}/api/me?token={secret}", server.base))
        .send()
        .await
        .unwrap();
    b.sign_in("owner@example.net", password).await;
    b.sign_in("owner@example.net", "a wrong password here")
        .await;

    let pid = server.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let mut log = Vec::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut log)
        .unwrap();
    let _ = server.child.wait();
    assert!(
        contains(&log, "request"),
        "the log is not empty: trace logging was on"
    );
    for (what, value) in [
        ("password", password),
        ("wrong password", "a wrong password here"),
        ("token secret", secret.as_str()),
        ("token body", &secret[5..30]),
        ("session cookie", session.as_str()),
    ] {
        assert!(!contains(&log, value), "the log contains the {what}");
        for file in ["reef.db", "reef.db-wal"] {
            let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
            assert!(!contains(&bytes, value), "{file} contains the {what}");
        }
    }
}
