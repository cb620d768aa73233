//! Who may change users, and the changes an administrator may not make to their own account:
//! the one owner of the admin-group check and of the "administrators cannot lock themselves
//! out" rules (docs/security.md#admin-session-control). The admin pages and the CLI both name
//! their caller with an [`Actor`]; [`super::users::UserAdmin`] checks it before any change.
//!
//! Pure: no store, no clock. The user-admin service feeds it the records it read.

use std::sync::Arc;

use thiserror::Error;

use crate::domain::session::SessionKey;
use crate::domain::user::User;

/// Who asks for an administrative change.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The operator at the server's console (`gatehouse user …`): trusted with everything,
    /// since whoever runs the binary can read the database anyway.
    Operator,
    /// A signed-in user in the admin area, with the session they act from.
    Admin {
        /// The administrator's record, as their session resolved it.
        user: Arc<User>,
        /// The session the request came with.
        session: SessionKey,
    },
}

impl Actor {
    /// How the audit log names the actor: `cli` or `admin:<name>`.
    pub fn audit_name(&self) -> String {
        match self {
            Self::Operator => "cli".to_owned(),
            Self::Admin { user, .. } => format!("admin:{}", user.username),
        }
    }
}

/// An administrative change, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction<'a> {
    /// Reading the admin area, listing or creating users: only the group check applies.
    Manage,
    /// Setting a password or mailing a reset link.
    SetPassword,
    /// Disabling the account.
    Disable,
    /// Enabling the account, or lifting its sign-in bans.
    Enable,
    /// Turning two-factor authentication off.
    ResetTwoFactor,
    /// Ending one session (`None`: a key that could not be read).
    RevokeSession(Option<&'a SessionKey>),
    /// Ending every session.
    RevokeAll,
    /// Deleting the account.
    Delete,
    /// Replacing the groups.
    SetGroups,
    /// Editing the display name or email address (a change of groups is also `SetGroups`).
    EditProfile,
}

/// Why an actor may not do something.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// Not a member of the admin group.
    #[error("not a member of the admin group")]
    NotAdmin,
    /// An administrator acting on their own account in a way that could lock them out, or
    /// that must go through their account page (which asks for the current factors). Holds
    /// the message-catalog key of the reason the administrator is shown.
    #[error("not on one's own account ({0})")]
    OwnAccount(&'static str),
}

/// Whether `actor` may do `action` to `target` (`None`: no particular user). `admin_group` is
/// the configured `admin.group`.
pub fn permit(
    actor: &Actor,
    admin_group: &str,
    target: Option<&User>,
    action: AdminAction<'_>,
) -> Result<(), Refusal> {
    let Actor::Admin { user: me, session } = actor else {
        return Ok(());
    };
    if !me.groups.iter().any(|g| g == admin_group) {
        return Err(Refusal::NotAdmin);
    }
    if target.is_none_or(|t| t.id != me.id) {
        return Ok(());
    }
    let why = match action {
        // One's own name and address lock no one out.
        AdminAction::Manage | AdminAction::Enable | AdminAction::EditProfile => return Ok(()),
        // Another session of one's own is fine to end; only the current one is not.
        AdminAction::RevokeSession(key) if key != Some(session) => return Ok(()),
        AdminAction::SetPassword => "admin-own-set-password",
        AdminAction::Disable => "admin-own-disable",
        AdminAction::ResetTwoFactor => "admin-own-reset-2fa",
        AdminAction::RevokeSession(_) => "admin-own-current-session",
        AdminAction::RevokeAll => "admin-own-revoke-all",
        AdminAction::Delete => "admin-own-delete",
        // Whatever the change: dropping the admin group would lock them out of this area.
        AdminAction::SetGroups => "admin-own-groups",
    };
    Err(Refusal::OwnAccount(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, groups: &[&str]) -> User {
        User {
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            ..User::fixture(id, &format!("u{id}"))
        }
    }

    fn admin(id: i64, groups: &[&str]) -> Actor {
        Actor::Admin {
            user: Arc::new(user(id, groups)),
            session: SessionKey::from_text("k1"),
        }
    }

    #[test]
    fn only_members_of_the_admin_group_act() {
        let other = user(2, &[]);
        let a = admin(1, &["users"]);
        assert_eq!(
            permit(&a, "admins", None, AdminAction::Manage),
            Err(Refusal::NotAdmin)
        );
        assert_eq!(
            permit(&a, "admins", Some(&other), AdminAction::Enable),
            Err(Refusal::NotAdmin)
        );
        let a = admin(1, &["admins"]);
        assert_eq!(
            permit(&a, "admins", Some(&other), AdminAction::Disable),
            Ok(())
        );
        assert_eq!(
            permit(&Actor::Operator, "admins", None, AdminAction::Manage),
            Ok(())
        );
    }

    #[test]
    fn administrators_cannot_lock_themselves_out() {
        let a = admin(1, &["admins"]);
        let me = user(1, &["admins"]);
        let current = SessionKey::from_text("k1");
        let other_session = SessionKey::from_text("k2");
        for action in [
            AdminAction::SetPassword,
            AdminAction::Disable,
            AdminAction::ResetTwoFactor,
            AdminAction::RevokeSession(Some(&current)),
            AdminAction::RevokeAll,
            AdminAction::Delete,
            AdminAction::SetGroups,
        ] {
            assert!(
                matches!(
                    permit(&a, "admins", Some(&me), action),
                    Err(Refusal::OwnAccount(_))
                ),
                "{action:?}"
            );
            // The operator may do all of it (the console is the way back in).
            assert_eq!(
                permit(&Actor::Operator, "admins", Some(&me), action),
                Ok(())
            );
        }
        for action in [
            AdminAction::Manage,
            AdminAction::Enable,
            AdminAction::EditProfile,
            AdminAction::RevokeSession(Some(&other_session)),
        ] {
            assert_eq!(
                permit(&a, "admins", Some(&me), action),
                Ok(()),
                "{action:?}"
            );
        }
    }

    #[test]
    fn administrators_cannot_leave_the_admin_group_or_delete_themselves() {
        let a = admin(1, &["admins"]);
        let me = user(1, &["admins", "users"]);
        let other_admin = user(2, &["admins"]);
        // Their own groups (dropping `admins` included) and their own account: refused.
        for action in [AdminAction::SetGroups, AdminAction::Delete] {
            assert!(
                matches!(
                    permit(&a, "admins", Some(&me), action),
                    Err(Refusal::OwnAccount(_))
                ),
                "{action:?}"
            );
            // Another administrator's: allowed (the console remains the way back in).
            assert_eq!(
                permit(&a, "admins", Some(&other_admin), action),
                Ok(()),
                "{action:?}"
            );
        }
        // Their own name and address are theirs to edit.
        assert_eq!(
            permit(&a, "admins", Some(&me), AdminAction::EditProfile),
            Ok(())
        );
    }
}
