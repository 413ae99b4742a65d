//! Bringing diagrams in: Mermaid files (`.mmd`, `.mermaid`, `.txt`), Markdown files (each
//! ```` ```mermaid ```` block becomes a diagram), zip archives of those (what "Export all"
//! writes), and Mermaid Live Editor links (`https://mermaid.live/edit#pako:…`, also
//! `#base64:…` and mermaid.ink image links). Each diagram is created as a new one of the
//! owner's, under the usual rules (size, quota).

use std::io::Read;

use crate::diagrams::{self, Diagram, DiagramError, MAX_SOURCE_BYTES, MAX_TITLE_CHARS, Owner};
use crate::state::AppState;

/// The most diagrams one import creates.
pub const MAX_PIECES: usize = 100;

/// The most entries of a zip archive that are looked at.
const MAX_ZIP_ENTRIES: usize = 1_000;

/// The title of a diagram whose name says nothing.
const UNNAMED: &str = "Imported diagram";

/// One diagram found in what was brought in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub title: String,
    pub source: String,
}

/// Why nothing (more) could be imported: a sentence for the person.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file or link that holds no diagram Reef can read; says which and why.
    #[error("{0}")]
    Unreadable(String),
    /// Creating one of the diagrams was refused (too large, over the quota…); `created`
    /// diagrams were made before it and stay.
    #[error("“{title}”: {error}")]
    Refused {
        title: String,
        error: DiagramError,
        created: usize,
    },
}

/// The diagrams in an uploaded file named `name`: a zip archive (by its name or its first
/// bytes), a Markdown file (`.md`, `.markdown`: its `mermaid` code blocks) or a Mermaid text
/// file (anything else, the whole text).
///
/// # Errors
/// [`ImportError::Unreadable`] for text that is not UTF-8, a file with no diagram, a broken
/// zip, or more than [`MAX_PIECES`] diagrams.
pub fn pieces_of_file(name: &str, bytes: &[u8]) -> Result<Vec<Piece>, ImportError> {
    let shown = shown_name(name);
    let lower = name.to_ascii_lowercase();
    let pieces = if lower.ends_with(".zip") || bytes.starts_with(b"PK\x03\x04") {
        pieces_of_zip(&shown, bytes)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            ImportError::Unreadable(format!(
                "“{shown}” is not a text file (Mermaid files are UTF-8 text)."
            ))
        })?;
        pieces_of_text(name, text)
    };
    if pieces.is_empty() {
        return Err(ImportError::Unreadable(format!(
            "“{shown}” holds no Mermaid diagram (Markdown files need a ```mermaid block)."
        )));
    }
    if pieces.len() > MAX_PIECES {
        return Err(too_many());
    }
    Ok(pieces)
}

fn too_many() -> ImportError {
    ImportError::Unreadable(format!(
        "That is more than {MAX_PIECES} diagrams; import them in smaller parts."
    ))
}

/// Every diagram in what one import brings: the `(name, bytes)` files, in order, then the
/// Live Editor `link` when it is not blank.
///
/// # Errors
/// [`ImportError::Unreadable`] for the first file or link that holds no diagram, when
/// nothing was given, or when it all comes to more than [`MAX_PIECES`].
pub fn pieces<B: AsRef<[u8]>>(
    files: &[(String, B)],
    link: &str,
) -> Result<Vec<Piece>, ImportError> {
    let mut pieces = Vec::new();
    for (name, bytes) in files {
        pieces.extend(pieces_of_file(name, bytes.as_ref())?);
        if pieces.len() > MAX_PIECES {
            return Err(too_many());
        }
    }
    if !link.trim().is_empty() {
        pieces.push(piece_of_link(link)?);
    }
    if pieces.is_empty() {
        return Err(ImportError::Unreadable(
            "Choose a file or paste a Live Editor link to import.".into(),
        ));
    }
    if pieces.len() > MAX_PIECES {
        return Err(too_many());
    }
    Ok(pieces)
}

/// A file's diagrams by its name: Markdown blocks, or the whole text (empty text: none).
fn pieces_of_text(name: &str, text: &str) -> Vec<Piece> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let stem = stem(name);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".md") || lower.ends_with(".markdown") {
        let blocks = mermaid_blocks(text);
        let many = blocks.len() > 1;
        return blocks
            .into_iter()
            .enumerate()
            .map(|(i, source)| Piece {
                title: if many {
                    format!("{stem} ({})", i + 1)
                } else {
                    stem.clone()
                },
                source,
            })
            .collect();
    }
    if text.trim().is_empty() {
        return Vec::new();
    }
    vec![Piece {
        title: stem,
        source: text.to_owned(),
    }]
}

