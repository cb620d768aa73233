//! The operator's policy over second factors (docs/passkeys.md#policy): `two_factor.methods`
//! leaves a factor out (neither offered nor accepted; recovery codes still work),
//! `webauthn.attestation = "direct"` admits only the listed authenticator models, and
//! `webauthn.user_verification` decides whether a key that cannot verify the person may be the
//! step after the password. Also: recovery codes outlive the app while passkeys remain, and a
//! user whose second factor is a passkey renews them from a passkey session.

use crate::harness::user_store::database_for;
use crate::harness::*;
use crate::passkey_util::*;
use crate::passkeys::{add_passkey, assert_added, remove_first_passkey};
use crate::session_util::{TRUSTED, assert_works};
use crate::totp_util::*;

/// A second gateway on the database of `first`, with `overlay`: the same users under another
/// policy, as after an operator edits the file and restarts.
async fn same_users(first: &TestApp, overlay: &str) -> TestApp {
    let database = database_for(first.dir.path());
    let overlay = format!("{overlay}{TRUSTED}[storage]\ndatabase = {database:?}\n");
    TestApp::spawn(Opts::with(Store::Memory, &overlay)).await
}

/// alice signs in with her password, then `key` as the second step; the session works.
async fn password_then_passkey(app: &TestApp, key: &mut SoftKey, what: &str) -> Browser {
    let mut c = app.browser();
    password_step(app, &mut c, "alice", "").await;
    let (_, html) = page(app, &mut c, "/login/2fa").await;
    let (options, ceremony) = challenge_in(&html, "passkey-verify");
    let form = [
        ("csrf", extract_csrf(&html)),
        ("ceremony", ceremony),
        ("credential", key.assert(&options)),
    ];
    let resp = c.send(post(app, "/login/2fa/passkey").form(&form)).await;
    assert_eq!(resp.status(), 303, "{what}: {}", resp.text().await.unwrap());
    assert_works(app, &c, what).await;
    c
}

#[tokio::test]
async fn an_authenticator_app_left_out_of_the_methods_is_neither_offered_nor_accepted() {
    // On a manual clock: each code is for a later step at once, with no wait.
    let before = TestApp::spawn(Opts::default().manual_clock()).await;
    before.add_user("alice", PW, &["users"]).await;
    before.add_user("bob", PW, &["users"]).await;
    let mut alice = enroll(&before, "alice").await;
    let app = same_users(&before, "[two_factor]\nmethods = [\"passkey\"]\n").await;

    // alice's app is still her second factor, so a password alone is not enough; but its
    // codes no longer count, and the code page asks for a recovery code only.
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    let (_, html) = page(&app, &mut b, "/login/2fa").await;
    assert!(!html.contains("id=\"switch-code\""), "{html}");
    let code = alice.next_code().await;
    let resp = code_step(&app, &mut b, &code, false, "").await;
    assert_ne!(resp.status(), 303, "an app's code was accepted");
    assert!(b.session(&app).is_none());
    let resp = code_step(&app, &mut b, &alice.codes[0], false, "").await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_works(&app, &b, "password + recovery code").await;

    // bob, without a second factor, is never offered an app: setting up two-factor means
    // adding a passkey, and the app's enrolment cannot be posted either.
    let mut c = app.login("bob", PW).await;
    let (_, html) = page(&app, &mut c, "/account").await;
    assert!(!html.contains("id=\"enable-2fa\""), "{html}");
    let csrf = extract_csrf(&html);
    for resp in [
        c.send(app.get(&app.portal_host, &app.portal("/account/2fa/enable")))
            .await,
        c.send(post(&app, "/account/2fa/enable").form(&[("code", "123456"), ("csrf", &csrf)]))
            .await,
    ] {
        assert_eq!(resp.status(), 303);
        let to = resp.headers()["location"].to_str().unwrap();
        assert_eq!(to, app.portal("/account/passkeys/add"));
    }
    let mut key = SoftKey::new(&app);
    let (status, html) = add_passkey(&app, &mut c, &mut key, "Laptop").await;
    assert_added(status, &html);

    // The same account under the old policy: the app's codes count again.
    let mut d = before.browser();
    password_step(&before, &mut d, "alice", "").await;
    let code = alice.next_code().await;
    let resp = code_step(&before, &mut d, &code, false, "").await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
}

