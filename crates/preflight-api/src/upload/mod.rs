//! Uploading checked media to the Seedance asset library (SPEC §5).
//!
//! The pieces:
//! - [`CheckedFile`]: a file that passed [`check_path`](preflight::check_path). The
//!   client takes only this type, so an unchecked or failing file cannot be
//!   uploaded, and the asset type and `model` follow from the checked kind
//!   ([`AssetType`]): a video cannot be sent as an image.
//! - [`Client`]: the blocking API client with retries, backoff and a token
//!   that never prints ([`Token`]).
//! - [`Manifest`]: the record of finished uploads that makes a re-run resume
//!   without duplicates.
//! - [`upload_files`]: the batch uploader the CLI uses.
//!
//! # Deterministic asset names
//!
//! The service has no idempotency key, so every asset gets a name derived from
//! its content, [`asset_name`]: `<file stem>-<first 12 hex digits of the
//! BLAKE3 hash of the file>` (the stem cleaned to letters, digits, `.`, `_`,
//! `-`, at most 64 characters). A retried create looks this name up in the
//! group before sending again, and a batch reuses an asset of the group whose
//! name ends with the same hash, so a lost reply never makes a duplicate.

mod batch;
mod client;
pub mod manifest;

pub use crate::transport::{
    sends_token_in_clear, ConfigError, Logger, NetworkError, RetryPolicy, Timeouts, Token,
};
pub use batch::{upload_files, Mode, Outcome, Source, UploadOptions, Uploaded, MAX_JOBS};
pub use client::{
    strip_group_prefix, valid_id, Asset, AssetFilter, AssetStatus, Client, ClientConfig, Group,
    Payload,
};
pub use manifest::{Entry, Intent, Manifest, ManifestError, ManifestLock};
pub use preflight::bundle::{asset_uri, AssetType};

use preflight::bundle::MODEL_IMAGE;

use preflight::FileReport;
use preflight::Format;
use preflight::ProbeLimits;
use preflight::Profile;
use preflight::Verdict;
use std::fs::File;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

