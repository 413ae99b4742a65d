//! Local files the client reads and writes: Mermaid sources (or standard input for `-`) and
//! downloaded sources or rendered images.

use std::io::Read;
use std::path::Path;

use super::error::Failure;

/// A Mermaid source read from disk or standard input.
pub struct Input {
    /// How to name it in messages.
    pub name: String,
    /// The file name without its extension: the default title of a new diagram.
    pub stem: Option<String>,
    /// The whole file as UTF-8 text.
    pub source: String,
}

/// `-` stands for standard input or output, as with most command-line tools.
pub fn is_stdio(path: &Path) -> bool {
    path == Path::new("-")
}

/// Reads a Mermaid source from `path`, or all of standard input for `-`.
///
/// # Errors
/// [`Failure::Other`] if it cannot be read or is not UTF-8.
pub fn read(path: &Path) -> Result<Input, Failure> {
    if is_stdio(path) {
        let mut source = String::new();
        std::io::stdin()
            .read_to_string(&mut source)
            .map_err(|e| Failure::Other(format!("cannot read standard input as text: {e}")))?;
        return Ok(Input {
            name: "standard input".into(),
            stem: None,
            source,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Failure::file("read", path, &e))?;
    let source = String::from_utf8(bytes)
        .map_err(|_| Failure::Other(format!("{} is not UTF-8 text", path.display())))?;
    Ok(Input {
        name: path.display().to_string(),
        stem: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.trim().is_empty()),
        source,
    })
}

/// Writes `bytes` to `path`, replacing any file there.
///
/// # Errors
/// [`Failure::Other`] if it cannot be written.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| Failure::file("write", path, &e))
}
