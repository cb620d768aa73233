//! Login: the form, the POST, uniform failures, `rd` handling, argon2 storage, timing.

use crate::harness::*;
use crate::totp_util::{page, post};

#[tokio::test]
async fn login_then_proxy_with_identity_headers_on_both_stores() {
    for store in [Store::Memory, Store::Redis] {
        let app = TestApp::spawn(Opts::with(store, "")).await;
        app.add_user("alice", PW, &["users"]).await;
        let mut b = app.login("alice", PW).await;
        let resp = b.send(app.get("app.gate.localhost", "/hello?x=1")).await;
        assert_eq!(resp.status(), 200, "{store:?}");
        let seen = app.echo.last();
        assert_eq!(seen.uri, "/hello?x=1");
        assert_eq!(seen.one("remote-user"), Some("alice"));
        assert_eq!(seen.one("remote-groups"), Some("users"));
        assert_eq!(seen.one("remote-email"), Some("alice@example.test"));
        assert_eq!(seen.one("remote-name"), Some("alice"));
    }
}

/// `html` without the values of its CSRF fields (the login form's and the language picker's).
fn strip_csrf(html: &str) -> String {
    let mut out = html.to_owned();
    while let Some(i) = out.find("name=\"csrf\" value=\"") {
        let rest = &out[i + 19..];
        let end = rest.find('"').unwrap();
        out = format!("{}{}", &out[..i], &rest[end..]);
    }
    out
}

/// The login page is kept once rendered and filled per answer (src/http/page_cache.rs): every
/// browser still gets a page of its own token, which signs it in and no other browser.
#[tokio::test]
async fn a_kept_login_page_gives_each_browser_its_own_token() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let mut b = app.browser();
        let resp = b
            .send(app.get(&app.portal_host, &app.portal("/login")))
            .await;
        assert_eq!(resp.status(), 200);
        let html = resp.text().await.unwrap();
        seen.push((b, extract_csrf(&html), strip_csrf(&html)));
    }
    let tokens: std::collections::BTreeSet<_> = seen.iter().map(|(_, t, _)| t.clone()).collect();
    assert_eq!(tokens.len(), 5, "every page has its own token");
    assert!(
        seen.iter().all(|(_, _, page)| *page == seen[0].2),
        "the pages differ only in their tokens"
    );
    // The last browser's token in the first browser's form is refused.
    let (first, last) = (seen[0].0.cookie_header(), seen[4].1.clone());
    let swapped = app
        .login_request("alice", PW, &last, "")
        .header("cookie", first)
        .send()
        .await
        .unwrap();
    // Refused as an expired form: back to the login page, and no session.
    let location = swapped
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        location.contains("expired=1"),
        "a token from another page signs nobody in: {location:?}"
    );
    let session = swapped.headers().get_all("set-cookie").iter().any(|c| {
        let c = c.to_str().unwrap_or_default();
        c.contains("gatehouse_session=") && !c.contains("gatehouse_session=;")
    });
    assert!(!session, "no session for a swapped token");
    for (mut b, token, _) in seen.into_iter().skip(2) {
        let resp = b.send(app.login_request("alice", PW, &token, "")).await;
        assert_eq!(
            resp.status(),
            303,
            "a kept page's own token signs its browser in"
        );
        assert!(b.session(&app).is_some());
    }
}

#[tokio::test]
async fn the_form_works_with_password_managers() {
    let app = TestApp::spawn(Opts::default()).await;
    let html = app
        .get(&app.portal_host, "/login")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("type=\"password\""));
    assert!(html.contains("autocomplete=\"current-password\""));
    // `webauthn` after `username` lets the browser offer passkeys in the same field.
    assert!(html.contains("autocomplete=\"username webauthn\""));
    assert!(!html.to_lowercase().contains("onpaste"));
    assert!(!html.contains("maxlength=\"64\" name=\"password\""));
}

