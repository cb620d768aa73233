//! Sessions and the shared throttle on a Redis Cluster (docs/security.md#redis-cluster): three
//! real masters of the test's own (`redis-server --cluster-enabled yes`, joined by
//! `redis-cli --cluster create`), two gateways on them under one key prefix. A user's sessions
//! and index share one hash slot whichever instance made them, so every multi-key step runs
//! there (no CROSSSLOT); a revocation on one instance is seen on the other through the
//! invalidation channel, whichever node each subscribed on.

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use redis::cluster_async::ClusterConnection;

use crate::harness::ports::free_port;
use crate::harness::private_redis::{MISSING_SERVER, listening, server_args};
use crate::harness::*;
use crate::redis_layout::{index_key, record_key};
use crate::redis_sentinel::{key, status, until};

/// Three masters, no replicas, on free loopback ports.
struct Cluster {
    children: Vec<Child>,
    ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_owned();
        // Built as the nodes start, so that its drop stops those already running if a later
        // one fails to.
        let mut cluster = Self {
            children: Vec::new(),
            ports: Vec::new(),
            _dir: dir,
        };
        for _ in 0..3 {
            let d = d.clone();
            let (child, port) = listening("redis-server", MISSING_SERVER, move |port| {
                // The bus port defaults to the port plus 10000: beyond 65535 for a high free
                // port, or a port another test took for itself.
                let bus = free_port().to_string();
                let nodes = format!("{d}/nodes-{port}.conf");
                let cluster = [
                    "--cluster-port",
                    &bus,
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &nodes,
                    "--cluster-node-timeout",
                    "2000",
                ];
                server_args(port, Path::new(&d), &cluster)
            })
            .await;
            cluster.children.push(child);
            cluster.ports.push(port);
        }
        let mut args = vec!["--cluster".to_owned(), "create".to_owned()];
        args.extend(cluster.ports.iter().map(|p| format!("127.0.0.1:{p}")));
        args.extend(["--cluster-replicas", "0", "--cluster-yes"].map(String::from));
        let out = Command::new("redis-cli").args(&args).output().unwrap_or_else(|e| {
            panic!("redis-cli: {e}; it comes with redis-server: run scripts/test.sh, which installs it")
        });
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for port in cluster.ports.clone() {
            until(
                Duration::from_secs(15),
                &format!("cluster_state:ok on {port}"),
                || async move {
                    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
                    let Ok(mut c) = client.get_multiplexed_async_connection().await else {
                        return false;
                    };
                    let info: String = redis::cmd("CLUSTER")
                        .arg("INFO")
                        .query_async(&mut c)
                        .await
                        .unwrap_or_default();
                    info.contains("cluster_state:ok")
                },
            )
            .await;
        }
        cluster
    }

    async fn conn(&self) -> ClusterConnection {
        let nodes: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect();
        let client = redis::cluster::ClusterClient::new(nodes).unwrap();
        client.get_async_connection().await.unwrap()
    }

    fn overlay(&self, prefix: &str) -> String {
        let list: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("\"127.0.0.1:{p}\""))
            .collect();
        format!(
            "[session]\nstore = \"redis\"\n[session.redis]\ncluster = [{}]\n\
             prefix = \"{prefix}\"\ntimeout = \"2s\"\nlocal_cache = \"{LOCAL_CACHE}\"\n",
            list.join(", ")
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Two gateways on `cluster` under one key prefix, B on A's user database.
async fn pair(cluster: &Cluster, extra: &str) -> (TestApp, TestApp, String) {
    let prefix = format!("cluster:{}:", gatehouse::domain::secret::random_token(9));
    let overlay = format!("{extra}{}", cluster.overlay(&prefix));
    let a = TestApp::spawn(Opts::with(Store::Memory, &overlay)).await;
    let database = match &a.database {
        gatehouse::config::Database::Sqlite(path) => path.display().to_string(),
        gatehouse::config::Database::Postgres(url) => url.expose().to_owned(),
    };
    let shared = format!("{overlay}[storage]\ndatabase = \"{database}\"\n");
    let b = TestApp::spawn(Opts::with(Store::Memory, &shared)).await;
    (a, b, prefix)
}

async fn keyslot(c: &mut ClusterConnection, key: &[u8]) -> i64 {
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(c)
        .await
        .unwrap()
}

async fn exists(c: &mut ClusterConnection, key: &[u8]) -> bool {
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<i64>(c)
        .await
        .unwrap()
        == 1
}

/// Waits until both instances' invalidation channels are subscribed.
async fn channels_live(apps: [&TestApp; 2]) {
    until(Duration::from_secs(5), "both channels live", || async {
        apps.iter().all(|app| {
            let state = app.app.state();
            state.sessions.local_cache().is_some_and(|c| c.is_live())
        })
    })
    .await;
}

/// Waits until `app` no longer serves `cookie`, which `what` ended on the other instance:
/// the announcement crosses the cluster bus from the node the script ran on to the node
/// `app` subscribed on. The cache (`LOCAL_CACHE`) would keep the session far longer, so
/// only the announcement can end it within the wait.
async fn seen_on(app: &TestApp, cookie: &str, what: &str) {
    let start = std::time::Instant::now();
    until(Duration::from_secs(3), &format!("{what} seen"), || async {
        status(app, cookie).await == 302
    })
    .await;
    eprintln!(
        "{what} seen on the other instance after {:?}",
        start.elapsed()
    );
}

/// Long enough that a session ended elsewhere could only leave the cache by an announcement.
const LOCAL_CACHE: &str = "10s";

/// A login POST from `ip` with a wrong password; the status.
async fn wrong_password(app: &TestApp, user: &str, ip: &str) -> u16 {
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
    resp.status().as_u16()
}

const LIMITS: &str = "[server]\ntrusted_proxies = [\"127.0.0.1/32\"]\n\
                      [throttle]\nip_failures = 6\nip_ban = \"1m\"\naccount_failures = 1000\n";

#[tokio::test]
async fn sessions_revocations_and_the_throttle_work_across_a_three_master_cluster() {
    let cluster = Cluster::start().await;
    let (a, b, prefix) = pair(&cluster, LIMITS).await;
    let mut c = cluster.conn().await;
    channels_live([&a, &b]).await;
    let mut ids = Vec::new();
    for name in ["alice", "bob", "carol"] {
        a.add_user(name, PW, &[]).await;
        ids.push(a.app.state().admin.find(name).await.unwrap().id);
    }
    let alice = ids[0];

    // Sessions of one user made on both instances: each proxies, on both, and each sits in
    // the slot of the user's index.
    let mut cookies = Vec::new();
    for i in 0..6 {
        let app = if i % 2 == 0 { &a } else { &b };
        let mut browser = app.login("alice", PW).await;
        assert_eq!(
            browser
                .send(app.get("app.gate.localhost", "/"))
                .await
                .status(),
            200,
            "a proxied request after signing in"
        );
        cookies.push(browser.session(app).unwrap());
    }
    let index = index_key(&prefix, alice);
    let slot = keyslot(&mut c, &index).await;
    for cookie in &cookies {
        assert_eq!(status(&a, cookie).await, 200);
        assert_eq!(status(&b, cookie).await, 200);
        let record = record_key(&prefix, &key(cookie));
        assert!(exists(&mut c, &record).await, "the session's record");
        assert_eq!(
            keyslot(&mut c, &record).await,
            slot,
            "a session outside its user's slot"
        );
    }
    // Other users' sessions land in their own slots, spread over the masters.
    let mut slots = vec![slot];
    for (name, id) in [("bob", ids[1]), ("carol", ids[2])] {
        let cookie = b.login(name, PW).await.session(&b).unwrap();
        let s = keyslot(&mut c, &record_key(&prefix, &key(&cookie))).await;
        assert_eq!(s, keyslot(&mut c, &index_key(&prefix, id)).await);
        slots.push(s);
    }
    slots.dedup();
    assert!(slots.len() > 1, "every user in one slot: {slots:?}");
    let listed = a
        .app
        .state()
        .sessions
        .list_for_user(alice, a.now())
        .await
        .unwrap();
    assert_eq!(listed.len(), cookies.len(), "the user's session list");

    // One revocation on A, seen at once on B (whose cache held the session a moment ago).
    let gone = cookies.remove(0);
    let ended = a
        .app
        .state()
        .sessions
        .revoke(alice, &key(&gone), a.now())
        .await;
    assert!(ended.unwrap().is_some(), "the revocation was not done");
    assert_eq!(status(&a, &gone).await, 302);
    seen_on(&b, &gone, "a revocation on A").await;
    assert!(!exists(&mut c, &record_key(&prefix, &key(&gone))).await);

    // Revoke-all on B ends every session of the user, on both instances.
    for cookie in &cookies {
        assert_eq!(status(&a, cookie).await, 200);
    }
    let n = b
        .app
        .state()
        .sessions
        .end_all_for_user(alice)
        .await
        .unwrap();
    assert_eq!(n, cookies.len(), "sessions ended by revoke-all");
    for cookie in &cookies {
        assert_eq!(status(&b, cookie).await, 302, "a session after revoke-all");
        seen_on(&a, cookie, "revoke-all on B").await;
        assert!(!exists(&mut c, &record_key(&prefix, &key(cookie))).await);
    }
    assert!(!exists(&mut c, &index).await, "the index after revoke-all");

    // The shared throttle: failures from one address over both instances ban it once.
    let ip = "198.51.100.9";
    let mut seen = Vec::new();
    for i in 0..6 {
        let app = if i % 2 == 0 { &a } else { &b };
        seen.push(wrong_password(app, &format!("guess{i}"), ip).await);
    }
    seen.push(wrong_password(&a, "one-more", ip).await);
    seen.push(wrong_password(&b, "one-more", ip).await);
    let mut want = vec![401; 6];
    want.extend([429, 429]);
    assert_eq!(seen, want, "failures spread over two instances");
    // The account itself still signs in from elsewhere.
    let cookie = a.login("alice", PW).await.session(&a).unwrap();
    assert_eq!(status(&b, &cookie).await, 200);
}
