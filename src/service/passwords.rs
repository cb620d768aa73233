//! Password change, forgot/reset by mail (docs/security.md#reset-tokens, #password-change, issue 5).
//!
//! Change: the current password (and a code for two-factor users without a fresh step-up);
//! then every session ends, this browser gets a new one, remembered devices are forgotten and a
//! notice goes out. Reset: a request answers the same whatever the account (the work happens in
//! the background); the link is built from the configured portal URL only; the token is 256
//! bits, stored hashed, single use, voided by a newer request; completing it sets the password,
//! ends every session and does not sign anyone in. Two-factor stays as it is.

use std::sync::Arc;

use thiserror::Error;

use super::AuthError;
use super::credentials::{Credentials, PolicyUser, SetBy};
use super::sessions::{Opening, Resolved, Sessions};
use super::throttle::Throttle;
use super::two_factor::{Origin, TwoFactor};
use super::users::{Actor, AdminAction, UserAdmin, UserError};
use crate::audit;
use crate::audit::event;
use crate::domain::password::PolicyError;
use crate::domain::secret::{SecretString, random_token, sha256_hex};
use crate::domain::session::SessionId;
use crate::domain::throttle_key::ThrottleKey;
use crate::domain::user::{User, Username};
use crate::mail::{Mailer, Notice, Occasion};
use crate::store::{ResetStore, StoreError, UserStore};

/// Reset requests one client IP may make per window (docs/security.md#reset-rate-limits).
const RESETS_PER_IP: u32 = 5;
/// Window of the per-IP limit, seconds.
const RESET_IP_WINDOW: u64 = 600;
/// Reset mails one account may receive per hour (docs/security.md#reset-rate-limits).
const RESET_MAILS_PER_ACCOUNT: u32 = 3;

/// Why a new password was not set. The text of each is safe to show on the page.
#[derive(Debug, Error)]
pub enum PasswordError {
    /// The two new passwords differ.
    #[error("The two new passwords are not the same.")]
    Mismatch,
    /// The new password breaks the policy.
    #[error("{0}")]
    Policy(#[from] PolicyError),
    /// The reset link is unknown, used or expired.
    #[error("This link is invalid or has expired. Ask for a new one.")]
    BadLink,
    /// A credential check failed (wrong current password or code, throttled, store down).
    #[error("{0}")]
    Auth(#[from] AuthError),
}

impl From<StoreError> for PasswordError {
    fn from(e: StoreError) -> Self {
        Self::Auth(AuthError::Store(e))
    }
}

/// A password change as typed.
#[derive(Debug)]
pub struct Change<'a> {
    pub current: SecretString,
    pub new: SecretString,
    pub confirm: SecretString,
    /// A TOTP or recovery code (needed for two-factor users without a fresh step-up).
    pub code: &'a str,
}

/// The password use cases.
#[derive(Clone)]
pub struct Passwords {
    users: Arc<dyn UserStore>,
    resets: Arc<dyn ResetStore>,
    sessions: Sessions,
    credentials: Credentials,
    throttle: Throttle,
    admin: UserAdmin,
    two_factor: TwoFactor,
    mailer: Mailer,
    reset_ttl: i64,
    invitation_ttl: i64,
    /// `<portal>/reset`, from configuration only (docs/security.md#reset-link-origin).
    reset_url: String,
}

/// What the password service is built from.
pub struct PasswordsParts {
    pub users: Arc<dyn UserStore>,
    pub resets: Arc<dyn ResetStore>,
    pub sessions: Sessions,
    pub throttle: Throttle,
    /// Also lends its credentials service (the one set-password path).
    pub admin: UserAdmin,
    pub two_factor: TwoFactor,
    pub mailer: Mailer,
    /// `password.reset_token_ttl`, seconds.
    pub reset_ttl: i64,
    /// `password.invitation_ttl`, seconds.
    pub invitation_ttl: i64,
    /// `<portal>/reset`, from configuration only.
    pub reset_url: String,
}

impl Passwords {
    /// The service over its stores and helpers.
    pub fn new(p: PasswordsParts) -> Self {
        Self {
            users: p.users,
            resets: p.resets,
            sessions: p.sessions,
            credentials: p.admin.credentials().clone(),
            throttle: p.throttle,
            admin: p.admin,
            two_factor: p.two_factor,
            mailer: p.mailer,
            reset_ttl: p.reset_ttl,
            invitation_ttl: p.invitation_ttl,
            reset_url: p.reset_url,
        }
    }

