//! From URLs to sources: one HTTP client, one object store per bucket
//! (built from the usual environment of each cloud), listings of prefixes.

use crate::dns::{self, Lookup};
use crate::fetch::{store_message, transport_message, FetchError, Source};
use crate::{RemoteError, RemoteOptions};
use futures::stream::{self, BoxStream, StreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::path::Path as StorePath;
use object_store::signer::{Method, Signer};
use object_store::{BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// The longest a presigned URL can be valid: 7 days, SigV4's limit.
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// The schemes read from an object store, by the cloud that serves them.
const S3: &[&str] = &["s3", "s3a"];
const GCS: &[&str] = &["gs"];
const AZURE: &[&str] = &["az", "adl", "azure", "abfs", "abfss"];

/// `Some(url)` when `input` is a URL this crate reads (`http://`,
/// `https://`, `s3://`, `gs://`, `az://`, …), `None` for a local path (a
/// Windows drive letter is not a scheme).
pub fn is_remote(input: &str) -> Option<Url> {
    let url = Url::parse(input).ok()?;
    let s = url.scheme();
    let known = s == "http" || s == "https" || [S3, GCS, AZURE].iter().any(|l| l.contains(&s));
    (known && url.host_str().is_some_and(|h| !h.is_empty())).then_some(url)
}

/// The URL of the object `key` in the bucket of `base` (same scheme and
/// bucket).
pub fn object_url(base: &Url, key: &str) -> Url {
    let mut u = base.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.set_path(&format!("/{key}"));
    u
}

/// Most redirects an `http(s)://` input is followed through.
pub const MAX_REDIRECTS: usize = 5;

/// Why a redirect of an `http(s)://` input is not followed (`None`: it is),
/// given the URLs already visited (the input first) and the target:
/// - more than [`MAX_REDIRECTS`];
/// - from `https` to anything else: bytes asked for privately are not
///   fetched in the clear;
/// - from a public host to this machine or its network (an address that is
///   not [public](preflight::net::is_public), or `localhost`): a URL from
///   someone else must not reach through preflight what they cannot reach
///   themselves (a cloud's metadata service at 169.254.169.254, an admin
///   page on the local network). An input that names such a host itself is
///   the user's own choice, and its redirects are followed anywhere.
///
/// This judges a host as it is written; one *named* is judged by what it
/// resolves to when it is connected to (`crate::dns`): from an input whose
/// host is public, a name is reached at its public addresses only.
pub fn redirect_refused(previous: &[Url], to: &Url) -> Option<&'static str> {
    if previous.len() > MAX_REDIRECTS {
        return Some("more than 5 redirects");
    }
    if previous.last().is_some_and(|from| from.scheme() == "https") && to.scheme() != "https" {
        return Some("a redirect from https to another scheme");
    }
    if previous.first().is_some_and(|u| !internal(u)) && internal(to) {
        return Some("a redirect from a public host to an internal address");
    }
    None
}

/// An HTTP client for `http(s)://` inputs: redirects by
/// [`redirect_refused`], names looked up by `lookup` (to their public
/// addresses only with `public_only`).
fn http_client(
    opts: &RemoteOptions,
    lookup: Lookup,
    public_only: bool,
) -> Result<reqwest::Client, RemoteError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::custom(
            |attempt| match redirect_refused(attempt.previous(), attempt.url()) {
                Some(why) => attempt.error(why),
                None => attempt.follow(),
            },
        ))
        .user_agent(concat!("preflight/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(opts.timeout)
        .read_timeout(opts.timeout)
        .pool_max_idle_per_host(opts.concurrency.max(1))
        .dns_resolver(Arc::new(dns::Resolver {
            lookup,
            public_only,
        }))
        .build()
        .map_err(|e| RemoteError::Url(format!("cannot set up HTTP: {e}")))
}

/// Whether a URL's host is this machine or a non-public address.
fn internal(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(a)) => !preflight::net::is_public(a.into()),
        Some(url::Host::Ipv6(a)) => !preflight::net::is_public(a.into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => true,
    }
}

