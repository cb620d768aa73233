//! Mail over SMTP against a real SMTP server (docs/security.md#smtp, #mail-content), with the harness of
//! `smtp.rs`: notices arrive over required STARTTLS or implicit TLS, after login, and carry no
//! secret; a relay without STARTTLS or with an untrusted certificate gets nothing and the
//! reason is logged; user data never makes a header or a recipient. The config check of the
//! notifier is in the integration target (`tests/it/mail.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse::domain::secret::SecretString;
use gatehouse::mail::Transport as _;
use gatehouse::service::users::AddUser;

use crate::harness::*;
use crate::smtp::*;
use crate::totp_util::*;

/// Log lines the gateway writes while a test runs on this thread (`#[tokio::test]` runs the
/// gateway's tasks on the test's thread).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Captures this thread's logs until the guard drops.
    pub fn start() -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = Self::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        (capture, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Polls up to 10 s for a line containing `needle`; returns that line.
    pub async fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(line) = self.text().lines().find(|l| l.contains(needle)) {
                return line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needle:?} within {WAIT:?}:\n{}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Asserts the notice carries nothing secret from the enrolment: neither the TOTP secret nor
/// a code it made nor a recovery code.
fn assert_no_secrets(raw: &str, texts: &[String], enrolled: &Enrolled) {
    let code = oathtool_at(&enrolled.secret, enrolled.used * 30);
    let mut secrets = vec![enrolled.secret.clone(), code];
    secrets.extend(enrolled.codes.iter().cloned());
    for s in &secrets {
        assert!(!raw.contains(s.as_str()), "the mail holds {s:?}:\n{raw}");
        for t in texts {
            assert!(!t.contains(s.as_str()), "the mail holds {s:?}:\n{t}");
        }
    }
}

/// (a) The notice of two-factor turned on reaches the real server over required STARTTLS,
/// after login, with the configured `From`, one recipient, a text and an HTML part, and no
/// secret.
#[tokio::test]
async fn smtp_starttls_delivers_the_two_factor_notice() {
    let smtp = SmtpCatcher::start(SmtpMode::StartTls).await;
    let app = TestApp::spawn(Opts::with(Store::Memory, &smtp.overlay())).await;
    app.add_user("alice", PW, &["users"]).await;
    let enrolled = enroll(&app, "alice").await;
    let raw = smtp
        .wait_for("alice@example.test", "Two-factor authentication turned on")
        .await;

    let got = smtp.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    let r = &got[0];
    assert!(r.tls, "the message came in plain text");
    assert!(r.authenticated, "the gateway did not log in");
    assert_eq!(r.mail_from, "gatehouse@example.test");
    assert_eq!(r.rcpt_to, vec!["alice@example.test"]);
    assert_eq!(r.helo, "gatehouse.test");
    // The server saw a plain EHLO, then one after STARTTLS.
    let events = smtp.events();
    assert!(
        events.contains(&"ehlo gatehouse.test tls=0".to_owned()),
        "{events:?}"
    );
    assert!(
        events.contains(&"ehlo gatehouse.test tls=1".to_owned()),
        "{events:?}"
    );

    assert_eq!(header(&raw, "from").as_deref(), Some(FROM));
    assert_eq!(header(&raw, "to").as_deref(), Some("alice@example.test"));
    assert_eq!(
        header(&raw, "subject").as_deref(),
        Some("Gatehouse: Two-factor authentication turned on")
    );
    assert!(header(&raw, "bcc").is_none() && header(&raw, "cc").is_none());
    let id = header(&raw, "message-id").expect("no Message-ID");
    assert!(
        id.starts_with('<') && id.ends_with("@example.test>"),
        "{id}"
    );
    let parts = parts(&raw);
    let types: Vec<&str> = parts
        .iter()
        .map(|(ct, _)| ct.split(';').next().unwrap())
        .collect();
    assert_eq!(types, vec!["text/plain", "text/html"], "{raw}");
    for (_, text) in &parts {
        assert!(text.contains("Hello alice"), "{text}");
        assert!(
            text.contains("Two-factor authentication is now on"),
            "{text}"
        );
    }
    let texts: Vec<String> = parts.into_iter().map(|(_, t)| t).collect();
    assert_no_secrets(&raw, &texts, &enrolled);
}

/// (b) Implicit TLS (SMTPS) delivers too: TLS from the first byte, then login.
#[tokio::test]
async fn smtp_implicit_tls_delivers() {
    let smtp = SmtpCatcher::start(SmtpMode::ImplicitTls).await;
    let app = TestApp::spawn(Opts::with(Store::Memory, &smtp.overlay())).await;
    app.add_user("alice", PW, &["users"]).await;
    let enrolled = enroll(&app, "alice").await;
    let raw = smtp
        .wait_for("alice@example.test", "Two-factor authentication turned on")
        .await;
    let r = &smtp.received()[0];
    assert!(r.tls && r.authenticated, "{r:#?}");
    // Never a plain-text EHLO on an implicit-TLS connection.
    assert!(
        smtp.events().iter().all(|e| !e.ends_with("tls=0")),
        "{:?}",
        smtp.events()
    );
    assert_eq!(header(&raw, "to").as_deref(), Some("alice@example.test"));
    let texts: Vec<String> = parts(&raw).into_iter().map(|(_, t)| t).collect();
    assert_no_secrets(&raw, &texts, &enrolled);
}

/// (c) docs/security.md#smtp: a server that offers no STARTTLS gets nothing, not even the login; the
/// failure is logged with its reason, and the gateway goes on working.
#[tokio::test]
async fn smtp_without_starttls_gets_nothing_and_the_failure_is_logged() {
    let (logs, _guard) = LogCapture::start();
    let smtp = SmtpCatcher::start(SmtpMode::Plain).await;
    let app = TestApp::spawn(Opts::with(Store::Memory, &smtp.overlay()).manual_clock()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut enrolled = enroll(&app, "alice").await;
    // The gateway did come (so it failed for the right reason) …
    smtp.wait_for_event("ehlo gatehouse.test tls=0").await;
    let line = logs.wait_for("notice not sent").await;
    assert!(line.contains("STARTTLS"), "{line}");
    assert!(line.contains("alice"), "{line}");
    assert!(!line.contains(SMTP_PASSWORD), "{line}");
    // … and sent nothing: no message, no command after the first EHLO was answered.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(smtp.messages().is_empty(), "{:#?}", smtp.messages());
    assert_eq!(smtp.events(), vec!["ehlo gatehouse.test tls=0"]);
    // Two-factor is on all the same, and the gateway keeps serving.
    let (status, html) = page(&app, &mut enrolled.browser, "/account").await;
    assert_eq!(status, 200, "{html}");
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    let code = enrolled.next_code().await;
    let resp = code_step(&app, &mut b, &code, false, "").await;
    assert_eq!(resp.status(), 303);
    // Nothing on the page about mail.
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(
        !html.contains("SMTP") && !html.contains("STARTTLS"),
        "{html}"
    );
}

/// (d) A server whose certificate is not trusted (no `ca_file`) gets nothing: the STARTTLS
/// handshake fails, and the reason is logged.
#[tokio::test]
async fn smtp_with_an_untrusted_certificate_gets_nothing() {
    let (logs, _guard) = LogCapture::start();
    let smtp = SmtpCatcher::start(SmtpMode::StartTls).await;
    let app = TestApp::spawn(Opts::with(Store::Memory, &smtp.overlay_untrusted())).await;
    app.add_user("alice", PW, &["users"]).await;
    enroll(&app, "alice").await;
    smtp.wait_for_event("ehlo gatehouse.test tls=0").await;
    let line = logs.wait_for("notice not sent").await;
    assert!(line.contains("certificate"), "{line}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(smtp.messages().is_empty(), "{:#?}", smtp.messages());
    assert!(
        !smtp.events().iter().any(|e| e.ends_with("tls=1")),
        "a TLS session was set up: {:?}",
        smtp.events()
    );
}

/// The transport's own reasons, for each way a relay is refused, in both TLS modes.
#[tokio::test]
async fn smtp_transport_reports_why_it_refused() {
    install_crypto();
    async fn send(overlay: &str) -> Result<(), String> {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[portal]\nurl = \"http://localhost:9091\"\n[secrets]\nkey = \"integration-test-key-not-secret-0123456789abcdef\"\n{overlay}"
        );
        let config = gatehouse::config::load_str(&text, dir.path(), std::iter::empty())
            .unwrap_or_else(|p| panic!("{p:#?}"));
        let smtp = config.notifier.smtp.expect("an smtp config");
        let transport = gatehouse::mail::smtp::SmtpTransport::new(&smtp).unwrap();
        let message = lettre::Message::builder()
            .from(FROM.parse().unwrap())
            .to("alice@example.test".parse().unwrap())
            .subject("test")
            .body("hello".to_owned())
            .unwrap();
        transport.send(message).await
    }
    let plain = SmtpCatcher::start(SmtpMode::Plain).await;
    let e = send(&plain.overlay()).await.unwrap_err();
    eprintln!("no STARTTLS: {e}");
    assert!(e.contains("STARTTLS is not supported"), "{e}");
    for mode in [SmtpMode::StartTls, SmtpMode::ImplicitTls] {
        let smtp = SmtpCatcher::start(mode).await;
        let e = send(&smtp.overlay_untrusted()).await.unwrap_err();
        eprintln!("{mode:?}, untrusted: {e}");
        assert!(
            e.contains("invalid peer certificate") && e.contains("UnknownIssuer"),
            "{mode:?}: {e}"
        );
        // A wrong password is refused by the server and reported.
        let wrong = smtp.overlay().replace(
            &format!(
                "password_file = \"{}\"",
                smtp.dir.path().join("smtp-password").display()
            ),
            "password = \"not-the-password\"",
        );
        let e = send(&wrong).await.unwrap_err();
        eprintln!("{mode:?}, wrong password: {e}");
        assert!(e.contains("535"), "{mode:?}: {e}");
        send(&smtp.overlay()).await.unwrap();
        assert_eq!(smtp.messages().len(), 1, "{mode:?}");
    }
    assert!(plain.messages().is_empty());
}

/// (e) docs/security.md#mail-content: a display name with a line break and a header adds no header and no
/// recipient; an address with one is never sent to.
#[tokio::test]
async fn smtp_header_injection_adds_no_header_or_recipient() {
    let smtp = SmtpCatcher::start(SmtpMode::StartTls).await;
    let app = TestApp::spawn(Opts::with(Store::Memory, &smtp.overlay())).await;
    let admin = &app.app.state().admin;
    let add = |username: &'static str, display_name: &'static str, email: &'static str| {
        admin.add(
            AddUser {
                username,
                display_name: Some(display_name),
                email,
                groups: &[],
                password: SecretString::new(PW),
                must_change_password: false,
            },
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
    };
    // An address carrying a header: either refused when the user is added, or never mailed.
    if add(
        "trudy",
        "Trudy",
        "trudy@example.test\r\nBcc: evil@example.test",
    )
    .await
    .is_ok()
    {
        enroll(&app, "trudy").await;
    }
    // A display name with a line break is refused when the user is added …
    let injected = "Mallory\r\nBcc: evil@example.test\r\nSubject: pwned";
    assert!(matches!(
        add("mallory", injected, "mallory@example.test").await,
        Err(gatehouse::service::users::UserError::BadDisplayName(_))
    ));
    // … and one already stored (written before that check existed) still adds no header.
    add("mallory", "Mallory", "mallory@example.test")
        .await
        .unwrap();
    let db = app.dir.path().join("users.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE users SET display_name = ? WHERE username = 'mallory'")
        .bind(injected)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    enroll(&app, "mallory").await;
    let raw = smtp
        .wait_for(
            "mallory@example.test",
            "Two-factor authentication turned on",
        )
        .await;
    // Trudy's notice (attempted first) never went out; only Mallory's did, to her alone.
    let got = smtp.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].rcpt_to, vec!["mallory@example.test"]);
    let headers = headers(&raw);
    for (k, v) in &headers {
        assert!(k != "bcc" && k != "cc", "{k}: {v}");
        assert!(!v.contains("evil@"), "{k}: {v}");
    }
    assert_eq!(
        header(&raw, "subject").as_deref(),
        Some("Gatehouse: Two-factor authentication turned on")
    );
    // Not even inside a part does a line start with an injected header.
    for line in raw.lines() {
        assert!(
            !line.starts_with("Bcc:") && !line.starts_with("Subject: pwned"),
            "{line:?} in\n{raw}"
        );
    }
    let text = &parts(&raw)[0].1;
    assert!(
        text.contains("Hello Mallory  Bcc: evil@example.test  Subject: pwned,"),
        "{text}"
    );
}