#[tokio::test]
async fn every_failure_looks_the_same() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("bob", PW, &[]).await;
    app.add_user("dora", PW, &[]).await;
    app.app
        .state()
        .admin
        .set_disabled(
            "dora",
            true,
            &gatehouse::service::users::Actor::Operator,
            app.now(),
        )
        .await
        .unwrap();
    let mut answers = Vec::new();
    for (user, pw) in [
        ("nosuch", PW),
        ("bob", "wrong password, long enough"),
        ("dora", PW),
    ] {
        let mut b = app.browser();
        let resp = app.post_login(&mut b, user, pw, "").await;
        let status = resp.status();
        let cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let body = strip_csrf(&resp.text().await.unwrap());
        assert_eq!(status, 401, "{user}");
        assert!(body.contains("Invalid username or password."));
        assert!(cookies.is_empty(), "{user} got cookies {cookies:?}");
        answers.push(body);
    }
    // The form keeps what was typed; apart from that echo, the three answers are one.
    let unechoed: Vec<String> = answers
        .iter()
        .zip(["nosuch", "bob", "dora"])
        .map(|(a, typed)| a.replace(&format!("value=\"{typed}\""), "value=\"\""))
        .collect();
    assert_eq!(unechoed[0], unechoed[1]);
    assert_eq!(unechoed[1], unechoed[2]);

    // The same name typed while the account does not exist, with a wrong password, and while
    // it is disabled: byte for byte the same page.
    let mut same = Vec::new();
    for step in 0..3 {
        match step {
            1 => {
                app.add_user("carol", PW, &[]).await;
            }
            2 => {
                let state = app.app.state();
                let operator = &gatehouse::service::users::Actor::Operator;
                state
                    .admin
                    .set_disabled("carol", true, operator, app.now())
                    .await
                    .unwrap();
            }
            _ => {}
        }
        let pw = if step == 1 {
            "wrong password, long enough"
        } else {
            PW
        };
        let mut b = app.browser();
        let resp = app.post_login(&mut b, "carol", pw, "").await;
        assert_eq!(resp.status(), 401, "step {step}");
        same.push(strip_csrf(&resp.text().await.unwrap()));
    }
    assert_eq!(same[0], same[1]);
    assert_eq!(same[1], same[2]);
}

#[tokio::test]
async fn a_wrong_password_keeps_the_username_and_focuses_the_password() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("bob", PW, &[]).await;
    let html = app
        .get(&app.portal_host, "/login")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"id="username" name="username" type="text" value="""#),
        "{html}"
    );
    assert!(field(&html, "username").contains("autofocus"), "{html}");
    assert!(!field(&html, "password").contains("autofocus"), "{html}");

    let mut b = app.browser();
    let resp = app
        .post_login(&mut b, "Bob<x>", "wrong password, long enough", "")
        .await;
    assert_eq!(resp.status(), 401);
    let html = resp.text().await.unwrap();
    // Kept, escaped, and the focus moves on to the password.
    assert!(
        field(&html, "username").contains(r#"value="Bob&lt;x&gt;""#),
        "{html}"
    );
    assert!(!field(&html, "username").contains("autofocus"), "{html}");
    assert!(field(&html, "password").contains("autofocus"), "{html}");
    assert!(field(&html, "password").contains("type=\"password\""));
    assert!(
        !field(&html, "password").contains("value="),
        "a password is never echoed"
    );
}

/// The `<input>` tag of the field with id `id`.
fn field<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<input id=\"{id}\"")).unwrap();
    let end = start + html[start..].find('>').unwrap();
    &html[start..=end]
}

#[tokio::test]
async fn hashes_are_argon2id_at_the_owasp_floor_and_salted() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    app.add_user("bob", PW, &[]).await;
    let a = app.user("alice").await.password_hash;
    let b = app.user("bob").await.password_hash;
    assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
    assert_ne!(a, b, "equal passwords must hash differently");
}