/// Everything that can go wrong while talking to the service or preparing an
/// upload. No variant ever holds the API token: messages that came from the
/// network are scrubbed of it before they are stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The client is misconfigured (no base URL, a bad token, …).
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The connection failed, timed out or broke, on every attempt.
    #[error("{action}: {error} (after {attempts} attempt{s})", s = if *.attempts == 1 { "" } else { "s" })]
    Transport {
        /// The API action (`CreateAsset`, …).
        action: &'static str,
        /// What went wrong on the last attempt.
        error: NetworkError,
        /// Attempts made.
        attempts: u32,
    },
    /// The service answered with an error body (`ResponseMetadata.Error`).
    #[error("{action}: HTTP {status} {code}: {message}{rid}", rid = request_id_suffix(.request_id))]
    Api {
        /// The API action.
        action: &'static str,
        /// HTTP status.
        status: u16,
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
        /// The request id, when the service gave one.
        request_id: Option<String>,
    },
    /// A response that is not JSON, or not the JSON the contract promises.
    #[error("{action}: unexpected response (HTTP {status}): {body_start}")]
    Unexpected {
        /// The API action.
        action: &'static str,
        /// HTTP status.
        status: u16,
        /// The first 200 characters of the body.
        body_start: String,
    },
    /// The service asked to wait longer than the client is willing to.
    #[error("{action}: rate limited: the service asks to retry after {retry_after_s} s, more than the {max_s} s this client waits")]
    RateLimited {
        /// The API action.
        action: &'static str,
        /// The `Retry-After` seconds.
        retry_after_s: u64,
        /// The client's cap in seconds.
        max_s: u64,
    },
    /// A local file could not be read.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A file that did not pass the check was offered for upload.
    #[error("{}: not uploadable: {reason}", .path.display())]
    NotChecked {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: NotUploadable,
    },
    /// The file changed on disk after it was checked.
    #[error("{}: changed since it was checked ({checked} bytes then, {now} now)", .path.display())]
    Changed {
        /// The file.
        path: PathBuf,
        /// Size when checked.
        checked: u64,
        /// Size now.
        now: u64,
    },
    /// A data-URI body would exceed the service's request size.
    #[error("{}: {bytes} bytes is too large for a data-URI upload (the body would exceed {max} bytes): use multipart", .path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// The body limit.
        max: u64,
    },
    /// The manifest could not be read or written.
    #[error("manifest {}: {source}", .path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: ManifestError,
    },
    /// The batch was cancelled before this file was sent.
    #[error("cancelled before upload")]
    Cancelled,
    /// The batch stopped: the service failed this many times in a row (the
    /// circuit breaker, [`UploadOptions::max_failures`]); this call was not
    /// sent, or not sent again.
    #[error("not sent: the service failed {failures} times in a row, so the batch stopped")]
    ServiceDown {
        /// Consecutive failures seen.
        failures: u32,
    },
    /// The service sent an id that is not 1 to 128 of `A-Z a-z 0-9 . _ -`:
    /// the reply is rejected and nothing of it is stored or printed raw.
    #[error("{action}: the service sent an invalid id {id:?}")]
    BadId {
        /// The API action.
        action: &'static str,
        /// The id (scrubbed, at most 40 characters).
        id: String,
    },
    /// The file's bytes while uploading were not the bytes checked (same
    /// size, other content): the upload was aborted before its end.
    #[error("{}: changed while uploading (BLAKE3 {checked} when checked, {sent} when sent): not uploaded", .path.display())]
    ChangedWhileUploading {
        /// The file.
        path: PathBuf,
        /// First 12 hex digits of the checked content's hash.
        checked: String,
        /// First 12 hex digits of the hash of what was read to send.
        sent: String,
    },
    /// A file with the same content as another of the batch, which failed.
    #[error("same content as {}, which was not uploaded", .other.display())]
    SameContent {
        /// The file the content was uploaded with.
        other: PathBuf,
    },
    /// A remote object whose URL the service cannot be given: not
    /// `https://` (plain `http://` only to this machine), or not a URL.
    #[error("{}: {reason}", .path.display())]
    BadUrl {
        /// The object (its URL as checked; never a presigned URL).
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A remote object has no local bytes to read (it travels by URL).
    #[error("{}: a remote object is sent by URL only", .path.display())]
    RemoteOnly {
        /// The object.
        path: PathBuf,
    },
}

/// Why a report does not make a [`CheckedFile`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NotUploadable {
    /// The file did not pass: its verdict and the rules it broke.
    #[error("verdict {verdict} ({})", join_rules(.rules))]
    Verdict {
        /// `fail` or `error`.
        verdict: &'static str,
        /// The rules broken.
        rules: Vec<preflight::Rule>,
    },
    /// The report has no media information.
    #[error("no media information")]
    NoInfo,
    /// The service does not take this format.
    #[error("format {0} is not taken by the service")]
    Format(Format),
    /// The kind has no asset type.
    #[error("unknown kind")]
    UnknownKind,
}

fn request_id_suffix(id: &Option<String>) -> String {
    match id {
        Some(id) if !id.is_empty() => format!(" (request {id})"),
        _ => String::new(),
    }
}

impl UploadError {
    /// The HTTP status of a service answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            UploadError::Api { status, .. } | UploadError::Unexpected { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

fn join_rules(rules: &[preflight::Rule]) -> String {
    rules.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
}

/// A file that passed the check: the only thing the client uploads.
///
/// It can be made only from a passing [`FileReport`] of a format the service
/// takes ([`CheckedFile::from_report`], [`CheckedFile::check`]). It remembers
/// the size that was checked; an upload refuses a file whose size changed.
///
/// Its content hash is taken once ([`CheckedFile::pin`] right after the
/// check, or the first [`CheckedFile::content_hash`]) and every upload
/// hashes the bytes as they stream: bytes that differ from the pinned ones
/// abort the request before its end ([`UploadError::ChangedWhileUploading`]),
/// so no asset is made of content that was not checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedFile {
    path: PathBuf,
    format: Format,
    asset_type: AssetType,
    bytes: u64,
    duration_s: Option<f64>,
    hash: std::sync::OnceLock<String>,
    remote: Option<Box<RemoteObject>>,
}

