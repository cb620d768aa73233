//! Passkeys in a real browser (docs/passkeys.md): headless Chromium with a virtual platform
//! authenticator (W3C WebAuthn §11, over WebDriver: resident keys, user verification) runs the
//! portal's own script (`passkey.js`) through every ceremony. Screenshots land in
//! `target/browser-artifacts/passkey_walk_in_chromium/`.

use http::Method;
use serde_json::{Value, json};

use crate::browser::artifacts;
use crate::harness::*;
use crate::webdriver::WebDriver;

/// A virtual authenticator like a laptop's fingerprint reader: it keeps discoverable
/// credentials and verifies the person.
async fn authenticator(wd: &WebDriver) -> String {
    let id = wd
        .command(
            Method::POST,
            "webauthn/authenticator",
            Some(json!({
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                "hasUserVerification": true, "isUserVerified": true, "isUserConsenting": true,
            })),
        )
        .await;
    id.as_str()
        .unwrap_or_else(|| panic!("no authenticator id: {id}"))
        .to_owned()
}

async fn credentials(wd: &WebDriver, id: &str) -> Vec<Value> {
    let creds = wd
        .command(
            Method::GET,
            &format!("webauthn/authenticator/{id}/credentials"),
            None,
        )
        .await;
    creds.as_array().cloned().unwrap_or_default()
}

async fn password_step(wd: &WebDriver, portal: &str) {
    wd.goto(&format!("{portal}/login")).await;
    wd.fill("input[name=username]", "alice").await;
    wd.fill("input[name=password]", PW).await;
    wd.click("form:has(input[name=password]) button[type=submit]")
        .await;
}

async fn sign_out(wd: &WebDriver, portal: &str) {
    wd.goto(&format!("{portal}/account")).await;
    wd.click("#logout button").await;
    wd.wait_for_url("signed out", |u| !u.contains("/account"))
        .await;
}

#[tokio::test]
async fn passkey_walk_in_chromium() {
    let art = artifacts("passkey_walk_in_chromium");
    let app = TestApp::spawn(Opts::default().manual_clock()).await;
    app.add_user("alice", PW, &["users"]).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);
    let wd = WebDriver::start(&art).await;
    let key = authenticator(&wd).await;

    // Register: the account page's link (shown by the script) → name → the browser's prompt.
    password_step(&wd, &portal).await;
    wd.wait_for_url("signed in", |u| !u.contains("/login"))
        .await;
    wd.goto(&format!("{portal}/account")).await;
    wd.click("#add-passkey").await;
    wd.fill("#passkey-name", "Chromium").await;
    wd.screenshot(art.join("add-passkey.png")).await;
    wd.click("#passkey-add button[type=submit]").await;
    // Alice's first second factor: her recovery codes, once, then the account page.
    wd.wait_for_text("These codes sign you in if you lose it.")
        .await;
    wd.click("#continue").await;
    wd.wait_for_url("the account page", |u| u.contains("done=added-passkey"))
        .await;
    assert!(wd.page_source().await.contains("<span>Chromium<br>"));
    wd.screenshot(art.join("account-with-passkey.png")).await;
    let creds = credentials(&wd, &key).await;
    assert_eq!(creds.len(), 1, "{creds:?}");
    assert_eq!(creds[0]["isResidentCredential"], true, "{creds:?}");
    let app_url = format!("http://secure.gate.localhost:{}/after-passkey", app.port);

    // The passkey alone, through autofill: the login page's conditional request finds the
    // discoverable credential (the virtual authenticator picks it as a person would in the
    // username field's menu) and signs in without a username or password.
    sign_out(&wd, &portal).await;
    wd.goto(&format!("{portal}/login")).await;
    wd.wait_for_url("signed in by autofill", |u| !u.contains("/login"))
        .await;
    wd.goto(&app_url).await;
    assert!(wd.text("body").await.starts_with("echo ok"), "passwordless");

    // Password + passkey. The credential is taken out of the authenticator while the login
    // page is shown (else autofill signs in first) and put back for the second step, with
    // the signature count it has now (an older one would be refused as a cloned key).
    let cred = credentials(&wd, &key).await[0].clone();
    let cred_id = cred["credentialId"].as_str().unwrap().to_owned();
    let path = format!("webauthn/authenticator/{key}/credentials/{cred_id}");
    wd.command(Method::DELETE, &path, None).await;
    sign_out(&wd, &portal).await;
    password_step(&wd, &portal).await;
    wd.wait_for_url("the second step", |u| u.contains("/login/2fa"))
        .await;
    let path = format!("webauthn/authenticator/{key}/credential");
    wd.command(Method::POST, &path, Some(cred)).await;
    wd.screenshot(art.join("second-step.png")).await;
    wd.click("#passkey-verify button[type=submit]").await;
    wd.wait_for_url("signed in", |u| !u.contains("/login"))
        .await;
    wd.goto(&app_url).await;
    assert!(
        wd.text("body").await.starts_with("echo ok"),
        "a two_factor site"
    );

    // Removing it after the step-up window: the password first, then the removal.
    app.advance(11 * 60);
    wd.goto(&format!("{portal}/account")).await;
    wd.click("form[action$='/account/passkeys/remove'] button")
        .await;
    wd.fill("input[name=password]", PW).await;
    wd.click("form:has(input[name=password]) button[type=submit]")
        .await;
    wd.wait_for_text("The passkey was removed.").await;
    assert!(wd.page_source().await.contains("No passkeys yet."));
    wd.screenshot(art.join("removed.png")).await;
}

#[tokio::test]
async fn a_browser_without_the_credential_is_refused() {
    let art = artifacts("a_browser_without_the_credential_is_refused");
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let portal = format!("http://auth.gate.localhost:{}", app.port);
    {
        let wd = WebDriver::start(&art.join("first")).await;
        authenticator(&wd).await;
        password_step(&wd, &portal).await;
        wd.wait_for_url("signed in", |u| !u.contains("/login"))
            .await;
        wd.goto(&format!("{portal}/account/passkeys/add")).await;
        wd.fill("#passkey-name", "First").await;
        wd.click("#passkey-add button[type=submit]").await;
        wd.wait_for_text("These codes sign you in if you lose it.")
            .await;
    }
    // Another profile with an authenticator of its own: the passkey step finds nothing to
    // answer with, the page says so, and no session starts.
    let wd = WebDriver::start(&art.join("second")).await;
    authenticator(&wd).await;
    password_step(&wd, &portal).await;
    wd.wait_for_url("the second step", |u| u.contains("/login/2fa"))
        .await;
    wd.click("#passkey-verify button[type=submit]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let shown = "return !document.getElementById('passkey-error').hidden;";
    while wd.execute(shown, vec![]).await != json!(true) {
        assert!(std::time::Instant::now() < deadline, "no refusal shown");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(wd.current_url().await.contains("/login/2fa"));
    let names: Vec<String> = wd
        .cookies()
        .await
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.ends_with("gatehouse_session")),
        "{names:?}"
    );
    wd.screenshot(art.join("refused.png")).await;
}
