//! The audit log: security events on the `audit` tracing target with fixed names
//! (docs/security.md#audit-log). Fields holding user input go through [`Clean`], which escapes control
//! characters and caps the length; the formatter (`telemetry`) quotes and escapes every value,
//! so a username cannot forge log lines or fields. Secrets are never passed
//! here; sessions appear only as the short hash handle.

use std::cell::Cell;
use std::fmt::{self, Write};
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

/// Longest user-supplied value written to a log, in characters; the rest is replaced by a
/// marker with the count. A field that can grow to the header size limit would otherwise let
/// one request write kilobytes into every log line it causes.
pub const MAX_LOGGED_CHARS: usize = 200;

/// Displays user-controlled text with every control character escaped (`\n`, `\u{1b}`) and cut
/// at [`MAX_LOGGED_CHARS`], without quotes: the log formatter quotes every value.
pub struct Clean<'a>(pub &'a str);

impl fmt::Display for Clean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars().take(MAX_LOGGED_CHARS) {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        let more = self.0.chars().skip(MAX_LOGGED_CHARS).count();
        if more > 0 {
            write!(f, "...[{more} more characters]")?;
        }
        Ok(())
    }
}

/// Fixed event names, so that alerts and tests can match them.
pub mod event {
    pub const LOGIN_SUCCESS: &str = "login.success";
    pub const LOGIN_FAILURE: &str = "login.failure";
    pub const LOGIN_PASSWORD_OK: &str = "login.password_ok";
    pub const LOGIN_THROTTLED: &str = "login.throttled";
    pub const LOGOUT: &str = "logout";
    pub const SESSION_EVICTED: &str = "session.evicted";
    pub const SESSION_REVOKED: &str = "session.revoked";
    /// A session cookie was presented under another cookie scope than it was issued for.
    pub const SESSION_WRONG_SCOPE: &str = "session.wrong_scope";
    pub const SESSIONS_REVOKED_OTHERS: &str = "session.revoked_others";
    pub const SESSIONS_REVOKED_ALL: &str = "session.revoked_all";
    pub const PASSWORD_REHASHED: &str = "password.rehashed";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_PASSWORD_SET: &str = "user.password_set";
    pub const USER_DISABLED: &str = "user.disabled";
    /// An operator lifted an account's sign-in bans.
    pub const USER_UNLOCKED: &str = "user.unlocked";
    pub const USER_ENABLED: &str = "user.enabled";
    pub const USER_DELETED: &str = "user.deleted";
    pub const USER_GROUPS_SET: &str = "user.groups_set";
    /// An administrator edited a user's display name, email address or groups.
    pub const USER_UPDATED: &str = "user.updated";
    pub const CSRF_REJECTED: &str = "csrf.rejected";
    pub const REDIRECT_REJECTED: &str = "redirect.rejected";
    pub const HEADER_SPOOFED: &str = "header.spoofed";
    /// An upstream tried to set one of the gateway's cookies; the `Set-Cookie` was dropped.
    pub const UPSTREAM_COOKIE_DROPPED: &str = "upstream.cookie_dropped";
    pub const REQUEST_REJECTED: &str = "request.rejected";
    pub const ACCESS_DENIED: &str = "access.denied";
    pub const REAUTHENTICATED: &str = "login.reauthenticated";
    /// A form held back by a step-up was carried out after the password (its `path`).
    pub const STEPUP_REPLAYED: &str = "stepup.replayed";
    pub const PASSWORD_CHANGED: &str = "password.changed";
    pub const PASSWORD_RESET: &str = "password.reset";
    pub const RESET_REQUESTED: &str = "password.reset_requested";
    pub const TOTP_FAILURE: &str = "two_factor.failure";
    pub const PASSKEY_ADDED: &str = "passkey.added";
    pub const PASSKEY_RENAMED: &str = "passkey.renamed";
    pub const PASSKEY_REMOVED: &str = "passkey.removed";
    pub const PASSKEY_REFUSED: &str = "passkey.refused";
    pub const PASSKEY_COUNTER_REGRESSED: &str = "passkey.counter_regressed";
    pub const TOTP_ENABLED: &str = "two_factor.enabled";
    pub const TOTP_DISABLED: &str = "two_factor.disabled";
    pub const TOTP_RESET: &str = "two_factor.reset";
    pub const RECOVERY_CODE_USED: &str = "two_factor.recovery_code_used";
    pub const RECOVERY_CODES_REGENERATED: &str = "two_factor.recovery_codes_regenerated";
    pub const DEVICE_FORGOTTEN: &str = "two_factor.device_forgotten";
    /// A signed-in user outside `admin.group` tried the admin area.
    pub const ADMIN_DENIED: &str = "admin.denied";
}

/// A request's log correlation handle: a random per-process prefix and a counter, unique and
/// cheap (no syscall, no allocation until it is written). Not a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(u64);

