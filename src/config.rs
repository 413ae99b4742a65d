//! The server's configuration, in one place: every setting is a `reef serve --flag` with a
//! `REEF_*` environment variable ([`ServeArgs`]), resolved into the [`Config`] the running
//! server reads. The rest of the command line (subcommands, the client) is in `main.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Bodies larger than this many bytes are refused (413) before a handler sees them.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where the database lives: `--data` / `REEF_DATA`.
#[derive(Debug, Clone, Args)]
pub struct DataArg {
    /// Directory holding reef.db (created if missing).
    #[arg(long = "data", env = "REEF_DATA", default_value = "./data")]
    pub dir: PathBuf,
}

/// `--accounts on|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Accounts {
    On,
    Off,
}

/// `--guests on|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Guests {
    On,
    Off,
}

/// A feature turned `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// `--signups open|closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Signups {
    Open,
    Closed,
}

/// Every `reef serve` setting, each a flag with a `REEF_*` environment variable.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "REEF_BIND", default_value = "0.0.0.0:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub data: DataArg,
    /// Accounts: `on` adds sign-in, settings and API tokens; `off` is a guest-only editor.
    #[arg(long, env = "REEF_ACCOUNTS", value_enum, default_value = "on")]
    pub accounts: Accounts,
    /// Sign-ups after the first account: `open` lets anyone register, `closed` only the shell.
    #[arg(long, env = "REEF_SIGNUPS", value_enum, default_value = "closed")]
    pub signups: Signups,
    /// Mark cookies Secure (turn on when Reef is served over HTTPS).
    #[arg(long, env = "REEF_SECURE_COOKIES", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true")]
    pub secure_cookies: bool,
    /// Where people reach Reef, e.g. https://reef.example.net, used in share links (default:
    /// the request's Host). With a path (https://example.net/reef/) every URL Reef emits starts
    /// with it.
    #[arg(long, env = "REEF_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// API reads (GET, HEAD, render) allowed per account per minute; 0 means unlimited.
    #[arg(long, env = "REEF_RATE_READ_PER_MIN", default_value_t = 120)]
    pub rate_read_per_min: u32,
    /// API writes allowed per account per minute; 0 means unlimited.
    #[arg(long, env = "REEF_RATE_WRITE_PER_MIN", default_value_t = 30)]
    pub rate_write_per_min: u32,
    /// Seconds a client may take to send a request's headers, and again its body; slower
    /// clients get 408 and are disconnected, so they cannot hold connections open forever.
    #[arg(long, env = "REEF_READ_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout_secs: u64,
    /// Editing without an account, with accounts on: `off` asks every visitor to sign in
    /// (share links stay public). With accounts off, guests are the only editors and this
    /// must stay `on`.
    #[arg(long, env = "REEF_GUESTS", value_enum, default_value = "on")]
    pub guests: Guests,
    /// Most live diagrams one guest (one browser) may keep; 0 means unlimited. Default: 50,
    /// or the account limit with accounts off (guests are then the only users).
    #[arg(long, env = "REEF_GUEST_MAX_DIAGRAMS")]
    pub guest_max_diagrams: Option<u32>,
    /// Most storage one guest may use, in MiB: diagrams, their kept revisions and the trash;
    /// 0 means unlimited. Default: 5, or the account limit with accounts off.
    #[arg(long, env = "REEF_GUEST_MAX_MIB")]
    pub guest_max_mib: Option<u32>,
    /// A guest's diagrams are deleted for good this many days after the guest last changed
    /// any of them (counted from when this server first purged, at the earliest); 0 keeps
    /// them. Default: 30, or 0 with accounts off.
    #[arg(long, env = "REEF_GUEST_PURGE_DAYS")]
    pub guest_purge_days: Option<u32>,
    /// Most storage all guests together may use, in MiB, so strangers who make a new guest
    /// for every request still cannot fill the disk; 0 means unlimited. Default: 200, or 0
    /// with accounts off.
    #[arg(long, env = "REEF_GUESTS_TOTAL_MIB")]
    pub guests_total_mib: Option<u32>,
    /// Most live diagrams one account may keep; 0 means unlimited.
    #[arg(long, env = "REEF_USER_MAX_DIAGRAMS", default_value_t = 1000)]
    pub user_max_diagrams: u32,
    /// Most storage one account may use, in MiB (diagrams, revisions, trash); 0 means
    /// unlimited.
    #[arg(long, env = "REEF_USER_MAX_MIB", default_value_t = 100)]
    pub user_max_mib: u32,
    /// Kroki- and mermaid.ink-compatible render URLs (`/mermaid/svg/…`, `/svg/…`, `/img/…`)
    /// for anyone who can reach Reef: `on` or `off`.
    #[arg(long, env = "REEF_PUBLIC_RENDER", value_enum, default_value = "off")]
    pub public_render: Switch,
    /// Public render URLs allowed per client address per minute (after a burst as large);
    /// 0 means unlimited.
    #[arg(long, env = "REEF_PUBLIC_RENDER_PER_MIN", default_value_t = 300)]
    pub public_render_per_min: u32,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` / `X-Forwarded-Proto` headers
    /// are believed: a comma-separated list of addresses or CIDR ranges, e.g.
    /// `127.0.0.1,10.0.0.0/8`. Empty (the default) believes no one.
    #[arg(long, env = "REEF_TRUSTED_PROXIES", value_parser = TrustedProxies::parse, default_value = "")]
    pub trusted_proxies: TrustedProxies,
}

/// How much one owner may keep. Zero in a field means no limit there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Live diagrams (the trash not counted).
    pub diagrams: u64,
    /// Bytes of titles and sources over the diagrams, their kept revisions and the trash.
    pub bytes: u64,
}

impl Quota {
    /// No limit at all.
    pub const UNLIMITED: Quota = Quota {
        diagrams: 0,
        bytes: 0,
    };

    fn of(diagrams: u32, mib: u32) -> Self {
        Self {
            diagrams: u64::from(diagrams),
            bytes: u64::from(mib) * 1024 * 1024,
        }
    }
}

/// The reverse proxies Reef believes about the client's address and scheme.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Reads a comma-separated list of addresses (`127.0.0.1`, `::1`) and CIDR ranges
    /// (`10.0.0.0/8`); empty items are skipped.
    ///
    /// # Errors
    /// A sentence naming the first item that is neither.
    pub fn parse(raw: &str) -> Result<Self, String> {
        parse_proxies(raw)
    }
}

fn parse_proxies(raw: &str) -> Result<TrustedProxies, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!("{item:?} is not an IP address or CIDR range such as 10.0.0.0/8")
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(TrustedProxies)
}

fn parse_public_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('/');
    if (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
        && trimmed.len() > "https://".len()
        && !trimmed.contains(char::is_whitespace)
        && !trimmed.contains(['?', '#'])
    {
        Ok(trimmed.to_owned())
    } else {
        Err("must be an absolute http:// or https:// URL without a query or fragment, such as https://reef.example.net or https://example.net/reef/".to_owned())
    }
}

/// A setup code: 12 random letters and digits in three groups, without look-alikes
/// (`K7QM-2XHD-9FRW`), 60 bits from the OS RNG.
fn new_setup_code() -> String {
    const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let random = crate::secret::os_random::<12>();
    let chars: Vec<char> = random
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The settings the running server needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory holding `reef.db`.
    pub data_dir: PathBuf,
    /// Sign-in, settings and API tokens; without them, a guest-only editor.
    pub accounts: bool,
    /// Anyone may register after the first account; otherwise only the shell adds accounts.
    pub open_signups: bool,
    /// Cookies are marked `Secure` (Reef is served over HTTPS).
    pub secure_cookies: bool,
    /// Base of share links, `http(s)://…` without a trailing `/`; `None` uses the request's
    /// Host.
    pub public_url: Option<String>,
    /// API reads per account per minute; 0 means unlimited.
    pub rate_read_per_min: u32,
    /// API writes per account per minute; 0 means unlimited.
    pub rate_write_per_min: u32,
    /// How long a client may take to send a request's headers, and again its body.
    pub read_timeout: std::time::Duration,
    /// Peers whose forwarding headers say who the client is and whether it used HTTPS.
    pub trusted_proxies: TrustedProxies,
    /// Visitors without an account may edit (always, with accounts off).
    pub guests: bool,
    /// What one guest may keep.
    pub guest_quota: Quota,
    /// A guest's diagrams go for good this long after the guest's last change; `None`
    /// keeps them.
    pub guest_purge_after: Option<std::time::Duration>,
    /// Bytes all guests together may keep (diagrams, revisions, trash); 0 means unlimited.
    pub guests_total_bytes: u64,
    /// What one account may keep.
    pub user_quota: Quota,
    /// Kroki- and mermaid.ink-compatible render URLs are served.
    pub public_render: bool,
    /// Public render URLs per client address per minute; 0 means unlimited.
    pub public_render_per_min: u32,
    /// A one-time code the first sign-up from the browser must give, when Reef listens
    /// beyond loopback (so whoever reaches a fresh server first cannot take it); printed to
    /// the log at start while no account exists. None on loopback.
    pub setup_code: Option<String>,
}

