//! The password step of login: throttle, verify, start a session or a pending second-factor
//! login (docs/security.md#login-throttle, #session-rotation).
//!
//! Every failure (unknown user, wrong password, disabled account) is one `InvalidCredentials`
//! and costs one argon2 verification; the reason goes only to the audit log. Attempts are
//! admitted per account (case-folded name, known or not) and per trusted client network
//! before the password is checked, so concurrent guesses cannot exceed the limits, and
//! settled after: an attempt that was never evaluated leaves no trace. An admitted attempt
//! then waits for a hashing permit, and only with one is the account looked up.

use std::net::IpAddr;
use std::sync::Arc;

use super::AuthError;
use super::devices::Devices;
use super::hasher::Hasher;
use super::sessions::{Opening, Sessions};
use super::throttle::{Attempt, Throttle};
use crate::audit;
use crate::audit::event;
use crate::domain::secret::SecretString;
use crate::domain::session::{AuthLevel, Session, SessionId};
use crate::domain::user::{User, Username};
use crate::metrics::{Meter, SignIn};
use crate::store::UserStore;

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
    /// The remembered-device cookie, if the browser sent one.
    pub device: Option<&'a str>,
    /// "Keep me signed in" was ticked (honoured only when `session.remember_me` is on).
    pub remember: bool,
    /// The cookie scope the session cookie will be issued for (bound in its first write).
    pub scope: &'a str,
    /// The time the request arrived (Unix seconds).
    pub now: i64,
}

/// A successful password step.
#[derive(Debug)]
pub struct LoginSuccess {
    /// The new id: a session, or a pending second-factor login when `pending`.
    pub id: SessionId,
    /// The new record.
    pub session: Session,
    /// The user.
    pub user: User,
}

impl LoginSuccess {
    /// The password was right and a code is still due (the id is a pending login).
    pub fn pending(&self) -> bool {
        self.session.level == AuthLevel::Pending
    }
}

/// The password step.
#[derive(Clone)]
pub struct Login {
    users: Arc<dyn UserStore>,
    throttle: Throttle,
    hasher: Hasher,
    sessions: Sessions,
    devices: Devices,
    meter: Meter,
}

impl Login {
    /// The login use case.
    pub fn new(
        users: Arc<dyn UserStore>,
        throttle: Throttle,
        hasher: Hasher,
        sessions: Sessions,
        devices: Devices,
    ) -> Self {
        Self {
            users,
            throttle,
            hasher,
            sessions,
            devices,
            meter: Meter::off(),
        }
    }

    /// The same use case counting its outcomes into `meter`.
    pub fn metered(self, meter: Meter) -> Self {
        Self { meter, ..self }
    }

    /// Counts `runtime` among the runtimes that serve requests, which password hashing yields
    /// to (the pool is shared by every use case).
    pub fn watch_runtime(&self, runtime: tokio::runtime::Handle) {
        self.hasher.watch_runtime(runtime);
    }

    /// Password-hashing jobs waiting for a permit (the pool is shared by every use case).
    pub fn hash_queue_depth(&self) -> usize {
        self.hasher.queued()
    }

    /// Checks a username and password. Without two-factor, a one-factor session starts; with
    /// it, a pending login that only the code step accepts, unless this browser is a
    /// remembered device of the user, which stands in for the code.
    pub async fn login(&self, req: LoginRequest<'_>) -> Result<LoginSuccess, AuthError> {
        let result = self.check(req).await;
        self.meter.sign_in(match &result {
            Ok(done) if done.pending() => SignIn::SecondFactor,
            Ok(_) => SignIn::Success,
            Err(AuthError::InvalidCredentials) => SignIn::Failed,
            Err(AuthError::Throttled { .. } | AuthError::Busy) => SignIn::Refused,
            Err(_) => SignIn::Error,
        });
        result
    }

