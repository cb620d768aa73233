//! `<portal>/admin/users/{name}`: one user's page (fields, status, sessions, the profile form)
//! and the actions on that user: a new password (a temporary one shown once, or a reset link by
//! mail), disable, enable, reset two-factor, and ending one or all sessions. Editing the
//! profile is in `profile`, deleting the user in `delete`; both answer through [`Acting`].
//!
//! What an administrator may not do to their own account (disable it, reset its password or
//! two-factor, end its current session or all its sessions) is the user-admin service's rule
//! (`crate::service::admin_rules`): each action asks it once through [`Acting::allowed`]. After an action the browser goes back to
//! the user's page with `?done=<what>`, which shows a fixed notice; the temporary password is
//! the exception: it is shown once on the answer to the POST, never in a URL or a log.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use http::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::super::errors::{PageError, WebError};
use super::super::extract::{Admin, CsrfForm, Fresh, NoFields, actor};
use super::super::forms::see_other;
use super::super::sessions::{SessionRow, parse_key};
use super::super::view::{self, Template};
use super::PasswordPage;
use crate::audit;
use crate::audit::event;
use crate::domain::user::User;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg as Text;
use crate::presentation::{date, datetime};
use crate::service::sessions::Resolved;
use crate::service::users::{Actor, AdminAction, Refusal, UserError};

/// The user's name as the path gives it (an unreadable one is no user's).
pub(super) type UserName = Result<Path<String>, PathRejection>;

#[derive(Deserialize)]
pub(in crate::http::portal) struct DetailQuery {
    #[serde(default)]
    done: String,
}

#[derive(Deserialize)]
pub(in crate::http::portal) struct PasswordForm {
    /// `temporary` or `link`.
    #[serde(default)]
    mode: String,
    /// Present (a ticked checkbox) when the user must choose a new password at next login.
    #[serde(default)]
    must_change: Option<String>,
}

#[derive(Deserialize)]
pub(in crate::http::portal) struct RevokeForm {
    /// The store key (64 hex digits) of the session to end.
    #[serde(default)]
    session: String,
}

/// The notice for `?done=`; unknown values show nothing.
fn done_notice(done: &str) -> Option<Text> {
    Some(Text::new(match done {
        "confirmed" => "common-confirmed-repeat",
        "created" => "admin-done-created",
        "invited" => "admin-done-invited",
        "link" => "admin-done-link",
        "disabled" => "admin-done-disabled",
        "enabled" => "admin-done-enabled",
        "unlocked" => "admin-done-unlocked",
        "2fa" => "admin-done-2fa",
        "revoked" => "admin-done-revoked",
        "revoked-all" => "admin-done-revoked-all",
        "profile" => "admin-done-profile",
        _ => return None,
    }))
}

/// A message on the user's page.
enum Note<'a> {
    None,
    Error(Text),
    Notice(Text),
    /// The profile form refused: why (next to the form), and the fields as typed.
    Profile(Text, ProfileFields<'a>),
}

/// The profile form's fields: the stored values, or what was typed when they were refused.
#[derive(Serialize)]
pub(super) struct ProfileFields<'a> {
    pub display_name: &'a str,
    pub email: &'a str,
    pub groups: String,
    /// The id of the field a refusal is about: marked `aria-invalid`, the error beside it.
    pub invalid: Option<&'static str>,
}

impl<'a> ProfileFields<'a> {
    fn of(user: &'a User) -> Self {
        Self {
            display_name: &user.display_name,
            email: &user.email,
            groups: user.groups.join(", "),
            invalid: None,
        }
    }
}

/// What the page shows of a message: (error at the top, notice, profile error, profile form).
type Shown<'a> = (Option<Text>, Option<Text>, Option<Text>, ProfileFields<'a>);

impl<'a> Note<'a> {
    fn shown(self, user: &'a User) -> Shown<'a> {
        match self {
            Note::None => (None, None, None, ProfileFields::of(user)),
            Note::Error(e) => (Some(e), None, None, ProfileFields::of(user)),
            Note::Notice(n) => (None, Some(n), None, ProfileFields::of(user)),
            Note::Profile(e, typed) => (None, None, Some(e), typed),
        }
    }
}

/// The user's fields as the user page shows them.
#[derive(Serialize)]
struct UserFields<'a> {
    username: &'a str,
    name: &'a str,
    email: &'a str,
    groups: String,
    admin: bool,
    disabled: bool,
    totp: bool,
    must_change: bool,
    created: String,
    updated: String,
}

impl<'a> UserFields<'a> {
    fn new(app: &AppState, user: &'a User) -> Self {
        Self {
            username: &user.username,
            name: &user.display_name,
            email: &user.email,
            groups: user.groups.join(", "),
            admin: app.admin.is_admin(user),
            disabled: user.disabled,
            totp: user.totp_enabled,
            must_change: user.must_change_password,
            created: date(user.created_at),
            updated: datetime(user.updated_at),
        }
    }
}

