//! Guarded Mermaid rendering. Rendering is untrusted work: some small inputs make the layout
//! run for minutes. So the server never lays out a diagram itself: a bounded pool of worker
//! processes (`reef render-worker`) does, each job under a hard wall-clock limit after which
//! the worker is killed and replaced. Sizes are checked before layout, concurrency is bounded,
//! crashes are contained, and SVG results are cached by content hash.

mod protocol;
mod sanitize;
mod worker;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

pub use protocol::Format;
use protocol::{Answer, Job, MAX_FRAME};
pub use sanitize::sanitize_svg;
pub use worker::worker_main;

/// Why a diagram did not render. `Display` is a sentence for the person who wrote the diagram;
/// `code` is the stable API error code.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    #[error("The diagram source is larger than {} KiB; split it into smaller diagrams.", limit / 1024)]
    TooLarge { limit: usize },
    #[error(
        "The diagram is too large to lay out ({nodes} nodes and {edges} edges); split it into smaller diagrams."
    )]
    TooComplex { nodes: usize, edges: usize },
    #[error("{}", parse_message(message, *line, *column))]
    Parse {
        message: String,
        line: Option<u32>,
        column: Option<u32>,
    },
    #[error(
        "The diagram took too long to lay out and was stopped; use fewer connections between the same nodes, or split it up."
    )]
    Timeout,
    #[error("The renderer could not draw this diagram: {0}.")]
    Unavailable(String),
}

fn parse_message(message: &str, line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("Syntax error at line {l}, column {c}: {message}."),
        (Some(l), None) => format!("Syntax error at line {l}: {message}."),
        _ => format!("Syntax error: {message}."),
    }
}

impl RenderError {
    /// The stable API error code.
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::TooLarge { .. } => "source_too_large",
            RenderError::TooComplex { .. } => "diagram_too_complex",
            RenderError::Parse { .. } => "parse_error",
            RenderError::Timeout => "render_timeout",
            RenderError::Unavailable(_) => "render_failed",
        }
    }
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
    /// How long a job may wait for a free worker before the request gives up.
    pub queue_timeout: Duration,
    pub max_source_bytes: usize,
    pub max_nodes: usize,
    pub max_edges: usize,
    /// Bytes one render may allocate before its worker is stopped.
    pub max_memory: usize,
    /// SVG results (and deterministic errors) kept, keyed by the source's SHA-256.
    pub cache_entries: usize,
}

