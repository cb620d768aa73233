//! The fixed-rate load generator of the bench's latency target: HTTP/1.1 GET requests on a
//! uniform schedule, one every 1/RATE s, over kept-alive connections, each latency measured
//! from when its request was due. A measurement, never a test:
//! `fixed_rate URL RATE CONNECTIONS SECONDS [-H 'Name: value']...` prints one line,
//! `rps=… p50=… p99=… p999=… max=… errors=… waited=… late=… answers=…` (latencies in ms).
//!
//! Why not oha or wrk2: both time their sends with millisecond timers, so at 26,000 req/s
//! they send a burst of 26 requests at every tick. The server then queues the burst, and
//! what the latency target measures becomes "burst size × cost per request", the same for any
//! proxy, rather than what a proxy adds to a request. Here a timerfd wakes the sender at each
//! request's own due time (nanosecond resolution, no timer slack), on one thread with epoll,
//! so the generator also costs less than oha on the core it shares with the upstream.
//!
//! Coordinated omission: a request that finds every connection busy waits for one, and its
//! latency is measured from its due time (that wait is the server's doing). A request sent on
//! a free connection is measured from when it was written, so the generator's own wake-up
//! delay (it shares core 0 with the upstream) is not charged to the server. Requests the
//! generator itself sent late are counted (`late`, more than 100 µs) so a run where the
//! generator could not keep up is visible.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use anyhow::{Context, Result, bail};
use rustix::event::epoll;
use rustix::time::{
    ClockId, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, clock_gettime,
    timerfd_create, timerfd_settime,
};

const TIMER: u64 = u64::MAX;
/// A request written this long after its due time was sent late by the generator.
const LATE_NS: u64 = 100_000;
/// How long requests still in flight at the end are waited for.
const DRAIN_NS: u64 = 2_000_000_000;

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// When the request in flight started counting (see the module doc), or `None` when idle.
    start: Option<u64>,
}

struct Args {
    addr: String,
    request: Vec<u8>,
    rate: u64,
    connections: usize,
    seconds: u64,
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let (latencies, stats) = run(&args)?;
    report(&latencies, &stats, args.seconds);
    Ok(())
}

fn parse_args() -> Result<Args> {
    let usage = "usage: fixed_rate URL RATE CONNECTIONS SECONDS [-H 'Name: value']...";
    let mut it = std::env::args().skip(1);
    let url = it.next().context(usage)?;
    let rate: u64 = it.next().context(usage)?.parse().context("RATE")?;
    let connections: usize = it.next().context(usage)?.parse().context("CONNECTIONS")?;
    let seconds: u64 = it.next().context(usage)?.parse().context("SECONDS")?;
    if rate == 0 || connections == 0 || seconds == 0 {
        bail!("RATE, CONNECTIONS and SECONDS must be above 0");
    }
    let mut headers = Vec::new();
    while let Some(flag) = it.next() {
        if flag != "-H" {
            bail!("unexpected argument {flag:?}; {usage}");
        }
        headers.push(it.next().context("-H needs a header")?);
    }
    let rest = url
        .strip_prefix("http://")
        .context("only http:// URLs are supported")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut head = format!("GET {path} HTTP/1.1\r\n");
    if !headers
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("host:"))
    {
        head.push_str(&format!("Host: {authority}\r\n"));
    }
    for h in &headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    Ok(Args {
        addr: authority.to_owned(),
        request: head.into_bytes(),
        rate,
        connections,
        seconds,
    })
}

#[derive(Default)]
struct Stats {
    done: u64,
    /// Answers that arrived before the schedule's end: what `rps` counts, so that a server that
    /// cannot keep up shows a rate below the asked one rather than catching up in the drain.
    in_time: u64,
    errors: u64,
    /// Requests that found every connection busy and waited for one.
    waited: u64,
    /// Requests the generator itself wrote more than `LATE_NS` after their due time.
    late: u64,
    /// Requests still unanswered when the drain time ran out.
    cut: u64,
}

