//! `<portal>/admin`: the admin area (issue 5, point 6; docs/security.md#admin-session-control, #step-up, #admin-reset, #audit-log).
//!
//! Only members of `admin.group` get in: anyone else signed in gets the 403 page (audited as
//! `admin.denied`), and a browser without a session goes to the login page. Viewing needs no
//! step-up; every action is a CSRF-checked POST that also needs a password entered within
//! `two_factor.step_up_window`, else the password prompt comes back here and nothing changes.
//! Actions go through the same services as the CLI, audited with the actor `admin:<name>`.
//!
//! This file holds the guards and the user list; `user` the user page and its actions;
//! `unlock` lifting a user's sign-in bans; `create` the new-user form.

mod create;
mod unlock;
mod user;

pub(super) use create::{create, new_form};
pub(super) use unlock::unlock;
pub(super) use user::{
    detail, disable, enable, password, reset_two_factor, revoke_all_sessions, revoke_session,
};

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::{HeaderMap, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::account::{fresh, reauth_page, signed_in};
use super::errors::{PageError, error_page};
use super::forms::{csrf_ok, form_page};
use crate::audit;
use crate::audit::event;
use crate::domain::user::{User, Username};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::service::sessions::Resolved;
use crate::service::users::{Actor, AdminAction, UserError};

/// The admin area's path under the portal.
pub(super) const AREA: &str = "/admin";

/// Most users one list page shows; a search narrows it down.
const MAX_ROWS: usize = 200;

/// Longest search text read.
const MAX_QUERY: usize = 100;

#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
}

/// The administrator behind an action, as the user-admin service knows them.
fn actor(s: &Resolved) -> Actor {
    Actor::Admin {
        user: s.user.clone(),
        session: s.key.clone(),
    }
}

/// The portal path of a user's page; the area itself for a name that cannot be a user.
fn user_path(raw: &str) -> String {
    match Username::parse(raw) {
        Ok(name) => format!("{AREA}/users/{name}"),
        Err(_) => AREA.to_owned(),
    }
}

/// A signed-in member of the admin group, or the response to send instead: the login
/// redirect, the forced password change, or the 403 page (audited).
async fn admin_session(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    page: &str,
) -> Result<Resolved, Response<Body>> {
    let s = signed_in(app, ctx, headers, page).await?;
    match app
        .admin
        .permit(&actor(&s), None, AdminAction::Manage)
        .await
    {
        Ok(()) => Ok(s),
        Err(UserError::Refused(_)) => {
            audit!(event::ADMIN_DENIED, user = %crate::audit::Clean(&s.user.username), ip = %ctx.client_ip, path = %crate::audit::Clean(&ctx.path.decoded));
            Err(error_page(app, Some(ctx), PageError::Forbidden))
        }
        Err(e) => Err(error_page(
            app,
            Some(ctx),
            PageError::Unavailable(e.to_string()),
        )),
    }
}

/// The checks every admin action shares, in order: a complete form, CSRF, a signed-in
/// administrator and a recent step-up. `Err` is the response to send instead; nothing has
/// changed then. A stale step-up gets the password prompt, which comes back to `page`.
async fn admin_action(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    csrf: Option<&str>,
    form: &'static str,
    page: &str,
) -> Result<Resolved, Response<Body>> {
    let Some(csrf) = csrf else {
        return Err(error_page(
            app,
            Some(ctx),
            PageError::BadRequest("The form was incomplete."),
        ));
    };
    if !csrf_ok(app, ctx, headers, csrf) {
        return Err(error_page(app, Some(ctx), PageError::CsrfFailed));
    }
    let s = admin_session(app, ctx, headers, page).await?;
    if !fresh(app, &s, ctx.now) {
        return Err(reauth_page(
            app,
            headers,
            &s,
            StatusCode::UNAUTHORIZED,
            "admin",
            &app.config.portal.url.url(page),
            None,
        ));
    }
    Ok(s)
}

/// Whether `user` matches the (lower-case) search text.
fn matches(user: &User, needle: &str) -> bool {
    needle.is_empty()
        || user.username.contains(needle)
        || user.display_name.to_lowercase().contains(needle)
        || user.email.to_lowercase().contains(needle)
}

fn list_row(user: &User) -> Value {
    json!({
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "groups": user.groups.join(", "),
        "disabled": user.disabled,
        "totp": user.totp_enabled,
        "must_change": user.must_change_password,
    })
}

/// `GET /admin[?q=…]`: every user, or those whose username, name or email contains `q`.
pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response<Body> {
    let s = match admin_session(&app, &ctx, &headers, AREA).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let q: String = query
        .map(|Query(q)| q.q)
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUERY)
        .collect();
    let needle = q.to_lowercase();
    let users = match app.admin.list().await {
        Ok(users) => users,
        Err(e) => return error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    };
    let found: Vec<&User> = users.iter().filter(|u| matches(u, &needle)).collect();
    let rows: Vec<Value> = found.iter().take(MAX_ROWS).map(|u| list_row(u)).collect();
    form_page(
        &app,
        &headers,
        StatusCode::OK,
        "admin.html",
        json!({
            "title": "Users",
            "card_class": "admin",
            "username": s.user.username,
            "q": q,
            "users": rows,
            "found": found.len(),
            "total": users.len(),
            "truncated": found.len() > MAX_ROWS,
            "max_rows": MAX_ROWS,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::{matches, user_path};
    use crate::domain::user::User;

    fn user(name: &str, display: &str, email: &str) -> User {
        User {
            id: crate::domain::user::UserId(1),
            username: name.into(),
            display_name: display.into(),
            email: email.into(),
            groups: vec![],
            disabled: false,
            must_change_password: false,
            password_hash: String::new(),
            session_epoch: 0,
            totp_enabled: false,
            password_set_at: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn search_covers_username_name_and_email() {
        let u = user("alice", "Alice Liddell", "a.liddell@Example.test");
        for q in ["", "ali", "liddell", "example.test", "a.l"] {
            assert!(matches(&u, q), "{q}");
        }
        assert!(!matches(&u, "bob"));
    }

    #[test]
    fn user_paths_use_the_canonical_name() {
        assert_eq!(user_path(" Alice "), "/admin/users/alice");
        assert_eq!(user_path("a b"), "/admin");
        assert_eq!(user_path("../x"), "/admin");
    }
}
