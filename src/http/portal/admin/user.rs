//! `<portal>/admin/users/{name}`: one user's page (fields, status, sessions) and the actions on
//! that user: a new password (a temporary one shown once, or a reset link by mail), disable,
//! enable, reset two-factor, and ending one or all sessions.
//!
//! What an administrator may not do to their own account (disable it, reset its password or
//! two-factor, end its current session or all its sessions) is the user-admin service's rule
//! (`crate::service::admin_rules`): each action asks it once through [`allowed`]. After an action the browser goes back to
//! the user's page with `?done=<what>`, which shows a fixed notice; the temporary password is
//! the exception: it is shown once on the answer to the POST, never in a URL or a log.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use http::{HeaderMap, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::errors::{PageError, error_page};
use super::super::forms::{form_page, see_other};
use super::super::sessions::parse_key;
use super::super::view::legacy_render as render;
use super::{actor, admin_action, admin_session, user_path};
use crate::audit;
use crate::audit::event;
use crate::domain::session::{AuthLevel, Session, SessionKey};
use crate::domain::user::User;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::presentation::describe;
use crate::presentation::{date, datetime, rfc3339};
use crate::service::sessions::Resolved;
use crate::service::users::{Actor, AdminAction, Refusal, UserError};

#[derive(Deserialize)]
pub(in crate::http::portal) struct DetailQuery {
    #[serde(default)]
    done: String,
}

#[derive(Deserialize)]
pub(in crate::http::portal) struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

#[derive(Deserialize)]
pub(in crate::http::portal) struct PasswordForm {
    /// `temporary` or `link`.
    #[serde(default)]
    mode: String,
    /// Present (a ticked checkbox) when the user must choose a new password at next login.
    #[serde(default)]
    must_change: Option<String>,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub(in crate::http::portal) struct RevokeForm {
    /// The store key (64 hex digits) of the session to end.
    #[serde(default)]
    session: String,
    #[serde(default)]
    csrf: String,
}

/// The notice for `?done=`; unknown values show nothing.
fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "created" => "The user was created.",
        "link" => {
            "A password reset link was mailed to the user. Their password stays as it is until they use it."
        }
        "disabled" => "The account is disabled and every session of it has ended.",
        "enabled" => "The account is enabled again.",
        "unlocked" => "The account's sign-in bans are lifted.",
        "2fa" => {
            "Two-factor authentication was turned off; the user's sessions and remembered devices have ended, and a notice was mailed."
        }
        "revoked" => "The session was signed out.",
        "revoked-all" => "Every session of the user was signed out.",
        _ => return None,
    })
}

fn session_row(key: &SessionKey, s: &Session, current: bool) -> Value {
    json!({
        "key": key.0,
        "handle": key.short(),
        "device": describe(&s.user_agent),
        "ip": s.ip,
        "two_factor": s.level == AuthLevel::TwoFactor,
        "created": datetime(s.created_at),
        "created_iso": rfc3339(s.created_at),
        "last_seen": datetime(s.last_seen),
        "last_seen_iso": rfc3339(s.last_seen),
        "current": current,
    })
}

