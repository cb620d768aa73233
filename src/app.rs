//! The application: shared state, and the request entry point used by the listeners and by
//! in-process tests. Concrete stores are chosen in `server.rs`; this module sees only traits.

use std::sync::Arc;

use axum::body::Body;
use http::{HeaderMap, HeaderValue, Request, Response};
use tower::ServiceExt;
use tracing::Instrument;

use crate::audit;
use crate::audit::event;
use crate::config::Config;
use crate::domain::device::DeviceSigner;
use crate::domain::secret::hmac_sha256;
use crate::domain::secretbox::SecretBox;
use crate::domain::session::SessionId;
use crate::gateway::{self, ConnInfo, Route};
use crate::mail::Mailer;
use crate::proxy::SiteTable;
use crate::service::credentials::Credentials;
use crate::service::devices::Devices;
use crate::service::hasher::Hasher;
use crate::service::login::Login;
use crate::service::now;
use crate::service::passwords::Passwords;
use crate::service::sessions::{Resolved, Sessions};
use crate::service::throttle::Throttle;
use crate::service::two_factor::TwoFactor;
use crate::service::users::UserAdmin;
use crate::store::{
    DeviceStore, ResetStore, SecondFactorStore, SessionStore, StoreResult, ThrottleStore, UserStore,
};
use crate::web::cookies::{self, Cookies};
use crate::web::csrf::Csrf;
use crate::web::errors::error_page;
use crate::web::headers::SecurityHeaders;
use crate::web::pages::Pages;

/// The stores the application runs on.
#[derive(Clone)]
pub struct Stores {
    pub sessions: Arc<dyn SessionStore>,
    pub throttle: Arc<dyn ThrottleStore>,
    pub users: Arc<dyn UserStore>,
    pub factors: Arc<dyn SecondFactorStore>,
    pub devices: Arc<dyn DeviceStore>,
    pub resets: Arc<dyn ResetStore>,
}

/// Everything a request handler may use.
pub struct AppState {
    pub config: Arc<Config>,
    pub sessions: Sessions,
    pub login: Login,
    pub admin: UserAdmin,
    pub two_factor: TwoFactor,
    pub passwords: Passwords,
    pub users: Arc<dyn UserStore>,
    pub csrf: Csrf,
    pub cookies: Cookies,
    pub pages: Pages,
    pub headers: SecurityHeaders,
    pub sites: SiteTable,
}

/// The use cases, built over a set of stores (shared by `App` and the CLI).
#[derive(Clone)]
pub struct Services {
    pub sessions: Sessions,
    pub login: Login,
    pub admin: UserAdmin,
    pub two_factor: TwoFactor,
    pub passwords: Passwords,
}

/// AES-256-GCM keys for TOTP secrets: the configured `secrets.totp_key` (id 1) seals when
/// given; the key derived from the master key (id 0) always opens, so moving from the derived
/// key to a configured one keeps existing secrets readable.
fn totp_keys(config: &Config, master: &[u8; 32]) -> Vec<(u8, [u8; 32])> {
    let derived = hmac_sha256(master, b"gatehouse/totp/v1");
    match &config.secrets.totp_key {
        Some(k) => vec![
            (1, hmac_sha256(k.expose().as_bytes(), b"gatehouse/totp/v1")),
            (0, derived),
        ],
        None => vec![(0, derived)],
    }
}

