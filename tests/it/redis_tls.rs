//! Sessions over `rediss://` (docs/security.md#redis-tls) against a real `redis-server` that
//! listens on TLS only: the configured CA is trusted and no other, a client certificate works
//! when the server requires one and its absence fails clearly, a TLS-only sentinel leads to
//! it the same way, and bad TLS settings are refused by the config check with every problem
//! listed.

use std::path::{Path, PathBuf};

use gatehouse::config::load_str;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

use crate::harness::private_redis::{MISSING_SERVER, listening};
use crate::harness::*;

/// A private CA: its PEM file, and the issuer that signs.
fn ca(dir: &Path, name: &str) -> (PathBuf, CertifiedIssuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, format!("Gatehouse test {name} CA"));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let path = dir.join(format!("{name}-ca.pem"));
    std::fs::write(&path, issuer.pem()).unwrap();
    (path, issuer)
}

/// A certificate for `names` signed by `issuer`: (certificate PEM file, key PEM file).
fn leaf(
    dir: &Path,
    name: &str,
    names: &[&str],
    issuer: &CertifiedIssuer<'static, KeyPair>,
) -> (PathBuf, PathBuf) {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    let (cert_path, key_path) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}-key.pem")),
    );
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    private(&key_path);
    (cert_path, key_path)
}

