//! The `reef` command-line client as a person or a script uses it: the real binary, run as a
//! subprocess with its own HOME, against a real server, and every change checked through the
//! API itself.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{Api, TestServer, reef_exe, signed_in};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

const FLOW: &str = "flowchart LR\n  modem --> router\n";
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A shell with its own empty HOME and no `REEF_*` (or proxy) variables from the outside.
struct Shell {
    home: tempfile::TempDir,
    /// `XDG_CONFIG_HOME` to set, if any.
    xdg: Option<PathBuf>,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    fn fails(self, code: i32, stderr_has: &str) -> Self {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(stderr_has),
            "stderr lacks {stderr_has:?}: {}",
            self.stderr
        );
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

impl Shell {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join("work")).unwrap();
        Self { home, xdg: None }
    }

    fn work(&self) -> PathBuf {
        self.home.path().join("work")
    }

    /// Writes a file in the working directory.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.work().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn config_dir(&self) -> PathBuf {
        match &self.xdg {
            Some(dir) => dir.join("reef"),
            None => self.home.path().join(".config").join("reef"),
        }
    }

    fn config_file(&self) -> PathBuf {
        self.config_dir().join("config.json")
    }

    async fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, &[], None).await
    }

    async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        self.run_with(args, env, None).await
    }

    /// Runs `reef ARGS` with only the environment given here (plus HOME and PATH), so nothing
    /// from the machine running the tests (`REEF_TOKEN`, a proxy) can leak in.
    async fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Out {
        let mut cmd = tokio::process::Command::new(reef_exe());
        cmd.args(args)
            .current_dir(self.work())
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(xdg) = &self.xdg {
            cmd.env("XDG_CONFIG_HOME", xdg);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(text.as_bytes()).await.unwrap();
            drop(pipe);
        }
        let output =
            tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
                .await
                .expect("reef did not finish in 60 s")
                .unwrap();
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    async fn login(&self, server: &TestServer, token: &str) -> Out {
        self.run(&["login", "--url", &server.base, "--token", token])
            .await
            .ok()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A server with one signed-in account and a read-write token for it.
async fn account(server: &TestServer, email: &str) -> (String, Api) {
    let browser = signed_in(server, email).await;
    let token = browser.create_token("laptop", "read-write").await;
    let api = Api::new(server, &token);
    (token, api)
}

/// A server, an account, and a shell logged in to it.
async fn logged_in() -> (TestServer, Shell, Api) {
    let server = TestServer::start().await;
    let (token, api) = account(&server, "ana@example.net").await;
    let shell = Shell::new();
    shell.login(&server, &token).await;
    (server, shell, api)
}

/// An address where nothing listens: bound, then let go.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn login_with_a_token_flag_saves_it_owner_only_and_says_who_you_are() {
    let server = TestServer::start().await;
    let (token, _) = account(&server, "ana@example.net").await;
    let shell = Shell::new();

    let out = shell.login(&server, &token).await;
    let expected = format!(
        "Logged in to {} as ana@example.net (token laptop, scope read-write, expires ",
        server.base
    );
    assert!(out.stdout.contains(&expected), "{}", out.stdout);
    assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));

    let file = shell.config_file();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&shell.config_dir()), 0o700);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved, json!({"url": server.base, "token": token}));

    let me = shell.run(&["me"]).await.ok();
    assert!(me.stdout.contains(&expected), "{}", me.stdout);
}

#[tokio::test]
async fn login_reads_the_token_from_stdin_into_xdg_config_home() {
    let server = TestServer::start().await;
    let (token, _) = account(&server, "ana@example.net").await;
    let mut shell = Shell::new();
    let xdg = shell.home.path().join("xdg");
    shell.xdg = Some(xdg.clone());

    shell
        .run_with(
            &["login", "--url", &server.base],
            &[],
            Some(&format!("{token}\n")),
        )
        .await
        .ok();

    let file = xdg.join("reef").join("config.json");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&xdg.join("reef")), 0o700);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["token"], token.as_str());
    assert_eq!(saved["url"], server.base.as_str());
    assert!(!shell.home.path().join(".config").exists());
}

