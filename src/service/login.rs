//! The password step of login: throttle, verify, start a session (SECURITY §1.2).
//!
//! Every failure (unknown user, wrong password, disabled account) is one `InvalidCredentials`
//! and costs one argon2 verification; the reason goes only to the audit log. Attempts are
//! counted per account (case-folded name, known or not) and per trusted client IP before
//! the password is checked, so concurrent guesses cannot exceed the limits.

use std::net::IpAddr;
use std::sync::Arc;

use super::hasher::Hasher;
use super::sessions::Sessions;
use super::{AuthError, now};
use crate::audit;
use crate::audit::event;
use crate::config::ThrottleConfig;
use crate::domain::secret::SecretString;
use crate::domain::session::{AuthLevel, Session, SessionId};
use crate::domain::throttle::{Admission, ThrottlePolicy};
use crate::domain::user::{User, Username};
use crate::store::{ThrottleStore, UserStore};

/// One login attempt as the web layer parsed it.
#[derive(Debug)]
pub struct LoginRequest<'a> {
    /// The username as typed.
    pub username: &'a str,
    /// The password as typed.
    pub password: SecretString,
    /// Trusted client IP.
    pub ip: IpAddr,
    /// User agent.
    pub user_agent: &'a str,
}

/// A successful login.
#[derive(Debug)]
pub struct LoginSuccess {
    /// The new session id (for the cookie).
    pub id: SessionId,
    /// The new session.
    pub session: Session,
    /// The user.
    pub user: User,
}

/// The password step.
#[derive(Clone)]
pub struct Login {
    users: Arc<dyn UserStore>,
    throttle: Arc<dyn ThrottleStore>,
    limits: ThrottleConfig,
    hasher: Hasher,
    sessions: Sessions,
}

impl Login {
    /// The login use case.
    pub fn new(
        users: Arc<dyn UserStore>,
        throttle: Arc<dyn ThrottleStore>,
        limits: ThrottleConfig,
        hasher: Hasher,
        sessions: Sessions,
    ) -> Self {
        Self {
            users,
            throttle,
            limits,
            hasher,
            sessions,
        }
    }

    /// Checks a username and password and starts a one-factor session.
    pub async fn login(&self, req: LoginRequest<'_>) -> Result<LoginSuccess, AuthError> {
        let now = now();
        let account_key = Username::throttle_key(req.username);
        let ip_key = format!("ip:{}", req.ip);
        let ip_n = self.admit(&ip_key, &self.limits.ip, now, &req).await?;
        let account_n = match self
            .admit(&account_key, &self.limits.account, now, &req)
            .await
        {
            Ok(n) => n,
            Err(e) => {
                // Not evaluated, so it must not count against the IP either.
                self.throttle.forgive_one(&ip_key).await?;
                return Err(e);
            }
        };

        let user = match Username::parse(req.username) {
            Ok(name) => self.users.find_by_username(name.as_str()).await?,
            Err(_) => None,
        };
        let password_ok = self
            .hasher
            .verify(
                &req.password,
                user.as_ref().map(|u| u.password_hash.as_str()),
            )
            .await?;
        let user = match user {
            Some(u) if password_ok && !u.disabled => u,
            other => {
                let reason = match other {
                    None => "unknown_user",
                    Some(u) if u.disabled => "disabled",
                    Some(_) => "bad_password",
                };
                self.record_failure(&ip_key, ip_n, &self.limits.ip, now)
                    .await?;
                self.record_failure(&account_key, account_n, &self.limits.account, now)
                    .await?;
                audit!(event::LOGIN_FAILURE, user = %crate::audit::Clean(req.username), ip = %req.ip, reason, attempt = account_n, factor = "password");
                return Err(AuthError::InvalidCredentials);
            }
        };

        self.throttle.clear(&account_key).await?;
        self.throttle.forgive_one(&ip_key).await?;
        let user = self.upgrade_hash(user, &req.password, now).await?;
        let (id, session) = self
            .sessions
            .start(
                &user,
                AuthLevel::OneFactor,
                &req.ip.to_string(),
                req.user_agent,
                now,
            )
            .await?;
        audit!(event::LOGIN_SUCCESS, user = %crate::audit::Clean(&user.username), ip = %req.ip, user_agent = %crate::audit::Clean(req.user_agent), factor = "password", session = id.key().short());
        Ok(LoginSuccess { id, session, user })
    }

    async fn admit(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
        now: i64,
        req: &LoginRequest<'_>,
    ) -> Result<u32, AuthError> {
        let keep = u64::try_from(policy.forget_after).unwrap_or(u64::MAX);
        match self.throttle.admit(key, now, keep).await? {
            Admission::Admitted { n } => Ok(n),
            Admission::Refused { until } => {
                audit!(event::LOGIN_THROTTLED, user = %crate::audit::Clean(req.username), ip = %req.ip, key = ?key.split(':').next().unwrap_or(""), retry_after = until - now);
                Err(AuthError::Throttled { until })
            }
        }
    }

    async fn record_failure(
        &self,
        key: &str,
        n: u32,
        policy: &ThrottlePolicy,
        now: i64,
    ) -> Result<(), AuthError> {
        if let Some(until) = policy.ban_after_failure(n, now) {
            self.throttle
                .ban(key, until, policy.keep_until(now, until))
                .await?;
        }
        Ok(())
    }

    /// Recomputes a hash made with weaker parameters than configured (SECURITY 8). Not a
    /// credential change, so sessions stay valid.
    async fn upgrade_hash(
        &self,
        user: User,
        password: &SecretString,
        now: i64,
    ) -> Result<User, AuthError> {
        if !self.hasher.needs_rehash(&user.password_hash) {
            return Ok(user);
        }
        let hash = self.hasher.hash(password).await?;
        self.users
            .rehash_password(user.id, &user.password_hash, &hash, now)
            .await?;
        audit!(event::PASSWORD_REHASHED, user = %crate::audit::Clean(&user.username));
        Ok(User {
            password_hash: hash,
            ..user
        })
    }
}
