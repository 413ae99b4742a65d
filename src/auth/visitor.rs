//! The `Visitor` extractor: every browser request has a guest identity (a long random cookie)
//! and, with accounts on, maybe a signed-in session. The CSRF token is an HMAC, under a key
//! only the server knows, of the session (when signed in) or the guest identity, so it
//! changes at sign-in and sign-out and a cookie planted by another app on the same host
//! cannot be turned into a valid token. Unsafe requests must also come from our own origin
//! (`Sec-Fetch-Site`, else `Origin`), and a request carrying two Reef cookies of one name is
//! refused.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use tower_cookies::cookie::SameSite;
use tower_cookies::cookie::time::Duration as CookieDuration;
use tower_cookies::{Cookie, Cookies};

use crate::accounts::{self, User};
use crate::diagrams::{Owner, Requester};
use crate::error::AppError;
use crate::secret;
use crate::state::AppState;

/// The session cookie: 32 random bytes in hex; the store keeps its SHA-256.
pub const SESSION_COOKIE: &str = "reef_session";
/// The guest cookie: 32 random bytes in hex, for 400 days; guest diagrams are owned by its
/// SHA-256.
pub const GUEST_COOKIE: &str = "reef_guest";

/// The names Reef's cookies go by: with Secure cookies configured, `__Host-` prefixed
/// (RFC 6265bis §4.1.3.2): a browser accepts such a cookie only from this very host, over
/// HTTPS, for path `/`, so no sibling subdomain can plant one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieNames {
    pub session: &'static str,
    pub guest: &'static str,
}

impl CookieNames {
    /// The names for a server whose cookies are Secure (`secure_cookies`) or not.
    pub fn new(secure_cookies: bool) -> Self {
        if secure_cookies {
            Self {
                session: "__Host-reef_session",
                guest: "__Host-reef_guest",
            }
        } else {
            Self {
                session: SESSION_COOKIE,
                guest: GUEST_COOKIE,
            }
        }
    }
}
/// The header a page's script sends its CSRF token in (`fetch` requests, not forms).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A browser: its guest identity, the signed-in account if any, and its CSRF token.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub user: Option<User>,
    pub guest: [u8; 32],
    /// SHA-256 of the session cookie, when signed in.
    pub session: Option<[u8; 32]>,
    pub csrf: String,
    pub cookies: Cookies,
    /// Cookies get `Secure`: configured so, or a trusted proxy says the client used HTTPS.
    pub secure: bool,
    /// The names of Reef's cookies for this server.
    pub names: CookieNames,
    /// An unsafe request that a browser says came from another site (or another origin).
    pub cross_site: bool,
    /// The client's address (behind a trusted proxy, the one it reports).
    pub ip: std::net::IpAddr,
    /// The `User-Agent` header as sent (at most 512 bytes kept), described for the security
    /// log only when an account event needs it.
    pub user_agent: Option<String>,
}

impl Visitor {
    /// Who owns what this browser makes: the account when signed in, else the guest.
    pub fn owner(&self) -> Owner {
        match &self.user {
            Some(user) => Owner::User(user.id),
            None => Owner::Guest(self.guest),
        }
    }

    /// Whose render queue this browser's drawings wait in: its account when signed in, else
    /// its address (guest identities cost nothing to make; an address does).
    pub fn requester(&self) -> Requester {
        match &self.user {
            Some(user) => Requester::account(user.id),
            None => Requester::address(self.ip),
        }
    }

    /// This browser as a sign-in sees it (its session is replaced, its guest work moves in).
    pub fn browser(&self, ip: std::net::IpAddr) -> accounts::Browser {
        accounts::Browser {
            session: self.session,
            guest: self.guest,
            client: self.client(ip),
        }
    }

    /// Where an account event comes from: `ip` and this browser, described.
    pub fn client(&self, ip: std::net::IpAddr) -> accounts::Client {
        accounts::Client {
            ip,
            agent: self.user_agent.as_deref().and_then(super::describe_browser),
        }
    }

