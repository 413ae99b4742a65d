//! The guarded renderer: limits checked before layout, merman's own deadline and a hard time
//! limit that really ends the work, contained failures, safe SVG, PNG/PDF/text output and the
//! cache. And a pathological diagram must never make other requests slow.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Browser, TestServer, reef_exe};
use reef::render::{RenderError, RenderSettings, Renderer};

fn renderer(tweak: impl FnOnce(&mut RenderSettings)) -> Renderer {
    let mut settings = RenderSettings::defaults(reef_exe());
    tweak(&mut settings);
    Renderer::new(settings)
}

/// A fan of `edges` edges into 7 nodes.
fn fan_in(edges: usize) -> String {
    let mut s = String::from("flowchart TD\n");
    for i in 0..edges {
        s.push_str(&format!("  n{i} --> t{}\n", i % 7));
    }
    s
}

/// `edges` labelled edges among 150 nodes, spread by a fixed rule: over mermaid.js's own
/// 500-edge default, and seconds of layout work.
fn dense(edges: usize) -> String {
    let mut s = String::from("flowchart TD\n");
    for i in 0..edges {
        // Distinct pairs: node a to the (1 + i / 150)th node after it.
        let a = i % 150;
        s.push_str(&format!("  n{a} -->|e{i}| n{}\n", (a + 1 + i / 150) % 150));
    }
    s
}

fn kill(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Whether the SVG is well-formed XML with an `<svg>` root.
fn parses_as_svg(svg: &str) -> bool {
    roxmltree::Document::parse(svg).is_ok_and(|doc| doc.root_element().tag_name().name() == "svg")
}

#[tokio::test]
async fn a_small_flowchart_renders_to_svg() {
    let r = renderer(|_| {});
    let svg = r
        .svg("flowchart LR\n  A[Start] --> B[End]\n")
        .await
        .unwrap();
    assert!(svg.contains("<svg") && svg.contains("Start") && svg.contains("End"));
    assert!(parses_as_svg(&svg));
}

#[tokio::test]
async fn a_parse_error_carries_line_and_column_once() {
    let r = renderer(|_| {});
    let err = r
        .svg("flowchart LR\n  A --> B\n  B --> C[unclosed\n  C --> D\n")
        .await
        .unwrap_err();
    let RenderError::Parse { line, column, .. } = &err else {
        panic!("expected a parse error, got {err:?}");
    };
    assert_eq!(err.code(), "parse_error");
    assert!(line.is_some() && column.is_some(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "Line {}, column {}: ",
            line.unwrap(),
            column.unwrap()
        )),
        "{text}"
    );
    // One position per message: the sentence after it does not repeat it.
    let detail = err.detail();
    assert!(!detail.to_lowercase().contains("line "), "{detail}");
    assert!(text.ends_with(&detail), "{text} / {detail}");

    // Unexpected end of input points at the end of the last line written, not past it.
    let err = r.svg("graph TD\nA-->B\nA-->\n").await.unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::Parse {
                line: Some(3),
                column: Some(5),
                ..
            }
        ),
        "{err:?}"
    );
    // Text with no diagram in it says what is missing.
    let err = r.svg("just some words\n").await.unwrap_err();
    assert_eq!(err.code(), "parse_error", "{err:?}");
}

#[tokio::test]
async fn source_over_the_limit_is_refused_without_a_worker() {
    let r = renderer(|s| s.max_source_bytes = 1024);
    let err = r
        .svg(&format!("flowchart LR\n%% {}\n", "x".repeat(2048)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RenderError::TooLarge { limit: 1024 }),
        "{err:?}"
    );
    assert!(r.worker_pids().is_empty(), "no worker was started");
}

#[tokio::test]
async fn diagrams_within_mermaid_js_defaults_are_never_refused() {
    // mermaid.js draws up to 500 edges and 50,000 characters by default; so must Reef.
    let r = renderer(|_| {});
    let fan = fan_in(500);
    let svg = r.svg(&fan).await.unwrap();
    assert!(parses_as_svg(&svg));
    let labelled = dense(500);
    assert!(r.svg(&labelled).await.is_ok());
    let mut long = String::from("flowchart LR\n");
    let mut i = 0;
    while long.len() < 49_000 {
        long.push_str(&format!(
            "  a{i}[\"a label of some length {i}\"] --> a{}\n",
            i + 1
        ));
        i += 1;
    }
    assert!(long.chars().count() <= 50_000);
    assert!(r.svg(&long).await.is_ok());
}