/// Builds every use case over `stores`; `master` is the 32-byte master key.
pub fn services(config: &Config, stores: &Stores, master: &[u8; 32]) -> anyhow::Result<Services> {
    let sessions = Sessions::new(
        stores.sessions.clone(),
        stores.users.clone(),
        config.session.timeouts,
        config.session.max_per_user,
        config.session.user_refresh,
    );
    let hasher = Hasher::new(
        config.password.hash,
        config.secrets.pepper.as_ref(),
        config.password.max_concurrent_hashes,
    )?;
    let devices = Devices::new(
        stores.devices.clone(),
        DeviceSigner::new(hmac_sha256(master, b"gatehouse/device/v1")),
        config.two_factor.remember_device_days,
    );
    let throttle = Throttle::new(stores.throttle.clone(), config.throttle.clone());
    let credentials = Credentials::new(
        stores.users.clone(),
        sessions.clone(),
        hasher.clone(),
        throttle.clone(),
        config.password.policy.clone(),
        &config.portal.title,
    );
    let admin = UserAdmin::new(
        stores.users.clone(),
        sessions.clone(),
        credentials,
        throttle.clone(),
        config.admin.group.clone(),
    );
    let sealer = SecretBox::new(&totp_keys(config, master))
        .map_err(|e| anyhow::anyhow!("TOTP encryption key: {e}"))?;
    let mailer = Mailer::new(
        &config.notifier,
        &config.portal.title,
        config.portal.templates_dir.as_deref(),
    )?;
    let two_factor = TwoFactor::new(
        stores.factors.clone(),
        Arc::new(sealer),
        sessions.clone(),
        devices.clone(),
        hasher.clone(),
        throttle.clone(),
        mailer.clone(),
        &config.two_factor.issuer,
    );
    let passwords = Passwords::new(
        stores.users.clone(),
        stores.resets.clone(),
        sessions.clone(),
        throttle.clone(),
        admin.clone(),
        two_factor.clone(),
        mailer,
        config.password.reset_token_ttl,
        config.portal.url.url("/reset"),
    );
    let login = Login::new(
        stores.users.clone(),
        throttle,
        hasher,
        sessions.clone(),
        devices,
    );
    Ok(Services {
        sessions,
        login,
        admin,
        two_factor,
        passwords,
    })
}

/// The built application.
#[derive(Clone)]
pub struct App {
    state: Arc<AppState>,
    portal: axum::Router,
}

impl App {
    /// Builds the application over `stores`; `key` is the 32-byte master key.
    pub fn new(config: Config, stores: Stores, key: [u8; 32]) -> anyhow::Result<Self> {
        let Services {
            sessions,
            login,
            admin,
            two_factor,
            passwords,
        } = services(&config, &stores, &key)?;
        let csrf_key = hmac_sha256(&key, b"gatehouse/csrf/v1");
        let portal_url = &config.portal.url;
        // CSP form-action also governs the redirect after the login POST, so every site
        // origin (any port) must be listed.
        let scheme = if portal_url.https { "https" } else { "http" };
        let form_action: Vec<String> = config
            .sites
            .iter()
            .map(|s| match &s.host {
                crate::domain::host::HostPattern::Exact(h) => format!("{scheme}://{h}:*"),
                crate::domain::host::HostPattern::Suffix(d) => format!("{scheme}://*.{d}:*"),
            })
            .collect();
        let state = AppState {
            csrf: Csrf::new(csrf_key),
            cookies: Cookies::new(
                config.session.cookie.clone(),
                config.session.timeouts.absolute,
            ),
            pages: Pages::load(config.portal.templates_dir.as_deref())
                .map_err(anyhow::Error::msg)?,
            headers: SecurityHeaders::new(&form_action, crate::web::pages::CSS),
            sites: SiteTable::new(
                &config.sites,
                config.server.upstream_connect_timeout,
                config.server.upstream_timeout,
            )
            .map_err(anyhow::Error::msg)?,
            users: stores.users.clone(),
            config: Arc::new(config),
            sessions,
            login,
            admin,
            two_factor,
            passwords,
        };
        let state = Arc::new(state);
        let portal = crate::web::router(state.clone());
        Ok(Self { state, portal })
    }

