//! The ceiling of an HTTP/1 proxy of our own on tokio, to size the one option left for the
//! proxy target (≥ 1.0× nginx): instead of hyper on both sides, requests and answers parsed
//! with `httparse` and written by hand. It does the least a gateway's proxied request needs:
//! the session cookie's SHA-256 looked up in a map, the client's identity, forwarded and
//! hop-by-hop headers dropped, the gateway's own set from a pre-rendered block, and the request
//! sent over a kept-alive upstream connection from a per-thread pool; the answer is relayed
//! with its `Content-Length` body. One thread, one tokio runtime, a task per connection, as
//! Gatehouse's worker.
//!
//! Three shapes, to tell the two sides' costs apart (the last argument):
//! - `raw`: our own parsing and writing on both sides;
//! - `hyper-server`: hyper's HTTP/1 server facing the client (where request smuggling would be
//!   fought), our own client towards the upstream;
//! - `hyper-both`: hyper on both sides, the answer's body streamed through and its connection
//!   given back at its end, as Gatehouse's hyper client does.
//!
//! A measurement, never a gateway: it answers GET and HEAD without bodies only, trusts the
//! upstream's framing, has no deadlines, limits or TLS. What it does cost is a floor under what
//! any engine of ours built the same way would cost; what it does not do would only add.
//! `cargo run --release --example proxy_floor -- PORT UPSTREAM_PORT SESSION_ID [SHAPE]`; a
//! request is forwarded when its `Cookie` carries `gatehouse_session=SESSION_ID`, else refused
//! 401.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[path = "proxy_floor_hyper.rs"]
mod hyper_shapes;
use hyper_shapes::Client;

const COOKIE: &[u8] = b"gatehouse_session";
const IDENTITY: &[u8] = b"Remote-User: bench\r\nRemote-Groups: users\r\nRemote-Email: bench@example.test\r\nRemote-Name: Bench\r\n";
/// Names the client may not pass on (lower case): hop-by-hop, identity, forwarded.
const DROPPED: &[&[u8]] = &[
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"remote-user",
    b"remote-groups",
    b"remote-email",
    b"remote-name",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    b"x-real-ip",
    b"forwarded",
];

pub(crate) type Sessions = HashMap<[u8; 32], Arc<[u8]>>;

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Raw,
    HyperServer,
    HyperBoth,
}

thread_local! {
    /// Idle upstream connections of this thread, newest last.
    static POOL: RefCell<Vec<TcpStream>> = const { RefCell::new(Vec::new()) };
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(port), Some(upstream), Some(session)) = (args.get(1), args.get(2), args.get(3))
    else {
        return Err(io::Error::other(
            "usage: proxy_floor PORT UPSTREAM_PORT SESSION_ID [raw|hyper-server|hyper-both]",
        ));
    };
    let shape = match args.get(4).map_or("raw", String::as_str) {
        "raw" => Shape::Raw,
        "hyper-server" => Shape::HyperServer,
        "hyper-both" => Shape::HyperBoth,
        other => return Err(io::Error::other(format!("unknown shape {other}"))),
    };
    let port: u16 = port.parse().map_err(io::Error::other)?;
    let upstream: u16 = upstream.parse().map_err(io::Error::other)?;
    let mut sessions = Sessions::new();
    sessions.insert(digest(session.as_bytes()), Arc::from(IDENTITY));
    // Lives as long as the process; a `&'static` costs the requests no reference counting.
    let sessions: &'static Sessions = Box::leak(Box::new(sessions));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let upstream = SocketAddr::from(([127, 0, 0, 1], upstream));
        loop {
            let (stream, peer) = listener.accept().await?;
            tokio::spawn(async move {
                let _ = match shape {
                    Shape::Raw => serve(stream, peer.ip(), upstream, sessions).await,
                    Shape::HyperServer => {
                        hyper_shapes::serve(stream, peer.ip(), upstream, sessions, Client::Ours)
                            .await
                    }
                    Shape::HyperBoth => {
                        hyper_shapes::serve(stream, peer.ip(), upstream, sessions, Client::Hyper)
                            .await
                    }
                };
            });
        }
    })
}

fn digest(id: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, id).as_ref());
    out
}

