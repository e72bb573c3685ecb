//! The blocking client of the asset API (SPEC §5).
//!
//! Every call is `POST {base}/volc/asset/<Action>` with a JSON body (or a
//! multipart form for a streamed upload) and `Authorization: Bearer <token>`.
//!
//! Faults: connection errors, timeouts, 408, 429 and 5xx are retried with
//! exponential backoff and jitter, at most [`RetryPolicy::max_attempts`]
//! times; a 429 or 503 `Retry-After` (seconds) is honoured. Any other 4xx
//! fails at once with the service's `Code` and `Message`. A body that is not
//! the JSON of the contract is an error showing the status and the first 200
//! characters of the body. Redirects are not followed (a POST carrying the
//! token is never sent elsewhere).
//!
//! Creation is not idempotent on the service, so a retried `CreateAsset` (and
//! `CreateAssetGroup`) first looks the name up and returns what it finds
//! instead of sending again: a reply lost after the service acted never
//! produces a duplicate.
//!
//! The token lives in a [`Token`], whose `Debug` and `Display` print `***`;
//! every message that came back from the network, and every log line, is
//! scrubbed of the token before it is stored or shown.

use super::{CheckedFile, UploadError, MODEL_IMAGE};
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::{Cursor, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The API token. `Debug` and `Display` print `***`; there is no public way
/// to read it back.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Arc<str>);

impl Token {
    /// Wraps a token. Refuses an empty one and one with whitespace or control
    /// characters (which could not go into a header). The value is never
    /// echoed in the error.
    pub fn new(value: impl Into<String>) -> Result<Token, UploadError> {
        let v: String = value.into();
        let v = v.trim();
        if v.is_empty() {
            return Err(UploadError::Config("the API token is empty".into()));
        }
        if v.chars()
            .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
        {
            return Err(UploadError::Config(
                "the API token holds whitespace, control or non-ASCII characters".into(),
            ));
        }
        Ok(Token(Arc::from(v)))
    }

    /// Reads the token from an environment variable (`PREFLIGHT_API_KEY` for
    /// the CLI); `Ok(None)` when it is not set.
    pub fn from_env(var: &str) -> Result<Option<Token>, UploadError> {
        match std::env::var(var) {
            Ok(v) => Token::new(v).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(UploadError::Config(format!("{var} is not valid UTF-8")))
            }
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

/// How long to wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// Connecting (DNS, TCP, TLS).
    pub connect: Duration,
    /// Waiting for the response headers after the request was sent, reading
    /// the response body, and each single write of the request body (a large
    /// upload may take longer in all, as long as it keeps moving).
    pub response: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(60),
        }
    }
}

/// When and how often to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
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

/// Everything a [`Client`] needs.
#[derive(Clone)]
pub struct ClientConfig {
    /// Base URL, e.g. `https://relay.example.com` (calls go to `{base}/volc/asset/<Action>`).
    pub base_url: String,
    /// The API token.
    pub token: Token,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Retries.
    pub retry: RetryPolicy,
    /// `PageSize` of list calls.
    pub page_size: u32,
    /// Delay between two `GetAsset` polls of [`Client::wait_active`].
    pub poll_interval: Duration,
    /// Largest request body the service takes (64 MB): data-URI uploads
    /// above it are refused before sending.
    pub max_body_bytes: u64,
    /// Where `--verbose` lines go (none by default).
    pub log: Option<Logger>,
}

impl ClientConfig {
    /// Defaults for everything but the base URL and the token.
    pub fn new(base_url: impl Into<String>, token: Token) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            token,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            page_size: 100,
            poll_interval: Duration::from_secs(2),
            max_body_bytes: 64_000_000,
            log: None,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("page_size", &self.page_size)
            .field("poll_interval", &self.poll_interval)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("log", &self.log.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The user agent: `preflight/<version>`.
pub const USER_AGENT: &str = concat!("preflight/", env!("CARGO_PKG_VERSION"));

/// Largest response body read (a list page is far smaller).
const MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;
/// Characters of a body shown in an error.
const BODY_START_CHARS: usize = 200;
/// Upper bound on pages followed by one list call (a hostile server cannot loop us).
const MAX_PAGES: u32 = 100_000;

/// A blocking client of the asset API. Cheap to clone; clones share the
/// connection pool and can be used from several threads.
#[derive(Clone)]
pub struct Client {
    cfg: Arc<ClientConfig>,
    base: Arc<str>,
    agent: ureq::Agent,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &self.cfg).finish()
    }
}