#[tokio::test]
async fn passkeys_left_out_of_the_methods_are_not_offered() {
    let app = TestApp::spawn(Opts::with(
        Store::Memory,
        "[two_factor]\nmethods = [\"totp\"]\n",
    ))
    .await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.browser();
    let (_, html) = page(&app, &mut b, "/login").await;
    assert!(!html.contains("passkey-sign-in"), "{html}");
    let mut b = app.login("alice", PW).await;
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(!html.contains("id=\"add-passkey\""), "{html}");
    assert!(html.contains("id=\"enable-2fa\""), "{html}");
    let (status, _) = page(&app, &mut b, "/account/passkeys/add").await;
    assert_eq!(status, 404);
    let csrf = app.login_form(&mut app.browser()).await;
    let resp = b
        .send(post(&app, "/login/passkey/options").form(&[("csrf", &csrf)]))
        .await;
    assert_ne!(resp.status(), 200, "a passwordless challenge was drawn");
}

/// `[webauthn]` admitting the soft token's model under its root.
fn attestation_overlay(root: &std::path::Path, aaguid: &str) -> String {
    format!(
        "[webauthn]\nattestation = \"direct\"\nattestation_ca = [{:?}]\naaguids = [\"{aaguid}\"]\n",
        root.display()
    )
}

#[tokio::test]
async fn attestation_admits_only_the_listed_models() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vendor-root.pem");
    let listed = webauthn_authenticator_rs::softtoken::AAGUID.to_string();
    // The root is the soft token's own, so a token made for this app is made first.
    let probe = TestApp::spawn(Opts::default()).await;
    let (mut hardware, pem) = SoftKey::attested(&probe);
    std::fs::write(&root, pem).unwrap();
    let overlay = format!("{}{TRUSTED}", attestation_overlay(&root, &listed));
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    hardware.origin = SoftKey::new(&app).origin;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;

    // A passkey without attestation (a synced one, or an unlisted key) is refused.
    let mut synced = SoftKey::new(&app);
    let (status, html) = add_passkey(&app, &mut b, &mut synced, "Phone").await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("id=\"passkey-add\""), "{html}");

    // The listed model, proven by its chain, is registered and signs in as any passkey.
    let (status, html) = add_passkey(&app, &mut b, &mut hardware, "Key").await;
    assert_added(status, &html);
    password_then_passkey(&app, &mut hardware, "password + attested passkey").await;

    // The same root with another model listed: this token is not that model.
    let other = TestApp::spawn(Opts::with(
        Store::Memory,
        &attestation_overlay(&root, "cb69481e-8ff7-4039-93ec-0a2729a154a8"),
    ))
    .await;
    other.add_user("bob", PW, &["users"]).await;
    let (mut token, _) = SoftKey::attested(&other);
    // A token with its own root again: admitted by neither the model nor the chain.
    let mut d = other.login("bob", PW).await;
    let (status, html) = add_passkey(&other, &mut d, &mut token, "Key").await;
    assert_eq!(status, 400, "{html}");
    hardware.origin = SoftKey::new(&other).origin;
    let (status, html) = add_passkey(&other, &mut d, &mut hardware, "Key").await;
    assert_eq!(status, 400, "an unlisted model was registered: {html}");
}

#[tokio::test]
async fn a_key_without_verification_is_refused_unless_preferred_and_never_signs_in_alone() {
    // Required (the default): a key that cannot verify the person is not registered.
    let strict = TestApp::spawn(Opts::default()).await;
    strict.add_user("alice", PW, &["users"]).await;
    let mut b = strict.login("alice", PW).await;
    let mut key = SoftKey::without_verification(&strict);
    let (status, html) = add_passkey(&strict, &mut b, &mut key, "Key").await;
    assert_eq!(status, 400, "registered without verification: {html}");

    // Preferred: the same key is the step after the password, never a sign-in of its own.
    let overlay = format!("[webauthn]\nuser_verification = \"preferred\"\n{TRUSTED}");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    let mut key = SoftKey::without_verification(&app);
    let (status, html) = add_passkey(&app, &mut b, &mut key, "Key").await;
    assert_added(status, &html);
    password_then_passkey(&app, &mut key, "password + unverified key").await;

    let mut d = app.browser();
    let csrf = app.login_form(&mut d).await;
    let resp = d
        .send(post(&app, "/login/passkey/options").form(&[("csrf", &csrf)]))
        .await;
    let v: serde_json::Value = resp.json().await.unwrap();
    let ceremony = v["ceremony"].as_str().unwrap().to_owned();
    let form = [
        ("csrf", csrf),
        ("ceremony", ceremony),
        ("credential", key.assert(&v["options"].to_string())),
    ];
    let resp = d.send(post(&app, "/login/passkey").form(&form)).await;
    assert_ne!(
        resp.status(),
        303,
        "a key without verification signed in alone"
    );
    assert!(d.session(&app).is_none());
}

