//! Validation of `[webauthn]`: which relying party (RP ID) each portal is, and the policy
//! keys (docs/passkeys.md#relying-party).
//!
//! A credential is bound to its RP ID for life: the RP ID of a portal is its cookie domain
//! (SSO: every portal under it shares the user's passkeys), else the portal host, else the
//! `webauthn.rp_id` set for the primary portal, which must cover that portal's host.

use std::net::IpAddr;

use super::Ctx;
use crate::config::file::RawWebauthn;
use crate::config::types::{
    AttestationPolicy, CookieDomain, PortalConfig, PublicUrl, RelyingParty, WebauthnConfig,
    within_domain,
};

pub(super) fn webauthn(
    cx: &mut Ctx<'_>,
    raw: &RawWebauthn,
    (portal, domains): (&PortalConfig, &[CookieDomain]),
    allowed: bool,
) -> WebauthnConfig {
    let verify_user = match raw.user_verification.as_str() {
        "required" => true,
        "preferred" => false,
        other => {
            cx.problem(
                "webauthn.user_verification",
                &format!("{other:?} is not supported"),
                "\"required\" (the person is verified by PIN or biometric) or \"preferred\" (security keys without a PIN may be a second step; a sign-in without password still verifies the person)",
            );
            true
        }
    };
    let attestation = attestation(cx, raw);
    let rp_name = raw.rp_name.clone().unwrap_or_else(|| portal.title.clone());
    if rp_name.trim().is_empty() || rp_name.chars().any(char::is_control) {
        cx.problem(
            "webauthn.rp_name",
            "must be a non-empty name",
            "it is the name authenticators show beside the account",
        );
    }
    let off = WebauthnConfig {
        enabled: false,
        passwordless: false,
        rp_name: rp_name.clone(),
        parties: Vec::new(),
        attestation: None,
        verify_user: true,
    };
    if raw.enabled == Some(false) {
        return off;
    }
    if !allowed {
        if raw.enabled == Some(true) {
            cx.problem(
                "webauthn.enabled",
                "is true, but two_factor.methods leaves out \"passkey\"",
                "add \"passkey\" to two_factor.methods, or set webauthn.enabled = false",
            );
        }
        return off;
    }
    let mut parties: Vec<RelyingParty> = Vec::new();
    for (url, id) in portals(cx, raw, portal, domains) {
        if is_ip(&id) {
            // An IP address cannot be a relying party: passkeys are simply not offered there,
            // unless they were asked for explicitly.
            if raw.enabled == Some(true) {
                cx.problem(
                    "webauthn.enabled",
                    &format!("the portal {} is on an IP address, which cannot be a WebAuthn relying party", url.origin()),
                    "serve the portal on a host name (localhost works for testing), or set webauthn.enabled = false",
                );
            }
            continue;
        }
        match parties.iter_mut().find(|p| p.id == id) {
            Some(p) => {
                p.origins.push(url.origin());
                p.hosts.push(url.host.clone());
            }
            None => parties.push(RelyingParty {
                id,
                origins: vec![url.origin()],
                hosts: vec![url.host.clone()],
            }),
        }
    }
    if parties.is_empty() {
        return off;
    }
    WebauthnConfig {
        enabled: true,
        passwordless: raw.passwordless,
        rp_name,
        parties,
        attestation,
        verify_user,
    }
}

