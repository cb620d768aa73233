//! The client address used for rate limits, lockouts and audit logs (docs/security.md#throttle-keys, #trusted-proxies).
//!
//! This module owns the decision which address is "the client": the TCP peer, unless the peer is
//! a configured trusted proxy, in which case `X-Forwarded-For` is read from the right and the
//! first hop that is not a trusted proxy wins. Values a client wrote itself (the left part of the
//! header) can therefore never choose the result.
//!
//! It must not read headers or sockets itself (the caller passes the peer and the raw header
//! values), must not trust `X-Real-IP`, `Forwarded` or any other header, and does no I/O.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use ipnet::{IpNet, Ipv4Net};

/// The proxies whose `X-Forwarded-For` entries are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// Builds the set from configured CIDRs. IPv4-mapped IPv6 networks (`::ffff:10.0.0.0/104`)
    /// are stored as their IPv4 equivalent, because [`TrustedProxies::contains`] compares mapped
    /// addresses as IPv4.
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self {
            nets: nets.into_iter().map(canonical_net).collect(),
        }
    }

    /// Whether `ip` is inside one of the trusted networks. `::ffff:a.b.c.d` is treated as
    /// `a.b.c.d`, so a dual-stack listener cannot make a trusted IPv4 proxy look untrusted or
    /// an untrusted IPv4 client look like a different address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

fn canonical_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && let Some(v4) = v6.addr().to_ipv4_mapped()
        && let Some(prefix) = v6.prefix_len().checked_sub(96)
        && let Ok(v4net) = Ipv4Net::new(v4, prefix)
    {
        return IpNet::V4(v4net);
    }
    net
}

/// Why a trusted proxy's `X-Forwarded-For` could not name the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnreadableForwardedFor;

impl std::fmt::Display for UnreadableForwardedFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("X-Forwarded-For from a trusted proxy holds an entry that is not an address")
    }
}

/// Returns the address to treat as the client.
///
/// - `peer` is the TCP peer address; if it is not in `trusted`, it is the answer and
///   `x_forwarded_for` is ignored entirely (anyone can send that header, Vikunja
///   GHSA-m547-hp4w-j6jx, oauth2-proxy GHSA-7x63-xv5r-3p2x).
/// - Otherwise every `X-Forwarded-For` value, in the order received, is split on `,` and
///   trimmed, and the list is walked from the right, skipping trusted proxies. The first
///   untrusted address is the client.
/// - An entry that is not an IP address (bare, `1.2.3.4:port`, `[v6]` or `[v6]:port`) met
///   before the client is an error: the request is refused. Falling back to the last trusted
///   hop would make every such client look like the proxy itself, so `networks` rules would
///   match the proxy's address and all those clients would share one throttle bucket (authentik
///   CVE-2024-47070). An empty entry (`a,,b`) is garbage too; a header value that is entirely
///   blank carries no entries. Garbage left of the client is the client's own text and is
///   never read.
/// - If every entry is trusted, the leftmost one is returned.
///
/// IPv4-mapped IPv6 addresses are returned as IPv4, so one client has one rate-limit key.
pub fn client_ip(
    peer: IpAddr,
    x_forwarded_for: &[&str],
    trusted: &TrustedProxies,
) -> Result<IpAddr, UnreadableForwardedFor> {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return Ok(peer);
    }
    // Read from the right, value by value and element by element: the same order as the
    // elements of all values joined, reversed, without collecting them.
    let entries = x_forwarded_for
        .iter()
        .rev()
        .filter(|value| !value.trim().is_empty())
        .flat_map(|value| value.rsplit(','));
    let mut last_trusted = peer;
    for entry in entries {
        let ip = parse_entry(entry.trim()).ok_or(UnreadableForwardedFor)?;
        if !trusted.contains(ip) {
            return Ok(ip);
        }
        last_trusted = ip;
    }
    Ok(last_trusted)
}

