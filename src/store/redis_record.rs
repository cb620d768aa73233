//! The compact form of a session in Redis: a positional binary record (no field names, times
//! as integers relative to the session's creation) and the raw 32 digest bytes as key and
//! index member, so that a session costs under 300 bytes of Redis memory where the JSON record
//! under a hex key cost about 640 (issue 12, docs/security.md#session-store-at-rest).
//!
//! Layout, version 1 (varints are LEB128; signed values zigzag-coded):
//!
//! ```text
//! 0x01 · user id (varint, read by the Lua scripts) · flags · epoch · created − 2020-01-01 ·
//! last seen − created · authenticated − created · expires − created · ip · username ·
//! user agent · [cookie scope]
//! flags: bits 0–1 level (0 pending, 1 one factor, 2 two factors, 3 passkey), bit 2 remember,
//!        bit 3 a cookie scope follows, bit 4 user agent coded with FRAGMENTS,
//!        bits 5–6 ip form (0 text, 1 IPv4 4 bytes, 2 IPv6 16 bytes)
//! strings: varint length · bytes
//! ```
//!
//! Browser user agents repeat a few long fragments (`Mozilla/5.0 (`, `AppleWebKit/537.36
//! (KHTML, like Gecko)`, …): each is written as one byte below 0x20, a byte no header value
//! here holds (the record is written raw when one does), so the coding is lossless. A change
//! to the fragments or the layout is a new version; a record of an unknown version is
//! corrupt, never misread. This module decodes untrusted bytes (whatever Redis holds) and
//! never panics on them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{StoreError, StoreResult};
use crate::domain::session::{AuthLevel, Session, SessionKey};
use crate::domain::user::UserId;

const VERSION: u8 = 1;

/// Creation times count from 2020-01-01T00:00:00Z, so today's fit in five varint bytes.
const TIME_BASE: i64 = 1_577_836_800;

const REMEMBER: u8 = 1 << 2;
const SCOPE: u8 = 1 << 3;
const UA_CODED: u8 = 1 << 4;
const IP_SHIFT: u8 = 5;

/// Fragments of common browser user agents, coded as bytes 0x01.. in order. Frozen for
/// version 1: never reorder or edit, append only with a new version.
const FRAGMENTS: [&str; 18] = [
    "Mozilla/5.0 (",
    "Windows NT 10.0; Win64; x64)",
    " AppleWebKit/537.36 (KHTML, like Gecko)",
    " Chrome/",
    " Safari/537.36",
    "Macintosh; Intel Mac OS X 10_15_7)",
    "X11; Linux x86_64)",
    " Gecko/20100101 Firefox/",
    "; rv:",
    " AppleWebKit/605.1.15 (KHTML, like Gecko)",
    " Version/",
    " Mobile/15E148 Safari/604.1",
    "iPhone; CPU iPhone OS ",
    " like Mac OS X)",
    "Linux; Android 10; K)",
    " Mobile Safari/537.36",
    " Edg/",
    ".0.0.0",
];

/// The 32 digest bytes of a session key (64 hex digits); `None` for anything else, which
/// names no session.
pub(super) fn digest(key: &SessionKey) -> Option<[u8; 32]> {
    let hex = key.as_str().as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// The session key of 32 digest bytes (an index member); `None` when not 32 bytes.
pub(super) fn key_of(digest: &[u8]) -> Option<SessionKey> {
    if digest.len() != 32 {
        return None;
    }
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    Some(SessionKey::from_text(hex))
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(u8::try_from(n & 0x7f).unwrap_or(0) | 0x80);
        n >>= 7;
    }
    out.push(u8::try_from(n).unwrap_or(0));
}

fn put_signed(out: &mut Vec<u8>, n: i64) {
    // Zigzag: small magnitudes of either sign stay short.
    put_varint(out, ((n << 1) ^ (n >> 63)) as u64);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn code_user_agent(ua: &str) -> Option<Vec<u8>> {
    if ua.bytes().any(|b| b < 0x20) {
        return None;
    }
    let mut out = Vec::with_capacity(ua.len());
    let mut rest = ua;
    'outer: while let Some(c) = rest.chars().next() {
        for (i, f) in FRAGMENTS.iter().enumerate() {
            if let Some(after) = rest.strip_prefix(f) {
                out.push(u8::try_from(i + 1).unwrap_or(0));
                rest = after;
                continue 'outer;
            }
        }
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        rest = &rest[c.len_utf8()..];
    }
    Some(out)
}

