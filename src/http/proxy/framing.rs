//! Reading an upstream's HTTP/1.1 answer off a kept-alive connection (`plain.rs`): where its
//! head ends, how its body is delimited, and the chunked coding. Functions of bytes only.
//!
//! Why strict: a connection goes back to the pool after an answer, and the next user's request
//! goes on it. An answer read as shorter than the upstream meant would leave its rest to be
//! read as the next user's answer. So a body's end is taken only from a framing that cannot be
//! misread (RFC 9112 section 6): anything doubtful is refused (502) or read to the
//! connection's close and the connection not kept, and a connection is kept only when nothing
//! followed the answer.

use std::mem::MaybeUninit;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderName, HeaderValue, Response, StatusCode};
use smallvec::SmallVec;

use super::headers::{is_hop_by_hop, is_hop_by_hop_token};

/// The longest answer head taken (status line and headers); longer is refused.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most header lines an answer head may have.
const MAX_HEADERS: usize = 128;
/// The longest chunk-size line (with its extensions), and all trailer lines together.
const MAX_CHUNK_LINE: usize = 4 * 1024;
const MAX_TRAILERS: usize = 16 * 1024;

/// How an answer's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 204, 304, or a length of 0).
    Empty,
    /// This many bytes.
    Length(u64),
    /// The chunked coding.
    Chunked,
    /// When the upstream closes the connection.
    UntilClose,
}

/// A complete answer head.
#[derive(Debug)]
pub struct Head {
    /// The answer without its body and without hop-by-hop headers (those of the connection to
    /// the upstream, not the client's: `Connection` and the names it lists, `Keep-Alive`, and
    /// `Transfer-Encoding`, decoded here), nor a `Content-Length` beside a coding. Left out
    /// here rather than removed later: a removal hashes the name again.
    pub response: Response<()>,
    pub framing: Framing,
    /// Whether the connection may carry another request after this answer's body.
    pub reusable: bool,
}

/// What the bytes read so far hold.
#[derive(Debug)]
pub enum Parsed {
    /// Not a whole head yet.
    Partial,
    /// An interim answer (100, 102, 103), taken off the buffer.
    Interim,
    /// A whole head, taken off the buffer.
    Complete(Head),
}

/// A header of the answer that is passed on: its name, and where its value lies in the head.
type Kept = (HeaderName, std::ops::Range<usize>);

/// Parses the answer head at the front of `buf`, the answer to a HEAD request when `head`,
/// and takes a whole head (or interim answer) off the buffer; a partial head is left there.
///
/// The header values passed on are views of the head's bytes, not copies: the head is split
/// off the connection's buffer (whose memory it shares until the answer's head has been
/// written out) instead of each value being copied into an allocation of its own.
pub fn parse_head(buf: &mut BytesMut, head: bool) -> Result<Parsed, String> {
    // On this stack frame, filled in place: moved (it is about 700 bytes), it cost more than
    // the copies of the values it saves.
    let mut kept = SmallVec::<[Kept; 12]>::new();
    let (len, meta) = match scan(buf, head, &mut kept)? {
        Scanned::Partial => return Ok(Parsed::Partial),
        Scanned::Interim(len) => {
            buf.advance(len);
            return Ok(Parsed::Interim);
        }
        Scanned::Complete(len, meta) => (len, meta),
    };
    let bytes = buf.split_to(len).freeze();
    let mut response = Response::new(());
    *response.status_mut() = meta.status;
    let headers = response.headers_mut();
    for (name, at) in kept.drain(..) {
        // Checked again (a byte loop, no copy): httparse allows the same bytes in a value.
        let value =
            HeaderValue::from_maybe_shared(bytes.slice(at)).map_err(|e| format!("{name}: {e}"))?;
        headers.append(name, value);
    }
    Ok(Parsed::Complete(Head {
        response,
        framing: meta.framing,
        reusable: meta.reusable,
    }))
}

/// What a whole answer head says, besides its headers.
struct Meta {
    status: StatusCode,
    framing: Framing,
    reusable: bool,
}

/// What [`scan`] found at the front of the buffer.
enum Scanned {
    Partial,
    Interim(usize),
    Complete(usize, Meta),
}