/// The HTTP clients and the object stores met so far (one per bucket).
pub struct Stores {
    opts: RemoteOptions,
    /// For inputs whose host is internal, as written or as resolved: the
    /// user's own choice; their redirects go anywhere.
    http: reqwest::Client,
    /// For inputs whose host is public: every host it meets, its own and
    /// each redirect's, is reached at its public addresses only
    /// ([`dns::Resolver`]).
    http_public: reqwest::Client,
    lookup: Lookup,
    /// Input host names looked up so far: whether each resolves inside.
    origins: Mutex<HashMap<String, bool>>,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

/// Most input host names whose lookup is kept (then the memo starts over).
const MAX_ORIGINS: usize = 10_000;

type Listing = BoxStream<'static, Result<(Url, u64), (Url, String)>>;

impl Stores {
    /// Sets up the HTTP clients (rustls with `ring`).
    pub fn new(opts: &RemoteOptions) -> Result<Stores, RemoteError> {
        Stores::with_lookup(opts, dns::system_lookup())
    }

    /// [`Stores::new`] with host names looked up by `lookup`.
    pub(crate) fn with_lookup(opts: &RemoteOptions, lookup: Lookup) -> Result<Stores, RemoteError> {
        crate::install_crypto_provider();
        Ok(Stores {
            opts: opts.clone(),
            http: http_client(opts, lookup.clone(), false)?,
            http_public: http_client(opts, lookup.clone(), true)?,
            lookup,
            origins: Mutex::new(HashMap::new()),
            stores: Mutex::new(HashMap::new()),
        })
    }

    /// The client for the `http(s)://` input `url`, by where its host is.
    async fn http_for(&self, url: &Url) -> &reqwest::Client {
        let inside = match url.host() {
            Some(url::Host::Domain(d)) if !internal(url) => {
                let host = d.trim_end_matches('.').to_ascii_lowercase();
                let known = self.origins.lock().ok().and_then(|m| m.get(&host).copied());
                match known {
                    Some(inside) => inside,
                    None => {
                        let inside =
                            dns::resolves_internal(&self.lookup, &host, self.opts.timeout).await;
                        if let Ok(mut m) = self.origins.lock() {
                            if m.len() >= MAX_ORIGINS {
                                m.clear();
                            }
                            m.insert(host, inside);
                        }
                        inside
                    }
                }
            }
            _ => internal(url),
        };
        if inside {
            &self.http
        } else {
            &self.http_public
        }
    }

    /// The store serving `url`'s bucket, built on first use.
    pub fn store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>, RemoteError> {
        // The bucket (or container, and for abfss://container@account… the
        // account too): one store each.
        let key = format!(
            "{}://{}@{}",
            url.scheme(),
            url.username(),
            url.host_str().unwrap_or("")
        );
        let mut map = self
            .stores
            .lock()
            .map_err(|_| RemoteError::Url("store cache poisoned".into()))?;
        if let Some(s) = map.get(&key) {
            return Ok(s.clone());
        }
        let store = self.build(url)?;
        map.insert(key, store.clone());
        Ok(store)
    }

    /// Retries of a store's requests, from the options.
    fn retry(&self) -> RetryConfig {
        let o = &self.opts;
        RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: o.retries as usize,
            retry_timeout: o.timeout * (o.retries + 1),
        }
    }

    /// Whether plain HTTP is allowed for a store whose endpoint is
    /// `endpoint`: an `http://` endpoint, given or read from the
    /// environment (`AWS_ENDPOINT_URL`, `AZURE_STORAGE_ENDPOINT`,
    /// `GOOGLE_BASE_URL`, `STORAGE_EMULATOR_HOST`), is one the user chose.
    fn http_ok(&self, endpoint: Option<String>) -> bool {
        self.opts.allow_http || endpoint.is_some_and(|e| e.starts_with("http://"))
    }

    /// A store's HTTP client options.
    fn client(&self, allow_http: bool) -> ClientOptions {
        ClientOptions::new()
            .with_connect_timeout(self.opts.timeout)
            .with_timeout(self.opts.timeout)
            .with_allow_http(allow_http)
    }

