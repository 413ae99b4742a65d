//! `reef ls`, `get`, `push`, `rm` and `share`: the diagram commands, one API call (or a short
//! sequence) each, with 404 and 412 reworded for the diagram at hand.

use std::path::{Path, PathBuf};

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, IF_MATCH};
use serde_json::json;

use super::error::Failure;
use super::files::{self, Input};
use super::http::{Api, Reply};
use super::model::{Diagram, Page, Sharing};
use super::output::{self, clean, minute};

/// Longest title shown in `reef ls` before it is cut.
const TITLE_WIDTH: usize = 48;

/// Ids are short, URL-safe letters and digits. Anything else cannot exist on the server, and
/// must not reach a URL where `abc.svg` would ask for an export instead.
fn check_id(id: &str) -> Result<(), Failure> {
    if !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(Failure::NotFound(format!(
            "no diagram {:?}: ids are letters and digits, as `reef ls` shows them",
            clean(id, 40)
        )))
    }
}

fn parse_diagram(value: &serde_json::Value) -> Result<Diagram, Failure> {
    serde_json::from_value(value.clone())
        .map_err(|e| Failure::Other(format!("the server sent a diagram Reef cannot read: {e}")))
}

/// `reef ls`: every live diagram, newest first, fetched 200 a page. Prints a table, or with
/// `json` one `{"items": [...], "next_cursor": null}` object.
///
/// # Errors
/// As [`Api::send`]; [`Failure::Other`] for an item that is not a diagram;
/// [`Failure::BrokenPipe`] if standard output is closed.
pub async fn ls(api: &Api, json: bool) -> Result<(), Failure> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = api.endpoint(&["diagrams"]);
        url.query_pairs_mut().append_pair("limit", "200");
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let page: Page = api.send(api.request(Method::GET, url)).await?.parse()?;
        items.extend(page.items);
        // A cursor that does not move would loop forever; stop instead.
        match page.next_cursor {
            Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
            _ => break,
        }
    }
    if json {
        return output::json(&json!({ "items": items, "next_cursor": null }));
    }
    if items.is_empty() {
        return output::line("No diagrams yet: create one with `reef push FILE.mmd`.");
    }
    let mut rows = Vec::with_capacity(items.len());
    for item in &items {
        let d = parse_diagram(item)?;
        rows.push(vec![
            clean(&d.id, 32),
            clean(&d.title, TITLE_WIDTH),
            d.version.to_string(),
            minute(&d.updated_at),
            if d.shared { "yes" } else { "no" }.to_owned(),
        ]);
    }
    output::line(&output::table(
        &["ID", "TITLE", "VERSION", "UPDATED (UTC)", "SHARED"],
        &rows,
    ))
}

/// `reef get`: prints the diagram's source, or writes it to `to` (`-` means standard output)
/// and prints how to push it back. With `json`, prints the API's answer instead.
///
/// # Errors
/// [`Failure::NotFound`] for an id that cannot exist or is not the account's live diagram;
/// any other failure of [`Api::send`]; [`Failure::Other`] if `to` cannot be written.
pub async fn get(api: &Api, id: &str, to: Option<&Path>, json: bool) -> Result<(), Failure> {
    check_id(id)?;
    let (d, value) = api
        .get::<Diagram>(&["diagrams", id])
        .await
        .map_err(|f| f.about_diagram(id))?;
    let source = d.source.unwrap_or_default();
    match to.filter(|p| !files::is_stdio(p)) {
        None if json => output::json(&value),
        None => output::raw(source.as_bytes()),
        Some(path) => {
            files::write(path, source.as_bytes())?;
            if json {
                return output::json(&value);
            }
            let v = d.version;
            output::line(&format!(
                "Wrote {} ({id}, version {v}). To upload your edits safely:\n  reef push {} --id {id} --if-match {v}",
                path.display(),
                path.display()
            ))
        }
    }
}

/// `reef push`: what to upload and how.
pub struct Push<'a> {
    /// Mermaid files; `-` is standard input.
    pub files: &'a [PathBuf],
    /// The diagram to replace (one file only); `None` creates new diagrams.
    pub id: Option<&'a str>,
    /// A new diagram's title (default: the file's stem), or a replacement's new title.
    pub title: Option<&'a str>,
    /// With `id`: the version last fetched; the server refuses if the diagram has moved on.
    pub if_match: Option<i64>,
    /// Print the API's JSON instead of progress lines.
    pub json: bool,
}

