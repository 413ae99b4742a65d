//! The access matrix: every route × every kind of caller → the status the policy promises.
//! The routes are read from the route tables themselves (the OpenAPI document for /api, the
//! `.route(...)` lines of src/web/mod.rs and src/lib.rs, the /mcp mount), so a new route fails
//! this test until its row is added to the table below.
//!
//! Policy (DESIGN.md): other accounts' diagrams answer 404, never 403; a token never
//! authenticates a page or /settings; a read token gets 403 insufficient_scope on writes except
//! POST /api/render; every API authentication failure is the same bare 401; a browser session's
//! API writes need the CSRF header; /mcp takes tokens only.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{PASSWORD, TestServer, extract_between, signed_in};
use reef::db::api_tokens::{self, Created, Issued};
use reef::db::diagrams::{self as db, Owner};
use reef::secret;
use reef::tokens::{Scope, TokenSecret, expiry};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const FLOW: &str = "flowchart LR\n  A[Start] --> B[End]\n";
const UNAUTHORIZED: &[u8] = br#"{"error":"unauthorized"}"#;
const SHARE: &str = "matrixshare00001";

/// Who calls. Sessions send their CSRF token (header on the API, form field on pages) as a
/// browser would; `OwnNoCsrf` is the owner's session without it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anon,
    Guest,
    OtherSession,
    OtherToken,
    Read,
    Write,
    Revoked,
    Expired,
    Own,
    OwnNoCsrf,
}

const WHO: [Who; 10] = [
    Who::Anon,
    Who::Guest,
    Who::OtherSession,
    Who::OtherToken,
    Who::Read,
    Who::Write,
    Who::Revoked,
    Who::Expired,
    Who::Own,
    Who::OwnNoCsrf,
];

