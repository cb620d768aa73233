//! A client socket as hyper sees it: with bytes already taken from it put back in front (the
//! first bytes, read to tell HTTP/2 from HTTP/1, and what hyper had read but not parsed when
//! the connection was parked), and deaf to hyper's shutdown while the connection is parked.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

use crate::conn_limits::Activity;

/// What an HTTP/2 client sends first (RFC 9113, section 3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A socket whose reads return `prefix` first, and whose shutdown does nothing while its
/// connection is being parked ([`Activity::set_parking`]): hyper closes its side of an idle
/// connection that way, and a TLS socket would send its close alert.
pub struct Prefixed<S> {
    prefix: Bytes,
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Prefixed<S> {
    pub fn new(prefix: Bytes, inner: S, activity: Arc<Activity>) -> Self {
        Self {
            prefix,
            inner,
            activity,
        }
    }

    /// Puts `bytes` back in front of whatever is still to be read. Empty bytes are dropped,
    /// not kept: an empty view of hyper's read buffer would keep the whole buffer alive.
    pub fn unread(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        if self.prefix.is_empty() {
            self.prefix = bytes;
        } else {
            let mut joined = BytesMut::with_capacity(bytes.len() + self.prefix.len());
            joined.extend_from_slice(&bytes);
            joined.extend_from_slice(&self.prefix);
            self.prefix = joined.freeze();
        }
    }

    /// Whether bytes are waiting to be read before the socket's.
    pub fn has_prefix(&self) -> bool {
        !self.prefix.is_empty()
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

/// Reads the first bytes of a connection, up to the length of the HTTP/2 preface or until they
/// differ from it, and says whether the client speaks HTTP/2 (prior knowledge, or after ALPN).
/// The bytes read are put back in front of the socket.
pub async fn sniff<S: AsyncRead + Unpin>(
    inner: S,
    activity: Arc<Activity>,
) -> std::io::Result<(Prefixed<S>, bool)> {
    let mut io = Prefixed::new(Bytes::new(), inner, activity);
    let mut buf = [0u8; PREFACE.len()];
    let mut n = 0;
    while n < buf.len() {
        let read = io.inner.read(&mut buf[n..]).await?;
        n += read;
        if read == 0 || buf[..n] != PREFACE[..n] {
            break;
        }
    }
    io.prefix = Bytes::copy_from_slice(&buf[..n]);
    Ok((io, buf[..n] == PREFACE[..]))
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.prefix.is_empty() {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        let n = self.prefix.len().min(buf.remaining());
        buf.put_slice(&self.prefix[..n]);
        self.prefix.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.activity.is_parking() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    async fn sniffed(sent: &[&[u8]]) -> (bool, Vec<u8>) {
        let (client, server) = tokio::io::duplex(64);
        let sent: Vec<Vec<u8>> = sent.iter().map(|s| s.to_vec()).collect();
        let writer = tokio::spawn(async move {
            let mut client = client;
            for part in sent {
                client.write_all(&part).await.unwrap();
                tokio::task::yield_now().await;
            }
        });
        let (mut io, http2) = sniff(server, Activity::new()).await.unwrap();
        writer.await.unwrap();
        let mut all = Vec::new();
        io.read_to_end(&mut all).await.unwrap();
        (http2, all)
    }

    #[tokio::test]
    async fn http1_is_told_from_the_first_byte_that_differs_and_nothing_is_lost() {
        let (http2, all) = sniffed(&[b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"]).await;
        assert!(!http2);
        assert_eq!(all, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        // A method that begins like the preface.
        let (http2, all) = sniffed(&[b"PR", b"OPFIND / HTTP/1.1\r\n\r\n"]).await;
        assert!(!http2);
        assert_eq!(all, b"PROPFIND / HTTP/1.1\r\n\r\n");
    }

    #[tokio::test]
    async fn the_preface_in_pieces_is_http2_and_is_read_again() {
        let (http2, all) = sniffed(&[&PREFACE[..5], &PREFACE[5..], b"frames"]).await;
        assert!(http2);
        assert_eq!(&all[..24], PREFACE);
        assert_eq!(&all[24..], b"frames");
    }

    #[tokio::test]
    async fn an_early_close_is_left_for_hyper_to_see() {
        let (http2, all) = sniffed(&[b"PRI * "]).await;
        assert!(!http2);
        assert_eq!(all, b"PRI * ");
    }

    #[tokio::test]
    async fn a_shutdown_while_parking_leaves_the_socket_open() {
        let (mut client, server) = tokio::io::duplex(8);
        let activity = Activity::new();
        let mut io = Prefixed::new(Bytes::new(), server, activity.clone());
        activity.set_parking(true);
        io.shutdown().await.unwrap();
        activity.set_parking(false);
        io.write_all(b"still").await.unwrap();
        io.shutdown().await.unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"still");
    }

    #[tokio::test]
    async fn unread_bytes_come_before_those_still_waiting() {
        let (client, server) = tokio::io::duplex(8);
        drop(client);
        let mut io = Prefixed::new(Bytes::from_static(b"cd"), server, Activity::new());
        io.unread(Bytes::from_static(b"ab"));
        assert!(io.has_prefix());
        let mut all = Vec::new();
        io.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"abcd");
    }
}
