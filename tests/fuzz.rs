//! Property-based fuzzing of what faces untrusted input first: the token secret parser, the
//! `Authorization` header as the API sees it, and the guarded renderer. Each property runs
//! 10,000 generated inputs with a fresh random seed per run; proptest prints the smallest
//! failing input it can find.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use common::{TestServer, reef_exe};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use reef::render::{RenderError, RenderSettings, Renderer};
use reef::tokens::TokenSecret;
use tower::ServiceExt;

/// Inputs per property: 10,000 in CI; `REEF_FUZZ_CASES` runs longer campaigns.
fn cases() -> u32 {
    std::env::var("REEF_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Failures are reported with their input; nothing is written into the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings shaped like secrets: the right prefix and alphabet, lengths around the real one.
fn secret_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "reef_[0-9A-Za-z]{49}",
        "reef_[0-9A-Za-z]{44,54}",
        "(reef|REEF|ref)_?[0-9A-Za-z_\\-]{0,60}",
        ".{0,80}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn token_parser_accepts_nothing_but_checksummed_secrets(raw in secret_like()) {
        // A random 49-character tail passes the 6-character checksum with odds of 1 in 62^6.
        prop_assert!(TokenSecret::parse(&raw).is_none(), "accepted {raw:?}");
    }

    #[test]
    fn any_single_character_change_to_a_real_secret_is_rejected(
        position in 5usize..54,
        replacement in "[0-9A-Za-z]",
    ) {
        let real = TokenSecret::generate();
        let original = real.expose();
        prop_assert!(TokenSecret::parse(original).is_some());
        let replacement = replacement.chars().next().unwrap();
        prop_assume!(original.as_bytes()[position] != replacement as u8);
        let mut typo = original.to_owned();
        typo.replace_range(position..=position, &replacement.to_string());
        prop_assert!(TokenSecret::parse(&typo).is_none(), "accepted a typo of {original:?}");
    }
}

/// Header values HTTP can carry: visible ASCII, spaces and tabs, and obs-text bytes.
fn authorization_value() -> impl Strategy<Value = Vec<u8>> {
    let raw_byte = prop_oneof![0x20u8..0x7f, Just(b'\t'), 0x80u8..=0xff];
    prop_oneof![
        prop::collection::vec(raw_byte.clone(), 0..120),
        (
            "(?i:bearer|basic|token|bearer:)[ \t]{0,3}",
            secret_like(),
            "[ \t]{0,3}"
        )
            .prop_map(|(scheme, secret, tail)| format!("{scheme}{secret}{tail}").into_bytes()),
        (
            prop::collection::vec(raw_byte, 0..20),
            "reef_[0-9A-Za-z]{49}"
        )
            .prop_map(|(mut junk, secret)| {
                junk.extend_from_slice(b"Bearer ");
                junk.extend_from_slice(secret.as_bytes());
                junk
            }),
    ]
}

#[test]
fn every_forged_authorization_header_gets_the_uniform_401() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::start());
    let app = reef::app(server.state.clone());
    let mut runner = TestRunner::new(config());
    let checked = std::cell::Cell::new(0u32);
    runner
        .run(&authorization_value(), |value| {
            let Ok(value) = HeaderValue::from_bytes(&value) else {
                // Not a header value at all (a leading space, say): hyper would refuse it
                // before Reef sees it.
                return Ok(());
            };
            let request = Request::get("/api/me")
                .header(header::AUTHORIZATION, value)
                .body(Body::empty())
                .unwrap();
            let (status, body) = runtime.block_on(async {
                let response = app.clone().oneshot(request).await.unwrap();
                let status = response.status();
                let body = axum::body::to_bytes(response.into_body(), 1024)
                    .await
                    .unwrap();
                (status, body)
            });
            prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
            prop_assert_eq!(&body[..], br#"{"error":"unauthorized"}"#);
            checked.set(checked.get() + 1);
            Ok(())
        })
        .unwrap();
    // Most generated values are valid header values; the property was not vacuous.
    assert!(
        checked.get() > cases() / 2,
        "only {} checked",
        checked.get()
    );
}

