//! Two-factor authentication (docs/security.md#totp, issue 4): enrolment, the code step of login,
//! recovery codes, turning it off, and the administrator's reset.
//!
//! A code is either a TOTP (six digits) or a recovery code. Every code attempt is admitted
//! against the account's own code counter and the client's network before it is checked
//! (docs/security.md): wrong codes ban like wrong passwords, and only a right code clears the
//! counter, so starting a new pending login with a known password buys no fresh guesses. A TOTP step
//! is claimed with one conditional write in the shared database, so the same code cannot pass
//! twice, not from a second session, not from another instance, not under a race (docs/security.md#totp-replay).

mod codes;

use crate::domain::user::UserId;
use std::net::IpAddr;
use std::sync::Arc;

use super::AuthError;
use super::devices::Devices;
use super::hasher::Hasher;
use super::passkeys::Passkeys;
use super::sessions::{Opening, Resolved, Sessions};
use super::throttle::Throttle;
use crate::audit;
use crate::audit::event;
use crate::domain::device::IssuedDevice;
use crate::domain::recovery::{self, RecoveryCode};
use crate::domain::secret::SecretString;
use crate::domain::secretbox::SecretBox;
use crate::domain::session::{AuthLevel, PENDING_TTL, SessionId};
use crate::domain::throttle_key::ThrottleKey;
use crate::domain::totp::{self, TotpSecret};
use crate::domain::user::User;
use crate::mail::{Mailer, Notice, Occasion};
use crate::metrics::{Meter, TwoFactor as TwoFactorOutcome};
use crate::store::SecondFactorStore;

/// Wrong codes allowed per pending login before the password step starts over (docs/security.md#second-factor-throttle).
pub const MAX_CODES_PER_LOGIN: u32 = 5;

/// What an enrolment shows once: the secret as text and as an `otpauth://` URI.
#[derive(Debug)]
pub struct Enrollment {
    /// Base32 secret.
    pub secret: SecretString,
    /// The Key Uri Format URI (what the QR code holds).
    pub uri: SecretString,
}

/// Which kind of code passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// A TOTP from the authenticator app.
    Totp,
    /// A recovery code (now spent).
    Recovery,
    /// A passkey's assertion, the person verified.
    Passkey,
}

/// What a second step presents: a code typed, or a passkey's answer to a challenge.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    /// A TOTP or recovery code.
    Code(&'a str),
    /// A passkey's assertion (JSON) for the ceremony `ceremony`.
    Passkey {
        ceremony: &'a str,
        response: &'a str,
    },
}

/// A finished code step: the new session, and the device cookie when one was remembered.
#[derive(Debug)]
pub struct CodeStepDone {
    /// New session id (the pending or one-factor id is revoked).
    pub id: SessionId,
    /// The remembered-device cookie value, when asked for and enabled.
    pub device: Option<IssuedDevice>,
}

/// Where a code attempt comes from, for throttling and audit.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// Trusted client IP.
    pub ip: IpAddr,
    /// User agent.
    pub user_agent: &'a str,
}

impl Origin<'_> {
    /// A notice's "when and from where" for a change this person made at `now`.
    pub fn occasion(&self, now: i64) -> Occasion {
        Occasion {
            at: now,
            from: Some((
                crate::service::devices::label(self.user_agent),
                self.ip.to_string(),
            )),
        }
    }
}

/// The two-factor use cases.
#[derive(Clone)]
pub struct TwoFactor {
    factors: Arc<dyn SecondFactorStore>,
    passkeys: Passkeys,
    sealer: Arc<SecretBox>,
    sessions: Sessions,
    devices: Devices,
    hasher: Hasher,
    throttle: Throttle,
    mailer: Mailer,
    issuer: String,
    /// Whether `two_factor.methods` allows authenticator apps.
    totp: bool,
    meter: Meter,
}

