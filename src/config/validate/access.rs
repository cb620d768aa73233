//! Validation of `[access_control]`: rules into `domain::rules`.

use ipnet::IpNet;

use super::Ctx;
use crate::config::file::RawAccess;
use crate::domain::host::HostPattern;
use crate::domain::rules::{AccessRules, PathMatcher, Policy, Rule, Subject};
use crate::domain::user::{Username, parse_group};

const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
];

/// A CIDR, or a bare address as a single-host network.
pub(in crate::config) fn parse_net(raw: &str) -> Option<IpNet> {
    raw.parse::<IpNet>()
        .ok()
        .or_else(|| raw.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

fn policy(cx: &mut Ctx<'_>, key: &str, raw: &str) -> Policy {
    Policy::parse(raw).unwrap_or_else(|| {
        cx.problem(
            key,
            &format!("{raw:?} is not a policy"),
            "use bypass, one_factor, two_factor, passkey or deny",
        );
        Policy::Deny
    })
}

pub(super) fn rules(cx: &mut Ctx<'_>, raw: &RawAccess) -> AccessRules {
    let default_policy = policy(cx, "access_control.default_policy", &raw.default_policy);
    let mut rules = Vec::new();
    for (i, r) in raw.rules.iter().enumerate() {
        let key = |field: &str| format!("access_control.rules[{i}].{field}");
        let mut hosts = Vec::new();
        for h in &r.hosts {
            match HostPattern::parse(h) {
                Ok(p) => hosts.push(p),
                Err(e) => cx.problem(
                    &key("hosts"),
                    &format!("{h:?}: {e}"),
                    "write a host or *.domain",
                ),
            }
        }
        let mut paths = Vec::new();
        for p in &r.paths {
            if p.starts_with('/') {
                paths.push(PathMatcher::Prefix(p.clone()));
            } else {
                cx.problem(
                    &key("paths"),
                    &format!("{p:?} does not start with '/'"),
                    "paths are prefixes of the decoded path, e.g. \"/api\"",
                );
            }
        }
        for p in &r.path_regex {
            match PathMatcher::regex(p) {
                Ok(re) => paths.push(re),
                Err(e) => cx.problem(
                    &key("path_regex"),
                    &format!("{p:?}: {e}"),
                    "anchor it, e.g. \"^/api/\"",
                ),
            }
        }
        let mut methods = Vec::new();
        for m in &r.methods {
            let upper = m.to_ascii_uppercase();
            if METHODS.contains(&upper.as_str()) {
                methods.push(upper);
            } else {
                cx.problem(
                    &key("methods"),
                    &format!("{m:?} is not an HTTP method"),
                    "e.g. \"GET\"",
                );
            }
        }
        let mut networks = Vec::new();
        for n in &r.networks {
            match parse_net(n) {
                Some(net) => networks.push(net),
                None => cx.problem(
                    &key("networks"),
                    &format!("{n:?} is not a network"),
                    "write a CIDR such as \"192.168.1.0/24\"",
                ),
            }
        }
        let mut subjects = Vec::new();
        for s in &r.subjects {
            match parse_subject(s) {
                Some(subject) => subjects.push(subject),
                None => cx.problem(
                    &key("subjects"),
                    &format!("{s:?} is not a subject"),
                    "write \"user:NAME\" or \"group:NAME\"",
                ),
            }
        }
        let policy = policy(cx, &key("policy"), &r.policy);
        rules.push(Rule {
            hosts,
            paths,
            methods,
            networks,
            subjects,
            policy,
            case_insensitive_paths: r.case_insensitive_paths,
        });
    }
    AccessRules {
        rules,
        default_policy,
    }
}

fn parse_subject(raw: &str) -> Option<Subject> {
    if let Some(u) = raw.strip_prefix("user:") {
        return Username::parse(u)
            .ok()
            .map(|u| Subject::User(u.as_str().to_owned()));
    }
    raw.strip_prefix("group:")
        .and_then(|g| parse_group(g).ok())
        .map(Subject::Group)
}

/// With passkeys off, a `passkey` rule could never be met: every user would be refused.
pub(super) fn no_passkey_rules(cx: &mut Ctx<'_>, access: &AccessRules) {
    let keys = access
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.policy == Policy::Passkey)
        .map(|(i, _)| format!("access_control.rules[{i}].policy"))
        .chain(
            (access.default_policy == Policy::Passkey)
                .then(|| "access_control.default_policy".to_owned()),
        );
    for key in keys {
        cx.problem(
            &key,
            "is \"passkey\", but passkeys are off here",
            "passkeys need webauthn enabled, \"passkey\" in two_factor.methods and a portal on a host name; else use two_factor",
        );
    }
}