/// Parses one `X-Forwarded-For` element into a canonical address.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let ip = if let Ok(ip) = entry.parse::<IpAddr>() {
        ip
    } else if let Ok(sock) = entry.parse::<SocketAddr>() {
        // `1.2.3.4:5678` and `[::1]:5678`: some proxies (Azure, IIS) append the source port.
        sock.ip()
    } else {
        let inner = entry.strip_prefix('[')?.strip_suffix(']')?;
        IpAddr::V6(inner.parse::<Ipv6Addr>().ok()?)
    };
    Some(ip.to_canonical())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn client_ip_ok(peer: IpAddr, xff: &[&str], t: &TrustedProxies) -> IpAddr {
        client_ip(peer, xff, t).unwrap()
    }

    fn trusted(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    /// A typical deployment: a LAN reverse proxy and a loopback sidecar.
    fn proxies() -> TrustedProxies {
        trusted(&["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"])
    }

    #[test]
    fn untrusted_peer_ignores_the_header() {
        let t = proxies();
        assert_eq!(
            client_ip_ok(ip("203.0.113.9"), &["1.1.1.1"], &t),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip_ok(ip("203.0.113.9"), &["10.0.0.1"], &t),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip_ok(ip("203.0.113.9"), &["garbage"], &t),
            ip("203.0.113.9")
        );
        assert_eq!(client_ip_ok(ip("203.0.113.9"), &[], &t), ip("203.0.113.9"));
    }

    #[test]
    fn no_trusted_proxies_means_the_peer_always_wins() {
        let t = TrustedProxies::default();
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["1.2.3.4"], &t),
            ip("10.0.0.1")
        );
        assert!(!t.contains(ip("127.0.0.1")));
    }

    #[test]
    fn trusted_peer_without_header_is_the_client() {
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &[], &proxies()),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &[""], &proxies()),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["  "], &proxies()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn rightmost_untrusted_entry_is_the_client() {
        let t = proxies();
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["198.51.100.7"], &t),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["198.51.100.7, 10.0.0.2"], &t),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip_ok(
                ip("10.0.0.1"),
                &["6.6.6.6, 198.51.100.7, 10.0.0.2, 127.0.0.1"],
                &t
            ),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn rotating_spoofed_left_values_cannot_change_the_result() {
        let t = proxies();
        let mut seen = std::collections::HashSet::new();
        for i in 0..=255u8 {
            let header = format!("{i}.{i}.{i}.{i}, 10.{i}.0.1, 198.51.100.7");
            seen.insert(client_ip_ok(ip("10.0.0.1"), &[&header], &t));
            let header = format!("203.0.113.{i}, 198.51.100.7, 10.0.0.2");
            seen.insert(client_ip_ok(ip("10.0.0.1"), &[&header], &t));
        }
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            vec![ip("198.51.100.7")]
        );
    }

    #[test]
    fn garbage_before_the_client_is_refused() {
        let t = proxies();
        for header in [
            "garbage",
            "a",
            "unknown",
            "_hidden",
            "1.2.3.4, garbage, 10.0.0.2",
            "1.2.3.4, unknown",
            "1.2.3.4,,10.0.0.2",
            "1.2.3.4,",
        ] {
            assert_eq!(
                client_ip(ip("10.0.0.1"), &[header], &t),
                Err(UnreadableForwardedFor),
                "{header:?}"
            );
        }
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.4:",
            "1.2.3.4:99999",
            "[1.2.3.4]",
            "::1]",
            "[::1",
            "1.2.3.4 5.6.7.8",
            "1.2.3.4/32",
        ] {
            assert!(client_ip(ip("10.0.0.1"), &[bad], &t).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn garbage_right_of_a_client_is_still_garbage() {
        // A client entry left of garbage was not vouched for by any trusted hop.
        let t = proxies();
        assert!(client_ip(ip("10.0.0.1"), &["198.51.100.7, x"], &t).is_err());
    }

    #[test]
    fn garbage_left_of_the_client_is_the_clients_own_text() {
        let t = proxies();
        assert_eq!(
            client_ip(ip("10.0.0.1"), &["unknown, 198.51.100.7, 10.0.0.2"], &t),
            Ok(ip("198.51.100.7"))
        );
    }

    #[test]
    fn all_trusted_returns_the_leftmost() {
        let t = proxies();
        assert_eq!(
            client_ip_ok(ip("127.0.0.1"), &["10.0.0.3, 10.0.0.2"], &t),
            ip("10.0.0.3")
        );
    }

    #[test]
    fn entries_with_ports_and_brackets() {
        let t = proxies();
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["198.51.100.7:5678"], &t),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["[2001:db8::7]"], &t),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["[2001:db8::7]:443"], &t),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["2001:db8::7"], &t),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["2001:db8::7, 10.0.0.2:80"], &t),
            ip("2001:db8::7")
        );
    }

    #[test]
    fn ipv6_proxies_and_clients() {
        let t = proxies();
        assert_eq!(
            client_ip_ok(ip("fd00::1"), &["2001:db8::9"], &t),
            ip("2001:db8::9")
        );
        assert_eq!(
            client_ip_ok(ip("fd00::1"), &["2001:db8::9, fd12::3"], &t),
            ip("2001:db8::9")
        );
        assert_eq!(
            client_ip_ok(ip("2001:db8::1"), &["1.2.3.4"], &t),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn multiple_header_values_are_joined_in_order() {
        let t = proxies();
        assert_eq!(
            client_ip_ok(
                ip("10.0.0.1"),
                &["6.6.6.6", "198.51.100.7, 10.0.0.3", "10.0.0.2"],
                &t
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["198.51.100.7", "", "10.0.0.2"], &t),
            ip("198.51.100.7")
        );
        assert!(client_ip(ip("10.0.0.1"), &["198.51.100.7", "garbage", "10.0.0.2"], &t).is_err());
    }

    #[test]
    fn ipv4_mapped_addresses_are_ipv4() {
        let t = proxies();
        // A dual-stack listener reports the LAN proxy as ::ffff:10.0.0.1; it is still trusted.
        assert_eq!(
            client_ip_ok(ip("::ffff:10.0.0.1"), &["::ffff:198.51.100.7"], &t),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip_ok(ip("::ffff:203.0.113.9"), &["1.1.1.1"], &t),
            ip("203.0.113.9")
        );
        // A mapped trusted hop is skipped like its IPv4 form.
        assert_eq!(
            client_ip_ok(ip("10.0.0.1"), &["198.51.100.7, [::ffff:10.0.0.2]:80"], &t),
            ip("198.51.100.7")
        );
        assert!(t.contains(ip("::ffff:127.0.0.1")));
    }

    #[test]
    fn ipv4_mapped_networks_are_stored_as_ipv4() {
        let t = trusted(&["::ffff:10.0.0.0/104"]);
        assert!(t.contains(ip("10.1.2.3")));
        assert!(t.contains(ip("::ffff:10.1.2.3")));
        assert!(!t.contains(ip("11.0.0.1")));
        let t = trusted(&["::ffff:0:0/96"]);
        assert!(t.contains(ip("203.0.113.1")));
        assert!(!t.contains(ip("2001:db8::1")));
    }

    #[test]
    fn contains_checks_every_network() {
        let t = proxies();
        assert!(t.contains(ip("10.255.255.255")));
        assert!(t.contains(ip("127.0.0.1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert!(t.contains(ip("fd00::abcd")));
        assert!(!t.contains(ip("fe80::1")));
    }
}
