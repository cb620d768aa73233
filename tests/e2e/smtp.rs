//! A real SMTP server for tests: aiosmtpd, run by `tests/support/smtp_server.py`, with a
//! certificate made here by a private test CA; and helpers to read the messages it receives.
//! The tests of mail over SMTP (docs/security.md#smtp, #mail-content) are in `mail.rs`.
//!
//! `SmtpCatcher` is the harness for any test that needs to read the mail the gateway sends:
//!
//! ```ignore
//! let smtp = SmtpCatcher::start(SmtpMode::StartTls).await;
//! let app = TestApp::spawn(Opts::with(Store::Memory, &smtp.overlay())).await;
//! // … do something that sends mail to alice …
//! let raw = smtp.wait_for("alice@example.test", "Two-factor authentication turned on").await;
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use tempfile::TempDir;

/// Debian's interpreter: Debian's `python3-aiosmtpd` is installed for it, and a `python3`
/// earlier on PATH (pyenv, a venv) would not see it.
const PYTHON: &str = "/usr/bin/python3";
const SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
/// The login the catcher requires in its TLS modes.
pub const SMTP_USER: &str = "gatehouse-mailer";
pub const SMTP_PASSWORD: &str = "smtp-test-password-not-secret";
/// `From:` in the overlay.
pub const FROM: &str = "Gatehouse <gatehouse@example.test>";
/// How long `wait_for` polls.
pub const WAIT: Duration = Duration::from_secs(10);

/// What the test SMTP server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// STARTTLS offered and required, then AUTH: a submission server on port 587.
    StartTls,
    /// TLS from the first byte, then AUTH: SMTPS on port 465.
    ImplicitTls,
    /// Plain SMTP that offers no STARTTLS (and would take any message): the gateway must
    /// refuse to send to it.
    Plain,
}

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The message exactly as received.
    pub raw: String,
    /// Envelope sender (MAIL FROM).
    pub mail_from: String,
    /// Envelope recipients (RCPT TO).
    pub rcpt_to: Vec<String>,
    /// The message came over TLS.
    pub tls: bool,
    /// The client had logged in.
    pub authenticated: bool,
    /// The client's EHLO name.
    pub helo: String,
}

/// A real SMTP server on a loopback port, saving what it receives into `dir/inbox`; the
/// server process is killed when this is dropped.
pub struct SmtpCatcher {
    pub port: u16,
    /// Holds the certificates, the password file, the server's log and `inbox/`.
    pub dir: TempDir,
    /// The PEM certificate of the CA that signed the server's certificate.
    pub ca_file: PathBuf,
    pub mode: SmtpMode,
    child: Child,
}

impl SmtpCatcher {
    /// Starts the server and waits until its port accepts connections.
    pub async fn start(mode: SmtpMode) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (ca_file, cert, key) = certificates(dir.path());
        let password_file = dir.path().join("smtp-password");
        std::fs::write(&password_file, format!("{SMTP_PASSWORD}\n")).unwrap();
        crate::harness::private(&password_file);
        let port_file = dir.path().join("port");
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mode_arg = match mode {
            SmtpMode::StartTls => "starttls",
            SmtpMode::ImplicitTls => "tls",
            SmtpMode::Plain => "plain",
        };
        if !Path::new(PYTHON).exists() {
            panic!(
                "{PYTHON} is missing: install Debian's python3 and python3-aiosmtpd (scripts/test.sh does)"
            );
        }
        let child = Command::new(PYTHON)
            .arg(SERVER)
            .args(["--mode", mode_arg, "--port", "0", "--user", SMTP_USER])
            .arg("--dir")
            .arg(dir.path().join("inbox"))
            .arg("--port-file")
            .arg(&port_file)
            .arg("--cert")
            .arg(&cert)
            .arg("--key")
            .arg(&key)
            .arg("--password-file")
            .arg(&password_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {PYTHON} ({e}): install Debian's python3 and python3-aiosmtpd (scripts/test.sh does)"));
        let mut catcher = Self {
            port: 0,
            dir,
            ca_file,
            mode,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = catcher.child.try_wait().unwrap() {
                panic!(
                    "the SMTP test server exited ({status}); it needs Debian's python3-aiosmtpd (scripts/test.sh installs it). Its log:\n{}",
                    catcher.server_log()
                );
            }
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|p| p.trim().parse::<u16>().ok())
                && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                catcher.port = port;
                return catcher;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP test server did not start within 15 s. Its log:\n{}",
                catcher.server_log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Where the server saves messages.
    pub fn inbox(&self) -> PathBuf {
        self.dir.path().join("inbox")
    }

    /// The `[notifier]` overlay for `TestApp::spawn(Opts::with(store, &overlay))`: this
    /// server, with the login it wants and its CA trusted. For `Plain` it still asks
    /// for `starttls`, as a real config would.
    pub fn overlay(&self) -> String {
        self.overlay_with_ca(true)
    }

    /// Like `overlay` without `ca_file`: the server's certificate is not trusted.
    pub fn overlay_untrusted(&self) -> String {
        self.overlay_with_ca(false)
    }

    fn overlay_with_ca(&self, trust: bool) -> String {
        let security = match self.mode {
            SmtpMode::ImplicitTls => "tls",
            SmtpMode::StartTls | SmtpMode::Plain => "starttls",
        };
        let mut text = format!(
            "[notifier]\nfrom = \"{FROM}\"\n[notifier.smtp]\nhost = \"localhost\"\nport = {}\nsecurity = \"{security}\"\nusername = \"{SMTP_USER}\"\npassword_file = \"{}\"\ntimeout = \"5s\"\nhelo_name = \"gatehouse.test\"\n",
            self.port,
            self.dir.path().join("smtp-password").display(),
        );
        if trust {
            text.push_str(&format!("ca_file = \"{}\"\n", self.ca_file.display()));
        }
        text
    }

    /// Every message received so far, oldest first, with its envelope.
    pub fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.inbox()) else {
            return Vec::new();
        };
        let mut names: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|eml| {
                let raw = String::from_utf8_lossy(&std::fs::read(&eml).unwrap()).into_owned();
                let meta: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(eml.with_extension("json")).unwrap())
                        .unwrap();
                Received {
                    raw,
                    mail_from: meta["mail_from"].as_str().unwrap_or_default().to_owned(),
                    rcpt_to: meta["rcpt_tos"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap().to_owned())
                        .collect(),
                    tls: meta["tls"].as_bool().unwrap(),
                    authenticated: meta["authenticated"].as_bool().unwrap(),
                    helo: meta["helo"].as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }

