//! Session records, ids and expiry rules (docs/architecture.md, docs/security.md#server-side-sessions).
//!
//! A session id is 256 random bits sent only in the cookie; stores see only its SHA-256
//! (`SessionKey`), so a dump of Redis holds nothing a browser could present (docs/security.md#session-store-at-rest).
//! Expiry is decided here from the record and `now`; cookie `Max-Age` is never the control.

use super::user::UserId;
use serde::{Deserialize, Serialize};

use super::secret::{SecretString, random_token, sha256};
pub use super::session_key::SessionKey;

/// Bytes of randomness in a session id (256 bits, docs/security.md#session-ids).
const SESSION_ID_BYTES: usize = 32;
/// Length of a session id in base64url: 32 bytes → 43 characters.
const SESSION_ID_LEN: usize = 43;

/// How strongly a session was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthLevel {
    /// The password was right and a second factor is still due. Grants nothing
    /// (docs/security.md#pending-login): only the code step accepts it.
    Pending,
    /// Password only.
    OneFactor,
    /// Password and a second factor.
    TwoFactor,
    /// Signed in with a passkey (alone, or as the step after the password): two factors, one
    /// of them phishing-resistant, as `passkey` rules require (docs/passkeys.md#rules).
    Passkey,
}

/// The opaque value in the session cookie. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(SecretString);

impl SessionId {
    /// A fresh id from the CSPRNG.
    pub fn generate() -> Self {
        Self(SecretString::new(random_token(SESSION_ID_BYTES)))
    }

    /// A fresh id whose key begins with `user`'s shard (one byte, see [`user_shard`]), so a
    /// store can keep every session of a user beside the user's index knowing only a key:
    /// one hash slot of a Redis Cluster (docs/security.md#redis-cluster). Drawn until the key
    /// fits (256 draws on average); the id keeps its 256 random bits, and its key is still
    /// SHA-256 of it, eight bits of which the user's id fixes.
    pub fn generate_for(user: UserId) -> Self {
        let shard = user_shard(user);
        loop {
            let id = Self::generate();
            if sha256(id.expose().as_bytes())[0] == shard {
                return id;
            }
        }
    }

    /// Accepts a cookie value only if it has the exact shape of an id we issue, so that
    /// garbage or oversized cookies never reach the store.
    pub fn parse(raw: &str) -> Option<Self> {
        well_formed(raw).then(|| Self(SecretString::new(raw)))
    }

    /// The store key of a cookie value that has the shape of an id we issue
    /// ([`Self::parse`]), without keeping a copy of the value: what a request needs to find
    /// its session.
    pub fn key_of(raw: &str) -> Option<SessionKey> {
        well_formed(raw).then(|| SessionKey::from_digest(sha256(raw.as_bytes())))
    }

    /// The cookie value.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The key the stores use: SHA-256 of the id, never the id itself.
    pub fn key(&self) -> SessionKey {
        SessionKey::from_digest(sha256(self.0.expose().as_bytes()))
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

/// Whether `raw` has the shape of an id we issue: 43 characters of base64url. Read on every
/// request, so by a table and without a branch per character (about 3 instructions each
/// against 12).
fn well_formed(raw: &str) -> bool {
    const BASE64URL: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
            b += 1;
        }
        t
    };
    raw.len() == SESSION_ID_LEN
        && raw
            .bytes()
            .fold(true, |ok, b| ok & BASE64URL[usize::from(b)])
}

/// The shard of `user`'s sessions: the first byte of each of their keys
/// ([`SessionId::generate_for`]). Consecutive ids take consecutive shards.
pub fn user_shard(user: UserId) -> u8 {
    u8::try_from(user.0.rem_euclid(256)).unwrap_or(0)
}

/// A server-side session record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The user's id in the user store.
    pub user_id: UserId,
    /// The user's name at login (for logs and lists; identity headers come from the store).
    pub username: String,
    /// How the session was authenticated.
    pub level: AuthLevel,
    /// The user's session epoch at login; a newer epoch on the user ends this session.
    pub epoch: i64,
    /// When the session was created (Unix seconds).
    pub created_at: i64,
    /// Last request seen (Unix seconds); refreshed in steps of `SessionTimeouts::touch_every`.
    pub last_seen: i64,
    /// When the user last proved a factor (for step-up windows).
    pub authenticated_at: i64,
    /// Absolute expiry (Unix seconds), fixed at creation.
    pub expires_at: i64,
    /// Client IP at login.
    pub ip: String,
    /// User agent at login (truncated).
    pub user_agent: String,
    /// Where the cookie carrying this session was issued: the configured cookie domain (SSO),
    /// or the exact portal host for a host-only cookie. `None` until the cookie is issued; a
    /// session resolves only for hosts in this scope, so a cookie replayed under another
    /// configured domain (each with its own portal) is refused.
    #[serde(default)]
    pub cookie_scope: Option<String>,
    /// Started with "Keep me signed in": its idle and absolute limits are
    /// `SessionTimeouts::remember` (records from before this field read as `false`).
    #[serde(default)]
    pub remember: bool,
}

