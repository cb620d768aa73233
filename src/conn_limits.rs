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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use crate::domain::client_ip::TrustedProxies;
use crate::domain::client_prefix::{IpPrefix, client_prefix};
use crate::log_throttle::LogThrottle;

mod activity;
pub use activity::{Activity, Answered, Expired, InFlight, Tracked};

/// Refused connections and accept errors are logged at most once per this interval.
const LOG_INTERVAL: Duration = Duration::from_secs(10);
/// First and longest pause after a failed accept (EMFILE, ENFILE, ENOBUFS …).
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Caps on open client connections.
pub struct ConnLimits {
    max_total: usize,
    per_client: usize,
    trusted: TrustedProxies,
    open: Mutex<(usize, HashMap<IpPrefix, usize>)>,
    /// Connections parked: kept open with no HTTP state, waiting for their client.
    parked: AtomicUsize,
    refused: LogThrottle,
}

/// How many client connections are open, and how many of them are parked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnCounts {
    pub open: usize,
    pub parked: usize,
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
            parked: AtomicUsize::new(0),
            refused: LogThrottle::new(LOG_INTERVAL),
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

impl ConnLimits {
    /// The connections open now (for the metrics).
    pub fn counts(&self) -> ConnCounts {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner).0;
        ConnCounts {
            open,
            parked: self.parked.load(Ordering::Relaxed),
        }
    }
}

impl ConnSlot {
    /// Counts the connection as parked until the guard is dropped.
    pub fn parked(&self) -> Parked {
        self.limits.parked.fetch_add(1, Ordering::Relaxed);
        Parked(self.limits.clone())
    }
}

/// A parked connection, counted in [`ConnCounts::parked`] while this lives.
pub struct Parked(Arc<ConnLimits>);

impl Drop for Parked {
    fn drop(&mut self) {
        self.0.parked.fetch_sub(1, Ordering::Relaxed);
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
    log: LogThrottle,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self {
            delay: ACCEPT_BACKOFF_MIN,
            log: LogThrottle::new(LOG_INTERVAL),
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
