//! The HTTP state over a configuration: the parts a reload rebuilds (site table, pages,
//! branding, security headers) are built here, around the parts built once at start.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::http::branding::Branding;
use crate::http::cookies::Cookies;
use crate::http::csrf::Csrf;
use crate::http::headers::SecurityHeaders;
use crate::http::pages::Pages;
use crate::http::proxy::SiteTable;
use crate::http::state::AppState;
use crate::i18n::Catalogs;
use crate::metrics::Meter;
use crate::service::login::Login;
use crate::service::passkeys::Passkeys;
use crate::service::passwords::Passwords;
use crate::service::sessions::Sessions;
use crate::service::two_factor::TwoFactor;
use crate::service::users::UserAdmin;
use crate::store::UserStore;

/// What a reload keeps: the use cases over the shared stores (with the session cache, the
/// hash pool and the throttles inside them), the keys, the meter and the clock.
#[derive(Clone)]
pub struct Kept {
    pub csrf: Csrf,
    pub cookies: Cookies,
    pub users: Arc<dyn UserStore>,
    pub sessions: Sessions,
    pub login: Login,
    pub admin: UserAdmin,
    pub two_factor: TwoFactor,
    pub passkeys: Passkeys,
    pub passwords: Passwords,
    pub meter: Meter,
    pub clock: Arc<dyn Clock>,
}

impl Kept {
    /// The kept parts of a running state.
    pub fn of(state: &AppState) -> Self {
        Self {
            csrf: state.csrf.clone(),
            cookies: state.cookies.clone(),
            users: state.users.clone(),
            sessions: state.sessions.clone(),
            login: state.login.clone(),
            admin: state.admin.clone(),
            two_factor: state.two_factor.clone(),
            passkeys: state.passkeys.clone(),
            passwords: state.passwords.clone(),
            meter: state.meter.clone(),
            clock: state.clock.clone(),
        }
    }
}

/// The state serving `config` over `kept`, its pages speaking `catalogs`; `Err` lists every
/// part that could not be built (all are tried).
pub fn state(config: Config, kept: Kept, catalogs: Arc<Catalogs>) -> Result<AppState, Vec<String>> {
    let pages = Pages::load(config.portal.templates_dir.as_deref(), catalogs);
    let branding = Branding::load(&config);
    let sites = SiteTable::new(
        &config.sites,
        config.server.upstream_connect_timeout,
        config.server.upstream_timeout,
    );
    let (pages, branding, sites) = match (pages, branding, sites) {
        (Ok(p), Ok(b), Ok(s)) => (p, b, s),
        (p, b, s) => {
            let problems = [p.err(), b.err(), s.err()];
            return Err(problems.into_iter().flatten().collect());
        }
    };
    let headers = security_headers(&config, &branding);
    Ok(AppState {
        csrf: kept.csrf,
        cookies: kept.cookies,
        pages,
        headers,
        branding,
        sites,
        users: kept.users,
        config: Arc::new(config),
        sessions: kept.sessions,
        login: kept.login,
        admin: kept.admin,
        two_factor: kept.two_factor,
        passkeys: kept.passkeys,
        passwords: kept.passwords,
        meter: kept.meter,
        clock: kept.clock,
    })
}

fn security_headers(config: &Config, branding: &Branding) -> SecurityHeaders {
    // CSP form-action also governs the redirect after the login POST, so every site origin
    // (any port) must be listed.
    let scheme = if config.portal.url.https {
        "https"
    } else {
        "http"
    };
    let form_action: Vec<String> = config
        .sites
        .iter()
        .map(|s| match &s.host {
            crate::domain::host::HostPattern::Exact(h) => format!("{scheme}://{h}:*"),
            crate::domain::host::HostPattern::Suffix(d) => format!("{scheme}://*.{d}:*"),
        })
        .collect();
    let mut icon_origins: Vec<String> = config
        .sites
        .iter()
        .filter_map(|s| s.icon.as_ref().map(|i| i.origin.clone()))
        .collect();
    icon_origins.sort();
    let assets_origin = branding.serves_assets().then(|| config.portal.url.origin());
    SecurityHeaders::new(
        &form_action,
        &icon_origins,
        &branding.css,
        assets_origin.as_deref(),
    )
}