    async fn check(&self, req: LoginRequest<'_>) -> Result<LoginSuccess, AuthError> {
        let now = req.now;
        // Account and client in one step: refused by either, counted by neither.
        let (account_attempt, client) =
            self.throttle.admit_login(req.username, now, req.ip).await?;
        // The hashing permit before the account: most of a login storm is refused as busy,
        // and those attempts then cost no query on the store (bench/storm.md).
        let reserved = match self
            .hasher
            .reserve(super::hash_pool::Claimant::new(req.ip, req.username))
            .await
        {
            Ok(reserved) => reserved,
            Err(e) => return self.unevaluated(&client, &account_attempt, e).await,
        };
        let user = match Username::parse(req.username) {
            Ok(name) => self.users.find_by_username(name.as_str()).await,
            Err(_) => Ok(None),
        };
        let user = match user {
            Ok(user) => user,
            Err(e) => {
                drop(reserved);
                return self.unevaluated(&client, &account_attempt, e.into()).await;
            }
        };
        let password_ok = reserved
            .verify(
                &req.password,
                user.as_ref().map(|u| u.password_hash.as_str()),
            )
            .await;
        let password_ok = match password_ok {
            Ok(ok) => ok,
            Err(e) => return self.unevaluated(&client, &account_attempt, e).await,
        };
        let user = match user {
            Some(u) if password_ok && !u.disabled && !u.temporary_password_expired(now) => u,
            other => {
                let reason = match other {
                    None => "unknown_user",
                    Some(u) if u.disabled => "disabled",
                    Some(u) if password_ok && u.temporary_password_expired(now) => {
                        "temporary_password_expired"
                    }
                    Some(_) => "bad_password",
                };
                let mut settled = vec![account_attempt];
                settled.extend(client);
                let failures = self.throttle.failed_all(&settled, now).await?;
                let attempt = failures.first().copied().unwrap_or(0);
                audit!(event::LOGIN_FAILURE, user = %crate::audit::Clean(req.username), ip = %req.ip, reason, attempt, factor = "password");
                return Err(AuthError::InvalidCredentials);
            }
        };

        // A right password clears the password counter only: wrong codes keep their own
        // counter (`Throttle::admit_code`), which only a right code clears.
        self.throttle.succeeded(&account_attempt).await?;
        self.throttle.release_all(&client).await?;
        let user = self.upgrade_hash(user, &req.password, now).await?;
        let ip = req.ip.to_string();
        if user.has_second_factor() && !self.devices.recognise(&user, req.device, now).await? {
            let (id, session) = self
                .sessions
                .start_pending(&user, &ip, req.user_agent, now, req.remember)
                .await?;
            audit!(event::LOGIN_PASSWORD_OK, user = %crate::audit::Clean(&user.username), ip = %req.ip, next = "code");
            return Ok(LoginSuccess { id, session, user });
        }
        let (level, factor) = if user.has_second_factor() {
            (AuthLevel::TwoFactor, "password+remembered_device")
        } else {
            (AuthLevel::OneFactor, "password")
        };
        let (id, session) = self
            .sessions
            .start(
                &user,
                level,
                Opening {
                    ip: &ip,
                    user_agent: req.user_agent,
                    remember: req.remember,
                    scope: Some(req.scope),
                },
                now,
            )
            .await?;
        audit!(event::LOGIN_SUCCESS, user = %crate::audit::Clean(&user.username), ip = %req.ip, user_agent = %crate::audit::Clean(req.user_agent), factor, session = id.key().short());
        Ok(LoginSuccess { id, session, user })
    }

    /// A full hashing pool or a store error: the password was never checked, so the attempt
    /// leaves no trace (bans follow evaluated failures only).
    async fn unevaluated(
        &self,
        client: &[Attempt],
        account: &Attempt,
        e: AuthError,
    ) -> Result<LoginSuccess, AuthError> {
        self.throttle.release_all(client).await?;
        self.throttle.release(account).await?;
        Err(e)
    }

    /// Recomputes a hash made with weaker parameters than configured (docs/security.md#hash-upgrade). Not a
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