/// An asset group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// `group-…`.
    #[serde(rename = "Id")]
    pub id: String,
    /// The name as the service stores it (usually with the `[u-…]-[t-…]` prefix).
    #[serde(rename = "Name", default)]
    pub name: String,
    /// Every other field the service sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Where an asset is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AssetStatus {
    /// Queued or being processed.
    Processing,
    /// Usable in a generation request.
    Active,
    /// Rejected by the service.
    Failed,
    /// A value this client does not know.
    Other(String),
}

impl AssetStatus {
    /// The service's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            AssetStatus::Processing => "Processing",
            AssetStatus::Active => "Active",
            AssetStatus::Failed => "Failed",
            AssetStatus::Other(s) => s,
        }
    }

    /// Parses the service's spelling (exact).
    pub fn parse(s: &str) -> AssetStatus {
        match s {
            "Processing" => AssetStatus::Processing,
            "Active" => AssetStatus::Active,
            "Failed" => AssetStatus::Failed,
            other => AssetStatus::Other(other.to_string()),
        }
    }

    /// Active or Failed: nothing more will happen.
    pub fn is_final(&self) -> bool {
        matches!(self, AssetStatus::Active | AssetStatus::Failed)
    }
}

impl fmt::Display for AssetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AssetStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AssetStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(AssetStatus::parse(&String::deserialize(d)?))
    }
}

fn unknown_status() -> AssetStatus {
    AssetStatus::Other(String::new())
}

/// An asset, as `ListAssets` and `GetAsset` return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// `asset-…`.
    #[serde(rename = "Id")]
    pub id: String,
    /// Its name.
    #[serde(rename = "Name", default)]
    pub name: String,
    /// The service's URL of the content.
    #[serde(rename = "URL", default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `Image`, `Video` or `Audio`.
    #[serde(rename = "AssetType", default)]
    pub asset_type: String,
    /// The group.
    #[serde(rename = "GroupId", default)]
    pub group_id: String,
    /// Processing, Active or Failed.
    #[serde(rename = "Status", default = "unknown_status")]
    pub status: AssetStatus,
    /// Every other field (`ProjectName`, `CreateTime`, `UpdateTime`, error details, …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The `Filter` of `ListAssets`; empty fields are left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetFilter {
    /// `Filter.Name`.
    pub name: Option<String>,
    /// `Filter.GroupIds`.
    pub group_ids: Vec<String>,
    /// `Filter.Statuses` (`Processing`, `Active`, `Failed`).
    pub statuses: Vec<String>,
    /// `Filter.GroupType`.
    pub group_type: Option<String>,
}

impl AssetFilter {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(n) = &self.name {
            m.insert("Name".into(), json!(n));
        }
        if let Some(t) = &self.group_type {
            m.insert("GroupType".into(), json!(t));
        }
        if !self.group_ids.is_empty() {
            m.insert("GroupIds".into(), json!(self.group_ids));
        }
        if !self.statuses.is_empty() {
            m.insert("Statuses".into(), json!(self.statuses));
        }
        Value::Object(m)
    }
}

/// What a `CreateAsset` sends. Every form is built from a [`CheckedFile`],
/// which fixes `AssetType` and `model`.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// A public URL serving this checked file's content (`URL` field).
    Url(&'a str, &'a CheckedFile),
    /// The file's bytes as `data:<mime>;base64,…` in the JSON body, the MIME
    /// type from the sniffed format. For small files: the body is capped at
    /// [`ClientConfig::max_body_bytes`].
    DataUri(&'a CheckedFile),
    /// A `multipart/form-data` body with the file streamed from disk.
    Multipart(&'a CheckedFile),
}

impl Payload<'_> {
    /// The checked file behind the payload.
    pub fn file(&self) -> &CheckedFile {
        match self {
            Payload::Url(_, f) | Payload::DataUri(f) | Payload::Multipart(f) => f,
        }
    }
}

/// A request body, built once and sent as often as needed.
enum Body<'a> {
    /// No body (a `GET`).
    Empty,
    Json(Vec<u8>),
    Multipart {
        file: &'a CheckedFile,
        boundary: String,
        head: Vec<u8>,
        tail: Vec<u8>,
    },
}

