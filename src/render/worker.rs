//! The render worker: `reef render-worker`, a child process that renders one job at a time
//! from stdin to stdout. Running layout in a separate process is what lets the server enforce
//! a hard time limit: a runaway layout is ended by killing the process, which frees the CPU,
//! where a thread could only be abandoned.

use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::OnceLock;

use std::time::Duration;

use merman::svg::SvgPipeline;
use merman::svg::export::{PdfOptions, RasterOptions, RasterSizeLimit, SvgConversionLimits};
use merman::{
    AsciiRequest, OperationControl, ParseOptions, PdfRequest, PngRequest, RenderError,
    RenderOutput, RenderRequest, Renderer, SvgEnvironment, SvgRequest,
};

use super::fonts;
use super::links;
use super::protocol::{Answer, Format, Job, MAX_FRAME};
use super::sanitize::sanitize_svg;

/// PNGs larger than this many pixels are refused rather than allocated.
const MAX_PIXELS: u64 = 40_000_000;

/// merman's structural limits for turning an SVG into PNG or PDF, with room for a drop-shadow
/// filter on every node: its default (128 filter primitives in all) refused a 300-node chain.
/// Time and memory stay bounded by the worker's deadline and memory cap.
fn conversion_limits() -> SvgConversionLimits {
    SvgConversionLimits {
        max_total_filter_primitives: Some(65_536),
        ..SvgConversionLimits::default_safe()
    }
}

fn read_frame(input: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut buf = vec![0u8; len];
    input.read_exact(&mut buf)?;
    Ok(Some(buf))
}

fn write_frame(output: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    output.write_all(&len.to_be_bytes())?;
    output.write_all(bytes)
}

/// One renderer per worker: it holds the parsed site defaults and is reused by every job.
fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<Renderer> = OnceLock::new();
    RENDERER.get_or_init(|| {
        Renderer::new()
            .with_engine(fonts::engine())
            .with_parse_options(ParseOptions::strict())
    })
}