/// Requests of one client connection, one after another.
async fn serve(
    mut client: TcpStream,
    peer: IpAddr,
    upstream: SocketAddr,
    sessions: &Sessions,
) -> io::Result<()> {
    client.set_nodelay(true)?;
    let mut input = Vec::with_capacity(4096);
    let mut head = Vec::with_capacity(1024);
    let mut answer = Vec::with_capacity(4096);
    loop {
        let used = loop {
            head.clear();
            match request_head(&input, peer, sessions, &mut head) {
                Ok(Some(used)) => break used,
                Ok(None) => {}
                Err(status) => {
                    client.write_all(status).await?;
                    return Ok(());
                }
            }
            if input.len() >= 16 * 1024 || read_more(&mut client, &mut input).await? == 0 {
                return Ok(());
            }
        };
        input.drain(..used);
        if head.is_empty() {
            client.write_all(UNAUTHORIZED).await?;
            continue;
        }
        let head_only = head.starts_with(b"HEAD ");
        answer.clear();
        match exchange(upstream, &head, head_only, &mut answer).await {
            Ok(()) => client.write_all(&answer).await?,
            Err(_) => {
                client.write_all(BAD_GATEWAY).await?;
                return Ok(());
            }
        }
    }
}

const UNAUTHORIZED: &[u8] = b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n";
const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
const NOT_IMPLEMENTED: &[u8] =
    b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
const BAD_GATEWAY: &[u8] =
    b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    buf.reserve(4096);
    stream.read_buf(buf).await
}

/// Parses a request head from `input`; when complete and signed in, writes the upstream's
/// request head into `out` and returns the bytes used (`out` left empty: not signed in).
/// `None`: the head is not complete yet. `Err`: the answer that ends the connection.
fn request_head(
    input: &[u8],
    peer: IpAddr,
    sessions: &Sessions,
    out: &mut Vec<u8>,
) -> Result<Option<usize>, &'static [u8]> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let used = match req.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(BAD_REQUEST),
    };
    let (Some(method), Some(path)) = (req.method, req.path) else {
        return Err(BAD_REQUEST);
    };
    if method != "GET" && method != "HEAD" {
        return Err(NOT_IMPLEMENTED);
    }
    let mut identity = None;
    for h in req.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") && h.value != b"0"
            || name.eq_ignore_ascii_case(b"transfer-encoding")
        {
            return Err(NOT_IMPLEMENTED);
        }
        if name.eq_ignore_ascii_case(b"cookie") && identity.is_none() {
            identity = signed_in(h.value, sessions);
        }
    }
    if let Some(identity) = identity {
        let headers = req.headers.iter().map(|h| (h.name.as_bytes(), h.value));
        upstream_head(method, path, headers, identity, peer, out);
    }
    Ok(Some(used))
}

fn cookie_pairs(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b';').map(|p| p.trim_ascii())
}

fn session_cookie(value: &[u8]) -> Option<&[u8]> {
    cookie_pairs(value).find_map(|pair| pair.strip_prefix(COOKIE)?.strip_prefix(b"="))
}

/// The identity block of the session a `Cookie` value names, if it is a live one.
pub(crate) fn signed_in<'a>(cookie: &[u8], sessions: &'a Sessions) -> Option<&'a [u8]> {
    let id = session_cookie(cookie)?;
    sessions.get(&digest(id)).map(|block| &block[..])
}

