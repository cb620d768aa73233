//! Passkeys (docs/passkeys.md): registering, naming and removing them, and verifying an
//! assertion as a second factor or as a sign-in of its own (`sign_in.rs`).
//!
//! The cryptography is webauthn-rs's (the kanidm project's relying party); this module decides
//! what a ceremony is bound to and keeps its server half in the session store for at most
//! two minutes, taken once (`domain::passkey`). Throttling of failed assertions belongs to
//! the callers, which count them as wrong codes.

mod parties;
mod sign_in;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    AttestationCaList, AttestedPasskeyRegistration, AuthenticationResult,
    CreationChallengeResponse, Credential, CredentialID, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration,
    Uuid, Webauthn, WebauthnError,
};

pub use parties::Parties;
pub use sign_in::{Arrival, PasskeySignIn};

use super::AuthError;
use super::sessions::{Resolved, Sessions};
use super::throttle::Throttle;
use super::two_factor::Origin;
use crate::audit;
use crate::audit::event;
use crate::domain::passkey::{CEREMONIES_PER_OWNER, CEREMONY_TTL, Ceremony, MAX_PASSKEYS, Purpose};
use crate::domain::session::{SessionId, SessionKey};
use crate::domain::throttle_key::ThrottleKey;
use crate::domain::user::{User, UserId};
use crate::mail::{Mailer, Notice};
use crate::store::{PasskeyStore, StoredPasskey};

/// What a page hands the browser to start a ceremony: the ceremony's id (sent back with the
/// answer) and the options for `navigator.credentials`, as JSON.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub ceremony: String,
    pub options: String,
}

/// A passkey as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInfo {
    /// The credential id (base64url), which the rename and remove forms name.
    pub id: String,
    pub name: String,
    pub created_at: i64,
    /// 0: never used to sign in.
    pub last_used_at: i64,
}

/// The passkey use cases.
#[derive(Clone)]
pub struct Passkeys {
    store: Arc<dyn PasskeyStore>,
    parties: Arc<Parties>,
    sessions: Sessions,
    throttle: Throttle,
    mailer: Mailer,
    passwordless: bool,
}

impl Passkeys {
    pub fn new(
        store: Arc<dyn PasskeyStore>,
        parties: Arc<Parties>,
        sessions: Sessions,
        throttle: Throttle,
        mailer: Mailer,
        passwordless: bool,
    ) -> Self {
        Self {
            store,
            parties,
            sessions,
            throttle,
            mailer,
            passwordless,
        }
    }

    /// Whether the portal on `host` offers passkeys at all.
    pub fn offered(&self, host: &str) -> bool {
        self.parties.for_host(host).is_some()
    }

    /// Whether the portal on `host` offers a sign-in with a passkey alone.
    pub fn passwordless(&self, host: &str) -> bool {
        self.passwordless && self.offered(host)
    }

    /// The user's passkeys, oldest first.
    pub async fn list(&self, user_id: UserId) -> Result<Vec<PasskeyInfo>, AuthError> {
        Ok(self
            .store
            .passkeys(user_id)
            .await?
            .into_iter()
            .map(|p| PasskeyInfo {
                id: p.credential_id,
                name: p.name,
                created_at: p.created_at,
                last_used_at: p.last_used_at,
            })
            .collect())
    }