/// The Mermaid files in a zip archive (entries ending `.mmd`, `.mermaid`, `.md`, `.markdown`
/// or `.txt`; folders and other files are passed over), each read up to just past
/// [`MAX_SOURCE_BYTES`] so a small archive cannot inflate into much.
fn pieces_of_zip(shown: &str, bytes: &[u8]) -> Result<Vec<Piece>, ImportError> {
    let broken =
        || ImportError::Unreadable(format!("“{shown}” is not a zip archive Reef can read."));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| broken())?;
    let mut pieces = Vec::new();
    for i in 0..archive.len().min(MAX_ZIP_ENTRIES) {
        let mut entry = archive.by_index(i).map_err(|_| broken())?;
        let name = entry.name().map_err(|_| broken())?.into_owned();
        let lower = name.to_ascii_lowercase();
        let wanted = [".mmd", ".mermaid", ".md", ".markdown", ".txt"]
            .iter()
            .any(|ext| lower.ends_with(ext));
        if !entry.is_file() || !wanted {
            continue;
        }
        let mut raw = Vec::new();
        let limit = MAX_SOURCE_BYTES as u64 * 4 + 1;
        (&mut entry)
            .take(limit)
            .read_to_end(&mut raw)
            .map_err(|_| broken())?;
        let inner = shown_name(&name);
        if raw.len() as u64 >= limit {
            return Err(ImportError::Unreadable(format!(
                "“{inner}” in “{shown}” is larger than a diagram may be ({} KiB).",
                MAX_SOURCE_BYTES / 1024
            )));
        }
        let text = String::from_utf8(raw).map_err(|_| {
            ImportError::Unreadable(format!("“{inner}” in “{shown}” is not UTF-8 text."))
        })?;
        pieces.extend(pieces_of_text(&name, &text));
        if pieces.len() > MAX_PIECES {
            return Err(too_many());
        }
    }
    Ok(pieces)
}

/// The diagram in a Mermaid Live Editor or mermaid.ink link (`…#pako:…`, `…#base64:…`,
/// `…/svg/pako:…`), or in such a state pasted alone.
///
/// # Errors
/// [`ImportError::Unreadable`] when the link holds no diagram.
pub fn piece_of_link(link: &str) -> Result<Piece, ImportError> {
    let link = link.trim();
    let encoded = match link.rsplit_once('#') {
        Some((_, fragment)) => fragment,
        None => link.rsplit('/').next().unwrap_or(link),
    };
    let encoded = encoded.split(['?', '&']).next().unwrap_or(encoded);
    let source = crate::encoded::mermaid_ink_source(encoded)
        .filter(|s| !s.trim().is_empty() && !s.contains('\u{FFFD}'))
        .filter(|_| encoded.starts_with("pako:") || encoded.starts_with("base64:") || link.contains("mermaid"))
        .ok_or_else(|| {
            ImportError::Unreadable(
                "That link holds no diagram: paste a Mermaid Live Editor link (…/edit#pako:…) or a mermaid.ink link."
                    .into(),
            )
        })?;
    Ok(Piece {
        title: "Live Editor diagram".into(),
        source,
    })
}

/// Creates each piece as a new diagram of `owner`'s, in order, and returns them.
///
/// # Errors
/// [`ImportError::Refused`] at the first piece the rules refuse (the ones before it stay).
pub async fn import(
    state: &AppState,
    owner: &Owner,
    pieces: Vec<Piece>,
) -> Result<Vec<Diagram>, ImportError> {
    let mut created = Vec::with_capacity(pieces.len());
    for piece in pieces {
        match diagrams::create(state, owner, Some(&piece.title), &piece.source).await {
            Ok(diagram) => created.push(diagram),
            Err(error) => {
                return Err(ImportError::Refused {
                    title: piece.title,
                    error,
                    created: created.len(),
                });
            }
        }
    }
    Ok(created)
}

/// The fenced code blocks of Markdown text whose info string is `mermaid` (CommonMark:
/// three or more backticks or tildes, indented at most three spaces, closed by a fence of the
/// same character at least as long, or by the end of the text).
fn mermaid_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut open: Option<(char, usize, String)> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let trimmed = line.trim_start_matches(' ');
        let fence = |c: char| trimmed.chars().take_while(|&x| x == c).count();
        match &mut open {
            Some((c, len, body)) => {
                let n = fence(*c);
                if indent <= 3 && n >= *len && trimmed[n..].trim().is_empty() {
                    blocks.push(std::mem::take(body));
                    open = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
            None if indent <= 3 => {
                for c in ['`', '~'] {
                    let n = fence(c);
                    let info = trimmed[n..].trim();
                    let word = info.split_whitespace().next().unwrap_or("");
                    if n >= 3 && word.eq_ignore_ascii_case("mermaid") {
                        open = Some((c, n, String::new()));
                    }
                }
            }
            None => {}
        }
    }
    if let Some((_, _, body)) = open {
        blocks.push(body);
    }
    blocks.retain(|b| !b.trim().is_empty());
    blocks
}

