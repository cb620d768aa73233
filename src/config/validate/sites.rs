//! Validation of `[[sites]]`, the portal URL and the cookie domain, which must agree:
//! the session cookie has to reach every site, or logins would loop.

use super::{Ctx, authority_host};
use crate::config::file::RawSite;
use crate::config::types::SiteIcon;
use crate::config::types::{CookieDomain, PublicUrl, SiteConfig, Upstream, within_domain};
use crate::domain::host::HostPattern;

/// Splits `scheme://authority/path` (no query or fragment) into its parts.
fn split_url(raw: &str) -> Result<(bool, &str, &str), String> {
    let (https, rest) = if let Some(r) = raw.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = raw.strip_prefix("http://") {
        (false, r)
    } else {
        return Err("must start with http:// or https://".into());
    };
    if rest.contains(['?', '#', '\\']) || rest.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("must not contain a query, fragment, backslash or spaces".into());
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    Ok((https, authority, path))
}

/// Parses the portal's public URL; the path becomes the base path.
pub(super) fn parse_origin_url(raw: &str) -> Result<PublicUrl, String> {
    let (https, authority, path) = split_url(raw)?;
    let (host, port) = authority_host(authority, if https { 443 } else { 80 })?;
    let base_path = path.trim_end_matches('/').to_owned();
    if base_path.contains("//") || base_path.contains("/.") {
        return Err("the path must be plain, like /_gatehouse".into());
    }
    Ok(PublicUrl {
        https,
        host,
        port,
        base_path,
    })
}

fn parse_upstream(raw: &str) -> Result<Upstream, String> {
    let (https, authority, path) = split_url(raw)?;
    let default_port = if https { 443 } else { 80 };
    let (host, port) = authority_host(authority, default_port)?;
    let authority = format!("{host}:{}", port.unwrap_or(default_port));
    Ok(Upstream {
        https,
        authority,
        host,
        base_path: path.trim_end_matches('/').to_owned(),
    })
}

/// Validates `session.domain` against the portal host.
pub(super) fn cookie_domain(
    cx: &mut Ctx<'_>,
    key: &str,
    raw: &str,
    portal: &PublicUrl,
) -> Option<String> {
    let d = raw.trim().trim_start_matches('.').to_ascii_lowercase();
    let Ok(HostPattern::Exact(d)) = HostPattern::parse(&d) else {
        cx.problem(
            key,
            &format!("{raw:?} is not a domain"),
            "write the parent domain, e.g. \"example.com\"",
        );
        return None;
    };
    // A cookie for a public suffix (com, co.uk, github.io) would be sent to every site under
    // it; browsers refuse it anyway, so a config naming one can never work (Public Suffix List).
    let public_suffix = psl::suffix_str(&d) == Some(d.as_str())
        && psl::suffix(d.as_bytes()).is_some_and(|s| s.is_known());
    if !d.contains('.') || public_suffix || d.parse::<std::net::IpAddr>().is_ok() {
        cx.problem(key, &format!("{d:?} is a public suffix or a single label: it cannot carry a cookie for several hosts"), "use a domain you own, such as \"example.com\"");
        return None;
    }
    if !within_domain(&portal.host, &d) {
        cx.problem(
            key,
            &format!("the portal host {} is not under {d}", portal.host),
            "the portal must be on the cookie domain",
        );
    }
    Some(d)
}

/// An icon URL: absolute http or https, without credentials; its origin goes into the CSP.
fn site_icon(raw: &str) -> Result<SiteIcon, String> {
    let uri: http::Uri = raw.parse().map_err(|_| format!("{raw:?} is not a URL"))?;
    let scheme = uri.scheme_str().filter(|s| *s == "http" || *s == "https");
    match (scheme, uri.authority()) {
        (Some(scheme), Some(a)) if !a.as_str().contains('@') && !raw.contains(['"', '\'', ' ']) => {
            Ok(SiteIcon {
                url: raw.to_owned(),
                origin: format!("{scheme}://{a}"),
            })
        }
        _ => Err(format!("{raw:?} is not an absolute http(s) URL")),
    }
}

pub(super) fn sites(
    cx: &mut Ctx<'_>,
    raw: &[RawSite],
    portal: &PublicUrl,
    domains: &[CookieDomain],
) -> Vec<SiteConfig> {
    let mut out: Vec<SiteConfig> = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let key = |f: &str| format!("sites[{i}].{f}");
        let host = match HostPattern::parse(&s.host) {
            Ok(h) => h,
            Err(e) => {
                cx.problem(
                    &key("host"),
                    &format!("{:?}: {e}", s.host),
                    "write a host or *.domain",
                );
                continue;
            }
        };
        let covered = match &host {
            HostPattern::Exact(h) | HostPattern::Suffix(h) if !domains.is_empty() => {
                domains.iter().any(|d| within_domain(h, &d.domain))
            }
            HostPattern::Exact(h) => *h == portal.host,
            HostPattern::Suffix(_) => false,
        };
        if !covered {
            cx.problem(
                &key("host"),
                &format!("the session cookie cannot reach {host}"),
                "set session.domain to a parent of every site, or put the site on the portal host",
            );
        }
        if !s.path_prefix.starts_with('/') {
            cx.problem(
                &key("path_prefix"),
                "must start with '/'",
                "e.g. \"/\" or \"/app\"",
            );
        }
        if host == HostPattern::Exact(portal.host.clone()) && portal.base_path.is_empty() {
            cx.problem(
                "portal.url",
                "the portal shares its host with a site but has no path",
                "give the portal its own path, e.g. \"https://app.example.com/_gatehouse\"",
            );
        }
        let upstream = match parse_upstream(&s.upstream) {
            Ok(u) => u,
            Err(e) => {
                cx.problem(
                    &key("upstream"),
                    &e,
                    "write a URL such as \"http://127.0.0.1:8080\"",
                );
                continue;
            }
        };
        let ca_file = s.ca_file.as_ref().map(|f| cx.path(f));
        if let Some(f) = &ca_file
            && !f.is_file()
        {
            cx.problem(
                &key("ca_file"),
                &format!("{} is not a readable file", f.display()),
                "point it at a PEM bundle",
            );
        }
        if out
            .iter()
            .any(|o| o.host == host && o.path_prefix == s.path_prefix)
        {
            cx.problem(
                &key("host"),
                &format!("{host}{} is configured twice", s.path_prefix),
                "merge the two sites",
            );
        }
        let name = match s
            .name
            .as_deref()
            .map(crate::domain::email::DisplayName::parse)
        {
            None => None,
            Some(Ok(n)) => Some(n.as_str().to_owned()),
            Some(Err(e)) => {
                cx.problem(
                    &key("name"),
                    &format!("it {e}"),
                    "a short name such as \"Wiki\"",
                );
                None
            }
        };
        let icon = match s.icon.as_deref().map(site_icon) {
            None => None,
            Some(Ok(i)) => Some(i),
            Some(Err(e)) => {
                cx.problem(
                    &key("icon"),
                    &e,
                    "an http(s) URL such as \"https://wiki.example.com/favicon.ico\"",
                );
                None
            }
        };
        out.push(SiteConfig {
            name,
            icon,
            host,
            path_prefix: s.path_prefix.clone(),
            upstream,
            preserve_host: s.preserve_host,
            default: s.default,
            ca_file,
            case_insensitive_paths: s.case_insensitive_paths,
        });
    }
    if out.iter().filter(|s| s.default).count() > 1 {
        cx.problem(
            "sites",
            "more than one site has default = true",
            "keep one default site for unknown hosts",
        );
    }
    out
}
