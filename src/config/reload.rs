//! Which settings a running gateway can take from a re-read configuration, and which only a
//! restart applies (docs/architecture.md#reloading-the-configuration).
//!
//! A reload rebuilds the rules, the site table, the pages and the branding. Everything the
//! listeners, the stores, the keys and the use cases were built from at start stays as it
//! was: rebuilding them would drop connections, sessions or throttle counts. For those keys
//! the running values are kept, so the state a reload builds always describes what runs, and
//! each changed one is reported as needing a restart.

use super::{Config, KeySource, RedisTarget, SessionBackend};

/// `new` with every restart-only setting taken from `running`, and the keys among them that
/// `new` changes (for the log: they need a restart).
pub fn for_reload(running: &Config, new: Config) -> (Config, Vec<&'static str>) {
    let changed = restart_only_changes(running, &new);
    let old = running.clone();
    let server = super::ServerConfig {
        upstream_connect_timeout: new.server.upstream_connect_timeout,
        upstream_timeout: new.server.upstream_timeout,
        max_form_bytes: new.server.max_form_bytes,
        ..old.server
    };
    let portal = super::PortalConfig {
        url: old.portal.url,
        title: old.portal.title,
        ..new.portal
    };
    let two_factor = super::TwoFactorConfig {
        issuer: old.two_factor.issuer,
        remember_device_days: old.two_factor.remember_device_days,
        methods: old.two_factor.methods,
        ..new.two_factor
    };
    let merged = Config {
        server,
        portal,
        session: old.session,
        database: old.database,
        secrets: old.secrets,
        password: old.password,
        throttle: old.throttle,
        access: new.access,
        sites: new.sites,
        log: old.log,
        two_factor,
        webauthn: old.webauthn,
        notifier: old.notifier,
        admin: old.admin,
        metrics: old.metrics,
    };
    (merged, changed)
}

/// Whether two values differ as far as their `Debug` shows (secrets never show there: those
/// are compared on their own).
fn differ(a: &impl std::fmt::Debug, b: &impl std::fmt::Debug) -> bool {
    format!("{a:?}") != format!("{b:?}")
}

fn restart_only_changes(a: &Config, b: &Config) -> Vec<&'static str> {
    let (s, t) = (&a.server, &b.server);
    let checks: Vec<(&'static str, bool)> = vec![
        ("server.listen", s.listen != t.listen),
        ("server.tls_cert / tls_key", differ(&s.tls, &t.tls)),
        ("server.workers", s.workers != t.workers),
        (
            "server.trusted_proxies",
            differ(&s.trusted_proxies, &t.trusted_proxies),
        ),
        (
            "server.max_connections",
            s.max_connections != t.max_connections,
        ),
        (
            "server.max_connections_per_client",
            s.max_connections_per_client != t.max_connections_per_client,
        ),
        ("webauthn", differ(&a.webauthn, &b.webauthn)),
        (
            "server.shutdown_grace",
            s.shutdown_grace != t.shutdown_grace,
        ),
        (
            "server.max_header_bytes",
            s.max_header_bytes != t.max_header_bytes,
        ),
        (
            "server.body_read_timeout",
            s.body_read_timeout != t.body_read_timeout,
        ),
        ("server.idle_timeout", s.idle_timeout != t.idle_timeout),
        ("portal.url", a.portal.url != b.portal.url),
        ("portal.title", a.portal.title != b.portal.title),
        ("session (cookie, timeouts, store)", session_differs(a, b)),
        ("storage.database", a.database != b.database),
        ("secrets", secrets_differ(a, b)),
        ("password", differ(&a.password, &b.password)),
        ("throttle", differ(&a.throttle, &b.throttle)),
        ("log", differ(&a.log, &b.log)),
        (
            "two_factor.issuer",
            a.two_factor.issuer != b.two_factor.issuer,
        ),
        (
            "two_factor.remember_device_days",
            a.two_factor.remember_device_days != b.two_factor.remember_device_days,
        ),
        (
            "two_factor.methods",
            a.two_factor.methods != b.two_factor.methods,
        ),
        ("notifier", notifier_differs(a, b)),
        ("admin.group", a.admin.group != b.admin.group),
        ("metrics.listen", a.metrics.listen != b.metrics.listen),
    ];
    checks
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(key, _)| key)
        .collect()
}

fn session_differs(a: &Config, b: &Config) -> bool {
    let (s, t) = (&a.session, &b.session);
    let secrets = match (&s.backend, &t.backend) {
        (
            SessionBackend::Redis {
                target: x, tls: u, ..
            },
            SessionBackend::Redis {
                target: y, tls: v, ..
            },
        ) => {
            let target = match (x, y) {
                (RedisTarget::Url(x), RedisTarget::Url(y)) => x != y,
                (RedisTarget::Sentinel(x), RedisTarget::Sentinel(y)) => {
                    x.password != y.password || x.sentinel_password != y.sentinel_password
                }
                (RedisTarget::Cluster(x), RedisTarget::Cluster(y)) => x.password != y.password,
                _ => false,
            };
            let client = match (&u.client, &v.client) {
                (Some((c, k)), Some((d, l))) => c != d || k != l,
                (None, None) => false,
                _ => true,
            };
            target || client || u.ca != v.ca
        }
        _ => false,
    };
    secrets || differ(s, t)
}