/// Fragments of Mermaid from every diagram kind, hostile markup and odd text, so generated
/// sources reach deep into the parsers and layouts rather than failing on the first line.
const FRAGMENTS: &[&str] = &[
    "A",
    "B",
    "c1",
    "node_2",
    "x",
    "-->",
    "---",
    "-.->",
    "==>",
    "--o",
    "<-->",
    "-- text -->",
    "[",
    "]",
    "(",
    ")",
    "((",
    "))",
    "{",
    "}",
    "{{",
    "}}",
    "[(",
    ")]",
    ">",
    "|",
    "|label|",
    ":",
    ";",
    ",",
    "\"",
    "'",
    "`",
    "subgraph",
    "end",
    "direction LR",
    "participant",
    "actor",
    "->>",
    "-->>",
    "-x",
    "Note over A,B:",
    "loop",
    "alt",
    "else",
    "opt",
    "activate A",
    "class",
    "<|--",
    "*--",
    "o--",
    "..>",
    "+method()",
    "-field int",
    "<<interface>>",
    "[*]",
    "state",
    "fork",
    "||--o{",
    "}|..|{",
    "string name PK",
    "title",
    "section",
    "dateFormat YYYY-MM-DD",
    "2024-01-01",
    "1d",
    "after a1",
    "done,",
    "\"Dogs\" : 386",
    "root((mind))",
    "commit",
    "branch dev",
    "checkout main",
    "merge dev",
    "commit id: \"x\"",
    "quadrant-1",
    "x-axis Low --> High",
    "Person(p, \"P\")",
    "Boundary(b, \"B\") {",
    "requirement r {",
    "id: 1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "click A href \"javascript:alert(1)\"",
    "click A call alert()",
    "<foreignObject>",
    "xlink:href=\"data:text/html,x\"",
    "%%",
    "%%{init: {\"theme\": \"dark\"}}%%",
    "\n",
    "\n  ",
    "  ",
    "\t",
    "é",
    "漢字",
    "🙂",
    "\u{202e}",
    "\u{0}",
    "&amp;",
    "&#60;",
    "&lt;script&gt;",
    "style A fill:#f00",
    "classDef k fill:red",
    "class A k",
    "linkStyle 0 stroke:red",
    "0",
    "-1",
    "1e308",
    "NaN",
    "::",
    ":::k",
];

const HEADERS: &[&str] = &[
    "flowchart TD",
    "graph LR",
    "flowchart BT",
    "sequenceDiagram",
    "classDiagram",
    "stateDiagram-v2",
    "erDiagram",
    "gantt",
    "pie",
    "pie showData",
    "mindmap",
    "timeline",
    "gitGraph",
    "journey",
    "quadrantChart",
    "C4Context",
    "requirementDiagram",
    "xychart-beta",
    "sankey-beta",
    "block-beta",
    "packet-beta",
    "kanban",
    "architecture-beta",
    "",
];