/// Reads the answer head at the front of `buf` without taking anything: its length, its
/// framing, and (into `kept`) which headers are passed on, with where their values lie.
fn scan(buf: &[u8], head: bool, kept: &mut SmallVec<[Kept; 12]>) -> Result<Scanned, String> {
    if buf.is_empty() {
        return Ok(Scanned::Partial);
    }
    // Left uninitialised: the parser writes what it uses, and zeroing 4 KiB of header slots
    // cost more than parsing a usual answer.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut parsed,
        buf,
        &mut headers,
    ) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            return Err(format!("an answer head longer than {MAX_HEAD} bytes"));
        }
        Ok(httparse::Status::Partial) => return Ok(Scanned::Partial),
        Err(e) => return Err(format!("a malformed answer head: {e}")),
    };
    let code = parsed.code.unwrap_or(0);
    let status = StatusCode::from_u16(code).map_err(|_| format!("status {code}"))?;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        // Never asked for on this path (upgrades go through hyper's client).
        return Err("a switch of protocols that was not asked for".to_owned());
    }
    if status.is_informational() {
        return Ok(Scanned::Interim(len));
    }
    // HTTP/1.0 answers are read, but their connection is not kept.
    let mut close = parsed.version != Some(1);
    let (mut chunked, mut coded, mut length) = (false, false, None::<u64>);
    // Names `Connection` lists besides hop-by-hop ones: nearly always none.
    let mut listed: Vec<&[u8]> = Vec::new();
    let bodiless = head || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
    // Where a value lies in the head: its distance from the buffer's start (httparse hands
    // out views of `buf`).
    let start = buf.as_ptr() as usize;
    // One pass: each name lower-cased once (on the stack), then matched as bytes.
    for h in parsed.headers.iter() {
        let raw = h.name.as_bytes();
        let mut lower = [0u8; 20];
        // Longer than every name looked at here: matched as none of them.
        let name: &[u8] = match lower.get_mut(..raw.len()) {
            Some(l) => {
                for (l, b) in l.iter_mut().zip(raw) {
                    *l = b.to_ascii_lowercase();
                }
                l
            }
            None => b"",
        };
        match name {
            b"transfer-encoding" => {
                // The last coding of the last field decides; chunked anywhere else is not
                // framing.
                let last = h.value.rsplit(|&b| b == b',').next().unwrap_or(b"");
                chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
                coded = true;
                continue;
            }
            b"content-length" => {
                for item in h.value.split(|&b| b == b',') {
                    let n = content_length(item.trim_ascii())?;
                    if length.is_some_and(|l| l != n) {
                        return Err("differing Content-Length values".to_owned());
                    }
                    length = Some(n);
                }
            }
            b"connection" => {
                for token in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                    close |= token.eq_ignore_ascii_case(b"close");
                    let hop = is_hop_by_hop_token(token);
                    if !token.is_empty() && !hop {
                        listed.push(token);
                    }
                }
                continue;
            }
            _ if is_hop_by_hop(name) => continue,
            _ => {}
        }
        let name = header_name(raw).map_err(|e| format!("{}: {e}", h.name))?;
        let at = h.value.as_ptr() as usize - start;
        kept.push((name, at..at + h.value.len()));
    }
    // A `Content-Length` beside a coding is not passed on (the coding wins, below), but for an
    // answer without a body, where it tells the length a GET would get.
    if coded && length.is_some() && !bodiless {
        kept.retain(|(name, _)| *name != http::header::CONTENT_LENGTH);
    }
    if !listed.is_empty() {
        kept.retain(|(name, _)| {
            let name = name.as_str().as_bytes();
            !listed.iter().any(|l| name.eq_ignore_ascii_case(l))
        });
    }
    let framing = match (bodiless, coded, chunked, length) {
        (true, ..) => Framing::Empty,
        (false, true, true, _) => Framing::Chunked,
        (false, true, false, _) | (false, false, _, None) => Framing::UntilClose,
        (false, false, _, Some(0)) => Framing::Empty,
        (false, false, _, Some(n)) => Framing::Length(n),
    };
    if coded && length.is_some() {
        // Both: the coding wins (RFC 9112 6.3), and such an upstream is not trusted with
        // another request on this connection.
        close = true;
    }
    let reusable = !close && framing != Framing::UntilClose;
    let meta = Meta {
        status,
        framing,
        reusable,
    };
    Ok(Scanned::Complete(len, meta))
}

/// The name of an answer's header. The few that nearly every answer carries, in the spellings
/// servers send, are matched as they are (a comparison of bytes); any other is parsed, which
/// lower-cases it through a table and looks it up among the standard names, several times the
/// work, for every header of every answer.
fn header_name(raw: &[u8]) -> Result<HeaderName, http::header::InvalidHeaderName> {
    use http::header;
    Ok(match raw {
        b"Content-Type" | b"content-type" => header::CONTENT_TYPE,
        b"Content-Length" | b"content-length" => header::CONTENT_LENGTH,
        b"Date" | b"date" => header::DATE,
        b"Server" | b"server" => header::SERVER,
        b"Cache-Control" | b"cache-control" => header::CACHE_CONTROL,
        b"Last-Modified" | b"last-modified" => header::LAST_MODIFIED,
        b"ETag" | b"Etag" | b"etag" => header::ETAG,
        b"Set-Cookie" | b"set-cookie" => header::SET_COOKIE,
        b"Vary" | b"vary" => header::VARY,
        b"Location" | b"location" => header::LOCATION,
        b"Expires" | b"expires" => header::EXPIRES,
        b"Accept-Ranges" | b"accept-ranges" => header::ACCEPT_RANGES,
        b"Content-Encoding" | b"content-encoding" => header::CONTENT_ENCODING,
        _ => return HeaderName::from_bytes(raw),
    })
}

