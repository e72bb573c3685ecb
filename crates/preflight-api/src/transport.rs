//! The one HTTP transport under the asset client ([`crate::upload`]) and the
//! task client ([`crate::generate`]).
//!
//! It owns everything about a request that is not the meaning of its body:
//! - building it: the base URL, `Authorization: Bearer <token>` (only ever to
//!   the base URL's origin), `User-Agent`, timeouts, no redirects for calls;
//! - classifying the outcome of one attempt: a connection error or timeout,
//!   408, 429 (with `Retry-After`) and 5xx are worth another attempt; any
//!   other 4xx is final with the service's `Code` and `Message`, read from
//!   `{"ResponseMetadata":{"Error":{…}}}` or Ark's `{"error":{"code","message"}}`;
//!   a body that is not the JSON of the contract is final too;
//! - the retry policy: exponential backoff with jitter, at most
//!   [`RetryPolicy::max_attempts`] attempts, a `Retry-After` honoured up to
//!   [`RetryPolicy::max_retry_after`]; a call that is not idempotent is
//!   resent only when the first attempt surely did nothing;
//! - scrubbing: the token is replaced by `***` and control characters are
//!   escaped in everything derived from the server before it is stored in an
//!   error or logged;
//! - the `--verbose` log hook ([`Logger`]);
//! - what is trusted: the roots of the system (or of `SSL_CERT_FILE` /
//!   `SSL_CERT_DIR`) plus Mozilla's; a certificate or other TLS error is
//!   final; the token never travels over plain HTTP to another machine
//!   unless the caller allows it ([`ConfigError::InsecureHttp`]);
//! - the circuit breaker a batch shares ([`Breaker`]): after N consecutive
//!   transport failures no call is sent any more;
//! - downloads: a redirect to another origin is followed only to `https`
//!   hosts whose resolved addresses are public, checked by the resolver that
//!   opens the connection (so the address checked is the one used).

use crate::upload::{CheckedFile, UploadError};
use preflight::net::is_public;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::io::{self, Cursor, Read};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The API token. `Debug` and `Display` print `***`; there is no public way
/// to read it back.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Arc<str>);

impl Token {
    /// Wraps a token. Refuses an empty one and one with whitespace or control
    /// characters (which could not go into a header). The value is never
    /// echoed in the error.
    pub fn new(value: impl Into<String>) -> Result<Token, ConfigError> {
        let v: String = value.into();
        let v = v.trim();
        if v.is_empty() {
            return Err(ConfigError::EmptyToken);
        }
        if v.chars()
            .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
        {
            return Err(ConfigError::BadToken);
        }
        Ok(Token(Arc::from(v)))
    }

    /// Reads the token from an environment variable (`PREFLIGHT_API_KEY` for
    /// the CLI); `Ok(None)` when it is not set.
    pub fn from_env(var: &str) -> Result<Option<Token>, ConfigError> {
        match std::env::var(var) {
            Ok(v) => Token::new(v).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::TokenNotUnicode {
                var: var.to_string(),
            }),
        }
    }

    fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the token in `s` with `***`.
    pub fn redact(&self, s: &str) -> String {
        s.replace(self.expose(), "***")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Why a client cannot be made. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No base URL was given (or only white space).
    #[error("no API base URL")]
    MissingBaseUrl,
    /// The base URL is not `http://…` or `https://…`.
    #[error("base URL {url:?} must start with http:// or https://")]
    BadScheme {
        /// The URL as given (trimmed).
        url: String,
    },
    /// The base URL has no host.
    #[error("base URL {url:?} has no host")]
    NoHost {
        /// The URL as given (trimmed).
        url: String,
    },
    /// The token is empty.
    #[error("the API token is empty")]
    EmptyToken,
    /// The token could not go into a header.
    #[error("the API token holds whitespace, control or non-ASCII characters")]
    BadToken,
    /// The environment variable holding the token is not UTF-8.
    #[error("{var} is not valid UTF-8")]
    TokenNotUnicode {
        /// The variable's name.
        var: String,
    },
    /// A plain `http://` base URL on another machine: the token would
    /// travel in clear text. Allowed only with
    /// [`ClientConfig::allow_insecure_http`](crate::upload::ClientConfig::allow_insecure_http).
    #[error("base URL {url:?} is plain http:// to another machine: the token would be sent in clear text (use https://, or allow it with --allow-insecure-http)")]
    InsecureHttp {
        /// The URL as given (trimmed).
        url: String,
    },
}

/// Why a request got no complete answer. Messages that came from the
/// network stack are scrubbed of the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// The host name did not resolve.
    #[error("host not found")]
    HostNotFound,
    /// No connection could be opened.
    #[error("connection failed")]
    ConnectionFailed,
    /// A timeout passed.
    #[error("timed out ({phase})")]
    Timeout {
        /// What was being waited for (`connect`, `receive response`, …).
        phase: &'static str,
    },
    /// The connection failed or broke.
    #[error("connection error: {message}")]
    Io {
        /// The kind of I/O error.
        kind: io::ErrorKind,
        /// What the operating system said.
        message: String,
    },
    /// The reply's head came, its body did not.
    #[error("HTTP {status}, reading the body: {source}")]
    Body {
        /// The HTTP status of the reply.
        status: u16,
        /// Why the body did not come.
        source: Box<NetworkError>,
    },
    /// The TLS handshake failed: a certificate that is not trusted, has
    /// expired or names another host, or another TLS error. Never retried.
    #[error("TLS: {message}")]
    Tls {
        /// What the TLS stack said.
        message: String,
    },
    /// Anything else the HTTP stack reported (a protocol error, …).
    #[error("{message}")]
    Other {
        /// What the HTTP stack said.
        message: String,
    },
}

/// How long to wait.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Connecting (DNS, TCP, TLS).
    pub connect: Duration,
    /// Waiting for the response headers after the request was sent, reading
    /// the response body, and each single write of the request body (a large
    /// upload may take longer in all, as long as it keeps moving).
    pub response: Duration,
}

impl Timeouts {
    /// Timeouts for connecting and for each response.
    pub fn new(connect: Duration, response: Duration) -> Timeouts {
        Timeouts { connect, response }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::new(Duration::from_secs(10), Duration::from_secs(60))
    }
}

