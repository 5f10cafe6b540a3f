//! One connection's life under the [`Limits`]: deadlines while it waits for a request
//! head, the refusal of connections over the cap, and calm `accept` failures.
//!
//! Each connection has a [`Conn`] clock and a watchdog ([`Conn::expired`]) racing the
//! hyper connection; when the clock's deadline passes, the connection is dropped
//! (closed, unanswered). The deadline depends on what the connection is waiting for:
//!
//! - a new connection: its TLS handshake and first request head within
//!   [`Limits::header_timeout`] of `accept`;
//! - a keep-alive connection between requests: the first byte of the next request within
//!   [`Limits::idle_timeout`] of the end of the last response, then the rest of that head
//!   within [`Limits::header_timeout`] of its first byte;
//! - a request being handled (from a parsed head until its response body is written or
//!   dropped, tracked by a [`RequestGuard`] carried in the response body): none here; the
//!   body is bounded by [`crate::body`] and the guest by its own work.
//!
//! hyper's own `http1::Builder::header_read_timeout` is not used: in hyper 1.x it restarts
//! as soon as a response is written (the next head's read starts at once), so it would
//! also be the keep-alive idle timeout, one value for both.
//!
//! [`TimedIo`] wraps the stream hyper reads (the plaintext side of TLS) to see when a
//! head's first byte arrives and to sniff its header names: hyper drops `Content-Length`
//! when `Transfer-Encoding` is present (RFC 9112 §6.3), so a request carrying both, which
//! the runtime refuses (RFC 9112 §6.1 allows it), cannot be told from the parsed request.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::limits::Limits;

/// What the runtime saw of a request head before hyper parsed it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HeadFraming {
    /// The head carried both `Content-Length` and `Transfer-Encoding`.
    pub content_length_and_transfer_encoding: bool,
}

/// One connection's clock: what it is waiting for and since when.
pub(crate) struct Conn {
    clock: Mutex<Clock>,
    changed: Notify,
    header_timeout: Duration,
    idle_timeout: Duration,
}

struct Clock {
    /// Requests whose response is not yet written or dropped.
    busy: usize,
    /// No request has started on this connection yet.
    fresh: bool,
    /// When the current wait for a head began (accept, or the end of the last response).
    waiting_since: Instant,
    /// When the first byte of the awaited head arrived.
    first_byte: Option<Instant>,
    sniffer: HeadSniffer,
}

impl Conn {
    /// The clock of a connection accepted now.
    pub(crate) fn new(limits: &Limits) -> Arc<Conn> {
        Arc::new(Conn {
            clock: Mutex::new(Clock {
                busy: 0,
                fresh: true,
                waiting_since: Instant::now(),
                first_byte: None,
                sniffer: HeadSniffer::default(),
            }),
            changed: Notify::new(),
            header_timeout: limits.header_timeout,
            idle_timeout: limits.idle_timeout,
        })
    }

    fn clock(&self) -> MutexGuard<'_, Clock> {
        self.clock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// When the connection must be closed if nothing changes; `None` while a request runs.
    fn deadline(&self) -> Option<Instant> {
        let clock = self.clock();
        if clock.busy > 0 {
            None
        } else if clock.fresh {
            Some(clock.waiting_since + self.header_timeout)
        } else {
            Some(match clock.first_byte {
                Some(first) => first + self.header_timeout,
                None => clock.waiting_since + self.idle_timeout,
            })
        }
    }

    /// Resolves when the connection has waited too long; the caller then drops it.
    pub(crate) async fn expired(&self) {
        loop {
            // Created before the deadline is read; `notify_one` keeps a permit for it, so
            // a change between the two is not lost.
            let changed = self.changed.notified();
            match self.deadline() {
                None => changed.await,
                Some(deadline) => {
                    if Instant::now() >= deadline {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep_until(deadline) => {}
                        _ = changed => {}
                    }
                }
            }
        }
    }

    /// A request head was parsed: no deadline until its response is done (the guard drops).
    pub(crate) fn begin_request(self: &Arc<Self>) -> (RequestGuard, HeadFraming) {
        let framing = {
            let mut clock = self.clock();
            clock.busy += 1;
            clock.fresh = false;
            clock.first_byte = None;
            std::mem::take(&mut clock.sniffer).framing()
        };
        self.changed.notify_one();
        (RequestGuard(self.clone()), framing)
    }

    fn end_request(&self) {
        {
            let mut clock = self.clock();
            clock.busy = clock.busy.saturating_sub(1);
            if clock.busy == 0 {
                clock.waiting_since = Instant::now();
                clock.first_byte = None;
                clock.sniffer = HeadSniffer::default();
            }
        }
        self.changed.notify_one();
    }

