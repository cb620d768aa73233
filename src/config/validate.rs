//! From the raw file to the typed `Config`, collecting every problem on the way.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::duration::parse_secs;
use super::file::*;
use super::types::*;
use super::{Problem, read_secret};
use crate::domain::client_ip::TrustedProxies;
use crate::domain::host::{HostPattern, parse_authority};
use crate::domain::password::{HashParams, PasswordPolicy};
use crate::domain::redirect::RedirectPolicy;
use crate::domain::secret::SecretString;
use crate::domain::session::SessionTimeouts;
use crate::domain::throttle::ThrottlePolicy;

mod access;
mod sites;

/// Deserialises each top-level section on its own, so one bad section does not hide the
/// problems of the others; unknown keys are all listed, not just the first.
pub(super) fn deserialize_sections(mut table: Table, problems: &mut Vec<Problem>) -> RawConfig {
    let mut raw = RawConfig::default();
    macro_rules! section {
        ($name:literal, $field:ident) => {
            if let Some(v) = table.remove($name) {
                if let Some(parsed) = typed(v, $name, problems) {
                    raw.$field = parsed;
                }
            }
        };
    }
    section!("server", server);
    section!("portal", portal);
    section!("session", session);
    section!("storage", storage);
    section!("secrets", secrets);
    section!("password", password);
    section!("throttle", throttle);
    section!("access_control", access_control);
    section!("sites", sites);
    section!("log", log);
    for key in table.keys() {
        problems.push(Problem::new(key, "unknown section", "sections are server, portal, session, storage, secrets, password, throttle, access_control, sites, log"));
    }
    raw
}

fn typed<T: DeserializeOwned>(
    value: Value,
    section: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let mut unknown = Vec::new();
    let result = serde_ignored::deserialize(value, |path| unknown.push(path.to_string()));
    for path in &unknown {
        // serde_ignored writes `?` for the inside of an Option; keys never contain it.
        let inner: Vec<&str> = path
            .split('.')
            .filter(|p| !p.is_empty() && *p != "?")
            .collect();
        let key = if inner.is_empty() {
            section.to_owned()
        } else {
            format!("{section}.{}", inner.join("."))
        };
        problems.push(Problem::new(
            &key,
            "unknown key",
            "see config/gatehouse.toml for every key",
        ));
    }
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(Problem::new(
                section,
                e.to_string().trim(),
                "check the value's type against config/gatehouse.toml",
            ));
            None
        }
    }
}

pub(super) struct Ctx<'a> {
    pub problems: &'a mut Vec<Problem>,
    pub base_dir: &'a Path,
}

impl Ctx<'_> {
    pub fn problem(&mut self, key: &str, message: &str, hint: &str) {
        self.problems.push(Problem::new(key, message, hint));
    }

    pub fn secs(&mut self, key: &str, raw: &str) -> i64 {
        match parse_secs(raw) {
            Some(s) if s > 0 => s,
            _ => {
                self.problem(
                    key,
                    &format!("{raw:?} is not a duration"),
                    "write a whole number with s, m, h or d, e.g. \"30m\"",
                );
                1
            }
        }
    }

    pub fn duration(&mut self, key: &str, raw: &str) -> Duration {
        Duration::from_secs(u64::try_from(self.secs(key, raw)).unwrap_or(1))
    }

    pub fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

pub(super) fn validate(raw: RawConfig, base_dir: &Path, problems: &mut Vec<Problem>) -> Config {
    let mut cx = Ctx { problems, base_dir };
    let server = server(&mut cx, &raw.server);
    let portal_url = portal_url(&mut cx, &raw.portal.url);
    let session = session(&mut cx, &raw.session, &portal_url);
    let sites = sites::sites(&mut cx, &raw.sites, &portal_url, &session.cookie.domains);
    let portal = portal(
        &mut cx,
        &raw.portal,
        portal_url,
        &sites,
        &session.cookie.domains,
    );
    let database = cx.path(&raw.storage.database);
    let secrets = secrets(&mut cx, &raw.secrets, &database);
    let password = password(&mut cx, &raw.password);
    let throttle = throttle(&mut cx, &raw.throttle);
    let access = access::rules(&mut cx, &raw.access_control);
    let log = log(&mut cx, &raw.log);
    Config {
        server,
        portal,
        session,
        database,
        secrets,
        password,
        throttle,
        access,
        sites,
        log,
    }
}

