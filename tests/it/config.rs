//! Configuration: the documented example is valid; a broken file lists every problem.

use std::path::Path;

use gatehouse::config::{Problem, load, load_str};

fn problems(text: &str) -> Vec<Problem> {
    load_str(text, Path::new("/tmp"), std::iter::empty()).expect_err("the config should be refused")
}

fn has(problems: &[Problem], key: &str) -> bool {
    problems.iter().any(|p| p.key == key)
}

const MINIMAL: &str = r#"
[portal]
url = "https://auth.example.com"
[session]
domain = "example.com"
[[sites]]
host = "app.example.com"
upstream = "http://127.0.0.1:8080"
"#;

#[test]
fn the_documented_example_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gatehouse.toml");
    let config = load(&path, std::iter::empty())
        .unwrap_or_else(|p| panic!("config/gatehouse.toml is invalid: {p:#?}"));
    assert_eq!(config.session.cookie.name, "__Secure-gatehouse_session");
    assert_eq!(config.sites.len(), 4);
}

#[test]
fn a_minimal_config_is_valid_and_defaults_are_safe() {
    let c = load_str(MINIMAL, Path::new("/tmp"), std::iter::empty()).unwrap();
    assert_eq!(c.session.timeouts.idle, 1800);
    assert_eq!(c.session.timeouts.absolute, 43_200);
    assert!(c.password.hash.meets_owasp_floor());
    assert_eq!(c.throttle.account.hard_cap, 100);
    assert_eq!(
        c.access.default_policy,
        gatehouse::domain::rules::Policy::Deny
    );
}

#[test]
fn every_problem_is_listed_with_key_and_hint() {
    let text = r#"
[server]
lisen = ["0.0.0.0:1"]
trusted_proxies = ["10.0.0.0/33"]
[portal]
url = "ftp://auth.example.com"
[session]
idle_timeout = "soon"
same_site = "none"
[password]
min_length = 8
argon2_memory_kib = 1024
[throttle]
max_consecutive_failures = 500
[access_control]
default_policy = "allow"
[[access_control.rules]]
policy = "maybe"
path_regex = ["(unclosed"]
subjects = ["team:x"]
[[sites]]
host = "app.example.com"
upstream = "not a url"
[mystery]
x = 1
"#;
    let p = problems(text);
    for key in [
        "server.lisen",
        "server.trusted_proxies[0]",
        "portal.url",
        "session.idle_timeout",
        "session.same_site",
        "password.min_length",
        "password.argon2_memory_kib",
        "throttle.max_consecutive_failures",
        "access_control.default_policy",
        "access_control.rules[0].policy",
        "access_control.rules[0].path_regex",
        "access_control.rules[0].subjects",
        "sites[0].upstream",
        "mystery",
    ] {
        assert!(has(&p, key), "missing a problem for {key}: {p:#?}");
    }
    assert!(
        p.iter()
            .all(|x| !x.hint.is_empty() && !x.message.is_empty())
    );
}

#[test]
fn nested_unknown_keys_and_wrong_types_are_reported() {
    let p = problems(&format!(
        "{MINIMAL}\n[session.redis]\nurll = \"x\"\n[log]\nlevel = 3\n"
    ));
    assert!(has(&p, "session.redis.urll"), "{p:#?}");
    assert!(has(&p, "log"), "{p:#?}");
}

#[test]
fn cookie_domain_and_sites_must_agree() {
    // A site the session cookie cannot reach would loop on the login page.
    let p = problems(
        r#"
[portal]
url = "https://auth.example.com"
[session]
domain = "example.com"
[[sites]]
host = "app.other.org"
upstream = "http://127.0.0.1:1"
"#,
    );
    assert!(has(&p, "sites[0].host"), "{p:#?}");
    // A top-level domain cannot carry a cookie for several hosts.
    let p = problems("[portal]\nurl = \"https://auth.example.com\"\n[session]\ndomain = \"com\"\n");
    assert!(has(&p, "session.domain"), "{p:#?}");
    // Without a domain, sites must be on the portal host, and then the portal needs a path.
    let p = problems(
        "[portal]\nurl = \"https://app.example.com\"\n[[sites]]\nhost = \"app.example.com\"\nupstream = \"http://127.0.0.1:1\"\n",
    );
    assert!(has(&p, "portal.url"), "{p:#?}");
}

