//! Who is on the other end: the client IP (trusting `X-Forwarded-For` only from configured
//! proxies) and the public base URL (configured, or from the request).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::request::Parts;

/// Trusted proxy ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses IPs and CIDRs (already validated by the rulebook; bad entries are skipped).
    pub fn new(entries: &[String]) -> Self {
        Self(entries.iter().filter_map(|e| parse_cidr(e)).collect())
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| in_range(ip, *net, *bits))
    }
}

fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    match text.split_once('/') {
        None => {
            let ip: IpAddr = text.parse().ok()?;
            Some((ip, if ip.is_ipv4() { 32 } else { 128 }))
        }
        Some((addr, bits)) => Some((addr.parse().ok()?, bits.parse().ok()?)),
    }
}

fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits.min(32)))
            };
            (u32::from(ip) & mask) == (u32::from(net) & mask)
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits.min(128)))
            };
            (u128::from(ip) & mask) == (u128::from(net) & mask)
        }
        _ => false,
    }
}

/// The client's IP: the peer address, or, when the peer is a trusted proxy, the right-most
/// untrusted address of `X-Forwarded-For`.
pub fn client_ip(parts: &Parts, proxies: &TrustedProxies) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    if !proxies.contains(peer) {
        return Some(peer);
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter_map(|v| v.parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !proxies.contains(*ip))
            .unwrap_or(peer),
    )
}

/// Whether the request came through a trusted proxy.
pub fn via_trusted_proxy(parts: &Parts, proxies: &TrustedProxies) -> bool {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| proxies.contains(c.0.ip()))
}

/// The public base URL (`scheme://host[:port]`, no trailing slash): the configured one, else
/// the request's `Host` (and `X-Forwarded-Host` / `-Proto` behind a trusted proxy).
pub fn base_url(parts: &Parts, configured: Option<&str>, proxies: &TrustedProxies) -> String {
    if let Some(url) = configured {
        return url.trim_end_matches('/').to_owned();
    }
    let (scheme, host) = scheme_and_host(parts, proxies);
    format!("{scheme}://{host}")
}

/// Whether [`base_url`] is an `https` URL, without building it.
pub fn is_https(parts: &Parts, configured: Option<&str>, proxies: &TrustedProxies) -> bool {
    match configured {
        Some(url) => url.starts_with("https://"),
        None => scheme_and_host(parts, proxies).0 == "https",
    }
}

/// The scheme and host of the request's base, from its headers (forwarded ones only from a
/// trusted proxy).
fn scheme_and_host<'a>(parts: &'a Parts, proxies: &TrustedProxies) -> (&'a str, &'a str) {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let trusted = via_trusted_proxy(parts, proxies);
    let forwarded = |name: &str| {
        trusted
            .then(|| header(name))
            .flatten()
            .and_then(|v| v.split(',').next())
            .map(str::trim)
    };
    let host = forwarded("x-forwarded-host")
        .or_else(|| header("host"))
        .filter(|h| is_host(h))
        .unwrap_or("localhost");
    let scheme = forwarded("x-forwarded-proto")
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    (scheme, host)
}

/// A conservative check that a header names a host (and port), so it can go into a URL.
fn is_host(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 255
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().uri("/mcp");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let (mut parts, ()) = builder.body(()).expect("request").into_parts();
        let addr: SocketAddr = format!("{peer}:5000").parse().expect("addr");
        parts.extensions.insert(ConnectInfo(addr));
        parts
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies::new(&["10.0.0.0/8".to_owned()]);
        let spoofed = parts("203.0.113.9", &[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(client_ip(&spoofed, &proxies), "203.0.113.9".parse().ok());
        let proxied = parts("10.1.2.3", &[("x-forwarded-for", "1.2.3.4, 10.0.0.7")]);
        assert_eq!(client_ip(&proxied, &proxies), "1.2.3.4".parse().ok());
    }

    #[test]
    fn base_url_prefers_configuration_then_trusted_forwarding() {
        let proxies = TrustedProxies::new(&["127.0.0.1".to_owned()]);
        let request = parts(
            "127.0.0.1",
            &[
                ("host", "internal:8080"),
                ("x-forwarded-host", "mcp.example.com"),
                ("x-forwarded-proto", "https"),
            ],
        );
        assert_eq!(
            base_url(&request, None, &proxies),
            "https://mcp.example.com"
        );
        assert_eq!(
            base_url(&request, Some("https://public.example.com/"), &proxies),
            "https://public.example.com"
        );
        let direct = parts(
            "192.0.2.1",
            &[
                ("host", "internal:8080"),
                ("x-forwarded-host", "evil.example"),
            ],
        );
        assert_eq!(base_url(&direct, None, &proxies), "http://internal:8080");
        let hostile = parts("192.0.2.1", &[("host", "a\"b")]);
        assert_eq!(base_url(&hostile, None, &proxies), "http://localhost");
    }
}
