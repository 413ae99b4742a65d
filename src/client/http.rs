//! Talking to a Reef server: one HTTP client carrying the bearer token, endpoint URLs built
//! under the server's base URL, and every answer that is not a success turned into a
//! [`Failure`] with the API's own message.

use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::config::Login;
use super::error::Failure;
use super::model::Envelope;

/// A server's `/api` as one login sees it: every request carries its bearer token.
pub struct Api {
    client: reqwest::Client,
    login: Login,
}

/// A successful answer.
pub struct Reply {
    pub headers: HeaderMap,
    /// The whole body, as bytes.
    pub body: Vec<u8>,
    url: Url,
}

impl Reply {
    /// The body as `T`; a body that is not Reef's JSON means the URL points somewhere else.
    ///
    /// # Errors
    /// [`Failure::Other`] if the body is not JSON of that shape.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        serde_json::from_slice(&self.body).map_err(|_| {
            Failure::Other(format!(
                "the answer from {} is not Reef's JSON: is the server URL right?",
                self.url
            ))
        })
    }

    /// The `ETag` header, verbatim: it goes back as `If-Match`.
    pub fn etag(&self) -> Option<String> {
        let tag = self.headers.get(reqwest::header::ETAG)?.to_str().ok()?;
        Some(tag.to_owned())
    }
}

impl Api {
    /// A client for `login`: 10-second connect timeout, 120 seconds per request, and no
    /// redirects followed.
    ///
    /// # Errors
    /// [`Failure::Other`] if the HTTP client cannot be built.
    pub fn new(login: Login) -> Result<Self, Failure> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("reef-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            // Generous: a render may wait for a free worker on a busy server.
            .timeout(Duration::from_secs(120))
            // The API never redirects. Following one could send the token to another host or
            // turn a PUT into a GET; a redirect is reported instead (usually http -> https).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Failure::Other(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self { client, login })
    }

    /// The server's base URL, as resolved.
    pub fn base(&self) -> &Url {
        &self.login.url
    }

    /// The login in use, including where its token came from.
    pub fn login(&self) -> &Login {
        &self.login
    }

    /// `base` + `/api/` + the segments, each percent-encoded (an id can never inject a path).
    pub fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.login.url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("api").extend(segments);
        }
        url
    }

    /// A request to `url` carrying the bearer token; send it with [`Api::send`].
    pub fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.client
            .request(method, url)
            .bearer_auth(self.login.token.expose())
    }

    /// Sends the request and reads the whole answer.
    ///
    /// # Errors
    /// [`Failure::Unreachable`] if no answer arrives; for a status other than 2xx, the
    /// [`Failure`] of that status (401 [`Failure::Rejected`], 403 [`Failure::Forbidden`], 404
    /// [`Failure::NotFound`], 409 and 412 [`Failure::Conflict`], 429
    /// [`Failure::RateLimited`], anything else [`Failure::Other`]) with the API's message;
    /// [`Failure::Other`] if the request cannot be built.
    pub async fn send(&self, request: RequestBuilder) -> Result<Reply, Failure> {
        let request = request
            .build()
            .map_err(|e| Failure::Other(format!("cannot build the request: {e}")))?;
        let url = request.url().clone();
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.unreachable(&e))?
            .to_vec();
        if status.is_success() {
            Ok(Reply { headers, body, url })
        } else {
            Err(self.failure(status, &headers, &body))
        }
    }

    /// GET of the endpoint at `segments` (see [`Api::endpoint`]): the body as `T`, and as raw
    /// JSON for `--json`.
    ///
    /// # Errors
    /// As [`Api::send`] and [`Reply::parse`].
    pub async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<(T, serde_json::Value), Failure> {
        let reply = self
            .send(self.request(Method::GET, self.endpoint(segments)))
            .await?;
        Ok((reply.parse()?, reply.parse()?))
    }

    fn unreachable(&self, e: &reqwest::Error) -> Failure {
        // reqwest's own text is "error sending request for url (…)"; the useful part
        // ("Connection refused", "dns error") is the innermost cause.
        let mut cause: &dyn std::error::Error = e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        let detail = if e.is_timeout() {
            "the server did not answer in time".to_owned()
        } else {
            cause.to_string()
        };
        Failure::Unreachable {
            url: super::config::shown(&self.login.url),
            detail,
        }
    }

    fn failure(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Failure {
        let envelope: Envelope = serde_json::from_slice(body).unwrap_or_default();
        let message = envelope.message.clone().unwrap_or_else(|| {
            let reason = status.canonical_reason().unwrap_or("");
            format!("the server answered {} {reason}", status.as_u16())
        });
        match status {
            StatusCode::UNAUTHORIZED => Failure::Rejected(self.login.source.clone()),
            StatusCode::FORBIDDEN if envelope.error == "insufficient_scope" => Failure::Forbidden(
                "this token is read-only (scope read): it can list, get and render but not \
                     change diagrams; create a read-write token in Settings → API tokens and run \
                     `reef login` with it"
                    .into(),
            ),
            StatusCode::FORBIDDEN => Failure::Forbidden(message),
            StatusCode::NOT_FOUND => Failure::NotFound(message),
            StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED => Failure::Conflict {
                message,
                current: envelope.current_version,
            },
            StatusCode::TOO_MANY_REQUESTS => Failure::RateLimited {
                retry_after: headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok()),
            },
            s if s.is_redirection() => {
                let to = headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("another address");
                Failure::Other(format!(
                    "the server redirected to {to}: use the server's final address as --url \
                     (often https:// instead of http://)"
                ))
            }
            s if s.is_server_error() => Failure::Other(format!(
                "the server failed ({} {}): {message}",
                s.as_u16(),
                if envelope.error.is_empty() {
                    s.canonical_reason().unwrap_or("")
                } else {
                    &envelope.error
                }
            )),
            _ => Failure::Other(message),
        }
    }
}
