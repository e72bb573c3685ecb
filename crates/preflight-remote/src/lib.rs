//! Check media where it lives — public HTTP(S) URLs and object storage
//! (S3 and S3-compatible stores, Google Cloud Storage, Azure Blob Storage) —
//! reading only the byte ranges its headers occupy.
//!
//! The core's sans-I/O [`Prober`](preflight::Prober) says which bytes it
//! needs; this crate fetches them. The first request reads a head of
//! [`RemoteOptions::head_len`] (64 KiB); then each range the prober asks for
//! is fetched, rounded up to [`RemoteOptions::min_range`], never re-reading
//! bytes already held, and a jump near the end of the object (an MP4 whose
//! `moov` follows its media) reads the rest in one request. A faststart MP4,
//! a JPEG, a PNG or a WAV takes one request; a moov-at-end MP4 two.
//!
//! HTTP servers that ignore `Range` are read as a stream from the start that
//! stops as soon as the headers are read; the report then carries the
//! warning `file.streamed`. Budgets per object:
//! [`RemoteOptions::max_requests`], [`ProbeLimits::max_bytes_read`](preflight::ProbeLimits)
//! (bytes held) and [`RemoteOptions::max_stream_bytes`] (bytes received in a
//! streamed read). 5xx, 429 and timeouts are retried with backoff.
//!
//! ```no_run
//! # async fn demo() {
//! use preflight_remote::{check_url, RemoteOptions};
//! let url = url::Url::parse("https://example.com/clip.mp4").unwrap();
//! let profile = preflight::Profile::builtin("seedance2").unwrap();
//! let checked = check_url(&url, &profile, &RemoteOptions::default()).await;
//! println!("{:?}: {} requests, {} bytes", checked.report.verdict, checked.stats.requests, checked.stats.bytes);
//! # }
//! ```
//!
//! Many inputs at once, prefixes listed, at most
//! [`RemoteOptions::concurrency`] objects in flight: [`check_all`].
#![warn(missing_docs)]

mod dns;
mod fetch;
mod probe;
mod store;

pub use fetch::FetchError;
pub use store::MAX_PRESIGN;
pub use store::{is_remote, object_url, redirect_refused, Stores, MAX_REDIRECTS};

use futures::stream::{self, BoxStream, StreamExt};
use preflight::{FileReport, MediaInfo, ProbeLimits, Profile, Rule, Violation};
use probe::Failure;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// How an MP3 without a complete frame walk in its head is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mp3Scan {
    /// Read every frame (exact duration; reads the whole file).
    #[default]
    Full,
    /// Estimate the duration from the first frame's bitrate and the size
    /// (one request; the report carries the warning `file.estimated`).
    Estimate,
}

/// How remote objects are read.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RemoteOptions {
    /// Caps of the core's probe; `max_bytes_read` bounds the bytes held per object.
    pub limits: ProbeLimits,
    /// The first request's length (64 KiB).
    pub head_len: u64,
    /// The least any later request asks for (64 KiB).
    pub min_range: u64,
    /// A jump to an offset with at most this much of the object left reads
    /// to the end at once (8 MiB).
    pub max_tail: u64,
    /// Most requests per object, retries included (16).
    pub max_requests: u32,
    /// Most bytes received per object when a server ignores `Range` (64 MiB).
    pub max_stream_bytes: u64,
    /// Retries of one request on 5xx, 429, timeouts and broken transfers (4).
    pub retries: u32,
    /// Timeout to connect, and to wait for each read (30 s).
    pub timeout: Duration,
    /// Objects read at once (64).
    pub concurrency: usize,
    /// Endpoint of the object store instead of the cloud's: an
    /// S3-compatible store (MinIO, moto, R2, …) for `s3://` URLs, the base
    /// URL of a GCS-compatible one (fake-gcs-server) for `gs://`, the
    /// account URL (`http://127.0.0.1:10000/devstoreaccount1` for Azurite)
    /// for `az://`.
    pub endpoint_url: Option<String>,
    /// Allow plain `http://` endpoints for object stores (an `http://`
    /// endpoint, given here or read from the environment, turns it on).
    pub allow_http: bool,
    /// How MP3s are measured.
    pub mp3_scan: Mp3Scan,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            limits: ProbeLimits::default(),
            head_len: 64 << 10,
            min_range: preflight::MIN_RANGE,
            max_tail: 8 << 20,
            max_requests: 16,
            max_stream_bytes: 64 << 20,
            retries: 4,
            timeout: Duration::from_secs(30),
            concurrency: 64,
            endpoint_url: None,
            allow_http: false,
            mp3_scan: Mp3Scan::Full,
        }
    }
}

