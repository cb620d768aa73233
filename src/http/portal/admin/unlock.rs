//! `POST <portal>/admin/users/{name}/unlock`: lifts a user's sign-in bans (wrong passwords and
//! wrong codes), the remedy for an account locked by someone else's guessing. Checked like
//! every admin action (administrator, fresh step-up, CSRF-checked form) and audited as
//! `user.unlocked` with the administrator as the actor.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::Response;

use super::super::errors::WebError;
use super::super::extract::{Admin, CsrfForm, Fresh, NoFields, actor};
use super::user::{UserName, back, find};
use crate::http::state::AppState;

/// `POST /admin/users/{name}/unlock`.
pub(in crate::http::portal) async fn unlock(
    State(app): State<Arc<AppState>>,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    let user = find(&app, name).await?;
    app.admin.unlock(&user.username, &actor(&s)).await?;
    Ok(back(&app, &user, "unlocked"))
}