/// Server-side timeouts (docs/security.md#session-timeouts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// Seconds of inactivity after which a session ends.
    pub idle: i64,
    /// Seconds after creation after which a session ends whatever the activity.
    pub absolute: i64,
    /// Refresh `last_seen` at most this often, so a busy session does not write on every request.
    pub touch_every: i64,
    /// Seconds a session started with "Keep me signed in" lasts, idle or not; 0: not offered.
    pub remember: i64,
}

/// Why a session is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Still valid.
    Live,
    /// Idle timeout passed.
    Idle,
    /// Absolute lifetime passed.
    Absolute,
}

/// Seconds a pending second-factor login lasts.
pub const PENDING_TTL: i64 = 300;

/// Longest user agent kept in a record: enough to recognise a device, bounded for memory.
const MAX_USER_AGENT: usize = 256;

/// Whose session a record is: the user and their session epoch when it starts.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub user_id: UserId,
    pub username: &'a str,
    pub epoch: i64,
}

impl<'a> From<&'a crate::domain::user::User> for Owner<'a> {
    fn from(u: &'a crate::domain::user::User) -> Self {
        Self {
            user_id: u.id,
            username: &u.username,
            epoch: u.session_epoch,
        }
    }
}

impl Session {
    /// A new record for a successful login at `now`.
    pub fn start(
        owner: Owner<'_>,
        level: AuthLevel,
        now: i64,
        ip: &str,
        user_agent: &str,
        timeouts: &SessionTimeouts,
    ) -> Self {
        Self {
            user_id: owner.user_id,
            username: owner.username.to_owned(),
            level,
            epoch: owner.epoch,
            created_at: now,
            last_seen: now,
            authenticated_at: now,
            expires_at: now.saturating_add(timeouts.absolute),
            ip: ip.to_owned(),
            user_agent: truncate_chars(user_agent, MAX_USER_AGENT),
            cookie_scope: None,
            remember: false,
        }
    }

    /// Whether a request whose host lies in cookie scope `scope` may use this session.
    pub fn valid_in(&self, scope: &str) -> bool {
        self.cookie_scope.as_deref() == Some(scope)
    }

    /// Whether the session is still valid at `now`.
    pub fn expiry(&self, now: i64, timeouts: &SessionTimeouts) -> Expiry {
        if now >= self.end(timeouts) {
            Expiry::Absolute
        } else if now.saturating_sub(self.last_seen) >= self.idle_limit(timeouts) {
            Expiry::Idle
        } else {
            Expiry::Live
        }
    }

    /// Whether this session is a kept one under the current settings: a kept record read
    /// while "Keep me signed in" is turned off is an ordinary session again.
    fn kept(&self, timeouts: &SessionTimeouts) -> bool {
        self.remember && timeouts.remember > 0
    }

    /// Seconds of inactivity this session survives: the configured idle timeout, or for a
    /// kept session its whole "Keep me signed in" length.
    fn idle_limit(&self, timeouts: &SessionTimeouts) -> i64 {
        if self.kept(timeouts) {
            timeouts.remember
        } else {
            timeouts.idle
        }
    }

    /// When the session ends whatever its activity: its recorded end, but never later than
    /// the absolute timeout for a session that is not (or no longer) kept.
    fn end(&self, timeouts: &SessionTimeouts) -> i64 {
        if self.remember && !self.kept(timeouts) {
            let ordinary = self.created_at.saturating_add(timeouts.absolute);
            self.expires_at.min(ordinary)
        } else {
            self.expires_at
        }
    }

    /// Makes a session just started a kept one ("Keep me signed in"): it lasts
    /// `timeouts.remember` from its start, idle or not. Nothing changes when that is off.
    pub fn keep_signed_in(&mut self, timeouts: &SessionTimeouts) {
        if timeouts.remember > 0 {
            self.remember = true;
            self.expires_at = self.created_at.saturating_add(timeouts.remember);
        }
    }

    /// Whether `last_seen` should be written back now.
    pub fn needs_touch(&self, now: i64, timeouts: &SessionTimeouts) -> bool {
        now.saturating_sub(self.last_seen) >= timeouts.touch_every
    }

    /// Whether the password was entered at most `window` seconds before `now` (the step-up
    /// rule, docs/security.md#step-up): a login or a re-entered password sets
    /// `authenticated_at`; activity never moves it.
    pub fn stepped_up_within(&self, now: i64, window: i64) -> bool {
        now.saturating_sub(self.authenticated_at) <= window
    }