// Codes: a status number; `401` is the bare {"error":"unauthorized"}; `403s` is
// insufficient_scope; `403c` a failed CSRF check; `login` a redirect to /login; any other 3xx
// redirects elsewhere. The owner's diagram is `{id}`, revision `{version}` is 1, `{share_id}`
// its live share link; token routes name one of the owner's live tokens.
const MATRIX: &str = "
//                                        anon  guest oth-s oth-t read  write revkd expd  own   own-nocsrf
GET    /api/me                            401   401   200   200   200   200   401   401   200   200
GET    /api/diagrams                      401   401   200   200   200   200   401   401   200   200
POST   /api/diagrams                      401   401   201   201   403s  201   401   401   201   403c
GET    /api/diagrams/{id}                 401   401   404   404   200   200   401   401   200   200
PUT    /api/diagrams/{id}                 401   401   404   404   403s  200   401   401   200   403c
PATCH  /api/diagrams/{id}                 401   401   404   404   403s  200   401   401   200   403c
DELETE /api/diagrams/{id}                 401   401   404   404   403s  204   401   401   204   403c
GET    /api/diagrams/{id}.svg             401   401   404   404   200   200   401   401   200   200
GET    /api/diagrams/{id}.png             401   401   404   404   200   200   401   401   200   200
GET    /api/diagrams/{id}.pdf             401   401   404   404   200   200   401   401   200   200
GET    /api/diagrams/{id}.txt             401   401   404   404   200   200   401   401   200   200
GET    /api/diagrams/{id}.mmd             401   401   404   404   200   200   401   401   200   200
POST   /api/diagrams/{id}/restore         401   401   404   404   403s  200   401   401   200   403c
POST   /api/diagrams/{id}/share           401   401   404   404   403s  200   401   401   200   403c
GET    /api/diagrams/{id}/revisions       401   401   404   404   200   200   401   401   200   200
GET    /api/diagrams/{id}/revisions/{version} 401 401 404  404   200   200   401   401   200   200
POST   /api/render                        401   401   200   200   200   200   401   401   200   403c
GET    /api/openapi.json                  200   200   200   200   200   200   200   200   200   200
POST   /mcp                               401   401   401   200   200   200   401   401   401   401
GET    /healthz                           200   200   200   200   200   200   200   200   200   200
GET    /                                  200   200   200   200   200   200   200   200   200   200
POST   /d                                 403c  303   303   403c  403c  403c  403c  403c  303   403c
GET    /d/{id}                            404   404   404   404   404   404   404   404   200   200
POST   /d/{id}                            403c  404   404   403c  403c  403c  403c  403c  303   403c
GET    /d/{id}/image.svg                  404   404   404   404   404   404   404   404   200   200
GET    /d/{id}/download/{ext}             404   404   404   404   404   404   404   404   200   200
POST   /d/{id}/delete                     403c  404   404   403c  403c  403c  403c  403c  303   403c
POST   /d/{id}/restore                    403c  404   404   403c  403c  403c  403c  403c  303   403c
POST   /d/{id}/purge                      403c  404   404   403c  403c  403c  403c  403c  303   403c
POST   /d/{id}/share                      403c  404   404   403c  403c  403c  403c  403c  303   403c
GET    /d/{id}/revisions                  404   404   404   404   404   404   404   404   200   200
GET    /d/{id}/revisions/{version}        404   404   404   404   404   404   404   404   200   200
GET    /d/{id}/revisions/{version}/image.svg 404 404 404   404   404   404   404   404   200   200
POST   /d/{id}/revisions/{version}/restore 403c 404  404   403c  403c  403c  403c  403c  303   403c
GET    /trash                             200   200   200   200   200   200   200   200   200   200
GET    /export.zip                        200   200   200   200   200   200   200   200   200   200
GET    /import                            303   303   303   303   303   303   303   303   303   303
POST   /import                            403c  303   303   403c  403c  403c  403c  403c  303   403c
POST   /style                             403c  200   200   403c  403c  403c  403c  403c  200   403c
POST   /d/{id}/style                      403c  404   404   403c  403c  403c  403c  403c  200   403c
POST   /new/{sample}/style                403c  200   200   403c  403c  403c  403c  403c  200   403c
GET    /guest/link                        303   303   303   303   303   303   303   303   303   303
GET    /new                               200   200   200   200   200   200   200   200   200   200
GET    /guest                             200   200   200   200   200   200   200   200   200   200
POST   /guest/link                        403c  200   303   403c  403c  403c  403c  403c  303   403c
POST   /guest/link/revoke                 403c  200   200   403c  403c  403c  403c  403c  200   403c
GET    /g/{secret}                        404   404   404   404   404   404   404   404   404   404
POST   /g/{secret}                        403c  404   404   403c  403c  403c  403c  403c  404   403c
GET    /new/{sample}                      200   200   200   200   200   200   200   200   200   200
GET    /new/{sample}/image.svg            200   200   200   200   200   200   200   200   200   200
POST   /preview                           403c  200   200   403c  403c  403c  403c  403c  200   403c
GET    /s/{share_id}                      200   200   200   200   200   200   200   200   200   200
GET    /s/{share_id}/image.svg            200   200   200   200   200   200   200   200   200   200
GET    /s/{share_id}/download/{ext}       200   200   200   200   200   200   200   200   200   200
GET    /static/{file}                     200   200   200   200   200   200   200   200   200   200
GET    /mermaid/{format}/{encoded}        200   200   200   200   200   200   200   200   200   200
POST   /mermaid/{format}                  200   200   200   200   200   200   200   200   200   200
POST   /mermaid                           200   200   200   200   200   200   200   200   200   200
POST   /                                  200   200   200   200   200   200   200   200   200   200
GET    /svg/{encoded}                     200   200   200   200   200   200   200   200   200   200
GET    /img/{encoded}                     200   200   200   200   200   200   200   200   200   200
GET    /login                             200   200   303   200   200   200   200   200   303   303
POST   /login                             403c  401   401   403c  403c  403c  403c  403c  401   403c
GET    /signup                            200   200   303   200   200   200   200   200   303   303
POST   /signup                            403c  422   422   403c  403c  403c  403c  403c  422   403c
POST   /logout                            403c  303   303   403c  403c  403c  403c  403c  303   403c
GET    /settings                          login login 200   login login login login login 200   200
POST   /settings/email                    login login 401   login login login login login 401   403c
POST   /settings/password                 login login 401   login login login login login 401   403c
POST   /settings/delete                   login login 401   login login login login login 401   403c
POST   /settings/tokens                   login login 422   login login login login login 422   403c
GET    /settings/tokens                   303   303   303   303   303   303   303   303   303   303
GET    /settings/tokens/{id}/regenerate   303   303   303   303   303   303   303   303   303   303
POST   /settings/tokens/revoke-all        login login 303   login login login login login 303   403c
POST   /settings/tokens/{id}/revoke       login login 404   login login login login login 303   403c
POST   /settings/tokens/{id}/regenerate   login login 404   login login login login login 200   403c
";

