//! Uploading many checked files into one group, with bounded concurrency
//! and the manifest kept up to date after every upload.

use super::client::{AssetFilter, AssetStatus, Client, Payload};
use super::manifest::{now_unix, Entry, Intent, Manifest, ManifestError};
use super::{asset_name_within, hash_tag, name_has_hash, CheckedFile, UploadError};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most uploads in flight: the service allows 30 creations in progress per account.
pub const MAX_JOBS: usize = 30;

/// How the bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// `multipart/form-data`, the file streamed from disk (the default).
    #[default]
    Multipart,
    /// A `data:` URI inside the JSON body (small files only).
    DataUri,
}

/// How a batch runs: [`UploadOptions::new`], then the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadOptions {
    /// Payload form.
    pub mode: Mode,
    /// Uploads in flight at once (0 or 1: one at a time; at most [`MAX_JOBS`]).
    pub jobs: usize,
    /// Set to stop starting new uploads; those in flight finish and are recorded.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The circuit breaker: after this many consecutive transport failures
    /// (no answer, 5xx, 408) across the batch, no new upload starts and no
    /// call is retried; the files not sent end with
    /// [`UploadError::ServiceDown`]. 0 turns it off. Default 8.
    pub max_failures: u32,
    /// Longest wait for the in-flight creates of an earlier run (intents
    /// without a result in the manifest) to appear in the group before
    /// they are created again. Default 30 s.
    pub intent_wait: Duration,
    /// Most characters in a new asset's name as the client sends it: the
    /// service's 64 less its isolation prefix (see
    /// [`name_budget`](super::name_budget)). Default: for the assumed
    /// 30-character prefix.
    pub name_chars: usize,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            mode: Mode::default(),
            jobs: 1,
            cancel: None,
            max_failures: 8,
            intent_wait: Duration::from_secs(30),
            name_chars: super::name_budget(super::ASSUMED_PREFIX_CHARS),
        }
    }
}

impl UploadOptions {
    /// Multipart, one at a time, not cancellable, breaker at 8, 30 s for
    /// in-flight creates.
    pub fn new() -> UploadOptions {
        UploadOptions::default()
    }

    setters! {
        mode: Mode;
        jobs: usize;
        cancel: Some(Arc<AtomicBool>);
        max_failures: u32;
        intent_wait: Duration;
        name_chars: usize;
    }
}

/// What a group holds, by the hash tag that ends each asset's name:
/// `(id, name, status)`.
type Existing = HashMap<String, (String, String, AssetStatus)>;

fn list_existing(client: &Client, group_id: &str) -> Result<Existing, UploadError> {
    let filter = AssetFilter {
        group_ids: vec![group_id.to_string()],
        ..AssetFilter::default()
    };
    let mut existing = Existing::new();
    for a in client.list_assets(&filter)? {
        if let Some(tag) = a.name.get(a.name.len().saturating_sub(12)..) {
            existing
                .entry(tag.to_string())
                .or_insert((a.id, a.name, a.status));
        }
    }
    Ok(existing)
}

/// Whether a failed create may have made the asset all the same (the
/// request went out and no answer says it did not).
fn maybe_created(e: &UploadError) -> bool {
    matches!(
        e,
        UploadError::Transport { .. } | UploadError::ServiceDown { .. }
    ) || e.status().is_some_and(|s| s == 408 || s >= 500)
}

/// Where an uploaded file's asset id came from. (Exhaustive on purpose: a
/// new origin must be shown, so callers should have to handle it.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Created now.
    Created,
    /// Recorded in the manifest by an earlier run: nothing sent.
    Manifest,
    /// Already in the group under a name carrying the same content hash
    /// (an earlier run that could not record it): nothing sent.
    Existing,
}

/// One file that is in the group.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Uploaded {
    /// The asset id.
    pub asset_id: String,
    /// The asset name.
    pub name: String,
    /// BLAKE3 of the content.
    pub hash: String,
    /// Where the id came from.
    pub source: Source,
    /// Last known status.
    pub status: AssetStatus,
}

/// What happened to one file.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// The file.
    pub path: PathBuf,
    /// Its asset, or why it has none.
    pub result: Result<Uploaded, UploadError>,
}

