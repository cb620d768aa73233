//! Connection-level limits at the edge: how many client connections may be open (in all and
//! per client address), when an idle connection is closed, how long a request head and a
//! request body may take, how the accept loop backs off, and the open-file limit at start.
//!
//! Without these, a few hundred connections trickling a body byte by byte hold a task and a
//! file descriptor each for as long as they like, until the process runs out of descriptors,
//! accept fails in a tight loop and the portal stops answering anyone.
//! This module owns the rules; `server` applies them to each connection. It knows nothing of
//! routes, sessions or the application.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::domain::client_ip::TrustedProxies;
use crate::domain::client_prefix::{IpPrefix, client_prefix};

/// Refused connections and accept errors are logged at most once per this interval.
const LOG_INTERVAL: Duration = Duration::from_secs(10);
/// First and longest pause after a failed accept (EMFILE, ENFILE, ENOBUFS …).
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// A log line that is written at most once per [`LOG_INTERVAL`], with the count it stands for.
#[derive(Default)]
struct Throttled {
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttled {
    /// Counts one occurrence; returns how many to report now, if a line is due.
    fn note(&self) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.1 += 1;
        let due = s.0.is_none_or(|last| last.elapsed() >= LOG_INTERVAL);
        due.then(|| {
            s.0 = Some(Instant::now());
            std::mem::take(&mut s.1)
        })
    }
}

/// Caps on open client connections.
pub struct ConnLimits {
    max_total: usize,
    per_client: usize,
    trusted: TrustedProxies,
    open: Mutex<(usize, HashMap<IpPrefix, usize>)>,
    refused: Throttled,
}

/// One admitted connection; its place is given back when dropped.
pub struct ConnSlot {
    limits: Arc<ConnLimits>,
    client: Option<IpPrefix>,
}

impl ConnLimits {
    /// `per_client` applies to each client address (an IPv6 /64 counts as one) except trusted
    /// proxies, which carry many clients and only count toward `max_total`.
    pub fn new(max_total: usize, per_client: usize, trusted: TrustedProxies) -> Arc<Self> {
        Arc::new(Self {
            max_total,
            per_client,
            trusted,
            open: Mutex::new((0, HashMap::new())),
            refused: Throttled::default(),
        })
    }

    /// Admits a connection from `peer`, or `None` when a cap is reached (the caller closes it).
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<ConnSlot> {
        let client = (!self.trusted.contains(peer)).then(|| client_prefix(peer));
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (total, per) = &mut *open;
        let from_client = client.map_or(0, |c| per.get(&c).copied().unwrap_or(0));
        let reason = if *total >= self.max_total {
            Some("max_connections")
        } else if from_client >= self.per_client {
            Some("max_connections_per_client")
        } else {
            None
        };
        if let Some(reason) = reason {
            drop(open);
            if let Some(n) = self.refused.note() {
                tracing::warn!(%peer, limit = reason, refused = n, "connection cap reached: closing new connections at once");
            }
            return None;
        }
        *total += 1;
        if let Some(c) = client {
            *per.entry(c).or_default() += 1;
        }
        Some(ConnSlot {
            limits: self.clone(),
            client,
        })
    }
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let mut open = self
            .limits
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (total, per) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(c) = self.client
            && let Some(n) = per.get_mut(&c)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per.remove(&c);
            }
        }
    }
}

/// Pauses after failed accepts, doubling up to a second, so that running out of descriptors
/// does not spin the accept loop (the failing connection stays in the backlog meanwhile).
pub struct AcceptBackoff {
    delay: Duration,
    log: Throttled,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self {
            delay: ACCEPT_BACKOFF_MIN,
            log: Throttled::default(),
        }
    }
}

impl AcceptBackoff {
    /// A connection was accepted: the next failure starts from the shortest pause again.
    pub fn succeeded(&mut self) {
        self.delay = ACCEPT_BACKOFF_MIN;
    }

