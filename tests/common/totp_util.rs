//! Helpers for two-factor tests. Codes come from Debian's `oathtool`, an implementation
//! independent of ours (`oath.rs`); the flows go through the real pages.
#![allow(dead_code)] // each target uses its own subset

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gatehouse::clock::{Clock, ManualClock};

use crate::harness::*;
pub use crate::oath::oathtool_at;

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The code `offset` seconds from now.
pub fn oathtool(secret: &str, offset: i64) -> String {
    oathtool_at(secret, unix_now() + offset)
}

/// The text between `start` and the next `end` in `html`.
pub fn between(html: &str, start: &str, end: &str) -> String {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in page: {html}"))
        + start.len();
    html[i..].split(end).next().unwrap().to_owned()
}

/// A user with two-factor on, enrolled through the pages.
pub struct Enrolled {
    /// The browser that enrolled (signed in, two-factor session).
    pub browser: Browser,
    /// Base32 secret as shown at enrolment.
    pub secret: String,
    /// The recovery codes shown once.
    pub codes: Vec<String>,
    /// The last TOTP step used for this account.
    pub used: i64,
    /// The app's clock when the test can advance it.
    pub clock: Option<ManualClock>,
}

impl Enrolled {
    /// A code for a step after every step used so far, waiting for the clock when needed
    /// (each step works once per account).
    pub async fn next_code(&mut self) -> String {
        // On a manual clock the app moves to the next step at once: oathtool computes the code
        // for the app's time, so nothing waits for the wall clock.
        if let Some(clock) = &self.clock {
            clock.advance(30);
            let now = clock.now();
            assert!(now / 30 > self.used, "the clock is behind a used step");
            self.used = now / 30;
            return oathtool_at(&self.secret, now);
        }
        loop {
            let now = unix_now();
            for offset in [0, 30] {
                let step = (now + offset) / 30;
                if step > self.used {
                    self.used = step;
                    return oathtool_at(&self.secret, now + offset);
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

pub fn post(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.req(reqwest::Method::POST, &app.portal_host, &app.portal(path))
}

pub async fn page(app: &TestApp, b: &mut Browser, path: &str) -> (u16, String) {
    let resp = b.send(app.get(&app.portal_host, &app.portal(path))).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// The recovery codes on a codes page.
pub fn recovery_codes(html: &str) -> Vec<String> {
    let area = between(html, "id=\"recovery-codes\"", "</textarea>");
    let body = area.split_once('>').unwrap().1;
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Logs `user` in and turns two-factor on through the account pages.
pub async fn enroll(app: &TestApp, user: &str) -> Enrolled {
    let mut b = app.login(user, PW).await;
    let (status, html) = page(app, &mut b, "/account/2fa/enable").await;
    assert_eq!(status, 200, "{html}");
    let secret: String = between(&html, "id=\"totp-secret\">", "<")
        .split_whitespace()
        .collect();
    let csrf = extract_csrf(&html);
    let now = app.now();
    let code = oathtool_at(&secret, now);
    let resp = b
        .send(post(app, "/account/2fa/enable").form(&[("code", code.as_str()), ("csrf", &csrf)]))
        .await;
    let status = resp.status();
    let html = resp.text().await.unwrap();
    assert_eq!(status, 200, "enrolment failed: {html}");
    let codes = recovery_codes(&html);
    assert_eq!(codes.len(), 10, "{html}");
    Enrolled {
        browser: b,
        secret,
        codes,
        used: now / 30,
        clock: app.manual.clone(),
    }
}

/// The password step for a user with two-factor: asserts it leads to the code step with a
/// pending cookie and no session.
pub async fn password_step(app: &TestApp, b: &mut Browser, user: &str, rd: &str) {
    let resp = app.post_login(b, user, PW, rd).await;
    assert_eq!(
        resp.status(),
        303,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let loc = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.starts_with(&app.portal("/login/2fa")), "{loc}");
    assert!(b.cookies.contains_key("__Host-gatehouse_pending"));
    assert!(b.session(app).is_none(), "a session before the code");
}

/// Submits `code` on the code page (fetched first for its CSRF token).
pub async fn code_step(
    app: &TestApp,
    b: &mut Browser,
    code: &str,
    remember: bool,
    rd: &str,
) -> reqwest::Response {
    let (status, html) = page(app, b, "/login/2fa").await;
    assert_eq!(status, 200, "no code page: {html}");
    let csrf = extract_csrf(&html);
    let mut form = vec![("code", code), ("csrf", csrf.as_str()), ("rd", rd)];
    if remember {
        form.push(("remember", "1"));
    }
    b.send(post(app, "/login/2fa").form(&form)).await
}

/// Waits up to 10 s for a mail whose text contains `needle` in `dir`; returns it.
pub async fn mail_containing(dir: &std::path::Path, needle: &str) -> String {
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                if text.contains(needle) {
                    return text;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail containing {needle:?} in {}", dir.display());
}

/// Notices go to `<test dir>/mail` as .eml files.
pub const MAIL: &str =
    "[notifier]\nfile_dir = \"mail\"\nfrom = \"Gatehouse <gatehouse@example.test>\"\n";