/// `attestation`, `attestation_ca` and `aaguids`: "none" takes any authenticator; "direct"
/// needs at least one root certificate and one AAGUID, each readable and well-formed.
fn attestation(cx: &mut Ctx<'_>, raw: &RawWebauthn) -> Option<AttestationPolicy> {
    const HINT: &str = "\"none\" accepts any authenticator; \"direct\" accepts only the models in webauthn.aaguids, proven by a chain to a root in webauthn.attestation_ca";
    match raw.attestation.as_str() {
        "none" => {
            if !raw.attestation_ca.is_empty() || !raw.aaguids.is_empty() {
                cx.problem(
                    "webauthn.attestation",
                    "is \"none\", but attestation_ca or aaguids is set",
                    HINT,
                );
            }
            return None;
        }
        "direct" => {}
        other => {
            cx.problem(
                "webauthn.attestation",
                &format!("{other:?} is not supported"),
                HINT,
            );
            return None;
        }
    }
    let mut roots = Vec::new();
    for path in &raw.attestation_ca {
        // Relative to the configuration file, like every other path in it.
        match super::notifier::pem_certificates(&cx.path(path)) {
            Ok(certs) => roots.extend(certs.into_iter().map(|c| c.to_vec())),
            Err(e) => cx.problem(
                "webauthn.attestation_ca",
                &e,
                "a PEM file of the vendor's attestation root certificate",
            ),
        }
    }
    if raw.attestation_ca.is_empty() {
        cx.problem(
            "webauthn.attestation_ca",
            "is empty, but attestation is \"direct\"",
            "list the PEM files of the vendors' attestation root certificates",
        );
    }
    let mut aaguids = Vec::new();
    for text in &raw.aaguids {
        match webauthn_rs::prelude::Uuid::parse_str(text.trim()) {
            Ok(id) => aaguids.push(id),
            Err(_) => cx.problem(
                "webauthn.aaguids",
                &format!("{text:?} is not an AAGUID"),
                "an AAGUID is a UUID such as \"cb69481e-8ff7-4039-93ec-0a2729a154a8\"",
            ),
        }
    }
    if raw.aaguids.is_empty() {
        cx.problem(
            "webauthn.aaguids",
            "is empty, but attestation is \"direct\"",
            "list the AAGUIDs of the authenticator models you allow",
        );
    }
    let policy = AttestationPolicy { roots, aaguids };
    // A certificate the WebAuthn library cannot use is refused now, not at the first passkey.
    if let Err(e) = policy.ca_list() {
        cx.problem(
            "webauthn.attestation_ca",
            &e,
            "a PEM file of the vendor's attestation root certificate",
        );
    }
    Some(policy)
}

/// Every portal with the RP ID it uses.
fn portals<'a>(
    cx: &mut Ctx<'_>,
    raw: &RawWebauthn,
    portal: &'a PortalConfig,
    domains: &'a [CookieDomain],
) -> Vec<(&'a PublicUrl, String)> {
    let primary = &portal.url;
    let derived = domains
        .iter()
        .find(|d| within_domain(&primary.host, &d.domain))
        .map_or_else(|| primary.host.clone(), |d| d.domain.clone());
    let primary_id = match &raw.rp_id {
        Some(id) => {
            let id = id.trim().trim_end_matches('.').to_ascii_lowercase();
            if !covers(&id, &primary.host) {
                cx.problem(
                    "webauthn.rp_id",
                    &format!("{id:?} does not cover the portal host {:?}", primary.host),
                    "the RP ID must be the portal host or a parent domain of it (not a public suffix such as \"com\")",
                );
            }
            id
        }
        None => derived,
    };
    let mut out = vec![(primary, primary_id)];
    out.extend(
        domains
            .iter()
            .filter(|d| d.portal != *primary)
            .map(|d| (&d.portal, d.domain.clone())),
    );
    out
}

/// Whether `id` may be the RP ID of a page on `host`: the host itself, or a parent domain
/// with at least two labels (a bare top-level name would be a public suffix).
fn covers(id: &str, host: &str) -> bool {
    !id.is_empty()
        && within_domain(host, id)
        && (id == host || id.contains('.') || id == "localhost")
}

fn is_ip(host: &str) -> bool {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn an_rp_id_covers_its_host_and_subdomains_only() {
        assert!(covers("example.com", "auth.example.com"));
        assert!(covers("auth.example.com", "auth.example.com"));
        assert!(covers("gate.localhost", "auth.gate.localhost"));
        assert!(!covers("other.com", "auth.example.com"));
        assert!(!covers("xample.com", "auth.example.com"));
        assert!(!covers("com", "auth.example.com"));
        assert!(!covers("", "auth.example.com"));
        assert!(!covers("sub.auth.example.com", "auth.example.com"));
    }
}