fn secrets_differ(a: &Config, b: &Config) -> bool {
    let (s, t) = (&a.secrets, &b.secrets);
    let key = match (&s.key, &t.key) {
        (KeySource::Value(x), KeySource::Value(y)) => x != y,
        (KeySource::File(x), KeySource::File(y))
        | (KeySource::Generate(x), KeySource::Generate(y)) => x != y,
        _ => true,
    };
    key || s.pepper != t.pepper || s.totp_key != t.totp_key
}

fn notifier_differs(a: &Config, b: &Config) -> bool {
    let password = |c: &Config| {
        c.notifier
            .smtp
            .as_ref()
            .and_then(|s| s.credentials.as_ref())
            .map(|c| c.password.clone())
    };
    password(a) != password(b) || differ(&a.notifier, &b.notifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid config: `server` replaces the `[server]` table's body, `extra` is appended.
    fn config(server: &str, extra: &str) -> Config {
        let server = if server.is_empty() {
            "listen = [\"127.0.0.1:9091\"]"
        } else {
            server
        };
        let text = format!(
            "[server]\n{server}\n[portal]\nurl = \"https://auth.example.com\"\n[secrets]\nkey = \"a-test-key-that-is-long-enough-0123456789\"\n[storage]\ndatabase = \"sqlite::memory:\"\n[session]\ndomain = \"example.com\"\n{extra}"
        );
        super::super::load_str(&text, std::path::Path::new("."), Vec::new())
            .unwrap_or_else(|p| panic!("{p:?}"))
    }

    #[test]
    fn the_same_file_needs_no_restart() {
        let (_, changed) = for_reload(&config("", ""), config("", ""));
        assert!(changed.is_empty(), "{changed:?}");
    }

    #[test]
    fn rules_and_sites_are_taken_without_a_restart() {
        let running = config("", "");
        let new = config(
            "listen = [\"127.0.0.1:9091\"]\nupstream_timeout = \"7s\"",
            "[[sites]]\nhost = \"app.example.com\"\nupstream = \"http://127.0.0.1:8080\"\n[access_control]\ndefault_policy = \"bypass\"",
        );
        let (merged, changed) = for_reload(&running, new);
        assert!(changed.is_empty(), "{changed:?}");
        assert_eq!(merged.sites.len(), 1);
        assert_eq!(merged.server.upstream_timeout.as_secs(), 7);
        assert!(format!("{:?}", merged.access).contains("Bypass"));
    }

    #[test]
    fn restart_only_keys_keep_the_running_values_and_are_named() {
        let running = config("", "");
        let new = config(
            "listen = [\"127.0.0.1:9092\"]",
            "[admin]\ngroup = \"wheel\"\n[password]\nmax_concurrent_hashes = 3",
        );
        let (merged, changed) = for_reload(&running, new);
        assert_eq!(changed, ["server.listen", "password", "admin.group"]);
        assert_eq!(merged.server.listen, running.server.listen);
        assert_eq!(merged.admin.group, running.admin.group);
        assert_eq!(
            merged.password.max_concurrent_hashes,
            running.password.max_concurrent_hashes
        );
    }

    #[test]
    fn a_changed_secret_is_seen_though_debug_hides_it() {
        let running = config("", "");
        let mut new = running.clone();
        new.secrets.key = KeySource::Value(crate::domain::secret::SecretString::new(
            "another-test-key-that-is-long-enough-9876",
        ));
        assert_eq!(
            format!("{:?}", running.secrets),
            format!("{:?}", new.secrets)
        );
        let (merged, changed) = for_reload(&running, new);
        assert_eq!(changed, ["secrets"]);
        let (KeySource::Value(kept), KeySource::Value(was)) =
            (&merged.secrets.key, &running.secrets.key)
        else {
            panic!("the key source changed");
        };
        assert!(kept == was, "the running key was replaced");
    }

    #[test]
    fn a_changed_cluster_password_is_seen_though_debug_hides_it() {
        fn with_password(mut c: Config, password: &str) -> Config {
            let SessionBackend::Redis { target, .. } = &mut c.session.backend else {
                panic!("not a Redis session store");
            };
            let RedisTarget::Cluster(cluster) = target else {
                panic!("not a cluster");
            };
            cluster.password = Some(crate::domain::secret::SecretString::new(password));
            c
        }
        let base = config(
            "",
            "store = \"redis\"\n[session.redis]\ncluster = [\"127.0.0.1:7000\"]",
        );
        let running = with_password(base.clone(), "the-running-password");
        let new = with_password(base, "a-new-password");
        assert_eq!(
            format!("{:?}", running.session),
            format!("{:?}", new.session)
        );
        let (_, changed) = for_reload(&running, new);
        assert_eq!(changed, ["session (cookie, timeouts, store)"]);
    }
}