/// What identifies the version of a remote object: the validators its
/// server gave when it was checked (see [`remote_key`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Validators {
    /// The `ETag`.
    pub etag: Option<String>,
    /// The `Last-Modified` date.
    pub last_modified: Option<String>,
    /// The size in bytes.
    pub size: Option<u64>,
}

impl Validators {
    /// Validators from what the check's reads saw.
    pub fn new(etag: Option<String>, last_modified: Option<String>, size: Option<u64>) -> Self {
        Validators {
            etag,
            last_modified,
            size,
        }
    }

    /// Whether an ETag or a Last-Modified date identifies the version (with
    /// neither, only the size does: a change of the same size goes unseen).
    pub fn identify(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }
}

/// A checked remote object: the service fetches it itself from
/// [`RemoteObject::send_url`].
#[derive(Debug, Clone, PartialEq)]
struct RemoteObject {
    send_url: String,
    validators: Validators,
}

/// The manifest key of a remote object, in place of a content hash (there
/// is none without downloading it): BLAKE3, 64 hex digits, of its URL (as
/// checked: `https://…` or `s3://bucket/key`, never a presigned URL) and
/// its validators. The same URL with the same ETag, Last-Modified and size
/// gives the same key, so a re-run finds its entry; a changed object gets a
/// new key (and a new asset).
/// ```
/// use preflight_api::upload::{remote_key, Validators};
/// let v = Validators::new(Some("\"a1\"".into()), None, Some(10));
/// assert_eq!(remote_key("https://h/a.mp4", &v), remote_key("https://h/a.mp4", &v.clone()));
/// assert_ne!(remote_key("https://h/a.mp4", &v), remote_key("https://h/b.mp4", &v));
/// ```
pub fn remote_key(url: &str, v: &Validators) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"preflight remote object v1\0");
    for part in [
        url,
        v.etag.as_deref().unwrap_or(""),
        v.last_modified.as_deref().unwrap_or(""),
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.update(&v.size.map_or(u64::MAX, |n| n).to_le_bytes());
    h.finalize().to_hex().to_string()
}

/// Query parameters that sign a URL (S3 SigV4 and SigV2, Google Cloud
/// Storage, Azure SAS, CloudFront), compared case-insensitively.
const SIGNATURE_PARAMS: &[&str] = &[
    "signature",
    "expires",
    "awsaccesskeyid",
    "key-pair-id",
    "policy",
    "sig",
    "se",
    "st",
    "sp",
    "sv",
    "sr",
    "spr",
    "srt",
    "ss",
    "skoid",
    "sktid",
    "skt",
    "ske",
    "sks",
    "skv",
];

/// The URL that names a remote object in the manifest and in what is
/// printed: `url` without its fragment and without the query parameters
/// that sign it (`X-Amz-*`, `X-Goog-*`, an Azure SAS, CloudFront's
/// `Signature`…), so that a presigned URL given as input is neither stored
/// (it is a credential) nor a new object each time it is signed again.
/// ```
/// use preflight_api::upload::url_identity;
/// assert_eq!(
///     url_identity("https://b.s3.amazonaws.com/a.mp4?X-Amz-Signature=ab&X-Amz-Expires=60&v=2#t"),
///     "https://b.s3.amazonaws.com/a.mp4?v=2"
/// );
/// assert_eq!(url_identity("https://h/a.jpg?sig=x&se=2026"), "https://h/a.jpg");
/// ```
pub fn url_identity(url: &str) -> String {
    let url = url.split('#').next().unwrap_or(url);
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("").to_ascii_lowercase();
            !(p.is_empty()
                || name.starts_with("x-amz-")
                || name.starts_with("x-goog-")
                || SIGNATURE_PARAMS.contains(&name.as_str()))
        })
        .collect();
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Whether `url` may be handed to the service to fetch: `https://`, or
/// plain `http://` to this machine only (loopback). Plain HTTP to another
/// host would let anyone on the path read or alter what the service
/// fetches, after it was checked.
pub fn url_for_service(url: &str) -> Result<(), String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Ok(());
    }
    if lower.starts_with("http://") {
        if crate::transport::sends_token_in_clear(url) {
            return Err("plain http:// to another machine: the service would fetch it unencrypted, so what it gets could differ from what was checked (give an https:// URL)".into());
        }
        return Ok(());
    }
    Err("not an http(s):// URL the service can fetch".into())
}

