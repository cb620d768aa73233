//! Passkeys (docs/passkeys.md) against a software authenticator (webauthn-authenticator-rs's
//! `SoftPasskey`, a real P-256 signer): registration, the second step of a login,
//! passwordless sign-in, and every way an answer must be refused: replayed, counter gone back,
//! wrong origin, wrong RP ID, expired or reused challenge, another user's credential, and the
//! throttle.

use crate::harness::*;
use crate::passkey_util::*;
use crate::session_util::{TRUSTED, assert_works};
use crate::totp_util::*;

/// Registers a passkey for the signed-in browser `b` through the account pages.
pub(crate) async fn add_passkey(
    app: &TestApp,
    b: &mut Browser,
    key: &mut SoftKey,
    name: &str,
) -> (u16, String) {
    let (status, html) = page(app, b, "/account/passkeys/add").await;
    assert_eq!(status, 200, "{html}");
    let (options, ceremony) = challenge_in(&html, "passkey-add");
    let answer = key.register(&options);
    let form = [
        ("csrf", extract_csrf(&html)),
        ("ceremony", ceremony),
        ("credential", answer),
        ("name", name.to_owned()),
    ];
    let resp = b.send(post(app, "/account/passkeys/add").form(&form)).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// Removes the first passkey listed on `b`'s account page, as its form does.
pub(crate) async fn remove_first_passkey(app: &TestApp, b: &mut Browser) -> reqwest::Response {
    let (_, html) = page(app, b, "/account").await;
    let form = between(&html, "action=\"/account/passkeys/remove\">", "</form>");
    let id = between(&form, "name=\"id\" value=\"", "\"");
    b.send(post(app, "/account/passkeys/remove").form(&[("csrf", extract_csrf(&html)), ("id", id)]))
        .await
}

/// The code page's passkey challenge for a pending login: (options, ceremony, csrf).
async fn code_page_challenge(app: &TestApp, b: &mut Browser) -> (String, String, String) {
    let (status, html) = page(app, b, "/login/2fa").await;
    assert_eq!(status, 200, "{html}");
    let (options, ceremony) = challenge_in(&html, "passkey-verify");
    (options, ceremony, extract_csrf(&html))
}

/// Posts a passkey's answer to a ceremony, as the page's form does.
async fn post_answer(
    (app, b): (&TestApp, &mut Browser),
    path: &str,
    (csrf, ceremony): (&str, &str),
    answer: &str,
) -> reqwest::Response {
    let form = [
        ("csrf", csrf),
        ("ceremony", ceremony),
        ("credential", answer),
    ];
    b.send(post(app, path).form(&form)).await
}

async fn post_second_step(
    app: &TestApp,
    b: &mut Browser,
    csrf: &str,
    ceremony: &str,
    answer: &str,
) -> reqwest::Response {
    post_answer((app, b), "/login/2fa/passkey", (csrf, ceremony), answer).await
}

/// A passwordless challenge from the login page's endpoint: (options, ceremony, csrf).
async fn sign_in_challenge(app: &TestApp, b: &mut Browser) -> (String, String, String) {
    let csrf = app.login_form(b).await;
    let resp = b
        .send(post(app, "/login/passkey/options").form(&[("csrf", &csrf)]))
        .await;
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    let ceremony = v["ceremony"].as_str().unwrap().to_owned();
    (v["options"].to_string(), ceremony, csrf)
}

async fn post_sign_in(
    app: &TestApp,
    b: &mut Browser,
    csrf: &str,
    ceremony: &str,
    answer: &str,
) -> reqwest::Response {
    post_answer((app, b), "/login/passkey", (csrf, ceremony), answer).await
}

/// alice with one passkey on `key`.
async fn alice_with_passkey(app: &TestApp, key: &mut SoftKey) {
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    let (status, html) = add_passkey(app, &mut b, key, "Laptop").await;
    assert_added(status, &html);
}

/// A passkey was added: the account page, or (the user's first second factor) their new
/// recovery codes, shown once.
pub(crate) fn assert_added(status: u16, html: &str) {
    assert!(
        status == 303 || (status == 200 && html.contains("id=\"recovery-codes\"")),
        "{status}: {html}"
    );
}

/// Mail to files, and forward-auth trusted from loopback (`assert_works` asks it too).
fn mail_app() -> Opts {
    Opts::with(Store::Memory, &format!("{MAIL}{TRUSTED}"))
}

#[tokio::test]
async fn register_then_sign_in_with_password_and_passkey_then_with_the_passkey_alone() {
    let app = TestApp::spawn(mail_app()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut key = SoftKey::new(&app);
    let mut b = app.login("alice", PW).await;
    let (status, html) = add_passkey(&app, &mut b, &mut key, "  Laptop  ").await;
    // The first second factor of this user: recovery codes come with it, the fallback when
    // the passkey is lost.
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("These codes sign you in if you lose it."),
        "{html}"
    );
    let codes = recovery_codes(&html);
    assert_eq!(codes.len(), 10, "{codes:?}");
    let (_, html) = page(&app, &mut b, "/account?done=added-passkey").await;
    assert!(html.contains("Your passkey was added."), "{html}");
    assert!(html.contains("<span>Laptop<br>"), "{html}");
    let mail = mail_containing(&app.dir.path().join("mail"), "A passkey was added").await;
    assert!(mail.contains("Laptop"), "{mail}");

    // A password alone now opens only a pending login; the passkey completes it, and the
    // session meets a two_factor rule.
    let mut b = app.browser();
    let resp = app.post_login(&mut b, "alice", PW, "").await;
    assert_eq!(resp.status(), 303);
    assert!(b.session(&app).is_none(), "a password alone gave a session");
    let (options, ceremony, csrf) = code_page_challenge(&app, &mut b).await;
    let resp = post_second_step(&app, &mut b, &csrf, &ceremony, &key.assert(&options)).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_works(&app, &b, "password + passkey").await;
    let secure = b.clone().send(app.get("secure.gate.localhost", "/")).await;
    assert_eq!(secure.status(), 200, "a passkey satisfies two_factor rules");

    // The passkey alone: a discoverable credential names its user.
    let mut c = app.browser();
    let (options, ceremony, csrf) = sign_in_challenge(&app, &mut c).await;
    let resp = post_sign_in(&app, &mut c, &csrf, &ceremony, &key.assert(&options)).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_works(&app, &c, "passwordless").await;
    let secure = c.clone().send(app.get("secure.gate.localhost", "/")).await;
    assert_eq!(
        secure.status(),
        200,
        "a passkey sign-in counts as two factors"
    );

    // The account page shows when it was last used.
    let (_, html) = page(&app, &mut c, "/account").await;
    assert!(html.contains("last used"), "{html}");

    // The passkey lost: a recovery code finishes the password step instead.
    let mut d = app.browser();
    app.post_login(&mut d, "alice", PW, "").await;
    let (_, html) = page(&app, &mut d, "/login/2fa").await;
    assert!(html.contains("Use a passkey"), "{html}");
    assert!(
        !html.contains("id=\"switch-code\""),
        "no app to switch to: {html}"
    );
    let form = [
        ("csrf", extract_csrf(&html)),
        ("code", codes[0].clone()),
        ("recovery", "1".to_owned()),
    ];
    let resp = d.send(post(&app, "/login/2fa").form(&form)).await;
    assert_eq!(resp.status(), 303);
    assert_works(&app, &d, "password + recovery code").await;
}

#[tokio::test]
async fn a_replayed_answer_or_a_reused_challenge_is_refused() {
    replay_is_refused(Opts::default()).await;
}

/// The same with the ceremonies in Redis (`SET EX` and `GETDEL`).
#[tokio::test]
async fn ceremonies_live_in_redis_too_and_are_taken_once() {
    replay_is_refused(Opts::redis()).await;
}

async fn replay_is_refused(opts: Opts) {
    let app = TestApp::spawn(opts).await;
    let mut key = SoftKey::new(&app);
    alice_with_passkey(&app, &mut key).await;

    let mut b = app.browser();
    let (options, ceremony, csrf) = sign_in_challenge(&app, &mut b).await;
    let answer = key.assert(&options);
    let resp = post_sign_in(&app, &mut b, &csrf, &ceremony, &answer).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());

    // The same answer to the same ceremony: the challenge was taken.
    let mut m = app.browser();
    let csrf = app.login_form(&mut m).await;
    let resp = post_sign_in(&app, &mut m, &csrf, &ceremony, &answer).await;
    assert_eq!(resp.status(), 401);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("That took too long or was already used.")
    );
    assert!(m.session(&app).is_none());

    // The same answer to a new ceremony: it signed another challenge.
    let (_, fresh, csrf) = sign_in_challenge(&app, &mut m).await;
    let resp = post_sign_in(&app, &mut m, &csrf, &fresh, &answer).await;
    assert_eq!(resp.status(), 401);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("That passkey did not sign you in.")
    );
    assert!(m.session(&app).is_none());
}

