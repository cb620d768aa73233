//! The relying parties: one `Webauthn` per RP ID, with the origins of the portals it serves
//! (built once from `[webauthn]`).

use std::time::Duration;

use webauthn_rs::prelude::{AttestationCaList, Url, Webauthn, WebauthnBuilder};

use crate::config::WebauthnConfig;
use crate::domain::passkey::CEREMONY_TTL;

/// Every relying party, found by the portal host of a request or by its RP ID.
pub struct Parties {
    parties: Vec<(crate::config::RelyingParty, Webauthn)>,
    /// `attestation = "direct"`: the models a new passkey must prove it is.
    attestation: Option<AttestationCaList>,
    /// Whether registrations and second steps require the person verified.
    verify_user: bool,
}

impl Parties {
    /// Builds them; an origin the library refuses is a configuration error.
    pub fn new(config: &WebauthnConfig) -> Result<Self, String> {
        let mut parties = Vec::new();
        if config.enabled {
            for p in &config.parties {
                parties.push((p.clone(), build(p, &config.rp_name)?));
            }
        }
        let attestation = config
            .attestation
            .as_ref()
            .map(crate::config::AttestationPolicy::ca_list)
            .transpose()?;
        Ok(Self {
            parties,
            attestation,
            verify_user: config.verify_user,
        })
    }

    /// Whether registrations and second steps require user verification.
    pub fn verify_user(&self) -> bool {
        self.verify_user
    }

    /// The authenticator models a new passkey must prove it is, when attestation is on.
    pub fn attestation(&self) -> Option<&AttestationCaList> {
        self.attestation.as_ref()
    }

    /// The party of the portal served on `host`.
    pub fn for_host(&self, host: &str) -> Option<(&str, &Webauthn)> {
        self.parties
            .iter()
            .find(|(p, _)| p.hosts.iter().any(|h| h == host))
            .map(|(p, w)| (p.id.as_str(), w))
    }

    /// The party with RP ID `id` (a ceremony names the one it was started with).
    pub fn by_id(&self, id: &str) -> Option<&Webauthn> {
        self.parties
            .iter()
            .find(|(p, _)| p.id == id)
            .map(|(_, w)| w)
    }
}

fn build(p: &crate::config::RelyingParty, name: &str) -> Result<Webauthn, String> {
    let bad = |e: &dyn std::fmt::Display| format!("webauthn: relying party {}: {e}", p.id);
    let origins: Vec<Url> = p
        .origins
        .iter()
        .map(|o| Url::parse(o).map_err(|e| bad(&e)))
        .collect::<Result<_, _>>()?;
    let first = origins.first().ok_or_else(|| bad(&"no portal"))?;
    let mut builder = WebauthnBuilder::new(&p.id, first)
        .map_err(|e| bad(&e))?
        .rp_name(name)
        // What the browser shows as the ceremony's time limit: the server's own bound.
        .timeout(Duration::from_secs(CEREMONY_TTL.unsigned_abs()));
    for o in &origins[1..] {
        builder = builder.append_allowed_origin(o);
    }
    builder.build().map_err(|e| bad(&e))
}
