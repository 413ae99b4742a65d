//! Why a client command failed, as one sentence for people and one exit code for scripts.
//! The exit codes and their documentation live side by side here so they cannot drift apart.

use std::path::PathBuf;

/// Shown under `--help` of every client command.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  anything else (bad Mermaid, an unreadable file, a server error)
  2  usage error (bad flags or arguments)
  3  not logged in, or the token was rejected (expired or revoked?): run `reef login` again
  4  forbidden, e.g. a read-only token tried to change a diagram
  5  not found: no such diagram (or it is in the trash, or another account's)
  6  conflict: the diagram changed on the server since you fetched it
  7  rate limited: the message says how many seconds to wait
  8  network error: cannot reach the server";

/// Where the token in use came from, so a rejection can say what to fix.
#[derive(Debug, Clone)]
pub enum TokenSource {
    /// `REEF_TOKEN`.
    Env,
    /// The file `reef login` wrote.
    Stored(PathBuf),
    /// Typed or passed to `reef login` just now.
    Given { url: String },
}

/// Why a command failed. `Display` is the sentence printed after `reef: `; each variant has
/// its own exit code ([`Failure::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad flags or arguments, caught before or instead of a request. Exit 2.
    #[error("{0}")]
    Usage(String),
    /// No saved login and no `REEF_TOKEN`. Exit 3.
    #[error("not logged in: run `reef login` (or set REEF_TOKEN)")]
    NotLoggedIn,
    /// The server answered 401, or `REEF_TOKEN` cannot be a token. Exit 3.
    #[error("{}", rejected(.0))]
    Rejected(TokenSource),
    /// The server answered 403. Exit 4.
    #[error("{0}")]
    Forbidden(String),
    /// The server answered 404, or the id cannot exist. Exit 5.
    #[error("{0}")]
    NotFound(String),
    /// The server answered 409 or 412. Exit 6.
    #[error("{message}")]
    Conflict {
        message: String,
        /// The diagram's version on the server, when the answer said.
        current: Option<i64>,
    },
    /// The server answered 429. Exit 7.
    #[error("{}", rate_limited(*.retry_after))]
    RateLimited {
        /// Seconds to wait, from `Retry-After` when it holds a whole number.
        retry_after: Option<u64>,
    },
    /// No usable answer: a refused connection, a DNS or TLS failure, or a timeout. Exit 8.
    #[error("cannot reach {url}: {detail}")]
    Unreachable {
        /// The server's base URL as shown to people.
        url: String,
        /// The innermost cause, e.g. `Connection refused`.
        detail: String,
    },
    /// Anything else: an unreadable file, a server error, an answer that is not Reef's. Exit 1.
    #[error("{0}")]
    Other(String),
    /// Standard output was closed early (`reef ls | head`): not worth a message.
    #[error("standard output was closed")]
    BrokenPipe,
}

fn rejected(source: &TokenSource) -> String {
    match source {
        TokenSource::Stored(_) => {
            "your token was rejected (expired or revoked?): run `reef login` again".into()
        }
        TokenSource::Env => "the token in REEF_TOKEN was rejected (expired or revoked?): set a \
             valid one, or unset REEF_TOKEN to use the one from `reef login`"
            .into(),
        TokenSource::Given { url } => {
            format!("{url} rejected this token (mistyped, expired or revoked?); nothing was saved")
        }
    }
}

fn rate_limited(retry_after: Option<u64>) -> String {
    match retry_after {
        Some(secs) => format!(
            "rate limited: your account made too many API requests; try again in {secs} seconds"
        ),
        None => "rate limited: your account made too many API requests; try again shortly".into(),
    }
}

impl Failure {
    /// The process exit code, as listed in [`EXIT_CODES`]; 0 for [`Failure::BrokenPipe`].
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::BrokenPipe => 0,
            Failure::Other(_) => 1,
            Failure::Usage(_) => 2,
            Failure::NotLoggedIn | Failure::Rejected(_) => 3,
            Failure::Forbidden(_) => 4,
            Failure::NotFound(_) => 5,
            Failure::Conflict { .. } => 6,
            Failure::RateLimited { .. } => 7,
            Failure::Unreachable { .. } => 8,
        }
    }

    /// Rewords a generic 404 or 412 for the diagram `id` the command was about; other
    /// failures pass through unchanged.
    pub fn about_diagram(self, id: &str) -> Self {
        match self {
            Failure::NotFound(_) => Failure::NotFound(format!(
                "no diagram {id} (it may be in the trash, or belong to another account)"
            )),
            Failure::Conflict {
                current: Some(now), ..
            } => Failure::Conflict {
                message: format!(
                    "diagram {id} changed on the server since you fetched it (now version {now}); \
                     run `reef get {id}` to see it"
                ),
                current: Some(now),
            },
            other => other,
        }
    }

    /// A local file that cannot be read or written: `action` is the verb for the sentence
    /// (`read`, `write`, `create`, `remove`).
    pub fn file(action: &str, path: &std::path::Path, e: &std::io::Error) -> Self {
        Failure::Other(format!("cannot {action} {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_code_is_documented() {
        let failures = [
            Failure::Other(String::new()),
            Failure::Usage(String::new()),
            Failure::NotLoggedIn,
            Failure::Forbidden(String::new()),
            Failure::NotFound(String::new()),
            Failure::Conflict {
                message: String::new(),
                current: None,
            },
            Failure::RateLimited { retry_after: None },
            Failure::Unreachable {
                url: String::new(),
                detail: String::new(),
            },
        ];
        for f in failures {
            let line = format!("\n  {}  ", f.exit_code());
            assert!(EXIT_CODES.contains(&line), "{f:?} is not in EXIT_CODES");
        }
    }

    #[test]
    fn a_stale_update_names_the_current_version() {
        let f = Failure::Conflict {
            message: "x".into(),
            current: Some(7),
        }
        .about_diagram("abc");
        assert_eq!(f.exit_code(), 6);
        assert!(f.to_string().contains("now version 7"), "{f}");
        assert!(f.to_string().contains("reef get abc"), "{f}");
    }
}
