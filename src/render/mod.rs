//! Guarded Mermaid rendering with merman, a Rust port of mermaid.js's parsers, layouts and SVG.
//! Rendering is untrusted work: a small input can ask for a huge layout. So the server never
//! lays out a diagram itself: a bounded pool of worker processes (`reef render-worker`) does,
//! each job under merman's own deadline and resource limits, and under a hard wall-clock limit
//! after which the worker is killed and replaced. Sizes are checked before any work,
//! concurrency is bounded, crashes are contained, and text results are cached by content hash.

mod export;
mod fonts;
mod links;
mod protocol;
mod queue;
mod sanitize;
mod worker;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

pub use export::{ExportFormat, ExportOptions};
pub use links::{LinkArea, LinkMap};
pub use protocol::Format;
pub use queue::Requester;

/// The Content-Security-Policy every SVG is served with, for when it is opened on its own:
/// its inline styles, its embedded font and images (`data:` URLs) load, nothing else does, and
/// no script runs (`sandbox`).
pub const SVG_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; sandbox";
use protocol::{Answer, Job, MAX_FRAME};
pub use sanitize::sanitize_svg;
pub use worker::worker_main;

/// Why a diagram did not render. `Display` is a sentence for the person who wrote the diagram;
/// `code` is the stable API error code.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// The source is over `limit` bytes (a leading byte-order mark aside).
    #[error("The diagram source is larger than {} KiB; split it into smaller diagrams.", limit / 1024)]
    TooLarge { limit: usize },
    /// One of merman's resource limits was passed.
    #[error(
        "The diagram is too large to {} ({}: {actual}, at most {maximum}); {}",
        if *image { "export as PNG or PDF" } else { "draw" },
        limit.trim_start_matches("max_").replace('_', " "),
        if *image {
            "the SVG export draws it, or split it into smaller diagrams."
        } else {
            "split it into smaller diagrams."
        }
    )]
    TooComplex {
        /// merman's name of the limit, e.g. `max_edges`.
        limit: String,
        /// What the diagram needed, in the limit's own unit (nodes, edges, bytes, work units).
        actual: u64,
        /// The most the limit allows, in the same unit.
        maximum: u64,
        /// Whether it was the PNG or PDF conversion that refused (merman's limits there are
        /// tighter than for the SVG: it resolves mermaid's stylesheet for every label).
        image: bool,
    },
    /// The text does not parse.
    #[error("{}", parse_message(message, *line, *column))]
    Parse {
        /// The parser's reason, without the position or a final full stop.
        message: String,
        /// 1-based line of the error, when known.
        line: Option<u32>,
        /// 1-based column of the error, in characters, when known.
        column: Option<u32>,
    },
    /// merman's deadline or the hard time limit passed (the worker is killed on the latter).
    #[error(
        "Drawing the diagram took longer than the time limit and was stopped; split it into smaller diagrams (a PNG or PDF takes longer than the SVG)."
    )]
    Timeout,
    /// This kind of diagram has no drawing in the format asked for (a text drawing of a pie
    /// chart); the sentence says what to ask for instead.
    #[error("{0}")]
    FormatUnavailable(String),
    /// Any other failure: no free worker within the queue timeout, a worker that could not
    /// start, died or passed its memory cap, a crash caught inside the worker, or output that
    /// was not text. Never cached, as most of these depend on load.
    #[error("The renderer could not draw this diagram: {0}.")]
    Unavailable(String),
}

fn parse_message(message: &str, line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("Line {l}, column {c}: {message}."),
        (Some(l), None) => format!("Line {l}: {message}."),
        _ => format!("{}.", capitalise(message)),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl RenderError {
    /// The stable API error code, e.g. `parse_error`.
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::TooLarge { .. } => "source_too_large",
            RenderError::TooComplex { .. } => "diagram_too_complex",
            RenderError::Parse { .. } => "parse_error",
            RenderError::Timeout => "render_timeout",
            RenderError::FormatUnavailable(_) => "format_unavailable",
            RenderError::Unavailable(_) => "render_failed",
        }
    }

    /// The sentence without its position, for pages that show the line and column beside it.
    pub fn detail(&self) -> String {
        match self {
            RenderError::Parse { message, .. } => format!("{}.", capitalise(message)),
            other => other.to_string(),
        }
    }
}

