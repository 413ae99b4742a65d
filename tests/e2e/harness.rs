//! The machinery behind the browser tests: a real `reef` process on 127.0.0.1:0 over a temporary
//! data directory, a ChromeDriver of the test's own, and headless Chromium sessions with helpers
//! that wait for the page instead of sleeping, take a screenshot at each step and fail with the
//! page's URL and text.
//!
//! Every process is started in its own process group and the whole group is killed on drop, so
//! a panicking test leaves no Chromium, renderer worker or server behind.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value as Json, json};

/// How long any single wait (an element, a navigation, a preview) may take before failing.
pub const WAIT: Duration = Duration::from_secs(15);

/// The viewport every session gets, so screenshots (and `docs/editor.png`) are 1366×900.
pub const VIEWPORT: (u32, u32) = (1366, 900);
/// The phone screen of [`E2e::phone`], in CSS pixels.
pub const PHONE: (u32, u32) = (390, 844);

fn chromium() -> String {
    std::env::var("REEF_E2E_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn chromedriver() -> String {
    std::env::var("REEF_E2E_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

/// A child process that is the leader of its own process group; dropping it kills the group.
struct Group {
    child: Child,
}

impl Group {
    fn spawn(command: &mut Command) -> std::io::Result<Self> {
        command.process_group(0).stdin(Stdio::null());
        Ok(Self {
            child: command.spawn()?,
        })
    }

    fn signal_group(&self, signal: &str) {
        // `kill -SIG -PGID` reaches the children (Chromium, render workers) too.
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group (a slow Chromium helper, a worker) goes now.
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a test's screenshots and process logs go: `screenshots/<test>/`.
pub struct Artifacts {
    pub dir: PathBuf,
    counter: AtomicUsize,
}

impl Artifacts {
    fn new(test: &str) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("screenshots")
            .join(test);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self {
            dir,
            counter: AtomicUsize::new(0),
        }
    }

    fn next_png(&self, label: &str, step: &str) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let prefix = if label.is_empty() {
            String::new()
        } else {
            format!("{label}-")
        };
        self.dir.join(format!("{n:02}-{prefix}{step}.png"))
    }

    fn log_file(&self, name: &str) -> fs::File {
        fs::File::create(self.dir.join(name)).unwrap()
    }
}

/// A running `reef serve` on a free port with its own temporary data directory.
pub struct Reef {
    pub base: String,
    // Declared before `data` so the server is gone before its directory is removed.
    _process: Group,
    _data: tempfile::TempDir,
}

impl Reef {
    fn start(extra: &[&str], artifacts: &Artifacts) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_reef"));
        command
            .arg("serve")
            .args(["--bind", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(artifacts.log_file("reef.log"));
        // A developer's own REEF_* settings must not change what the tests see.
        for var in [
            "REEF_BIND",
            "REEF_DATA",
            "REEF_ACCOUNTS",
            "REEF_SIGNUPS",
            "REEF_SECURE_COOKIES",
            "REEF_PUBLIC_URL",
        ] {
            command.env_remove(var);
        }
        let mut process = Group::spawn(&mut command)
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", env!("CARGO_BIN_EXE_reef")));
        let stdout = process.child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = tx.send(first);
            // Keep draining so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let first = rx.recv_timeout(WAIT).unwrap_or_else(|_| {
            panic!(
                "reef did not say where it listens within {WAIT:?}; see {}",
                artifacts.dir.join("reef.log").display()
            )
        });
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "unexpected first line from reef: {first:?}; see {}",
                    artifacts.dir.join("reef.log").display()
                )
            })
            .trim_end_matches('/')
            .to_owned();
        Self {
            base,
            _process: process,
            _data: data,
        }
    }
}

/// A ChromeDriver on a free port, owned by one test.
struct Driver {
    url: String,
    _process: Group,
}

