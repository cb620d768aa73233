//! The Prometheus listener: scraped over HTTP, its counters move by what the requests did;
//! it is off by default, never on the public listener, and a bad address is refused.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::*;
use crate::totp_util::*;

const METRICS_ON: &str = "[metrics]\nlisten = \"127.0.0.1:0\"\n[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n[throttle]\naccount_failures = 2\n";

/// One scrape: every sample line by its name and labels (`name{a="b"}`).
async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let addr = app
        .metrics_addr()
        .expect("the metrics listener is not running");
    let resp = app
        .client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let text = resp.text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_owned(), v.parse::<f64>().unwrap())
        })
        .collect()
}

fn moved(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>, key: &str) -> f64 {
    let get = |m: &BTreeMap<String, f64>| {
        *m.get(key)
            .unwrap_or_else(|| panic!("no sample {key} in {:#?}", m.keys().collect::<Vec<_>>()))
    };
    get(after) - get(before)
}

fn requests(class: &str, decision: &str) -> String {
    format!("gatehouse_requests_total{{class=\"{class}\",decision=\"{decision}\"}}")
}

/// A forward-auth call (nginx dialect) for `url`, with `cookie` when given.
async fn forward_auth(app: &TestApp, url: &str, cookie: Option<String>) -> u16 {
    let mut rb = app
        .client
        .get(app.url("/api/authz/auth-request"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("x-original-method", "GET")
        .header("x-original-url", url.replace("PORT", &app.port.to_string()));
    if let Some(c) = cookie {
        rb = rb.header("cookie", c);
    }
    rb.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn proxy_and_forward_auth_requests_count_by_class_and_decision() {
    let overlay = format!(
        "{METRICS_ON}[[sites]]\nhost = \"down.gate.localhost\"\nupstream = \"http://127.0.0.1:1\"\n[[sites]]\nhost = \"*.gate.localhost\"\nupstream = \"http://{{echo}}\"\n"
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &["users"]).await;
    let alice = app.login("alice", PW).await;
    let before = scrape(&app).await;

    let status = |r: reqwest::Response| r.status().as_u16();
    // Proxy: allow (a bypass rule), login (anonymous), deny (a deny rule), error (the
    // upstream is down), allow with a session.
    assert_eq!(
        status(app.get("public.gate.localhost", "/").send().await.unwrap()),
        200
    );
    assert_eq!(
        status(
            app.get("app.gate.localhost", "/private")
                .send()
                .await
                .unwrap()
        ),
        302
    );
    assert_eq!(
        status(
            app.get("app.gate.localhost", "/admin")
                .send()
                .await
                .unwrap()
        ),
        403
    );
    let cookie = alice.cookie_header();
    let down = app
        .get("down.gate.localhost", "/")
        .header("cookie", &cookie);
    assert_eq!(status(down.send().await.unwrap()), 502);
    let signed_in = app
        .get("app.gate.localhost", "/x")
        .header("cookie", &cookie);
    assert_eq!(status(signed_in.send().await.unwrap()), 200);
    // Forward-auth: allow, login, deny.
    let fa = |path: &str| format!("http://app.gate.localhost:PORT{path}");
    assert_eq!(
        forward_auth(&app, &fa("/private"), Some(cookie.clone())).await,
        200
    );
    assert_eq!(forward_auth(&app, &fa("/private"), None).await, 401);
    assert_eq!(forward_auth(&app, &fa("/admin"), None).await, 403);
    assert_eq!(forward_auth(&app, &fa("/other"), None).await, 401);

    let after = scrape(&app).await;
    for (class, decision, n) in [
        ("proxy", "allow", 2.0),
        ("proxy", "login", 1.0),
        ("proxy", "deny", 1.0),
        ("proxy", "error", 1.0),
        ("forward_auth", "allow", 1.0),
        ("forward_auth", "login", 2.0),
        ("forward_auth", "deny", 1.0),
        ("forward_auth", "error", 0.0),
        ("portal", "allow", 0.0),
    ] {
        let key = requests(class, decision);
        assert_eq!(moved(&before, &after, &key), n, "{key}");
    }
    let count =
        |class: &str| format!("gatehouse_request_duration_seconds_count{{class=\"{class}\"}}");
    assert_eq!(moved(&before, &after, &count("proxy")), 5.0);
    assert_eq!(moved(&before, &after, &count("forward_auth")), 4.0);
    let unreachable = "gatehouse_upstream_errors_total{kind=\"unreachable\"}";
    assert_eq!(moved(&before, &after, unreachable), 1.0);
    // The signed-in requests read the session store; one session is held.
    let store_calls = "gatehouse_store_duration_seconds_count{store=\"sessions\"}";
    assert!(moved(&before, &after, store_calls) >= 3.0);
    assert_eq!(after["gatehouse_active_sessions"], 1.0);
    assert_eq!(after["gatehouse_hash_queue_depth"], 0.0);
}

#[tokio::test]
async fn sign_ins_codes_and_bans_are_counted() {
    let app = TestApp::spawn(Opts::with(Store::Memory, METRICS_ON)).await;
    app.add_user("alice", PW, &["users"]).await;
    app.add_user("bob", PW, &["users"]).await;
    app.add_user("carol", PW, &["users"]).await;
    let enrolled = enroll(&app, "carol").await;
    let before = scrape(&app).await;

    app.login("alice", PW).await;
    // Two wrong passwords ban bob's account (`account_failures = 2`); the third attempt,
    // with the right password, is refused unchecked.
    for _ in 0..2 {
        let resp = app
            .post_login(&mut app.browser(), "bob", "wrong password 12345", "")
            .await;
        assert_eq!(
            resp.status(),
            401,
            "{}",
            resp.text().await.unwrap_or_default()
        );
    }
    let refused = app.post_login(&mut app.browser(), "bob", PW, "").await;
    assert_eq!(refused.status(), 429);
    // carol: the password step, then a wrong code.
    let mut b = app.browser();
    password_step(&app, &mut b, "carol", "").await;
    let wrong = if oathtool_at(&enrolled.secret, app.now()) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let resp = code_step(&app, &mut b, wrong, false, "").await;
    assert_ne!(resp.status(), 303, "a wrong code was accepted");

    let after = scrape(&app).await;
    let outcome = |name: &str, o: &str| format!("gatehouse_{name}_total{{outcome=\"{o}\"}}");
    for (name, o, n) in [
        ("sign_ins", "success", 1.0),
        ("sign_ins", "failed", 2.0),
        ("sign_ins", "refused", 1.0),
        ("sign_ins", "second_factor", 1.0),
        ("sign_ins", "error", 0.0),
        ("two_factor", "failed", 1.0),
        ("two_factor", "success", 0.0),
    ] {
        let key = outcome(name, o);
        assert_eq!(moved(&before, &after, &key), n, "{key}");
    }
    assert_eq!(moved(&before, &after, "gatehouse_bans_total"), 1.0);
    // Every step went through the portal; the user store was read for each password.
    assert!(moved(&before, &after, &requests("portal", "allow")) >= 4.0);
    let users = "gatehouse_store_duration_seconds_count{store=\"users\"}";
    assert!(moved(&before, &after, users) >= 4.0);
}

/// A sign-in takes its hashing permit before its account is looked up: during a storm on one
/// permit, the user store is read once per evaluated attempt (a 401) and never for an attempt
/// refused as busy (a 503), so a storm's refusals cost no query.
#[tokio::test]
async fn a_sign_in_refused_as_busy_costs_no_account_look_up() {
    let overlay = "[metrics]\nlisten = \"127.0.0.1:0\"\n[password]\nmax_concurrent_hashes = 1\n[throttle]\naccount_failures = 1000\nip_failures = 100000\n";
    let app = std::sync::Arc::new(TestApp::spawn(Opts::with(Store::Memory, overlay)).await);
    let before = scrape(&app).await;
    let storm = crate::sign_in_storm::SignInStorm::start(&app, 16).await;
    let refused = storm.refused(20).await;
    let statuses = storm.stop().await;
    assert!(
        refused,
        "fewer than 20 sign-ins refused as busy within 30 s"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 503)),
        "{statuses:?}"
    );
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    assert!(evaluated > 0, "no sign-in was evaluated: {statuses:?}");
    let after = scrape(&app).await;
    let users = "gatehouse_store_duration_seconds_count{store=\"users\"}";
    assert_eq!(
        moved(&before, &after, users),
        evaluated as f64,
        "user store reads against evaluated sign-ins ({} refused as busy)",
        statuses.len() - evaluated
    );
}

#[tokio::test]
async fn metrics_are_off_by_default() {
    let app = TestApp::spawn(Opts::default()).await;
    assert!(
        app.metrics_addr().is_none(),
        "a metrics listener without metrics.listen"
    );
    assert!(app.app.state().config.metrics.listen.is_none());
    assert!(app.app.state().meter.metrics().is_none());
}

#[tokio::test]
async fn the_public_listener_serves_no_metrics() {
    let app = TestApp::spawn(Opts::with(Store::Memory, METRICS_ON)).await;
    // By address: no site serves the host, so the unknown-host page (421, misdirected).
    let resp = app
        .client
        .get(app.url("/metrics"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 421);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("gatehouse_requests_total"), "{body}");
    // On a site: a path like any other, behind the rules.
    let resp = app
        .get("app.gate.localhost", "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    // On the portal host: not a portal page.
    let resp = app.get(&app.portal_host, "/metrics").send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("gatehouse_requests_total"), "{body}");
    // And the metrics listener serves nothing but /metrics.
    let addr = app.metrics_addr().unwrap();
    let other = app
        .client
        .get(format!("http://{addr}/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[test]
fn a_bad_metrics_address_is_refused_with_its_key() {
    const BASE: &str = "[portal]\nurl = \"https://auth.example.com\"\n[session]\ndomain = \"example.com\"\n[server]\nlisten = [\"0.0.0.0:9091\"]\n[[sites]]\nhost = \"app.example.com\"\nupstream = \"http://127.0.0.1:8080\"\n";
    let load = |extra: &str| {
        gatehouse::config::load_str(
            &format!("{BASE}{extra}"),
            Path::new("/tmp"),
            std::iter::empty(),
        )
    };
    for (value, says) in [
        ("localhost:9464", "is not an address"),
        ("127.0.0.1", "is not an address"),
        ("127.0.0.1:9091", "is also a server.listen address"),
    ] {
        let problems = load(&format!("[metrics]\nlisten = \"{value}\"\n"))
            .expect_err("a bad metrics.listen was accepted");
        let p = problems
            .iter()
            .find(|p| p.key == "metrics.listen")
            .unwrap_or_else(|| panic!("no metrics.listen problem for {value}: {problems:#?}"));
        assert!(p.message.contains(says), "{value}: {p}");
        assert!(p.hint.contains("9464"), "{p}");
    }
    let unknown = load("[metrics]\nport = 9464\n").expect_err("an unknown key was accepted");
    assert!(
        unknown.iter().any(|p| p.key.contains("metrics.port")),
        "{unknown:#?}"
    );
    let ok = load("[metrics]\nlisten = \"127.0.0.1:9464\"\n").unwrap();
    assert_eq!(ok.metrics.listen, Some("127.0.0.1:9464".parse().unwrap()));
}

#[tokio::test]
async fn a_redis_session_store_exports_no_session_count() {
    let app = TestApp::spawn(Opts::with(Store::Redis, METRICS_ON)).await;
    app.add_user("alice", PW, &["users"]).await;
    app.login("alice", PW).await;
    let samples = scrape(&app).await;
    // Redis cannot count one prefix's sessions cheaply: no number rather than a wrong one.
    assert!(
        !samples.contains_key("gatehouse_active_sessions"),
        "{samples:#?}"
    );
    let sessions = "gatehouse_store_duration_seconds_count{store=\"sessions\"}";
    assert!(samples[sessions] >= 1.0, "{samples:#?}");
}
