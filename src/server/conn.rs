//! One client connection from its first byte to its close: the protocol it speaks, the
//! watchdog that holds it to the deadlines of `conn_limits`, and parking.
//!
//! **Parking.** hyper keeps its state for an HTTP/1 connection for as long as the connection
//! is open: an 8 KiB read buffer (its minimum), the write buffer at its largest, the parser's
//! state. A front proxy or a browser keeps thousands of connections open and idle, so that
//! state is most of what the gateway holds. Once a kept-alive connection has been at rest for
//! [`PARK_AFTER`], hyper is asked to close it as it closes an idle connection, but the socket
//! ignores the shutdown (`Activity::set_parking`), so the client sees nothing: hyper's state
//! is dropped and the task waits on the bare socket. The client's next bytes start a fresh
//! hyper connection on the same socket. nginx frees a kept-alive connection's buffers the same
//! way. If hyper was not idle after all (an answer still being written to a client that does
//! not read), it finishes that answer and closes the connection, as it does on shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::server::TlsStream;

use super::answer::Gateway;
use super::gated::Gated;
use super::prefixed::{Prefixed, sniff};
use super::{DRAIN_QUIET, Edge, HEAD_TIMEOUT};
use crate::conn_limits::{Activity, ConnSlot, Expired, Tracked};
use crate::http::request::ConnInfo;

/// How long a kept-alive HTTP/1 connection stays at rest before it is parked. A client sending
/// one request after another (a front proxy under load) never waits that long between them;
/// one that does pays for a fresh hyper connection (a buffer and a few structs) on its next
/// request. Much longer, and a burst of new connections all hold their buffers at once: glibc
/// keeps the freed memory of such a peak, so the burst would set the process's size for good
/// (10,000 connections opened in 1.4 s: 20 KB each at one second, 8 KB at this delay;
/// bench/changes.md).
const PARK_AFTER: Duration = Duration::from_millis(100);

/// A client socket, plain or TLS, over the tracked TCP socket.
pub(super) trait Socket: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    fn tcp(&self) -> &Tracked<TcpStream>;
}

impl Socket for Tracked<TcpStream> {
    fn tcp(&self) -> &Tracked<TcpStream> {
        self
    }
}

// A parked TLS connection has no plaintext left in its session: hyper read until the socket
// had nothing more before it went idle. So the TCP socket says when the client sends again.
impl Socket for TlsStream<Tracked<TcpStream>> {
    fn tcp(&self) -> &Tracked<TcpStream> {
        self.get_ref().0
    }
}

/// What holds a connection to its deadlines, and tells it when to stop.
struct Watchdog {
    activity: std::sync::Arc<Activity>,
    idle: Duration,
    drain: Duration,
    stop: watch::Receiver<bool>,
}

impl Watchdog {
    /// Resolves when the server stops and the connection may be asked to close.
    async fn stopped(&mut self) {
        let _ = self.stop.wait_for(|stopped| *stopped).await;
        self.activity.drained(self.drain).await;
    }
}

/// How a watched connection ended.
enum Watched<C> {
    Done(hyper::Result<()>),
    /// At rest for [`PARK_AFTER`]: handed back to be parked.
    AtRest(C),
}

