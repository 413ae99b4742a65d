//! Guarded Mermaid rendering. Rendering is untrusted work: some small inputs make the layout
//! run for minutes. So the server never lays out a diagram itself: a bounded pool of worker
//! processes (`reef render-worker`) does, each job under a hard wall-clock limit after which
//! the worker is killed and replaced. Sizes are checked before layout, concurrency is bounded,
//! crashes are contained, and SVG results are cached by content hash.

mod protocol;
mod sanitize;
mod worker;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

pub use protocol::Format;
use protocol::{Answer, Job, MAX_FRAME};
pub use sanitize::sanitize_svg;
pub use worker::worker_main;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    #[error("The diagram source is larger than {} KiB.", limit / 1024)]
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
    #[error("The diagram took too long to lay out and was stopped; simplify it or split it up.")]
    Timeout,
    #[error("The renderer could not draw this diagram: {0}")]
    Unavailable(String),
}

fn parse_message(message: &str, line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("Syntax error at line {l}, column {c}: {message}"),
        (Some(l), None) => format!("Syntax error at line {l}: {message}"),
        _ => format!("Syntax error: {message}"),
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
    pub workers: usize,
    pub timeout: Duration,
    /// How long a job may wait for a free worker before the request gives up.
    pub queue_timeout: Duration,
    pub max_source_bytes: usize,
    pub max_nodes: usize,
    pub max_edges: usize,
    pub cache_entries: usize,
}

impl RenderSettings {
    /// Measured with `bench/render_limits.py` on a 2-core machine (release build): a 250-node
    /// chain lays out in 1.0 s, a 500-node one in 3.7 s; a 400-message sequence in 0.9 s; a
    /// 250-node grid (480 edges) in 2.4 s; but 100 edges fanning into 7 nodes take 2.5 s and
    /// 400 take 29 s. No size limit separates "normal" from "slow" for every shape, so the
    /// limits only refuse hopeless sizes before layout, and the 3 s wall-clock limit (which
    /// kills the worker) is the real guard.
    pub fn defaults(worker_exe: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        Self {
            worker_exe,
            workers: cores.max(2),
            timeout: Duration::from_secs(3),
            queue_timeout: Duration::from_secs(10),
            max_source_bytes: 256 * 1024,
            max_nodes: 400,
            max_edges: 500,
            cache_entries: 512,
        }
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn spawn(exe: &PathBuf) -> std::io::Result<Self> {
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
        Ok(Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
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

    /// Ends the process for good, so its CPU is free again.
    async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

type SvgResult = Result<Arc<str>, RenderError>;

struct Inner {
    settings: RenderSettings,
    slots: Semaphore,
    idle: Mutex<Vec<Worker>>,
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
        let key = crate::auth::secret::sha256(source.as_bytes());
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

    /// Renders Mermaid source to PNG at `scale` (1 to 4) times its natural size.
    pub async fn png(&self, source: &str, scale: u8) -> Result<Vec<u8>, RenderError> {
        // A cached error answers without a worker (the PNG itself is not cached).
        let key = crate::auth::secret::sha256(source.as_bytes());
        if let Some(Err(e)) = self.cache_get(&key) {
            return Err(e);
        }
        self.run(Format::Png, scale.clamp(1, 4), source).await
    }

    /// Process ids of the idle workers (for tests that check a killed worker is gone).
    #[doc(hidden)]
    pub fn worker_pids(&self) -> Vec<u32> {
        self.inner
            .idle
            .lock()
            .map(|idle| idle.iter().filter_map(|w| w.child.id()).collect())
            .unwrap_or_default()
    }

    async fn run(&self, format: Format, scale: u8, source: &str) -> Result<Vec<u8>, RenderError> {
        let settings = &self.inner.settings;
        if source.len() > settings.max_source_bytes {
            return Err(RenderError::TooLarge {
                limit: settings.max_source_bytes,
            });
        }
        let job = serde_json::to_vec(&Job {
            format,
            scale,
            max_nodes: settings.max_nodes,
            max_edges: settings.max_edges,
            source: source.to_owned(),
        })
        .map_err(|e| RenderError::Unavailable(e.to_string()))?;

        let _slot = tokio::time::timeout(settings.queue_timeout, self.inner.slots.acquire())
            .await
            .map_err(|_| {
                RenderError::Unavailable("the server is busy rendering; try again shortly".into())
            })?
            .map_err(|_| RenderError::Unavailable("the renderer is shutting down".into()))?;
        let pooled = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut worker = match pooled {
            Some(w) => w,
            None => Worker::spawn(&settings.worker_exe).map_err(|e| {
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
            Ok(Err(e)) => {
                // The worker died (a crash, an abort): replace it next time.
                worker.kill().await;
                Err(RenderError::Unavailable(format!(
                    "the render worker stopped: {e}"
                )))
            }
            Err(_) => {
                worker.kill().await;
                tracing::warn!(bytes = source.len(), "render timed out; worker killed");
                Err(RenderError::Timeout)
            }
        }
    }
}