impl Driver {
    async fn start(artifacts: &Artifacts) -> Self {
        let exe = chromedriver();
        assert!(
            Path::new(&exe).exists() && Path::new(&chromium()).exists(),
            "the browser tests need Chromium and ChromeDriver ({exe}); on Debian: \
             apt-get install chromium chromium-driver (or set REEF_E2E_CHROMEDRIVER / REEF_E2E_CHROMIUM)"
        );
        // Another process may grab a free port between our probe and ChromeDriver's bind.
        for _attempt in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let log = artifacts.log_file("chromedriver.log");
            let process = Group::spawn(
                Command::new(&exe)
                    .arg(format!("--port={port}"))
                    .stdout(log.try_clone().unwrap())
                    .stderr(log),
            )
            .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"));
            let url = format!("http://127.0.0.1:{port}");
            let http = reqwest::Client::new();
            let deadline = Instant::now() + WAIT;
            while Instant::now() < deadline {
                let ready = http
                    .get(format!("{url}/status"))
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await;
                if let Ok(reply) = ready
                    && let Ok(status) = reply.json::<Json>().await
                    && status["value"]["ready"] == true
                {
                    return Self {
                        url,
                        _process: process,
                    };
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            drop(process);
        }
        panic!(
            "chromedriver did not become ready; see {}",
            artifacts.dir.join("chromedriver.log").display()
        );
    }
}

/// Whether a browser session runs the page's JavaScript.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Js {
    On,
    Off,
}

/// One test's world: its Reef server, its ChromeDriver and its screenshot folder.
pub struct E2e {
    pub reef: Reef,
    /// Where browsers start when Reef is published under a sub-path behind a proxy.
    front: Option<String>,
    artifacts: Arc<Artifacts>,
    // Dropped last: the browsers' Chromium processes are its children.
    driver: Driver,
}

impl E2e {
    /// Starts Reef with extra `serve` flags (e.g. `["--accounts", "off"]`) and a ChromeDriver.
    pub async fn start(test: &str, reef_flags: &[&str]) -> Self {
        let artifacts = Arc::new(Artifacts::new(test));
        let reef = Reef::start(reef_flags, &artifacts);
        let driver = Driver::start(&artifacts).await;
        Self {
            reef,
            front: None,
            artifacts,
            driver,
        }
    }

    /// Starts Reef published at `http://127.0.0.1:PORT/reef/` behind a reverse proxy that
    /// forwards only `/reef/…` (see `SubPathProxy`); browsers start there, so their paths
    /// begin with `/reef`.
    pub async fn start_under_sub_path(test: &str) -> Self {
        let artifacts = Arc::new(Artifacts::new(test));
        let mut proxy = crate::common::SubPathProxy::bind().await;
        let public_url = proxy.public_url();
        let reef = Reef::start(&["--public-url", &public_url], &artifacts);
        proxy.forward_to(&reef.base, false);
        let driver = Driver::start(&artifacts).await;
        Self {
            reef,
            front: Some(proxy.base()),
            artifacts,
            driver,
        }
    }

    /// A fresh browser session (its own profile, so no cookies shared with other sessions).
    /// `label` prefixes its screenshots when a test drives more than one browser.
    pub async fn browser(&self, label: &str, js: Js) -> Browser {
        self.open(label, js, false, false).await
    }

    /// A fresh browser session as a phone shows pages: a 390×844 screen at 2× (touch,
    /// mobile user agent), with Chromium's device emulation.
    pub async fn phone(&self, label: &str, js: Js) -> Browser {
        self.open(label, js, true, false).await
    }

    /// A fresh desktop browser session whose system prefers dark colours
    /// (`prefers-color-scheme: dark`).
    pub async fn dark(&self, label: &str, js: Js) -> Browser {
        self.open(label, js, false, true).await
    }

