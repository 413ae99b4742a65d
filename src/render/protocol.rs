//! The framed messages between the server and its render workers: a 4-byte big-endian length
//! and that many bytes, first a JSON header, then (for answers) the raw SVG or PNG bytes.

use serde::{Deserialize, Serialize};

/// Frames larger than this are refused on both sides (a 4-scale PNG of the biggest allowed
/// canvas is well below it).
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Svg,
    Png,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub format: Format,
    pub scale: u8,
    pub max_nodes: usize,
    pub max_edges: usize,
    /// Bytes of memory the render may allocate; 0 sets no limit of our own.
    #[serde(default)]
    pub max_memory: u64,
    pub source: String,
}

/// A worker's answer header; the body frame that follows holds the output when `ok`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Answer {
    Ok,
    Parse {
        message: String,
        line: Option<u32>,
        column: Option<u32>,
    },
    TooComplex {
        nodes: usize,
        edges: usize,
    },
    Failed {
        message: String,
    },
}