    /// An accept failed: log (at most once per interval) and wait.
    pub async fn failed(&mut self, error: &std::io::Error) {
        if let Some(n) = self.log.note() {
            tracing::warn!(%error, failures = n, pause_ms = self.delay.as_millis(), "accept failed; backing off");
        }
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(ACCEPT_BACKOFF_MAX);
    }
}

/// `head_since_ms` while no request head is awaited.
const NO_HEAD: u64 = u64::MAX;

/// What the watchdog of one connection sees: traffic, requests in progress, and whether a
/// request head is being awaited.
#[derive(Default)]
pub struct Activity {
    started: Option<tokio::time::Instant>,
    /// Milliseconds after `started` of the last byte read or written.
    last_ms: AtomicU64,
    /// Milliseconds after `started` since when a request head has been awaited: from the
    /// connection's start (0, the default), and from the first byte read after an answer; none
    /// ([`NO_HEAD`]) while a request is in progress, between an answer and the next byte, and
    /// on HTTP/2 from its first request on (its requests are frames on a connection that stays
    /// open between them; the first must come within the deadline like any). Moved on while
    /// the gateway writes, so that an answer still streaming out never counts against a head
    /// the client sent early (pipelining).
    head_since_ms: AtomicU64,
    in_flight: AtomicUsize,
    http2: AtomicBool,
    /// Shutdown has begun for this connection.
    draining: AtomicBool,
}