#[test]
fn plain_http_portal_only_on_loopback() {
    let p = problems("[portal]\nurl = \"http://auth.example.com\"\n");
    assert!(has(&p, "portal.url"), "{p:#?}");
    assert!(
        load_str(
            "[portal]\nurl = \"http://localhost:9091/_gatehouse\"\n",
            Path::new("/tmp"),
            std::iter::empty()
        )
        .is_ok()
    );
}

#[test]
fn environment_overrides_and_file_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "an-environment-provided-key-of-enough-length\n").unwrap();
    crate::harness::private(&key);
    let vars = vec![
        (
            "GATEHOUSE_SESSION__IDLE_TIMEOUT".to_owned(),
            "5m".to_owned(),
        ),
        ("GATEHOUSE_PASSWORD__MIN_LENGTH".to_owned(), "20".to_owned()),
        (
            "GATEHOUSE_SECRETS__KEY_FILE".to_owned(),
            key.display().to_string(),
        ),
    ];
    let c = load_str(MINIMAL, dir.path(), vars).unwrap();
    assert_eq!(c.session.timeouts.idle, 300);
    assert_eq!(c.password.policy.min_chars, 20);
    assert!(matches!(c.secrets.key, gatehouse::config::KeySource::File(ref p) if *p == key));

    let bad = vec![
        ("GATEHOUSE_SERVER__NOPE".to_owned(), "1".to_owned()),
        (
            "GATEHOUSE_SESSION__ABSOLUTE_TIMEOUT".to_owned(),
            "forever".to_owned(),
        ),
    ];
    let p = load_str(MINIMAL, dir.path(), bad).unwrap_err();
    assert!(has(&p, "server.nope"), "{p:#?}");
    assert!(has(&p, "session.absolute_timeout"), "{p:#?}");
}

#[test]
fn redis_password_from_file_is_not_in_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("redis-pw");
    std::fs::write(&pw, "s3cr3t-redis-password\n").unwrap();
    crate::harness::private(&pw);
    let text = format!(
        "{MINIMAL}\n[session]\nstore = \"redis\"\n[session.redis]\nurl = \"redis://127.0.0.1:6379\"\npassword_file = \"{}\"\n",
        pw.display()
    );
    // MINIMAL already has [session]; merge by writing the keys into one table instead.
    let text = text
        .replacen("[session]\ndomain = \"example.com\"\n", "", 1)
        .replace(
            "[session]\nstore",
            "[session]\ndomain = \"example.com\"\nstore",
        );
    let c = load_str(&text, dir.path(), std::iter::empty()).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(
        !format!("{c:?}").contains("s3cr3t"),
        "a secret leaked into Debug output"
    );
}

#[test]
fn the_examples_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    // The SSO example reads a Redis password file and trusts a CA file beside it.
    std::fs::write(dir.path().join("redis-password.txt"), "example\n").unwrap();
    crate::harness::private(&dir.path().join("redis-password.txt"));
    std::fs::create_dir(dir.path().join("tls")).unwrap();
    std::fs::write(dir.path().join("tls/fullchain.pem"), "x").unwrap();
    std::fs::write(dir.path().join("tls/privkey.pem"), "x").unwrap();
    crate::harness::private(&dir.path().join("tls/privkey.pem"));
    std::fs::write(
        dir.path().join("homelab-ca.pem"),
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for name in ["single-host.toml", "homelab-sso.toml"] {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(name),
        )
        .unwrap();
        let c = load_str(&text, dir.path(), std::iter::empty())
            .unwrap_or_else(|p| panic!("examples/{name}: {p:#?}"));
        assert!(!c.sites.is_empty());
    }
}

