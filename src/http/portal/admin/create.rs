//! `<portal>/admin/users/new` and `POST <portal>/admin/users`: creating a user. The initial
//! password is typed by the administrator or, when the field is left empty, generated and
//! shown once on the answer. "Must change password at first login" is ticked by default.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use http::{HeaderMap, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::super::errors::{PageError, error_page};
use super::super::forms::{form_page, see_other};
use super::super::view::legacy_render as render;
use super::{AREA, actor, admin_action, admin_session};
use crate::domain::email::{DisplayName, Email};
use crate::domain::secret::SecretString;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::service::users::{AddUser, UserError};

/// The form's path under the portal.
const PAGE: &str = "/admin/users/new";

#[derive(Deserialize, Default)]
pub(in crate::http::portal) struct CreateForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    /// Comma-separated group names.
    #[serde(default)]
    groups: String,
    /// The initial password; empty: generate one.
    #[serde(default)]
    password: String,
    /// Present (a ticked checkbox) when the user must choose a new password at first login.
    #[serde(default)]
    must_change: Option<String>,
    #[serde(default)]
    csrf: String,
}

/// The form, filled with what was typed (never the password) and an optional error.
fn new_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    form: &CreateForm,
    error: Option<&str>,
) -> Response<Body> {
    form_page(
        app,
        headers,
        status,
        "admin_new.html",
        json!({
            "title": "New user",
            "card_class": "admin",
            "username": form.username,
            "display_name": form.display_name,
            "email": form.email,
            "groups": form.groups,
            "must_change": form.must_change.is_some(),
            "min_length": app.config.password.policy.min_chars,
            "error": error,
        }),
    )
}

/// `GET /admin/users/new`.
pub(in crate::http::portal) async fn new_form(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
) -> Response<Body> {
    if let Err(resp) = admin_session(&app, &ctx, &headers, PAGE).await {
        return resp;
    }
    let blank = CreateForm {
        must_change: Some("1".into()),
        ..CreateForm::default()
    };
    new_page(&app, &headers, StatusCode::OK, &blank, None)
}

/// What is wrong with a display name or email address as typed, if anything: the domain's
/// parsers decide, the same ones the CLI goes through.
fn field_problem(form: &CreateForm) -> Option<&'static str> {
    if DisplayName::parse_optional(&form.display_name).is_err() {
        return Some("The display name is too long or holds control characters.");
    }
    if Email::parse_optional(&form.email).is_err() {
        return Some("The email address is not valid.");
    }
    None
}

/// `POST /admin/users`: creates the user.
pub(in crate::http::portal) async fn create(
    State(app): State<Arc<AppState>>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    form: Result<Form<CreateForm>, FormRejection>,
) -> Response<Body> {
    let Ok(Form(mut form)) = form else {
        return error_page(
            &app,
            Some(&ctx),
            PageError::BadRequest("The form was incomplete."),
        );
    };
    let csrf = Some(form.csrf.as_str());
    let s = match admin_action(&app, &ctx, &headers, csrf, "admin/users", PAGE).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let bad = StatusCode::BAD_REQUEST;
    if let Some(why) = field_problem(&form) {
        return new_page(&app, &headers, bad, &form, Some(why));
    }
    let groups: Vec<String> = form
        .groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    let generated = form.password.is_empty();
    let password = if generated {
        app.admin.credentials().temporary_password()
    } else {
        SecretString::new(std::mem::take(&mut form.password))
    };
    let must_change = form.must_change.is_some();
    let display_name = form.display_name.trim();
    let added = app
        .admin
        .add(
            AddUser {
                username: &form.username,
                display_name: (!display_name.is_empty()).then_some(display_name),
                email: form.email.trim(),
                groups: &groups,
                password: password.clone(),
                must_change_password: must_change,
            },
            &actor(&s),
            ctx.now,
        )
        .await;
    match added {
        Ok(user) if generated => render(
            &app,
            StatusCode::OK,
            "admin_password.html",
            json!({
                "title": "User created",
                "heading": "User created",
                "username": user.username,
                "password": password.expose(),
                "must_change": must_change,
                "created": true,
                "notified": false,
            }),
        ),
        Ok(user) => see_other(&format!(
            "{}?done=created",
            app.config
                .portal
                .url
                .path(&format!("{AREA}/users/{}", user.username))
        )),
        Err(UserError::Exists) => {
            let why = "A user with that name already exists.";
            new_page(&app, &headers, StatusCode::CONFLICT, &form, Some(why))
        }
        Err(UserError::BadName(e)) => {
            let why = format!("The username or a group name is not valid: it {e}.");
            new_page(&app, &headers, bad, &form, Some(&why))
        }
        Err(UserError::Policy(e)) => {
            let why = format!("The password was refused: {e}");
            new_page(&app, &headers, bad, &form, Some(&why))
        }
        Err(e) => error_page(&app, Some(&ctx), PageError::Unavailable(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::{CreateForm, field_problem};

    #[test]
    fn display_names_and_addresses_are_checked() {
        let form = |name: &str, email: &str| CreateForm {
            display_name: name.into(),
            email: email.into(),
            ..CreateForm::default()
        };
        assert!(field_problem(&form("Alice", "alice@example.test")).is_none());
        assert!(field_problem(&form("", "")).is_none());
        for (name, email) in [
            ("Al\nice", ""),
            ("", "alice"),
            ("", "a b@example.test"),
            ("", "@example.test"),
            ("", "a@b@c"),
            ("", "alice@example.test\r\nBcc: x@y"),
        ] {
            assert!(
                field_problem(&form(name, email)).is_some(),
                "{name:?} {email:?}"
            );
        }
    }
}