    fn build(&self, url: &Url) -> Result<Arc<dyn ObjectStore>, RemoteError> {
        let o = &self.opts;
        let retry = self.retry();
        let http_ok = |endpoint| self.http_ok(endpoint);
        let client = |allow_http| self.client(allow_http);
        let bucket_url = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
        let s = url.scheme();
        let err = |e: object_store::Error| RemoteError::Url(store_message(&e));
        let store: Arc<dyn ObjectStore> = if S3.contains(&s) {
            Arc::new(self.s3(url)?)
        } else if GCS.contains(&s) {
            let mut b = GoogleCloudStorageBuilder::from_env()
                .with_url(bucket_url)
                .with_retry(retry);
            if let Some(e) = &o.endpoint_url {
                b = b.with_base_url(e.trim_end_matches('/'));
            } else if let Some(base) = gcs_emulator() {
                // The Google SDKs' emulator convention: that host, and no
                // credentials (an emulator checks none).
                b = b.with_base_url(&base).with_skip_signature(true);
            }
            let allow_http = http_ok(b.get_config_value(&GoogleConfigKey::BaseUrl));
            Arc::new(
                b.with_client_options(client(allow_http))
                    .build()
                    .map_err(err)?,
            )
        } else if AZURE.contains(&s) {
            // With AZURE_STORAGE_USE_EMULATOR=true object_store reads
            // Azurite at AZURITE_BLOB_STORAGE_URL (http://127.0.0.1:10000)
            // with its development account.
            let mut b = MicrosoftAzureBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(retry);
            if let Some(e) = &o.endpoint_url {
                b = b.with_endpoint(e.clone());
            }
            let allow_http = http_ok(b.get_config_value(&AzureConfigKey::Endpoint));
            b = b
                .with_allow_http(allow_http)
                .with_client_options(client(allow_http));
            Arc::new(b.build().map_err(err)?)
        } else {
            return Err(RemoteError::Url(format!(
                "{s}:// is not an object store URL"
            )));
        };
        Ok(store)
    }

    /// The S3 store of `url`'s bucket, from the environment and the options.
    fn s3(&self, url: &Url) -> Result<AmazonS3, RemoteError> {
        let mut b = AmazonS3Builder::from_env()
            .with_url(format!(
                "{}://{}",
                url.scheme(),
                url.host_str().unwrap_or("")
            ))
            .with_retry(self.retry());
        if let Some(e) = &self.opts.endpoint_url {
            b = b.with_endpoint(e);
        }
        let allow_http = self.http_ok(b.get_config_value(&AmazonS3ConfigKey::Endpoint));
        b.with_allow_http(allow_http)
            .with_client_options(self.client(allow_http))
            .build()
            .map_err(|e| RemoteError::Url(store_message(&e)))
    }

    /// A presigned `GET` URL of the S3 object at `url` (`s3://bucket/key`),
    /// valid for `expires` (at most [`MAX_PRESIGN`], SigV4's limit), signed
    /// with the credentials of the environment. Signing is local: no request
    /// is sent. (A URL signed with temporary credentials stops working when
    /// they expire, whatever `expires` says.)
    pub async fn presign_get(&self, url: &Url, expires: Duration) -> Result<Url, RemoteError> {
        if !S3.contains(&url.scheme()) {
            return Err(RemoteError::Url(format!(
                "{}:// objects cannot be presigned here (only s3://)",
                url.scheme()
            )));
        }
        if expires.is_zero() || expires > MAX_PRESIGN {
            return Err(RemoteError::Url(format!(
                "a presigned URL is valid for 1 s to 7 days (SigV4), not {} s",
                expires.as_secs()
            )));
        }
        let key = key_of(url)?;
        if key.as_ref().is_empty() || url.path().ends_with('/') {
            return Err(RemoteError::Url(
                "a presigned URL names one object, not a prefix".into(),
            ));
        }
        self.s3(url)?
            .signed_url(Method::GET, &key, expires)
            .await
            .map_err(|e| RemoteError::Url(format!("cannot presign: {}", store_message(&e))))
    }

