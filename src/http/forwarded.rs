//! Who the client is when Reef runs behind reverse proxies: from a trusted proxy only, the
//! client's address comes from `Forwarded` (RFC 7239) or `X-Forwarded-For`, read from the
//! right — the rightmost hop that is not a trusted proxy is the client, since every hop to
//! its left may have been written by the client itself — and the scheme from `Forwarded`'s
//! `proto` or `X-Forwarded-Proto`. From anyone else these headers are ignored.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::config::{Config, TrustedProxies};

/// The client as far as Reef can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forwarded {
    /// The client's address: the TCP peer, or what trusted proxies say.
    pub client: IpAddr,
    /// The client reached Reef over HTTPS (a trusted proxy said so).
    pub https: bool,
}

impl Forwarded {
    /// The client behind `peer`, believing the forwarding headers only when `peer` is one of
    /// `trusted`.
    pub fn of(trusted: &TrustedProxies, peer: IpAddr, headers: &HeaderMap) -> Self {
        if !trusted.contains(peer) {
            return Self {
                client: peer,
                https: false,
            };
        }
        let (hops, proto) = hops(headers);
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) => {
                    client = *ip;
                    if !trusted.contains(*ip) {
                        break;
                    }
                }
                // An unreadable hop (`unknown`, a secret name): believe nothing further left.
                None => break,
            }
        }
        Self {
            client,
            https: proto.is_some_and(|p| p.eq_ignore_ascii_case("https")),
        }
    }

    /// Whether the client reached Reef over HTTPS: configured so (`REEF_SECURE_COOKIES`), or a
    /// trusted proxy says so. Cookies get `Secure` and share links `https` by this.
    pub fn https(config: &Config, parts: &Parts) -> bool {
        config.secure_cookies || Self::from_parts(config, parts).https
    }

    /// From a request's parts: the peer recorded by the server, and the headers.
    pub fn from_parts(config: &Config, parts: &Parts) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Self::of(&config.trusted_proxies, peer, &parts.headers)
    }
}

super::extract_with_config!(Forwarded, Forwarded::from_parts);

/// The hops, left to right, and the scheme the last proxy saw: from `Forwarded` when the
/// request has it, else from `X-Forwarded-For` and `X-Forwarded-Proto`. Several header lines
/// are one list, in order.
fn hops(headers: &HeaderMap) -> (Vec<Option<IpAddr>>, Option<String>) {
    let lines = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .collect()
    };
    let forwarded = lines("forwarded");
    if !forwarded.is_empty() {
        let mut hops = Vec::new();
        let mut proto = None;
        for element in &forwarded {
            let mut hop = None;
            for pair in element.split(';') {
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "for" => hop = Some(node(value)),
                    "proto" => proto = Some(value.to_owned()),
                    _ => {}
                }
            }
            hops.push(hop.flatten());
        }
        return (hops, proto);
    }
    let hops = lines("x-forwarded-for").iter().map(|h| node(h)).collect();
    let proto = lines("x-forwarded-proto").pop();
    (hops, proto)
}

/// An address from a hop: `192.0.2.60`, `192.0.2.60:4711`, `[2001:db8::17]:4711` or
/// `2001:db8::17`; None for `unknown` and obfuscated names.
fn node(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = raw.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    raw.strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let seen = Forwarded::of(
            &proxies(&["10.0.0.0/8"]),
            ip("192.0.2.1"),
            &headers(&[
                ("x-forwarded-for", "198.51.100.7"),
                ("x-forwarded-proto", "https"),
            ]),
        );
        assert_eq!(
            seen,
            Forwarded {
                client: ip("192.0.2.1"),
                https: false
            }
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client wrote the leftmost entry itself; only the proxies' appends count.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.2"),
            ("x-forwarded-proto", "https"),
        ]);
        let seen = Forwarded::of(&trusted, ip("10.0.0.1"), &h);
        assert_eq!(
            seen,
            Forwarded {
                client: ip("198.51.100.7"),
                https: true
            }
        );
        // Several header lines are one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.8"),
        ]);
        assert_eq!(
            Forwarded::of(&trusted, ip("10.0.0.1"), &h).client,
            ip("198.51.100.8")
        );
        // Nothing forwarded: the proxy itself.
        assert_eq!(
            Forwarded::of(&trusted, ip("10.0.0.1"), &HeaderMap::new()).client,
            ip("10.0.0.1")
        );
    }

    #[test]
    fn rfc_7239_forwarded_is_read_with_ports_and_ipv6() {
        let trusted = proxies(&["127.0.0.1/32"]);
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https;by=127.0.0.1",
        )]);
        let seen = Forwarded::of(&trusted, ip("127.0.0.1"), &h);
        assert_eq!(
            seen,
            Forwarded {
                client: ip("2001:db8:cafe::17"),
                https: true
            }
        );
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(
            Forwarded::of(&trusted, ip("127.0.0.1"), &h).client,
            ip("127.0.0.1")
        );
        assert_eq!(node("192.0.2.60:4711"), Some(ip("192.0.2.60")));
        assert_eq!(node("_hidden"), None);
    }
}