/// Text as it enters Reef: a leading byte-order mark (which editors on Windows write) is not
/// part of the diagram, and mermaid.js ignores it too.
pub fn strip_bom(source: &str) -> &str {
    source.strip_prefix('\u{FEFF}').unwrap_or(source)
}

/// Limits and sizes of the render pool.
#[derive(Debug, Clone)]
pub struct RenderSettings {
    /// The `reef` executable to run as `reef render-worker`.
    pub worker_exe: PathBuf,
    /// Worker processes, and so renders running at once.
    pub workers: usize,
    /// Wall-clock limit of one render; the worker is killed when it passes.
    pub timeout: Duration,
    /// merman's own cooperative deadline, a little shorter than `timeout`: most slow diagrams
    /// stop themselves there and keep their worker; `timeout` catches the rest.
    pub deadline: Duration,
    /// How long a job may wait for a free worker before the request gives up.
    pub queue_timeout: Duration,
    /// Most workers one [`Requester`] may hold at once, so one client posting slow diagrams
    /// cannot take them all.
    pub per_requester: usize,
    /// Most jobs one [`Requester`] may have waiting; more are refused at once.
    pub max_waiting: usize,
    /// How long a diagram that ran out of time or memory is answered from memory with the
    /// same error instead of being drawn again (a shared link to it, opened over and over).
    pub failure_memory: Duration,
    /// Longest source accepted, in bytes (mermaid.js's own default is 50,000 characters).
    pub max_source_bytes: usize,
    /// Bytes one render may allocate before its worker is stopped.
    pub max_memory: usize,
    /// SVG results (and deterministic errors) kept, keyed by the source's SHA-256.
    pub cache_entries: usize,
}

impl RenderSettings {
    /// Defaults measured with merman 0.9.3 through one warm worker on a 2-core machine
    /// (release build; `bench/render_limits.py` reproduces them). No diagram within
    /// mermaid.js's own defaults (`maxTextSize` 50,000 characters, `maxEdges` 500) is refused:
    /// the worst shapes at those sizes render well inside the time limit (see
    /// `bench/README.md`), and merman's own resource profile refuses only far larger ones.
    /// Shape still matters more than size, so the hard `timeout` is the guarantee and merman's
    /// deadline (250 ms shorter) stops most runaway layouts without killing the worker.
    pub fn defaults(worker_exe: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        Self {
            worker_exe,
            // Two at least, so one runaway diagram cannot stall every render on a 1-core host.
            workers: cores.max(2),
            // Measured with merman 0.9.3 (`python3 bench/render_limits.py`, release build,
            // one worker, 2-core VM): the worst shapes within mermaid.js's own defaults take
            // 0.10 s (500 labelled edges among 150 nodes) and 0.60 s (50,000 characters of
            // labelled nodes and edges); 5,000-node chains 0.9 s, 4,000-edge class diagrams
            // 1.1 s, 3,000 sequence messages 0.6 s. merman's resource profile refuses more
            // layout work than 14.1 million units (3,000 distinct labelled edges, a 2,000-node
            // grid) within 0.4 to 1.9 s. So the limits below refuse nothing within
            // mermaid.js's defaults, with more than four times the time to spare.
            timeout: Duration::from_secs(3),
            deadline: Duration::from_millis(2_750),
            queue_timeout: Duration::from_secs(10),
            // One worker is always left for everyone else (on two cores: one each).
            per_requester: cores.max(2) - 1,
            // A list page asks for up to 24 thumbnails at once (over HTTP/2, or a household
            // behind one address): room for more than two such pages.
            max_waiting: 64,
            failure_memory: Duration::from_secs(60),
            max_source_bytes: 256 * 1024,
            // One worker's peak over all of those shapes: 278 MB resident (the refused
            // 3,000-edge layout), the font fallbacks of a PNG included.
            max_memory: 1024 * 1024 * 1024,
            cache_entries: 512,
        }
    }
}

