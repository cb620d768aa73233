//! `session.redis.sentinels` and `master_name`, and `cluster`, are checked with every problem
//! listed (docs/security.md#redis-sentinel, #redis-cluster).

#[test]
fn sentinel_settings_are_checked_with_every_problem_listed() {
    let dir = tempfile::tempdir().unwrap();
    let problems = |redis: &str| {
        let text = format!("{MINIMAL}[session.redis]\n{redis}\n");
        match gatehouse::config::load_str(&text, dir.path(), std::iter::empty()) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    };
    let listed = problems(
        "url = \"redis://127.0.0.1:6379\"\nsentinels = [\"10.0.0.1\", \"[h]:1\", \"10.0.0.2:26379\"]\nclient_cert = \"c.pem\"",
    );
    let keys: Vec<&str> = listed.iter().map(|p| p.key.as_str()).collect();
    for want in [
        "session.redis.url",
        "session.redis.sentinels",
        "session.redis.master_name",
        "session.redis.client_cert",
    ] {
        assert!(keys.contains(&want), "{want} not listed in {listed:?}");
    }
    assert_eq!(
        keys.iter()
            .filter(|k| **k == "session.redis.sentinels")
            .count(),
        2,
        "each bad address is named: {listed:?}"
    );
    let listed = problems("url = \"redis://127.0.0.1:6379\"\nmaster_name = \"m\"\ntls = true");
    let keys: Vec<&str> = listed.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"session.redis.master_name"), "{listed:?}");
    assert!(keys.contains(&"session.redis.tls"), "{listed:?}");
    let listed = problems("sentinels = []\nmaster_name = \"my master\"");
    let keys: Vec<&str> = listed.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"session.redis.sentinels"), "{listed:?}");
    assert!(keys.contains(&"session.redis.master_name"), "{listed:?}");
    assert!(
        problems("sentinels = [\"127.0.0.1:26379\", \"[::1]:26379\"]\nmaster_name = \"m\"")
            .is_empty()
    );
}

#[test]
fn cluster_settings_are_checked_with_every_problem_listed() {
    let dir = tempfile::tempdir().unwrap();
    let problems = |redis: &str| {
        let text = format!("{MINIMAL}[session.redis]\n{redis}\n");
        match gatehouse::config::load_str(&text, dir.path(), std::iter::empty()) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    };
    let listed = problems(
        "url = \"redis://127.0.0.1:6379\"\ncluster = [\"10.0.0.1\", \"10.0.0.2:7000\", \"h:0\"]\n\
         master_name = \"m\"\nprefix = \"{gh}:\"",
    );
    let keys: Vec<&str> = listed.iter().map(|p| p.key.as_str()).collect();
    for want in [
        "session.redis.url",
        "session.redis.master_name",
        "session.redis.prefix",
    ] {
        assert!(keys.contains(&want), "{want} not listed in {listed:?}");
    }
    assert_eq!(
        keys.iter()
            .filter(|k| **k == "session.redis.cluster")
            .count(),
        2,
        "each bad address is named: {listed:?}"
    );
    let listed = problems("cluster = []\nsentinels = [\"10.0.0.1:26379\"]\nmaster_name = \"m\"");
    let keys: Vec<&str> = listed.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["session.redis.cluster"], "{listed:?}");
    let listed = problems("cluster = []");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].to_string().contains("is empty"), "{listed:?}");
    // TLS and a password apply to every node.
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "secret").unwrap();
    crate::harness::private(&pw);
    let listed = problems(&format!(
        "cluster = [\"127.0.0.1:7000\", \"[::1]:7001\"]\ntls = true\npassword_file = \"{}\"",
        pw.display()
    ));
    assert!(listed.is_empty(), "{listed:?}");
}

const MINIMAL: &str = r#"
[portal]
url = "https://auth.example.com"
[session]
domain = "example.com"
store = "redis"
[[sites]]
host = "app.example.com"
upstream = "http://127.0.0.1:8080"
"#;
