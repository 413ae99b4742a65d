//! Leaked tokens get caught: the secret-scanning rules in `contrib/secret-scanning/` find real
//! Reef tokens in the places people paste them (an env file, a curl command, the README's
//! `mcp.json`, source code, a CI workflow), and the detect-secrets plugin leaves a token with a
//! broken checksum alone. CI installs detect-secrets (pip); gitleaks is not in the package
//! registries CI can reach, so its rule's pattern is checked with Python's `re` (the same
//! syntax as Go's RE2 for this pattern), and with gitleaks itself when it is installed.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use reef::tokens::TokenSecret;

const CONTRIB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/secret-scanning");

/// Five files, each with `token` where people put one; returns their names.
fn plant(dir: &Path, token: &str) -> Vec<&'static str> {
    let files: [(&str, String); 5] = [
        (
            ".env",
            format!("REEF_URL=http://reef.lan:8080\nREEF_TOKEN={token}\n"),
        ),
        (
            "export.sh",
            format!(
                "curl -H \"Authorization: Bearer {token}\" -o out.svg http://reef.lan:8080/api/diagrams/abc.svg\n"
            ),
        ),
        (
            "mcp.json",
            format!(
                "{{\n  \"mcpServers\": {{\n    \"reef\": {{\n      \"type\": \"http\",\n      \"url\": \"http://localhost:8080/mcp\",\n      \"headers\": {{ \"Authorization\": \"Bearer {token}\" }}\n    }}\n  }}\n}}\n"
            ),
        ),
        (
            "client.py",
            format!("import requests\n\nTOKEN = '{token}'\n"),
        ),
        (
            "ci.yml",
            format!("jobs:\n  docs:\n    env:\n      REEF_TOKEN: {token}\n"),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    files.iter().map(|(name, _)| *name).collect()
}

/// The same token with its last checksum character changed.
fn broken(token: &str) -> String {
    let last = token.chars().last().unwrap();
    let other = if last == 'A' { 'B' } else { 'A' };
    format!("{}{other}", &token[..token.len() - 1])
}

fn tool(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn detect_secrets_with_the_reef_plugin_finds_every_planted_token_and_no_broken_one() {
    if !tool("detect-secrets", &["--version"]) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install detect-secrets (pip)"
        );
        eprintln!("skipped: pip install detect-secrets to run the plugin");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let token = TokenSecret::generate();
    let planted = plant(dir.path(), token.expose());
    std::fs::write(
        dir.path().join("typo.env"),
        format!("REEF_TOKEN={}\n", broken(token.expose())),
    )
    .unwrap();
    let out = Command::new("detect-secrets")
        .args(["scan", "--all-files", "--plugin"])
        .arg(format!("{CONTRIB}/reef_detect_secrets.py"))
        .arg(".")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reef_files: Vec<String> = report["results"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, found)| {
            found
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["type"] == "Reef API token")
        })
        .map(|(file, _)| file.clone())
        .collect();
    for file in &planted {
        assert!(
            reef_files.iter().any(|f| f.ends_with(file)),
            "{file} not caught: {report}"
        );
    }
    assert_eq!(reef_files.len(), planted.len(), "{reef_files:?}");
}

/// What the gitleaks rule captures in each of `files` under `dir`, one line per file:
/// `name token…`. Python reads the rule from the TOML and applies its regex and secret group.
fn rule_matches(dir: &Path, files: &[&str]) -> String {
    let script = r#"
import pathlib, re, sys, tomllib
rule = tomllib.loads(pathlib.Path(sys.argv[1]).read_text())["rules"][0]
pattern, group = re.compile(rule["regex"]), rule["secretGroup"]
for name in sys.argv[3:]:
    text = (pathlib.Path(sys.argv[2]) / name).read_text()
    found = [m.group(group) for m in pattern.finditer(text)]
    print(name, *found)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(format!("{CONTRIB}/gitleaks.toml"))
        .arg(dir)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_gitleaks_rule_matches_every_planted_token_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let token = TokenSecret::generate();
    let planted = plant(dir.path(), token.expose());
    let lines = rule_matches(dir.path(), &planted);

    for file in &planted {
        let line = lines.lines().find(|l| l.starts_with(file)).unwrap();
        assert_eq!(
            line,
            format!("{file} {}", token.expose()),
            "the rule must capture the whole token, nothing more"
        );
    }
    // Not a token: too short, too long, or inside a longer word.
    let near_misses = format!(
        "reef_{}\nreef_{}x\nmy_reef_{}\n",
        "a".repeat(48),
        "b".repeat(49),
        "c".repeat(49)
    );
    std::fs::write(dir.path().join("near.txt"), near_misses).unwrap();
    assert_eq!(rule_matches(dir.path(), &["near.txt"]).trim(), "near.txt");

    if tool("gitleaks", &["version"]) {
        let report = dir.path().join("report.json");
        let status = Command::new("gitleaks")
            .args(["detect", "--no-git", "--exit-code", "0", "--config"])
            .arg(format!("{CONTRIB}/gitleaks.toml"))
            .arg("--source")
            .arg(dir.path())
            .arg("--report-path")
            .arg(&report)
            .status()
            .unwrap();
        assert!(status.success());
        let found: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
        let reef = found
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["RuleID"] == "reef-api-token")
            .count();
        assert_eq!(reef, planted.len(), "{found}");
    }
}
