//! Access rules and the one decision function shared by proxy and forward-auth modes
//! (docs/architecture.md). Rules are matched in order on the canonical host and path (never the
//! query), the method, the client network and the subject; the first match decides.
//!
//! Nothing about the request's origin (header, mode, user agent) enters here except through
//! [`RequestFacts`], so the same request always gets the same answer (docs/security.md#no-implicit-bypass).

use std::net::IpAddr;

use ipnet::IpNet;
use regex::Regex;

use super::host::HostPattern;
use super::session::AuthLevel;

/// What a matching rule requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// No login needed.
    Bypass,
    /// A password session is enough.
    OneFactor,
    /// A session with a second factor is required.
    TwoFactor,
    /// A session signed in with a passkey is required (docs/passkeys.md#rules): a code
    /// or a remembered device is not enough.
    Passkey,
    /// Always refused.
    Deny,
}

impl Policy {
    /// Parses the config spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bypass" => Some(Self::Bypass),
            "one_factor" => Some(Self::OneFactor),
            "two_factor" => Some(Self::TwoFactor),
            "passkey" => Some(Self::Passkey),
            "deny" => Some(Self::Deny),
            _ => None,
        }
    }
}

/// How a rule matches the canonical path.
#[derive(Debug, Clone)]
pub enum PathMatcher {
    /// Segment-aware prefix: `/app` matches `/app` and `/app/x`, never `/application`.
    Prefix(String),
    /// A regular expression over the whole canonical path, compiled twice: as written, and
    /// case-insensitive for rules that must ignore case.
    Regex {
        /// As written.
        exact: Regex,
        /// The same pattern with case folding on.
        folded: Regex,
    },
}

impl PathMatcher {
    /// Compiles a path regex in both forms.
    pub fn regex(pattern: &str) -> Result<Self, regex::Error> {
        Ok(Self::Regex {
            exact: Regex::new(pattern)?,
            folded: regex::RegexBuilder::new(pattern)
                .case_insensitive(true)
                .build()?,
        })
    }

    /// Whether `path` matches. With `fold_case`, letter case is ignored (Unicode lowercase on
    /// both sides for prefixes, case-insensitive mode for regexes): an app that routes
    /// `/ADMIN` to `/admin` must not get `/ADMIN` past a rule for `/admin`.
    fn matches(&self, path: &str, fold_case: bool) -> bool {
        match (self, fold_case) {
            (Self::Prefix(prefix), false) => prefix_matches(prefix, path),
            (Self::Prefix(prefix), true) => {
                prefix_matches(&prefix.to_lowercase(), &path.to_lowercase())
            }
            (Self::Regex { exact, .. }, false) => exact.is_match(path),
            (Self::Regex { folded, .. }, true) => folded.is_match(path),
        }
    }
}

/// Segment-aware prefix match shared with site routing.
pub fn prefix_matches(prefix: &str, path: &str) -> bool {
    if prefix == "/" || prefix.is_empty() {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || prefix.ends_with('/'),
        None => false,
    }
}

/// Who a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// One user (canonical name).
    User(String),
    /// Members of a group.
    Group(String),
}

/// One access rule. Empty lists match everything.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Hosts the rule covers.
    pub hosts: Vec<HostPattern>,
    /// Paths the rule covers.
    pub paths: Vec<PathMatcher>,
    /// Upper-case method names.
    pub methods: Vec<String>,
    /// Client networks.
    pub networks: Vec<IpNet>,
    /// Users and groups; a rule with subjects needs a known user to match.
    pub subjects: Vec<Subject>,
    /// What the rule requires.
    pub policy: Policy,
    /// Whether `paths` ignore letter case; `None` takes the default of the site the request
    /// is for (see [`decide`]).
    pub case_insensitive_paths: Option<bool>,
}

/// The ordered rule list and the fallback policy.
#[derive(Debug, Clone)]
pub struct AccessRules {
    /// Rules in order.
    pub rules: Vec<Rule>,
    /// Policy when no rule matches.
    pub default_policy: Policy,
}

/// The canonical facts of one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// Canonical host name (no port).
    pub host: &'a str,
    /// Canonical decoded path (no query).
    pub path: &'a str,
    /// Upper-case method.
    pub method: &'a str,
    /// Trusted client address.
    pub client_ip: IpAddr,
}

/// Who is asking, when a session exists.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    /// Canonical username.
    pub username: &'a str,
    /// Group names.
    pub groups: &'a [String],
    /// Session strength.
    pub level: AuthLevel,
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let the request through.
    Allow,
    /// The request needs a login first.
    Login,
    /// The user is logged in with one factor but the rule needs two.
    SecondFactor,
    /// The rule needs a passkey and the session was not signed in with one.
    Passkey,
    /// Logged in (or not) and not allowed.
    Forbidden,
}

impl Rule {
    fn matches_object(&self, req: &RequestFacts<'_>, site_folds_case: bool) -> bool {
        let fold = self.case_insensitive_paths.unwrap_or(site_folds_case);
        (self.hosts.is_empty() || self.hosts.iter().any(|h| h.matches(req.host)))
            && (self.paths.is_empty() || self.paths.iter().any(|p| p.matches(req.path, fold)))
            && (self.methods.is_empty() || self.methods.iter().any(|m| m == req.method))
            && (self.networks.is_empty()
                || self.networks.iter().any(|n| n.contains(&req.client_ip)))
    }

    fn matches_subject(&self, who: &Identity<'_>) -> bool {
        self.subjects.iter().any(|s| match s {
            Subject::User(u) => u == who.username,
            Subject::Group(g) => who.groups.iter().any(|mine| mine == g),
        })
    }
}

/// Decides a request for a site whose paths are case-sensitive; see [`decide_for_site`].
pub fn decide(rules: &AccessRules, req: &RequestFacts<'_>, who: Option<&Identity<'_>>) -> Decision {
    decide_for_site(rules, req, who, false)
}

/// Decides a request. `who` is `None` for anonymous requests; a pending second-factor state
/// must be passed as `None` too, since it grants nothing. `site_folds_case` is the
/// `case_insensitive_paths` default of the site the host and path route to: it applies to
/// every rule that does not set its own.
pub fn decide_for_site(
    rules: &AccessRules,
    req: &RequestFacts<'_>,
    who: Option<&Identity<'_>>,
    site_folds_case: bool,
) -> Decision {
    for rule in &rules.rules {
        if !rule.matches_object(req, site_folds_case) {
            continue;
        }
        if rule.subjects.is_empty() {
            return apply(rule.policy, who);
        }
        match who {
            // A subject rule could apply once we know who this is: log in first, then decide.
            None => return Decision::Login,
            Some(id) if rule.matches_subject(id) => return apply(rule.policy, who),
            Some(_) => {}
        }
    }
    apply(rules.default_policy, who)
}

fn apply(policy: Policy, who: Option<&Identity<'_>>) -> Decision {
    match (policy, who) {
        (Policy::Bypass, _) => Decision::Allow,
        (Policy::Deny, _) => Decision::Forbidden,
        (Policy::OneFactor | Policy::TwoFactor | Policy::Passkey, None) => Decision::Login,
        (Policy::OneFactor, Some(_)) => Decision::Allow,
        (Policy::TwoFactor, Some(id)) if id.level >= AuthLevel::TwoFactor => Decision::Allow,
        (Policy::TwoFactor, Some(_)) => Decision::SecondFactor,
        (Policy::Passkey, Some(id)) if id.level >= AuthLevel::Passkey => Decision::Allow,
        (Policy::Passkey, Some(_)) => Decision::Passkey,
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
