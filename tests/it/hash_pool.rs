//! The password hashing pool stays fair: a flood of sign-ins from one client address, or for
//! one account from many addresses, cannot starve another client of argon2 time.
//!
//! Clients on different addresses are real TCP clients bound to other loopback addresses
//! (127.0.0.2, 127.0.0.3, …); the gateway keys on the TCP peer because none is a trusted proxy.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::harness::*;

/// A small pool, and throttles loose enough that a flood with the right password is never
/// banned: only the pool can stand in the way of the victim's sign-ins.
const OVERLAY: &str = "[password]\nmax_concurrent_hashes = 2\n[throttle]\naccount_failures = 1000\nip_failures = 100000\n[session]\nmax_per_user = 1000\n";

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A client whose connections come from `from`.
fn client_from(from: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from)
        .timeout(std::time::Duration::from_secs(30))
        // Plain http: no root store to load.
        .tls_certs_only([])
        .build()
        .unwrap()
}

/// One sign-in (login form, then the POST) from `client`; the status of the POST.
async fn sign_in(app: &TestApp, client: &reqwest::Client, user: &str) -> u16 {
    let mut b = app.browser();
    let host = format!("{}:{}", app.portal_host, app.port);
    let form = b
        .send(
            client
                .get(app.url("/login"))
                .header("host", &host)
                .header("accept", "text/html"),
        )
        .await;
    let token = extract_csrf(&form.text().await.unwrap());
    b.send(client.post(app.url("/login")).header("host", &host).form(&[
        ("username", user),
        ("password", PW),
        ("csrf", &token),
    ]))
    .await
    .status()
    .as_u16()
}

/// Starts 40 tasks signing `flooder` in with the right password, in a loop, each from the
/// address `from(i)`; returns the stop flag and how many sign-ins the flood has finished.
fn flood(
    app: &Arc<TestApp>,
    from: impl Fn(usize) -> IpAddr,
) -> (Arc<AtomicBool>, Arc<AtomicUsize>) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    // Every client is built before the first task starts: built among running floods, they
    // took seconds.
    let clients: Vec<reqwest::Client> = (0..40).map(|i| client_from(from(i))).collect();
    for client in clients {
        let (app, stop, done) = (app.clone(), stop.clone(), done.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                sign_in(&app, &client, "mallory").await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    (stop, done)
}

/// Runs the flood, waits until it is under way, then signs bob in five times from 127.0.0.3.
async fn victim_signs_in_during(from: impl Fn(usize) -> IpAddr) {
    let app = Arc::new(TestApp::spawn(Opts::with(Store::Memory, OVERLAY)).await);
    app.add_user("mallory", PW, &[]).await;
    app.add_user("bob", PW, &[]).await;
    let victim = client_from(loopback(3));
    let (stop, done) = flood(&app, from);
    while done.load(Ordering::Relaxed) < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(sign_in(&app, &victim, "bob").await);
    }
    stop.store(true, Ordering::Relaxed);
    assert_eq!(
        statuses,
        vec![303; 5],
        "bob's sign-ins during the flood were refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_from_one_address_does_not_starve_another() {
    victim_signs_in_during(|_| loopback(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_for_one_account_from_many_addresses_does_not_starve_another() {
    victim_signs_in_during(|i| loopback(10 + u8::try_from(i).unwrap())).await;
}