fn now_ns() -> u64 {
    let t = clock_gettime(ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

fn timespec(ns: u64) -> Timespec {
    Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as i64,
    }
}

fn connect(addr: &str) -> Result<TcpStream> {
    let target = addr
        .to_socket_addrs()
        .with_context(|| format!("resolving {addr}"))?
        .next()
        .with_context(|| format!("{addr} resolves to nothing"))?;
    let stream = TcpStream::connect(target).with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}

fn run(args: &Args) -> Result<(Vec<u64>, Stats)> {
    let ep = epoll::create(epoll::CreateFlags::CLOEXEC)?;
    let timer = timerfd_create(
        TimerfdClockId::Monotonic,
        TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
    )?;
    epoll::add(
        &ep,
        &timer,
        epoll::EventData::new_u64(TIMER),
        epoll::EventFlags::IN,
    )?;
    let mut conns = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        let stream = connect(&args.addr)?;
        epoll::add(
            &ep,
            &stream,
            epoll::EventData::new_u64(i as u64),
            epoll::EventFlags::IN,
        )?;
        conns.push(Conn {
            stream,
            buf: Vec::with_capacity(1024),
            start: None,
        });
    }
    // First in, first out: every connection carries its share, as each of wrk2's and oha's
    // connections does; a stack would leave most of them idle for long stretches.
    let mut idle: VecDeque<usize> = (0..args.connections).collect();
    let mut waiting: VecDeque<u64> = VecDeque::new();
    let mut stats = Stats::default();
    let mut latencies = Vec::with_capacity((args.rate * args.seconds) as usize);
    let total = args.rate * args.seconds;
    let t0 = now_ns() + 50_000_000;
    let due = |i: u64| t0 + (u128::from(i) * 1_000_000_000 / u128::from(args.rate)) as u64;
    let end = due(total);
    let mut next = 0u64;
    let mut events = Vec::with_capacity(args.connections + 1);
    arm(&timer, due(0))?;
    loop {
        let in_flight = args.connections - idle.len();
        if next == total && waiting.is_empty() && in_flight == 0 {
            break;
        }
        let drain_timeout = next == total && now_ns() > end + DRAIN_NS;
        if drain_timeout {
            stats.cut = (in_flight + waiting.len()) as u64;
            break;
        }
        // Once everything is sent, wake now and then to enforce the drain time.
        let timeout = (next == total).then(|| timespec(100_000_000));
        events.clear();
        epoll::wait(
            &ep,
            rustix::buffer::spare_capacity(&mut events),
            timeout.as_ref(),
        )?;
        for ev in &events {
            let key = ev.data.u64();
            if key == TIMER {
                let mut expirations = [0u8; 8];
                let _ = rustix::io::read(&timer, &mut expirations);
                continue;
            }
            let i = key as usize;
            loop {
                match receive(&mut conns[i], &mut stats)? {
                    Received::Nothing => break,
                    Received::Answer { latency, close } => {
                        latencies.push(latency);
                        if now_ns() <= end {
                            stats.in_time += 1;
                        }
                        if close {
                            reopen(&ep, &mut conns[i], i, &args.addr)?;
                        }
                    }
                    Received::Closed { in_flight } => {
                        // nginx closes a client's connection after `keepalive_requests` answers.
                        if in_flight {
                            stats.errors += 1;
                        }
                        reopen(&ep, &mut conns[i], i, &args.addr)?;
                        if !in_flight {
                            continue;
                        }
                    }
                }
                match waiting.pop_front() {
                    // The waiting request goes out at once; its latency counts from its due time.
                    Some(due_at) => send(&mut conns[i], &args.request, due_at)?,
                    None => {
                        idle.push_back(i);
                        break;
                    }
                }
            }
        }
        let now = now_ns();
        while next < total && due(next) <= now {
            let due_at = due(next);
            next += 1;
            match idle.pop_front() {
                Some(i) => {
                    let sent = now_ns();
                    if sent - due_at > LATE_NS {
                        stats.late += 1;
                    }
                    send(&mut conns[i], &args.request, sent)?;
                }
                None => {
                    stats.waited += 1;
                    waiting.push_back(due_at);
                }
            }
        }
        if next < total {
            arm(&timer, due(next))?;
        }
    }
    Ok((latencies, stats))
}