    async fn open(&self, label: &str, js: Js, phone: bool, dark: bool) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={},{}", VIEWPORT.0, VIEWPORT.1),
        ];
        let mut blink = Vec::new();
        if dark {
            // Blink's preferred colour scheme: 0 is dark.
            blink.push("preferredColorScheme=0");
        }
        // Downloads land in the profile's own folder, without asking.
        let downloads = profile.path().join("downloads");
        fs::create_dir_all(&downloads).unwrap();
        let mut prefs = json!({
            "download.default_directory": downloads.display().to_string(),
            "download.prompt_for_download": false,
        });
        if js == Js::Off {
            // Both switches: the pref is what a person would set, the Blink setting makes sure.
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
            blink.push("scriptEnabled=false");
        }
        if !blink.is_empty() {
            args.push(format!("--blink-settings={}", blink.join(",")));
        }
        let capabilities = json!({
            "browserName": "chrome",
            // An unexpected dialog (say, an injected alert) must stay open for the test to see,
            // never be dismissed silently by the next command.
            "unhandledPromptBehavior": "ignore",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": chromium(), "args": args, "prefs": prefs},
        });
        let mut capabilities = capabilities;
        if phone {
            capabilities["goog:chromeOptions"]["mobileEmulation"] = json!({
                "deviceMetrics": {"width": PHONE.0, "height": PHONE.1, "pixelRatio": 2.0, "touch": true},
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
            });
        }
        let Json::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.driver.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open a Chromium session: {e}"));
        let session = client.session_id().await.unwrap().unwrap_or_default();
        let browser = Browser {
            client,
            js,
            label: label.to_owned(),
            base: self.front.clone().unwrap_or_else(|| self.reef.base.clone()),
            driver_url: self.driver.url.clone(),
            session,
            artifacts: self.artifacts.clone(),
            _profile: profile,
        };
        if !phone {
            browser.fit_viewport().await;
        }
        browser
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.reef.base)
    }
}

/// One entry of the browser's console log.
#[derive(Debug)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

/// A headless Chromium session pointed at one Reef server.
pub struct Browser {
    pub client: Client,
    /// Whether this session runs the page's JavaScript.
    pub js: Js,
    label: String,
    base: String,
    driver_url: String,
    session: String,
    artifacts: Arc<Artifacts>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // End the session so Chromium exits before its profile directory is removed. Plain
        // blocking HTTP: this also runs while a panicking test unwinds.
        let Some(addr) = self.driver_url.strip_prefix("http://") else {
            return;
        };
        if let Ok(mut stream) = TcpStream::connect(addr) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                read_http_reply(&mut stream);
            }
        }
    }
}

/// Reads one HTTP/1.1 reply (headers and a `Content-Length` body) without waiting for the
/// server to close the connection, which ChromeDriver does not do promptly.
fn read_http_reply(stream: &mut TcpStream) {
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&reply[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if reply.len() >= end + 4 + length {
                return;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
        }
    }
}

