//! `<portal>/admin`: the admin area (issue 5, point 6; docs/security.md#admin-session-control, #step-up, #admin-reset, #audit-log).
//!
//! Only members of `admin.group` get in: anyone else signed in gets the 403 page (audited as
//! `admin.denied`), and a browser without a session goes to the login page. Viewing needs no
//! step-up; every action is a CSRF-checked POST that also needs a password entered within
//! `two_factor.step_up_window`, else the password prompt comes back here and nothing changes.
//! Actions go through the same services as the CLI, audited with the actor `admin:<name>`.
//!
//! The guards are the portal's `Admin` and `Fresh<Admin>` extractors. This file holds the user
//! list and the page showing a password once; `user` the user page and its actions; `profile`
//! editing a user's name, email and groups; `delete` deleting a user after a confirmation;
//! `unlock` lifting a user's sign-in bans; `create` the new-user form.

mod create;
mod delete;
mod profile;
mod unlock;
mod user;

pub(super) use create::{create, new_form};
pub(super) use delete::{confirm_delete, delete};
pub(super) use profile::profile;
pub(super) use unlock::unlock;
pub(super) use user::{
    detail, disable, enable, password, reset_two_factor, revoke_all_sessions, revoke_session,
};

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::errors::WebError;
use super::extract::Admin;
use super::view::{self, Template};
use crate::domain::user::User;
use crate::http::state::AppState;
use crate::i18n::Msg;

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
    /// What was just done (`deleted`), for a fixed notice.
    #[serde(default)]
    done: String,
}

/// The list's notice for `?done=`; unknown values show nothing.
fn list_notice(done: &str) -> Option<Msg> {
    match done {
        "deleted" => Some(Msg::new("admin-done-deleted")),
        _ => None,
    }
}

/// The search text as read: trimmed and cut at [`MAX_QUERY`] characters.
fn search_text(q: &str) -> String {
    q.trim().chars().take(MAX_QUERY).collect()
}

/// Whether `user` matches the (lower-case) search text.
fn matches(user: &User, needle: &str) -> bool {
    needle.is_empty()
        || user.username.contains(needle)
        || user.display_name.to_lowercase().contains(needle)
        || user.email.to_lowercase().contains(needle)
}

/// One user as the list shows it.
#[derive(Serialize)]
struct UserRow<'a> {
    username: &'a str,
    name: &'a str,
    email: &'a str,
    groups: String,
    disabled: bool,
    totp: bool,
    must_change: bool,
}

impl<'a> UserRow<'a> {
    fn new(user: &'a User) -> Self {
        Self {
            username: &user.username,
            name: &user.display_name,
            email: &user.email,
            groups: user.groups.join(", "),
            disabled: user.disabled,
            totp: user.totp_enabled,
            must_change: user.must_change_password,
        }
    }
}

/// `admin.html`: the user list.
#[derive(Serialize)]
struct ListPage<'a> {
    title: Msg,
    /// The administrator signed in.
    username: &'a str,
    q: &'a str,
    notice: Option<Msg>,
    users: Vec<UserRow<'a>>,
    found: usize,
    total: usize,
    truncated: bool,
    max_rows: usize,
}

impl Template for ListPage<'_> {
    const NAME: &'static str = "admin.html";
    const CARD_CLASS: Option<&'static str> = Some("admin");
}

/// `admin_password.html`: a password shown once, for a new user or a temporary password.
#[derive(Serialize)]
struct PasswordPage<'a> {
    title: Msg,
    heading: Msg,
    username: &'a str,
    password: &'a str,
    must_change: bool,
    /// A new user (else a temporary password of an existing one).
    created: bool,
    /// A notice of the change was mailed to the user.
    notified: bool,
}

impl Template for PasswordPage<'_> {
    const NAME: &'static str = "admin_password.html";
    const CARD_CLASS: Option<&'static str> = Some("admin");
}

/// `GET /admin[?q=…]`: every user, or those whose username, name or email contains `q`.
pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    Admin(s): Admin,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let (q, done) = query.map(|Query(q)| (q.q, q.done)).unwrap_or_default();
    let q = search_text(&q);
    let needle = q.to_lowercase();
    let users = app.admin.list().await?;
    let found: Vec<&User> = users.iter().filter(|u| matches(u, &needle)).collect();
    let page = ListPage {
        title: Msg::new("admin-users-title"),
        username: &s.user.username,
        q: &q,
        notice: list_notice(&done),
        users: found
            .iter()
            .take(MAX_ROWS)
            .map(|u| UserRow::new(u))
            .collect(),
        found: found.len(),
        total: users.len(),
        truncated: found.len() > MAX_ROWS,
        max_rows: MAX_ROWS,
    };
    Ok(view::form(&app, &headers, StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::matches;
    use crate::domain::user::User;

    fn user(name: &str, display: &str, email: &str) -> User {
        User {
            display_name: display.into(),
            email: email.into(),
            ..User::fixture(1, name)
        }
    }

    #[test]
    fn only_known_list_notices_are_shown() {
        assert!(super::list_notice("deleted").is_some());
        assert!(super::list_notice("<b>").is_none());
        assert_eq!(super::search_text("  al "), "al");
    }

    #[test]
    fn search_covers_username_name_and_email() {
        let u = user("alice", "Alice Liddell", "a.liddell@Example.test");
        for q in ["", "ali", "liddell", "example.test", "a.l"] {
            assert!(matches(&u, q), "{q}");
        }
        assert!(!matches(&u, "bob"));
    }
}