#[tokio::test]
async fn a_diagram_past_the_renderers_own_limits_is_refused_as_too_complex() {
    // 4,000 labelled edges: eight times mermaid.js's default, and more layout work than merman's
    // resource profile allows. With time to spare it is refused by that limit, not the clock.
    let r = renderer(|s| {
        s.timeout = Duration::from_secs(60);
        s.deadline = Duration::from_secs(59);
    });
    let err = r.svg(&dense(4_000)).await.unwrap_err();
    assert!(matches!(err, RenderError::TooComplex { .. }), "{err:?}");
    assert_eq!(err.code(), "diagram_too_complex");
    assert!(err.to_string().contains("at most"), "{err}");
}

#[tokio::test]
async fn a_slow_render_stops_at_the_renderers_deadline_and_keeps_its_worker() {
    let r = renderer(|s| {
        s.workers = 1;
        s.deadline = Duration::from_millis(300);
        s.timeout = Duration::from_secs(30);
    });
    r.svg("flowchart LR\n  warm --> up\n").await.unwrap();
    let pids = r.worker_pids();
    let started = Instant::now();
    // About 1.3 s of layout, within every limit but the clock.
    let err = r.svg(&dense(2_000)).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, RenderError::Timeout), "{err:?}");
    assert_eq!(err.code(), "render_timeout");
    assert!(
        took < Duration::from_secs(5),
        "stopped near the deadline: {took:?}"
    );
    assert_eq!(r.worker_pids(), pids, "the same worker carries on");
    assert!(r.svg("flowchart LR\n  after --> deadline\n").await.is_ok());
}

#[tokio::test]
async fn a_slow_render_is_stopped_at_the_time_limit_and_its_worker_is_gone() {
    // The hard limit does not rely on the renderer checking its deadline: here that deadline
    // is far away, so only killing the worker can stop it.
    let r = renderer(|s| {
        s.workers = 1;
        s.timeout = Duration::from_millis(500);
        s.deadline = Duration::from_secs(60);
    });
    let slow = dense(2_000);
    r.svg("flowchart LR\n  warm --> up\n").await.unwrap();
    let pids = r.worker_pids();
    assert_eq!(pids.len(), 1);
    let started = Instant::now();
    let err = r.svg(&slow).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, RenderError::Timeout), "{err:?}");
    assert_eq!(err.code(), "render_timeout");
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(1500),
        "stopped at the limit: {took:?}"
    );
    // Killed and reaped: not even a zombie is left, and its CPU is free again.
    assert!(
        !std::path::Path::new(&format!("/proc/{}", pids[0])).exists(),
        "the worker process is gone"
    );
    assert!(r.worker_pids().is_empty());
    // The pool recovers with a fresh worker.
    let svg = r.svg("flowchart LR\n  after --> timeout\n").await.unwrap();
    assert!(svg.contains("after"));
    assert_ne!(r.worker_pids(), pids);
    // The same text again within a minute answers from memory, without tying up a worker.
    let pids = r.worker_pids();
    let started = Instant::now();
    assert!(matches!(r.svg(&slow).await, Err(RenderError::Timeout)));
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(r.worker_pids(), pids);
    // Not forever: with no memory of failures it is tried again (and stopped again).
    let forgetful = renderer(|s| {
        s.workers = 1;
        s.timeout = Duration::from_millis(500);
        s.deadline = Duration::from_secs(60);
        s.failure_memory = Duration::ZERO;
    });
    for _ in 0..2 {
        let started = Instant::now();
        assert!(matches!(
            forgetful.svg(&slow).await,
            Err(RenderError::Timeout)
        ));
        assert!(started.elapsed() >= Duration::from_millis(500));
    }
}