/// When and how often to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt; it doubles for each further one.
    pub base_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer one ends the call with
    /// [`UploadError::RateLimited`].
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    setters! {
        max_attempts: u32;
        base_delay: Duration;
        max_delay: Duration;
        max_retry_after: Duration;
    }

    /// The backoff before attempt `attempt + 1`: `base × 2^(attempt-1)`, capped
    /// at `max_delay`, times a random factor in [0.5, 1) ("equal jitter"), and
    /// never shorter than a `Retry-After` the service sent.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base_delay
            .checked_mul(
                1u32.checked_shl(attempt.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jittered = exp.mul_f64(0.5 + 0.5 * fastrand::f64());
        match retry_after {
            Some(ra) => ra.max(jittered),
            None => jittered,
        }
    }
}

/// A sink for `--verbose` lines; every line is scrubbed of the token first.
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

/// The user agent: `preflight/<version>`.
pub(crate) const USER_AGENT: &str = concat!("preflight/", env!("CARGO_PKG_VERSION"));

/// Largest response body read (a list page is far smaller).
const MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;
/// Characters of a body shown in an error.
const BODY_START_CHARS: usize = 200;

/// Where a call goes: `{base}{path}`.
pub(crate) struct Route {
    pub(crate) get: bool,
    /// Appended to the base URL.
    pub(crate) path: String,
    /// Whether a second send is harmless (or made harmless by `recover`).
    /// One that is not is resent only when the first surely did nothing: the
    /// connection never opened, or the service answered 429 or 503.
    pub(crate) resend: bool,
}

impl Route {
    pub(crate) fn post(path: impl Into<String>) -> Route {
        Route {
            get: false,
            path: path.into(),
            resend: true,
        }
    }
}

/// A request body, built once and sent as often as needed.
pub(crate) enum Body<'a> {
    /// No body (a `GET`).
    Empty,
    Json(Vec<u8>),
    /// A form whose file part is streamed from disk between `head` and `tail`.
    Multipart {
        file: &'a CheckedFile,
        boundary: String,
        head: Vec<u8>,
        tail: Vec<u8>,
    },
}

impl Body<'_> {
    /// A JSON body, keys in their order.
    pub(crate) fn json(v: &impl Serialize) -> Body<'static> {
        Body::Json(serde_json::to_vec(v).unwrap_or_default())
    }

    fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Json(b) => b.len() as u64,
            Body::Multipart {
                file, head, tail, ..
            } => head.len() as u64 + file.bytes() + tail.len() as u64,
        }
    }
}

/// The file part of a multipart body: hashes the bytes as they are read,
/// and when the last ones do not give the checked hash, fails instead of
/// handing them over, so the request never reaches its `Content-Length`
/// and the service cannot make an asset of it.
struct Verified<R> {
    inner: R,
    left: u64,
    hasher: blake3::Hasher,
    expected: String,
    /// The hash of what was read, when it was not the expected one.
    mismatch: Arc<std::sync::Mutex<Option<String>>>,
}

impl<R: Read> Verified<R> {
    fn new(inner: R, len: u64, expected: String) -> Verified<R> {
        Verified {
            inner,
            left: len,
            hasher: blake3::Hasher::new(),
            expected,
            mismatch: Arc::default(),
        }
    }
}

impl<R: Read> Read for Verified<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file got shorter while uploading",
            ));
        }
        self.hasher.update(buf.get(..n).unwrap_or_default());
        self.left = self.left.saturating_sub(n as u64);
        if self.left == 0 {
            let got = self.hasher.finalize().to_hex().to_string();
            if got != self.expected {
                if let Ok(mut m) = self.mismatch.lock() {
                    *m = Some(got);
                }
                return Err(io::Error::other("the file changed while uploading"));
            }
        }
        Ok(n)
    }
}

/// A 2xx reply with a JSON object body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) value: Value,
    pub(crate) body_start: String,
}

/// The outcome of one attempt.
pub(crate) enum Attempt<T, E> {
    Done(T),
    Retry {
        err: E,
        after: Option<Duration>,
        /// The request surely did nothing (no connection, 429, 503).
        unsent: bool,
    },
    Fatal(E),
}

/// Why [`Transport::retry`] stopped without a result.
pub(crate) enum Stop<E> {
    /// A failure that another attempt would not mend.
    Fatal(E),
    /// Every attempt failed; the last failure and the attempts made.
    Exhausted(E, u32),
    /// The service asked to wait longer than the policy allows.
    WaitTooLong(E, Duration),
    /// Not resent: the request may have been carried out all the same.
    MaybeDone(E),
    /// The wait before a retry was interrupted.
    Cancelled,
}

/// What an HTTP status means for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusClass {
    Success,
    /// Worth another attempt; `unsent` when the service surely did nothing.
    Retry {
        unsent: bool,
    },
    Final,
}

/// 2xx succeeds; 408, 429 and 5xx are retried (429 and 503 did nothing);
/// anything else is final.
pub(crate) fn status_class(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Success,
        // Not Implemented and HTTP Version Not Supported say what the
        // service is, not how it is doing: asking again cannot help.
        501 | 505 => StatusClass::Final,
        408 | 429 | 500..=599 => StatusClass::Retry {
            unsent: matches!(status, 429 | 503),
        },
        _ => StatusClass::Final,
    }
}

/// A failure of the HTTP stack, classified: what it was, whether another
/// attempt may help, and whether the request surely never reached the
/// service.
pub(crate) struct NetFailure {
    pub(crate) error: NetworkError,
    pub(crate) retryable: bool,
    pub(crate) unsent: bool,
}

/// A blocking HTTP transport bound to one base URL and token. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Transport {
    base: Arc<str>,
    token: Token,
    agent: ureq::Agent,
    /// For the hops of a download redirected to another origin: connects
    /// only to public addresses, never through a proxy.
    public_agent: ureq::Agent,
    retry: RetryPolicy,
    log: Option<Logger>,
    breaker: Option<Arc<Breaker>>,
}

/// Counts consecutive transport failures (no complete answer, or a 5xx or
/// 408) over every call that shares it; any other answer resets the count.
/// Once `threshold` is reached it stays open: calls fail at once with
/// [`UploadError::ServiceDown`] instead of being sent.
#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    failures: AtomicU32,
}