/// Turning the authenticator app off leaves a user with passkeys their recovery codes: they
/// are the fallback when the passkey is lost, and turning an app off must not take it away.
#[tokio::test]
async fn turning_the_app_off_keeps_the_recovery_codes_of_a_passkey_user() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED).manual_clock()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut alice = enroll(&app, "alice").await;
    let mut key = SoftKey::new(&app);
    let mut b = alice.browser.clone();
    let (status, html) = add_passkey(&app, &mut b, &mut key, "Laptop").await;
    assert_eq!(status, 303, "no new codes: the app's codes stand: {html}");
    let (_, html) = page(&app, &mut b, "/account").await;
    let code = alice.next_code().await;
    let form = [
        ("csrf", extract_csrf(&html)),
        ("password", PW.to_owned()),
        ("code", code),
    ];
    let resp = b.send(post(&app, "/account/2fa/disable").form(&form)).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());

    // The passkey lost: a recovery code from the app's enrolment still completes a login.
    let mut c = app.browser();
    password_step(&app, &mut c, "alice", "").await;
    let resp = code_step(&app, &mut c, &alice.codes[0], false, "").await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_works(
        &app,
        &c,
        "password + recovery code after the app was turned off",
    )
    .await;
}

/// The password step, then `code` as a recovery code: the answer's status, and the browser.
async fn recovery_step(app: &TestApp, code: &str) -> (u16, Browser) {
    let mut b = app.browser();
    password_step(app, &mut b, "alice", "").await;
    let (_, html) = page(app, &mut b, "/login/2fa").await;
    let form = [
        ("csrf", extract_csrf(&html)),
        ("code", code.to_owned()),
        ("recovery", "1".to_owned()),
    ];
    let status = b.send(post(app, "/login/2fa").form(&form)).await.status();
    (status.as_u16(), b)
}

/// Asks for new recovery codes from `b`'s account page, as its button does.
async fn renew(app: &TestApp, b: &mut Browser) -> reqwest::Response {
    let (_, html) = page(app, b, "/account").await;
    let form = [("csrf", extract_csrf(&html))];
    b.send(post(app, "/account/passkeys/recovery").form(&form))
        .await
}

/// A user whose only second factor is a passkey renews their recovery codes from a session
/// opened with a passkey (after a recent password, as for every factor change); the old set
/// stops working. A session opened with a recovery code cannot.
#[tokio::test]
async fn a_passkey_user_renews_recovery_codes_from_a_passkey_session() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut key = SoftKey::new(&app);
    let mut b = app.login("alice", PW).await;
    let (status, html) = add_passkey(&app, &mut b, &mut key, "Laptop").await;
    assert_eq!(
        status, 200,
        "the first codes come with the first passkey: {html}"
    );
    let first = recovery_codes(&html);
    assert_eq!(first.len(), 10, "{first:?}");

    // A session opened with the password and a recovery code.
    let (status, mut r) = recovery_step(&app, &first[0]).await;
    assert_eq!(status, 303, "the first set stands");
    let (_, html) = page(&app, &mut r, "/account").await;
    assert!(html.contains("<span id=\"codes-left\">9</span>"), "{html}");
    assert!(!html.contains("id=\"passkey-recovery\""), "{html}");
    let resp = renew(&app, &mut r).await;
    assert_eq!(resp.status(), 403, "a recovery-code session renewed codes");

    let mut c = password_then_passkey(&app, &mut key, "password + passkey").await;
    let (_, html) = page(&app, &mut c, "/account").await;
    assert!(html.contains("id=\"passkey-recovery\""), "{html}");
    let resp = renew(&app, &mut c).await;
    assert_eq!(resp.status(), 200);
    let renewed = recovery_codes(&resp.text().await.unwrap());
    assert_eq!(renewed.len(), 10, "{renewed:?}");
    assert!(renewed.iter().all(|code| !first.contains(code)));

    assert_ne!(
        recovery_step(&app, &first[1]).await.0,
        303,
        "an old code still works"
    );
    assert_eq!(recovery_step(&app, &renewed[0]).await.0, 303, "a new code");
}