    /// Shared state (for tests and the CLI).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Handles one request from a client.
    pub async fn handle(&self, req: Request<Body>, conn: ConnInfo) -> Response<Body> {
        let app = &self.state;
        let ctx = match gateway::precheck(app, &req, conn) {
            Ok(ctx) => ctx,
            Err((err, rid)) => {
                audit!(event::REQUEST_REJECTED, ip = %conn.peer.ip(), request_id = %rid, reason = ?err);
                return self.secured(crate::web::errors::error_page_with_id(app, &rid, err));
            }
        };
        // The span is attached to the future, not entered on the thread: a guard held across
        // `.await` would stay entered while other requests run on this worker, and their
        // events would carry this request's id (and this one theirs). Its target is `audit` so
        // that audit events keep their request id whatever level the operator chose.
        let span = tracing::info_span!(target: "audit", "request", id = %ctx.request_id, method = %req.method(), host = %ctx.host, path = %audit::Clean(&ctx.path.decoded));
        self.route(req, ctx, conn).instrument(span).await
    }

    async fn route(
        &self,
        mut req: Request<Body>,
        ctx: crate::web::RequestCtx,
        conn: ConnInfo,
    ) -> Response<Body> {
        let app = &self.state;
        match gateway::classify(app, &ctx) {
            Route::Portal => {
                req.extensions_mut().insert(ctx);
                let resp = match self.portal.clone().oneshot(req).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                self.secured(resp)
            }
            Route::Health => self.secured(app.health().await),
            Route::ForwardAuth(flavor) => {
                // Forward-auth reads only the head; the body stays unread.
                let head = req.map(|_| ());
                crate::forward_auth::handle(app, &head, &ctx, conn, flavor).await
            }
            Route::Unknown => self.secured(error_page(
                app,
                Some(&ctx),
                crate::web::errors::PageError::UnknownHost,
            )),
            // Upstream answers pass through untouched; the gateway's own pages are secured inside.
            Route::Site(site) => gateway::proxy(app, req, &ctx, conn, site).await,
        }
    }

    fn secured(&self, mut resp: Response<Body>) -> Response<Body> {
        self.state.headers.apply(resp.headers_mut());
        resp
    }
}

impl AppState {
    /// The live session named by this request's cookie, if any, for a request to `host`
    /// (canonical). An ambiguous cookie (two session cookies, e.g. one tossed from a sibling
    /// domain) counts as none, and so does a session issued for another cookie scope.
    pub async fn current_session(
        &self,
        headers: &HeaderMap,
        host: &str,
    ) -> StoreResult<Option<Resolved>> {
        match cookies::read(headers, self.cookies.session_name()) {
            Ok(Some(value)) => {
                self.sessions
                    .resolve(value, &self.cookie_scope(host), now())
                    .await
            }
            _ => Ok(None),
        }
    }

    /// Where a session cookie for `host` is valid: the configured cookie domain covering it,
    /// or (host-only cookie) the host itself. The same choice as the cookie's `Domain`.
    pub fn cookie_scope(&self, host: &str) -> String {
        self.config
            .session
            .cookie
            .domain_for(host)
            .map_or_else(|| host.to_owned(), |d| d.domain.clone())
    }

    /// The `Set-Cookie` for session `id`, issued by the portal at `host`, after binding the
    /// session to that cookie scope. Every session cookie is issued here: a session never
    /// bound resolves nowhere.
    pub async fn session_cookie(&self, id: &SessionId, host: &str) -> StoreResult<HeaderValue> {
        self.sessions
            .bind_scope(id, &self.cookie_scope(host), now())
            .await?;
        Ok(self.cookies.session(id, host))
    }

    /// The origin of the portal serving `host` (for CSRF `Origin` checks).
    pub fn portal_origin(&self, host: &str) -> String {
        self.config.portal_for(host).origin()
    }

    /// The health answer: whether both stores respond.
    pub async fn health(&self) -> Response<Body> {
        let (s, u) = tokio::join!(self.sessions.ping(), self.users.ping());
        crate::web::health_response(s.is_ok(), u.is_ok())
    }
}
