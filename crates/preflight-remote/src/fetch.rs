//! Where the bytes come from: an HTTP(S) URL read with `Range` requests
//! (reqwest), or an object of a store (object_store), behind one
//! [`Source::get`] that returns either the range asked for or, when an HTTP
//! server ignores `Range`, the whole body as a stream.

use crate::{dns, FetchStats, RemoteOptions};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::path::Path as StorePath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Why bytes could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with an HTTP status that is not a success.
    #[error("HTTP {status}")]
    Status {
        /// The status code.
        status: u16,
    },
    /// The object does not exist.
    #[error("not found")]
    NotFound,
    /// Connecting, sending or receiving failed (after the retries).
    #[error("{0}")]
    Transport(String),
    /// The object changed between two reads (its size or ETag differ).
    #[error("the object changed while it was read ({0})")]
    Changed(String),
    /// The server's answer does not fit the request (a range it was not
    /// asked for, a size it contradicts).
    #[error("unexpected answer: {0}")]
    Protocol(String),
}

/// The answer to a ranged read.
pub(crate) enum Got {
    /// Bytes of the object starting at `start`; the object is `total` long.
    Part {
        start: u64,
        total: u64,
        bytes: Bytes,
    },
    /// The server ignored `Range`: the body is the whole object from byte 0
    /// (`total` when it said how long).
    Whole {
        total: Option<u64>,
        body: BoxStream<'static, Result<Bytes, FetchError>>,
    },
}

/// Where an object is read from.
#[derive(Clone)]
pub(crate) enum Source {
    Http {
        client: reqwest::Client,
        url: Url,
    },
    Store {
        store: Arc<dyn ObjectStore>,
        path: StorePath,
        /// Its size when a listing told it.
        size: Option<u64>,
    },
}

impl Source {
    /// The object's size when known before reading (from a listing).
    pub(crate) fn known_size(&self) -> Option<u64> {
        match self {
            Source::Http { .. } => None,
            Source::Store { size, .. } => *size,
        }
    }

    /// Reads `range` (clamped by the server to the object's end), counting
    /// the request and the bytes in `stats`.
    pub(crate) async fn get(
        &self,
        range: Range<u64>,
        stats: &mut FetchStats,
        opts: &RemoteOptions,
    ) -> Result<Got, FetchError> {
        match self {
            Source::Http { client, url } => http_get(client, url, range, stats, opts).await,
            Source::Store { store, path, .. } => {
                store_get(store.as_ref(), path, range, stats, opts).await
            }
        }
    }
}

/// Parses `Content-Range: bytes a-b/total` (total may be `*`).
fn content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    if span.trim() == "*" {
        // `bytes */total`: an unsatisfiable range (416).
        return Some((0, 0, total));
    }
    let (a, b) = span.split_once('-')?;
    let (a, b): (u64, u64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    if b < a {
        return None;
    }
    Some((a, b.checked_add(1)?, total))
}

/// How long to wait before retry `attempt` (1-based): exponential from
/// 100 ms with jitter, at most 5 s; a `Retry-After` in seconds wins (at
/// most 30 s).
fn backoff(attempt: u32, retry_after: Option<u64>) -> Duration {
    if let Some(s) = retry_after {
        return Duration::from_secs(s.min(30));
    }
    let base = 100u64.saturating_mul(1 << attempt.min(6));
    let jitter = fastrand::u64(0..=base / 2);
    Duration::from_millis((base + jitter).min(5_000))
}

