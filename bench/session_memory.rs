//! Memory of in-process sessions: puts SESSIONS (default 100,000) realistic sessions into the
//! memory store and prints the resident-set growth per session: what the process really pays,
//! the allocator's overhead and the maps' spare capacity included. A measurement for
//! bench/README.md, never a test: `cargo run --release --example session_memory`.

use gatehouse::domain::session::{AuthLevel, Owner, Session, SessionId, SessionTimeouts};
use gatehouse::domain::user::UserId;
use gatehouse::store::SessionStore;
use gatehouse::store::memory::MemorySessionStore;

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kib| kib * 1024)
}

const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), gatehouse::store::StoreError> {
    let n: usize = std::env::var("SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let timeouts = SessionTimeouts {
        idle: 1800,
        absolute: 43_200,
        touch_every: 60,
        remember: 0,
    };
    let now = 1_800_000_000;
    // The records are made before the baseline: only what the store keeps is counted.
    let records: Vec<_> = (0..n)
        .map(|i| {
            let name = format!("user{:05}", i % 10_000);
            let owner = Owner {
                user_id: UserId((i % 10_000) as i64),
                username: &name,
                epoch: 1,
            };
            let ip = format!("203.0.{}.{}", (i / 250) % 250, i % 250);
            let mut s =
                Session::start(owner, AuthLevel::TwoFactor, now, &ip, USER_AGENT, &timeouts);
            s.cookie_scope = Some("example.com".to_owned());
            (SessionId::generate().key(), s)
        })
        .collect();
    let store = MemorySessionStore::new(n);
    let rss0 = rss_bytes();
    for (key, session) in &records {
        store.put(key, session, 43_200, now).await?;
    }
    let rss1 = rss_bytes();
    println!(
        "{n} sessions: RSS grew by {} bytes per session (size_of Session: {} bytes)",
        rss1.saturating_sub(rss0) / n,
        std::mem::size_of::<Session>()
    );
    Ok(())
}
