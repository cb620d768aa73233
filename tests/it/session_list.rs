//! The active sessions page and `gatehouse user sessions` (docs/security.md#session-list, #step-up): every signed-in
//! session is listed with its device, IP and times, the current one marked; others are signed
//! out one by one or all at once, at once on the server; revoking needs a recent step-up; a
//! user can end only their own sessions. On the memory and the Redis store.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use gatehouse::domain::session::SessionId;

use crate::harness::*;

/// Forwarded headers are believed from the test client, so each login gets its own IP.
const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

/// Three devices: user agent, the label the page shows, client IP.
const DEVICES: [(&str, &str, &str); 3] = [
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Firefox on Linux",
        "198.51.100.1",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        "Safari on iPhone",
        "198.51.100.2",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
        "Edge on Windows",
        "198.51.100.3",
    ),
];

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Logs `user` in from a browser with this user agent and client IP.
async fn login_from(app: &TestApp, user: &str, (ua, _, ip): (&str, &str, &str)) -> Browser {
    let mut b = app.browser();
    let page = b
        .send(
            app.get(&app.portal_host, &app.portal("/login"))
                .header("user-agent", ua)
                .header("x-forwarded-for", ip),
        )
        .await;
    assert_eq!(page.status(), 200);
    let csrf = extract_csrf(&page.text().await.unwrap());
    let resp = b
        .send(
            app.req(
                reqwest::Method::POST,
                &app.portal_host,
                &app.portal("/login"),
            )
            .header("user-agent", ua)
            .header("x-forwarded-for", ip)
            .form(&[
                ("username", user),
                ("password", PW),
                ("csrf", &csrf),
                ("rd", ""),
            ]),
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert!(b.session(app).is_some());
    b
}

/// The store key (SHA-256 hex) of a browser's session cookie.
fn key_of(app: &TestApp, b: &Browser) -> String {
    SessionId::parse(&b.session(app).unwrap()).unwrap().key().0
}

async fn get_page(app: &TestApp, b: &mut Browser, path: &str) -> (u16, String) {
    let resp = b.send(app.get(&app.portal_host, &app.portal(path))).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn post_form(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let resp = b
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, &app.portal(path))
                .form(form),
        )
        .await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, resp.text().await.unwrap())
}

/// One row of the sessions page.
#[derive(Debug)]
struct Row {
    current: bool,
    handle: String,
    /// The store key in the row's sign-out form (none for the current session).
    key: Option<String>,
    html: String,
}

fn rows(html: &str) -> Vec<Row> {
    html.split("<div class=\"row session")
        .skip(1)
        .map(|chunk| {
            let chunk = chunk.split("</div>").next().unwrap().to_owned();
            let attr = |name: &str| {
                let marker = format!("{name}=\"");
                chunk.find(&marker).map(|i| {
                    chunk[i + marker.len()..]
                        .split('"')
                        .next()
                        .unwrap()
                        .to_owned()
                })
            };
            Row {
                current: chunk.starts_with(" current\""),
                handle: attr("data-handle").unwrap(),
                key: chunk
                    .find("name=\"session\" value=\"")
                    .map(|i| chunk[i + 22..].split('"').next().unwrap().to_owned()),
                html: chunk,
            }
        })
        .collect()
}

/// The listed sessions, asserting the current one is marked once and has no sign-out form.
async fn listed(app: &TestApp, b: &mut Browser) -> (Vec<Row>, String) {
    let (status, html) = get_page(app, b, "/account/sessions").await;
    assert_eq!(status, 200, "{html}");
    let rows = rows(&html);
    assert_eq!(
        html.matches("class=\"row session current\"").count(),
        1,
        "{html}"
    );
    let current: Vec<&Row> = rows.iter().filter(|r| r.current).collect();
    assert_eq!(current.len(), 1);
    assert!(current[0].html.contains("This device"), "{html}");
    assert!(
        current[0].key.is_none(),
        "a sign-out form on the current row"
    );
    assert_eq!(current[0].handle, key_of(app, b)[..12]);
    assert!(rows.iter().filter(|r| !r.current).all(|r| r.key.is_some()));
    (rows, html)
}

/// Status of a proxied request on the app host, and the login redirect when there is one.
async fn app_status(app: &TestApp, b: &Browser) -> (u16, String) {
    let resp = b
        .clone()
        .send(app.get("app.gate.localhost", "/private"))
        .await;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location)
}

