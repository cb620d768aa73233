//! Our own HTTP/1.1 client for the common request: one without a body, to a plain-HTTP
//! upstream, and not an upgrade. The request's head comes written by the proxy, in one pass over
//! the client's headers (`head.rs`), and the answer is read inside the request's own future, on connections kept per worker thread.
//! hyper's client does the same work through a connection task, a channel to it and a body
//! channel back, which cost a proxied request about a fifth of its throughput
//! (bench/changes.md, `bench/proxy_floor.sh`). Requests with a body, upgrades and https keep
//! hyper's client (`client.rs`).
//!
//! The answer's framing is read strictly (`framing.rs`), and a connection is kept only after an
//! answer whose end was certain and past which nothing arrived, so that no user's request is
//! answered with what was meant for another's.

use std::cell::{Cell, RefCell};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::BytesMut;
use http::{Method, Response};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::ForwardError;
use super::framing::{self, Parsed};
use super::plain_body::PlainBody;
use super::pool::{IDLE_TIMEOUT, MAX_IDLE, PoolId};

/// Read buffer growth: most answers to a proxied request fit in one read.
const READ_CHUNK: usize = 8 * 1024;

/// One kept-alive connection to an upstream, with what was read past the last answer's head.
pub(super) struct PlainConn {
    stream: TcpStream,
    pub(super) buf: BytesMut,
    /// The answer's deadline, one timer for the connection's life (as `pool::Conn`'s).
    deadline: Pin<Box<Sleep>>,
    /// When it was last given back ([`crate::clock::coarse_ms`]).
    idle_since: u64,
}

impl PlainConn {
    fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            buf: BytesMut::new(),
            deadline: Box::pin(tokio::time::sleep(IDLE_TIMEOUT)),
            idle_since: crate::clock::coarse_ms(),
        }
    }

    /// Reads what the socket has into the buffer: the count, 0 at the upstream's close.
    /// Through tokio's `poll_read`, which on Linux takes a short read as the socket's end: the
    /// connection's readiness is then cleared without a read that finds nothing, and
    /// [`Self::stirred`] can trust it.
    pub(super) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 2 {
            self.buf.reserve(READ_CHUNK);
        }
        tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.buf)
    }

    /// Whether it has been idle for the pool's idle timeout.
    fn idle_too_long(&self) -> bool {
        let idle = crate::clock::coarse_ms().saturating_sub(self.idle_since);
        u128::from(idle) >= IDLE_TIMEOUT.as_millis()
    }

    /// Whether the upstream has sent anything since this idle connection was given back: its
    /// close, or bytes that answer no request. Either way it must not be used: such bytes would
    /// be read as the answer to the next user's request. The runtime's readiness says whether
    /// anything arrived since the last read ended short (as nginx and hyper's client learn it,
    /// from the event); when it does, a peek at the socket tells a leftover readiness (the last
    /// read filled the buffer exactly) from a real arrival.
    fn stirred(&self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        if self.stream.poll_read_ready(&mut cx).is_pending() {
            return false;
        }
        let mut byte = [MaybeUninit::uninit(); 1];
        !matches!(
            socket2::SockRef::from(&self.stream).peek(&mut byte),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        )
    }
}

thread_local! {
    /// This thread's idle connections, by upstream, newest last.
    static IDLE: RefCell<Vec<(PoolId, Vec<PlainConn>)>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread's sweeper task runs.
    static SWEEPING: Cell<bool> = const { Cell::new(false) };
}

/// The newest idle connection to `pool` that is fit for a request. Ones the upstream stirred
/// or that sat idle too long are closed on the way.
fn take(pool: PoolId) -> Option<PlainConn> {
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        let (_, conns) = idle.iter_mut().find(|(id, _)| *id == pool)?;
        while let Some(conn) = conns.pop() {
            if !conn.stirred() && !conn.idle_too_long() {
                return Some(conn);
            }
        }
        None
    })
}

/// Puts a connection whose last answer ended cleanly back in this thread's list for `pool`.
pub(super) fn give_back(pool: PoolId, mut conn: PlainConn) {
    conn.idle_since = crate::clock::coarse_ms();
    // try_: a body dropped while the thread's storage is torn down just closes its connection.
    let _ = IDLE.try_with(|idle| {
        let Ok(mut idle) = idle.try_borrow_mut() else {
            return;
        };
        match idle.iter_mut().find(|(id, _)| *id == pool) {
            Some((_, conns)) if conns.len() < MAX_IDLE => conns.push(conn),
            Some(_) => {}
            None => idle.push((pool, vec![conn])),
        }
    });
    sweep_later();
}

/// Starts this thread's sweeper if it is not running: every idle period it closes the
/// connections that sat idle a whole period or that the upstream stirred (closed, most
/// often), and it stops when none is left. Run on this thread's runtime (a worker's runtime
/// has one thread), it sees this thread's list; elsewhere it only stops.
fn sweep_later() {
    if SWEEPING.with(Cell::get) || tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    SWEEPING.with(|s| s.set(true));
    let home = std::thread::current().id();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(IDLE_TIMEOUT).await;
            if std::thread::current().id() != home {
                return;
            }
            let left = IDLE.with(|idle| {
                let mut idle = idle.borrow_mut();
                idle.retain_mut(|(_, conns)| {
                    conns.retain(|c| !c.stirred() && !c.idle_too_long());
                    !conns.is_empty()
                });
                !idle.is_empty()
            });
            if !left {
                SWEEPING.with(|s| s.set(false));
                return;
            }
        }
    });
}