#[tokio::test]
async fn a_rejected_token_exits_3_and_nothing_is_saved() {
    let server = TestServer::start().await;
    let (token, _) = account(&server, "ana@example.net").await;
    let shell = Shell::new();
    // Right shape, one character changed: the server refuses it.
    let mut typo = token.clone().into_bytes();
    typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();

    shell
        .run(&["login", "--url", &server.base, "--token", &typo])
        .await
        .fails(3, "rejected this token");
    assert!(!shell.config_file().exists());

    // No token at all (empty standard input) is a usage error, also saving nothing.
    shell
        .run_with(&["login", "--url", &server.base], &[], Some(""))
        .await
        .fails(2, "no token given");
    assert!(!shell.config_file().exists());
}

#[tokio::test]
async fn logout_removes_the_saved_login() {
    let (_server, shell, _api) = logged_in().await;
    assert!(shell.config_file().exists());

    let out = shell.run(&["logout"]).await.ok();
    assert!(out.stdout.contains("Logged out"), "{}", out.stdout);
    assert!(!shell.config_file().exists());

    shell.run(&["ls"]).await.fails(3, "not logged in");
    // Logging out twice is not an error.
    shell.run(&["logout"]).await.ok();
}

#[tokio::test]
async fn a_revoked_saved_token_says_to_log_in_again() {
    let server = TestServer::start().await;
    let browser = signed_in(&server, "ana@example.net").await;
    let token = browser.create_token("laptop", "read-write").await;
    let shell = Shell::new();
    shell.login(&server, &token).await;

    let id = browser.token_id("laptop").await;
    let page = browser
        .post(&format!("/settings/tokens/{id}/revoke"), &[])
        .await;
    assert!(page.status.is_redirection(), "{}", page.body);

    shell.run(&["ls"]).await.fails(
        3,
        "your token was rejected (expired or revoked?): run `reef login` again",
    );
}

#[tokio::test]
async fn the_environment_beats_the_saved_login_and_flags_beat_the_environment() {
    let home_server = TestServer::start().await;
    let (home_token, _) = account(&home_server, "ana@example.net").await;
    let other_server = TestServer::start().await;
    let (other_token, _) = account(&other_server, "bo@example.net").await;
    let shell = Shell::new();
    shell.login(&home_server, &home_token).await;

    let me = shell.run(&["me"]).await.ok();
    assert!(me.stdout.contains("ana@example.net"), "{}", me.stdout);

    // REEF_URL and REEF_TOKEN together: another server and account, file untouched.
    let me = shell
        .run_env(
            &["me"],
            &[
                ("REEF_URL", &other_server.base),
                ("REEF_TOKEN", &other_token),
            ],
        )
        .await
        .ok();
    assert!(me.stdout.contains("bo@example.net"), "{}", me.stdout);
    assert!(me.stdout.contains(&other_server.base), "{}", me.stdout);
    assert!(me.stdout.contains("Token from REEF_TOKEN"), "{}", me.stdout);

    // REEF_TOKEN alone replaces the saved token (and this server does not know it).
    shell
        .run_env(&["me"], &[("REEF_TOKEN", &other_token)])
        .await
        .fails(3, "REEF_TOKEN was rejected");

    // REEF_URL alone replaces the saved URL…
    let nowhere = closed_port_url();
    shell
        .run_env(&["ls"], &[("REEF_URL", &nowhere)])
        .await
        .fails(8, "cannot reach");
    // …and --url beats REEF_URL.
    shell
        .run_env(
            &["ls", "--url", &home_server.base],
            &[("REEF_URL", &nowhere)],
        )
        .await
        .ok();

    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(shell.config_file()).unwrap()).unwrap();
    assert_eq!(saved["token"], home_token.as_str());
}