impl Breaker {
    /// A breaker that opens after `threshold` failures in a row (0: never).
    pub(crate) fn new(threshold: u32) -> Breaker {
        Breaker {
            threshold,
            failures: AtomicU32::new(0),
        }
    }

    fn record(&self, failed: bool) {
        if failed {
            self.failures.fetch_add(1, Ordering::SeqCst);
        } else if !self.is_open() {
            self.failures.store(0, Ordering::SeqCst);
        }
    }

    /// Whether no more calls are sent.
    pub(crate) fn is_open(&self) -> bool {
        self.threshold > 0 && self.failures.load(Ordering::SeqCst) >= self.threshold
    }

    /// Consecutive failures so far.
    pub(crate) fn failures(&self) -> u32 {
        self.failures.load(Ordering::SeqCst)
    }
}

/// The roots every connection trusts: the system's (or those of
/// `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, as OpenSSL reads them) plus
/// Mozilla's, loaded once per process.
fn root_certs() -> ureq::tls::RootCerts {
    use ureq::tls::Certificate;
    static ROOTS: OnceLock<Arc<Vec<Certificate<'static>>>> = OnceLock::new();
    let certs = ROOTS.get_or_init(|| {
        let native = rustls_native_certs::load_native_certs();
        let all = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .chain(native.certs.iter())
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        Arc::new(all)
    });
    ureq::tls::RootCerts::Specific(Arc::clone(certs))
}

/// The host of a URL after `scheme://`: without user info, port and the
/// brackets of an IPv6 literal.
fn host_of(after_scheme: &str) -> &str {
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.split(':').next().unwrap_or(host_port),
    }
}

/// Whether a host name is this machine (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether requests to `base_url` would carry the token in clear text to
/// another machine: a plain `http://` URL whose host is not loopback.
/// ```
/// use preflight_api::upload::sends_token_in_clear;
/// assert!(sends_token_in_clear("http://relay.example.invalid"));
/// assert!(!sends_token_in_clear("http://127.0.0.1:8080"));
/// assert!(!sends_token_in_clear("http://[::1]:8080/api"));
/// assert!(!sends_token_in_clear("https://relay.example.com"));
/// ```
pub fn sends_token_in_clear(base_url: &str) -> bool {
    let url = base_url.trim();
    url.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        && !is_loopback_host(host_of(url.get(7..).unwrap_or("")))
}

/// Why the resolver of a redirected download refused a host.
#[derive(Debug)]
pub(crate) struct NotPublic;

impl fmt::Display for NotPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the host resolves to an address that is not public")
    }
}

impl std::error::Error for NotPublic {}

/// A resolver that keeps only public addresses and fails when none is
/// left: since ureq connects to what the resolver returns, the address
/// checked is the address used (no second lookup to rebind).
#[derive(Debug, Default)]
struct PublicOnly(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let all = self.0.resolve(uri, config, timeout)?;
        let mut out = self.0.empty();
        for a in all.iter().filter(|a: &&SocketAddr| is_public(a.ip())) {
            out.push(*a);
        }
        if all.is_empty() || !out.is_empty() {
            return Ok(out);
        }
        Err(ureq::Error::Io(io::Error::new(
            io::ErrorKind::PermissionDenied,
            NotPublic,
        )))
    }
}

/// What [`Transport::get_stream`] got.
pub(crate) enum Fetched {
    /// The final answer (not a redirect, or one that was not followed).
    Response(ureq::http::Response<ureq::Body>),
    /// A redirect this client refuses to follow.
    Refused {
        /// The target, without its query.
        to: String,
        /// Why.
        reason: &'static str,
    },
}

/// Most redirects a download follows.
const MAX_REDIRECTS: u32 = 5;

