//! The `reef` binary: parse the command line, then serve, manage users or run a render worker.
#![forbid(unsafe_code)]

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reef::accounts::{self, AccountError};
use reef::config::{Accounts, Config, DataArg, Guests, ServeArgs};
use reef::db::Db;
use reef::render::{RenderSettings, Renderer};

#[derive(Debug, Parser)]
#[command(
    name = "reef",
    version,
    about = "Reef: a self-hosted Mermaid diagram studio (one binary, one SQLite file)",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, Reef serves (same flags as `reef serve`).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve(ServeArgs),
    /// Manage accounts from the shell.
    #[command(subcommand)]
    User(UserCommand),
    /// Exit 0 when the server answers /healthz with 200 (for container health checks): the
    /// one at --url, else the one listening on --bind, asked on loopback.
    Healthcheck {
        /// Base URL of the server to check (default: loopback at the port of --bind).
        #[arg(long, env = "REEF_HEALTHCHECK_URL")]
        url: Option<String>,
        /// The address the server was told to listen on, as `reef serve` reads it.
        #[arg(long, env = "REEF_BIND", default_value = "0.0.0.0:8080")]
        bind: std::net::SocketAddr,
    },
    /// Write a consistent copy of the database to FILE while Reef keeps running.
    Backup {
        /// Where to write the copy (must not exist yet).
        file: std::path::PathBuf,
        #[command(flatten)]
        data: DataArg,
    },
    // The API client (`login`, `logout`, `me`, `ls`, `get`, `push`, `rm`, `share`, `render`),
    // defined with its code in src/client/.
    #[command(flatten)]
    Client(reef::client::ClientCommand),
    /// Internal: a sandboxed Mermaid render worker speaking on stdin/stdout.
    #[command(hide = true)]
    RenderWorker,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input.
    Add {
        /// Email address of the new account.
        email: String,
        /// Read the password from standard input (required, so it never lands in shell history).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        data: DataArg,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::RenderWorker) => reef::render::worker_main(),
        Some(Command::Serve(args)) => serve(&args),
        None => serve(&cli.serve),
        Some(Command::User(cmd)) => user(cmd),
        Some(Command::Healthcheck { url, bind }) => {
            healthcheck(&url.unwrap_or_else(|| loopback_url(bind)))
        }
        Some(Command::Backup { file, data }) => backup(&file, &data.dir),
        Some(Command::Client(cmd)) => reef::client::run(cmd),
    }
}

