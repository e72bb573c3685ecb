//! Saving the video of a succeeded task before its URL expires.

use super::TaskStatus;
use super::{cancelled, sleep_unless_cancelled, GenerateError, OptionError, TaskId, TaskResult};
use crate::transport::{status_class, url_for_log, Attempt, Fetched, StatusClass, Stop, Transport};
use crate::upload::{Client, NetworkError};
use preflight::fs::AtomicFile;
use preflight::{Format, Kind};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// How [`download`] saves a video: [`DownloadOptions::new`], then the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// The folder (made when missing).
    pub dir: PathBuf,
    /// The file name (default `<task id>.mp4`). A file of that name is replaced.
    pub file_name: Option<String>,
    /// Longest time to read the whole body (10 min).
    pub body_timeout: Duration,
    /// Largest video accepted (2 GB).
    pub max_bytes: u64,
    /// Set to stop ([`GenerateError::Interrupted`]).
    pub cancel: Option<Arc<AtomicBool>>,
}

impl DownloadOptions {
    /// Defaults for saving into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> DownloadOptions {
        DownloadOptions {
            dir: dir.into(),
            file_name: None,
            body_timeout: Duration::from_secs(600),
            max_bytes: 2_000_000_000,
            cancel: None,
        }
    }

    setters! {
        file_name: Some(impl Into<String>);
        body_timeout: Duration;
        max_bytes: u64;
        cancel: Some(Arc<AtomicBool>);
    }
}

/// A saved video.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Saved {
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
}

/// Why a video could not be downloaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// The task has no result URL.
    #[error("the task has no video ({status}){}", .hint.map(|h| format!(": {h}")).unwrap_or_default())]
    NoVideo {
        /// The task's status.
        status: TaskStatus,
        /// The moderation hint, when moderation explains it.
        hint: Option<&'static str>,
    },
    /// No (complete) answer.
    #[error("{0}")]
    Network(NetworkError),
    /// 403, 404 or 410: the signed URL no longer works.
    #[error("HTTP {status}: the URL has expired or is not accessible (result URLs last 12 h)")]
    Expired {
        /// The HTTP status.
        status: u16,
    },
    /// Any other status that is not a success.
    #[error("HTTP {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// `Content-Length` announces more than [`DownloadOptions::max_bytes`].
    #[error("{bytes} bytes is more than the {max} accepted")]
    TooLarge {
        /// The announced size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// The body grew past [`DownloadOptions::max_bytes`].
    #[error("more than the {max} bytes accepted")]
    Overflow {
        /// The limit.
        max: u64,
    },
    /// The connection broke while the body was read.
    #[error("the connection broke after {written} of {} bytes: {message}", .expected.map_or("?".to_string(), |n| n.to_string()))]
    Broken {
        /// Bytes received.
        written: u64,
        /// Bytes announced.
        expected: Option<u64>,
        /// The kind of I/O error.
        kind: io::ErrorKind,
        /// What the operating system said (scrubbed).
        message: String,
    },
    /// The body ended before `Content-Length`.
    #[error("got {written} bytes, Content-Length says {expected}")]
    Short {
        /// Bytes received.
        written: u64,
        /// Bytes announced.
        expected: u64,
    },
    /// The body is empty.
    #[error("the body is empty")]
    Empty,
    /// The body is not a video.
    #[error("the URL served {bytes} bytes of {format}, not a video")]
    NotVideo {
        /// Its size.
        bytes: u64,
        /// What it is, judged by content.
        format: Format,
    },
    /// A redirect this client does not follow: to another origin over plain
    /// HTTP, or to a host that resolves to a loopback, private, link-local
    /// or unique-local address.
    #[error("redirect to {to} refused: {reason}")]
    RedirectRefused {
        /// The target, without its query.
        to: String,
        /// Why.
        reason: &'static str,
    },
    /// Every attempt failed; the last failure.
    #[error("{last} (after {attempts} attempt{s})", s = if *.attempts == 1 { "" } else { "s" })]
    GaveUp {
        /// The last failure.
        last: Box<DownloadError>,
        /// Attempts made.
        attempts: u32,
    },
    /// The server asked to wait longer than the retry policy allows.
    #[error("{last}; the service asks to wait longer")]
    WaitTooLong {
        /// The last failure.
        last: Box<DownloadError>,
        /// The `Retry-After` in seconds.
        retry_after_s: u64,
    },
}

