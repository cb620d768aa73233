//! The service hyper calls for each request of a client connection: the request body under
//! its read deadline, the application's answer, and what the connection adds to it (a close
//! while draining, a 408 when the body came too late, the count of an answer still being
//! sent).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use axum::body::Body;
use http::{HeaderValue, Request, Response, StatusCode, Version, header};
use http_body::Body as _;

use crate::conn_limits::{Activity, Answered, Deadline, InFlight};
use crate::http::entry::{Answering, App};
use crate::http::request::ConnInfo;

/// The body of every answer on a client connection.
pub type AnswerBody = Answered<Body>;

/// One client connection's service: cloned when a parked connection takes a request again.
#[derive(Clone)]
pub struct Gateway {
    pub app: App,
    pub activity: Arc<Activity>,
    pub conn: ConnInfo,
    pub body_timeout: Duration,
}

impl hyper::service::Service<Request<hyper::body::Incoming>> for Gateway {
    type Response = Response<AnswerBody>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: Request<hyper::body::Incoming>) -> Answer {
        let in_flight = self.activity.request();
        let http1 = req.version() < Version::HTTP_2;
        if !http1 {
            self.activity.saw_http2();
        }
        let (req, expired) = with_body_deadline(req, self.body_timeout);
        Answer {
            answering: started(self.app.handle(req, self.conn)),
            // Kept for the answer when the body's deadline passed.
            deadline: expired.map(|expired| (expired, self.app.clone())),
            in_flight,
            conn: self.conn,
            http1,
        }
    }
}

/// The future of one answer. `answering` is boxed already (`App::handle`): hyper keeps a slot
/// the size of this future for every connection, idle ones included, so it holds a pointer and
/// the few words below.
pub struct Answer {
    answering: Answering,
    deadline: Option<(Arc<AtomicBool>, App)>,
    /// Dropped with the future, which hyper does as soon as the answer is ready.
    in_flight: InFlight,
    conn: ConnInfo,
    http1: bool,
}

impl Future for Answer {
    type Output = Result<Response<AnswerBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let resp = ready!(self.answering.as_mut().poll(cx));
        let mut resp = match self.deadline.take() {
            Some((expired, app)) if expired.load(Ordering::SeqCst) => {
                request_timeout(&app, self.conn, self.http1)
            }
            _ => resp,
        };
        // Draining: the client learns not to reuse this connection, and hyper closes it after
        // this response. Asked of the connection, not of the stop channel, whose `borrow` takes
        // a lock shared by every worker on every request.
        if self.http1
            && self.in_flight.is_draining()
            && resp.status() != StatusCode::SWITCHING_PROTOCOLS
        {
            let close = HeaderValue::from_static("close");
            resp.headers_mut().insert(header::CONNECTION, close);
        }
        // The request is over when its answer's head is handed to hyper (and this future
        // dropped); its body, if it has one still to come, counts as being sent until it ends.
        Poll::Ready(Ok(resp.map(|body| self.in_flight.answered(body))))
    }
}

/// `answering` with its first steps taken now, before hyper polls it.
///
/// hyper reads the connection again as soon as it has handed a request over, to notice a
/// client that hangs up while it is answered. The request's target and header values are
/// views of hyper's read buffer; while any is alive, that read finds the buffer shared and
/// allocates another (8 KiB, past glibc's per-thread cache) for every request. Polled once
/// here, a request's handling has used what it needs of the request and dropped it: a
/// forward-auth call answered from memory is answered, a proxied request has been sent
/// upstream (`entry::relay`). A future that waits is polled again by hyper with the task's
/// waker, which every future registers anew at each poll (`Future::poll`'s contract), so
/// the waker given here, which wakes nothing, is never the one that counts.
fn started(mut answering: Answering) -> Answering {
    let mut cx = Context::from_waker(Waker::noop());
    match answering.as_mut().poll(&mut cx) {
        Poll::Ready(resp) => Box::pin(std::future::ready(resp)),
        Poll::Pending => answering,
    }
}

/// The request with its body under the read deadline, and the flag the deadline sets when it
/// passes; a request without a body needs neither, and gets the empty body, which unlike the
/// ended one it arrived with is not boxed (most requests are GETs).
fn with_body_deadline(
    req: Request<hyper::body::Incoming>,
    body_timeout: Duration,
) -> (Request<Body>, Option<Arc<AtomicBool>>) {
    if req.body().is_end_stream() {
        return (req.map(|_| Body::empty()), None);
    }
    let expired = Arc::new(AtomicBool::new(false));
    let flag = expired.clone();
    let req = req.map(|b| Body::new(Deadline::new(b, body_timeout, flag)));
    (req, Some(expired))
}

/// The answer to a request whose body was cut off by the deadline: 408, whatever the handler
/// made of the truncated input.
fn request_timeout(app: &App, conn: ConnInfo, http1: bool) -> Response<Body> {
    tracing::info!(ip = %conn.peer.ip(), "request body not received within server.body_read_timeout");
    let mut resp = Response::new(Body::from("Request Timeout"));
    *resp.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if http1 {
        // The rest of the body is still on the wire: this connection cannot carry another request.
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    app.secured(resp)
}
