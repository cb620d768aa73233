//! Several instances (README "Running several instances"): two real `gatehouse serve`
//! processes on one Redis and one PostgreSQL database behind a real nginx round-robin
//! (`cluster.rs`). A session made on one is valid on the other; ending it on either ends it on
//! both within the invalidation bound of docs/security.md#session-cache; a TOTP code works
//! once over both; the throttle counts over both; and restarting each in turn under load loses
//! no request at nginx and no session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gatehouse::domain::session::SessionId;

use crate::cluster::*;
use crate::harness::*;
use crate::totp_util::{between, oathtool_at, unix_now};

/// What docs/security.md#session-cache promises: another instance stops honouring an ended
/// session within 100 ms (the instance that ended it, before it answers).
const BOUND: Duration = Duration::from_millis(100);

/// Polls `port` every few ms until it refuses the browser's session (login redirect); fails
/// past `BOUND` from `since`.
async fn ended_within_bound(
    c: &Cluster,
    port: u16,
    b: &Browser,
    user: &str,
    since: Instant,
    what: &str,
) {
    loop {
        if c.app_status(port, b, user).await != 200 {
            return;
        }
        let spent = since.elapsed();
        assert!(
            spent < BOUND,
            "{what}: port {port} still served the session {spent:?} after the change"
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

/// The upstream address of every request nginx logged.
fn upstreams(c: &Cluster) -> Vec<String> {
    c.nginx
        .logs()
        .lines()
        .filter_map(|l| l.split(' ').nth(1).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_session_made_on_one_instance_is_valid_on_the_other_and_through_nginx() {
    let c = Cluster::start("", &[("alice", &[])]).await;
    let (a, b, n) = (c.a.port, c.b.port, c.nginx.port);
    // Signed in on A, used on B, then through nginx, which takes turns.
    let on_a = c.login(a, "alice").await;
    assert_eq!(
        c.app_status(b, &on_a, "alice").await,
        200,
        "A's session on B"
    );
    for _ in 0..4 {
        assert_eq!(
            c.app_status(n, &on_a, "alice").await,
            200,
            "A's session through nginx"
        );
    }
    let used = upstreams(&c);
    for port in [a, b] {
        let addr = format!("127.0.0.1:{port}");
        assert!(used.contains(&addr), "nginx never used {addr}: {used:?}");
    }
    // Signed in through nginx (the form on one instance, the POST perhaps on the other).
    let via_nginx = c.login(n, "alice").await;
    assert_eq!(
        c.app_status(a, &via_nginx, "alice").await,
        200,
        "nginx's session on A"
    );
    assert_eq!(
        c.app_status(b, &via_nginx, "alice").await,
        200,
        "nginx's session on B"
    );
    // Signed in on B, used on A.
    let on_b = c.login(b, "alice").await;
    assert_eq!(
        c.app_status(a, &on_b, "alice").await,
        200,
        "B's session on A"
    );
}

/// Signs `user` in on `port` and resolves the session on `other` twice (so `other` holds it in
/// its local cache, which only an invalidation can drop within the bound).
async fn cached_session(c: &Cluster, port: u16, other: u16, user: &str) -> Browser {
    let b = c.login(port, user).await;
    for _ in 0..2 {
        assert_eq!(
            c.app_status(other, &b, user).await,
            200,
            "{user} on {other}"
        );
    }
    b
}

#[tokio::test]
async fn ending_a_session_on_either_instance_ends_it_on_both_at_once() {
    let users: &[(&str, &[&str])] = &[
        ("alice", &[]),
        ("bob", &[]),
        ("carol", &[]),
        ("dave", &[]),
        ("root", &["admins"]),
    ];
    let c = Cluster::start("", users).await;
    let (a, b) = (c.a.port, c.b.port);

    // Sign-out on A ends the session on B.
    let mut s = cached_session(&c, a, b, "alice").await;
    let cleared_copy = s.clone();
    let resp = c.act(a, &mut s, "/account", "/logout", &[("rd", "")]).await;
    assert_eq!(resp.status(), 200, "sign-out (the signed-out page)");
    assert!(session(&s).is_none(), "the session cookie was not cleared");
    // The cookie as the browser held it before, as a thief who copied it would present it.
    s = cleared_copy;
    ended_within_bound(&c, b, &s, "alice", Instant::now(), "sign-out on A").await;

    // A password change on B ends the user's other sessions on A.
    let other = cached_session(&c, b, a, "bob").await;
    let mut me = c.login(b, "bob").await;
    let new = "another horse battery staple";
    let form = [("current", PW), ("new", new), ("confirm", new)];
    let resp = c
        .act(b, &mut me, "/account/password", "/account/password", &form)
        .await;
    assert_eq!(resp.status(), 303, "password change");
    ended_within_bound(&c, a, &other, "bob", Instant::now(), "password change on B").await;
    assert_eq!(
        c.app_status(a, &me, "bob").await,
        200,
        "the changing session goes on"
    );

    // An administrator's disable on A ends the user's sessions on B.
    let s = cached_session(&c, b, b, "carol").await;
    let mut root = c.login(a, "root").await;
    let resp = c
        .act(a, &mut root, "/account", "/admin/users/carol/disable", &[])
        .await;
    assert_eq!(resp.status(), 303, "disable");
    ended_within_bound(&c, b, &s, "carol", Instant::now(), "disable on A").await;

    // Revoking one session from the account's session list on B ends it on A.
    let s = cached_session(&c, a, a, "dave").await;
    let mut me = c.login(b, "dave").await;
    let key = SessionId::parse(&session(&s).unwrap())
        .unwrap()
        .key()
        .as_str()
        .to_owned();
    let form = [("session", key.as_str())];
    let resp = c
        .act(
            b,
            &mut me,
            "/account/sessions",
            "/account/sessions/revoke",
            &form,
        )
        .await;
    assert_eq!(resp.status(), 303, "revoke");
    ended_within_bound(&c, a, &s, "dave", Instant::now(), "revoke on B").await;
    assert_eq!(
        c.app_status(a, &me, "dave").await,
        200,
        "the other session goes on"
    );
}

#[tokio::test]
async fn a_totp_code_used_on_one_instance_is_refused_on_the_other() {
    let c = Cluster::start("", &[("alice", &[])]).await;
    let (a, b) = (c.a.port, c.b.port);
    // Two-factor on, through the account pages on A (oathtool computes the codes).
    let mut me = c.login(a, "alice").await;
    let (status, html) = c.page(a, &mut me, "/account/2fa/enable").await;
    assert_eq!(status, 200, "{html}");
    let secret: String = between(&html, "id=\"totp-secret\">", "<")
        .split_whitespace()
        .collect();
    let enrolled_at = unix_now();
    let code = oathtool_at(&secret, enrolled_at);
    // The secret belongs to this page's form: post with its own CSRF token.
    let csrf = extract_csrf(&html);
    let form = [("code", code.as_str()), ("csrf", &csrf)];
    let post = c.req(a, reqwest::Method::POST, PORTAL, "/account/2fa/enable");
    let resp = me.send(post.form(&form)).await;
    assert_eq!(resp.status(), 200, "enrolment");
    // The step after enrolment's (accepted as one step of drift), so no wait for the clock.
    let code = oathtool_at(&secret, enrolled_at + 30);
    let (mut one, mut two) = (
        Browser {
            cookies: Default::default(),
        },
        Browser {
            cookies: Default::default(),
        },
    );
    for (port, browser) in [(a, &mut one), (b, &mut two)] {
        let resp = c.post_login(port, browser, "alice", PW).await;
        assert_eq!(resp.status(), 303, "password step on {port}");
        assert!(session(browser).is_none(), "a session before the code");
    }
    let resp = c
        .act(a, &mut one, "/login/2fa", "/login/2fa", &[("code", &code)])
        .await;
    assert_eq!(resp.status(), 303, "the code on A");
    assert!(session(&one).is_some());
    let resp = c
        .act(b, &mut two, "/login/2fa", "/login/2fa", &[("code", &code)])
        .await;
    assert_eq!(resp.status(), 401, "the same code again on B");
    assert!(resp.text().await.unwrap().contains("Invalid code."));
    assert!(session(&two).is_none(), "B signed the replay in");
}

/// A failed login POST on `port` from `ip` (the test client is a trusted proxy); its status.
async fn failure(c: &Cluster, port: u16, user: &str, ip: &str) -> u16 {
    let mut b = Browser {
        cookies: Default::default(),
    };
    let (_, html) = c.page(port, &mut b, "/login").await;
    let csrf = extract_csrf(&html);
    let form = [
        ("username", user),
        ("password", "not the password at all"),
        ("csrf", &csrf),
    ];
    b.send(
        c.req(port, reqwest::Method::POST, PORTAL, "/login")
            .header("x-forwarded-for", ip)
            .form(&form),
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn failures_spread_over_both_instances_ban_the_address_as_on_one() {
    let limits = "[throttle]\nip_failures = 6\nip_ban = \"1m\"\naccount_failures = 1000\n";
    let c = Cluster::start(limits, &[]).await;
    let (a, b) = (c.a.port, c.b.port);
    let ip = "198.51.100.7";
    let mut statuses = Vec::new();
    for i in 0..6 {
        let port = if i % 2 == 0 { a } else { b };
        statuses.push(failure(&c, port, &format!("guess{i}"), ip).await);
    }
    for port in [a, b] {
        statuses.push(failure(&c, port, "one-more", ip).await);
    }
    // Six failures (three on each) reach the limit of six: the address is banned on both.
    let mut want = vec![401; 6];
    want.extend([429, 429]);
    assert_eq!(statuses, want, "{}", c.logs());
    // Another address is not.
    assert_eq!(failure(&c, b, "other", "198.51.100.8").await, 401);
}

/// Counts of the load loop.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    not_ok: AtomicU64,
    errors: AtomicU64,
}

/// `clients` loops of GETs and POSTs through nginx with the browser's session until `stop`.
fn load(
    c: &Cluster,
    b: &Browser,
    clients: usize,
    stop: Arc<AtomicBool>,
) -> (Arc<Tally>, Vec<tokio::task::JoinHandle<Vec<String>>>) {
    let tally = Arc::new(Tally::default());
    let url = format!("http://127.0.0.1:{}/private", c.nginx.port);
    let host = format!("{APP}:{}", c.nginx.port);
    let cookie = b.cookie_header();
    let tasks = (0..clients)
        .map(|i| {
            // Half the clients POST: nginx never resends a POST it has sent, so any request the
            // gateway drops during its shutdown shows up as a failure.
            let method = if i % 2 == 0 {
                reqwest::Method::GET
            } else {
                reqwest::Method::POST
            };
            let (tally, stop, url, host, cookie) = (
                tally.clone(),
                stop.clone(),
                url.clone(),
                host.clone(),
                cookie.clone(),
            );
            tokio::spawn(async move {
                // Kept-alive connections to nginx, as browsers hold them.
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(10))
                    .tls_certs_only([])
                    .build()
                    .unwrap();
                let mut problems = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let sent = client
                        .request(method.clone(), &url)
                        .body("field=value")
                        .header("host", &host)
                        .header("cookie", &cookie)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            tally.ok.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(r) => {
                            tally.not_ok.fetch_add(1, Ordering::SeqCst);
                            problems.push(format!("{}", r.status()));
                        }
                        Err(e) => {
                            tally.errors.fetch_add(1, Ordering::SeqCst);
                            problems.push(format!("{e:?}"));
                        }
                    }
                }
                problems
            })
        })
        .collect();
    (tally, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_loses_no_request_and_no_session() {
    let mut c = Cluster::start("", &[("alice", &[])]).await;
    let (a, b, n) = (c.a.port, c.b.port, c.nginx.port);
    let on_a = c.login(a, "alice").await;
    let via_nginx = c.login(n, "alice").await;
    let stop = Arc::new(AtomicBool::new(false));
    let (tally, tasks) = load(&c, &via_nginx, 4, stop.clone());
    let pause = Duration::from_millis(300);
    tokio::time::sleep(pause).await;
    let mut served_before = Vec::new();
    let mut took = Vec::new();
    for which in ["a", "b"] {
        served_before.push(tally.ok.load(Ordering::SeqCst));
        let inst = if which == "a" { &mut c.a } else { &mut c.b };
        let t = Instant::now();
        inst.stop().await;
        let stopped = t.elapsed();
        inst.start().await;
        took.push((which, stopped, t.elapsed()));
        tokio::time::sleep(pause).await;
    }
    stop.store(true, Ordering::SeqCst);
    let mut problems = Vec::new();
    for t in tasks {
        problems.extend(t.await.unwrap());
    }
    let (ok, not_ok, errors) = (
        tally.ok.load(Ordering::SeqCst),
        tally.not_ok.load(Ordering::SeqCst),
        tally.errors.load(Ordering::SeqCst),
    );
    // nginx's access log holds a line per request: the served ones would hide its error log.
    let all = c.logs();
    let logs: Vec<&str> = all.lines().filter(|l| !l.starts_with("200 ")).collect();
    assert_eq!(
        (not_ok, errors),
        (0, 0),
        "{ok} served; failures: {problems:?}\n{}",
        logs.join("\n")
    );
    // The load was real: requests were served in every phase.
    assert!(
        served_before[0] > 0 && served_before[1] > served_before[0] && ok > served_before[1],
        "served {served_before:?} then {ok}"
    );
    // Sessions live in Redis: both outlive the restart of every instance.
    for port in [a, b, n] {
        assert_eq!(
            c.app_status(port, &on_a, "alice").await,
            200,
            "A's session on {port}"
        );
        assert_eq!(
            c.app_status(port, &via_nginx, "alice").await,
            200,
            "nginx's session on {port}"
        );
    }
    let retried = c.nginx.logs().lines().filter(|l| l.contains(", ")).count();
    eprintln!(
        "rolling restart: {ok} requests served through nginx, none failed; {retried} retried on the other instance; (instance, exited, healthy again) after SIGTERM: {took:?}"
    );
}