    /// Seconds the store should keep the record from `now`: the sooner of idle and absolute expiry.
    pub fn ttl(&self, now: i64, timeouts: &SessionTimeouts) -> u64 {
        let idle_end = self.last_seen.saturating_add(self.idle_limit(timeouts));
        let end = idle_end.min(self.end(timeouts));
        u64::try_from(end.saturating_sub(now)).unwrap_or(0).max(1)
    }
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: SessionTimeouts = SessionTimeouts {
        idle: 1800,
        absolute: 43200,
        touch_every: 60,
        remember: 30 * 86_400,
    };

    #[test]
    fn a_kept_session_outlives_idle_and_absolute_limits_until_its_own_end() {
        let now = 1_000_000;
        let mut kept = session(now);
        kept.keep_signed_in(&T);
        assert!(kept.remember);
        assert_eq!(kept.expires_at, now + 30 * 86_400);
        // Idle for two days: an ordinary session would be long gone.
        let later = now + 2 * 86_400;
        assert_eq!(kept.expiry(later, &T), Expiry::Live);
        assert_eq!(session(now).expiry(later, &T), Expiry::Absolute);
        assert_eq!(session(now).expiry(now + 1800, &T), Expiry::Idle);
        assert_eq!(kept.expiry(now + 30 * 86_400, &T), Expiry::Absolute);
        assert_eq!(kept.ttl(later, &T), 28 * 86_400);
        // Offered no longer (remember = 0): the record's flag changes nothing.
        let off = SessionTimeouts { remember: 0, ..T };
        assert_eq!(kept.expiry(now + 1800, &off), Expiry::Idle);
        let mut busy = kept.clone();
        busy.last_seen = now + 43_200 - 1;
        assert_eq!(busy.expiry(now + 43_200 - 1, &off), Expiry::Live);
        assert_eq!(
            busy.expiry(now + 43_200, &off),
            Expiry::Absolute,
            "the ordinary absolute end"
        );
        let mut not_kept = session(now);
        not_kept.keep_signed_in(&off);
        assert!(!not_kept.remember);
    }

    fn session(now: i64) -> Session {
        let owner = Owner {
            user_id: crate::domain::user::UserId(7),
            username: "alice",
            epoch: 0,
        };
        Session::start(owner, AuthLevel::OneFactor, now, "10.0.0.1", "ua", &T)
    }

    #[test]
    fn ids_are_256_bit_and_parse_back() {
        let id = SessionId::generate();
        assert_eq!(id.expose().len(), SESSION_ID_LEN);
        assert!(SessionId::parse(id.expose()).is_some());
        assert_eq!(SessionId::key_of(id.expose()), Some(id.key()));
        assert_eq!(id.key().as_str().len(), 64);
        assert_ne!(id.key().as_str(), id.expose());
    }

    #[test]
    fn garbage_ids_are_refused() {
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", "a".repeat(42)),
            &format!("{}+", "a".repeat(42)),
            &format!("/{}", "a".repeat(42)),
            &format!("{}.{}", "a".repeat(21), "a".repeat(21)),
            &format!("{}\0", "a".repeat(42)),
            &"é".repeat(22),
        ] {
            assert!(SessionId::parse(bad).is_none(), "{bad:?}");
            assert!(SessionId::key_of(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn idle_and_absolute_expiry() {
        let s = session(1000);
        assert_eq!(s.expiry(1000 + 1799, &T), Expiry::Live);
        assert_eq!(s.expiry(1000 + 1800, &T), Expiry::Idle);
        let mut busy = s.clone();
        busy.last_seen = 1000 + 43199;
        assert_eq!(busy.expiry(1000 + 43199, &T), Expiry::Live);
        assert_eq!(busy.expiry(1000 + 43200, &T), Expiry::Absolute);
    }

    #[test]
    fn ttl_is_the_sooner_end() {
        let s = session(0);
        assert_eq!(s.ttl(0, &T), 1800);
        let mut late = s.clone();
        late.last_seen = 43000;
        assert_eq!(late.ttl(43000, &T), 200);
    }

    #[test]
    fn touch_is_throttled() {
        let s = session(0);
        assert!(!s.needs_touch(59, &T));
        assert!(s.needs_touch(60, &T));
    }

    #[test]
    fn debug_hides_the_id() {
        let id = SessionId::generate();
        assert!(!format!("{id:?}").contains(id.expose()));
    }

    #[test]
    fn an_id_drawn_for_a_user_has_a_key_in_the_users_shard() {
        for user in [0, 1, 255, 256, 1_000_003, -5] {
            let id = SessionId::generate_for(UserId(user));
            let shard = id.key().shard();
            assert_eq!(shard, Some(user_shard(UserId(user))), "user {user}");
            assert!(SessionId::parse(id.expose()).is_some());
        }
        assert_eq!(user_shard(UserId(257)), 1);
        assert_eq!(user_shard(UserId(-1)), 255);
    }
}
