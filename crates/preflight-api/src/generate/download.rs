//! Saving the video of a succeeded task before its URL expires.

use super::{cancelled, sleep_unless_cancelled, GenerateError, TaskId, TaskResult};
use crate::upload::client::url_for_log;
use crate::upload::Client;
use preflight::Kind;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// How [`download`] saves a video.
#[derive(Debug, Clone)]
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
}

/// A saved video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
}

/// The outcome of one download attempt.
enum Got {
    Done(u64),
    Retry(String, Option<Duration>),
    Fatal(GenerateError),
}

/// Saves the video of a succeeded task: streamed to a hidden temporary file
/// in `opts.dir`, its size checked against `Content-Length` and its first
/// bytes sniffed as a video, then renamed into place. Connection errors,
/// 408, 429 and 5xx are retried as the client retries; 403, 404 and 410 mean
/// the URL has expired. On any failure the temporary file is removed.
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
            message: match task.moderation_hint() {
                Some(h) => format!("the task has no video ({}): {h}", task.status),
                None => format!("the task has no video ({})", task.status),
            },
        });
    };
    let name = opts
        .file_name
        .clone()
        .unwrap_or_else(|| format!("{id}.mp4"));
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(GenerateError::Options(vec![format!(
            "file name {name:?} is not a plain file name"
        )]));
    }
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenerateError::Io { path, source }
    };
    fs::create_dir_all(&opts.dir).map_err(io_err(&opts.dir))?;
    let dest = opts.dir.join(&name);
    let tmp = opts
        .dir
        .join(format!(".{name}.{:016x}.part", fastrand::u64(..)));
    let retry = client.config().retry;
    let max = retry.max_attempts.max(1);
    let fail = |message: String| GenerateError::Download {
        id: id.clone(),
        url: url_for_log(url).to_string(),
        message,
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let got = fetch_once(client, url, &tmp, opts, id);
        if !matches!(got, Got::Done(_)) {
            let _ = fs::remove_file(&tmp);
        }
        match got {
            Got::Done(bytes) => {
                if let Err(e) = fs::rename(&tmp, &dest) {
                    let _ = fs::remove_file(&tmp);
                    return Err(GenerateError::Io {
                        path: dest,
                        source: e,
                    });
                }
                client.log(|| format!("saved {} ({bytes} bytes)", dest.display()));
                return Ok(Saved { path: dest, bytes });
            }
            Got::Fatal(e) => return Err(e),
            Got::Retry(message, after) => {
                if attempt >= max {
                    return Err(fail(format!(
                        "{message} (after {attempt} attempt{})",
                        if attempt == 1 { "" } else { "s" }
                    )));
                }
                if after.is_some_and(|ra| ra > retry.max_retry_after) {
                    return Err(fail(format!("{message}; the service asks to wait longer")));
                }
                let delay = retry.delay(attempt, after);
                client.log(|| {
                    format!(
                        "download of task {id}: {message}; retrying in {} ms",
                        delay.as_millis()
                    )
                });
                if !sleep_unless_cancelled(delay, &opts.cancel) {
                    return Err(GenerateError::Interrupted { id: id.clone() });
                }
            }
        }
    }
}

/// Bytes of the start kept for sniffing.
const SNIFF_BYTES: usize = 4096;

fn fetch_once(client: &Client, url: &str, tmp: &Path, opts: &DownloadOptions, id: &TaskId) -> Got {
    let fatal = |message: String| {
        Got::Fatal(GenerateError::Download {
            id: id.clone(),
            url: url_for_log(url).to_string(),
            message,
        })
    };
    let mut resp = match client.get_url(url, opts.body_timeout) {
        Ok(r) => r,
        Err(e) => {
            let message = client.redact(&e.to_string());
            return match e {
                ureq::Error::Io(_)
                | ureq::Error::Timeout(_)
                | ureq::Error::HostNotFound
                | ureq::Error::ConnectionFailed
                | ureq::Error::Protocol(_) => Got::Retry(message, None),
                _ => fatal(message),
            };
        }
    };
    let status = resp.status().as_u16();
    match status {
        200..=299 => {}
        408 | 429 | 500..=599 => {
            let after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Got::Retry(format!("HTTP {status}"), after);
        }
        403 | 404 | 410 => {
            return fatal(format!(
                "HTTP {status}: the URL has expired or is not accessible (result URLs last 12 h)"
            ))
        }
        _ => return fatal(format!("HTTP {status}")),
    }
    let expected = resp.body().content_length();
    if let Some(n) = expected {
        if n > opts.max_bytes {
            return fatal(format!(
                "{n} bytes is more than the {} accepted",
                opts.max_bytes
            ));
        }
    }
    let mut file = match File::create(tmp) {
        Ok(f) => f,
        Err(source) => {
            return Got::Fatal(GenerateError::Io {
                path: tmp.to_path_buf(),
                source,
            })
        }
    };
    let mut reader = resp.body_mut().as_reader();
    let mut buf = vec![0u8; 64 * 1024];
    let mut head: Vec<u8> = Vec::new();
    let mut written = 0u64;
    loop {
        if cancelled(&opts.cancel) {
            return Got::Fatal(GenerateError::Interrupted { id: id.clone() });
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Got::Retry(
                    format!(
                        "the connection broke after {written} of {} bytes: {}",
                        expected.map_or("?".to_string(), |n| n.to_string()),
                        client.redact(&e.to_string())
                    ),
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
            return fatal(format!("more than the {} bytes accepted", opts.max_bytes));
        }
        if let Err(source) = file.write_all(chunk) {
            return Got::Fatal(GenerateError::Io {
                path: tmp.to_path_buf(),
                source,
            });
        }
    }
    if let Err(source) = file.sync_all() {
        return Got::Fatal(GenerateError::Io {
            path: tmp.to_path_buf(),
            source,
        });
    }
    drop(file);
    if let Some(n) = expected {
        if written != n {
            return Got::Retry(
                format!("got {written} bytes, Content-Length says {n}"),
                None,
            );
        }
    }
    if written == 0 {
        return fatal("the body is empty".to_string());
    }
    let format = preflight::sniff(&head);
    if format.kind() != Kind::Video {
        return fatal(format!(
            "the URL served {written} bytes of {format}, not a video"
        ));
    }
    Got::Done(written)
}
