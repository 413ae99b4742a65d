//! `POST /api/render` end to end (HTTP, bearer authentication, a render worker process) against
//! the same rendering in this process (merman, font measurement, sanitising), over
//! bench/corpus/*.mmd.
//! The two are measured alternately, request by request, so machine noise hits both alike.
//! Every uncached request appends a unique `%% n` comment line, which defeats the SVG cache
//! (keyed by the source's SHA-256) without changing the drawing.
//!
//! Run with `cargo bench --bench render` (REEF_BENCH_ROUNDS=n for more samples per diagram).
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::{median, median_f64, ms, verdict};

const TARGET: f64 = 1.5;

fn corpus() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mmd"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Rendering in this process the way a worker does (the same merman settings, font
/// measurement with its cache, sanitising and font embedding), and then what sanitising that
/// SVG alone takes (part of both figures).
fn in_process(source: &str) -> (Duration, Duration) {
    let started = Instant::now();
    let svg = reef::render::svg_in_this_process(source)
        .unwrap_or_else(|| panic!("no diagram in {source}"));
    let took = started.elapsed();
    let started = Instant::now();
    std::hint::black_box(reef::render::sanitize_svg(&svg));
    (took, started.elapsed())
}

async fn end_to_end(api: &common::Api, source: String) -> Duration {
    let started = Instant::now();
    let response = api
        .request(reqwest::Method::POST, "/api/render")
        .header("content-type", "text/plain")
        .body(source)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.bytes().await.unwrap();
    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    took
}

#[tokio::main]
async fn main() {
    let rounds: usize = support::env_or("REEF_BENCH_ROUNDS", 25);
    let (_server, _browser, api) = support::server().await;
    let corpus = corpus();
    let mut unique = 0u64;
    let mut tagged = |source: &str| {
        unique += 1;
        format!("{source}\n%% bench {unique}\n")
    };

    println!(
        "POST /api/render end to end vs merman in-process; {rounds} rounds per diagram, medians"
    );
    println!(
        "{:<20}{:>7}{:>12}{:>10}{:>8}{:>10}{:>11}",
        "diagram", "bytes", "in-proc ms", "e2e ms", "ratio", "sanitise", "cached ms"
    );
    let mut ratios = Vec::new();
    let (mut total_in, mut total_e2e) = (Duration::ZERO, Duration::ZERO);
    for (name, source) in &corpus {
        // Warm both paths (fonts, the worker's first job, the connection).
        for _ in 0..3 {
            in_process(&tagged(source));
            end_to_end(&api, tagged(source)).await;
        }
        let mut inproc = Vec::with_capacity(rounds);
        let mut sanitise = Vec::with_capacity(rounds);
        let mut e2e = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let (render, clean) = in_process(&tagged(source));
            inproc.push(render);
            sanitise.push(clean);
            e2e.push(end_to_end(&api, tagged(source)).await);
        }
        let mut cached = Vec::with_capacity(rounds);
        end_to_end(&api, source.clone()).await;
        for _ in 0..rounds {
            cached.push(end_to_end(&api, source.clone()).await);
        }
        let (i, e, c) = (median(&mut inproc), median(&mut e2e), median(&mut cached));
        let clean = median(&mut sanitise);
        total_in += i;
        total_e2e += e;
        let ratio = e.as_secs_f64() / i.as_secs_f64();
        ratios.push((ratio, ms(e) - ms(i)));
        println!(
            "{name:<20}{:>7}{:>12.2}{:>10.2}{:>8.2}{:>10.2}{:>11.2}",
            source.len(),
            ms(i),
            ms(e),
            ratio,
            ms(clean),
            ms(c)
        );
    }
    let overhead: Vec<f64> = ratios.iter().map(|(_, extra)| *extra).collect();
    let mut ratios: Vec<f64> = ratios.iter().map(|(r, _)| *r).collect();
    let median_ratio = median_f64(&mut ratios);
    let mut overhead = overhead;
    let median_overhead = median_f64(&mut overhead);
    println!(
        "sum of medians: in-process {:.1} ms, end to end {:.1} ms, ratio {:.2}",
        ms(total_in),
        ms(total_e2e),
        total_e2e.as_secs_f64() / total_in.as_secs_f64()
    );
    println!("median fixed cost of end to end over in-process: {median_overhead:.2} ms per render");
    println!(
        "median ratio end-to-end / in-process over {} diagrams: {median_ratio:.2} (target <= {TARGET}): {}",
        corpus.len(),
        verdict(median_ratio <= TARGET)
    );
}
