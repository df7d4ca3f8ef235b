//! Reading a request body before anything is forwarded: bounded in size, in total time and in
//! pace, and refused when its framing is wrong. Every way a body can fail ends here, as one
//! [`BodyError`] with its status and JSON code, and every one of them closes the connection (the
//! rest of the stream can no longer be trusted to start at a request boundary).
//!
//! hyper parses the framing itself. What reaches this module: a body declared with one
//! `Content-Length`, or `Transfer-Encoding: chunked` (hyper has already dropped a
//! `Content-Length` sent beside it and will close the connection after the answer), whose chunk
//! syntax errors surface here as body errors. Duplicate differing `Content-Length`s, a
//! `Content-Length` that is not a number and a `Transfer-Encoding` that does not end in
//! `chunked` never get here: hyper answers them itself (see the crate's README).

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use http_body_util::BodyExt;
use std::time::Duration;
use tokio::time::Instant;

/// How long the pace rule waits before it applies: the first bytes of a body may trail its head
/// by a round trip or a lost segment, and a body of a few kilobytes is in well within it.
pub const BODY_RATE_GRACE: Duration = Duration::from_secs(2);

/// How long and how slowly a request body may arrive, and how large it may be.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    /// The whole body must be in within this long after the head.
    pub timeout: Duration,
    /// After `rate_grace`, at least this many bytes per second on average; 0: no pace rule.
    pub min_rate: u32,
    /// [`BODY_RATE_GRACE`] (shorter in tests).
    pub rate_grace: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("request bodies are limited to {limit} bytes; this one declares {declared}")]
    DeclaredTooLarge { declared: u64, limit: usize },
    #[error("request bodies are limited to {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the request body did not arrive within {timeout_ms} ms")]
    Timeout { timeout_ms: u128 },
    #[error("the request body arrived slower than {min_rate} bytes per second")]
    TooSlow { min_rate: u32 },
    #[error("chunked body: bad chunk size ({0})")]
    BadChunkSize(String),
    #[error("chunked body: a chunk or the body does not end with CRLF where it must ({0})")]
    BadChunkTerminator(String),
    #[error("chunked body: malformed ({0})")]
    BadChunkedBody(String),
    #[error("the connection closed before the request body was complete")]
    Incomplete,
}

impl BodyError {
    pub fn status(&self) -> u16 {
        match self {
            BodyError::DeclaredTooLarge { .. } | BodyError::TooLarge { .. } => 413,
            BodyError::Timeout { .. } | BodyError::TooSlow { .. } => 408,
            BodyError::BadChunkSize(_) | BodyError::BadChunkTerminator(_) | BodyError::BadChunkedBody(_) | BodyError::Incomplete => 400,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            BodyError::DeclaredTooLarge { .. } | BodyError::TooLarge { .. } => "PAYLOAD_TOO_LARGE",
            BodyError::Timeout { .. } => "BODY_TIMEOUT",
            BodyError::TooSlow { .. } => "BODY_TOO_SLOW",
            BodyError::BadChunkSize(_) => "BAD_CHUNK_SIZE",
            BodyError::BadChunkTerminator(_) => "BAD_CHUNK_TERMINATOR",
            BodyError::BadChunkedBody(_) => "BAD_CHUNKED_BODY",
            BodyError::Incomplete => "INCOMPLETE_BODY",
        }
    }

    /// Sorts an error of hyper's body stream. hyper reports framing errors as an `io::Error`
    /// (its message says which rule was broken) behind its own error type.
    fn from_stream(err: &(dyn std::error::Error + 'static)) -> BodyError {
        let mut source = Some(err);
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                return match io.kind() {
                    std::io::ErrorKind::UnexpectedEof => BodyError::Incomplete,
                    _ => classify_chunk_error(&io.to_string()),
                };
            }
            source = e.source();
        }
        BodyError::Incomplete
    }
}

/// hyper's chunk decoder names the broken rule in its message ("Invalid chunk size line: ...",
/// "invalid chunk size: overflow", "Invalid chunk body CR", "Invalid chunk end LF"...).
fn classify_chunk_error(message: &str) -> BodyError {
    let lower = message.to_ascii_lowercase();
    if lower.contains("chunk size") {
        BodyError::BadChunkSize(message.to_string())
    } else if lower.contains("chunk body") || lower.contains("chunk end") || lower.contains("trailer end") {
        BodyError::BadChunkTerminator(message.to_string())
    } else {
        BodyError::BadChunkedBody(message.to_string())
    }
}

/// The declared length, when the head declares one hyper accepted.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Reads the whole body within `limits`. A declared length over the limit is refused before a
/// byte of the body is read. Nothing is reserved from the declared length: memory follows the
/// bytes that actually arrived.
pub async fn read_body(headers: &HeaderMap, body: Body, limits: &BodyLimits) -> Result<Bytes, BodyError> {
    if let Some(declared) = declared_length(headers) {
        if declared > limits.max_bytes as u64 {
            return Err(BodyError::DeclaredTooLarge { declared, limit: limits.max_bytes });
        }
    }
    let mut body = body;
    if axum::body::HttpBody::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    let started = Instant::now();
    let give_up = started + limits.timeout;
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut received: usize = 0;
    loop {
        let wait_until = pace_deadline(started, received, limits).map_or(give_up, |slow| slow.min(give_up));
        let frame = match tokio::time::timeout_at(wait_until, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) => return Err(BodyError::from_stream(&e)),
            Ok(None) => break,
            Err(_) if wait_until < give_up => return Err(BodyError::TooSlow { min_rate: limits.min_rate }),
            Err(_) => return Err(BodyError::Timeout { timeout_ms: limits.timeout.as_millis() }),
        };
        if let Ok(data) = frame.into_data() {
            received += data.len();
            if received > limits.max_bytes {
                return Err(BodyError::TooLarge { limit: limits.max_bytes });
            }
            chunks.push(data);
        }
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => Bytes::from(chunks.concat()),
    })
}

