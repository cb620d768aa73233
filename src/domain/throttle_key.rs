//! What a throttle counts against: a typed key, and the network prefix an address is counted
//! under.
//!
//! Keys are an enum rather than strings with prefixes, so that two kinds of bucket can never
//! share a counter by a spelling accident, and every bucket of an account is found from the
//! account by construction (one case-folded spelling per name). IPv6 clients are counted per
//! network prefix, not per address: a single subscriber is routinely given a whole /64 (often
//! a /56 or /48), so keying per /128 lets one client rotate through 2^64 fresh buckets.

use super::user::UserId;

use std::fmt;

pub use super::client_prefix::IpPrefix;

/// One throttle bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ThrottleKey {
    /// Failed sign-in steps from a client network (passwords and codes).
    Client(IpPrefix),
    /// Failed sign-in steps from a wider IPv6 network, with its own, higher limit.
    ClientWide(IpPrefix),
    /// Wrong passwords for an account, known or not, by its case-folded name.
    Account(String),
    /// Wrong second-factor codes (TOTP or recovery) of an account, by user id. Only a correct
    /// code clears it; a correct password does not.
    Codes(UserId),
    /// Codes tried within one pending login (the store key of that login).
    PendingLogin(String),
    /// Password-reset requests from a client network.
    ResetIp(IpPrefix),
    /// Reset mails sent to an account, by user id.
    ResetMail(UserId),
    /// Passkey challenges drawn by one owner (a client network for sign-ins without a
    /// password, else the session or pending login): each is a record kept two minutes.
    Ceremonies(String),
}

/// Longest name kept in an account key: longer input is not a valid name anyway, and the
/// bound keeps an attacker from storing large keys.
const MAX_NAME: usize = 64;

impl ThrottleKey {
    /// The account key for a name as typed: trimmed, case-folded and bounded, so `Alice`,
    /// `ALICE` and ` alice` are one bucket, and unknown names are counted like known ones.
    pub fn account(raw: &str) -> Self {
        Self::Account(raw.trim().to_lowercase().chars().take(MAX_NAME).collect())
    }

    /// A short name of the kind of bucket, for the audit log.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Client(_) => "ip",
            Self::ClientWide(_) => "ip_wide",
            Self::Account(_) => "user",
            Self::Codes(_) => "code",
            Self::PendingLogin(_) => "pending",
            Self::ResetIp(_) => "reset_ip",
            Self::ResetMail(_) => "reset_mail",
            Self::Ceremonies(_) => "ceremonies",
        }
    }
}

impl fmt::Display for ThrottleKey {
    /// The store's name for the bucket; each kind has its own prefix, so names never collide.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(net) => write!(f, "ip:{net}"),
            Self::ClientWide(net) => write!(f, "ipw:{net}"),
            Self::Account(name) => write!(f, "user:{name}"),
            Self::Codes(id) => write!(f, "code:{id}"),
            Self::PendingLogin(key) => write!(f, "pend:{key}"),
            Self::ResetIp(net) => write!(f, "reset-ip:{net}"),
            Self::ResetMail(id) => write!(f, "reset-mail:{id}"),
            Self::Ceremonies(owner) => write!(f, "ceremonies:{owner}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(ip: &str, len: u8) -> String {
        IpPrefix::of(ip.parse().unwrap(), len).to_string()
    }

    #[test]
    fn ipv6_is_keyed_by_prefix() {
        assert_eq!(net("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::/64");
        assert_eq!(
            net("2001:db8:1:2:ffff:ffff:ffff:ffff", 64),
            "2001:db8:1:2::/64"
        );
        assert_ne!(net("2001:db8:1:3::1", 64), net("2001:db8:1:2::1", 64));
        assert_eq!(net("2001:db8:1:ffff::1", 48), "2001:db8:1::/48");
        assert_eq!(net("2001:db8::1", 128), "2001:db8::1/128");
        assert_eq!(net("2001:db8::1", 0), "::/1");
        assert_eq!(net("2001:db8::1", 200), "2001:db8::1/128");
    }

    #[test]
    fn ipv4_is_keyed_per_address_whatever_its_spelling() {
        assert_eq!(net("192.0.2.7", 64), "192.0.2.7/32");
        // An IPv4-mapped IPv6 address is the IPv4 client, not a member of ::ffff:0:0/64.
        assert_eq!(net("::ffff:192.0.2.7", 64), "192.0.2.7/32");
        assert_ne!(net("::ffff:192.0.2.8", 64), net("::ffff:192.0.2.7", 64));
    }

    #[test]
    fn account_keys_fold_and_are_bounded() {
        for raw in ["alice", "Alice", "ALICE", " alice ", "\talice"] {
            assert_eq!(ThrottleKey::account(raw).to_string(), "user:alice");
        }
        assert_eq!(
            ThrottleKey::account(&"x".repeat(10_000)).to_string().len(),
            5 + 64
        );
    }

    #[test]
    fn kinds_never_share_a_name() {
        let net = IpPrefix::of("192.0.2.1".parse().unwrap(), 64);
        let names: std::collections::HashSet<String> = [
            ThrottleKey::Client(net),
            ThrottleKey::ClientWide(net),
            ThrottleKey::ResetIp(net),
            ThrottleKey::Codes(UserId(1)),
            ThrottleKey::ResetMail(UserId(1)),
            ThrottleKey::account("1"),
            ThrottleKey::PendingLogin("1".into()),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(names.len(), 7);
    }
}
