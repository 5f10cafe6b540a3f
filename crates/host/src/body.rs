//! The request body, read whole by the runtime before an instance exists.
//!
//! The guest gets the same bytes (and trailers) it would have streamed, but only once the
//! body has arrived within [`Limits::body_timeout`] and [`Limits::max_body_bytes`]. So a
//! slow client never holds an instance slot of the pooling allocator, and a body whose
//! framing is broken (a malformed chunked encoding, a connection closed before the end) is
//! the client's 400, not a guest's failed read and a 500.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Collected, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};

use crate::limits::Limits;

/// Why a request is refused before it reaches the guest; all are the client's fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Both `Content-Length` and `Transfer-Encoding` (400; RFC 9112 §6.1).
    ContentLengthAndTransferEncoding,
    /// The chunked framing is broken (400).
    MalformedChunked,
    /// The connection ended before the body did (400; nobody reads the answer).
    Incomplete,
    /// Over [`Limits::max_body_bytes`] (413).
    TooLarge(u64),
    /// Not received within [`Limits::body_timeout`] (408).
    TimedOut(Duration),
}

impl Refusal {
    /// The status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::ContentLengthAndTransferEncoding | Refusal::MalformedChunked | Refusal::Incomplete => {
                StatusCode::BAD_REQUEST
            }
            Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// The problem's `detail`, for the client.
    pub fn detail(&self) -> String {
        match self {
            Refusal::ContentLengthAndTransferEncoding => {
                "the request has both Content-Length and Transfer-Encoding; send one".into()
            }
            Refusal::MalformedChunked => "the request body's framing is malformed (chunked encoding)".into(),
            Refusal::Incomplete => "the request body ended before its declared length".into(),
            Refusal::TooLarge(max) => format!("the request body is larger than the limit of {max} bytes"),
            Refusal::TimedOut(t) => format!("the request body did not arrive within {t:?}"),
        }
    }

    /// What the log line says after `client ADDR: `.
    pub fn log_reason(&self) -> String {
        match self {
            Refusal::ContentLengthAndTransferEncoding => "both Content-Length and Transfer-Encoding".into(),
            Refusal::MalformedChunked => "malformed chunked body".into(),
            Refusal::Incomplete => "connection closed before the body ended".into(),
            Refusal::TooLarge(max) => format!("body over {max} bytes"),
            Refusal::TimedOut(t) => format!("body not received within {t:?}"),
        }
    }
}

/// Reads the whole body within the limits; the request comes back with it buffered.
pub async fn read_whole(req: Request<Incoming>, limits: &Limits) -> Result<Request<Collected<Bytes>>, Refusal> {
    let max = limits.max_body_bytes;
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max) {
        return Err(Refusal::TooLarge(max));
    }
    let chunked = req.headers().contains_key(http::header::TRANSFER_ENCODING);
    let (parts, body) = req.into_parts();
    let limited = Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX));
    match tokio::time::timeout(limits.body_timeout, limited.collect()).await {
        Err(_) => Err(Refusal::TimedOut(limits.body_timeout)),
        Ok(Ok(collected)) => Ok(Request::from_parts(parts, collected)),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Refusal::TooLarge(max)),
        Ok(Err(e)) if chunked => Err(classify(e.as_ref())),
        Ok(Err(_)) => Err(Refusal::Incomplete),
    }
}

/// For a chunked body: hyper reports one cut short as an `UnexpectedEof` I/O error (or an
/// incomplete message), and broken framing as `InvalidData` / `InvalidInput`. (A body with
/// a `Content-Length` can only fail by ending early.)
fn classify(e: &(dyn std::error::Error + 'static)) -> Refusal {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            return Refusal::Incomplete;
        }
        cause = e.source();
    }
    Refusal::MalformedChunked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_errors_are_told_apart_by_their_cause() {
        let eof = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "early end");
        assert_eq!(classify(&eof), Refusal::Incomplete);
        let bad = std::io::Error::new(std::io::ErrorKind::InvalidInput, "invalid chunk size line");
        assert_eq!(classify(&bad), Refusal::MalformedChunked);
    }

    #[test]
    fn refusals_are_4xx() {
        for r in [
            Refusal::ContentLengthAndTransferEncoding,
            Refusal::MalformedChunked,
            Refusal::Incomplete,
            Refusal::TooLarge(1),
            Refusal::TimedOut(Duration::from_secs(1)),
        ] {
            assert!(r.status().is_client_error(), "{r:?}");
        }
    }
}
