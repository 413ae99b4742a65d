//! Mermaid text as it travels inside URLs and links: base64 in either alphabet, zlib or raw
//! deflate (Kroki), and the Mermaid Live Editor's state (`{"code": …, "mermaid": …}`, plain
//! or `pako:`-deflated, as in `https://mermaid.live/edit#pako:…` and mermaid.ink). Every
//! decoder is bounded, so a small input cannot expand into much.

use std::io::Read;

use base64::Engine;
use serde::Deserialize;

/// Longest encoded diagram accepted in a URL, in bytes (browsers and proxies cap URLs near
/// 8 KiB anyway; POST takes the rest).
pub const MAX_ENCODED: usize = 64 * 1024;
/// Longest text an encoded diagram may inflate to (the renderer's own source limit, with room
/// for the Live Editor's JSON around it).
pub const MAX_INFLATED: u64 = 300 * 1024;

/// Base64 in either alphabet, padded or not, with line breaks and spaces ignored.
pub fn base64_bytes(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .trim_end_matches('=')
        .to_owned();
    URL_SAFE_NO_PAD
        .decode(&compact)
        .or_else(|_| STANDARD_NO_PAD.decode(&compact))
        .ok()
}

/// zlib-deflated bytes (or raw deflate, which some encoders write) inflated to text, at most
/// [`MAX_INFLATED`] bytes so a small URL cannot expand into gigabytes.
pub fn inflate(bytes: &[u8]) -> Option<String> {
    let read = |reader: &mut dyn Read| {
        let mut text = String::new();
        reader
            .take(MAX_INFLATED + 1)
            .read_to_string(&mut text)
            .ok()
            .filter(|_| text.len() as u64 <= MAX_INFLATED)
            .map(|_| text)
    };
    read(&mut flate2::read::ZlibDecoder::new(bytes))
        .or_else(|| read(&mut flate2::read::DeflateDecoder::new(bytes)))
}

/// Whether `bytes` inflate to more than [`MAX_INFLATED`] (counted without keeping them), so
/// a refusal can say the diagram is too large rather than badly encoded.
pub fn inflates_too_far(bytes: &[u8]) -> bool {
    let count = |reader: &mut dyn Read| {
        std::io::copy(&mut reader.take(MAX_INFLATED + 1), &mut std::io::sink()).unwrap_or(0)
    };
    count(&mut flate2::read::ZlibDecoder::new(bytes)) > MAX_INFLATED
        || count(&mut flate2::read::DeflateDecoder::new(bytes)) > MAX_INFLATED
}

/// The Mermaid Live Editor's state: the code and, as an object or a JSON string, mermaid's
/// configuration.
#[derive(Deserialize)]
struct LiveState {
    code: String,
    #[serde(default)]
    mermaid: Option<serde_json::Value>,
}

impl LiveState {
    /// The code, with the state's theme as an `init` directive unless the code sets its own
    /// configuration (front matter or a directive).
    fn into_source(self) -> String {
        let config = match self.mermaid {
            Some(serde_json::Value::String(text)) => serde_json::from_str(&text).ok(),
            other => other,
        };
        let theme = config
            .as_ref()
            .and_then(|c| c.get("theme"))
            .and_then(serde_json::Value::as_str);
        theme
            .and_then(|t| crate::diagrams::with_theme(&self.code, t))
            .map_or(self.code, |(text, _)| text)
    }
}

/// What a mermaid.ink path segment holds (see the module's description).
pub fn mermaid_ink_source(encoded: &str) -> Option<String> {
    if encoded.len() > MAX_ENCODED {
        return None;
    }
    if let Some(deflated) = encoded.strip_prefix("pako:") {
        let state: LiveState = serde_json::from_str(&inflate(&base64_bytes(deflated)?)?).ok()?;
        return Some(state.into_source());
    }
    let text = String::from_utf8(base64_bytes(
        encoded.strip_prefix("base64:").unwrap_or(encoded),
    )?)
    .ok()?;
    match serde_json::from_str::<LiveState>(&text) {
        Ok(state) => Some(state.into_source()),
        Err(_) => Some(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflate(text: &str) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(text.as_bytes()).unwrap_or_default();
        encoder.finish().unwrap_or_default()
    }

    #[test]
    fn every_mermaid_ink_encoding_gives_the_source() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let code = "graph TD\n  A[Christmas] -->|Get money| B(Go shopping)\n";
        assert_eq!(
            mermaid_ink_source(&STANDARD.encode(code)).as_deref(),
            Some(code)
        );
        assert_eq!(
            mermaid_ink_source(&format!("base64:{}", URL_SAFE_NO_PAD.encode(code))).as_deref(),
            Some(code)
        );
        let state = serde_json::json!({"code": code, "mermaid": "{\n  \"theme\": \"dark\"\n}"});
        let themed = format!("%%{{init: {{\"theme\": \"dark\"}}}}%%\n{code}");
        assert_eq!(
            mermaid_ink_source(&URL_SAFE_NO_PAD.encode(state.to_string())).as_deref(),
            Some(themed.as_str())
        );
        let pako = format!(
            "pako:{}",
            URL_SAFE_NO_PAD.encode(deflate(&state.to_string()))
        );
        assert_eq!(mermaid_ink_source(&pako).as_deref(), Some(themed.as_str()));
        // The code's own configuration wins over the state's theme.
        let own = serde_json::json!({"code": "%%{init: {\"theme\": \"base\"}}%%\ngraph TD", "mermaid": {"theme": "forest"}});
        assert_eq!(
            mermaid_ink_source(&URL_SAFE_NO_PAD.encode(own.to_string())).as_deref(),
            Some("%%{init: {\"theme\": \"base\"}}%%\ngraph TD")
        );
        assert_eq!(mermaid_ink_source("pako:not-deflate"), None);
    }

    #[test]
    fn a_small_url_cannot_inflate_into_much() {
        let bomb = deflate(&"a".repeat(10 * 1024 * 1024));
        assert!(bomb.len() < 20 * 1024, "{}", bomb.len());
        assert_eq!(inflate(&bomb), None);
        assert_eq!(inflate(&deflate("graph TD")).as_deref(), Some("graph TD"));
    }
}
