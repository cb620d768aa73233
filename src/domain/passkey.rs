//! Passkeys as the domain sees them (docs/passkeys.md): names, and the server half of a
//! WebAuthn ceremony with what it is bound to and how long it lives.
//!
//! A ceremony's challenge is answered once (the stores take it in one step), within
//! [`CEREMONY_TTL`], and only for the purpose and session it was started for: a challenge
//! drawn to register a passkey cannot sign anyone in, and one drawn for a pending login
//! cannot complete another.

use serde::{Deserialize, Serialize};

/// How long a challenge can be answered (seconds).
pub const CEREMONY_TTL: i64 = 120;
/// Challenges one owner (a client network, a session or a pending login) may draw in each
/// window of [`CEREMONY_TTL`]: each is a record in the session store until it is answered or
/// expires, so an unbounded number would let one client fill the store. A login page draws
/// one per showing (for autofill): 120 in two minutes leaves room for an office behind one
/// address signing in at nine.
pub const CEREMONIES_PER_OWNER: u32 = 120;
/// Passkeys a user may register: enough for every device a person owns; a bound on what a
/// sign-in loads.
pub const MAX_PASSKEYS: usize = 20;
const MAX_NAME: usize = 64;

/// Why a passkey name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadName {
    Empty,
    TooLong,
}

/// A passkey's name as its owner typed it: trimmed, 1 to 64 characters, control characters
/// refused.
pub fn parse_name(raw: &str) -> Result<String, BadName> {
    let name: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
    if name.is_empty() {
        return Err(BadName::Empty);
    }
    if name.chars().count() > MAX_NAME {
        return Err(BadName::TooLong);
    }
    Ok(name)
}

/// What a ceremony was started for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// Registering a passkey for the user of a session (its store key).
    Register { user_id: i64, session: String },
    /// The second step of a pending login, or a one-factor session stepping up.
    SecondFactor { user_id: i64, session: String },
    /// A sign-in that begins with the passkey (no session yet).
    Passwordless,
}

/// The server half of a ceremony, kept in the session store between its two requests.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ceremony {
    pub purpose: Purpose,
    /// The RP ID it was started for.
    pub rp: String,
    /// The library's state (challenge, allowed credentials, policy).
    pub state: serde_json::Value,
    /// When it started (Unix seconds).
    pub created_at: i64,
}

impl Ceremony {
    /// Whether it may still be answered at `now` for `purpose`: never one from the future (a
    /// clock step back must not stretch it), never for another purpose or session.
    pub fn answers(&self, purpose: &Purpose, now: i64) -> bool {
        self.purpose == *purpose
            && self.created_at <= now
            && now < self.created_at.saturating_add(CEREMONY_TTL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ceremony(purpose: Purpose) -> Ceremony {
        Ceremony {
            purpose,
            rp: "example.com".into(),
            state: serde_json::Value::Null,
            created_at: 1000,
        }
    }

    #[test]
    fn a_ceremony_answers_its_own_purpose_within_two_minutes() {
        let p = Purpose::SecondFactor {
            user_id: 1,
            session: "k".into(),
        };
        let c = ceremony(p.clone());
        assert!(c.answers(&p, 1000));
        assert!(c.answers(&p, 1119));
        assert!(!c.answers(&p, 1120));
        assert!(!c.answers(&p, 999));
        let other_session = Purpose::SecondFactor {
            user_id: 1,
            session: "other".into(),
        };
        assert!(!c.answers(&other_session, 1001));
        assert!(!c.answers(&Purpose::Passwordless, 1001));
        let register = Purpose::Register {
            user_id: 1,
            session: "k".into(),
        };
        assert!(!c.answers(&register, 1001));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Laptop \n").as_deref(), Ok("Laptop"));
        assert_eq!(parse_name("a\u{7}b").as_deref(), Ok("ab"));
        assert_eq!(parse_name("   "), Err(BadName::Empty));
        assert_eq!(parse_name(&"x".repeat(65)), Err(BadName::TooLong));
        assert!(parse_name(&"é".repeat(64)).is_ok());
    }
}
