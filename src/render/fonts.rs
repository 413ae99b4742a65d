//! Labels measured with the font they are drawn with, so they fit their boxes.
//!
//! mermaid.js sizes every node from the width the browser reports for its label. merman's
//! default measurement is a table of approximate widths, and labels came out narrower than
//! browsers draw them ("classA" clipped to "class"). So the worker measures with a real font,
//! Recursive (mermaid 12's own default, SIL OFL 1.1, `assets/fonts/`), through merman's native
//! font context, and every viewer draws with that same font: each SVG carries an `@font-face`
//! holding only the glyphs it uses (a subset, 8–12 KB per weight), and PNG and PDF are painted
//! with it. The font is locked in the site configuration: a diagram choosing another family
//! would be measured with Recursive and drawn with something else.
//!
//! Native measurement shapes each label through usvg (about 50 µs a probe, ten times the
//! table), and merman starts every render with an empty cache. Most labels repeat between
//! renders (the editor re-renders on every keystroke), so a measurement cache shared by the
//! renders of one worker keeps a re-render as fast as the table.
//!
//! A render spends at most [`NATIVE_BUDGET`] shaping new labels; a diagram with more than
//! that measures its remaining labels with the table, so it is drawn in time.
//!
//! Characters Recursive lacks (Greek, Cyrillic, CJK, arrows, emoji): in an SVG, that label is
//! measured with the table and drawn with the viewer's fallback font; PNG and PDF measure and
//! draw it with DejaVu Sans, WenQuanYi Micro Hei or Noto Color Emoji where installed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use lru::LruCache;
use merman::svg::export::{NativeFontContext, NativeFontLimits};
use merman::svg::{
    HostMeasurementResult, HostTextMeasurement, HostTextMeasurementRequest, HostTextMeasurer,
    MeasurementProfileId, SvgEnvironment, TextMeasurementPhase, TextMeasurementPolicy,
    TextMeasurementProfileIdentity,
};
use merman::{Engine, MermaidConfig, OperationControl};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/Recursive-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/Recursive-Bold.ttf");

/// The family name inside the font files, and so in the SVG's CSS.
pub const FAMILY: &str = "Recursive";

/// What a diagram's text is set in. Only the first family is measured; the rest is for
/// viewers that drop the embedded font.
const FONT_FAMILY: &str = "Recursive, sans-serif";

/// Measurements kept per worker, least recently used dropped first. An entry is about 200
/// bytes (the request spelled out, and the metrics), so at most about 10 MB.
const CACHE_ENTRIES: NonZeroUsize = NonZeroUsize::new(50_000).expect("not zero");

/// Time one render may spend shaping labels it has not measured before. A probe takes about
/// 50 µs, so this covers some 10,000 labels; past it, the rest of that diagram is measured
/// with merman's width table, so a huge diagram is still drawn in time (a little narrow)
/// rather than stopped at the deadline.
const NATIVE_BUDGET: Duration = Duration::from_millis(500);

/// Uncached shaping probes allowed in one render. merman's default (16,384) would fail a
/// render of a few thousand labels outright (a label takes several probes); here the time
/// budget above ends native shaping first and the render goes on with the table.
const MAX_MEASUREMENTS: usize = 200_000;

type MeasurementCache = LruCache<String, Option<HostTextMeasurement>>;

struct Fonts {
    context: NativeFontContext,
    identity: TextMeasurementProfileIdentity,
    /// Keyed by the whole request, so equal keys always mean equal answers; `None` is a
    /// label the font cannot draw.
    cache: Arc<Mutex<MeasurementCache>>,
}

/// The fonts, loaded once per worker; `None` if they could not be (merman's table is used).
fn fonts() -> Option<&'static Fonts> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let limits = NativeFontLimits {
                max_measurements: MAX_MEASUREMENTS,
                ..NativeFontLimits::default()
            };
            let context = NativeFontContext::from_font_bytes(
                [REGULAR.to_vec(), BOLD.to_vec()],
                limits,
                &OperationControl::new(),
            )
            .ok()?;
            let id = MeasurementProfileId::new("reef-recursive").ok()?;
            let identity = TextMeasurementProfileIdentity::new(id, context.identity()).ok()?;
            Some(Fonts {
                context,
                identity,
                cache: Arc::new(Mutex::new(LruCache::new(CACHE_ENTRIES))),
            })
        })
        .as_ref()
}

