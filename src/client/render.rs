//! `reef render`: Mermaid to SVG, PNG, PDF or a text drawing, by the server (`POST /api/render`, nothing stored) or,
//! with `--local`, on this machine through the project's own guarded renderer (the same render
//! worker, limits, time limit and SVG sanitising as the server), with no login needed.

use std::path::Path;

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

use super::args::Remote;
use super::error::Failure;
use super::files;
use super::output;
use crate::render::{ExportFormat, ExportOptions, RenderSettings, Renderer};

/// `reef render`: what to draw, where, and by whom.
pub struct Job<'a> {
    /// The Mermaid file; `-` is standard input.
    pub file: &'a Path,
    /// Where the drawing goes; `-` is standard output.
    pub output: &'a Path,
    /// `svg`, `png`, `pdf` or `txt`; without it, the output's extension decides.
    pub format: Option<&'a str>,
    /// Render in a local worker instead of on the server.
    pub local: bool,
    /// PNG pixel density, 1 to 4.
    pub scale: u8,
    pub remote: &'a Remote,
}

/// The drawing a name asks for: [`ExportFormat`]'s extensions, except the Mermaid text.
fn drawing(name: &str) -> Option<ExportFormat> {
    ExportFormat::from_ext(name).filter(|f| f.is_drawing())
}

/// The format `--format` names, else the one the output's name asks for; `-` (standard
/// output) is SVG.
fn choose(format: Option<&str>, path: &Path) -> Result<ExportFormat, Failure> {
    if let Some(format) = format {
        return drawing(format).ok_or_else(|| Failure::Usage(format!("unknown format {format}")));
    }
    if files::is_stdio(path) {
        return Ok(ExportFormat::Svg);
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    ext.as_deref().and_then(drawing).ok_or_else(|| {
        Failure::Usage(format!(
            "{}: the output name must end in .svg, .png, .pdf or .txt (or give --format)",
            path.display()
        ))
    })
}

/// Draws `job.file` and writes the result; with `--json`, reports the output's path, format
/// and size in bytes.
///
/// # Errors
/// [`Failure::Usage`] for an unknown format or output extension, or `--json` with standard
/// output; [`Failure::Other`] for an unreadable input, an unwritable output, or a local
/// render that fails (the renderer's sentence); on the server, [`Failure::NotLoggedIn`]
/// without a login and any failure of [`Api::send`](super::http::Api::send).
pub fn render(job: &Job<'_>) -> Result<(), Failure> {
    let image = choose(job.format, job.output)?;
    let to_stdout = files::is_stdio(job.output);
    if job.remote.json && to_stdout {
        return Err(Failure::Usage(
            "--json needs -o FILE: the JSON report takes standard output".into(),
        ));
    }
    let input = files::read(job.file)?;
    let bytes = if job.local {
        super::block_on(local(&input.source, image, job.scale))?
    } else {
        let api = super::connect(job.remote)?;
        super::block_on(async {
            let mut url = api.endpoint(&["render"]);
            url.query_pairs_mut().append_pair("format", image.ext());
            if image == ExportFormat::Png {
                url.query_pairs_mut()
                    .append_pair("scale", &job.scale.to_string());
            }
            let request = api
                .request(Method::POST, url)
                .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(input.source.clone());
            Ok(api.send(request).await?.body)
        })?
    };
    if to_stdout {
        return output::raw(&bytes);
    }
    files::write(job.output, &bytes)?;
    if job.remote.json {
        output::json(&json!({
            "output": job.output.display().to_string(),
            "format": image.ext(),
            "bytes": bytes.len(),
            "rendered_by": if job.local { "local" } else { "server" },
        }))
    } else {
        output::line(&format!(
            "rendered {} -> {} ({} bytes)",
            input.name,
            job.output.display(),
            bytes.len()
        ))
    }
}

/// Renders with the same guarded pool the server uses: layout runs in a `reef render-worker`
/// child under the hard time limit, so a pathological diagram is stopped, not left spinning.
async fn local(source: &str, image: ExportFormat, scale: u8) -> Result<Vec<u8>, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Other(format!("cannot locate the reef executable: {e}")))?;
    let options = ExportOptions::new(Some(scale), false).map_err(Failure::Usage)?;
    let renderer = Renderer::new(RenderSettings::defaults(exe));
    renderer
        .export(image, source, options.for_format(image))
        .await
        .map_err(|e| Failure::Other(e.to_string()))
}
