//! The PostgreSQL user store stopped, then started again, under gateways that keep running
//! (docs/security.md#user-store-outage): sign-in and every credential change answer 503
//! with a page that says so, in bounded time, and change nothing; an existing session keeps
//! working while its user was read less than `session.user_refresh` ago, then fails closed
//! (503, never a redirect to the sign-in page) without being ended; once PostgreSQL is back,
//! everything works again without a restart. One private cluster for the whole file: stopping
//! it harms no other test.

use std::time::{Duration, Instant};

use crate::admin_util::*;
use crate::harness::private_postgres::PrivatePostgres;
use crate::harness::*;
use crate::totp_util::*;

/// What the portal says while a store is away (the English catalog).
const UNAVAILABLE: &str = "temporarily unavailable";
/// A request during the outage answers within this (the pool's wait for a connection is
/// 5 s): it must not hang.
const ANSWERS_WITHIN: Duration = Duration::from_secs(10);
/// `session.user_refresh` of the app whose session shows the policy.
const REFRESH: Duration = Duration::from_secs(5);

/// A POST of `form` from `b`; status, body, how long it took, and the browser after it.
async fn timed_post(
    app: &TestApp,
    mut b: Browser,
    path: &str,
    form: Vec<(&str, &str)>,
) -> (u16, String, Duration, Browser) {
    let started = Instant::now();
    let resp = b.send(post(app, path).form(&form)).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap(), started.elapsed(), b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_fails_closed_changes_nothing_and_heals_without_a_restart() {
    let pg = PrivatePostgres::start();
    // The app whose users try every change during the outage: its user records stay cached
    // long enough that each request gets past its session to the change itself.
    let changes = pg.database("changes").await;
    let app = spawn_opts(Opts::with(
        Store::Memory,
        &format!(
            "{MAIL}{TRUSTED}[storage]\ndatabase = \"{changes}\"\n[session]\nuser_refresh = \"60s\"\n"
        ),
    ))
    .await;
    // The app whose session shows the policy at the default-like refresh interval.
    let policy = pg.database("policy").await;
    let short = TestApp::spawn(Opts::with(
        Store::Memory,
        &format!(
            "[storage]\ndatabase = \"{policy}\"\n[session]\nuser_refresh = \"{}s\"\n",
            REFRESH.as_secs()
        ),
    ))
    .await;
    short.add_user("dave", PW, &[]).await;
    let dave = short.login("dave", PW).await;

    // Everything a person would have open when the database goes away: alice with
    // two-factor on, bob about to turn it on and to change his password, root in the admin
    // area, a stranger on the sign-in form.
    let mut alice = enroll(&app, "alice").await;
    let alice_csrf = csrf(&app, &mut alice.browser).await;
    let mut bob = app.login("bob", PW).await;
    let (status, html) = page(&app, &mut bob, "/account/2fa/enable").await;
    assert_eq!(status, 200, "{html}");
    let bob_secret: String = between(&html, "id=\"totp-secret\">", "<")
        .split_whitespace()
        .collect();
    let bob_csrf = extract_csrf(&html);
    let mut root = app.login("root", PW).await;
    let root_csrf = csrf(&app, &mut root).await;
    let mut stranger = app.browser();
    let stranger_csrf = app.login_form(&mut stranger).await;
    for b in [&alice.browser, &bob, &root] {
        assert_eq!(app_status(&app, b).await, 200);
    }
    assert_eq!(app_status(&short, &dave).await, 200);
    let dave_read = Instant::now();

    pg.stop();
    // Read less than `user_refresh` ago: the session still works.
    assert_eq!(app_status(&short, &dave).await, 200, "within user_refresh");

    let code = alice.next_code().await;
    let bob_code = oathtool_at(&bob_secret, unix_now());
    let (sign_in, password, enable, disable, admin_disable, admin_password) = tokio::join!(
        timed_post(
            &app,
            stranger.clone(),
            "/login",
            vec![
                ("username", "carol"),
                ("password", PW),
                ("csrf", &stranger_csrf)
            ]
        ),
        timed_post(
            &app,
            bob.clone(),
            "/account/password",
            vec![
                ("current", PW),
                ("new", NEW),
                ("confirm", NEW),
                ("csrf", &bob_csrf)
            ]
        ),
        timed_post(
            &app,
            bob.clone(),
            "/account/2fa/enable",
            vec![("code", &bob_code), ("csrf", &bob_csrf)]
        ),
        timed_post(
            &app,
            alice.browser.clone(),
            "/account/2fa/disable",
            vec![("password", PW), ("code", &code), ("csrf", &alice_csrf)]
        ),
        timed_post(
            &app,
            root.clone(),
            "/admin/users/bob/disable",
            vec![("csrf", &root_csrf)]
        ),
        timed_post(
            &app,
            root.clone(),
            "/admin/users/alice/password",
            vec![("csrf", &root_csrf)]
        ),
    );
    for (what, (status, body, took, _)) in [
        ("sign-in", &sign_in),
        ("password change", &password),
        ("2FA enable", &enable),
        ("2FA disable", &disable),
        ("admin disable", &admin_disable),
        ("admin password reset", &admin_password),
    ] {
        println!(
            "{what} during the outage: {status} in {} ms",
            took.as_millis()
        );
        assert_eq!(*status, 503, "{what}: {body}");
        assert!(body.contains(UNAVAILABLE), "{what}: {body}");
        assert!(*took < ANSWERS_WITHIN, "{what} took {took:?}");
    }
    assert!(
        sign_in.3.session(&app).is_none(),
        "a session without a user store"
    );

    // Past `user_refresh`: the session cannot be checked, so it fails closed, with 503 (a
    // redirect to the sign-in page would loop: sign-in is down too).
    tokio::time::sleep(
        (dave_read + REFRESH + Duration::from_millis(500))
            .saturating_duration_since(Instant::now()),
    )
    .await;
    let (status, body) = proxied(&short, &dave).await;
    assert_eq!(status, 503, "past user_refresh: {body}");
    assert!(body.contains(UNAVAILABLE), "{body}");

    pg.start_again();
    let back = Instant::now();
    let healed = loop {
        let mut b = app.browser();
        let resp = app.post_login(&mut b, "bob", PW, "").await;
        if resp.status() == 303 {
            break back.elapsed();
        }
        assert_eq!(resp.status(), 503, "while healing");
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "sign-in still refused 15 s after PostgreSQL was back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!(
        "sign-in works {} ms after PostgreSQL was back",
        healed.as_millis()
    );

    // Nothing changed: passwords, second factors, the disabled flag, the sessions.
    assert_eq!(
        login_status(&app, "bob", NEW).await.0,
        401,
        "bob's new password"
    );
    let mut b = app.browser();
    password_step(&app, &mut b, "alice", "").await;
    assert_eq!(
        // The code refused during the outage: no step was used meanwhile.
        code_step(&app, &mut b, &code, false, "").await.status(),
        303,
        "alice's two-factor"
    );
    let (status, location) = login_status(&app, "bob", PW).await;
    assert_eq!(status, 303, "bob neither disabled nor with a new password");
    assert!(
        !location.contains("/login/2fa"),
        "bob without two-factor: {location}"
    );
    for b in [&alice.browser, &bob, &root] {
        assert_eq!(
            app_status(&app, b).await,
            200,
            "a session made before the outage"
        );
    }
    assert_eq!(
        app_status(&short, &dave).await,
        200,
        "dave's session survived"
    );
}

/// Status and page of a protected request with this browser's cookies.
async fn proxied(app: &TestApp, b: &Browser) -> (u16, String) {
    let resp = b
        .clone()
        .send(app.get("app.gate.localhost", "/private"))
        .await;
    (resp.status().as_u16(), resp.text().await.unwrap())
}
