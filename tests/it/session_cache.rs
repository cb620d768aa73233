//! The local cache of Redis sessions (docs/security.md#session-cache) with two instances on one
//! Redis and one user database: a change on A ends the session on B within 100 ms, the cache is
//! really used while the invalidation channel is live, and bypassed while it is down.

use std::time::{Duration, Instant};

use gatehouse::clock::ManualClock;
use gatehouse::domain::secret::SecretString;
use gatehouse::domain::session::{SessionId, SessionKey};
use gatehouse::service::users::Actor;

use crate::harness::*;

/// The bound the issue sets for a change on one instance to reach every other.
const BOUND: Duration = Duration::from_millis(100);

/// Two instances on one Redis (the suite's, or `url`) with one key prefix (returned) and A's
/// user database; `session` and `redis` are further keys of `[session]` and `[session.redis]`.
async fn pair(url: Option<&str>, session: &str, redis: &str) -> (TestApp, TestApp, String) {
    pair_on(url, session, redis, None).await
}

/// [`pair`], both instances on `clock` when given.
async fn pair_on(
    url: Option<&str>,
    session: &str,
    redis: &str,
    clock: Option<&ManualClock>,
) -> (TestApp, TestApp, String) {
    let prefix = format!("cache:{}:", gatehouse::domain::secret::random_token(9));
    let url = url.map_or_else(redis_url, str::to_owned);
    let redis = format!(
        "[session]\nstore = \"redis\"\n{session}\n[session.redis]\nurl = \"{url}\"\nprefix = \"{prefix}\"\n{redis}\n"
    );
    let opts = |overlay: &str| Opts {
        clock: clock.cloned(),
        ..Opts::with(Store::Memory, overlay)
    };
    let a = TestApp::spawn(opts(&redis)).await;
    let shared = format!(
        "{redis}[storage]\ndatabase = \"{}\"\n",
        crate::harness::user_store::database_for(a.dir.path())
    );
    let b = TestApp::spawn(opts(&shared)).await;
    live(&a).await;
    live(&b).await;
    (a, b, prefix)
}

fn is_live(app: &TestApp) -> bool {
    let state = app.app.state();
    let cache = state.sessions.local_cache().expect("a local session cache");
    cache.is_live()
}