#[tokio::test]
async fn push_ls_get_update_share_and_rm_round_trip() {
    let (_server, shell, api) = logged_in().await;
    shell.file("network.mmd", FLOW);

    // Create: the title is the file name without .mmd.
    let out = shell.run(&["push", "network.mmd"]).await.ok();
    let id = out
        .stdout
        .trim()
        .strip_prefix("pushed network.mmd -> ")
        .unwrap_or_else(|| panic!("{}", out.stdout))
        .to_owned();
    let d = api.get(&format!("/api/diagrams/{id}")).await.json();
    assert_eq!(d["title"], "network");
    assert_eq!(d["source"], FLOW);
    assert_eq!(d["version"], 1);

    // List.
    let ls = shell.run(&["ls"]).await.ok();
    let mut lines = ls.stdout.lines();
    let header = lines.next().unwrap();
    for column in ["ID", "TITLE", "VERSION", "UPDATED", "SHARED"] {
        assert!(header.contains(column), "{header}");
    }
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(&id) && row.contains("network") && row.ends_with("no"),
        "{row}"
    );

    // Get to standard output, byte for byte, and to a file.
    assert_eq!(shell.run(&["get", &id]).await.ok().stdout, FLOW);
    let saved = shell.run(&["get", &id, "-o", "copy.mmd"]).await.ok();
    assert!(saved.stdout.contains("--if-match 1"), "{}", saved.stdout);
    assert_eq!(
        std::fs::read_to_string(shell.work().join("copy.mmd")).unwrap(),
        FLOW
    );

    // Pushing the same text again makes no new revision.
    let same = shell.run(&["push", "copy.mmd", "--id", &id]).await.ok();
    assert!(
        same.stdout.contains("already up to date"),
        "{}",
        same.stdout
    );
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.json()["version"],
        1
    );

    // Update: the source changes, the title stays.
    let edited = "flowchart LR\n  modem --> router --> switch\n";
    shell.file("copy.mmd", edited);
    let out = shell
        .run(&["push", "copy.mmd", "--id", &id, "--if-match", "1"])
        .await
        .ok();
    assert!(out.stdout.contains("(version 2)"), "{}", out.stdout);
    let d = api.get(&format!("/api/diagrams/{id}")).await.json();
    assert_eq!(
        (d["source"].as_str(), d["version"].as_i64()),
        (Some(edited), Some(2))
    );
    assert_eq!(d["title"], "network");

    // --title with --id renames too.
    shell
        .run(&["push", "copy.mmd", "--id", &id, "--title", "Home network"])
        .await
        .ok();
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.json()["title"],
        "Home network"
    );

    // Share on prints the link, which then works without a login; off kills it.
    let url = shell
        .run(&["share", &id, "on"])
        .await
        .ok()
        .stdout
        .trim()
        .to_owned();
    assert!(url.contains("/s/"), "{url}");
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.json()["shared"],
        true
    );
    let share_path = &url[url.find("/s/").unwrap()..];
    let public = reqwest::get(format!("{}{share_path}", api.base))
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    let off = shell.run(&["share", &id, "off"]).await.ok();
    assert!(off.stdout.contains("Sharing is off"), "{}", off.stdout);
    assert_eq!(
        api.get(&format!("/api/diagrams/{id}")).await.json()["shared"],
        false
    );
    let public = reqwest::get(format!("{}{share_path}", api.base))
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);

    // Remove: to the trash, gone from the API.
    let rm = shell.run(&["rm", &id]).await.ok();
    assert!(rm.stdout.contains("trash"), "{}", rm.stdout);
    api.get(&format!("/api/diagrams/{id}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let empty = shell.run(&["ls"]).await.ok();
    assert!(empty.stdout.contains("No diagrams yet"), "{}", empty.stdout);
}

#[tokio::test]
async fn ls_follows_next_cursor_past_the_first_page() {
    let (server, shell, api) = logged_in().await;
    // More than one page (200) of diagrams, made straight in the database: through the API
    // they would take minutes of the write rate limit.
    let user_id = api.get("/api/me").await.json()["id"].as_i64().unwrap();
    let total = 205;
    server
        .state
        .db
        .run(move |conn| {
            for n in 0..total {
                let owner = reef::db::diagrams::Owner::User(user_id);
                let id = format!("bulk{n:04}");
                reef::db::diagrams::create(
                    conn,
                    &owner,
                    &id,
                    &id,
                    FLOW,
                    reef::db::UnixTime(1_700_000_000 + n),
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();

    let listed = shell.run(&["ls", "--json"]).await.ok().json();
    let mut got: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed["next_cursor"], Value::Null);
    got.sort_unstable();
    got.dedup();
    assert_eq!(got.len(), 205);

    let table = shell.run(&["ls"]).await.ok().stdout;
    assert_eq!(table.lines().count(), 1 + 205);
    // Newest first, as the API orders them.
    assert!(
        table.lines().nth(1).unwrap().starts_with("bulk0204"),
        "{table:.300}"
    );
}

#[tokio::test]
async fn json_output_is_the_apis_json() {
    let (_server, shell, api) = logged_in().await;
    shell.file("a.mmd", FLOW);

    let created = shell.run(&["push", "a.mmd", "--json"]).await.ok().json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["title"], "a");
    assert_eq!(
        created,
        api.get(&format!("/api/diagrams/{id}")).await.json()
    );

    let me = shell.run(&["me", "--json"]).await.ok().json();
    assert_eq!(me["email"], "ana@example.net");
    assert_eq!(me["scope"], "read-write");
    assert_eq!(me["token"]["name"], "laptop");

    let got = shell.run(&["get", &id, "--json"]).await.ok().json();
    assert_eq!(got["source"], FLOW);

    let list = shell.run(&["ls", "--json"]).await.ok().json();
    assert_eq!(list["items"][0]["id"], id.as_str());

    let shared = shell.run(&["share", &id, "on", "--json"]).await.ok().json();
    assert_eq!(shared["enabled"], true);
    assert!(shared["url"].as_str().unwrap().contains("/s/"));

    let rm = shell.run(&["rm", &id, "--json"]).await.ok().json();
    assert_eq!(rm, json!({"id": id, "trashed": true}));

    shell.file("b.mmd", FLOW);
    shell.file("c.mmd", FLOW);
    let several = shell.run(&["push", "b.mmd", "c.mmd", "--json"]).await.ok();
    let array = several.json();
    assert_eq!(array.as_array().unwrap().len(), 2);
    // Progress stays off standard output, which carries only the JSON.
    assert!(
        several.stderr.contains("[2/2] pushed c.mmd -> "),
        "{}",
        several.stderr
    );
}

#[tokio::test]
async fn pushing_several_files_reports_progress_per_file() {
    let (_server, shell, api) = logged_in().await;
    let names = ["router.mmd", "vlan.mmd", "nas.mmd"];
    for name in names {
        shell.file(name, FLOW);
    }
    let out = shell
        .run(&["push", "router.mmd", "vlan.mmd", "nas.mmd"])
        .await
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    for (i, (line, name)) in lines.iter().zip(names).enumerate() {
        let prefix = format!("[{}/3] pushed {name} -> ", i + 1);
        let id = line
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{line}"));
        let d = api.get(&format!("/api/diagrams/{id}")).await.json();
        assert_eq!(d["title"], name.trim_end_matches(".mmd"));
    }

    // A missing file stops the push before anything is uploaded.
    shell
        .run(&["push", "router.mmd", "missing.mmd"])
        .await
        .fails(1, "cannot read missing.mmd");
    let list = api.get("/api/diagrams").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);

    // --id names one diagram, so it takes one file.
    shell
        .run(&["push", "router.mmd", "vlan.mmd", "--id", "abc"])
        .await
        .fails(2, "one file");
}

#[tokio::test]
async fn render_through_the_server_writes_svg_and_png() {
    let (_server, shell, _api) = logged_in().await;
    shell.file("net.mmd", FLOW);

    let out = shell
        .run(&["render", "net.mmd", "-o", "net.svg"])
        .await
        .ok();
    assert!(out.stdout.contains("net.svg"), "{}", out.stdout);
    let svg = std::fs::read_to_string(shell.work().join("net.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("router"),
        "{svg:.200}"
    );

    shell
        .run(&["render", "net.mmd", "-o", "net.png"])
        .await
        .ok();
    let png = std::fs::read(shell.work().join("net.png")).unwrap();
    assert!(png.starts_with(PNG_MAGIC));

    let to_stdout = shell.run(&["render", "net.mmd", "-o", "-"]).await.ok();
    assert!(to_stdout.stdout.starts_with("<svg"));

    let report = shell
        .run(&["render", "net.mmd", "-o", "again.png", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(report["format"], "png");
    assert_eq!(report["rendered_by"], "server");

    shell.file("broken.mmd", "flowchart LR\n  a -->\n");
    shell
        .run(&["render", "broken.mmd", "-o", "broken.svg"])
        .await
        .fails(1, "Line 2");
    assert!(!shell.work().join("broken.svg").exists());

    shell
        .run(&["render", "net.mmd", "-o", "net.pdf"])
        .await
        .ok();
    let pdf = std::fs::read(shell.work().join("net.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let drawing = shell
        .run(&["render", "net.mmd", "-o", "-", "--format", "txt"])
        .await
        .ok();
    assert!(
        drawing.stdout.contains("router") && drawing.stdout.contains('│'),
        "{}",
        drawing.stdout
    );

    shell
        .run(&["render", "net.mmd", "-o", "net.gif"])
        .await
        .fails(2, ".svg, .png, .pdf or .txt");
}

#[tokio::test]
async fn render_local_needs_no_server_and_no_login() {
    let shell = Shell::new();
    shell.file("net.mmd", FLOW);

    shell
        .run(&["render", "net.mmd", "-o", "net.svg", "--local"])
        .await
        .ok();
    let svg = std::fs::read_to_string(shell.work().join("net.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("router"),
        "{svg:.200}"
    );

    shell
        .run(&[
            "render", "net.mmd", "-o", "net.png", "--local", "--scale", "1",
        ])
        .await
        .ok();
    let png = std::fs::read(shell.work().join("net.png")).unwrap();
    assert!(png.starts_with(PNG_MAGIC));

    shell.file("broken.mmd", "flowchart LR\n  a -->\n");
    shell
        .run(&["render", "broken.mmd", "-o", "broken.svg", "--local"])
        .await
        .fails(1, "Line 2");

    shell
        .run(&["render", "net.mmd", "-o", "net.txt", "--local"])
        .await
        .ok();
    let drawing = std::fs::read_to_string(shell.work().join("net.txt")).unwrap();
    assert!(drawing.contains("router"), "{drawing}");
}

#[tokio::test]
async fn a_stale_update_is_refused_with_exit_6_and_nothing_is_overwritten() {
    let (_server, shell, api) = logged_in().await;
    let id = api.create("Network", FLOW).await;
    shell.run(&["get", &id, "-o", "net.mmd"]).await.ok();

    // Someone else saves in the meantime.
    let theirs = "flowchart LR\n  theirs --> change\n";
    let put = api
        .json(
            Method::PUT,
            &format!("/api/diagrams/{id}"),
            json!({"title": "Network", "source": theirs}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK);

    shell.file("net.mmd", "flowchart LR\n  mine --> change\n");
    shell
        .run(&["push", "net.mmd", "--id", &id, "--if-match", "1"])
        .await
        .fails(
            6,
            &format!(
                "changed on the server since you fetched it (now version 2); run `reef get {id}` to see it"
            ),
        );
    let d = api.get(&format!("/api/diagrams/{id}")).await.json();
    assert_eq!(
        (d["source"].as_str(), d["version"].as_i64()),
        (Some(theirs), Some(2))
    );
}

#[tokio::test]
async fn a_read_only_token_can_read_but_pushing_exits_4() {
    let server = TestServer::start().await;
    let browser = signed_in(&server, "ana@example.net").await;
    let read_token = browser.create_token("ci", "read").await;
    let api = Api::new(&server, &browser.create_token("rw", "read-write").await);
    let id = api.create("Network", FLOW).await;
    let shell = Shell::new();
    shell.login(&server, &read_token).await;
    shell.file("net.mmd", FLOW);

    shell.run(&["ls"]).await.ok();
    shell
        .run(&["render", "net.mmd", "-o", "net.svg"])
        .await
        .ok();
    shell
        .run(&["push", "net.mmd"])
        .await
        .fails(4, "this token is read-only");
    shell.run(&["rm", &id]).await.fails(4, "read-only");
    let list = api.get("/api/diagrams").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unknown_diagram_exits_5() {
    let server = TestServer::start_with(|c| c.open_signups = true).await;
    let (token, _) = account(&server, "ana@example.net").await;
    let (_, bo) = account(&server, "bo@example.net").await;
    let bos = bo.create("Bo's", FLOW).await;
    let shell = Shell::new();
    shell.login(&server, &token).await;
    shell.file("net.mmd", FLOW);

    for args in [
        &["get", "nosuchdiagram"][..],
        &["rm", "nosuchdiagram"],
        &["share", "nosuchdiagram", "on"],
        &["push", "net.mmd", "--id", "nosuchdiagram"],
        &["get", "../me"],
        // Another account's diagram is just as unknown.
        &["get", &bos],
        &["rm", &bos],
    ] {
        shell.run(args).await.fails(5, "no diagram");
    }
    assert_eq!(
        bo.get(&format!("/api/diagrams/{bos}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_unreachable_server_exits_8() {
    let shell = Shell::new();
    let nowhere = closed_port_url();
    shell
        .run_env(
            &["ls", "--url", &nowhere],
            &[("REEF_TOKEN", "reef_whatever")],
        )
        .await
        .fails(8, &format!("cannot reach {nowhere}"));
    shell
        .run(&["login", "--url", &nowhere, "--token", "reef_whatever"])
        .await
        .fails(8, "cannot reach");
    assert!(!shell.config_file().exists());
}

#[tokio::test]
async fn over_the_rate_limit_exits_7_with_the_wait() {
    let server = TestServer::start_with(|c| c.rate_write_per_min = 1).await;
    let (token, _) = account(&server, "ana@example.net").await;
    let shell = Shell::new();
    shell.login(&server, &token).await;
    shell.file("a.mmd", FLOW);

    shell.run(&["push", "a.mmd"]).await.ok();
    let out = shell.run(&["push", "a.mmd"]).await.fails(7, "rate limited");
    assert!(out.stderr.contains("try again in "), "{}", out.stderr);
    assert!(out.stderr.contains(" seconds"), "{}", out.stderr);
}

#[tokio::test]
async fn usage_errors_exit_2_and_help_lists_the_exit_codes() {
    let shell = Shell::new();
    shell
        .run(&["share", "abc", "maybe"])
        .await
        .fails(2, "maybe");
    shell.run(&["push"]).await.fails(2, "FILE");
    shell.run(&["get"]).await.fails(2, "ID");

    for command in ["login", "ls", "get", "push", "rm", "share", "render", "me"] {
        let help = shell.run(&[command, "--help"]).await.ok().stdout;
        assert!(help.contains("Exit codes:"), "{command}: {help}");
        assert!(help.contains("8  network error"), "{command}: {help}");
    }
}
