//! User administration shared by the CLI and the admin pages: add, set password,
//! disable/enable, delete, groups, list. Every change names its [`Actor`] and is checked by
//! [`super::admin_rules::permit`] here, so no caller can skip the admin-group check or the
//! rules that keep administrators from locking themselves out. Email addresses and display
//! names go through the domain parsers, whoever typed them. Changes that must end sessions bump the user's
//! session epoch in the store *and* delete the sessions, so they end at once on this store
//! and within `user_refresh` on any instance (docs/security.md#admin-session-control, #admin-reset).

use std::sync::Arc;

use thiserror::Error;

use super::AuthError;
use super::admin_rules::permit;
pub use super::admin_rules::{Actor, AdminAction, Refusal};
use super::credentials::{Credentials, PolicyUser, SetBy};
use super::sessions::Sessions;
use super::throttle::Throttle;
use crate::audit;
use crate::audit::event;
use crate::domain::email::{DisplayName, Email, FieldError};
use crate::domain::password::PolicyError;
use crate::domain::secret::SecretString;
use crate::domain::user::{NameError, User, Username, normalize_groups};
use crate::store::{NewUser, Profile, StoreError, UserStore};

/// Why an administrative change was refused.
#[derive(Debug, Error)]
pub enum UserError {
    /// No such user.
    #[error("no user named {0:?}")]
    NotFound(String),
    /// The name is taken.
    #[error("a user with that name already exists")]
    Exists,
    /// A bad username or group name.
    #[error("invalid name: {0}")]
    BadName(#[from] NameError),
    /// A bad email address.
    #[error("invalid email address: it {0}")]
    BadEmail(#[source] FieldError),
    /// A bad display name.
    #[error("invalid display name: it {0}")]
    BadDisplayName(#[source] FieldError),
    /// The actor may not make this change (docs/security.md#admin-session-control).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The password breaks the policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A store failed.
    #[error(transparent)]
    Store(StoreError),
    /// Hashing failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Exists,
            other => Self::Store(other),
        }
    }
}

/// Fields for a new user.
#[derive(Debug)]
pub struct AddUser<'a> {
    pub username: &'a str,
    pub display_name: Option<&'a str>,
    pub email: &'a str,
    pub groups: &'a [String],
    pub password: SecretString,
    pub must_change_password: bool,
}

/// A user's editable fields as typed (the admin area's profile form).
#[derive(Debug)]
pub struct EditProfile<'a> {
    /// Empty: the username stands in.
    pub display_name: &'a str,
    /// Empty: no address.
    pub email: &'a str,
    pub groups: &'a [String],
}

/// Administrative use cases.
#[derive(Clone)]
pub struct UserAdmin {
    users: Arc<dyn UserStore>,
    sessions: Sessions,
    credentials: Credentials,
    throttle: Throttle,
    /// `admin.group`: members may use the admin area.
    admin_group: String,
}

impl UserAdmin {
    /// Administration over the stores.
    pub fn new(
        users: Arc<dyn UserStore>,
        sessions: Sessions,
        credentials: Credentials,
        throttle: Throttle,
        admin_group: String,
    ) -> Self {
        Self {
            users,
            sessions,
            credentials,
            throttle,
            admin_group,
        }
    }

    /// Whether `actor` may do `action` to `target` (`None`: no particular user): the one check
    /// every administrative change passes, here or in the service that makes it. An
    /// administrator is judged on their stored record now, not on their session's copy, which
    /// may be `session.user_refresh` old: taken out of the admin group elsewhere (the CLI,
    /// another instance), they can change nothing more at once.
    pub async fn permit(
        &self,
        actor: &Actor,
        target: Option<&User>,
        action: AdminAction<'_>,
    ) -> Result<(), UserError> {
        let current;
        let actor = match actor {
            Actor::Operator => actor,
            Actor::Admin { user, session } => {
                let stored = self.users.get(user.id).await?;
                let user = stored.filter(|u| !u.disabled).ok_or(Refusal::NotAdmin)?;
                current = Actor::Admin {
                    user: Arc::new(user),
                    session: session.clone(),
                };
                &current
            }
        };
        Ok(permit(actor, &self.admin_group, target, action)?)
    }