#[tokio::test]
async fn a_counter_that_goes_back_is_refused() {
    let app = TestApp::spawn(Opts::default()).await;
    let mut key = SoftKey::new(&app);
    alice_with_passkey(&app, &mut key).await;

    // Two challenges; the first is signed first (counter 1), the second after (counter 2).
    let mut b1 = app.browser();
    let (o1, c1, csrf1) = sign_in_challenge(&app, &mut b1).await;
    let mut b2 = app.browser();
    let (o2, c2, csrf2) = sign_in_challenge(&app, &mut b2).await;
    let first = key.assert(&o1);
    let second = key.assert(&o2);
    let resp = post_sign_in(&app, &mut b2, &csrf2, &c2, &second).await;
    assert_eq!(resp.status(), 303);
    // The older signature arrives late: its counter is behind the stored one, which is what
    // a cloned authenticator looks like.
    let resp = post_sign_in(&app, &mut b1, &csrf1, &c1, &first).await;
    assert_eq!(resp.status(), 401);
    assert!(b1.session(&app).is_none());
}

#[tokio::test]
async fn answers_from_another_origin_or_for_another_rp_id_are_refused() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;

    // A phishing page on another origin relays the options to the user's authenticator.
    let mut phished = SoftKey::at(&format!("http://evil.localhost:{}", app.port));
    let (status, html) = add_passkey(&app, &mut b, &mut phished, "Phone").await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("That passkey was not accepted."), "{html}");

    // The right origin, but the authenticator scoped the credential to another RP ID.
    let (_, html) = page(&app, &mut b, "/account/passkeys/add").await;
    let (options, ceremony) = challenge_in(&html, "passkey-add");
    let other_rp = options.replace("\"id\":\"gate.localhost\"", "\"id\":\"localhost\"");
    assert_ne!(other_rp, options, "the options name the RP ID: {options}");
    let mut key = SoftKey::new(&app);
    let form = [
        ("csrf", extract_csrf(&html)),
        ("ceremony", ceremony),
        ("credential", key.register(&other_rp)),
        ("name", "Phone".to_owned()),
    ];
    let resp = b
        .send(post(&app, "/account/passkeys/add").form(&form))
        .await;
    assert_eq!(resp.status(), 400);
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(html.contains("No passkeys yet."), "{html}");

    // Sign-in answers from another origin are refused the same way.
    let mut good = SoftKey::new(&app);
    let (status, html) = add_passkey(&app, &mut b, &mut good, "Laptop").await;
    assert_added(status, &html);
    let mut m = app.browser();
    let (options, ceremony, csrf) = sign_in_challenge(&app, &mut m).await;
    good.origin = phished.origin.clone();
    let resp = post_sign_in(&app, &mut m, &csrf, &ceremony, &good.assert(&options)).await;
    assert_eq!(resp.status(), 401);
    assert!(m.session(&app).is_none());
}

