//! End to end in a real browser: headless Chromium, driven through chromedriver, signs in at
//! the portal over plain http on `*.gate.localhost` (a secure context, so the `Secure`
//! cookies stick) and reaches the app. TOTP codes come from `oathtool`, an implementation
//! independent of ours. Screenshots land in `target/browser-artifacts/<test>/`.

use std::path::PathBuf;

use http::Method;
use serde_json::json;

use crate::harness::*;
use crate::totp_util::{MAIL, enroll, mail_containing, oathtool, unix_now};
use crate::webdriver::WebDriver;

/// `$CARGO_TARGET_DIR/browser-artifacts/<test>` (default target dir: `<crate>/target`), emptied.
pub(crate) fn artifacts(test: &str) -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|t| manifest.join(t))
        .unwrap_or_else(|| manifest.join("target"));
    let dir = target.join("browser-artifacts").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The last request the echo upstream saw for `uri` (a browser may also fetch a favicon).
fn seen_at(app: &TestApp, uri: &str) -> Seen {
    let seen = app.echo.seen.lock().unwrap();
    seen.iter()
        .rev()
        .find(|s| s.uri == uri)
        .cloned()
        .unwrap_or_else(|| {
            let uris: Vec<&str> = seen.iter().map(|s| s.uri.as_str()).collect();
            panic!("the upstream never saw {uri}; it saw {uris:?}")
        })
}

/// Signs in on the portal login page the browser is on.
async fn sign_in(wd: &WebDriver, user: &str, password: &str) {
    wd.fill("input[name=username]", user).await;
    wd.fill("input[name=password]", password).await;
    wd.click("form:has(input[name=password]) button[type=submit]")
        .await;
}

#[tokio::test]
async fn login_in_chromium_reaches_the_app() {
    let art = artifacts("login_in_chromium_reaches_the_app");
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let wd = WebDriver::start(&art).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);
    let target = format!("http://app.gate.localhost:{}/hello?from=chromium", app.port);

    wd.goto(&target).await;
    let url = wd.current_url().await;
    assert!(
        url.starts_with(&format!("{portal}/login?")),
        "not sent to the portal's login page: {url}"
    );
    assert_eq!(wd.text("h1").await, "Sign in");
    assert!(wd.page_source().await.contains("name=\"csrf\""));
    wd.screenshot(art.join("login.png")).await;

    sign_in(&wd, "alice", PW).await;
    let url = wd
        .wait_for_url("the app after login", |u| u.starts_with("http://app."))
        .await;
    assert_eq!(url, target);
    let body = wd.text("body").await;
    assert!(body.starts_with("echo ok"), "not the echo app: {body}");
    let seen = seen_at(&app, "/hello?from=chromium");
    assert_eq!(seen.one("remote-user"), Some("alice"));
    assert_eq!(seen.one("remote-groups"), Some("users"));

    // The session cookie really stuck over http: Secure, HttpOnly, for the whole SSO domain.
    let cookies = wd.cookies().await;
    let session = cookies
        .iter()
        .find(|c| c.name() == "__Secure-gatehouse_session")
        .unwrap_or_else(|| panic!("no session cookie in the browser: {cookies:#?}"));
    assert_eq!(session.secure(), Some(true), "{session:?}");
    assert_eq!(session.http_only(), Some(true), "{session:?}");
    // Browsers report a Domain cookie with its leading dot (RFC 6265 drops it on receipt).
    let domain = session.domain().map(|d| d.trim_start_matches('.'));
    assert_eq!(domain, Some("gate.localhost"), "{session:?}");
    // HttpOnly in practice: a script on the app's page cannot read the session id.
    let seen_by_script = wd.execute("return document.cookie;", vec![]).await;
    let seen_by_script = seen_by_script.as_str().unwrap_or_default();
    assert!(
        !seen_by_script.contains("gatehouse_session"),
        "a script sees the session cookie: {seen_by_script:?}"
    );
    wd.screenshot(art.join("app.png")).await;
}