    /// Bytes read from the client.
    fn on_read(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut clock = self.clock();
        if clock.busy > 0 {
            return;
        }
        clock.sniffer.feed(bytes);
        if clock.first_byte.is_none() {
            clock.first_byte = Some(Instant::now());
            drop(clock);
            self.changed.notify_one();
        }
    }
}

/// Held while a request runs; carried in the response body, dropped when it is written.
pub(crate) struct RequestGuard(Arc<Conn>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.end_request();
    }
}

/// A response body that ends its request's [`RequestGuard`] when it is done with.
pub(crate) struct GuardedBody<B> {
    inner: B,
    _guard: RequestGuard,
}

impl<B> GuardedBody<B> {
    pub(crate) fn new(inner: B, guard: RequestGuard) -> GuardedBody<B> {
        GuardedBody { inner, _guard: guard }
    }
}

impl<B: Body + Unpin> Body for GuardedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The stream hyper reads and writes, reporting reads to the connection's [`Conn`].
pub(crate) struct TimedIo<S> {
    inner: S,
    conn: Arc<Conn>,
}

impl<S> TimedIo<S> {
    pub(crate) fn new(inner: S, conn: Arc<Conn>) -> TimedIo<S> {
        TimedIo { inner, conn }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.conn.on_read(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Header lines longer than this are not looked into (the names sought are shorter).
const SNIFF_PREFIX: usize = 18;
/// A head longer than this is not sniffed to its end; hyper's own limit (about 400 KiB)
/// still applies, and such a request is handled as hyper parses it.
const SNIFF_MAX: usize = 64 * 1024;

/// Streams over a request head's bytes, noting whether it names both `Content-Length` and
/// `Transfer-Encoding`. Lines end at LF (a CR before it is ignored); empty lines before the
/// request line are skipped, as hyper does; the first empty line after it ends the head.
#[derive(Default)]
struct HeadSniffer {
    /// The start of the current line, lowercased.
    line: [u8; SNIFF_PREFIX],
    line_len: usize,
    seen_request_line: bool,
    done: bool,
    scanned: usize,
    content_length: bool,
    transfer_encoding: bool,
}

impl HeadSniffer {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.done {
                return;
            }
            self.scanned += 1;
            if self.scanned > SNIFF_MAX {
                self.done = true;
                return;
            }
            if b != b'\n' {
                if self.line_len < SNIFF_PREFIX {
                    self.line[self.line_len] = b.to_ascii_lowercase();
                }
                self.line_len += 1;
                continue;
            }
            let empty = self.line_len == 0 || (self.line_len == 1 && self.line[0] == b'\r');
            if empty {
                self.done = self.seen_request_line;
            } else if !self.seen_request_line {
                self.seen_request_line = true;
            } else {
                let line = &self.line[..self.line_len.min(SNIFF_PREFIX)];
                self.content_length |= line.starts_with(b"content-length:");
                self.transfer_encoding |= line.starts_with(b"transfer-encoding:");
            }
            self.line_len = 0;
        }
    }

    fn framing(&self) -> HeadFraming {
        HeadFraming {
            content_length_and_transfer_encoding: self.content_length && self.transfer_encoding,
        }
    }
}

/// How long a refused connection is given to send its request, and then to read the 503.
const REFUSAL_WAIT: Duration = Duration::from_secs(1);

/// Answers a connection over the cap with 503 and closes it. The request is read first (an
/// HTTP client that gets a response before it has sent its request may take the connection
/// for broken), and what follows is drained briefly after the answer, so that closing does
/// not reset the connection and destroy the 503 before the client reads it.
pub(crate) async fn refuse_over_capacity(mut stream: TcpStream) {
    let body = r#"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"the server is at its connection limit; retry shortly"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(REFUSAL_WAIT, stream.read(&mut buf)).await;
    if tokio::time::timeout(REFUSAL_WAIT, stream.write_all(response.as_bytes()))
        .await
        .is_err()
    {
        return;
    }
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(REFUSAL_WAIT, async {
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// Logs connections refused at the cap: one line per burst, not one per connection.
#[derive(Default)]
pub(crate) struct RefusalLog {
    last: Option<std::time::Instant>,
    unlogged: u64,
}

/// At most one refusal line per this long.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

impl RefusalLog {
    pub(crate) fn refused(&mut self, max_connections: usize) {
        self.unlogged += 1;
        if self.last.is_none_or(|t| t.elapsed() >= REFUSAL_LOG_EVERY) {
            eprintln!(
                "at the connection limit ({max_connections} open): refused {} connection(s) with 503 (raise --max-connections, or the clients hold connections open)",
                self.unlogged
            );
            self.last = Some(std::time::Instant::now());
            self.unlogged = 0;
        }
    }
}

/// `accept` failures: per-connection ones are retried at once; others (out of file
/// descriptors: EMFILE, ENFILE; out of memory) back off, doubling from 10 ms to 1 s, and
/// are logged once when they start, every 30 s while they last, and once when they end.
#[derive(Default)]
pub(crate) struct AcceptErrors {
    failing_since: Option<std::time::Instant>,
    failures: u64,
    delay: Duration,
    last_log: Option<std::time::Instant>,
}

const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(30);

impl AcceptErrors {
    /// After a failed `accept`: how long to wait before the next (`None`: at once).
    pub(crate) fn failed(&mut self, e: &io::Error) -> Option<Duration> {
        if matches!(
            e.kind(),
            io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
        ) {
            return None;
        }
        let now = std::time::Instant::now();
        let since = *self.failing_since.get_or_insert(now);
        self.failures += 1;
        if self.last_log.is_none_or(|t| t.elapsed() >= ACCEPT_LOG_EVERY) {
            if self.failures == 1 {
                eprintln!("accept failed: {e}; backing off (new connections wait in the listen queue)");
            } else {
                eprintln!(
                    "accept still failing: {e} ({} times in {:.0?})",
                    self.failures,
                    since.elapsed()
                );
            }
            self.last_log = Some(now);
        }
        self.delay = (self.delay * 2).clamp(ACCEPT_BACKOFF_MIN, ACCEPT_BACKOFF_MAX);
        Some(self.delay)
    }

    /// After a successful `accept`.
    pub(crate) fn succeeded(&mut self) {
        if let Some(since) = self.failing_since.take() {
            eprintln!(
                "accept recovered after {} failure(s) in {:.1?}",
                self.failures,
                since.elapsed()
            );
            *self = AcceptErrors::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn sniff(chunks: &[&str]) -> (bool, HeadFraming) {
        let mut s = HeadSniffer::default();
        for c in chunks {
            s.feed(c.as_bytes());
        }
        (s.done, s.framing())
    }

    #[test]
    fn the_sniffer_sees_both_framing_headers_in_either_order_and_any_case() {
        let both = HeadFraming {
            content_length_and_transfer_encoding: true,
        };
        let (done, framing) =
            sniff(&["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello"]);
        assert!(done);
        assert_eq!(framing, both);
        let (_, framing) = sniff(&[
            "POST / HTTP/1.1\r\ntransfer-ENCODING: chunked\r\n",
            "CONTENT-length: 5\r\n\r\n",
        ]);
        assert_eq!(framing, both);
        // Split mid-name across reads.
        let (_, framing) = sniff(&[
            "POST / HTTP/1.1\r\nTransfer-Enc",
            "oding: chunked\nContent-Len",
            "gth: 5\n\n",
        ]);
        assert_eq!(framing, both);
    }

    #[test]
    fn the_sniffer_stops_at_the_end_of_the_head() {
        let (done, framing) =
            sniff(&["\r\nPOST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nTransfer-Encoding: chunked\r\n"]);
        assert!(done);
        assert_eq!(framing, HeadFraming::default(), "a body line is not a header");
        let (_, framing) = sniff(&["POST / HTTP/1.1\r\nX-Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"]);
        assert_eq!(framing, HeadFraming::default());
        // The request line is not a header even if it looks like one.
        let (_, framing) = sniff(&["content-length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"]);
        assert_eq!(framing, HeadFraming::default());
    }

    #[test]
    fn a_guarded_body_yields_the_same_bytes_and_ends_the_request_when_dropped() {
        use http_body_util::BodyExt;
        let conn = Conn::new(&Limits::default());
        assert!(conn.deadline().is_some());
        let (guard, _) = conn.begin_request();
        assert_eq!(conn.deadline(), None, "no deadline while a request runs");
        let body = GuardedBody::new(http_body_util::Full::new(Bytes::from_static(b"hello")), guard);
        assert_eq!(body.size_hint().exact(), Some(5));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let bytes = runtime.block_on(async { body.collect().await.unwrap().to_bytes() });
        assert_eq!(bytes, "hello");
        let deadline = conn.deadline().expect("idle again");
        assert!(
            deadline > Instant::now() + Limits::default().header_timeout,
            "the idle timeout applies"
        );
    }

    #[test]
    fn accept_failures_back_off_and_per_connection_ones_do_not() {
        let mut errors = AcceptErrors::default();
        assert_eq!(errors.failed(&io::Error::from(io::ErrorKind::ConnectionAborted)), None);
        let emfile = io::Error::from_raw_os_error(24);
        let delays: Vec<_> = (0..10).map(|_| errors.failed(&emfile).unwrap()).collect();
        assert_eq!(delays[0], ACCEPT_BACKOFF_MIN);
        assert!(delays.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(delays[9], ACCEPT_BACKOFF_MAX);
        errors.succeeded();
        assert_eq!(errors.failed(&emfile), Some(ACCEPT_BACKOFF_MIN));
    }
}