/// A message at the top of the user's page.
#[derive(Clone, Copy)]
enum Msg<'a> {
    None,
    Error(&'a str),
    Notice(&'a str),
}

/// The user's page, with an optional message.
async fn user_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    admin: &Resolved,
    user: &User,
    status: StatusCode,
    msg: Msg<'_>,
) -> Response<Body> {
    let (error, notice) = match msg {
        Msg::None => (None, None),
        Msg::Error(e) => (Some(e), None),
        Msg::Notice(n) => (None, Some(n)),
    };
    let sessions = match app.sessions.list_active(user, ctx.now).await {
        Ok(list) => list,
        Err(e) => return error_page(app, Some(ctx), PageError::Unavailable(e.to_string())),
    };
    let rows: Vec<Value> = sessions
        .iter()
        .map(|(key, s)| session_row(key, s, *key == admin.key))
        .collect();
    let myself = user.id == admin.user.id;
    form_page(
        app,
        headers,
        status,
        "admin_user.html",
        json!({
            "title": format!("User {}", user.username),
            "card_class": "admin",
            "user": {
                "username": user.username,
                "name": user.display_name,
                "email": user.email,
                "groups": user.groups.join(", "),
                "admin": app.admin.is_admin(user),
                "disabled": user.disabled,
                "totp": user.totp_enabled,
                "must_change": user.must_change_password,
                "created": date(user.created_at),
                "updated": datetime(user.updated_at),
            },
            "myself": myself,
            "sessions": rows,
            "can_mail": app.config.notifier.configured() && !user.email.is_empty(),
            "notifier": app.config.notifier.configured(),
            "error": error,
            "notice": notice,
        }),
    )
}

/// The user named in the path, or the response to send instead (404 for no such user).
async fn find(app: &AppState, ctx: &RequestCtx, name: &str) -> Result<User, Response<Body>> {
    match app.admin.find(name).await {
        Ok(user) => Ok(user),
        Err(UserError::NotFound(_) | UserError::BadName(_)) => {
            Err(error_page(app, Some(ctx), PageError::NotFound))
        }
        Err(e) => Err(error_page(
            app,
            Some(ctx),
            PageError::Unavailable(e.to_string()),
        )),
    }
}