/// Why a connection's watchdog woke up ([`Activity::expired`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// Quiet, with no request in progress, for the idle timeout.
    Idle,
    /// A request head was awaited for longer than the head timeout.
    Head,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Some(tokio::time::Instant::now()),
            ..Self::default()
        })
    }

    fn now_ms(&self) -> u64 {
        let ms = self.started.map_or(0, |s| s.elapsed().as_millis());
        u64::try_from(ms).unwrap_or(u64::MAX - 1)
    }

    fn touch(&self) -> u64 {
        let now = self.now_ms();
        self.last_ms.store(now, Ordering::Relaxed);
        now
    }

    /// Bytes arrived from the client: traffic, and the start of the next request's head when
    /// none is in progress.
    fn received(&self) {
        let now = self.touch();
        if self.head_since_ms.load(Ordering::Relaxed) == NO_HEAD
            && self.in_flight.load(Ordering::SeqCst) == 0
            && !self.http2.load(Ordering::Relaxed)
        {
            self.head_since_ms.store(now, Ordering::Relaxed);
        }
    }

    /// Bytes went out to the client.
    fn sent(&self) {
        let now = self.touch();
        if self.head_since_ms.load(Ordering::Relaxed) != NO_HEAD {
            self.head_since_ms.store(now, Ordering::Relaxed);
        }
    }

    /// Marks a request in progress until the guard is dropped. Its head has arrived, so no
    /// head is awaited until the first byte after its answer.
    pub fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.head_since_ms.store(NO_HEAD, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Notes that the connection speaks HTTP/2: from now on only the idle timeout applies.
    pub fn saw_http2(&self) {
        self.http2.store(true, Ordering::Relaxed);
        self.head_since_ms.store(NO_HEAD, Ordering::Relaxed);
    }

    /// Once shutdown has begun, resolves when the connection may be asked to close: an HTTP/2
    /// one at once (its GOAWAY names the last request taken, so a client knows what to resend);
    /// an HTTP/1.1 one once it has been quiet for `quiet`, counted from now. Closing an idle
    /// kept-alive connection races with a request the client (a proxy reusing it) may be
    /// sending that instant, which a proxy never resends when it is a POST; meanwhile such a
    /// request is served and its response closes the connection.
    pub async fn drained(&self, quiet: Duration) {
        self.draining.store(true, Ordering::Relaxed);
        if self.http2.load(Ordering::Relaxed) {
            return;
        }
        self.touch();
        self.idle(quiet).await;
    }

    /// Whether shutdown has begun: the answers on this connection should close it. Kept per
    /// connection, so that asking costs no shared cache line on the request path.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// How long the connection has been quiet at `now`, or `None` while a request is in
    /// progress.
    fn quiet_for(&self, now: u64) -> Option<Duration> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let last = self.last_ms.load(Ordering::Relaxed);
        Some(Duration::from_millis(now.saturating_sub(last)))
    }

    /// How long a request head has been awaited at `now`, if one is.
    fn head_waited(&self, now: u64) -> Option<Duration> {
        let since = self.head_since_ms.load(Ordering::Relaxed);
        (since != NO_HEAD).then(|| Duration::from_millis(now.saturating_sub(since)))
    }

    /// Resolves once the connection has been idle for `timeout`.
    pub async fn idle(&self, timeout: Duration) {
        loop {
            let wait = match self.quiet_for(self.now_ms()) {
                Some(q) if q >= timeout => return,
                Some(q) => timeout - q,
                None => timeout,
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Resolves once the connection has been idle for `idle`, or a request head has been
    /// awaited for `head`, whichever comes first. A head is awaited from the connection's start
    /// and again from the first byte after each answer, so a client that trickles a head in a
    /// byte at a time (never idle) is still cut off; a kept-alive connection with nothing on
    /// it waits the whole idle timeout, as the front proxy that keeps it expects.
    pub async fn expired(&self, idle: Duration, head: Duration) -> Expired {
        loop {
            let now = self.now_ms();
            let quiet = self.quiet_for(now);
            if quiet.is_some_and(|q| q >= idle) {
                return Expired::Idle;
            }
            let waited = self.head_waited(now);
            if waited.is_some_and(|w| w >= head) {
                return Expired::Head;
            }
            // With no head awaited, one may begin at any moment: look again within `head`.
            let idle_left = idle - quiet.unwrap_or_default();
            let head_left = head - waited.unwrap_or_default();
            tokio::time::sleep(idle_left.min(head_left)).await;
        }
    }
}

/// A request in progress on a connection.
pub struct InFlight(Arc<Activity>);

impl InFlight {
    /// Whether shutdown has begun for the request's connection ([`Activity::is_draining`]).
    pub fn is_draining(&self) -> bool {
        self.0.is_draining()
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A client socket that reports its traffic to [`Activity`] and holds its connection slot
/// for as long as it is open.
pub struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
    _slot: ConnSlot,
}

impl<S> Tracked<S> {
    pub fn new(inner: S, activity: Arc<Activity>, slot: ConnSlot) -> Self {
        activity.touch();
        Self {
            inner,
            activity,
            _slot: slot,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let out = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.received();
        }
        out
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let out = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(out, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.sent();
        }
        out
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let out = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(out, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.sent();
        }
        out
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The request body did not arrive in full before its deadline.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body read timeout")]
pub struct BodyTimeout;

/// A request body that fails once its deadline (counted from the request head) has passed,
/// so a client trickling bytes cannot hold a handler, a hashing slot or an upstream request.
pub struct Deadline<B> {
    inner: B,
    sleep: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl<B> Deadline<B> {
    /// `expired` is set when the deadline cut the body off.
    pub fn new(inner: B, timeout: Duration, expired: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            expired,
        }
    }
}

impl<B> Body for Deadline<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => {
                if self.sleep.as_mut().poll(cx).is_ready() {
                    self.expired.store(true, Ordering::SeqCst);
                    Poll::Ready(Some(Err(Box::new(BodyTimeout))))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Raises the soft open-file limit to the hard limit, so the connection caps, not the
/// descriptor table, decide when connections are refused. Returns the limit now in force.
pub fn raise_nofile_limit() -> std::io::Result<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        setrlimit(Resource::Nofile, limit)?;
    }
    Ok(getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX))
}

#[cfg(test)]
#[path = "conn_limits_tests.rs"]
mod tests;
