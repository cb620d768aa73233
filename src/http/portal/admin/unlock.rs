//! `POST <portal>/admin/users/{name}/unlock`: lifts a user's sign-in bans (wrong passwords and
//! wrong codes), the remedy for an account locked by someone else's guessing. Checked like
//! every admin action (form, CSRF, administrator, fresh step-up) and audited as
//! `user.unlocked` with the administrator as the actor.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, State};
use http::{HeaderMap, Response};

use super::actor;
use super::user::{CsrfForm, acting, back, failed};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;

/// `POST /admin/users/{name}/unlock`.
pub(in crate::http::portal) async fn unlock(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    name: Result<Path<String>, PathRejection>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response<Body> {
    let form = form.ok().map(|Form(f)| f);
    let csrf = form.as_ref().map(|f| f.csrf.as_str());
    let (s, user) = match acting(&app, &ctx, &headers, name, csrf, "admin/users/unlock").await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    match app.admin.unlock(&user.username, &actor(&s)).await {
        Ok(_) => back(&app, &user, "unlocked"),
        Err(e) => failed(&app, &ctx, e),
    }
}