impl RequestId {
    /// The next id of this process.
    pub fn next() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        Self(COUNTER.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        static PREFIX: OnceLock<String> = OnceLock::new();
        let prefix = PREFIX.get_or_init(|| {
            use ring::rand::SecureRandom;
            // Tells instances apart in merged logs; not a secret, so the process id will do
            // if the random source fails.
            let mut b = std::process::id().to_le_bytes();
            let _ = ring::rand::SystemRandom::new().fill(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect()
        });
        write!(f, "{prefix}-{:x}", self.0)
    }
}

thread_local! {
    /// The request whose handling this thread is running now, if any.
    static CURRENT: Cell<Option<RequestId>> = const { Cell::new(None) };
}

/// `id` in place as this thread's request until dropped, then what was there before (scopes
/// nest, and a panic unwinding through one restores it too).
struct Entered(Option<RequestId>);

impl Entered {
    fn new(id: RequestId) -> Self {
        Entered(CURRENT.with(|c| c.replace(Some(id))))
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

pin_project_lite::pin_project! {
    /// A request's handling, run with its id as the current request at each poll and while it
    /// is dropped (`within`).
    pub struct Within<F> {
        id: RequestId,
        // `None` only once dropped.
        #[pin]
        fut: Option<F>,
    }

    impl<F> PinnedDrop for Within<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _entered = Entered::new(*this.id);
            this.fut.set(None);
        }
    }
}

impl<F: Future> Future for Within<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = Entered::new(*this.id);
        match this.fut.as_pin_mut() {
            Some(fut) => fut.poll(cx),
            // Never: the future is taken only as the whole is dropped.
            None => Poll::Pending,
        }
    }
}

/// Runs a request's handling with `id` as the request every audit event inside it belongs to.
/// Not a tracing span: a span per request is formatted and registered whether or not anything
/// is logged, which cost about a third of a forward-auth answer. Not a tokio task-local
/// either, whose scope costs about 300 instructions per request, most of it moving the answer
/// out through its layers: a request's handling runs on one thread at each poll, so a
/// thread-local set for the poll says the same.
pub fn within<F: Future>(id: RequestId, fut: F) -> Within<F> {
    Within { id, fut: Some(fut) }
}

/// Runs the synchronous part of a request's handling with `id` as its request, as [`within`]
/// does for the part that waits.
pub fn within_now<R>(id: RequestId, f: impl FnOnce() -> R) -> R {
    let _entered = Entered::new(id);
    f()
}

/// The request being handled on this thread, if any.
pub fn current_request() -> Option<RequestId> {
    CURRENT.with(Cell::get)
}

/// Emits an audit event: `audit!(event::LOGIN_FAILURE, user = %Clean(name), ip = %ip)`. Inside
/// a request it carries the request's id as `request_id`.
#[macro_export]
macro_rules! audit {
    ($event:expr $(, $($field:tt)*)?) => {
        match $crate::audit::current_request() {
            Some(request_id) => ::tracing::info!(target: "audit", event = $event, request_id = %request_id $(, $($field)*)?),
            None => ::tracing::info!(target: "audit", event = $event $(, $($field)*)?),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Clean;

    #[tokio::test]
    async fn a_request_id_follows_its_future_only() {
        let (a, b) = (super::RequestId::next(), super::RequestId::next());
        assert_ne!(a.to_string(), b.to_string());
        assert_eq!(super::current_request(), None);
        let seen = super::within(a, async {
            tokio::task::yield_now().await;
            super::current_request()
        });
        let other = super::within(b, async { super::current_request() });
        assert_eq!(tokio::join!(seen, other), (Some(a), Some(b)));
        assert_eq!(super::current_request(), None);
    }

    #[test]
    fn scopes_nest_and_restore_what_was_there() {
        let (a, b) = (super::RequestId::next(), super::RequestId::next());
        let inner = super::within_now(a, || {
            let inner = super::within_now(b, super::current_request);
            (inner, super::current_request())
        });
        assert_eq!(inner, (Some(b), Some(a)));
        assert_eq!(super::current_request(), None);
        let unwound = std::panic::catch_unwind(|| super::within_now(a, || panic!("in scope")));
        assert!(unwound.is_err());
        assert_eq!(super::current_request(), None);
    }

    #[test]
    fn a_request_id_holds_while_its_future_is_dropped() {
        // What a dropped request's guards log (a request cancelled mid-way) is still its own.
        struct Seen(std::rc::Rc<std::cell::Cell<Option<super::RequestId>>>);
        impl Drop for Seen {
            fn drop(&mut self) {
                self.0.set(super::current_request());
            }
        }
        let id = super::RequestId::next();
        let seen = std::rc::Rc::new(std::cell::Cell::new(None));
        let guard = Seen(seen.clone());
        let fut = super::within(id, async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        let mut fut = Box::pin(fut);
        let waker = std::task::Waker::noop();
        assert!(
            fut.as_mut()
                .poll(&mut std::task::Context::from_waker(waker))
                .is_pending()
        );
        drop(fut);
        assert_eq!(seen.get(), Some(id));
        assert_eq!(super::current_request(), None);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(Clean("alice").to_string(), "alice");
        assert_eq!(Clean("a\nb\u{1b}[31m").to_string(), "a\\nb\\u{1b}[31m");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(5000);
        let shown = Clean(&long).to_string();
        assert!(shown.starts_with(&"x".repeat(super::MAX_LOGGED_CHARS)));
        assert!(shown.ends_with("...[4800 more characters]"), "{shown}");
    }
}
