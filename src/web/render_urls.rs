//! Render URLs that documentation toolchains already speak, for anyone who can reach Reef
//! (`REEF_PUBLIC_RENDER=on`; off by default): Kroki's API for `mermaid` (MkDocs, Asciidoctor,
//! remark and Sphinx plugins call it) and mermaid.ink's image URLs (what the Mermaid Live
//! Editor links to). Each address is rate-limited and waits in its own render queue, as
//! every render does.
//!
//! - Kroki (<https://docs.kroki.io/kroki/setup/usage/>): `GET /mermaid/{format}/{encoded}`
//!   with the source zlib-deflated and base64url-encoded; `POST /mermaid/{format}` with the
//!   source as the body (or JSON `{"diagram_source": …}`); `POST /mermaid` with the format in
//!   `Accept`; `POST /` with JSON `{"diagram_source", "diagram_type", "output_format"}`.
//!   Formats: `svg`, `png` (Kroki's two for Mermaid), and Reef's `pdf` and `txt`. Errors are
//!   `400` with a `text/plain` sentence, as Kroki answers them.
//! - mermaid.ink: `GET /svg/{encoded}` and `GET /img/{encoded}` (`?type=png`, PNG being the
//!   one raster type Reef draws), where `encoded` is the source in base64 (standard or URL
//!   alphabet, padded or not, optionally `base64:`-prefixed), the Live Editor's state in
//!   base64 (`{"code": …, "mermaid": {"theme": …}}`), or `pako:` and that state deflated; the
//!   state's theme is honoured.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::ClientIp;
use crate::diagrams::{self, DiagramError, Requester};
use crate::encoded::{MAX_ENCODED, base64_bytes, inflate, inflates_too_far, mermaid_ink_source};
use crate::error::render_status;
use crate::http::{PlainTextError, export_response};
use crate::render::{ExportFormat, ExportOptions};
use crate::state::AppState;

/// The answer to a render URL that cannot be drawn: Kroki's shape, a status with one
/// `text/plain` sentence.
pub struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let mut response = (
            self.0,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            format!("Error {}: {}\n", self.0.as_u16(), self.1),
        )
            .into_response();
        response.extensions_mut().insert(PlainTextError);
        response
    }
}

fn bad_request(sentence: impl Into<String>) -> Refused {
    Refused(StatusCode::BAD_REQUEST, sentence.into())
}

/// A format Kroki's URL names: `svg`, `png`, and Reef's `pdf` and `txt`.
fn kroki_format(name: &str) -> Result<ExportFormat, Refused> {
    match ExportFormat::from_ext(name) {
        Some(format) if format.is_drawing() => Ok(format),
        _ => Err(bad_request(format!(
            "Unsupported output format: {name} for mermaid. Must be one of svg, png, pdf or txt."
        ))),
    }
}

/// Kroki serves many diagram types; Reef draws `mermaid` only.
fn mermaid_only(diagram_type: &str) -> Result<(), Refused> {
    if diagram_type.eq_ignore_ascii_case("mermaid") {
        Ok(())
    } else {
        Err(bad_request(format!(
            "Unsupported diagram type: {diagram_type}. This server draws mermaid only."
        )))
    }
}

/// Draws `source` for the caller at `ip`, after its address's rate limit.
async fn draw(
    state: &AppState,
    ip: std::net::IpAddr,
    source: &str,
    format: ExportFormat,
) -> Result<Response, Refused> {
    let by = Requester::address(ip);
    if let Err(wait) = state.limits.public_renders.check(by) {
        let mut response = Refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many renders from this address; try again shortly.".into(),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, wait.0.into());
        return Ok(response);
    }
    match diagrams::export(state, by, source, format, ExportOptions::default()).await {
        Ok(body) => {
            let mut response = export_response(StatusCode::OK, format, body, None);
            let headers = response.headers_mut();
            // The address is the content: any cache may keep it for a day.
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            // Public images, for any page's <img> or fetch.
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            Ok(response)
        }
        Err(DiagramError::Render(e)) => {
            // Kroki answers a diagram it cannot draw with 400, where Reef's API says 422.
            let status = match render_status(&e) {
                StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
                other => other,
            };
            Err(Refused(status, e.to_string()))
        }
        Err(DiagramError::Invalid(message)) => Err(bad_request(message)),
        Err(e) => {
            tracing::error!(error = %e, "public render failed");
            Err(Refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The diagram could not be drawn.".into(),
            ))
        }
    }
}