macro_rules! setter {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        impl RemoteOptions {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}

setter! {
    /// Sets [`RemoteOptions::limits`].
    limits: ProbeLimits,
    /// Sets [`RemoteOptions::head_len`].
    head_len: u64,
    /// Sets [`RemoteOptions::min_range`].
    min_range: u64,
    /// Sets [`RemoteOptions::max_tail`].
    max_tail: u64,
    /// Sets [`RemoteOptions::max_requests`].
    max_requests: u32,
    /// Sets [`RemoteOptions::max_stream_bytes`].
    max_stream_bytes: u64,
    /// Sets [`RemoteOptions::retries`].
    retries: u32,
    /// Sets [`RemoteOptions::timeout`].
    timeout: Duration,
    /// Sets [`RemoteOptions::concurrency`] (at least 1).
    concurrency: usize,
    /// Sets [`RemoteOptions::endpoint_url`].
    endpoint_url: Option<String>,
    /// Sets [`RemoteOptions::allow_http`].
    allow_http: bool,
    /// Sets [`RemoteOptions::mp3_scan`].
    mp3_scan: Mp3Scan,
}

/// What reading one object cost, and what identifies its version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchStats {
    /// Requests sent (retries included).
    pub requests: u32,
    /// Of which retries.
    pub retries: u32,
    /// Body bytes received.
    pub bytes: u64,
    /// Bytes the prober held at the end: what the core read of the object
    /// (the rest of [`FetchStats::bytes`] is rounding and merging).
    pub held: u64,
    /// The server ignored `Range`: the object was streamed from its start.
    pub streamed: bool,
    /// The object's ETag, when the server gave one.
    pub etag: Option<String>,
    /// Its Last-Modified date, when given.
    pub last_modified: Option<String>,
    /// Its size, once known.
    pub size: Option<u64>,
}

/// A probe of one remote object.
#[derive(Debug)]
#[non_exhaustive]
pub struct Probed {
    /// The measurement, or the core's error (as for a local file) or a
    /// [`RemoteError`] when the bytes could not be had.
    pub result: Result<MediaInfo, RemoteError>,
    /// What it cost.
    pub stats: FetchStats,
}

/// Why a remote object could not be measured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The headers are corrupt, incomplete, or a probe cap was reached.
    #[error(transparent)]
    Probe(#[from] preflight::Error),
    /// The bytes could not be had.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// More requests were needed than [`RemoteOptions::max_requests`].
    #[error("needed more than {max} requests")]
    Requests {
        /// The budget.
        max: u32,
    },
    /// The URL is not one this crate reads, or its store cannot be set up.
    #[error("{0}")]
    Url(String),
}

/// The report of one remote object and what reading it cost.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Checked {
    /// The report; its `path` is the object's URL.
    pub report: FileReport,
    /// Requests and bytes.
    pub stats: FetchStats,
}

/// Installs `ring` as rustls's process-wide crypto provider (reqwest and
/// object_store are built without one). Harmless when one is installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Probes the object at `url` (`http(s)://`, `s3://`, `gs://`, `az://`,
/// and the other forms object_store parses).
pub async fn probe_url(url: &Url, opts: &RemoteOptions) -> Probed {
    match Stores::new(opts) {
        Ok(stores) => probe_url_with(&stores, url, opts).await,
        Err(e) => Probed {
            result: Err(e),
            stats: FetchStats::default(),
        },
    }
}

/// [`probe_url`] with stores set up before (kept by a caller that probes
/// one object at a time: setting up the HTTP clients costs more than a
/// request to a nearby store). The stores' connections live on the tokio
/// runtime that first used them, which must outlive them.
pub async fn probe_url_with(stores: &Stores, url: &Url, opts: &RemoteOptions) -> Probed {
    let mut stats = FetchStats::default();
    let result = match stores.source(url, None).await {
        Ok(src) => {
            let out = probe::probe(&src, opts, &mut stats).await;
            stats.size = out.total;
            out.result.map_err(RemoteError::from)
        }
        Err(e) => Err(e),
    };
    Probed { result, stats }
}

impl From<Failure> for RemoteError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Probe(e) => RemoteError::Probe(e),
            Failure::Fetch(e) => RemoteError::Fetch(e),
            Failure::Requests { max } => RemoteError::Requests { max },
        }
    }
}

/// Checks the object at `url` against `profile`.
pub async fn check_url(url: &Url, profile: &Profile, opts: &RemoteOptions) -> Checked {
    match Stores::new(opts) {
        Ok(stores) => check_object(&stores, url, None, std::slice::from_ref(profile), opts).await,
        Err(e) => unreadable(url, None, &e.to_string()),
    }
}

