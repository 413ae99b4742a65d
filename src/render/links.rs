//! Where a diagram's links are drawn. Mermaid's `click NODE "https://…"` wraps the node in an
//! SVG `<a>`; Reef's pages show diagrams as `<img>` (nothing in them can run), where links do
//! nothing, so a page lays plain `<a>` areas over the picture instead (an image map in SVG).
//! This module finds each link's box in the sanitised SVG; it runs in the render worker like
//! every other use of the renderer's output.

use resvg::usvg;
use serde::{Deserialize, Serialize};

/// The links of one drawing, in the drawing's own pixel space (`0 0 width height`, what the
/// SVG's `width`/`height` or `viewBox` give), so an overlay with that `viewBox` lines up with
/// the `<img>` at any size.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkMap {
    /// The drawing's width in CSS px at 100 %.
    pub width: f32,
    /// The drawing's height in CSS px at 100 %.
    pub height: f32,
    /// At most [`MAX_AREAS`], in document order.
    pub areas: Vec<LinkArea>,
}

/// One link's box: the bounding box of everything inside its `<a>` (the node's shape and label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkArea {
    /// An absolute `http:` or `https:` URL, as the diagram gave it (the sanitiser has already
    /// dropped every other scheme).
    pub href: String,
    /// `_blank` when the diagram asked for a new window, else empty.
    pub target: String,
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// The most areas one map holds; further links are left out.
pub const MAX_AREAS: usize = 200;

/// The prefix of the ids given to `<a>` elements so that their boxes can be found.
const MARK: &str = "reef-link-area-";

/// The link map of `svg` (Reef's sanitised output, labels already SVG text): each `<a>` with
/// an absolute http(s) `href` gets an id, the document is laid out by usvg with `options`
/// (fonts for the text), and each box is read back. `None` when the SVG does not parse;
/// links whose content has no area (an empty group) are left out.
pub fn link_map(svg: &str, options: &usvg::Options) -> Option<LinkMap> {
    let (marked, links) = mark_links(svg)?;
    if links.is_empty() {
        return Some(LinkMap::default());
    }
    let tree = usvg::Tree::from_str(&marked, options).ok()?;
    let size = tree.size();
    let areas = links
        .into_iter()
        .enumerate()
        .filter_map(|(i, (href, target))| {
            let node = tree.node_by_id(&format!("{MARK}{i}"))?;
            let b = node.abs_bounding_box();
            (b.width() >= 1.0 && b.height() >= 1.0).then(|| LinkArea {
                href,
                target,
                x: round(b.x()),
                y: round(b.y()),
                width: round(b.width()),
                height: round(b.height()),
            })
        })
        .collect();
    Some(LinkMap {
        width: round(size.width()),
        height: round(size.height()),
        areas,
    })
}

fn round(v: f32) -> f32 {
    (v * 10.0).round() / 10.0
}

/// `svg` with an `id` of [`MARK`]`N` on the N-th `<a>` that links to an absolute http(s) URL
/// (any id it had is replaced), and those links' `(href, target)`.
fn mark_links(svg: &str) -> Option<(String, Vec<(String, String)>)> {
    let doc = usvg::roxmltree::Document::parse_with_options(
        svg,
        usvg::roxmltree::ParsingOptions {
            allow_dtd: false,
            ..Default::default()
        },
    )
    .ok()?;
    // (where the start tag's name ends, where an old id attribute sits)
    let mut edits: Vec<(usize, Option<std::ops::Range<usize>>)> = Vec::new();
    let mut links = Vec::new();
    for node in doc.descendants() {
        if links.len() == MAX_AREAS {
            break;
        }
        if !node.is_element() || node.tag_name().name() != "a" {
            continue;
        }
        let href = node
            .attributes()
            .find(|a| a.name() == "href")
            .map(|a| a.value().trim());
        let Some(href) = href.filter(|h| is_web_url(h)) else {
            continue;
        };
        let target = match node.attribute("target") {
            Some("_blank") => "_blank",
            _ => "",
        };
        let start = node.range().start;
        // The start tag as written: `<a` and a space (no prefix such as `svg:a`).
        if !svg
            .get(start..)
            .is_some_and(|t| t.starts_with("<a") && t[2..].starts_with(char::is_whitespace))
        {
            continue;
        }
        let old_id = node
            .attributes()
            .find(|a| a.name() == "id" && a.namespace().is_none())
            .map(|a| a.range());
        edits.push((start + "<a".len(), old_id));
        links.push((href.to_owned(), target.to_owned()));
    }
    let mut out = String::with_capacity(svg.len() + edits.len() * 32);
    let mut at = 0;
    for (i, (name_end, old_id)) in edits.into_iter().enumerate() {
        out.push_str(svg.get(at..name_end)?);
        out.push_str(&format!(" id=\"{MARK}{i}\""));
        at = name_end;
        if let Some(old) = old_id {
            out.push_str(svg.get(at..old.start)?);
            at = old.end;
        }
    }
    out.push_str(svg.get(at..)?);
    Some((out, links))
}

/// An absolute `http:`/`https:` URL with a host and no spaces or control characters.
fn is_web_url(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !href.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> usvg::Options<'static> {
        usvg::Options::default()
    }

    #[test]
    fn each_web_link_gets_the_box_of_what_it_wraps() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="-10 -10 400 200">
            <a href="https://example.org/a" id="old"><g transform="translate(50,40)"><rect x="-20" y="-10" width="40" height="20" fill="red"/></g></a>
            <a href="/relative"><rect x="0" y="0" width="10" height="10" fill="red"/></a>
            <a href="http://example.org/b" target="_blank"><circle cx="300" cy="100" r="10" fill="blue"/></a>
            <a href="https://example.org/empty"><g/></a>
        </svg>"#;
        let map = link_map(svg, &options()).expect("parses");
        assert_eq!((map.width, map.height), (200.0, 100.0));
        assert_eq!(map.areas.len(), 2, "{map:?}");
        let a = &map.areas[0];
        assert_eq!(a.href, "https://example.org/a");
        assert_eq!(a.target, "");
        // viewBox scale is 0.5 and its origin is at (-10, -10).
        assert_eq!((a.x, a.y, a.width, a.height), (20.0, 20.0, 20.0, 10.0));
        let b = &map.areas[1];
        assert_eq!(b.target, "_blank");
        assert_eq!((b.x, b.y, b.width, b.height), (150.0, 50.0, 10.0, 10.0));
    }

    #[test]
    fn only_absolute_web_urls_count() {
        for ok in [
            "https://example.org",
            "http://x.y/path?q=1#f",
            "HTTPS://EXAMPLE.ORG",
        ] {
            assert!(is_web_url(ok), "{ok}");
        }
        for bad in [
            "/path",
            "https:///evil",
            "https://",
            "javascript:alert(1)",
            "mailto:a@b",
            "https://a b",
            "#frag",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }

    #[test]
    fn a_diagram_without_links_needs_no_layout() {
        let map = link_map("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", &options());
        assert_eq!(map, Some(LinkMap::default()));
        assert_eq!(link_map("<svg", &options()), None);
    }
}