    fn check_new(
        &self,
        user: &User,
        new: &SecretString,
        confirm: &SecretString,
    ) -> Result<(), PasswordError> {
        if new.expose() != confirm.expose() {
            return Err(PasswordError::Mismatch);
        }
        Ok(self.credentials.check_policy(&PolicyUser::of(user), new)?)
    }

    /// Sets a new password through the one set-password path (`Credentials::set_password`).
    async fn set(&self, user: &User, new: &SecretString, now: i64) -> Result<usize, PasswordError> {
        Ok(self
            .credentials
            .set_password(user, new, false, SetBy::Owner, now)
            .await?)
    }

    /// Changes the signed-in user's password. `fresh` says whether the session proved its
    /// factors within the step-up window. Returns the new session id for this browser.
    /// Whether a change may skip the current password: only a forced change (a temporary
    /// password, which the user has just typed) within the step-up window.
    pub fn current_proven(user: &User, fresh: bool) -> bool {
        user.must_change_password && fresh
    }

    pub async fn change(
        &self,
        current: &Resolved,
        req: Change<'_>,
        fresh: bool,
        origin: Origin<'_>,
        now: i64,
    ) -> Result<SessionId, PasswordError> {
        let user = &current.user;
        self.check_new(user, &req.new, &req.confirm)?;
        // A forced change just after signing in with the temporary password does not ask for
        // it again: that fresh password entry is the proof (docs/security.md#password-change).
        if !Self::current_proven(user, fresh) {
            self.two_factor
                .check_password(user, &req.current, now, origin)
                .await?;
        }
        if user.totp_enabled && !fresh {
            self.two_factor
                .check_code(user, req.code, now, origin)
                .await?;
        }
        let ended = self.set(user, &req.new, now).await?;
        // The user now has a new session epoch; this browser continues in a new session.
        let updated = self
            .users
            .get(user.id)
            .await?
            .ok_or(PasswordError::Auth(AuthError::InvalidCredentials))?;
        let (id, _) = self
            .sessions
            .start(
                &updated,
                current.session.level,
                Opening {
                    ip: &origin.ip.to_string(),
                    user_agent: origin.user_agent,
                    remember: current.session.remember,
                    scope: current.session.cookie_scope.as_deref(),
                },
                now,
            )
            .await?;
        audit!(event::PASSWORD_CHANGED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, forced = user.must_change_password, sessions_ended = ended);
        self.mailer
            .notify(&updated, Notice::PasswordChanged, origin.occasion(now));
        Ok(id)
    }

    /// Whether this client may ask for another reset now (docs/security.md#reset-rate-limits). Depends only on the
    /// client, so the answer reveals nothing about accounts.
    pub async fn may_request(&self, origin: Origin<'_>, now: i64) -> Result<bool, AuthError> {
        let n = self
            .throttle
            .count(
                &ThrottleKey::ResetIp(self.throttle.client_net(origin.ip)),
                now,
                RESET_IP_WINDOW,
            )
            .await?;
        Ok(n <= RESETS_PER_IP)
    }

    /// Handles "forgot password" for a username or email address, in the background: the
    /// caller answers the same page at once whatever happens here (docs/security.md#reset-no-enumeration).
    pub fn request_reset(&self, who: &str, origin: Origin<'_>, now: i64) {
        let this = self.clone();
        let who: String = who.trim().chars().take(256).collect();
        let ip = origin.ip;
        tokio::spawn(async move {
            if let Err(e) = this.send_reset(&who, ip, now).await {
                tracing::error!(error = %e, "password reset request failed");
            }
        });
    }

    async fn send_reset(&self, who: &str, ip: std::net::IpAddr, now: i64) -> Result<(), AuthError> {
        let user = if who.contains('@') {
            self.users.find_by_email(who).await?
        } else {
            match Username::parse(who) {
                Ok(name) => self.users.find_by_username(name.as_str()).await?,
                Err(_) => None,
            }
        };
        let Some(user) = user.filter(|u| !u.disabled) else {
            audit!(event::RESET_REQUESTED, user = %crate::audit::Clean(who), ip = %ip, outcome = "no_account");
            return Ok(());
        };
        let sent = self
            .throttle
            .count(&ThrottleKey::ResetMail(user.id), now, 3600)
            .await?;
        if sent > RESET_MAILS_PER_ACCOUNT {
            audit!(event::RESET_REQUESTED, user = %crate::audit::Clean(&user.username), ip = %ip, outcome = "rate_limited");
            return Ok(());
        }
        let token = random_token(32);
        self.resets
            .issue_reset(
                user.id,
                &sha256_hex(token.as_bytes()),
                now,
                now + self.reset_ttl,
            )
            .await?;
        let link = format!("{}?token={token}", self.reset_url);
        audit!(event::RESET_REQUESTED, user = %crate::audit::Clean(&user.username), ip = %ip, outcome = "mailed");
        self.mailer
            .send(
                &user,
                Notice::PasswordReset {
                    link,
                    valid_for: crate::i18n::span(self.reset_ttl),
                },
                Occasion::at(now),
            )
            .await;
        Ok(())
    }