    /// Whether `user` belongs to the admin group.
    pub fn is_admin(&self, user: &User) -> bool {
        user.groups.contains(&self.admin_group)
    }

    /// The password rules and the one set-password path.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Finds a user by (case-insensitive) name.
    pub async fn find(&self, raw: &str) -> Result<User, UserError> {
        let name = Username::parse(raw)?;
        self.users
            .find_by_username(name.as_str())
            .await?
            .ok_or_else(|| UserError::NotFound(name.to_string()))
    }

    /// Creates a user. Every field is checked before anything is stored.
    pub async fn add(&self, new: AddUser<'_>, actor: &Actor, now: i64) -> Result<User, UserError> {
        self.permit(actor, None, AdminAction::Manage).await?;
        let name = Username::parse(new.username)?;
        let groups = normalize_groups(new.groups)?;
        let email = Email::parse_optional(new.email).map_err(UserError::BadEmail)?;
        let email = email.as_ref().map_or("", Email::as_str);
        let display_name = DisplayName::parse_optional(new.display_name.unwrap_or(""))
            .map_err(UserError::BadDisplayName)?;
        let display_name = display_name
            .as_ref()
            .map_or(name.as_str(), DisplayName::as_str);
        self.credentials.check_policy(
            &PolicyUser {
                username: name.as_str(),
                email,
                two_factor: false,
            },
            &new.password,
        )?;
        let hash = self.credentials.hasher().hash(&new.password).await?;
        let user = self
            .users
            .create(
                &NewUser {
                    username: name.to_string(),
                    display_name: display_name.to_owned(),
                    email: email.to_owned(),
                    groups,
                    password_hash: hash,
                    must_change_password: new.must_change_password,
                },
                now,
            )
            .await?;
        audit!(event::USER_CREATED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&actor.audit_name()), groups = ?user.groups);
        Ok(user)
    }

    /// Sets a new password through the one set-password path: every session and remembered
    /// device of the user ends, reset links are voided and the account's throttle is cleared.
    pub async fn set_password(
        &self,
        raw: &str,
        password: &SecretString,
        must_change: bool,
        actor: &Actor,
        now: i64,
    ) -> Result<usize, UserError> {
        let user = self.find(raw).await?;
        self.permit(actor, Some(&user), AdminAction::SetPassword)
            .await?;
        self.credentials
            .check_policy(&PolicyUser::of(&user), password)?;
        let ended = self
            .credentials
            .set_password(&user, password, must_change, SetBy::Operator, now)
            .await?;
        audit!(event::USER_PASSWORD_SET, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&actor.audit_name()), must_change, sessions_ended = ended);
        Ok(ended)
    }

    /// Lifts every sign-in ban of a user (wrong passwords and wrong codes): the remedy for an
    /// account locked by someone else's guessing. Returns the canonical name.
    pub async fn unlock(&self, raw: &str, actor: &Actor) -> Result<String, UserError> {
        let user = self.find(raw).await?;
        self.permit(actor, Some(&user), AdminAction::Enable).await?;
        self.throttle.unlock(&user).await?;
        audit!(event::USER_UNLOCKED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&actor.audit_name()));
        Ok(user.username)
    }

    /// Disables (and ends every session of) a user, or enables one.
    pub async fn set_disabled(
        &self,
        raw: &str,
        disabled: bool,
        actor: &Actor,
        now: i64,
    ) -> Result<usize, UserError> {
        let user = self.find(raw).await?;
        let action = if disabled {
            AdminAction::Disable
        } else {
            AdminAction::Enable
        };
        self.permit(actor, Some(&user), action).await?;
        self.users.set_disabled(user.id, disabled, now).await?;
        let ended = if disabled {
            self.sessions.end_all_for_user(user.id).await?
        } else {
            0
        };
        let ev = if disabled {
            event::USER_DISABLED
        } else {
            event::USER_ENABLED
        };
        audit!(ev, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&actor.audit_name()), sessions_ended = ended);
        Ok(ended)
    }

    /// Deletes a user and ends their sessions.
    pub async fn delete(&self, raw: &str, actor: &Actor) -> Result<usize, UserError> {
        let user = self.find(raw).await?;
        self.permit(actor, Some(&user), AdminAction::Delete).await?;
        let ended = self.sessions.end_all_for_user(user.id).await?;
        self.users.delete(user.id).await?;
        audit!(event::USER_DELETED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&actor.audit_name()), sessions_ended = ended);
        Ok(ended)
    }

    /// Replaces a user's groups.
    pub async fn set_groups(
        &self,
        raw: &str,
        groups: &[String],
        actor: &Actor,
        now: i64,
    ) -> Result<Vec<String>, UserError> {
        let user = self.find(raw).await?;
        self.permit(actor, Some(&user), AdminAction::SetGroups)
            .await?;
        let groups = normalize_groups(groups)?;
        self.users.set_groups(user.id, &groups, now).await?;
        self.sessions.forget_user(user.id).await?;
        audit!(event::USER_GROUPS_SET, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&actor.audit_name()), groups = ?groups);
        Ok(groups)
    }

    /// Saves the language `user` chose for themselves (a tag the caller checked against the
    /// configured languages): their mails are written in it from now on. Not an administrative
    /// change, so no actor and no audit event; the cached user is dropped so the next notice
    /// sees it.
    pub async fn set_language(&self, user: &User, tag: &str) -> Result<(), UserError> {
        self.users.set_language(user.id, tag).await?;
        self.sessions.forget_user(user.id).await?;
        Ok(())
    }

    /// Sets a user's display name, email address and groups. Every field is checked before
    /// anything is stored, through the same parsers as [`Self::add`]; a change of groups is
    /// also a [`AdminAction::SetGroups`], so an administrator cannot change their own (and so
    /// cannot leave the admin group). Sessions go on and see the new values at once on this
    /// instance (the cached user is dropped), elsewhere at once with Redis sessions (the change
    /// is announced) or within `session.user_refresh`. A new
    /// address voids outstanding reset links. Returns the updated user.
    pub async fn update_profile(
        &self,
        raw: &str,
        edit: EditProfile<'_>,
        actor: &Actor,
        now: i64,
    ) -> Result<User, UserError> {
        let user = self.find(raw).await?;
        self.permit(actor, Some(&user), AdminAction::EditProfile)
            .await?;
        let profile = checked_profile(&user, &edit)?;
        let mut old_groups = user.groups.clone();
        old_groups.sort();
        let groups_changed = profile.groups != old_groups;
        if groups_changed {
            self.permit(actor, Some(&user), AdminAction::SetGroups)
                .await?;
        }
        self.users.set_profile(user.id, &profile, now).await?;
        self.sessions.forget_user(user.id).await?;
        let changed: Vec<&str> = [
            (profile.display_name != user.display_name, "display_name"),
            (profile.email != user.email, "email"),
            (groups_changed, "groups"),
        ]
        .into_iter()
        .filter_map(|(c, name)| c.then_some(name))
        .collect();
        audit!(event::USER_UPDATED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&actor.audit_name()), changed = ?changed, groups = ?profile.groups);
        self.users
            .get(user.id)
            .await?
            .ok_or_else(|| UserError::NotFound(user.username.clone()))
    }

    /// All users by name.
    pub async fn list(&self) -> Result<Vec<User>, UserError> {
        Ok(self.users.list().await?)
    }

    /// Number of users.
    pub async fn count(&self) -> Result<u64, UserError> {
        Ok(self.users.count().await?)
    }
}

/// The fields of `edit` for `user` as the store keeps them, or why one is refused.
fn checked_profile(user: &User, edit: &EditProfile<'_>) -> Result<Profile, UserError> {
    let display_name =
        DisplayName::parse_optional(edit.display_name).map_err(UserError::BadDisplayName)?;
    let email = Email::parse_optional(edit.email).map_err(UserError::BadEmail)?;
    Ok(Profile {
        display_name: display_name
            .as_ref()
            .map_or(user.username.as_str(), DisplayName::as_str)
            .to_owned(),
        email: email.as_ref().map_or("", Email::as_str).to_owned(),
        groups: normalize_groups(edit.groups)?,
    })
}
