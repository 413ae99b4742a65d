//! A pass over rendered SVG that re-writes it from an allowlist, so no user text can carry
//! script or load anything, however the SVG is later shown.
//!
//! Why this is needed even though the renderer sanitises labels itself (as mermaid.js does with
//! DOMPurify): a renderer bug, or a future one, must not become script in someone's browser.
//! Diagram text reaches `href`s (`click A "…"`), `style`/`classDef` values and HTML labels, and
//! the SVG leaves Reef: our own pages show it through `<img>` under a strict CSP, but the API
//! hands it to scripts that may inline it into an HTML page or open the file directly. So every
//! tag is re-read and re-written: elements outside the allowlist are dropped with their content,
//! `on*` handlers and namespace tricks are dropped, links keep only http(s)/relative targets,
//! CSS may only reference `#fragments`, and comments, CDATA, doctypes and processing
//! instructions (where XML and HTML parsers disagree) never reach the output. The output is
//! canonical, quoted and escaped, so what a browser's parser sees is what this pass checked.
//!
//! Mermaid draws most labels as HTML inside `<foreignObject>` (mermaid-cli's SVG does too).
//! Inside one, and only there, a small XHTML subset is allowed: text, line breaks,
//! bold/italic/code and spans or paragraphs with safe inline styles. Each such subtree is put in
//! the XHTML namespace explicitly, so it renders as HTML in a standalone `.svg` file too.

use std::collections::HashSet;

/// SVG elements the renderer emits (checked against merman-render 0.9.3's SVG writers), in
/// their canonical spelling. Anything else is dropped with its content.
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "symbol",
    "marker",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "a",
    "image",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "use",
    "switch",
    "filter",
    "feDropShadow",
    "feGaussianBlur",
    "feOffset",
    "feFlood",
    "feComposite",
    "feMerge",
    "feMergeNode",
    "feBlend",
    "feColorMatrix",
    "foreignObject",
    "style",
];

/// The XHTML allowed inside `<foreignObject>`: what mermaid's HTML labels are made of
/// (`<div><span><p>`, `<br>`, markdown's `<strong>`/`<em>`, inline `<code>`). Anything else there
/// (`img`, `iframe`, `input`, `a`, …) is dropped with its content.
const XHTML_ELEMENTS: &[&str] = &[
    "div", "span", "p", "br", "b", "strong", "i", "em", "code", "u", "s", "del", "ins", "sub",
    "sup", "small", "mark", "pre",
];

/// HTML elements that never have content: written self-closed, and their end tags ignored.
const VOID_ELEMENTS: &[&str] = &["br"];

