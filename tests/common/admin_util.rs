//! Helpers for the admin-area tests: a gateway with an administrator and two users, CSRF-checked
//! form posts, the audit records of a test. Shared by the integration and end-to-end targets.
#![allow(dead_code)] // each target uses its own subset

use std::sync::{Arc, Mutex};

use gatehouse::domain::session::SessionId;

use crate::harness::*;
use crate::totp_util::*;

pub const NEW: &str = "a brand new passphrase for alice";
pub const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

/// The audit records this test's gateway writes. `#[tokio::test]` runs the server's tasks on
/// the test's own thread, so a thread-local subscriber sees exactly this test's events.
#[derive(Clone, Default)]
pub struct Audit(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Audit {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Audit {
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        // While a single scoped dispatcher is registered, tracing asks only the current
        // thread's one whether a callsite is wanted: a callsite first hit by a test running
        // on another thread would be cached as disabled for this one. A second dispatcher,
        // registered for the whole run, makes it ask every live one.
        static PEER: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
        PEER.get_or_init(|| tracing::Dispatch::new(tracing_subscriber::registry()));
        let audit = Self::default();
        let writer = audit.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        (audit, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The audit records named `event`.
    pub fn events(&self, event: &str) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["target"] == "audit" && v["event"] == event)
            .collect()
    }

    /// Asserts one `event` record about `user` names `actor`.
    pub fn assert_actor(&self, event: &str, user: &str, actor: &str) {
        let found = self.events(event);
        assert!(
            found
                .iter()
                .any(|v| v["user"] == user && v["actor"] == actor),
            "no {event} for {user} by {actor} in:\n{}",
            self.text()
        );
    }
}

/// A gateway with the file notifier, `root` in `admins` and `alice`, `bob` in `users`.
pub async fn spawn(store: Store, extra: &str) -> TestApp {
    spawn_opts(Opts::with(store, &format!("{MAIL}{TRUSTED}{extra}"))).await
}

/// `spawn` with these options (e.g. a manual clock).
pub async fn spawn_opts(opts: Opts) -> TestApp {
    let app = TestApp::spawn(opts).await;
    app.add_user("root", PW, &["admins"]).await;
    app.add_user("alice", PW, &["users"]).await;
    app.add_user("bob", PW, &["users"]).await;
    app
}

pub fn mail_dir(app: &TestApp) -> std::path::PathBuf {
    app.dir.path().join("mail")
}

/// A CSRF token for this browser (any page with a form carries one).
pub async fn csrf(app: &TestApp, b: &mut Browser) -> String {
    let (status, html) = page(app, b, "/account").await;
    assert_eq!(status, 200, "{html}");
    extract_csrf(&html)
}

/// POSTs `form` plus this browser's CSRF token; returns status, `Location` and body.
pub async fn act(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let token = csrf(app, b).await;
    let mut form = form.to_vec();
    form.push(("csrf", &token));
    let resp = b.send(post(app, path).form(&form)).await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, resp.text().await.unwrap())
}

/// Status of a proxied request with this browser's cookies (200 signed in, 302 to login).
pub async fn app_status(app: &TestApp, b: &Browser) -> u16 {
    b.clone()
        .send(app.get("app.gate.localhost", "/private"))
        .await
        .status()
        .as_u16()
}

pub async fn login_status(app: &TestApp, user: &str, password: &str) -> (u16, String) {
    let resp = app.post_login(&mut app.browser(), user, password, "").await;
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (resp.status().as_u16(), location)
}

pub fn key_of(app: &TestApp, b: &Browser) -> String {
    SessionId::parse(&b.session(app).unwrap())
        .unwrap()
        .key()
        .as_str()
        .to_owned()
}