impl From<&ServeArgs> for Config {
    fn from(args: &ServeArgs) -> Self {
        let accounts = args.accounts == Accounts::On;
        Self {
            data_dir: args.data.dir.clone(),
            accounts: args.accounts == Accounts::On,
            open_signups: args.signups == Signups::Open,
            secure_cookies: args.secure_cookies,
            public_url: args.public_url.clone(),
            rate_read_per_min: args.rate_read_per_min,
            rate_write_per_min: args.rate_write_per_min,
            read_timeout: std::time::Duration::from_secs(args.read_timeout_secs),
            trusted_proxies: args.trusted_proxies.clone(),
            guests: args.guests == Guests::On || args.accounts == Accounts::Off,
            guest_quota: Quota::of(
                args.guest_max_diagrams.unwrap_or(if accounts {
                    50
                } else {
                    args.user_max_diagrams
                }),
                args.guest_max_mib
                    .unwrap_or(if accounts { 5 } else { args.user_max_mib }),
            ),
            guest_purge_after: Some(
                args.guest_purge_days
                    .unwrap_or(if accounts { 30 } else { 0 }),
            )
            .filter(|days| *days > 0)
            .map(|days| std::time::Duration::from_secs(u64::from(days) * 86_400)),
            guests_total_bytes: u64::from(args.guests_total_mib.unwrap_or(if accounts {
                200
            } else {
                0
            })) * 1024
                * 1024,
            user_quota: Quota::of(args.user_max_diagrams, args.user_max_mib),
            public_render: args.public_render == Switch::On,
            public_render_per_min: args.public_render_per_min,
            setup_code: (!args.bind.ip().is_loopback()).then(new_setup_code),
        }
    }
}

