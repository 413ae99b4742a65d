//! `reef login`, `reef logout` and `reef me`: saving, forgetting and showing the login.

use std::io::{BufRead, IsTerminal};

use reqwest::Url;

use super::args::Remote;
use super::config::{self, Login, Stored, Token};
use super::error::{Failure, TokenSource};
use super::http::Api;
use super::model::Me;
use super::output::{self, clean, day};

/// `reef login`: checks `token` (or one asked for) with the server at the resolved URL, then
/// saves both owner-only. Warns when the URL is plain http to another machine.
///
/// # Errors
/// [`Failure::Usage`] for a bad URL or something that cannot be a token;
/// [`Failure::Rejected`] if the server refuses the token (nothing is saved); any other
/// failure of [`Api::send`]; [`Failure::Other`] if the login file cannot be written.
pub fn login(remote: &Remote, token: Option<String>) -> Result<(), Failure> {
    let path = config::path()?;
    // A damaged file is about to be replaced; only its URL would have been of use.
    let stored = config::load(&path).unwrap_or(None);
    let url = config::resolve_url(remote.url.as_deref(), stored.as_ref())?;
    let shown = config::shown(&url);
    let raw = match token {
        Some(t) => t,
        None => ask_token(&shown)?,
    };
    let token = Token::parse(&raw).ok_or_else(|| {
        Failure::Usage(if raw.trim().is_empty() {
            "no token given: paste the reef_… token from Settings → API tokens".into()
        } else {
            "that is not a token: it has spaces or control characters in it".into()
        })
    })?;
    if !is_private(&url) {
        eprintln!(
            "reef: warning: {shown} is not https, so the token crosses the network unencrypted"
        );
    }
    let api = Api::new(Login {
        url: url.clone(),
        token: token.clone(),
        source: TokenSource::Given { url: shown.clone() },
    })?;
    let (me, value) = super::block_on(api.get::<Me>(&["me"]))?;
    config::save(
        &path,
        &Stored {
            url: shown.clone(),
            token,
        },
    )?;
    if remote.json {
        output::json(&value)?;
    } else {
        output::line(&describe(&me, &shown))?;
        output::line(&format!("Saved to {}", path.display()))?;
    }
    if config::env_token_set() {
        eprintln!("reef: note: REEF_TOKEN is set and overrides this login until you unset it");
    }
    Ok(())
}

/// The token from a hidden prompt on a terminal, else one line of standard input.
fn ask_token(url: &str) -> Result<String, Failure> {
    let unreadable = |e: std::io::Error| Failure::Other(format!("cannot read the token: {e}"));
    if std::io::stdin().is_terminal() {
        eprintln!("Create a token at {url}/settings (API tokens), then paste it here.");
        rpassword::prompt_password("API token: ").map_err(unreadable)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(unreadable)?;
        Ok(line)
    }
}

/// https, or plain http that never leaves this machine.
fn is_private(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    url.scheme() == "https"
        || host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn describe(me: &Me, url: &str) -> String {
    let email = clean(&me.email, 200);
    match &me.token {
        Some(t) => format!(
            "Logged in to {url} as {email} (token {}, scope {}, expires {})",
            clean(&t.name, 64),
            clean(&me.scope, 20),
            day(&t.expires_at)
        ),
        None => format!("Logged in to {url} as {email} ({})", clean(&me.scope, 20)),
    }
}

/// `reef logout`: removes the saved login. The token itself stays valid.
///
/// # Errors
/// [`Failure::Other`] if the config directory is unknown or the file cannot be removed;
/// [`Failure::BrokenPipe`] if standard output is closed.
pub fn logout() -> Result<(), Failure> {
    let path = config::path()?;
    if config::remove(&path)? {
        output::line(&format!("Logged out: removed {}", path.display()))?;
        // Token management is browser-only by design, so the client cannot revoke it.
        eprintln!(
            "reef: the token itself works until it expires or you revoke it in Settings → API tokens"
        );
    } else {
        output::line(&format!("Not logged in (there is no {})", path.display()))?;
    }
    if config::env_token_set() {
        eprintln!("reef: note: REEF_TOKEN is still set, so commands keep using it");
    }
    Ok(())
}

/// `reef me`: the account, scope and token expiry behind the login, and where the token came
/// from; with `json`, the API's answer as is.
///
/// # Errors
/// As [`Api::get`]; [`Failure::BrokenPipe`] if standard output is closed.
pub async fn me(api: &Api, json: bool) -> Result<(), Failure> {
    let (me, value) = api.get::<Me>(&["me"]).await?;
    if json {
        return output::json(&value);
    }
    output::line(&describe(&me, &config::shown(api.base())))?;
    let from = match &api.login().source {
        TokenSource::Env => "REEF_TOKEN".to_owned(),
        TokenSource::Stored(path) => path.display().to_string(),
        TokenSource::Given { .. } => "the command line".to_owned(),
    };
    output::line(&format!("Token from {from}"))
}
