//! Sessions on a Redis Sentinel group (docs/security.md#redis-sentinel): a real primary, a
//! replica and three `redis-sentinel` processes of the test's own, and a forced failover
//! (`SENTINEL FAILOVER`) while requests keep coming. Every answer during and after the switch is
//! the session's own (200 for the live one, a redirect for the revoked one) or 503, never a
//! 200 for a revoked session; within a bound the gateway works on the new master (sign-ins and
//! revocations land there), while the sentinels leave the old master writable for seconds.

use std::process::Child;
use std::time::{Duration, Instant};

use gatehouse::domain::session::{SessionId, SessionKey};

use crate::harness::private_redis::{MISSING_SERVER, listening, server_args};
use crate::harness::*;

const MASTER: &str = "gatehouse";
/// How long after the sentinels name the new master the gateway may still use the old one:
/// it asks them every 500 ms.
const SWITCH_BOUND: Duration = Duration::from_secs(3);

/// A primary, a replica and three sentinels on free loopback ports.
struct Group {
    children: Vec<Child>,
    primary: u16,
    replica: u16,
    sentinels: Vec<u16>,
    _dir: tempfile::TempDir,
}

impl Group {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_owned();
        let path = dir.path().to_owned();
        let server = |extra: Vec<String>| {
            let path = path.clone();
            listening("redis-server", MISSING_SERVER, move |port| {
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                server_args(port, &path, &extra)
            })
        };
        // Built as the processes start, so that its drop stops those already running if a
        // later one fails to.
        let mut group = Self {
            children: Vec::new(),
            primary: 0,
            replica: 0,
            sentinels: Vec::new(),
            _dir: dir,
        };
        let (child, primary) = server(vec![]).await;
        group.children.push(child);
        group.primary = primary;
        let replicaof = vec!["--replicaof".to_owned(), format!("127.0.0.1 {primary}")];
        let (child, replica) = server(replicaof).await;
        group.children.push(child);
        group.replica = replica;
        for i in 0..3 {
            let d = d.clone();
            let missing = "redis-sentinel is missing (Debian package redis-sentinel): run \
                           scripts/test.sh, which installs it";
            let (child, port) = listening("redis-sentinel", missing, move |port| {
                // Sentinel rewrites its file with what it learns, so each has its own.
                let conf = format!("{d}/sentinel{i}.conf");
                let text = format!(
                    "port {port}\nbind 127.0.0.1\ndir {d}\n\
                     sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n\
                     sentinel down-after-milliseconds {MASTER} 1000\n\
                     sentinel failover-timeout {MASTER} 5000\n"
                );
                std::fs::write(&conf, text).unwrap();
                vec![conf]
            })
            .await;
            group.children.push(child);
            group.sentinels.push(port);
        }
        until(Duration::from_secs(10), "the replica in sync", || async {
            let info: String = group
                .query(replica, redis::cmd("INFO").arg("replication"))
                .await;
            info.contains("master_link_status:up")
        })
        .await;
        group
    }

    async fn conn(&self, port: u16) -> redis::aio::MultiplexedConnection {
        redis_conn(&format!("redis://127.0.0.1:{port}"))
            .await
            .unwrap()
    }

    /// Bounded: a node that stops answering fails the test with its command, never hangs it.
    async fn query<T: redis::FromRedisValue>(&self, port: u16, cmd: &redis::Cmd) -> T {
        let asked = async { cmd.query_async(&mut self.conn(port).await).await };
        tokio::time::timeout(std::time::Duration::from_secs(30), asked)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no answer from {port} in 30 s to {:?}",
                    cmd.args_iter().next()
                )
            })
            .unwrap()
    }

    /// The master's port as the first sentinel names it.
    async fn named(&self) -> u16 {
        let cmd = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(MASTER)
            .clone();
        let (_, port): (String, u16) = self.query(self.sentinels[0], &cmd).await;
        port
    }

    /// Waits until the replica has everything written to the primary so far. Replication is
    /// asynchronous and a failover does not wait for it: a write the replica lacks is lost, as
    /// docs/security.md says. A replica that has just loaded its first copy may take a second
    /// more to receive what followed (its master streams only after the replica's first ACK),
    /// so "in sync" at the start is not enough for the writes a test makes afterwards.
    async fn replicated(&self) {
        let acked: i64 = self
            .query(self.primary, redis::cmd("WAIT").arg(1).arg(10_000))
            .await;
        assert_eq!(acked, 1, "the replica did not receive the writes in 10 s");
    }

    async fn role(&self, port: u16) -> String {
        // A server that changes role drops its clients: a connection made in that moment
        // breaks, and asking again on a new one is the honest answer.
        let mut tries = 0;
        let role: Vec<redis::Value> = loop {
            let asked = async {
                let mut conn = redis_conn(&format!("redis://127.0.0.1:{port}")).await?;
                redis::cmd("ROLE").query_async(&mut conn).await
            };
            match asked.await {
                Ok(role) => break role,
                Err(e) if tries < 20 => {
                    tries += 1;
                    eprintln!("ROLE on {port} failed ({e}); asking again");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("ROLE on {port} kept failing: {e}"),
            }
        };
        match role.first() {
            Some(redis::Value::BulkString(r)) => String::from_utf8_lossy(r).into_owned(),
            other => panic!("ROLE answered {other:?}"),
        }
    }

    fn overlay(&self, prefix: &str) -> String {
        let list: Vec<String> = self
            .sentinels
            .iter()
            .map(|p| format!("\"127.0.0.1:{p}\""))
            .collect();
        format!(
            "[session]\nstore = \"redis\"\n[session.redis]\nsentinels = [{}]\n\
             master_name = \"{MASTER}\"\nprefix = \"{prefix}\"\ntimeout = \"1s\"\n",
            list.join(", ")
        )
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits up to `limit` (an allowance for processes to start, not a bound under test).
pub(crate) async fn until<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn key(cookie: &str) -> SessionKey {
    SessionId::parse(cookie).expect("a session id").key()
}

pub(crate) async fn status(app: &TestApp, cookie: &str) -> u16 {
    let name = app.app.state().cookies.session_name().to_owned();
    app.get("app.gate.localhost", "/")
        .header("cookie", format!("{name}={cookie}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Asks with both sessions until `stop`, noting when and what each got.
async fn load(
    app: &TestApp,
    live: &str,
    revoked: &str,
    stop: &std::sync::atomic::AtomicBool,
) -> Vec<(Instant, &'static str, u16)> {
    let mut seen = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        seen.push((Instant::now(), "live", status(app, live).await));
        seen.push((Instant::now(), "revoked", status(app, revoked).await));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    seen
}

#[tokio::test]
async fn a_forced_failover_under_load_fails_closed_and_moves_to_the_new_master() {
    let group = Group::start().await;
    let (old, new) = (group.primary, group.replica);
    let prefix = format!("sentinel:{}:", gatehouse::domain::secret::random_token(9));
    // The sign-in loop below may start a dozen sessions of alice on the old master before
    // the gateway moves; under the default cap of 10 the oldest, the live session under
    // load, would be evicted there (a 302 that is the cap working, not the failover).
    let overlay =
        group
            .overlay(&prefix)
            .replacen("[session]\n", "[session]\nmax_per_user = 1000\n", 1);
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("alice", PW, &[]).await;
    let state = app.app.state();
    let alice = state.admin.find("alice").await.unwrap().id;
    let live = app.login("alice", PW).await.session(&app).unwrap();
    let revoked = app.login("alice", PW).await.session(&app).unwrap();
    assert_eq!(status(&app, &live).await, 200);
    assert_eq!(status(&app, &revoked).await, 200);
    // Just before the failover.
    let ended = state
        .sessions
        .revoke(alice, &key(&revoked), app.now())
        .await;
    assert!(ended.unwrap().is_some());
    assert_eq!(status(&app, &revoked).await, 302);
    // The live session and the revocation are what the failover must keep.
    group.replicated().await;

    let stop = std::sync::atomic::AtomicBool::new(false);
    let drive = async {
        // The sentinels accept the command once they know a healthy replica.
        let failover = redis::cmd("SENTINEL").arg("FAILOVER").arg(MASTER).clone();
        until(
            Duration::from_secs(20),
            "SENTINEL FAILOVER accepted",
            || async {
                let mut conn = group.conn(group.sentinels[0]).await;
                failover
                    .query_async::<redis::Value>(&mut conn)
                    .await
                    .is_ok()
            },
        )
        .await;
        until(
            Duration::from_secs(10),
            "the sentinels naming the replica",
            || async { group.named().await == new },
        )
        .await;
        let named_at = Instant::now();
        // The old master is still writable here: a gateway that stayed there would sign in and
        // revoke on it, and neither would reach the new master.
        let record = |cookie: &str| {
            redis::cmd("EXISTS")
                .arg(crate::redis_layout::record_key(&prefix, &key(cookie)))
                .clone()
        };
        let mut fresh = None;
        while fresh.is_none() {
            assert!(
                named_at.elapsed() < SWITCH_BOUND,
                "the gateway still signs in on the old master {:?} after the switch",
                named_at.elapsed()
            );
            let mut b = app.browser();
            let resp = app.post_login(&mut b, "alice", PW, "").await;
            assert!(
                matches!(resp.status().as_u16(), 303 | 503),
                "a sign-in during the switch answered {}",
                resp.status()
            );
            if let Some(cookie) = b.session(&app) {
                let on_new: i64 = group.query(new, &record(&cookie)).await;
                if on_new == 1 {
                    fresh = Some(cookie);
                }
            }
        }
        let fresh = fresh.unwrap();
        assert_eq!(status(&app, &fresh).await, 200);
        let ended = state.sessions.revoke(alice, &key(&fresh), app.now()).await;
        assert!(ended.unwrap().is_some(), "the revocation was not done");
        let on_new: i64 = group.query(new, &record(&fresh)).await;
        assert_eq!(on_new, 0, "the revocation did not reach the new master");
        assert_eq!(
            status(&app, &fresh).await,
            302,
            "a session revoked after the failover was served"
        );
        // The sentinels demote the old master only seconds later; nothing may come back then.
        until(
            Duration::from_secs(20),
            "the old master demoted",
            || async { group.role(old).await == "slave" },
        )
        .await;
        assert_eq!(status(&app, &fresh).await, 302);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        named_at
    };
    let (seen, named_at) = tokio::join!(load(&app, &live, &revoked, &stop), drive);

    let settled = named_at + SWITCH_BOUND;
    for (at, which, code) in &seen {
        match *which {
            "revoked" => assert!(
                matches!(code, 302 | 503),
                "the session revoked before the failover got {code}"
            ),
            _ if *at > settled => assert_eq!(
                *code, 200,
                "the live session got {code} once the switch was over"
            ),
            _ => assert!(
                matches!(code, 200 | 503),
                "the live session got {code} during the switch"
            ),
        }
    }
    let during = seen.iter().filter(|(at, ..)| *at <= settled).count();
    let refused = seen.iter().filter(|(.., code)| *code == 503).count();
    eprintln!(
        "{} answers, {during} within the switch, {refused} of them 503",
        seen.len()
    );
    assert!(during > 10, "too few requests during the switch: {during}");
    assert!(
        seen.iter().any(|(at, ..)| *at > settled),
        "none after the switch"
    );
    // The session made before still resolves, from what replication carried.
    assert_eq!(status(&app, &live).await, 200);
    assert_eq!(status(&app, &revoked).await, 302);
    // The invalidation channel followed the master.
    until(
        Duration::from_secs(5),
        "the subscription on the new master",
        || async {
            let numsub: (String, i64) = group
                .query(
                    new,
                    redis::cmd("PUBSUB")
                        .arg("NUMSUB")
                        .arg(format!("{prefix}inv")),
                )
                .await;
            numsub.1 == 1 && state.sessions.local_cache().is_some_and(|c| c.is_live())
        },
    )
    .await;
}

#[tokio::test]
async fn a_master_that_refuses_writes_is_left_and_nothing_passes_unchecked() {
    let group = Group::start().await;
    let (p, r) = (group.primary, group.replica);
    let prefix = format!("sentinel:{}:", gatehouse::domain::secret::random_token(9));
    // No local cache: every answer below is what Redis said, or a refusal.
    let overlay = format!("{}local_cache = \"0\"\n", group.overlay(&prefix));
    let app = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    app.add_user("bob", PW, &[]).await;
    let state = app.app.state();
    let bob = state.admin.find("bob").await.unwrap().id;
    let live = app.login("bob", PW).await.session(&app).unwrap();
    assert_eq!(status(&app, &live).await, 200);
    let mut b = app.browser();
    let token = app.login_form(&mut b).await;
    // The session must survive the round trip below, in which the primary reloads its data
    // from the replica.
    group.replicated().await;

    // Demoted behind the sentinels' backs (they still name it, for many seconds): it keeps
    // answering reads and refuses writes with READONLY.
    let replicaof = |host: &str, port: &str| redis::cmd("REPLICAOF").arg(host).arg(port).clone();
    let () = group.query(r, &replicaof("NO", "ONE")).await;
    let () = group
        .query(p, &replicaof("127.0.0.1", &r.to_string()))
        .await;
    assert_eq!(group.role(p).await, "slave");
    assert_eq!(group.named().await, p);

    let ended = state.sessions.revoke(bob, &key(&live), app.now()).await;
    assert!(ended.is_err(), "a refused revocation was reported as done");
    // The refusal made the gateway look again; the node named is no master, so nothing is
    // read from it until one is.
    assert_eq!(
        status(&app, &live).await,
        503,
        "a session was answered from a node that is no master"
    );
    let resp = b.send(app.get(&app.portal_host, "/login")).await;
    assert_eq!(
        resp.status(),
        503,
        "the sign-in page on a node that is no master"
    );
    let resp = b
        .send(
            app.req(reqwest::Method::POST, &app.portal_host, "/login")
                .form(&[("username", "bob"), ("password", PW), ("csrf", &token)]),
        )
        .await;
    assert_eq!(resp.status(), 503, "a sign-in on a node that is no master");

    // Back as it was: the same node is a master again, and the session (whose revocation
    // failed, as bob was told) resolves.
    let () = group.query(p, &replicaof("NO", "ONE")).await;
    let () = group
        .query(r, &replicaof("127.0.0.1", &p.to_string()))
        .await;
    until(
        Duration::from_secs(5),
        "the gateway back on the master",
        || async { status(&app, &live).await == 200 },
    )
    .await;
    app.login("bob", PW).await;
}