/// With accounts off there are no sessions or accounts: columns are no cookie, a guest who
/// owns nothing, a bearer token (valid before accounts were turned off), and the guest who
/// owns the diagram.
const MATRIX_ACCOUNTS_OFF: &str = "
//                                        anon  guest token owner
GET    /api/me                            401   401   401   401
GET    /api/diagrams                      401   401   401   401
POST   /api/diagrams                      401   401   401   401
GET    /api/diagrams/{id}                 401   401   401   401
PUT    /api/diagrams/{id}                 401   401   401   401
PATCH  /api/diagrams/{id}                 401   401   401   401
DELETE /api/diagrams/{id}                 401   401   401   401
GET    /api/diagrams/{id}.svg             401   401   401   401
GET    /api/diagrams/{id}.png             401   401   401   401
GET    /api/diagrams/{id}.pdf             401   401   401   401
GET    /api/diagrams/{id}.txt             401   401   401   401
GET    /api/diagrams/{id}.mmd             401   401   401   401
POST   /api/diagrams/{id}/restore         401   401   401   401
POST   /api/diagrams/{id}/share           401   401   401   401
GET    /api/diagrams/{id}/revisions       401   401   401   401
GET    /api/diagrams/{id}/revisions/{version} 401 401 401  401
POST   /api/render                        401   401   401   401
GET    /api/openapi.json                  200   200   200   200
POST   /mcp                               401   401   401   401
GET    /healthz                           200   200   200   200
GET    /                                  200   200   200   200
POST   /d                                 403c  303   403c  303
GET    /d/{id}                            404   404   404   200
POST   /d/{id}                            403c  404   403c  303
GET    /d/{id}/image.svg                  404   404   404   200
GET    /d/{id}/download/{ext}             404   404   404   200
POST   /d/{id}/delete                     403c  404   403c  303
POST   /d/{id}/restore                    403c  404   403c  303
POST   /d/{id}/purge                      403c  404   403c  303
POST   /d/{id}/share                      403c  404   403c  303
GET    /d/{id}/revisions                  404   404   404   200
GET    /d/{id}/revisions/{version}        404   404   404   200
GET    /d/{id}/revisions/{version}/image.svg 404 404 404   200
POST   /d/{id}/revisions/{version}/restore 403c 404  403c  303
GET    /trash                             200   200   200   200
GET    /export.zip                        200   200   200   200
GET    /import                            303   303   303   303
POST   /import                            403c  303   403c  303
POST   /style                             403c  200   403c  200
POST   /d/{id}/style                      403c  404   403c  200
POST   /new/{sample}/style                403c  200   403c  200
GET    /guest/link                        303   303   303   303
GET    /new                               200   200   200   200
GET    /guest                             200   200   200   200
POST   /guest/link                        403c  200   403c  200
POST   /guest/link/revoke                 403c  200   403c  200
GET    /g/{secret}                        404   404   404   404
POST   /g/{secret}                        403c  404   403c  404
GET    /new/{sample}                      200   200   200   200
GET    /new/{sample}/image.svg            200   200   200   200
POST   /preview                           403c  200   403c  200
GET    /s/{share_id}                      200   200   200   200
GET    /s/{share_id}/image.svg            200   200   200   200
GET    /s/{share_id}/download/{ext}       200   200   200   200
GET    /static/{file}                     200   200   200   200
GET    /mermaid/{format}/{encoded}        200   200   200   200
POST   /mermaid/{format}                  200   200   200   200
POST   /mermaid                           200   200   200   200
POST   /                                  200   200   200   200
GET    /svg/{encoded}                     200   200   200   200
GET    /img/{encoded}                     200   200   200   200
GET    /login                             404   404   404   404
POST   /login                             404   404   404   404
GET    /signup                            404   404   404   404
POST   /signup                            404   404   404   404
POST   /logout                            404   404   404   404
GET    /settings                          404   404   404   404
POST   /settings/email                    404   404   404   404
POST   /settings/password                 404   404   404   404
POST   /settings/delete                   404   404   404   404
POST   /settings/tokens                   404   404   404   404
GET    /settings/tokens                   404   404   404   404
GET    /settings/tokens/{id}/regenerate   404   404   404   404
POST   /settings/tokens/revoke-all        404   404   404   404
POST   /settings/tokens/{id}/revoke       404   404   404   404
POST   /settings/tokens/{id}/regenerate   404   404   404   404
";

type Route = (String, String);