impl Push<'_> {
    /// Reads every file before anything is uploaded, so a typo in the last name does not leave
    /// a half-done push behind.
    ///
    /// # Errors
    /// [`Failure::Usage`] for `--id` or `--title` with several files, or `-` given twice;
    /// [`Failure::Other`] for a file that cannot be read or is not UTF-8.
    pub fn read(&self) -> Result<Vec<Input>, Failure> {
        if self.files.len() > 1 && (self.id.is_some() || self.title.is_some()) {
            return Err(Failure::Usage(
                "--id and --title apply to one file; push several files without them".into(),
            ));
        }
        if self.files.iter().filter(|p| files::is_stdio(p)).count() > 1 {
            return Err(Failure::Usage(
                "standard input (-) can be read only once".into(),
            ));
        }
        self.files.iter().map(|p| files::read(p)).collect()
    }

    /// Uploads `inputs` (from [`Push::read`]): one new diagram each, or with `id` the one
    /// replacement, checked against the version as described on [`Push::if_match`].
    ///
    /// # Errors
    /// As [`Api::send`], with 404 and 412 worded for the diagram; [`Failure::NotFound`] for an
    /// id that cannot exist. Several files stop at the first failure; those before it stay
    /// created.
    pub async fn run(&self, api: &Api, inputs: &[Input]) -> Result<(), Failure> {
        match (self.id, inputs) {
            (Some(id), [input]) => self.update(api, id, input).await,
            _ => self.create_all(api, inputs).await,
        }
    }

    async fn create_all(&self, api: &Api, inputs: &[Input]) -> Result<(), Failure> {
        let total = inputs.len();
        let mut created = Vec::with_capacity(total);
        for (i, input) in inputs.iter().enumerate() {
            let title = self.title.map(str::to_owned).or_else(|| input.stem.clone());
            let body = json!({ "title": title, "source": input.source });
            let request = api
                .request(Method::POST, api.endpoint(&["diagrams"]))
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
            let reply = match api.send(request).await {
                Ok(reply) => reply,
                Err(failure) => {
                    if total > 1 {
                        eprintln!(
                            "reef: [{}/{total}] {} was not pushed; {i} of {total} were before it",
                            i + 1,
                            input.name
                        );
                    }
                    return Err(failure);
                }
            };
            let value: serde_json::Value = reply.parse()?;
            let d = parse_diagram(&value)?;
            let progress = if total > 1 {
                format!("[{}/{total}] pushed {} -> {}", i + 1, input.name, d.id)
            } else {
                format!("pushed {} -> {}", input.name, d.id)
            };
            // With --json, standard output carries only the JSON.
            if self.json {
                eprintln!("{progress}");
            } else {
                output::line(&progress)?;
            }
            created.push(value);
        }
        match created.as_slice() {
            [one] if self.json => output::json(one),
            _ if self.json => output::json(&serde_json::Value::Array(created)),
            _ => Ok(()),
        }
    }

    /// Replaces a diagram's source (and title with --title) under `If-Match`: the version given
    /// with --if-match, else the one read just before, so a change made in between by someone
    /// else is refused with 412 rather than overwritten.
    async fn update(&self, api: &Api, id: &str, input: &Input) -> Result<(), Failure> {
        check_id(id)?;
        let expected = match self.if_match {
            Some(v) => format!("\"{v}\""),
            None => {
                let reply = api
                    .send(api.request(Method::GET, api.endpoint(&["diagrams", id])))
                    .await
                    .map_err(|f| f.about_diagram(id))?;
                let value: serde_json::Value = reply.parse()?;
                let current = parse_diagram(&value)?;
                let same_title = self.title.is_none_or(|t| t == current.title);
                if same_title && current.source.as_deref() == Some(input.source.as_str()) {
                    // No new revision for nothing.
                    return if self.json {
                        output::json(&value)
                    } else {
                        output::line(&format!(
                            "{id} is already up to date with {} (version {})",
                            input.name, current.version
                        ))
                    };
                }
                reply
                    .etag()
                    .unwrap_or_else(|| format!("\"{}\"", current.version))
            }
        };
        let request = api
            .request(Method::PUT, api.endpoint(&["diagrams", id]))
            .header(IF_MATCH, expected);
        let request = match self.title {
            Some(title) => request
                .header(CONTENT_TYPE, "application/json")
                .body(json!({ "title": title, "source": input.source }).to_string()),
            // Raw text replaces the source and keeps the title.
            None => request
                .header(CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(input.source.clone()),
        };
        let reply = api.send(request).await.map_err(|f| f.about_diagram(id))?;
        self.report_update(&reply, &input.name)
    }

    fn report_update(&self, reply: &Reply, name: &str) -> Result<(), Failure> {
        let value: serde_json::Value = reply.parse()?;
        if self.json {
            return output::json(&value);
        }
        let d = parse_diagram(&value)?;
        output::line(&format!(
            "pushed {name} -> {} (version {})",
            d.id, d.version
        ))
    }
}

/// `reef rm`: moves the diagram to the trash (restorable for 30 days).
///
/// # Errors
/// [`Failure::NotFound`] for an id that cannot exist or is not the account's live diagram;
/// any other failure of [`Api::send`]; [`Failure::BrokenPipe`] if standard output is closed.
pub async fn rm(api: &Api, id: &str, json: bool) -> Result<(), Failure> {
    check_id(id)?;
    api.send(api.request(Method::DELETE, api.endpoint(&["diagrams", id])))
        .await
        .map_err(|f| f.about_diagram(id))?;
    if json {
        // The API answers 204 with no body; scripts still get something to parse.
        return output::json(&json!({ "id": id, "trashed": true }));
    }
    output::line(&format!(
        "Moved {id} to the trash; it can be restored for 30 days."
    ))
}

/// `reef share`: turns the public read-only link on (`on`, printing the bare URL) or off.
///
/// # Errors
/// [`Failure::NotFound`] for an id that cannot exist or is not the account's live diagram;
/// any other failure of [`Api::send`]; [`Failure::Other`] if sharing is on but the server
/// sent no link.
pub async fn share(api: &Api, id: &str, on: bool, json: bool) -> Result<(), Failure> {
    check_id(id)?;
    let request = api
        .request(Method::POST, api.endpoint(&["diagrams", id, "share"]))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "enabled": on }).to_string());
    let reply = api.send(request).await.map_err(|f| f.about_diagram(id))?;
    let value: serde_json::Value = reply.parse()?;
    if json {
        return output::json(&value);
    }
    let sharing: Sharing = reply.parse()?;
    match (sharing.enabled, sharing.url) {
        // The bare URL, so `url=$(reef share ID on)` works.
        (true, Some(url)) => output::line(&url),
        (true, None) => Err(Failure::Other(
            "the server turned sharing on but sent no link".into(),
        )),
        (false, _) => output::line(&format!(
            "Sharing is off for {id}: its old link now answers 404."
        )),
    }
}
