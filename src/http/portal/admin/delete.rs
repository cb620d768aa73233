//! `<portal>/admin/users/{name}/delete`: deleting a user, after a confirmation page naming
//! them. The page needs the admin group; the POST is checked like every admin action
//! (administrator, fresh step-up, CSRF-checked form) and goes through `UserAdmin::delete`,
//! which ends every session of the user at once and is audited as `user.deleted`. An
//! administrator cannot delete their own account (`crate::service::admin_rules`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;

use super::super::errors::WebError;
use super::super::extract::{Admin, CsrfForm, Fresh, NoFields};
use super::super::forms::see_other;
use super::super::view::{self, Template};
use super::user::{Acting, UserName};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::users::AdminAction;

/// `admin_delete.html`: are you sure?
#[derive(Serialize)]
struct DeletePage<'a> {
    title: Msg,
    username: &'a str,
    name: &'a str,
    /// The user's signed-in sessions, which end with the account.
    sessions: usize,
}

impl Template for DeletePage<'_> {
    const NAME: &'static str = "admin_delete.html";
    const CARD_CLASS: Option<&'static str> = Some("admin");
}

/// `GET /admin/users/{name}/delete`: the confirmation, or (for one's own account) the user's
/// page with the refusal.
pub(in crate::http::portal) async fn confirm_delete(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Admin(s): Admin,
    name: UserName,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let on = Acting::on(&app, &ctx, &headers, &s, name).await?;
    on.allowed(AdminAction::Delete).await?;
    let sessions = app.sessions.list_active(&on.user, ctx.now).await?.len();
    let page = DeletePage {
        title: Msg::new("admin-delete-title").with("username", on.user.username.as_str()),
        username: &on.user.username,
        name: &on.user.display_name,
        sessions,
    };
    Ok(view::form(&app, &headers, StatusCode::OK, &page))
}

/// `POST /admin/users/{name}/delete`: deletes the user and ends their sessions, then the list
/// with a notice.
pub(in crate::http::portal) async fn delete(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    headers: HeaderMap,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    let on = Acting::on(&app, &ctx, &headers, &s, name).await?;
    let me = on.allowed(AdminAction::Delete).await?;
    app.admin.delete(&on.user.username, &me).await?;
    let list = app.config.portal.url.path(super::AREA);
    Ok(see_other(&format!("{list}?done=deleted")))
}