#[tokio::test]
async fn javascript_links_are_removed_and_labels_stay_text() {
    let r = renderer(|_| {});
    let svg = r
        .svg(concat!(
            "flowchart LR\n",
            "  A[\"<img src=x onerror=alert(1)>\"] --> B[\"<script>alert(2)</script>\"] --> C --> D\n",
            "  click A \"javascript:alert(3)\" \"<b onmouseover=alert(4)>tip</b>\"\n",
            "  click B \"https://example.net/ok\"\n",
            "  click C href \" JaVa\tsCrIpt:alert(5)\"\n",
            "  click D \"data:text/html,<script>alert(6)</script>\"\n",
        ))
        .await
        .unwrap();
    common::svg_is_inert(&svg).unwrap_or_else(|why| panic!("{why}: {svg}"));
    let lower = svg.to_lowercase();
    assert!(!lower.contains("javascript"), "{svg}");
    assert!(!lower.contains("data:text"), "{svg}");
    // Label markup is sanitised as mermaid.js does it (DOMPurify): the tags and the script's
    // text go, nothing of them is drawn.
    assert!(!lower.contains("alert("), "{svg}");
    assert!(
        svg.contains(r#"href="https://example.net/ok""#),
        "safe links are kept"
    );
}

#[tokio::test]
async fn markup_injected_through_style_values_is_neutralised() {
    // The renderer pastes style values into attributes unescaped, so these reach the SVG
    // as a real <script> element and real handler attributes before the sanitiser.
    let svg = renderer(|_| {})
        .svg(concat!(
            "flowchart TD\n  A --> B\n",
            "  style A fill:red\"/><script>alert(1)</script><rect x=\"\n",
            "  classDef evil fill:red\" onload=\"alert(2)\n  class B evil\n",
            "  linkStyle 0 stroke:red\" onclick=\"alert(3)\n",
        ))
        .await
        .unwrap();
    // The quotes stay inside attribute values and the stylesheet, as text: no element or
    // handler comes of them, and the image is still well-formed.
    common::svg_is_inert(&svg).unwrap_or_else(|why| panic!("{why}: {svg}"));
    assert!(!svg.to_lowercase().contains("<script"), "{svg}");
}

#[tokio::test]
async fn png_output_is_a_real_image_and_scale_multiplies_its_size() {
    let r = renderer(|_| {});
    let source = "flowchart LR\n  A[Start] --> B[End]\n";
    let one = r.png(source, 1).await.unwrap();
    let two = r.png(source, 2).await.unwrap();
    assert!(one.starts_with(b"\x89PNG\r\n\x1a\n"));
    let width = |png: &[u8]| u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = |png: &[u8]| u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width(&one) > 50);
    assert!((width(&two) as i64 - 2 * width(&one) as i64).abs() <= 1);
    assert!((height(&two) as i64 - 2 * height(&one) as i64).abs() <= 1);
    let err = r.png("flowchart LR\n  --> A\n", 1).await.unwrap_err();
    assert!(matches!(err, RenderError::Parse { .. }), "{err:?}");
}

#[tokio::test]
async fn the_same_text_is_served_from_the_cache() {
    let r = renderer(|_| {});
    let source = "flowchart LR\n  cached --> twice\n";
    let first = r.svg(source).await.unwrap();
    let second = r.svg(source).await.unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    let e1 = r
        .svg("flowchart LR\n  A --> B\n  subgraph x\n")
        .await
        .unwrap_err();
    let e2 = r
        .svg("flowchart LR\n  A --> B\n  subgraph x\n")
        .await
        .unwrap_err();
    assert_eq!(e1.to_string(), e2.to_string());
}