fn server(cx: &mut Ctx<'_>, raw: &RawServer) -> ServerConfig {
    let mut listen = Vec::new();
    for (i, a) in raw.listen.iter().enumerate() {
        match a.parse::<SocketAddr>() {
            Ok(addr) => listen.push(addr),
            Err(_) => cx.problem(
                &format!("server.listen[{i}]"),
                &format!("{a:?} is not an address"),
                "write ip:port, e.g. \"0.0.0.0:9091\" or \"[::]:9091\"",
            ),
        }
    }
    if raw.listen.is_empty() {
        cx.problem(
            "server.listen",
            "no address to listen on",
            "add at least one ip:port",
        );
    }
    let tls = match (&raw.tls_cert, &raw.tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            let (cert, key) = (cx.path(cert), cx.path(key));
            for (k, p) in [("server.tls_cert", &cert), ("server.tls_key", &key)] {
                if !p.is_file() {
                    cx.problem(
                        k,
                        &format!("{} is not a readable file", p.display()),
                        "point it at a PEM file",
                    );
                }
            }
            Some(TlsFiles { cert, key })
        }
        _ => {
            cx.problem(
                "server.tls_cert",
                "tls_cert and tls_key must be set together",
                "set both, or neither for plain HTTP",
            );
            None
        }
    };
    let mut nets = Vec::new();
    for (i, n) in raw.trusted_proxies.iter().enumerate() {
        match access::parse_net(n) {
            Some(net) => nets.push(net),
            None => cx.problem(
                &format!("server.trusted_proxies[{i}]"),
                &format!("{n:?} is not a network"),
                "write a CIDR such as \"10.0.0.0/8\" or an address",
            ),
        }
    }
    if raw.max_header_bytes < 4096 || raw.max_form_bytes < 1024 {
        cx.problem(
            "server.max_header_bytes",
            "limits are too small to serve the portal",
            "use at least 4096 for headers and 1024 for forms",
        );
    }
    ServerConfig {
        listen,
        tls,
        trusted_proxies: TrustedProxies::new(nets),
        shutdown_grace: cx.duration("server.shutdown_grace", &raw.shutdown_grace),
        upstream_connect_timeout: cx.duration(
            "server.upstream_connect_timeout",
            &raw.upstream_connect_timeout,
        ),
        upstream_timeout: cx.duration("server.upstream_timeout", &raw.upstream_timeout),
        max_header_bytes: raw.max_header_bytes,
        max_form_bytes: raw.max_form_bytes,
    }
}

/// Whether a host name is a loopback name, where browsers treat plain http as secure.
pub(super) fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn portal_url(cx: &mut Ctx<'_>, raw: &str) -> PublicUrl {
    let fallback = PublicUrl {
        https: true,
        host: "invalid".into(),
        port: None,
        base_path: String::new(),
    };
    if raw.is_empty() {
        cx.problem(
            "portal.url",
            "is required",
            "set the public URL of the login portal, e.g. \"https://auth.example.com\"",
        );
        return fallback;
    }
    match sites::parse_origin_url(raw) {
        Ok(u) => {
            if !u.https && !is_loopback_host(&u.host) {
                cx.problem(
                    "portal.url",
                    "plain http is only allowed on loopback hosts",
                    "session cookies are Secure: serve the portal over https",
                );
            }
            u
        }
        Err(msg) => {
            cx.problem("portal.url", &msg, "write an absolute URL such as \"https://auth.example.com\" or \"https://app.example.com/_gatehouse\"");
            fallback
        }
    }
}