    /// An administrator's "mail a reset link": issues a token for `user` and waits for the mail
    /// (docs/security.md#admin-reset). The administrator never sees the link. Independent of
    /// `password.forgot_password_enabled` and of the per-account mail limit (the admin area
    /// already needs a fresh step-up); the caller offers it only when a notifier is configured.
    /// A newer link voids the older ones; the password and sessions stay as they are until the
    /// link is used, which then ends every session.
    pub async fn admin_reset_link(
        &self,
        user: &User,
        actor: &Actor,
        now: i64,
    ) -> Result<(), UserError> {
        let valid_for = crate::i18n::span(self.reset_ttl);
        self.mail_link(user, actor, now, self.reset_ttl, |link| {
            Notice::PasswordReset { link, valid_for }
        })
        .await
    }

    /// An administrator's invitation for a user they just created: a single-use link to choose
    /// the first password, valid `password.invitation_ttl` (docs/security.md#admin-reset).
    /// The account's own password is a random one nobody saw.
    pub async fn invite(&self, user: &User, actor: &Actor, now: i64) -> Result<(), UserError> {
        let valid_for = crate::i18n::span(self.invitation_ttl);
        self.mail_link(user, actor, now, self.invitation_ttl, |link| {
            Notice::Invitation { link, valid_for }
        })
        .await
    }

    /// Issues a reset token for `user` valid `ttl` seconds and waits for the mail built by
    /// `notice` around its link; audited with the actor. A newer link voids the older ones.
    async fn mail_link(
        &self,
        user: &User,
        actor: &Actor,
        now: i64,
        ttl: i64,
        notice: impl FnOnce(String) -> Notice,
    ) -> Result<(), UserError> {
        self.admin
            .permit(actor, Some(user), AdminAction::SetPassword)
            .await?;
        let token = random_token(32);
        self.resets
            .issue_reset(user.id, &sha256_hex(token.as_bytes()), now, now + ttl)
            .await?;
        let link = format!("{}?token={token}", self.reset_url);
        audit!(event::RESET_REQUESTED, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(&actor.audit_name()), outcome = "mailed");
        self.mailer
            .send(user, notice(link), Occasion::at(now))
            .await;
        Ok(())
    }

    /// An administrator's "temporary password": a random password that passes the policy is
    /// set (ending every session and remembered device, voiding reset links), the user gets a
    /// notice, and the password is returned to be shown once (never logged, docs/security.md#admin-reset).
    pub async fn admin_temporary_password(
        &self,
        user: &User,
        must_change: bool,
        actor: &Actor,
        now: i64,
    ) -> Result<SecretString, UserError> {
        let password = self.credentials.temporary_password();
        self.admin
            .set_password(&user.username, &password, must_change, actor, now)
            .await?;
        self.mailer
            .notify(user, Notice::PasswordSetByAdmin, Occasion::at(now));
        Ok(password)
    }

    /// The user a reset link is for, without using the link up (mail scanners prefetch links).
    pub async fn reset_target(&self, token: &str, now: i64) -> Result<User, PasswordError> {
        if token.len() != 43 {
            return Err(PasswordError::BadLink);
        }
        let id = self
            .resets
            .reset_user(&sha256_hex(token.as_bytes()), now)
            .await?
            .ok_or(PasswordError::BadLink)?;
        self.users
            .get(id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(PasswordError::BadLink)
    }

    /// Completes a reset: the token alone decides the account (docs/security.md#reset-token-decides). Every session
    /// ends; nobody is signed in; two-factor stays on.
    pub async fn complete_reset(
        &self,
        token: &str,
        new: &SecretString,
        confirm: &SecretString,
        origin: Origin<'_>,
        now: i64,
    ) -> Result<(), PasswordError> {
        let user = self.reset_target(token, now).await?;
        self.check_new(&user, new, confirm)?;
        if self
            .resets
            .consume_reset(&sha256_hex(token.as_bytes()), now)
            .await?
            != Some(user.id)
        {
            return Err(PasswordError::BadLink);
        }
        let ended = self.set(&user, new, now).await?;
        audit!(event::PASSWORD_RESET, user = %crate::audit::Clean(&user.username), ip = %origin.ip, sessions_ended = ended);
        self.mailer
            .notify(&user, Notice::PasswordChanged, origin.occasion(now));
        Ok(())
    }
}