    /// Starts registering a passkey for the session's user on the portal at `host`. The
    /// user's own passkeys are excluded, so one authenticator is not registered twice.
    pub async fn begin_registration(
        &self,
        s: &Resolved,
        host: &str,
        now: i64,
    ) -> Result<Challenge, AuthError> {
        let (rp, webauthn) = self.parties.for_host(host).ok_or(AuthError::NotOffered)?;
        let existing = self.credentials(s.user.id).await?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(AuthError::TooManyPasskeys);
        }
        let handle = self.handle(s.user.id).await?;
        let exclude = existing.iter().map(|(_, p)| p.cred_id().clone()).collect();
        let shown = if s.user.display_name.is_empty() {
            &s.user.username
        } else {
            &s.user.display_name
        };
        let user = (handle, s.user.username.as_str(), shown.as_str());
        let (options, state) = registration(webauthn, &self.parties, user, exclude)?;
        let mut options = serde_json::to_value(options).map_err(|e| AuthError::Crypto(e.into()))?;
        if self.passwordless
            && let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection")
        {
            // A discoverable credential, so that it can sign in without a username. A hint to
            // the authenticator, not a policy: nothing is verified from it. Only preferred
            // when verification is: a key without a PIN may not keep discoverable ones, and
            // could not sign in without a password anyway.
            let verify = self.parties.verify_user();
            sel["residentKey"] = if verify { "required" } else { "preferred" }.into();
            sel["requireResidentKey"] = verify.into();
        }
        self.keep(registering(s), (rp, s.key.as_str()), &state, &options, now)
            .await
    }

    /// Finishes a registration: the answer must match the challenge of a live ceremony
    /// started by this session, and its credential must not be anyone's already.
    pub async fn finish_registration(
        &self,
        s: &Resolved,
        ceremony: &str,
        response: &str,
        name: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<(), AuthError> {
        let user = &s.user;
        let purpose = registering(s);
        let (webauthn, _, state) = self.take::<Registering>(ceremony, &purpose, now).await?;
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(response).map_err(|_| AuthError::PasskeyRefused)?;
        let checked = match &state {
            Registering::Plain(state) => webauthn.finish_passkey_registration(&answer, state),
            // The attestation is checked here, once: afterwards it is an ordinary passkey.
            Registering::Attested(state) => webauthn
                .finish_attested_passkey_registration(&answer, state)
                .map(Passkey::from),
            Registering::Unverified(state) => webauthn
                .finish_securitykey_registration(&answer, state)
                .map(|key| Passkey::from(Credential::from(key))),
        };
        let passkey = match checked {
            Ok(p) => p,
            Err(e) => {
                audit!(event::PASSKEY_REFUSED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, during = "registration", reason = %e);
                return Err(AuthError::PasskeyRefused);
            }
        };
        let stored = StoredPasskey {
            credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id()),
            user_id: user.id,
            name: name.to_owned(),
            credential: serde_json::to_string(&passkey).map_err(|e| AuthError::Crypto(e.into()))?,
            created_at: now,
            last_used_at: 0,
        };
        if !self.store.add_passkey(&stored).await? {
            audit!(event::PASSKEY_REFUSED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, during = "registration", reason = "credential already registered");
            return Err(AuthError::PasskeyRefused);
        }
        self.sessions.forget_user(user.id).await?;
        audit!(event::PASSKEY_ADDED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, passkey = %crate::audit::Clean(name));
        self.mailer.notify(
            user,
            Notice::PasskeyAdded {
                name: name.to_owned(),
            },
            origin.occasion(now),
        );
        Ok(())
    }

    /// Renames one of the user's passkeys; `false` when it is not theirs.
    pub async fn rename(&self, user: &User, id: &str, name: &str) -> Result<bool, AuthError> {
        let done = self.store.rename_passkey(user.id, id, name).await?;
        if done {
            audit!(event::PASSKEY_RENAMED, user = %crate::audit::Clean(&user.username), passkey = %crate::audit::Clean(name));
        }
        Ok(done)
    }

    /// Removes one of the user's passkeys; `false` when it is not theirs.
    pub async fn remove(
        &self,
        user: &User,
        id: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<bool, AuthError> {
        let name = self
            .store
            .passkeys(user.id)
            .await?
            .into_iter()
            .find(|p| p.credential_id == id)
            .map(|p| p.name);
        let Some(name) = name else {
            return Ok(false);
        };
        if !self.store.remove_passkey(user.id, id).await? {
            return Ok(false);
        }
        self.sessions.forget_user(user.id).await?;
        audit!(event::PASSKEY_REMOVED, user = %crate::audit::Clean(&user.username), ip = %origin.ip, passkey = %crate::audit::Clean(&name));
        self.mailer
            .notify(user, Notice::PasskeyRemoved { name }, origin.occasion(now));
        Ok(true)
    }

    /// The user's passkeys as the library reads them, with their stored rows.
    async fn credentials(
        &self,
        user_id: UserId,
    ) -> Result<Vec<(StoredPasskey, Passkey)>, AuthError> {
        self.store
            .passkeys(user_id)
            .await?
            .into_iter()
            .map(|row| {
                let p = serde_json::from_str(&row.credential)
                    .map_err(|e| AuthError::Crypto(e.into()))?;
                Ok((row, p))
            })
            .collect()
    }

    /// The user's random handle, drawn at their first registration.
    async fn handle(&self, user_id: UserId) -> Result<Uuid, AuthError> {
        let fresh = Uuid::new_v4().to_string();
        let handle = self.store.ensure_passkey_handle(user_id, &fresh).await?;
        Uuid::parse_str(&handle).map_err(|e| AuthError::Crypto(e.into()))
    }

    /// Keeps a ceremony's server half under a new random id and returns the challenge: at most
    /// `CEREMONIES_PER_OWNER` per `owner` (the client network, session or pending login that
    /// asked) in each fixed window of `CEREMONY_TTL`, else `Throttled` until the window ends.
    /// Fixed windows, because a plain counter's window restarts with every event: a steady
    /// trickle of draws would add up for ever and lock the owner out.
    async fn keep(
        &self,
        purpose: Purpose,
        (rp, owner): (&str, &str),
        state: &impl Serialize,
        options: &impl Serialize,
        now: i64,
    ) -> Result<Challenge, AuthError> {
        let window = now.div_euclid(CEREMONY_TTL);
        let key = ThrottleKey::Ceremonies(format!("{owner}@{window}"));
        let ttl = CEREMONY_TTL.unsigned_abs();
        if self.throttle.count(&key, now, ttl).await? > CEREMONIES_PER_OWNER {
            return Err(AuthError::Throttled {
                until: (window + 1) * CEREMONY_TTL,
            });
        }
        let crypto = |e: serde_json::Error| AuthError::Crypto(e.into());
        let ceremony = Ceremony {
            purpose,
            rp: rp.to_owned(),
            state: serde_json::to_value(state).map_err(crypto)?,
            created_at: now,
        };
        let id = SessionId::generate();
        let json = serde_json::to_string(&ceremony).map_err(crypto)?;
        self.sessions
            .keep_ceremony(&id.key(), &json, CEREMONY_TTL, now)
            .await?;
        Ok(Challenge {
            ceremony: id.expose().to_owned(),
            options: serde_json::to_string(options).map_err(crypto)?,
        })
    }

    /// Takes the ceremony `id` once; it must be live and started for `purpose`.
    async fn take<S: DeserializeOwned>(
        &self,
        id: &str,
        purpose: &Purpose,
        now: i64,
    ) -> Result<(&Webauthn, String, S), AuthError> {
        let key = SessionId::parse(id)
            .map(|i| i.key())
            .ok_or(AuthError::CeremonyExpired)?;
        let raw = self.take_raw(&key, now).await?;
        let ceremony: Ceremony =
            serde_json::from_str(&raw).map_err(|e| AuthError::Crypto(e.into()))?;
        if !ceremony.answers(purpose, now) {
            return Err(AuthError::CeremonyExpired);
        }
        let webauthn = self
            .parties
            .by_id(&ceremony.rp)
            .ok_or(AuthError::CeremonyExpired)?;
        let state =
            serde_json::from_value(ceremony.state).map_err(|e| AuthError::Crypto(e.into()))?;
        Ok((webauthn, ceremony.rp, state))
    }

    async fn take_raw(&self, key: &SessionKey, now: i64) -> Result<String, AuthError> {
        self.sessions
            .take_ceremony(key, now)
            .await?
            .ok_or(AuthError::CeremonyExpired)
    }

    /// Starts an assertion by one of `who`'s passkeys: the second step of a pending login or
    /// the step-up of a one-factor session. `None` when they have none or the portal on
    /// `host` does not offer passkeys.
    pub async fn begin_assertion(
        &self,
        who: &Resolved,
        host: &str,
        now: i64,
    ) -> Result<Option<Challenge>, AuthError> {
        let Some((rp, webauthn)) = self.parties.for_host(host) else {
            return Ok(None);
        };
        let creds: Vec<Passkey> = self
            .credentials(who.user.id)
            .await?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        if creds.is_empty() {
            return Ok(None);
        }
        let (options, state) = assertion(webauthn, self.parties.verify_user(), creds)?;
        self.keep(
            second_step(who),
            (rp, who.key.as_str()),
            &state,
            &options,
            now,
        )
        .await
        .map(Some)
    }

    /// Verifies an assertion for `who`'s ceremony and records the credential's new counter.
    /// `PasskeyRefused` for any answer that does not verify (the caller counts it as a wrong
    /// code); `CeremonyExpired` when there is no live ceremony of this login to answer.
    pub async fn assert(
        &self,
        who: &Resolved,
        ceremony: &str,
        response: &str,
        now: i64,
        origin: Origin<'_>,
    ) -> Result<(), AuthError> {
        let (webauthn, _, state) = self
            .take::<Asserting>(ceremony, &second_step(who), now)
            .await?;
        let answer: PublicKeyCredential =
            serde_json::from_str(response).map_err(|_| AuthError::PasskeyRefused)?;
        let result: Result<AuthenticationResult, _> = match &state {
            Asserting::Verified(state) => webauthn.finish_passkey_authentication(&answer, state),
            Asserting::Unverified(state) => {
                webauthn.finish_securitykey_authentication(&answer, state)
            }
        };
        // After the password, verification is needed only when `user_verification` requires it.
        let verified = self.parties.verify_user();
        self.settle(&who.user, (result, verified), &answer, now, origin)
            .await
    }
}

