//! The idle upstream connections, kept per worker thread and per upstream: a connection is
//! taken (the newest ready one) for one request and given back when its response body has been
//! read to the end, so a connection in the list is between two exchanges or about to be.
//!
//! Per thread because a connection is driven by a task on the runtime that opened it: a pool
//! shared by the workers (src/server/workers.rs) would hand most responses from one thread to
//! another. A thread-local list needs neither a lock nor a hash of the upstream's name, which
//! hyper-util's pool paid on every request (bench/changes.md).

use std::cell::RefCell;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use tokio::time::Sleep;

/// How long a connection may sit unused before it is closed (checked once a period, so an
/// idle connection lives between one and two periods, as in hyper-util's pool).
pub(super) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Idle connections kept per upstream and thread; one given back beyond this is closed (for
/// hyper's connections here and the own client's in `plain.rs`).
pub(super) const MAX_IDLE: usize = 256;

/// Which list a connection belongs to: one per upstream (scheme, address and trust).
pub(super) type PoolId = u64;

/// One upstream connection: the handle requests are sent through, its use count, and the
/// timer of its requests' deadline.
pub(super) struct Conn {
    pub(super) sender: SendRequest<Body>,
    /// Bumped when the connection is taken and when it is given back: odd while in use. The
    /// connection's task closes it when a whole idle period passes without a change.
    uses: Arc<AtomicU64>,
    /// The deadline of the answer to the request in flight, one timer for the connection's
    /// life. Moved later for each request, a timer still in the runtime's wheel is only
    /// given its new time (tokio fires it at the old one, sees the new one and files it
    /// again), where a timer per request was filed into the wheel and taken out of it every
    /// time (bench/changes.md).
    pub(super) deadline: Pin<Box<Sleep>>,
}

thread_local! {
    /// This thread's idle connections, by upstream (a handful of upstreams).
    static IDLE: RefCell<Vec<(PoolId, Vec<Conn>)>> = const { RefCell::new(Vec::new()) };
}

impl Conn {
    /// A new connection, in use, and the count its task watches.
    pub(super) fn new(sender: SendRequest<Body>) -> (Self, Arc<AtomicU64>) {
        let uses = Arc::new(AtomicU64::new(1));
        let conn = Self {
            sender,
            uses: uses.clone(),
            // Not in the wheel until first polled; every request sets its own time first.
            deadline: Box::pin(tokio::time::sleep(IDLE_TIMEOUT)),
        };
        (conn, uses)
    }

    /// Puts the connection back in this thread's list for `pool`.
    fn give_back(self, pool: PoolId) {
        if self.sender.is_closed() {
            return;
        }
        self.uses.fetch_add(1, Ordering::Relaxed);
        // try_: a body dropped while the thread's storage is torn down just closes its connection.
        let _ = IDLE.try_with(|idle| {
            let Ok(mut idle) = idle.try_borrow_mut() else {
                return;
            };
            if let Some((_, conns)) = idle.iter_mut().find(|(id, _)| *id == pool) {
                if conns.len() < MAX_IDLE {
                    conns.push(self);
                }
                return;
            }
            // A new upstream on this thread (a start or a reload): lists whose connections
            // have all closed belong to a replaced site table and go.
            idle.retain_mut(|(_, conns)| {
                conns.retain(|c| !c.sender.is_closed());
                !conns.is_empty()
            });
            idle.push((pool, vec![self]));
        });
    }
}

/// The newest idle connection to `pool` on this thread that is ready for a request, marked in
/// use. Closed ones met on the way go; one still finishing its exchange (its request body still
/// going up) stays for later rather than making this request wait on it.
pub(super) fn take(pool: PoolId) -> Option<Conn> {
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        let (_, conns) = idle.iter_mut().find(|(id, _)| *id == pool)?;
        let mut i = conns.len();
        while i > 0 {
            i -= 1;
            if conns[i].sender.is_closed() {
                conns.remove(i);
            } else if conns[i].sender.is_ready() {
                let conn = conns.remove(i);
                conn.uses.fetch_add(1, Ordering::Relaxed);
                return Some(conn);
            }
        }
        None
    })
}

/// Runs beside a connection's task and returns when the connection has been idle a whole
/// period, which ends the task and closes the connection.
pub(super) async fn idle_expiry(uses: Arc<AtomicU64>) {
    let mut seen = uses.load(Ordering::Relaxed);
    loop {
        tokio::time::sleep(IDLE_TIMEOUT).await;
        let now = uses.load(Ordering::Relaxed);
        if now == seen && now.is_multiple_of(2) {
            return;
        }
        seen = now;
    }
}

/// An upstream response body that gives its connection back once read to the end. A body
/// dropped before its end takes the connection with it (hyper closes a connection whose
/// response was not read), so only connections between exchanges are pooled.
pub(super) struct Returning {
    inner: Incoming,
    conn: Option<(PoolId, Conn)>,
}

impl Returning {
    pub(super) fn new(inner: Incoming, pool: PoolId, conn: Conn) -> Self {
        Self {
            inner,
            conn: Some((pool, conn)),
        }
    }
}

impl http_body::Body for Returning {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => {
                if let Some((pool, conn)) = this.conn.take() {
                    conn.give_back(pool);
                }
            }
            Poll::Ready(Some(Err(_))) => this.conn = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        // The server stops polling a body whose length it has sent; it is then at its end
        // without having yielded `None`.
        if let Some((pool, conn)) = self.conn.take()
            && self.inner.is_end_stream()
        {
            conn.give_back(pool);
        }
    }
}