/// What the two-factor service is built from.
pub struct TwoFactorParts {
    pub factors: Arc<dyn SecondFactorStore>,
    /// Passkey assertions, a second factor like a code.
    pub passkeys: Passkeys,
    /// Seals TOTP secrets at rest.
    pub sealer: Arc<SecretBox>,
    pub sessions: Sessions,
    pub devices: Devices,
    pub hasher: Hasher,
    pub throttle: Throttle,
    pub mailer: Mailer,
    /// The issuer name authenticator apps show.
    pub issuer: String,
    /// Whether codes from an authenticator app may be set up and accepted; without them
    /// only recovery codes (and passkeys) are a second factor.
    pub totp: bool,
}

impl TwoFactor {
    /// The service over its stores and helpers.
    pub fn new(p: TwoFactorParts) -> Self {
        Self {
            factors: p.factors,
            passkeys: p.passkeys,
            sealer: p.sealer,
            sessions: p.sessions,
            devices: p.devices,
            hasher: p.hasher,
            throttle: p.throttle,
            mailer: p.mailer,
            issuer: p.issuer,
            totp: p.totp,
            meter: Meter::off(),
        }
    }

    /// The same service counting code-step outcomes into `meter`.
    pub fn metered(self, meter: Meter) -> Self {
        Self { meter, ..self }
    }

    /// Whether authenticator apps may be set up and their codes are accepted.
    pub fn totp_offered(&self) -> bool {
        self.totp
    }

    /// The remembered-device service.
    pub fn devices(&self) -> &Devices {
        &self.devices
    }

    /// Unused recovery codes of the user.
    pub async fn codes_left(&self, user_id: UserId) -> Result<u64, AuthError> {
        Ok(self.factors.recovery_codes_left(user_id).await?)
    }

    fn open(&self, sealed: &str, user_id: UserId) -> Result<TotpSecret, AuthError> {
        let bytes = self
            .sealer
            .open(sealed, user_id)
            .map_err(|e| AuthError::Crypto(e.into()))?;
        TotpSecret::from_bytes(&bytes).map_err(|e| AuthError::Crypto(e.into()))
    }

    fn show(&self, user: &User, secret: &TotpSecret) -> Result<Enrollment, AuthError> {
        let uri = totp::otpauth_uri(secret, &self.issuer, &user.username)
            .map_err(|e| AuthError::Crypto(e.into()))?;
        Ok(Enrollment {
            secret: SecretString::new(secret.to_base32()),
            uri: SecretString::new(uri),
        })
    }

    /// Starts (or restarts) enrolment: a new secret is stored sealed as pending and shown.
    /// Nothing changes for login until [`TwoFactor::confirm_enrollment`].
    pub async fn begin_enrollment(&self, user: &User) -> Result<Enrollment, AuthError> {
        if !self.totp {
            return Err(AuthError::NotOffered);
        }
        let secret = TotpSecret::generate();
        let sealed = self
            .sealer
            .seal(secret.as_bytes(), user.id)
            .map_err(|e| AuthError::Crypto(e.into()))?;
        self.factors
            .set_totp_pending(user.id, Some(&sealed))
            .await?;
        self.show(user, &secret)
    }

    /// The enrolment in progress, to show again after a wrong confirmation code.
    pub async fn pending_enrollment(&self, user: &User) -> Result<Option<Enrollment>, AuthError> {
        match self.factors.totp(user.id).await?.pending {
            Some(sealed) => Ok(Some(self.show(user, &self.open(&sealed, user.id)?)?)),
            None => Ok(None),
        }
    }

