//! The parts of the API's JSON the client reads. Fields it does not need are ignored, so a
//! newer server that adds fields keeps working with an older client.

use serde::Deserialize;

#[derive(Deserialize)]
pub struct Me {
    pub email: String,
    pub scope: String,
    pub token: Option<MeToken>,
}

#[derive(Deserialize)]
pub struct MeToken {
    pub name: String,
    pub expires_at: String,
}

#[derive(Deserialize)]
pub struct Diagram {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub source: Option<String>,
    pub version: i64,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default)]
    pub shared: bool,
}

#[derive(Deserialize)]
pub struct Page {
    pub items: Vec<serde_json::Value>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct Sharing {
    pub enabled: bool,
    pub url: Option<String>,
}

/// The error envelope `{"error", "message", "current_version"}`; every field optional because
/// a proxy in front of Reef may answer with anything.
#[derive(Deserialize, Default)]
pub struct Envelope {
    #[serde(default)]
    pub error: String,
    pub message: Option<String>,
    pub current_version: Option<i64>,
}