#[test]
fn public_suffixes_and_overlapping_cookie_domains_are_refused() {
    for suffix in ["co.uk", "github.io", "com", "s3.amazonaws.com"] {
        let text = format!(
            "[portal]\nurl = \"https://auth.example.{suffix}\"\n[session]\ndomain = \"{suffix}\"\n"
        );
        let p = problems(&text);
        assert!(has(&p, "session.domain"), "{suffix} accepted: {p:#?}");
    }
    let p = problems(
        r#"
[portal]
url = "https://auth.example.com"
[session]
domain = "example.com"
[[session.cookie_domains]]
domain = "sub.example.com"
portal_url = "https://auth.sub.example.com"
[[session.cookie_domains]]
domain = "example.org"
portal_url = "https://auth.example.org/other-path"
"#,
    );
    assert!(has(&p, "session.cookie_domains[0].domain"), "{p:#?}");
    assert!(has(&p, "session.cookie_domains[1].portal_url"), "{p:#?}");
}

#[test]
fn several_cookie_domains_each_with_a_portal() {
    let c = load_str(
        r#"
[portal]
url = "https://auth.example.com"
[session]
domain = "example.com"
[[session.cookie_domains]]
domain = "example.org"
portal_url = "https://login.example.org"
[[sites]]
host = "*.example.com"
upstream = "http://127.0.0.1:1"
[[sites]]
host = "wiki.example.org"
upstream = "http://127.0.0.1:2"
"#,
        Path::new("/tmp"),
        std::iter::empty(),
    )
    .unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(c.portal_for("wiki.example.org").host, "login.example.org");
    assert_eq!(c.portal_for("app.example.com").host, "auth.example.com");
    assert!(c.portal_at("login.example.org").is_some());
    assert!(c.portal_at("wiki.example.org").is_none());
}

#[test]
fn the_local_session_cache_is_short_or_off() {
    let with = |value: &str| {
        MINIMAL.replace("[session]\ndomain = \"example.com\"\n", &format!("[session]\ndomain = \"example.com\"\nstore = \"redis\"\n[session.redis]\nurl = \"redis://127.0.0.1:6379\"\nlocal_cache = \"{value}\"\n"))
    };
    let ttl = |value: &str| match load_str(&with(value), Path::new("/tmp"), std::iter::empty())
        .unwrap_or_else(|p| panic!("{value}: {p:#?}"))
        .session
        .backend
    {
        gatehouse::config::SessionBackend::Redis { local_cache, .. } => local_cache,
        other => panic!("{other:?}"),
    };
    assert_eq!(ttl("2s"), std::time::Duration::from_secs(2));
    assert_eq!(ttl("0"), std::time::Duration::ZERO);
    for bad in ["1m", "soon", "-1s"] {
        let p = problems(&with(bad));
        assert!(has(&p, "session.redis.local_cache"), "{bad}: {p:#?}");
    }
}

#[test]
fn ipv6_throttle_prefixes_are_checked() {
    let c = load_str(MINIMAL, Path::new("/tmp"), std::iter::empty()).unwrap();
    assert_eq!(c.throttle.ipv6_prefix, 64);
    assert_eq!(c.throttle.ipv6_wide_prefix, 48);
    for (overlay, key) in [
        ("ipv6_prefix = 0", "throttle.ipv6_prefix"),
        ("ipv6_prefix = 129", "throttle.ipv6_prefix"),
        ("ipv6_wide_prefix = 64", "throttle.ipv6_wide_prefix"),
        ("ipv6_wide_failures = 0", "throttle.ipv6_wide_failures"),
    ] {
        let p = problems(&format!("{MINIMAL}[throttle]\n{overlay}\n"));
        assert!(has(&p, key), "{overlay}: {p:#?}");
    }
    // 0 turns the wider bucket off.
    let c = load_str(
        &format!("{MINIMAL}[throttle]\nipv6_wide_prefix = 0\n"),
        Path::new("/tmp"),
        std::iter::empty(),
    )
    .unwrap();
    assert_eq!(c.throttle.ipv6_wide_prefix, 0);
}