/// The 1-based line and column (in characters) of byte `offset` in `source`.
fn position(source: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Strips what merman's message repeats of the position, so the caller shows it once: the
/// parser's own "Parse error on line 3:" prefix and the source excerpt with its caret.
fn parse_message(message: &str) -> String {
    let message = message
        .strip_prefix("Diagram parse error (")
        .and_then(|rest| rest.split_once("): "))
        .map_or(message, |(_, rest)| rest);
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut text = lines.next().unwrap_or("").to_owned();
    if let Some(rest) = strip_line_prefix(&text) {
        // "Parse error on line 3:" is followed by the excerpt, its caret, then the reason.
        text = if rest.is_empty() {
            lines.next_back().unwrap_or("").to_owned()
        } else {
            rest.to_owned()
        };
    }
    let text = text.trim_end_matches(['.', ':']).trim();
    if text.is_empty() {
        "the diagram could not be read".to_owned()
    } else {
        text.to_owned()
    }
}

fn strip_line_prefix(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("Parse error on line ")
        .or_else(|| text.strip_prefix("Syntax error on line "))?;
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    Some(rest[digits..].trim_start_matches(':').trim())
}

/// Turns merman's error into our answer.
fn error_answer(source: &str, error: &RenderError) -> Answer {
    match error {
        RenderError::NoDiagram => Answer::Parse {
            message: "no diagram type found; start with a header such as `flowchart LR` or `sequenceDiagram`".into(),
            line: Some(1),
            column: None,
        },
        RenderError::Parse(diagnostic) => {
            let details = diagnostic.terminal_diagnostic_details();
            let (line, column) = match details.span {
                Some(span) => {
                    // "Unexpected end of input" points past the final newline; the user means
                    // the end of the last line they wrote.
                    let (line, column) = position(source, span.start.min(source.trim_end().len()));
                    (Some(line), Some(column))
                }
                None => (None, None),
            };
            Answer::Parse {
                message: parse_message(&diagnostic.terminal_safe_message()),
                line,
                column,
            }
        }
        RenderError::Cancelled(_) => Answer::Timeout,
        RenderError::ResourceLimitExceeded(limit) => Answer::TooComplex {
            limit: limit.id.to_owned(),
            actual: limit.actual,
            maximum: limit.maximum,
        },
        RenderError::Ascii(e) => Answer::Unsupported {
            message: text_drawing_refusal(&e.to_string()),
        },
        RenderError::UnsupportedTarget(what) => Answer::Unsupported {
            message: format!("{what} is not available"),
        },
        other => Answer::Failed {
            message: other.to_string(),
        },
    }
}

/// merman's reason for having no text drawing, said for the person who asked for one.
fn text_drawing_refusal(reason: &str) -> String {
    let reason = reason.trim_end_matches('.');
    match reason
        .split_once("diagram type `")
        .and_then(|(_, rest)| rest.split_once('`'))
    {
        Some((kind, _)) => {
            format!("there is no text drawing of {kind} diagrams; ask for SVG, PNG or PDF")
        }
        None => format!("this diagram has no text drawing yet ({reason}); ask for SVG, PNG or PDF"),
    }
}

/// The SVG stage of a job. The browser SVG is merman's default ("parity") pipeline, labels as
/// HTML; everything else goes through the resvg-safe pipeline (text-only SVG). `native`
/// measures text with the bundled font; without it, with merman's width table.
fn svg_request(format: Format, control: &OperationControl, native: bool) -> SvgRequest {
    let environment = match (native, format) {
        (false, _) => SvgEnvironment::deterministic(),
        (true, Format::Png | Format::Pdf) => fonts::painting_environment(control),
        (true, _) => fonts::svg_environment(control),
    };
    SvgRequest {
        environment,
        pipeline: (format != Format::Svg).then(SvgPipeline::resvg_safe),
        ..SvgRequest::default()
    }
}

/// Renders one job through merman, under its cooperative deadline.
pub(super) fn render(job: &Job) -> Result<(Vec<u8>, Vec<String>), RenderError> {
    let control = OperationControl::new().with_deadline(Duration::from_millis(job.deadline_ms));
    if job.format == Format::LinkMap {
        return link_map(job, &control).map(|json| (json, Vec::new()));
    }
    match render_with(job, &control, true) {
        // A style the native measurement cannot follow (merman names a few, such as a
        // `letter-spacing` on a label) falls back to the width table rather than failing.
        Err(e) if is_font_error(&e) => render_with(job, &control, false),
        Err(RenderError::ResourceLimitExceeded(limit))
            if job.format == Format::Png && limit.id == SELECTOR_BUDGET =>
        {
            png_by_resvg(job, &control)
                .map(|png| (png, Vec::new()))
                .ok_or(RenderError::ResourceLimitExceeded(limit))
        }
        other => other,
    }
}

/// merman's fixed budget for matching mermaid's stylesheet against HTML labels while it
/// turns them into SVG text for PNG and PDF; it refuses diagrams of a few hundred labelled
/// edges that the browser SVG draws without trouble.
const SELECTOR_BUDGET: &str = "svg_fallback_selector_index";

/// A PNG of a diagram past [`SELECTOR_BUDGET`]: the browser SVG, its HTML labels turned into
/// SVG text by merman's unbudgeted helper (labels past the budget keep the default label
/// style), drawn by resvg with the bundled and fallback fonts. Still under the worker's hard
/// time limit and memory cap; `None` if any step fails or the picture is over the pixel cap.
fn png_by_resvg(job: &Job, control: &OperationControl) -> Option<Vec<u8>> {
    use resvg::{tiny_skia, usvg};

    let text_svg = browser_svg_as_text(job, control).ok()?;
    let options = usvg_options();
    let tree = usvg::Tree::from_str(&text_svg, &options).ok()?;
    let scale = f32::from(job.scale.clamp(1, 4));
    let size = tree.size().to_int_size().scale_by(scale)?;
    if u64::from(size.width()) * u64::from(size.height()) > MAX_PIXELS {
        return None;
    }
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().ok()
}

/// The browser SVG of `job`'s source with its HTML labels turned into SVG text (merman's
/// helper), so that usvg sees every label.
fn browser_svg_as_text(job: &Job, control: &OperationControl) -> Result<String, RenderError> {
    let svg_job = Job {
        format: Format::Svg,
        scale: job.scale,
        deadline_ms: job.deadline_ms,
        max_memory: job.max_memory,
        source: job.source.clone(),
    };
    let (svg, _) = match render_with(&svg_job, control, true) {
        Err(e) if is_font_error(&e) => render_with(&svg_job, control, false),
        other => other,
    }?;
    let svg = String::from_utf8(svg).map_err(|_| RenderError::NoDiagram)?;
    Ok(merman::svg::foreign_object_label_fallback_svg_text(
        &svg,
        &merman::svg::DeterministicTextMeasurer::default(),
    ))
}

/// usvg with the bundled and fallback fonts.
fn usvg_options() -> resvg::usvg::Options<'static> {
    resvg::usvg::Options {
        fontdb: fonts::font_database(),
        font_family: fonts::FAMILY.to_owned(),
        ..resvg::usvg::Options::default()
    }
}