#[tokio::test]
async fn a_challenge_lives_two_minutes_and_serves_only_its_own_login() {
    let app = TestApp::spawn(Opts::default().manual_clock()).await;
    let mut key = SoftKey::new(&app);
    alice_with_passkey(&app, &mut key).await;

    let mut b = app.browser();
    let (options, ceremony, csrf) = sign_in_challenge(&app, &mut b).await;
    let answer = key.assert(&options);
    app.advance(121);
    let resp = post_sign_in(&app, &mut b, &csrf, &ceremony, &answer).await;
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains("That took too long"));

    // A second-step challenge drawn for one pending login does not complete another.
    let mut p1 = app.browser();
    app.post_login(&mut p1, "alice", PW, "").await;
    let (options, ceremony, _) = code_page_challenge(&app, &mut p1).await;
    let mut p2 = app.browser();
    app.post_login(&mut p2, "alice", PW, "").await;
    let (_, _, csrf2) = code_page_challenge(&app, &mut p2).await;
    let resp = post_second_step(&app, &mut p2, &csrf2, &ceremony, &key.assert(&options)).await;
    assert_eq!(resp.status(), 400);
    assert!(p2.session(&app).is_none());
    // Nor does a passwordless challenge stand in for a second step.
    let mut m = app.browser();
    let (options, sign_in_ceremony, _) = sign_in_challenge(&app, &mut m).await;
    let resp = post_second_step(
        &app,
        &mut p2,
        &csrf2,
        &sign_in_ceremony,
        &key.assert(&options),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(p2.session(&app).is_none());
}