/// The engine every render uses: merman's defaults, with the font set and locked against
/// `%%{init}%%` and front matter (`secure` lists the keys a diagram may not change; the first
/// six are merman's own).
pub fn engine() -> Engine {
    let site = MermaidConfig::from_value(serde_json::json!({
        "fontFamily": FONT_FAMILY,
        "secure": [
            "secure", "securityLevel", "startOnLoad", "maxTextSize", "suppressErrorRendering",
            "maxEdges", "themeCSS", "fontFamily", "fontWeight",
        ],
    }));
    Engine::new().with_site_config(site)
}

/// One render's measurer: the worker's cache in front of a native context scoped to this
/// render (its counters, limits and failures are the render's own).
struct CachedMeasurer {
    context: NativeFontContext,
    cache: Arc<Mutex<MeasurementCache>>,
    /// Time this render has spent shaping uncached labels.
    spent: Mutex<Duration>,
}

impl CachedMeasurer {
    fn key(request: &HostTextMeasurementRequest<'_>) -> String {
        format!(
            "{:?}",
            (
                request.operation,
                request.phase,
                request.text,
                request.style,
                request.max_width.map(f64::to_bits),
                request.wrap_mode,
            )
        )
    }
}

impl CachedMeasurer {
    fn cached(
        &self,
        request: HostTextMeasurementRequest<'_>,
        measure: impl FnOnce(HostTextMeasurementRequest<'_>) -> HostMeasurementResult,
    ) -> HostMeasurementResult {
        let key = Self::key(&request);
        if let Some(hit) = self
            .cache
            .lock()
            .ok()
            .and_then(|mut c| c.get(&key).copied())
        {
            return Ok(hit);
        }
        let mut spent = self.spent.lock().map_or(NATIVE_BUDGET, |spent| *spent);
        if spent >= NATIVE_BUDGET {
            // Declined: merman measures this label with its width table instead.
            return Ok(None);
        }
        let started = Instant::now();
        let result = measure(request);
        spent += started.elapsed();
        if let Ok(mut total) = self.spent.lock() {
            *total = spent;
        }
        // Failures are not kept: they belong to this render (its deadline, its limits).
        if let (Ok(answer), Ok(mut cache)) = (&result, self.cache.lock()) {
            cache.put(key, *answer);
        }
        result
    }
}

impl HostTextMeasurer for CachedMeasurer {
    fn measure(&self, request: HostTextMeasurementRequest<'_>) -> HostMeasurementResult {
        self.cached(request, |request| self.context.measure(request))
    }

    fn measure_with_control(
        &self,
        request: HostTextMeasurementRequest<'_>,
        control: &OperationControl,
    ) -> HostMeasurementResult {
        self.cached(request, |request| {
            self.context.measure_with_control(request, control)
        })
    }
}

/// The SVG environment of one render: text measured with Recursive, through the cache.
pub fn svg_environment(control: &OperationControl) -> SvgEnvironment {
    let Some(fonts) = fonts() else {
        return SvgEnvironment::deterministic();
    };
    let measurer = CachedMeasurer {
        context: fonts.context.for_operation(control),
        cache: Arc::clone(&fonts.cache),
        spent: Mutex::new(Duration::ZERO),
    };
    SvgEnvironment::deterministic().with_text_measurement_policy(
        TextMeasurementPolicy::host_display(
            fonts.identity.clone(),
            Arc::new(measurer),
            TextMeasurementPhase::ALL,
        ),
    )
}

/// Fonts a PNG or PDF falls back to for what Recursive lacks, where installed: Debian's paths,
/// as in Reef's container image. DejaVu Sans (`fonts-dejavu-core`, 2.9 MB) draws Greek,
/// Cyrillic, arrows and symbols; WenQuanYi Micro Hei (`fonts-wqy-microhei`, 5.2 MB) Chinese,
/// Japanese and Korean; Noto Color Emoji (`fonts-noto-color-emoji`, 11 MB) emoji.
const FALLBACK_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
];

