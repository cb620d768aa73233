//! Sessions: cookie attributes, fixation, logout, timeouts, both stores, Redis hygiene,
//! garbage cookies, the per-user cap, and failing closed when Redis is gone.

use crate::harness::*;

async fn proxied_status(app: &TestApp, b: &mut Browser) -> u16 {
    b.send(app.get("app.gate.localhost", "/"))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn sso_cookie_has_the_configured_domain_and_safe_attributes() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.browser();
    let resp = app.post_login(&mut b, "alice", PW, "").await;
    let set = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("gatehouse_session"))
        .unwrap();
    let re = regex::Regex::new(
        r"^__(Host|Secure)-[^=]+=[^;]+;.*Secure.*HttpOnly.*SameSite=(Lax|Strict)",
    )
    .unwrap();
    assert!(re.is_match(&set), "{set}");
    assert!(set.starts_with("__Secure-gatehouse_session="), "{set}");
    assert!(set.contains("Domain=gate.localhost;"), "{set}");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    // A login attempt under a look-alike host never gets a cookie for that host.
    let mut evil = app.browser();
    let resp = evil
        .send(app.get("auth.gate.localhost.evil.example", "/login"))
        .await;
    assert_eq!(resp.status(), 421);
    assert!(resp.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn single_host_cookie_is_host_prefixed_without_domain() {
    let overlay = "[access_control]\ndefault_policy = \"one_factor\"\n".to_owned();
    let app = TestApp::spawn(Opts {
        single_host: true,
        overlay,
        ..Opts::default()
    })
    .await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.browser();
    let resp = app.post_login(&mut b, "alice", PW, "").await;
    assert_eq!(resp.status(), 303);
    let set = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("gatehouse_session"))
        .unwrap();
    assert!(set.starts_with("__Host-gatehouse_session="), "{set}");
    assert!(set.contains("Path=/;") && !set.contains("Domain"), "{set}");
    // The app on the same host is proxied, the portal lives under /_gatehouse.
    let resp = b.send(app.get("localhost", "/")).await;
    let status = resp.status();
    assert_eq!(status, 200, "{}", resp.text().await.unwrap());
    assert_eq!(app.echo.last().one("remote-user"), Some("alice"));
}

#[tokio::test]
async fn session_ids_are_long_random_and_unique() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let user = app.user("alice").await;
    let sessions = &app.app.state().sessions;
    let mut seen = std::collections::HashSet::new();
    let mut counts = [0usize; 64];
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for _ in 0..1000 {
        let (id, _) = sessions
            .start(
                &user,
                gatehouse::domain::session::AuthLevel::OneFactor,
                gatehouse::service::sessions::Opening {
                    ip: "127.0.0.1",
                    user_agent: "t",
                    remember: false,
                    scope: None,
                },
                0,
            )
            .await
            .unwrap();
        let v = id.expose().to_owned();
        assert!(
            v.len() >= 22 && v.bytes().all(|c| ALPHABET.contains(&c)),
            "{v}"
        );
        for c in v.bytes().take(42) {
            counts[ALPHABET.iter().position(|a| *a == c).unwrap()] += 1;
        }
        assert!(seen.insert(v));
    }
    // Shannon entropy of the characters: ~6 bits each for uniform base64url.
    let total: usize = counts.iter().sum();
    let entropy: f64 = counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / total as f64;
            -p * p.log2()
        })
        .sum();
    assert!(entropy > 5.9, "character entropy {entropy:.3} bits");
}

