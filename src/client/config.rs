//! The stored login (`$XDG_CONFIG_HOME/reef/config.json`) and how the server URL and token are
//! chosen: flags win over the environment (`REEF_URL`, `REEF_TOKEN`), which wins over the file.
//! The file holds a secret, so it is created owner-only from its first byte, never chmod-ed
//! after the fact (which would leave a window where others could read it).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::{Deserialize, Serialize};

use super::error::{Failure, TokenSource};

/// The server when neither `--url`, `REEF_URL` nor a saved login names one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// An API token. Its `Debug` never shows the secret, so it cannot leak through a log line.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A token as typed or pasted: surrounding whitespace dropped. Anything that could not be
    /// sent in a header is refused here rather than as a confusing network error later.
    pub fn parse(raw: &str) -> Option<Self> {
        let t = raw.trim();
        (!t.is_empty() && t.chars().all(|c| c.is_ascii_graphic())).then(|| Self(t.to_owned()))
    }

    /// The secret itself, for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What `reef login` saves.
#[derive(Serialize, Deserialize)]
pub struct Stored {
    /// The base URL as shown, without a trailing `/`.
    pub url: String,
    pub token: Token,
}

/// The server and token a command will use.
pub struct Login {
    /// The server's base URL; `/api/…` goes under it.
    pub url: Url,
    pub token: Token,
    /// Where the token came from, so a rejection can say what to fix.
    pub source: TokenSource,
}

/// A `REEF_*` variable, where set-but-empty counts as unset (as `VAR= reef …` means).
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether `REEF_TOKEN` is set (and not blank), and so overrides the saved login.
pub fn env_token_set() -> bool {
    env("REEF_TOKEN").is_some()
}

/// `$XDG_CONFIG_HOME/reef/config.json`, else `~/.config/reef/config.json`. A relative
/// `XDG_CONFIG_HOME` is ignored, as the XDG spec asks.
///
/// # Errors
/// [`Failure::Other`] if neither variable holds an absolute path.
pub fn path() -> Result<PathBuf, Failure> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|home| home.is_absolute())
            .map(|home| home.join(".config"))
            .ok_or_else(|| {
                Failure::Other(
                    "cannot find your config directory: set HOME or XDG_CONFIG_HOME".into(),
                )
            })?,
    };
    Ok(base.join("reef").join("config.json"))
}

/// The stored login, or None when there is none. Warns on standard error if others may read
/// the file.
///
/// # Errors
/// [`Failure::Other`] if the file cannot be read or is not a login.
pub fn load(path: &Path) -> Result<Option<Stored>, Failure> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::file("read", path, &e)),
    };
    warn_if_readable_by_others(path);
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Failure::Other(format!(
            "{} is not a Reef login ({e}); run `reef login` again",
            path.display()
        ))
    })
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        eprintln!(
            "reef: warning: {} holds your token but others may read it; run: chmod 600 {}",
            path.display(),
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

/// Writes the login owner-only: the directory 0700 and the file 0600 from creation. The file is
/// written beside the target and renamed over it, so a crash never leaves half a file and a
/// looser old file is replaced rather than reused.
///
/// # Errors
/// [`Failure::Other`] if the directory or file cannot be created or written.
pub fn save(path: &Path, stored: &Stored) -> Result<(), Failure> {
    let dir = path
        .parent()
        .ok_or_else(|| Failure::Other(format!("{} has no directory", path.display())))?;
    create_private_dir(dir).map_err(|e| Failure::file("create", dir, &e))?;
    let mut json = serde_json::to_vec_pretty(stored)
        .map_err(|e| Failure::Other(format!("cannot encode the login: {e}")))?;
    json.push(b'\n');
    let temp = dir.join(format!(".config.json.{}.tmp", std::process::id()));
    let written = create_private_file(&temp)
        .and_then(|mut file| {
            file.write_all(&json)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(Failure::file("write", path, &e));
    }
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Removes the stored login; false when there was none.
///
/// # Errors
/// [`Failure::Other`] if the file exists but cannot be removed.
pub fn remove(path: &Path) -> Result<bool, Failure> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Failure::file("remove", path, &e)),
    }
}

/// A server base URL: absolute http(s), no query or fragment. A path is kept, so a Reef behind
/// a reverse proxy at `https://example.net/reef` works. Surrounding whitespace is ignored.
///
/// # Errors
/// [`Failure::Usage`] for anything else, with the reason.
pub fn parse_url(raw: &str) -> Result<Url, Failure> {
    let bad = |why: &str| Failure::Usage(format!("{raw:?} is not a server URL: {why}"));
    let url = Url::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("use http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("leave out ? and #"));
    }
    Ok(url)
}

/// A base URL as people write it: `http://127.0.0.1:8080`, not `http://127.0.0.1:8080/`.
pub fn shown(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// The server to talk to: `--url`, else `REEF_URL`, else the stored login's, else the default.
///
/// # Errors
/// [`Failure::Usage`] if the chosen URL is not a server URL (see [`parse_url`]).
pub fn resolve_url(flag: Option<&str>, stored: Option<&Stored>) -> Result<Url, Failure> {
    let raw = flag
        .map(str::to_owned)
        .or_else(|| env("REEF_URL"))
        .or_else(|| stored.map(|s| s.url.clone()))
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    parse_url(&raw)
}

/// The server and token for a command that needs a login: `flag_url` is `--url`; the token
/// is `REEF_TOKEN`, else the saved one.
///
/// # Errors
/// [`Failure::NotLoggedIn`] if there is no token; [`Failure::Rejected`] if `REEF_TOKEN`
/// cannot be a token; [`Failure::Usage`] for a bad URL; [`Failure::Other`] if the login file
/// cannot be read (ignored, with a warning, when `REEF_TOKEN` is set).
pub fn resolve(flag_url: Option<&str>) -> Result<Login, Failure> {
    let path = path()?;
    // A broken file must not block someone who has REEF_TOKEN set.
    let stored = match load(&path) {
        Ok(s) => s,
        Err(e) if env_token_set() => {
            eprintln!("reef: warning: {e}");
            None
        }
        Err(e) => return Err(e),
    };
    let url = resolve_url(flag_url, stored.as_ref())?;
    if let Some(raw) = env("REEF_TOKEN") {
        let token = Token::parse(&raw).ok_or(Failure::Rejected(TokenSource::Env))?;
        return Ok(Login {
            url,
            token,
            source: TokenSource::Env,
        });
    }
    match stored {
        Some(s) => Ok(Login {
            url,
            token: s.token,
            source: TokenSource::Stored(path),
        }),
        None => Err(Failure::NotLoggedIn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let t = Token::parse("  reef_secret \n").unwrap_or_else(|| Token(String::new()));
        assert_eq!(t.expose(), "reef_secret");
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn tokens_that_cannot_be_a_header_are_refused() {
        assert!(Token::parse("").is_none());
        assert!(Token::parse("reef_a b").is_none());
        assert!(Token::parse("reef_\u{7f}").is_none());
    }

    #[test]
    fn server_urls_must_be_http_and_may_have_a_path() {
        assert!(parse_url("https://example.net/reef").is_ok());
        assert!(parse_url("http://127.0.0.1:8080/").is_ok());
        for bad in [
            "example.net",
            "ftp://example.net",
            "http://x/?a=1",
            "http:///",
        ] {
            assert!(parse_url(bad).is_err(), "{bad} was accepted");
        }
    }
}