impl Body<'_> {
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

/// Where a call goes. The asset API is `POST {base}/volc/asset/<Action>`;
/// the generation-task API ([`crate::generate`]) uses its own paths and `GET`.
struct Route {
    get: bool,
    /// Appended to the base URL.
    path: String,
    /// Whether a second send is harmless (or made harmless by `recover`).
    /// One that is not is resent only when the first surely did nothing: the
    /// connection never opened, or the service answered 429 or 503.
    resend: bool,
}

impl Route {
    fn action(action: &str) -> Route {
        Route {
            get: false,
            path: format!("/volc/asset/{action}"),
            resend: true,
        }
    }
}

/// A 2xx reply with a JSON object body.
struct Reply {
    status: u16,
    value: Value,
    body_start: String,
}

/// The outcome of one attempt.
enum Attempt {
    Done(Reply),
    Retry {
        err: UploadError,
        after: Option<Duration>,
        /// The request surely did nothing (no connection, 429, 503).
        unsent: bool,
    },
    Fatal(UploadError),
}

impl Client {
    /// A client for `cfg`. Fails on a base URL that is not `http(s)://…`.
    pub fn new(cfg: ClientConfig) -> Result<Client, UploadError> {
        let base = cfg.base_url.trim().trim_end_matches('/').to_string();
        let rest = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .ok_or_else(|| {
                UploadError::Config(format!(
                    "base URL {base:?} must start with http:// or https://"
                ))
            })?;
        if rest.is_empty() || rest.starts_with('/') {
            return Err(UploadError::Config(format!(
                "base URL {base:?} has no host"
            )));
        }
        let t = cfg.timeouts;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(USER_AGENT)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(t.connect))
            .timeout_recv_response(Some(t.response))
            .timeout_recv_body(Some(t.response))
            .timeout_per_write(Some(t.response))
            .build()
            .into();
        Ok(Client {
            base: Arc::from(base),
            cfg: Arc::new(cfg),
            agent,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    pub(crate) fn log(&self, line: impl FnOnce() -> String) {
        if let Some(log) = &self.cfg.log {
            log(&self.cfg.token.redact(&line()));
        }
    }

    pub(crate) fn redact(&self, s: &str) -> String {
        self.cfg.token.redact(s)
    }

    /// `CreateAssetGroup`: makes a group and returns its id. A retry after a
    /// lost reply first looks the name up, so it never makes a second group.
    pub fn create_group(&self, name: &str) -> Result<String, UploadError> {
        let body = Body::Json(to_vec(&json!({ "model": MODEL_IMAGE, "Name": name })));
        self.call(
            "CreateAssetGroup",
            &body,
            |r| self.parse_id("CreateAssetGroup", r),
            || Ok(self.find_group(name)?.map(|g| g.id)),
        )
    }

    /// The group named `name`, as chosen by the user: a stored name matches
    /// with or without the service's `[u-…]-[t-…]` isolation prefix. Lists
    /// every group (the service's name filter semantics are not documented)
    /// and compares exactly. Two matching groups are an error.
    pub fn find_group(&self, name: &str) -> Result<Option<Group>, UploadError> {
        let mut hits: Vec<Group> = self
            .list_groups()?
            .into_iter()
            .filter(|g| group_name_matches(&g.name, name))
            .collect();
        match hits.len() {
            0 => Ok(None),
            1 => Ok(hits.pop()),
            _ => Err(UploadError::AmbiguousGroup {
                name: name.to_string(),
                ids: hits.into_iter().map(|g| g.id).collect(),
            }),
        }
    }

    /// The group named `name`, made when none exists.
    pub fn find_or_create_group(&self, name: &str) -> Result<Group, UploadError> {
        if let Some(g) = self.find_group(name)? {
            return Ok(g);
        }
        let id = self.create_group(name)?;
        Ok(Group {
            id,
            name: name.to_string(),
            extra: BTreeMap::new(),
        })
    }

    /// `ListAssetGroups`, every page.
    pub fn list_groups(&self) -> Result<Vec<Group>, UploadError> {
        self.list_all("ListAssetGroups", json!({}), |g: &Group| g.id.clone())
    }

    /// `ListAssets` with `filter`, every page.
    pub fn list_assets(&self, filter: &AssetFilter) -> Result<Vec<Asset>, UploadError> {
        self.list_all("ListAssets", filter.to_json(), |a: &Asset| a.id.clone())
    }

    /// The asset of `group_id` named exactly `name` (`ListAssets` with
    /// `Filter.Name` and `Filter.GroupIds`).
    pub fn find_asset(&self, group_id: &str, name: &str) -> Result<Option<Asset>, UploadError> {
        let filter = AssetFilter {
            name: Some(name.to_string()),
            group_ids: vec![group_id.to_string()],
            ..AssetFilter::default()
        };
        Ok(self
            .list_assets(&filter)?
            .into_iter()
            .find(|a| a.name == name && (a.group_id.is_empty() || a.group_id == group_id)))
    }

    /// `GetAsset`.
    pub fn get_asset(&self, id: &str) -> Result<Asset, UploadError> {
        let body = Body::Json(to_vec(&json!({ "model": MODEL_IMAGE, "Id": id })));
        self.call(
            "GetAsset",
            &body,
            |r| self.parse_as::<Asset>("GetAsset", r),
            || Ok(None),
        )
    }

    /// Polls `GetAsset` for each id until every one is `Active` or `Failed`,
    /// or `timeout` has passed. Returns the last state of each, in the order
    /// of `ids`: any still `Processing` did not finish in time.
    pub fn wait_active(
        &self,
        ids: &[String],
        timeout: Duration,
    ) -> Result<Vec<Asset>, UploadError> {
        let deadline = Instant::now() + timeout;
        let mut last: Vec<Option<Asset>> = vec![None; ids.len()];
        loop {
            for (id, slot) in ids.iter().zip(last.iter_mut()) {
                if slot.as_ref().is_some_and(|a| a.status.is_final()) {
                    continue;
                }
                *slot = Some(self.get_asset(id)?);
            }
            let done = last
                .iter()
                .all(|a| a.as_ref().is_some_and(|a| a.status.is_final()));
            let now = Instant::now();
            if done || now >= deadline {
                return Ok(last.into_iter().flatten().collect());
            }
            std::thread::sleep(self.cfg.poll_interval.min(deadline - now));
        }
    }

    /// `CreateAsset` in `group_id` under `name` (use [`asset_name`](super::asset_name)
    /// for a deterministic one). A retry first looks `name` up in the group
    /// and returns the asset found instead of sending again.
    pub fn create_asset(
        &self,
        group_id: &str,
        name: &str,
        payload: Payload<'_>,
    ) -> Result<String, UploadError> {
        let file = payload.file();
        let ty = file.asset_type();
        let body = match payload {
            Payload::Url(url, _) => Body::Json(to_vec(&json!({
                "model": ty.model(), "GroupId": group_id, "Name": name,
                "AssetType": ty.as_str(), "URL": url,
            }))),
            Payload::DataUri(_) => Body::Json(self.data_uri_body(group_id, name, file)?),
            Payload::Multipart(_) => multipart_body(group_id, name, file),
        };
        self.call(
            "CreateAsset",
            &body,
            |r| self.parse_id("CreateAsset", r),
            || {
                let found = self.find_asset(group_id, name)?;
                if let Some(a) = &found {
                    self.log(|| {
                        format!(
                            "CreateAsset: {name} already exists as {}: not sending again",
                            a.id
                        )
                    });
                }
                Ok(found.map(|a| a.id))
            },
        )
    }

    fn data_uri_body(
        &self,
        group_id: &str,
        name: &str,
        file: &CheckedFile,
    ) -> Result<Vec<u8>, UploadError> {
        let prefix = format!("data:{};base64,", file.mime());
        let encoded = file.bytes().div_ceil(3).saturating_mul(4);
        // The JSON around the URL is small; 1 KiB covers it with a long name.
        let estimate =
            encoded + prefix.len() as u64 + name.len() as u64 + group_id.len() as u64 + 1024;
        if estimate > self.cfg.max_body_bytes {
            return Err(UploadError::TooLarge {
                path: file.path().to_path_buf(),
                bytes: file.bytes(),
                max: self.cfg.max_body_bytes,
            });
        }
        let mut f = file.open()?;
        let mut raw = Vec::new();
        raw.try_reserve_exact(file.bytes() as usize)
            .map_err(|_| UploadError::TooLarge {
                path: file.path().to_path_buf(),
                bytes: file.bytes(),
                max: self.cfg.max_body_bytes,
            })?;
        f.by_ref()
            .take(file.bytes())
            .read_to_end(&mut raw)
            .map_err(|source| UploadError::Io {
                path: file.path().to_path_buf(),
                source,
            })?;
        let mut url = prefix;
        base64::engine::general_purpose::STANDARD.encode_string(&raw, &mut url);
        drop(raw);
        let ty = file.asset_type();
        Ok(to_vec(&json!({
            "model": ty.model(), "GroupId": group_id, "Name": name,
            "AssetType": ty.as_str(), "URL": url,
        })))
    }

    fn list_all<T: for<'de> Deserialize<'de>>(
        &self,
        action: &'static str,
        filter: Value,
        id: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, UploadError> {
        let size = self.cfg.page_size.max(1);
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for page in 1..=MAX_PAGES {
            let body = Body::Json(to_vec(&json!({
                "model": MODEL_IMAGE, "PageNumber": page, "PageSize": size, "Filter": filter,
            })));
            let p: Page<T> = self.call(action, &body, |r| self.parse_as(action, r), || Ok(None))?;
            let n = p.items.len() as u64;
            for item in p.items {
                if seen.insert(id(&item)) {
                    out.push(item);
                }
            }
            let eff = p.page_size.filter(|&s| s > 0).unwrap_or(size as u64);
            let last = match p.total_count {
                Some(total) => n == 0 || u64::from(page).saturating_mul(eff) >= total,
                None => n < eff,
            };
            if last {
                break;
            }
        }
        Ok(out)
    }

    fn parse_id(&self, action: &'static str, r: &Reply) -> Result<String, UploadError> {
        match r.value.get("Id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(id.to_string()),
            _ => Err(UploadError::Unexpected {
                action,
                status: r.status,
                body_start: r.body_start.clone(),
            }),
        }
    }

    fn parse_as<T: for<'de> Deserialize<'de>>(
        &self,
        action: &'static str,
        r: &Reply,
    ) -> Result<T, UploadError> {
        T::deserialize(&r.value).map_err(|_| UploadError::Unexpected {
            action,
            status: r.status,
            body_start: r.body_start.clone(),
        })
    }

    /// Sends `body` until it succeeds, fails for good, or the attempts run
    /// out. Before every retry, `recover` may find that the first attempt
    /// did its work after all (a lost reply): its answer is returned instead.
    fn call<T>(
        &self,
        action: &'static str,
        body: &Body<'_>,
        parse: impl Fn(&Reply) -> Result<T, UploadError>,
        recover: impl FnMut() -> Result<Option<T>, UploadError>,
    ) -> Result<T, UploadError> {
        let maybe_done = std::cell::Cell::new(false);
        self.call_to(
            action,
            &Route::action(action),
            body,
            parse,
            recover,
            &maybe_done,
        )
    }

    /// `POST {base}{path}` with a JSON body (serialized as it is, keys in
    /// their order), for the APIs beside the asset API (the generation tasks
    /// of [`crate::generate`]); the reply's JSON object. With `resend` false
    /// (a call that is not idempotent, like creating a task) it is resent
    /// only when the first attempt surely did nothing; any other failure is
    /// returned at once. The error comes with whether the request may have
    /// been carried out all the same.
    pub(crate) fn post_json(
        &self,
        action: &'static str,
        path: &str,
        body: &impl Serialize,
        resend: bool,
    ) -> Result<Value, (UploadError, bool)> {
        let route = Route {
            get: false,
            path: path.to_string(),
            resend,
        };
        let body = Body::Json(serde_json::to_vec(body).unwrap_or_default());
        let maybe_done = std::cell::Cell::new(false);
        self.call_to(
            action,
            &route,
            &body,
            |r| Ok(r.value.clone()),
            || Ok(None),
            &maybe_done,
        )
        .map_err(|e| (e, maybe_done.get()))
    }

    /// `GET {base}{path}`, retried like every call; the reply's JSON object.
    pub(crate) fn get_json(&self, action: &'static str, path: &str) -> Result<Value, UploadError> {
        let route = Route {
            get: true,
            path: path.to_string(),
            resend: true,
        };
        self.call_to(
            action,
            &route,
            &Body::Empty,
            |r| Ok(r.value.clone()),
            || Ok(None),
            &std::cell::Cell::new(false),
        )
    }

    /// One `GET` of an absolute URL whose body the caller streams (a result
    /// download). The token goes only to the origin of the base URL; another
    /// host (a CDN with a signed URL) gets no `Authorization`, and may
    /// redirect (up to 5 times). `body_timeout` bounds reading the body.
    pub(crate) fn get_url(
        &self,
        url: &str,
        body_timeout: Duration,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let same_origin = origin(url).is_some_and(|o| Some(o) == origin(&self.base));
        self.log(|| {
            format!(
                "→ GET {}{}",
                url_for_log(url),
                if same_origin {
                    " (Authorization: Bearer ***)"
                } else {
                    ""
                }
            )
        });
        let req = self
            .agent
            .get(url)
            .config()
            .timeout_recv_body(Some(body_timeout))
            .max_redirects(if same_origin { 0 } else { 5 })
            .build();
        let req = if same_origin {
            req.header(
                "Authorization",
                format!("Bearer {}", self.cfg.token.expose()),
            )
        } else {
            req
        };
        req.call()
    }

    /// Sends `body` to `route` until it succeeds, fails for good, or the
    /// attempts run out (see [`Client::call`]). When a route that may not be
    /// resent stops after a failure that may have come after the service
    /// acted, `maybe_done` is set.
    fn call_to<T>(
        &self,
        action: &'static str,
        route: &Route,
        body: &Body<'_>,
        parse: impl Fn(&Reply) -> Result<T, UploadError>,
        mut recover: impl FnMut() -> Result<Option<T>, UploadError>,
        maybe_done: &std::cell::Cell<bool>,
    ) -> Result<T, UploadError> {
        let max = self.cfg.retry.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if attempt > 1 {
                if let Some(found) = recover()? {
                    return Ok(found);
                }
            }
            match self.send_once(action, route, body, attempt) {
                Attempt::Done(reply) => return parse(&reply),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Retry {
                    err, unsent: false, ..
                } if !route.resend => {
                    maybe_done.set(true);
                    return Err(err);
                }
                Attempt::Retry { err, after, .. } => {
                    if attempt >= max {
                        return Err(match err {
                            UploadError::Transport {
                                action, message, ..
                            } => UploadError::Transport {
                                action,
                                message,
                                attempts: attempt,
                            },
                            other => other,
                        });
                    }
                    if let Some(ra) = after {
                        if ra > self.cfg.retry.max_retry_after {
                            return Err(UploadError::RateLimited {
                                action,
                                retry_after_s: ra.as_secs(),
                                max_s: self.cfg.retry.max_retry_after.as_secs(),
                            });
                        }
                    }
                    let delay = self.cfg.retry.delay(attempt, after);
                    self.log(|| format!("{action}: {err}; retrying in {} ms", delay.as_millis()));
                    std::thread::sleep(delay);
                }
            }
        }
    }

    fn send_once(
        &self,
        action: &'static str,
        route: &Route,
        body: &Body<'_>,
        attempt: u32,
    ) -> Attempt {
        let url = format!("{}{}", self.base, route.path);
        let auth = format!("Bearer {}", self.cfg.token.expose());
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
                .header("Authorization", &auth)
                .header("Accept", "application/json")
                .call();
            return self.receive(action, attempt, started, sent);
        }
        let req = self
            .agent
            .post(&url)
            .header("Authorization", &auth)
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
                let reader = Cursor::new(head.clone())
                    .chain(f.take(file.bytes()))
                    .chain(Cursor::new(tail.clone()));
                req.header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header("Content-Length", body.len().to_string())
                .send(ureq::SendBody::from_owned_reader(reader))
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
    ) -> Attempt {
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let message = self.redact(&transport_message(&e));
                self.log(|| {
                    format!(
                        "← {action}: {message} after {} ms",
                        started.elapsed().as_millis()
                    )
                });
                let err = UploadError::Transport {
                    action,
                    message,
                    attempts: attempt,
                };
                return if transport_is_retryable(&e) {
                    Attempt::Retry {
                        err,
                        after: None,
                        unsent: transport_is_unsent(&e),
                    }
                } else {
                    Attempt::Fatal(err)
                };
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = match resp
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(e) => {
                let message = self.redact(&format!(
                    "HTTP {status}, reading the body: {}",
                    transport_message(&e)
                ));
                self.log(|| format!("← {action}: {message}"));
                return Attempt::Retry {
                    err: UploadError::Transport {
                        action,
                        message,
                        attempts: attempt,
                    },
                    after: None,
                    unsent: false,
                };
            }
        };
        let body_start = self.redact(&body_start(&bytes));
        self.log(|| {
            format!(
                "← HTTP {status} in {} ms ({} bytes): {body_start}",
                started.elapsed().as_millis(),
                bytes.len()
            )
        });
        self.classify(action, status, retry_after, &bytes, body_start)
    }

