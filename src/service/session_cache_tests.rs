use std::sync::Arc;
use std::time::Duration;

use super::SessionCache;
use crate::domain::session::{AuthLevel, Owner, Session, SessionKey, SessionTimeouts};
use crate::domain::user::{User, UserId};
use crate::service::user_cache::UserCache;
use crate::store::{Stale, StaleSink};

const HOUR: Duration = Duration::from_secs(3600);

fn cache(cap: u64) -> SessionCache {
    SessionCache::new(HOUR, cap, UserCache::new(HOUR, 100))
}

fn key(n: u32) -> SessionKey {
    SessionKey::from_text(format!("{n:064x}"))
}

fn session(user: i64) -> Session {
    let timeouts = SessionTimeouts {
        idle: 1800,
        absolute: 43_200,
        touch_every: 60,
        remember: 0,
    };
    let owner = Owner {
        user_id: UserId(user),
        username: "someone",
        epoch: 1,
    };
    Session::start(
        owner,
        AuthLevel::OneFactor,
        1_000,
        "127.0.0.1",
        "ua",
        &timeouts,
    )
}

/// Puts `key` for `user` as a resolution would (ticket, then put).
fn resolved(c: &SessionCache, k: &SessionKey, user: i64) {
    let ticket = c.ticket().expect("live");
    c.put(ticket, k, Arc::new(session(user)));
}

#[test]
fn nothing_is_used_before_the_channel_is_confirmed_live() {
    let c = cache(100);
    assert!(!c.is_live());
    assert!(c.ticket().is_none());
    c.live();
    resolved(&c, &key(1), 7);
    assert!(c.get(&key(1)).is_some());
}

#[test]
fn a_lost_channel_bypasses_the_cache_and_a_new_one_starts_empty() {
    let c = cache(100);
    c.live();
    resolved(&c, &key(1), 7);
    c.lost();
    assert!(
        c.get(&key(1)).is_none(),
        "bypassed while the channel is down"
    );
    assert!(c.ticket().is_none(), "nothing is kept while down");
    c.live();
    // Messages may have been missed meanwhile: nothing from before survives.
    assert!(c.get(&key(1)).is_none());
}

#[test]
fn a_stale_session_or_user_is_forgotten_at_once() {
    let c = cache(100);
    c.live();
    resolved(&c, &key(1), 7);
    resolved(&c, &key(2), 7);
    resolved(&c, &key(3), 8);
    c.stale(Stale::Session(key(1)));
    assert!(c.get(&key(1)).is_none());
    assert!(c.get(&key(2)).is_some());
    c.stale(Stale::User(UserId(7)));
    assert!(c.get(&key(2)).is_none(), "every session of the user goes");
    assert!(c.get(&key(3)).is_some(), "another user's stays");
}

#[test]
fn a_session_just_read_on_this_thread_is_forgotten_at_once_too() {
    // Each read below leaves the thread's memo holding the session it returned.
    let c = cache(100);
    c.live();
    resolved(&c, &key(1), 7);
    resolved(&c, &key(2), 7);
    assert!(c.get(&key(1)).is_some());
    assert!(c.get(&key(1)).is_some());
    c.stale(Stale::Session(key(1)));
    assert!(c.get(&key(1)).is_none(), "a signed-out session");
    assert!(c.get(&key(2)).is_some());
    c.stale(Stale::User(UserId(7)));
    assert!(c.get(&key(2)).is_none(), "a disabled user's session");
    resolved(&c, &key(3), 8);
    assert!(c.get(&key(3)).is_some());
    c.lost();
    assert!(
        c.get(&key(3)).is_none(),
        "bypassed while the channel is down"
    );
    c.live();
    assert!(
        c.get(&key(3)).is_none(),
        "nothing from before the new subscription"
    );
}

#[test]
fn a_newer_copy_replaces_the_one_just_read() {
    let c = cache(100);
    c.live();
    resolved(&c, &key(1), 7);
    assert_eq!(c.get(&key(1)).map(|s| s.last_seen), Some(1_000));
    let mut touched = session(7);
    touched.last_seen = 1_060;
    c.put(c.ticket().expect("live"), &key(1), Arc::new(touched));
    assert_eq!(c.get(&key(1)).map(|s| s.last_seen), Some(1_060));
}

#[test]
fn a_session_just_read_keeps_its_time_to_live() {
    let ttl = Duration::from_millis(100);
    let c = SessionCache::new(ttl, 100, UserCache::new(HOUR, 100));
    c.live();
    resolved(&c, &key(1), 7);
    assert!(c.get(&key(1)).is_some());
    std::thread::sleep(ttl + Duration::from_millis(20));
    assert!(c.get(&key(1)).is_none(), "kept past its time to live");
}

#[test]
fn a_read_overtaken_by_an_invalidation_is_not_kept() {
    let c = cache(100);
    c.live();
    let ticket = c.ticket().expect("live");
    // The session is ended elsewhere while this instance reads it from the store.
    c.stale(Stale::Session(key(1)));
    c.put(ticket, &key(1), Arc::new(session(7)));
    assert!(c.get(&key(1)).is_none());
    // The same for a user read.
    let ticket = c.ticket().expect("live");
    c.stale(Stale::User(UserId(9)));
    c.put_user(ticket, Arc::new(user(9)));
    assert!(c.users.get(UserId(9)).is_none());
}

#[test]
fn a_stale_user_leaves_the_user_cache_too() {
    let c = cache(100);
    c.live();
    let ticket = c.ticket().expect("live");
    c.put_user(ticket, Arc::new(user(9)));
    assert!(c.users.get(UserId(9)).is_some());
    c.stale(Stale::User(UserId(9)));
    assert!(c.users.get(UserId(9)).is_none());
}

#[test]
fn the_cache_is_bounded_by_count() {
    let c = cache(50);
    c.live();
    for n in 0..1_000 {
        resolved(&c, &key(n), i64::from(n));
    }
    c.sync();
    assert!(c.entries.entry_count() <= 50, "{}", c.entries.entry_count());
}

fn user(id: i64) -> User {
    User {
        session_epoch: 1,
        ..User::fixture(id, &format!("user{id}"))
    }
}