/// Uploads `files` into `group_id` and returns one outcome per file, in the
/// order given; `on_done` sees each as it finishes (from worker threads).
///
/// - A file whose content hash the manifest records for this group is not
///   sent again.
/// - The group's assets are listed once: a file whose hash tag ends the
///   name of an asset already there is recorded, not sent (this heals a
///   manifest that missed an upload, e.g. after `kill -9` between the
///   service's reply and the manifest write).
/// - Files with identical content are uploaded once.
/// - Before each create, an intent is saved in the manifest; after it, the
///   entry. A file whose intent an earlier run left (killed while its create
///   was in flight) and whose asset is not in the group yet is waited for,
///   the group listed again with backoff for up to
///   [`UploadOptions::intent_wait`], before it is created.
/// - The bytes sent are hashed as they stream and must be the checked ones
///   ([`UploadError::ChangedWhileUploading`]).
/// - After [`UploadOptions::max_failures`] consecutive transport failures,
///   no new upload starts ([`UploadError::ServiceDown`]).
///
/// The caller holds the manifest's lock ([`Manifest::lock`]) for the run.
/// Fails as a whole only when the group cannot be listed (sending without
/// that check could make duplicates).
pub fn upload_files(
    client: &Client,
    group_id: &str,
    files: &[CheckedFile],
    manifest: &mut Manifest,
    opts: &UploadOptions,
    on_done: &(dyn Fn(&Outcome) + Sync),
) -> Result<Vec<Outcome>, UploadError> {
    // 1. Hash every file (in parallel; BLAKE3 is far faster than the network).
    let hashes: Vec<Result<String, UploadError>> = {
        use rayon::prelude::*;
        files.par_iter().map(CheckedFile::content_hash).collect()
    };
    let mut results: Vec<Option<Result<Uploaded, UploadError>>> =
        (0..files.len()).map(|_| None).collect();
    // 2. One primary file per distinct content; the others follow it.
    let mut primary_of: Vec<Option<usize>> = vec![None; files.len()];
    let mut first_by_hash: HashMap<&str, usize> = HashMap::new();
    let mut pending: Vec<usize> = Vec::new();
    let mut in_flight: Vec<String> = Vec::new();
    for (i, h) in hashes.iter().enumerate() {
        let hash = match h {
            Ok(h) => h,
            Err(_) => continue,
        };
        if let Some(&p) = first_by_hash.get(hash.as_str()) {
            primary_of[i] = Some(p);
            continue;
        }
        first_by_hash.insert(hash, i);
        if let Some(e) = manifest.find(group_id, hash) {
            results[i] = Some(Ok(Uploaded {
                asset_id: e.asset_id.clone(),
                name: e.name.clone(),
                hash: hash.clone(),
                source: Source::Manifest,
                status: AssetStatus::parse(&e.status),
            }));
        } else {
            if manifest.intent(group_id, hash).is_some() {
                in_flight.push(hash_tag(hash).to_string());
            }
            pending.push(i);
        }
    }
    // 3. What the group already holds, by hash tag.
    let mut existing = Existing::new();
    if !pending.is_empty() {
        existing = list_existing(client, group_id)?;
    }
    // 3b. Creates an earlier run left in flight: wait for them to appear.
    in_flight.retain(|tag| !existing.contains_key(tag));
    let deadline = Instant::now() + opts.intent_wait;
    let mut delay = Duration::from_millis(250);
    while !in_flight.is_empty() {
        let now = Instant::now();
        let cancelled = opts
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst));
        if now >= deadline || cancelled {
            break;
        }
        std::thread::sleep(delay.min(deadline - now));
        delay = (delay * 2).min(Duration::from_secs(5));
        existing = list_existing(client, group_id)?;
        in_flight.retain(|tag| !existing.contains_key(tag));
    }
    // Report what is known so far.
    let mut outcomes: Vec<Option<Outcome>> = (0..files.len()).map(|_| None).collect();
    let finish = |i: usize, result: Result<Uploaded, UploadError>| {
        let o = Outcome {
            path: files[i].path().to_path_buf(),
            result,
        };
        on_done(&o);
        o
    };
    let mut hashes_ok: Vec<String> = vec![String::new(); files.len()];
    for (i, h) in hashes.into_iter().enumerate() {
        match h {
            Err(e) => outcomes[i] = Some(finish(i, Err(e))),
            Ok(h) => {
                if let Some(r) = results[i].take() {
                    outcomes[i] = Some(finish(i, r));
                }
                hashes_ok[i] = h;
            }
        }
    }
    // 4. Upload the rest with bounded concurrency, behind the breaker.
    let (client, breaker) = client.with_breaker(opts.max_failures);
    let client = &client;
    let manifest = Mutex::new(manifest);
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Result<Uploaded, UploadError>)>> = Mutex::new(Vec::new());
    let jobs = opts.jobs.clamp(1, MAX_JOBS).min(pending.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = pending.get(k) else { break };
                let file = &files[i];
                let result = if opts
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::SeqCst))
                {
                    Err(UploadError::Cancelled)
                } else if breaker.is_open() {
                    Err(UploadError::ServiceDown {
                        failures: breaker.failures(),
                    })
                } else {
                    let hash = hashes_ok[i].as_str();
                    upload_one(client, group_id, file, hash, opts, &existing, &manifest)
                };
                let o = Outcome {
                    path: file.path().to_path_buf(),
                    result,
                };
                on_done(&o);
                if let Ok(mut d) = done.lock() {
                    d.push((i, o.result));
                }
            });
        }
    });
    for (i, r) in done.into_inner().unwrap_or_default() {
        outcomes[i] = Some(Outcome {
            path: files[i].path().to_path_buf(),
            result: r,
        });
    }
    // 5. Files with the same content as a primary share its outcome.
    for (i, p) in primary_of.iter().enumerate() {
        let Some(p) = *p else { continue };
        let result = match outcomes[p].as_ref().map(|o| &o.result) {
            Some(Ok(u)) => Ok(u.clone()),
            _ => Err(UploadError::SameContent {
                other: files[p].path().to_path_buf(),
            }),
        };
        outcomes[i] = Some(finish(i, result));
    }
    Ok(outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.unwrap_or_else(|| Outcome {
                path: files[i].path().to_path_buf(),
                result: Err(UploadError::Cancelled),
            })
        })
        .collect())
}

