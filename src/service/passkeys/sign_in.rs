//! Signing in with a passkey: settling a verified assertion (counter, backup state, time of
//! use) and the sign-in that begins with the passkey itself (docs/passkeys.md#sign-in).

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{
    AuthenticationResult, Credential, DiscoverableAuthentication, PublicKeyCredential,
    WebauthnError,
};

use super::{Challenge, Passkeys, refused};
use crate::audit;
use crate::audit::event;
use crate::domain::passkey::Purpose;
use crate::domain::session::{AuthLevel, Session, SessionId};
use crate::domain::user::User;
use crate::service::AuthError;
use crate::service::sessions::Opening;
use crate::service::two_factor::Origin;

/// A finished passkey sign-in.
#[derive(Debug)]
pub struct PasskeySignIn {
    pub id: SessionId,
    pub session: Session,
    pub user: std::sync::Arc<User>,
}

/// Where a passwordless sign-in comes from.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub ip: IpAddr,
    pub user_agent: &'a str,
    /// The cookie scope the session will be issued for.
    pub scope: &'a str,
}

impl Passkeys {
    /// Starts a sign-in with a discoverable passkey on the portal at `host` (the browser
    /// offers the user's passkeys for this RP ID; no username is needed).
    pub async fn begin_sign_in(
        &self,
        host: &str,
        ip: IpAddr,
        now: i64,
    ) -> Result<Challenge, AuthError> {
        if !self.passwordless {
            return Err(AuthError::NotOffered);
        }
        // A banned client draws no challenges (each is a record in the session store).
        let client = self.throttle.admit_client(now, "", ip).await?;
        self.throttle.release_all(&client).await?;
        let (rp, webauthn) = self.parties.for_host(host).ok_or(AuthError::NotOffered)?;
        let (options, state) = webauthn
            .start_discoverable_authentication()
            .map_err(refused)?;
        let net = format!("ip:{}", self.throttle.client_net(ip));
        self.keep(Purpose::Passwordless, (rp, &net), &state, &options, now)
            .await
    }

    /// Finishes a sign-in with a passkey alone: the authenticator names the user by their
    /// random handle, the credential must be one of theirs, and its answer must verify with
    /// the person verified. Counts as two factors. Refused answers count on the client's
    /// buckets and, once the user is known, on their code counter, as wrong codes do.
    pub async fn sign_in(
        &self,
        ceremony: &str,
        response: &str,
        arrival: Arrival<'_>,
        now: i64,
    ) -> Result<PasskeySignIn, AuthError> {
        let origin = Origin {
            ip: arrival.ip,
            user_agent: arrival.user_agent,
        };
        let client = self.throttle.admit_client(now, "", arrival.ip).await?;
        let user = match self.identify(ceremony, response, now).await {
            Ok(found) => found,
            Err(e) => return self.unknown(&client, e, now, origin).await,
        };
        let Some((user, state, answer)) = user else {
            return self
                .unknown(&client, AuthError::PasskeyRefused, now, origin)
                .await;
        };
        self.throttle.release_all(&client).await?;
        let attempts = self.throttle.admit_code(&user, now, arrival.ip).await?;
        let verified = self
            .finish_discoverable(&user, state, &answer, now, origin)
            .await;
        match verified {
            Ok(()) if !user.disabled => {}
            Ok(()) | Err(AuthError::PasskeyRefused) => {
                let failures = self.throttle.failed_all(&attempts, now).await?;
                let attempt = failures.first().copied().unwrap_or(0);
                audit!(event::LOGIN_FAILURE, user = %crate::audit::Clean(&user.username), ip = %arrival.ip, reason = if user.disabled { "disabled" } else { "passkey_refused" }, attempt, factor = "passkey");
                return Err(AuthError::PasskeyRefused);
            }
            Err(e) => {
                self.throttle.release_all(&attempts).await?;
                return Err(e);
            }
        }
        if let Some((codes, client)) = attempts.split_first() {
            self.throttle.succeeded(codes).await?;
            self.throttle.release_all(client).await?;
        }
        let ip = arrival.ip.to_string();
        let opening = Opening {
            ip: &ip,
            user_agent: arrival.user_agent,
            remember: false,
            scope: Some(arrival.scope),
        };
        let (id, session) = self
            .sessions
            .start(&user, AuthLevel::Passkey, opening, now)
            .await?;
        audit!(event::LOGIN_SUCCESS, user = %crate::audit::Clean(&user.username), ip = %arrival.ip, user_agent = %crate::audit::Clean(arrival.user_agent), factor = "passkey", session = id.key().short());
        Ok(PasskeySignIn { id, session, user })
    }

