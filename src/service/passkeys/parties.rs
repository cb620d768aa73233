//! The relying parties: one `Webauthn` per RP ID, with the origins of the portals it serves
//! (built once from `[webauthn]`).

use std::time::Duration;

use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

use crate::config::WebauthnConfig;
use crate::domain::passkey::CEREMONY_TTL;

/// Every relying party, found by the portal host of a request or by its RP ID.
pub struct Parties {
    parties: Vec<(crate::config::RelyingParty, Webauthn)>,
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
        Ok(Self { parties })
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
