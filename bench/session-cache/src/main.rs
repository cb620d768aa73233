//! The session cache's hot path on one cache implementation (chosen by feature): the same
//! key and value shapes as the gateway (64-hex-digit store keys, a shared record of a few
//! hundred bytes), 100 000 entries at most, a 2 s time to live. Prints one line per workload:
//! nanoseconds per operation, best of three runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

const CAP: usize = 100_000;
const TTL: Duration = Duration::from_secs(2);
const HOT: usize = 10_000;
const OPS: usize = 2_000_000;

/// About the size of a session record (user, name, IP, user agent, times).
#[derive(Clone)]
#[allow(dead_code)]
struct Record {
    user_id: i64,
    username: String,
    ip: String,
    user_agent: String,
    times: [i64; 5],
}

fn record(n: usize) -> Arc<Record> {
    Arc::new(Record {
        user_id: n as i64,
        username: format!("user{n}"),
        ip: "198.51.100.7".into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
        times: [n as i64; 5],
    })
}

fn key(n: usize) -> String {
    // A cheap mix so keys look random, then 64 hex digits like a SHA-256.
    let x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("{x:016x}{:016x}{x:016x}{:016x}", !x, x.rotate_left(17))
}

trait SessionCache: Send + Sync + 'static {
    fn name() -> &'static str;
    fn new() -> Self;
    fn get(&self, k: &str) -> Option<Arc<Record>>;
    fn put(&self, k: String, v: Arc<Record>);
    fn forget(&self, k: &str);
}

#[cfg(feature = "moka")]
impl SessionCache for moka::sync::Cache<String, Arc<Record>> {
    fn name() -> &'static str {
        "moka 0.12 (sync::Cache)"
    }
    fn new() -> Self {
        moka::sync::Cache::builder()
            .max_capacity(CAP as u64)
            .time_to_live(TTL)
            .support_invalidation_closures()
            .build()
    }
    fn get(&self, k: &str) -> Option<Arc<Record>> {
        moka::sync::Cache::get(self, k)
    }
    fn put(&self, k: String, v: Arc<Record>) {
        self.insert(k, v);
    }
    fn forget(&self, k: &str) {
        self.invalidate(k);
    }
}

#[cfg(feature = "tinyufo")]
impl SessionCache for pingora_memory_cache::MemoryCache<String, Arc<Record>> {
    fn name() -> &'static str {
        "pingora-memory-cache 0.9 (TinyUFO)"
    }
    fn new() -> Self {
        pingora_memory_cache::MemoryCache::new(CAP)
    }
    fn get(&self, k: &str) -> Option<Arc<Record>> {
        pingora_memory_cache::MemoryCache::get(self, k).0
    }
    fn put(&self, k: String, v: Arc<Record>) {
        pingora_memory_cache::MemoryCache::put(self, &k, v, Some(TTL));
    }
    fn forget(&self, k: &str) {
        self.remove(k);
    }
}

/// Best of three runs of `f` over `threads` threads doing `OPS` operations in all; ns/op.
fn measure<C: SessionCache>(cache: &Arc<C>, threads: usize, f: fn(&C, &[String], usize)) -> f64 {
    let keys: Arc<Vec<String>> = Arc::new((0..HOT * 20).map(key).collect());
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (cache, keys) = (cache.clone(), keys.clone());
                    std::thread::spawn(move || {
                        for i in 0..OPS / threads {
                            f(&cache, &keys, i * threads + t);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            start.elapsed().as_nanos() as f64 / OPS as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn hit<C: SessionCache>(c: &C, keys: &[String], i: usize) {
    let k = &keys[(i * 7919) % HOT];
    std::hint::black_box(c.get(k));
}

/// The resolve path on a mixed load: 90 % hits on the hot set, 10 % misses that read
/// "Redis" and put the record (a working set 20× the hot one, so entries are admitted and evicted).
fn mixed<C: SessionCache>(c: &C, keys: &[String], i: usize) {
    let n = if i.is_multiple_of(10) {
        (i * 104_729) % keys.len()
    } else {
        (i * 7919) % HOT
    };
    if c.get(&keys[n]).is_none() {
        c.put(keys[n].clone(), record(n));
    }
}

/// A sign-out followed by the next sign-in's first resolve.
fn churn<C: SessionCache>(c: &C, keys: &[String], i: usize) {
    let n = (i * 7919) % HOT;
    c.forget(&keys[n]);
    c.put(keys[n].clone(), record(n));
}

fn run<C: SessionCache>() {
    let cache = Arc::new(C::new());
    for n in 0..HOT {
        cache.put(key(n), record(n));
    }
    println!("{}", C::name());
    for threads in [1, 2] {
        println!(
            "  hit, {threads} thread(s): {:.0} ns/op",
            measure(&cache, threads, hit::<C>)
        );
    }
    println!(
        "  mixed 90/10, 2 threads: {:.0} ns/op",
        measure(&cache, 2, mixed::<C>)
    );
    println!(
        "  forget + put, 2 threads: {:.0} ns/op",
        measure(&cache, 2, churn::<C>)
    );
    let found = (0..HOT).filter(|n| cache.get(&key(*n)).is_some()).count();
    println!("  hot set still cached after the runs: {found} of {HOT}");
}

fn main() {
    #[cfg(feature = "moka")]
    run::<moka::sync::Cache<String, Arc<Record>>>();
    #[cfg(feature = "tinyufo")]
    run::<pingora_memory_cache::MemoryCache<String, Arc<Record>>>();
}
