//! The API against its own OpenAPI document, fuzzed by schemathesis: every documented
//! operation gets schema-generated valid and invalid requests, and every response must be a
//! documented status with a documented body, never a server error; dropping the token must
//! give 401. CI installs schemathesis (pip); elsewhere the test says how to get it.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Api, TestServer, signed_in};

fn schemathesis_installed() -> bool {
    std::process::Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_honours_its_openapi_document_under_schemathesis() {
    if !schemathesis_installed() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install schemathesis (pip)"
        );
        eprintln!("skipped: pip install schemathesis to fuzz the API against its document");
        return;
    }
    let server = TestServer::start_with(|c| {
        c.rate_read_per_min = 0;
        c.rate_write_per_min = 0;
    })
    .await;
    let browser = signed_in(&server, "contract@example.net").await;
    let token = browser.create_token("schemathesis", "read-write").await;
    // The diagram schemathesis works on (tests/schemathesis.toml names it by id).
    let api = Api::new(&server, &token);
    let id = api.create("Existing", "flowchart LR\n  a --> b").await;

    let base = server.base.clone();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");
    // A fixed seed keeps CI repeatable; set REEF_SCHEMATHESIS_SEED to explore further.
    let seed = std::env::var("REEF_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".into());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("schemathesis")
            .args(["--config-file", config])
            .arg("run")
            .arg(format!("{base}/api/openapi.json"))
            .args(["--url", &base])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all"])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", "100"])
            // One worker: hypothesis's lambda introspection is not thread-safe on Python 3.11.
            .args(["--workers", "1"])
            .args(["--request-timeout", "10"])
            .args(["--seed", &seed])
            .env("REEF_DIAGRAM_ID", id)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{report}");
    assert!(output.status.success(), "schemathesis found problems");
    // It really exercised the API: the summary counts the operations it tested.
    assert!(report.contains("passed"), "no summary in the report");
}
