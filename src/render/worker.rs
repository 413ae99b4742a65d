//! The render worker: `reef render-worker`, a child process that renders one job at a time
//! from stdin to stdout. Running layout in a separate process is what lets the server enforce
//! a hard time limit: a runaway layout is ended by killing the process, which frees the CPU,
//! where a thread could only be abandoned.

use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::OnceLock;

use mermaid_rs_renderer::{
    DiagramKind, Graph, ParseError, RenderOptions, compute_layout, parse_mermaid_strict, render_svg,
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

/// Turns the parser's error into a message without the position (the caller shows that) and
/// a 1-based line and column where the parser knows them.
fn parse_answer(source: &str, e: &ParseError) -> Answer {
    let (message, line, column) = match e {
        ParseError::UnexpectedToken {
            line,
            col,
            found,
            expected,
        } => {
            if let Some((message, line)) = unpositioned_error(source, *line, *col, found, expected)
            {
                (message, line, None)
            } else {
                let found: String = found.chars().take(60).collect();
                (
                    format!("unexpected '{found}'; expected {expected}"),
                    Some(*line),
                    Some(*col),
                )
            }
        }
        ParseError::UnknownParticipant {
            name,
            line,
            candidates,
        } => {
            let hint = candidates
                .first()
                .map(|c| format!("; did you mean '{c}'?"))
                .unwrap_or_default();
            (
                format!("unknown participant '{name}'{hint}"),
                Some(*line),
                None,
            )
        }
        ParseError::UnclosedSubgraph { opened_at } => (
            "this block is never closed; add a matching `end`".to_owned(),
            Some(*opened_at),
            None,
        ),
        ParseError::InvalidDirective {
            line,
            col,
            directive,
            reason,
        } => (
            format!("invalid `{directive}` directive: {reason}"),
            Some(*line),
            Some(*col),
        ),
        other => (other.to_string(), None, None),
    };
    Answer::Parse {
        message,
        line,
        column,
    }
}

/// `parse_mermaid_strict` reports the inner parser's errors as an unexpected token at 1:1
/// whose "token" is the whole first line, which would point the user at the wrong place. For
/// those, returns the inner message and the line it names, if it can be found.
fn unpositioned_error(
    source: &str,
    line: u32,
    col: u32,
    found: &str,
    expected: &str,
) -> Option<(String, Option<u32>)> {
    let first = source
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("<empty>");
    if line != 1 || col != 1 || found != first {
        return None;
    }
    let numbered = || (1u32..).zip(source.lines());
    let line = if let Some((_, fragment)) = expected.rsplit_once(": ")
        && !fragment.trim().is_empty()
    {
        // "invalid flowchart edge syntax: A-->"
        numbered()
            .find(|(_, l)| l.trim() == fragment.trim())
            .map(|(n, _)| n)
    } else if expected.contains("header") {
        numbered()
            .find(|(_, l)| !l.trim().is_empty())
            .map(|(n, _)| n)
    } else {
        None
    };
    Some((expected.to_owned(), line))
}

/// How big a diagram is for layout: the boxes it places (nodes, subgraphs, and the
/// kind-specific items some kinds keep outside `nodes`) and the connections it routes. Each
/// item is counted once: sequence participants, gantt tasks, mindmap and quadrant items are
/// already in `nodes`.
fn diagram_size(graph: &Graph) -> (usize, usize) {
    let nodes = graph.nodes.len()
        + graph.subgraphs.len()
        + graph.pie_slices.len()
        + graph.gitgraph.commits.len()
        + graph.gitgraph.branches.len()
        + graph.c4.shapes.len()
        + graph.c4.boundaries.len()
        + graph
            .timeline
            .events
            .iter()
            .map(|e| 1 + e.events.len())
            .sum::<usize>()
        + graph.xychart.x_axis_categories.len()
        + graph
            .xychart
            .series
            .iter()
            .map(|s| s.values.len())
            .sum::<usize>();
    let edges = graph.edges.len() + graph.c4.rels.len();
    (nodes, edges)
}

/// How many times the node and edge limits a diagram kind may use. The limits are set by the
/// graph layouts (flowchart, class, state, ER, requirement, packet, sequence, journey, git),
/// whose time grows with the square of the size or worse. These kinds lay out in linear time:
/// 2,400 items of each took at most 0.35 s here (C4 with 2,400 relations; mindmap, kanban,
/// timeline, gantt, sankey, architecture, treemap, quadrant, pie, xychart all under 0.1 s).
fn limit_multiplier(kind: DiagramKind) -> usize {
    match kind {
        DiagramKind::Pie
        | DiagramKind::Gantt
        | DiagramKind::Timeline
        | DiagramKind::XYChart
        | DiagramKind::Quadrant
        | DiagramKind::Kanban
        | DiagramKind::Block
        | DiagramKind::Treemap
        | DiagramKind::Radar
        | DiagramKind::Sankey
        | DiagramKind::Mindmap
        | DiagramKind::C4
        | DiagramKind::Architecture => 8,
        _ => 1,
    }
}

/// System fonts are found and indexed once per worker, not per PNG: it reads every font file.
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
/// goes.
fn render(job: &Job) -> (Answer, Vec<u8>) {
    let parsed = match parse_mermaid_strict(&job.source) {
        Ok(p) => p,
        Err(e) => return (parse_answer(&job.source, &e), Vec::new()),
    };
    let graph = &parsed.graph;
    let (nodes, edges) = diagram_size(graph);
    let scale = limit_multiplier(graph.kind);
    if nodes > job.max_nodes.saturating_mul(scale) || edges > job.max_edges.saturating_mul(scale) {
        return (Answer::TooComplex { nodes, edges }, Vec::new());
    }
    let options = RenderOptions::default();
    let layout = compute_layout(graph, &options.theme, &options.layout);
    let svg = sanitize_svg(&render_svg(&layout, &options.theme, &options.layout));
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
                limit_memory(job.max_memory);
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

/// Entry point of `reef render-worker`: serves jobs from stdin until it closes.
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