/// Waits (up to 10 s, a start-up allowance, not a bound under test) for `want`.
async fn wait_live(app: &TestApp, want: bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while is_live(app) != want {
        assert!(
            Instant::now() < until,
            "the channel never became live={want}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn live(app: &TestApp) {
    wait_live(app, true).await;
}

async fn status(app: &TestApp, host: &str, cookie: &str) -> u16 {
    let name = app.app.state().cookies.session_name().to_owned();
    app.get(host, "/")
        .header("cookie", format!("{name}={cookie}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Polls B every few ms until it refuses the session; fails past `BOUND` from `since`.
async fn ended_within_bound(b: &TestApp, host: &str, cookie: &str, since: Instant, what: &str) {
    loop {
        let s = status(b, host, cookie).await;
        if s != 200 {
            assert_eq!(s, 302, "{what}");
            return;
        }
        let spent = since.elapsed();
        assert!(
            spent < BOUND,
            "{what}: B still served the session {spent:?} after the change"
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

fn key(cookie: &str) -> SessionKey {
    SessionId::parse(cookie).expect("a session id").key()
}

#[tokio::test]
async fn a_change_on_one_instance_ends_the_session_on_the_other_within_100ms() {
    let (a, b, _) = pair(None, "", "").await;
    let host = "app.gate.localhost";
    for what in ["sign-out", "revoke", "disable", "password"] {
        let name = format!("u{}", what.replace('-', ""));
        a.add_user(&name, PW, &[]).await;
        let cookie = a.login(&name, PW).await.session(&a).unwrap();
        // Resolved (and so cached) on B first.
        assert_eq!(status(&b, host, &cookie).await, 200, "{what}");
        assert_eq!(status(&b, host, &cookie).await, 200, "{what}");
        let state = a.app.state();
        let user = state.admin.find(&name).await.unwrap();
        match what {
            "sign-out" => assert!(state.sessions.end(&key(&cookie)).await.unwrap()),
            "revoke" => {
                let ended = state.sessions.revoke(user.id, &key(&cookie), a.now()).await;
                assert!(ended.unwrap().is_some());
            }
            "disable" => {
                let ended = state
                    .admin
                    .set_disabled(&name, true, &Actor::Operator, a.now());
                assert_eq!(ended.await.unwrap(), 1);
            }
            _ => {
                let pw = SecretString::new("another horse battery staple");
                let ended = state
                    .admin
                    .set_password(&name, &pw, false, &Actor::Operator, a.now());
                assert_eq!(ended.await.unwrap(), 1);
            }
        }
        ended_within_bound(&b, host, &cookie, Instant::now(), what).await;
    }
}

#[tokio::test]
async fn a_group_change_on_one_instance_reaches_the_other_within_100ms() {
    // Users are cached an hour: only the channel can tell B.
    let (a, b, _) = pair(None, "user_refresh = \"1h\"", "").await;
    a.add_user("gina", PW, &[]).await;
    let cookie = a.login("gina", PW).await.session(&a).unwrap();
    let host = "admin.gate.localhost";
    assert_eq!(status(&b, host, &cookie).await, 403);
    let state = a.app.state();
    let groups = ["admins".to_owned()];
    let set = state
        .admin
        .set_groups("gina", &groups, &Actor::Operator, a.now());
    set.await.unwrap();
    let since = Instant::now();
    while status(&b, host, &cookie).await != 200 {
        let spent = since.elapsed();
        assert!(
            spent < BOUND,
            "B still had the old groups {spent:?} after the change"
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

#[tokio::test]
async fn the_cache_is_used_while_the_channel_is_live_and_bypassed_while_it_is_down() {
    let redis = PrivateRedis::start().await;
    // A long backstop, so that only the channel decides what B believes.
    let (a, b, prefix) = pair(Some(&redis.url), "", "local_cache = \"10s\"").await;
    let mut conn = redis_conn(redis.url.as_str()).await.unwrap();
    let host = "app.gate.localhost";
    a.add_user("alice", PW, &[]).await;
    let del = |cookie: &str| {
        redis::cmd("DEL")
            .arg(crate::redis_layout::record_key(&prefix, &key(cookie)))
            .clone()
    };

    // Live: deleting the record behind the gateways' backs (no announcement) goes unseen by B,
    // which answers from its cache; that is what the channel is for.
    let first = a.login("alice", PW).await.session(&a).unwrap();
    assert_eq!(status(&b, host, &first).await, 200);
    let n: i64 = del(&first).query_async(&mut conn).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        status(&b, host, &first).await,
        200,
        "B did not use its cache"
    );

    // Down (subscriptions refused and the live ones cut): every resolve goes to Redis.
    let acl = |rule: &str| {
        redis::cmd("ACL")
            .arg("SETUSER")
            .arg("default")
            .arg(rule)
            .clone()
    };
    let second = a.login("alice", PW).await.session(&a).unwrap();
    assert_eq!(status(&b, host, &second).await, 200);
    let () = acl("-subscribe").query_async(&mut conn).await.unwrap();
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut conn)
        .await
        .unwrap();
    wait_live(&b, false).await;
    let _: i64 = del(&second).query_async(&mut conn).await.unwrap();
    assert_eq!(
        status(&b, host, &second).await,
        302,
        "B answered from its cache while the channel was down"
    );
    let third = a.login("alice", PW).await.session(&a).unwrap();
    assert_eq!(status(&b, host, &third).await, 200);
    let _: i64 = del(&third).query_async(&mut conn).await.unwrap();
    assert_eq!(
        status(&b, host, &third).await,
        302,
        "B kept a session while the channel was down"
    );

    // Back: the cache is used again.
    let () = acl("+subscribe").query_async(&mut conn).await.unwrap();
    live(&b).await;
    let fourth = a.login("alice", PW).await.session(&a).unwrap();
    assert_eq!(status(&b, host, &fourth).await, 200);
    let _: i64 = del(&fourth).query_async(&mut conn).await.unwrap();
    assert_eq!(
        status(&b, host, &fourth).await,
        200,
        "B no longer uses its cache"
    );
}

#[tokio::test]
async fn a_cached_copy_never_ends_a_session_another_instance_kept_alive() {
    // Idle timeout 60 s, written back every 2 s; the cache outlives the steps below.
    let clock = ManualClock::starting_now();
    let (a, b, _) = pair_on(
        None,
        "idle_timeout = \"1m\"",
        "local_cache = \"10s\"",
        Some(&clock),
    )
    .await;
    let host = "app.gate.localhost";
    a.add_user("ida", PW, &[]).await;
    let cookie = a.login("ida", PW).await.session(&a).unwrap();
    assert_eq!(status(&b, host, &cookie).await, 200);
    // Used on A 50 s later (A writes `last_seen` back); B's copy still says the login time.
    a.advance(50);
    assert_eq!(status(&a, host, &cookie).await, 200);
    // 65 s after the login, 15 s after the last use: live. B's copy alone would say idle.
    a.advance(15);
    assert_eq!(
        status(&b, host, &cookie).await,
        200,
        "B ended a live session"
    );
    assert_eq!(status(&a, host, &cookie).await, 200);
}