#[tokio::test]
async fn weak_hashes_are_upgraded_at_login() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let users = &app.app.state().users;
    let alice = app.user("alice").await;
    let weak = gatehouse::domain::password::hash(
        PW,
        &gatehouse::domain::password::HashParams {
            memory_kib: 7168,
            iterations: 5,
            parallelism: 1,
        },
        None,
    )
    .unwrap();
    users
        .rehash_password(alice.id, &alice.password_hash, &weak, 0)
        .await
        .unwrap();
    assert!(
        users
            .get(alice.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .contains("m=7168,t=5")
    );
    app.login("alice", PW).await;
    let now = users.get(alice.id).await.unwrap().unwrap().password_hash;
    assert!(now.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{now}");
}

#[tokio::test]
async fn passwords_are_whole_unicode_normalised_and_usernames_case_folded() {
    let app = TestApp::spawn(Opts::default()).await;
    // 80 characters; its first 72 alone must not open the account (no bcrypt-style cut).
    let long: String = "lantern orchard velvet quarry "
        .repeat(3)
        .chars()
        .take(80)
        .collect();
    app.add_user("long", &long, &[]).await;
    let mut b = app.browser();
    assert_eq!(
        app.post_login(&mut b, "long", &long[..72], "")
            .await
            .status(),
        401
    );
    app.login("long", &long).await;

    app.add_user("uni", "caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e", &[])
        .await;
    app.login("uni", "cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e")
        .await;

    app.add_user("alice", PW, &[]).await;
    for variant in ["Alice", "ALICE", " alice "] {
        app.login(variant, PW).await;
    }
}

#[tokio::test]
async fn credentials_in_the_query_string_never_authenticate() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.browser();
    let resp = b
        .send(app.get(
            &app.portal_host,
            &format!("/login?username=alice&password={}", PW.replace(' ', "+")),
        ))
        .await;
    assert_eq!(resp.status(), 200);
    assert!(b.session(&app).is_none());
}

#[tokio::test]
async fn posts_without_a_valid_csrf_token_or_from_other_sites_are_refused() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    // Browser::send adds the browser's cookies.
    let post = |_: &Browser, token: &str| {
        app.req(reqwest::Method::POST, &app.portal_host, "/login")
            .form(&[("username", "alice"), ("password", PW), ("csrf", token)])
    };
    // No token, no cookie: the form again, with a fresh token and a word on why.
    let mut b = app.browser();
    let resp = b.send(post(&b.clone(), "")).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login?expired=1");
    assert!(b.session(&app).is_none());
    let resp = b.send(app.get(&app.portal_host, "/login?expired=1")).await;
    let html = resp.text().await.unwrap();
    assert!(html.contains("This form had expired"), "{html}");
    let fresh = extract_csrf(&html);
    assert_eq!(
        b.send(post(&b.clone(), &fresh)).await.status(),
        303,
        "the fresh form works"
    );
    // A real token, but from another browser's cookie.
    let mut other = app.browser();
    let token = app.login_form(&mut other).await;
    let mut mine = app.browser();
    app.login_form(&mut mine).await;
    assert_eq!(mine.send(post(&mine.clone(), &token)).await.status(), 303);
    assert!(mine.session(&app).is_none());
    // The right token sent cross-site.
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    assert_eq!(
        b.send(post(&b.clone(), &token).header("sec-fetch-site", "cross-site"))
            .await
            .status(),
        303
    );
    assert_eq!(
        b.send(post(&b.clone(), &token).header("origin", "https://evil.example"))
            .await
            .status(),
        303
    );
    assert!(b.session(&app).is_none());
    // The same token, same-origin, works.
    let origin = format!("http://{}:{}", app.portal_host, app.port);
    let resp = b
        .send(
            post(&b.clone(), &token)
                .header("origin", origin)
                .header("sec-fetch-site", "same-origin"),
        )
        .await;
    assert_eq!(resp.status(), 303);
    // A GET of the sign-out URL from anything but the same site only asks: it changes nothing.
    let mut b = app.login("alice", PW).await;
    let resp = b.send(app.get(&app.portal_host, "/logout")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("Sign out?"));
    assert!(b.session(&app).is_some());
    assert_eq!(
        b.send(app.get("app.gate.localhost", "/")).await.status(),
        200
    );
}