impl Transport {
    /// A transport for `base_url` (`http(s)://host…`, a trailing `/` dropped).
    pub(crate) fn new(
        base_url: &str,
        token: Token,
        timeouts: Timeouts,
        retry: RetryPolicy,
        log: Option<Logger>,
        allow_insecure_http: bool,
    ) -> Result<Transport, ConfigError> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        if base.is_empty() {
            return Err(ConfigError::MissingBaseUrl);
        }
        let rest = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .ok_or_else(|| ConfigError::BadScheme { url: base.clone() })?;
        if rest.is_empty() || rest.starts_with('/') {
            return Err(ConfigError::NoHost { url: base });
        }
        if !allow_insecure_http && sends_token_in_clear(&base) {
            return Err(ConfigError::InsecureHttp { url: base });
        }
        let config = |public: bool| {
            let b = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .user_agent(USER_AGENT)
                .max_redirects(0)
                .max_redirects_will_error(false)
                .timeout_connect(Some(timeouts.connect))
                .timeout_recv_response(Some(timeouts.response))
                .timeout_recv_body(Some(timeouts.response))
                .timeout_per_write(Some(timeouts.response))
                .tls_config(
                    ureq::tls::TlsConfig::builder()
                        .root_certs(root_certs())
                        .build(),
                );
            // Through a proxy the resolver would see the proxy, not the host.
            if public { b.proxy(None) } else { b }.build()
        };
        let agent: ureq::Agent = config(false).into();
        let public_agent = ureq::Agent::with_parts(
            config(true),
            ureq::unversioned::transport::DefaultConnector::new(),
            PublicOnly::default(),
        );
        Ok(Transport {
            base: Arc::from(base),
            token,
            agent,
            public_agent,
            retry,
            log,
            breaker: None,
        })
    }

    /// The same transport (sharing the connection pool) counting its
    /// failures in `breaker`.
    pub(crate) fn with_breaker(&self, breaker: Arc<Breaker>) -> Transport {
        Transport {
            breaker: Some(breaker),
            ..self.clone()
        }
    }

    /// The breaker, when one is set and open.
    fn open_breaker(&self) -> Option<&Breaker> {
        self.breaker.as_deref().filter(|b| b.is_open())
    }

    fn record(&self, failed: bool) {
        if let Some(b) = &self.breaker {
            b.record(failed);
        }
    }

    /// Sends a `--verbose` line (scrubbed of the token) to the logger, if any.
    pub(crate) fn log(&self, line: impl FnOnce() -> String) {
        if let Some(log) = &self.log {
            log(&self.token.redact(&line()));
        }
    }

    /// Text derived from the server, fit to store in an error: the token
    /// replaced by `***`, control characters escaped.
    pub(crate) fn scrub(&self, s: &str) -> String {
        escape_controls(&self.token.redact(s))
    }

    /// `v` with the token replaced by `***` in every string and key (the
    /// JSON stays JSON: its printer escapes control characters).
    pub(crate) fn redact_value(&self, v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.token.redact(&s)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.redact_value(x)).collect()),
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, x)| (self.token.redact(&k), self.redact_value(x)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// The first 200 characters of a body, scrubbed.
    pub(crate) fn body_start(&self, bytes: &[u8]) -> String {
        self.token.redact(&body_start(bytes))
    }

    /// Classifies a failure of the HTTP stack, its message scrubbed.
    pub(crate) fn net_failure(&self, e: &ureq::Error) -> NetFailure {
        let scrub = |s: String| self.scrub(&s);
        let error = match e {
            ureq::Error::HostNotFound => NetworkError::HostNotFound,
            ureq::Error::ConnectionFailed => NetworkError::ConnectionFailed,
            ureq::Error::Timeout(t) => NetworkError::Timeout {
                phase: timeout_phase(*t),
            },
            ureq::Error::Io(io) if is_tls_error(io) => NetworkError::Tls {
                message: scrub(io.to_string()),
            },
            ureq::Error::Rustls(_) | ureq::Error::Tls(_) => NetworkError::Tls {
                message: scrub(e.to_string()),
            },
            ureq::Error::Io(io) => NetworkError::Io {
                kind: io.kind(),
                message: scrub(io.to_string()),
            },
            other => NetworkError::Other {
                message: scrub(other.to_string()),
            },
        };
        let retryable = !matches!(error, NetworkError::Tls { .. })
            && matches!(
                e,
                ureq::Error::Io(_)
                    | ureq::Error::Timeout(_)
                    | ureq::Error::HostNotFound
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::Protocol(_)
            );
        NetFailure {
            error,
            retryable,
            unsent: is_unsent(e),
        }
    }

    /// Runs `once` until it is done, fails for good, or the attempts run
    /// out, sleeping the policy's backoff (or the `Retry-After`) between
    /// attempts through `sleep`, which returns `false` when interrupted.
    /// Before every retry, `recover` may find that an earlier attempt did
    /// its work after all (a lost reply): its answer is returned instead.
    /// With `resend` false, a failure that may have come after the service
    /// acted is not retried ([`Stop::MaybeDone`]).
    pub(crate) fn retry<T, E: fmt::Display>(
        &self,
        label: &str,
        resend: bool,
        mut once: impl FnMut(u32) -> Attempt<T, E>,
        mut recover: impl FnMut() -> Result<Option<T>, E>,
        mut sleep: impl FnMut(Duration) -> bool,
    ) -> Result<T, Stop<E>> {
        let max = self.retry.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if attempt > 1 {
                if let Some(found) = recover().map_err(Stop::Fatal)? {
                    return Ok(found);
                }
            }
            let (err, after) = match once(attempt) {
                Attempt::Done(t) => return Ok(t),
                Attempt::Fatal(e) => return Err(Stop::Fatal(e)),
                Attempt::Retry {
                    err, unsent: false, ..
                } if !resend => return Err(Stop::MaybeDone(err)),
                Attempt::Retry { err, after, .. } => (err, after),
            };
            if attempt >= max {
                return Err(Stop::Exhausted(err, attempt));
            }
            if let Some(ra) = after.filter(|ra| *ra > self.retry.max_retry_after) {
                return Err(Stop::WaitTooLong(err, ra));
            }
            let delay = self.retry.delay(attempt, after);
            self.log(|| format!("{label}: {err}; retrying in {} ms", delay.as_millis()));
            if !sleep(delay) {
                return Err(Stop::Cancelled);
            }
        }
    }

    /// Sends `body` to `route` with the retry policy and returns what
    /// `parse` makes of the reply (see [`Transport::retry`] for `recover`).
    /// The error comes with whether the request may have been carried out
    /// all the same (a call that may not be resent, stopped after sending).
    pub(crate) fn call<T>(
        &self,
        action: &'static str,
        route: &Route,
        body: &Body<'_>,
        parse: impl Fn(&Reply) -> Result<T, UploadError>,
        recover: impl FnMut() -> Result<Option<T>, UploadError>,
    ) -> Result<T, (UploadError, bool)> {
        let once = |attempt| match self.send_once(action, route, body, attempt) {
            Attempt::Done(reply) => match parse(&reply) {
                Ok(t) => Attempt::Done(t),
                Err(e) => Attempt::Fatal(e),
            },
            Attempt::Retry { err, after, unsent } => Attempt::Retry { err, after, unsent },
            Attempt::Fatal(e) => Attempt::Fatal(e),
        };
        // An open breaker ends the call instead of sleeping before a retry.
        let sleep = |d| {
            if self.open_breaker().is_some() {
                return false;
            }
            std::thread::sleep(d);
            true
        };
        self.retry(action, route.resend, once, recover, sleep)
            .map_err(|stop| match stop {
                Stop::Fatal(e) => (e, false),
                Stop::MaybeDone(e) => (e, true),
                Stop::Exhausted(UploadError::Transport { action, error, .. }, attempts) => (
                    UploadError::Transport {
                        action,
                        error,
                        attempts,
                    },
                    false,
                ),
                Stop::Exhausted(e, _) => (e, false),
                Stop::WaitTooLong(_, ra) => (
                    UploadError::RateLimited {
                        action,
                        retry_after_s: ra.as_secs(),
                        max_s: self.retry.max_retry_after.as_secs(),
                    },
                    false,
                ),
                // Only an open breaker interrupts the sleep above.
                Stop::Cancelled => (self.service_down(), false),
            })
    }

    /// `POST {base}{path}` with a JSON body (serialized as it is, keys in
    /// their order); the reply's JSON object. With `resend` false (a call
    /// that is not idempotent, like creating a task) it is resent only when
    /// the first attempt surely did nothing; the error then comes with
    /// whether the request may have been carried out all the same.
    pub(crate) fn post_json(
        &self,
        action: &'static str,
        path: &str,
        body: &impl Serialize,
        resend: bool,
    ) -> Result<Value, (UploadError, bool)> {
        let route = Route {
            resend,
            ..Route::post(path)
        };
        self.call(
            action,
            &route,
            &Body::json(body),
            |r| Ok(r.value.clone()),
            || Ok(None),
        )
    }

    /// `GET {base}{path}`, retried like every call; the reply's JSON object.
    pub(crate) fn get_json(&self, action: &'static str, path: &str) -> Result<Value, UploadError> {
        let route = Route {
            get: true,
            ..Route::post(path)
        };
        self.call(
            action,
            &route,
            &Body::Empty,
            |r| Ok(r.value.clone()),
            || Ok(None),
        )
        .map_err(|(e, _)| e)
    }

    /// One `GET` of an absolute URL whose body the caller streams (a result
    /// download). The token goes only to the origin of the base URL, and
    /// only on the first request; another host (a CDN with a signed URL)
    /// gets no `Authorization`. Redirects (up to 5) are followed by hand: to
    /// the same origin as the request that was redirected, as they come; to
    /// another origin only over `https` and only to a host whose resolved
    /// addresses are public (checked by the resolver that opens the
    /// connection). `body_timeout` bounds reading the body.
    pub(crate) fn get_stream(
        &self,
        url: &str,
        body_timeout: Duration,
    ) -> Result<Fetched, ureq::Error> {
        let mut url = url.to_string();
        let mut public_only = false;
        let mut hop = 0u32;
        loop {
            let token = hop == 0 && origin(&url).is_some_and(|o| Some(o) == origin(&self.base));
            self.log(|| {
                format!(
                    "→ GET {}{}",
                    url_for_log(&url),
                    if token {
                        " (Authorization: Bearer ***)"
                    } else {
                        ""
                    }
                )
            });
            let agent = if public_only {
                &self.public_agent
            } else {
                &self.agent
            };
            let req = agent
                .get(&url)
                .config()
                .timeout_recv_body(Some(body_timeout))
                .build();
            let req = if token {
                req.header("Authorization", self.bearer())
            } else {
                req
            };
            let resp = match req.call() {
                Ok(r) => r,
                Err(ureq::Error::Io(e))
                    if e.get_ref()
                        .is_some_and(|i| i.downcast_ref::<NotPublic>().is_some()) =>
                {
                    return Ok(Fetched::Refused {
                        to: self.scrub(url_for_log(&url)),
                        reason: "its host resolves to a loopback, private or link-local address",
                    });
                }
                Err(e) => return Err(e),
            };
            let location = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let (true, Some(location)) = (resp.status().is_redirection(), location) else {
                return Ok(Fetched::Response(resp));
            };
            if hop == MAX_REDIRECTS {
                return Ok(Fetched::Response(resp));
            }
            let next = match (
                location.starts_with('/') && !location.starts_with("//"),
                origin(&url),
            ) {
                (true, Some(o)) => format!("{o}{location}"),
                _ => location,
            };
            let same_origin = origin(&next).is_some_and(|o| Some(o) == origin(&url));
            if !same_origin {
                if !next
                    .get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
                {
                    return Ok(Fetched::Refused {
                        to: self.scrub(url_for_log(&next)),
                        reason: "a redirect to another origin must be https",
                    });
                }
                public_only = true;
            }
            self.log(|| format!("← HTTP {} → {}", resp.status().as_u16(), url_for_log(&next)));
            url = next;
            hop += 1;
        }
    }

    fn service_down(&self) -> UploadError {
        UploadError::ServiceDown {
            failures: self.breaker.as_ref().map_or(0, |b| b.failures()),
        }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token.expose())
    }

    fn send_once(
        &self,
        action: &'static str,
        route: &Route,
        body: &Body<'_>,
        attempt: u32,
    ) -> Attempt<Reply, UploadError> {
        if self.open_breaker().is_some() {
            return Attempt::Fatal(self.service_down());
        }
        let url = format!("{}{}", self.base, route.path);
        let method = if route.get { "GET" } else { "POST" };
        self.log(|| {
            format!(
                "→ {method} {url} (attempt {attempt}, {} bytes, Authorization: Bearer ***, User-Agent: {USER_AGENT})",
                body.len()
            )
        });
        let started = Instant::now();
        if route.get {
            let sent = self
                .agent
                .get(&url)
                .header("Authorization", self.bearer())
                .header("Accept", "application/json")
                .call();
            return self.receive(action, attempt, started, sent);
        }
        let req = self
            .agent
            .post(&url)
            .header("Authorization", self.bearer())
            .header("Accept", "application/json");
        let sent = match body {
            Body::Empty => req.send_empty(),
            Body::Json(bytes) => req
                .header("Content-Type", "application/json")
                .send(&bytes[..]),
            Body::Multipart {
                file,
                boundary,
                head,
                tail,
            } => {
                let f = match file.open() {
                    Ok(f) => f,
                    Err(e) => return Attempt::Fatal(e),
                };
                let expected = match file.content_hash() {
                    Ok(h) => h,
                    Err(e) => return Attempt::Fatal(e),
                };
                let verify = Verified::new(f.take(file.bytes()), file.bytes(), expected);
                let mismatch = Arc::clone(&verify.mismatch);
                let reader = Cursor::new(head.clone())
                    .chain(verify)
                    .chain(Cursor::new(tail.clone()));
                let sent = req
                    .header(
                        "Content-Type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .header("Content-Length", body.len().to_string())
                    .send(ureq::SendBody::from_owned_reader(reader));
                let changed = mismatch.lock().ok().and_then(|m| m.clone());
                if let Some(sent_hash) = changed {
                    self.log(|| format!("{action}: the file changed while uploading: aborted"));
                    return Attempt::Fatal(file.changed_while_uploading(&sent_hash));
                }
                sent
            }
        };
        self.receive(action, attempt, started, sent)
    }

    /// Reads and classifies the reply of one attempt.
    fn receive(
        &self,
        action: &'static str,
        attempt: u32,
        started: Instant,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Attempt<Reply, UploadError> {
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => {
                self.record(true);
                let f = self.net_failure(&e);
                self.log(|| {
                    format!(
                        "← {action}: {} after {} ms",
                        f.error,
                        started.elapsed().as_millis()
                    )
                });
                let err = UploadError::Transport {
                    action,
                    error: f.error,
                    attempts: attempt,
                };
                return if f.retryable {
                    Attempt::Retry {
                        err,
                        after: None,
                        unsent: f.unsent,
                    }
                } else {
                    Attempt::Fatal(err)
                };
            }
        };
        let status = resp.status().as_u16();
        self.record(status == 408 || (status >= 500 && status_class(status) != StatusClass::Final));
        let after = retry_after(&resp);
        let bytes = match resp
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(e) => {
                self.record(true);
                let error = NetworkError::Body {
                    status,
                    source: Box::new(self.net_failure(&e).error),
                };
                self.log(|| format!("← {action}: {error}"));
                return Attempt::Retry {
                    err: UploadError::Transport {
                        action,
                        error,
                        attempts: attempt,
                    },
                    after: None,
                    unsent: false,
                };
            }
        };
        let body_start = self.body_start(&bytes);
        self.log(|| {
            format!(
                "← HTTP {status} in {} ms ({} bytes): {body_start}",
                started.elapsed().as_millis(),
                bytes.len()
            )
        });
        self.classify(action, status, after, &bytes, body_start)
    }

    fn classify(
        &self,
        action: &'static str,
        status: u16,
        retry_after: Option<Duration>,
        bytes: &[u8],
        body_start: String,
    ) -> Attempt<Reply, UploadError> {
        let value: Option<Value> = serde_json::from_slice(bytes).ok();
        let class = status_class(status);
        // In a 2xx reply only the envelope's error counts: a failed asset
        // carries its own `Error` object as data.
        let api = value
            .as_ref()
            .filter(|v| {
                class != StatusClass::Success || v.pointer("/ResponseMetadata/Error").is_some()
            })
            .and_then(api_error)
            .map(|(code, message, request_id)| UploadError::Api {
                action,
                status,
                code: self.scrub(&code),
                message: self.scrub(&message),
                request_id: request_id.map(|r| self.scrub(&r)),
            });
        let err = api.unwrap_or_else(|| UploadError::Unexpected {
            action,
            status,
            body_start: body_start.clone(),
        });
        match class {
            StatusClass::Success => match value {
                Some(v @ Value::Object(_)) if !matches!(err, UploadError::Api { .. }) => {
                    Attempt::Done(Reply {
                        status,
                        value: unwrap_result(v),
                        body_start,
                    })
                }
                _ => Attempt::Fatal(err),
            },
            StatusClass::Retry { unsent } => Attempt::Retry {
                err,
                after: retry_after,
                unsent,
            },
            StatusClass::Final => Attempt::Fatal(err),
        }
    }
}