/// `admin_user.html`: one user, their sessions and the actions on them.
#[derive(Serialize)]
struct UserPage<'a> {
    title: Text,
    user: UserFields<'a>,
    /// The user is the administrator looking.
    myself: bool,
    sessions: Vec<SessionRow>,
    /// A reset link can be mailed (a notifier and an address).
    can_mail: bool,
    notifier: bool,
    error: Option<Text>,
    notice: Option<Text>,
    /// The profile form, and why it was refused.
    profile: ProfileFields<'a>,
    profile_error: Option<Text>,
}

impl Template for UserPage<'_> {
    const NAME: &'static str = "admin_user.html";
    const CARD_CLASS: Option<&'static str> = Some("admin");
}

/// The user's page, with an optional message.
async fn user_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    admin: &Resolved,
    user: &User,
    status: StatusCode,
    msg: Note<'_>,
) -> Result<Response<Body>, WebError> {
    let (error, notice, profile_error, profile) = msg.shown(user);
    let sessions = app.sessions.list_active(user, ctx.now).await?;
    let notifier = app.config.notifier.configured();
    let page = UserPage {
        title: Text::new("admin-user-title").with("username", user.username.as_str()),
        user: UserFields::new(app, user),
        myself: user.id == admin.user.id,
        sessions: sessions
            .iter()
            .map(|(key, s)| SessionRow::new(key, s, *key == admin.key))
            .collect(),
        can_mail: notifier && !user.email.is_empty(),
        notifier,
        error,
        notice,
        profile,
        profile_error,
    };
    Ok(view::form(app, headers, status, &page))
}