#[test]
fn site_names_and_icons_are_checked() {
    let good = format!("{MINIMAL}name = \"Wiki\"\nicon = \"https://icons.example.net/wiki.png\"\n");
    let c = load_str(&good, Path::new("/tmp"), std::iter::empty()).unwrap();
    assert_eq!(c.sites[0].name.as_deref(), Some("Wiki"));
    let icon = c.sites[0].icon.as_ref().unwrap();
    assert_eq!(icon.origin, "https://icons.example.net");
    for bad_icon in [
        "wiki.png",
        "/favicon.ico",
        "javascript:alert(1)",
        "https://u:p@x.example/i.png",
        "ftp://x.example/i.png",
    ] {
        let text = format!("{MINIMAL}icon = \"{bad_icon}\"\n");
        assert!(has(&problems(&text), "sites[0].icon"), "{bad_icon}");
    }
    let text = format!("{MINIMAL}name = \"line\\nbreak\"\n");
    assert!(has(&problems(&text), "sites[0].name"));
}

#[test]
fn a_database_url_of_another_kind_is_refused_not_taken_as_a_file_name() {
    for url in [
        "mysql://db/users",
        "pgsql://db.internal/gatehouse",
        "postgres+tls://db.internal/gatehouse",
        "redis://x",
    ] {
        let text = format!("{MINIMAL}[storage]\ndatabase = \"{url}\"\n");
        let p = problems(&text);
        assert!(has(&p, "storage.database"), "{url}: {p:?}");
    }
    for (written, path) in [
        (
            "sqlite:/var/lib/gatehouse/users.db",
            "/var/lib/gatehouse/users.db",
        ),
        (
            "sqlite:///var/lib/gatehouse/users.db",
            "/var/lib/gatehouse/users.db",
        ),
        ("/var/lib/gatehouse/users.db", "/var/lib/gatehouse/users.db"),
    ] {
        let text = format!("{MINIMAL}[storage]\ndatabase = \"{written}\"\n");
        let c = load_str(&text, Path::new("/tmp"), std::iter::empty())
            .unwrap_or_else(|p| panic!("{written}: {p:?}"));
        assert_eq!(c.database.sqlite_path(), Some(Path::new(path)), "{written}");
    }
}

#[test]
fn the_worker_count_defaults_to_one_per_core_and_a_typo_is_refused() {
    let c = load_str(MINIMAL, Path::new("/tmp"), std::iter::empty()).unwrap();
    assert_eq!(c.server.workers, 0, "0 means one worker per core");
    let set = format!("[server]\nworkers = 3\n{MINIMAL}");
    let c = load_str(&set, Path::new("/tmp"), std::iter::empty()).unwrap();
    assert_eq!(c.server.workers, 3);
    let typo = format!("[server]\nworkers = 4000\n{MINIMAL}");
    assert!(has(&problems(&typo), "server.workers"));
}

