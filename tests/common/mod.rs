//! Shared test setup: a real Reef server on 127.0.0.1:0 over a temporary SQLite file, and a
//! browser-like client that keeps cookies and reads CSRF tokens from the pages.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use reef::config::Config;
use reef::db::Db;
use reef::render::{RenderSettings, Renderer};
use reef::state::AppState;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use tokio::sync::oneshot;

pub struct TestServer {
    pub base: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

pub fn reef_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_reef"))
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::start_rendering_with(tweak, |_| {}).await
    }

    /// A server whose configuration and renderer settings the test adjusts.
    pub async fn start_rendering_with(
        tweak: impl FnOnce(&mut Config),
        tweak_renderer: impl FnOnce(&mut RenderSettings),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path().to_path_buf());
        tweak(&mut config);
        let db = Db::open(&config.data_dir).unwrap();
        let mut settings = RenderSettings::defaults(reef_exe());
        tweak_renderer(&mut settings);
        let renderer = Renderer::new(settings);
        let state = AppState::new(config, db, renderer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            reef::server::serve(listener, serve_state, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            state,
            dir,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A cookie-keeping client that does not follow redirects, so tests can see them.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    pub fn csrf(&self) -> String {
        extract_between(&self.body, "name=\"csrf-token\" content=\"", "\"").unwrap_or_else(|| {
            panic!(
                "no csrf token in page: {}",
                &self.body[..self.body.len().min(500)]
            )
        })
    }

    pub fn assert_redirect(&self, to: &str) {
        assert!(
            self.status.is_redirection(),
            "expected a redirect to {to}, got {} with body {}",
            self.status,
            &self.body[..self.body.len().min(800)]
        );
        assert_eq!(self.location.as_deref(), Some(to));
    }
}

pub fn extract_between(haystack: &str, start: &str, end: &str) -> Option<String> {
    let from = haystack.find(start)? + start.len();
    let len = haystack[from..].find(end)?;
    Some(haystack[from..from + len].to_owned())
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self::from_address(base, None)
    }

    /// A browser on another host: its connections come from `address` (any of 127.0.0.0/8
    /// reaches a server on 127.0.0.1), so the server sees a different client address.
    pub fn at(base: &str, address: std::net::IpAddr) -> Self {
        Self::from_address(base, Some(address))
    }

    /// A browser behind a reverse proxy that adds `headers` (such as `X-Forwarded-For`) to
    /// every request.
    pub fn behind_proxy(base: &str, headers: &[(&'static str, &str)]) -> Self {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        Self::build(base, None, map)
    }

    fn from_address(base: &str, address: Option<std::net::IpAddr>) -> Self {
        Self::build(base, address, reqwest::header::HeaderMap::new())
    }

    fn build(
        base: &str,
        address: Option<std::net::IpAddr>,
        headers: reqwest::header::HeaderMap,
    ) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .local_address(address)
            .default_headers(headers)
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            client,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn page(response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        Page {
            status,
            location,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// The CSRF token of this browser, read from a page as a person's browser would.
    pub async fn csrf(&self) -> String {
        let page = self.get("/").await;
        match &page.location {
            // A server that asks visitors to sign in first (guests off).
            Some(to) if page.status.is_redirection() => self.get(to).await.csrf(),
            _ => page.csrf(),
        }
    }

    /// Posts a form with this browser's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields (no CSRF added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::page(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a form (this browser's CSRF token added) with extra headers, as the editor's
    /// script does (`Accept: application/json`, `If-Match`).
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        let mut request = self.client.post(self.url(path)).form(&all);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Api::send(request).await
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        let url = self.base.parse().unwrap();
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Page {
        self.post("/signup", &[("email", email), ("password", password)])
            .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Creates a diagram through the "New diagram" button and returns its id.
    pub async fn new_diagram(&self) -> String {
        let page = self.post("/d", &[]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        page.location.unwrap().trim_start_matches("/d/").to_owned()
    }

    pub async fn save(&self, id: &str, title: &str, source: &str) -> Page {
        self.post(&format!("/d/{id}"), &[("title", title), ("source", source)])
            .await
    }
}

pub const PASSWORD: &str = "correct horse battery";

impl Browser {
    /// Creates a token on the settings page and returns the secret read from the page.
    pub async fn create_token(&self, name: &str, scope: &str) -> String {
        let settings = self.get("/settings").await;
        assert_eq!(settings.status, StatusCode::OK, "must be signed in");
        let nonce = extract_between(&settings.body, "name=\"nonce\" value=\"", "\"").unwrap();
        let page = self
            .post(
                "/settings/tokens",
                &[("name", name), ("scope", scope), ("nonce", &nonce)],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        secret_on(&page).unwrap_or_else(|| panic!("no secret shown: {}", page.body))
    }

    /// The id of the (first) token row named `name`, from its revoke form.
    pub async fn token_id(&self, name: &str) -> String {
        let page = self.get("/settings").await;
        let label = format!("aria-label=\"Revoke {name}\"");
        let upto = page.body.find(&label).unwrap();
        let form = page.body[..upto].rfind("/settings/tokens/").unwrap();
        page.body[form + "/settings/tokens/".len()..]
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    }
}

/// The one-time secret on a settings page, if the page shows one.
pub fn secret_on(page: &Page) -> Option<String> {
    extract_between(
        &page.body,
        "id=\"new-token-secret\" class=\"secret\" readonly value=\"",
        "\"",
    )
}

/// A signed-in account (the first, so an admin) and its browser.
pub async fn signed_in(server: &TestServer, email: &str) -> Browser {
    let b = server.browser();
    let page = b.sign_up(email, PASSWORD).await;
    assert!(page.status.is_redirection(), "{}", page.body);
    b
}

/// A script's view of the API: a plain HTTP client with a bearer token and no cookies.
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub token: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Asserts the status and the error envelope's code.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.json()["error"], code, "{}", self.text());
    }
}

impl Api {
    pub fn new(server: &TestServer, token: &str) -> Self {
        Self {
            base: server.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            token: token.to_owned(),
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
    }

    pub async fn send(builder: reqwest::RequestBuilder) -> Reply {
        let response = builder.send().await.unwrap();
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            bytes: response.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        Self::send(self.request(reqwest::Method::DELETE, path)).await
    }

    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> Reply {
        Self::send(self.request(method, path).json(&body)).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Reply {
        self.json(reqwest::Method::POST, path, body).await
    }

    /// Creates a diagram and returns its id.
    pub async fn create(&self, title: &str, source: &str) -> String {
        let reply = self
            .post(
                "/api/diagrams",
                serde_json::json!({"title": title, "source": source}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        reply.json()["id"].as_str().unwrap().to_owned()
    }
}

/// The URL from the `listening on URL` line a freshly spawned `reef serve` prints first
/// (its stdout must be piped).
pub fn listening_url(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("reef did not report its address: {line:?}"))
        .to_owned()
}

/// Sends SIGTERM and waits (at most 10 s) for the graceful exit.
pub fn stop_gracefully(child: &mut std::process::Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "reef did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// What the sanitizer must never let through, whatever the input said: the SVG is
/// well-formed, has no active elements, no event handlers and no script or document links,
/// and HTML appears only as mermaid's label markup inside `<foreignObject>`.
/// (Label text may say anything; it is escaped text, so only markup is checked.)
pub fn svg_is_inert(svg: &str) -> Result<(), String> {
    const XHTML: &str = "http://www.w3.org/1999/xhtml";
    const LABEL_HTML: &[&str] = &[
        "div", "span", "p", "br", "b", "strong", "i", "em", "code", "u", "s", "del", "ins", "sub",
        "sup", "small", "mark", "pre",
    ];
    let doc = roxmltree::Document::parse(svg).map_err(|e| format!("not well-formed: {e}"))?;
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name().to_ascii_lowercase();
        if [
            "script", "iframe", "object", "embed", "img", "input", "form",
        ]
        .contains(&name.as_str())
        {
            return Err(format!("has a <{name}> element"));
        }
        if node.tag_name().namespace() == Some(XHTML) {
            let in_label = node
                .ancestors()
                .any(|a| a.tag_name().name() == "foreignObject");
            if !in_label || !LABEL_HTML.contains(&name.as_str()) {
                return Err(format!("has HTML <{name}> outside a label's allowlist"));
            }
        }
        for attribute in node.attributes() {
            let key = attribute.name().to_ascii_lowercase();
            let value = attribute.value().trim().to_ascii_lowercase();
            if key.starts_with("on") {
                return Err(format!("has an {key} attribute"));
            }
            if key == "href"
                && !(value.starts_with("http")
                    || value.starts_with("data:image/")
                    || value.starts_with('#')
                    || !value.contains(':'))
            {
                return Err(format!("links to {value}"));
            }
        }
        if name == "style" {
            let css = node.text().unwrap_or("").to_ascii_lowercase();
            for bad in [
                "@import",
                "expression(",
                "javascript:",
                "</style",
                "url(http",
                "url(//",
            ] {
                if css.contains(bad) {
                    return Err(format!("has {bad} in a stylesheet"));
                }
            }
        }
    }
    Ok(())
}

/// A reverse proxy that publishes Reef under `/reef` on its own port, the way nginx's
/// `location /reef/ { proxy_pass … }` does: only paths under `/reef` reach Reef (with the
/// prefix passed on, or stripped like `proxy_pass http://reef:8080/;`), anything else is 404,
/// so a URL Reef emits without the prefix breaks as it would in production.
pub struct SubPathProxy {
    /// `http://127.0.0.1:PORT`, the origin browsers see.
    pub origin: String,
    listener: Option<tokio::net::TcpListener>,
}

impl SubPathProxy {
    /// Binds the proxy's port first, so Reef can be told its public URL
    /// ([`SubPathProxy::public_url`]) before it starts.
    pub async fn bind() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        Self {
            origin,
            listener: Some(listener),
        }
    }

    /// The public URL to give Reef: `http://127.0.0.1:PORT/reef/`.
    pub fn public_url(&self) -> String {
        format!("{}/reef/", self.origin)
    }

    /// Where the browser starts: `http://127.0.0.1:PORT/reef`.
    pub fn base(&self) -> String {
        format!("{}/reef", self.origin)
    }

    /// Starts forwarding to `upstream` (Reef's own `http://127.0.0.1:PORT`).
    pub fn forward_to(&mut self, upstream: &str, strip: bool) {
        let listener = self.listener.take().expect("forwarding already");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let upstream = upstream.to_owned();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let (client, upstream) = (client.clone(), upstream.clone());
            async move { forward(&client, &upstream, strip, request).await }
        });
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
    }
}

async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    strip: bool,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let Some(rest) = path.strip_prefix("/reef") else {
        return (StatusCode::NOT_FOUND, "not under /reef").into_response();
    };
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')) {
        return (StatusCode::NOT_FOUND, "not under /reef").into_response();
    }
    let target = match (strip, rest) {
        (false, _) => format!("{upstream}{path}"),
        (true, "") => format!("{upstream}/"),
        (true, _) if rest.starts_with('?') => format!("{upstream}/{rest}"),
        (true, _) => format!("{upstream}{rest}"),
    };
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut outgoing = client.request(parts.method, target).body(body);
    for (name, value) in &parts.headers {
        if name != reqwest::header::HOST {
            outgoing = outgoing.header(name, value);
        }
    }
    let reply = outgoing.send().await.unwrap();
    let mut response = axum::response::Response::builder().status(reply.status());
    for (name, value) in reply.headers() {
        if name != reqwest::header::TRANSFER_ENCODING && name != reqwest::header::CONTENT_LENGTH {
            response = response.header(name, value);
        }
    }
    response
        .body(axum::body::Body::from(reply.bytes().await.unwrap()))
        .unwrap()
}
