//! The blocking client of the asset API (SPEC §5).
//!
//! Every call is `POST {base}/volc/asset/<Action>` with a JSON body (or a
//! multipart form for a streamed upload) and `Authorization: Bearer <token>`,
//! sent through the crate's one HTTP transport: retries, backoff,
//! `Retry-After`, error bodies and token scrubbing are described there and
//! in [`RetryPolicy`]. Redirects are not followed (a POST carrying the token
//! is never sent elsewhere).
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
use crate::transport::{
    Body, Breaker, Logger, Reply, RetryPolicy, Route, Timeouts, Token, Transport,
};
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything a [`Client`] needs. Made with [`ClientConfig::new`]; every
/// field may then be changed.
#[derive(Clone)]
#[non_exhaustive]
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
    /// Send the token over plain `http://` to another machine (off: such a
    /// base URL is refused with [`ConfigError::InsecureHttp`](crate::upload::ConfigError::InsecureHttp)).
    pub allow_insecure_http: bool,
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
            allow_insecure_http: false,
        }
    }

    /// Whether this configuration sends the token in clear text to another
    /// machine ([`sends_token_in_clear`](crate::upload::sends_token_in_clear)).
    pub fn sends_token_in_clear(&self) -> bool {
        crate::transport::sends_token_in_clear(&self.base_url)
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
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// Upper bound on pages followed by one list call, whatever `TotalCount`
/// says (a hostile server cannot keep us paging).
const MAX_PAGES: u64 = 1_000;

/// Longest id accepted from the service.
const MAX_ID_LEN: usize = 128;

/// Whether the service's id is one this client stores and prints: 1 to
/// 128 characters of `A-Z a-z 0-9 . _ -`.
/// ```
/// use preflight_api::upload::valid_id;
/// assert!(valid_id("asset-2026.01_x"));
/// assert!(!valid_id("asset-\x1b[2J"));
/// assert!(!valid_id(""));
/// ```
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A blocking client of the asset API. Cheap to clone; clones share the
/// connection pool and can be used from several threads.
#[derive(Clone)]
pub struct Client {
    cfg: Arc<ClientConfig>,
    transport: Transport,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("config", &self.cfg).finish()
    }
}

/// An asset group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Group {
    /// `group-…`.
    #[serde(rename = "Id")]
    pub id: String,
    /// The name as the service stores it (usually with the `[u-…]-[t-…]` prefix).
    #[serde(rename = "Name", default)]
    pub name: String,
    /// Ids of newer groups answering to the same name, when the service
    /// shows more than one ([`Client::find_group`] keeps the oldest).
    #[serde(skip)]
    pub also_named: Vec<String>,
    /// Every other field the service sent.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Where an asset is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
#[non_exhaustive]
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

/// The `Filter` of `ListAssets`; empty fields are left out. Made with
/// [`AssetFilter::new`] and the setters.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
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
    /// No filter: every asset.
    pub fn new() -> AssetFilter {
        AssetFilter::default()
    }

    setters! {
        name: Some(impl Into<String>);
        group_type: Some(impl Into<String>);
    }

    /// Adds a group id to [`AssetFilter::group_ids`].
    pub fn group_id(mut self, id: impl Into<String>) -> Self {
        self.group_ids.push(id.into());
        self
    }

    /// Adds a status to [`AssetFilter::statuses`].
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.statuses.push(status.into());
        self
    }

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
#[non_exhaustive]
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
    pub(crate) fn file(&self) -> &CheckedFile {
        match self {
            Payload::Url(_, f) | Payload::DataUri(f) | Payload::Multipart(f) => f,
        }
    }
}

