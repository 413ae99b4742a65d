//! README.md's commands must keep working: every line of every `sh` block is run here (or
//! named as covered elsewhere), so the README cannot rot. A new kind of command fails this
//! test until it is exercised.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{TestServer, reef_exe, signed_in};

/// Each logical command (continuation lines joined) of every ```sh block.
fn readme_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in readme.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_block = trimmed == "```sh";
            continue;
        }
        if !in_block || trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                pending.push_str(part);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                commands.push(std::mem::take(&mut pending));
            }
        }
    }
    commands
}

/// A shell whose PATH finds this build's `reef` first, with a private HOME and no REEF_*
/// settings from the environment running the tests.
fn sh(cwd: &Path, script: &str, envs: &[(&str, &str)], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let bin_dir = reef_exe().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .current_dir(cwd)
        .env("PATH", path)
        .env("HOME", cwd.join("home"))
        .env_remove("XDG_CONFIG_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("REEF_") {
            cmd.env_remove(key);
        }
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

// Multi-threaded: the commands block this thread while the in-process server answers them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_readme_command_works() {
    let commands = readme_commands();
    assert!(commands.len() >= 8, "{commands:?}");
    let server = TestServer::start().await;
    let browser = signed_in(&server, "readme@example.net").await;
    let token = browser.create_token("readme", "read-write").await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("network.mmd"),
        "flowchart LR\n  modem --> router --> laptop\n",
    )
    .unwrap();
    std::fs::create_dir_all(work.path().join("diagrams")).unwrap();
    for name in ["a", "b"] {
        let file = work.path().join(format!("diagrams/{name}.mmd"));
        std::fs::write(file, format!("flowchart LR\n  {name} --> z\n")).unwrap();
    }
    let mut diagram_id: Option<String> = None;
    // The id the CLI walkthrough's first push printed; stands in for its example id.
    let mut cli_id: Option<String> = None;

    for command in &commands {
        if command.starts_with("docker ") {
            // The image cannot be built here; tests/docker.rs checks the Dockerfile and runs
            // the binary as the image would. Keep the ports and volume consistent with it.
            assert!(
                command.contains("-p 8080:8080") && command.contains(":/data"),
                "{command}"
            );
        } else if command == "bash .ci/run" {
            // This is CI itself.
        } else if let Some(args) = command.strip_prefix("cargo run --release -- ") {
            let args = args
                .replace("127.0.0.1:8080", "127.0.0.1:0")
                .replace("./data", "data");
            let mut child = Command::new(reef_exe())
                .args(args.split_whitespace())
                .current_dir(work.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let url = common::listening_url(&mut child);
            assert!(url.starts_with("http://127.0.0.1:"), "{command}: {url}");
            child.kill().unwrap();
            child.wait().unwrap();
        } else if command.contains("| reef user add") {
            let out = sh(work.path(), command, &[], "");
            assert!(
                out.status.success(),
                "{command}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                String::from_utf8(out.stdout)
                    .unwrap()
                    .trim()
                    .parse::<i64>()
                    .is_ok()
            );
        } else if command.starts_with("export REEF_TOKEN=") {
            // Stands for the token the reader copied; the curl lines get the real one.
        } else if command.starts_with("curl ") {
            let mut script = command
                .replacen("curl ", "curl -fsS ", 1)
                .replace("http://localhost:8080", &server.base);
            if script.contains("/ID") {
                let id = diagram_id
                    .clone()
                    .expect("a diagram was created by an earlier command");
                script = script.replace("/ID", &format!("/{id}"));
            }
            let out = sh(work.path(), &script, &[("REEF_TOKEN", &token)], "");
            assert!(
                out.status.success(),
                "{command}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if command.contains(" -d ") {
                let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                diagram_id = Some(body["id"].as_str().unwrap().to_owned());
            }
        } else if let Some(rest) = command.strip_prefix("reef ") {
            // The walkthrough's trailing comments show sample output; run the command alone.
            let rest = rest.split(" #").next().unwrap().trim();
            let mut script =
                format!("reef {rest}").replace("https://reef.example.net", &server.base);
            if script.contains("k3J9xQ2mZp7A") {
                let id = cli_id.clone().expect("an earlier reef push printed an id");
                script = script.replace("k3J9xQ2mZp7A", &id);
            }
            let out = sh(work.path(), &script, &[], &format!("{token}\n"));
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "{command}: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            if rest.starts_with("push network.mmd") && cli_id.is_none() {
                let id = stdout
                    .trim()
                    .rsplit(" -> ")
                    .next()
                    .unwrap()
                    .trim()
                    .to_owned();
                cli_id = Some(id);
            }
            if rest.starts_with("render") {
                let png = std::fs::read(work.path().join("network.png")).unwrap();
                assert!(png.starts_with(b"\x89PNG"));
            }
        } else {
            panic!("README command not exercised by any test: {command}");
        }
    }
    // What the commands did is really there.
    let id = diagram_id.unwrap();
    let api = common::Api::new(&server, &token);
    let d = api.get(&format!("/api/diagrams/{id}")).await.json();
    assert_eq!(d["title"], "Network");
    assert!(
        d["source"].as_str().unwrap().contains("laptop"),
        "the -T upload replaced the source"
    );
    let svg = std::fs::read_to_string(work.path().join("network.svg")).unwrap();
    assert!(svg.contains("<svg"));
    assert!(work.path().join("data").join("reef.db").exists());
}