fn arm(timer: &impl rustix::fd::AsFd, at: u64) -> Result<()> {
    let spec = Itimerspec {
        it_interval: timespec(0),
        it_value: timespec(at),
    };
    timerfd_settime(timer, TimerfdTimerFlags::ABSTIME, &spec)?;
    Ok(())
}

fn send(conn: &mut Conn, request: &[u8], start: u64) -> Result<()> {
    // A request head is far smaller than an empty socket buffer: one write takes it whole.
    let n = conn.stream.write(request)?;
    if n != request.len() {
        bail!(
            "a request was written only in part ({n} of {} bytes)",
            request.len()
        );
    }
    conn.start = Some(start);
    Ok(())
}

enum Received {
    /// No complete answer yet.
    Nothing,
    Answer {
        latency: u64,
        /// The server closes the connection after this answer (`Connection: close`).
        close: bool,
    },
    /// The server closed the connection.
    Closed { in_flight: bool },
}

/// Reads what the connection has, up to the end of the answer in flight.
fn receive(conn: &mut Conn, stats: &mut Stats) -> Result<Received> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some((len, status, close)) = parse_answer(&conn.buf)? {
            conn.buf.drain(..len);
            let Some(start) = conn.start.take() else {
                bail!("an answer arrived with no request in flight");
            };
            stats.done += 1;
            if status != 200 {
                stats.errors += 1;
            }
            let latency = now_ns() - start;
            return Ok(Received::Answer { latency, close });
        }
        match conn.stream.read(&mut chunk) {
            Ok(0) => {
                let in_flight = conn.start.take().is_some();
                return Ok(Received::Closed { in_flight });
            }
            Ok(n) => conn.buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(Received::Nothing),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                let in_flight = conn.start.take().is_some();
                return Ok(Received::Closed { in_flight });
            }
            Err(e) => return Err(e).context("reading an answer"),
        }
    }
}

/// Replaces a connection the server closed (or is closing) with a new one.
fn reopen(ep: &impl rustix::fd::AsFd, conn: &mut Conn, key: usize, addr: &str) -> Result<()> {
    // Dropping the old socket closes it, which also takes it out of the epoll set.
    conn.stream = connect(addr)?;
    conn.buf.clear();
    conn.start = None;
    epoll::add(
        ep,
        &conn.stream,
        epoll::EventData::new_u64(key as u64),
        epoll::EventFlags::IN,
    )?;
    Ok(())
}

/// A complete answer at the start of `buf`: its length, status and whether the server closes
/// the connection after it. Only `Content-Length` bodies: the bench's targets answer `ok\n`.
fn parse_answer(buf: &[u8]) -> Result<Option<(usize, u16, bool)>> {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("an answer head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("a malformed status line in {head:?}"))?;
    let mut length = None;
    let mut close = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().context("Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("a {value} answer: only Content-Length bodies are supported");
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            close = true;
        }
    }
    let length = length.with_context(|| format!("an answer without Content-Length: {head:?}"))?;
    let total = head_end + 4 + length;
    Ok((buf.len() >= total).then_some((total, status, close)))
}

fn report(latencies: &[u64], stats: &Stats, seconds: u64) {
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let pick = |q: f64| -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1] as f64 / 1e6
    };
    println!(
        "rps={:.0} p50={:.3} p99={:.3} p999={:.3} max={:.3} errors={} waited={} late={} answers={}",
        stats.in_time as f64 / seconds as f64,
        pick(0.50),
        pick(0.99),
        pick(0.999),
        pick(1.0),
        stats.errors + stats.cut,
        stats.waited,
        stats.late,
        stats.done,
    );
}