/// [`Format::LinkMap`]: the boxes of the browser SVG's links, as JSON ([`links::LinkMap`]).
fn link_map(job: &Job, control: &OperationControl) -> Result<Vec<u8>, RenderError> {
    let svg = browser_svg_as_text(job, control)?;
    let map = links::link_map(&svg, &usvg_options()).unwrap_or_default();
    serde_json::to_vec(&map).map_err(|_| RenderError::NoDiagram)
}

fn is_font_error(error: &RenderError) -> bool {
    match error {
        RenderError::NativeFont(_) => true,
        RenderError::Svg(e) => e.to_string().contains("native font"),
        RenderError::Export(e) => e.to_string().contains("native font"),
        _ => false,
    }
}

fn render_with(
    job: &Job,
    base: &OperationControl,
    native: bool,
) -> Result<(Vec<u8>, Vec<String>), RenderError> {
    let control = base.clone();
    let source = job.source.as_str();
    let output = match job.format {
        // A link map starts from the browser SVG ([`link_map`]).
        Format::Svg | Format::PortableSvg | Format::LinkMap => {
            let request = svg_request(job.format, &control, native);
            RenderRequest::svg(source, control, request)
        }
        Format::Png => {
            let svg = svg_request(job.format, &control, native);
            RenderRequest::png(
                source,
                control,
                PngRequest {
                    svg,
                    options: RasterOptions {
                        conversion_limits: conversion_limits(),
                        ..RasterOptions::default()
                            .with_scale(f32::from(job.scale.clamp(1, 4)))
                            .with_size_limit(RasterSizeLimit::new(None, None, Some(MAX_PIXELS)))
                            .with_background("white")
                    },
                },
            )
        }
        Format::Pdf => {
            let svg = svg_request(job.format, &control, native);
            RenderRequest::pdf(
                source,
                control,
                PdfRequest {
                    svg,
                    options: PdfOptions {
                        conversion_limits: conversion_limits(),
                        ..PdfOptions::default()
                    },
                },
            )
        }
        Format::Txt => RenderRequest::ascii(
            source,
            control,
            AsciiRequest {
                options: merman::ascii::AsciiRenderOptions::unicode(),
                ..AsciiRequest::default()
            },
        ),
    };
    match renderer().render(output)? {
        RenderOutput::Svg(Some(svg)) => Ok((
            fonts::embed_font(sanitize_svg(svg.svg())).into_bytes(),
            notices(source),
        )),
        RenderOutput::Png(Some(png)) => Ok((png.bytes, Vec::new())),
        RenderOutput::Pdf(Some(pdf)) => Ok((pdf.bytes, Vec::new())),
        RenderOutput::Ascii(Some(text)) => Ok((text.text.into_bytes(), Vec::new())),
        _ => Err(RenderError::NoDiagram),
    }
}