/// A `Content-Length` value: digits only, at most what a `u64` holds.
fn content_length(digits: &[u8]) -> Result<u64, String> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return Err("an invalid Content-Length".to_owned());
    }
    Ok(digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// The chunked coding's decoder, fed what the connection has read so far.
#[derive(Debug, Default)]
pub struct Chunked {
    state: State,
    /// Bytes of the current chunk-size line, or of all trailer lines.
    line: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In a chunk-size's hex digits (`digits` of them so far).
    #[default]
    Start,
    Size {
        digits: u8,
        size: u64,
    },
    /// After the size: whitespace, then `;` extensions or the line's end.
    AfterSize {
        size: u64,
    },
    Extension {
        size: u64,
    },
    SizeLf {
        size: u64,
    },
    Data(u64),
    DataCr,
    DataLf,
    /// At the start of a trailer line, or of the empty line that ends the body.
    TrailerStart,
    TrailerLine,
    TrailerLf,
    EndLf,
    Done,
}

/// What [`Chunked::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Body bytes, taken from the front of the buffer.
    Data(Bytes),
    /// The buffer is used up before the body's end.
    More,
    /// The body ended; what follows in the buffer is not part of it.
    End,
}

impl Chunked {
    /// Decodes from the front of `buf`, taking the framing bytes it reads.
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Decoded, String> {
        loop {
            if let State::Data(left) = self.state {
                if buf.is_empty() {
                    return Ok(Decoded::More);
                }
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                let left = left - n as u64;
                self.state = if left == 0 {
                    State::DataCr
                } else {
                    State::Data(left)
                };
                return Ok(Decoded::Data(buf.split_to(n).freeze()));
            }
            if self.state == State::Done {
                return Ok(Decoded::End);
            }
            let Some(&b) = buf.first() else {
                return Ok(Decoded::More);
            };
            buf.advance(1);
            self.state = self.step(b)?;
        }
    }

    /// The state after one framing byte.
    fn step(&mut self, b: u8) -> Result<State, String> {
        let bad = |what: &str| Err(format!("a malformed chunked body: {what}"));
        if matches!(
            self.state,
            State::Start | State::Size { .. } | State::AfterSize { .. } | State::Extension { .. }
        ) {
            self.line += 1;
            if self.line > MAX_CHUNK_LINE {
                return bad("a chunk-size line too long");
            }
        }
        if matches!(self.state, State::TrailerStart | State::TrailerLine) {
            self.line += 1;
            if self.line > MAX_TRAILERS {
                return bad("trailers too long");
            }
        }
        let hex = |b: u8| char::from(b).to_digit(16).map(u64::from);
        Ok(match (self.state, b) {
            (State::Start, _) => match hex(b) {
                Some(d) => State::Size { digits: 1, size: d },
                None => return bad("no chunk size"),
            },
            (State::Size { digits, size }, _) if hex(b).is_some() => {
                if digits >= 16 {
                    return bad("a chunk size too large");
                }
                State::Size {
                    digits: digits + 1,
                    size: size << 4 | hex(b).unwrap_or(0),
                }
            }
            (State::Size { size, .. } | State::AfterSize { size }, b' ' | b'\t') => {
                State::AfterSize { size }
            }
            (State::Size { size, .. } | State::AfterSize { size }, b';') => {
                State::Extension { size }
            }
            (
                State::Size { size, .. } | State::AfterSize { size } | State::Extension { size },
                b'\r',
            ) => State::SizeLf { size },
            (State::Extension { size }, b) if b != b'\n' && b != 0 => State::Extension { size },
            (State::SizeLf { size }, b'\n') => {
                self.line = 0;
                if size == 0 {
                    State::TrailerStart
                } else {
                    State::Data(size)
                }
            }
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => State::Start,
            (State::TrailerStart, b'\r') => State::EndLf,
            (State::TrailerStart | State::TrailerLine, b) if b != b'\n' && b != b'\r' => {
                State::TrailerLine
            }
            (State::TrailerLine, b'\r') => State::TrailerLf,
            (State::TrailerLf, b'\n') => State::TrailerStart,
            (State::EndLf, b'\n') => State::Done,
            _ => return bad("an unexpected byte"),
        })
    }
}

#[cfg(test)]
#[path = "framing_tests.rs"]
mod tests;
