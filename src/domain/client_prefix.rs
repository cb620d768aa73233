//! The unit a client address counts as when the gateway shares something out per client: an
//! IPv4 address on its own, an IPv6 address by its /64.
//!
//! One IPv6 subscriber usually holds a whole /64 and can use any address inside it, so
//! counting IPv6 addresses one by one would give a single host 2^64 fresh shares. Used by
//! the throttle (with a configurable prefix), the password-hashing pool and the connection
//! caps; pure, no I/O.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// Bits of an IPv6 address that name one client (the subnet a host can freely use), for the
/// shares that are not configurable (hashing slots, connection caps).
pub const IPV6_CLIENT_PREFIX: u8 = 64;

/// A client network: an IPv4 address (/32) or an IPv6 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpPrefix {
    addr: IpAddr,
    len: u8,
}

impl IpPrefix {
    /// The network `ip` is counted under: IPv4 (and IPv4-mapped IPv6) per address, IPv6 per
    /// `/v6_len` (clamped to 1..=128).
    pub fn of(ip: IpAddr, v6_len: u8) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self {
                addr: IpAddr::V4(v4),
                len: 32,
            },
            IpAddr::V6(v6) => {
                let len = v6_len.clamp(1, 128);
                let mask = u128::MAX << (128 - u32::from(len));
                Self {
                    addr: IpAddr::V6(Ipv6Addr::from(v6.to_bits() & mask)),
                    len,
                }
            }
        }
    }

    /// Whether this is an IPv6 network.
    pub fn is_v6(&self) -> bool {
        self.addr.is_ipv6()
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// The network one client counts as for the hashing pool and the connection caps: an IPv4
/// address on its own, an IPv6 address by its /64.
pub fn client_prefix(ip: IpAddr) -> IpPrefix {
    IpPrefix::of(ip, IPV6_CLIENT_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::client_prefix;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn ipv4_is_its_own_client() {
        assert_eq!(client_prefix(ip("192.0.2.7")).to_string(), "192.0.2.7/32");
        assert_ne!(
            client_prefix(ip("192.0.2.7")),
            client_prefix(ip("192.0.2.8"))
        );
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        assert_eq!(
            client_prefix(ip("2001:db8:1:2:aaaa::1")).to_string(),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            client_prefix(ip("2001:db8:1:2::1")),
            client_prefix(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(
            client_prefix(ip("2001:db8:1:2::1")),
            client_prefix(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        assert_eq!(
            client_prefix(ip("::ffff:192.0.2.7")),
            client_prefix(ip("192.0.2.7"))
        );
    }
}
