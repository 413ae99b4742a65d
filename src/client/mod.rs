//! The command-line API client: `reef login`, `logout`, `me`, `ls`, `get`, `push`, `rm`,
//! `share` and `render`, talking to a Reef server's `/api` with a bearer token. It lives in
//! the same binary as the server so one download gives both; `reef serve` never touches it.
//!
//! Exit codes (also shown under each command's `--help`): 0 ok, 1 anything else, 2 usage,
//! 3 not logged in or token rejected, 4 forbidden, 5 not found, 6 conflict (stale version),
//! 7 rate limited, 8 cannot reach the server. See [`EXIT_CODES`].

mod account;
mod args;
mod config;
mod diagrams;
mod error;
mod files;
mod http;
mod model;
mod output;
mod render;

use std::future::Future;
use std::process::ExitCode;

pub use args::{ClientCommand, OnOff, Remote};
pub use error::EXIT_CODES;

use error::Failure;
use http::Api;

/// Runs one client command and turns its outcome into a message on standard error and an exit
/// code (see [`EXIT_CODES`]). A closed standard output counts as success.
pub fn run(command: ClientCommand) -> ExitCode {
    match dispatch(command) {
        Ok(()) | Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("reef: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

fn dispatch(command: ClientCommand) -> Result<(), Failure> {
    match command {
        ClientCommand::Login { remote, token } => account::login(&remote, token),
        ClientCommand::Logout => account::logout(),
        ClientCommand::Me { remote } => {
            let api = connect(&remote)?;
            block_on(account::me(&api, remote.json))
        }
        ClientCommand::Ls { remote } => {
            let api = connect(&remote)?;
            block_on(diagrams::ls(&api, remote.json))
        }
        ClientCommand::Get { id, output, remote } => {
            let api = connect(&remote)?;
            block_on(diagrams::get(&api, &id, output.as_deref(), remote.json))
        }
        ClientCommand::Push {
            files,
            id,
            title,
            if_match,
            remote,
        } => {
            let push = diagrams::Push {
                files: &files,
                id: id.as_deref(),
                title: title.as_deref(),
                if_match,
                json: remote.json,
            };
            // Files are read before connecting: a typo fails fast, even when not logged in.
            let inputs = push.read()?;
            let api = connect(&remote)?;
            block_on(push.run(&api, &inputs))
        }
        ClientCommand::Rm { id, remote } => {
            let api = connect(&remote)?;
            block_on(diagrams::rm(&api, &id, remote.json))
        }
        ClientCommand::Share { id, state, remote } => {
            let api = connect(&remote)?;
            block_on(diagrams::share(&api, &id, state == OnOff::On, remote.json))
        }
        ClientCommand::Render {
            file,
            output,
            format,
            local,
            scale,
            remote,
        } => render::render(&render::Job {
            file: &file,
            output: &output,
            format: format.as_deref(),
            local,
            scale,
            remote: &remote,
        }),
    }
}

/// The API with the login the flags, environment and saved file select.
fn connect(remote: &Remote) -> Result<Api, Failure> {
    Api::new(config::resolve(remote.url.as_deref())?)
}

/// Runs one command's requests. A small single-threaded runtime: the client makes one request
/// at a time, and the server's multi-threaded runtime is never involved.
fn block_on<T>(work: impl Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start: {e}")))?
        .block_on(work)
}