/// With apps left out of `two_factor.methods`, a `two_factor` rule's enrolment link leads to
/// adding a passkey, and from there back to the app: the first passkey turns the session into
/// a passkey session (the others end), as turning an app on does, so the rule is met.
#[tokio::test]
async fn a_rules_enrolment_adds_a_first_passkey_and_returns_to_the_app() {
    let overlay = format!("[two_factor]\nmethods = [\"passkey\"]\n{TRUSTED}");
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let other = app.login("alice", PW).await;
    let mut b = app.login("alice", PW).await;
    let secure = |b: &Browser| {
        app.get("secure.gate.localhost", "/s")
            .header("cookie", b.cookie_header())
    };
    let resp = secure(&b).send().await.unwrap();
    assert_ne!(
        resp.status(),
        200,
        "a one-factor session met a two_factor rule"
    );

    let back = format!("http://secure.gate.localhost:{}/s", app.port);
    let rd: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    let resp = b
        .send(app.get(
            &app.portal_host,
            &app.portal(&format!("/account/2fa/enable?rd={rd}")),
        ))
        .await;
    assert_eq!(resp.status(), 303);
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, app.portal(&format!("/account/passkeys/add?rd={rd}")));

    let path = format!("/account/passkeys/add?rd={rd}");
    let (status, html) = page(&app, &mut b, &path).await;
    assert_eq!(status, 200, "{html}");
    let (options, ceremony) = challenge_in(&html, "passkey-add");
    let form = [
        ("csrf", extract_csrf(&html)),
        ("ceremony", ceremony),
        ("credential", SoftKey::new(&app).register(&options)),
        ("name", "Laptop".to_owned()),
        (
            "rd",
            between(&html, "name=\"rd\" value=\"", "\"").replace("&#x2f;", "/"),
        ),
    ];
    let resp = b
        .send(post(&app, "/account/passkeys/add").form(&form))
        .await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert_eq!(recovery_codes(&html).len(), 10, "{html}");
    let next = between(&html, "id=\"continue\" href=\"", "\"")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    assert_eq!(next, back, "the codes page goes on to the app");

    let resp = secure(&b).send().await.unwrap();
    assert_eq!(
        resp.status(),
        200,
        "the rule is met after the first passkey"
    );
    let resp = app
        .get(&app.portal_host, &app.portal("/account"))
        .header("cookie", other.cookie_header())
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_redirection(),
        "the other session survived: {}",
        resp.status()
    );
}

/// Removing a user's last second factor takes its recovery codes and remembered devices with
/// it, as turning the app off does without passkeys: a passkey added later is a first factor
/// again, with fresh codes shown once and the session rotated, and neither the old codes nor
/// the old devices come back.
#[tokio::test]
async fn removing_the_last_passkey_retires_codes_and_devices_and_the_next_one_starts_afresh() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED)).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    let (status, html) = add_passkey(&app, &mut b, &mut SoftKey::new(&app), "Laptop").await;
    assert_eq!(status, 200, "the first passkey's codes: {html}");
    let first = recovery_codes(&html);
    assert_eq!(first.len(), 10, "{first:?}");
    // Another browser signs in with a code and is remembered.
    let mut trusted = app.browser();
    password_step(&app, &mut trusted, "alice", "").await;
    let resp = code_step(&app, &mut trusted, &first[0], true, "").await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert!(trusted.cookies.contains_key("__Host-gatehouse_device"));

    let resp = remove_first_passkey(&app, &mut b).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let user = app.user("alice").await;
    assert_eq!(
        app.app
            .state()
            .two_factor
            .codes_left(user.id)
            .await
            .unwrap(),
        0,
        "recovery codes outlived the last second factor"
    );

    let mut c = app.login("alice", PW).await;
    assert_works(&app, &c, "the password alone again").await;
    let mut key = SoftKey::new(&app);
    let (status, html) = add_passkey(&app, &mut c, &mut key, "Phone").await;
    assert_eq!(
        status, 200,
        "a passkey after none is a first factor again: {html}"
    );
    let fresh = recovery_codes(&html);
    assert_eq!(fresh.len(), 10, "{fresh:?}");
    assert!(fresh.iter().all(|code| !first.contains(code)));
    assert_works(&app, &c, "the session rotated with the new passkey").await;
    // The browser remembered under the old factor is asked for the new one.
    trusted
        .cookies
        .retain(|k, _| k == "__Host-gatehouse_device");
    let resp = app.post_login(&mut trusted, "alice", PW, "").await;
    assert_eq!(resp.status(), 303);
    assert!(
        trusted.session(&app).is_none(),
        "a device remembered before the last factor went skipped the new one"
    );
    assert_ne!(
        recovery_step(&app, &first[1]).await.0,
        303,
        "an old code came back"
    );
    assert_eq!(recovery_step(&app, &fresh[0]).await.0, 303, "a fresh code");
}
