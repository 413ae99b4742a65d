//! Conditional GETs of a large diagram's image: a revalidation (`If-None-Match` with the
//! current ETag, answered 304) against a full render (the diagram changed since, so the SVG
//! cache misses too), and against a 200 served from the server's SVG cache.
//!
//! Measures `GET /api/diagrams/{id}.svg` with a bearer token when that answers with an ETag
//! and honours If-None-Match; otherwise the editor's `/d/{id}/image.svg` with the browser
//! session (which has both). Run with `cargo bench --bench http_cache`
//! (REEF_BENCH_ROUNDS=n, default 30).
#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, StatusCode};
use support::{median, ms};

const SOURCE: &str = include_str!("../bench/corpus/flowchart-large.mmd");

/// Which image URL is measured, and with which credentials.
enum Route {
    Api,
    Web,
}

fn get(route: &Route, api: &common::Api, browser: &common::Browser, id: &str) -> RequestBuilder {
    match route {
        Route::Api => api.request(reqwest::Method::GET, &format!("/api/diagrams/{id}.svg")),
        Route::Web => browser
            .client
            .get(browser.url(&format!("/d/{id}/image.svg"))),
    }
}

/// Times one GET; returns its status, ETag and duration.
async fn timed(request: RequestBuilder) -> (StatusCode, Option<String>, Duration) {
    let started = Instant::now();
    let response = request.send().await.unwrap();
    let status = response.status();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    response.bytes().await.unwrap();
    (status, etag, started.elapsed())
}

#[tokio::main]
async fn main() {
    let rounds: usize = support::env_or("REEF_BENCH_ROUNDS", 30);
    let (_server, browser, api) = support::server().await;
    let id = api.create("large", SOURCE).await;
    let mut version = 0u64;
    let mut change = async || {
        version += 1;
        let reply = api
            .json(
                reqwest::Method::PUT,
                &format!("/api/diagrams/{id}"),
                serde_json::json!({"title": "large", "source": format!("{SOURCE}%% v{version}\n")}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    };

    // Does the API export revalidate yet?
    let (status, etag, _) = timed(get(&Route::Api, &api, &browser, &id)).await;
    assert_eq!(status, StatusCode::OK);
    let api_revalidates = match &etag {
        Some(tag) => {
            let request = get(&Route::Api, &api, &browser, &id).header("if-none-match", tag);
            timed(request).await.0 == StatusCode::NOT_MODIFIED
        }
        None => false,
    };
    let (route, name) = if api_revalidates {
        (Route::Api, "GET /api/diagrams/{id}.svg (bearer)")
    } else {
        (
            Route::Web,
            "GET /d/{id}/image.svg (session; the API export has no ETag/304 yet)",
        )
    };

    let (mut full, mut hit, mut revalidated) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        change().await;
        let (status, etag, took) = timed(get(&route, &api, &browser, &id)).await;
        assert_eq!(status, StatusCode::OK);
        full.push(took);
        let etag = etag.expect("the image has an ETag");
        let (status, _, took) = timed(get(&route, &api, &browser, &id)).await;
        assert_eq!(status, StatusCode::OK);
        hit.push(took);
        let request = get(&route, &api, &browser, &id).header("if-none-match", &etag);
        let (status, _, took) = timed(request).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        revalidated.push(took);
    }
    let (full, hit, revalidated) = (
        median(&mut full),
        median(&mut hit),
        median(&mut revalidated),
    );
    let ratio = revalidated.as_secs_f64() / full.as_secs_f64();
    println!(
        "{name}, {} B of Mermaid, {rounds} rounds, medians:",
        SOURCE.len()
    );
    println!(
        "200, rendered (diagram changed since):  {:>8.2} ms",
        ms(full)
    );
    println!(
        "200 from the server's SVG cache:        {:>8.2} ms",
        ms(hit)
    );
    println!(
        "304 (If-None-Match, unchanged):         {:>8.2} ms",
        ms(revalidated)
    );
    println!(
        "ratio 304 / rendered: {ratio:.4}; 304 / SVG-cache 200: {:.2}",
        revalidated.as_secs_f64() / hit.as_secs_f64()
    );
}