fn mermaid() -> impl Strategy<Value = String> {
    let fragment = prop::sample::select(FRAGMENTS);
    prop_oneof![
        // A header and a soup of fragments: mostly parse errors, deep in each grammar.
        6 => (prop::sample::select(HEADERS), prop::collection::vec(fragment, 0..40)).prop_map(
            |(header, parts)| format!("{header}\n{}", parts.join(" ")),
        ),
        // Well-formed flowcharts with hostile labels: these reach layout and the sanitizer.
        3 => (
            prop::collection::vec((0u8..12, 0u8..12, prop::sample::select(FRAGMENTS)), 1..12),
            prop::sample::select(&["TD", "LR", "BT", "RL"][..]),
        )
            .prop_map(|(edges, direction)| {
                let mut s = format!("flowchart {direction}\n");
                for (a, b, label) in edges {
                    let label = label.replace(['"', '|', '\n'], " ");
                    s.push_str(&format!("  n{a}[\"{label}\"] -->|{label}| n{b}\n"));
                }
                s
            }),
        // Arbitrary text.
        1 => ".{0,300}",
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn guarded_renderer_survives_fuzzed_mermaid_within_its_time_limit() {
    let settings = RenderSettings::defaults(reef_exe());
    let limit = settings.timeout;
    let workers = settings.workers;
    let renderer = Arc::new(Renderer::new(settings));

    let mut runner = TestRunner::new(config());
    let inputs: Vec<String> = (0..cases())
        .map(|_| mermaid().new_tree(&mut runner).unwrap().current())
        .collect();

    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let inputs = Arc::new(inputs);
    let mut lanes = tokio::task::JoinSet::new();
    // One lane per worker, so no render waits in the queue and its time is its own.
    for _ in 0..workers {
        let (renderer, inputs, next) = (renderer.clone(), inputs.clone(), next.clone());
        lanes.spawn(async move {
            let mut tally = Tally::default();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(source) = inputs.get(i) else {
                    return tally;
                };
                let start = Instant::now();
                let result = renderer.svg(source).await;
                let took = start.elapsed();
                // The limit plus the kill and the worker's replacement.
                assert!(
                    took < limit + Duration::from_millis(1500),
                    "render took {took:?} for {source:?}"
                );
                tally.slowest = tally.slowest.max(took);
                match result {
                    Ok(svg) => {
                        if let Err(why) = common::svg_is_inert(&svg) {
                            panic!("unsafe SVG ({why}) from {source:?}");
                        }
                        tally.rendered += 1;
                    }
                    Err(RenderError::Parse { .. }) => tally.parse_errors += 1,
                    Err(RenderError::TooComplex { .. } | RenderError::TooLarge { .. }) => {
                        tally.refused += 1
                    }
                    Err(RenderError::Timeout) => tally.timeouts += 1,
                    Err(RenderError::FormatUnavailable(why)) => {
                        panic!("SVG is always available, yet {why} for {source:?}")
                    }
                    Err(RenderError::Unavailable(_)) => {
                        tally.crashes += 1;
                        tally.crash_example.get_or_insert_with(|| source.clone());
                    }
                }
            }
        });
    }
    let mut total = Tally::default();
    while let Some(lane) = lanes.join_next().await {
        total.add(lane.unwrap());
    }
    eprintln!(
        "{} inputs in {:?}: {} rendered, {} parse errors, {} refused by limits, \
         {} timed out, {} renderer crashes contained (e.g. {:?}); slowest {:?}",
        inputs.len(),
        started.elapsed(),
        total.rendered,
        total.parse_errors,
        total.refused,
        total.timeouts,
        total.crashes,
        total.crash_example,
        total.slowest,
    );
    assert_eq!(
        total.rendered + total.parse_errors + total.refused + total.timeouts + total.crashes,
        inputs.len()
    );
    // The generator is not vacuous: it reaches layout and the parsers' error paths.
    assert!(total.rendered > inputs.len() / 10 && total.parse_errors > inputs.len() / 10);
    // Whatever happened, the pool still renders.
    let after = renderer
        .svg("flowchart LR\n  still --> fine")
        .await
        .unwrap();
    assert!(after.contains("still"));
}

#[derive(Default)]
struct Tally {
    rendered: usize,
    parse_errors: usize,
    refused: usize,
    timeouts: usize,
    crashes: usize,
    crash_example: Option<String>,
    slowest: Duration,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.rendered += other.rendered;
        self.parse_errors += other.parse_errors;
        self.refused += other.refused;
        self.timeouts += other.timeouts;
        self.crashes += other.crashes;
        self.crash_example = self.crash_example.take().or(other.crash_example);
        self.slowest = self.slowest.max(other.slowest);
    }
}