/// `GET /mermaid/{format}/{encoded}`: Kroki's encoded form.
pub async fn kroki_get(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((format, encoded)): Path<(String, String)>,
) -> Result<Response, Refused> {
    let format = kroki_format(&format)?;
    let deflated = (encoded.len() <= MAX_ENCODED)
        .then(|| base64_bytes(&encoded))
        .flatten();
    let source = deflated
        .as_deref()
        .and_then(inflate)
        .ok_or_else(|| match &deflated {
            Some(bytes) if inflates_too_far(bytes) => Refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The diagram in the URL inflates to more than 300 KiB; a diagram may have 256 KiB of text.".into(),
            ),
            _ => bad_request("The diagram in the URL is not base64url-encoded zlib-deflated text."),
        })?;
    draw(&state, ip, &source, format).await
}

/// Kroki's JSON body.
#[derive(Deserialize)]
pub struct KrokiJson {
    diagram_source: String,
    diagram_type: Option<String>,
    output_format: Option<String>,
}

/// A POST body: JSON (`{"diagram_source": …}`) or the text itself.
fn posted(headers: &HeaderMap, body: &Bytes) -> Result<KrokiJson, Refused> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if json {
        return serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("The JSON body could not be read: {e}.")));
    }
    String::from_utf8(body.to_vec())
        .map(|diagram_source| KrokiJson {
            diagram_source,
            diagram_type: None,
            output_format: None,
        })
        .map_err(|_| bad_request("The body is not UTF-8 text."))
}

/// `POST /mermaid/{format}`: the source as the body (text or Kroki's JSON).
pub async fn kroki_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(format): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    let format = kroki_format(&format)?;
    let request = posted(&headers, &body)?;
    draw(&state, ip, &request.diagram_source, format).await
}

/// The format an `Accept` header asks for (Kroki's `POST /{type}`); SVG when it allows
/// anything.
fn accepted_format(headers: &HeaderMap) -> Result<ExportFormat, Refused> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*")
        .to_ascii_lowercase();
    [
        ("image/svg+xml", ExportFormat::Svg),
        ("image/png", ExportFormat::Png),
        ("application/pdf", ExportFormat::Pdf),
        ("text/plain", ExportFormat::Txt),
        ("*/*", ExportFormat::Svg),
        ("image/*", ExportFormat::Svg),
    ]
    .into_iter()
    .find(|(media, _)| accept.contains(media))
    .map(|(_, format)| format)
    .ok_or_else(|| {
        Refused(
            StatusCode::NOT_ACCEPTABLE,
            "Accept image/svg+xml, image/png, application/pdf or text/plain.".into(),
        )
    })
}

/// `POST /mermaid`: the format from `Accept`.
pub async fn kroki_post_accept(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    let format = accepted_format(&headers)?;
    let request = posted(&headers, &body)?;
    draw(&state, ip, &request.diagram_source, format).await
}

/// `POST /`: Kroki's JSON form, `{"diagram_source", "diagram_type", "output_format"}`.
pub async fn kroki_root(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    let request = posted(&headers, &body)?;
    let (Some(diagram_type), Some(output_format)) = (&request.diagram_type, &request.output_format)
    else {
        return Err(bad_request(
            "Send JSON with diagram_source, diagram_type and output_format.",
        ));
    };
    mermaid_only(diagram_type)?;
    let format = kroki_format(output_format)?;
    draw(&state, ip, &request.diagram_source, format).await
}

/// `GET /svg/{encoded}`: mermaid.ink's SVG.
pub async fn ink_svg(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(encoded): Path<String>,
) -> Result<Response, Refused> {
    ink(&state, ip, &encoded, ExportFormat::Svg).await
}

/// mermaid.ink's `?type=` for `/img`.
#[derive(Deserialize)]
pub struct ImgQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `GET /img/{encoded}`: mermaid.ink's raster image, as PNG.
pub async fn ink_img(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(encoded): Path<String>,
    Query(query): Query<ImgQuery>,
) -> Result<Response, Refused> {
    match query.kind.as_deref() {
        None | Some("png") => ink(&state, ip, &encoded, ExportFormat::Png).await,
        Some(other) => Err(bad_request(format!(
            "Unsupported type={other}: this server draws png (or use /svg/)."
        ))),
    }
}

async fn ink(
    state: &AppState,
    ip: std::net::IpAddr,
    encoded: &str,
    format: ExportFormat,
) -> Result<Response, Refused> {
    let source = mermaid_ink_source(encoded).ok_or_else(|| {
        bad_request(
            "The diagram in the URL is neither base64 text, a base64 Live Editor state, nor pako: and a deflated state.",
        )
    })?;
    draw(state, ip, &source, format).await
}
