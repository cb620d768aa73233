//! The serving shape of `serve` and `demo`: one worker thread per core, each a single-threaded
//! tokio runtime accepting on its own listening sockets (`SO_REUSEPORT`, so the kernel spreads
//! new connections over the workers). A connection, its requests and the upstream connections
//! it uses then stay on one thread: no work stealing and no cross-thread wake-ups on the hot
//! path, which measured faster than one multi-threaded runtime (bench/changes.md). The thread
//! that calls [`serve`] is worker 0 and also runs the background tasks.
//!
//! Only sockets of the same user can join a `SO_REUSEPORT` group on Linux, so another
//! account cannot take a share of the connections.

use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::sync::Arc;

use anyhow::Context;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::{RwLock, watch};

use super::{Shared, run_until_stopped};
use crate::http::entry::App;

/// Listening sockets bound for every worker: `per_worker[w]` holds worker `w`'s socket for
/// each configured address.
pub struct Bound {
    per_worker: Vec<Vec<StdListener>>,
    /// The bound addresses (port 0 resolved), one per configured address.
    pub addrs: Vec<SocketAddr>,
}

/// The number of workers for a configured value: `0` is one per core this process may run on
/// (its CPU affinity and cgroup quota count).
pub fn count(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Binds every address once per worker, all sockets of an address in one `SO_REUSEPORT`
/// group. Fails as a whole (a busy port is reported before anything is served).
pub fn bind<A: ToSocketAddrs + std::fmt::Display>(
    addrs: &[A],
    workers: usize,
) -> anyhow::Result<Bound> {
    let workers = workers.max(1);
    let mut per_worker: Vec<Vec<StdListener>> = (0..workers).map(|_| Vec::new()).collect();
    let mut bound = Vec::new();
    for addr in addrs {
        let first = first_bindable(addr).with_context(|| format!("binding {addr}"))?;
        let local = first.local_addr()?;
        per_worker[0].push(first);
        for listeners in per_worker.iter_mut().skip(1) {
            listeners.push(listen(local).with_context(|| format!("binding {local} again"))?);
        }
        bound.push(local);
    }
    Ok(Bound {
        per_worker,
        addrs: bound,
    })
}

/// Like `TcpListener::bind`: the first resolved address that binds.
fn first_bindable(addr: impl ToSocketAddrs) -> std::io::Result<StdListener> {
    let mut last = None;
    for candidate in addr.to_socket_addrs()? {
        match listen(candidate) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("the address resolved to nothing")))
}

fn listen(addr: SocketAddr) -> std::io::Result<StdListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // As tokio's own bind: a restart may bind while old connections sit in TIME_WAIT.
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Serves on `bound` with one worker per socket group until `stop` turns true, then lets every
/// worker drain its connections within the grace period.
pub(crate) async fn serve(
    app: App,
    bound: Bound,
    shared: Shared,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut groups = bound.per_worker.into_iter();
    let own = groups.next().unwrap_or_default();
    // Each worker holds a read guard while it serves. The store pools are shared, but a pooled
    // connection's socket belongs to the runtime that opened it: a worker whose runtime ended
    // would break the connections it opened for the workers still draining. So every worker
    // thread keeps its runtime until all have finished (the write lock: no guard left).
    let everyone = Arc::new(RwLock::new(()));
    let serving = everyone.clone().try_read_owned()?;
    let mut threads = Vec::new();
    for (n, group) in groups.enumerate() {
        let (app, shared, stop) = (app.clone(), shared.clone(), stop.clone());
        let (everyone, serving) = (everyone.clone(), everyone.clone().try_read_owned()?);
        let thread = std::thread::Builder::new()
            .name(format!("gatehouse-worker-{}", n + 1))
            .spawn(move || -> anyhow::Result<()> {
                let served = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(anyhow::Error::from)
                    .and_then(|runtime| {
                        runtime.block_on(async move {
                            let served = match registered(group) {
                                Ok(listeners) => {
                                    run_until_stopped(app, listeners, shared, stop).await;
                                    Ok(())
                                }
                                Err(e) => Err(e),
                            };
                            drop(serving);
                            let _all_done = everyone.write().await;
                            served
                        })
                    });
                // Said at once: the other workers keep serving, so the error would otherwise
                // wait for the shutdown to be reported.
                if let Err(e) = &served {
                    tracing::error!(worker = n + 1, error = %format!("{e:#}"), "a worker thread stopped");
                }
                served
            })
            .context("starting a worker thread")?;
        threads.push(thread);
    }
    run_until_stopped(app, registered(own)?, shared, stop).await;
    drop(serving);
    // The other workers stop on the same signal; wait for their drains off the runtime.
    let joined = tokio::task::spawn_blocking(move || {
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a worker panicked")))
            })
            .collect::<anyhow::Result<Vec<()>>>()
    })
    .await?;
    joined.map(|_| ())
}

/// Hands std listeners to the current runtime's reactor.
fn registered(group: Vec<StdListener>) -> anyhow::Result<Vec<TcpListener>> {
    group
        .into_iter()
        .map(|l| TcpListener::from_std(l).context("registering a listener"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_worker_gets_a_socket_on_the_same_port() {
        let bound = bind(&["127.0.0.1:0"], 3).unwrap();
        assert_eq!(bound.per_worker.len(), 3);
        let port = bound.addrs[0].port();
        for group in &bound.per_worker {
            assert_eq!(group.len(), 1);
            assert_eq!(group[0].local_addr().unwrap().port(), port);
        }
    }

    #[test]
    fn a_port_in_use_by_a_plain_socket_is_refused() {
        let taken = StdListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let err = bind(&[addr.to_string()], 2)
            .err()
            .expect("the port is taken");
        assert!(format!("{err:#}").contains(&addr.to_string()), "{err:#}");
    }

    #[test]
    fn zero_means_one_per_core() {
        assert!(count(0) >= 1);
        assert_eq!(count(3), 3);
    }
}
