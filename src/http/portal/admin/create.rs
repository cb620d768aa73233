//! `<portal>/admin/users/new` and `POST <portal>/admin/users`: creating a user. The initial
//! password is typed by the administrator or, when the field is left empty, generated and
//! shown once on the answer. "Must change password at first login" is ticked by default.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::super::errors::WebError;
use super::super::extract::{Admin, CsrfForm, Fresh, actor};
use super::super::texts;
use super::super::view::{self, Template};
use super::PasswordPage;
use super::user::back;
use crate::domain::email::{DisplayName, Email};
use crate::domain::secret::SecretString;
use crate::domain::user::{User, Username};
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::users::{AddUser, UserError};

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
    /// Present (a ticked checkbox): mail an invitation link instead of setting a password.
    #[serde(default)]
    invite: Option<String>,
}

/// `admin_new.html`: the new-user form.
#[derive(Serialize)]
struct NewUserPage<'a> {
    title: Msg,
    username: &'a str,
    display_name: &'a str,
    email: &'a str,
    groups: &'a str,
    must_change: bool,
    min_length: usize,
    /// Invitations can be mailed (a notifier is configured), valid this long.
    invite: Option<Msg>,
    invited: bool,
    error: Option<Msg>,
    /// The id of the field the error is about: marked `aria-invalid`, the error beside it.
    invalid: Option<&'static str>,
}

impl Template for NewUserPage<'_> {
    const NAME: &'static str = "admin_new.html";
    const CARD_CLASS: Option<&'static str> = Some("admin");
}

/// The form, filled with what was typed (never the password) and an optional error.
fn new_page(
    app: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    form: &CreateForm,
    error: Option<Problem>,
) -> Response<Body> {
    let (error, invalid) = error.map_or((None, None), |(m, f)| (Some(m), f));
    let page = NewUserPage {
        title: Msg::new("admin-new-title"),
        username: &form.username,
        display_name: &form.display_name,
        email: &form.email,
        groups: &form.groups,
        must_change: form.must_change.is_some(),
        min_length: app.config.password.policy.min_chars,
        invite: app
            .config
            .notifier
            .configured()
            .then(|| crate::i18n::span(app.config.password.invitation_ttl)),
        invited: form.invite.is_some(),
        error,
        invalid,
    };
    view::form(app, headers, status, &page)
}

/// `GET /admin/users/new`.
pub(in crate::http::portal) async fn new_form(
    State(app): State<Arc<AppState>>,
    Admin(_): Admin,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let blank = CreateForm {
        must_change: Some("1".into()),
        ..CreateForm::default()
    };
    Ok(new_page(&app, &headers, StatusCode::OK, &blank, None))
}

/// A refusal: why, and the id of the field it is about if one is.
type Problem = (Msg, Option<&'static str>);

/// What is wrong with a display name or email address as typed, if anything: the domain's
/// parsers decide, the same ones the CLI goes through.
fn field_problem(form: &CreateForm) -> Option<Problem> {
    if DisplayName::parse_optional(&form.display_name).is_err() {
        let why = Msg::new("admin-display-name-invalid");
        return Some((why, Some("display_name")));
    }
    if Email::parse_optional(&form.email).is_err() {
        return Some((Msg::new("admin-email-invalid"), Some("email")));
    }
    None
}

/// Why an invitation cannot be mailed for this form, if it asks for one.
fn invite_problem(app: &AppState, form: &CreateForm) -> Option<Problem> {
    if form.invite.is_none() {
        None
    } else if !app.config.notifier.configured() {
        Some((Msg::new("admin-invite-no-notifier"), None))
    } else if form.email.trim().is_empty() {
        Some((Msg::new("admin-invite-no-email"), Some("email")))
    } else {
        None
    }
}

/// The group names of the comma-separated field, blanks dropped.
pub(super) fn group_list(groups: &str) -> Vec<String> {
    groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /admin/users`: creates the user.
pub(in crate::http::portal) async fn create(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    headers: HeaderMap,
    CsrfForm(mut form): CsrfForm<CreateForm>,
) -> Result<Response<Body>, WebError> {
    if let Some(why) = field_problem(&form).or_else(|| invite_problem(&app, &form)) {
        let bad = StatusCode::BAD_REQUEST;
        return Ok(new_page(&app, &headers, bad, &form, Some(why)));
    }
    let (password, generated) = initial_password(&app, &mut form);
    let groups = group_list(&form.groups);
    let must_change = form.must_change.is_some();
    let display_name = form.display_name.trim();
    let new = AddUser {
        username: &form.username,
        display_name: (!display_name.is_empty()).then_some(display_name),
        email: form.email.trim(),
        groups: &groups,
        password: password.clone(),
        must_change_password: must_change,
    };
    match app.admin.add(new, &actor(&s), ctx.now).await {
        Ok(user) if form.invite.is_some() => {
            app.passwords.invite(&user, &actor(&s), ctx.now).await?;
            Ok(back(&app, &user, "invited"))
        }
        Ok(user) if generated => Ok(shown_once(&app, &user, &password, must_change)),
        Ok(user) => Ok(back(&app, &user, "created")),
        Err(e) => refused(&app, &headers, &form, e),
    }
}

/// The new user's first password and whether it was generated: the one typed, else a random
/// one. For an invitation nobody sees or types one: a random password, replaced through the
/// link (and no forced change after it).
fn initial_password(app: &AppState, form: &mut CreateForm) -> (SecretString, bool) {
    if form.invite.is_some() {
        form.password.clear();
        form.must_change = None;
    }
    if form.password.is_empty() {
        (app.admin.credentials().temporary_password(), true)
    } else {
        (SecretString::new(std::mem::take(&mut form.password)), false)
    }
}

/// The answer to a new user with a generated password: the password, shown this once.
fn shown_once(
    app: &AppState,
    user: &User,
    password: &SecretString,
    must_change: bool,
) -> Response<Body> {
    let page = PasswordPage {
        title: Msg::new("admin-created-title"),
        heading: Msg::new("admin-created-title"),
        username: &user.username,
        password: password.expose(),
        must_change,
        created: true,
        notified: false,
    };
    view::html(app, StatusCode::OK, &page)
}

/// The form again with why the user was not created, or the error page for a failure no
/// field explains.
fn refused(
    app: &AppState,
    headers: &HeaderMap,
    form: &CreateForm,
    e: UserError,
) -> Result<Response<Body>, WebError> {
    let (status, why, field) = match e {
        UserError::Exists => (
            StatusCode::CONFLICT,
            Msg::new("admin-user-exists"),
            "username",
        ),
        UserError::BadName(e) => (
            StatusCode::BAD_REQUEST,
            Msg::new("admin-bad-username-or-group").with("why", texts::name(&e)),
            // The same error covers both: the username if it is the one that fails.
            if Username::parse(&form.username).is_err() {
                "username"
            } else {
                "groups"
            },
        ),
        UserError::Policy(e) => (
            StatusCode::BAD_REQUEST,
            Msg::new("password-refused").with("why", texts::policy(&e)),
            "password",
        ),
        e => return Err(e.into()),
    };
    Ok(new_page(
        app,
        headers,
        status,
        form,
        Some((why, Some(field))),
    ))
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