fn table(text: &str, columns: usize) -> BTreeMap<Route, Vec<String>> {
    let mut rows = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), 2 + columns, "malformed row: {line}");
        let route = (cells[0].to_owned(), cells[1].to_owned());
        let codes = cells[2..].iter().map(|c| (*c).to_owned()).collect();
        assert!(rows.insert(route, codes).is_none(), "duplicate row: {line}");
    }
    rows
}

/// `.route("path", get(..).post(..))` (and `route_service("path", ..)`, which is POST-only
/// for /mcp) entries of a Rust router source, each with whether it sits in the accounts-only
/// block.
fn routes_in_source(source: &str) -> Vec<(Route, bool)> {
    let accounts_from = source
        .find("if state.config.accounts")
        .unwrap_or(source.len());
    let mut found = Vec::new();
    for (marker, service) in [(".route(", false), (".route_service(", true)] {
        let mut from = 0;
        while let Some(at) = source[from..].find(marker) {
            let start = from + at + marker.len();
            from = start;
            let rest = source[start..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let path = &rest[..rest.find('"').unwrap()];
            // The handler expression runs to the parenthesis closing `.route(`.
            let mut depth = 1;
            let mut end = 0;
            for (i, ch) in source[start..].char_indices() {
                match ch {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = start + i;
                    break;
                }
            }
            let handlers = &source[start..end];
            let accounts = start > accounts_from;
            if service {
                found.push((("POST".to_owned(), path.to_owned()), accounts));
                continue;
            }
            for method in ["get", "post", "put", "patch", "delete"] {
                let called = handlers
                    .match_indices(&format!("{method}("))
                    .any(|(i, _)| i == 0 || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric());
                if called {
                    found.push(((method.to_uppercase(), path.to_owned()), accounts));
                }
            }
        }
    }
    found
}

/// Every route Reef serves outside /api, from the route tables' source.
fn source_routes() -> Vec<(Route, bool)> {
    let mut all = routes_in_source(include_str!("../src/web/mod.rs"));
    let lib = include_str!("../src/lib.rs");
    all.extend(routes_in_source(lib));
    assert!(lib.contains("mcp::router("), "the /mcp mount moved");
    all.extend(routes_in_source(include_str!("../src/mcp/mod.rs")));
    all
}

/// Every (METHOD, /api/...) the OpenAPI document lists.
async fn api_routes(server: &TestServer) -> (Value, Vec<Route>) {
    let doc: Value = reqwest::get(server.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                found.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    (doc, found)
}

/// A valid JSON body for an operation, from its documented request schema.
fn example_body(doc: &Value, operation: &Value) -> Option<Value> {
    let resolve = |node: &Value| -> Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(p) => doc.pointer(p.trim_start_matches('#')).unwrap().clone(),
            None => node.clone(),
        }
    };
    let schema = resolve(operation.pointer("/requestBody/content/application~1json/schema")?);
    let mut body = serde_json::Map::new();
    for name in schema["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap();
        let value = match resolve(&schema["properties"][name])["type"].as_str() {
            Some("boolean") => json!(true),
            _ if name == "source" => json!(FLOW),
            _ => json!("Matrix"),
        };
        body.insert(name.to_owned(), value);
    }
    Some(Value::Object(body))
}

/// A browser identity: its guest cookie and the CSRF token its pages carry.
struct Browserish {
    guest: String,
    csrf: String,
}

async fn browserish(server: &TestServer) -> Browserish {
    let guest = secret::new_cookie_secret();
    let csrf = csrf_of(server, &format!("reef_guest={guest}")).await;
    Browserish { guest, csrf }
}

