//! The shapes of `proxy_floor` (see there) with hyper's HTTP/1 server facing the client, and
//! towards the upstream either the floor's own client (`hyper-server`) or hyper's
//! (`hyper-both`), with the same least work in between.

use std::cell::RefCell;
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::Body as _;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{Sessions, Sink, exchange, signed_in, upstream_head};

thread_local! {
    /// Idle hyper client connections to the upstream of this thread, newest last.
    static SENDERS: RefCell<Vec<SendRequest<Empty<Bytes>>>> = const { RefCell::new(Vec::new()) };
}

/// Which client sends the request upstream.
#[derive(Clone, Copy)]
pub(crate) enum Client {
    /// The floor's own.
    Ours,
    /// hyper's, its connection a task of its own, the answer's body streamed through and the
    /// connection given back at its end (as Gatehouse's pool).
    Hyper,
}

/// Requests of one client connection, through hyper's server.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: IpAddr,
    upstream: SocketAddr,
    sessions: &'static Sessions,
    client: Client,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let service = service_fn(move |req: Request<Incoming>| async move {
        let answer = if req.method() != Method::GET && req.method() != Method::HEAD {
            Ok(status(StatusCode::NOT_IMPLEMENTED))
        } else {
            match client {
                Client::Ours => via_ours(req, peer, upstream, sessions).await,
                Client::Hyper => via_hyper(req, peer, upstream, sessions).await,
            }
        };
        Ok::<_, Infallible>(answer.unwrap_or_else(|_| status(StatusCode::BAD_GATEWAY)))
    });
    hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await
        .map_err(io::Error::other)
}

fn status(code: StatusCode) -> Response<Answer> {
    let mut res = Response::new(full(Bytes::new()));
    *res.status_mut() = code;
    res
}

fn full(bytes: Bytes) -> Answer {
    Full::new(bytes).map_err(|e| match e {}).boxed_unsync()
}

fn identity<'s>(headers: &HeaderMap, sessions: &'s Sessions) -> Option<&'s [u8]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .find_map(|v| signed_in(v.as_bytes(), sessions))
}

/// The upstream's answer built into a response for hyper to write.
struct Built {
    res: Response<Answer>,
    bad: bool,
}

impl Sink for Built {
    fn status(&mut self, code: u16, _reason: &str) {
        match StatusCode::from_u16(code) {
            Ok(code) => *self.res.status_mut() = code,
            Err(_) => self.bad = true,
        }
    }

    fn header(&mut self, name: &str, value: &[u8]) {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.res.headers_mut().append(name, value);
            }
            _ => self.bad = true,
        }
    }

    fn body(&mut self, body: &[u8]) {
        *self.res.body_mut() = full(Bytes::copy_from_slice(body));
    }
}

async fn via_ours(
    req: Request<Incoming>,
    peer: IpAddr,
    upstream: SocketAddr,
    sessions: &Sessions,
) -> io::Result<Response<Answer>> {
    let Some(identity) = identity(req.headers(), sessions) else {
        return Ok(status(StatusCode::UNAUTHORIZED));
    };
    let mut head = Vec::with_capacity(1024);
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
    upstream_head(
        req.method().as_str(),
        path,
        headers,
        identity,
        peer,
        &mut head,
    );
    let mut built = Built {
        res: status(StatusCode::OK),
        bad: false,
    };
    exchange(upstream, &head, req.method() == Method::HEAD, &mut built).await?;
    if built.bad {
        return Err(io::Error::other("an answer hyper cannot carry"));
    }
    Ok(built.res)
}

/// Header names the client may not pass on, as hyper holds them (lower case).
const DROPPED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "remote-user",
    "remote-groups",
    "remote-email",
    "remote-name",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-real-ip",
    "forwarded",
];

const IDENTITY: [(&str, &str); 4] = [
    ("remote-user", "bench"),
    ("remote-groups", "users"),
    ("remote-email", "bench@example.test"),
    ("remote-name", "Bench"),
];

async fn via_hyper(
    req: Request<Incoming>,
    peer: IpAddr,
    upstream: SocketAddr,
    sessions: &Sessions,
) -> io::Result<Response<Answer>> {
    if identity(req.headers(), sessions).is_none() {
        return Ok(status(StatusCode::UNAUTHORIZED));
    }
    let (parts, _) = req.into_parts();
    let mut headers = HeaderMap::with_capacity(parts.headers.len() + 8);
    let mut host = HeaderValue::from_static("");
    for (name, value) in &parts.headers {
        if DROPPED.contains(&name.as_str()) {
            continue;
        }
        if name == header::HOST {
            host = value.clone();
        }
        if name == header::COOKIE {
            let mut kept = Vec::with_capacity(value.len());
            crate::without_session_cookie(value.as_bytes(), &mut kept);
            headers.append(
                name,
                HeaderValue::from_bytes(&kept).map_err(io::Error::other)?,
            );
        } else {
            headers.append(name, value.clone());
        }
    }
    for (name, value) in IDENTITY {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    let ip = HeaderValue::from_str(&peer.to_string()).map_err(io::Error::other)?;
    headers.insert("x-forwarded-for", ip.clone());
    headers.insert("x-real-ip", ip);
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    headers.insert("x-forwarded-host", host);
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut out = Request::builder()
        .method(parts.method)
        .uri(path)
        .body(Empty::new())
        .map_err(io::Error::other)?;
    *out.headers_mut() = headers;
    let mut sender = match SENDERS.with(|s| take_ready(&mut s.borrow_mut())) {
        Some(sender) => sender,
        None => connect(upstream).await?,
    };
    let res = sender.send_request(out).await.map_err(io::Error::other)?;
    let (mut parts, body) = res.into_parts();
    parts.headers.remove(header::CONNECTION);
    parts.headers.remove("keep-alive");
    let body = Returning {
        inner: body,
        sender: Some(sender),
    };
    Ok(Response::from_parts(
        parts,
        body.map_err(io::Error::other).boxed_unsync(),
    ))
}

/// An answer's body, boxed as Gatehouse's are.
pub(crate) type Answer = UnsyncBoxBody<Bytes, io::Error>;

/// The upstream's body streamed through; its connection goes back to the pool at its end.
struct Returning {
    inner: Incoming,
    sender: Option<SendRequest<Empty<Bytes>>>,
}

impl http_body::Body for Returning {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled
            && let Some(sender) = self.sender.take()
        {
            SENDERS.with(|s| s.borrow_mut().push(sender));
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        // The server stops polling a body whose length it has sent.
        if let Some(sender) = self.sender.take()
            && self.inner.is_end_stream()
        {
            let _ = SENDERS.try_with(|s| s.borrow_mut().push(sender));
        }
    }
}

/// The newest idle connection that is ready; closed ones go, and one still taking in the end
/// of its last exchange stays for later (as Gatehouse's pool does).
fn take_ready(idle: &mut Vec<SendRequest<Empty<Bytes>>>) -> Option<SendRequest<Empty<Bytes>>> {
    idle.retain(|s| !s.is_closed());
    let ready = idle.iter().rposition(SendRequest::is_ready)?;
    Some(idle.remove(ready))
}

async fn connect(upstream: SocketAddr) -> io::Result<SendRequest<Empty<Bytes>>> {
    let stream = TcpStream::connect(upstream).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io::Error::other)?;
    tokio::spawn(conn);
    Ok(sender)
}