/// The helper's way to the WebDriver extension commands the later accessibility and WebAuthn
/// tests need: a raw command (a virtual authenticator, W3C WebAuthn §11) and a script with
/// arguments, on a portal page.
#[tokio::test]
async fn raw_commands_and_scripts_in_chromium() {
    let art = artifacts("raw_commands_and_scripts_in_chromium");
    let app = TestApp::spawn(Opts::default()).await;
    let wd = WebDriver::start(&art).await;
    wd.goto(&format!("http://auth.gate.localhost:{}/login", app.port))
        .await;

    let title = wd
        .execute(
            "return [document.title, arguments[0] + 1];",
            vec![json!(41)],
        )
        .await;
    assert_eq!(title[1], 42, "{title}");
    assert_eq!(title[0], wd.client().title().await.unwrap(), "{title}");

    let id = wd
        .command(
            Method::POST,
            "webauthn/authenticator",
            Some(json!({
                "protocol": "ctap2", "transport": "usb", "hasResidentKey": true,
                "hasUserVerification": true, "isUserVerified": true,
            })),
        )
        .await;
    let id = id
        .as_str()
        .unwrap_or_else(|| panic!("no authenticator id: {id}"));
    let creds = wd
        .command(
            Method::GET,
            &format!("webauthn/authenticator/{id}/credentials"),
            None,
        )
        .await;
    assert_eq!(
        creds,
        json!([]),
        "a fresh authenticator holds no credential"
    );
    wd.command(
        Method::DELETE,
        &format!("webauthn/authenticator/{id}"),
        None,
    )
    .await;
    // An unknown endpoint is an error the test can inspect, not a panic.
    let err = wd.try_command(Method::GET, "no/such/command", None).await;
    assert!(err.is_err(), "{err:?}");
}

/// Written against the 2FA pages' contract: account page → enrol (QR, secret, URI, code from
/// oathtool) → recovery codes → sign out → password → `/login/2fa` → next step's code → app.
#[tokio::test]
async fn two_factor_walk_in_chromium() {
    let art = artifacts("two_factor_walk_in_chromium");
    oathtool("JBSWY3DPEHPK3PXP", 0); // fail early, by name, if oathtool is missing
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let wd = WebDriver::start(&art).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);

    // Password login, then the account page.
    wd.goto(&format!("{portal}/login")).await;
    sign_in(&wd, "alice", PW).await;
    wd.wait_for_url("leaving the login page", |u| {
        !u.starts_with(&format!("{portal}/login"))
    })
    .await;
    wd.goto(&format!("{portal}/account")).await;
    let href = wd.attribute("a#enable-2fa", "href").await;
    assert!(
        href.as_deref()
            .is_some_and(|h| h.ends_with("/account/2fa/enable")),
        "a#enable-2fa links to {href:?}"
    );
    wd.screenshot(art.join("account.png")).await;

    // Enrolment: QR code, secret, URI; the code comes from oathtool.
    wd.click("a#enable-2fa").await;
    let url = wd
        .wait_for_url("the enrolment page", |u| {
            u.starts_with(&format!("{portal}/account/2fa/enable"))
        })
        .await;
    wd.find("#totp-qr svg").await;
    let secret: String = wd
        .text("#totp-secret")
        .await
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(
        secret.len() >= 16
            && secret
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "#totp-secret is not base32: {secret:?} on {url}"
    );
    let mut uri = wd.text("#totp-uri").await;
    if uri.is_empty() {
        uri = wd.property("#totp-uri", "value").await; // an <input readonly> shows no text
    }
    let uri = uri.trim();
    assert!(uri.starts_with("otpauth://totp/"), "#totp-uri: {uri:?}");
    assert!(
        uri.to_ascii_uppercase()
            .contains(&format!("SECRET={}", secret.trim_end_matches('='))),
        "#totp-uri {uri:?} does not carry the secret shown ({secret})"
    );
    wd.find("form:has(input[name=code]) button[type=submit]")
        .await;
    wd.screenshot(art.join("enroll.png")).await;

    let code = oathtool(&secret, 0);
    wd.fill("input[name=code]", &code).await;
    wd.click("form:has(input[name=code]) button[type=submit]")
        .await;

    // Recovery codes, shown once.
    let codes = wd.property("textarea#recovery-codes", "value").await;
    let lines: Vec<&str> = codes
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 10, "recovery codes: {codes:?}");
    wd.find("a#continue").await;
    // The copy button appears only when its script runs under the page's CSP.
    assert_eq!(wd.property("button#copy", "hidden").await, "false");
    wd.screenshot(art.join("recovery-codes.png")).await;

    // Sign out.
    wd.click("a#continue").await;
    wd.goto(&format!("{portal}/account")).await;
    wd.click("form#logout button[type=submit]").await;
    wd.wait_for_url("the signed-out page", |u| u.contains("/logout"))
        .await;
    let app_url = format!("http://app.gate.localhost:{}/after-2fa", app.port);
    wd.goto(&app_url).await;
    let url = wd.current_url().await;
    assert!(
        url.starts_with(&format!("{portal}/login")),
        "still signed in after signing out: {url}"
    );

    // Password, then the second factor: the enrolment code is spent, so the next step's.
    let rd: String = form_urlencoded::byte_serialize(app_url.as_bytes()).collect();
    wd.goto(&format!("{portal}/login?rd={rd}")).await;
    sign_in(&wd, "alice", PW).await;
    let url = wd
        .wait_for_url("the second-factor page", |u| {
            u.starts_with(&format!("{portal}/login/2fa"))
        })
        .await;
    let autocomplete = wd.attribute("input[name=code]", "autocomplete").await;
    assert_eq!(autocomplete.as_deref(), Some("one-time-code"), "on {url}");
    wd.screenshot(art.join("code.png")).await;

    let code = oathtool(&secret, 30);
    wd.fill("input[name=code]", &code).await;
    wd.click("form:has(input[name=code]) button[type=submit]")
        .await;
    let url = wd
        .wait_for_url("the app after the second factor", |u| {
            u.starts_with("http://app.")
        })
        .await;
    assert_eq!(url, app_url);
    let body = wd.text("body").await;
    assert!(body.starts_with("echo ok"), "not the echo app: {body}");
    assert_eq!(
        seen_at(&app, "/after-2fa").one("remote-user"),
        Some("alice")
    );
    wd.screenshot(art.join("app.png")).await;
}