    /// The raw text of every message received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        self.received().into_iter().map(|r| r.raw).collect()
    }

    /// The server's record of the session: `ehlo NAME tls=0|1` per EHLO, `message NNNN`.
    pub fn events(&self) -> Vec<String> {
        std::fs::read_to_string(self.inbox().join("events.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Polls up to 10 s for a message to `to` (an envelope recipient) whose text contains
    /// `needle`; returns the raw message, or panics listing what arrived.
    pub async fn wait_for(&self, to: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(r) = self.received().into_iter().find(|r| {
                r.rcpt_to.iter().any(|t| t.eq_ignore_ascii_case(to)) && r.raw.contains(needle)
            }) {
                return r.raw;
            }
            if Instant::now() > deadline {
                let seen: Vec<String> = self
                    .received()
                    .iter()
                    .map(|r| {
                        format!(
                            "to {:?}: {}",
                            r.rcpt_to,
                            header(&r.raw, "subject").unwrap_or_default()
                        )
                    })
                    .collect();
                panic!(
                    "no message to {to} containing {needle:?} within {WAIT:?}; received: {seen:#?}; server events: {:#?}; server log:\n{}",
                    self.events(),
                    self.server_log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls up to 10 s for a server event starting with `prefix` (e.g. `"ehlo"`).
    pub async fn wait_for_event(&self, prefix: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.events().iter().any(|e| e.starts_with(prefix)) {
            assert!(
                Instant::now() < deadline,
                "no {prefix:?} event within {WAIT:?}: {:#?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpCatcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA and a server certificate for `localhost` and 127.0.0.1 signed by it:
/// (CA PEM, server certificate chain PEM, server key PEM).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Gatehouse test mail CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let mut params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let (ca_path, cert_path, key_path) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_path, ca.pem()).unwrap();
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (ca_path, cert_path, key_path)
}

/// The top-level header block of a message, folded lines joined.
pub fn headers(raw: &str) -> Vec<(String, String)> {
    let head = raw.split("\r\n\r\n").next().unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push_str(line.trim_start());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    out
}

/// The one value of a top-level header (case-insensitive name).
pub fn header(raw: &str, name: &str) -> Option<String> {
    let all: Vec<String> = headers(raw)
        .into_iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect();
    assert!(all.len() <= 1, "header {name} appears {} times", all.len());
    all.into_iter().next()
}

/// The parts of a multipart message: (content type, decoded text).
pub fn parts(raw: &str) -> Vec<(String, String)> {
    let ct = header(raw, "content-type").expect("no Content-Type");
    let boundary = ct
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .expect("not multipart")
        .trim_matches('"')
        .to_owned();
    raw.split(&format!("--{boundary}"))
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|part| {
            let part = part.trim_start_matches("\r\n");
            let (head, body) = part.split_once("\r\n\r\n").unwrap_or((part, ""));
            let head = format!("{head}\r\n\r\n");
            let ct = header(&head, "content-type").unwrap_or_default();
            let cte = header(&head, "content-transfer-encoding")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let text = match cte.as_str() {
                "base64" => String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(body.split_whitespace().collect::<String>())
                        .unwrap(),
                )
                .unwrap(),
                "quoted-printable" => quoted_printable(body),
                _ => body.to_owned(),
            };
            (ct, text)
        })
        .collect()
}

fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
