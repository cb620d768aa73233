//! The portal: login, logout, the signed-in page, health and static assets. Handlers are
//! thin: parse → call a service → map the outcome to a response (after zero2prod).

mod account;
mod account_2fa;
mod admin;
mod assets;
pub mod errors;
mod expired;
mod extract;
mod forms;
mod health;
mod home;
mod language;
mod login;
mod passkey_login;
mod passkeys;
mod password;
mod qr;
mod second_factor;
mod sessions;
mod stepup;
mod texts;
mod view;

pub use health::Probe;
pub(crate) use health::answer as health_answer;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::http::state::AppState;

/// The portal router; every path is under the portal's base path.
pub fn router(app: Arc<AppState>) -> Router {
    let portal = routes(app.clone());
    // A form kept by a step-up is carried out through the same routes, once confirmed.
    let again = portal.clone();
    portal.layer(axum::middleware::from_fn_with_state(
        (app, again),
        stepup::replay,
    ))
}

/// Every portal route, with the body limit and the error pages.
fn routes(app: Arc<AppState>) -> Router {
    let base = app.config.portal.url.base_path.clone();
    let max_form = app.config.server.max_form_bytes;
    let p = |s: &str| format!("{base}{s}");
    Router::new()
        .route(&p("/"), get(home::home))
        .route(&p("/login"), get(login::page).post(login::submit))
        .route(
            &p("/login/2fa"),
            get(second_factor::page).post(second_factor::submit),
        )
        .route(
            &p("/login/2fa/passkey"),
            post(second_factor::passkey_submit),
        )
        .route(&p("/login/passkey"), post(passkey_login::submit))
        .route(&p("/login/passkey/options"), post(passkey_login::options))
        .route(
            &p("/account/passkeys/add"),
            get(passkeys::add_form).post(passkeys::add_submit),
        )
        .route(&p("/account/passkeys/rename"), post(passkeys::rename))
        .route(&p("/account/passkeys/remove"), post(passkeys::remove))
        .route(&p("/logout"), get(home::logout_link).post(home::logout))
        .route(&p("/language"), post(language::choose))
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
        .route(
            &p("/account/passkeys/recovery"),
            post(account_2fa::regenerate_with_passkey),
        )
        .route(&p("/account/2fa/disable"), post(account_2fa::disable))
        .route(&p("/account/devices/forget"), post(account::forget_device))
        .route(&p("/account/sessions"), get(sessions::page))
        .route(&p("/account/sessions/revoke"), post(sessions::revoke))
        .route(
            &p("/account/sessions/revoke-others"),
            post(sessions::revoke_others),
        )
        .route(&p("/admin"), get(admin::list))
        .route(&p("/admin/users"), post(admin::create))
        .route(&p("/admin/users/new"), get(admin::new_form))
        .route(&p("/admin/users/{name}"), get(admin::detail))
        .route(&p("/admin/users/{name}/password"), post(admin::password))
        .route(&p("/admin/users/{name}/disable"), post(admin::disable))
        .route(&p("/admin/users/{name}/enable"), post(admin::enable))
        .route(&p("/admin/users/{name}/unlock"), post(admin::unlock))
        .route(&p("/admin/users/{name}/profile"), post(admin::profile))
        .route(
            &p("/admin/users/{name}/delete"),
            get(admin::confirm_delete).post(admin::delete),
        )
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
        .route(&p("/api/health/live"), get(health::live))
        .route(&p("/api/health/ready"), get(health::ready))
        .route(&p("/static/{name}"), get(assets::builtin))
        .route(&p("/assets/{*name}"), get(assets::asset))
        .fallback(home::not_found)
        .method_not_allowed_fallback(home::method_not_allowed)
        // Portal forms are small; anything larger is refused before it is buffered.
        .layer(axum::extract::DefaultBodyLimit::max(max_form))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            errors::finish,
        ))
        .with_state(app)
}