#[tokio::test]
async fn a_pre_login_id_is_never_promoted_and_relogin_ends_the_old_session() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, "")).await;
        app.add_user("alice", PW, &[]).await;
        let name = app.app.state().cookies.session_name().to_owned();
        // An attacker plants a well-formed id before the victim logs in.
        let planted = gatehouse::domain::session::SessionId::generate()
            .expose()
            .to_owned();
        let mut b = app.browser();
        b.cookies.insert(name.clone(), planted.clone());
        let resp = app.post_login(&mut b, "alice", PW, "").await;
        assert_eq!(resp.status(), 303);
        let first = b.session(&app).unwrap();
        assert_ne!(first, planted);
        let mut attacker = app.browser();
        attacker.cookies.insert(name.clone(), planted);
        assert_eq!(proxied_status(&app, &mut attacker).await, 302, "{store:?}");
        // Logging in again from the same browser replaces the session; the old id is dead.
        // (A signed-in browser is sent past the form, so fetch the token without the session.)
        let mut fresh = b.clone();
        fresh.cookies.remove(&name);
        let token = app.login_form(&mut fresh).await;
        let resp = b
            .send(
                app.req(reqwest::Method::POST, &app.portal_host, "/login")
                    .form(&[
                        ("username", "alice"),
                        ("password", PW),
                        ("csrf", token.as_str()),
                    ]),
            )
            .await;
        assert_eq!(resp.status(), 303);
        let second = b.session(&app).unwrap();
        assert_ne!(first, second);
        let mut old = app.browser();
        old.cookies.insert(name, first);
        assert_eq!(proxied_status(&app, &mut old).await, 302, "{store:?}");
        assert_eq!(proxied_status(&app, &mut b).await, 200, "{store:?}");
    }
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server_and_clears_the_browser() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, "")).await;
        app.add_user("alice", PW, &[]).await;
        let mut b = app.login("alice", PW).await;
        let stolen = b.clone();
        let home = b
            .send(app.get(&app.portal_host, "/"))
            .await
            .text()
            .await
            .unwrap();
        assert!(home.contains("alice"));
        let token = extract_csrf(&home);
        let resp = b
            .send(
                app.req(reqwest::Method::POST, &app.portal_host, "/logout")
                    .form(&[("csrf", token.as_str())]),
            )
            .await;
        assert_eq!(resp.status(), 200);
        // Only Gatehouse's own cookies go, by name: `Clear-Site-Data: "cookies"` would wipe
        // every app on the registrable domain and the remembered device.
        assert_eq!(resp.headers()["clear-site-data"], "\"cache\"");
        let set: Vec<&str> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap())
            .collect();
        assert!(
            set.iter()
                .any(|c| c.contains("gatehouse_session=; Max-Age=0")),
            "{set:?}"
        );
        assert!(
            set.iter()
                .any(|c| c.contains("gatehouse_pending=; Max-Age=0")),
            "{set:?}"
        );
        assert!(
            !set.iter().any(|c| c.contains("gatehouse_device")),
            "{set:?}"
        );
        assert!(b.session(&app).is_none());
        // The copied cookie is dead on the server too.
        let mut replay = stolen;
        assert_eq!(proxied_status(&app, &mut replay).await, 302, "{store:?}");
    }
}

#[tokio::test]
async fn logout_without_a_csrf_token_changes_nothing() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    let resp = b
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, "/logout")
                .form(&[("csrf", "forged")]),
        )
        .await;
    // Back to the portal home (which has the sign-out button), never to the logout link.
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/?expired=1");
    assert_eq!(proxied_status(&app, &mut b).await, 200);
}

