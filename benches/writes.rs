//! Committed writes: `PUT /api/diagrams/{id}` over HTTP with a bearer token (each write keeps a
//! revision) against raw rusqlite single-row commits, with the same pragmas as `reef::db`
//! (WAL, synchronous = NORMAL), on the same filesystem, at the same fixed concurrency. The
//! two alternate in short phases so that machine noise hits both alike.
//!
//! Run with `cargo bench --bench writes` (REEF_BENCH_CLIENTS, REEF_BENCH_SECS to change the
//! concurrency (default 8) and the length of each phase (default 4 s, four phases each)).
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use reef::db::diagrams::{self, Owner};
use reqwest::StatusCode;
use rusqlite::Connection;
use support::verdict;

const TARGET: f64 = 0.5;
const SOURCE: &str = include_str!("../bench/corpus/flowchart-medium.mmd");

/// A connection configured like `reef::db`'s pool.
fn open(path: &std::path::Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )
    .unwrap();
    conn
}

/// Commits per second over HTTP: `clients` tasks, each replacing its own diagram.
async fn http_phase(api: &common::Api, ids: &[String], secs: f64, seq: &mut u64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (c, id) in ids.iter().enumerate() {
        let client = api.client.clone();
        let url = format!("{}/api/diagrams/{id}", api.base);
        let token = api.token.clone();
        let first = *seq + (c as u64) * 1_000_000;
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let body = serde_json::json!({
                    "title": format!("bench {c}"),
                    "source": format!("{SOURCE}%% write {}\n", first + n),
                });
                let response = client
                    .put(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let text = response.text().await.unwrap();
                assert_eq!(status, StatusCode::OK, "{text}");
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    *seq += total + ids.len() as u64 * 1_000_000;
    total as f64 / started.elapsed().as_secs_f64()
}

/// Commits per second of raw rusqlite: `clients` threads, each with its own connection,
/// each commit one UPDATE of its own row (autocommit).
fn raw_phase(path: &std::path::Path, clients: usize, secs: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let path = path.to_owned();
            std::thread::spawn(move || {
                let conn = open(&path);
                let mut stmt = conn
                    .prepare("UPDATE docs SET body = ?1, version = version + 1 WHERE id = ?2")
                    .unwrap();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let body = format!("{SOURCE}%% write {n}\n");
                    assert_eq!(stmt.execute(rusqlite::params![body, c as i64]).unwrap(), 1);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

/// Commits per second of `reef::db::diagrams::update` called directly (the same transaction a
/// PUT makes, revision included, without HTTP, authentication or the async runtime):
/// `clients` threads on the pool, each replacing its own diagram.
fn db_phase(db: &reef::db::Db, ids: &[String], user: i64, secs: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let threads: Vec<_> = ids
        .iter()
        .map(|id| {
            let (db, id) = (db.clone(), id.clone());
            std::thread::spawn(move || {
                let mut conn = db.conn().unwrap();
                let owner = Owner::User(user);
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let source = format!("{SOURCE}%% write {n}\n");
                    let saved = diagrams::update(
                        &mut conn,
                        &owner,
                        &id,
                        "bench",
                        &source,
                        None,
                        reef::db::UnixTime(1),
                    )
                    .unwrap();
                    assert!(matches!(saved, diagrams::Saved::Ok(_)));
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let clients: usize = support::env_or("REEF_BENCH_CLIENTS", 8);
    let secs: f64 = support::env_or("REEF_BENCH_SECS", 4.0);
    let (server, _browser, api) = support::server().await;
    let mut ids = Vec::new();
    for c in 0..clients {
        ids.push(api.create(&format!("bench {c}"), SOURCE).await);
    }

    // The raw database sits next to the server's, so both write to the same filesystem.
    let raw_dir = tempfile::tempdir_in(server.dir.path().parent().unwrap()).unwrap();
    let raw_path = raw_dir.path().join("raw.db");
    {
        let conn = open(&raw_path);
        conn.execute_batch(
            "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL)",
        )
        .unwrap();
        for c in 0..clients {
            conn.execute(
                "INSERT INTO docs (id, body, version) VALUES (?1, ?2, 1)",
                rusqlite::params![c as i64, SOURCE],
            )
            .unwrap();
        }
    }

    println!(
        "committed writes/s at {clients} concurrent clients; {} B of Mermaid per write; phases of {secs} s",
        SOURCE.len() + 20
    );
    let mut seq = 0;
    // Warm-up of both (connections, page cache, the WAL file).
    http_phase(&api, &ids, 1.0, &mut seq).await;
    raw_phase(&raw_path, clients, 1.0);
    let (mut http, mut raw) = (Vec::new(), Vec::new());
    for round in 1..=4 {
        let h = http_phase(&api, &ids, secs, &mut seq).await;
        let r = tokio::task::block_in_place(|| raw_phase(&raw_path, clients, secs));
        println!("round {round}: PUT /api/diagrams/{{id}} {h:>8.0}/s   raw rusqlite {r:>8.0}/s");
        http.push(h);
        raw.push(r);
    }
    let single = tokio::task::block_in_place(|| raw_phase(&raw_path, 1, secs));

    // The same transaction through Reef's db layer, on a database of its own beside the others.
    let db_dir = tempfile::tempdir_in(server.dir.path().parent().unwrap()).unwrap();
    let db = reef::db::Db::open(db_dir.path()).unwrap();
    let user = {
        let conn = db.conn().unwrap();
        conn.execute(
            "INSERT INTO users (email, password_hash, created_at) VALUES ('db@example.net', 'x', 1)",
            [],
        )
        .unwrap();
        conn.last_insert_rowid()
    };
    let db_ids: Vec<String> = (0..clients).map(|c| format!("dbbench{c}")).collect();
    {
        let conn = db.conn().unwrap();
        for id in &db_ids {
            diagrams::create(
                &conn,
                &Owner::User(user),
                id,
                "bench",
                SOURCE,
                reef::db::UnixTime(1),
            )
            .unwrap();
        }
    }
    let direct = tokio::task::block_in_place(|| db_phase(&db, &db_ids, user, secs));
    let h = support::median_f64(&mut http);
    let r = support::median_f64(&mut raw);
    let ratio = h / r;
    println!("median PUT /api/diagrams/{{id}} over HTTP: {h:.0} commits/s");
    println!("median raw rusqlite single-row commits:  {r:.0} commits/s ({clients} threads)");
    println!("raw rusqlite, one thread (for reference): {single:.0} commits/s");
    println!(
        "reef::db::diagrams::update called directly, {clients} threads (for reference): {direct:.0} commits/s"
    );
    println!(
        "ratio HTTP/raw: {ratio:.3} (target >= {TARGET}): {}",
        verdict(ratio >= TARGET)
    );
}