#[tokio::test]
async fn return_urls_are_validated() {
    let app = TestApp::spawn(Opts::default()).await;
    app.add_user("alice", PW, &[]).await;
    let default = format!("http://auth.gate.localhost:{}/", app.port);
    let good = format!("http://app.gate.localhost:{}/page?q=1", app.port);
    let mut b = app.browser();
    let resp = app.post_login(&mut b, "alice", PW, &good).await;
    assert_eq!(resp.headers()["location"], good.as_str());
    let mut b = app.browser();
    assert_eq!(
        app.post_login(&mut b, "alice", PW, "/welcome")
            .await
            .headers()["location"],
        "/welcome"
    );
    for hostile in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "https://app.gate.localhost.evil.example/",
        "https://evil.example#@app.gate.localhost",
        "https://app.gate.localhost@evil.example/",
        "javascript:alert(1)",
        "data:text/html,hi",
        "/\t/evil.example",
        "http://app.gate.localhost\\@evil.example/",
    ] {
        let mut b = app.browser();
        let resp = app.post_login(&mut b, "alice", PW, hostile).await;
        assert_eq!(resp.status(), 303, "{hostile}");
        assert_eq!(
            resp.headers()["location"],
            default.as_str(),
            "{hostile} was followed"
        );
    }
}

#[tokio::test]
async fn oversized_forms_are_refused_with_a_page() {
    let app = TestApp::spawn(Opts::default()).await;
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    let huge = "a".repeat(64 * 1024);
    let resp = b
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, "/login")
                .form(&[
                    ("username", "alice"),
                    ("password", huge.as_str()),
                    ("csrf", &token),
                ]),
        )
        .await;
    assert_eq!(resp.status(), 413);
    assert!(resp.text().await.unwrap().contains("too large"));
}

/// Mann–Whitney U test, two-sided p-value by the normal approximation (n ≥ 20 each).
fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<(f64, usize)> = a
        .iter()
        .map(|x| (*x, 0))
        .chain(b.iter().map(|x| (*x, 1)))
        .collect();
    all.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap());
    let mut ranks = vec![0.0; all.len()];
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for k in ranks.iter_mut().take(j + 1).skip(i) {
            *k = r;
        }
        i = j + 1;
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let r1: f64 = all
        .iter()
        .zip(&ranks)
        .filter(|((_, g), _)| *g == 0)
        .map(|(_, r)| r)
        .sum();
    let u = r1 - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let sd = (n1 * n2 * (n1 + n2 + 1.0) / 12.0).sqrt();
    let z = ((u - mean).abs()) / sd;
    // Two-sided p from the standard normal tail (Abramowitz–Stegun 7.1.26 for erfc).
    let t = 1.0 / (1.0 + 0.3275911 * z / std::f64::consts::SQRT_2);
    let poly = t
        * (0.254829592
            + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    poly * (-(z * z) / 2.0).exp()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::test]
async fn unknown_users_cost_the_same_as_known_ones() {
    let overlay = "[throttle]\naccount_failures = 1000\nip_failures = 1000\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay)).await;
    app.add_user("bob", PW, &[]).await;
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    let sample = |user: &'static str| {
        let rb = app
            .req(reqwest::Method::POST, &app.portal_host, "/login")
            .header("cookie", b.cookie_header())
            .form(&[
                ("username", user),
                ("password", "a wrong password, long"),
                ("csrf", token.as_str()),
            ]);
        async move {
            let t = std::time::Instant::now();
            let status = rb.send().await.unwrap().status();
            assert_eq!(status, 401);
            t.elapsed().as_secs_f64() * 1000.0
        }
    };
    let (mut unknown, mut known) = (Vec::new(), Vec::new());
    // Interleave in a random order per pair, so that machine noise (other tests run in
    // parallel) cannot line up with one series.
    for _ in 0..50 {
        let mut coin = [0u8; 1];
        gatehouse::domain::secret::fill_random(&mut coin);
        if coin[0] & 1 == 0 {
            unknown.push(sample("nosuch").await);
            known.push(sample("bob").await);
        } else {
            known.push(sample("bob").await);
            unknown.push(sample("nosuch").await);
        }
    }
    let p = mann_whitney_p(&unknown, &known);
    let (mu, mk) = (median(&mut unknown), median(&mut known));
    let allowed = (mk * 0.10).max(15.0);
    assert!(
        (mu - mk).abs() <= allowed,
        "median unknown {mu:.1} ms vs known {mk:.1} ms (allowed {allowed:.1})"
    );
    assert!(
        p > 0.01,
        "timings differ significantly (p = {p:.4}): unknown {mu:.1} ms, known {mk:.1} ms"
    );
}