/// What the person should know about an SVG that rendered: merman draws a diagram that asks
/// for ELK with its default layout when ELK is not built in, and Reef leaves ELK out
/// (EPL-licensed, and heavy). merman's output does not say so, hence [`asks_for_elk`].
fn notices(source: &str) -> Vec<String> {
    if asks_for_elk(source) {
        vec![
            "This diagram asks for the ELK layout, which Reef does not include; it is drawn with the default layout."
                .to_owned(),
        ]
    } else {
        Vec::new()
    }
}

/// Whether the text asks for ELK the ways Mermaid reads it: a `flowchart-elk` header, or
/// `layout: elk` / `defaultRenderer: elk` in the front matter's config or an `%%{init}%%`
/// directive (spacing, quotes and case aside).
fn asks_for_elk(source: &str) -> bool {
    let mut front_matter = false;
    for (i, line) in source.lines().enumerate() {
        let line = line.trim();
        if i == 0 && line == "---" {
            front_matter = true;
            continue;
        }
        if front_matter && line == "---" {
            front_matter = false;
            continue;
        }
        let squeezed: String = line
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '"' | '\''))
            .flat_map(char::to_lowercase)
            .collect();
        if (front_matter || squeezed.starts_with("%%{"))
            && (squeezed.contains("layout:elk") || squeezed.contains("defaultrenderer:elk"))
        {
            return true;
        }
        if !front_matter && !line.is_empty() && !line.starts_with("%%") {
            // The first statement is the header; directives come before it.
            return squeezed.starts_with("flowchart-elk");
        }
    }
    false
}

fn answer(job: &Job) -> (Answer, Vec<u8>) {
    match render(job) {
        Ok((bytes, notices)) => (Answer::Ok { notices }, bytes),
        Err(e) => (error_answer(&job.source, &e), Vec::new()),
    }
}

fn serve_jobs() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut input = stdin.lock();
    let mut output = std::io::BufWriter::new(stdout.lock());
    while let Some(frame) = read_frame(&mut input)? {
        let (answer, body) = match serde_json::from_slice::<Job>(&frame) {
            Ok(job) => {
                limit_memory(job.max_memory);
                std::panic::catch_unwind(AssertUnwindSafe(|| answer(&job))).unwrap_or_else(|_| {
                    (
                        Answer::Failed {
                            message: "the renderer crashed on this diagram".into(),
                        },
                        Vec::new(),
                    )
                })
            }
            Err(e) => (
                Answer::Failed {
                    message: format!("bad job: {e}"),
                },
                Vec::new(),
            ),
        };
        let header = serde_json::to_vec(&answer).map_err(std::io::Error::other)?;
        write_frame(&mut output, &header)?;
        write_frame(&mut output, &body)?;
        output.flush()?;
    }
    Ok(())
}

/// Stack for the thread that parses and lays out: the parser recurses once per nesting level,
/// and 2,400 nested C4 boundaries (130 KB of source) overflowed the default 8 MiB. Only the
/// pages actually touched are committed.
const RENDER_STACK: usize = 256 * 1024 * 1024;

/// What the worker needs for itself beyond the render thread's stack (its own heap, the
/// allocator's arenas), on top of a job's `max_memory`.
const WORKER_BASELINE: u64 = 64 * 1024 * 1024;

