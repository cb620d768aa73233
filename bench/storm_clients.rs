//! The login storm's sign-in clients (bench/storm.sh). A measurement tool, never a test:
//! `storm_clients PORT PASSWORD_FILE CLIENTS STOP_FILE OUT [refused] [lockstep]`.
//!
//! CLIENTS threads sign in continuously through the portal's login form: GET the page for the
//! CSRF cookie and token, POST the form, expect 303 with a session cookie. Thread i signs in as
//! user `storm<i>` from the source address 127.0.0.<i+2>, so that the hashing pool's
//! per-client and per-account shares do not refuse them. After an answer other than a sign-in,
//! a thread waits 25 to 75 ms, 50 on average, and it starts within the first 50 ms. With
//! `refused`, every form carries a wrong CSRF token, so that every sign-in is refused before its
//! hash: the storm's page traffic alone. Runs until STOP_FILE exists, then writes
//! `ok busy other seconds` to OUT.
//!
//! Why the waits are drawn at random: with one start for all and the same 50 ms each time, the
//! threads march in step. Their pages are answered one after another, so they come back
//! together, and the storm arrives as a wave of 32 sign-ins every 55 ms or so, which is not 32
//! independent clients. `lockstep` keeps that old behaviour, to measure such waves (a
//! coordinated attack could send them; bench/storm.md).
//!
//! Why not Python (as before): on this 2-core machine the clients share a core with wrk and the
//! upstream, and Python's HTTP client spent about 150 µs of that core per request, which by
//! itself doubled the proxied p99 the storm measures (bench/storm.md). Blocking threads and a
//! minimal HTTP/1.1 reader spend a small fraction of that.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use socket2::{Domain, Socket, Type};

/// What one sign-in came to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Ok,
    /// Refused as busy (429 or 503).
    Busy,
    Other,
}

struct Counts {
    ok: AtomicU64,
    busy: AtomicU64,
    other: AtomicU64,
}

fn main() -> Result<()> {
    let usage =
        "usage: storm_clients PORT PASSWORD_FILE CLIENTS STOP_FILE OUT [refused] [lockstep]";
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().context(usage)?.parse().context("PORT")?;
    let password = std::fs::read_to_string(args.next().context(usage)?).context("PASSWORD_FILE")?;
    let clients: u8 = args.next().context(usage)?.parse().context("CLIENTS")?;
    let stop = args.next().context(usage)?;
    let out = args.next().context(usage)?;
    let (mut refused, mut lockstep) = (false, false);
    for word in args {
        match word.as_str() {
            "refused" => refused = true,
            "lockstep" => lockstep = true,
            other => bail!("unexpected argument {other:?}; {usage}"),
        }
    }
    if clients == 0 || clients > 250 {
        bail!("CLIENTS must be 1 to 250 (one source address 127.0.0.N each)");
    }
    let counts = Counts {
        ok: AtomicU64::new(0),
        busy: AtomicU64::new(0),
        other: AtomicU64::new(0),
    };
    let start = Instant::now();
    std::thread::scope(|s| {
        for i in 0..clients {
            let (counts, password, stop) = (&counts, password.as_str(), Path::new(&stop));
            s.spawn(move || client(i, port, password, refused, lockstep, stop, counts));
        }
    });
    std::fs::write(
        &out,
        format!(
            "{} {} {} {:.1}\n",
            counts.ok.load(Ordering::Relaxed),
            counts.busy.load(Ordering::Relaxed),
            counts.other.load(Ordering::Relaxed),
            start.elapsed().as_secs_f64()
        ),
    )
    .with_context(|| format!("writing {out}"))
}

fn client(
    i: u8,
    port: u16,
    password: &str,
    refused: bool,
    lockstep: bool,
    stop: &Path,
    counts: &Counts,
) {
    let user = format!("storm{i}");
    let host = format!("localhost:{port}");
    let mut conn: Option<Conn> = None;
    let mut pauses = Pauses::new(i, lockstep);
    std::thread::sleep(pauses.first());
    while !stop.exists() {
        let outcome = match conn.as_mut() {
            Some(c) => sign_in(c, &host, &user, password, refused),
            None => match Conn::open(i, port) {
                Ok(c) => sign_in(conn.insert(c), &host, &user, password, refused),
                Err(_) => Err(()),
            },
        };
        let outcome = match outcome {
            Ok((outcome, keep)) => {
                if !keep {
                    conn = None;
                }
                outcome
            }
            Err(()) => {
                conn = None;
                Outcome::Other
            }
        };
        match outcome {
            Outcome::Ok => &counts.ok,
            Outcome::Busy => &counts.busy,
            Outcome::Other => &counts.other,
        }
        .fetch_add(1, Ordering::Relaxed);
        if outcome != Outcome::Ok {
            std::thread::sleep(pauses.after_refusal());
        }
    }
}

