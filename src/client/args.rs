//! The client's subcommands and flags, flattened into `reef`'s own command list by
//! `config::Command::Client`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::error::EXIT_CODES;

/// Flags every command that talks to a server takes.
#[derive(Debug, Clone, Args)]
pub struct Remote {
    /// Server URL [env: REEF_URL] (default: the one you logged in to, else http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Print the API's JSON instead of text, for scripts.
    #[arg(long)]
    pub json: bool,
}

/// `on` or `off`, as `reef share` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// The client's subcommands, listed among `reef`'s own; each variant's doc is its `--help`.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Log in to a Reef server with an API token and remember it.
    ///
    /// Without --token, the token is asked for without echo on a terminal, or read as one line
    /// from standard input (`reef login < token.txt`). It is checked with the server, then saved
    /// with the URL in $XDG_CONFIG_HOME/reef/config.json (default ~/.config/reef/config.json),
    /// readable only by you. REEF_TOKEN and REEF_URL, when set, override the saved login.
    #[command(after_help = EXIT_CODES)]
    Login {
        #[command(flatten)]
        remote: Remote,
        /// The API token (reef_…). Prefer the prompt or standard input: a flag can end up in
        /// your shell history.
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
    },
    /// Forget the saved login (the token stays valid until it expires or is revoked).
    #[command(after_help = EXIT_CODES)]
    Logout,
    /// Show who the saved login (or REEF_TOKEN) is, and when the token expires.
    #[command(after_help = EXIT_CODES)]
    Me {
        #[command(flatten)]
        remote: Remote,
    },
    /// List your diagrams, newest first.
    #[command(after_help = EXIT_CODES)]
    Ls {
        #[command(flatten)]
        remote: Remote,
    },
    /// Print a diagram's Mermaid source, or save it with -o.
    #[command(after_help = EXIT_CODES)]
    Get {
        /// The diagram's id (see `reef ls`).
        id: String,
        /// Write the source to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Upload Mermaid files: each becomes a new diagram, or with --id replaces one.
    ///
    /// A replacement is refused (exit 6) if the diagram changed on the server since you
    /// fetched it: since --if-match VERSION when given (the version `reef get -o` reported),
    /// else since the moment before the upload. "-" reads standard input. With --json: the
    /// diagram's JSON for one file, an array of them for several.
    #[command(after_help = EXIT_CODES)]
    Push {
        /// Mermaid files (.mmd), or - for standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Replace this diagram's source instead of creating a new diagram (one file only).
        #[arg(long)]
        id: Option<String>,
        /// Title (default: the file name without its extension; with --id: keep the title).
        #[arg(long)]
        title: Option<String>,
        /// With --id: the version you last fetched; refuse if the diagram has changed since.
        #[arg(long, value_name = "VERSION", requires = "id")]
        if_match: Option<i64>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Move a diagram to the trash (it can be restored for 30 days).
    #[command(after_help = EXIT_CODES)]
    Rm {
        id: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Turn a diagram's public read-only link on (prints it) or off.
    #[command(after_help = EXIT_CODES)]
    Share {
        id: String,
        #[arg(value_enum)]
        state: OnOff,
        #[command(flatten)]
        remote: Remote,
    },
    /// Render a Mermaid file to SVG, PNG, PDF or a text drawing (chosen by --format, else by
    /// the output name's extension).
    ///
    /// By default the server renders it (nothing is stored). With --local it is rendered on
    /// this machine, with the same renderer and limits as the server, and no login is needed.
    #[command(after_help = EXIT_CODES)]
    Render {
        /// The Mermaid file, or - for standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Output file ending in .svg, .png, .pdf or .txt; - writes to standard output (SVG
        /// unless --format says otherwise).
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
        /// svg, png, pdf or txt (a Unicode text drawing, for the kinds that have one).
        #[arg(long, value_name = "FORMAT", value_parser = ["svg", "png", "pdf", "txt"])]
        format: Option<String>,
        /// Render on this machine instead of on the server.
        #[arg(long)]
        local: bool,
        /// PNG pixel density, 1 to 4.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
        scale: u8,
        #[command(flatten)]
        remote: Remote,
    },
}