    fn classify(
        &self,
        action: &'static str,
        status: u16,
        retry_after: Option<Duration>,
        bytes: &[u8],
        body_start: String,
    ) -> Attempt {
        let value: Option<Value> = serde_json::from_slice(bytes).ok();
        let ok = (200..300).contains(&status);
        // In a 2xx reply only the envelope's error counts: a failed asset
        // carries its own `Error` object as data.
        let api = value
            .as_ref()
            .filter(|v| !ok || v.pointer("/ResponseMetadata/Error").is_some())
            .and_then(api_error)
            .map(|(code, message, request_id)| UploadError::Api {
                action,
                status,
                code: self.redact(&code),
                message: self.redact(&message),
                request_id: request_id.map(|r| self.redact(&r)),
            });
        let err = api.unwrap_or_else(|| UploadError::Unexpected {
            action,
            status,
            body_start: body_start.clone(),
        });
        match status {
            200..=299 => match value {
                Some(v @ Value::Object(_)) if !matches!(err, UploadError::Api { .. }) => {
                    Attempt::Done(Reply {
                        status,
                        value: unwrap_result(v),
                        body_start,
                    })
                }
                _ => Attempt::Fatal(err),
            },
            408 | 429 | 500..=599 => Attempt::Retry {
                err,
                after: retry_after,
                unsent: matches!(status, 429 | 503),
            },
            _ => Attempt::Fatal(err),
        }
    }
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(rename = "PageSize", default)]
    page_size: Option<u64>,
    #[serde(rename = "TotalCount", default)]
    total_count: Option<u64>,
    #[serde(rename = "Items")]
    items: Vec<T>,
}

