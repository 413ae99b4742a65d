//! A pass over rendered SVG that keeps only safe links and no event handlers. The renderer
//! escapes user text, but it copies `click` targets into `href` verbatim (so
//! `click A "javascript:alert(1)"` would become a live `javascript:` link), and an SVG can be
//! opened on its own, outside our `<img>` tags. So every tag is re-read here, attribute by
//! attribute.

/// Whether a link target is harmless: http(s), relative, a fragment, or an inline raster image.
fn safe_url(raw: &str) -> bool {
    let decoded = decode_entities(raw);
    // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
    let squeezed: String = decoded
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = squeezed.find(':');
    let path_start = squeezed.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (None, _) => true,
        (Some(colon), Some(slash)) if slash < colon => true,
        (Some(colon), _) => {
            let scheme = &squeezed[..colon];
            scheme == "http"
                || scheme == "https"
                || [
                    "data:image/png",
                    "data:image/jpeg",
                    "data:image/gif",
                    "data:image/webp",
                ]
                .iter()
                .any(|p| squeezed.starts_with(p))
        }
    }
}

/// Decodes the five XML entities and numeric references, once, as a browser would.
fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';').filter(|&s| s <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Rewrites one tag's attributes: drops `on*` handlers, neutralises unsafe links.
fn clean_tag(tag: &str, out: &mut String) {
    // `tag` is the text between '<' and '>'. Closing tags, comments and declarations pass.
    if tag.starts_with('/') || tag.starts_with('!') || tag.starts_with('?') {
        out.push_str(tag);
        return;
    }
    let name_end = tag
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(tag.len());
    out.push_str(&tag[..name_end]);
    let mut rest = &tag[name_end..];
    loop {
        let trimmed = rest.trim_start();
        if trimmed.is_empty() || trimmed == "/" {
            out.push_str(trimmed);
            return;
        }
        let Some(eq) = trimmed.find('=') else {
            // A bare attribute or junk: keep only harmless remainders.
            out.push(' ');
            out.push_str(trimmed);
            return;
        };
        let name = trimmed[..eq].trim();
        let after = &trimmed[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            return;
        };
        let Some(close) = after[1..].find(quote) else {
            return;
        };
        let value = &after[1..1 + close];
        rest = &after[close + 2..];
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("on") {
            continue;
        }
        let value = if (lower == "href" || lower.ends_with(":href")) && !safe_url(value) {
            "#"
        } else {
            value
        };
        out.push(' ');
        out.push_str(name);
        out.push('=');
        out.push(quote);
        out.push_str(value);
        out.push(quote);
    }
}

/// Returns the SVG with unsafe links and handlers removed, or None if it contains elements that
/// can carry script at all (which the renderer never emits for user text).
pub fn sanitize_svg(svg: &str) -> Option<String> {
    let lower = svg.to_ascii_lowercase();
    if lower.contains("<script") || lower.contains("<foreignobject") || lower.contains("<iframe") {
        return None;
    }
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tail = &rest[open + 1..];
        // Comments and CDATA may contain '>' and are copied whole.
        if let Some(comment) = tail.strip_prefix("!--") {
            let end = comment.find("-->").map(|e| e + 3).unwrap_or(comment.len());
            out.push_str("<!--");
            out.push_str(&comment[..end]);
            rest = &comment[end..];
            continue;
        }
        let Some(close) = tail.find('>') else {
            out.push_str("&lt;");
            rest = tail;
            continue;
        };
        out.push('<');
        clean_tag(&tail[..close], &mut out);
        out.push('>');
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_links_survive() {
        for bad in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "javascript&#58;alert(1)",
            "data:text/html,<script>",
            "data:image/svg+xml,<svg onload=alert(1)>",
            "vbscript:x",
        ] {
            assert!(!safe_url(bad), "{bad}");
        }
        for good in [
            "https://example.net/x",
            "http://a",
            "/d/abc",
            "#frag",
            "page?x=1",
            "data:image/png;base64,AAAA",
        ] {
            assert!(safe_url(good), "{good}");
        }
    }

    #[test]
    fn tags_lose_handlers_and_unsafe_hrefs() {
        let svg = r#"<svg xmlns="x"><a href="javascript:alert(1)" xlink:href="javascript:alert(1)"><rect onclick="x()" width="3"/></a><text>a &lt;b&gt; onload=</text></svg>"#;
        let clean = sanitize_svg(svg).unwrap_or_default();
        assert!(!clean.contains("javascript"), "{clean}");
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(clean.contains(r#"<rect width="3"/>"#), "{clean}");
        assert!(
            clean.contains("a &lt;b&gt; onload="),
            "text is untouched: {clean}"
        );
        assert!(sanitize_svg("<svg><script>alert(1)</script></svg>").is_none());
    }
}