fn portal(
    cx: &mut Ctx<'_>,
    raw: &RawPortal,
    url: PublicUrl,
    sites: &[SiteConfig],
    domains: &[CookieDomain],
) -> PortalConfig {
    let mut allowed: Vec<HostPattern> = vec![HostPattern::Exact(url.host.clone())];
    allowed.extend(
        domains
            .iter()
            .map(|d| HostPattern::Exact(d.portal.host.clone())),
    );
    allowed.extend(sites.iter().map(|s| s.host.clone()));
    for (i, d) in raw.redirect_domains.iter().enumerate() {
        match HostPattern::parse(d) {
            Ok(p) => allowed.push(p),
            Err(e) => cx.problem(
                &format!("portal.redirect_domains[{i}]"),
                &e.to_string(),
                "write a host or *.domain",
            ),
        }
    }
    let redirect = RedirectPolicy {
        allowed,
        allow_http: !url.https,
    };
    let default_redirect = match &raw.default_redirect {
        Some(d) => {
            if crate::domain::redirect::validate_redirect(d, &redirect).is_none() {
                cx.problem(
                    "portal.default_redirect",
                    "is not an allowed redirect target",
                    "use a URL on the portal or a configured site",
                );
            }
            d.clone()
        }
        None => url.url("/"),
    };
    let templates_dir = raw.templates_dir.as_ref().map(|d| cx.path(d));
    if let Some(d) = &templates_dir
        && !d.is_dir()
    {
        cx.problem(
            "portal.templates_dir",
            &format!("{} is not a directory", d.display()),
            "remove it to use the built-in pages",
        );
    }
    PortalConfig {
        url,
        title: raw.title.clone(),
        default_redirect,
        templates_dir,
        redirect,
    }
}

fn session(cx: &mut Ctx<'_>, raw: &RawSession, portal: &PublicUrl) -> SessionConfig {
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
            "add url = \"redis://host:6379\"",
        );
        return SessionBackend::Memory { capacity: 1 };
    };
    let password = match (&raw.password, &raw.password_file) {
        (Some(p), None) => Some(p.clone()),
        (None, Some(f)) => read_secret(&cx.path(f))
            .map_err(|e| {
                cx.problem(
                    "session.redis.password_file",
                    &e.to_string(),
                    "point it at a readable file",
                )
            })
            .ok(),
        (None, None) => None,
        (Some(_), Some(_)) => {
            cx.problem(
                "session.redis.password",
                "both password and password_file are set",
                "keep one",
            );
            None
        }
    };
    let mut url = raw.url.clone();
    if !(url.starts_with("redis://")
        || url.starts_with("rediss://")
        || url.starts_with("redis+unix://")
        || url.starts_with("unix://"))
    {
        cx.problem(
            "session.redis.url",
            "is not a redis:// or rediss:// URL",
            "e.g. \"redis://127.0.0.1:6379/0\"",
        );
    }
    if let Some(pw) = password {
        let encoded: String =
            percent_encoding::utf8_percent_encode(&pw, percent_encoding::NON_ALPHANUMERIC)
                .collect();
        url = url.replacen("://", &format!("://:{encoded}@"), 1);
    }
    SessionBackend::Redis {
        url: SecretString::new(url),
        prefix: raw.prefix.clone(),
        timeout: cx.duration("session.redis.timeout", &raw.timeout),
    }
}

fn secrets(cx: &mut Ctx<'_>, raw: &RawSecrets, database: &Path) -> SecretsConfig {
    let key = match (&raw.key, &raw.key_file) {
        (Some(k), None) => {
            if k.chars().count() < 32 {
                cx.problem(
                    "secrets.key",
                    "is shorter than 32 characters",
                    "generate one with `openssl rand -base64 48`",
                );
            }
            KeySource::Value(SecretString::new(k.clone()))
        }
        (None, Some(f)) => KeySource::File(cx.path(f)),
        (None, None) => KeySource::Generate(database.with_file_name("gatehouse.key")),
        (Some(_), Some(_)) => {
            cx.problem("secrets.key", "both key and key_file are set", "keep one");
            KeySource::Generate(PathBuf::new())
        }
    };
    let pepper = match (&raw.pepper, &raw.pepper_file) {
        (Some(p), None) => Some(SecretString::new(p.clone())),
        (None, Some(f)) => read_secret(&cx.path(f))
            .map(SecretString::new)
            .map_err(|e| {
                cx.problem(
                    "secrets.pepper_file",
                    &e.to_string(),
                    "point it at a readable file",
                )
            })
            .ok(),
        (None, None) => None,
        (Some(_), Some(_)) => {
            cx.problem(
                "secrets.pepper",
                "both pepper and pepper_file are set",
                "keep one",
            );
            None
        }
    };
    SecretsConfig { key, pepper }
}

