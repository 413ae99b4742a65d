//! The parts of the API's JSON the client reads. Fields it does not need are ignored, so a
//! newer server that adds fields keeps working with an older client.

use serde::Deserialize;

/// `GET /api/me`: who the token belongs to.
#[derive(Deserialize)]
pub struct Me {
    pub email: String,
    /// `read` or `read-write` for a token; `session` for a browser session.
    pub scope: String,
    /// The token in use; absent for a browser session.
    pub token: Option<MeToken>,
}

/// The token part of [`Me`].
#[derive(Deserialize)]
pub struct MeToken {
    pub name: String,
    /// RFC 3339, UTC (`2027-05-23T07:38:45Z`).
    pub expires_at: String,
}

/// A diagram as the API answers it.
#[derive(Deserialize)]
pub struct Diagram {
    pub id: String,
    pub title: String,
    /// The Mermaid text; absent from listings.
    #[serde(default)]
    pub source: Option<String>,
    pub version: i64,
    /// RFC 3339, UTC; empty if the server left it out.
    #[serde(default)]
    pub updated_at: String,
    /// Whether the public read-only link is on.
    #[serde(default)]
    pub shared: bool,
}

/// One page of `GET /api/diagrams`.
#[derive(Deserialize)]
pub struct Page {
    /// Diagrams as the server sent them, so `--json` passes them on unchanged.
    pub items: Vec<serde_json::Value>,
    /// Where the next page starts; `None` on the last.
    pub next_cursor: Option<String>,
}

/// The answer to `POST /api/diagrams/{id}/share`.
#[derive(Deserialize)]
pub struct Sharing {
    pub enabled: bool,
    /// The public link, absolute; present while `enabled`.
    pub url: Option<String>,
}

/// The error envelope `{"error", "message", "current_version"}`; every field optional because
/// a proxy in front of Reef may answer with anything.
#[derive(Deserialize, Default)]
pub struct Envelope {
    /// The stable code; empty when the body was not the envelope.
    #[serde(default)]
    pub error: String,
    pub message: Option<String>,
    /// On 412: the diagram's version on the server.
    pub current_version: Option<i64>,
}
