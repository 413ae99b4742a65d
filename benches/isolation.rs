//! Does rendering starve the server? `/healthz` latency on an idle server, then on the same
//! server while clients keep sending pathological diagrams that run into the render time limit
//! (a 2-node flowchart whose label is 20 KB of nested parentheses: ~14 s of layout, stopped at
//! 3 s by killing the worker, which is then replaced).
//!
//! Run with `cargo bench --bench isolation` (REEF_BENCH_ROUNDS=n health checks per phase,
//! default 1000, one every 5 ms; REEF_BENCH_CLIENTS=n renders in flight, default 4).
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::{ms, quantile, verdict};

const TARGET: f64 = 2.0;

/// p50, p99 and max of `rounds` health checks, one every 5 ms.
async fn health(server: &common::TestServer, rounds: usize) -> (Duration, Duration, Duration) {
    let client = reqwest::Client::new();
    let url = server.url("/healthz");
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.unwrap();
        samples.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (
        quantile(&mut samples, 0.5),
        quantile(&mut samples, 0.99),
        quantile(&mut samples, 1.0),
    )
}

#[tokio::main]
async fn main() {
    let rounds: usize = support::env_or("REEF_BENCH_ROUNDS", 1000);
    let clients: usize = support::env_or("REEF_BENCH_CLIENTS", 4);
    let (server, _browser, api) = support::server().await;
    // 3,000 distinct labelled edges among 150 nodes: the longest a worker can be held, about
    // 2 s of layout until merman's layout-work limit refuses it (nothing within merman's
    // limits reaches the 2.75 s deadline).
    let slow: String = std::iter::once("flowchart TD\n".to_owned())
        .chain((0..3_000).map(|i| {
            let a = i % 150;
            format!("  n{a} -->|e{i}| n{}\n", (a + 1 + i / 150) % 150)
        }))
        .collect();
    // Warm: the connection, a worker.
    api.request(reqwest::Method::POST, "/api/render")
        .header("content-type", "text/plain")
        .body("flowchart LR\n  a --> b\n")
        .send()
        .await
        .unwrap();

    let idle = health(&server, rounds).await;

    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for c in 0..clients {
        let request = api
            .request(reqwest::Method::POST, "/api/render")
            .header("content-type", "text/plain");
        let (stop, outcomes, slow) = (Arc::clone(&stop), Arc::clone(&outcomes), slow.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0;
            let mut statuses = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let response = request
                    .try_clone()
                    .unwrap()
                    .body(format!("{slow}%% load {c} {n}\n"))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: serde_json::Value =
                    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or_default();
                statuses.push(format!("{status} {}", body["error"].as_str().unwrap_or("")));
                outcomes.fetch_add(1, Ordering::Relaxed);
            }
            statuses
        }));
    }
    // Let the renders start and the workers get busy.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let loaded = health(&server, rounds).await;
    let spent = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut statuses = Vec::new();
    for task in load {
        statuses.extend(task.await.unwrap());
    }
    statuses.sort_unstable();
    statuses.dedup();

    println!(
        "/healthz latency, {rounds} requests one every 5 ms: p50 / p99 / max ms (renders on {} workers)",
        server.state.renderer.settings().workers
    );
    println!(
        "idle:                    {:>7.2} / {:>7.2} / {:>7.2}",
        ms(idle.0),
        ms(idle.1),
        ms(idle.2)
    );
    println!(
        "{clients} pathological renders: {:>7.2} / {:>7.2} / {:>7.2}   ({} renders ended in {:.1} s, answers {statuses:?})",
        ms(loaded.0),
        ms(loaded.1),
        ms(loaded.2),
        outcomes.load(Ordering::Relaxed),
        spent.as_secs_f64()
    );
    let ratio = loaded.1.as_secs_f64() / idle.1.as_secs_f64();
    println!(
        "ratio p99 under load / p99 idle: {ratio:.2} (target <= {TARGET}): {}",
        verdict(ratio <= TARGET)
    );
}