    /// The ceremony's state and the user the answer names, if any.
    async fn identify(
        &self,
        ceremony: &str,
        response: &str,
        now: i64,
    ) -> Result<Option<(std::sync::Arc<User>, Discovered, PublicKeyCredential)>, AuthError> {
        let (webauthn, rp, state) = self
            .take::<DiscoverableAuthentication>(ceremony, &Purpose::Passwordless, now)
            .await?;
        let answer: PublicKeyCredential =
            serde_json::from_str(response).map_err(|_| AuthError::PasskeyRefused)?;
        let Ok((handle, _)) = webauthn.identify_discoverable_authentication(&answer) else {
            return Ok(None);
        };
        let Some(user_id) = self
            .store
            .user_by_passkey_handle(&handle.to_string())
            .await?
        else {
            return Ok(None);
        };
        Ok(self
            .sessions
            .fresh_user(user_id)
            .await?
            .map(|u| (u, Discovered { rp, state }, answer)))
    }

    /// A refused answer before any user was known: the client's buckets count it.
    async fn unknown(
        &self,
        client: &[crate::service::throttle::Attempt],
        e: AuthError,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<PasskeySignIn, AuthError> {
        if matches!(e, AuthError::PasskeyRefused) {
            self.throttle.failed_all(client, now).await?;
            audit!(event::LOGIN_FAILURE, ip = %origin.ip, reason = "unknown_passkey", factor = "passkey");
        } else {
            self.throttle.release_all(client).await?;
        }
        Err(e)
    }

    async fn finish_discoverable(
        &self,
        user: &User,
        found: Discovered,
        answer: &PublicKeyCredential,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<(), AuthError> {
        let webauthn = self
            .parties
            .by_id(&found.rp)
            .ok_or(AuthError::CeremonyExpired)?;
        let id = URL_SAFE_NO_PAD.encode(answer.get_credential_id());
        // Only a credential of the user the handle names: never another user's.
        let Some((_, passkey)) = self
            .credentials(user.id)
            .await?
            .into_iter()
            .find(|(row, _)| row.credential_id == id)
        else {
            audit!(event::PASSKEY_REFUSED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, during = "sign_in", reason = "not a credential of this user");
            return Err(AuthError::PasskeyRefused);
        };
        let result = webauthn.finish_discoverable_authentication_v2(answer, found.state, &passkey);
        // Alone, a passkey is both factors: the person must have been verified.
        self.settle(user, (result, true), answer, now, origin).await
    }

    /// Settles a checked assertion: a refusal is audited; a pass must have verified the
    /// person (when `verified` is asked for) and must move the signature counter forward from the value stored now (a
    /// counter that goes back is a cloned authenticator, docs/passkeys.md#counters), and its
    /// new counter and backup state are saved with a conditional write.
    pub(super) async fn settle(
        &self,
        user: &User,
        (result, verified): (Result<AuthenticationResult, WebauthnError>, bool),
        answer: &PublicKeyCredential,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<(), AuthError> {
        let result = match result {
            Ok(r) if r.user_verified() || !verified => r,
            Ok(_) => return self.refuse(user, "user not verified", origin),
            Err(e) => return self.refuse(user, &e.to_string(), origin),
        };
        let id = URL_SAFE_NO_PAD.encode(answer.get_credential_id());
        let Some((row, mut passkey)) = self
            .credentials(user.id)
            .await?
            .into_iter()
            .find(|(row, _)| row.credential_id == id)
        else {
            return self.refuse(user, "credential removed", origin);
        };
        let stored = Credential::from(passkey.clone()).counter;
        if (result.counter() != 0 || stored != 0) && result.counter() <= stored {
            audit!(event::PASSKEY_COUNTER_REGRESSED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, passkey = %crate::audit::Clean(&row.name), stored, presented = result.counter());
            return Err(AuthError::PasskeyRefused);
        }
        passkey.update_credential(&result);
        let updated = serde_json::to_string(&passkey).map_err(|e| AuthError::Crypto(e.into()))?;
        if !self
            .store
            .record_passkey_use(user.id, &id, &row.credential, &updated, now)
            .await?
        {
            // Another sign-in with this credential saved first: this one's counter is stale.
            return self.refuse(user, "concurrent use", origin);
        }
        Ok(())
    }

    fn refuse(&self, user: &User, reason: &str, origin: Origin<'_>) -> Result<(), AuthError> {
        audit!(event::PASSKEY_REFUSED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, during = "sign_in", reason = %crate::audit::Clean(reason));
        Err(AuthError::PasskeyRefused)
    }
}

/// The state of a username-less ceremony, with its RP ID.
pub(super) struct Discovered {
    rp: String,
    state: DiscoverableAuthentication,
}
