//! Every portal page, reached the way a user reaches it in Chromium, checked by axe-core
//! (WCAG 2.0/2.1/2.2 A and AA: no serious or critical violation) and by the layout checks of
//! `axe.rs`, light and dark, desktop and phone. One walk through the portal with a few users;
//! the gateway runs on a manual clock so that step-up and session expiry need no waiting.
//! Screenshots of every page, scheme and size: `target/browser-artifacts/accessibility/`.

use std::path::PathBuf;

use crate::axe::Checker;
use crate::harness::*;
use crate::mail_text::link_in;
use crate::reset_util::forgot;
use crate::session_util::{DEVICES, login_from};
use crate::totp_util::{mail_containing, oathtool_at};
use crate::webdriver::WebDriver;

/// Named apps on the home page (one needs two factors), and the wildcard site.
const SITES: &str = r#"
[[sites]]
name = "Wiki"
host = "wiki.gate.localhost"
upstream = "http://{echo}"
[[sites]]
name = "Vault"
host = "secure.gate.localhost"
upstream = "http://{echo}"
[[sites]]
host = "*.gate.localhost"
upstream = "http://{echo}"
[session]
remember_me = "30d"
"#;

/// A new password that passes the length rule.
const NEW: &str = "a brand new passphrase for this account";

/// `target/browser-artifacts/<name>`, emptied.
fn artifacts(name: &str) -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|t| manifest.join(t))
        .unwrap_or_else(|| manifest.join("target"));
    let dir = target.join("browser-artifacts").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file in `target/browser-artifacts/<dir>` (not emptied).
fn artifacts_file(dir: &str, name: &str) -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|t| manifest.join(t))
        .unwrap_or_else(|| manifest.join("target"));
    target.join("browser-artifacts").join(dir).join(name)
}

/// The portal, as the browser sees it.
struct Walk<'a> {
    wd: &'a WebDriver,
    app: &'a TestApp,
    portal: String,
}

impl Walk<'_> {
    async fn go(&self, path: &str) {
        self.wd.goto(&format!("{}{path}", self.portal)).await;
    }

    /// Fills the fields (`name`, value) of the form holding the first one and submits it.
    async fn submit(&self, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            self.wd.fill(&format!("input[name={name}]"), value).await;
        }
        let first = fields[0].0;
        self.wd
            .click(&format!(
                "form:has(input[name={first}]) button[type=submit]"
            ))
            .await;
    }

    async fn sign_in(&self, user: &str, password: &str) {
        self.go("/login").await;
        self.submit(&[("username", user), ("password", password)])
            .await;
        self.wd
            .wait_for_url("leaving the login page", |u| !u.ends_with("/login"))
            .await;
    }

    async fn sign_out(&self) {
        self.go("/").await;
        self.wd.click("form#logout button[type=submit]").await;
        self.wd.wait_for_text("You are signed out").await;
    }

    /// The current TOTP code of `secret` on the gateway's clock, a step after the last used.
    fn code(&self, secret: &str) -> String {
        self.app.advance(30);
        oathtool_at(secret, self.app.now())
    }
}