/// The CSRF token the pages carry for a browser sending `cookie`.
async fn csrf_of(server: &TestServer, cookie: &str) -> String {
    let page = reqwest::Client::new()
        .get(server.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    extract_between(&page, "name=\"csrf-token\" content=\"", "\"").unwrap()
}

/// What one request carries.
#[derive(Default)]
struct Creds {
    cookie: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
}

struct World {
    server: TestServer,
    owner: i64,
    other: i64,
    diagram: String,
    asset: String,
    owner_browser: Browserish,
    other_browser: Browserish,
    guest: Browserish,
    revoked: String,
    expired: String,
}

fn user_id(server: &TestServer, email: &str) -> i64 {
    let conn = server.state.db.conn().unwrap();
    reef::db::users::by_email(&conn, email)
        .unwrap()
        .unwrap()
        .0
        .id
}

/// A fresh session for `user`, so a request that signs out cannot affect the next.
fn mint_session(server: &TestServer, user: i64) -> String {
    let value = secret::new_cookie_secret();
    let hash = secret::sha256(&secret::parse_cookie_secret(&value).unwrap());
    let conn = server.state.db.conn().unwrap();
    reef::db::sessions::create(&conn, &hash, user, server.state.clock.now()).unwrap();
    value
}

/// A fresh live token for `user`: its secret and id.
fn mint_token(server: &TestServer, user: i64, scope: Scope) -> (String, i64) {
    let secret = TokenSecret::generate();
    let now = server.state.clock.now();
    let issued = Issued {
        hash: secret.hash().0,
        last4: secret.last4(),
        created_at: now,
        expires_at: expiry(now),
    };
    let mut conn = server.state.db.conn().unwrap();
    // Live token names are unique per account.
    let name = format!("matrix {}", secret.last4());
    match api_tokens::create(
        &mut conn,
        user,
        &name,
        scope.as_str(),
        &issued,
        Default::default(),
    )
    .unwrap()
    {
        Created::Ok(token) => (secret.expose().to_owned(), token.id),
        Created::CapReached | Created::NameTaken => panic!("token not made"),
    }
}

impl World {
    /// Two accounts; the owner's revoked and expired tokens made through Settings; then six
    /// months pass and the owner has a diagram with a revision and a live share link.
    async fn new() -> Self {
        let server = TestServer::start_with(|c| {
            c.open_signups = true;
            c.public_render = true;
            c.rate_read_per_min = 0;
            c.rate_write_per_min = 0;
        })
        .await;
        let owner_b = signed_in(&server, "owner@example.net").await;
        let other_b = server.browser();
        assert!(
            other_b
                .sign_up("other@example.net", PASSWORD)
                .await
                .status
                .is_redirection()
        );
        let revoked = owner_b.create_token("revoked", "read-write").await;
        let id = owner_b.token_id("revoked").await;
        owner_b
            .post(&format!("/settings/tokens/{id}/revoke"), &[])
            .await
            .assert_redirect("/settings?done=revoked#tokens");
        let expired = owner_b.create_token("expired", "read-write").await;
        let now = server.state.clock.now();
        server.state.clock.advance(expiry(now) - now + 86_400);

        let owner = user_id(&server, "owner@example.net");
        let other = user_id(&server, "other@example.net");
        let (token, _) = mint_token(&server, owner, Scope::ReadWrite);
        let diagram = common::Api::new(&server, &token)
            .create("Owned", FLOW)
            .await;
        let page = owner_b.get("/").await;
        let asset = extract_between(&page.body, "href=\"/static/", "\"").unwrap();
        let world = World {
            owner_browser: browserish(&server).await,
            other_browser: browserish(&server).await,
            guest: browserish(&server).await,
            server,
            owner,
            other,
            diagram,
            asset,
            revoked,
            expired,
        };
        world.cleanup();
        world
    }

    /// A fresh session of `user` in browser `b`, with the CSRF token its pages carry (it is
    /// bound to the session) when `csrf`.
    async fn session(&self, user: i64, b: &Browserish, csrf: bool) -> Creds {
        let cookie = format!(
            "reef_guest={}; reef_session={}",
            b.guest,
            mint_session(&self.server, user)
        );
        let csrf = if csrf {
            Some(csrf_of(&self.server, &cookie).await)
        } else {
            None
        };
        Creds {
            cookie: Some(cookie),
            csrf,
            bearer: None,
        }
    }

    async fn creds(&self, who: Who) -> Creds {
        let token = |user: i64, scope: Scope| Creds {
            bearer: Some(mint_token(&self.server, user, scope).0),
            ..Creds::default()
        };
        match who {
            Who::Anon => Creds::default(),
            Who::Guest => Creds {
                cookie: Some(format!("reef_guest={}", self.guest.guest)),
                csrf: Some(self.guest.csrf.clone()),
                bearer: None,
            },
            Who::OtherSession => self.session(self.other, &self.other_browser, true).await,
            Who::OtherToken => token(self.other, Scope::ReadWrite),
            Who::Read => token(self.owner, Scope::Read),
            Who::Write => token(self.owner, Scope::ReadWrite),
            Who::Revoked => Creds {
                bearer: Some(self.revoked.clone()),
                ..Creds::default()
            },
            Who::Expired => Creds {
                bearer: Some(self.expired.clone()),
                ..Creds::default()
            },
            Who::Own => self.session(self.owner, &self.owner_browser, true).await,
            Who::OwnNoCsrf => self.session(self.owner, &self.owner_browser, false).await,
        }
    }

    /// Puts the owner's diagram back (made again after a purge): live, or in the trash for a
    /// restore or purge route; shared at
    /// [`SHARE`].
    fn reset(&self, path: &str) {
        let owner = Owner::User(self.owner);
        let conn = self.server.state.db.conn().unwrap();
        let now = self.server.state.clock.now();
        if db::get(&conn, &owner, &self.diagram).unwrap().is_none() {
            // Deleted for good by the route before: the same diagram again.
            db::create(&conn, &owner, &self.diagram, "Owned", FLOW, now).unwrap();
        }
        db::restore(&conn, &owner, &self.diagram).unwrap();
        db::set_share(&conn, &owner, &self.diagram, db::Sharing::Renew(SHARE))
            .unwrap()
            .unwrap();
        if path.ends_with("{id}/restore") || path.ends_with("{id}/purge") {
            db::trash_one(&conn, &owner, &self.diagram, now).unwrap();
        }
    }

    /// Revokes every live token, so the per-account cap never fills.
    fn cleanup(&self) {
        let mut conn = self.server.state.db.conn().unwrap();
        let now = self.server.state.clock.now();
        for user in [self.owner, self.other] {
            api_tokens::revoke_all(&mut conn, user, Default::default(), now).unwrap();
        }
    }
}

/// The path with its parameters filled in.
fn fill(template: &str, diagram: &str, token: Option<i64>, asset: &str) -> String {
    let mut path = template
        .replace("{version}", "1")
        .replace("{share_id}", SHARE)
        .replace("{file}", asset);
    if template.starts_with("/settings/tokens/") {
        path = path.replace("{id}", &token.unwrap().to_string());
    }
    if template.contains("{encoded}") {
        use base64::Engine;
        // Kroki's URLs carry the text deflated, mermaid.ink's plain base64 takes it as is.
        let encoded = if template.starts_with("/mermaid/") {
            let mut zlib =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut zlib, FLOW.as_bytes()).unwrap();
            base64::engine::general_purpose::URL_SAFE.encode(zlib.finish().unwrap())
        } else {
            base64::engine::general_purpose::STANDARD.encode(FLOW)
        };
        path = path
            .replace("{format}", "svg")
            .replace("{encoded}", &encoded);
    }
    path = path
        .replace("{format}", "svg")
        .replace("{ext}", "svg")
        .replace("{sample}", "sequence")
        .replace("{secret}", &"ab".repeat(32));
    path.replace("{id}", diagram)
}

