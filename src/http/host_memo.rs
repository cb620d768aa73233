//! A request's authority, parsed once per worker thread for the few it saw last.
//!
//! Every request's `Host` (and every forward-auth call's `X-Forwarded-Host` or original URL)
//! goes through [`parse_authority`], and nearly every request of a worker names one of a
//! handful of hosts: the parse (a walk over the bytes, the split, the checks of each label,
//! the lower-cased copy) was about 700 instructions of each proxied request's 36,000.
//! [`parse_authority`] is a function of its two arguments only, so a result is taken again
//! when both are the same bytes; errors are not kept (refused requests are rare, and each is
//! judged afresh). A memo per thread, not a shared map: no lock, and a worker's requests are
//! what it sees.

use std::cell::RefCell;

use crate::domain::host::{Authority, HostError, parse_authority};

/// How many authorities each worker keeps: a few sites behind one gateway, each under one or
/// two spellings. A miss costs one comparison per slot, then the parse and a copy.
const SLOTS: usize = 4;
/// A longer authority is parsed every time and not kept (real host names are short).
const MAX_KEPT: usize = 128;

struct Memo {
    slots: [Option<Kept>; SLOTS],
    /// The slot the next new authority replaces, in turn.
    next: usize,
}

struct Kept {
    raw: Box<str>,
    default_port: u16,
    parsed: Authority,
}

thread_local! {
    static MEMO: RefCell<Memo> = const {
        RefCell::new(Memo {
            slots: [const { None }; SLOTS],
            next: 0,
        })
    };
}

/// [`parse_authority`] of `raw` with `default_port`, from this thread's memo when it parsed
/// the same two before.
pub fn parse(raw: &str, default_port: u16) -> Result<Authority, HostError> {
    if raw.len() > MAX_KEPT {
        return parse_authority(raw, default_port);
    }
    MEMO.try_with(|memo| {
        // Never borrowed twice: nothing below calls back into this module.
        let mut memo = memo.borrow_mut();
        let found = memo
            .slots
            .iter()
            .flatten()
            .find(|k| k.default_port == default_port && k.raw.as_bytes() == raw.as_bytes());
        if let Some(kept) = found {
            return Ok(kept.parsed.clone());
        }
        let parsed = parse_authority(raw, default_port)?;
        let at = memo.next;
        memo.slots[at] = Some(Kept {
            raw: raw.into(),
            default_port,
            parsed: parsed.clone(),
        });
        memo.next = (at + 1) % SLOTS;
        Ok(parsed)
    })
    // Only while this thread is being torn down.
    .unwrap_or_else(|_| parse_authority(raw, default_port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo answers what the parse answers, for authorities seen again, with another
    /// default port, in other letter case, refused, too long to keep, and after more
    /// authorities than it holds pushed the first ones out.
    #[test]
    fn answers_what_the_parse_answers() {
        let long = format!("{}.example", "a".repeat(MAX_KEPT));
        let seen: Vec<(&str, u16)> = vec![
            ("app.example", 443),
            ("app.example", 443),
            ("App.Example", 443),
            ("app.example:443", 443),
            ("app.example:443", 80),
            ("app.example:80", 80),
            ("app.example:80", 443),
            ("app.example.", 443),
            ("bad host", 443),
            ("bad host", 443),
            ("a@b", 80),
            ("[::1]:8080", 80),
            ("127.1", 80),
            (&long, 443),
            (&long, 443),
            ("one.example", 80),
            ("two.example", 80),
            ("three.example", 80),
            ("four.example", 80),
            ("app.example", 443),
            ("app.example:443", 80),
            ("one.example", 80),
            ("one.example", 443),
        ];
        for _ in 0..2 {
            for &(raw, port) in &seen {
                assert_eq!(
                    parse(raw, port),
                    parse_authority(raw, port),
                    "{raw:?} with default port {port}"
                );
            }
        }
    }

    /// A refused authority is not kept: only parsed ones fill the slots.
    #[test]
    fn keeps_only_what_parsed() {
        assert!(parse("x y", 80).is_err());
        let kept = MEMO.with(|m| {
            m.borrow()
                .slots
                .iter()
                .flatten()
                .filter(|k| &*k.raw == "x y")
                .count()
        });
        assert_eq!(kept, 0);
    }
}
