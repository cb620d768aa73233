//! The body of an answer read by `plain.rs`: streamed off the upstream connection as it
//! arrives, framed by `framing.rs`, and the connection given back to the pool at its end when
//! nothing followed it. A body dropped before its end closes its connection.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};

use super::framing::{Chunked, Decoded, Framing};
use super::plain::{self, PlainConn};
use super::pool::PoolId;

/// How far the body has been read.
enum Left {
    Length(u64),
    Chunked(Chunked),
    UntilClose,
    Done,
}

pub(super) struct PlainBody {
    /// The connection, until the body ends (or fails).
    conn: Option<PlainConn>,
    left: Left,
    /// Whether the connection may carry another request after this body.
    reusable: bool,
    pool: PoolId,
}

impl PlainBody {
    /// The body that follows a head read off `conn` (whose buffer holds what came after it).
    pub(super) fn new(conn: PlainConn, framing: Framing, reusable: bool, pool: PoolId) -> Self {
        let left = match framing {
            Framing::Empty => Left::Done,
            Framing::Length(n) => Left::Length(n),
            Framing::Chunked => Left::Chunked(Chunked::default()),
            Framing::UntilClose => Left::UntilClose,
        };
        let mut body = Self {
            conn: Some(conn),
            left,
            reusable,
            pool,
        };
        if matches!(body.left, Left::Done) {
            body.finish();
        }
        body
    }

    /// The body is over: its connection goes back to the pool if it may carry another request
    /// and nothing was read past this answer (bytes there would be an answer to no request).
    fn finish(&mut self) {
        self.left = Left::Done;
        if let Some(conn) = self.conn.take()
            && self.reusable
            && conn.buf.is_empty()
        {
            plain::give_back(self.pool, conn);
        }
    }

    fn fail(&mut self, cause: String) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.conn = None;
        self.left = Left::Done;
        Poll::Ready(Some(Err(BodyError(cause))))
    }
}

/// Why an upstream body ended early; hyper ends the client's answer on it.
#[derive(Debug)]
pub(super) struct BodyError(String);

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "upstream body: {}", self.0)
    }
}

impl std::error::Error for BodyError {}

impl http_body::Body for PlainBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            let buf: &mut BytesMut = &mut conn.buf;
            match &mut this.left {
                Left::Done => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Left::Length(left) if !buf.is_empty() => {
                    let n = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
                    let data = buf.split_to(n).freeze();
                    *left -= n as u64;
                    if *left == 0 {
                        this.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Left::Chunked(decoder) => match decoder.next(buf) {
                    Ok(Decoded::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Decoded::End) => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::More) => {}
                    Err(cause) => return this.fail(cause),
                },
                Left::UntilClose if !buf.is_empty() => {
                    let data = buf.split().freeze();
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Left::Length(_) | Left::UntilClose => {}
            }
            // The buffer is used up: read more.
            match ready!(conn.poll_fill(cx)) {
                Ok(0) if matches!(this.left, Left::UntilClose) => {
                    this.conn = None;
                    this.left = Left::Done;
                    return Poll::Ready(None);
                }
                Ok(0) => return this.fail("closed before the body's end".to_owned()),
                Ok(_) => {}
                Err(e) => return this.fail(e.to_string()),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.left, Left::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match self.left {
            Left::Length(n) => SizeHint::with_exact(n),
            Left::Done => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}