    /// Downloads the whole object at `url` into `dest`, at most `cap`
    /// bytes (more is an error, and what was written is partial: the
    /// caller throws it away). With `etag` (the one its check saw), an
    /// object whose ETag is no longer that one is refused
    /// ([`FetchError::Changed`]): what is downloaded is what was checked.
    /// Returns the bytes written.
    pub async fn download(
        &self,
        url: &Url,
        etag: Option<&str>,
        cap: u64,
        dest: &mut (dyn std::io::Write + Send),
    ) -> Result<u64, RemoteError> {
        let mut body: BoxStream<'static, Result<bytes::Bytes, FetchError>> = match url.scheme() {
            "http" | "https" => {
                let mut req = self.http_for(url).await.get(url.clone());
                // If-Match compares strongly: a weak ETag never matches.
                if let Some(e) = etag.filter(|e| !e.starts_with("W/")) {
                    req = req.header(reqwest::header::IF_MATCH, e);
                }
                let resp = req.send().await.map_err(|e| {
                    RemoteError::Fetch(FetchError::Transport(transport_message(&e)))
                })?;
                let status = resp.status().as_u16();
                if status == 412 {
                    return Err(FetchError::Changed("its ETag changed".into()).into());
                }
                if status == 404 || status == 410 {
                    return Err(FetchError::NotFound.into());
                }
                if status != 200 {
                    return Err(FetchError::Status { status }.into());
                }
                let got = resp.headers().get("etag").and_then(|v| v.to_str().ok());
                if let (Some(want), Some(got)) = (etag, got) {
                    if want != got {
                        return Err(FetchError::Changed(format!(
                            "ETag {want} when checked, {got} now"
                        ))
                        .into());
                    }
                }
                if resp.content_length().is_some_and(|n| n > cap) {
                    return Err(RemoteError::Url(format!(
                        "larger than the {cap}-byte download cap"
                    )));
                }
                resp.bytes_stream()
                    .map(|r| r.map_err(|e| FetchError::Transport(e.without_url().to_string())))
                    .boxed()
            }
            _ => {
                let store = self.store(url)?;
                let options = object_store::GetOptions {
                    if_match: etag.map(str::to_string),
                    ..object_store::GetOptions::default()
                };
                let got = match store.get_opts(&key_of(url)?, options).await {
                    Ok(g) => g,
                    Err(object_store::Error::NotFound { .. }) => {
                        return Err(FetchError::NotFound.into())
                    }
                    Err(object_store::Error::Precondition { .. }) => {
                        return Err(FetchError::Changed("its ETag changed".into()).into())
                    }
                    Err(e) => return Err(FetchError::Transport(store_message(&e)).into()),
                };
                if got.meta.size > cap {
                    return Err(RemoteError::Url(format!(
                        "larger than the {cap}-byte download cap"
                    )));
                }
                got.into_stream()
                    .map(|r| r.map_err(|e| FetchError::Transport(store_message(&e))))
                    .boxed()
            }
        };
        let mut n = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            n += chunk.len() as u64;
            if n > cap {
                return Err(RemoteError::Url(format!(
                    "larger than the {cap}-byte download cap"
                )));
            }
            dest.write_all(&chunk)
                .map_err(|e| RemoteError::Url(format!("cannot write the download: {e}")))?;
        }
        Ok(n)
    }

    /// Where the object at `url` is read from.
    pub(crate) async fn source(&self, url: &Url, size: Option<u64>) -> Result<Source, RemoteError> {
        match url.scheme() {
            "http" | "https" => Ok(Source::Http {
                client: self.http_for(url).await.clone(),
                url: url.clone(),
            }),
            _ => Ok(Source::Store {
                store: self.store(url)?,
                path: key_of(url)?,
                size,
            }),
        }
    }

    /// `Some(listing)` when `url` names a prefix of a store (a bucket, a
    /// path ending in `/`, or a key that is no object but prefixes some);
    /// `None` for one object or an HTTP URL.
    pub(crate) fn listing(&self, url: &Url) -> Result<Option<Listing>, RemoteError> {
        if matches!(url.scheme(), "http" | "https") {
            return Ok(None);
        }
        let store = self.store(url)?;
        let key = key_of(url)?;
        let base = url.clone();
        let is_prefix = url.path().is_empty() || url.path().ends_with('/');
        if is_prefix {
            return Ok(Some(list(store, key, base)));
        }
        // One object, or a prefix written without its slash: a HEAD tells.
        let one = stream::once(async move {
            match store.head(&key).await {
                Ok(meta) => stream::iter([Ok((base, meta.size))]).boxed(),
                Err(object_store::Error::NotFound { .. }) => list(store, key, base),
                Err(e) => stream::iter([Err((base, store_message(&e)))]).boxed(),
            }
        })
        .flatten()
        .boxed();
        Ok(Some(one))
    }
}