/// The form fields a page's POST carries: valid where harmless; a wrong password, a too-short
/// one or an empty name where the route would otherwise change or delete the account.
fn form_fields(template: &str) -> Vec<(&'static str, String)> {
    let fields: &[(&str, &str)] = match template {
        "/d/{id}" => &[("title", "Matrix"), ("source", FLOW)],
        "/d/{id}/style" | "/new/{sample}/style" => {
            &[("title", "Matrix"), ("source", FLOW), ("theme", "forest")]
        }
        "/d/{id}/share" => &[("enabled", "on")],
        "/login" => &[
            ("email", "owner@example.net"),
            ("password", "not the password"),
        ],
        "/signup" => &[("email", "new@example.net"), ("password", "short")],
        "/settings/email" => &[
            ("email", "renamed@example.net"),
            ("current_password", "not the password"),
        ],
        "/settings/password" => &[
            ("current_password", "not the password"),
            ("new_password", "a long enough new password"),
        ],
        "/settings/delete" => &[("current_password", "not the password")],
        "/settings/tokens" => &[("name", ""), ("scope", "read"), ("nonce", "")],
        _ => &[],
    };
    fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// What came back, as a code of the table.
async fn observe(response: reqwest::Response, api: bool) -> String {
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let response_challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.bytes().await.unwrap();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if status.is_client_error() {
        // Every refusal comes in the route's own format.
        if api {
            assert!(
                json["error"].is_string(),
                "not the envelope: {status} {}",
                String::from_utf8_lossy(&body)
            );
        } else if !json["error"].is_string() {
            assert!(
                content_type.starts_with("text/html"),
                "{status} {content_type}"
            );
        }
    }
    match status {
        StatusCode::UNAUTHORIZED if api => {
            let challenge = response_challenge.as_deref() == Some("Bearer");
            if &body[..] == UNAUTHORIZED && challenge {
                "401".into()
            } else {
                format!("401 with {}", String::from_utf8_lossy(&body))
            }
        }
        StatusCode::FORBIDDEN if json["error"] == "insufficient_scope" => "403s".into(),
        StatusCode::FORBIDDEN
            if json["error"] == "csrf_failed" || (!api && json["error"].is_null()) =>
        {
            "403c".into()
        }
        s if s.is_redirection() && location.as_deref() == Some("/login") => "login".into(),
        s => s.as_str().to_owned(),
    }
}

/// Where requests go: the server, the owner's diagram, an asset, and (with accounts) the
/// owner whose spare token the token routes name.
struct Target<'a> {
    server: &'a TestServer,
    diagram: &'a str,
    asset: &'a str,
    token_owner: Option<i64>,
}

