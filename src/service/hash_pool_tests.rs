use std::net::IpAddr;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|_| unreachable!())
}

fn pool(permits: usize) -> HashPool {
    HashPool::new(PoolLimits::for_permits(permits, 8))
}

fn run(pool: &HashPool, c: Claimant) -> Permit {
    match pool.enter(c) {
        Ok(Ok(p)) => p,
        _ => unreachable!("expected a running slot"),
    }
}

fn wait(pool: &HashPool, c: Claimant) -> Place {
    match pool.enter(c) {
        Ok(Err(p)) => p,
        _ => unreachable!("expected a place in the queue"),
    }
}

fn granted(place: &mut Place) -> bool {
    place.grant.try_recv().is_ok()
}

#[test]
fn one_client_gets_its_share_and_a_bounded_queue() {
    let pool = pool(2);
    let a = || Claimant::new(ip("192.0.2.1"), "mallory");
    let _running = run(&pool, a());
    let _queued: Vec<Place> = (0..QUEUED_PER_CLAIMANT).map(|_| wait(&pool, a())).collect();
    assert!(matches!(pool.enter(a()), Err(Full)));
    // Another client runs at once on the permit the first may not take.
    let _other = run(&pool, Claimant::new(ip("192.0.2.2"), "bob"));
}

#[test]
fn one_account_from_many_addresses_is_capped_too() {
    let pool = pool(2);
    let from = |i: u8| Claimant::new(IpAddr::from([192, 0, 2, i]), " Mallory");
    let _running = run(&pool, from(1));
    let _queued: Vec<Place> = (2..=5).map(|i| wait(&pool, from(i))).collect();
    assert!(matches!(pool.enter(from(6)), Err(Full)));
    let _other = run(&pool, Claimant::new(ip("192.0.2.99"), "bob"));
}

#[test]
fn an_ipv6_64_is_one_client() {
    let pool = pool(2);
    let _running = run(&pool, Claimant::new(ip("2001:db8::1"), "a"));
    let mut place = wait(&pool, Claimant::new(ip("2001:db8::ffff:2"), "b"));
    assert!(!granted(&mut place));
    let _other = run(&pool, Claimant::new(ip("2001:db8:0:1::1"), "c"));
}

#[test]
fn waiters_are_served_round_robin_across_clients() {
    let pool = pool(1);
    let a = || Claimant::new(ip("192.0.2.1"), "a");
    let b = || Claimant::new(ip("192.0.2.2"), "b");
    let first = run(&pool, a());
    let mut a1 = wait(&pool, a());
    let mut a2 = wait(&pool, a());
    let mut b1 = wait(&pool, b());
    drop(first);
    assert!(granted(&mut a1));
    a1.done = true;
    drop(Permit {
        shared: pool.shared.clone(),
        claimant: a(),
    });
    // b waited behind two of a's jobs, but is served before a's second.
    assert!(granted(&mut b1));
    assert!(!granted(&mut a2));
    b1.done = true;
}

#[test]
fn a_waiter_that_leaves_frees_its_place_and_its_grant() {
    let pool = pool(1);
    let a = || Claimant::new(ip("192.0.2.1"), "a");
    let first = run(&pool, a());
    let gone = wait(&pool, Claimant::new(ip("192.0.2.2"), "b"));
    let next = wait(&pool, Claimant::new(ip("192.0.2.3"), "c"));
    drop(gone);
    // The slot goes to c, granted but not yet received; c leaving passes it on.
    drop(first);
    drop(next);
    let state = pool.shared.lock();
    assert_eq!((state.running, state.waiting), (0, 0));
    assert!(state.clients.is_empty() && state.accounts.is_empty());
    assert!(state.queues.is_empty() && state.rotation.is_empty());
    drop(state);
    let _again = run(&pool, a());
}

#[test]
fn internal_work_is_not_capped_per_claimant_but_is_bounded() {
    let pool = pool(1);
    let _running = run(&pool, Claimant::internal());
    let queued: Vec<Place> = (0..8).map(|_| wait(&pool, Claimant::internal())).collect();
    assert!(matches!(pool.enter(Claimant::internal()), Err(Full)));
    drop(queued);
}

#[tokio::test]
async fn acquire_waits_for_a_release() {
    let pool = pool(1);
    let first = run(&pool, Claimant::new(ip("192.0.2.1"), "a"));
    let p2 = pool.clone();
    let waiter = tokio::spawn(async move {
        p2.acquire(
            Claimant::new(ip("192.0.2.2"), "b"),
            std::time::Duration::from_secs(30),
        )
        .await
        .is_ok()
    });
    tokio::task::yield_now().await;
    drop(first);
    assert!(matches!(waiter.await, Ok(true)));
    assert_eq!(pool.shared.lock().running, 0);
}
