//! One set-password path and credential changes that end what they must, whoever makes them
//! (portal, admin area or command line), on either session store.

use gatehouse::domain::user::UserId;
use std::time::Duration;

use gatehouse::domain::session::{AuthLevel, Session, SessionId, SessionTimeouts};
use gatehouse::store::SessionStore;
use gatehouse::store::redis::{RedisConn, RedisSessionStore};

use crate::harness::*;
use crate::passwords::{forgot, link_in, request_reset};
use crate::totp_util::*;

const NEW: &str = "an operator chose this passphrase";

/// Runs `gatehouse ARGS` against the same config (database and session store) as `app`.
async fn cli(app: &TestApp, opts: &Opts, args: &[&str], stdin: Option<&str>) -> String {
    let config = app.dir.path().join("gatehouse.toml");
    let text = TestApp::config_text(opts, app.port, &app.echo, &app.dir, &app.prefix);
    std::fs::write(&config, text).unwrap();
    let mut all = args.to_vec();
    all.extend(["--config", config.to_str().unwrap()]);
    let out = crate::binary::run(crate::binary::gatehouse(&all), stdin).await;
    assert!(out.status.success(), "{args:?}: {}", out.show());
    out.stdout
}

fn path_of(app: &TestApp, link: &str) -> String {
    link.split_once(&format!(":{}", app.port))
        .unwrap()
        .1
        .to_owned()
}

#[tokio::test]
async fn an_operator_reset_voids_reset_links_requested_before_it() {
    let opts = Opts::with(Store::Memory, &forgot(""));
    let app = TestApp::spawn(opts.clone()).await;
    app.add_user("alice", PW, &[]).await;
    request_reset(&app, "alice", &[("x-forwarded-for", "192.0.2.7")]).await;
    let link = link_in(&mail_containing(&app.dir.path().join("mail"), "Reset your password").await);
    let mut b = app.browser();
    assert_eq!(page(&app, &mut b, &path_of(&app, &link)).await.0, 200);

    cli(
        &app,
        &opts,
        &["user", "passwd", "alice", "--password-stdin"],
        Some(&format!("{NEW}\n")),
    )
    .await;

    // The link from before the operator's reset no longer sets a password.
    let (status, html) = page(&app, &mut b, &path_of(&app, &link)).await;
    assert_eq!(status, 404, "the old link still works: {html}");
    let mut b = app.login("alice", NEW).await;
    assert_eq!(
        b.send(app.get("app.gate.localhost", "/")).await.status(),
        200
    );
}

#[tokio::test]
async fn an_operator_reset_of_two_factor_ends_in_process_sessions_of_a_running_server() {
    // In-process sessions: the command line cannot reach the server's memory, so only the
    // session epoch in the shared database can end them.
    let opts = Opts::with(Store::Memory, MAIL);
    let app = TestApp::spawn(opts.clone()).await;
    app.add_user("alice", PW, &[]).await;
    let mut e = enroll(&app, "alice").await;
    assert_eq!(
        e.browser
            .send(app.get("app.gate.localhost", "/"))
            .await
            .status(),
        200
    );
    cli(&app, &opts, &["user", "reset-2fa", "alice"], None).await;
    // The server re-reads the user within `session.user_refresh` (1 s by default).
    let mut status = 0;
    for _ in 0..50 {
        status = e
            .browser
            .send(app.get("app.gate.localhost", "/"))
            .await
            .status()
            .as_u16();
        if status == 302 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 302, "the session outlived the two-factor reset");
}

fn record(user_id: i64, now: i64) -> Session {
    let user_id = gatehouse::domain::user::UserId(user_id);
    let timeouts = SessionTimeouts {
        idle: 600,
        absolute: 3600,
        touch_every: 60,
    };
    let owner = gatehouse::domain::session::Owner {
        user_id,
        username: "alice",
        epoch: 0,
    };
    Session::start(
        owner,
        AuthLevel::OneFactor,
        now,
        "192.0.2.1",
        "test",
        &timeouts,
    )
}

/// "Sign out everywhere" racing sign-ins on other instances (other connections): afterwards
/// every session still in Redis is listed in its user's index, so the next "sign out
/// everywhere" ends it. Hundreds of interleaved rounds hit the window between reading the
/// index and deleting it whenever the two steps are not one atomic operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_revoke_all_racing_sign_ins_leaves_no_session_outside_the_index() {
    let prefix = format!("test:race:{}:", gatehouse::domain::secret::random_token(9));
    let instance = || async {
        let conn = RedisConn::connect(&redis_url(), &prefix, Duration::from_secs(5))
            .await
            .unwrap();
        RedisSessionStore::new(conn, 3600)
    };
    let (signer, revoker) = (instance().await, instance().await);
    let user = 7;
    let sign_ins = tokio::spawn(async move {
        for _ in 0..400 {
            let s = record(user, 1_000);
            signer
                .put(&SessionId::generate().key(), &s, 600, 1_000)
                .await
                .unwrap();
        }
    });
    let revocations = tokio::spawn(async move {
        for _ in 0..400 {
            revoker.remove_all_for_user(UserId(user)).await.unwrap();
        }
        revoker
    });
    sign_ins.await.unwrap();
    let store = revocations.await.unwrap();
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}s:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let members: Vec<String> = redis::cmd("SMEMBERS")
        .arg(format!("{prefix}u:{user}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let orphans: Vec<&String> = keys
        .iter()
        .filter(|k| !members.iter().any(|m| k.ends_with(m.as_str())))
        .collect();
    assert!(
        orphans.is_empty(),
        "{} live session(s) are missing from the index",
        orphans.len()
    );
    // And "sign out everywhere" really ends everything that is left.
    store.remove_all_for_user(UserId(user)).await.unwrap();
    assert!(
        store
            .list_for_user(UserId(user), 1_000)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A refresh of `last_seen` that lands after a revocation must not bring the session back.
#[tokio::test]
async fn a_refresh_never_resurrects_an_ended_session() {
    for store in [Store::Memory, Store::Redis] {
        let sessions: Box<dyn SessionStore> = match store {
            Store::Memory => Box::new(gatehouse::store::memory::MemorySessionStore::new(100)),
            Store::Redis => {
                let prefix = format!("test:touch:{}:", gatehouse::domain::secret::random_token(9));
                let conn = RedisConn::connect(&redis_url(), &prefix, Duration::from_secs(5))
                    .await
                    .unwrap();
                Box::new(RedisSessionStore::new(conn, 3600))
            }
        };
        let key = SessionId::generate().key();
        let s = record(9, 1_000);
        sessions.put(&key, &s, 600, 1_000).await.unwrap();
        assert!(
            sessions.touch(&key, &s, 600, 1_000).await.unwrap(),
            "{store:?}"
        );
        assert_eq!(sessions.remove_all_for_user(UserId(9)).await.unwrap(), 1);
        assert!(
            !sessions.touch(&key, &s, 600, 1_000).await.unwrap(),
            "{store:?}"
        );
        assert!(
            sessions.get(&key, 1_000).await.unwrap().is_none(),
            "{store:?}"
        );
        assert!(
            sessions
                .list_for_user(UserId(9), 1_000)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