/// The team example (two instances, Redis, PostgreSQL, a balancer, Prometheus): every
/// Gatehouse config in `examples/team` passes the real loader with the secrets its compose
/// file passes as variables, and the compose, balancer and Prometheus files name the ports
/// and addresses those configs use.
#[test]
fn the_team_example_configs_are_valid_and_agree_with_their_compose_file() {
    let team = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/team");
    let read = |name: &str| std::fs::read_to_string(team.join(name)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = |name: &str, value: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, value).unwrap();
        crate::harness::private(&path);
        path.display().to_string()
    };
    let vars = vec![
        (
            "GATEHOUSE_STORAGE__DATABASE_FILE".to_owned(),
            secret(
                "database_url",
                "postgres://gatehouse:pw@postgres:5432/gatehouse\n",
            ),
        ),
        (
            "GATEHOUSE_SESSION__REDIS__PASSWORD_FILE".to_owned(),
            secret("redis_password", "not-secret\n"),
        ),
    ];
    let compose = read("docker-compose.yml");
    for (name, value) in &vars {
        assert!(
            compose.contains(&format!("{name}: /run/secrets/")),
            "{name}"
        );
        assert!(value.starts_with(dir.path().to_str().unwrap()));
    }
    let mut configs = 0;
    for entry in std::fs::read_dir(&team).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        configs += 1;
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let c =
            load(&path, vars.clone()).unwrap_or_else(|p| panic!("examples/team/{name}: {p:#?}"));
        assert!(
            compose.contains(&format!("./{name}:/etc/gatehouse/gatehouse.toml")),
            "{name}"
        );
        assert!(matches!(
            c.database,
            gatehouse::config::Database::Postgres(_)
        ));
        // The sessions live in a Sentinel group whose sentinels and name the compose file runs.
        let gatehouse::config::SessionBackend::Redis { target, .. } = &c.session.backend else {
            panic!("{name}: the team example keeps sessions in Redis");
        };
        let gatehouse::config::RedisTarget::Sentinel(group) = target else {
            panic!("{name}: the team example's Redis is a Sentinel group");
        };
        assert!(group.password.is_some(), "the data nodes' password");
        assert_eq!(group.sentinels.len(), 3);
        for (host, port) in &group.sentinels {
            assert!(
                compose.contains(&format!("  {host}:")),
                "{host} is a service"
            );
            assert!(
                compose.contains(&format!("'port {port}'")),
                "{host} listens on {port}"
            );
        }
        assert!(compose.contains(&format!("sentinel monitor {} ", group.master_name)));
        let metrics = c.metrics.listen.expect("the team example scrapes metrics");
        let prometheus = read("prometheus/prometheus.yml");
        let lb = read("nginx/lb.conf");
        for instance in ["gatehouse-1", "gatehouse-2"] {
            assert!(prometheus.contains(&format!("{instance}:{}", metrics.port())));
            let port = c.server.listen[0].port();
            assert!(
                lb.contains(&format!("server {instance}:{port}")),
                "{instance}"
            );
        }
        assert!(
            c.server
                .trusted_proxies
                .contains("172.31.0.10".parse().unwrap())
        );
        assert!(compose.contains("ipv4_address: 172.31.0.10"));
    }
    assert!(configs >= 1, "no Gatehouse config in examples/team");
}

#[test]
fn each_cookie_domain_is_its_own_passkey_relying_party() {
    let text = r#"
[portal]
url = "https://auth.example.com"
[session]
domain = "example.com"
[[session.cookie_domains]]
domain = "example.org"
portal_url = "https://login.example.org"
[[sites]]
host = "*.example.com"
upstream = "http://127.0.0.1:1"
"#;
    let c =
        load_str(text, Path::new("/tmp"), std::iter::empty()).unwrap_or_else(|p| panic!("{p:#?}"));
    let parties: Vec<(&str, &[String])> = c
        .webauthn
        .parties
        .iter()
        .map(|p| (p.id.as_str(), p.origins.as_slice()))
        .collect();
    assert_eq!(
        parties,
        vec![
            ("example.com", &["https://auth.example.com".to_owned()][..]),
            ("example.org", &["https://login.example.org".to_owned()][..]),
        ]
    );
    assert!(c.webauthn.enabled && c.webauthn.passwordless);
}

#[test]
fn an_rp_id_that_does_not_cover_the_portal_is_refused() {
    let one_host = "[portal]\nurl = \"https://auth.example.com/_gatehouse\"\n[[sites]]\nhost = \"auth.example.com\"\nupstream = \"http://127.0.0.1:1\"\n";
    for bad in ["other.com", "com", "sub.auth.example.com", "xample.com"] {
        let p = problems(&format!("{one_host}[webauthn]\nrp_id = \"{bad}\"\n"));
        assert!(has(&p, "webauthn.rp_id"), "{bad}: {p:#?}");
    }
    let ok = load_str(
        &format!("{one_host}[webauthn]\nrp_id = \"example.com\"\n"),
        Path::new("/tmp"),
        std::iter::empty(),
    )
    .unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(ok.webauthn.parties[0].id, "example.com");
    // A portal on an IP address cannot be a relying party: refused only when asked for.
    let ip = "[portal]\nurl = \"http://127.0.0.1:9091/_gatehouse\"\n[[sites]]\nhost = \"127.0.0.1\"\nupstream = \"http://127.0.0.1:1\"\n";
    let off =
        load_str(ip, Path::new("/tmp"), std::iter::empty()).unwrap_or_else(|p| panic!("{p:#?}"));
    assert!(!off.webauthn.enabled);
    let p = problems(&format!("{ip}[webauthn]\nenabled = true\n"));
    assert!(has(&p, "webauthn.enabled"), "{p:#?}");
    let p = problems(&format!(
        "{one_host}[webauthn]\nuser_verification = \"discouraged\"\nattestation = \"indirect\"\n"
    ));
    assert!(
        has(&p, "webauthn.user_verification") && has(&p, "webauthn.attestation"),
        "{p:#?}"
    );
}