impl RenderSettings {
    /// The node and edge limits come from timing the worst sparse shapes of each diagram kind
    /// through one warm worker on this 2-core machine (release build, worker CPU time). At
    /// the limit (300 items): a requirement chain 1.0 s, a flowchart chain 0.7 s, a state chain
    /// 0.5 s, ER 0.5 s, class 0.4 s, a 12×12 grid (264 edges) 0.6 s, 300 sequence participants
    /// 0.4 s. Layout time grows with the square of the size: at 400 the requirement chain
    /// takes 2.3 s, at 800 a flowchart chain 6.9 s. Kinds laid out in linear time get 8×
    /// the limits (see the worker). Shape matters more than size, though: 100 edges fanning
    /// into 7 nodes take 2 s, 50 labelled edges among 12 nodes 3.9 s, a 150-node tree spread
    /// over 4 subgraphs 4.7 s, and a 2-node diagram with a 20 KB label of parentheses 14 s.
    /// No count limit can promise a fast layout; the hard `timeout` does, and the counts only
    /// refuse the clearly too big before any work is done.
    pub fn defaults(worker_exe: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        Self {
            worker_exe,
            // Two at least, so one runaway diagram cannot stall every render on a 1-core host.
            workers: cores.max(2),
            timeout: Duration::from_secs(3),
            queue_timeout: Duration::from_secs(10),
            max_source_bytes: 256 * 1024,
            max_nodes: 300,
            max_edges: 300,
            // The largest normal render measured peaked at 150 MB (a scale-4 PNG); layout
            // of diagrams within the limits stays under 60 MB.
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

type SvgResult = Result<Arc<str>, RenderError>;

struct Inner {
    settings: RenderSettings,
    slots: Semaphore,
    idle: Mutex<Vec<Worker>>,
    live: LivePids,
    cache: Mutex<lru::LruCache<[u8; 32], SvgResult>>,
}

/// The render pool. Cheap to clone.
#[derive(Clone)]
pub struct Renderer {
    inner: Arc<Inner>,
}

impl Renderer {
    pub fn new(settings: RenderSettings) -> Self {
        let entries = NonZeroUsize::new(settings.cache_entries).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: Arc::new(Inner {
                slots: Semaphore::new(settings.workers.max(1)),
                idle: Mutex::new(Vec::new()),
                live: LivePids::default(),
                cache: Mutex::new(lru::LruCache::new(entries)),
                settings,
            }),
        }
    }

    pub fn settings(&self) -> &RenderSettings {
        &self.inner.settings
    }

    /// Renders Mermaid source to sanitised SVG, from the cache when the same text was
    /// rendered before.
    pub async fn svg(&self, source: &str) -> SvgResult {
        self.check_size(source)?;
        let key: [u8; 32] = Sha256::digest(source.as_bytes()).into();
        if let Some(hit) = self.cache_get(&key) {
            return hit;
        }
        let result = self.run(Format::Svg, 1, source).await.and_then(|bytes| {
            String::from_utf8(bytes)
                .map(Arc::from)
                .map_err(|_| RenderError::Unavailable("the image was not text".into()))
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

    fn cache_get(&self, key: &[u8; 32]) -> Option<SvgResult> {
        self.inner.cache.lock().ok()?.get(key).cloned()
    }

    /// Renders Mermaid source to PNG at `scale` (clamped to 1 to 4) times its natural size.
    pub async fn png(&self, source: &str, scale: u8) -> Result<Vec<u8>, RenderError> {
        self.check_size(source)?;
        // A cached error answers without a worker (the PNG itself is not cached).
        let key: [u8; 32] = Sha256::digest(source.as_bytes()).into();
        if let Some(Err(e)) = self.cache_get(&key) {
            return Err(e);
        }
        self.run(Format::Png, scale.clamp(1, 4), source).await
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

    async fn run(&self, format: Format, scale: u8, source: &str) -> Result<Vec<u8>, RenderError> {
        let settings = &self.inner.settings;
        let job = serde_json::to_vec(&Job {
            format,
            scale,
            max_nodes: settings.max_nodes,
            max_edges: settings.max_edges,
            max_memory: settings.max_memory as u64,
            source: source.to_owned(),
        })
        .map_err(|e| RenderError::Unavailable(e.to_string()))?;

        let _slot = tokio::time::timeout(settings.queue_timeout, self.inner.slots.acquire())
            .await
            .map_err(|_| {
                RenderError::Unavailable("the server is busy rendering; try again shortly".into())
            })?
            .map_err(|_| RenderError::Unavailable("the renderer is shutting down".into()))?;
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
                    Answer::Ok => Ok(body),
                    Answer::Parse {
                        message,
                        line,
                        column,
                    } => Err(RenderError::Parse {
                        message,
                        line,
                        column,
                    }),
                    Answer::TooComplex { nodes, edges } => {
                        Err(RenderError::TooComplex { nodes, edges })
                    }
                    Answer::Failed { message } => Err(RenderError::Unavailable(message)),
                }
            }
            Ok(Err(_)) => {
                // The worker died (a crash, an abort): replace it next time.
                let status = worker.kill().await;
                tracing::warn!(bytes = source.len(), ?status, "render worker died");
                Err(RenderError::Unavailable(crash_reason(status)))
            }
            Err(_) => {
                let _ = worker.kill().await;
                tracing::warn!(bytes = source.len(), "render timed out; worker killed");
                Err(RenderError::Timeout)
            }
        }
    }
}

/// Why a worker stopped, for the person whose diagram it was drawing. An abort is what the
/// allocator does at the worker's memory cap.
fn crash_reason(status: Option<std::process::ExitStatus>) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if status.and_then(|s| s.signal()) == Some(6) {
            return "it needs more memory than a render may use; simplify or split it".into();
        }
    }
    let _ = status;
    "the render worker stopped unexpectedly; try again".into()
}