#[tokio::test]
async fn forgot_password_in_chromium() {
    let art = artifacts("forgot_password_in_chromium");
    let app = TestApp::spawn(Opts::with(
        Store::Memory,
        &format!("{MAIL}[password]\nforgot_password_enabled = true\n"),
    ))
    .await;
    app.add_user("alice", PW, &["users"]).await;
    let wd = WebDriver::start(&art).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);

    wd.goto(&format!("{portal}/login")).await;
    wd.click("a#forgot").await;
    wd.fill("input[name=who]", "alice").await;
    wd.screenshot(art.join("forgot.png")).await;
    wd.click("form:has(input[name=who]) button[type=submit]")
        .await;
    wd.wait_for_text("Check your email").await;

    // The mail, as the user would open it: the link, on the configured portal.
    let mail = mail_containing(&app.dir.path().join("mail"), "Reset your password").await;
    let flat = mail.replace("=\r\n", "").replace("=3D", "=");
    let start = flat
        .find(&format!("{portal}/reset?token="))
        .unwrap_or_else(|| panic!("{mail}"));
    let link: String = flat[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<' && *c != '"')
        .collect();
    wd.goto(&link).await;
    let new = "a brand new passphrase for alice";
    wd.fill("input[name=new]", new).await;
    wd.fill("input[name=confirm]", new).await;
    wd.screenshot(art.join("reset.png")).await;
    wd.click("form:has(input[name=new]) button[type=submit]")
        .await;
    wd.wait_for_text("Password changed").await;

    // The old password no longer works; the new one reaches the app.
    let target = format!("http://app.gate.localhost:{}/after-reset", app.port);
    wd.goto(&target).await;
    sign_in(&wd, "alice", PW).await;
    wd.wait_for_text("Invalid username or password.").await;
    sign_in(&wd, "alice", new).await;
    wd.wait_for_url("the app after the reset", |u| u == target)
        .await;
    assert_eq!(
        seen_at(&app, "/after-reset").one("remote-user"),
        Some("alice")
    );
}