/// A file name as it may be shown: its last path part, control characters dropped, at most
/// 80 characters.
fn shown_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    last.chars().filter(|c| !c.is_control()).take(80).collect()
}

/// A title from a file name: the last path part without its extension, control characters
/// dropped, trimmed, cut to [`MAX_TITLE_CHARS`]; [`UNNAMED`] when nothing is left.
fn stem(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = match last.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => last,
    };
    let clean: String = stem
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TITLE_CHARS)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() {
        UNNAMED.to_owned()
    } else {
        clean.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(pieces: &[Piece]) -> Vec<&str> {
        pieces.iter().map(|p| p.title.as_str()).collect()
    }

    #[test]
    fn a_mermaid_file_is_one_diagram_named_after_the_file() {
        let pieces = pieces_of_file("docs/Release flow.mmd", b"\xEF\xBB\xBFgraph TD\n A-->B\n");
        let pieces = pieces.expect("a diagram");
        assert_eq!(titles(&pieces), ["Release flow"]);
        assert_eq!(pieces[0].source, "graph TD\n A-->B\n");
        assert!(pieces_of_file("empty.mmd", b"  \n").is_err());
        assert!(pieces_of_file("bin.mmd", &[0xff, 0xfe, 0]).is_err());
        assert_eq!(stem(".mmd"), ".mmd");
        assert_eq!(stem("\u{7}.mmd"), UNNAMED);
    }

    #[test]
    fn markdown_gives_each_mermaid_block() {
        let md = "# Notes\n\n```mermaid\ngraph TD\n  A-->B\n```\n\n```js\nno()\n```\n\n  ~~~~ Mermaid title\nsequenceDiagram\n  A->>B: hi\n```\nstill inside\n~~~~\n\n```mermaid\n```\n";
        let pieces = pieces_of_file("README.md", md.as_bytes()).expect("two");
        assert_eq!(titles(&pieces), ["README (1)", "README (2)"]);
        assert_eq!(pieces[0].source, "graph TD\n  A-->B\n");
        assert_eq!(
            pieces[1].source,
            "sequenceDiagram\n  A->>B: hi\n```\nstill inside\n"
        );
        assert!(pieces_of_file("plain.md", b"# no diagrams\n").is_err());
    }

    #[test]
    fn a_zip_gives_its_mermaid_files_and_cannot_inflate_into_much() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("a.mmd", options).unwrap_or_default();
        zip.write_all(b"graph TD\n A-->B\n").unwrap_or_default();
        zip.start_file("picture.png", options).unwrap_or_default();
        zip.write_all(b"\x89PNG").unwrap_or_default();
        zip.start_file("dir/b.mermaid", options).unwrap_or_default();
        zip.write_all(b"pie\n \"x\": 1\n").unwrap_or_default();
        let bytes = zip.finish().map(|c| c.into_inner()).unwrap_or_default();
        let pieces = pieces_of_file("Reef diagrams.zip", &bytes).expect("two files");
        assert_eq!(titles(&pieces), ["a", "b"]);

        let mut bomb = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        bomb.start_file("big.mmd", options).unwrap_or_default();
        bomb.write_all(&vec![b'a'; 8 * 1024 * 1024])
            .unwrap_or_default();
        let bytes = bomb.finish().map(|c| c.into_inner()).unwrap_or_default();
        assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
        let refused = pieces_of_file("bomb.zip", &bytes).map(|p| p.len());
        assert!(
            matches!(&refused, Err(ImportError::Unreadable(m)) if m.contains("larger")),
            "{refused:?}"
        );
        assert!(pieces_of_file("broken.zip", b"PK\x03\x04nonsense").is_err());
    }

    #[test]
    fn live_editor_links_give_their_code() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use std::io::Write;
        let state =
            serde_json::json!({"code": "graph TD\n  A-->B", "mermaid": "{\"theme\": \"default\"}"});
        let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        deflate
            .write_all(state.to_string().as_bytes())
            .unwrap_or_default();
        let pako = URL_SAFE_NO_PAD.encode(deflate.finish().unwrap_or_default());
        for link in [
            format!("https://mermaid.live/edit#pako:{pako}"),
            format!("  https://mermaid.live/view#pako:{pako}\n"),
            format!("pako:{pako}"),
            format!("https://mermaid.ink/svg/pako:{pako}?bgColor=white"),
        ] {
            let source = piece_of_link(&link)
                .map(|p| p.source)
                .map_err(|e| e.to_string());
            assert_eq!(source.as_deref(), Ok("graph TD\n  A-->B"), "{link}");
        }
        for bad in ["https://example.org/", "hello", "pako:!!!", ""] {
            assert!(piece_of_link(bad).is_err(), "{bad}");
        }
    }
}
