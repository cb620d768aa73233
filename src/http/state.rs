//! The HTTP state every handler uses: configuration, the use cases, and the edge helpers
//! (CSRF, cookies, pages, security headers, the site table). Built in `compose.rs`.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::session::{Session, SessionId};
use crate::http::cookies::{self, Cookies};
use crate::http::csrf::Csrf;
use crate::http::headers::SecurityHeaders;
use crate::http::pages::Pages;
use crate::http::proxy::SiteTable;
use crate::service::login::Login;
use crate::service::passkeys::Passkeys;
use crate::service::passwords::Passwords;
use crate::service::sessions::{Resolved, Sessions};
use crate::service::two_factor::TwoFactor;
use crate::service::users::UserAdmin;
use crate::store::{StoreResult, UserStore};

/// Everything a request handler may use.
pub struct AppState {
    pub config: Arc<Config>,
    pub sessions: Sessions,
    pub login: Login,
    pub admin: UserAdmin,
    pub two_factor: TwoFactor,
    pub passkeys: Passkeys,
    pub passwords: Passwords,
    pub users: Arc<dyn UserStore>,
    pub csrf: Csrf,
    pub cookies: Cookies,
    pub pages: Pages,
    /// The operator's assets, logo and accents (docs/branding.md).
    pub branding: crate::http::branding::Branding,
    pub headers: SecurityHeaders,
    pub sites: SiteTable,
    /// Request metrics (a no-op when off); the Prometheus listener reads the same set.
    pub meter: crate::metrics::Meter,
    /// Read once per request by `entry::precheck` (`RequestCtx::now`); nothing else reads it.
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// The live session named by this request's cookie, if any, for a request to `host`
    /// (canonical). An ambiguous cookie (two session cookies, e.g. one tossed from a sibling
    /// domain) counts as none, and so does a session issued for another cookie scope.
    pub async fn current_session(
        &self,
        headers: &HeaderMap,
        host: &str,
        now: i64,
    ) -> StoreResult<Option<Resolved>> {
        match cookies::read(headers, self.cookies.session_name()) {
            Ok(Some(value)) => {
                self.sessions
                    .resolve(value, self.cookie_scope(host), now)
                    .await
            }
            _ => Ok(None),
        }
    }

    /// Where a session cookie for `host` is valid: the configured cookie domain covering it,
    /// or (host-only cookie) the host itself. The same choice as the cookie's `Domain`.
    pub fn cookie_scope<'a>(&'a self, host: &'a str) -> &'a str {
        self.config
            .session
            .cookie
            .domain_for(host)
            .map_or(host, |d| d.domain.as_str())
    }

    /// The `Set-Cookie` for session `id`, issued by the portal at `host`, after binding the
    /// session to that cookie scope. Every session cookie is issued here: a session never
    /// bound resolves nowhere.
    /// `Set-Cookie` for a session just started whose record is at hand: when it was bound to
    /// this host's cookie scope in its first write, no store round trip; else as
    /// [`Self::session_cookie`].
    pub async fn new_session_cookie(
        &self,
        id: &SessionId,
        session: &Session,
        host: &str,
        now: i64,
    ) -> StoreResult<HeaderValue> {
        if session.valid_in(self.cookie_scope(host)) {
            let max_age = session.expires_at.saturating_sub(now);
            return Ok(self.cookies.session(id, host, Some(max_age)));
        }
        self.session_cookie(id, host, now).await
    }

    pub async fn session_cookie(
        &self,
        id: &SessionId,
        host: &str,
        now: i64,
    ) -> StoreResult<HeaderValue> {
        let bound = self
            .sessions
            .bind_scope(id, self.cookie_scope(host), now)
            .await?;
        // The browser keeps the cookie as long as the session can live, no longer.
        let max_age = bound.map(|s| s.expires_at.saturating_sub(now));
        Ok(self.cookies.session(id, host, max_age))
    }

    /// The origin of the portal serving `host` (for CSRF `Origin` checks).
    pub fn portal_origin(&self, host: &str) -> String {
        self.config.portal_for(host).origin()
    }
}