#[tokio::test]
async fn more_renders_than_workers_all_complete() {
    let r = renderer(|s| s.workers = 2);
    let mut tasks = Vec::new();
    for i in 0..12 {
        let r = r.clone();
        tasks.push(tokio::spawn(async move {
            r.svg(&format!("flowchart LR\n  a{i} --> b{i}\n")).await
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().is_ok());
    }
    assert!(r.worker_pids().len() <= 2);
}

#[tokio::test]
async fn a_worker_crashing_mid_render_is_an_error_and_is_replaced() {
    let r = renderer(|s| {
        s.workers = 1;
        s.deadline = Duration::from_secs(60);
        s.timeout = Duration::from_secs(60);
    });
    let slow = {
        let r = r.clone();
        tokio::spawn(async move { r.svg(&dense(2_000)).await })
    };
    let pid = loop {
        if let Some(pid) = r.worker_pids().first() {
            break *pid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    kill(pid);
    let err = slow.await.unwrap().unwrap_err();
    assert!(matches!(err, RenderError::Unavailable(_)), "{err:?}");
    assert_eq!(err.code(), "render_failed");
    assert!(
        r.svg("flowchart LR\n  e --> f\n").await.is_ok(),
        "a new worker took over"
    );
}

#[tokio::test]
async fn a_worker_that_died_while_idle_is_replaced_unnoticed() {
    let r = renderer(|s| s.workers = 1);
    r.svg("flowchart LR\n  a --> b\n").await.unwrap();
    kill(r.worker_pids()[0]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(r.svg("flowchart LR\n  c --> d\n").await.is_ok());
}

#[tokio::test]
async fn a_missing_worker_program_is_an_error_not_a_hang() {
    let r = Renderer::new(RenderSettings::defaults("/nonexistent/reef".into()));
    let err = r.svg("flowchart LR\n  a --> b\n").await.unwrap_err();
    assert!(matches!(err, RenderError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_diagram_that_needs_too_much_memory_is_stopped() {
    let r = renderer(|s| {
        s.workers = 1;
        s.timeout = Duration::from_secs(30);
        s.deadline = Duration::from_secs(30);
        s.max_memory = 64 * 1024 * 1024;
    });
    // 2,000 labelled edges among 150 nodes: within the layout limits, far past 64 MB.
    let source = dense(2_000);
    let started = Instant::now();
    let err = r.svg(&source).await.unwrap_err();
    assert!(
        matches!(&err, RenderError::Unavailable(why) if why.contains("memory")),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(r.svg("flowchart LR\n  a --> b\n").await.is_ok());
}

#[tokio::test]
async fn a_deeply_nested_diagram_does_not_crash_the_worker() {
    // 2,400 nested C4 boundaries overflow a parser's stack on a default 8 MiB thread.
    let mut source = String::from("C4Context\n");
    for i in 0..2400 {
        source.push_str(&format!(
            "Boundary(b{i}, \"B{i}\") {{\n  System(s{i}, \"S{i}\")\n"
        ));
    }
    source.push_str(&"}\n".repeat(2400));
    let svg = renderer(|_| {}).svg(&source).await.unwrap();
    assert!(parses_as_svg(&svg));
    assert!(svg.contains("B2399"));
}

/// While a pathological diagram burns a worker, the rest of the server stays fast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pathological_diagram_never_makes_other_requests_slow() {
    // A deadline short enough that the slow render below surely runs into it.
    let server = TestServer::start_rendering_with(
        |_| {},
        |s| {
            s.deadline = Duration::from_millis(500);
            s.timeout = Duration::from_millis(1_000);
        },
    )
    .await;
    let b = server.browser();
    let csrf = b.csrf().await;
    // The slow diagram comes from another host: one visitor's newer preview would replace
    // its own older one.
    let other = Browser::at(&server.base, "127.0.0.2".parse().unwrap());
    let slow = {
        let client = other.client.clone();
        let url = other.url("/preview");
        let csrf = other.csrf().await;
        // Slow to lay out (about 1.3 s): it runs into the renderer's deadline.
        let source = dense(2_000);
        tokio::spawn(async move {
            let started = Instant::now();
            let status = client
                .post(url)
                .header("x-csrf-token", csrf)
                .json(&serde_json::json!({ "source": source }))
                .send()
                .await
                .unwrap()
                .status();
            (status, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut worst = Duration::ZERO;
    for i in 0..10 {
        let started = Instant::now();
        assert_eq!(b.get("/healthz").await.status, reqwest::StatusCode::OK);
        let page = b.get("/").await;
        assert_eq!(page.status, reqwest::StatusCode::OK);
        let small = b
            .client
            .post(b.url("/preview"))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({ "source": format!("flowchart LR\n  q{i} --> r{i}\n") }))
            .send()
            .await
            .unwrap();
        assert_eq!(small.status(), reqwest::StatusCode::OK);
        worst = worst.max(started.elapsed());
    }
    let (status, took) = slow.await.unwrap();
    assert_eq!(status.as_u16(), 422, "the slow render was stopped");
    assert!(
        took >= Duration::from_millis(450),
        "it really was slow: {took:?}"
    );
    assert!(
        worst < Duration::from_millis(750),
        "other requests stayed fast: worst {worst:?}, slow render {took:?}"
    );
}

#[tokio::test]
async fn png_and_pdf_draw_hundreds_of_nodes_or_point_to_the_svg() {
    let r = renderer(|s| {
        s.timeout = Duration::from_secs(60);
        s.deadline = Duration::from_secs(59);
    });
    // One drop-shadow filter per node: merman's default export limit (128 filter primitives
    // in all) refused this before.
    let chain: String = std::iter::once("flowchart TD\n".to_owned())
        .chain((0..299).map(|i| format!("  N{i} --> N{}\n", i + 1)))
        .collect();
    let png = r.png(&chain, 1).await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // 300 labelled edges: merman's PNG conversion gives up on matching mermaid's stylesheet
    // against so many labels; Reef then draws the PNG with resvg itself.
    let labelled: String = std::iter::once("flowchart TD\n".to_owned())
        .chain((0..300).map(|i| format!("  c{i} -->|step {i}| c{}\n", i + 1)))
        .collect();
    let png = r.png(&labelled, 1).await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(
        height > 20_000,
        "all 300 steps are in the picture: {height} px"
    );
    // 500 labelled edges among 150 nodes are drawn as SVG, but as a picture they are over
    // 40 million pixels: the message says what does work.
    let many = dense(500);
    assert!(r.svg(&many).await.is_ok());
    let err = r.png(&many, 1).await.unwrap_err();
    assert!(
        matches!(err, RenderError::TooComplex { image: true, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "diagram_too_complex");
    assert!(err.to_string().contains("the SVG export draws it"), "{err}");
}