fn to_vec(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
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
    let field = |a: &str, b: &str| {
        err.get(a).or_else(|| err.get(b)).map(|x| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string())
        })
    };
    let code = field("Code", "code").unwrap_or_default();
    let message = field("Message", "message").unwrap_or_default();
    if code.is_empty() && message.is_empty() {
        return None;
    }
    let rid = meta
        .and_then(|m| m.get("RequestId"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some((code, message, rid))
}

/// The first 200 characters of a body, control characters escaped.
fn body_start(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars();
    for c in chars.by_ref().take(BODY_START_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if chars.next().is_some() {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty body)");
    }
    out
}

/// `Retry-After` in seconds (the only form SPEC §5 names); an HTTP date or
/// garbage is ignored and the normal backoff applies.
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

fn transport_message(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::Io(io) => format!("connection error: {io}"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        other => other.to_string(),
    }
}

/// Whether a transport error surely came before the request reached the
/// service (so that even a call that is not idempotent may be resent).
fn transport_is_unsent(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Timeout(t) => matches!(t, ureq::Timeout::Resolve | ureq::Timeout::Connect),
        ureq::Error::Io(io) => io.kind() == std::io::ErrorKind::ConnectionRefused,
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

fn transport_is_retryable(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
    )
}

/// Whether a stored group name is the user's `wanted` name: equal, or equal
/// after the service's `[u-{user}]-[t-{token}]` isolation prefix (and one
/// `-`, `_` or space after it).
fn group_name_matches(stored: &str, wanted: &str) -> bool {
    if stored == wanted {
        return true;
    }
    match strip_group_prefix(stored) {
        Some(rest) => {
            rest == wanted
                || rest
                    .strip_prefix(['-', '_', ' '])
                    .is_some_and(|r| r == wanted && !wanted.is_empty())
        }
        None => false,
    }
}

/// The name after the service's `[u-…]-[t-…]` isolation prefix, or `None`
/// when there is no such prefix.
/// ```
/// use preflight_api::upload::strip_group_prefix;
/// assert_eq!(strip_group_prefix("[u-2100]-[t-77]refs"), Some("refs"));
/// assert_eq!(strip_group_prefix("refs"), None);
/// ```
pub fn strip_group_prefix(stored: &str) -> Option<&str> {
    let rest = stored.strip_prefix("[u-")?;
    let close = rest.find("]-[t-")?;
    let rest = rest.get(close + 5..)?;
    let end = rest.find(']')?;
    rest.get(end + 1..)
}

/// Percent-escapes `"`, CR and LF in a multipart `filename` (as the HTML
/// standard does).
fn quote_filename(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn multipart_body<'a>(group_id: &str, name: &str, file: &'a CheckedFile) -> Body<'a> {
    let boundary = format!(
        "preflight-{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    );
    let ty = file.asset_type();
    let mut head = Vec::new();
    for (k, v) in [
        ("model", ty.model()),
        ("GroupId", group_id),
        ("Name", name),
        ("AssetType", ty.as_str()),
    ] {
        head.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{}\r\n",
                v.replace(['\r', '\n'], " ")
            )
            .as_bytes(),
        );
    }
    let ext = file.format().extensions().first().copied().unwrap_or("bin");
    head.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}.{ext}\"\r\nContent-Type: {}\r\n\r\n",
            quote_filename(name),
            file.mime()
        )
        .as_bytes(),
    );
    let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
    Body::Multipart {
        file,
        boundary,
        head,
        tail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_prints() {
        let t = Token::new("sk-secret-123").unwrap();
        assert_eq!(format!("{t} {t:?}"), "*** Token(***)");
        assert_eq!(t.redact("a sk-secret-123 b"), "a *** b");
        let cfg = ClientConfig::new("http://127.0.0.1:1", t);
        let c = Client::new(cfg).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sk-secret"), "{dbg}");
        assert!(dbg.contains("***"));
        assert!(Token::new("").is_err());
        assert!(Token::new("a b").is_err());
        let e = Token::new("sk\nx").unwrap_err().to_string();
        assert!(!e.contains("sk"), "{e}");
    }

    #[test]
    fn base_url_is_validated() {
        let t = Token::new("k").unwrap();
        assert!(Client::new(ClientConfig::new("ftp://x", t.clone())).is_err());
        assert!(Client::new(ClientConfig::new("http://", t.clone())).is_err());
        let c = Client::new(ClientConfig::new("https://relay.example/api/", t)).unwrap();
        assert_eq!(&*c.base, "https://relay.example/api");
    }

    #[test]
    fn group_prefix() {
        assert_eq!(strip_group_prefix("[u-1]-[t-2]name"), Some("name"));
        assert_eq!(strip_group_prefix("[u-1]-[t-2]"), Some(""));
        assert_eq!(strip_group_prefix("[u-1]-[t-2"), None);
        assert_eq!(strip_group_prefix("[u-1][t-2]x"), None);
        assert!(group_name_matches("[u-1]-[t-2]refs", "refs"));
        assert!(group_name_matches("[u-1]-[t-2]-refs", "refs"));
        assert!(group_name_matches("refs", "refs"));
        assert!(!group_name_matches("[u-1]-[t-2]refs2", "refs"));
        assert!(!group_name_matches("xrefs", "refs"));
        assert!(!group_name_matches("[u-1]-[t-2]-", ""));
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
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(10),
        };
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
        let c = Client::new(ClientConfig::new(
            "http://127.0.0.1:1",
            Token::new("sk-7q").unwrap(),
        ))
        .unwrap();
        let classify = |status: u16, body: &str, ra: Option<u64>| {
            c.classify(
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
        // The token is scrubbed from what the service says.
        match classify(
            401,
            r#"{"Error":{"Code":"Auth","Message":"bad token sk-7q"}}"#,
            None,
        ) {
            Attempt::Fatal(e) => assert_eq!(e.to_string(), "A: HTTP 401 Auth: bad token ***"),
            _ => panic!("401 is final"),
        }
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
        assert!(transport_is_unsent(&ureq::Error::ConnectionFailed));
        assert!(transport_is_unsent(&ureq::Error::Timeout(
            ureq::Timeout::Connect
        )));
        assert!(!transport_is_unsent(&ureq::Error::Timeout(
            ureq::Timeout::RecvResponse
        )));
        assert!(!transport_is_unsent(&ureq::Error::Io(
            std::io::Error::from(std::io::ErrorKind::UnexpectedEof)
        )));
    }

    #[test]
    fn filenames_are_quoted() {
        assert_eq!(quote_filename("a\"b\r\nc"), "a%22b%0D%0Ac");
    }
}