/// The record of `s`.
pub(super) fn encode(s: &Session) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + s.user_agent.len());
    out.push(VERSION);
    put_varint(&mut out, s.user_id.0 as u64);
    let level = match s.level {
        AuthLevel::Pending => 0,
        AuthLevel::OneFactor => 1,
        AuthLevel::TwoFactor => 2,
        AuthLevel::Passkey => 3,
    };
    let ip =
        s.ip.parse::<IpAddr>()
            .ok()
            .filter(|ip| ip.to_string() == s.ip);
    let ip_form = match ip {
        None => 0,
        Some(IpAddr::V4(_)) => 1,
        Some(IpAddr::V6(_)) => 2,
    };
    let ua = code_user_agent(&s.user_agent);
    let mut flags = level | (ip_form << IP_SHIFT);
    if s.remember {
        flags |= REMEMBER;
    }
    if s.cookie_scope.is_some() {
        flags |= SCOPE;
    }
    if ua.is_some() {
        flags |= UA_CODED;
    }
    out.push(flags);
    put_signed(&mut out, s.epoch);
    // Wrapping differences: any i64 round-trips exactly.
    put_signed(&mut out, s.created_at.wrapping_sub(TIME_BASE));
    for t in [s.last_seen, s.authenticated_at, s.expires_at] {
        put_signed(&mut out, t.wrapping_sub(s.created_at));
    }
    match ip {
        Some(IpAddr::V4(v4)) => out.extend_from_slice(&v4.octets()),
        Some(IpAddr::V6(v6)) => out.extend_from_slice(&v6.octets()),
        None => put_bytes(&mut out, s.ip.as_bytes()),
    }
    put_bytes(&mut out, s.username.as_bytes());
    put_bytes(&mut out, ua.as_deref().unwrap_or(s.user_agent.as_bytes()));
    if let Some(scope) = &s.cookie_scope {
        put_bytes(&mut out, scope.as_bytes());
    }
    out
}

/// Reads a record, refusing anything short, long or malformed.
struct Reader<'a>(&'a [u8]);

fn corrupt(what: &str) -> StoreError {
    StoreError::inconsistent(&format!("session record: {what}"))
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> StoreResult<u8> {
        let (&b, rest) = self.0.split_first().ok_or_else(|| corrupt("truncated"))?;
        self.0 = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> StoreResult<&'a [u8]> {
        if self.0.len() < n {
            return Err(corrupt("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn varint(&mut self) -> StoreResult<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(corrupt("varint too long"))
    }

    fn signed(&mut self) -> StoreResult<i64> {
        let z = self.varint()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn bytes(&mut self) -> StoreResult<&'a [u8]> {
        let n = usize::try_from(self.varint()?).map_err(|_| corrupt("length"))?;
        self.take(n)
    }

    fn string(&mut self) -> StoreResult<String> {
        text(self.bytes()?.to_vec())
    }
}

fn text(bytes: Vec<u8>) -> StoreResult<String> {
    String::from_utf8(bytes).map_err(|_| corrupt("not UTF-8"))
}

fn decode_user_agent(coded: &[u8]) -> StoreResult<String> {
    let mut out = Vec::with_capacity(coded.len() * 2);
    for &b in coded {
        if b < 0x20 {
            let fragment = usize::from(b)
                .checked_sub(1)
                .and_then(|i| FRAGMENTS.get(i))
                .ok_or_else(|| corrupt("unknown user agent fragment"))?;
            out.extend_from_slice(fragment.as_bytes());
        } else {
            out.push(b);
        }
    }
    text(out)
}

/// The session a record holds.
pub(super) fn decode(raw: &[u8]) -> StoreResult<Session> {
    let mut r = Reader(raw);
    if r.byte()? != VERSION {
        return Err(corrupt("unknown version"));
    }
    let user_id = UserId(r.varint()? as i64);
    let flags = r.byte()?;
    let level = match flags & 0b11 {
        0 => AuthLevel::Pending,
        1 => AuthLevel::OneFactor,
        2 => AuthLevel::TwoFactor,
        3 => AuthLevel::Passkey,
        _ => return Err(corrupt("unknown level")),
    };
    let epoch = r.signed()?;
    let created_at = r.signed()?.wrapping_add(TIME_BASE);
    let last_seen = r.signed()?.wrapping_add(created_at);
    let authenticated_at = r.signed()?.wrapping_add(created_at);
    let expires_at = r.signed()?.wrapping_add(created_at);
    let ip = match (flags >> IP_SHIFT) & 0b11 {
        0 => r.string()?,
        1 => {
            let o: [u8; 4] = r.take(4)?.try_into().map_err(|_| corrupt("ip"))?;
            Ipv4Addr::from(o).to_string()
        }
        2 => {
            let o: [u8; 16] = r.take(16)?.try_into().map_err(|_| corrupt("ip"))?;
            Ipv6Addr::from(o).to_string()
        }
        _ => return Err(corrupt("unknown ip form")),
    };
    let username = r.string()?;
    let ua = r.bytes()?;
    let user_agent = if flags & UA_CODED != 0 {
        decode_user_agent(ua)?
    } else {
        text(ua.to_vec())?
    };
    let cookie_scope = if flags & SCOPE != 0 {
        Some(r.string()?)
    } else {
        None
    };
    if !r.0.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(Session {
        user_id,
        username,
        level,
        epoch,
        created_at,
        last_seen,
        authenticated_at,
        expires_at,
        ip,
        user_agent,
        cookie_scope,
        remember: flags & REMEMBER != 0,
    })
}

#[cfg(test)]
#[path = "redis_record_tests.rs"]
mod tests;