async fn call(
    target: &Target<'_>,
    doc: &Value,
    method: &str,
    template: &str,
    creds: &Creds,
) -> String {
    let spare = match target.token_owner {
        Some(owner) if template.starts_with("/settings/tokens/") => {
            Some(mint_token(target.server, owner, Scope::Read).1)
        }
        _ => Some(1),
    };
    let path = fill(template, target.diagram, spare, target.asset);
    let api = template.starts_with("/api/") || template == "/mcp";
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        target.server.url(&path),
    );
    if let Some(cookie) = &creds.cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(bearer) = &creds.bearer {
        request = request.bearer_auth(bearer);
    }
    if let Some(csrf) = creds
        .csrf
        .as_ref()
        .filter(|_| api || template == "/preview" || template == "/style")
    {
        request = request.header("x-csrf-token", csrf);
    }
    if template == "/mcp" {
        request = request
            .header("accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}));
    } else if template == "/preview" || template == "/style" {
        request = request.json(&json!({"source": FLOW, "theme": "forest"}));
    } else if template == "/import" && method == "POST" {
        // The page's import form: multipart, a Mermaid file and the CSRF field.
        let file = reqwest::multipart::Part::bytes(FLOW.as_bytes().to_vec()).file_name("a.mmd");
        let mut form = reqwest::multipart::Form::new().part("file", file);
        if let Some(csrf) = &creds.csrf {
            form = form.text("csrf", csrf.clone());
        }
        request = request.multipart(form);
    } else if method == "POST" && (template == "/" || template.starts_with("/mermaid")) {
        request = request.json(&json!({
            "diagram_source": FLOW,
            "diagram_type": "mermaid",
            "output_format": "svg",
        }));
    } else if api {
        let operation = &doc["paths"][template][method.to_lowercase()];
        if let Some(body) = example_body(doc, operation) {
            request = request.json(&body);
        }
    } else if method == "POST" {
        let mut fields = form_fields(template);
        if let Some(csrf) = &creds.csrf {
            fields.push(("csrf", csrf.clone()));
        }
        request = request.form(&fields);
    }
    observe(request.send().await.unwrap(), api).await
}

/// A row whose observed codes differ from the expected ones, as a table line.
fn differs(route: &Route, observed: &[String], expected: &[String]) -> Option<String> {
    (observed != expected).then(|| {
        format!(
            "{:<6} {:<34} {}\n   expected {}",
            route.0,
            route.1,
            observed.join(" "),
            expected.join(" ")
        )
    })
}

/// Runs every row for every column and returns the rows that differ.
async fn run(world: &World, doc: &Value, expected: &BTreeMap<Route, Vec<String>>) -> Vec<String> {
    let target = Target {
        server: &world.server,
        diagram: &world.diagram,
        asset: &world.asset,
        token_owner: Some(world.owner),
    };
    let mut wrong = Vec::new();
    for (route, codes) in expected {
        let mut observed = Vec::new();
        for who in WHO {
            world.reset(&route.1);
            let creds = world.creds(who).await;
            observed.push(call(&target, doc, &route.0, &route.1, &creds).await);
            world.cleanup();
        }
        wrong.extend(differs(route, &observed, codes));
    }
    wrong
}