impl CheckedFile {
    /// Checks `path` against `profile`; the failing report when it does not pass.
    pub fn check(
        path: &Path,
        profile: &Profile,
        limits: &ProbeLimits,
    ) -> Result<CheckedFile, Box<FileReport>> {
        let report = preflight::check_path(path, profile, limits);
        match CheckedFile::from_report(&report) {
            Ok(c) if c.pin(limits).is_ok() => Ok(c),
            _ => Err(Box::new(report)),
        }
    }

    /// Opens the file once, reads its headers again from that handle and
    /// requires the format, size and duration that were checked, then
    /// hashes the same handle: the hash every upload verifies. Call it
    /// right after the check (the CLI does) to leave no window in which
    /// other bytes could take the checked ones' place. Returns the hash.
    pub fn pin(&self, limits: &ProbeLimits) -> Result<String, UploadError> {
        use std::io::Seek;
        if self.remote.is_some() {
            return self.content_hash();
        }
        let io = |source| UploadError::Io {
            path: self.path.clone(),
            source,
        };
        let mut f = self.open()?;
        let info = preflight::probe_reader(&mut f, Some(self.bytes), limits).map_err(|e| {
            UploadError::Io {
                path: self.path.clone(),
                source: io::Error::new(io::ErrorKind::InvalidData, e.to_string()),
            }
        })?;
        if info.format != self.format
            || info.bytes != self.bytes
            || info.duration_s != self.duration_s
        {
            return Err(UploadError::Changed {
                path: self.path.clone(),
                checked: self.bytes,
                now: info.bytes,
            });
        }
        f.rewind().map_err(io)?;
        let h = hash_reader(f.take(self.bytes)).map_err(io)?;
        Ok(self.hash.get_or_init(|| h).clone())
    }

    /// Accepts a report that passed, of a format the service takes.
    pub fn from_report(report: &FileReport) -> Result<CheckedFile, UploadError> {
        let not = |reason: NotUploadable| UploadError::NotChecked {
            path: report.path.clone(),
            reason,
        };
        if report.verdict != Verdict::Pass || !report.violations.is_empty() {
            return Err(not(NotUploadable::Verdict {
                verdict: report.verdict.as_str(),
                rules: report.violations.iter().map(|v| v.rule).collect(),
            }));
        }
        let Some(info) = &report.info else {
            return Err(not(NotUploadable::NoInfo));
        };
        if !info.format.is_supported() || info.format.kind() != info.kind {
            return Err(not(NotUploadable::Format(info.format)));
        }
        let Some(asset_type) = AssetType::from_kind(info.kind) else {
            return Err(not(NotUploadable::UnknownKind));
        };
        Ok(CheckedFile {
            path: report.path.clone(),
            format: info.format,
            asset_type,
            bytes: info.bytes,
            duration_s: info.duration_s,
            hash: std::sync::OnceLock::new(),
            remote: None,
        })
    }

    /// A remote object that passed the check (`report.path` is its URL as
    /// checked), to be created from `send_url` (the same URL, or a
    /// presigned one) with the URL form of `CreateAsset`: no byte goes
    /// through this client. Its path (printed, and stored in the manifest)
    /// is the [`url_identity`] of the checked URL, and its key in the
    /// manifest [`remote_key`] of that and `validators`. Refused when
    /// `send_url` is not [`url_for_service`].
    pub fn from_remote_report(
        report: &FileReport,
        send_url: &str,
        validators: Validators,
    ) -> Result<CheckedFile, UploadError> {
        let mut f = CheckedFile::from_report(report)?;
        url_for_service(send_url).map_err(|reason| UploadError::BadUrl {
            path: report.path.clone(),
            reason,
        })?;
        if let Some(n) = validators.size {
            f.bytes = n;
        }
        let identity = url_identity(&report.path.to_string_lossy());
        let key = remote_key(&identity, &validators);
        f.path = PathBuf::from(identity);
        let _ = f.hash.set(key);
        f.remote = Some(Box::new(RemoteObject {
            send_url: send_url.to_string(),
            validators,
        }));
        Ok(f)
    }