#[tokio::test]
async fn every_portal_page_passes_axe_light_and_dark_on_desktop_and_phone() {
    let shots = artifacts("accessibility");
    let overlay = format!("{}{SITES}", forgot(""));
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay).manual_clock()).await;
    app.add_user("alice", PW, &["users"]).await;
    app.add_user("bob", PW, &["users"]).await;
    app.add_user("root", PW, &["admins"]).await;
    // Other sessions of alice's, for the sessions list's per-row buttons.
    let _firefox = login_from(&app, "alice", DEVICES[0]).await;
    let _iphone = login_from(&app, "alice", DEVICES[1]).await;
    let wd = WebDriver::start(&artifacts("accessibility-steps")).await;
    let mut c = Checker::new(&wd, &shots);
    let w = Walk {
        wd: &wd,
        app: &app,
        portal: format!("http://auth.gate.localhost:{}", app.port),
    };

    // Signing in, and alice's account pages.
    w.go("/login").await;
    c.check("login").await;
    w.submit(&[("username", "alice"), ("password", "not her password")])
        .await;
    wd.wait_for_text("Invalid username or password.").await;
    c.check("login-failed").await;
    w.sign_in("alice", PW).await;
    w.go("/").await;
    wd.find("ul#apps").await;
    c.check("home").await;
    w.go("/account").await;
    c.check("account").await;
    w.go("/account/password").await;
    c.check("password-change").await;
    w.submit(&[
        ("current", "not her password"),
        ("new", NEW),
        ("confirm", NEW),
    ])
    .await;
    wd.find("#current-error").await;
    c.check("password-change-failed").await;
    c.field_error("password-change-failed", "#current").await;
    w.go("/account/sessions").await;
    wd.find("form#revoke-others").await;
    c.check("sessions").await;
    // Past the step-up window, signing out the others asks for the password again.
    app.advance(11 * 60);
    wd.click("form#revoke-others button[type=submit]").await;
    wd.wait_for_text("Confirm your password").await;
    c.check("reauth").await;
    w.submit(&[("password", PW)]).await;
    wd.wait_for_url("back on the sessions list", |u| {
        u.contains("/account/sessions")
    })
    .await;

    // Two-factor enrolment, recovery codes, then the code step.
    w.go("/account/2fa/enable").await;
    let secret: String = wd.text("#totp-secret").await.split_whitespace().collect();
    c.check("enroll").await;
    w.submit(&[("code", "000000")]).await;
    wd.find("p.error").await;
    c.check("enroll-failed").await;
    c.field_error("enroll-failed", "#code").await;
    w.submit(&[("code", &w.code(&secret))]).await;
    wd.find("textarea#recovery-codes").await;
    c.check("recovery-codes").await;
    w.sign_out().await;
    c.check("signed-out").await;
    w.go("/login").await;
    w.submit(&[("username", "alice"), ("password", PW)]).await;
    wd.wait_for_url("the code step", |u| u.contains("/login/2fa"))
        .await;
    c.check("code").await;
    w.submit(&[("code", "000000")]).await;
    wd.find("p.error").await;
    c.check("code-failed").await;
    c.field_error("code-failed", "#code").await;
    wd.click("a#switch-code").await;
    wd.wait_for_text("Recovery code").await;
    c.check("code-recovery").await;
    wd.click("a#switch-code").await;
    wd.click("input[name=remember]").await;
    w.submit(&[("code", &w.code(&secret))]).await;
    wd.wait_for_url("signed in", |u| !u.contains("/login"))
        .await;
    w.go("/account").await;
    wd.find(".row.device").await;
    c.check("account-two-factor").await;
    w.go("/logout").await;
    c.check("logout-confirm").await;
    w.sign_out().await;

    // bob, with one factor: the error pages, then an ended session.
    w.sign_in("bob", PW).await;
    wd.goto(&format!("http://secure.gate.localhost:{}/", app.port))
        .await;
    wd.wait_for_text("Two-factor authentication required").await;
    c.check("error-two-factor-required").await;
    wd.goto(&format!("http://app.gate.localhost:{}/admin/", app.port))
        .await;
    c.check("error-forbidden").await;
    w.go("/no/such/page").await;
    c.check("error-not-found").await;
    w.go("/account/sessions/revoke").await;
    c.check("error-method-not-allowed").await;
    wd.goto(&format!("http://localhost:{}/", app.port)).await;
    c.check("error-unknown-host").await;
    w.go("/account/password").await;
    wd.execute(
        "document.querySelector('input[name=csrf]').value = 'expired';",
        vec![],
    )
    .await;
    w.submit(&[("current", PW), ("new", NEW), ("confirm", NEW)])
        .await;
    wd.wait_for_text("expired").await;
    c.check("error-form-expired").await;
    app.advance(31 * 60);
    w.go("/login").await;
    wd.wait_for_text("Your session has ended").await;
    c.check("login-session-ended").await;

    // Forgot and reset, from the mailed link.
    w.go("/forgot").await;
    c.check("forgot").await;
    w.submit(&[("who", "bob")]).await;
    wd.wait_for_text("Check your email").await;
    c.check("forgot-sent").await;
    let mail = mail_containing(&app.dir.path().join("mail"), "Reset your password").await;
    wd.goto(&link_in(&mail)).await;
    c.check("reset").await;
    w.submit(&[("new", NEW), ("confirm", "not the same passphrase")])
        .await;
    wd.find("p.error").await;
    c.check("reset-failed").await;
    c.field_error("reset-failed", "#confirm").await;
    w.submit(&[("new", NEW), ("confirm", NEW)]).await;
    wd.wait_for_text("Password changed").await;
    c.check("reset-done").await;

    // The admin area.
    w.sign_in("root", PW).await;
    w.go("/admin").await;
    c.check("admin-list").await;
    w.go("/admin/users/new").await;
    c.check("admin-new").await;
    w.submit(&[("username", "Not Valid!")]).await;
    wd.find("p.error").await;
    c.check("admin-new-failed").await;
    c.field_error("admin-new-failed", "#username").await;
    wd.execute(
        "document.querySelector('input[name=must_change]').checked = true;",
        vec![],
    )
    .await;
    w.submit(&[("username", "carol"), ("email", "carol@example.test")])
        .await;
    let temporary = wd.text("#temporary-password").await;
    c.check("admin-temporary-password").await;
    w.go("/admin/users/alice").await;
    c.check("admin-user").await;
    // The browser's own check of type=email aside, to reach the gateway's.
    wd.execute(
        "document.querySelector('form#profile').noValidate = true;",
        vec![],
    )
    .await;
    w.submit(&[("email", "not an address")]).await;
    wd.find("#profile-error").await;
    c.check("admin-user-failed").await;
    c.field_error("admin-user-failed", "#email").await;
    w.go("/admin/users/alice/delete").await;
    c.check("admin-delete").await;
    w.sign_out().await;

    // carol's first sign-in: the forced password change.
    w.sign_in("carol", temporary.trim()).await;
    wd.wait_for_text("Set a new password").await;
    c.check("password-forced").await;

    c.finish();
}

