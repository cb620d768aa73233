use std::net::IpAddr;

use http_body_util::BodyExt;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|_| unreachable!())
}

#[test]
fn per_client_and_total_caps() {
    let limits = ConnLimits::new(3, 2, TrustedProxies::default());
    let a1 = limits.admit(ip("192.0.2.1"));
    let a2 = limits.admit(ip("192.0.2.1"));
    assert!(a1.is_some() && a2.is_some());
    assert!(limits.admit(ip("192.0.2.1")).is_none());
    let b = limits.admit(ip("192.0.2.2"));
    assert!(b.is_some());
    // Three open: nobody else gets in.
    assert!(limits.admit(ip("192.0.2.3")).is_none());
    drop(a1);
    assert!(limits.admit(ip("192.0.2.1")).is_some());
}

#[test]
fn an_ipv6_64_is_one_client() {
    let limits = ConnLimits::new(100, 1, TrustedProxies::default());
    let _a = limits.admit(ip("2001:db8::1"));
    assert!(limits.admit(ip("2001:db8::2")).is_none());
    assert!(limits.admit(ip("2001:db8:0:1::1")).is_some());
}

#[test]
fn trusted_proxies_count_only_toward_the_total() {
    let trusted = TrustedProxies::new(vec![ip("10.0.0.1").into()]);
    let limits = ConnLimits::new(3, 1, trusted);
    let held: Vec<_> = (0..3).map(|_| limits.admit(ip("10.0.0.1"))).collect();
    assert!(held.iter().all(Option::is_some));
    assert!(limits.admit(ip("10.0.0.1")).is_none());
}

#[test]
fn slots_are_given_back() {
    let limits = ConnLimits::new(10, 10, TrustedProxies::default());
    let slots: Vec<_> = (0..10)
        .filter_map(|_| limits.admit(ip("192.0.2.1")))
        .collect();
    assert_eq!(slots.len(), 10);
    drop(slots);
    let open = limits.open.lock().unwrap_or_else(PoisonError::into_inner);
    assert_eq!(open.0, 0);
    assert!(open.1.is_empty());
}

/// One byte, then nothing more, ever.
struct Stall(bool);

impl Body for Stall {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.0 {
            return Poll::Pending;
        }
        self.0 = true;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"a")))))
    }
}

#[tokio::test]
async fn a_body_that_stalls_fails_at_its_deadline() {
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = Deadline::new(Stall(false), Duration::from_millis(50), expired.clone());
    let collected = deadline.collect().await;
    assert!(collected.is_err());
    assert!(expired.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_complete_body_passes() {
    let body = http_body_util::Full::new(Bytes::from_static(b"complete"));
    let expired = Arc::new(AtomicBool::new(false));
    let collected = Deadline::new(body, Duration::from_millis(50), expired.clone())
        .collect()
        .await
        .map(|c| c.to_bytes());
    assert_eq!(collected.ok(), Some(Bytes::from_static(b"complete")));
    assert!(!expired.load(Ordering::SeqCst));
}

#[tokio::test]
async fn idle_waits_for_quiet_and_for_requests_to_end() {
    let activity = Activity::new();
    let request = activity.request();
    let idle = tokio::spawn({
        let a = activity.clone();
        async move { a.idle(Duration::from_millis(50)).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!idle.is_finished());
    drop(request);
    assert!(idle.await.is_ok());
}

/// `expired` under a paused clock: what it resolves with within `within`, if anything.
async fn expiry_within(a: &Activity, within: Duration) -> Option<Expired> {
    const IDLE: Duration = Duration::from_secs(60);
    const HEAD: Duration = Duration::from_secs(10);
    tokio::time::timeout(within, a.expired(IDLE, HEAD, None))
        .await
        .ok()
}

#[tokio::test(start_paused = true)]
async fn a_head_is_awaited_from_the_start_and_from_the_first_byte_after_an_answer() {
    let secs = Duration::from_secs;
    // A new connection must send its head within the head timeout.
    let a = Activity::on_tokio_clock();
    assert_eq!(expiry_within(&a, secs(9)).await, None);
    assert_eq!(expiry_within(&a, secs(2)).await, Some(Expired::Head));

    // After an answer nothing is awaited: only the idle timeout applies.
    drop(a.request());
    assert_eq!(expiry_within(&a, secs(59)).await, None);
    // The next request's first byte starts the head's clock.
    a.received();
    assert_eq!(expiry_within(&a, secs(9)).await, None);
    // An answer still going out (pipelining) moves it on.
    a.sent();
    assert_eq!(expiry_within(&a, secs(9)).await, None);
    assert_eq!(expiry_within(&a, secs(2)).await, Some(Expired::Head));

    // A request in progress awaits no head, however long it takes.
    let b = Activity::on_tokio_clock();
    let request = b.request();
    b.received();
    assert_eq!(expiry_within(&b, secs(120)).await, None);
    drop(request);
    assert_eq!(expiry_within(&b, secs(61)).await, Some(Expired::Idle));

    // HTTP/2 awaits no heads: its requests are frames on a connection open between them.
    let c = Activity::on_tokio_clock();
    c.saw_http2();
    c.received();
    assert_eq!(expiry_within(&c, secs(59)).await, None);
    assert_eq!(expiry_within(&c, secs(2)).await, Some(Expired::Idle));
}

/// A connection is at rest, to be parked, only once it has served a request since `before`,
/// with no request, answer body or next head in progress, for the rest delay.
#[tokio::test(start_paused = true)]
async fn a_connection_is_at_rest_after_an_answer_has_gone_out_and_nothing_since() {
    let secs = Duration::from_secs;
    let at_rest = |a: &Arc<Activity>, before: u64, within: Duration| {
        let a = a.clone();
        async move {
            let park = Some((secs(1), before));
            tokio::time::timeout(within, a.expired(secs(60), secs(10), park))
                .await
                .ok()
        }
    };
    let a = Activity::on_tokio_clock();
    // Nothing served yet: a connection that has not answered is never at rest.
    assert_eq!(at_rest(&a, 0, secs(5)).await, None);
    // Served, and the answer's body still going out: not at rest, however quiet.
    let request = a.request();
    let body = request.answered(http_body_util::Full::new(Bytes::from_static(b"body")));
    drop(request);
    assert_eq!(at_rest(&a, 0, secs(5)).await, None);
    drop(body);
    assert_eq!(at_rest(&a, 0, secs(2)).await, Some(Expired::Park));
    // Counted from the last request served, not from the connection's start.
    assert_eq!(at_rest(&a, 1, secs(5)).await, None);
    // An empty answer has nothing to send.
    let request = a.request();
    drop(request.answered(http_body_util::Empty::<Bytes>::new()));
    drop(request);
    assert_eq!(at_rest(&a, 1, Duration::from_millis(900)).await, None);
    assert_eq!(
        at_rest(&a, 1, Duration::from_millis(200)).await,
        Some(Expired::Park)
    );
    // The first byte of a next request: a head is awaited, the connection is not at rest.
    a.received();
    assert_eq!(at_rest(&a, 1, secs(9)).await, None);
    assert_eq!(at_rest(&a, 1, secs(2)).await, Some(Expired::Head));
}

#[tokio::test]
async fn accept_failures_back_off_and_recover() {
    let mut backoff = AcceptBackoff::default();
    let error = std::io::Error::from_raw_os_error(24); // EMFILE
    for _ in 0..3 {
        backoff.failed(&error).await;
    }
    assert_eq!(backoff.delay, ACCEPT_BACKOFF_MIN * 8);
    backoff.succeeded();
    assert_eq!(backoff.delay, ACCEPT_BACKOFF_MIN);
}