impl Config {
    /// A configuration for tests and embedding: accounts on, sign-ups closed, guests
    /// welcome, no quotas, nothing purged.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            accounts: true,
            open_signups: false,
            secure_cookies: false,
            public_url: None,
            rate_read_per_min: 120,
            rate_write_per_min: 30,
            read_timeout: std::time::Duration::from_secs(30),
            trusted_proxies: TrustedProxies::default(),
            guests: true,
            guest_quota: Quota::UNLIMITED,
            guest_purge_after: None,
            guests_total_bytes: 0,
            user_quota: Quota::UNLIMITED,
            public_render: false,
            public_render_per_min: 300,
            setup_code: None,
        }
    }

    /// The public URL's path without a trailing slash: `""` when Reef is reached at a host's
    /// root (or no public URL is set), `"/reef"` for `https://host/reef/`.
    pub fn public_path(&self) -> &str {
        self.public_url
            .as_deref()
            .and_then(|url| url.split_once("://"))
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or("")
    }

    /// `reef.db` inside [`Config::data_dir`].
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("reef.db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn config(flags: &[&str]) -> Config {
        let argv = std::iter::once("reef").chain(flags.iter().copied());
        Config::from(&Serve::parse_from(argv).args)
    }

    #[test]
    fn with_accounts_off_guests_keep_what_an_account_would_and_nothing_is_purged() {
        let on = config(&[]);
        assert_eq!(on.guest_quota, Quota::of(50, 5));
        assert_eq!(
            on.guest_purge_after,
            Some(std::time::Duration::from_secs(30 * 86_400))
        );
        assert_eq!(on.guests_total_bytes, 200 * 1024 * 1024);
        let off = config(&["--accounts", "off"]);
        assert_eq!(off.guest_quota, off.user_quota);
        assert_eq!(off.guest_purge_after, None);
        assert_eq!(off.guests_total_bytes, 0);
        // Said explicitly, a setting holds either way.
        let chosen = config(&["--accounts", "off", "--guest-purge-days", "90"]);
        assert_eq!(
            chosen.guest_purge_after,
            Some(std::time::Duration::from_secs(90 * 86_400))
        );
    }
}