/// HTML elements that never have an end tag (WHATWG HTML, "void elements"). Dropping one
/// drops only its tag: waiting for its end would drop everything after it.
const HTML_VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// Returns the SVG with everything outside the allowlist removed. The output is always one
/// well-formed `<svg>` element: elements are closed in the order they were opened (a stray or
/// mismatched end tag closes what is open above its match, or is dropped), anything left open
/// is closed at the end, and nothing outside the root is kept. Injected text can break the
/// renderer's own markup (a `linkStyle` value with a quote in it ends an attribute early);
/// the result must still parse, or the whole image is lost.
pub fn sanitize_svg(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    // Inside a dropped element: its name and how many elements of that name are open. Nothing
    // is written until it closes. Other tags are not counted (HTML void elements such as
    // `<img>` never close); ending the skip early is safe, as what follows is sanitised too.
    let mut skipping: Option<(&str, usize)> = None;
    // The elements written and not yet closed, innermost last.
    let mut open: Vec<&'static str> = Vec::new();
    let mut seen_root = false;
    loop {
        let writing = skipping.is_none() && !open.is_empty();
        let Some(at) = rest.find('<') else {
            if writing {
                push_text(&mut out, rest);
            }
            break;
        };
        if writing {
            push_text(&mut out, &rest[..at]);
        }
        rest = &rest[at..];

        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            // Kept as plain, escaped text: it can only ever have been text.
            let end = after.find("]]>").unwrap_or(after.len());
            if writing {
                push_escaped(&mut out, &after[..end]);
            }
            rest = after.get(end + 3..).unwrap_or("");
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
        } else if let Some(after) = rest.strip_prefix("</") {
            let name = &after[..name_length(after)];
            let end = after.find('>').map_or(after.len(), |e| e + 1);
            if let Some((skipped, depth)) = skipping {
                if skipped.eq_ignore_ascii_case(name) {
                    skipping = (depth > 1).then_some((skipped, depth - 1));
                    rest = &after[end..];
                    continue;
                }
                // An end tag of an element open around the dropped one ends the drop too:
                // a dropped element left open (`<img>` in a label) cannot swallow the rest.
                let closes_ancestor = open.iter().any(|e| e.eq_ignore_ascii_case(name));
                if !closes_ancestor {
                    rest = &after[end..];
                    continue;
                }
                skipping = None;
            }
            if let Some(matching) = open.iter().rposition(|e| e.eq_ignore_ascii_case(name)) {
                for element in open.drain(matching..).rev() {
                    out.push_str("</");
                    out.push_str(element);
                    out.push('>');
                }
                if open.is_empty() {
                    // The root is closed: nothing after it belongs to the image.
                    break;
                }
            }
            rest = &after[end..];
        } else {
            let Some(tag) = parse_tag(&rest[1..]) else {
                // A '<' that starts no tag is text.
                if writing {
                    out.push_str("&lt;");
                }
                rest = &rest[1..];
                continue;
            };
            rest = &rest[1 + tag.len..];
            if let Some((skipped, depth)) = skipping {
                if !tag.self_closing && skipped.eq_ignore_ascii_case(tag.name) {
                    skipping = Some((skipped, depth + 1));
                }
                continue;
            }
            let html = in_html(&open);
            let Some(canonical) = allowed_element(tag.name, html) else {
                let void = HTML_VOID_ELEMENTS
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(tag.name));
                if !tag.self_closing && !void {
                    skipping = Some((tag.name, 1));
                }
                continue;
            };
            if html {
                // The subtree of a `<foreignObject>` is XHTML, and its root says so.
                let parent_is_foreign = open.last() == Some(&"foreignObject");
                let void = VOID_ELEMENTS.contains(&canonical);
                write_html_start_tag(&mut out, canonical, &tag, parent_is_foreign, void);
                if !tag.self_closing && !void {
                    open.push(canonical);
                }
                continue;
            }
            let is_root = open.is_empty();
            if is_root && (canonical != "svg" || seen_root) {
                // Only one root, and it is an `<svg>`.
                continue;
            }
            seen_root = true;
            if canonical == "style" {
                rest = write_style(&mut out, &tag, rest);
                continue;
            }
            write_start_tag(&mut out, canonical, &tag, is_root);
            if !tag.self_closing {
                open.push(canonical);
            }
        }
    }
    for element in open.into_iter().rev() {
        out.push_str("</");
        out.push_str(element);
        out.push('>');
    }
    out
}

/// One parsed start tag: its name, its attributes (values already entity-decoded) and how
/// many bytes after the '<' it spans.
struct Tag<'a> {
    name: &'a str,
    attributes: Vec<(&'a str, String)>,
    self_closing: bool,
    len: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '.' | '-')
}

fn name_length(s: &str) -> usize {
    if !s.starts_with(is_name_start) {
        return 0;
    }
    s.find(|c: char| !is_name_char(c)).unwrap_or(s.len())
}

/// Parses `name attr="v" …>` (the text after '<'). Attributes that are not `name="value"`
/// or `name='value'` end the attribute list: the rest of the tag up to the next '>' is
/// dropped rather than guessed at.
fn parse_tag(s: &str) -> Option<Tag<'_>> {
    let name_len = name_length(s);
    if name_len == 0 {
        return None;
    }
    let mut tag = Tag {
        name: &s[..name_len],
        attributes: Vec::new(),
        self_closing: false,
        len: 0,
    };
    let mut pos = name_len;
    loop {
        pos += s[pos..].len() - s[pos..].trim_start().len();
        let here = &s[pos..];
        if here.starts_with("/>") {
            tag.self_closing = true;
            tag.len = pos + 2;
            return Some(tag);
        }
        if here.starts_with('>') {
            tag.len = pos + 1;
            return Some(tag);
        }
        if let Some((name, value, used)) = parse_attribute(here) {
            tag.attributes.push((name, decode_entities(value)));
            pos += used;
            continue;
        }
        // Malformed: skip to the end of the tag, keeping what was read so far.
        let end = here.find('>').map_or(s.len(), |e| pos + e + 1);
        tag.self_closing = s[..end].ends_with("/>");
        tag.len = end;
        return Some(tag);
    }
}