/// Password fields get a "Show" button, and times are shown in the browser's time zone; both
/// come from the portal's one script (the pages work without it).
#[tokio::test]
async fn password_fields_can_be_shown_and_times_are_local() {
    let art = artifacts("password_fields_can_be_shown_and_times_are_local");
    // The gateway's clock runs three hours behind the browser's, so the session it starts
    // looks three hours old to the page.
    let three_hours_ago = unix_now() - 3 * 3600;
    let opts = Opts {
        clock: Some(gatehouse::clock::ManualClock::at(three_hours_ago)),
        ..Opts::default()
    };
    let app = TestApp::spawn(opts).await;
    app.add_user("alice", PW, &["users"]).await;
    let wd = WebDriver::start(&art).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);
    // The browser is in Tokyo (UTC+9, no daylight saving time).
    wd.command(
        Method::POST,
        "goog/cdp/execute",
        Some(
            json!({"cmd": "Emulation.setTimezoneOverride", "params": {"timezoneId": "Asia/Tokyo"}}),
        ),
    )
    .await;

    wd.goto(&format!("{portal}/login")).await;
    let toggle = "input#password + button.reveal";
    assert_eq!(
        wd.attribute(toggle, "aria-pressed").await.as_deref(),
        Some("false")
    );
    wd.fill("input[name=password]", PW).await;
    wd.click(toggle).await;
    assert_eq!(wd.property("input#password", "type").await, "text");
    assert_eq!(
        wd.attribute(toggle, "aria-pressed").await.as_deref(),
        Some("true")
    );
    wd.screenshot(art.join("shown.png")).await;
    wd.click(toggle).await;
    assert_eq!(wd.property("input#password", "type").await, "password");
    wd.fill("input[name=username]", "alice").await;
    wd.click("form:has(input[name=password]) button[type=submit]")
        .await;
    wd.wait_for_url("signed in", |u| !u.contains("/login"))
        .await;

    // The session list: its times in the browser's zone, the server's UTC text in the title.
    wd.goto(&format!("{portal}/account/sessions")).await;
    let shown = wd.text("div.current time").await;
    let utc = wd
        .attribute("div.current time", "title")
        .await
        .unwrap_or_default();
    assert!(utc.ends_with("UTC"), "the server's text: {utc}");
    let expected = wd
        .execute(
            "return new Date(document.querySelector('div.current time').getAttribute('datetime')) \
               .toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'short'});",
            vec![],
        )
        .await;
    assert_eq!(
        shown,
        expected.as_str().unwrap_or_default(),
        "not the local time"
    );
    // Tokyo is UTC+9: the hour shown is nine after the UTC one.
    let utc_hour: u32 = utc[11..13].parse().unwrap();
    let local_hour = (utc_hour + 9) % 24;
    let twelve = if local_hour.is_multiple_of(12) {
        12
    } else {
        local_hour % 12
    };
    assert!(
        shown.contains(&format!("{local_hour:02}:")) || shown.contains(&format!("{twelve}:")),
        "{shown} is not {utc} in Tokyo"
    );
    wd.screenshot(art.join("sessions.png")).await;
}

/// The cookies the browser holds for the page it is on, by name.
async fn cookie_names(wd: &WebDriver) -> Vec<String> {
    wd.cookies()
        .await
        .iter()
        .map(|c| c.name().to_owned())
        .collect()
}