/// The base URL of a GCS emulator named by `STORAGE_EMULATOR_HOST` (the
/// variable of Google's client libraries).
fn gcs_emulator() -> Option<String> {
    emulator_base(&std::env::var("STORAGE_EMULATOR_HOST").ok()?)
}

/// `host:port` as `http://host:port`; a URL as it is (without a final `/`);
/// nothing for an empty value.
fn emulator_base(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('/');
    if host.is_empty() {
        return None;
    }
    Some(if host.contains("://") {
        host.to_string()
    } else {
        format!("http://{host}")
    })
}

/// The object key of a store URL (percent-decoded, without the bucket).
fn key_of(url: &Url) -> Result<StorePath, RemoteError> {
    let p = url.path().trim_start_matches('/');
    StorePath::from_url_path(p).map_err(|e| RemoteError::Url(format!("bad object key: {e}")))
}

fn list(store: Arc<dyn ObjectStore>, prefix: StorePath, base: Url) -> Listing {
    let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
    let at = base.clone();
    store
        .list(prefix.as_ref())
        .map(move |r| match r {
            Ok(meta) => Ok((object_url(&base, meta.location.as_ref()), meta.size)),
            Err(e) => Err((at.clone(), format!("cannot list: {}", store_message(&e)))),
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    #[test]
    fn redirects_stay_on_https_and_out_of_internal_networks() {
        let u = |s: &str| Url::parse(s).unwrap();
        let refused = |chain: &[&str], to: &str| {
            let chain: Vec<Url> = chain.iter().map(|s| u(s)).collect();
            redirect_refused(&chain, &u(to))
        };
        // Followed: https to https anywhere public, http up to https, and
        // anything from an input that names an internal host itself.
        for (from, to) in [
            ("https://cdn.example/a", "https://other.example/b"),
            ("http://cdn.example/a", "https://cdn.example/a"),
            ("http://127.0.0.1:8080/a", "http://127.0.0.1:8081/b"),
            ("http://10.0.0.5/a", "http://192.168.1.9/b"),
        ] {
            assert_eq!(refused(&[from], to), None, "{from} -> {to}");
        }
        // Refused: a downgrade, and a public host sending us inside.
        for to in [
            "http://cdn.example/a",
            "https://127.0.0.1/x",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.1.2.3/x",
            "https://[::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://localhost/x",
            "https://admin.localhost./x",
        ] {
            assert!(refused(&["https://cdn.example/a"], to).is_some(), "{to}");
        }
        // A chain is judged by where it started.
        assert!(refused(
            &["https://cdn.example/a", "https://other.example/b"],
            "https://10.0.0.1/c"
        )
        .is_some());
        // At most five redirects.
        let five = ["https://h.example/0"; 5];
        assert_eq!(refused(&five, "https://h.example/5"), None);
        let six = ["https://h.example/0"; 6];
        assert!(refused(&six, "https://h.example/6").is_some());
    }

    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A server on 127.0.0.1 that answers `/moved` with a redirect to
    /// `location` and anything else with 200 and 100 bytes; counts the
    /// requests it gets.
    fn server(location: impl Fn(u16) -> String + Send + 'static) -> (u16, Arc<AtomicUsize>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut line = String::new();
                let mut r = BufReader::new(conn.try_clone().unwrap());
                if r.read_line(&mut line).is_err() {
                    continue;
                }
                while let Ok(n) = r.read_line(&mut String::new()) {
                    if n <= 2 {
                        break;
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let reply = if line.starts_with("GET /moved ") {
                    format!(
                        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        location(port)
                    )
                    .into_bytes()
                } else {
                    let mut v =
                        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
                            .to_vec();
                    v.extend([7u8; 100]);
                    v
                };
                let _ = conn.write_all(&reply);
            }
        });
        (port, hits)
    }

    fn download(stores: &Stores, url: &str) -> Result<Vec<u8>, String> {
        let rt = dns::tests::runtime();
        let mut out = Vec::new();
        rt.block_on(stores.download(&Url::parse(url).unwrap(), None, 1 << 20, &mut out))
            .map(|_| out)
            .map_err(|e| e.to_string())
    }

    /// An input host that is internal as resolved is the user's choice, as
    /// one written so; so are the names its redirects lead to.
    #[test]
    fn names_that_resolve_inside_are_reached_from_inputs_inside() {
        let lookup =
            dns::tests::table(&[("media.test", &["127.0.0.1"]), ("cdn.test", &["127.0.0.1"])]);
        let stores = Stores::with_lookup(&RemoteOptions::default(), lookup).unwrap();
        let (port, hits) = server(|port| format!("http://cdn.test:{port}/b"));
        assert_eq!(
            download(&stores, &format!("http://media.test:{port}/a")).unwrap(),
            [7; 100]
        );
        assert_eq!(
            download(&stores, &format!("http://127.0.0.1:{port}/moved")).unwrap(),
            [7; 100]
        );
        assert_eq!(
            download(&stores, &format!("http://media.test:{port}/moved")).unwrap(),
            [7; 100]
        );
        assert_eq!(hits.load(Ordering::SeqCst), 5);
    }

    /// DNS rebinding: the input's name answers a public address when it is
    /// judged and 127.0.0.1 when the connection is made; the connection is
    /// not made, the error says why, and it is not retried.
    #[test]
    fn a_public_name_that_rebinds_inside_is_not_connected_to() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let lookup: Lookup = Arc::new(move |host: String| {
            let first = c.fetch_add(1, Ordering::SeqCst) == 0;
            Box::pin(async move {
                assert_eq!(host, "rebind.test");
                let ip = if first { "93.184.216.34" } else { "127.0.0.1" };
                Ok(vec![ip.parse().unwrap()])
            })
        });
        let opts = RemoteOptions::default();
        let stores = Stores::with_lookup(&opts, lookup).unwrap();
        let (port, hits) = server(|_| String::new());
        let url = format!("http://rebind.test:{port}/a.mp3");
        let e = download(&stores, &url).unwrap_err();
        assert!(
            e.contains("rebind.test resolves only to internal addresses"),
            "{e}"
        );
        // The probe path: one request, no retries.
        let rt = dns::tests::runtime();
        let probed = rt.block_on(crate::probe_url_with(
            &stores,
            &Url::parse(&url).unwrap(),
            &opts,
        ));
        let e = probed.result.unwrap_err().to_string();
        assert!(
            e.contains("rebind.test resolves only to internal addresses"),
            "{e}"
        );
        assert_eq!((probed.stats.requests, probed.stats.retries), (1, 0));
        assert_eq!(hits.load(Ordering::SeqCst), 0);
        // Judged once (memo), then looked up at each connection.
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn remote_inputs() {
        for s in [
            "https://h/a.mp4",
            "http://127.0.0.1:8080/x",
            "s3://bucket/prefix/",
            "gs://b/k.jpg",
            "az://container/k",
        ] {
            assert!(is_remote(s).is_some(), "{s}");
        }
        for s in [
            "clip.mp4",
            "/tmp/a.jpg",
            "C:\\media\\a.jpg",
            "file:///tmp/a",
            "s3:/x",
            "dir/s3://x",
        ] {
            assert!(is_remote(s).is_none(), "{s}");
        }
    }

    #[test]
    fn emulator_hosts() {
        assert_eq!(
            emulator_base("127.0.0.1:4443").as_deref(),
            Some("http://127.0.0.1:4443")
        );
        assert_eq!(
            emulator_base("https://gcs.local:8443/").as_deref(),
            Some("https://gcs.local:8443")
        );
        assert_eq!(emulator_base(" "), None);
    }

    #[test]
    fn object_urls_and_keys() {
        let base = Url::parse("s3://bucket/pre/").unwrap();
        let u = object_url(&base, "pre/a b.mp4");
        assert_eq!(u.as_str(), "s3://bucket/pre/a%20b.mp4");
        assert_eq!(key_of(&u).unwrap().as_ref(), "pre/a b.mp4");
        assert_eq!(
            key_of(&Url::parse("s3://bucket").unwrap())
                .unwrap()
                .as_ref(),
            ""
        );
    }
}
