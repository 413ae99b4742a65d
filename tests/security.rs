//! Strangers on the same network, one promise per test (see SECURITY.md): password floods
//! cannot exhaust memory, nobody can lock an owner out from elsewhere, password checks in
//! settings are limited like sign-ins, sessions in use stay alive, and logs never hold
//! diagram text or share ids. Other hosts are played by binding clients to other loopback
//! addresses (127.0.0.2, …).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Browser, PASSWORD, TestServer, reef_exe};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn host(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// The real `reef serve` binary on a free port, with its stderr in a file.
struct Served {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
    log: std::path::PathBuf,
}

impl Served {
    /// Serves a fresh data directory holding one account (`owner@example.net`), with `args`.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_owned();
        let mut add = Command::new(reef_exe())
            .args([
                "user",
                "add",
                "owner@example.net",
                "--password-stdin",
                "--data",
                &data,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        add.stdin
            .take()
            .unwrap()
            .write_all(PASSWORD.as_bytes())
            .unwrap();
        assert!(add.wait().unwrap().success());
        Self::serve(dir, "127.0.0.1:0", args, env)
    }

    /// Serves an empty data directory on `bind`.
    fn fresh(bind: &str) -> Self {
        Self::serve(tempfile::tempdir().unwrap(), bind, &[], &[])
    }

    fn serve(dir: tempfile::TempDir, bind: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let log = dir.path().join("stderr.log");
        let mut child = Command::new(reef_exe())
            .args(["serve", "--bind", bind, "--data"])
            .arg(dir.path())
            .args(args)
            .env_remove("REEF_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // `listening on http://0.0.0.0:PORT` is reached on loopback too.
        let port = line.trim().rsplit(':').next().unwrap().to_owned();
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
            log,
        }
    }

    /// Resident memory of the server process, in MiB (Linux `/proc`).
    fn rss_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .unwrap()
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .unwrap();
        kib / 1024
    }