/// A redis-server listening on TLS only (`--port 0`), with a certificate for `localhost`
/// signed by the test CA; client certificates of that CA required when `clients` says so.
struct TlsRedis {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
    ca: PathBuf,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TlsRedis {
    async fn start(clients: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (ca, issuer) = ca(dir.path(), "redis");
        let (cert, key) = leaf(dir.path(), "server", &["localhost", "127.0.0.1"], &issuer);
        // Plain port off: the server listens on its TLS port only.
        let (child, port) = listening("redis-server", MISSING_SERVER, |port| {
            let mut args: Vec<String> = ["--port", "0", "--bind", "127.0.0.1", "--save", ""]
                .map(String::from)
                .to_vec();
            args.extend(["--appendonly".to_owned(), "no".to_owned()]);
            args.extend(["--tls-port".to_owned(), port.to_string()]);
            for (flag, path) in [
                ("--tls-cert-file", &cert),
                ("--tls-key-file", &key),
                ("--tls-ca-cert-file", &ca),
            ] {
                args.extend([flag.to_owned(), path.display().to_string()]);
            }
            args.extend(
                ["--tls-auth-clients", if clients { "yes" } else { "no" }].map(String::from),
            );
            args.extend(["--dir".to_owned(), dir.path().display().to_string()]);
            args
        })
        .await;
        Self {
            child,
            port,
            dir,
            ca,
            issuer,
        }
    }

    /// `[session]` and `[session.redis]` for this server, plus `extra` keys of the latter.
    fn overlay(&self, extra: &str) -> String {
        format!(
            "[session]\nstore = \"redis\"\n[session.redis]\nurl = \"rediss://localhost:{}\"\ntimeout = \"2s\"\n{extra}\n",
            self.port
        )
    }

    /// A client certificate of the server's CA: `client_cert` and `client_key` lines.
    fn client_keys(&self) -> String {
        let (cert, key) = leaf(self.dir.path(), "client", &["gatehouse"], &self.issuer);
        format!(
            "client_cert = \"{}\"\nclient_key = \"{}\"\n",
            cert.display(),
            key.display()
        )
    }

    fn ca_line(&self) -> String {
        format!("ca_file = \"{}\"\n", self.ca.display())
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs in and reaches the protected app: sessions (and the throttle) work over TLS.
async fn sessions_work(overlay: &str) {
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    let resp = b.send(app.get("app.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 200);
}

/// Builds the app for `overlay` and returns why it could not start.
async fn start_error(overlay: &str) -> String {
    install_crypto();
    let echo = Echo::start().await;
    let dir = tempfile::tempdir().unwrap();
    let text = TestApp::config_text(&Opts::with(Store::Memory, overlay), 1, &echo, &dir, "t:");
    let config = load_str(&text, dir.path(), std::iter::empty()).unwrap();
    match gatehouse::compose::build(config).await {
        Ok(_) => panic!("the gateway started against a server it must not trust"),
        Err(e) => format!("{e:#}"),
    }
}

#[tokio::test]
async fn sessions_work_over_tls_with_the_configured_ca() {
    let redis = TlsRedis::start(false).await;
    sessions_work(&redis.overlay(&redis.ca_line())).await;
}

#[tokio::test]
async fn a_server_certificate_of_another_ca_is_refused() {
    let redis = TlsRedis::start(false).await;
    let (other, _) = ca(redis.dir.path(), "other");
    let wrong = start_error(&redis.overlay(&format!("ca_file = \"{}\"\n", other.display()))).await;
    eprintln!("wrong CA: {wrong}");
    assert!(wrong.contains("session.redis.ca_file"), "{wrong}");
    assert!(wrong.contains("UnknownIssuer"), "{wrong}");
    // Without a ca_file the system roots decide, and they do not know the test CA either.
    let system = start_error(&redis.overlay("")).await;
    assert!(system.contains("UnknownIssuer"), "{system}");
}

#[tokio::test]
async fn a_client_certificate_the_server_requires_works_and_its_absence_fails_clearly() {
    let redis = TlsRedis::start(true).await;
    let with = format!("{}{}", redis.ca_line(), redis.client_keys());
    sessions_work(&redis.overlay(&with)).await;
    let without = start_error(&redis.overlay(&redis.ca_line())).await;
    eprintln!("no client certificate: {without}");
    assert!(without.contains("session.redis.url"), "{without}");
    assert!(
        without.contains("client_cert"),
        "the error does not point at the client certificate: {without}"
    );
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

#[test]
fn bad_tls_settings_are_refused_with_every_problem_listed() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let check = |redis: &str| {
        load_str(
            &format!("{MINIMAL}[session.redis]\n{redis}"),
            dir.path(),
            std::iter::empty(),
        )
        .expect_err("the config should be refused")
    };
    // Over TLS: an unreadable CA, a certificate file holding none, a key without its pair.
    let p = check(
        "url = \"rediss://redis.example.net:6380\"\nca_file = \"missing.pem\"\nclient_cert = \"garbage.pem\"\nclient_key = \"garbage.pem\"\n",
    );
    let keys: Vec<&str> = p.iter().map(|x| x.key.as_str()).collect();
    for key in [
        "session.redis.ca_file",
        "session.redis.client_cert",
        "session.redis.client_key",
    ] {
        assert!(keys.contains(&key), "{key} not reported: {p:#?}");
    }
    assert!(p.iter().all(|x| !x.hint.is_empty()));
    // A client key others may read is refused like every secret file.
    let readable = dir.path().join("readable-key.pem");
    std::fs::write(&readable, KeyPair::generate().unwrap().serialize_pem()).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let p = check(
        "url = \"rediss://redis.example.net:6380\"\nclient_cert = \"garbage.pem\"\nclient_key = \"readable-key.pem\"\n",
    );
    assert!(
        p.iter()
            .any(|x| x.key == "session.redis.client_key" && x.message.contains("chmod 600")),
        "{p:#?}"
    );
    let p = check("url = \"rediss://redis.example.net:6380\"\nclient_cert = \"garbage.pem\"\n");
    assert!(
        p.iter()
            .any(|x| x.key == "session.redis.client_key" && x.message.contains("missing")),
        "{p:#?}"
    );
    // Certificates are for TLS only.
    let p = check("url = \"redis://127.0.0.1:6379\"\nca_file = \"garbage.pem\"\n");
    assert!(
        p.iter()
            .any(|x| x.key == "session.redis.ca_file" && x.message.contains("rediss://")),
        "{p:#?}"
    );
    // A good rediss:// setting loads.
    let ok = load_str(
        &format!("{MINIMAL}[session.redis]\nurl = \"rediss://redis.example.net:6380\"\n"),
        dir.path(),
        std::iter::empty(),
    );
    assert!(ok.is_ok(), "{:#?}", ok.err());
}

/// Sentinel over TLS (`tls = true`): the sentinel and the master it names are both reached
/// with the configured CA, and without it the sentinel's certificate is refused.
#[tokio::test]
async fn sessions_work_through_a_sentinel_over_tls() {
    let redis = TlsRedis::start(false).await;
    let d = redis.dir.path();
    let (cert, key) = leaf(d, "sentinel", &["localhost", "127.0.0.1"], &redis.issuer);
    let missing = "redis-sentinel is missing (Debian package redis-sentinel): run scripts/test.sh";
    let (mut sentinel, port) = listening("redis-sentinel", missing, |port| {
        let conf = d.join("sentinel.conf");
        let text = format!(
            "port 0\ntls-port {port}\nbind 127.0.0.1\ndir {}\ntls-cert-file {}\ntls-key-file {}\n\
             tls-ca-cert-file {}\ntls-auth-clients no\ntls-replication yes\n\
             sentinel monitor tlsgroup 127.0.0.1 {} 1\n",
            d.display(),
            cert.display(),
            key.display(),
            redis.ca.display(),
            redis.port
        );
        std::fs::write(&conf, text).unwrap();
        vec![conf.display().to_string()]
    })
    .await;
    let overlay = |extra: &str| {
        format!(
            "[session]\nstore = \"redis\"\n[session.redis]\nsentinels = [\"127.0.0.1:{port}\"]\n\
             master_name = \"tlsgroup\"\ntls = true\ntimeout = \"2s\"\n{extra}\n"
        )
    };
    sessions_work(&overlay(&redis.ca_line())).await;
    let without = start_error(&overlay("")).await;
    let _ = sentinel.kill();
    let _ = sentinel.wait();
    assert!(without.contains("session.redis.sentinels"), "{without}");
    assert!(
        without.contains("ca_file"),
        "the error does not point at the CA: {without}"
    );
}