/// `name = "value"` at the start of `s`: the name, the raw value and the bytes used.
fn parse_attribute(s: &str) -> Option<(&str, &str, usize)> {
    let name_len = name_length(s);
    if name_len == 0 {
        return None;
    }
    let after_name = &s[name_len..];
    let after_eq = after_name.trim_start().strip_prefix('=')?.trim_start();
    let quote = after_eq
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'')?;
    let value_len = after_eq[1..].find(quote)?;
    let used = s.len() - after_eq.len() + 1 + value_len + 1;
    Some((&s[..name_len], &after_eq[1..1 + value_len], used))
}

/// Whether the next element is inside a `<foreignObject>`, so XHTML rather than SVG.
fn in_html(open: &[&str]) -> bool {
    open.last()
        .is_some_and(|e| *e == "foreignObject" || XHTML_ELEMENTS.contains(e))
}

fn allowed_element(name: &str, html: bool) -> Option<&'static str> {
    let allowed = if html { XHTML_ELEMENTS } else { ELEMENTS };
    allowed
        .iter()
        .find(|allowed| allowed.eq_ignore_ascii_case(name))
        .copied()
}

/// Writes an XHTML start tag: only `class`, `style` (safe CSS), `title`, `dir`, `lang` and
/// `data-*`/`aria-*` attributes survive; the subtree root gets the XHTML namespace.
fn write_html_start_tag(
    out: &mut String,
    element: &str,
    tag: &Tag<'_>,
    subtree_root: bool,
    void: bool,
) {
    out.push('<');
    out.push_str(element);
    if subtree_root {
        out.push_str(" xmlns=\"");
        out.push_str(XHTML_NS);
        out.push('"');
    }
    let mut written: HashSet<String> = HashSet::new();
    for (name, value) in &tag.attributes {
        let lower = name.to_ascii_lowercase();
        let allowed = match lower.as_str() {
            "class" | "title" | "dir" | "lang" => true,
            "style" => safe_css(value),
            other => other.starts_with("data-") || other.starts_with("aria-"),
        };
        if !allowed || !written.insert(lower.clone()) || !is_plain_name(&lower) {
            continue;
        }
        out.push(' ');
        out.push_str(&lower);
        out.push_str("=\"");
        push_escaped(out, value);
        out.push('"');
    }
    out.push_str(if tag.self_closing || void { "/>" } else { ">" });
}

/// `data-x`/`aria-x` names are copied, so they must be plain XML names without a prefix.
fn is_plain_name(name: &str) -> bool {
    !name.contains(':') && name.chars().all(is_name_char)
}

fn write_start_tag(out: &mut String, element: &str, tag: &Tag<'_>, is_root: bool) {
    out.push('<');
    out.push_str(element);
    // Duplicates (which injected style text produces) would make the XML invalid.
    let mut written: HashSet<String> = HashSet::new();
    for (name, value) in &tag.attributes {
        let lower = name.to_ascii_lowercase();
        if written.contains(&lower) || !safe_attribute(element, &lower, value, is_root) {
            continue;
        }
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        push_escaped(out, value);
        out.push('"');
        written.insert(lower);
    }
    // A standalone `.svg` file is only an image in the SVG namespace.
    if is_root && !written.contains("xmlns") {
        out.push_str(" xmlns=\"");
        out.push_str(SVG_NS);
        out.push('"');
    }
    // The renderer writes `xlink:href` on C4 icons without always declaring the prefix.
    if is_root && !written.contains("xmlns:xlink") {
        out.push_str(" xmlns:xlink=\"");
        out.push_str(XLINK_NS);
        out.push('"');
    }
    out.push_str(if tag.self_closing { "/>" } else { ">" });
}