/// The app's clock is advanced instead of waited for: the edge reads it for every request
/// and the server decides expiry from that time, on either store. Each boundary is checked
/// through the proxy a second before it and at it (the rules themselves, to the second, also
/// in `tests/service/sessions.rs`).
#[tokio::test]
async fn idle_and_absolute_timeouts_are_enforced_on_the_server() {
    const IDLE: i64 = 1800;
    const ABSOLUTE: i64 = 7200;
    let overlay = "[session]\nidle_timeout = \"30m\"\nabsolute_timeout = \"2h\"\n";
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, overlay).manual_clock()).await;
        app.add_user("alice", PW, &[]).await;
        let start = app.now();
        // Idle: no request for 30 minutes; one session is checked a second before, one at.
        let mut idle_before = app.login("alice", PW).await;
        let mut idle_at = app.login("alice", PW).await;
        // Absolute: active every 20 minutes, and still ends after 2 hours.
        let mut busy = app.login("alice", PW).await;
        app.advance(IDLE * 2 / 3);
        assert_eq!(proxied_status(&app, &mut busy).await, 200, "{store:?}");
        app.advance(start + IDLE - 1 - app.now());
        assert_eq!(
            proxied_status(&app, &mut idle_before).await,
            200,
            "{store:?}: a session ended before the idle timeout"
        );
        app.advance(1);
        assert_eq!(
            proxied_status(&app, &mut idle_at).await,
            302,
            "{store:?}: idle session still valid"
        );
        assert_eq!(proxied_status(&app, &mut busy).await, 200, "{store:?}");
        while app.now() < start + ABSOLUTE - 1 {
            app.advance((IDLE * 2 / 3).min(start + ABSOLUTE - 1 - app.now()));
            assert_eq!(
                proxied_status(&app, &mut busy).await,
                200,
                "{store:?}: an active session died early at {} s",
                app.now() - start
            );
        }
        app.advance(1);
        assert_eq!(
            proxied_status(&app, &mut busy).await,
            302,
            "{store:?}: absolute timeout not enforced"
        );
    }
}

#[tokio::test]
async fn garbage_forged_and_oversized_cookies_never_pass() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let good = app.login("alice", PW).await;
    let name = app.app.state().cookies.session_name().to_owned();
    let value = good.session(&app).unwrap();
    let cases = vec![
        format!("{name}=garbage"),
        format!(
            "{name}={}",
            gatehouse::domain::session::SessionId::generate().expose()
        ),
        format!("{name}={}", "A".repeat(8000)),
        format!("{name}={value}x"),
        format!("{name}=%00%0d%0a"),
        // The real session plus a second (tossed) one: ambiguous, refused.
        format!("{name}={value}; {name}=other"),
    ];
    for cookie in cases {
        let resp = app
            .get("app.gate.localhost", "/")
            .header("cookie", cookie.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 302, "{}", &cookie[..cookie.len().min(80)]);
    }
    assert_eq!(app.echo.count(), 0, "a bad cookie reached the upstream");
}

