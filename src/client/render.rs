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
use crate::render::{RenderSettings, Renderer};

pub struct Job<'a> {
    pub file: &'a Path,
    pub output: &'a Path,
    /// `svg`, `png`, `pdf` or `txt`; without it, the output's extension decides.
    pub format: Option<&'a str>,
    pub local: bool,
    pub scale: u8,
    pub remote: &'a Remote,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Image {
    Svg,
    Png,
    Pdf,
    Txt,
}

impl Image {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "svg" => Some(Image::Svg),
            "png" => Some(Image::Png),
            "pdf" => Some(Image::Pdf),
            "txt" => Some(Image::Txt),
            _ => None,
        }
    }

    /// The format `--format` names, else the one the output's name asks for; `-` (standard
    /// output) is SVG.
    fn choose(format: Option<&str>, path: &Path) -> Result<Self, Failure> {
        if let Some(format) = format {
            return Image::from_name(format)
                .ok_or_else(|| Failure::Usage(format!("unknown format {format}")));
        }
        if files::is_stdio(path) {
            return Ok(Image::Svg);
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        ext.as_deref().and_then(Image::from_name).ok_or_else(|| {
            Failure::Usage(format!(
                "{}: the output name must end in .svg, .png, .pdf or .txt (or give --format)",
                path.display()
            ))
        })
    }

    fn name(self) -> &'static str {
        match self {
            Image::Svg => "svg",
            Image::Png => "png",
            Image::Pdf => "pdf",
            Image::Txt => "txt",
        }
    }
}

pub fn render(job: &Job<'_>) -> Result<(), Failure> {
    let image = Image::choose(job.format, job.output)?;
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
            url.query_pairs_mut().append_pair("format", image.name());
            if image == Image::Png {
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
            "format": image.name(),
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
async fn local(source: &str, image: Image, scale: u8) -> Result<Vec<u8>, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Other(format!("cannot locate the reef executable: {e}")))?;
    let renderer = Renderer::new(RenderSettings::defaults(exe));
    let rendered = match image {
        Image::Svg => renderer
            .svg(source)
            .await
            .map(|svg| svg.as_bytes().to_vec()),
        Image::Txt => renderer
            .txt(source)
            .await
            .map(|text| text.as_bytes().to_vec()),
        Image::Png => renderer.png(source, scale).await,
        Image::Pdf => renderer.pdf(source).await,
    };
    rendered.map_err(|e| Failure::Other(e.to_string()))
}