/// Saves the video of a succeeded task: streamed to a hidden temporary file
/// in `opts.dir` ([`AtomicFile`]), its size checked against `Content-Length`
/// and its first bytes sniffed as a video, then renamed into place.
/// Connection errors, 408, 429 and 5xx are retried as the client retries;
/// 403, 404 and 410 mean the URL has expired. On any failure the temporary
/// file is removed.
pub fn download(
    client: &Client,
    task: &TaskResult,
    opts: &DownloadOptions,
) -> Result<Saved, GenerateError> {
    let id = &task.id;
    let Some(url) = task.video_url.as_deref() else {
        return Err(GenerateError::Download {
            id: id.clone(),
            url: String::new(),
            error: DownloadError::NoVideo {
                status: task.status.clone(),
                hint: task.moderation_hint(),
            },
        });
    };
    let name = opts
        .file_name
        .clone()
        .unwrap_or_else(|| format!("{id}.mp4"));
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(OptionError::BadFileName(name).into());
    }
    fs::create_dir_all(&opts.dir).map_err(|source| GenerateError::Io {
        path: opts.dir.clone(),
        source,
    })?;
    let dest = opts.dir.join(&name);
    let transport = client.transport();
    let fail = |error: DownloadError| GenerateError::Download {
        id: id.clone(),
        url: url_for_log(url).to_string(),
        error,
    };
    let bytes = transport
        .retry(
            "download",
            true,
            |_| fetch_once(transport, url, &dest, opts, id),
            || Ok(None),
            |d| sleep_unless_cancelled(d, &opts.cancel),
        )
        .map_err(|stop| match stop {
            Stop::Fatal(e) | Stop::MaybeDone(e) => e,
            Stop::Exhausted(GenerateError::Download { error, .. }, attempts) => {
                fail(DownloadError::GaveUp {
                    last: Box::new(error),
                    attempts,
                })
            }
            Stop::WaitTooLong(GenerateError::Download { error, .. }, ra) => {
                fail(DownloadError::WaitTooLong {
                    last: Box::new(error),
                    retry_after_s: ra.as_secs(),
                })
            }
            Stop::Exhausted(e, _) | Stop::WaitTooLong(e, _) => e,
            Stop::Cancelled => GenerateError::Interrupted { id: id.clone() },
        })?;
    transport.log(|| format!("saved {} ({bytes} bytes)", dest.display()));
    Ok(Saved { path: dest, bytes })
}

/// Bytes of the start kept for sniffing.
const SNIFF_BYTES: usize = 4096;

/// One attempt: the video's size once it is in place at `dest`.
fn fetch_once(
    t: &Transport,
    url: &str,
    dest: &Path,
    opts: &DownloadOptions,
    id: &TaskId,
) -> Attempt<u64, GenerateError> {
    let err = |error: DownloadError| GenerateError::Download {
        id: id.clone(),
        url: url_for_log(url).to_string(),
        error,
    };
    let fatal = |error| Attempt::Fatal(err(error));
    let retry = |error, after| Attempt::Retry {
        err: err(error),
        after,
        unsent: false,
    };
    let io = |path: &Path, source| {
        Attempt::Fatal(GenerateError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut resp = match t.get_stream(url, opts.body_timeout) {
        Ok(Fetched::Response(r)) => r,
        Ok(Fetched::Refused { to, reason }) => {
            return fatal(DownloadError::RedirectRefused { to, reason })
        }
        Err(e) => {
            let f = t.net_failure(&e);
            return if f.retryable {
                retry(DownloadError::Network(f.error), None)
            } else {
                fatal(DownloadError::Network(f.error))
            };
        }
    };
    let status = resp.status().as_u16();
    match (status_class(status), status) {
        (StatusClass::Success, _) => {}
        (StatusClass::Retry { .. }, _) => {
            return retry(
                DownloadError::Status { status },
                crate::transport::retry_after(&resp),
            )
        }
        (StatusClass::Final, 403 | 404 | 410) => return fatal(DownloadError::Expired { status }),
        (StatusClass::Final, _) => return fatal(DownloadError::Status { status }),
    }
    let expected = resp.body().content_length();
    if let Some(n) = expected.filter(|&n| n > opts.max_bytes) {
        return fatal(DownloadError::TooLarge {
            bytes: n,
            max: opts.max_bytes,
        });
    }
    // Dropped on any return below, the temporary file is removed.
    let mut file = match AtomicFile::create(dest) {
        Ok(f) => f,
        Err(source) => return io(dest, source),
    };
    let mut reader = resp.body_mut().as_reader();
    let mut buf = vec![0u8; 64 * 1024];
    let mut head: Vec<u8> = Vec::new();
    let mut written = 0u64;
    loop {
        if cancelled(&opts.cancel) {
            return Attempt::Fatal(GenerateError::Interrupted { id: id.clone() });
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return retry(
                    DownloadError::Broken {
                        written,
                        expected,
                        kind: e.kind(),
                        message: t.scrub(&e.to_string()),
                    },
                    None,
                )
            }
        };
        let chunk = buf.get(..n).unwrap_or_default();
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(chunk.get(..take).unwrap_or_default());
        }
        written = written.saturating_add(n as u64);
        if written > opts.max_bytes {
            return fatal(DownloadError::Overflow {
                max: opts.max_bytes,
            });
        }
        if let Err(source) = file.write_all(chunk) {
            let path = file.path().to_path_buf();
            return io(&path, source);
        }
    }
    if let Some(n) = expected.filter(|&n| n != written) {
        return retry(
            DownloadError::Short {
                written,
                expected: n,
            },
            None,
        );
    }
    if written == 0 {
        return fatal(DownloadError::Empty);
    }
    let format = preflight::sniff(&head);
    if format.kind() != Kind::Video {
        return fatal(DownloadError::NotVideo {
            bytes: written,
            format,
        });
    }
    match file.commit() {
        Ok(()) => Attempt::Done(written),
        Err(source) => io(dest, source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_errors_read_well() {
        let e = DownloadError::GaveUp {
            last: Box::new(DownloadError::Broken {
                written: 10,
                expected: None,
                kind: io::ErrorKind::UnexpectedEof,
                message: "eof".into(),
            }),
            attempts: 4,
        };
        assert_eq!(
            e.to_string(),
            "the connection broke after 10 of ? bytes: eof (after 4 attempts)"
        );
        let e = DownloadError::NoVideo {
            status: TaskStatus::Succeeded,
            hint: Some("h"),
        };
        assert_eq!(e.to_string(), "the task has no video (succeeded): h");
    }
}