fn upload_one(
    client: &Client,
    group_id: &str,
    file: &CheckedFile,
    hash: &str,
    opts: &UploadOptions,
    existing: &HashMap<String, (String, String, AssetStatus)>,
    manifest: &Mutex<&mut Manifest>,
) -> Result<Uploaded, UploadError> {
    let mode = opts.mode;
    let name = asset_name_within(file.path(), hash, opts.name_chars);
    let (asset_id, name, source, status) = match existing.get(hash_tag(hash)) {
        Some((id, n, st)) if name_has_hash(n, hash) => {
            (id.clone(), n.clone(), Source::Existing, st.clone())
        }
        _ => {
            let payload = match (file.send_url(), mode) {
                // A remote object: the service fetches it (no byte through us).
                (Some(url), _) => Payload::Url(url, file),
                (None, Mode::Multipart) => Payload::Multipart(file),
                (None, Mode::DataUri) => Payload::DataUri(file),
            };
            // The intent is on disk before the request goes out.
            {
                let mut m = manifest.lock().unwrap_or_else(|p| p.into_inner());
                m.begin(Intent::new(hash, &name, group_id, file.path()));
                m.save()?;
            }
            let id = match client.create_asset(group_id, &name, payload) {
                Ok(id) => id,
                Err(e) => {
                    if !maybe_created(&e) {
                        let mut m = manifest.lock().unwrap_or_else(|p| p.into_inner());
                        if m.end(group_id, hash) {
                            // A stale intent only costs a re-run a wait.
                            let _ = m.save();
                        }
                    }
                    return Err(e);
                }
            };
            (id, name, Source::Created, AssetStatus::Processing)
        }
    };
    let entry = Entry {
        hash: hash.to_string(),
        bytes: file.bytes(),
        path: file.path().to_string_lossy().into_owned(),
        name: name.clone(),
        asset_id: asset_id.clone(),
        group_id: group_id.to_string(),
        asset_type: file.asset_type().as_str().to_string(),
        format: file.format().name().to_string(),
        duration_s: file.duration_s(),
        status: status.as_str().to_string(),
        uploaded_at: now_unix(),
        url: file
            .send_url()
            .map(|_| file.path().to_string_lossy().into_owned()),
        etag: file.validators().and_then(|v| v.etag.clone()),
        last_modified: file.validators().and_then(|v| v.last_modified.clone()),
    };
    {
        let mut m = manifest.lock().unwrap_or_else(|p| p.into_inner());
        m.record(entry);
        m.save().map_err(|e| UploadError::Manifest {
            path: m.path().to_path_buf(),
            source: ManifestError::NotRecorded {
                asset_id: asset_id.clone(),
                source: Box::new(e),
            },
        })?;
    }
    Ok(Uploaded {
        asset_id,
        name,
        hash: hash.to_string(),
        source,
        status,
    })
}
