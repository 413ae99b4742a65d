//! List latency against the size of one account: `GET /api/diagrams` (first page and a page
//! deep in the keyset pagination) and the HTML list page `/`, with 1,000 and then 100,000
//! diagrams, on one server. Diagrams are seeded in one transaction straight into the schema
//! (a diagram row and its first revision, as `reef::db::diagrams::create` writes them).
//!
//! Run with `cargo bench --bench scale` (REEF_BENCH_ROUNDS=n requests per figure, default 200).
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rusqlite::{Connection, params};
use support::{ms, quantile, verdict};

const TARGET: f64 = 1.5;
const SOURCE: &str = include_str!("../bench/corpus/flowchart-small.mmd");
/// How deep the deep page is: this many `next_cursor` hops from the first page.
const DEEP_HOPS: usize = 10;

/// Adds diagrams `from..to` to `user`'s account; diagram `i` was last updated `i` seconds
/// after `epoch`, so later seeds list first.
fn seed(db: &std::path::Path, user: i64, from: usize, to: usize, epoch: i64) {
    let mut conn = Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut diagram = tx
            .prepare(
                "INSERT INTO diagrams (id, owner_user, title, source, version, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
            )
            .unwrap();
        let mut revision = tx
            .prepare(
                "INSERT INTO revisions (diagram_id, version, title, source, created_at)
                 VALUES (?1, 1, ?2, ?3, ?4)",
            )
            .unwrap();
        for i in from..to {
            // Ids look like Reef's (short, alphanumeric) and do not sort like the times.
            let id = format!(
                "s{:x}{i}",
                (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40
            );
            let title = format!("Diagram {i}");
            let at = epoch + i as i64;
            diagram
                .execute(params![id, user, title, SOURCE, at])
                .unwrap();
            revision.execute(params![id, title, SOURCE, at]).unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Ids look like Reef's (short, alphanumeric) and do not sort like the times.
fn seed_id(i: usize) -> String {
    format!(
        "s{:x}{i}",
        (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40
    )
}

struct Figures {
    api_first: (Duration, Duration),
    api_deep: (Duration, Duration),
    api_middle: (Duration, Duration),
    html_first: (Duration, Duration),
}

/// p50 and p99 of `rounds` sequential GETs made by `send`, after a warm-up.
async fn time<F, Fut>(rounds: usize, mut send: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    for _ in 0..10 {
        send().await.unwrap().bytes().await.unwrap();
    }
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let response = send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.unwrap();
        samples.push(started.elapsed());
    }
    (quantile(&mut samples, 0.5), quantile(&mut samples, 0.99))
}

async fn measure(
    api: &common::Api,
    browser: &common::Browser,
    rounds: usize,
    expect: usize,
    epoch: i64,
) -> Figures {
    // Follow the cursor to the deep page, checking the listing holds what was seeded.
    let mut cursor = String::new();
    for _ in 0..DEEP_HOPS {
        let page = api
            .get(&format!("/api/diagrams?cursor={cursor}"))
            .await
            .json();
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
    }
    let first = api.get("/api/diagrams?limit=200").await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 200.min(expect));

    let api_first = time(rounds, || {
        api.request(reqwest::Method::GET, "/api/diagrams").send()
    })
    .await;
    let deep = format!("/api/diagrams?cursor={cursor}");
    let api_deep = time(rounds, || api.request(reqwest::Method::GET, &deep).send()).await;
    // A cursor to the middle of the list, as a client that paged that far would hold.
    let half = expect / 2;
    let middle = format!(
        "/api/diagrams?cursor={}.{}",
        epoch + half as i64,
        seed_id(half)
    );
    let items = api.get(&middle).await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(items, 50, "the middle page is not a full page");
    let api_middle = time(rounds, || api.request(reqwest::Method::GET, &middle).send()).await;
    let html_first = time(rounds, || browser.client.get(browser.url("/")).send()).await;
    let page = browser.get("/").await;
    assert!(
        page.body.contains("Diagram "),
        "the list page lists no diagram"
    );
    Figures {
        api_first,
        api_deep,
        api_middle,
        html_first,
    }
}

#[tokio::main]
async fn main() {
    let rounds: usize = support::env_or("REEF_BENCH_ROUNDS", 200);
    let (small, large) = (1_000usize, 100_000usize);
    let (server, browser, api) = support::server().await;
    let user = api.get("/api/me").await.json()["id"].as_i64().unwrap();
    let db = server.dir.path().join("reef.db");
    let epoch = (server.state.clock.now() - large as i64 - 10).seconds();

    let started = Instant::now();
    seed(&db, user, 0, small, epoch);
    println!(
        "seeded {small} diagrams in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let at_small = measure(&api, &browser, rounds, small, epoch).await;

    let started = Instant::now();
    seed(&db, user, small, large, epoch);
    println!(
        "seeded {} more diagrams in {:.1} s (database {:.0} MB)",
        large - small,
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&db).map_or(0, |m| m.len()) as f64 / 1e6
    );
    let at_large = measure(&api, &browser, rounds, large, epoch).await;

    println!("list latency in one account, {rounds} sequential requests each: p50 / p99 ms");
    println!(
        "{:<40}{:>18}{:>18}{:>8}",
        "",
        format!("{small} diagrams"),
        format!("{large} diagrams"),
        "ratio"
    );
    let row = |name: &str, a: (Duration, Duration), b: (Duration, Duration)| {
        let ratio = b.0.as_secs_f64() / a.0.as_secs_f64();
        println!(
            "{name:<40}{:>18}{:>18}{ratio:>8.2}",
            format!("{:.2} / {:.2}", ms(a.0), ms(a.1)),
            format!("{:.2} / {:.2}", ms(b.0), ms(b.1)),
        );
        ratio
    };
    let r1 = row(
        "GET /api/diagrams (first page)",
        at_small.api_first,
        at_large.api_first,
    );
    let r2 = row(
        &format!("GET /api/diagrams (page {})", DEEP_HOPS + 1),
        at_small.api_deep,
        at_large.api_deep,
    );
    let r4 = row(
        "GET /api/diagrams (middle of the list)",
        at_small.api_middle,
        at_large.api_middle,
    );
    let r3 = row(
        "GET / (HTML list, owner)",
        at_small.html_first,
        at_large.html_first,
    );
    let worst = r1.max(r2).max(r3).max(r4);
    println!(
        "worst p50 ratio {large}/{small}: {worst:.2} (target <= {TARGET}): {}",
        verdict(worst <= TARGET)
    );
}