impl Client {
    /// A client for `cfg`. Fails on a base URL that is not `http(s)://…`.
    pub fn new(cfg: ClientConfig) -> Result<Client, UploadError> {
        let transport = Transport::new(
            &cfg.base_url,
            cfg.token.clone(),
            cfg.timeouts,
            cfg.retry,
            cfg.log.clone(),
            cfg.allow_insecure_http,
        )?;
        Ok(Client {
            cfg: Arc::new(cfg),
            transport,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The HTTP transport (shared with the task client).
    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The same client (sharing the connection pool) whose calls stop once
    /// `threshold` consecutive transport failures were seen by any of them.
    pub(crate) fn with_breaker(&self, threshold: u32) -> (Client, Arc<Breaker>) {
        let breaker = Arc::new(Breaker::new(threshold));
        let c = Client {
            cfg: Arc::clone(&self.cfg),
            transport: self.transport.with_breaker(Arc::clone(&breaker)),
        };
        (c, breaker)
    }

    /// `CreateAssetGroup`: makes a group and returns its id. A retry after a
    /// lost reply first looks the name up, so it never makes a second group.
    pub fn create_group(&self, name: &str) -> Result<String, UploadError> {
        let body = Body::json(&json!({ "model": MODEL_IMAGE, "Name": name }));
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
    /// and compares exactly. When several match, the oldest is returned
    /// (by `CreateTime`, else the first listed) with the others' ids in
    /// [`Group::also_named`]: a duplicate made by a race never blocks later runs.
    pub fn find_group(&self, name: &str) -> Result<Option<Group>, UploadError> {
        let mut hits: Vec<(usize, Group)> = self
            .list_groups()?
            .into_iter()
            .filter(|g| group_name_matches(&g.name, name))
            .enumerate()
            .collect();
        let created = |g: &Group| {
            g.extra
                .get("CreateTime")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        hits.sort_by(|(i, a), (j, b)| match (created(a), created(b)) {
            (Some(x), Some(y)) => x.cmp(&y).then(i.cmp(j)),
            _ => i.cmp(j),
        });
        let mut hits = hits.into_iter().map(|(_, g)| g);
        let Some(mut oldest) = hits.next() else {
            return Ok(None);
        };
        oldest.also_named = hits.map(|g| g.id).collect();
        Ok(Some(oldest))
    }

    /// The group named `name`, made when none exists. After making it, the
    /// groups are listed again: when a concurrent run made one too, both
    /// use the oldest ([`Client::find_group`]). Two runs sharing a manifest
    /// never race here (they hold [`Manifest::lock`](crate::upload::Manifest::lock)).
    pub fn find_or_create_group(&self, name: &str) -> Result<Group, UploadError> {
        match self.find_group(name)? {
            Some(g) => Ok(g),
            None => self.create_group_and_find(name),
        }
    }

    /// Creates the group `name` (for a caller that has just looked it up
    /// and not found it), then lists the groups again: when another run
    /// created one of that name meanwhile, the oldest is the one (see
    /// [`Client::find_group`]).
    pub fn create_group_and_find(&self, name: &str) -> Result<Group, UploadError> {
        let id = self.create_group(name)?;
        match self.find_group(name)? {
            Some(g) => Ok(g),
            // Not listed yet: ours is the only one known.
            None => Ok(Group {
                id,
                name: name.to_string(),
                also_named: Vec::new(),
                extra: BTreeMap::new(),
            }),
        }
    }

    /// `ListAssetGroups`, every page.
    pub fn list_groups(&self) -> Result<Vec<Group>, UploadError> {
        self.list_all("ListAssetGroups", json!({}), |g: &Group| [&g.id, ""])
    }

    /// `ListAssets` with `filter`, every page.
    pub fn list_assets(&self, filter: &AssetFilter) -> Result<Vec<Asset>, UploadError> {
        self.list_all("ListAssets", filter.to_json(), |a: &Asset| {
            [&a.id, &a.group_id]
        })
    }

    /// How many assets match `filter` (the account's total with the
    /// default filter), by the `TotalCount` of one one-item page; `None`
    /// when the service does not say.
    pub fn count_assets(&self, filter: &AssetFilter) -> Result<Option<u64>, UploadError> {
        let body = Body::json(&json!({
            "model": MODEL_IMAGE, "PageNumber": 1, "PageSize": 1, "Filter": filter.to_json(),
        }));
        let p: Page<Asset> = self.call(
            "ListAssets",
            &body,
            |r| self.parse_as("ListAssets", r),
            || Ok(None),
        )?;
        Ok(p.total_count)
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
        let body = Body::json(&json!({ "model": MODEL_IMAGE, "Id": id }));
        self.call(
            "GetAsset",
            &body,
            |r| {
                let a = self.parse_as::<Asset>("GetAsset", r)?;
                self.check_ids("GetAsset", [a.id.as_str(), a.group_id.as_str()])?;
                Ok(a)
            },
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
        if !matches!(payload, Payload::Url(..)) {
            // The hash every byte sent is verified against.
            file.content_hash()?;
        }
        let body = match payload {
            Payload::Url(url, _) => Body::json(&json!({
                "model": ty.model(), "GroupId": group_id, "Name": name,
                "AssetType": ty.as_str(), "URL": url,
            })),
            Payload::DataUri(_) => self.data_uri_body(group_id, name, file)?,
            Payload::Multipart(_) => multipart_body(group_id, name, file),
        };
        self.call(
            "CreateAsset",
            &body,
            |r| self.parse_id("CreateAsset", r),
            || {
                let found = self.find_asset(group_id, name)?;
                if let Some(a) = &found {
                    self.transport.log(|| {
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
    ) -> Result<Body<'static>, UploadError> {
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
        let sent = blake3::hash(&raw).to_hex().to_string();
        let checked = file.content_hash()?;
        if sent != checked {
            return Err(file.changed_while_uploading(&sent));
        }
        let mut url = prefix;
        base64::engine::general_purpose::STANDARD.encode_string(&raw, &mut url);
        drop(raw);
        let ty = file.asset_type();
        Ok(Body::json(&json!({
            "model": ty.model(), "GroupId": group_id, "Name": name,
            "AssetType": ty.as_str(), "URL": url,
        })))
    }

    /// Every page of a list call. Stops at the last page by `TotalCount`
    /// (or at a short page when there is none), at a page that adds no
    /// item not seen before, and in any case after `TotalCount ÷ PageSize`
    /// pages of the first reply plus 2 (at most 1,000 pages).
    fn list_all<T: for<'de> Deserialize<'de>>(
        &self,
        action: &'static str,
        filter: Value,
        ids: impl Fn(&T) -> [&str; 2],
    ) -> Result<Vec<T>, UploadError> {
        let size = u64::from(self.cfg.page_size.max(1));
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut cap = MAX_PAGES;
        let mut page = 0u64;
        while page < cap {
            page += 1;
            let body = Body::json(&json!({
                "model": MODEL_IMAGE, "PageNumber": page, "PageSize": size, "Filter": filter,
            }));
            let p: Page<T> = self.call(action, &body, |r| self.parse_as(action, r), || Ok(None))?;
            let n = p.items.len() as u64;
            let mut added = 0u64;
            for item in p.items {
                let [id, other] = ids(&item);
                self.check_ids(action, [id, other])?;
                if seen.insert(id.to_string()) {
                    out.push(item);
                    added += 1;
                }
            }
            let eff = p.page_size.filter(|&s| s > 0).unwrap_or(size);
            if page == 1 {
                if let Some(total) = p.total_count {
                    cap = cap.min(total.div_ceil(eff).saturating_add(2));
                }
            }
            let last = added == 0
                || match p.total_count {
                    Some(total) => page.saturating_mul(eff) >= total,
                    None => n < eff,
                };
            if last {
                return Ok(out);
            }
        }
        self.transport
            .log(|| format!("{action}: stopped after {page} pages (the page cap)"));
        Ok(out)
    }

    /// Rejects a reply carrying an id that is not [`valid_id`] (an empty
    /// second id, such as an asset's missing `GroupId`, passes).
    fn check_ids<'a>(
        &self,
        action: &'static str,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), UploadError> {
        for (k, id) in ids.into_iter().enumerate() {
            if !(valid_id(id) || (k > 0 && id.is_empty())) {
                return Err(UploadError::BadId {
                    action,
                    id: self
                        .transport
                        .scrub(&id.chars().take(40).collect::<String>()),
                });
            }
        }
        Ok(())
    }

    /// `POST {base}/volc/asset/<action>` with the transport's retries; before
    /// every retry, `recover` may find that the first attempt did its work
    /// after all (a lost reply): its answer is returned instead.
    fn call<T>(
        &self,
        action: &'static str,
        body: &Body<'_>,
        parse: impl Fn(&Reply) -> Result<T, UploadError>,
        recover: impl FnMut() -> Result<Option<T>, UploadError>,
    ) -> Result<T, UploadError> {
        let route = Route::post(format!("/volc/asset/{action}"));
        self.transport
            .call(action, &route, body, parse, recover)
            .map_err(|(e, _)| e)
    }

    fn parse_id(&self, action: &'static str, r: &Reply) -> Result<String, UploadError> {
        match r.value.get("Id").and_then(Value::as_str) {
            Some(id) if valid_id(id) => Ok(id.to_string()),
            Some(id) => Err(UploadError::BadId {
                action,
                id: self
                    .transport
                    .scrub(&id.chars().take(40).collect::<String>()),
            }),
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
        // Every string of the reply is scrubbed of the token before it is kept.
        T::deserialize(&self.transport.redact_value(r.value.clone())).map_err(|_| {
            UploadError::Unexpected {
                action,
                status: r.status,
                body_start: r.body_start.clone(),
            }
        })
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

/// Whether a stored group name is the user's `wanted` name: equal, or equal
/// after the service's `[u-{user}]-[t-{token}]` isolation prefix (with or
/// without one `-`, `_` or space after it).
fn group_name_matches(stored: &str, wanted: &str) -> bool {
    if stored == wanted {
        return true;
    }
    match after_group_prefix(stored) {
        Some(rest) => {
            rest == wanted
                || rest
                    .strip_prefix(['-', '_', ' '])
                    .is_some_and(|r| r == wanted && !wanted.is_empty())
        }
        None => false,
    }
}

/// Everything after the service's `[u-…]-[t-…]` isolation prefix, the
/// separator included; `None` when there is no such prefix. Each bracket
/// holds a non-empty id without brackets.
fn after_group_prefix(stored: &str) -> Option<&str> {
    let id = |s: &str| !s.is_empty() && !s.contains(['[', ']']);
    let rest = stored.strip_prefix("[u-")?;
    let (user, rest) = rest.split_once("]-[t-")?;
    let (token, rest) = rest.split_once(']')?;
    (id(user) && id(token)).then_some(rest)
}

/// The name the user chose, after the service's `[u-…]-[t-…]` isolation
/// prefix and the one `-`, `_` or space the service may put after it;
/// `None` when there is no such prefix.
/// ```
/// use preflight_api::upload::strip_group_prefix;
/// assert_eq!(strip_group_prefix("[u-2100]-[t-77]refs"), Some("refs"));
/// assert_eq!(strip_group_prefix("[u-7001]-[t-42]-launch-refs"), Some("launch-refs"));
/// assert_eq!(strip_group_prefix("refs"), None);
/// ```
pub fn strip_group_prefix(stored: &str) -> Option<&str> {
    let rest = after_group_prefix(stored)?;
    Some(match rest.strip_prefix(['-', '_', ' ']) {
        Some(name) if !name.is_empty() => name,
        _ => rest,
    })
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
    fn the_token_never_prints_in_a_client() {
        let t = Token::new("sk-secret-123").unwrap();
        let c = Client::new(ClientConfig::new("http://127.0.0.1:1", t)).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("sk-secret"), "{dbg}");
        assert!(dbg.contains("***"));
        let e = Client::new(ClientConfig::new("ftp://x", Token::new("k").unwrap())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "configuration: base URL \"ftp://x\" must start with http:// or https://"
        );
    }

    #[test]
    fn group_prefix() {
        assert_eq!(strip_group_prefix("[u-1]-[t-2]name"), Some("name"));
        assert_eq!(strip_group_prefix("[u-1]-[t-2]"), Some(""));
        assert_eq!(strip_group_prefix("[u-1]-[t-2"), None);
        assert_eq!(strip_group_prefix("[u-1][t-2]x"), None);
        // Issue 14 bug 3: the separator after the prefix is not the name's.
        assert_eq!(
            strip_group_prefix("[u-7001]-[t-42]-launch-refs"),
            Some("launch-refs")
        );
        assert_eq!(strip_group_prefix("[u-7001]-[t-42]_refs"), Some("refs"));
        assert_eq!(strip_group_prefix("[u-7001]-[t-42] refs"), Some("refs"));
        assert_eq!(strip_group_prefix("[u-1]-[t-2]-"), Some("-"));
        assert_eq!(strip_group_prefix("[u-]-[t-2]x"), None);
        assert_eq!(strip_group_prefix("[u-1]-[t-]x"), None);
        assert!(group_name_matches(
            "[u-7001]-[t-42]-launch-refs",
            "launch-refs"
        ));
        assert!(group_name_matches("[u-1]-[t-2]--x", "-x"));
        assert!(group_name_matches("[u-1]-[t-2]refs", "refs"));
        assert!(group_name_matches("[u-1]-[t-2]-refs", "refs"));
        assert!(group_name_matches("refs", "refs"));
        assert!(!group_name_matches("[u-1]-[t-2]refs2", "refs"));
        assert!(!group_name_matches("xrefs", "refs"));
        assert!(!group_name_matches("[u-1]-[t-2]-", ""));
    }

    #[test]
    fn filenames_are_quoted() {
        assert_eq!(quote_filename("a\"b\r\nc"), "a%22b%0D%0Ac");
    }
}