/// The extension of the last segment of a URL's path (no query, decoded).
fn url_ext(url: &Url) -> Option<String> {
    let last = url.path_segments()?.next_back()?;
    let last = percent_encoding::percent_decode_str(last)
        .decode_utf8()
        .ok()?;
    Some(Path::new(last.as_ref()).extension()?.to_str()?.to_string())
}

fn unreadable(url: &Url, bytes: Option<u64>, why: &str) -> Checked {
    Checked {
        report: FileReport::error(
            &PathBuf::from(url.as_str()),
            bytes,
            Violation::new(
                Rule::FileUnreadable,
                None,
                None,
                format!("cannot read: {why}"),
            ),
        ),
        stats: FetchStats::default(),
    }
}

/// Probes and checks one object (`size` from a listing, when known).
async fn check_object(
    stores: &Stores,
    url: &Url,
    size: Option<u64>,
    profiles: &[Profile],
    opts: &RemoteOptions,
) -> Checked {
    let mut c = check_object_once(stores, url, size, profiles, opts).await;
    if c.report.profile.is_none() {
        // An object that could not be read is an error under each profile.
        c.report = c
            .report
            .for_profiles(profiles.iter().map(|p| p.name.as_str()));
    }
    c
}

async fn check_object_once(
    stores: &Stores,
    url: &Url,
    size: Option<u64>,
    profiles: &[Profile],
    opts: &RemoteOptions,
) -> Checked {
    let src = match stores.source(url, size).await {
        Ok(s) => s,
        Err(e) => return unreadable(url, size, &e.to_string()),
    };
    let mut stats = FetchStats::default();
    let out = probe::probe(&src, opts, &mut stats).await;
    stats.size = out.total;
    let path = PathBuf::from(url.as_str());
    let ext = url_ext(url);
    let result = match out.result {
        Ok(info) => Ok(info),
        Err(Failure::Probe(e)) => Err(e),
        Err(Failure::Fetch(e)) => {
            let mut c = unreadable(url, out.total, &e.to_string());
            c.stats = stats;
            return c;
        }
        Err(Failure::Requests { max }) => {
            let report = FileReport::error(
                &path,
                out.total,
                Violation::new(
                    Rule::FileLimit,
                    None,
                    None,
                    format!("the headers need more than {max} requests (--max-requests)"),
                ),
            );
            return Checked { report, stats };
        }
    };
    let head = out.head.clone();
    let mut report = preflight::check_probed_against(
        &path,
        ext.as_deref(),
        Some(out.total.unwrap_or(0)),
        result,
        || Some(preflight::sniff(&head)).filter(|f| *f != preflight::Format::Unknown),
        profiles,
    );
    if out.estimated {
        report.add_warning(Violation::new(
            Rule::FileEstimated,
            None,
            None,
            "the MP3 duration is estimated from the bitrate, not counted frame by frame (--mp3-scan estimate): not exact for variable bitrate",
        ));
    }
    if stats.streamed {
        report.add_warning(Violation::new(
            Rule::FileStreamed,
            None,
            None,
            format!(
                "the server ignores Range requests: read as a stream from the start ({} bytes received)",
                stats.bytes
            ),
        ));
    }
    Checked { report, stats }
}

/// One object to check, found from an input.
enum Target {
    One { url: Url, size: Option<u64> },
    Failed { url: Url, why: String },
}

/// Expands the inputs into objects: an HTTP URL or an object key is one
/// object; an object URL ending in `/` (or a bucket) is listed, as is a key
/// that names no object but prefixes some.
fn targets(stores: Arc<Stores>, inputs: Vec<Url>) -> BoxStream<'static, Target> {
    stream::iter(inputs)
        .flat_map(move |url| {
            let stores = stores.clone();
            match stores.listing(&url) {
                Ok(Some(list)) => list
                    .map(|r| match r {
                        Ok((url, size)) => Target::One {
                            url,
                            size: Some(size),
                        },
                        Err((url, why)) => Target::Failed { url, why },
                    })
                    .boxed(),
                Ok(None) => stream::iter([Target::One { url, size: None }]).boxed(),
                Err(e) => stream::iter([Target::Failed {
                    url,
                    why: e.to_string(),
                }])
                .boxed(),
            }
        })
        .boxed()
}

/// Checks every input — HTTP(S) URLs, objects, buckets and prefixes (listed)
/// — with at most [`RemoteOptions::concurrency`] objects in flight, yielding
/// each report as it finishes. Must be polled inside a tokio runtime.
pub fn check_all(
    inputs: Vec<Url>,
    profile: Profile,
    opts: RemoteOptions,
) -> BoxStream<'static, Checked> {
    check_all_against(inputs, vec![profile], opts)
}

