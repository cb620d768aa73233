//! Checking a second-factor code, and settling its throttle attempts: a wrong code counts on
//! the account's own code counter and the client's buckets; only a right code clears the
//! account's counter (see docs/security.md, "Throttling and lockout").

use super::{CodeKind, Origin, TwoFactor};
use crate::audit;
use crate::audit::event;
use crate::domain::recovery;
use crate::domain::totp;
use crate::domain::user::User;
use crate::mail::Notice;
use crate::service::AuthError;
use crate::service::throttle::Attempt;

impl TwoFactor {
    /// The step a code from the pending enrolment secret matches; `None` when wrong or when no
    /// enrolment is pending.
    pub(super) async fn check_enrollment_code(
        &self,
        user: &User,
        code: &str,
        now: i64,
    ) -> Result<Option<u64>, AuthError> {
        let record = self.factors.totp(user.id).await?;
        let Some(sealed) = record.pending else {
            return Ok(None);
        };
        let secret = self.open(&sealed, user.id)?;
        Ok(totp::verify(&secret, code, now, None).ok())
    }

    /// A wrong code: the account's code counter and the client's buckets count it. Returns
    /// the account's wrong codes so far.
    pub(super) async fn code_failed(
        &self,
        attempts: &[Attempt],
        now: i64,
    ) -> Result<u32, AuthError> {
        let failures = self.throttle.failed_all(attempts, now).await?;
        Ok(failures.first().copied().unwrap_or(0))
    }

    /// A right code: only now are the account's wrong codes forgiven (a right password never
    /// does); the client's shared buckets just drop this attempt.
    pub(super) async fn code_succeeded(&self, attempts: &[Attempt]) -> Result<(), AuthError> {
        if let Some((codes, client)) = attempts.split_first() {
            self.throttle.succeeded(codes).await?;
            self.throttle.release_all(client).await?;
        }
        Ok(())
    }

    /// Checks a TOTP or recovery code for `user`, counting the attempt against the account.
    /// A recovery code is spent and its use notified.
    pub async fn check_code(
        &self,
        user: &User,
        input: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<CodeKind, AuthError> {
        let attempts = self.throttle.admit_code(user, now, origin.ip).await?;
        let verified = match self.verify_code(user, input, now).await {
            Ok(v) => v,
            Err(e) => {
                self.throttle.release_all(&attempts).await?;
                return Err(e);
            }
        };
        match verified {
            Some(kind) => {
                self.code_succeeded(&attempts).await?;
                if kind == CodeKind::Recovery {
                    let left = self.factors.recovery_codes_left(user.id).await?;
                    audit!(event::RECOVERY_CODE_USED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, left);
                    self.mailer.notify(
                        user,
                        Notice::RecoveryCodeUsed { left },
                        origin.occasion(now),
                    );
                }
                Ok(kind)
            }
            None => {
                let n = self.code_failed(&attempts, now).await?;
                audit!(event::TOTP_FAILURE, user = %crate::audit::Clean(&user.username), ip = %origin.ip, attempt = n);
                Err(AuthError::InvalidCode)
            }
        }
    }

    /// Checks a passkey's answer for `who`'s ceremony, admitted and counted exactly like a
    /// code: a refused answer is a wrong code (docs/passkeys.md#throttling). No live ceremony
    /// to answer is not an attempt and leaves no trace.
    pub(super) async fn check_passkey(
        &self,
        who: &crate::service::sessions::Resolved,
        ceremony: &str,
        response: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<CodeKind, AuthError> {
        let user = &who.user;
        let attempts = self.throttle.admit_code(user, now, origin.ip).await?;
        match self
            .passkeys
            .assert(who, ceremony, response, now, origin)
            .await
        {
            Ok(()) => {
                self.code_succeeded(&attempts).await?;
                Ok(CodeKind::Passkey)
            }
            Err(AuthError::PasskeyRefused) => {
                let n = self.code_failed(&attempts, now).await?;
                audit!(event::TOTP_FAILURE, user = %crate::audit::Clean(&user.username), ip = %origin.ip, attempt = n, factor = "passkey");
                Err(AuthError::InvalidCode)
            }
            Err(e) => {
                self.throttle.release_all(&attempts).await?;
                Err(e)
            }
        }
    }

    /// Verifies without throttling: `None` for a wrong, replayed or spent code.
    async fn verify_code(
        &self,
        user: &User,
        input: &str,
        now: i64,
    ) -> Result<Option<CodeKind>, AuthError> {
        let record = self.factors.totp(user.id).await?;
        // Six digits (spaces allowed) is a TOTP; anything else may be a recovery code, which
        // a user whose only other factor is a passkey has too (`first_passkey`).
        let digits = input.chars().filter(|c| !c.is_ascii_whitespace()).count();
        if digits <= 8
            && input
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_whitespace())
        {
            // An app's code counts only while `two_factor.methods` allows apps.
            let Some(sealed) = record.secret.filter(|_| self.totp) else {
                return Ok(None);
            };
            let secret = self.open(&sealed, user.id)?;
            let last = u64::try_from(record.last_step).ok();
            let Ok(step) = totp::verify(&secret, input, now, last) else {
                return Ok(None);
            };
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            // Exactly one of several concurrent submissions of this step wins.
            return Ok(self
                .factors
                .claim_totp_step(user.id, step)
                .await?
                .then_some(CodeKind::Totp));
        }
        match recovery::normalize(input) {
            Some(code) => Ok(self
                .factors
                .use_recovery_code(user.id, &recovery::hash(&code), now)
                .await?
                .then_some(CodeKind::Recovery)),
            None => Ok(None),
        }
    }
}