/// The user named in the path; the 404 page for no such user (or a name no user can have).
pub(super) async fn find(app: &AppState, name: UserName) -> Result<User, WebError> {
    let name = name.map(|Path(n)| n).unwrap_or_default();
    match app.admin.find(&name).await {
        Ok(user) => Ok(user),
        Err(UserError::NotFound(_) | UserError::BadName(_)) => Err(PageError::NotFound.into()),
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/users/{name}`.
pub(in crate::http::portal) async fn detail(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Admin(s): Admin,
    name: UserName,
    query: Result<Query<DetailQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let user = find(&app, name).await?;
    let done = query.map(|Query(q)| q.done).unwrap_or_default();
    let msg = done_notice(&done).map_or(Note::None, Note::Notice);
    user_page(&app, &ctx, &headers, &s, &user, StatusCode::OK, msg).await
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

/// An action on one user, past every check (administrator, fresh step-up, form): what its
/// answers need.
pub(super) struct Acting<'a> {
    pub app: &'a AppState,
    pub ctx: &'a RequestCtx,
    headers: &'a HeaderMap,
    /// The administrator's session.
    s: &'a Resolved,
    pub user: User,
}

impl<'a> Acting<'a> {
    /// The user named in the path, for an action by the administrator of session `s`.
    pub async fn on(
        app: &'a AppState,
        ctx: &'a RequestCtx,
        headers: &'a HeaderMap,
        s: &'a Resolved,
        name: UserName,
    ) -> Result<Self, WebError> {
        let user = find(app, name).await?;
        Ok(Self {
            app,
            ctx,
            headers,
            s,
            user,
        })
    }

    /// The user's page with a refusal; nothing changed.
    pub async fn refuse(&self, status: StatusCode, why: Text) -> Result<Response<Body>, WebError> {
        let msg = Note::Error(why);
        let (app, s, user) = (self.app, self.s, &self.user);
        user_page(app, self.ctx, self.headers, s, user, status, msg).await
    }

    /// The user's page with the profile form as typed and why it was refused; nothing changed.
    pub async fn refuse_profile(
        &self,
        status: StatusCode,
        why: Text,
        typed: ProfileFields<'_>,
    ) -> Result<Response<Body>, WebError> {
        let msg = Note::Profile(why, typed);
        let (app, s, user) = (self.app, self.s, &self.user);
        user_page(app, self.ctx, self.headers, s, user, status, msg).await
    }

    /// The administrator as the service's actor if the service permits `action` on the user,
    /// else the user's page with the refusal (409, `WebError::Refused`) and nothing changed.
    pub async fn allowed(&self, action: AdminAction<'_>) -> Result<Actor, WebError> {
        let me = actor(self.s);
        match self.app.admin.permit(&me, Some(&self.user), action).await {
            Ok(()) => Ok(me),
            Err(UserError::Refused(Refusal::OwnAccount(why))) => {
                let page = self.refuse(StatusCode::CONFLICT, Text::new(why)).await?;
                Err(WebError::refused(page))
            }
            Err(UserError::Refused(Refusal::NotAdmin)) => Err(PageError::Forbidden.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `303` back to the user's page with a notice.
    pub fn back(&self, done: &str) -> Response<Body> {
        back(self.app, &self.user, done)
    }
}

/// `POST /admin/users/{name}/password`: `mode=temporary` sets a random password shown once on
/// the answer (with `must_change`, a ticked box by default); `mode=link` mails a reset link.
pub(in crate::http::portal) async fn password(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response<Body>, WebError> {
    let on = Acting::on(&app, &ctx, &headers, &s, name).await?;
    let me = on.allowed(AdminAction::SetPassword).await?;
    match form.mode.as_str() {
        "temporary" => temporary(&on, &me, form.must_change.is_some()).await,
        "link" => reset_link(&on, &me).await,
        _ => {
            let why = Text::new("admin-choose-mode");
            on.refuse(StatusCode::BAD_REQUEST, why).await
        }
    }
}

/// A random password for the user, shown once on the answer.
async fn temporary(
    on: &Acting<'_>,
    me: &Actor,
    must_change: bool,
) -> Result<Response<Body>, WebError> {
    let (app, user) = (on.app, &on.user);
    let password = app
        .passwords
        .admin_temporary_password(user, must_change, me, on.ctx.now)
        .await?;
    let page = PasswordPage {
        title: Text::new("admin-temporary-title"),
        heading: Text::new("admin-temporary-title"),
        username: &user.username,
        password: password.expose(),
        must_change,
        created: false,
        notified: app.config.notifier.configured() && !user.email.is_empty(),
    };
    Ok(view::html(app, StatusCode::OK, &page))
}

/// A reset link mailed to the user, when one can be sent and would work.
async fn reset_link(on: &Acting<'_>, me: &Actor) -> Result<Response<Body>, WebError> {
    let (app, user) = (on.app, &on.user);
    let (status, why) = if !app.config.notifier.configured() {
        let why = Text::new("admin-link-no-notifier");
        (StatusCode::BAD_REQUEST, why)
    } else if user.email.is_empty() {
        let why = Text::new("admin-link-no-email");
        (StatusCode::BAD_REQUEST, why)
    } else if user.disabled {
        let why = Text::new("admin-link-disabled");
        (StatusCode::CONFLICT, why)
    } else {
        app.passwords.admin_reset_link(user, me, on.ctx.now).await?;
        return Ok(on.back("link"));
    };
    on.refuse(status, why).await
}

/// Disables (`true`, every session ends at once) or enables a user.
async fn set_disabled(on: Acting<'_>, disabled: bool) -> Result<Response<Body>, WebError> {
    let action = if disabled {
        AdminAction::Disable
    } else {
        AdminAction::Enable
    };
    let me = on.allowed(action).await?;
    on.app
        .admin
        .set_disabled(&on.user.username, disabled, &me, on.ctx.now)
        .await?;
    Ok(on.back(if disabled { "disabled" } else { "enabled" }))
}

/// `POST /admin/users/{name}/disable`.
pub(in crate::http::portal) async fn disable(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    headers: HeaderMap,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    set_disabled(Acting::on(&app, &ctx, &headers, &s, name).await?, true).await
}

/// `POST /admin/users/{name}/enable`.
pub(in crate::http::portal) async fn enable(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    headers: HeaderMap,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    set_disabled(Acting::on(&app, &ctx, &headers, &s, name).await?, false).await
}

/// `POST /admin/users/{name}/reset-2fa`: two-factor off, remembered devices forgotten, every
/// session ended, a notice mailed.
pub(in crate::http::portal) async fn reset_two_factor(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    headers: HeaderMap,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    let on = Acting::on(&app, &ctx, &headers, &s, name).await?;
    let me = on.allowed(AdminAction::ResetTwoFactor).await?;
    if !on.user.totp_enabled {
        let why = Text::new("admin-2fa-not-on");
        return on.refuse(StatusCode::CONFLICT, why).await;
    }
    app.two_factor
        .reset(&on.user, &me.audit_name(), ctx.now)
        .await?;
    Ok(on.back("2fa"))
}

/// `POST /admin/users/{name}/sessions/revoke`: ends one session of that user.
pub(in crate::http::portal) async fn revoke_session(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response<Body>, WebError> {
    let on = Acting::on(&app, &ctx, &headers, &s, name).await?;
    let key = parse_key(&form.session);
    let me = on.allowed(AdminAction::RevokeSession(key.as_ref())).await?;
    let ended = match &key {
        // Only a session of this user is ever ended.
        Some(k) => app.sessions.revoke(on.user.id, k, ctx.now).await?,
        None => None,
    };
    match (ended, key) {
        (Some(_), Some(k)) => {
            audit!(event::SESSION_REVOKED, user = %crate::audit::Clean(&on.user.username), actor = %crate::audit::Clean(&me.audit_name()), ip = %ctx.client_ip, session = k.short());
            Ok(on.back("revoked"))
        }
        _ => {
            let why = Text::new("common-session-not-found");
            on.refuse(StatusCode::NOT_FOUND, why).await
        }
    }
}

/// `POST /admin/users/{name}/sessions/revoke-all`: ends every session of that user.
pub(in crate::http::portal) async fn revoke_all_sessions(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<Admin>,
    name: UserName,
    headers: HeaderMap,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response<Body>, WebError> {
    let on = Acting::on(&app, &ctx, &headers, &s, name).await?;
    let me = on.allowed(AdminAction::RevokeAll).await?;
    app.sessions.revoke_all(&on.user, &me.audit_name()).await?;
    Ok(on.back("revoked-all"))
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