fn password(cx: &mut Ctx<'_>, raw: &RawPassword) -> PasswordConfig {
    // SECURITY 1: 15 characters when the password is the only factor.
    if raw.min_length < 15 {
        cx.problem(
            "password.min_length",
            "is below 15",
            "NIST SP 800-63B-4 requires 15 characters for password-only accounts",
        );
    }
    let hash = HashParams {
        memory_kib: raw.argon2_memory_kib,
        iterations: raw.argon2_iterations,
        parallelism: raw.argon2_parallelism,
    };
    if !hash.meets_owasp_floor() {
        cx.problem(
            "password.argon2_memory_kib",
            "argon2id cost is below the OWASP floor",
            "use at least m=19456 KiB with t=2 (or m=47104/t=1, m=12288/t=3)",
        );
    }
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let max_concurrent_hashes = if raw.max_concurrent_hashes == 0 {
        2 * cores
    } else {
        raw.max_concurrent_hashes
    };
    PasswordConfig {
        policy: PasswordPolicy {
            min_chars: raw.min_length,
        },
        hash,
        max_concurrent_hashes,
    }
}

fn throttle(cx: &mut Ctx<'_>, raw: &RawThrottle) -> ThrottleConfig {
    if raw.max_consecutive_failures == 0 || raw.max_consecutive_failures > 100 {
        cx.problem(
            "throttle.max_consecutive_failures",
            "must be between 1 and 100",
            "NIST SP 800-63B §5.2.2 caps consecutive failures at 100",
        );
    }
    if raw.account_failures == 0 || raw.ip_failures == 0 {
        cx.problem(
            "throttle.account_failures",
            "account_failures and ip_failures must be at least 1",
            "the defaults are 5 and 20",
        );
    }
    let forget_after = cx.secs("throttle.forget_after", &raw.forget_after);
    let account = ThrottlePolicy {
        ban_every: raw.account_failures,
        base_ban: cx.secs("throttle.account_ban", &raw.account_ban),
        max_ban: cx.secs("throttle.account_max_ban", &raw.account_max_ban),
        hard_cap: raw.max_consecutive_failures,
        forget_after,
    };
    let ip = ThrottlePolicy {
        ban_every: raw.ip_failures,
        base_ban: cx.secs("throttle.ip_ban", &raw.ip_ban),
        max_ban: cx.secs("throttle.ip_max_ban", &raw.ip_max_ban),
        hard_cap: u32::MAX,
        forget_after: cx.secs("throttle.ip_max_ban", &raw.ip_max_ban),
    };
    ThrottleConfig {
        account,
        ip,
        capacity: raw.capacity.max(1000),
    }
}

fn log(cx: &mut Ctx<'_>, raw: &RawLog) -> LogConfig {
    let json = match raw.format.as_str() {
        "json" => true,
        "pretty" => false,
        other => {
            cx.problem(
                "log.format",
                &format!("{other:?} is not a format"),
                "use \"pretty\" or \"json\"",
            );
            false
        }
    };
    if !matches!(
        raw.level.as_str(),
        "trace" | "debug" | "info" | "warn" | "error"
    ) {
        cx.problem(
            "log.level",
            &format!("{:?} is not a level", raw.level),
            "use trace, debug, info, warn or error",
        );
    }
    LogConfig {
        json,
        level: raw.level.clone(),
    }
}

pub(super) fn authority_host(
    raw: &str,
    default_port: u16,
) -> Result<(String, Option<u16>), String> {
    parse_authority(raw, default_port)
        .map(|a| (a.host, a.port))
        .map_err(|e| e.to_string())
}
