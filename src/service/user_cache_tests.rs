use std::sync::Arc;
use std::time::Duration;

use super::UserCache;
use crate::domain::user::{User, UserId};

const HOUR: Duration = Duration::from_secs(3600);

fn user(id: i64) -> Arc<User> {
    Arc::new(User {
        session_epoch: 1,
        ..User::fixture(id, &format!("user{id}"))
    })
}

#[test]
fn a_cached_user_is_served_until_forgotten_and_forgetting_is_immediate() {
    let cache = UserCache::new(HOUR, 100);
    cache.put(user(7));
    assert_eq!(cache.get(UserId(7)).map(|u| u.id), Some(UserId(7)));
    cache.forget(UserId(7));
    // No maintenance pass in between: a forgotten user is gone for the very next read.
    assert!(cache.get(UserId(7)).is_none());
    // The next read from the store is cached again.
    cache.put(user(7));
    assert!(cache.get(UserId(7)).is_some());
}

#[test]
fn zero_refresh_caches_nothing() {
    let cache = UserCache::new(Duration::ZERO, 100);
    cache.put(user(1));
    assert!(cache.get(UserId(1)).is_none());
}

#[test]
fn entries_expire_after_the_refresh_interval() {
    let cache = UserCache::new(Duration::from_millis(20), 100);
    cache.put(user(1));
    std::thread::sleep(Duration::from_millis(60));
    assert!(
        cache.get(UserId(1)).is_none(),
        "served past its time to live"
    );
}

#[test]
fn the_cache_is_bounded_and_a_busy_user_survives_a_flood_of_others() {
    let cap = 500;
    let cache = UserCache::new(HOUR, cap);
    cache.put(user(0));
    let mut misses = 0;
    for id in 1..=10 * cap as i64 {
        cache.put(user(id));
        // The busy user is read all the time; a flood of one-off users (a scan of cookies
        // for many accounts, say) must neither push it out nor empty the cache at once.
        if id % 5 == 0 && cache.get(UserId(0)).is_none() {
            misses += 1;
            cache.put(user(0));
        }
        cache.sync();
        assert!(cache.len() <= cap, "{} users kept, cap {cap}", cache.len());
    }
    assert_eq!(
        misses, 0,
        "the busy user fell out of the cache {misses} times"
    );
}

/// The thread's memo of its last user (see the module doc) is believed no longer than the
/// cache would keep the user: not past a forget on another thread, nor a newer put, nor the
/// entry's time to live, and never across caches.
#[test]
fn the_threads_last_user_is_never_believed_past_a_change() {
    let cache = UserCache::new(HOUR, 100);
    cache.put(user(7));
    assert!(cache.get(UserId(7)).is_some());
    // Forgotten on another thread (a sign-out served by another worker).
    std::thread::scope(|s| {
        s.spawn(|| cache.forget(UserId(7)));
    });
    assert!(cache.get(UserId(7)).is_none());

    // A newer read from the store is served at once.
    cache.put(user(7));
    assert_eq!(cache.get(UserId(7)).map(|u| u.session_epoch), Some(1));
    cache.put(Arc::new(User {
        session_epoch: 2,
        ..User::fixture(7, "user7")
    }));
    assert_eq!(cache.get(UserId(7)).map(|u| u.session_epoch), Some(2));

    // Another cache (after a reload) holds its own users.
    let other = UserCache::new(HOUR, 100);
    assert!(other.get(UserId(7)).is_none());

    // The memo keeps the entry's time to live.
    let short = UserCache::new(Duration::from_millis(50), 100);
    short.put(user(3));
    assert!(short.get(UserId(3)).is_some());
    std::thread::sleep(Duration::from_millis(120));
    assert!(
        short.get(UserId(3)).is_none(),
        "served past its time to live"
    );
}