/// The checker itself finds what it is for: on a login page spoiled on purpose (faint text, a
/// button without a name, a wrapping button, a page wider than a phone), every check reports,
/// naming the page, scheme and size.
#[tokio::test]
async fn the_accessibility_checker_reports_what_it_finds() {
    let app = TestApp::spawn(Opts::default()).await;
    let wd = WebDriver::start(&artifacts("accessibility-checker-steps")).await;
    let mut c = Checker::new(&wd, &artifacts("accessibility-checker"));
    wd.goto(&format!("http://auth.gate.localhost:{}/login", app.port))
        .await;
    wd.execute(
        "const h = document.querySelector('h1'); h.style.color = '#c8c8c8'; \
         h.style.background = '#ffffff'; \
         const b = document.querySelector('button[type=submit]'); b.textContent = ''; \
         const w = document.createElement('button'); w.style.width = '4rem'; \
         w.style.whiteSpace = 'normal'; \
         w.textContent = 'a label far too long for its button'; document.body.append(w); \
         const d = document.createElement('div'); d.style.width = '900px'; d.textContent = 'wide'; \
         document.body.append(d);",
        vec![],
    )
    .await;
    c.check("spoiled-login").await;
    let all = c.problems.join("\n");
    for expected in [
        "spoiled-login (light, desktop): color-contrast [serious]",
        "spoiled-login (dark, phone): color-contrast [serious]",
        "spoiled-login (light, desktop): button-name [critical]",
        "spoiled-login (dark, desktop): the button \"a label far too long for its button\"",
        "spoiled-login (light, phone): horizontal overflow",
    ] {
        assert!(all.contains(expected), "{expected:?} not reported:\n{all}");
    }
    let shot = artifacts_file("accessibility-checker", "spoiled-login-dark-phone.png");
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
}