#[tokio::test]
async fn redis_holds_no_cookie_value_and_keys_use_the_prefix() {
    let app = TestApp::spawn(Opts::redis()).await;
    app.add_user("alice", PW, &[]).await;
    let b = app.login("alice", PW).await;
    let cookie = b.session(&app).unwrap();
    let mut conn = redis_conn(&redis_url()).await.unwrap();
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg(format!("{}*", app.prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    let record = crate::redis_layout::record_key(
        &app.prefix,
        &gatehouse::domain::session::SessionId::parse(&cookie)
            .unwrap()
            .key(),
    );
    assert!(keys.contains(&record), "no record under the prefix");
    let holds = |hay: &[u8]| hay.windows(cookie.len()).any(|w| w == cookie.as_bytes());
    for k in &keys {
        assert!(
            k.starts_with(app.prefix.as_bytes()),
            "a key outside the prefix"
        );
        assert!(!holds(k), "a key holds the cookie value");
        let kind: String = redis::cmd("TYPE")
            .arg(k)
            .query_async(&mut conn)
            .await
            .unwrap();
        if kind == "string" {
            let v: Vec<u8> = redis::cmd("GET")
                .arg(k)
                .query_async(&mut conn)
                .await
                .unwrap();
            assert!(!holds(&v), "a value holds the cookie value");
        }
    }
    let ttl: i64 = redis::cmd("TTL")
        .arg(&record)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 1800, "session TTL {ttl}");
}

#[tokio::test]
async fn the_newest_sessions_win_over_the_per_user_cap() {
    let app =
        TestApp::spawn(Opts::with(Store::Redis, "[session]\nmax_per_user = 2\n").manual_clock())
            .await;
    app.add_user("alice", PW, &[]).await;
    // One second apart, so "newest" is well defined.
    let mut first = app.login("alice", PW).await;
    app.advance(1);
    let mut second = app.login("alice", PW).await;
    app.advance(1);
    let mut third = app.login("alice", PW).await;
    assert_eq!(proxied_status(&app, &mut first).await, 302);
    assert_eq!(proxied_status(&app, &mut second).await, 200);
    assert_eq!(proxied_status(&app, &mut third).await, 200);
}

#[tokio::test]
async fn a_redis_outage_fails_closed() {
    let mut redis = PrivateRedis::start().await;
    let url = redis.url.clone();
    let overlay = format!(
        "[session]\nstore = \"redis\"\n[session.redis]\nurl = \"{url}\"\ntimeout = \"1s\"\n"
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    assert_eq!(proxied_status(&app, &mut b).await, 200);
    let mut c = app.browser();
    let token = app.login_form(&mut c).await;
    redis.stop();
    app.channel_lost().await;
    let before = app.echo.count();
    let resp = b.send(app.get("app.gate.localhost", "/")).await;
    assert_eq!(
        resp.status(),
        503,
        "a request passed without a session store"
    );
    assert_eq!(app.echo.count(), before);
    let health = app
        .get(&app.portal_host, "/api/health")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 503);
    assert!(
        health
            .text()
            .await
            .unwrap()
            .contains("\"session_store\":\"unavailable\"")
    );
    // Logins fail closed too, with a page rather than a crash.
    let resp = c
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, "/login")
                .form(&[("username", "alice"), ("password", PW), ("csrf", &token)]),
        )
        .await;
    assert_eq!(resp.status(), 503);
}

#[tokio::test]
async fn health_reports_both_stores() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, "")).await;
        let resp = app
            .get(&app.portal_host, "/api/health")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["status"], "ok");
        assert_eq!(v["session_store"], "ok");
        assert_eq!(v["user_store"], "ok");
    }
}

#[tokio::test]
async fn each_cookie_domain_logs_in_on_its_own_portal() {
    let overlay = r#"
[access_control]
default_policy = "one_factor"
[[session.cookie_domains]]
domain = "other.localhost"
portal_url = "http://auth.other.localhost"
[[sites]]
host = "*.gate.localhost"
upstream = "http://{echo}"
[[sites]]
host = "*.other.localhost"
upstream = "http://{echo}"
"#;
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    app.add_user("alice", PW, &[]).await;
    // Anonymous on the second domain: sent to that domain's portal.
    let resp = app
        .get("wiki.other.localhost", "/page")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let loc = resp.headers()["location"].to_str().unwrap();
    assert!(
        loc.starts_with("http://auth.other.localhost/login?rd="),
        "{loc}"
    );
    // Log in there: the cookie is for other.localhost.
    let mut b = app.browser();
    let page = b
        .send(app.get("auth.other.localhost", "/login"))
        .await
        .text()
        .await
        .unwrap();
    let token = extract_csrf(&page);
    let resp = b
        .send(
            app.req(reqwest::Method::POST, "auth.other.localhost", "/login")
                .form(&[
                    ("username", "alice"),
                    ("password", PW),
                    ("csrf", token.as_str()),
                ]),
        )
        .await;
    assert_eq!(resp.status(), 303);
    let set = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("gatehouse_session"))
        .unwrap();
    assert!(set.contains("Domain=other.localhost;"), "{set}");
    assert_eq!(
        b.send(app.get("wiki.other.localhost", "/page"))
            .await
            .status(),
        200
    );
    // The first domain's portal still sets its own domain.
    let mut b2 = app.browser();
    let resp = app.post_login(&mut b2, "alice", PW, "").await;
    let set = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("gatehouse_session"))
        .unwrap();
    assert!(set.contains("Domain=gate.localhost;"), "{set}");
}