/// Recursive first, then the fallback fonts that are installed: loaded on a worker's first PNG
/// or PDF, as they are large and SVGs do not need them.
fn painting_fonts() -> Option<&'static NativeFontContext> {
    static PAINTING: OnceLock<Option<NativeFontContext>> = OnceLock::new();
    PAINTING
        .get_or_init(|| {
            let installed = FALLBACK_FONTS
                .iter()
                .filter_map(|path| std::fs::read(path).ok());
            let limits = NativeFontLimits {
                max_measurements: MAX_MEASUREMENTS,
                ..NativeFontLimits::default()
            };
            NativeFontContext::from_font_bytes(
                [REGULAR.to_vec(), BOLD.to_vec()]
                    .into_iter()
                    .chain(installed),
                limits,
                &OperationControl::new(),
            )
            .ok()
        })
        .as_ref()
}

/// Recursive and the installed fallback fonts as a resvg font database, for drawing a PNG
/// without merman's conversion (see `worker::png_by_resvg`).
pub fn font_database() -> Arc<resvg::usvg::fontdb::Database> {
    static DATABASE: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    Arc::clone(DATABASE.get_or_init(|| {
        let mut database = resvg::usvg::fontdb::Database::new();
        database.load_font_data(REGULAR.to_vec());
        database.load_font_data(BOLD.to_vec());
        for path in FALLBACK_FONTS {
            if let Ok(bytes) = std::fs::read(path) {
                database.load_font_data(bytes);
            }
        }
        database.set_sans_serif_family(FAMILY);
        Arc::new(database)
    }))
}

/// The environment of a PNG or PDF: measured and painted with the same fonts, Recursive and
/// its fallbacks (uncached: merman insists the painting context be the measuring one).
pub fn painting_environment(control: &OperationControl) -> SvgEnvironment {
    painting_fonts()
        .and_then(|fonts| {
            SvgEnvironment::deterministic()
                .with_native_font_context(fonts.for_operation(control))
                .ok()
        })
        .unwrap_or_else(SvgEnvironment::deterministic)
}

/// The characters an SVG draws: the text between its tags (entities decoded), not its
/// markup or stylesheets.
fn drawn_chars(svg: &str) -> BTreeSet<char> {
    let mut chars = BTreeSet::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        collect_text(&rest[..open], &mut chars);
        rest = &rest[open..];
        let skip_to = if rest.starts_with("<style") {
            rest.find("</style>").map(|end| end + "</style>".len())
        } else {
            rest.find('>').map(|end| end + 1)
        };
        rest = skip_to.map_or("", |end| &rest[end..]);
    }
    collect_text(rest, &mut chars);
    chars
}

fn collect_text(text: &str, chars: &mut BTreeSet<char>) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        chars.extend(rest[..amp].chars().filter(|c| !c.is_whitespace()));
        rest = &rest[amp + 1..];
        let Some(end) = rest.find(';').filter(|end| *end <= 10) else {
            chars.insert('&');
            continue;
        };
        let entity = &rest[..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        chars.extend(decoded);
        rest = &rest[end + 1..];
    }
    chars.extend(rest.chars().filter(|c| !c.is_whitespace()));
}

/// Whether the SVG sets any text in bold (mermaid's titles, `**markdown**`, class names).
fn uses_bold(svg: &str) -> bool {
    [
        "bold",
        "<strong",
        "<b>",
        "font-weight:6",
        "font-weight:7",
        "font-weight:8",
        "font-weight:9",
    ]
    .iter()
    .any(|needle| svg.contains(needle))
        || [": 6", ": 7", ": 8", ": 9", "=\"6", "=\"7", "=\"8", "=\"9"]
            .iter()
            .any(|tail| svg.contains(&format!("font-weight{tail}")))
}