/// Status of a forward-auth check (nginx dialect) with the browser's cookies.
async fn forward_auth_status(app: &TestApp, b: &Browser) -> u16 {
    app.client
        .get(app.url("/api/authz/auth-request"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("x-original-method", "GET")
        .header(
            "x-original-url",
            format!("http://app.gate.localhost:{}/private", app.port),
        )
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Asserts the browser's session still works on the app host and on forward-auth.
async fn assert_works(app: &TestApp, b: &Browser, why: &str) {
    assert_eq!(app_status(app, b).await.0, 200, "{why}");
    assert_eq!(forward_auth_status(app, b).await, 200, "{why}");
}

/// Asserts the browser's session is refused at once: the login redirect on the app host and
/// 401 from forward-auth, and the upstream never sees the request.
async fn assert_ended(app: &TestApp, b: &Browser, why: &str) {
    let before = app.echo.count();
    let (status, location) = app_status(app, b).await;
    assert_eq!(status, 302, "{why}");
    assert!(
        location.starts_with(&format!("http://auth.gate.localhost:{}/login", app.port)),
        "{why}: {location}"
    );
    assert_eq!(forward_auth_status(app, b).await, 401, "{why}");
    assert_eq!(app.echo.count(), before, "{why}: the upstream saw it");
}

#[tokio::test]
async fn three_logins_are_listed_and_revoked_sessions_end_at_once() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, TRUSTED)).await;
        app.add_user("alice", PW, &["users"]).await;
        let mut browsers = Vec::new();
        for device in DEVICES {
            browsers.push(login_from(&app, "alice", device).await);
        }
        // A pending second-factor login is not a session and is not listed.
        let state = app.app.state();
        let alice = state.admin.find("alice").await.unwrap();
        state
            .sessions
            .start_pending(&alice, "203.0.113.9", "PendingAgent/1.0", unix_now())
            .await
            .unwrap();
        let mut me = browsers[2].clone();

        let (_, account) = get_page(&app, &mut me, "/account").await;
        assert!(
            account.contains("id=\"sessions-link\" href=\"/account/sessions\""),
            "{account}"
        );

        let (rows, html) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 3, "{store:?}: {html}");
        assert!(!html.contains("203.0.113.9"), "a pending login is listed");
        let today = gatehouse::presentation::date(unix_now());
        let minute_ago = gatehouse::presentation::date(unix_now() - 60);
        for (i, b) in browsers.iter().enumerate() {
            let (_, label, ip) = DEVICES[i];
            let key = key_of(&app, b);
            let row = rows
                .iter()
                .find(|r| r.handle == key[..12])
                .unwrap_or_else(|| panic!("{store:?}: login {i} not listed: {html}"));
            assert_eq!(row.current, i == 2, "{store:?}: {row:?}");
            assert!(row.html.contains(label), "{store:?}: {row:?}");
            assert!(row.html.contains(ip), "{store:?}: {row:?}");
            assert!(
                row.html.contains("signed in <time datetime=\"")
                    && row.html.contains("last active <time datetime=\"")
                    && (row.html.contains(&today) || row.html.contains(&minute_ago))
                    && row.html.contains(" UTC</time>"),
                "{store:?}: {row:?}"
            );
            if i != 2 {
                assert_eq!(row.key.as_deref(), Some(key.as_str()));
            }
            // The page names sessions by their hash, never by a cookie value.
            assert!(!html.contains(&b.session(&app).unwrap()), "{store:?}");
        }
        assert!(html.contains("id=\"revoke-others\""));

        // Revoking #2 ends it at once, on the proxy and on forward-auth; the others go on.
        let csrf = extract_csrf(&html);
        let key2 = key_of(&app, &browsers[1]);
        let (status, location, _) = post_form(
            &app,
            &mut me,
            "/account/sessions/revoke",
            &[("session", &key2), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_eq!(location, "/account/sessions");
        assert_ended(&app, &browsers[1], "revoked session #2").await;
        assert_works(&app, &browsers[0], "session #1 after revoking #2").await;
        assert_works(&app, &me, "the current session after revoking #2").await;
        let (rows, _) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 2, "{store:?}");
        assert!(rows.iter().all(|r| r.handle != key2[..12]));

        // Revoking it again changes nothing and says so.
        let (status, _, html) = post_form(
            &app,
            &mut me,
            "/account/sessions/revoke",
            &[("session", &key2), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 404, "{store:?}");
        assert!(html.contains("not found"), "{html}");

        // "Sign out all other sessions" leaves only this one.
        let (status, location, _) = post_form(
            &app,
            &mut me,
            "/account/sessions/revoke-others",
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_eq!(location, "/account/sessions");
        assert_ended(&app, &browsers[0], "session #1 after sign out all others").await;
        assert_works(&app, &me, "the current session after sign out all others").await;
        let (rows, html) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 1, "{store:?}");
        assert!(html.contains("No other sessions."));
        assert!(!html.contains("id=\"revoke-others\""));

        // Revokes are CSRF-checked POSTs: a forged token is refused even with a live session.
        let (status, _, _) = post_form(
            &app,
            &mut me.clone(),
            "/account/sessions/revoke-others",
            &[("csrf", "forged")],
        )
        .await;
        assert_eq!(status, 403);
        let resp = me
            .send(app.get(&app.portal_host, "/account/sessions/revoke-others"))
            .await;
        assert_eq!(resp.status(), 405);
        assert_works(&app, &me, "after the refused requests").await;
    }
}

