//! `POST <portal>/admin/users/{name}/profile`: an administrator edits a user's display name,
//! email address and groups. Checked like every admin action (administrator, fresh step-up,
//! CSRF-checked form); the fields go through the same parsers as a new user's
//! (`UserAdmin::update_profile`), and a refused field re-shows the user's page with the message
//! next to the form and what was typed, with nothing changed. An administrator cannot change
//! their own groups, so cannot leave the admin group (`crate::service::admin_rules`). Audited
//! as `user.updated`; sessions carry the new values at once.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderMap, Response, StatusCode};
use serde::Deserialize;

use super::super::errors::WebError;
use super::super::extract::{Admin, CsrfForm, Fresh, actor};
use super::super::texts;
use super::create::group_list;
use super::user::{Acting, ProfileFields, UserName};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::users::{EditProfile, Refusal, UserError};

#[derive(Deserialize)]
pub(in crate::http::portal) struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    /// Comma-separated group names.
    #[serde(default)]
    groups: String,
}

/// `POST /admin/users/{name}/profile`.
pub(in crate::http::portal) async fn profile(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<Response<Body>, WebError> {
    let on = Acting::on(&app, &ctx, &headers, &s, name).await?;
    let groups = group_list(&form.groups);
    let edit = EditProfile {
        display_name: &form.display_name,
        email: &form.email,
        groups: &groups,
    };
    let me = actor(&s);
    match app
        .admin
        .update_profile(&on.user.username, edit, &me, ctx.now)
        .await
    {
        Ok(_) => Ok(on.back("profile")),
        Err(e) => refused(&on, &form, e).await,
    }
}

/// Why a field was refused, the field's id and the answer's status; `None` for a failure no
/// field explains.
fn field_problem(e: &UserError) -> Option<(StatusCode, Msg, &'static str)> {
    let bad = StatusCode::BAD_REQUEST;
    Some(match e {
        UserError::BadDisplayName(e) => (
            bad,
            Msg::new("admin-bad-display-name").with("why", texts::field(e)),
            "display_name",
        ),
        UserError::BadEmail(e) => (
            bad,
            Msg::new("admin-bad-email").with("why", texts::field(e)),
            "email",
        ),
        UserError::BadName(e) => (
            bad,
            Msg::new("admin-bad-group").with("why", texts::name(e)),
            "groups",
        ),
        // The one change refused on one's own account is to one's own groups.
        UserError::Refused(Refusal::OwnAccount(why)) => {
            (StatusCode::CONFLICT, Msg::new(why), "groups")
        }
        _ => return None,
    })
}

/// The user's page with the form as typed and why it was refused, or the error page.
async fn refused(
    on: &Acting<'_>,
    form: &ProfileForm,
    e: UserError,
) -> Result<Response<Body>, WebError> {
    let Some((status, why, field)) = field_problem(&e) else {
        return Err(e.into());
    };
    let typed = ProfileFields {
        display_name: &form.display_name,
        email: &form.email,
        groups: form.groups.clone(),
        invalid: Some(field),
    };
    on.refuse_profile(status, why, typed).await
}