#[test]
fn two_factor_methods_are_checked_and_agree_with_webauthn_and_the_rules() {
    let one_host = "[portal]\nurl = \"https://auth.example.com/_gatehouse\"\n[[sites]]\nhost = \"auth.example.com\"\nupstream = \"http://127.0.0.1:1\"\n";
    let load = |extra: &str| {
        load_str(
            &format!("{one_host}{extra}"),
            Path::new("/tmp"),
            std::iter::empty(),
        )
        .unwrap_or_else(|p| panic!("{p:#?}"))
    };
    let both = load("");
    assert!(both.two_factor.methods.totp && both.two_factor.methods.passkey);
    let passkeys_only = load("[two_factor]\nmethods = [\"passkey\"]\n");
    assert!(!passkeys_only.two_factor.methods.totp && passkeys_only.webauthn.enabled);
    // Without "passkey", passkeys are off.
    let apps_only = load("[two_factor]\nmethods = [\"totp\"]\n");
    assert!(!apps_only.webauthn.enabled);
    for (extra, key) in [
        ("[two_factor]\nmethods = []\n", "two_factor.methods"),
        ("[two_factor]\nmethods = [\"sms\"]\n", "two_factor.methods"),
        (
            "[two_factor]\nmethods = [\"totp\"]\n[webauthn]\nenabled = true\n",
            "webauthn.enabled",
        ),
        // A `passkey` rule nobody could meet.
        (
            "[two_factor]\nmethods = [\"totp\"]\n[[access_control.rules]]\nhost = \"auth.example.com\"\npolicy = \"passkey\"\n",
            "access_control.rules[0].policy",
        ),
        (
            "[webauthn]\nenabled = false\n[access_control]\ndefault_policy = \"passkey\"\n",
            "access_control.default_policy",
        ),
    ] {
        let p = problems(&format!("{one_host}{extra}"));
        assert!(has(&p, key), "{extra}: {p:#?}");
    }
}

#[test]
fn attestation_needs_readable_roots_and_aaguids() {
    let dir = tempfile::tempdir().unwrap();
    let root = rcgen::generate_simple_self_signed(vec!["attestation.example".to_owned()]).unwrap();
    let pem = dir.path().join("vendor-root.pem");
    std::fs::write(&pem, root.cert.pem()).unwrap();
    let one_host = "[portal]\nurl = \"https://auth.example.com/_gatehouse\"\n[[sites]]\nhost = \"auth.example.com\"\nupstream = \"http://127.0.0.1:1\"\n";
    let aaguid = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
    let ok = load_str(
        &format!(
            "{one_host}[webauthn]\nattestation = \"direct\"\nattestation_ca = [{:?}]\naaguids = [\"{aaguid}\"]\n",
            pem.display()
        ),
        Path::new("/tmp"),
        std::iter::empty(),
    )
    .unwrap_or_else(|p| panic!("{p:#?}"));
    let policy = ok.webauthn.attestation.expect("attestation on");
    assert_eq!(policy.roots.len(), 1);
    assert_eq!(policy.aaguids[0].to_string(), aaguid);
    for (extra, keys) in [
        (
            "attestation = \"direct\"\n".to_owned(),
            &["webauthn.attestation_ca", "webauthn.aaguids"][..],
        ),
        (
            "attestation = \"direct\"\nattestation_ca = [\"/nonexistent/root.pem\"]\naaguids = [\"not-a-uuid\"]\n"
                .to_owned(),
            &["webauthn.attestation_ca", "webauthn.aaguids"][..],
        ),
        (
            format!("aaguids = [\"{aaguid}\"]\n"),
            &["webauthn.attestation"][..],
        ),
    ] {
        let p = problems(&format!("{one_host}[webauthn]\n{extra}"));
        for key in keys {
            assert!(has(&p, key), "{extra}: {key}: {p:#?}");
        }
    }
}