    /// Sets the session cookie of a sign-in made in this browser.
    pub fn start_session(&self, session: accounts::NewSession) {
        self.cookies.add(make_cookie(
            self.names.session,
            session.cookie,
            self.secure,
            accounts::SESSION_DAYS,
        ));
    }

    /// Forgets the session cookie (after sign-out or account deletion) and gives the browser
    /// a new guest identity, so what is made here next is not mixed with what came before.
    pub fn end_session(&self) {
        self.cookies.remove(removal_cookie(self.names.session));
        self.cookies.add(make_cookie(
            self.names.guest,
            secret::new_cookie_secret(),
            self.secure,
            GUEST_DAYS,
        ));
    }

    /// Checks that an unsafe request comes from our own pages: not cross-site, and carrying
    /// this browser's CSRF token (compared in constant time).
    ///
    /// # Errors
    /// [`AppError::Csrf`] otherwise.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if self.cross_site {
            return Err(AppError::Csrf);
        }
        if secret::ct_eq(self.csrf.as_bytes(), submitted.trim().as_bytes()) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        }
    }
}

/// The CSRF token a script sent in the [`CSRF_HEADER`] header (empty when absent).
pub struct CsrfHeader(pub String);

impl CsrfHeader {
    /// The header's value, or empty when it is absent or not text.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        Self(
            headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfHeader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// A cookie as Reef sets them: HttpOnly, SameSite=Lax, path /, Secure behind HTTPS.
fn make_cookie(
    name: &'static str,
    value: String,
    secure: bool,
    max_age_days: i64,
) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c.set_max_age(CookieDuration::days(max_age_days));
    c
}

fn removal_cookie(name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::new(name, "");
    c.set_path("/");
    c
}

/// How long a guest cookie lives, in days (the most browsers keep one).
const GUEST_DAYS: i64 = 400;

/// The CSRF token of a browser: HMAC-SHA-256 under the server's key of its session (the hash
/// of the session cookie) when signed in, else of its guest identity.
fn csrf_for(key: &[u8; 32], session: Option<&[u8; 32]>, guest: &[u8; 32]) -> String {
    let (kind, id): (&[u8], &[u8; 32]) = match session {
        Some(session) => (b"session", session),
        None => (b"guest", guest),
    };
    hex::encode(secret::hmac_sha256(
        key,
        &[b"reef-csrf-v2\0", kind, b"\0", id],
    ))
}

/// Whether a request carries the same Reef cookie twice (one of them planted by another app
/// on this host, or a sibling subdomain); which one wins would be the browser's choice.
fn duplicated(headers: &axum::http::HeaderMap, names: CookieNames) -> bool {
    let mut counts = [0u8; 2];
    for value in headers.get_all(axum::http::header::COOKIE) {
        let Ok(text) = value.to_str() else {
            continue;
        };
        for pair in text.split(';') {
            let name = pair.split('=').next().unwrap_or("").trim();
            if name == names.session {
                counts[0] = counts[0].saturating_add(1);
            } else if name == names.guest {
                counts[1] = counts[1].saturating_add(1);
            }
        }
    }
    counts.iter().any(|&n| n > 1)
}

/// Whether an unsafe request comes from elsewhere: `Sec-Fetch-Site` other than
/// `same-origin` (or `none`, typed by the person), or without it an `Origin` that is not
/// this server's. Requests with neither (non-browser clients) pass; their CSRF token still
/// must match.
fn cross_site(config: &crate::config::Config, parts: &Parts) -> bool {
    use axum::http::Method;
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = parts.headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    match parts.headers.get(axum::http::header::ORIGIN) {
        None => false,
        Some(origin) => {
            let origin = origin.to_str().unwrap_or("null");
            !crate::http::own_origins(config, parts)
                .iter()
                .any(|own| own.eq_ignore_ascii_case(origin))
        }
    }
}