#[tokio::test]
async fn another_users_credential_never_signs_in() {
    let app = TestApp::spawn(Opts::default()).await;
    let mut alice_key = SoftKey::new(&app);
    alice_with_passkey(&app, &mut alice_key).await;
    app.add_user("bob", PW, &["users"]).await;
    let mut bob = app.login("bob", PW).await;
    let mut bob_key = SoftKey::new(&app);
    let (status, html) = add_passkey(&app, &mut bob, &mut bob_key, "Bob's key").await;
    assert_added(status, &html);

    // Bob's second step, answered by alice's authenticator (the challenge's allow list
    // rewritten to name her credential).
    let mut b = app.browser();
    app.post_login(&mut b, "bob", PW, "").await;
    let (options, ceremony, csrf) = code_page_challenge(&app, &mut b).await;
    let mut alice_opts: serde_json::Value = serde_json::from_str(&options).unwrap();
    let mut c = app.browser();
    let (alice_sign_in, _, _) = sign_in_challenge(&app, &mut c).await;
    let probe = alice_key.assert(&alice_sign_in);
    let alice_id = serde_json::from_str::<serde_json::Value>(&probe).unwrap()["rawId"].clone();
    alice_opts["publicKey"]["allowCredentials"] =
        serde_json::json!([{ "type": "public-key", "id": alice_id }]);
    let answer = alice_key.assert(&alice_opts.to_string());
    let resp = post_second_step(&app, &mut b, &csrf, &ceremony, &answer).await;
    assert_eq!(resp.status(), 401);
    assert!(b.session(&app).is_none());

    // Alice's credential presented under bob's handle: the handle names bob, the credential
    // is not his.
    let mut m = app.browser();
    let (options, ceremony, csrf) = sign_in_challenge(&app, &mut m).await;
    alice_key.handle = bob_key.handle.clone();
    let resp = post_sign_in(&app, &mut m, &csrf, &ceremony, &alice_key.assert(&options)).await;
    assert_eq!(resp.status(), 401);
    assert!(m.session(&app).is_none());
}

#[tokio::test]
async fn failed_passkey_answers_count_like_wrong_codes() {
    let app = TestApp::spawn(Opts::default()).await;
    let mut key = SoftKey::new(&app);
    alice_with_passkey(&app, &mut key).await;
    let mut b = app.browser();
    app.post_login(&mut b, "alice", PW, "").await;
    // Five refused answers within one pending login, then the login starts over, as after
    // five wrong codes.
    for i in 1..=5 {
        let (_, ceremony, csrf) = code_page_challenge(&app, &mut b).await;
        let resp =
            post_second_step(&app, &mut b, &csrf, &ceremony, "{\"not\":\"an answer\"}").await;
        let status = resp.status().as_u16();
        let html = resp.text().await.unwrap();
        if i < 5 {
            assert_eq!(status, 401, "answer {i}: {html}");
            assert!(html.contains("Invalid code."), "{html}");
        } else {
            assert_eq!(status, 401, "{html}");
            assert!(
                html.contains("id=\"username\""),
                "the login starts over: {html}"
            );
        }
    }
    assert!(b.session(&app).is_none());
}

#[tokio::test]
async fn removing_needs_a_recent_password_and_the_admin_reset_removes_every_passkey() {
    let app = TestApp::spawn(mail_app().manual_clock()).await;
    let mut key = SoftKey::new(&app);
    app.add_user("alice", PW, &["users"]).await;
    let mut b = app.login("alice", PW).await;
    add_passkey(&app, &mut b, &mut key, "Laptop").await;
    add_passkey(&app, &mut b, &mut SoftKey::new(&app), "Phone").await;
    let (_, html) = page(&app, &mut b, "/account").await;
    let id = between(
        &html,
        "action=\"/account/passkeys/remove\">\n    <input type=\"hidden\" name=\"csrf\" value=\"",
        "\"",
    );
    assert!(!id.is_empty());

    // Past the step-up window, removal asks for the password first.
    app.advance(11 * 60);
    let resp = remove_first_passkey(&app, &mut b).await;
    let status = resp.status();
    let html = resp.text().await.unwrap();
    assert_eq!(status, 401, "{html}");
    assert!(html.contains("type=\"password\""), "{html}");
    let (_, html) = page(&app, &mut b, "/account").await;
    assert!(
        html.contains("Laptop") && html.contains("Phone"),
        "nothing removed yet"
    );

    // The administrator's reset: every passkey gone, every session ended, a password alone
    // signs in again.
    let state = app.app.state();
    let user = app.user("alice").await;
    state
        .two_factor
        .reset(&user, "admin", app.now())
        .await
        .unwrap();
    assert!(state.passkeys.list(user.id).await.unwrap().is_empty());
    let (status, _) = page(&app, &mut b, "/account").await;
    assert_eq!(status, 303, "the reset ended the session");
    let c = app.login("alice", PW).await;
    assert_works(&app, &c, "one factor again").await;
}

