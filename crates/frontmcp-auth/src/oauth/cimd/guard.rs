//! The SSRF guard of document fetches: only public unicast addresses may be connected to,
//! checked on the addresses a name actually resolves to (DNS rebinding included).

use std::net::{IpAddr, SocketAddr};

/// Whether `ip` is a public unicast address: not private, loopback, link-local, unspecified,
/// shared, documentation, benchmarking, reserved, IETF protocol or multicast, and for IPv6
/// not an address that embeds or translates to IPv4 (mapped, IPv4-compatible, NAT64 `64:ff9b::/96`
/// and `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo `2001::/32`) nor a unique-local,
/// link-local, documentation or discard one.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 192 && b == 88 && c == 99)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let ipv4_compatible = s[..6].iter().all(|x| *x == 0);
            let nat64 =
                s[0] == 0x64 && s[1] == 0xff9b && (s[2] == 1 || s[2..6].iter().all(|x| *x == 0));
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || ipv4_compatible
                || nat64
                || s[0] == 0x2002
                || (s[0] == 0x2001 && s[1] == 0)
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0100 && s[1..4].iter().all(|x| *x == 0))
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves names and drops every address the SSRF guard refuses, so a name that resolves to
/// a private address (DNS rebinding included) is never connected to.
pub(super) struct GuardedResolver {
    pub(super) allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| allow_private || is_public(address.ip()))
                .collect();
            if addresses.is_empty() {
                return Err(format!("{host} resolves to no address that may be fetched").into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_targets_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:a9fe:a9fe::1",
            "::169.254.169.254",
            "2001::1",
            "2001:db8::1",
            "100::1",
            "192.0.0.8",
            "198.18.0.1",
            "240.0.0.1",
            "192.88.99.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        assert!(is_public("93.184.216.34".parse().expect("ip")));
        assert!(is_public("2606:4700::1111".parse().expect("ip")));
    }
}
