//! Redis stopped under a steady request load, then started again on the same port: protected
//! routes and the forward-auth endpoint answer 503 (never 200 without a check, never a
//! redirect to the sign-in page, which would loop), bypass routes keep working, the portal says
//! the service is temporarily unavailable, and full service is back within 2 s of Redis,
//! without a restart (README, "Running several instances").

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::*;

/// Before the stop, while Redis is away (after the app noticed), after it is back.
const UP: u8 = 0;
const DOWN: u8 = 1;
const BACK: u8 = 2;
/// Sent in one phase and answered in another.
const BETWEEN: u8 = 3;

/// What the portal says while a store is away (the English catalog).
const UNAVAILABLE: &str = "temporarily unavailable";

/// One answer a client saw, and the phase it was sent in.
#[derive(Debug)]
struct Seen {
    what: &'static str,
    phase: u8,
    status: u16,
    remote_user: Option<String>,
    body: String,
}

struct Load {
    app: Arc<TestApp>,
    cookie: String,
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    /// Every answer so far.
    seen: Mutex<Vec<Seen>>,
}

impl Load {
    /// Sends `what` until told to stop, keeping every answer.
    async fn run(self: Arc<Self>, what: &'static str) {
        while !self.stop.load(Ordering::SeqCst) {
            let phase = self.phase.load(Ordering::SeqCst);
            let app = &self.app;
            let rb = match what {
                "protected" => app
                    .get("app.gate.localhost", "/")
                    .header("cookie", &self.cookie),
                "bypass" => app.get("public.gate.localhost", "/"),
                "portal" => app.get(&app.portal_host, &app.portal("/login")),
                "forward-auth" => app
                    .client
                    .get(app.url("/api/authz/auth-request"))
                    .header("host", format!("127.0.0.1:{}", app.port))
                    .header("x-original-method", "GET")
                    .header(
                        "x-original-url",
                        format!("http://app.gate.localhost:{}/", app.port),
                    )
                    .header("x-forwarded-for", "198.51.100.4")
                    .header("cookie", &self.cookie),
                other => unreachable!("{other}"),
            };
            let resp = rb.send().await.unwrap();
            let status = resp.status().as_u16();
            let remote_user = resp
                .headers()
                .get("remote-user")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = resp.text().await.unwrap();
            let phase = if phase == self.phase.load(Ordering::SeqCst) {
                phase
            } else {
                BETWEEN
            };
            self.seen.lock().unwrap().push(Seen {
                what,
                phase,
                status,
                remote_user,
                body,
            });
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits until every kind of request was answered at least 3 times in `phase` (the
    /// machine may be busy: no fixed sleep is long enough).
    async fn answered_in(&self, phase: u8) {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let enough = KINDS.iter().all(|what| {
                let seen = self.seen.lock().unwrap();
                seen.iter()
                    .filter(|s| s.what == *what && s.phase == phase)
                    .count()
                    >= 3
            });
            if enough {
                return;
            }
            assert!(Instant::now() < until, "too few answers in phase {phase}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The kinds of request the clients send.
const KINDS: [&str; 4] = ["protected", "bypass", "portal", "forward-auth"];

const OVERLAY: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n[session]\nstore = \"redis\"\n[session.redis]\nurl = \"{url}\"\ntimeout = \"1s\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_under_load_fails_closed_and_heals_without_a_restart() {
    let mut redis = PrivateRedis::start_persistent().await;
    let overlay = OVERLAY.replace("{url}", &redis.url);
    let app = Arc::new(TestApp::spawn(Opts::with(Store::Memory, &overlay)).await);
    app.add_user("alice", PW, &["users"]).await;
    let cookie = app.login("alice", PW).await.cookie_header();
    let load = Arc::new(Load {
        app: app.clone(),
        cookie,
        phase: Arc::new(AtomicU8::new(UP)),
        stop: Arc::new(AtomicBool::new(false)),
        seen: Mutex::default(),
    });
    let mut clients = Vec::new();
    for what in [
        "protected",
        "protected",
        "protected",
        "bypass",
        "portal",
        "forward-auth",
    ] {
        clients.push(tokio::spawn(load.clone().run(what)));
    }
    load.answered_in(UP).await;

    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    redis.stop();
    app.channel_lost().await;
    load.phase.store(DOWN, Ordering::SeqCst);
    load.answered_in(DOWN).await;
    // The sign-in form posted while Redis is away (the form was fetched before): a page
    // that says so, and no session.
    let resp = b.send(app.login_request("alice", PW, &token, "")).await;
    assert_eq!(resp.status(), 503);
    assert!(resp.text().await.unwrap().contains(UNAVAILABLE));
    assert!(
        b.session(&app).is_none(),
        "a session cookie without a store"
    );

    load.phase.store(BACK, Ordering::SeqCst);
    redis.start_again().await;
    let back = Instant::now();
    // Full service: a protected page, the forward-auth answer and a new sign-in.
    let mut probes_let_through = 0;
    let healed = loop {
        let protected = app
            .get("app.gate.localhost", "/")
            .header("cookie", &load.cookie)
            .send()
            .await
            .unwrap()
            .status();
        let portal = app
            .get(&app.portal_host, &app.portal("/login"))
            .send()
            .await
            .unwrap()
            .status();
        if protected == 200 {
            probes_let_through += 1;
        }
        if protected == 200 && portal == 200 {
            break back.elapsed();
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "no service 10 s after Redis came back: protected {protected}, portal {portal}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!(
        "full service {} ms after Redis was back",
        healed.as_millis()
    );
    app.login("alice", PW).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    load.stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    let seen = std::mem::take(&mut *load.seen.lock().unwrap());

    check(&app, &seen, probes_let_through);
    assert!(
        healed < Duration::from_secs(2),
        "full service took {healed:?} after Redis was back"
    );
}

/// The answers under load, judged.
fn check(app: &TestApp, seen: &[Seen], probes_let_through: usize) {
    for s in seen {
        let ok = match (s.what, s.phase) {
            ("bypass", _) => s.status == 200,
            // Until the app noticed the loss its session cache may still answer; until it
            // reconnected, Redis cannot.
            (_, UP | BACK | BETWEEN) => s.status == 200 || s.status == 503,
            ("protected" | "forward-auth" | "portal", DOWN) => s.status == 503,
            _ => false,
        };
        assert!(ok, "{} in phase {}: {}", s.what, s.phase, s.status);
        if s.what == "forward-auth" {
            assert_eq!(
                s.remote_user.is_some(),
                s.status == 200,
                "forward-auth {} with Remote-User {:?}",
                s.status,
                s.remote_user
            );
        }
        if s.status == 503 && s.what != "forward-auth" {
            assert!(
                s.body.contains(UNAVAILABLE),
                "{} 503 page: {}",
                s.what,
                s.body
            );
        }
    }
    // Every protected request the upstream saw was checked: it carries the identity, and
    // there are no more of them than protected 200s.
    let upstream: Vec<_> = app
        .echo
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| {
            r.headers
                .iter()
                .any(|(k, v)| k == "host" && v.starts_with("app.gate.localhost"))
        })
        .map(|r| r.one("remote-user").map(str::to_owned))
        .collect();
    let allowed = seen
        .iter()
        .filter(|s| s.what == "protected" && s.status == 200)
        .count();
    assert!(
        upstream.iter().all(|u| u.as_deref() == Some("alice")),
        "an unchecked request reached the upstream"
    );
    assert_eq!(
        upstream.len(),
        allowed + probes_let_through,
        "the upstream saw requests the clients were not answered 200 for"
    );
}