/// A registration started by session `s`, for its user.
fn registering(s: &Resolved) -> Purpose {
    Purpose::Register {
        user_id: s.user.id.0,
        session: s.key.as_str().to_owned(),
    }
}

/// The second step of the pending login (or step-up) `who`.
fn second_step(who: &Resolved) -> Purpose {
    Purpose::SecondFactor {
        user_id: who.user.id.0,
        session: who.key.as_str().to_owned(),
    }
}

/// A library error where a ceremony could not even start: never the user's fault.
fn refused(e: WebauthnError) -> AuthError {
    AuthError::Crypto(Box::new(e))
}

/// The server half of a registration: with attestation on, the library's attested kind,
/// which carries the allowed models to the answer; with `user_verification = "preferred"`,
/// its security-key kind, which asks for verification without requiring it.
#[derive(Serialize, Deserialize)]
enum Registering {
    Plain(PasskeyRegistration),
    Attested(AttestedPasskeyRegistration),
    Unverified(SecurityKeyRegistration),
}

/// Starts a registration for `user` (handle, name, name shown): an attested one when the
/// parties allow only listed models (which always verifies the person), else one that
/// requires verification or, per `user_verification`, only prefers it.
fn registration(
    webauthn: &Webauthn,
    parties: &Parties,
    (handle, name, shown): (Uuid, &str, &str),
    exclude: Vec<CredentialID>,
) -> Result<(CreationChallengeResponse, Registering), AuthError> {
    let exclude = Some(exclude);
    Ok(match (parties.attestation(), parties.verify_user()) {
        (Some(cas), _) => {
            let cas: AttestationCaList = cas.clone();
            let (options, state) = webauthn
                .start_attested_passkey_registration(handle, name, shown, exclude, cas, None)
                .map_err(refused)?;
            (options, Registering::Attested(state))
        }
        (None, true) => {
            let (options, state) = webauthn
                .start_passkey_registration(handle, name, shown, exclude)
                .map_err(refused)?;
            (options, Registering::Plain(state))
        }
        (None, false) => {
            let (options, state) = webauthn
                .start_securitykey_registration(handle, name, shown, exclude, None, None)
                .map_err(refused)?;
            (options, Registering::Unverified(state))
        }
    })
}

/// The server half of a second step: verification required, or only preferred.
#[derive(Serialize, Deserialize)]
enum Asserting {
    Verified(PasskeyAuthentication),
    Unverified(SecurityKeyAuthentication),
}

/// Starts a second step by one of `creds`, requiring the person verified or not.
fn assertion(
    webauthn: &Webauthn,
    verify_user: bool,
    creds: Vec<Passkey>,
) -> Result<(RequestChallengeResponse, Asserting), AuthError> {
    if verify_user {
        let (options, state) = webauthn
            .start_passkey_authentication(&creds)
            .map_err(refused)?;
        return Ok((options, Asserting::Verified(state)));
    }
    let keys: Vec<SecurityKey> = creds
        .into_iter()
        .map(|p| SecurityKey::from(Credential::from(p)))
        .collect();
    let (options, state) = webauthn
        .start_securitykey_authentication(&keys)
        .map_err(refused)?;
    Ok((options, Asserting::Unverified(state)))
}