/// When a body with `received` bytes in falls behind the pace: the grace, plus one second per
/// `min_rate` bytes received. `None` without a pace rule.
fn pace_deadline(started: Instant, received: usize, limits: &BodyLimits) -> Option<Instant> {
    if limits.min_rate == 0 {
        return None;
    }
    let earned = Duration::from_secs_f64(received as f64 / f64::from(limits.min_rate));
    Some(started + limits.rate_grace + earned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::HttpBody;
    use axum::http::HeaderValue;
    use hyper::body::Frame;
    use std::convert::Infallible;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    const GRACE: Duration = Duration::from_millis(100);
    const LIMITS: BodyLimits = BodyLimits { max_bytes: 16, timeout: Duration::from_secs(10), min_rate: 4, rate_grace: GRACE };

    /// Timers fire late under load, never early.
    fn assert_took(started: Instant, at_least: Duration) {
        let took = started.elapsed();
        assert!(took >= at_least && took < at_least + Duration::from_millis(400), "{took:?}, expected {at_least:?}");
    }

    fn with_length(n: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_str(n).unwrap());
        h
    }

    /// A body that yields `parts` one `gap` apart, then stays open for ever or ends.
    struct Trickle {
        parts: std::collections::VecDeque<&'static [u8]>,
        gap: Duration,
        then_stall: bool,
        next: Pin<Box<tokio::time::Sleep>>,
    }

    impl HttpBody for Trickle {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            if self.parts.is_empty() {
                return if self.then_stall { Poll::Pending } else { Poll::Ready(None) };
            }
            if self.next.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let at = Instant::now() + self.gap;
            self.next.as_mut().reset(at);
            let part = self.parts.pop_front().unwrap_or_default();
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(part)))))
        }
    }

    fn trickle(parts: Vec<&'static [u8]>, gap: Duration, then_stall: bool) -> Body {
        Body::new(Trickle { parts: parts.into(), gap, then_stall, next: Box::pin(tokio::time::sleep(Duration::ZERO)) })
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        // The body would never end: the answer must not wait for it.
        let started = Instant::now();
        let body = trickle(vec![], Duration::ZERO, true);
        let err = read_body(&with_length("10000000000"), body, &LIMITS).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(err, BodyError::DeclaredTooLarge { declared: 10_000_000_000, limit: 16 });
        assert_eq!((err.status(), err.code()), (413, "PAYLOAD_TOO_LARGE"));
    }

    #[tokio::test]
    async fn a_body_that_grows_past_the_limit_is_refused() {
        let body = trickle(vec![b"0123456789", b"0123456789"], Duration::from_millis(10), false);
        let err = read_body(&HeaderMap::new(), body, &LIMITS).await.unwrap_err();
        assert_eq!(err, BodyError::TooLarge { limit: 16 });
    }

    #[tokio::test]
    async fn a_body_in_parts_is_joined() {
        let body = trickle(vec![b"{\"a\":", b"1}"], Duration::from_millis(50), false);
        assert_eq!(read_body(&HeaderMap::new(), body, &LIMITS).await.unwrap(), Bytes::from_static(b"{\"a\":1}"));
    }

    #[tokio::test]
    async fn a_stalled_body_misses_the_pace_after_the_grace() {
        let started = Instant::now();
        let body = trickle(vec![b"x"], Duration::ZERO, true);
        let err = read_body(&with_length("10"), body, &LIMITS).await.unwrap_err();
        assert_eq!((err.status(), err.code()), (408, "BODY_TOO_SLOW"));
        // The grace plus a quarter second for the one byte in at 4 bytes/s.
        assert_took(started, GRACE + Duration::from_millis(250));
    }

    #[tokio::test]
    async fn a_body_that_keeps_pace_but_never_ends_hits_the_total_deadline() {
        let started = Instant::now();
        let parts: Vec<&'static [u8]> = vec![b"a"; 15];
        let limits = BodyLimits { timeout: Duration::from_millis(700), min_rate: 20, ..LIMITS };
        let body = trickle(parts, Duration::from_millis(40), true);
        let err = read_body(&with_length("16"), body, &limits).await.unwrap_err();
        assert_eq!((err.status(), err.code()), (408, "BODY_TIMEOUT"));
        assert_took(started, limits.timeout);
        // Without a pace rule only the total deadline applies.
        let body = trickle(vec![b"x"], Duration::ZERO, true);
        let err = read_body(&with_length("10"), body, &BodyLimits { min_rate: 0, ..limits }).await.unwrap_err();
        assert_eq!(err.code(), "BODY_TIMEOUT");
    }

    #[test]
    fn hyper_chunk_errors_are_named() {
        assert_eq!(classify_chunk_error("Invalid chunk size line: Invalid Size").code(), "BAD_CHUNK_SIZE");
        assert_eq!(classify_chunk_error("invalid chunk size: overflow").code(), "BAD_CHUNK_SIZE");
        assert_eq!(classify_chunk_error("Invalid chunk body CR").code(), "BAD_CHUNK_TERMINATOR");
        assert_eq!(classify_chunk_error("Invalid chunk end LF").code(), "BAD_CHUNK_TERMINATOR");
        assert_eq!(classify_chunk_error("invalid chunk extension contains newline").code(), "BAD_CHUNKED_BODY");
        let eof = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "early eof");
        assert_eq!(BodyError::from_stream(&eof), BodyError::Incomplete);
    }
}