/// Process ids of the running workers, busy or idle.
type LivePids = Arc<Mutex<Vec<u32>>>;

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pid: Option<u32>,
    live: LivePids,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // `kill_on_drop` ends the process; this only forgets its id.
        if let (Some(pid), Ok(mut live)) = (self.pid, self.live.lock()) {
            live.retain(|p| *p != pid);
        }
    }
}

impl Worker {
    fn spawn(exe: &Path, live: &LivePids) -> std::io::Result<Self> {
        let mut child = Command::new(exe)
            .arg("render-worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("worker has no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("worker has no stdout"))?;
        let pid = child.id();
        if let (Some(pid), Ok(mut live)) = (pid, live.lock()) {
            live.push(pid);
        }
        Ok(Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            pid,
            live: Arc::clone(live),
        })
    }

    async fn read_frame(&mut self) -> std::io::Result<Vec<u8>> {
        let len = self.stdout.read_u32().await? as usize;
        if len > MAX_FRAME {
            return Err(std::io::Error::other("frame too large"));
        }
        let mut buf = vec![0u8; len];
        self.stdout.read_exact(&mut buf).await?;
        Ok(buf)
    }

    async fn call(&mut self, job: &[u8]) -> std::io::Result<(Answer, Vec<u8>)> {
        let len = u32::try_from(job.len()).map_err(|_| std::io::Error::other("job too large"))?;
        self.stdin.write_u32(len).await?;
        self.stdin.write_all(job).await?;
        self.stdin.flush().await?;
        let header = self.read_frame().await?;
        let body = self.read_frame().await?;
        let answer = serde_json::from_slice(&header).map_err(std::io::Error::other)?;
        Ok((answer, body))
    }

    /// Ends the process for good, so its CPU is free again; returns how it ended.
    async fn kill(mut self) -> Option<std::process::ExitStatus> {
        let _ = self.child.start_kill();
        self.child.wait().await.ok()
    }
}

/// Renders `source` to SVG in this process exactly as a worker does (merman's settings, the
/// measured font and its cache, the sanitiser, the embedded font) but without the guard: no
/// process, no time limit, no memory cap. Only for benchmarks that measure what the guard and
/// HTTP cost on top; `None` if the diagram does not render.
#[doc(hidden)]
pub fn svg_in_this_process(source: &str) -> Option<String> {
    let job = Job {
        format: Format::Svg,
        scale: 1,
        deadline_ms: 60_000,
        max_memory: 0,
        source: strip_bom(source).to_owned(),
    };
    let (bytes, _) = worker::render(&job).ok()?;
    String::from_utf8(bytes).ok()
}

/// Text output (SVG or a text drawing), or why there is none.
type SvgResult = Result<Arc<str>, RenderError>;

/// A text output and the notices that came with it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The SVG (sanitised, font embedded) or the text drawing.
    pub text: Arc<str>,
    /// Sentences for the person who wrote the diagram, e.g. that it asked for the ELK layout,
    /// which Reef does not include, so the default layout drew it. Usually empty.
    pub notices: Arc<[String]>,
}

/// What the cache holds: outputs, and errors that depend on the source alone.
type CachedResult = Result<Rendered, RenderError>;

struct Inner {
    settings: RenderSettings,
    queue: queue::FairQueue,
    idle: Mutex<Vec<Worker>>,
    live: LivePids,
    cache: Mutex<lru::LruCache<[u8; 32], CachedResult>>,
    /// Diagrams that ran out of time or memory, by cache key, with when.
    failures: Mutex<lru::LruCache<[u8; 32], (RenderError, Instant)>>,
}

/// The render pool, seen by one [`Requester`] (see [`Renderer::on_behalf_of`]). Cheap to
/// clone.
#[derive(Clone)]
pub struct Renderer {
    inner: Arc<Inner>,
    requester: Requester,
}