/// Signing out ends Gatehouse's session and nothing else: an app's own cookies on a sibling
/// subdomain (host-only and for the whole domain) and the remembered-device cookie survive,
/// so the next sign-in on this device skips the code (docs/security.md#sign-out).
#[tokio::test]
async fn signing_out_keeps_other_apps_cookies_and_the_trusted_device() {
    let art = artifacts("signing_out_keeps_other_apps_cookies_and_the_trusted_device");
    oathtool("JBSWY3DPEHPK3PXP", 0); // fail early, by name, if oathtool is missing
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut enrolled = enroll(&app, "alice").await;
    let wd = WebDriver::start(&art).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);
    let target = format!("http://app.gate.localhost:{}/app", app.port);

    // Password, then the code with "Trust this device".
    wd.goto(&target).await;
    sign_in(&wd, "alice", PW).await;
    wd.wait_for_url("the code step", |u| u.contains("/login/2fa"))
        .await;
    wd.click("input[name=remember]").await;
    wd.fill("input[name=code]", &enrolled.next_code().await)
        .await;
    wd.click("form:has(input[name=code]) button[type=submit]")
        .await;
    wd.wait_for_url("the app", |u| u == target).await;

    // The app sets cookies of its own: one for its host, one for the whole domain.
    wd.execute(
        "document.cookie = 'app_own=kept; path=/'; \
         document.cookie = 'app_wide=kept; domain=gate.localhost; path=/';",
        vec![],
    )
    .await;
    let before = cookie_names(&wd).await;
    for name in ["app_own", "app_wide", "__Secure-gatehouse_session"] {
        assert!(
            before.iter().any(|n| n == name),
            "{name} missing: {before:?}"
        );
    }

    // Sign out on the portal.
    wd.goto(&format!("{portal}/")).await;
    assert!(
        cookie_names(&wd)
            .await
            .iter()
            .any(|n| n == "__Host-gatehouse_device"),
        "no remembered-device cookie after ticking the box"
    );
    wd.click("form#logout button[type=submit]").await;
    wd.wait_for_url("the signed-out page", |u| u.contains("/logout"))
        .await;
    wd.screenshot(art.join("signed-out.png")).await;
    let portal_cookies = cookie_names(&wd).await;
    assert!(
        portal_cookies
            .iter()
            .any(|n| n == "__Host-gatehouse_device"),
        "sign-out removed the remembered device: {portal_cookies:?}"
    );
    assert!(
        !portal_cookies
            .iter()
            .any(|n| n.contains("gatehouse_session")),
        "the session cookie survived sign-out: {portal_cookies:?}"
    );

    // The app wants a login again (every path of it is protected, so its cookies are read
    // once back on it); the device is still trusted: the password alone reaches the app.
    wd.goto(&target).await;
    assert!(
        wd.current_url()
            .await
            .starts_with(&format!("{portal}/login"))
    );
    sign_in(&wd, "alice", PW).await;
    wd.wait_for_url("the app without a code", |u| u == target)
        .await;
    assert_eq!(seen_at(&app, "/app").one("remote-user"), Some("alice"));
    // Nothing set them again: the app's cookies simply outlived the sign-out.
    let script = wd.execute("return document.cookie;", vec![]).await;
    let script = script.as_str().unwrap_or_default();
    for name in ["app_own", "app_wide"] {
        assert!(
            script.contains(&format!("{name}=kept")),
            "{name} was deleted by sign-out: {script:?}"
        );
    }
}

/// Runs `body` as a `#[tokio::test]` runs a test (a current-thread runtime, unwound by a
/// panic) on its own thread; returns its panic message.
fn failing(body: impl AsyncFnOnce() + Send + 'static) -> String {
    let outcome = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(body())
    })
    .join();
    match outcome {
        Ok(()) => panic!("the test body did not fail"),
        Err(e) => e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

/// A browser test that fails, on a WebDriver error or on its own assertion, leaves the page
/// it was on: `failure.png` and `failure.html` in its artifact directory.
#[test]
fn a_failing_browser_test_leaves_the_page_behind() {
    for (test, assertion) in [
        ("failure_on_a_command", false),
        ("failure_on_an_assert", true),
    ] {
        let art = artifacts(test);
        let dir = art.clone();
        let message = failing(async move || {
            let app = TestApp::spawn(Opts::default()).await;
            let wd = WebDriver::start(&dir).await;
            wd.goto(&format!("http://auth.gate.localhost:{}/login", app.port))
                .await;
            if assertion {
                assert_eq!(wd.text("h1").await, "not this page", "deliberate");
            } else {
                wd.command(Method::GET, "no/such/command", None).await;
            }
        });
        let expected = if assertion {
            "deliberate"
        } else {
            "no/such/command"
        };
        assert!(message.contains(expected), "{test}: {message}");
        let png = std::fs::read(art.join("failure.png"))
            .unwrap_or_else(|e| panic!("{test}: no failure.png ({e}): {message}"));
        assert!(png.starts_with(b"\x89PNG"), "{test}: failure.png is no PNG");
        let html = std::fs::read_to_string(art.join("failure.html"))
            .unwrap_or_else(|e| panic!("{test}: no failure.html ({e})"));
        assert!(
            html.contains("Sign in"),
            "{test}: not the login page: {html}"
        );
    }
}