/// [`check_all`] against several profiles: each object is read and measured
/// once, then judged by each (see [`preflight::FileReport::judgements`]).
pub fn check_all_against(
    inputs: Vec<Url>,
    profiles: Vec<Profile>,
    opts: RemoteOptions,
) -> BoxStream<'static, Checked> {
    let stores = match Stores::new(&opts) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            let why = e.to_string();
            return stream::iter(inputs.into_iter().map(move |u| unreadable(&u, None, &why)))
                .boxed();
        }
    };
    let profiles: Arc<[Profile]> = profiles.into();
    let opts = Arc::new(opts);
    let jobs = opts.concurrency.max(1);
    targets(stores.clone(), inputs)
        .map(move |t| {
            let (stores, profiles, opts) = (stores.clone(), profiles.clone(), opts.clone());
            async move {
                match t {
                    Target::One { url, size } => {
                        check_object(&stores, &url, size, &profiles, &opts).await
                    }
                    Target::Failed { url, why } => {
                        let mut c = unreadable(&url, None, &why);
                        c.report = c
                            .report
                            .for_profiles(profiles.iter().map(|p| p.name.as_str()));
                        c
                    }
                }
            }
        })
        .buffer_unordered(jobs)
        .boxed()
}

/// Checks each URL as one object (never listed, no `HEAD` first) against
/// `profiles`, with at most [`RemoteOptions::concurrency`] objects in
/// flight, yielding the reports in the order of `urls` (for callers that
/// need one report per input, such as a table's rows). Must be polled
/// inside a tokio runtime.
pub fn check_each_against(
    urls: Vec<Url>,
    profiles: Vec<Profile>,
    opts: RemoteOptions,
) -> BoxStream<'static, Checked> {
    match Stores::new(&opts) {
        Ok(s) => check_each_with(Arc::new(s), urls, profiles, opts),
        Err(e) => {
            let why = e.to_string();
            let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
            stream::iter(urls.into_iter().map(move |u| {
                let mut c = unreadable(&u, None, &why);
                c.report = c.report.for_profiles(names.iter().map(String::as_str));
                c
            }))
            .boxed()
        }
    }
}

/// [`check_each_against`] with stores set up before (see [`probe_url_with`]).
pub fn check_each_with(
    stores: Arc<Stores>,
    urls: Vec<Url>,
    profiles: Vec<Profile>,
    opts: RemoteOptions,
) -> BoxStream<'static, Checked> {
    let profiles: Arc<[Profile]> = profiles.into();
    let opts = Arc::new(opts);
    let jobs = opts.concurrency.max(1);
    stream::iter(urls)
        .map(move |url| {
            let (stores, profiles, opts) = (stores.clone(), profiles.clone(), opts.clone());
            async move { check_object(&stores, &url, None, &profiles, &opts).await }
        })
        .buffered(jobs)
        .boxed()
}

/// One object found by [`list_objects`] (its URL and, when listed, its
/// size), or a listing that failed (the URL listed and why).
pub type Listed = Result<(Url, Option<u64>), (Url, String)>;

/// The objects the inputs name, as [`check_all`] expands them: an HTTP(S)
/// URL is itself (size unknown); an object key is itself (its size from a
/// `HEAD`); a bucket, a URL ending in `/`, or a key that names no object but
/// prefixes some is listed (with each object's size). A listing that fails
/// yields `Err((url, why))`.
/// Must be polled inside a tokio runtime.
pub fn list_objects(inputs: Vec<Url>, opts: &RemoteOptions) -> BoxStream<'static, Listed> {
    let stores = match Stores::new(opts) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            let why = e.to_string();
            return stream::iter(inputs.into_iter().map(move |u| Err((u, why.clone())))).boxed();
        }
    };
    targets(stores, inputs)
        .map(|t| match t {
            Target::One { url, size } => Ok((url, size)),
            Target::Failed { url, why } => Err((url, why)),
        })
        .boxed()
}

/// The reports of every object under `prefix` (an `s3://bucket/prefix/`
/// URL or the like): [`check_all`] of one input.
pub fn check_prefix(
    prefix: Url,
    profile: Profile,
    opts: RemoteOptions,
) -> BoxStream<'static, Checked> {
    check_all(vec![prefix], profile, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_of_urls() {
        let u = |s: &str| url_ext(&Url::parse(s).unwrap());
        assert_eq!(
            u("https://h/a/clip.mp4?X-Amz-Signature=abc"),
            Some("mp4".into())
        );
        assert_eq!(u("s3://b/dir/photo.JPG"), Some("JPG".into()));
        assert_eq!(u("https://h/a/noext"), None);
        assert_eq!(u("https://h/"), None);
        assert_eq!(u("https://h/x.m%704"), Some("mp4".into()));
    }
}
