//! The JSON shapes the REST API and the MCP tools both answer with, so an agent and a script
//! see the same fields. Times are RFC 3339 in UTC.

use serde::Serialize;
use utoipa::ToSchema;

use crate::diagrams::{Diagram, Page, Revision};
use crate::http::BaseUrl;
use crate::state::rfc3339;

/// A diagram as the API shows it; lists leave `source` out.
#[derive(Serialize, ToSchema)]
pub struct DiagramJson {
    #[schema(example = "k3J9xQ2mZp7A")]
    id: String,
    title: String,
    /// The Mermaid text (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    /// Bumped on every write; the ETag is this number in quotes.
    version: i64,
    /// RFC 3339, UTC.
    created_at: String,
    updated_at: String,
    shared: bool,
    /// The public read-only link while sharing is on.
    share_url: Option<String>,
}

impl DiagramJson {
    /// `d` as JSON, with its source when `with_source`; share links start at `base`.
    pub fn new(base: &BaseUrl, d: Diagram, with_source: bool) -> Self {
        Self {
            share_url: d.share_id.as_deref().map(|s| base.share_url(s)),
            shared: d.share_id.is_some(),
            created_at: rfc3339(d.created_at),
            updated_at: rfc3339(d.updated_at),
            source: with_source.then_some(d.source),
            id: d.id,
            title: d.title,
            version: d.version,
        }
    }
}

/// One page of diagrams, newest first.
#[derive(Serialize, ToSchema)]
pub struct ListJson {
    items: Vec<DiagramJson>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

impl ListJson {
    /// A page as JSON; its cursor encoded for the next request.
    pub fn new(base: &BaseUrl, page: Page) -> Self {
        Self {
            items: page
                .items
                .into_iter()
                .map(|d| DiagramJson::new(base, d, false))
                .collect(),
            next_cursor: page.next.map(|c| c.encode()),
        }
    }
}

/// The share state of a diagram.
#[derive(Serialize, ToSchema)]
pub struct ShareJson {
    enabled: bool,
    /// The public read-only link; null once sharing is off (the old link then answers 404).
    url: Option<String>,
}

impl ShareJson {
    /// The share state of `d`; the link starts at `base`.
    pub fn new(base: &BaseUrl, d: &Diagram) -> Self {
        let url = d.share_id.as_deref().map(|s| base.share_url(s));
        Self {
            enabled: url.is_some(),
            url,
        }
    }
}

/// A saved version (the last 100 are kept).
#[derive(Serialize, ToSchema)]
pub struct RevisionJson {
    version: i64,
    title: String,
    /// Present when one revision is fetched, absent in the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    created_at: String,
}

impl RevisionJson {
    /// `r` as JSON, with its source when `with_source`.
    pub fn new(r: Revision, with_source: bool) -> Self {
        Self {
            version: r.version,
            title: r.title,
            source: with_source.then_some(r.source),
            created_at: rfc3339(r.created_at),
        }
    }
}

/// The revisions of a diagram, newest first.
#[derive(Serialize, ToSchema)]
pub struct RevisionsJson {
    pub items: Vec<RevisionJson>,
}