/// A client's waits: 50 ms each in lockstep, otherwise drawn from 25–75 ms (xorshift64, seeded
/// from the client and the clock: a benchmark's spread, not a secret).
struct Pauses {
    lockstep: bool,
    state: u64,
}

impl Pauses {
    const MEAN_US: u64 = 50_000;

    fn new(i: u8, lockstep: bool) -> Self {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let state = (u64::from(i) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ clock;
        Pauses {
            lockstep,
            state: state | 1,
        }
    }

    fn draw(&mut self, below: u64) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % below
    }

    /// Before the first sign-in: none in lockstep, otherwise within one mean wait.
    fn first(&mut self) -> Duration {
        let us = if self.lockstep {
            0
        } else {
            self.draw(Self::MEAN_US)
        };
        Duration::from_micros(us)
    }

    /// After an answer other than a sign-in.
    fn after_refusal(&mut self) -> Duration {
        let us = if self.lockstep {
            Self::MEAN_US
        } else {
            Self::MEAN_US / 2 + self.draw(Self::MEAN_US)
        };
        Duration::from_micros(us)
    }
}

/// One kept-alive connection and what it has read past the last answer.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// An answer's status, the `Set-Cookie` values and the body.
struct Answer {
    status: u16,
    cookies: Vec<String>,
    body: Vec<u8>,
    close: bool,
}

impl Conn {
    fn open(i: u8, port: u16) -> std::io::Result<Self> {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        let from = SocketAddr::from((Ipv4Addr::new(127, 0, 0, i + 2), 0));
        socket.bind(&from.into())?;
        socket.connect(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)).into())?;
        socket.set_tcp_nodelay(true)?;
        let stream: TcpStream = socket.into();
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    fn exchange(&mut self, request: &[u8]) -> Result<Answer, ()> {
        self.stream.write_all(request).map_err(drop)?;
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill()?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(drop)?;
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or(())?;
        let (mut length, mut cookies, mut close) = (0usize, Vec::new(), false);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().map_err(drop)?,
                "set-cookie" => cookies.push(value.to_owned()),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                // Gatehouse's pages carry a length; anything else is not read here.
                "transfer-encoding" => return Err(()),
                _ => {}
            }
        }
        while self.buf.len() < head_end + length {
            self.fill()?;
        }
        let body = self.buf[head_end..head_end + length].to_vec();
        self.buf.drain(..head_end + length);
        Ok(Answer {
            status,
            cookies,
            body,
            close,
        })
    }

    fn fill(&mut self) -> Result<(), ()> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) | Err(_) => Err(()),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The value after `prefix` up to `end` in `text`.
fn between<'a>(text: &'a str, prefix: &str, end: char) -> Option<&'a str> {
    let from = text.find(prefix)? + prefix.len();
    let rest = &text[from..];
    Some(&rest[..rest.find(end).unwrap_or(rest.len())])
}

/// `application/x-www-form-urlencoded` for one value.
fn form_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One sign-in, and whether the connection may be used again; `Err` when it failed.
fn sign_in(
    conn: &mut Conn,
    host: &str,
    user: &str,
    password: &str,
    refused: bool,
) -> Result<(Outcome, bool), ()> {
    let get = format!("GET /_gatehouse/login HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let page = conn.exchange(get.as_bytes())?;
    let html = String::from_utf8_lossy(&page.body);
    let cookie = page
        .cookies
        .iter()
        .find_map(|c| between(c, "__Host-gatehouse_csrf=", ';'));
    let token = between(&html, "name=\"csrf\" value=\"", '"');
    let (Some(cookie), Some(token), 200, false) = (cookie, token, page.status, page.close) else {
        return Ok((Outcome::Other, !page.close));
    };
    let wrong = if refused { "x" } else { "" };
    let body = format!(
        "username={}&password={}&csrf={}{wrong}&rd=",
        form_value(user),
        form_value(password),
        form_value(token)
    );
    let post = format!(
        "POST /_gatehouse/login HTTP/1.1\r\nHost: {host}\r\nCookie: __Host-gatehouse_csrf={cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = conn.exchange(post.as_bytes())?;
    let session = answer
        .cookies
        .iter()
        .any(|c| c.contains("gatehouse_session=") && !c.contains("gatehouse_session=;"));
    let outcome = match answer.status {
        303 if session => Outcome::Ok,
        429 | 503 => Outcome::Busy,
        _ => Outcome::Other,
    };
    Ok((outcome, !answer.close))
}