/// Drives `conn`; when it has been idle for the idle timeout, or the server stops and it has
/// drained, asks it to finish what is in progress and close (HTTP/2: GOAWAY), then waits for
/// that. A request head not received within [`HEAD_TIMEOUT`] ends it at once: there is no
/// request to answer. With `park_after` (the count of requests served before `conn` began),
/// hands `conn` back once it has served a request and been at rest for [`PARK_AFTER`].
async fn watch<C>(
    mut conn: C,
    dog: &mut Watchdog,
    graceful: fn(Pin<&mut C>),
    park_after: Option<u64>,
) -> Watched<C>
where
    C: Future<Output = hyper::Result<()>> + Unpin,
{
    let activity = dog.activity.clone();
    // A fresh hyper connection is not idle until it has answered once: asked to close before
    // that, it would answer its first request and close.
    let park = park_after.map(|before| (PARK_AFTER, before));
    let idle = dog.idle;
    // Gated: polled when its timer or the stop channel woke it, not at each of the
    // connection's wakes (`gated.rs`). `None`: the server stops.
    let watchdog = std::pin::pin!(async {
        tokio::select! {
            biased;
            expired = activity.expired(idle, HEAD_TIMEOUT, park) => Some(expired),
            () = dog.stopped() => None,
        }
    });
    tokio::select! {
        // The connection first: a request that arrived as a timer ran out is read and served
        // (its answer then closes the connection) rather than reset unread, which a proxy that
        // sent a POST on this kept-alive connection would not resend.
        biased;
        result = &mut conn => return Watched::Done(result),
        woke = Gated::new(watchdog) => match woke {
            Some(Expired::Idle) | None => {}
            Some(Expired::Head) => {
                tracing::debug!("request head not received within {HEAD_TIMEOUT:?}; closed");
                return Watched::Done(Ok(()));
            }
            Some(Expired::Park) => return Watched::AtRest(conn),
        },
    }
    graceful(Pin::new(&mut conn));
    // A client that stopped reading could hold the response forever.
    Watched::Done(tokio::time::timeout(idle, conn).await.unwrap_or(Ok(())))
}

/// Serves one connection until it ends, goes idle, or the server stops.
pub(super) async fn serve_connection(
    stream: TcpStream,
    slot: ConnSlot,
    peer: SocketAddr,
    edge: Edge,
) {
    let Edge {
        app,
        tls,
        stop,
        open: _open,
    } = edge;
    let limits = &app.state().config.server;
    let (idle, body_timeout) = (limits.idle_timeout, limits.body_read_timeout);
    let mut dog = Watchdog {
        activity: Activity::new(),
        idle,
        drain: DRAIN_QUIET.min(limits.shutdown_grace / 2),
        stop,
    };
    // The slot lives with the socket, so an upgraded (WebSocket) connection still counts.
    let stream = Tracked::new(stream, dog.activity.clone(), slot);
    let gateway = Gateway {
        app,
        activity: dog.activity.clone(),
        conn: ConnInfo {
            peer,
            tls: tls.is_some(),
        },
        body_timeout,
    };
    let result = match tls {
        // Boxed: a TLS session's states are large, and the task of every plain connection
        // would otherwise be as large as a TLS one's for its whole life.
        Some(acceptor) => {
            Box::pin(async move {
                let accept = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream)).await;
                let Ok(Ok(stream)) = accept else {
                    return Ok(());
                };
                serve(stream, gateway, &mut dog).await
            })
            .await
        }
        None => serve(stream, gateway, &mut dog).await,
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Tells HTTP/2 from HTTP/1 by the first bytes, then serves the connection in that protocol.
async fn serve<S: Socket>(stream: S, gateway: Gateway, dog: &mut Watchdog) -> hyper::Result<()> {
    let activity = dog.activity.clone();
    let sniffed = tokio::select! {
        biased;
        sniffed = sniff(stream, activity.clone()) => sniffed,
        _ = activity.expired(dog.idle, HEAD_TIMEOUT, None) => return Ok(()),
        () = dog.stopped() => return Ok(()),
    };
    let Ok((io, http2)) = sniffed else {
        return Ok(());
    };
    let max_header = gateway.app.state().config.server.max_header_bytes;
    if http2 {
        let conn = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(max_header).unwrap_or(u32::MAX))
            .serve_connection(TokioIo::new(io), gateway);
        let conn = Box::pin(conn);
        return match watch(
            conn,
            dog,
            |c| c.get_mut().as_mut().graceful_shutdown(),
            None,
        )
        .await
        {
            Watched::Done(result) => result,
            Watched::AtRest(_) => Ok(()),
        };
    }
    let mut http1 = http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        // hyper's own deadline runs from the end of each answer, so it would also close every
        // kept-alive connection quiet for that long; the watchdog keeps the deadline from the
        // first byte instead.
        .header_read_timeout(None)
        .max_buf_size(max_header.max(8192))
        // Each answer's head and body copied into one buffer and sent with one `write`, not
        // queued and sent with `writev`: the common answer is a head and a small body, and the
        // queue's bookkeeping cost more than the copy (bench/changes.md). The buffer keeps its
        // largest size only while the connection is busy: one at rest is parked, and hyper's
        // buffers go with it.
        .writev(false);
    serve_http1(fresh(&http1, io, gateway), &http1, dog).await
}