#[tokio::test]
async fn a_stale_step_up_asks_for_the_password_and_revokes_nothing() {
    let overlay = format!("{TRUSTED}[two_factor]\nstep_up_window = \"2s\"\n");
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, &overlay).manual_clock()).await;
        app.add_user("alice", PW, &["users"]).await;
        let other = login_from(&app, "alice", DEVICES[0]).await;
        let mut me = login_from(&app, "alice", DEVICES[1]).await;
        let (_, html) = listed(&app, &mut me).await;
        let csrf = extract_csrf(&html);
        let key = key_of(&app, &other);
        // Past the step-up window.
        app.advance(3);

        for (path, form) in [
            (
                "/account/sessions/revoke",
                vec![("session", key.as_str()), ("csrf", csrf.as_str())],
            ),
            (
                "/account/sessions/revoke-others",
                vec![("csrf", csrf.as_str())],
            ),
        ] {
            let (status, _, html) = post_form(&app, &mut me, path, &form).await;
            assert_eq!(status, 401, "{store:?} {path}: {html}");
            assert!(html.contains("action=\"/account/reauth\""), "{html}");
            assert!(html.contains("name=\"next\" value=\"sessions\""), "{html}");
            assert_works(&app, &other, "revoke with a stale step-up").await;
        }
        let (rows, _) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 2, "{store:?}");

        // A wrong password keeps the way back to this page.
        let (status, _, html) = post_form(
            &app,
            &mut me,
            "/account/reauth",
            &[
                ("password", "not the password at all"),
                ("next", "sessions"),
                ("csrf", &csrf),
            ],
        )
        .await;
        assert_eq!(status, 401, "{store:?}");
        assert!(html.contains("name=\"next\" value=\"sessions\""), "{html}");

        // The password again: back to the sessions page (with a new session id), and now the
        // revoke goes through.
        let before = key_of(&app, &me);
        let (status, location, _) = post_form(
            &app,
            &mut me,
            "/account/reauth",
            &[("password", PW), ("next", "sessions"), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_eq!(location, "/account/sessions");
        assert_ne!(key_of(&app, &me), before, "re-auth rotates the id");
        let (rows, _) = listed(&app, &mut me).await;
        assert_eq!(rows.len(), 2, "{store:?}");
        let (status, _, _) = post_form(
            &app,
            &mut me,
            "/account/sessions/revoke",
            &[("session", &key), ("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303, "{store:?}");
        assert_ended(&app, &other, "revoke after re-auth").await;
        assert_works(&app, &me, "the current session").await;
    }
}

#[tokio::test]
async fn a_user_cannot_revoke_another_users_session() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, TRUSTED)).await;
        app.add_user("alice", PW, &["users"]).await;
        app.add_user("bob", PW, &["users"]).await;
        let bob = login_from(&app, "bob", DEVICES[0]).await;
        let mut alice = login_from(&app, "alice", DEVICES[1]).await;
        let (rows, html) = listed(&app, &mut alice).await;
        assert_eq!(rows.len(), 1, "bob's session on alice's page: {html}");
        // Alone, her sessions page has no form: take the token from the account page.
        let csrf = extract_csrf(&get_page(&app, &mut alice, "/account").await.1);
        let bob_key = key_of(&app, &bob);
        let own_key = key_of(&app, &alice);
        let bob_cookie = bob.session(&app).unwrap();
        for value in [
            bob_key.as_str(),
            &bob_key.to_uppercase(),
            bob_cookie.as_str(),
            own_key.as_str(),
            "",
            "../../etc/passwd",
        ] {
            let (status, _, html) = post_form(
                &app,
                &mut alice,
                "/account/sessions/revoke",
                &[("session", value), ("csrf", &csrf)],
            )
            .await;
            assert_eq!(status, 404, "{store:?} {value:?}: {html}");
            assert!(html.contains("not found"), "{html}");
            assert_works(&app, &bob, "bob after alice posted his key").await;
            assert_works(&app, &alice, "alice after her own key").await;
        }
        // Signing out all her other sessions leaves bob's alone.
        let (status, _, _) = post_form(
            &app,
            &mut alice,
            "/account/sessions/revoke-others",
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 303);
        assert_works(&app, &bob, "bob after alice signed out her others").await;
        let (rows, _) = listed(&app, &mut bob.clone()).await;
        assert_eq!(rows.len(), 1, "{store:?}");
    }
}

