//! `POST <portal>/language`: the language picker at the foot of every portal page. The
//! choice is kept in a cookie of the portal host (signed out too), and, for a signed-in user,
//! saved with the account: their mails are written in it, and a new browser gets it when
//! they sign in (`login::signed_in`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{Response, header};
use serde::Deserialize;

use super::errors::{PageError, WebError};
use super::extract::{CsrfForm, CurrentSession};
use super::forms::see_other;
use crate::http::state::AppState;

#[derive(Deserialize)]
pub(super) struct LanguageForm {
    #[serde(default)]
    lang: String,
    /// The page the picker was on (a path of this host).
    #[serde(default)]
    rd: String,
}

/// Sets the language and goes back to the page the picker was on.
pub(super) async fn choose(
    State(app): State<Arc<AppState>>,
    CurrentSession(session): CurrentSession,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> Result<Response<Body>, WebError> {
    let catalogs = app.pages.catalogs();
    let Some(lang) = catalogs.by_tag(&form.lang) else {
        return Err(PageError::BadRequest("bad-request-language").into());
    };
    let tag = catalogs.tag(lang);
    if let Some(s) = &session {
        app.admin.set_language(&s.user, tag).await?;
    }
    let mut resp = see_other(&back(&app, &form.rd));
    resp.headers_mut()
        .append(header::SET_COOKIE, app.cookies.language(tag));
    Ok(resp)
}

/// `rd` when it is a path on this host under the portal (never another host: `//evil` and
/// `/\evil` are not paths), else the portal home.
fn back(app: &AppState, rd: &str) -> String {
    let base = &app.config.portal.url.base_path;
    let local = rd.starts_with('/')
        && !rd.starts_with("//")
        && !rd.starts_with("/\\")
        && rd.starts_with(base.as_str())
        && !rd.chars().any(|c| c.is_control() || c == '\\');
    if local {
        rd.to_owned()
    } else {
        app.config.portal.url.path("/")
    }
}