/// The cache key of `source` rendered as `format`.
fn cache_key(format: Format, scale: u8, source: &str) -> [u8; 32] {
    let tag: &[u8] = match format {
        Format::Svg => b"svg",
        Format::PortableSvg => b"portable-svg",
        Format::Png => b"png",
        Format::Pdf => b"pdf",
        Format::Txt => b"txt",
        Format::LinkMap => b"link-map",
    };
    let mut hash = Sha256::new();
    hash.update(tag);
    hash.update([scale, 0]);
    hash.update(source.as_bytes());
    hash.finalize().into()
}

impl Renderer {
    /// A pool with `settings`. No worker starts yet: each is spawned on first need and kept
    /// while it stays healthy.
    pub fn new(settings: RenderSettings) -> Self {
        let entries = NonZeroUsize::new(settings.cache_entries).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: Arc::new(Inner {
                queue: queue::FairQueue::new(
                    settings.workers,
                    settings.per_requester,
                    settings.max_waiting,
                ),
                idle: Mutex::new(Vec::new()),
                live: LivePids::default(),
                cache: Mutex::new(lru::LruCache::new(entries)),
                failures: Mutex::new(lru::LruCache::new(entries)),
                settings,
            }),
            requester: Requester::ANYONE,
        }
    }

    /// The same pool, queuing this handle's jobs as `requester`'s: each requester waits in
    /// its own queue, turns rotate between requesters, and one requester holds at most
    /// [`RenderSettings::per_requester`] workers. Cache hits never queue.
    pub fn on_behalf_of(&self, requester: Requester) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            requester,
        }
    }

    /// The limits and sizes the pool was built with.
    pub fn settings(&self) -> &RenderSettings {
        &self.inner.settings
    }

    /// Renders Mermaid source to sanitised SVG in mermaid.js's own look (HTML labels inside
    /// `<foreignObject>`), from the cache when the same text was rendered before.
    ///
    /// # Errors
    /// Any [`RenderError`]: too large, a parse error with its position, a resource limit, the
    /// time limit, or a worker failure.
    pub async fn svg(&self, source: &str) -> SvgResult {
        self.text(Format::Svg, source).await.map(|r| r.text)
    }

    /// [`Renderer::svg`] with the notices that came with it, for pages that show them.
    ///
    /// # Errors
    /// As [`Renderer::svg`].
    pub async fn svg_with_notices(&self, source: &str) -> CachedResult {
        self.text(Format::Svg, source).await
    }

    /// Renders Mermaid source to a text-only SVG (no `foreignObject`) that resvg, Inkscape and
    /// other viewers without HTML support draw as well.
    ///
    /// # Errors
    /// As [`Renderer::svg`].
    pub async fn portable_svg(&self, source: &str) -> SvgResult {
        self.text(Format::PortableSvg, source).await.map(|r| r.text)
    }

    /// Renders Mermaid source to a Unicode text drawing.
    ///
    /// # Errors
    /// As [`Renderer::svg`], and [`RenderError::FormatUnavailable`] for the kinds of diagram
    /// that have no text drawing.
    pub async fn txt(&self, source: &str) -> SvgResult {
        self.text(Format::Txt, source).await.map(|r| r.text)
    }

    /// Where the diagram's links are drawn, for pages that lay clickable areas over the
    /// picture ([`LinkMap`], in the SVG's pixel space); empty when it has none. Cached like
    /// the SVG.
    ///
    /// # Errors
    /// As [`Renderer::svg`].
    pub async fn link_map(&self, source: &str) -> Result<LinkMap, RenderError> {
        let json = self.text(Format::LinkMap, source).await?.text;
        serde_json::from_str(&json)
            .map_err(|_| RenderError::Unavailable("the link map was not readable".into()))
    }

    async fn text(&self, format: Format, source: &str) -> CachedResult {
        let source = strip_bom(source);
        self.check_size(source)?;
        let key = cache_key(format, 1, source);
        if let Some(hit) = self.cache_get(&key) {
            return hit;
        }
        self.recent_failure(&key)?;
        let result = self
            .run(key, format, 1, source)
            .await
            .and_then(|(bytes, notices)| {
                let text = String::from_utf8(bytes)
                    .map_err(|_| RenderError::Unavailable("the output was not text".into()))?;
                Ok(Rendered {
                    text: Arc::from(text),
                    notices: Arc::from(notices),
                })
            });
        // Outcomes that depend on the text alone are cached; load-dependent ones are not.
        let deterministic = !matches!(
            result,
            Err(RenderError::Timeout | RenderError::Unavailable(_))
        );
        if deterministic && let Ok(mut cache) = self.inner.cache.lock() {
            cache.put(key, result.clone());
        }
        result
    }

    fn cache_get(&self, key: &[u8; 32]) -> Option<CachedResult> {
        self.inner.cache.lock().ok()?.get(key).cloned()
    }

    /// The error of the same job when it ran out of time or memory a moment ago.
    fn recent_failure(&self, key: &[u8; 32]) -> Result<(), RenderError> {
        let memory = self.inner.settings.failure_memory;
        let Ok(mut failures) = self.inner.failures.lock() else {
            return Ok(());
        };
        match failures.get(key) {
            Some((error, at)) if at.elapsed() < memory => Err(error.clone()),
            Some(_) => {
                failures.pop(key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn remember_failure(&self, key: [u8; 32], error: &RenderError) {
        if let Ok(mut failures) = self.inner.failures.lock() {
            failures.put(key, (error.clone(), Instant::now()));
        }
    }

    /// Renders Mermaid source to PNG at `scale` (clamped to 1 to 4) times its natural size.
    ///
    /// # Errors
    /// As [`Renderer::svg`]; a picture over 40 million pixels is refused.
    pub async fn png(&self, source: &str, scale: u8) -> Result<Vec<u8>, RenderError> {
        self.binary(Format::Png, scale.clamp(1, 4), source).await
    }

    /// Renders Mermaid source to a one-page PDF with vector text.
    ///
    /// # Errors
    /// As [`Renderer::svg`].
    pub async fn pdf(&self, source: &str) -> Result<Vec<u8>, RenderError> {
        self.binary(Format::Pdf, 1, source).await
    }

    /// Draws `source` as `format` with `options` (see [`ExportOptions::for_format`]); the
    /// `.mmd` export is the text itself.
    ///
    /// # Errors
    /// As [`Renderer::svg`], [`Renderer::png`], [`Renderer::pdf`] and [`Renderer::txt`].
    pub async fn export(
        &self,
        format: ExportFormat,
        source: &str,
        options: ExportOptions,
    ) -> Result<Vec<u8>, RenderError> {
        let text = match format {
            ExportFormat::Svg if options.portable() => self.portable_svg(source).await?,
            ExportFormat::Svg => self.svg(source).await?,
            ExportFormat::Txt => self.txt(source).await?,
            ExportFormat::Png => return self.png(source, options.scale()).await,
            ExportFormat::Pdf => return self.pdf(source).await,
            ExportFormat::Mmd => return Ok(source.as_bytes().to_vec()),
        };
        Ok(text.as_bytes().to_vec())
    }

    async fn binary(
        &self,
        format: Format,
        scale: u8,
        source: &str,
    ) -> Result<Vec<u8>, RenderError> {
        let source = strip_bom(source);
        self.check_size(source)?;
        // A source whose SVG failed for a reason of its own answers without a worker (the
        // image itself is not cached).
        if let Some(Err(e)) = self.cache_get(&cache_key(Format::Svg, 1, source)) {
            return Err(e);
        }
        let key = cache_key(format, scale, source);
        self.recent_failure(&key)?;
        self.run(key, format, scale, source)
            .await
            .map(|(bytes, _)| bytes)
    }

    fn check_size(&self, source: &str) -> Result<(), RenderError> {
        let limit = self.inner.settings.max_source_bytes;
        if source.len() > limit {
            return Err(RenderError::TooLarge { limit });
        }
        Ok(())
    }

    /// An idle worker that is still running (one may have died while idle, e.g. killed by the
    /// OOM killer).
    fn idle_worker(&self) -> Option<Worker> {
        let mut idle = self.inner.idle.lock().ok()?;
        while let Some(mut worker) = idle.pop() {
            if matches!(worker.child.try_wait(), Ok(None)) {
                return Some(worker);
            }
        }
        None
    }

    /// Process ids of the running workers, busy or idle (for tests that check a killed worker
    /// is gone, or kill one mid-render).
    #[doc(hidden)]
    pub fn worker_pids(&self) -> Vec<u32> {
        self.inner
            .live
            .lock()
            .map(|live| live.clone())
            .unwrap_or_default()
    }

    /// One job on a worker: the output's bytes and its notices. A job that runs out of time or
    /// memory is remembered under `key` for [`RenderSettings::failure_memory`].
    async fn run(
        &self,
        key: [u8; 32],
        format: Format,
        scale: u8,
        source: &str,
    ) -> Result<(Vec<u8>, Vec<String>), RenderError> {
        let settings = &self.inner.settings;
        let deadline = settings.deadline;
        let job = serde_json::to_vec(&Job {
            format,
            scale,
            deadline_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
            max_memory: settings.max_memory as u64,
            source: source.to_owned(),
        })
        .map_err(|e| RenderError::Unavailable(e.to_string()))?;

        let busy =
            || RenderError::Unavailable("the server is busy rendering; try again shortly".into());
        let _slot = tokio::time::timeout(
            settings.queue_timeout,
            self.inner.queue.acquire(self.requester),
        )
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
        let mut worker = match self.idle_worker() {
            Some(w) => w,
            None => Worker::spawn(&settings.worker_exe, &self.inner.live).map_err(|e| {
                RenderError::Unavailable(format!("cannot start a render worker: {e}"))
            })?,
        };
        match tokio::time::timeout(settings.timeout, worker.call(&job)).await {
            Ok(Ok((answer, body))) => {
                if let Ok(mut idle) = self.inner.idle.lock() {
                    idle.push(worker);
                }
                match answer {
                    Answer::Ok { notices } => Ok((body, notices)),
                    Answer::Parse {
                        message,
                        line,
                        column,
                    } => Err(RenderError::Parse {
                        message,
                        line,
                        column,
                    }),
                    Answer::TooComplex {
                        limit,
                        actual,
                        maximum,
                    } => Err(RenderError::TooComplex {
                        limit,
                        actual,
                        maximum,
                        image: matches!(format, Format::Png | Format::Pdf),
                    }),
                    Answer::Timeout => {
                        self.remember_failure(key, &RenderError::Timeout);
                        Err(RenderError::Timeout)
                    }
                    Answer::Unsupported { message } => Err(RenderError::FormatUnavailable(
                        format!("{}.", capitalise(&message)),
                    )),
                    Answer::Failed { message } => Err(RenderError::Unavailable(message)),
                }
            }
            Ok(Err(_)) => {
                // The worker died (a crash, an abort): replace it next time.
                let status = worker.kill().await;
                tracing::warn!(bytes = source.len(), ?status, "render worker died");
                let (reason, out_of_memory) = crash_reason(status);
                let error = RenderError::Unavailable(reason);
                if out_of_memory {
                    self.remember_failure(key, &error);
                }
                Err(error)
            }
            Err(_) => {
                let _ = worker.kill().await;
                tracing::warn!(bytes = source.len(), "render timed out; worker killed");
                self.remember_failure(key, &RenderError::Timeout);
                Err(RenderError::Timeout)
            }
        }
    }
}

/// Why a worker stopped, for the person whose diagram it was drawing, and whether it was the
/// memory cap (an abort is what the allocator does there), which the same text would reach
/// again.
fn crash_reason(status: Option<std::process::ExitStatus>) -> (String, bool) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if status.and_then(|s| s.signal()) == Some(6) {
            return (
                "it needs more memory than a render may use; simplify or split it".into(),
                true,
            );
        }
    }
    let _ = status;
    (
        "the render worker stopped unexpectedly; try again".into(),
        false,
    )
}