#[tokio::test]
async fn a_copied_database_is_useless_without_the_pepper() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let with = format!(
        "[storage]\ndatabase = \"{}\"\n[secrets]\npepper = \"pepper-kept-outside-the-database-0123456789\"\n",
        db.display()
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &with)).await;
    app.add_user("alice", PW, &[]).await;
    app.login("alice", PW).await;
    // The same database file on a gateway without the pepper.
    let without = format!("[storage]\ndatabase = \"{}\"\n", db.display());
    let thief = TestApp::spawn(Opts::with(Store::Memory, &without)).await;
    let mut b = thief.browser();
    assert_eq!(
        thief.post_login(&mut b, "alice", PW, "").await.status(),
        401
    );
}

#[tokio::test]
async fn hashing_is_bounded_and_never_delays_proxied_requests() {
    use std::sync::Arc;
    let overlay = "[password]\nmax_concurrent_hashes = 1\n[throttle]\naccount_failures = 1000\nip_failures = 100000\n";
    let app = Arc::new(TestApp::spawn(Opts::with(Store::Memory, overlay)).await);
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    // Sign-ins go on until the proxied request has been answered, so it is always sent while
    // they queue for the single hashing permit (a storm of a fixed size could end first on a
    // fast machine: most are refused as busy at once).
    let storm = crate::sign_in_storm::SignInStorm::start(&app, 32).await;
    // The permit is taken and sign-ins are being turned away: the pool is full.
    assert!(
        storm.refused(1).await,
        "no sign-in was refused as busy within 30 s: hashing is not bounded"
    );
    // While logins queue for the single hashing permit, a proxied request is answered at once.
    assert_eq!(
        b.send(app.get("app.gate.localhost", "/during-storm"))
            .await
            .status(),
        200
    );
    let statuses = storm.stop().await;
    assert!(
        statuses.iter().all(|s| matches!(s, 401 | 503)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&401),
        "no sign-in was hashed and refused: {statuses:?}"
    );
}

