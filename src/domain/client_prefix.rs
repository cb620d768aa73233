//! The unit a client address counts as when the gateway shares something out per client: an
//! IPv4 address on its own, an IPv6 address by its /64.
//!
//! One IPv6 subscriber usually holds a whole /64 and can use any address inside it, so
//! counting IPv6 addresses one by one would give a single host 2^64 fresh shares. Used by
//! the password-hashing pool and the connection caps; pure, no I/O.

use std::net::{IpAddr, Ipv6Addr};

/// Bits of an IPv6 address that name one client (the subnet a host can freely use).
pub const IPV6_CLIENT_PREFIX: u32 = 64;

/// The address with the bits that one client controls cleared. IPv4-mapped IPv6 addresses
/// count as their IPv4 address, so a dual-stack listener sees one client once.
pub fn client_prefix(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let mask = u128::MAX << (128 - IPV6_CLIENT_PREFIX);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
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
        assert_eq!(client_prefix(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_ne!(
            client_prefix(ip("192.0.2.7")),
            client_prefix(ip("192.0.2.8"))
        );
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        assert_eq!(
            client_prefix(ip("2001:db8:1:2:aaaa::1")),
            ip("2001:db8:1:2::")
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
        assert_eq!(client_prefix(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }
}