/// Whether an error may pass by itself (the transport already retried it).
pub(crate) fn transient(e: &UploadError) -> bool {
    match e {
        UploadError::Transport { .. } | UploadError::RateLimited { .. } => true,
        UploadError::Api { status, .. } | UploadError::Unexpected { status, .. } => {
            matches!(status_class(*status), StatusClass::Retry { .. })
        }
        _ => false,
    }
}

/// `Retry-After` of a reply, in seconds (the only form SPEC §5 names).
pub(crate) fn retry_after<B>(resp: &ureq::http::Response<B>) -> Option<Duration> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

fn timeout_phase(t: ureq::Timeout) -> &'static str {
    match t {
        ureq::Timeout::PerRead => "per read",
        ureq::Timeout::PerWrite => "per write",
        ureq::Timeout::Global => "global",
        ureq::Timeout::PerCall => "per call",
        ureq::Timeout::Resolve => "resolve",
        ureq::Timeout::Connect => "connect",
        ureq::Timeout::SendRequest => "send request",
        ureq::Timeout::SendBody => "send body",
        ureq::Timeout::RecvResponse => "receive response",
        ureq::Timeout::RecvBody => "receive body",
        _ => "request",
    }
}

/// A Volcengine-style envelope `{"ResponseMetadata":…, "Result":{…}}` is
/// unwrapped to its `Result`; the relay's plain objects pass as they are.
fn unwrap_result(v: Value) -> Value {
    match v {
        Value::Object(mut m)
            if m.get("Result").is_some_and(Value::is_object) && !m.contains_key("Id") =>
        {
            m.remove("Result").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// `(Code, Message, RequestId)` of an error body
/// `{"ResponseMetadata":{"RequestId","Error":{"Code","Message"}}}`; also
/// accepts a bare `{"Error":{…}}` or `{"error":{"code","message"}}`.
fn api_error(v: &Value) -> Option<(String, String, Option<String>)> {
    let meta = v.get("ResponseMetadata");
    let err = meta
        .and_then(|m| m.get("Error"))
        .or_else(|| v.get("Error"))
        .or_else(|| v.get("error"))
        .filter(|e| e.is_object())?;
    let code = json_text(err, "Code", "code");
    let message = json_text(err, "Message", "message");
    if code.is_empty() && message.is_empty() {
        return None;
    }
    let rid = meta
        .and_then(|m| m.get("RequestId"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some((code, message, rid))
}

/// The field `a` (or else `b`) of an object as text: a string as it is,
/// anything else as JSON; empty when absent.
pub(crate) fn json_text(obj: &Value, a: &str, b: &str) -> String {
    obj.get(a)
        .or_else(|| obj.get(b))
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string())
        })
        .unwrap_or_default()
}

/// Control characters escaped as Rust writes them (`\n`, `\u{1b}`), the
/// rest as it is: what this crate does to every text that came from the
/// server before it goes into an error or a log line, so that a hostile
/// reply cannot drive a terminal.
/// ```
/// assert_eq!(preflight_api::escape_controls("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
/// ```
pub fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The first 200 characters of a body, control characters escaped.
pub(crate) fn body_start(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(BODY_START_CHARS).collect();
    let mut out = escape_controls(&head);
    if chars.next().is_some() {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty body)");
    }
    out
}

/// `Retry-After` in seconds; an HTTP date or garbage is ignored and the
/// normal backoff applies.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
}