impl Browser {
    /// Makes the viewport (not the window) exactly `VIEWPORT`, whatever the browser's frame.
    async fn fit_viewport(&self) {
        let inner = self
            .js("return [window.innerWidth, window.innerHeight];", vec![])
            .await;
        let (w, h) = (
            inner[0].as_u64().unwrap_or(0) as u32,
            inner[1].as_u64().unwrap_or(0) as u32,
        );
        if (w, h) != VIEWPORT && w > 0 && h > 0 {
            let (ow, oh) = self.client.get_window_size().await.unwrap();
            let width = ow as u32 + VIEWPORT.0 - w.min(VIEWPORT.0);
            let height = oh as u32 + VIEWPORT.1 - h.min(VIEWPORT.1);
            let _ = self.client.set_window_size(width, height).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.contains("://") || path.starts_with("data:") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// Opens a Reef path (or an absolute URL) and waits for the document to load.
    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        if let Err(e) = self.client.goto(&url).await {
            self.fail(&format!("cannot open {url}: {e}")).await;
        }
    }

    pub async fn refresh(&self) {
        if let Err(e) = self.client.refresh().await {
            self.fail(&format!("cannot reload: {e}")).await;
        }
    }

    /// The current URL's path and query, e.g. `/d/abc?saved=1`.
    pub async fn path(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            },
            Err(e) => format!("<no url: {e}>"),
        }
    }

    /// Runs a script in the page (`return …` gives the result); works with page JS disabled too,
    /// since WebDriver evaluates it outside the page's own scripting switch.
    pub async fn js(&self, script: &str, args: Vec<Json>) -> Json {
        match self.client.execute(script, args).await {
            Ok(v) => v,
            Err(e) => {
                self.fail(&format!("script failed: {e}\n  script: {script}"))
                    .await
            }
        }
    }

    /// Waits for a finished download called `name` and returns its bytes.
    pub async fn download(&self, name: &str) -> Vec<u8> {
        let path = self._profile.path().join("downloads").join(name);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(bytes) = fs::read(&path) {
                return bytes;
            }
            if Instant::now() > deadline {
                let found: Vec<String> = fs::read_dir(path.parent().unwrap())
                    .map(|d| {
                        d.filter_map(Result::ok)
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                self.fail(&format!(
                    "no download {name:?} after {WAIT:?}; found {found:?}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `script` returns `true`; fails with `what` and the page's state otherwise.
    pub async fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.client.execute(script, vec![]).await {
                Ok(Json::Bool(true)) => return,
                Ok(_) => {}
                Err(e) if e.is_unexpected_alert_open() => {
                    self.fail(&format!("a dialog opened while waiting for {what}"))
                        .await
                }
                // A navigation in progress can make a script fail; just try again.
                Err(_) => {}
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out after {WAIT:?} waiting for {what}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Like `wait_for`, for an asynchronous script: it calls its last argument with `true`
    /// when ready.
    pub async fn wait_for_async(&self, what: &str, script: &str, args: Vec<Json>) {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.client.execute_async(script, args.clone()).await {
                Ok(Json::Bool(true)) => return,
                Ok(_) => {}
                Err(e) if e.is_unexpected_alert_open() => {
                    self.fail(&format!("a dialog opened while waiting for {what}"))
                        .await
                }
                Err(_) => {}
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out after {WAIT:?} waiting for {what}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the current path (with query) satisfies `pred`.
    pub async fn wait_for_path(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let path = self.path().await;
            if pred(&path) && self.ready().await {
                return path;
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "timed out after {WAIT:?} waiting for the URL to be {what}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn ready(&self) -> bool {
        matches!(
            self.client
                .execute("return document.readyState === 'complete';", vec![])
                .await,
            Ok(Json::Bool(true))
        )
    }

    /// The first element matching a CSS selector, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.find_by(css, Locator::Css(css)).await
    }

    /// The button whose visible text is exactly `label`.
    pub async fn button(&self, label: &str) -> Element {
        let xpath = format!("//button[normalize-space(.)='{label}']");
        self.find_by(&format!("button “{label}”"), Locator::XPath(&xpath))
            .await
    }

    /// Clicks the link whose visible text is exactly `label`.
    pub async fn click_link(&self, label: &str) {
        let xpath = format!("//a[normalize-space(.)='{label}']");
        let link = self
            .find_by(&format!("link “{label}”"), Locator::XPath(&xpath))
            .await;
        self.click(&format!("link “{label}”"), &link).await;
    }

    async fn find_by(&self, what: &str, locator: Locator<'_>) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.client.find(locator).await {
                Ok(element) => return element,
                Err(e) if e.is_no_such_element() && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => self.fail(&format!("cannot find {what}: {e}")).await,
            }
        }
    }

    /// How many elements match a CSS selector right now.
    pub async fn count(&self, css: &str) -> usize {
        match self.client.find_all(Locator::Css(css)).await {
            Ok(all) => all.len(),
            Err(e) => self.fail(&format!("cannot query {css}: {e}")).await,
        }
    }

    /// Clicks an element; a failure names it.
    pub async fn click(&self, what: &str, element: &Element) {
        if let Err(e) = element.click().await {
            self.fail(&format!("cannot click {what}: {e}")).await;
        }
    }

    pub async fn click_button(&self, label: &str) {
        let button = self.button(label).await;
        self.click(&format!("button “{label}”"), &button).await;
    }

    /// Types into a field as a person would, after emptying it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        if let Err(e) = field.clear().await {
            self.fail(&format!("cannot clear {css}: {e}")).await;
        }
        self.send_keys(css, text).await;
    }

    /// Sends keys to a field without clearing it first (key chords included).
    pub async fn send_keys(&self, css: &str, keys: &str) {
        let field = self.find(css).await;
        if let Err(e) = field.send_keys(keys).await {
            self.fail(&format!("cannot type into {css}: {e}")).await;
        }
    }

    /// A form field's current value (the `value` property, not the attribute).
    pub async fn value(&self, css: &str) -> String {
        let field = self.find(css).await;
        match field.prop("value").await {
            Ok(v) => v.unwrap_or_default(),
            Err(e) => {
                self.fail(&format!("cannot read the value of {css}: {e}"))
                    .await
            }
        }
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.find(css).await;
        match element.attr(name).await {
            Ok(v) => v,
            Err(e) => self.fail(&format!("cannot read {css}[{name}]: {e}")).await,
        }
    }

    /// The visible text of an element.
    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        match element.text().await {
            Ok(t) => t,
            Err(e) => {
                self.fail(&format!("cannot read the text of {css}: {e}"))
                    .await
            }
        }
    }

    /// The whole page's text as the browser shows it (`innerText`, so escaped markup reads
    /// literally).
    pub async fn body_text(&self) -> String {
        match self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
        {
            Ok(Json::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => format!("<cannot read the page: {e}>"),
        }
    }

    /// The current DOM serialised as HTML.
    pub async fn html(&self) -> String {
        match self.client.source().await {
            Ok(s) => s,
            Err(e) => {
                self.fail(&format!("cannot read the page source: {e}"))
                    .await
            }
        }
    }

    /// The text of the open alert/confirm dialog, if one is open.
    pub async fn dialog(&self) -> Option<String> {
        match self.client.get_alert_text().await {
            Ok(text) => Some(text),
            Err(e) if e.is_no_such_alert() => None,
            Err(e) => self.fail(&format!("cannot ask for a dialog: {e}")).await,
        }
    }

    pub async fn accept_dialog(&self) {
        if let Err(e) = self.client.accept_alert().await {
            self.fail(&format!("cannot accept the dialog: {e}")).await;
        }
    }

    pub async fn dismiss_dialog(&self) {
        if let Err(e) = self.client.dismiss_alert().await {
            self.fail(&format!("cannot dismiss the dialog: {e}")).await;
        }
    }

    /// Waits until an image has loaded with real pixels: complete and non-zero naturalWidth.
    pub async fn wait_for_image(&self, what: &str, css: &str) {
        let script = format!(
            "var i = document.querySelector({}); return !!i && i.complete && i.naturalWidth > 0;",
            json!(css)
        );
        self.wait_for(what, &script).await;
    }

    /// The browser console since the last call (ChromeDriver's log endpoint drains it).
    pub async fn console(&self) -> Vec<LogEntry> {
        let reply = reqwest::Client::new()
            .post(format!(
                "{}/session/{}/se/log",
                self.driver_url, self.session
            ))
            .json(&json!({"type": "browser"}))
            .send()
            .await;
        let body: Json = match reply {
            Ok(r) => r.json().await.unwrap_or(Json::Null),
            Err(e) => {
                self.fail(&format!("cannot read the browser log: {e}"))
                    .await
            }
        };
        let Some(entries) = body["value"].as_array() else {
            self.fail(&format!("the browser log is not available: {body}"))
                .await
        };
        entries
            .iter()
            .map(|e| LogEntry {
                level: e["level"].as_str().unwrap_or_default().to_owned(),
                message: e["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// Saves a screenshot as `screenshots/<test>/<nn>-<step>.png` and returns its path.
    pub async fn shot(&self, step: &str) -> PathBuf {
        let path = self.artifacts.next_png(&self.label, step);
        match self.client.screenshot().await {
            Ok(png) => {
                fs::write(&path, png).unwrap();
            }
            Err(e) => eprintln!("screenshot {} failed: {e}", path.display()),
        }
        path
    }

    /// Fails the test with what was expected, where the browser is and what the page says.
    pub async fn fail(&self, message: &str) -> ! {
        let alert = match self.client.get_alert_text().await {
            Ok(text) => format!("\n  an open dialog says: {text:?}"),
            Err(_) => String::new(),
        };
        let url = match self.client.current_url().await {
            Ok(u) => u.to_string(),
            Err(e) => format!("<unknown: {e}>"),
        };
        let text = self.body_text().await;
        let snippet: String = text.chars().take(1200).collect();
        let shot = if alert.is_empty() {
            self.shot("failure").await.display().to_string()
        } else {
            "(none: a dialog is open)".to_owned()
        };
        panic!(
            "{message}\n  browser: {}\n  url: {url}{alert}\n  screenshot: {shot}\n  page text:\n{snippet}\n",
            if self.label.is_empty() {
                "main"
            } else {
                &self.label
            }
        );
    }

    /// Asserts `cond`, failing with the page's state if it does not hold.
    pub async fn check(&self, cond: bool, message: &str) {
        if !cond {
            self.fail(message).await;
        }
    }
}
