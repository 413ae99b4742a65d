//! The `reef` binary itself: flags, exit codes, `reef user add`, serving, health checks,
//! graceful shutdown and refusing a database from a newer Reef.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::reef_exe;

fn reef() -> Command {
    let mut cmd = Command::new(reef_exe());
    for (key, _) in std::env::vars() {
        if key.starts_with("REEF_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[test]
fn help_documents_every_setting_with_its_environment_variable() {
    let out = reef().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for var in [
        "REEF_BIND",
        "REEF_DATA",
        "REEF_ACCOUNTS",
        "REEF_SIGNUPS",
        "REEF_SECURE_COOKIES",
        "REEF_PUBLIC_URL",
        "REEF_TRUSTED_PROXIES",
    ] {
        assert!(help.contains(var), "--help lacks {var}");
    }
    assert!(help.contains("user"), "--help lists the user command");
}

#[test]
fn bad_values_fail_fast_with_exit_code_two() {
    for args in [
        &["--accounts", "maybe"][..],
        &["--signups", "sometimes"],
        &["--bind", "not-an-address"],
        &["--public-url", "ftp://x"],
        &["--trusted-proxies", "10.0.0.0/8,proxy.lan"],
        &["serve", "--accounts", "maybe"],
    ] {
        let out = reef().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.lines()
                .next()
                .unwrap()
                .starts_with("error: invalid value"),
            "{err}"
        );
    }
    let out = reef().env("REEF_ACCOUNTS", "maybe").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn add_user(dir: &std::path::Path, email: &str, password: &str) -> std::process::Output {
    let mut child = reef()
        .args(["user", "add", email, "--password-stdin", "--data"])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_add_creates_an_account_and_refuses_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let out = add_user(dir.path(), "admin@example.net", "a long password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "1");

    let out = add_user(dir.path(), "ADMIN@example.net", "another password");
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("already exists")
    );

    let out = add_user(dir.path(), "short@example.net", "short");
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("at least 8")
    );
}

#[test]
fn a_database_from_a_newer_reef_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reef.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 999;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let out = reef()
        .args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("newer version of Reef"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file must not change"
    );
    assert!(!dir.path().join("reef.db-wal").exists());
}

#[test]
fn reopening_a_database_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "a@example.net", "a long password");
    let db = reef::db::Db::open(dir.path()).unwrap();
    let conn = db.conn().unwrap();
    assert_eq!(reef::db::users::count(&conn).unwrap(), 1);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, reef::db::SCHEMA_VERSION);
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn the_binary_serves_answers_health_checks_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let mut child = reef()
        .args(["--bind", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("REEF_ACCOUNTS", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = common::listening_url(&mut child);
    assert!(
        data.join("reef.db").exists(),
        "the data directory is created"
    );

    let health = reef()
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap();
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );
    // Accounts are off: no sign-in page.
    let slash = reef()
        .args(["healthcheck", "--url", &format!("{url}/")])
        .output()
        .unwrap();
    assert!(slash.status.success(), "a trailing slash is the root");
    // A path in the URL is where Reef is published (a sub-path): /healthz is asked there.
    let elsewhere = reef()
        .args(["healthcheck", "--url", &format!("{url}/login")])
        .output()
        .unwrap();
    assert!(
        !elsewhere.status.success(),
        "/login/healthz is not a health check"
    );

    let exit = common::stop_gracefully(&mut child);
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");

    let down = reef()
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap();
    assert!(
        !down.status.success(),
        "healthcheck fails when nothing answers"
    );
}

#[test]
fn the_health_check_asks_the_port_reef_binds_to() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = reef()
        .env("REEF_BIND", format!("0.0.0.0:{port}"))
        .env("REEF_DATA", dir.path())
        .env("REEF_ACCOUNTS", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    common::listening_url(&mut child);
    for bind in [format!("0.0.0.0:{port}"), format!("127.0.0.1:{port}")] {
        let health = reef()
            .arg("healthcheck")
            .env("REEF_BIND", &bind)
            .output()
            .unwrap();
        assert!(
            health.status.success(),
            "REEF_BIND={bind}: {}",
            String::from_utf8_lossy(&health.stderr)
        );
    }
    // The explicit URL still wins over the bind address.
    let elsewhere = reef()
        .arg("healthcheck")
        .env("REEF_BIND", format!("0.0.0.0:{port}"))
        .env("REEF_HEALTHCHECK_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(!elsewhere.status.success());
    common::stop_gracefully(&mut child);
}

#[test]
fn a_database_from_an_older_reef_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reef.db");
    {
        // A version-1 database as the first release left it, with an account and a diagram.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../schema.sql")).unwrap();
        conn.execute_batch(
            "INSERT INTO users (email, password_hash, is_admin, created_at) VALUES ('old@example.net', 'x', 1, 0);
             INSERT INTO diagrams (id, owner_user, title, source, created_at, updated_at)
                  VALUES ('abc123', 1, 'Kept', 'flowchart LR\n  A --> B', 0, 0);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let db = reef::db::Db::open(dir.path()).unwrap();
    let conn = db.conn().unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, reef::db::SCHEMA_VERSION);
    assert!(version > 1);
    let title: String = conn
        .query_row("SELECT title FROM diagrams WHERE id = 'abc123'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(title, "Kept");
    let tokens: i64 = conn
        .query_row("SELECT count(*) FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tokens, 0, "the new tables exist");
}

#[test]
fn backup_writes_a_consistent_copy_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "kept@example.net", "a long password");
    // Keep a connection writing while the backup runs, as a live server would.
    let db = reef::db::Db::open(dir.path()).unwrap();
    let conn = db.conn().unwrap();
    let target = dir.path().join("copy.db");
    let out = reef()
        .args(["backup"])
        .arg(&target)
        .arg("--data")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    conn.execute_batch(
        "INSERT INTO users (email, password_hash, created_at) VALUES ('later@example.net', 'x', 0)",
    )
    .unwrap();
    let copy = rusqlite::Connection::open(&target).unwrap();
    let emails: Vec<String> = copy
        .prepare("SELECT email FROM users")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(emails, ["kept@example.net"]);
    let check: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // The copy is a working data directory.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&target, restored.path().join("reef.db")).unwrap();
    let reopened = reef::db::Db::open(restored.path()).unwrap();
    assert_eq!(
        reef::db::users::count(&reopened.conn().unwrap()).unwrap(),
        1
    );
    // It never overwrites.
    let again = reef()
        .args(["backup"])
        .arg(&target)
        .arg("--data")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8(again.stderr)
            .unwrap()
            .contains("already exists")
    );
}
