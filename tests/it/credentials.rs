//! One set-password path and credential changes that end what they must, whoever makes them
//! (portal, admin area or command line), on either session store. The command-line changes
//! made while a server runs are in the end-to-end target (`tests/e2e/credentials.rs`).

use gatehouse::domain::user::UserId;
use std::time::Duration;

use gatehouse::domain::session::{AuthLevel, Session, SessionId, SessionKey, SessionTimeouts};
use gatehouse::store::SessionStore;
use gatehouse::store::redis::{RedisConn, RedisSessionStore};

use crate::harness::*;

fn record(user_id: i64, now: i64) -> Session {
    let user_id = gatehouse::domain::user::UserId(user_id);
    let timeouts = SessionTimeouts {
        idle: 600,
        absolute: 3600,
        touch_every: 60,
        remember: 0,
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
                .put(&SessionId::generate_for(UserId(user)).key(), &s, 600, 1_000)
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
    let mut conn = redis_conn(&redis_url()).await.unwrap();
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let index = crate::redis_layout::index_key(&prefix, UserId(user));
    let members: Vec<Vec<u8>> = redis::cmd("HKEYS")
        .arg(&index)
        .query_async(&mut conn)
        .await
        .unwrap();
    let indexed: Vec<Vec<u8>> = members
        .iter()
        .map(|m| {
            let hex: String = m.iter().map(|b| format!("{b:02x}")).collect();
            crate::redis_layout::record_key(&prefix, &SessionKey::from_text(hex))
        })
        .collect();
    let orphans: Vec<&Vec<u8>> = keys
        .iter()
        .filter(|k| **k != index && !indexed.contains(k))
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
        let key = SessionId::generate_for(UserId(9)).key();
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