impl<S> FromRequestParts<S> for Visitor
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(v) = parts.extensions.get::<Visitor>() {
            return Ok(v.clone());
        }
        let state = AppState::from_ref(state);
        let forwarded = crate::http::forwarded::Forwarded::from_parts(&state.config, parts);
        let secure = state.config.secure_cookies || forwarded.https;
        let names = CookieNames::new(state.config.secure_cookies);
        if duplicated(&parts.headers, names) {
            return Err(AppError::BadRequest(
                "Your browser sent two Reef cookies with the same name; another site on this host may have set one. Clear this site's cookies, then reload.".into(),
            ));
        }
        let cross_site = cross_site(&state.config, parts);
        let cookies = Cookies::from_request_parts(parts, &state)
            .await
            .map_err(|(_, msg)| AppError::Internal(msg.to_owned()))?;

        let guest = match cookies
            .get(names.guest)
            .and_then(|c| secret::parse_cookie_secret(c.value()))
        {
            Some(raw) => secret::sha256(&raw),
            None => {
                let value = secret::new_cookie_secret();
                let raw = secret::parse_cookie_secret(&value)
                    .ok_or_else(|| AppError::Internal("guest id".into()))?;
                cookies.add(make_cookie(names.guest, value, secure, GUEST_DAYS));
                secret::sha256(&raw)
            }
        };

        // The session cookie's value (to renew it) and its hash (what the store knows).
        let session_cookie = cookies
            .get(names.session)
            .filter(|_| state.config.accounts)
            .and_then(|c| {
                let raw = secret::parse_cookie_secret(c.value())?;
                Some((c.value().to_owned(), secret::sha256(&raw)))
            });
        let session = session_cookie.as_ref().map(|(_, hash)| *hash);
        let seen = match session {
            Some(hash) => accounts::session_user(&state, hash).await?,
            None => None,
        };
        if let (Some(seen), Some((value, _))) = (&seen, session_cookie)
            && seen.renewed
        {
            // A session in use lives 30 days from its last use, in the browser too.
            cookies.add(make_cookie(
                names.session,
                value,
                secure,
                accounts::SESSION_DAYS,
            ));
        }
        let user = seen.map(|s| s.user);
        let session = user.as_ref().and(session);
        let visitor = Visitor {
            csrf: csrf_for(&state.keys.csrf, session.as_ref(), &guest),
            session,
            user,
            guest,
            cookies,
            secure,
            names,
            cross_site,
            ip: forwarded.client,
            user_agent: parts
                .headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
        };
        parts.extensions.insert(visitor.clone());
        Ok(visitor)
    }
}

/// A signed-in visitor. Without accounts the route does not exist; without a session the
/// browser is sent to sign in.
pub struct SignedIn {
    pub user: User,
    pub visitor: Visitor,
}

/// Why a [`SignedIn`] route did not run: an error page, or a redirect to `/login`.
pub enum SignInRequired {
    Error(AppError),
    Redirect,
}

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        match self {
            SignInRequired::Error(e) => e.into_response(),
            SignInRequired::Redirect => Redirect::to("/login").into_response(),
        }
    }
}

impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = SignInRequired;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if !AppState::from_ref(state).config.accounts {
            return Err(SignInRequired::Error(AppError::NotFound));
        }
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(SignInRequired::Error)?;
        match visitor.user.clone() {
            Some(user) => Ok(SignedIn { user, visitor }),
            None => Err(SignInRequired::Redirect),
        }
    }
}

/// A urlencoded form whose `csrf` field has been checked against the visitor. Bodies over the
/// limit, invalid UTF-8 and missing fields become friendly errors rather than plain text.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge
                } else {
                    AppError::BadRequest("The form could not be read.".into())
                }
            })?;
        if std::str::from_utf8(&bytes).is_err() {
            return Err(AppError::BadRequest(
                "The form contained text that is not valid UTF-8.".into(),
            ));
        }
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
        visitor.check_csrf(&field.csrf)?;
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| AppError::BadRequest(format!("The form is missing something: {e}.")))?;
        Ok(CsrfForm(value))
    }
}