/// Routes served (from the source and the document) versus rows in a matrix.
fn check_coverage(served: &BTreeSet<Route>, expected: &BTreeMap<Route, Vec<String>>, which: &str) {
    let rows: BTreeSet<Route> = expected.keys().cloned().collect();
    let missing: Vec<_> = served.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(served).collect();
    assert!(
        missing.is_empty(),
        "{which}: routes with no expectation in the matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "{which}: rows for routes that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn every_route_answers_every_kind_of_caller_as_the_policy_says() {
    let world = World::new().await;
    let (doc, api) = api_routes(&world.server).await;
    let expected = table(MATRIX, WHO.len());
    let served: BTreeSet<Route> = api
        .into_iter()
        .chain(source_routes().into_iter().map(|(route, _)| route))
        .collect();
    assert!(served.len() >= 45, "{served:?}");
    check_coverage(&served, &expected, "accounts on");

    let wrong = run(&world, &doc, &expected).await;
    assert!(wrong.is_empty(), "observed differs:\n{}", wrong.join("\n"));

    // Creates landed in the caller's own account: the owner's diagram plus two API creates
    // (write token, session), the New button and an import; the other account's two, its New
    // button and its import.
    let conn = world.server.state.db.conn().unwrap();
    let count = |user: i64| {
        db::list(&conn, &Owner::User(user), None, 100)
            .unwrap()
            .0
            .len()
    };
    assert_eq!((count(world.owner), count(world.other)), (5, 4));
}

#[tokio::test]
async fn with_accounts_off_account_routes_are_gone_and_bearer_tokens_get_401() {
    let server = TestServer::start_with(|c| {
        c.accounts = false;
        c.public_render = true;
        c.rate_read_per_min = 0;
        c.rate_write_per_min = 0;
    })
    .await;
    // A database that had an account and a token before accounts were turned off.
    let user = {
        let conn = server.state.db.conn().unwrap();
        match reef::db::users::create(
            &conn,
            "old@example.net",
            "x",
            false,
            false,
            reef::db::UnixTime(0),
        )
        .unwrap()
        {
            reef::db::users::Created::Ok(user) => user,
            _ => panic!("could not make the account"),
        }
    };
    let owner = browserish(&server).await;
    let guest = browserish(&server).await;
    // The owning guest makes a diagram with the New button.
    let created = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url("/d"))
        .header("cookie", format!("reef_guest={}", owner.guest))
        .form(&[("csrf", owner.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let diagram = created.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/d/")
        .to_owned();
    let page = reqwest::get(server.url("/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let asset = extract_between(&page, "href=\"/static/", "\"").unwrap();
    let (token, _) = mint_token(&server, user.id, Scope::ReadWrite);

    let (doc, api) = api_routes(&server).await;
    let expected = table(MATRIX_ACCOUNTS_OFF, 4);
    let served: BTreeSet<Route> = api
        .into_iter()
        .chain(source_routes().into_iter().map(|(route, _)| route))
        .collect();
    check_coverage(&served, &expected, "accounts off");
    let accounts_only: BTreeSet<Route> = source_routes()
        .into_iter()
        .filter_map(|(route, accounts)| accounts.then_some(route))
        .collect();
    assert!(accounts_only.len() >= 10, "{accounts_only:?}");
    for route in &accounts_only {
        assert!(
            expected[route].iter().all(|c| c == "404"),
            "{route:?} must not exist with accounts off"
        );
    }

    let guest_of = |b: &Browserish| Creds {
        cookie: Some(format!("reef_guest={}", b.guest)),
        csrf: Some(b.csrf.clone()),
        bearer: None,
    };
    let columns = [
        Creds::default(),
        guest_of(&guest),
        Creds {
            bearer: Some(token),
            ..Creds::default()
        },
        guest_of(&owner),
    ];
    let target = Target {
        server: &server,
        diagram: &diagram,
        asset: &asset,
        token_owner: None,
    };
    let owner_id = Owner::Guest(secret::sha256(
        &secret::parse_cookie_secret(&owner.guest).unwrap(),
    ));
    let mut wrong = Vec::new();
    for (route, codes) in &expected {
        let mut observed = Vec::new();
        for creds in &columns {
            {
                let conn = server.state.db.conn().unwrap();
                let now = server.state.clock.now();
                if db::get(&conn, &owner_id, &diagram).unwrap().is_none() {
                    db::create(&conn, &owner_id, &diagram, "Owned", FLOW, now).unwrap();
                }
                db::restore(&conn, &owner_id, &diagram).unwrap();
                db::set_share(&conn, &owner_id, &diagram, db::Sharing::Renew(SHARE))
                    .unwrap()
                    .unwrap();
                if route.1.ends_with("{id}/restore") || route.1.ends_with("{id}/purge") {
                    db::trash_one(&conn, &owner_id, &diagram, now).unwrap();
                }
            }
            observed.push(call(&target, &doc, &route.0, &route.1, creds).await);
        }
        wrong.extend(differs(route, &observed, codes));
    }
    assert!(wrong.is_empty(), "observed differs:\n{}", wrong.join("\n"));
}
