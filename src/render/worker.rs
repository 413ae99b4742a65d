//! The render worker: `reef render-worker`, a child process that renders one job at a time
//! from stdin to stdout. Running layout in a separate process is what lets the server enforce
//! a hard time limit: a runaway layout is ended by killing the process, which frees the CPU,
//! where a thread could only be abandoned.

use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::OnceLock;

use mermaid_rs_renderer::{
    ParseError, RenderOptions, compute_layout, parse_mermaid_strict, render_svg,
};

use super::protocol::{Answer, Format, Job, MAX_FRAME};
use super::sanitize::sanitize_svg;

/// PNGs larger than this many pixels are refused rather than allocated.
const MAX_PIXELS: u64 = 40_000_000;

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

fn parse_answer(e: &ParseError) -> Answer {
    let (line, column) = match e {
        ParseError::UnknownParticipant { line, .. } => (Some(*line), None),
        ParseError::UnclosedSubgraph { opened_at } => (Some(*opened_at), None),
        ParseError::UnexpectedToken { line, col, .. } => (Some(*line), Some(*col)),
        ParseError::InvalidDirective { line, col, .. } => (Some(*line), Some(*col)),
        _ => (None, None),
    };
    Answer::Parse {
        message: e.to_string(),
        line,
        column,
    }
}

/// System fonts are loaded once per worker, not per PNG: loading them costs tens of ms.
fn png_options() -> &'static resvg::usvg::Options<'static> {
    static OPTIONS: OnceLock<resvg::usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut options = resvg::usvg::Options::default();
        options.fontdb_mut().load_system_fonts();
        options
    })
}

fn rasterise(svg: &str, scale: u8) -> Result<Vec<u8>, String> {
    let tree = resvg::usvg::Tree::from_str(svg, png_options()).map_err(|e| e.to_string())?;
    let scale = f32::from(scale.clamp(1, 4));
    let size = tree.size().to_int_size();
    let width = (size.width() as f32 * scale).ceil() as u32;
    let height = (size.height() as f32 * scale).ceil() as u32;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "the PNG would be {width}×{height} pixels; use a smaller scale or export SVG"
        ));
    }
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width.max(1), height.max(1))
        .ok_or_else(|| "could not allocate the image".to_owned())?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

/// Renders one job. Size is checked after parsing and before layout, which is where the time
/// goes for hostile shapes.
fn render(job: &Job) -> (Answer, Vec<u8>) {
    let parsed = match parse_mermaid_strict(&job.source) {
        Ok(p) => p,
        Err(e) => return (parse_answer(&e), Vec::new()),
    };
    let graph = &parsed.graph;
    let nodes = graph.nodes.len()
        + graph.subgraphs.len()
        + graph.sequence_participants.len()
        + graph.gantt_tasks.len()
        + graph.pie_slices.len();
    let edges = graph.edges.len();
    if nodes > job.max_nodes || edges > job.max_edges {
        return (Answer::TooComplex { nodes, edges }, Vec::new());
    }
    let options = RenderOptions::default();
    let layout = compute_layout(graph, &options.theme, &options.layout);
    let raw = render_svg(&layout, &options.theme, &options.layout);
    let Some(svg) = sanitize_svg(&raw) else {
        return (
            Answer::Failed {
                message: "the rendered image contained active content and was refused".into(),
            },
            Vec::new(),
        );
    };
    match job.format {
        Format::Svg => (Answer::Ok, svg.into_bytes()),
        Format::Png => match rasterise(&svg, job.scale) {
            Ok(png) => (Answer::Ok, png),
            Err(message) => (Answer::Failed { message }, Vec::new()),
        },
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
                std::panic::catch_unwind(AssertUnwindSafe(|| render(&job))).unwrap_or_else(|_| {
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

/// Entry point of `reef render-worker`.
pub fn worker_main() -> ExitCode {
    // A panic is reported to the server as a failed job; keep stderr quiet about it.
    std::panic::set_hook(Box::new(|_| {}));
    match serve_jobs() {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