/// Whether a request may be sent again after a kept connection failed under it: only one whose
/// repetition changes nothing more than it did once (RFC 9110 9.2.2).
pub(super) fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Where and how to reach one plain-HTTP upstream.
pub(super) struct Plain<'a> {
    pub(super) pool: PoolId,
    pub(super) authority: &'a str,
    pub(super) connect_timeout: Duration,
}

impl Plain<'_> {
    /// Sends a bodiless request, `head` as written on the wire (`head.rs`), and reads the
    /// answer's head within `timeout`; its body streams from the connection. A kept connection
    /// that fails before any byte of the answer came is given up and an idempotent request
    /// sent again on a new one.
    /// `head_only`: the request is a `HEAD`, whose answer has no body; `idempotent`: it may
    /// be sent again ([`idempotent`]). Not an `async fn`, nor is `exchange`: an `async fn`
    /// holds its arguments twice in its future (the connection, 88 bytes, in `exchange`).
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn holds its arguments twice"
    )]
    pub(super) fn send<'s>(
        &'s self,
        head: &'s [u8],
        head_only: bool,
        idempotent: bool,
        timeout: Duration,
    ) -> impl Future<Output = Result<Response<PlainBody>, ForwardError>> + Send + 's {
        async move {
            let deadline = Instant::now() + timeout;
            loop {
                // `if let`, not `match`: the taken `Option` is gone before the connecting
                // waits, where a `match` would keep it (88 bytes) in the future to its end.
                let (conn, reused) = if let Some(conn) = take(self.pool) {
                    (conn, true)
                } else {
                    (Box::pin(self.connect(deadline)).await?, false)
                };
                match self.exchange(conn, head, head_only, deadline).await {
                    Ok(answer) => return Ok(answer),
                    // The upstream closed a kept connection as the request reached it: one
                    // that was not written is sent again whatever its method, one that was
                    // only if idempotent.
                    Err(Failed::Unsent(_)) if reused => {}
                    Err(Failed::Quiet(_)) if reused && idempotent => {}
                    Err(Failed::Unsent(e) | Failed::Quiet(e) | Failed::Broken(e)) => return Err(e),
                }
            }
        }
    }

    async fn connect(&self, deadline: Instant) -> Result<PlainConn, ForwardError> {
        let limit = deadline.min(Instant::now() + self.connect_timeout);
        let stream = tokio::time::timeout_at(limit, TcpStream::connect(self.authority))
            .await
            .map_err(|_| ForwardError::Timeout)?
            .map_err(|e| ForwardError::Unreachable(format!("connect: {e}")))?;
        stream
            .set_nodelay(true)
            .map_err(|e| ForwardError::Unreachable(format!("connect: {e}")))?;
        Ok(PlainConn::new(stream))
    }

    /// Writes the head and reads the answer's head, skipping interim answers.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn holds its arguments twice"
    )]
    fn exchange<'s>(
        &'s self,
        mut conn: PlainConn,
        head: &'s [u8],
        is_head: bool,
        deadline: Instant,
    ) -> impl Future<Output = Result<Response<PlainBody>, Failed>> + Send + 's {
        async move {
            conn.deadline.as_mut().reset(deadline);
            if let Err(e) = conn.stream.write_all(head).await {
                return Err(Failed::Unsent(ForwardError::Unreachable(format!(
                    "send: {e}"
                ))));
            }
            let mut heard = false;
            loop {
                match framing::parse_head(&mut conn.buf, is_head) {
                    Ok(Parsed::Partial) => {}
                    Ok(Parsed::Interim) => continue,
                    Ok(Parsed::Complete(answer)) => {
                        let body = PlainBody::new(conn, answer.framing, answer.reusable, self.pool);
                        return Ok(answer.response.map(|()| body));
                    }
                    Err(cause) => return Err(Failed::Broken(ForwardError::Unreachable(cause))),
                }
                let read = std::future::poll_fn(|cx| {
                    if let Poll::Ready(read) = conn.poll_fill(cx) {
                        return Poll::Ready(Some(read));
                    }
                    conn.deadline.as_mut().poll(cx).map(|()| None)
                })
                .await;
                match read {
                    None => return Err(Failed::Broken(ForwardError::Timeout)),
                    Some(Ok(0)) if !heard => {
                        return Err(Failed::Quiet(ForwardError::Unreachable(
                            "the upstream closed the connection without answering".to_owned(),
                        )));
                    }
                    Some(Ok(0)) => {
                        return Err(Failed::Broken(ForwardError::Unreachable(
                            "the upstream closed the connection within its answer's head"
                                .to_owned(),
                        )));
                    }
                    Some(Ok(_)) => heard = true,
                    Some(Err(e)) if !heard => {
                        return Err(Failed::Quiet(ForwardError::Unreachable(format!(
                            "read: {e}"
                        ))));
                    }
                    Some(Err(e)) => {
                        return Err(Failed::Broken(ForwardError::Unreachable(format!(
                            "read: {e}"
                        ))));
                    }
                }
            }
        }
    }
}

/// How an exchange failed: writing the request (`Unsent`), after it without any byte of an
/// answer (`Quiet`: on a kept connection, the upstream may have closed it just as the request
/// arrived), or later.
enum Failed {
    Unsent(ForwardError),
    Quiet(ForwardError),
    Broken(ForwardError),
}