/// A storm's refusals are load shedding working as designed: the refused user gets the form
/// back with a way forward, and the log gets one warning per interval with the count, not an
/// error line per refusal (hundreds a second, written by the serving threads, and alerts).
#[tokio::test]
async fn a_sign_in_refused_as_busy_gets_the_form_back_and_no_error_line() {
    use std::sync::Arc;
    let (audit, _guard) = crate::admin_util::Audit::capture();
    let overlay = "[password]\nmax_concurrent_hashes = 1\n[throttle]\naccount_failures = 1000\nip_failures = 100000\n";
    let app = Arc::new(TestApp::spawn(Opts::with(Store::Memory, overlay)).await);
    let started = std::time::Instant::now();
    let storm = crate::sign_in_storm::SignInStorm::start(&app, 32).await;
    assert!(
        storm.refused(20).await,
        "fewer than 20 sign-ins refused as busy within 30 s"
    );
    let busy = storm.first_busy().expect("a refusal was counted");
    let statuses = storm.stop().await;
    let refused = statuses.iter().filter(|&&s| s == 503).count();
    let elapsed = started.elapsed().as_secs();

    assert_eq!(busy.headers["retry-after"], "3");
    let page = busy.body.replace("&#x2f;", "/");
    assert!(
        page.contains("Many sign-ins are under way right now. Try again in a few seconds."),
        "{page}"
    );
    assert!(
        page.contains(r#"action="/login""#),
        "not the login form: {page}"
    );
    assert!(
        page.contains(&format!(r#"value="{}""#, busy.username)),
        "the typed name is lost: {page}"
    );
    assert!(!extract_csrf(&busy.body).is_empty(), "no fresh token");

    let records: Vec<serde_json::Value> = audit
        .text()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let errors: Vec<_> = records.iter().filter(|r| r["level"] == "ERROR").collect();
    assert!(errors.is_empty(), "error lines for refusals: {errors:?}");
    let warnings: Vec<_> = records
        .iter()
        .filter(|r| {
            r["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("password hashing saturated"))
        })
        .collect();
    assert!(
        !warnings.is_empty() && warnings.len() as u64 <= 1 + elapsed / 10,
        "{} warnings in {elapsed} s for {refused} refusals",
        warnings.len()
    );
    let counted: u64 = warnings.iter().filter_map(|w| w["refused"].as_u64()).sum();
    assert!(
        (1..=refused as u64).contains(&counted),
        "the warnings count {counted} of {refused} refusals"
    );
}

#[tokio::test]
async fn the_login_page_says_when_a_session_has_ended() {
    let overlay = "[session]\nidle_timeout = \"30m\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay).manual_clock()).await;
    app.add_user("alice", PW, &[]).await;
    let notice = "Your session has ended. Sign in again to continue.";
    let login_page = |b: &mut Browser| {
        let req = app.get(&app.portal_host, "/login");
        let mut b = b.clone();
        async move { b.send(req).await.text().await.unwrap() }
    };

    // A browser that never signed in: the plain form.
    assert!(!login_page(&mut app.browser()).await.contains(notice));

    // Idle past the timeout: the cookie is still in the browser, the session is gone.
    let mut b = app.login("alice", PW).await;
    app.advance(31 * 60);
    let resp = b.send(app.get("app.gate.localhost", "/")).await;
    assert_eq!(resp.status(), 302);
    let html = login_page(&mut b).await;
    assert!(
        html.contains(&format!(r#"role="status">{notice}"#)),
        "{html}"
    );
    assert!(
        !html.contains("role=\"alert\""),
        "a notice, not an error: {html}"
    );

    // After signing out here the cookie is gone too: nothing to say.
    let mut b = app.login("alice", PW).await;
    let (_, home) = page(&app, &mut b, "/").await;
    let resp = b
        .send(post(&app, "/logout").form(&[("csrf", extract_csrf(&home).as_str())]))
        .await;
    assert_eq!(resp.status(), 200, "the signed-out page");
    assert!(b.session(&app).is_none());
    assert!(!login_page(&mut b).await.contains(notice));
}

/// "Keep me signed in" (off unless `session.remember_me` is set): a kept session survives idle
/// and absolute timeouts until its own end, and its cookie says so; an ordinary one does not.
#[tokio::test]
async fn keep_me_signed_in_is_opt_in_and_lasts_its_configured_length() {
    // Off by default: no checkbox, and a ticked one sent anyway changes nothing.
    let app = TestApp::spawn(Opts::default()).await;
    let (_, html) = page(&app, &mut app.browser(), "/login").await;
    assert!(!html.contains("name=\"remember\""), "{html}");

    let overlay =
        "[session]\nidle_timeout = \"30m\"\nabsolute_timeout = \"12h\"\nremember_me = \"30d\"\n";
    let app = TestApp::spawn(Opts::with(Store::Memory, overlay).manual_clock()).await;
    app.add_user("alice", PW, &["users"]).await;
    let mut kept = app.browser();
    let token = app.login_form(&mut kept).await;
    let (_, html) = page(&app, &mut app.browser(), "/login").await;
    assert!(
        html.contains("Keep me signed in on this device for 30 days"),
        "{html}"
    );
    let resp = kept
        .send(post(&app, "/login").form(&[
            ("username", "alice"),
            ("password", PW),
            ("remember", "1"),
            ("csrf", token.as_str()),
        ]))
        .await;
    assert_eq!(resp.status(), 303);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("gatehouse_session="))
        .unwrap();
    assert!(cookie.contains("Max-Age=2592000;"), "{cookie}");
    let mut plain = app.login("alice", PW).await;

    // Two days idle: only the kept session is alive.
    app.advance(2 * 86_400);
    assert_eq!(
        kept.send(app.get("app.gate.localhost", "/")).await.status(),
        200
    );
    assert_eq!(
        plain
            .send(app.get("app.gate.localhost", "/"))
            .await
            .status(),
        302
    );
    // It still ends: at 30 days from its start, however active.
    app.advance(28 * 86_400 - 60);
    assert_eq!(
        kept.send(app.get("app.gate.localhost", "/")).await.status(),
        200
    );
    app.advance(60);
    assert_eq!(
        kept.send(app.get("app.gate.localhost", "/")).await.status(),
        302
    );
}