/// Recursive cut down to `chars` (plus the space), as TrueType: hb-subset's defaults through
/// skera, so kerning and marks still apply. `None` if the font has none of them.
fn subset(font: &[u8], chars: &BTreeSet<char>) -> Option<Vec<u8>> {
    use read_fonts::FontRef;
    use read_fonts::collections::IntSet;
    use read_fonts::types::{NameId, Tag};
    use skera::{DEFAULT_LAYOUT_FEATURES, Plan, SubsetFlags, subset_font};

    let font = FontRef::new(font).ok()?;
    let mut unicodes = IntSet::<u32>::empty();
    for c in chars.iter().chain(&[' ', '\u{a0}']) {
        unicodes.insert(u32::from(*c));
    }
    let mut scripts = IntSet::<Tag>::empty();
    scripts.invert();
    let mut features = IntSet::<Tag>::empty();
    features.extend(DEFAULT_LAYOUT_FEATURES.iter().copied());
    let mut name_ids = IntSet::<NameId>::empty();
    name_ids.insert_range(NameId::from(0)..=NameId::from(6));
    let mut languages = IntSet::<u16>::empty();
    languages.insert(0x0409);
    let plan = Plan::new(
        &IntSet::empty(),
        &unicodes,
        &font,
        SubsetFlags::default(),
        &IntSet::empty(),
        &scripts,
        &features,
        &name_ids,
        &languages,
    );
    subset_font(&font, &plan).ok()
}

/// Puts the glyphs the SVG draws into it as `@font-face` rules (a `<style>` first inside the
/// root), so it looks the same where Recursive is not installed: in an `<img>`, which cannot
/// load fonts, and in a file opened on its own. Returns the SVG unchanged if it draws no text.
pub fn embed_font(svg: String) -> String {
    let chars = drawn_chars(&svg);
    if chars.is_empty() {
        return svg;
    }
    let Some(root_end) = svg.find('>').map(|end| end + 1) else {
        return svg;
    };
    let mut faces = String::new();
    let weights: &[(&[u8], u16)] = if uses_bold(&svg) {
        &[(REGULAR, 400), (BOLD, 700)]
    } else {
        &[(REGULAR, 400)]
    };
    for (font, weight) in weights {
        let Some(bytes) = subset(font, &chars) else {
            continue;
        };
        let _ = write!(
            faces,
            "@font-face{{font-family:\"{FAMILY}\";font-weight:{weight};src:url(data:font/ttf;base64,{}) format(\"truetype\");}}",
            base64(&bytes)
        );
    }
    if faces.is_empty() {
        return svg;
    }
    let mut out = String::with_capacity(svg.len() + faces.len() + 16);
    out.push_str(&svg[..root_end]);
    out.push_str("<style>");
    out.push_str(&faces);
    out.push_str("</style>");
    out.push_str(&svg[root_end..]);
    out
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_drawn_text_counts() {
        let svg = r#"<svg width="10"><style>.a{fill:red}</style><text x="1">A &amp; b&#x4e2d;</text><g><p>c&lt;</p></g></svg>"#;
        let chars: String = drawn_chars(svg).into_iter().collect();
        assert_eq!(chars, "&<Abc中");
    }

    #[test]
    fn the_subset_is_small_and_embedded_once() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg"><text>Hello</text></svg>"#.to_owned();
        let out = embed_font(svg);
        assert_eq!(out.matches("@font-face").count(), 1, "regular only");
        assert!(out.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg"><style>@font-face{font-family:"Recursive";font-weight:400;src:url(data:font/ttf;base64,"#));
        assert!(out.len() < 12_000, "{}", out.len());
        let bold = embed_font(r#"<svg><text font-weight="bold">Hi</text></svg>"#.to_owned());
        assert_eq!(bold.matches("@font-face").count(), 2);
        let empty = r#"<svg><rect/></svg>"#.to_owned();
        assert_eq!(embed_font(empty.clone()), empty);
    }
}
