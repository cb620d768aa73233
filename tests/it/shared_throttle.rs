//! The throttle shared by instances on one Redis (docs/security.md#throttle-design): failures
//! spread over two gateways count as on one, for the client address and for wrong codes.

use crate::harness::*;
use crate::totp_util::*;

const TRUSTED: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

/// Two gateways on the suite's Redis under one key prefix, B on A's user database; `store`
/// Memory gives each its own in-process stores instead (the contrast).
async fn pair(store: Store, overlay: &str) -> (TestApp, TestApp) {
    let prefix = format!("shared:{}:", gatehouse::domain::secret::random_token(9));
    let redis = match store {
        Store::Redis => format!(
            "[session]\nstore = \"redis\"\n[session.redis]\nurl = \"{}\"\nprefix = \"{prefix}\"\n",
            redis_url()
        ),
        Store::Memory => String::new(),
    };
    let a = TestApp::spawn(Opts::with(Store::Memory, &format!("{overlay}{redis}"))).await;
    // A's own database, whichever store the suite runs on (SQLite file or PostgreSQL).
    let database = match &a.database {
        gatehouse::config::Database::Sqlite(path) => path.display().to_string(),
        gatehouse::config::Database::Postgres(url) => url.expose().to_owned(),
    };
    let shared = format!("{overlay}{redis}[storage]\ndatabase = \"{database}\"\n");
    let b = TestApp::spawn(Opts::with(Store::Memory, &shared)).await;
    (a, b)
}

/// A login POST from `ip` (believed: the test client is a trusted proxy); status and
/// Retry-After.
async fn attempt(app: &TestApp, user: &str, ip: &str) -> (u16, Option<u64>) {
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    let resp = b
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, "/login")
                .header("x-forwarded-for", ip)
                .form(&[
                    ("username", user),
                    ("password", "not the password at all"),
                    ("csrf", token.as_str()),
                ]),
        )
        .await;
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    (resp.status().as_u16(), retry)
}

/// 20 failures from one address, alternating over `apps` (a fresh name each, so only the
/// address's bucket fills), then one more attempt on each app.
async fn twenty_failures_then_one_more(apps: &[&TestApp]) -> Vec<(u16, Option<u64>)> {
    let ip = "198.51.100.7";
    let mut out = Vec::new();
    for i in 0..20 {
        let name = format!("guess{i}");
        out.push(attempt(apps[i % apps.len()], &name, ip).await);
    }
    for app in apps {
        out.push(attempt(app, "one-more", ip).await);
    }
    out
}

const IP_LIMITS: &str = "[throttle]\nip_failures = 20\nip_ban = \"1m\"\naccount_failures = 1000\n";

#[tokio::test]
async fn twenty_failures_over_two_instances_ban_the_ip_once_as_on_one() {
    let overlay = format!("{TRUSTED}{IP_LIMITS}");
    // One instance: the reference.
    let one = TestApp::spawn(Opts::with(Store::Redis, &overlay)).await;
    let alone = twenty_failures_then_one_more(&[&one, &one]).await;
    // Two instances on one Redis.
    let (a, b) = pair(Store::Redis, &overlay).await;
    let shared = twenty_failures_then_one_more(&[&a, &b]).await;
    let statuses = |v: &[(u16, Option<u64>)]| v.iter().map(|(s, _)| *s).collect::<Vec<_>>();
    let mut want = vec![401; 20];
    want.extend([429, 429]);
    assert_eq!(statuses(&alone), want, "one instance");
    assert_eq!(statuses(&shared), want, "two instances on one Redis");
    // Banned once: the first ban (1 min) on both, not a second, doubled one.
    for (status, retry) in &shared[20..] {
        assert_eq!(*status, 429);
        let retry = retry.expect("a Retry-After on the ban");
        assert!((1..=60).contains(&retry), "retry-after {retry}");
    }
    // The contrast: instances with their own in-process throttles give twice the attempts.
    let (a, b) = pair(Store::Memory, &overlay).await;
    let apart = twenty_failures_then_one_more(&[&a, &b]).await;
    assert_eq!(
        statuses(&apart),
        vec![401; 22],
        "in-process throttles are per instance"
    );
}

/// A code that is not the current one (nor a neighbour the window accepts).
fn wrong_code(secret: &str) -> &'static str {
    let near = [-30, 0, 30].map(|d| oathtool(secret, d));
    if near.iter().any(|c| c == "123456") {
        "654321"
    } else {
        "123456"
    }
}

#[tokio::test]
async fn wrong_codes_over_two_instances_ban_the_account_as_on_one() {
    let overlay = format!(
        "{MAIL}[throttle]\naccount_failures = 3\naccount_ban = \"1m\"\nip_failures = 1000\n"
    );
    let (a, b) = pair(Store::Redis, &overlay).await;
    a.add_user("alice", PW, &[]).await;
    let e = enroll(&a, "alice").await;
    let wrong = wrong_code(&e.secret);
    // One pending sign-in, its wrong codes spread over both instances.
    let mut browser = a.browser();
    password_step(&a, &mut browser, "alice", "").await;
    let mut statuses = Vec::new();
    for app in [&a, &b, &a] {
        statuses.push(
            code_step(app, &mut browser, wrong, false, "")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![401, 401, 401]);
    // Three wrong codes ban the account's codes on both: even the right code waits.
    for app in [&b, &a] {
        let right = oathtool(&e.secret, 0);
        let resp = code_step(app, &mut browser, &right, false, "").await;
        assert_eq!(resp.status(), 429, "the ban did not reach every instance");
        assert!(resp.headers().contains_key("retry-after"));
    }
}

#[tokio::test]
async fn a_login_attempt_that_cannot_be_counted_is_refused() {
    let mut redis = PrivateRedis::start().await;
    let overlay = format!(
        "[session]\nstore = \"redis\"\n[session.redis]\nurl = \"{}\"\ntimeout = \"1s\"\n",
        redis.url
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    redis.stop();
    // The throttle is the first thing a login asks: with Redis gone it cannot count the
    // attempt, so the password is never evaluated and the answer is "unavailable".
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
    assert_eq!(resp.status(), 503);
    assert!(b.session(&app).is_none());
}

/// Script calls (`EVALSHA`) Redis has run since its statistics were reset.
async fn script_calls(c: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(c)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next()?.parse().ok())
        .unwrap_or(0)
}

/// A failed sign-in changes the account's and the client's buckets: admitted in one script
/// and settled in one, so no instance ever sees one bucket counted and the other not.
#[tokio::test]
async fn a_sign_in_is_admitted_in_one_step_and_settled_in_one() {
    let redis = PrivateRedis::start().await;
    let overlay = format!(
        "{TRUSTED}{IP_LIMITS}[session]\nstore = \"redis\"\n[session.redis]\nurl = \"{}\"\n",
        redis.url
    );
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    // The first use loads the scripts into Redis.
    assert_eq!(attempt(&app, "warm-up", "192.0.2.1").await.0, 401);
    let mut c = redis_conn(redis.url.as_str()).await.unwrap();
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async::<()>(&mut c)
        .await
        .unwrap();
    assert_eq!(attempt(&app, "someone", "192.0.2.1").await.0, 401);
    assert_eq!(script_calls(&mut c).await, 2, "admission and settlement");
}