    /// For a remote object: the URL the service fetches it from.
    pub fn send_url(&self) -> Option<&str> {
        self.remote.as_ref().map(|r| r.send_url.as_str())
    }

    /// For a remote object: its validators when checked.
    pub fn validators(&self) -> Option<&Validators> {
        self.remote.as_ref().map(|r| &r.validators)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its format, judged by content.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The asset type (and so the `model`) it is uploaded as.
    pub fn asset_type(&self) -> AssetType {
        self.asset_type
    }

    /// Its size when checked.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Its duration in seconds (video and audio).
    pub fn duration_s(&self) -> Option<f64> {
        self.duration_s
    }

    /// The MIME type of the sniffed format (never a default).
    pub fn mime(&self) -> &'static str {
        self.format.mime()
    }

    /// Opens the file and verifies it still has the size that was checked.
    pub(crate) fn open(&self) -> Result<File, UploadError> {
        let io = |source| UploadError::Io {
            path: self.path.clone(),
            source,
        };
        if self.remote.is_some() {
            return Err(UploadError::RemoteOnly {
                path: self.path.clone(),
            });
        }
        let f = File::open(&self.path).map_err(io)?;
        let now = f.metadata().map_err(io)?.len();
        if now != self.bytes {
            return Err(UploadError::Changed {
                path: self.path.clone(),
                checked: self.bytes,
                now,
            });
        }
        Ok(f)
    }

