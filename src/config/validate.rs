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
use crate::domain::redirect::RedirectPolicy;
use crate::domain::secret::SecretString;

mod access;
mod admin;
mod branding;
mod database;
mod metrics;
mod notifier;
mod redis_target;
mod redis_tls;
mod security;
mod session;
mod sites;
mod webauthn;

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
    section!("two_factor", two_factor);
    section!("webauthn", webauthn);
    section!("notifier", notifier);
    section!("admin", admin);
    section!("metrics", metrics);
    for key in table.keys() {
        problems.push(Problem::new(key, "unknown section", "sections are server, portal, session, storage, secrets, password, throttle, access_control, sites, log, two_factor, webauthn, notifier, admin, metrics"));
    }
    raw
}

/// More worker threads than this is a typo, not a machine.
const MAX_WORKERS: usize = 256;

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

    /// A secret given either inline (`key`) or as a file (`key_file`), never both.
    pub fn secret(
        &mut self,
        key: &str,
        value: Option<&String>,
        file: Option<&PathBuf>,
    ) -> Option<SecretString> {
        match (value, file) {
            (Some(v), None) => Some(SecretString::new(v.clone())),
            (None, Some(f)) => match read_secret(&self.path(f)) {
                Ok(v) => Some(SecretString::new(v)),
                Err(e) => {
                    self.problem(
                        &format!("{key}_file"),
                        &e.to_string(),
                        crate::config::env::secret_file_hint(&e),
                    );
                    None
                }
            },
            (None, None) => None,
            (Some(_), Some(_)) => {
                self.problem(
                    key,
                    &format!("both {key} and {key}_file are set"),
                    "keep one",
                );
                None
            }
        }
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
    let session = session::session(&mut cx, &raw.session, &portal_url);
    let sites = sites::sites(&mut cx, &raw.sites, &portal_url, &session.cookie.domains);
    let portal = portal(
        &mut cx,
        &raw.portal,
        portal_url,
        &sites,
        &session.cookie.domains,
    );
    let database = database::database(&mut cx, &raw.storage.database);
    let secrets = security::secrets(&mut cx, &raw.secrets, &database);
    let password = security::password(&mut cx, &raw.password);
    let throttle = security::throttle(&mut cx, &raw.throttle);
    let access = access::rules(&mut cx, &raw.access_control);
    let log = log(&mut cx, &raw.log);
    let two_factor = security::two_factor(&mut cx, &raw.two_factor, &portal.title);
    let webauthn = webauthn::webauthn(
        &mut cx,
        &raw.webauthn,
        (&portal, &session.cookie.domains),
        two_factor.methods.passkey,
    );
    if !webauthn.enabled {
        access::no_passkey_rules(&mut cx, &access);
    }
    let notifier = security::notifier(&mut cx, &raw.notifier);
    let admin = admin::admin(&mut cx, &raw.admin);
    let metrics = metrics::metrics(&mut cx, &raw.metrics, &server.listen);
    if password.forgot_password_enabled && !notifier.configured() {
        cx.problem(
            "password.forgot_password_enabled",
            "needs a notifier to send the reset links",
            "configure [notifier] (SMTP, or file_dir for development)",
        );
    }
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
        two_factor,
        webauthn,
        notifier,
        admin,
        metrics,
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
            // The TLS private key is a secret file like the others (the certificate is public).
            if key.is_file()
                && let Err(e) = crate::config::private_file(&key)
            {
                cx.problem(
                    "server.tls_key",
                    &e.to_string(),
                    crate::config::env::secret_file_hint(&e),
                );
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
    if raw.max_connections == 0
        || raw.max_connections_per_client == 0
        || raw.max_connections_per_client > raw.max_connections
    {
        cx.problem(
            "server.max_connections_per_client",
            "connection caps must be at least 1, and the per-client cap at most max_connections",
            "e.g. max_connections = 8192 and max_connections_per_client = 256",
        );
    }
    if raw.workers > MAX_WORKERS {
        cx.problem(
            "server.workers",
            &format!(
                "{} worker threads is more than the {MAX_WORKERS} allowed",
                raw.workers
            ),
            "leave it at 0 (one per core) unless measurements say otherwise",
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
        body_read_timeout: cx.duration("server.body_read_timeout", &raw.body_read_timeout),
        idle_timeout: cx.duration("server.idle_timeout", &raw.idle_timeout),
        max_connections: raw.max_connections,
        max_connections_per_client: raw.max_connections_per_client,
        workers: raw.workers,
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
    let languages = raw.languages.clone().unwrap_or_else(|| {
        crate::i18n::SHIPPED
            .iter()
            .map(|(tag, _)| (*tag).to_owned())
            .collect()
    });
    // Loading the catalogs here lists a missing catalog, a bad tag and every syntax error of
    // an operator's catalog at start (and in `check-config`), not at the first page.
    if let Err(problems) =
        crate::i18n::Catalogs::load(&languages, &raw.default_language, templates_dir.as_deref())
    {
        for p in problems {
            cx.problem(
                "portal.languages",
                &p,
                "list shipped tags (en, de, fr, es, nl, pt) or add <templates_dir>/locales/<tag>.ftl",
            );
        }
    }
    PortalConfig {
        url,
        title: raw.title.clone(),
        default_redirect,
        templates_dir,
        redirect,
        languages,
        default_language: raw.default_language.clone(),
        branding: branding::branding(cx, raw),
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