#[tokio::test]
async fn the_sessions_page_needs_a_session() {
    let app = TestApp::spawn(Opts::default()).await;
    let resp = app
        .get(&app.portal_host, "/account/sessions")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/login?rd="), "{location}");
}

// ---------------------------------------------------------------------------------------
// `gatehouse user sessions`, the real binary against a running server (shared SQLite + Redis)
// ---------------------------------------------------------------------------------------

/// Runs `gatehouse ARGS --config FILE` with extra environment variables.
async fn cli(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--config", config.to_str().unwrap()]);
    let mut cmd = crate::binary::gatehouse(&all);
    cmd.envs(env.iter().copied()).stdin(Stdio::null());
    tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || cmd.output().unwrap()),
    )
    .await
    .expect("the CLI did not finish within 60 s")
    .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Writes the config the app runs with next to its database, for the CLI.
fn config_file(app: &TestApp, opts: &Opts) -> std::path::PathBuf {
    let text = TestApp::config_text(opts, app.port, &app.echo, &app.dir, &app.prefix);
    let path = app.dir.path().join("gatehouse.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn cli_user_sessions_lists_and_revokes_all_while_the_server_runs() {
    let opts = || Opts::with(Store::Redis, TRUSTED);
    let app = TestApp::spawn(opts()).await;
    let config = config_file(&app, &opts());
    app.add_user("alice", PW, &["users"]).await;
    let browsers = [
        login_from(&app, "alice", DEVICES[0]).await,
        login_from(&app, "alice", DEVICES[2]).await,
    ];
    for b in &browsers {
        assert_works(&app, b, "before the CLI").await;
    }

    let out = cli(&config, &["user", "sessions", "alice"], &[]).await;
    assert!(out.status.success(), "{}", show(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", show(&out));
    let today = gatehouse::presentation::date(unix_now());
    for (b, device) in browsers.iter().zip([DEVICES[0], DEVICES[2]]) {
        let key = key_of(&app, b);
        let line = lines
            .iter()
            .find(|l| l.starts_with(&key[..12]))
            .unwrap_or_else(|| panic!("{} not listed: {stdout}", &key[..12]));
        assert!(!line.contains(&key), "the full key is printed: {line}");
        assert!(!line.contains(&b.session(&app).unwrap()), "{line}");
        let (_, label, ip) = device;
        assert!(line.contains(label) && line.contains(ip), "{line}");
        assert!(
            line.contains("created ") && line.contains("last active ") && line.contains(&today),
            "{line}"
        );
    }

    let out = cli(
        &config,
        &["user", "sessions", "alice", "--revoke-all"],
        &[
            ("GATEHOUSE_LOG__LEVEL", "info"),
            ("GATEHOUSE_LOG__FORMAT", "json"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", show(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        stdout.contains("2 session(s) of alice ended"),
        "{}",
        show(&out)
    );
    let audited = String::from_utf8(out.stderr.clone())
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .any(|v| {
            v["target"] == "audit"
                && v["event"] == "session.revoked_all"
                && v["actor"].as_str().map(|a| a.trim_matches('"')) == Some("cli")
                && v["user"].as_str().map(|u| u.trim_matches('"')) == Some("alice")
        });
    assert!(
        audited,
        "no session.revoked_all audit event: {}",
        show(&out)
    );
    for b in &browsers {
        assert_ended(&app, b, "after user sessions --revoke-all").await;
    }

    let out = cli(&config, &["user", "sessions", "alice"], &[]).await;
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("alice has no active sessions"),
        "{}",
        show(&out)
    );
    let out = cli(&config, &["user", "sessions", "nosuch"], &[]).await;
    assert!(!out.status.success(), "{}", show(&out));
}

/// With in-process sessions the CLI cannot see the server's sessions: it says so instead of
/// listing nothing.
#[tokio::test]
async fn cli_user_sessions_refuses_the_memory_store() {
    let app = TestApp::spawn(Opts::default()).await;
    let config = config_file(&app, &Opts::default());
    app.add_user("alice", PW, &["users"]).await;
    let _b = app.login("alice", PW).await;
    for args in [
        &["user", "sessions", "alice"][..],
        &["user", "sessions", "alice", "--revoke-all"],
    ] {
        let out = cli(&config, args, &[]).await;
        assert!(!out.status.success(), "{}", show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("session.store") && stderr.contains("redis"),
            "{}",
            show(&out)
        );
    }
}
