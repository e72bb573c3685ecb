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
use crate::transport::{Body, Logger, Reply, RetryPolicy, Route, Timeouts, Token, Transport};
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

/// Upper bound on pages followed by one list call (a hostile server cannot loop us).
const MAX_PAGES: u32 = 100_000;

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
        let body = Body::json(&json!({ "model": MODEL_IMAGE, "Id": id }));
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
        let mut url = prefix;
        base64::engine::general_purpose::STANDARD.encode_string(&raw, &mut url);
        drop(raw);
        let ty = file.asset_type();
        Ok(Body::json(&json!({
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
            let body = Body::json(&json!({
                "model": MODEL_IMAGE, "PageNumber": page, "PageSize": size, "Filter": filter,
            }));
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