/// The upstream's request head: the client's headers but those it may not pass on (and the
/// session's cookie), then the gateway's identity and forwarded headers.
pub(crate) fn upstream_head<'h>(
    method: &str,
    path: &str,
    headers: impl Iterator<Item = (&'h [u8], &'h [u8])>,
    identity: &[u8],
    peer: IpAddr,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let mut host: &[u8] = b"";
    for (name, value) in headers {
        if DROPPED.iter().any(|d| name.eq_ignore_ascii_case(d)) {
            continue;
        }
        if name.eq_ignore_ascii_case(b"host") {
            host = value;
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        if name.eq_ignore_ascii_case(b"cookie") {
            without_session_cookie(value, out);
        } else {
            out.extend_from_slice(value);
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(identity);
    let ip = peer.to_string();
    for name in [&b"X-Forwarded-For: "[..], b"X-Real-IP: "] {
        out.extend_from_slice(name);
        out.extend_from_slice(ip.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"X-Forwarded-Proto: http\r\nX-Forwarded-Host: ");
    out.extend_from_slice(host);
    out.extend_from_slice(b"\r\n\r\n");
}

/// The `Cookie` value without the session's pair, which the upstream must not see.
pub(crate) fn without_session_cookie(value: &[u8], out: &mut Vec<u8>) {
    let mut first = true;
    for pair in cookie_pairs(value) {
        if pair.is_empty()
            || pair
                .strip_prefix(COOKIE)
                .is_some_and(|r| r.starts_with(b"="))
        {
            continue;
        }
        if !first {
            out.extend_from_slice(b"; ");
        }
        out.extend_from_slice(pair);
        first = false;
    }
}

/// Where the upstream's answer goes: written out for the client as bytes (`raw`), or built
/// into a response for hyper to write (`hyper-server`).
pub(crate) trait Sink {
    /// The answer's status line and one header the client may see (hop-by-hop ones are not
    /// passed on).
    fn status(&mut self, code: u16, reason: &str);
    fn header(&mut self, name: &str, value: &[u8]);
    fn body(&mut self, body: &[u8]);
}

impl Sink for Vec<u8> {
    fn status(&mut self, code: u16, reason: &str) {
        self.extend_from_slice(b"HTTP/1.1 ");
        self.extend_from_slice(code.to_string().as_bytes());
        self.push(b' ');
        self.extend_from_slice(reason.as_bytes());
        self.extend_from_slice(b"\r\n");
    }

    fn header(&mut self, name: &str, value: &[u8]) {
        self.extend_from_slice(name.as_bytes());
        self.extend_from_slice(b": ");
        self.extend_from_slice(value);
        self.extend_from_slice(b"\r\n");
    }

    fn body(&mut self, body: &[u8]) {
        self.extend_from_slice(b"\r\n");
        self.extend_from_slice(body);
    }
}

/// Sends `head` on a pooled (or new) upstream connection and passes the whole answer to
/// `sink`; the connection goes back to the pool unless the upstream closes it.
pub(crate) async fn exchange(
    upstream: SocketAddr,
    head: &[u8],
    head_only: bool,
    sink: &mut impl Sink,
) -> io::Result<()> {
    let mut conn = match POOL.with(|p| p.borrow_mut().pop()) {
        Some(c) => c,
        None => {
            let c = TcpStream::connect(upstream).await?;
            c.set_nodelay(true)?;
            c
        }
    };
    conn.write_all(head).await?;
    let mut input = Vec::with_capacity(4096);
    let (used, length, close) = loop {
        if read_more(&mut conn, &mut input).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(parsed) = response_head(&input, head_only, sink)? {
            break parsed;
        }
        if input.len() >= 16 * 1024 {
            return Err(io::Error::other("upstream head too large"));
        }
    };
    while input.len() < used + length {
        if read_more(&mut conn, &mut input).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    sink.body(&input[used..used + length]);
    if !close && input.len() == used + length {
        POOL.with(|p| p.borrow_mut().push(conn));
    }
    Ok(())
}

/// Parses the upstream's answer head; when complete, passes it to `sink` and returns the
/// head's length, the body's and whether the upstream closes.
fn response_head(
    input: &[u8],
    head_only: bool,
    sink: &mut impl Sink,
) -> io::Result<Option<(usize, usize, bool)>> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut res = httparse::Response::new(&mut headers);
    let used = match res.parse(input).map_err(io::Error::other)? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return Ok(None),
    };
    sink.status(res.code.unwrap_or(502), res.reason.unwrap_or(""));
    let (mut length, mut close) = (None, false);
    for h in res.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err(io::Error::other(
                "chunked answers are not relayed by this floor",
            ));
        }
        if name.eq_ignore_ascii_case(b"connection") {
            close = h.value.eq_ignore_ascii_case(b"close");
            continue;
        }
        if name.eq_ignore_ascii_case(b"keep-alive") {
            continue;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let text = std::str::from_utf8(h.value).map_err(io::Error::other)?;
            length = Some(text.parse::<usize>().map_err(io::Error::other)?);
        }
        sink.header(h.name, h.value);
    }
    let length = match (head_only, length) {
        (true, _) => 0,
        (false, Some(n)) => n,
        (false, None) => return Err(io::Error::other("an answer without Content-Length")),
    };
    Ok(Some((used, length, close)))
}