/// `GET /admin/users/{name}`.
pub(in crate::http::portal) async fn detail(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Response<Body> {
    let name = name.map(|Path(n)| n).unwrap_or_default();
    let s = match admin_session(&app, &ctx, &headers, &user_path(&name)).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let user = match find(&app, &ctx, &name).await {
        Ok(u) => u,
        Err(resp) => return resp,
    };
    let done = query.map(|Query(q)| q.done).unwrap_or_default();
    let msg = done_notice(&done).map_or(Msg::None, Msg::Notice);
    user_page(&app, &ctx, &headers, &s, &user, StatusCode::OK, msg).await
}

/// An action's checks (form, CSRF, administrator, fresh step-up) and the user it is about.
pub(super) async fn acting(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    name: Result<Path<String>, PathRejection>,
    csrf: Option<&str>,
    form: &'static str,
) -> Result<(Resolved, User), Response<Body>> {
    let name = name.map(|Path(n)| n).unwrap_or_default();
    let s = admin_action(app, ctx, headers, csrf, form, &user_path(&name)).await?;
    let user = find(app, ctx, &name).await?;
    Ok((s, user))
}

/// `303` back to the user's page with a notice.
pub(super) fn back(app: &AppState, user: &User, done: &str) -> Response<Body> {
    see_other(&format!(
        "{}?done={done}",
        app.config
            .portal
            .url
            .path(&format!("{}/users/{}", super::AREA, user.username))
    ))
}

/// Shows the user's page with a refusal and changes nothing.
async fn refuse(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    user: &User,
    status: StatusCode,
    why: &str,
) -> Response<Body> {
    user_page(app, ctx, headers, s, user, status, Msg::Error(why)).await
}

/// The administrator as the service's actor, if the service permits `action` on `user`; else
/// the user's page with the refusal (409) and nothing changed.
async fn allowed(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    user: &User,
    action: AdminAction<'_>,
) -> Result<Actor, Response<Body>> {
    let me = actor(s);
    match app.admin.permit(&me, Some(user), action).await {
        Ok(()) => Ok(me),
        Err(UserError::Refused(Refusal::OwnAccount(why))) => {
            Err(refuse(app, ctx, headers, s, user, StatusCode::CONFLICT, why).await)
        }
        Err(UserError::Refused(Refusal::NotAdmin)) => {
            Err(error_page(app, Some(ctx), PageError::Forbidden))
        }
        Err(e) => Err(failed(app, ctx, e)),
    }
}

pub(super) fn failed(
    app: &AppState,
    ctx: &RequestCtx,
    e: impl std::fmt::Display,
) -> Response<Body> {
    error_page(app, Some(ctx), PageError::Unavailable(e.to_string()))
}

/// `POST /admin/users/{name}/password`: `mode=temporary` sets a random password shown once on
/// the answer (with `must_change`, a ticked box by default); `mode=link` mails a reset link.
pub(in crate::http::portal) async fn password(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response<Body> {
    let Ok(Form(form)) = form else {
        return error_page(
            &app,
            Some(&ctx),
            PageError::BadRequest("The form was incomplete."),
        );
    };
    let csrf = Some(form.csrf.as_str());
    let (s, user) = match acting(&app, &ctx, &headers, name, csrf, "admin/users/password").await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let conflict = StatusCode::CONFLICT;
    let me = match allowed(&app, &ctx, &headers, &s, &user, AdminAction::SetPassword).await {
        Ok(me) => me,
        Err(resp) => return resp,
    };
    let bad = StatusCode::BAD_REQUEST;
    match form.mode.as_str() {
        "temporary" => {
            let must_change = form.must_change.is_some();
            match app
                .passwords
                .admin_temporary_password(&user, must_change, &me, ctx.now)
                .await
            {
                Ok(password) => render(
                    &app,
                    StatusCode::OK,
                    "admin_password.html",
                    json!({
                        "title": "Temporary password",
                        "heading": "Temporary password",
                        "username": user.username,
                        "password": password.expose(),
                        "must_change": must_change,
                        "created": false,
                        "notified": app.config.notifier.configured() && !user.email.is_empty(),
                    }),
                ),
                Err(e) => failed(&app, &ctx, e),
            }
        }
        "link" if !app.config.notifier.configured() => {
            let why = "No mail notifier is configured: use a temporary password.";
            refuse(&app, &ctx, &headers, &s, &user, bad, why).await
        }
        "link" if user.email.is_empty() => {
            let why = "The user has no email address: use a temporary password.";
            refuse(&app, &ctx, &headers, &s, &user, bad, why).await
        }
        "link" if user.disabled => {
            let why = "The account is disabled, so a reset link would not work: enable it first.";
            refuse(&app, &ctx, &headers, &s, &user, conflict, why).await
        }
        "link" => match app.passwords.admin_reset_link(&user, &me, ctx.now).await {
            Ok(()) => back(&app, &user, "link"),
            Err(e) => failed(&app, &ctx, e),
        },
        _ => {
            let why = "Choose a temporary password or a reset link.";
            refuse(&app, &ctx, &headers, &s, &user, bad, why).await
        }
    }
}

/// Disables (`true`, every session ends at once) or enables a user.
async fn set_disabled(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    name: Result<Path<String>, PathRejection>,
    form: Option<CsrfForm>,
    disabled: bool,
) -> Response<Body> {
    let form_name = if disabled {
        "admin/users/disable"
    } else {
        "admin/users/enable"
    };
    let csrf = form.as_ref().map(|f| f.csrf.as_str());
    let (s, user) = match acting(app, ctx, headers, name, csrf, form_name).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let action = if disabled {
        AdminAction::Disable
    } else {
        AdminAction::Enable
    };
    let me = match allowed(app, ctx, headers, &s, &user, action).await {
        Ok(me) => me,
        Err(resp) => return resp,
    };
    match app
        .admin
        .set_disabled(&user.username, disabled, &me, ctx.now)
        .await
    {
        Ok(_) => back(app, &user, if disabled { "disabled" } else { "enabled" }),
        Err(e) => failed(app, ctx, e),
    }
}

/// `POST /admin/users/{name}/disable`.
pub(in crate::http::portal) async fn disable(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response<Body> {
    let form = form.ok().map(|Form(f)| f);
    set_disabled(&app, &ctx, &headers, name, form, true).await
}

/// `POST /admin/users/{name}/enable`.
pub(in crate::http::portal) async fn enable(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response<Body> {
    let form = form.ok().map(|Form(f)| f);
    set_disabled(&app, &ctx, &headers, name, form, false).await
}

/// `POST /admin/users/{name}/reset-2fa`: two-factor off, remembered devices forgotten, every
/// session ended, a notice mailed.
pub(in crate::http::portal) async fn reset_two_factor(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response<Body> {
    let form = form.ok().map(|Form(f)| f);
    let csrf = form.as_ref().map(|f| f.csrf.as_str());
    let (s, user) = match acting(&app, &ctx, &headers, name, csrf, "admin/users/reset-2fa").await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let me = match allowed(&app, &ctx, &headers, &s, &user, AdminAction::ResetTwoFactor).await {
        Ok(me) => me,
        Err(resp) => return resp,
    };
    if !user.totp_enabled {
        let why = "Two-factor authentication is not on for this user.";
        return refuse(&app, &ctx, &headers, &s, &user, StatusCode::CONFLICT, why).await;
    }
    match app.two_factor.reset(&user, &me.audit_name()).await {
        Ok(_) => back(&app, &user, "2fa"),
        Err(e) => failed(&app, &ctx, e),
    }
}

/// `POST /admin/users/{name}/sessions/revoke`: ends one session of that user.
pub(in crate::http::portal) async fn revoke_session(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Response<Body> {
    let form = form.ok().map(|Form(f)| f);
    let csrf = form.as_ref().map(|f| f.csrf.as_str());
    let (s, user) = match acting(
        &app,
        &ctx,
        &headers,
        name,
        csrf,
        "admin/users/sessions/revoke",
    )
    .await
    {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let key = form.and_then(|f| parse_key(&f.session));
    let action = AdminAction::RevokeSession(key.as_ref());
    let me = match allowed(&app, &ctx, &headers, &s, &user, action).await {
        Ok(me) => me,
        Err(resp) => return resp,
    };
    let ended = match &key {
        // Only a session of this user is ever ended.
        Some(k) => app.sessions.revoke(user.id, k, ctx.now).await,
        None => Ok(None),
    };
    match (ended, key) {
        (Ok(Some(_)), Some(k)) => {
            audit!(event::SESSION_REVOKED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&me.audit_name()), ip = %ctx.client_ip, session = k.short());
            back(&app, &user, "revoked")
        }
        (Ok(_), _) => {
            let why = "That session was not found. It may have ended already.";
            refuse(&app, &ctx, &headers, &s, &user, StatusCode::NOT_FOUND, why).await
        }
        (Err(e), _) => failed(&app, &ctx, e),
    }
}

/// `POST /admin/users/{name}/sessions/revoke-all`: ends every session of that user.
pub(in crate::http::portal) async fn revoke_all_sessions(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response<Body> {
    let form = form.ok().map(|Form(f)| f);
    let csrf = form.as_ref().map(|f| f.csrf.as_str());
    let (s, user) = match acting(
        &app,
        &ctx,
        &headers,
        name,
        csrf,
        "admin/users/sessions/revoke-all",
    )
    .await
    {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let me = match allowed(&app, &ctx, &headers, &s, &user, AdminAction::RevokeAll).await {
        Ok(me) => me,
        Err(resp) => return resp,
    };
    match app.sessions.revoke_all(&user, &me.audit_name()).await {
        Ok(_) => back(&app, &user, "revoked-all"),
        Err(e) => failed(&app, &ctx, e),
    }
}

#[cfg(test)]
mod tests {
    use super::done_notice;

    #[test]
    fn only_known_notices_are_shown() {
        assert!(done_notice("disabled").is_some());
        assert!(done_notice("<script>").is_none());
        assert!(done_notice("").is_none());
    }
}
