//! The portal: login, logout, the signed-in page, health and static assets. Handlers are
//! thin: parse → call a service → map the outcome to a response (after zero2prod).

mod account;
mod account_2fa;
mod admin;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod format;
mod forms;
pub mod headers;
mod health;
mod login;
pub mod pages;
mod password;
mod qr;
mod second_factor;
mod session_pages;
mod sessions_page;

pub(crate) use health::health_response;

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::app::AppState;
use crate::domain::path::CanonicalPath;

/// What the gateway learned about a request before any handler runs.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// Random id shown on error pages and in logs.
    pub request_id: String,
    /// Trusted client address.
    pub client_ip: IpAddr,
    /// The client spoke https to us (or to a trusted proxy that said so).
    pub https: bool,
    /// Canonical host name.
    pub host: String,
    /// Port when not the default.
    pub port: Option<u16>,
    /// Canonical path.
    pub path: CanonicalPath,
    /// Raw query string.
    pub query: Option<String>,
}

impl RequestCtx {
    /// The URL the client asked for, rebuilt from canonical parts (for `rd`).
    pub fn original_url(&self) -> String {
        absolute_url(
            self.https,
            &self.host,
            self.port,
            &self.path.encoded,
            self.query.as_deref(),
        )
    }
}

/// `scheme://host[:port]/path[?query]` from canonical parts (the return URL after login).
pub fn absolute_url(
    https: bool,
    host: &str,
    port: Option<u16>,
    encoded_path: &str,
    query: Option<&str>,
) -> String {
    let scheme = if https { "https" } else { "http" };
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{scheme}://{host}{port}{encoded_path}{query}")
}

/// The portal router; every path is under the portal's base path.
pub fn router(app: Arc<AppState>) -> Router {
    let base = app.config.portal.url.base_path.clone();
    let max_form = app.config.server.max_form_bytes;
    let p = |s: &str| format!("{base}{s}");
    Router::new()
        .route(&p("/"), get(session_pages::home))
        .route(&p("/login"), get(login::page).post(login::submit))
        .route(
            &p("/login/2fa"),
            get(second_factor::page).post(second_factor::submit),
        )
        .route(&p("/logout"), post(session_pages::logout))
        .route(&p("/account"), get(account::page))
        .route(&p("/account/reauth"), post(account::reauth_submit))
        .route(
            &p("/account/password"),
            get(password::change_form).post(password::change_submit),
        )
        .route(
            &p("/forgot"),
            get(password::forgot_form).post(password::forgot_submit),
        )
        .route(
            &p("/reset"),
            get(password::reset_form).post(password::reset_submit),
        )
        .route(
            &p("/account/2fa/enable"),
            get(account_2fa::enable_page).post(account_2fa::enable_submit),
        )
        .route(&p("/account/2fa/recovery"), post(account_2fa::regenerate))
        .route(&p("/account/2fa/disable"), post(account_2fa::disable))
        .route(&p("/account/devices/forget"), post(account::forget_device))
        .route(&p("/account/sessions"), get(sessions_page::page))
        .route(&p("/account/sessions/revoke"), post(sessions_page::revoke))
        .route(
            &p("/account/sessions/revoke-others"),
            post(sessions_page::revoke_others),
        )
        .route(&p("/admin"), get(admin::list))
        .route(&p("/admin/users"), post(admin::create))
        .route(&p("/admin/users/new"), get(admin::new_form))
        .route(&p("/admin/users/{name}"), get(admin::detail))
        .route(&p("/admin/users/{name}/password"), post(admin::password))
        .route(&p("/admin/users/{name}/disable"), post(admin::disable))
        .route(&p("/admin/users/{name}/enable"), post(admin::enable))
        .route(&p("/admin/users/{name}/unlock"), post(admin::unlock))
        .route(
            &p("/admin/users/{name}/reset-2fa"),
            post(admin::reset_two_factor),
        )
        .route(
            &p("/admin/users/{name}/sessions/revoke"),
            post(admin::revoke_session),
        )
        .route(
            &p("/admin/users/{name}/sessions/revoke-all"),
            post(admin::revoke_all_sessions),
        )
        .route(&p("/api/health"), get(health::health))
        .route(&p("/static/gatehouse.css"), get(health::stylesheet))
        .route(&p("/static/copy.js"), get(health::copy_script))
        .fallback(session_pages::not_found)
        .method_not_allowed_fallback(session_pages::method_not_allowed)
        // Portal forms are small; anything larger is refused before it is buffered.
        .layer(axum::extract::DefaultBodyLimit::max(max_form))
        .with_state(app)
}
