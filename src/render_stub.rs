//! Temporary stand-in until the guarded renderer lands.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("too large")]
    TooLarge { limit: usize },
    #[error("too complex")]
    TooComplex { nodes: usize, edges: usize },
    #[error("{message}")]
    Parse {
        message: String,
        line: Option<u32>,
        column: Option<u32>,
    },
    #[error("timeout")]
    Timeout,
    #[error("unavailable {0}")]
    Unavailable(String),
}
impl RenderError {
    pub fn code(&self) -> &'static str {
        "parse_error"
    }
}
pub struct RenderSettings {
    pub worker_exe: PathBuf,
    pub timeout: Duration,
}
impl RenderSettings {
    pub fn defaults(worker_exe: PathBuf) -> Self {
        Self {
            worker_exe,
            timeout: Duration::from_secs(3),
        }
    }
}
#[derive(Clone)]
pub struct Renderer;
impl Renderer {
    pub fn new(_: RenderSettings) -> Self {
        Renderer
    }
    pub async fn svg(&self, source: &str) -> Result<Arc<str>, RenderError> {
        mermaid_rs_renderer::render(source)
            .map(Arc::from)
            .map_err(|e| RenderError::Parse {
                message: e.to_string(),
                line: None,
                column: None,
            })
    }
}
pub fn worker_main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
impl Renderer {
    pub async fn png(&self, _source: &str, _scale: u8) -> Result<Vec<u8>, RenderError> {
        Err(RenderError::Unavailable("png".into()))
    }
}
