//! Validation of `[session]`: cookie, cookie domains (one portal each), timeouts, store.

use std::time::Duration;

use super::{Ctx, is_loopback_host, sites};
use crate::config::duration::parse_secs;
use crate::config::file::{RawRedis, RawSession};
use crate::config::types::*;
use crate::domain::session::SessionTimeouts;

pub(super) fn session(cx: &mut Ctx<'_>, raw: &RawSession, portal: &PublicUrl) -> SessionConfig {
    let same_site = match raw.same_site.as_str() {
        "lax" => SameSite::Lax,
        "strict" => SameSite::Strict,
        other => {
            cx.problem("session.same_site", &format!("{other:?} is not allowed"), "use \"lax\" or \"strict\" (\"none\" would allow cross-site requests with the session)");
            SameSite::Lax
        }
    };
    if raw.cookie_name.is_empty()
        || !raw
            .cookie_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        cx.problem(
            "session.cookie_name",
            "must be letters, digits, '_' or '-'",
            "the default is \"gatehouse_session\"",
        );
    }
    let domains = cookie_domains(cx, raw, portal);
    let prefix = if domains.is_empty() {
        "__Host-"
    } else {
        "__Secure-"
    };
    let idle = cx.secs("session.idle_timeout", &raw.idle_timeout);
    let absolute = cx.secs("session.absolute_timeout", &raw.absolute_timeout);
    // docs/security.md#session-timeouts: off by default; when on, longer than an ordinary
    // session and within what browsers keep a cookie (400 days).
    let remember = match raw.remember_me.trim() {
        "0" | "" => 0,
        text => cx.secs("session.remember_me", text),
    };
    if remember != 0 && !(absolute.max(86_400)..=400 * 86_400).contains(&remember) {
        cx.problem(
            "session.remember_me",
            "must be 0 (off) or between absolute_timeout (at least 1d) and 400d",
            "e.g. \"30d\"",
        );
    }
    if idle > absolute {
        cx.problem(
            "session.idle_timeout",
            "is longer than absolute_timeout",
            "make idle_timeout at most absolute_timeout",
        );
    }
    let backend = match raw.store.as_str() {
        "memory" => SessionBackend::Memory {
            capacity: raw.memory_capacity.max(1),
        },
        "redis" => redis_backend(cx, raw.redis.as_ref()),
        other => {
            cx.problem(
                "session.store",
                &format!("{other:?} is not a store"),
                "use \"memory\" (one instance) or \"redis\" (shared)",
            );
            SessionBackend::Memory { capacity: 1 }
        }
    };
    if raw.max_per_user == 0 {
        cx.problem(
            "session.max_per_user",
            "must be at least 1",
            "the default is 10",
        );
    }
    SessionConfig {
        cookie: CookieConfig {
            name: format!("{prefix}{}", raw.cookie_name),
            domains,
            same_site,
        },
        timeouts: SessionTimeouts {
            idle,
            absolute,
            touch_every: (idle / 30).clamp(1, 60),
            remember,
        },
        max_per_user: raw.max_per_user.max(1),
        user_refresh: Duration::from_secs(
            u64::try_from(parse_secs(&raw.user_refresh).unwrap_or(-1)).unwrap_or_else(|_| {
                cx.problem(
                    "session.user_refresh",
                    "is not a duration",
                    "e.g. \"1s\"; \"0\" reads the user on every request",
                );
                1
            }),
        ),
        backend,
    }
}

/// The primary cookie domain (`session.domain` with `portal.url`) and any further ones, each
/// with its own portal on the same base path.
fn cookie_domains(cx: &mut Ctx<'_>, raw: &RawSession, portal: &PublicUrl) -> Vec<CookieDomain> {
    let mut out = Vec::new();
    if let Some(d) = raw
        .domain
        .as_ref()
        .and_then(|d| sites::cookie_domain(cx, "session.domain", d, portal))
    {
        out.push(CookieDomain {
            domain: d,
            portal: portal.clone(),
        });
    }
    if !raw.cookie_domains.is_empty() && raw.domain.is_none() {
        cx.problem(
            "session.cookie_domains",
            "further cookie domains need session.domain first",
            "set session.domain for the primary portal",
        );
    }
    for (i, extra) in raw.cookie_domains.iter().enumerate() {
        let key = format!("session.cookie_domains[{i}]");
        let url = match sites::parse_origin_url(&extra.portal_url) {
            Ok(u) => u,
            Err(msg) => {
                cx.problem(
                    &format!("{key}.portal_url"),
                    &msg,
                    "the portal for this domain, e.g. \"https://auth.example.org\"",
                );
                continue;
            }
        };
        if url.base_path != portal.base_path || (!url.https && !is_loopback_host(&url.host)) {
            cx.problem(
                &format!("{key}.portal_url"),
                "must use https (or a loopback host) and the same path as portal.url",
                "e.g. \"https://auth.example.org\" next to \"https://auth.example.com\"",
            );
        }
        if let Some(d) = sites::cookie_domain(cx, &format!("{key}.domain"), &extra.domain, &url) {
            if out.iter().any(|o: &CookieDomain| {
                within_domain(&d, &o.domain) || within_domain(&o.domain, &d)
            }) {
                cx.problem(
                    &format!("{key}.domain"),
                    &format!("{d} overlaps another cookie domain"),
                    "cookie domains must be disjoint",
                );
            }
            out.push(CookieDomain {
                domain: d,
                portal: url,
            });
        }
    }
    out
}

fn redis_backend(cx: &mut Ctx<'_>, raw: Option<&RawRedis>) -> SessionBackend {
    let Some(raw) = raw else {
        cx.problem(
            "session.redis",
            "store = \"redis\" needs a [session.redis] section",
            "add url = \"redis://host:6379\", or sentinels and master_name, or cluster",
        );
        return SessionBackend::Memory { capacity: 1 };
    };
    let password = cx.secret(
        "session.redis.password",
        raw.password.as_ref(),
        raw.password_file.as_ref(),
    );
    let (target, tls) = super::redis_target::redis_target(cx, raw, password);
    let tls = super::redis_tls::redis_tls(cx, raw, tls);
    SessionBackend::Redis {
        target,
        prefix: raw.prefix.clone(),
        timeout: cx.duration("session.redis.timeout", &raw.timeout),
        local_cache: local_cache(cx, &raw.local_cache),
        tls,
    }
}

/// The local session cache's lifetime: a backstop for an invalidation lost on a live
/// subscription, so it stays short (docs/security.md#session-cache).
fn local_cache(cx: &mut Ctx<'_>, raw: &str) -> Duration {
    let Some(ttl) = parse_secs(raw).and_then(|s| u64::try_from(s).ok()) else {
        cx.problem(
            "session.redis.local_cache",
            &format!("{raw:?} is not a duration"),
            "e.g. \"2s\"; \"0\" turns the cache off",
        );
        return Duration::ZERO;
    };
    let ttl = Duration::from_secs(ttl);
    if ttl > MAX_LOCAL_CACHE {
        cx.problem(
            "session.redis.local_cache",
            "is longer than 10s",
            "use a short backstop such as \"2s\", or \"0\" to turn the cache off",
        );
    }
    ttl
}

/// Longest `session.redis.local_cache` accepted.
const MAX_LOCAL_CACHE: Duration = Duration::from_secs(10);
