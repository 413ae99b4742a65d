//! The framed messages between the server and its render workers: a 4-byte big-endian length
//! and that many bytes, first a JSON header, then (for answers) the raw output bytes.

use serde::{Deserialize, Serialize};

/// Frames larger than this are refused on both sides (a 4-scale PNG of the biggest allowed
/// canvas is well below it).
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// What a render produces.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Mermaid's own look: labels are HTML inside `<foreignObject>`, as mermaid.js draws them.
    Svg,
    /// Text-only SVG (merman's resvg-safe pipeline) for viewers without HTML support.
    PortableSvg,
    Png,
    /// One page, vector text.
    Pdf,
    /// A Unicode text drawing, for the diagram kinds that have one.
    Txt,
    /// Where the browser SVG's links are: [`super::LinkMap`] as JSON.
    LinkMap,
}

/// One render, as the server sends it to a worker in a single frame (JSON).
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub format: Format,
    /// PNG pixel density, 1 to 4.
    pub scale: u8,
    /// Milliseconds the renderer may work before it stops itself (merman's cooperative
    /// deadline); the server's hard limit, which kills the worker, is a little longer.
    pub deadline_ms: u64,
    /// Bytes of memory the render may allocate; 0 sets no limit of our own.
    #[serde(default)]
    pub max_memory: u64,
    /// Mermaid text, byte-order mark already stripped.
    pub source: String,
}

/// A worker's answer header; the body frame that follows holds the output when `ok`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Answer {
    /// The body is the output. `notices` are what the person should know about it (a layout
    /// Reef does not include was asked for, so the default one drew it).
    Ok {
        #[serde(default)]
        notices: Vec<String>,
    },
    /// The text does not parse; `line` and `column` are 1-based (column in characters).
    Parse {
        message: String,
        line: Option<u32>,
        column: Option<u32>,
    },
    /// One of the renderer's resource limits (nodes, edges, label size, layout work, output
    /// size) was passed.
    TooComplex {
        /// merman's id of the limit, e.g. `max_edges`.
        limit: String,
        actual: u64,
        maximum: u64,
    },
    /// The cooperative deadline passed.
    Timeout,
    /// The format does not exist for this kind of diagram (a text drawing of a pie chart).
    Unsupported { message: String },
    /// Anything else: a bad job, a crash caught in the worker, an unexpected merman error.
    Failed { message: String },
}