fn init_logs() {
    let chosen = std::env::var("REEF_LOG").unwrap_or_else(|_| "info,tower_http=info".to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(reef::server::log_filter(&chosen))
        .with_writer(std::io::stderr)
        .init();
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("reef: {message}");
    ExitCode::FAILURE
}

fn serve(args: &ServeArgs) -> ExitCode {
    init_logs();
    if args.guests == Guests::Off && args.accounts == Accounts::Off {
        // A bad combination of settings, like a bad value: one line and exit code 2.
        eprintln!(
            "reef: REEF_GUESTS=off needs REEF_ACCOUNTS=on: with accounts off, guests are the only editors."
        );
        return ExitCode::from(2);
    }
    let config = Config::from(args);
    let db = match Db::open(&config.data_dir) {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    let worker = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return fail(format!("cannot locate the reef executable: {e}")),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    runtime.block_on(async {
        let renderer = Renderer::new(RenderSettings::defaults(worker));
        let state = reef::AppState::new(config, db, renderer);
        let listener = match tokio::net::TcpListener::bind(args.bind).await {
            Ok(l) => l,
            Err(e) => return fail(format!("cannot listen on {}: {e}", args.bind)),
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tracing::info!(%addr, accounts = state.config.accounts, "reef is listening");
        announce_setup_code(&state).await;
        println!("listening on http://{addr}");
        match reef::server::serve(listener, state, reef::server::shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        }
    })
}

/// While no account exists on a server reachable beyond loopback, the first sign-up needs the
/// setup code: said once, here, to whoever can read the log.
async fn announce_setup_code(state: &reef::AppState) {
    let Some(code) = &state.config.setup_code else {
        return;
    };
    if !state.config.accounts {
        return;
    }
    if let Ok(true) = accounts::no_accounts_yet(state).await {
        tracing::info!(
            setup_code = %code,
            "no account yet: open /signup and enter this setup code to create the first (admin) account, or run `reef user add`"
        );
    }
}

fn user(cmd: UserCommand) -> ExitCode {
    match cmd {
        UserCommand::Add {
            email,
            password_stdin: _,
            admin,
            data,
        } => {
            // A bad address is refused before anything is read or created.
            let email = match accounts::Email::parse(&email) {
                Ok(e) => e.as_str().to_owned(),
                Err(e) => return fail(e),
            };
            let mut password = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut password) {
                return fail(format!("cannot read the password from standard input: {e}"));
            }
            // Accept `echo pw | reef user add …`: drop one trailing newline only.
            let password = password
                .strip_suffix('\n')
                .map(|p| p.strip_suffix('\r').unwrap_or(p))
                .unwrap_or(&password)
                .to_owned();
            if let Err(msg) = accounts::password::check_rules(&password) {
                return fail(msg);
            }
            let db = match Db::open(&data.dir) {
                Ok(db) => db,
                Err(e) => return fail(e),
            };
            let now = reef::state::Clock::default().now();
            let result = db.conn().map_err(AccountError::Store).and_then(|mut conn| {
                accounts::add_from_shell(&mut conn, &email, &password, admin, now)
            });
            match result {
                Ok(user) => {
                    println!("{}", user.id);
                    ExitCode::SUCCESS
                }
                Err(AccountError::DuplicateEmail) => {
                    fail(format!("an account with the email {email} already exists"))
                }
                Err(e) => fail(e),
            }
        }
    }
}

fn backup(file: &std::path::Path, data_dir: &std::path::Path) -> ExitCode {
    if file.exists() {
        return fail(format!(
            "{} already exists; choose a new file name",
            file.display()
        ));
    }
    if !data_dir.join("reef.db").exists() {
        return fail(format!("there is no reef.db in {}", data_dir.display()));
    }
    match reef::db::backup(data_dir, file) {
        Ok(()) => {
            println!("backed up to {}", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Where a server listening on `bind` answers on this machine: the same address, or loopback
/// when it listens on every address (`0.0.0.0`, `::`).
fn loopback_url(bind: std::net::SocketAddr) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ip = match bind.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", std::net::SocketAddr::new(ip, bind.port()))
}

/// A dependency-free HTTP/1.0 GET of /healthz, so the container image needs no curl.
fn healthcheck(url: &str) -> ExitCode {
    use std::io::Write;
    use std::net::{TcpStream, ToSocketAddrs};
    use std::time::Duration;

    let Some(rest) = url.strip_prefix("http://") else {
        return fail("healthcheck supports http:// URLs only");
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    // Under a sub-path (`http://host/reef/`), /healthz is asked there.
    let path = path.trim_end_matches('/');
    let healthz = if path.is_empty() {
        "/healthz".to_owned()
    } else {
        format!("/{path}/healthz")
    };
    let with_port = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    let Some(addr) = with_port.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return fail(format!("cannot resolve {host}"));
    };
    let result = (|| -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
        stream.set_read_timeout(Some(Duration::from_secs(3)))?;
        write!(stream, "GET {healthz} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
        let mut response = String::new();
        stream.take(4096).read_to_string(&mut response)?;
        Ok(response)
    })();
    match result {
        Ok(response)
            if response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200") =>
        {
            ExitCode::SUCCESS
        }
        Ok(response) => fail(format!(
            "unhealthy: {}",
            response.lines().next().unwrap_or("no response")
        )),
        Err(e) => fail(format!("unhealthy: {e}")),
    }
}