#[tokio::test]
async fn a_passkey_rule_needs_a_passkey_not_a_code() {
    let rules = "[access_control]\ndefault_policy = \"deny\"\n[[access_control.rules]]\nhosts = [\"keys.gate.localhost\"]\npolicy = \"passkey\"\n[[access_control.rules]]\nhosts = [\"*.gate.localhost\"]\npolicy = \"one_factor\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, rules)).await;
    app.add_user("alice", PW, &["users"]).await;
    app.add_user("bob", PW, &["users"]).await;
    let mut key = SoftKey::new(&app);
    let mut b = app.login("alice", PW).await;
    let (status, html) = add_passkey(&app, &mut b, &mut key, "Laptop").await;
    assert_added(status, &html);
    let codes = recovery_codes(&html);
    let keys = |b: &Browser| {
        let mut b = b.clone();
        let req = app.get("keys.gate.localhost", "/admin-app");
        async move {
            let resp = b.send(req).await;
            let location = resp
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (resp.status().as_u16(), location.unwrap_or_default())
        }
    };

    // The browser that registered alice's first passkey has just proved it (after a recent
    // password): its session became a passkey session, and the app opens.
    assert_eq!(keys(&b).await.0, 200);

    // Two factors with a recovery code are not a passkey: the same detour, then the app.
    let mut c = app.browser();
    app.post_login(&mut c, "alice", PW, "").await;
    let (_, html) = page(&app, &mut c, "/login/2fa").await;
    let form = [
        ("csrf", extract_csrf(&html)),
        ("code", codes[0].clone()),
        ("recovery", "1".to_owned()),
    ];
    assert_eq!(
        c.send(post(&app, "/login/2fa").form(&form)).await.status(),
        303
    );
    let secure = c.clone().send(app.get("secure.gate.localhost", "/")).await;
    assert_eq!(secure.status(), 200, "two factors for a one_factor site");
    let (status, location) = keys(&c).await;
    assert_eq!(status, 302);
    assert!(location.contains("/login/2fa"), "{location}");
    let (options, ceremony, csrf) = code_page_challenge(&app, &mut c).await;
    let resp = post_second_step(&app, &mut c, &csrf, &ceremony, &key.assert(&options)).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(keys(&c).await.0, 200);

    // Someone without a passkey is refused, never looped through the code step.
    let d = app.login("bob", PW).await;
    let (status, location) = keys(&d).await;
    assert_ne!(status, 200);
    assert!(!location.contains("/login/2fa"), "{status} {location}");
}

/// Each challenge is a record kept two minutes, so one client network, session or pending
/// login draws at most 120 in each two-minute window; another client is not affected, and a
/// steady trickle never adds up across windows.
#[tokio::test]
async fn challenges_are_bounded_per_client_and_per_login() {
    let app = TestApp::spawn(Opts::with(Store::Memory, TRUSTED).manual_clock()).await;
    let mut key = SoftKey::new(&app);
    alice_with_passkey(&app, &mut key).await;
    let draw = |b: &mut Browser, csrf: String, from: &'static str| {
        let req = post(&app, "/login/passkey/options")
            .header("x-forwarded-for", from)
            .form(&[("csrf", csrf)]);
        let mut b = b.clone();
        async move { b.send(req).await.status().as_u16() }
    };
    // At the last second of a window (the clock stands still meanwhile).
    app.advance((119 - app.now().rem_euclid(120)).rem_euclid(120));
    let mut b = app.browser();
    let csrf = app.login_form(&mut b).await;
    for i in 0..120 {
        assert_eq!(
            draw(&mut b, csrf.clone(), "192.0.2.7").await,
            200,
            "draw {i}"
        );
    }
    assert_eq!(draw(&mut b, csrf.clone(), "192.0.2.7").await, 429);
    assert_eq!(
        draw(&mut b, csrf.clone(), "192.0.2.8").await,
        200,
        "another client"
    );
    // The next window starts afresh, however recent the last draw.
    app.advance(2);
    for i in 0..120 {
        let status = draw(&mut b, csrf.clone(), "192.0.2.7").await;
        assert_eq!(status, 200, "draw {i} of the next window");
    }

    // The code page of one pending login draws one per showing, within the same bound.
    let mut c = app.browser();
    let resp = app.post_login(&mut c, "alice", PW, "").await;
    assert_eq!(resp.status(), 303);
    for i in 0..120 {
        let (status, html) = page(&app, &mut c, "/login/2fa").await;
        assert!(
            status == 200 && html.contains("passkey-verify"),
            "showing {i}"
        );
    }
    let (status, _) = page(&app, &mut c, "/login/2fa").await;
    assert_ne!(status, 200, "a 121st challenge for one login");
}
