//! What one connection's watchdog sees (traffic, requests in progress, a request head awaited,
//! an answer still being sent), the socket wrapper that reports the traffic, and the guard of
//! a response body on its way out.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::ConnSlot;

/// `head_since_ms` while no request head is awaited.
const NO_HEAD: u64 = u64::MAX;

/// What the watchdog of one connection sees: traffic, requests in progress, and whether a
/// request head is being awaited.
#[derive(Default)]
pub struct Activity {
    started: Ticks,
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
    /// Requests taken on the connection so far.
    served: AtomicU64,
    /// Answer bodies still being sent ([`Answered`]): quiet then is a pause in an answer
    /// (a long poll, an event stream), not a connection at rest.
    sending: AtomicUsize,
    /// The connection's HTTP state is being given back while the socket stays open: the
    /// socket ignores the shutdown hyper asks for when it closes its side.
    parking: AtomicBool,
    http2: AtomicBool,
    /// Shutdown has begun for this connection.
    draining: AtomicBool,
}

/// Where a connection counts its milliseconds from.
#[derive(Default, Clone, Copy)]
enum Ticks {
    /// Not counting: always 0.
    #[default]
    None,
    /// The coarse monotonic clock ([`crate::clock::coarse_ms`]), from this reading: a stamp
    /// per read and write of every request, at a few nanoseconds each.
    Coarse(u64),
    /// tokio's clock, which a test pauses and moves on.
    #[cfg(test)]
    Tokio(tokio::time::Instant),
}

/// Why a connection's watchdog woke up ([`Activity::expired`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// Quiet, with no request in progress, for the idle timeout.
    Idle,
    /// A request head was awaited for longer than the head timeout.
    Head,
    /// At rest (no request, no answer being sent, no head begun) for the park delay.
    Park,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Ticks::Coarse(crate::clock::coarse_ms()),
            ..Self::default()
        })
    }

    /// The same on tokio's clock, for tests that pause it.
    #[cfg(test)]
    pub fn on_tokio_clock() -> Arc<Self> {
        Arc::new(Self {
            started: Ticks::Tokio(tokio::time::Instant::now()),
            ..Self::default()
        })
    }

    fn now_ms(&self) -> u64 {
        let ms = match self.started {
            Ticks::None => 0,
            Ticks::Coarse(from) => crate::clock::coarse_ms().saturating_sub(from),
            #[cfg(test)]
            Ticks::Tokio(from) => u64::try_from(from.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        ms.min(u64::MAX - 1)
    }

    fn touch(&self) -> u64 {
        let now = self.now_ms();
        self.last_ms.store(now, Ordering::Relaxed);
        now
    }

    /// Bytes arrived from the client: traffic, and the start of the next request's head when
    /// none is in progress.
    pub(super) fn received(&self) {
        let now = self.touch();
        if self.head_since_ms.load(Ordering::Relaxed) == NO_HEAD
            && self.in_flight.load(Ordering::SeqCst) == 0
            && !self.http2.load(Ordering::Relaxed)
        {
            self.head_since_ms.store(now, Ordering::Relaxed);
        }
    }

    /// Bytes went out to the client.
    pub(super) fn sent(&self) {
        let now = self.touch();
        if self.head_since_ms.load(Ordering::Relaxed) != NO_HEAD {
            self.head_since_ms.store(now, Ordering::Relaxed);
        }
    }

    /// Marks a request in progress until the guard is dropped. Its head has arrived, so no
    /// head is awaited until the first byte after its answer.
    pub fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.served.fetch_add(1, Ordering::Relaxed);
        self.head_since_ms.store(NO_HEAD, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// How many requests the connection has taken.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Makes the socket ignore (`true`) or honour (`false`) a shutdown from here on.
    pub fn set_parking(&self, parking: bool) {
        self.parking.store(parking, Ordering::SeqCst);
    }

    /// Whether a shutdown of the socket is to be ignored ([`Activity::set_parking`]).
    pub fn is_parking(&self) -> bool {
        self.parking.load(Ordering::SeqCst)
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
    /// awaited for `head`, or (when `park` is given as a delay and a count of requests) it has
    /// served more than that count and been at rest for that delay, whichever comes first. A
    /// head is awaited from the connection's start and again from the first byte after each
    /// answer, so a client that trickles a head in a byte at a time (never idle) is still cut
    /// off; a kept-alive connection with nothing on it waits the whole idle
    /// timeout, as the front proxy that keeps it expects. At rest means quiet with no request
    /// in progress, no answer body still being sent and no head begun.
    pub async fn expired(
        &self,
        idle: Duration,
        head: Duration,
        park: Option<(Duration, u64)>,
    ) -> Expired {
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
            let parkable = park.is_some_and(|(_, before)| self.served() > before)
                && waited.is_none()
                && self.sending.load(Ordering::SeqCst) == 0;
            let rest = park.map(|(rest, _)| rest);
            if parkable && quiet.zip(rest).is_some_and(|(q, r)| q >= r) {
                return Expired::Park;
            }
            // With no head awaited, one may begin at any moment: look again within `head`.
            // Whether the connection may be parked (a request served, no answer being sent)
            // is looked at again within the rest delay.
            let idle_left = idle - quiet.unwrap_or_default();
            let head_left = head - waited.unwrap_or_default();
            let park_left = match rest {
                Some(r) if parkable => r - quiet.unwrap_or_default(),
                Some(r) => r,
                None => Duration::MAX,
            };
            tokio::time::sleep(idle_left.min(head_left).min(park_left)).await;
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

impl InFlight {
    /// The answer's body, counted as being sent until it ends or is dropped. A body that has
    /// ended already (an empty one, the usual forward-auth answer) is not counted.
    pub fn answered<B: Body>(&self, body: B) -> Answered<B> {
        let sending = (!body.is_end_stream()).then(|| {
            self.0.sending.fetch_add(1, Ordering::SeqCst);
            Sending(self.0.clone())
        });
        Answered {
            body,
            _sending: sending,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An answer body on its way to the client; the connection counts it as being sent until it
/// is dropped (hyper drops it once it has ended, or when the connection fails).
pub struct Answered<B> {
    body: B,
    _sending: Option<Sending>,
}

struct Sending(Arc<Activity>);

impl Drop for Sending {
    fn drop(&mut self) {
        self.0.touch();
        self.0.sending.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<B: Body + Unpin> Body for Answered<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A client socket that reports its traffic to [`Activity`] and holds its connection slot
/// for as long as it is open.
pub struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
    slot: ConnSlot,
}

impl<S> Tracked<S> {
    pub fn new(inner: S, activity: Arc<Activity>, slot: ConnSlot) -> Self {
        activity.touch();
        Self {
            inner,
            activity,
            slot,
        }
    }

    /// The socket itself.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The connection's slot, which counts it as parked while the guard it gives lives.
    pub fn slot(&self) -> &ConnSlot {
        &self.slot
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