    /// Confirms enrolment with a code from the new secret: two-factor turns on, the recovery
    /// codes are returned (to show once), the current session is rotated to two-factor, the
    /// others end (docs/security.md#session-list), and a notice is sent.
    pub async fn confirm_enrollment(
        &self,
        current: &Resolved,
        code: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<(SessionId, Vec<RecoveryCode>), AuthError> {
        let user = &current.user;
        if !self.totp {
            return Err(AuthError::NotOffered);
        }
        let attempts = self.throttle.admit_code(user, now, origin.ip).await?;
        let step = match self.check_enrollment_code(user, code, now).await {
            Ok(Some(step)) => step,
            Ok(None) => {
                let n = self.code_failed(&attempts, now).await?;
                audit!(event::TOTP_FAILURE, user = %crate::audit::Clean(&user.username), ip = %origin.ip, during = "enrollment", attempt = n);
                return Err(AuthError::InvalidCode);
            }
            Err(e) => {
                self.throttle.release_all(&attempts).await?;
                return Err(e);
            }
        };
        let codes = recovery::generate();
        let hashes: Vec<String> = codes.iter().map(RecoveryCode::hash).collect();
        if !self.factors.activate_totp(user.id, &hashes).await? {
            self.throttle.release_all(&attempts).await?;
            return Err(AuthError::InvalidCode);
        }
        // The confirming code is spent too.
        self.factors
            .claim_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX))
            .await?;
        self.code_succeeded(&attempts).await?;
        self.sessions.forget_user(user.id).await?;
        let (id, _) = self
            .sessions
            .rotate(current, AuthLevel::TwoFactor, now)
            .await?;
        let others = self.end_other_sessions(user.id, &id, now).await?;
        audit!(event::TOTP_ENABLED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, other_sessions_ended = others);
        self.mailer
            .notify(user, Notice::TwoFactorEnabled, origin.occasion(now));
        Ok((id, codes))
    }

    async fn end_other_sessions(
        &self,
        user_id: UserId,
        keep: &SessionId,
        now: i64,
    ) -> Result<usize, AuthError> {
        let keep = keep.key();
        let mut ended = 0;
        for (key, _) in self.sessions.list_for_user(user_id, now).await? {
            if key != keep && self.sessions.end(&key).await? {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// The code step of login (or the step-up of a one-factor session at a two-factor rule):
    /// at most [`MAX_CODES_PER_LOGIN`] wrong codes, then [`AuthError::Restart`]. On success the
    /// pending id is revoked and a two-factor session starts; the browser is remembered when
    /// asked.
    pub async fn complete_login(
        &self,
        pending: &Resolved,
        proof: Proof<'_>,
        remember: bool,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<CodeStepDone, AuthError> {
        let result = self.code_step(pending, proof, remember, now, origin).await;
        self.meter.two_factor(match &result {
            Ok(_) => TwoFactorOutcome::Success,
            Err(AuthError::InvalidCode | AuthError::Restart) => TwoFactorOutcome::Failed,
            Err(AuthError::Throttled { .. } | AuthError::Busy) => TwoFactorOutcome::Refused,
            Err(_) => TwoFactorOutcome::Error,
        });
        result
    }

    async fn code_step(
        &self,
        pending: &Resolved,
        proof: Proof<'_>,
        remember: bool,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<CodeStepDone, AuthError> {
        let per_login_key = ThrottleKey::PendingLogin(pending.key.as_str().to_owned());
        let keep = u64::try_from(PENDING_TTL).unwrap_or(300);
        let n = self.throttle.count(&per_login_key, now, keep).await?;
        if n > MAX_CODES_PER_LOGIN {
            self.restart(pending).await?;
            return Err(AuthError::Restart);
        }
        let checked = match proof {
            Proof::Code(input) => self.check_code(&pending.user, input, now, origin).await,
            Proof::Passkey { ceremony, response } => {
                self.check_passkey(pending, ceremony, response, now, origin)
                    .await
            }
        };
        match checked {
            Ok(kind) => {
                self.throttle.clear(&per_login_key).await?;
                let level = match kind {
                    CodeKind::Passkey => AuthLevel::Passkey,
                    CodeKind::Totp | CodeKind::Recovery => AuthLevel::TwoFactor,
                };
                let (id, _) = self.sessions.rotate(pending, level, now).await?;
                let device = if remember {
                    self.devices
                        .remember(
                            &pending.user,
                            &origin.ip.to_string(),
                            origin.user_agent,
                            now,
                        )
                        .await?
                } else {
                    None
                };
                let factor = match kind {
                    CodeKind::Totp => "totp",
                    CodeKind::Recovery => "recovery_code",
                    CodeKind::Passkey => "passkey",
                };
                audit!(event::LOGIN_SUCCESS, user = %crate::audit::Clean(&pending.user.username), ip = %origin.ip, user_agent = %crate::audit::Clean(origin.user_agent), factor, remembered = device.is_some(), session = id.key().short());
                Ok(CodeStepDone { id, device })
            }
            Err(AuthError::InvalidCode) if n >= MAX_CODES_PER_LOGIN => {
                self.restart(pending).await?;
                Err(AuthError::Restart)
            }
            Err(e) => Err(e),
        }
    }

    async fn restart(&self, pending: &Resolved) -> Result<(), AuthError> {
        // A one-factor session stepping up keeps its session; a pending login ends.
        if pending.session.level == AuthLevel::Pending {
            self.sessions.end(&pending.key).await?;
        }
        audit!(event::LOGIN_FAILURE, user = %crate::audit::Clean(&pending.user.username), reason = "too_many_codes", factor = "code");
        Ok(())
    }

    /// Checks a re-entered password (counted like a login attempt).
    pub async fn check_password(
        &self,
        user: &User,
        password: &SecretString,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<(), AuthError> {
        let attempt = self
            .throttle
            .admit_account(&user.username, now, origin.ip)
            .await?;
        let verified = self
            .hasher
            .verify(
                super::hash_pool::Claimant::new(origin.ip, &user.username),
                password,
                Some(&user.password_hash),
            )
            .await;
        match verified {
            Ok(true) => {
                self.throttle.release(&attempt).await?;
                Ok(())
            }
            Ok(false) => {
                let n = self.throttle.failed(&attempt, now).await?;
                audit!(event::LOGIN_FAILURE, user = %crate::audit::Clean(&user.username), ip = %origin.ip, reason = "bad_password", factor = "reauth", attempt = n);
                Err(AuthError::InvalidCredentials)
            }
            Err(e) => {
                // Not evaluated (a full hashing pool): no trace.
                self.throttle.release(&attempt).await?;
                Err(e)
            }
        }
    }

    /// Step-up: the password again; the session gets a new id and a fresh `authenticated_at`.
    pub async fn reauthenticate(
        &self,
        current: &Resolved,
        password: &SecretString,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<SessionId, AuthError> {
        self.check_password(&current.user, password, now, origin)
            .await?;
        let (id, _) = self
            .sessions
            .rotate(current, current.session.level, now)
            .await?;
        audit!(event::REAUTHENTICATED, user = %crate::audit::Clean(&current.user.username), ip = %origin.ip);
        Ok(id)
    }

    /// The password and a current code, as changing two-factor settings needs (docs/security.md#factor-changes).
    async fn check_both(
        &self,
        user: &User,
        password: &SecretString,
        code: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<(), AuthError> {
        self.check_password(user, password, now, origin).await?;
        self.check_code(user, code, now, origin).await.map(|_| ())
    }

    /// A user's first second factor is a passkey, just registered from `current`: without an
    /// authenticator app and without codes, losing the passkey would leave no way back but
    /// the administrator, so recovery codes come with it (shown once). As when an app is
    /// turned on, the current session, which has just proved the passkey after a recent
    /// password, is rotated to a passkey session and the user's other sessions end. `None`
    /// when the user has an app or codes already (the passkey is not their first factor).
    pub async fn first_passkey(
        &self,
        current: &Resolved,
        now: i64,
    ) -> Result<Option<(SessionId, Vec<RecoveryCode>)>, AuthError> {
        let user = &current.user;
        if user.totp_enabled || self.factors.recovery_codes_left(user.id).await? > 0 {
            return Ok(None);
        }
        let codes = self.replace_codes(user.id).await?;
        let (id, _) = self
            .sessions
            .rotate(current, AuthLevel::Passkey, now)
            .await?;
        let others = self.end_other_sessions(user.id, &id, now).await?;
        audit!(event::RECOVERY_CODES_REGENERATED, user = %crate::audit::Clean(&user.username), reason = "first_passkey", other_sessions_ended = others);
        Ok(Some((id, codes)))
    }

    /// New recovery codes (password and a current code needed); the old set stops working.
    pub async fn regenerate_codes(
        &self,
        user: &User,
        password: &SecretString,
        code: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        if !user.totp_enabled {
            return Err(AuthError::InvalidCode);
        }
        self.check_both(user, password, code, now, origin).await?;
        self.new_codes(user, now, origin).await
    }

    /// New recovery codes for a user whose second factor is a passkey, not an app. The caller
    /// has checked a recent password (the step-up); the session itself was opened with a
    /// passkey, which stands for the current code an app's user gives. The old set stops
    /// working.
    pub async fn regenerate_codes_with_passkey(
        &self,
        current: &Resolved,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        let user = &current.user;
        if user.totp_enabled
            || current.session.level != AuthLevel::Passkey
            || self.passkeys.list(user.id).await?.is_empty()
        {
            return Err(AuthError::InvalidCode);
        }
        self.new_codes(user, now, origin).await
    }

    /// Replaces the recovery codes, then audits and tells the user.
    async fn new_codes(
        &self,
        user: &User,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        let codes = self.replace_codes(user.id).await?;
        audit!(event::RECOVERY_CODES_REGENERATED, user = %crate::audit::Clean(&user.username), ip = %origin.ip);
        self.mailer
            .notify(user, Notice::RecoveryCodesRegenerated, origin.occasion(now));
        Ok(codes)
    }

    /// A fresh set of recovery codes in place of the user's old ones, which stop working.
    async fn replace_codes(&self, user_id: UserId) -> Result<Vec<RecoveryCode>, AuthError> {
        let codes = recovery::generate();
        let hashes: Vec<String> = codes.iter().map(RecoveryCode::hash).collect();
        self.factors
            .replace_recovery_codes(user_id, &hashes)
            .await?;
        Ok(codes)
    }

    /// Turns two-factor off (password and a current code needed): secret, recovery codes and
    /// remembered devices go; the current session becomes one-factor with a new id and every
    /// other session ends.
    pub async fn disable(
        &self,
        current: &Resolved,
        password: &SecretString,
        code: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<SessionId, AuthError> {
        let user = &current.user;
        if !user.totp_enabled {
            return Err(AuthError::InvalidCode);
        }
        self.check_both(user, password, code, now, origin).await?;
        // The store moves the session epoch on: every session ends on every instance, and
        // this browser continues in a new one-factor session of the new epoch.
        let devices = self.factors.disable_totp(user.id).await?;
        let others = self
            .sessions
            .end_all_for_user(user.id)
            .await?
            .saturating_sub(1);
        let updated = self
            .sessions
            .fresh_user(user.id)
            .await?
            .ok_or(AuthError::InvalidCredentials)?;
        let (id, _) = self
            .sessions
            .start(
                &updated,
                AuthLevel::OneFactor,
                Opening {
                    ip: &current.session.ip,
                    user_agent: &current.session.user_agent,
                    remember: current.session.remember,
                    scope: current.session.cookie_scope.as_deref(),
                },
                now,
            )
            .await?;
        audit!(event::TOTP_DISABLED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, devices_forgotten = devices, other_sessions_ended = others);
        self.mailer
            .notify(user, Notice::TwoFactorDisabled, origin.occasion(now));
        Ok(id)
    }

    /// The administrator's reset (CLI or admin area): two-factor off, passkeys removed, devices forgotten, every
    /// session ended, audited and notified. Returns how many sessions ended.
    pub async fn reset(&self, user: &User, actor: &str, now: i64) -> Result<usize, AuthError> {
        let devices = self.factors.reset_factors(user.id).await?;
        let ended = self.sessions.end_all_for_user(user.id).await?;
        audit!(event::TOTP_RESET, user = %crate::audit::Clean(&user.username), actor = %crate::audit::Clean(actor), devices_forgotten = devices, sessions_ended = ended);
        // Awaited: the CLI exits right after.
        self.mailer
            .send(user, Notice::TwoFactorReset, Occasion::at(now))
            .await;
        Ok(ended)
    }
}