/// Whether an I/O error carries a TLS error (a certificate that is not
/// trusted, expired or for another host, a handshake failure).
fn is_tls_error(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

/// Whether a transport error surely came before the request reached the
/// service (so that even a call that is not idempotent may be resent).
fn is_unsent(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Timeout(t) => matches!(t, ureq::Timeout::Resolve | ureq::Timeout::Connect),
        ureq::Error::Io(io) => io.kind() == io::ErrorKind::ConnectionRefused,
        _ => false,
    }
}

/// `scheme://host[:port]` of a URL, lowercased; `None` when it is not http(s).
fn origin(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .map(|r| ("https://", r))
        .or_else(|| lower.strip_prefix("http://").map(|r| ("http://", r)))?;
    let host = rest.1.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return None;
    }
    Some(format!("{}{host}", rest.0))
}

/// A URL without its query (signed URLs carry their signature there).
pub(crate) fn url_for_log(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn transport(token: &str) -> Transport {
        Transport::new(
            "http://127.0.0.1:1",
            Token::new(token).unwrap(),
            Timeouts::default(),
            RetryPolicy::default(),
            None,
            false,
        )
        .unwrap()
    }

    #[test]
    fn token_never_prints() {
        let t = Token::new("sk-secret-123").unwrap();
        assert_eq!(format!("{t} {t:?}"), "*** Token(***)");
        assert_eq!(t.redact("a sk-secret-123 b"), "a *** b");
        assert!(Token::new("").is_err());
        assert!(Token::new("a b").is_err());
        let e = Token::new("sk\nx").unwrap_err().to_string();
        assert!(!e.contains("sk"), "{e}");
    }

    #[test]
    fn base_url_is_validated() {
        let t = Token::new("k").unwrap();
        let new = |url: &str| {
            Transport::new(
                url,
                t.clone(),
                Timeouts::default(),
                RetryPolicy::default(),
                None,
                false,
            )
        };
        assert!(matches!(new("ftp://x"), Err(ConfigError::BadScheme { .. })));
        assert!(new("http://").is_err());
        assert!(matches!(new("http:///x"), Err(ConfigError::NoHost { .. })));
        assert!(matches!(new("  "), Err(ConfigError::MissingBaseUrl)));
        assert_eq!(
            &*new("https://relay.example/api/").unwrap().base,
            "https://relay.example/api"
        );
    }

    #[test]
    fn error_bodies_are_read() {
        let v = json!({"ResponseMetadata":{"RequestId":"r1","Error":{"Code":"NotFound","Message":"no such asset"}}});
        assert_eq!(
            api_error(&v),
            Some(("NotFound".into(), "no such asset".into(), Some("r1".into())))
        );
        assert_eq!(api_error(&json!({"Id": "x"})), None);
        assert_eq!(
            api_error(&json!({"error": {"code": 5, "message": "m"}})),
            Some(("5".into(), "m".into(), None))
        );
    }

    #[test]
    fn bodies_are_cut_at_200_characters() {
        let long = "é".repeat(300);
        let s = body_start(long.as_bytes());
        assert_eq!(s.chars().count(), 201);
        assert!(s.ends_with('…'));
        assert_eq!(body_start(b"a\nb"), "a\\nb");
        assert_eq!(body_start(b""), "(empty body)");
    }

    #[test]
    fn retry_after_and_backoff() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        let p = RetryPolicy::default()
            .max_attempts(5)
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(1000))
            .max_retry_after(Duration::from_secs(10));
        for _ in 0..50 {
            let d1 = p.delay(1, None);
            assert!(
                d1 >= Duration::from_millis(50) && d1 < Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = p.delay(3, None);
            assert!(
                d3 >= Duration::from_millis(200) && d3 < Duration::from_millis(400),
                "{d3:?}"
            );
            let d40 = p.delay(40, None);
            assert!(
                d40 >= Duration::from_millis(500) && d40 < Duration::from_millis(1000),
                "{d40:?}"
            );
            assert_eq!(
                p.delay(1, Some(Duration::from_secs(2))),
                Duration::from_secs(2)
            );
        }
    }

    #[test]
    fn replies_are_classified() {
        let t = transport("sk-7q");
        let classify = |status: u16, body: &str, ra: Option<u64>| {
            t.classify(
                "A",
                status,
                ra.map(Duration::from_secs),
                body.as_bytes(),
                body_start(body.as_bytes()),
            )
        };
        let envelope_err =
            r#"{"ResponseMetadata":{"RequestId":"r","Error":{"Code":"X","Message":"m"}}}"#;
        assert!(matches!(
            classify(200, envelope_err, None),
            Attempt::Fatal(UploadError::Api { status: 200, .. })
        ));
        assert!(matches!(
            classify(200, r#"{"Id":"a","Error":{"Code":"C"}}"#, None),
            Attempt::Done(_)
        ));
        assert!(matches!(
            classify(200, "[1]", None),
            Attempt::Fatal(UploadError::Unexpected { .. })
        ));
        assert!(matches!(
            classify(204, "", None),
            Attempt::Fatal(UploadError::Unexpected { .. })
        ));
        assert!(matches!(
            classify(429, envelope_err, Some(3)),
            Attempt::Retry { err: UploadError::Api { status: 429, .. }, after: Some(d), unsent: true } if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            classify(503, "busy", None),
            Attempt::Retry {
                err: UploadError::Unexpected { .. },
                ..
            }
        ));
        assert!(matches!(classify(408, "", None), Attempt::Retry { .. }));
        assert!(matches!(
            classify(404, envelope_err, None),
            Attempt::Fatal(UploadError::Api { status: 404, .. })
        ));
        assert!(matches!(
            classify(302, "", None),
            Attempt::Fatal(UploadError::Unexpected { status: 302, .. })
        ));
        // The token is scrubbed from what the service says, and control
        // characters are escaped.
        match classify(
            401,
            r#"{"Error":{"Code":"Auth","Message":"bad token sk-7q\u001b[2J"}}"#,
            None,
        ) {
            Attempt::Fatal(e) => {
                assert_eq!(e.to_string(), "A: HTTP 401 Auth: bad token ***\\u{1b}[2J")
            }
            _ => panic!("401 is final"),
        }
    }

    #[test]
    fn the_retry_loop_counts_attempts_and_honours_resend() {
        let mut t = transport("k");
        t.retry = t.retry.base_delay(Duration::ZERO).max_attempts(3);
        let no_sleep = |_| true;
        let retry = |unsent| Attempt::<(), &str>::Retry {
            err: "e",
            after: None,
            unsent,
        };
        let mut n = 0;
        let r = t.retry(
            "x",
            true,
            |_| {
                n += 1;
                retry(false)
            },
            || Ok(None),
            no_sleep,
        );
        assert!(matches!(r, Err(Stop::Exhausted("e", 3))));
        assert_eq!(n, 3);
        let r = t.retry("x", false, |_| retry(false), || Ok(None), no_sleep);
        assert!(matches!(r, Err(Stop::MaybeDone("e"))));
        let r = t.retry(
            "x",
            false,
            |a| {
                if a < 2 {
                    retry(true)
                } else {
                    Attempt::Done(())
                }
            },
            || Ok(None),
            no_sleep,
        );
        assert!(r.is_ok());
        // A lost reply found by `recover` ends the loop.
        let r = t.retry("x", true, |_| retry(false), || Ok(Some(())), no_sleep);
        assert!(r.is_ok());
        let r = t.retry("x", true, |_| retry(false), || Ok(None), |_| false);
        assert!(matches!(r, Err(Stop::Cancelled)));
        let r = t.retry(
            "x",
            true,
            |_| Attempt::<(), &str>::Retry {
                err: "e",
                after: Some(Duration::from_secs(999)),
                unsent: true,
            },
            || Ok(None),
            no_sleep,
        );
        assert!(matches!(r, Err(Stop::WaitTooLong("e", _))));
    }

    #[test]
    fn envelopes_are_unwrapped() {
        assert_eq!(
            unwrap_result(json!({"Result": {"Id": "a"}})),
            json!({"Id": "a"})
        );
        assert_eq!(unwrap_result(json!({"Id": "a"})), json!({"Id": "a"}));
    }

    #[test]
    fn the_token_goes_only_to_the_base_origin() {
        assert_eq!(
            origin("https://Relay.example:8443/api/v3/x?y"),
            Some("https://relay.example:8443".into())
        );
        assert_eq!(origin("http://h"), Some("http://h".into()));
        assert_eq!(origin("ftp://h/x"), None);
        assert_eq!(origin("https:///x"), None);
        // A userinfo trick is another origin.
        assert_ne!(
            origin("http://relay.example@evil.example/"),
            origin("http://relay.example")
        );
        assert_eq!(
            url_for_log("https://cdn/v.mp4?X-Tos-Signature=s#f"),
            "https://cdn/v.mp4"
        );
        assert!(is_unsent(&ureq::Error::ConnectionFailed));
        assert!(is_unsent(&ureq::Error::Timeout(ureq::Timeout::Connect)));
        assert!(!is_unsent(&ureq::Error::Timeout(
            ureq::Timeout::RecvResponse
        )));
        assert!(!is_unsent(&ureq::Error::Io(io::Error::from(
            io::ErrorKind::UnexpectedEof
        ))));
    }

    #[test]
    fn clear_text_hosts() {
        assert_eq!(host_of("u:p@h.example:8080/x"), "h.example");
        assert_eq!(host_of("[::1]:80/x"), "::1");
        assert!(sends_token_in_clear("HTTP://relay.example"));
        assert!(sends_token_in_clear("http://localhost.evil.example"));
        assert!(sends_token_in_clear("http://127.0.0.1@evil.example"));
        assert!(!sends_token_in_clear("http://user@127.0.0.1:9"));
        assert!(!sends_token_in_clear("http://LOCALHOST"));
        let t = Token::new("k").unwrap();
        let new = |allow| {
            Transport::new(
                "http://relay.example",
                t.clone(),
                Timeouts::default(),
                RetryPolicy::default(),
                None,
                allow,
            )
        };
        assert!(matches!(new(false), Err(ConfigError::InsecureHttp { .. })));
        assert!(new(true).is_ok());
    }

    #[test]
    fn the_breaker_opens_after_n_failures_in_a_row_and_stays_open() {
        let b = Breaker::new(3);
        b.record(true);
        b.record(true);
        b.record(false);
        assert_eq!(b.failures(), 0, "an answer resets the count");
        for _ in 0..3 {
            b.record(true);
        }
        assert!(b.is_open());
        b.record(false);
        assert!(b.is_open(), "an in-flight success does not close it");
        let never = Breaker::new(0);
        for _ in 0..100 {
            never.record(true);
        }
        assert!(!never.is_open());
    }

    #[test]
    fn a_file_that_changes_under_the_stream_is_not_handed_over() {
        let good = blake3::hash(b"abcdef").to_hex().to_string();
        let mut out = Vec::new();
        let mut v = Verified::new(&b"abcdef"[..], 6, good.clone());
        v.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcdef");
        let mut v = Verified::new(&b"abcxyz"[..], 6, good.clone());
        let mut buf = [0u8; 3];
        assert_eq!(v.read(&mut buf).unwrap(), 3);
        assert!(v.read(&mut buf).is_err(), "the last bytes are kept back");
        assert!(v.mismatch.lock().unwrap().is_some());
        let mut v = Verified::new(&b"abc"[..], 6, good);
        assert!(v.read_to_end(&mut Vec::new()).is_err(), "a shorter file");
    }

    #[test]
    fn transient_errors() {
        let api = |status| UploadError::Api {
            action: "GetTask",
            status,
            code: String::new(),
            message: String::new(),
            request_id: None,
        };
        assert!(transient(&api(429)));
        assert!(transient(&api(503)));
        assert!(!transient(&api(404)));
        assert!(!transient(&api(401)));
        assert!(transient(&api(500)) && transient(&api(502)) && transient(&api(504)));
        // Issue 14 bug 12: permanent server answers are not waited out.
        assert!(!transient(&api(501)));
        assert!(!transient(&api(505)));
        assert!(status_class(501) == StatusClass::Final);
        assert!(transient(&UploadError::Transport {
            action: "GetTask",
            error: NetworkError::ConnectionFailed,
            attempts: 1
        }));
    }
}