fn safe_attribute(element: &str, name: &str, value: &str, is_root: bool) -> bool {
    let (prefix, local) = name.rsplit_once(':').unwrap_or(("", name));
    match prefix {
        // Namespace declarations could turn our elements into XHTML ones: only the two the
        // renderer uses, only on the root.
        "xmlns" => return is_root && local == "xlink" && value == XLINK_NS,
        "" if local == "xmlns" => return is_root && value == SVG_NS,
        "" | "xlink" => {}
        "xml" if local == "space" || local == "lang" => return true,
        _ => return false,
    }
    if local.starts_with("on") {
        return false;
    }
    if local == "href" {
        return match element {
            "a" => safe_link(value),
            "image" => safe_image(value),
            _ => value.trim_start().starts_with('#'),
        };
    }
    if local == "style" || value.to_ascii_lowercase().contains("url(") {
        return safe_css(value);
    }
    true
}

/// Strips what browsers ignore inside a URL's scheme (whitespace, control characters) and
/// lowercases, so `" JaVa\tScRiPt:"` is seen as `javascript:`.
fn squeeze(url: &str) -> String {
    url.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// A link target is safe if it is http(s) or has no scheme at all (relative, `#fragment`).
fn safe_link(url: &str) -> bool {
    let url = squeeze(url);
    let scheme_end = url.find(':');
    let path_start = url.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (None, _) => true,
        (Some(colon), Some(slash)) if slash < colon => true,
        (Some(colon), _) => matches!(&url[..colon], "http" | "https"),
    }
}

/// Images may only be inline rasters (the renderer's C4 icons) or fragments.
fn safe_image(url: &str) -> bool {
    let url = squeeze(url);
    url.starts_with('#')
        || ["png", "jpeg", "gif", "webp"].iter().any(|kind| {
            url.strip_prefix("data:image/")
                .and_then(|rest| rest.strip_prefix(kind))
                .is_some_and(|rest| rest.starts_with([';', ',']))
        })
}

/// CSS may not load anything or hide a keyword behind escapes: every `url(` must point at a
/// `#fragment`; no backslash escapes or script-ish keywords; and the only at-rules are the
/// ones mermaid's stylesheets use (`@keyframes` for animated edges, `@media`, `@supports`), so
/// no `@import`, `@font-face` or `@namespace`.
fn safe_css(css: &str) -> bool {
    let lower = css.to_ascii_lowercase();
    let safe_at_rules = lower.match_indices('@').all(|(at, _)| {
        ["keyframes", "media", "supports"]
            .iter()
            .any(|rule| lower[at + 1..].starts_with(rule))
    });
    if lower.contains('\\')
        || !safe_at_rules
        || lower.contains('<')
        || ["expression", "javascript:", "behavior:", "-moz-binding"]
            .iter()
            .any(|bad| lower.contains(bad))
    {
        return false;
    }
    lower.match_indices("url(").all(|(at, _)| {
        lower[at + 4..]
            .trim_start_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .starts_with('#')
    })
}

/// Writes a `<style>` element if its content is safe CSS, else drops it with its content.
/// Returns the input after the element.
fn write_style<'a>(out: &mut String, tag: &Tag<'_>, rest: &'a str) -> &'a str {
    if tag.self_closing {
        return rest;
    }
    let Some(end) = rest.match_indices("</").map(|(at, _)| at).find(|&at| {
        rest[at + 2..]
            .get(..5)
            .is_some_and(|n| n.eq_ignore_ascii_case("style"))
    }) else {
        return "";
    };
    // In XML the stylesheet's text is read with its references decoded (merman writes a
    // classDef's `.a>*` as `.a&gt;*`), so the check sees what a browser will.
    let css = decode_entities(&rest[..end]);
    let after = rest[end..].find('>').map_or("", |e| &rest[end + e + 1..]);
    if safe_css(&css) {
        out.push_str("<style>");
        push_css(out, &css);
        out.push_str("</style>");
    }
    after
}

/// Writes checked CSS (which has no '<') as XML text: '&' escaped, and '>' escaped wherever
/// it would close a `]]>`.
fn push_css(out: &mut String, css: &str) {
    for c in css.chars().filter(|c| xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '>' if out.ends_with("]]") => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// Copies text, keeping well-formed character references and escaping any other '&', and
/// dropping control characters XML forbids (they would make the whole image unreadable).
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        push_clean(out, &rest[..amp]);
        let tail = &rest[amp..];
        let len = reference_length(tail);
        match len {
            Some(len) => out.push_str(&tail[..len]),
            None => out.push_str("&amp;"),
        }
        rest = &tail[len.unwrap_or(1)..];
    }
    push_clean(out, rest);
}