/// Caps the process's data segment (heap and private mappings, which includes the render
/// stack) for the next job. Time alone does not bound memory: a 120 KB label of parentheses
/// makes one enormous node whose label-placement grid grows with its area, ~600 MB within the
/// 3 s limit here and more on a faster machine, once per worker. Past the cap the allocation
/// fails and the process aborts, which the server reports and replaces; the host never swaps.
/// Only the soft limit changes, so a later job may raise it again.
#[cfg(unix)]
fn limit_memory(max_memory: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let hard = getrlimit(Resource::Data).maximum;
    let wanted =
        (max_memory > 0).then(|| max_memory.saturating_add(WORKER_BASELINE + RENDER_STACK as u64));
    let current = match (wanted, hard) {
        (Some(wanted), Some(hard)) => Some(wanted.min(hard)),
        (wanted, hard) => wanted.or(hard),
    };
    // Failing to set a limit leaves the time limit as the guard.
    let _ = setrlimit(
        Resource::Data,
        Rlimit {
            current,
            maximum: hard,
        },
    );
}

#[cfg(not(unix))]
fn limit_memory(_max_memory: u64) {}

/// Layout is CPU-bound and a pathological diagram keeps a worker busy for the whole time
/// limit, on every core at once when several arrive together. At the lowest priority the
/// workers get only what request handling leaves, so pages, the API and `/healthz` stay
/// responsive (`cargo bench --bench isolation`: /healthz p99 2.4 ms under such load at nice
/// 10, 0.8 ms at nice 19, the same as idle). An idle host still gives a render all its CPU.
#[cfg(unix)]
fn lower_priority() {
    // Failing leaves the worker at the server's priority, as before.
    let _ = rustix::process::nice(19);
}

#[cfg(not(unix))]
fn lower_priority() {}

/// Entry point of `reef render-worker`: serves jobs from stdin until it closes. Exits with
/// success then, and with failure when a frame cannot be read or written (a frame over
/// `MAX_FRAME`, a closed pipe).
pub fn worker_main() -> ExitCode {
    // A panic is reported to the server as a failed job; keep stderr quiet about it.
    std::panic::set_hook(Box::new(|_| {}));
    lower_priority();
    let served = match std::thread::Builder::new()
        .name("render".into())
        .stack_size(RENDER_STACK)
        .spawn(serve_jobs)
    {
        Ok(thread) => thread
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("panicked"))),
        // A host that refuses to reserve the big stack still gets a working renderer; a deeply
        // nested diagram then crashes this worker, which the server reports and replaces.
        Err(_) => serve_jobs(),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::asks_for_elk;

    #[test]
    fn a_missing_text_drawing_says_what_to_ask_for_instead() {
        assert_eq!(
            super::text_drawing_refusal("ASCII rendering does not support diagram type `pie`."),
            "there is no text drawing of pie diagrams; ask for SVG, PNG or PDF"
        );
        assert!(
            super::text_drawing_refusal(
                "ASCII rendering does not support `x` for `flowchart` yet."
            )
            .starts_with("this diagram has no text drawing yet (ASCII rendering")
        );
    }

    #[test]
    fn elk_is_asked_for_in_the_header_front_matter_or_a_directive() {
        for source in [
            "flowchart-elk LR\n  A --> B",
            "---\nconfig:\n  layout: elk\n---\nflowchart LR\n  A --> B",
            "---\nconfig:\n  flowchart:\n    defaultRenderer: \"elk\"\n---\nflowchart LR",
            "%%{init: {\"layout\": \"elk\"}}%%\nflowchart LR\n  A --> B",
            "%%{ init: { 'flowchart': { 'defaultRenderer': 'elk' } } }%%\ngraph TD",
        ] {
            assert!(asks_for_elk(source), "{source}");
        }
        for source in [
            "flowchart LR\n  elk --> layout",
            "flowchart LR\n  A[\"layout: elk\"] --> B",
            "%% layout: elk is only mentioned\nflowchart LR",
            "---\ntitle: Elk\n---\nflowchart LR",
        ] {
            assert!(!asks_for_elk(source), "{source}");
        }
    }
}