    /// Everything the server logged so far, without colour codes.
    fn log(&self) -> String {
        let raw = std::fs::read_to_string(&self.log).unwrap();
        let mut plain = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // An escape sequence runs to its final letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        plain
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `tries` wrong sign-ins from each of `hosts` hosts at once (each with its own
/// browser, form and guest cookie) and returns every status.
async fn password_flood(base: &str, path: &str, hosts: u8, tries: usize) -> Vec<StatusCode> {
    let mut tasks = Vec::new();
    for n in 0..hosts {
        let base = base.to_owned();
        let path = path.to_owned();
        tasks.push(tokio::spawn(async move {
            let b = Browser::at(&base, host(10 + n));
            let csrf = b.csrf().await;
            let mut statuses = Vec::new();
            for i in 0..tries {
                let email = format!("stranger{n}-{i}@example.net");
                let password = format!("wrong password {n} {i}");
                let page = b
                    .post_raw(
                        &path,
                        &[("email", &email), ("password", &password), ("csrf", &csrf)],
                    )
                    .await;
                statuses.push(page.status);
            }
            statuses
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_floods_keep_memory_flat_and_the_server_answering() {
    let server = Served::start(&[], &[]);
    let before = server.rss_mib();
    let started = Instant::now();
    // Sign-ups are closed (an account exists): refused before any hashing.
    let sign_ups = password_flood(&server.base, "/signup", 16, 10).await;
    assert!(
        sign_ups
            .iter()
            .all(|s| [StatusCode::FORBIDDEN, StatusCode::TOO_MANY_REQUESTS].contains(s)),
        "{sign_ups:?}"
    );
    // Sign-ins hash on every try: 32 hosts at once share two hashing threads.
    let sign_ins = password_flood(&server.base, "/login", 32, 5).await;
    let peak = server.rss_mib();
    assert!(
        sign_ins.iter().all(|s| [
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE
        ]
        .contains(s)),
        "{sign_ins:?}"
    );
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    eprintln!(
        "RSS {before} MiB before, {peak} MiB after {} password requests in {:?}",
        sign_ups.len() + sign_ins.len(),
        started.elapsed()
    );
    assert!(peak < 150, "RSS grew to {peak} MiB (from {before} MiB)");
    // The owner still gets in from home.
    let owner = Browser::new(&server.base);
    owner
        .sign_in("owner@example.net", PASSWORD)
        .await
        .assert_redirect("/");
}

/// Seven wrong passwords for alice from `guesser`; the limit must refuse some.
async fn guess_until_refused(guesser: &Browser) {
    let mut statuses = Vec::new();
    for i in 0..7 {
        let guess = format!("guess number {i}");
        statuses.push(guesser.sign_in("alice@example.net", &guess).await.status);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_guesser_elsewhere_cannot_lock_the_owner_out() {
    let server = TestServer::start().await;
    server
        .browser()
        .sign_up("alice@example.net", PASSWORD)
        .await
        .assert_redirect("/");
    let guesser = Browser::at(&server.base, host(2));
    guess_until_refused(&guesser).await;
    // The guesser's own address stays refused, even with the right password…
    assert_eq!(
        guesser.sign_in("alice@example.net", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …while the owner, at home, signs in at once.
    let owner = Browser::at(&server.base, host(1));
    owner
        .sign_in("alice@example.net", PASSWORD)
        .await
        .assert_redirect("/");
}

#[tokio::test]
async fn current_password_checks_in_settings_are_limited_like_sign_ins() {
    let server = TestServer::start().await;
    let b = server.browser();
    b.sign_up("alice@example.net", PASSWORD).await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let wrong = format!("not my password {i}");
        let page = b
            .post("/settings/delete", &[("current_password", wrong.as_str())])
            .await;
        statuses.push(page.status);
    }
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5], "{statuses:?}");
    assert!(
        statuses[5..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Nothing was deleted.
    assert_eq!(b.get("/settings").await.status, StatusCode::OK);
}

/// The `Set-Cookie` of `name` on a page, if it set one.
fn set_cookie(page: &common::Page, name: &str) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
}

#[tokio::test]
async fn a_session_in_use_renews_its_cookie_once_a_day() {
    let server = TestServer::start().await;
    let b = server.browser();
    b.sign_up("alice@example.net", PASSWORD).await;
    assert_eq!(set_cookie(&b.get("/").await, "reef_session"), None);
    server.state.clock.advance(2 * 86_400);
    let renewed = set_cookie(&b.get("/").await, "reef_session").expect("a renewed cookie");
    assert!(renewed.contains("Max-Age=2592000"), "{renewed}");
    assert!(renewed.contains("HttpOnly"), "{renewed}");
    // Once a day at most.
    assert_eq!(set_cookie(&b.get("/").await, "reef_session"), None);
    // In use every 20 days, it lives on well past 30 days from sign-in.
    for _ in 0..3 {
        server.state.clock.advance(20 * 86_400);
        let page = b.get("/settings").await;
        assert_eq!(page.status, StatusCode::OK, "signed out after all");
    }
}

#[tokio::test]
async fn logs_hold_no_diagram_text_or_share_ids_even_at_debug() {
    let server = Served::start(&["--signups", "open"], &[("REEF_LOG", "debug")]);
    let b = Browser::new(&server.base);
    b.sign_in("owner@example.net", PASSWORD)
        .await
        .assert_redirect("/");
    let token = b.create_token("agent", "read-write").await;
    let client = reqwest::Client::new();
    let mcp = async |body: Value| -> Value {
        client
            .post(format!("{}/mcp", server.base))
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let call = |name: &str, arguments: Value| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": name, "arguments": arguments}})
    };
    let structured = |reply: Value| reply["result"]["structuredContent"].clone();
    let created = mcp(call(
        "create_diagram",
        json!({"title": "Quarterly plan", "source": "flowchart LR\n  SecretNodeName --> B\n"}),
    ))
    .await;
    let id = structured(created)["id"].as_str().unwrap().to_owned();
    let shared = structured(mcp(call("share_diagram", json!({"id": id, "enabled": true}))).await);
    let url = shared["url"].as_str().unwrap();
    let share_id = url.rsplit('/').next().unwrap().to_owned();
    assert_eq!(reqwest::get(url).await.unwrap().status(), StatusCode::OK);
    let image = format!("{url}/image.svg");
    assert_eq!(reqwest::get(&image).await.unwrap().status(), StatusCode::OK);
    // Give the log a moment to reach the file.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = server.log();
    assert!(log.contains("DEBUG"), "debug logging is on: {log}");
    assert!(
        log.contains("/s/…"),
        "share pages are logged, redacted: {log}"
    );
    for secret in ["SecretNodeName", "Quarterly plan", share_id.as_str()] {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
    let mcp_info = log
        .lines()
        .filter(|l| l.contains(" INFO ") && l.contains("/mcp"))
        .count();
    assert_eq!(mcp_info, 0, "{log}");
}

fn trusting_loopback(config: &mut reef::config::Config) {
    config.trusted_proxies = reef::config::TrustedProxies::parse("127.0.0.1").unwrap();
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_limited_and_logged_on_its_own() {
    let server = TestServer::start_with(trusting_loopback).await;
    let owner = Browser::behind_proxy(&server.base, &[("x-forwarded-for", "198.51.100.7")]);
    owner
        .sign_up("alice@example.net", PASSWORD)
        .await
        .assert_redirect("/");
    // Another client behind the same proxy guesses until refused…
    let guesser = Browser::behind_proxy(&server.base, &[("x-forwarded-for", "203.0.113.9")]);
    guess_until_refused(&guesser).await;
    // …which does not touch the owner, though both arrive from the proxy's address.
    let laptop = Browser::behind_proxy(
        &server.base,
        &[("forwarded", "for=\"198.51.100.7:52100\";proto=http")],
    );
    laptop
        .sign_in("alice@example.net", PASSWORD)
        .await
        .assert_redirect("/");
    let log = laptop.get("/settings").await.body;
    assert!(
        log.contains("198.51.100.7"),
        "the security log shows the client"
    );
    assert!(!log.contains("127.0.0.1"), "not the proxy");
}

#[tokio::test]
async fn forwarding_headers_from_anyone_else_are_ignored() {
    let server = TestServer::start().await;
    server
        .browser()
        .sign_up("alice@example.net", PASSWORD)
        .await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        // A new made-up address every time does not buy new tries.
        let spoofed = format!("203.0.113.{i}");
        let b = Browser::behind_proxy(
            &server.base,
            &[
                ("x-forwarded-for", spoofed.as_str()),
                ("x-forwarded-proto", "https"),
            ],
        );
        let page = b.sign_in("alice@example.net", "a wrong password").await;
        statuses.push(page.status);
        assert!(
            set_cookie(&page, "reef_guest").is_none_or(|c| !c.contains("Secure")),
            "an untrusted proto header must not change cookies"
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn https_at_a_trusted_proxy_makes_cookies_secure_and_share_links_https() {
    let server = TestServer::start_with(trusting_loopback).await;
    let b = Browser::behind_proxy(
        &server.base,
        &[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-proto", "https"),
        ],
    );
    let first = b.get("/").await;
    let guest = set_cookie(&first, "reef_guest").expect("a guest cookie");
    assert!(guest.contains("Secure"), "{guest}");
    let id = b.new_diagram().await;
    b.post(&format!("/d/{id}/share"), &[("enabled", "on")])
        .await;
    let editor = b.get(&format!("/d/{id}")).await.body;
    let host = server.base.trim_start_matches("http://");
    assert!(
        editor.contains(&format!("https://{host}/s/")),
        "share link is https"
    );
}

/// The CSRF token pages carried before this change: an unkeyed hash of the guest cookie,
/// which anyone who planted that cookie could compute.
fn old_style_token(guest_cookie: &str) -> String {
    let raw = hex::decode(guest_cookie).unwrap();
    let mut input = b"reef-csrf-v1:".to_vec();
    input.extend_from_slice(&reef::secret::sha256(&raw));
    hex::encode(reef::secret::sha256(&input))
}

#[tokio::test]
async fn a_planted_guest_cookie_cannot_forge_a_form() {
    let server = TestServer::start().await;
    let victim = server.browser();
    victim.sign_up("alice@example.net", PASSWORD).await;
    victim.create_token("ci", "read-write").await;
    // Another app on this host sets a guest cookie it knows in the victim's browser…
    let planted = hex::encode([7u8; 32]);
    victim.set_cookie("reef_guest", &planted);
    // …and posts the victim's form with the token it can compute from it.
    let forged = victim
        .post_raw(
            "/settings/tokens/revoke-all",
            &[("csrf", &old_style_token(&planted))],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    assert!(
        victim.get("/settings").await.body.contains("reef_…"),
        "the token survives"
    );
}

#[tokio::test]
async fn the_csrf_token_changes_at_sign_in_and_sign_out() {
    let server = TestServer::start().await;
    server
        .browser()
        .sign_up("alice@example.net", PASSWORD)
        .await;
    let b = server.browser();
    let as_guest = b.csrf().await;
    b.sign_in("alice@example.net", PASSWORD)
        .await
        .assert_redirect("/");
    let signed_in = b.csrf().await;
    assert_ne!(as_guest, signed_in);
    // The token from before signing in no longer posts anything.
    let stale = b
        .post_raw("/settings/tokens/revoke-all", &[("csrf", &as_guest)])
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    let guest_before = b.cookie("reef_guest").unwrap();
    b.post("/logout", &[]).await.assert_redirect("/");
    // Signing out also starts a new guest identity.
    assert_ne!(b.cookie("reef_guest").unwrap(), guest_before);
    let signed_out = b.csrf().await;
    assert!(![as_guest, signed_in].contains(&signed_out));
}

#[tokio::test]
async fn two_reef_cookies_of_one_name_are_refused() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let page = client
        .get(server.url("/"))
        .header(
            "cookie",
            format!(
                "reef_guest={}; reef_guest={}",
                "a".repeat(64),
                "b".repeat(64)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("two Reef cookies"));
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_the_right_token() {
    let server = TestServer::start().await;
    let b = server.browser();
    let csrf = b.csrf().await;
    let post = |headers: &[(&'static str, &str)]| {
        let mut request = b.client.post(b.url("/d")).form(&[("csrf", csrf.as_str())]);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let from_elsewhere = [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![
            ("sec-fetch-site", "same-site"),
            ("origin", server.base.as_str()),
        ],
    ];
    for headers in &from_elsewhere {
        let response = post(headers).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    let own = [
        vec![("origin", server.base.as_str())],
        vec![
            ("sec-fetch-site", "same-origin"),
            ("origin", server.base.as_str()),
        ],
        vec![],
    ];
    for headers in &own {
        let response = post(headers).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{headers:?}");
    }
}

#[tokio::test]
async fn secure_cookies_use_host_prefixed_names() {
    let server = TestServer::start_with(|c| c.secure_cookies = true).await;
    let page = server.browser().get("/").await;
    let guest = set_cookie(&page, "__Host-reef_guest").expect("a __Host- guest cookie");
    for part in ["Secure", "Path=/", "HttpOnly"] {
        assert!(guest.contains(part), "{guest}");
    }
    assert!(!guest.contains("Domain"), "{guest}");
    assert_eq!(set_cookie(&page, "reef_guest"), None);
}

/// The setup code a server logged, if any.
fn logged_setup_code(server: &Served) -> Option<String> {
    let log = server.log();
    log.split("setup_code=")
        .nth(1)
        .and_then(|rest| rest.get(..14))
        .map(str::to_owned)
}

#[tokio::test]
async fn a_server_beyond_loopback_asks_the_first_sign_up_for_the_setup_code_from_its_log() {
    let server = Served::fresh("0.0.0.0:0");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let code = logged_setup_code(&server)
        .unwrap_or_else(|| panic!("no setup code in the log: {}", server.log()));
    let b = Browser::new(&server.base);
    let form = b.get("/signup").await;
    assert!(
        form.body.contains("name=\"setup_code\""),
        "the form asks for it"
    );
    for wrong in ["", "AAAA-AAAA-AAAA"] {
        let page = b
            .post(
                "/signup",
                &[
                    ("email", "me@example.net"),
                    ("password", PASSWORD),
                    ("setup_code", wrong),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{wrong:?}");
        assert!(page.body.contains("setup code"));
    }
    // Typed in lower case, it still works.
    b.post(
        "/signup",
        &[
            ("email", "me@example.net"),
            ("password", PASSWORD),
            ("setup_code", &code.to_lowercase()),
        ],
    )
    .await
    .assert_redirect("/");
}

#[tokio::test]
async fn a_server_on_loopback_needs_no_setup_code() {
    let server = Served::fresh("127.0.0.1:0");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(logged_setup_code(&server), None);
    let b = Browser::new(&server.base);
    assert!(!b.get("/signup").await.body.contains("setup_code"));
    b.sign_up("first@example.net", PASSWORD)
        .await
        .assert_redirect("/");
}

/// `edges` labelled edges among 150 nodes: about a second of layout each, and `tag` makes
/// the text (so the cache key) new every time.
fn slow_diagram(edges: usize, tag: &str) -> String {
    let mut s = format!("flowchart TD\n  %% {tag}\n");
    for i in 0..edges {
        let a = i % 150;
        s.push_str(&format!("  n{a} -->|e{i}| n{}\n", (a + 1 + i / 150) % 150));
    }
    s
}

async fn post_preview(b: &Browser, csrf: &str, source: &str) -> reqwest::Response {
    b.client
        .post(b.url("/preview"))
        .header("x-csrf-token", csrf)
        .json(&json!({ "source": source }))
        .send()
        .await
        .unwrap()
}

/// While eight editors on `hosts` (each its own guest) post slow diagrams of `edges` labelled
/// edges back to back, another host's three small previews: the slowest wait.
async fn preview_during_a_flood(hosts: &[u8], edges: usize) -> Duration {
    let server = TestServer::start_rendering_with(|_| {}, |s| s.workers = 2).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut flood = Vec::new();
    for n in 0..8 {
        let (base, stop) = (server.base.clone(), stop.clone());
        let at = host(hosts[n % hosts.len()]);
        flood.push(tokio::spawn(async move {
            let b = Browser::at(&base, at);
            let csrf = b.csrf().await;
            let mut answered = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let source = slow_diagram(edges, &format!("{n}-{i}"));
                answered.push(post_preview(&b, &csrf, &source).await.status());
                i += 1;
            }
            answered
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let other = Browser::at(&server.base, host(3));
    let csrf = other.csrf().await;
    let mut slowest = Duration::ZERO;
    for i in 0..3 {
        let started = Instant::now();
        let reply = post_preview(&other, &csrf, &format!("flowchart LR\n  a{i} --> b{i}\n")).await;
        let took = started.elapsed();
        assert_eq!(reply.status(), StatusCode::OK, "after {took:?}");
        slowest = slowest.max(took);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = Vec::new();
    for f in flood {
        answered.extend(f.await.unwrap());
    }
    // Each flood diagram is new, so each held a worker: until drawn (200) or, on a machine
    // busy with other tests, until the time limit stopped it (422 render_timeout).
    assert!(
        answered
            .iter()
            .any(|s| *s == StatusCode::OK || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "the flood really drew: {answered:?}"
    );
    slowest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_preview_flood_from_one_host_leaves_a_worker_for_everyone_else() {
    let slowest = preview_during_a_flood(&[2], 2_000).await;
    assert!(
        slowest < Duration::from_secs(2),
        "another host's preview waited {slowest:?} behind the flood"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_preview_flood_from_several_hosts_delays_another_by_one_render_at_most() {
    // Three flooding hosts hold both workers in turn; a newcomer still gets the next free
    // one (about 0.6 s of layout each here), never a place behind every flooder.
    let slowest = preview_during_a_flood(&[2, 6, 7], 1_000).await;
    assert!(
        slowest < Duration::from_secs(2),
        "another host's preview waited {slowest:?} behind three flooding hosts"
    );
}

#[tokio::test]
async fn a_newer_preview_replaces_the_older_one_of_the_same_editor() {
    let server = TestServer::start_rendering_with(|_| {}, |s| s.workers = 2).await;
    let b = server.browser();
    let csrf = b.csrf().await;
    let older = {
        let (client, url, csrf) = (b.client.clone(), b.url("/preview"), csrf.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let reply = client
                .post(url)
                .header("x-csrf-token", csrf)
                .json(&json!({ "source": slow_diagram(2_000, "older") }))
                .send()
                .await
                .unwrap();
            (
                reply.status(),
                reply.json::<Value>().await.unwrap(),
                started.elapsed(),
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let newer = post_preview(&b, &csrf, "flowchart LR\n  newer --> wins\n").await;
    assert_eq!(newer.status(), StatusCode::OK);
    let (status, body, took) = older.await.unwrap();
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "superseded");
    assert!(took < Duration::from_secs(1), "stopped at once: {took:?}");
}

#[tokio::test]
async fn previews_faster_than_anyone_types_are_refused_for_a_moment() {
    let server = TestServer::start().await;
    let b = Browser::at(&server.base, host(4));
    let csrf = b.csrf().await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..40 {
        let reply = post_preview(&b, &csrf, &format!("flowchart LR\n  a --> b{}\n", i % 2)).await;
        if reply.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = reply.headers().get("retry-after").cloned();
            let body: Value = reply.json().await.unwrap();
            assert_eq!(body["error"], "rate_limited");
            statuses.push(StatusCode::TOO_MANY_REQUESTS);
        } else {
            statuses.push(reply.status());
        }
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!((30..40).contains(&ok), "{statuses:?}");
    assert!(retry_after.is_some());
    // Another host is not held back.
    let other = Browser::at(&server.base, host(5));
    let csrf = other.csrf().await;
    let reply = post_preview(&other, &csrf, "flowchart LR\n  a --> b\n").await;
    assert_eq!(reply.status(), StatusCode::OK);
}