fn retryable_status(s: u16) -> bool {
    s == 429 || s == 408 || (500..600).contains(&s)
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn http_get(
    client: &reqwest::Client,
    url: &Url,
    range: Range<u64>,
    stats: &mut FetchStats,
    opts: &RemoteOptions,
) -> Result<Got, FetchError> {
    let want = range.end.saturating_sub(range.start);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        stats.requests += 1;
        let sent = client
            .get(url.clone())
            .header(
                reqwest::header::RANGE,
                format!("bytes={}-{}", range.start, range.end.saturating_sub(1)),
            )
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            // A refused redirect or address is refused again: not retried.
            Err(e) if attempt <= opts.retries && !e.is_redirect() && !dns::internal_only(&e) => {
                stats.retries += 1;
                tokio::time::sleep(backoff(attempt, None)).await;
                let _ = e;
                continue;
            }
            Err(e) => return Err(FetchError::Transport(transport_message(&e))),
        };
        let status = resp.status().as_u16();
        if retryable_status(status) && attempt <= opts.retries {
            let after = header(&resp, "retry-after").and_then(|v| v.trim().parse().ok());
            stats.retries += 1;
            tokio::time::sleep(backoff(attempt, after)).await;
            continue;
        }
        remember_meta(stats, &resp);
        match status {
            206 => {
                let cr = header(&resp, "content-range").and_then(content_range);
                let Some((start, _end, Some(total))) = cr else {
                    return Err(FetchError::Protocol(
                        "206 without a Content-Range giving the size".into(),
                    ));
                };
                if start != range.start {
                    return Err(FetchError::Protocol(format!(
                        "asked for bytes from {}, got them from {start}",
                        range.start
                    )));
                }
                match read_capped(resp, want, stats).await {
                    Ok(bytes) => {
                        return Ok(Got::Part {
                            start,
                            total,
                            bytes,
                        })
                    }
                    Err(_) if attempt <= opts.retries => {
                        stats.retries += 1;
                        tokio::time::sleep(backoff(attempt, None)).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            200 => {
                let total = resp.content_length();
                let body = resp
                    .bytes_stream()
                    .map(|r| r.map_err(|e| FetchError::Transport(transport_message(&e))))
                    .boxed();
                return Ok(Got::Whole { total, body });
            }
            416 => {
                // Nothing at or after the start: an empty object when it starts at 0.
                let total = header(&resp, "content-range")
                    .and_then(content_range)
                    .and_then(|c| c.2);
                return match total {
                    Some(total) if total <= range.start => Ok(Got::Part {
                        start: range.start.min(total),
                        total,
                        bytes: Bytes::new(),
                    }),
                    _ => Err(FetchError::Status { status }),
                };
            }
            404 | 410 => return Err(FetchError::NotFound),
            _ => return Err(FetchError::Status { status }),
        }
    }
}

/// The message of a reqwest error with its causes (the URL left out: it is
/// the report's path already).
pub(crate) fn transport_message(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else if e.is_redirect() {
        "redirect not followed".to_string()
    } else {
        "transfer failed".to_string()
    };
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

fn remember_meta(stats: &mut FetchStats, resp: &reqwest::Response) {
    if stats.etag.is_none() {
        stats.etag = header(resp, "etag").map(str::to_string);
    }
    if stats.last_modified.is_none() {
        stats.last_modified = header(resp, "last-modified").map(str::to_string);
    }
}

/// Reads a 206 body, keeping at most `cap` bytes (a server that sends more
/// than it was asked for is cut off there).
async fn read_capped(
    mut resp: reqwest::Response,
    cap: u64,
    stats: &mut FetchStats,
) -> Result<Bytes, FetchError> {
    let mut buf: Vec<u8> = Vec::new();
    while (buf.len() as u64) < cap {
        match resp.chunk().await {
            Ok(Some(c)) => {
                stats.bytes += c.len() as u64;
                let room = (cap - buf.len() as u64) as usize;
                buf.extend_from_slice(&c[..c.len().min(room)]);
            }
            Ok(None) => break,
            Err(e) => return Err(FetchError::Transport(transport_message(&e))),
        }
    }
    Ok(Bytes::from(buf))
}

async fn store_get(
    store: &dyn ObjectStore,
    path: &StorePath,
    range: Range<u64>,
    stats: &mut FetchStats,
    opts: &RemoteOptions,
) -> Result<Got, FetchError> {
    // object_store retries 5xx, 429 and timeouts itself (RetryConfig, set
    // from the same options when the store is built).
    let _ = opts;
    stats.requests += 1;
    let options = GetOptions {
        range: Some(GetRange::Bounded(range.clone())),
        // Later ranges must come from the same object as the first.
        if_match: stats.etag.clone().filter(|_| stats.requests > 1),
        ..GetOptions::default()
    };
    let got = match store.get_opts(path, options).await {
        Ok(g) => g,
        Err(object_store::Error::NotFound { .. }) => return Err(FetchError::NotFound),
        Err(object_store::Error::Precondition { .. }) => {
            return Err(FetchError::Changed("its ETag changed".into()))
        }
        Err(e) if range.start == 0 => {
            // No range of an empty object can be served (S3 answers 416):
            // when its size was not listed, a HEAD tells it.
            stats.requests += 1;
            return match store.head(path).await {
                Ok(meta) if meta.size == 0 => Ok(Got::Part {
                    start: 0,
                    total: 0,
                    bytes: Bytes::new(),
                }),
                _ => Err(FetchError::Transport(store_message(&e))),
            };
        }
        Err(e) => return Err(FetchError::Transport(store_message(&e))),
    };
    if stats.etag.is_none() {
        stats.etag = got.meta.e_tag.clone();
    }
    if stats.last_modified.is_none() {
        stats.last_modified = Some(got.meta.last_modified.to_rfc2822());
    }
    let start = got.range.start;
    let total = got.meta.size;
    let bytes = got
        .bytes()
        .await
        .map_err(|e| FetchError::Transport(store_message(&e)))?;
    stats.bytes += bytes.len() as u64;
    Ok(Got::Part {
        start,
        total,
        bytes,
    })
}

/// An object_store error's message with its causes.
pub(crate) fn store_message(e: &object_store::Error) -> String {
    use std::error::Error as _;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let s = s.to_string();
        if !msg.contains(&s) {
            msg.push_str(": ");
            msg.push_str(&s);
        }
        src = src.and_then(|x| x.source());
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(content_range("bytes 0-99/1000"), Some((0, 100, Some(1000))));
        assert_eq!(content_range("bytes 5-5/*"), Some((5, 6, None)));
        assert_eq!(content_range("bytes */0"), Some((0, 0, Some(0))));
        assert_eq!(content_range("bytes 9-3/10"), None);
        assert_eq!(content_range("items 0-1/2"), None);
        assert_eq!(content_range("bytes 0-18446744073709551615/1"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1, None) >= Duration::from_millis(200));
        assert!(backoff(20, None) <= Duration::from_secs(5));
        assert_eq!(backoff(1, Some(3)), Duration::from_secs(3));
        assert_eq!(backoff(1, Some(3600)), Duration::from_secs(30));
    }
}
