//! The Redis session layout (docs/security.md#session-store-at-rest): what one session costs in
//! Redis (issue 12 target 5: at most 300 bytes by `MEMORY USAGE`, its key plus its share of the
//! user's index), and what becomes of records an older version wrote.

use std::time::Duration;

use gatehouse::domain::session::{
    AuthLevel, Owner, Session, SessionId, SessionKey, SessionTimeouts,
};
use gatehouse::domain::user::UserId;
use gatehouse::store::SessionStore;
use gatehouse::store::redis::{RedisConn, RedisSessionStore};

use crate::harness::*;

const TIMEOUTS: SessionTimeouts = SessionTimeouts {
    idle: 3600,
    absolute: 12 * 3600,
    touch_every: 60,
    remember: 30 * 86_400,
};

/// A browser's user agent (Chrome on Windows, 111 characters).
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// Bytes per session by `MEMORY USAGE` over every key under the prefix: 200 sessions of 20
/// users (10 each, the default cap), each with user agent `ua`.
async fn bytes_per_session(ua: &str) -> usize {
    let redis = PrivateRedis::start().await;
    // The default prefix: key length is part of the cost.
    let conn = RedisConn::connect(&redis.url, "gatehouse:", Duration::from_secs(2))
        .await
        .unwrap();
    let store = RedisSessionStore::new(conn, 30 * 86_400);
    let now = 1_764_000_000;
    for user in 0..20 {
        let name = format!("user{user:02}");
        for n in 0..10 {
            let owner_id = UserId(1000 + user);
            let owner = Owner {
                user_id: owner_id,
                username: &name,
                epoch: 3,
            };
            let ip = format!("203.0.113.{}", 10 + n);
            let mut s = Session::start(owner, AuthLevel::TwoFactor, now, &ip, ua, &TIMEOUTS);
            s.cookie_scope = Some("example.com".to_owned());
            s.last_seen = now + 125;
            let key = SessionId::generate_for(owner_id).key();
            store.put(&key, &s, 3600, now).await.unwrap();
        }
    }
    let mut c = redis_conn(redis.url.as_str()).await.unwrap();
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg("gatehouse:*")
        .query_async(&mut c)
        .await
        .unwrap();
    let mut total = 0;
    for key in &keys {
        let used: usize = redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(key)
            .arg("SAMPLES")
            .arg(0)
            .query_async(&mut c)
            .await
            .unwrap();
        total += used;
    }
    total / 200
}

/// A user agent as long as a browser's that shares none of the fragments the record codes.
const UNKNOWN: &str = "ExampleAgent/7.3 (Plan9; amd64; build 20260101) Engine/42.1 Widget/9.99.999 Toolkit/123.456 ExtraBits/0000111";

#[tokio::test]
async fn a_session_costs_at_most_300_bytes_in_redis() {
    let browser = bytes_per_session(CHROME).await;
    let unknown = bytes_per_session(UNKNOWN).await;
    eprintln!(
        "bytes per session in Redis: {browser} (browser user agent), {unknown} (uncoded user agent of {} characters)",
        UNKNOWN.len()
    );
    assert!(browser <= 300, "{browser} bytes per session");
    assert!(unknown <= 300, "{unknown} bytes per session");
}

/// Sessions stored by versions before the compact layout (JSON under `s:<hex>`, indexed in
/// the set `u:<id>`) are not read: the browser is signed out, sees the login page (no error),
/// and signing in again works beside the old keys, which expire by their TTLs.
#[tokio::test]
async fn sessions_of_the_json_layout_end_at_the_upgrade() {
    let app = TestApp::spawn(Opts::redis()).await;
    app.add_user("alice", PW, &[]).await;
    let mut b = app.login("alice", PW).await;
    let cookie = b.session(&app).unwrap();
    let key = SessionId::parse(&cookie).unwrap().key();
    let conn = RedisConn::connect(&redis_url(), &app.prefix, Duration::from_secs(2))
        .await
        .unwrap();
    let store = RedisSessionStore::new(conn, 86_400);
    let session = store.get(&key, app.now()).await.unwrap().unwrap();
    // Put the session back as the previous version stored it.
    let mut c = redis_conn(&redis_url()).await.unwrap();
    let old_key = format!("{}s:{}", app.prefix, key.as_str());
    let old_index = format!("{}u:{}", app.prefix, session.user_id);
    redis::pipe()
        .del(record_key(&app.prefix, &key))
        .del(index_key(&app.prefix, session.user_id))
        .set_ex(&old_key, serde_json::to_string(&*session).unwrap(), 600)
        .sadd(&old_index, key.as_str())
        .expire(&old_index, 600)
        .query_async::<()>(&mut c)
        .await
        .unwrap();
    let resp = b.send(app.get("app.gate.localhost", "/")).await;
    assert_eq!(
        resp.status(),
        302,
        "an old record was not treated as signed out"
    );
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("/login?rd="), "{location}");
    // Signing in again works beside the old keys.
    let mut b = app.login("alice", PW).await;
    assert_eq!(
        b.send(app.get("app.gate.localhost", "/")).await.status(),
        200
    );
}

/// A shard's hash tag: `{`, the shard's byte (a `}` becomes `{`), `}`.
fn tag(shard: u8) -> [u8; 3] {
    [b'{', if shard == b'}' { b'{' } else { shard }, b'}']
}

/// The Redis key of a session's record: the prefix, the hash tag of the digest's first byte
/// (the user's shard), and the digest's other 31 bytes.
pub fn record_key(prefix: &str, key: &SessionKey) -> Vec<u8> {
    let digest: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&key.as_str()[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    [prefix.as_bytes(), &tag(digest[0]), &digest[1..]].concat()
}

/// The Redis key of a user's session index: the prefix, the hash tag of the user's shard
/// (the id modulo 256), `i:` and the id.
pub fn index_key(prefix: &str, user: UserId) -> Vec<u8> {
    let shard = u8::try_from(user.0.rem_euclid(256)).unwrap();
    [
        prefix.as_bytes(),
        &tag(shard),
        format!("i:{}", user.0).as_bytes(),
    ]
    .concat()
}