/// hyper's HTTP/1 connection on a client socket.
type Http1<S> = http1::UpgradeableConnection<TokioIo<Prefixed<S>>, Gateway>;

/// Serves HTTP/1 with `conn`, parking the connection whenever it comes to rest and serving it
/// again with a fresh hyper connection when the client sends its next bytes.
///
/// hyper's connection is boxed: it is most of a busy connection's state (2.9 KB), and inline it
/// would size the task of every parked connection for it too. The socket and the service are
/// handed in inside it for the same reason: an async fn's arguments stay in its task.
async fn serve_http1<S: Socket>(
    mut conn: Box<Http1<S>>,
    http1: &http1::Builder,
    dog: &mut Watchdog,
) -> hyper::Result<()> {
    loop {
        let Some((io, gateway)) = serve_until_rest(conn, dog).await? else {
            return Ok(());
        };
        if !parked(&io, dog).await {
            return Ok(());
        }
        conn = fresh(http1, io, gateway);
    }
}

/// A fresh hyper connection on `io`, boxed (see [`serve_http1`]).
fn fresh<S: Socket>(http1: &http1::Builder, io: Prefixed<S>, gateway: Gateway) -> Box<Http1<S>> {
    Box::new(
        http1
            .serve_connection(TokioIo::new(io), gateway)
            .with_upgrades(),
    )
}

/// Serves a fresh hyper connection until it ends (`None`) or comes to rest, when hyper's state
/// is dropped and the socket and the service are handed back.
async fn serve_until_rest<S: Socket>(
    mut conn: Box<Http1<S>>,
    dog: &mut Watchdog,
) -> hyper::Result<Option<(Prefixed<S>, Gateway)>> {
    let mut park_after = Some(dog.activity.served());
    let parts = loop {
        let graceful =
            |c: Pin<&mut Box<Http1<S>>>| Pin::new(&mut **c.get_mut()).graceful_shutdown();
        match watch(conn, dog, graceful, park_after).await {
            Watched::Done(result) => return result.map(|()| None),
            Watched::AtRest(mut at_rest) => {
                // Idle, hyper closes at once and its shutdown is ignored; busy, it goes on.
                dog.activity.set_parking(true);
                Pin::new(&mut *at_rest).graceful_shutdown();
                let closed =
                    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut at_rest).poll(cx))).await;
                dog.activity.set_parking(false);
                match closed {
                    Poll::Ready(Ok(())) => break (*at_rest).into_parts(),
                    Poll::Ready(Err(e)) => return Err(e),
                    Poll::Pending => {
                        // It closes after the answer in progress; until then, as before.
                        park_after = None;
                        conn = at_rest;
                    }
                }
            }
        }
    };
    // None: the connection was upgraded (a WebSocket), and its socket has moved on.
    Ok(parts.map(|parts| {
        let mut io = parts.io.into_inner();
        io.unread(parts.read_buf);
        (io, parts.service)
    }))
}

/// Waits on a parked connection's bare socket: `true` when the client has sent something
/// (or closed: hyper will see it), `false` when the connection should close (idle timeout,
/// shutdown).
async fn parked<S: Socket>(io: &Prefixed<S>, dog: &mut Watchdog) -> bool {
    if io.has_prefix() {
        return true;
    }
    let tcp = io.get_ref().tcp();
    let _parked = tcp.slot().parked();
    let activity = dog.activity.clone();
    tokio::select! {
        biased;
        readable = tcp.get_ref().readable() => readable.is_ok(),
        _ = activity.expired(dog.idle, HEAD_TIMEOUT, None) => false,
        () = dog.stopped() => false,
    }
}
