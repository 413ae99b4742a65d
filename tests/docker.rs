//! The container image cannot be built here (no engine can pull base images), so this checks
//! what can be checked: the Dockerfile's paths, user, env and commands match the real binary,
//! and the binary runs the way the image runs it (non-root, empty /data-like volume,
//! `reef healthcheck` as the health check).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::process::{Command, Stdio};

use common::reef_exe;

fn dockerfile() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap()
}

/// The runtime stage: everything after the last FROM.
fn runtime_stage() -> String {
    let file = dockerfile();
    let start = file.rfind("\nFROM ").unwrap();
    file[start..].to_owned()
}

fn env_value(stage: &str, key: &str) -> String {
    let at = stage
        .find(&format!("{key}="))
        .unwrap_or_else(|| panic!("{key} not set"));
    stage[at + key.len() + 1..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('\\')
        .to_owned()
}

#[test]
fn the_dockerfile_matches_the_binary() {
    let all = dockerfile();
    let stage = runtime_stage();
    assert!(
        all.matches("\nFROM ").count() + usize::from(all.starts_with("FROM ")) >= 2,
        "multi-stage"
    );
    assert!(all.contains("cargo build --release --locked"));
    assert!(stage.contains("FROM debian:bookworm-slim"));
    assert!(stage.contains("COPY --from=build /src/target/release/reef /usr/local/bin/reef"));
    assert!(stage.contains("\nUSER reef\n"), "runs as a non-root user");
    assert!(stage.contains("useradd --system"));
    assert!(stage.contains("VOLUME /data"));
    assert!(stage.contains("EXPOSE 8080"));
    assert!(stage.contains("STOPSIGNAL SIGTERM"));
    assert!(stage.contains("ENTRYPOINT [\"reef\"]"));
    assert!(stage.contains("CMD [\"serve\"]"));
    assert!(stage.contains("CMD [\"reef\", \"healthcheck\"]"));
    assert!(stage.contains("org.opencontainers.image.title"));
    assert_eq!(env_value(&stage, "REEF_DATA"), "/data");
    let bind = env_value(&stage, "REEF_BIND");
    let addr: std::net::SocketAddr = bind.parse().unwrap();
    assert_eq!(addr.port(), 8080, "EXPOSE and REEF_BIND agree");

    // The flags the image relies on exist, and the health check follows the port the image
    // binds.
    let help = Command::new(reef_exe())
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("REEF_DATA") && help.contains("REEF_BIND"));
    let hc = Command::new(reef_exe())
        .args(["healthcheck", "--help"])
        .output()
        .unwrap();
    let hc = String::from_utf8(hc.stdout).unwrap();
    // Without a URL it asks loopback at REEF_BIND's port, whatever port that is.
    assert!(
        hc.contains("REEF_BIND") && hc.contains("0.0.0.0:8080"),
        "{hc}"
    );

    let ignore =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.dockerignore")).unwrap();
    for entry in ["target/", "data/", ".git/"] {
        assert!(
            ignore.lines().any(|l| l == entry),
            ".dockerignore lacks {entry}"
        );
    }
}

/// Runs the binary as the image does: `reef serve` with only the image's environment, as an
/// unprivileged user when the test runs as root, on an empty data directory.
#[test]
fn the_binary_runs_as_the_image_runs_it() {
    let stage = runtime_stage();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let exe = reef_exe();
    let mut cmd = if root {
        // nobody:nogroup, like the image's system user; the volume is theirs.
        Command::new("chown")
            .args(["65534:65534"])
            .arg(&data)
            .status()
            .unwrap();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    // The image's CMD, with the image's env; only the port differs so tests can run in parallel.
    cmd.arg("serve")
        .env_clear()
        .env("REEF_DATA", &data)
        .env(
            "REEF_BIND",
            env_value(&stage, "REEF_BIND").replace("0.0.0.0:8080", "127.0.0.1:0"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // The binary must be reachable by the unprivileged user.
    let mut child = cmd.spawn().unwrap();
    let url = common::listening_url(&mut child);
    let ok = Command::new(&exe)
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(data.join("reef.db").exists());
    assert!(common::stop_gracefully(&mut child).success());
    let bad = Command::new(&exe)
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "unhealthy exits 1");
}