    /// BLAKE3 hash of the content, 64 lowercase hex digits: the pinned one
    /// ([`CheckedFile::pin`]), else read now and pinned. For a remote
    /// object, its [`remote_key`] (nothing is read).
    pub fn content_hash(&self) -> Result<String, UploadError> {
        if self.remote.is_some() {
            // Set when it was made: the key of its URL and validators.
            return self.hash.get().cloned().ok_or(UploadError::RemoteOnly {
                path: self.path.clone(),
            });
        }
        let f = self.open()?;
        if let Some(h) = self.hash.get() {
            return Ok(h.clone());
        }
        let h = hash_reader(f.take(self.bytes)).map_err(|source| UploadError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(self.hash.get_or_init(|| h).clone())
    }

    /// The pinned hash, if any.
    pub(crate) fn pinned_hash(&self) -> Option<&str> {
        self.hash.get().map(String::as_str)
    }

    pub(crate) fn changed_while_uploading(&self, sent: &str) -> UploadError {
        UploadError::ChangedWhileUploading {
            path: self.path.clone(),
            checked: hash_tag(self.pinned_hash().unwrap_or_default()).to_string(),
            sent: hash_tag(sent).to_string(),
        }
    }
}

fn hash_reader<R: io::Read>(mut r: R) -> io::Result<String> {
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Most characters in a group or asset name as the service stores it, its
/// `[u-…]-[t-…]-` isolation prefix included (SPEC §1).
pub const MAX_NAME_CHARS: usize = 64;

/// The length of the isolation prefix assumed when the service has not
/// shown one: `[u-` + a 10-digit user id + `]-[t-` + a 10-digit token id +
/// `]-`. Ids seen so far are shorter, so names made to fit it fit.
pub const ASSUMED_PREFIX_CHARS: usize = 30;

/// The shortest prefix there can be (`[u-1]-[t-1]-`): a name longer than
/// [`MAX_NAME_CHARS`] less this can never be stored.
pub const MIN_PREFIX_CHARS: usize = 12;

/// The length of the isolation prefix the service put before `chosen` to
/// store it as `stored` (a group's name as listed); `None` when `stored`
/// shows no prefix.
/// ```
/// use preflight_api::upload::prefix_chars;
/// assert_eq!(prefix_chars("[u-7001]-[t-42]-refs", "refs"), Some(16));
/// assert_eq!(prefix_chars("refs", "refs"), None);
/// ```
pub fn prefix_chars(stored: &str, chosen: &str) -> Option<usize> {
    client::strip_group_prefix(stored)?;
    stored
        .strip_suffix(chosen)
        .map(|p| p.chars().count())
        .filter(|&n| n > 0)
}

/// Characters left for a name after a prefix of `prefix` characters.
pub fn name_budget(prefix: usize) -> usize {
    MAX_NAME_CHARS.saturating_sub(prefix)
}

/// The deterministic asset name of a file: `<stem>-<first 12 hex of hash>`,
/// at most [`name_budget`]`(`[`ASSUMED_PREFIX_CHARS`]`)` characters (see
/// [`asset_name_within`]).
/// ```
/// use preflight_api::upload::asset_name;
/// let hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// assert_eq!(asset_name("clips/My shot (1).mp4".as_ref(), hash), "My_shot__1_-0123456789ab");
/// ```
pub fn asset_name(path: &Path, hash: &str) -> String {
    asset_name_within(path, hash, name_budget(ASSUMED_PREFIX_CHARS))
}

/// The asset name of a file in at most `max_chars` characters (at least
/// 14 are used): the stem keeps letters, digits, `.`, `_` and `-`; anything
/// else becomes `_`; it is shortened so that `-` and the 12-digit hash tag
/// always fit; an empty stem reads `asset`.
pub fn asset_name_within(path: &Path, hash: &str, max_chars: usize) -> String {
    let tag = hash_tag(hash);
    let room = max_chars.saturating_sub(tag.chars().count() + 1).max(1);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    let mut clean: String = stem
        .chars()
        .take(room)
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        clean.push_str(&"asset"[..room.min(5)]);
    }
    format!("{clean}-{tag}")
}

/// The part of a hash used in names: its first 12 hex digits.
pub(crate) fn hash_tag(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Whether an asset name carries this content hash (ends with `-<first 12 hex>`).
pub(crate) fn name_has_hash(name: &str, hash: &str) -> bool {
    let tag = hash_tag(hash);
    tag.len() == 12
        && name.len() > 13
        && name.ends_with(tag)
        && name[..name.len() - 12].ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use preflight::{MediaInfo, Report, Rule, Violation};

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn report(format: Format, verdict: Verdict) -> FileReport {
        let info = MediaInfo::new(format, 10);
        let mut r = FileReport::checked("x.bin", info, Report::default());
        r.verdict = verdict;
        if verdict != Verdict::Pass {
            r.violations = vec![Violation::new(Rule::ImageWidth, None, None, "w")];
        }
        r
    }

    #[test]
    fn names_are_deterministic_and_clean() {
        assert_eq!(
            asset_name(Path::new("a/b/photo.jpg"), HASH),
            "photo-0123456789ab"
        );
        assert_eq!(
            asset_name(Path::new("日本 語.png"), HASH),
            "日本_語-0123456789ab"
        );
        assert_eq!(asset_name(Path::new(".mp3"), HASH), ".mp3-0123456789ab");
        assert_eq!(asset_name(Path::new("/"), HASH), "asset-0123456789ab");
        assert_eq!(
            asset_name(Path::new("a\"b\r\n.wav"), HASH),
            "a_b__-0123456789ab"
        );
        // Long stems are cut so that the stored name, prefix included,
        // stays within 64 characters; the hash tag always stays whole.
        let long = "x".repeat(300) + ".jpg";
        let name = asset_name(Path::new(&long), HASH);
        assert_eq!(name.chars().count(), MAX_NAME_CHARS - ASSUMED_PREFIX_CHARS);
        assert!(name_has_hash(&name, HASH), "{name}");
        let wide = "語".repeat(100) + ".png";
        let name = asset_name_within(Path::new(&wide), HASH, 40);
        assert_eq!(name.chars().count(), 40);
        assert!(name.starts_with("語語") && name_has_hash(&name, HASH));
        assert_eq!(
            asset_name_within(Path::new("/"), HASH, 15),
            "as-0123456789ab"
        );
        assert_eq!(
            asset_name_within(Path::new("ab.jpg"), HASH, 0),
            "a-0123456789ab"
        );
        assert_eq!(prefix_chars("[u-2100001]-[t-77]x", "x"), Some(18));
        assert_eq!(prefix_chars("[u-2100001]-[t-77]x", "y"), None);
        assert_eq!(name_budget(18), 46);
        assert!(name_has_hash("photo-0123456789ab", HASH));
        assert!(!name_has_hash("photo0123456789ab", HASH));
        assert!(!name_has_hash("-0123456789ab", HASH));
        assert!(!name_has_hash("photo-0123456789ac", HASH));
    }

    #[test]
    fn only_passing_supported_reports_become_checked_files() {
        let ok = CheckedFile::from_report(&report(Format::Jpeg, Verdict::Pass)).unwrap();
        assert_eq!(ok.asset_type(), AssetType::Image);
        assert_eq!(ok.mime(), "image/jpeg");
        let v = CheckedFile::from_report(&report(Format::Mov, Verdict::Pass)).unwrap();
        assert_eq!(
            (v.asset_type().as_str(), v.asset_type().model()),
            ("Video", "volc-asset-video")
        );
        let a = CheckedFile::from_report(&report(Format::Wav, Verdict::Pass)).unwrap();
        assert_eq!(
            (a.asset_type().as_str(), a.asset_type().model()),
            ("Audio", "volc-asset-audio")
        );
        for (f, v) in [
            (Format::Jpeg, Verdict::Fail),
            (Format::Jpeg, Verdict::Error),
            (Format::Avif, Verdict::Pass),
            (Format::Flac, Verdict::Pass),
            (Format::Unknown, Verdict::Pass),
        ] {
            let e = CheckedFile::from_report(&report(f, v)).unwrap_err();
            assert!(
                matches!(e, UploadError::NotChecked { .. }),
                "{f:?} {v:?}: {e}"
            );
        }
        let mut no_info = report(Format::Png, Verdict::Pass);
        no_info.info = None;
        assert!(CheckedFile::from_report(&no_info).is_err());
        // A report whose kind disagrees with its format is refused.
        let mut lying = report(Format::Mp4, Verdict::Pass);
        if let Some(i) = lying.info.as_mut() {
            i.kind = preflight::Kind::Image;
        }
        assert!(CheckedFile::from_report(&lying).is_err());
    }

    #[test]
    fn a_changed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jpg");
        std::fs::write(&p, b"0123456789").unwrap();
        let mut r = report(Format::Jpeg, Verdict::Pass);
        r.path = p.clone();
        let c = CheckedFile::from_report(&r).unwrap();
        assert_eq!(
            c.content_hash().unwrap(),
            blake3::hash(b"0123456789").to_hex().to_string()
        );
        std::fs::write(&p, b"01234567890").unwrap();
        assert!(matches!(
            c.content_hash(),
            Err(UploadError::Changed {
                checked: 10,
                now: 11,
                ..
            })
        ));
    }

    #[test]
    fn error_messages_read_well() {
        let e = UploadError::Api {
            action: "CreateAsset",
            status: 400,
            code: "InvalidParameter".into(),
            message: "bad Name".into(),
            request_id: Some("r-1".into()),
        };
        assert_eq!(
            e.to_string(),
            "CreateAsset: HTTP 400 InvalidParameter: bad Name (request r-1)"
        );
        let e = UploadError::Transport {
            action: "GetAsset",
            error: NetworkError::Timeout {
                phase: "receive response",
            },
            attempts: 1,
        };
        assert_eq!(
            e.to_string(),
            "GetAsset: timed out (receive response) (after 1 attempt)"
        );
        let e = UploadError::NotChecked {
            path: "a.jpg".into(),
            reason: NotUploadable::Verdict {
                verdict: "fail",
                rules: vec![preflight::Rule::ImageWidth, preflight::Rule::ImageHeight],
            },
        };
        assert_eq!(
            e.to_string(),
            "a.jpg: not uploadable: verdict fail (image.width, image.height)"
        );
    }
}
