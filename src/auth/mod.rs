//! Who is calling, decided in one place for every surface: a browser's [`Visitor`] (guest
//! identity, maybe a session, its CSRF token), a [`SignedIn`] account for settings, and an
//! [`ApiCaller`] (bearer token or the browser session) for the REST API and MCP, with the
//! scope and rate-limit policy both apply.

pub mod bearer;
pub mod policy;
pub mod visitor;

pub use bearer::{ApiCaller, Via};
pub use policy::Access;
pub use visitor::{CsrfForm, CsrfHeader, SignedIn, Visitor};

use std::net::IpAddr;

use crate::http::forwarded::Forwarded;

/// The client's address: the TCP peer, or behind trusted reverse proxies
/// (`REEF_TRUSTED_PROXIES`) the address they forwarded (see [`Forwarded`]). Limits and the
/// security log use it.
pub struct ClientIp(pub IpAddr);

crate::http::extract_with_config!(ClientIp, |config, parts| {
    ClientIp(Forwarded::from_parts(config, parts).client)
});

/// A `User-Agent` as a person recognises their browser: "Firefox on Linux", "Chrome on
/// Android", "curl"; None when nothing is recognised. Parsed with woothee's rules.
pub fn describe_browser(user_agent: &str) -> Option<String> {
    let found = woothee::parser::Parser::new().parse(user_agent)?;
    let name = match found.name {
        "" | "UNKNOWN" => return None,
        // A command-line client: its own product name ("curl/8.5.0" is "curl").
        "HTTP Library" => {
            let product = user_agent.split(['/', ' ']).next().unwrap_or("");
            return (!product.is_empty() && product.len() <= 40).then(|| product.to_owned());
        }
        name => name,
    };
    Some(match found.os {
        "" | "UNKNOWN" => name.to_owned(),
        "Mac OSX" => format!("{name} on macOS"),
        "iPhone" | "iPad" | "iPod" => format!("{name} on iOS"),
        os => format!("{name} on {os}"),
    })
}

#[cfg(test)]
mod browser_tests {
    use super::describe_browser;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(
            describe_browser(firefox).as_deref(),
            Some("Firefox on Linux")
        );
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(
            describe_browser(chrome).as_deref(),
            Some("Chrome on Windows 10")
        );
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_browser(safari).as_deref(), Some("Safari on iOS"));
        assert_eq!(describe_browser("curl/8.5.0").as_deref(), Some("curl"));
        assert_eq!(describe_browser("gibberish"), None);
    }
}