fn push_clean(out: &mut String, text: &str) {
    for c in text.chars().filter(|c| xml_char(*c)) {
        // A bare '>' is legal but "]]>" is not; escaping every one is simplest.
        match c {
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// XML 1.0's `Char`: no control characters but tab and line breaks, and not U+FFFE/U+FFFF
/// (merman copies both into labels unescaped; one makes the whole image unreadable).
fn xml_char(c: char) -> bool {
    (!c.is_control() || matches!(c, '\t' | '\n' | '\r')) && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// The length of a predefined or numeric character reference at the start of `s` (which
/// starts with '&').
fn reference_length(s: &str) -> Option<usize> {
    let (semi, _) = s.char_indices().take(12).find(|(_, c)| *c == ';')?;
    decode_reference(&s[1..semi]).map(|_| semi + 1)
}

fn decode_reference(entity: &str) -> Option<char> {
    match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            // Only the forms XML accepts (`&#65;`, `&#x41;`); anything else stays literal text.
            let (digits, radix) = match entity.strip_prefix("#x") {
                Some(hex) => (hex, 16),
                None => (entity.strip_prefix('#')?, 10),
            };
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return None;
            }
            let code = u32::from_str_radix(digits, radix).ok()?;
            char::from_u32(code).filter(|c| xml_char(*c) && *c != '\0')
        }
    }
}

/// Decodes character references once, as a browser would before using the value.
fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        match reference_length(tail) {
            Some(len) => {
                out.extend(decode_reference(&tail[1..len - 1]));
                rest = &tail[len..];
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

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars().filter(|c| xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Whether `svg` is one well-formed element: every end tag matches the innermost open
    /// element and nothing is left open or follows the root.
    fn balanced(svg: &str) -> bool {
        let mut open = Vec::new();
        let mut rest = svg;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let end = rest.find('>').unwrap_or(rest.len());
            let tag = &rest[..end];
            if let Some(name) = tag.strip_prefix('/') {
                if open.pop() != Some(name.to_owned()) {
                    return false;
                }
                if open.is_empty() && !rest[end..].trim_start_matches('>').is_empty() {
                    return false;
                }
            } else if !tag.ends_with('/') {
                open.push(tag.split(' ').next().unwrap_or("").to_owned());
            }
        }
        open.is_empty()
    }

    #[test]
    fn output_stays_well_formed_when_injected_text_breaks_the_markup() {
        // What the renderer wrote for `linkStyle 0 stroke:red : "x" <|-- :: ` and friends: a
        // quote in the value ends the attribute early and the rest is junk inside the tag.
        let cases = [
            r#"<svg><defs><marker id="m"><path d="M 0 0" fill="red : <b>x</b> --o " :::k loop <|-- ::" stroke-width="1"/></marker></defs><g><rect/></g></svg>"#,
            r#"<svg><g><text>a</g></text><rect/></svg>"#,
            r#"<svg><g><g><text>never closed"#,
            r#"<svg></g></marker><rect/></svg><svg><text>second root</text></svg>trailing"#,
            r#"text before <g>no root yet</g><svg><rect/></svg>"#,
        ];
        for svg in cases {
            let clean = sanitize_svg(svg);
            assert!(balanced(&clean), "{svg}\n=> {clean}");
            assert!(clean.starts_with("<svg"), "{clean}");
            assert!(
                !clean.contains("second root") && !clean.contains("trailing"),
                "{clean}"
            );
            assert!(!clean.contains("no root yet"), "{clean}");
        }
    }

    #[test]
    fn only_safe_links_survive() {
        for bad in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "java\u{1}script:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
        ] {
            assert!(!safe_link(bad), "{bad}");
        }
        for good in [
            "https://example.net/x",
            "http://a",
            "/d/abc",
            "#frag",
            "page?x=1",
        ] {
            assert!(safe_link(good), "{good}");
        }
        assert!(safe_image("data:image/png;base64,AAAA"));
        assert!(!safe_image("data:image/svg+xml,<svg onload=alert(1)>"));
        assert!(!safe_image("https://tracker.example/pixel.png"));
    }

    #[test]
    fn handlers_and_unsafe_hrefs_are_dropped() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)" xlink:href="javascript&#58;alert(1)"><rect onclick="x()" width="3"/></a><text>a &lt;b&gt; onload=</text></svg>"#;
        let clean = sanitize_svg(svg);
        assert!(!clean.contains("javascript"), "{clean}");
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(clean.contains(r#"<rect width="3"/>"#), "{clean}");
        assert!(
            clean.contains("<text>a &lt;b&gt; onload=</text>"),
            "{clean}"
        );
    }

    #[test]
    fn injected_markup_is_dropped_with_its_content() {
        let svg = r#"<svg><rect fill="red"/><script>alert(1)</script><foreignObject><img src=x onerror=alert(2)></foreignObject><set attributeName="href" to="javascript:alert(3)"/><SCRIPT>alert(4)</SCRIPT><text>ok</text></svg>"#;
        let clean = sanitize_svg(svg);
        for bad in ["script", "alert", "img", "<set", "onerror"] {
            assert!(!clean.to_ascii_lowercase().contains(bad), "{bad}: {clean}");
        }
        assert!(clean.contains("<foreignObject></foreignObject>"), "{clean}");
        assert!(clean.contains("<text>ok</text>"), "{clean}");
    }

    #[test]
    fn label_html_keeps_its_shape_and_namespace() {
        let svg = r#"<svg><g><foreignObject width="10"><div style="display: table-cell"><span class="nodeLabel">a<br>b</span></div></foreignObject></g><text>ok</text></svg>"#;
        assert_eq!(
            sanitize_svg(svg),
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><g><foreignObject width="10"><div xmlns="http://www.w3.org/1999/xhtml" style="display: table-cell"><span class="nodeLabel">a<br/>b</span></div></foreignObject></g><text>ok</text></svg>"#
        );
    }

    #[test]
    fn an_unclosed_dropped_element_ends_with_its_parent() {
        let svg = r#"<svg><g><foreignObject><div><iframe><p>x</div></foreignObject><unknown></g><text>ok</text></svg>"#;
        let clean = sanitize_svg(svg);
        assert!(!clean.contains("iframe"), "{clean}");
        assert!(!clean.contains("unknown"), "{clean}");
        assert!(clean.ends_with("<text>ok</text></svg>"), "{clean}");
    }

    #[test]
    fn parser_differentials_are_closed() {
        // `--!>` ends a comment for HTML but not for XML; a '>' inside a quoted value ends
        // nothing; unquoted or slash-separated attributes are not guessed at.
        let svg = r#"<svg><!-- --!><img src=x onerror=alert(1)> --><g title="a>b" /onload="alert(2)"><rect x=1 onload=alert(3)/></g><![CDATA[<script>alert(4)</script>]]></svg>"#;
        let clean = sanitize_svg(svg);
        assert!(!clean.contains("<img"), "{clean}");
        assert!(!clean.contains("onload"), "{clean}");
        assert!(!clean.contains("<script"), "{clean}");
        assert!(clean.contains(r#"title="a&gt;b""#), "{clean}");
    }

    #[test]
    fn css_may_only_reference_fragments() {
        let svg = r#"<svg><path marker-end="url(#arrow)" fill="url(https://x.example/t)" style="cursor:url(//x.example/c),auto"/><style>@import "//x.example/a.css";</style><style>.a{fill:red}</style></svg>"#;
        let clean = sanitize_svg(svg);
        assert!(clean.contains(r#"marker-end="url(#arrow)""#), "{clean}");
        assert!(!clean.contains("x.example"), "{clean}");
        assert!(clean.contains("<style>.a{fill:red}</style>"), "{clean}");
    }

    #[test]
    fn output_stays_well_formed_xml() {
        let svg = "<svg><text>a ]]> b &#X41; &#+65; &#65; &nbsp; \u{1}</text></svg>";
        let clean = sanitize_svg(svg);
        assert!(
            clean.contains("<text>a ]]&gt; b &amp;#X41; &amp;#+65; &#65; &amp;nbsp; </text>"),
            "{clean}"
        );
    }

    #[test]
    fn duplicate_attributes_and_foreign_namespaces_are_dropped() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg"><g fill="red" fill="blue" xmlns="http://www.w3.org/1999/xhtml" x:onclick="y"/></svg>"#;
        let clean = sanitize_svg(svg);
        assert_eq!(
            clean,
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><g fill="red"/></svg>"#
        );
    }
}
