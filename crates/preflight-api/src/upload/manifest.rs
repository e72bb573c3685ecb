//! The upload manifest: what was uploaded where, so that a re-run resumes.
//!
//! A JSON file (`preflight-manifest.json` by default) holding one entry per
//! uploaded content and group: the BLAKE3 hash of the file, its size, path,
//! asset name, asset id, group id, type, duration and last known status.
//! It is rewritten atomically ([`preflight::fs::write_atomic`]: a temporary
//! file in the same folder, flushed to disk, then renamed over the old one)
//! after every finished upload, so a
//! crash or `kill -9` at any moment leaves either the previous or the next
//! complete manifest, never a torn one, and never loses a finished upload.
//!
//! ```json
//! {
//!   "version": 1,
//!   "hash": "blake3",
//!   "entries": [
//!     { "hash": "9f2c…", "bytes": 48213, "path": "refs/cat.jpg", "name": "cat-9f2c4e1d0a7b",
//!       "asset_id": "asset-…", "group_id": "group-…", "asset_type": "Image",
//!       "format": "jpeg", "duration_s": null, "status": "Active", "uploaded_at": 1767225600 }
//!   ]
//! }
//! ```
//!
//! Before each `CreateAsset` the batch records an *intent* (hash, name,
//! group, path) in `"intents"`, saved before the request goes out, and
//! replaces it by the entry once the id is back. A run killed in between
//! leaves the intent: the next run looks the name up and waits for an
//! in-flight create to appear before creating anything
//! ([`upload_files`](super::upload_files)).
//!
//! One run at a time: [`ManifestLock`] is an advisory lock on
//! `<manifest>.lock` held for the whole run (the manifest itself is replaced
//! on every save, so it cannot carry the lock). The lock file is left in
//! place: removing it would let a third run lock a file another still waits on.

use super::UploadError;
use fs4::fs_std::FileExt as _;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The manifest's file name in the current folder unless `--manifest` says otherwise.
pub const DEFAULT_FILE: &str = "preflight-manifest.json";

const VERSION: u32 = 1;
const HASH_NAME: &str = "blake3";

/// What went wrong with the manifest file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// It could not be read.
    #[error("cannot read: {0}")]
    Read(#[source] io::Error),
    /// It is not JSON of a manifest.
    #[error("not a preflight manifest: {0}")]
    Parse(#[source] serde_json::Error),
    /// A manifest of another version or hash.
    #[error("version {version} with {hash} hashes is not supported (this preflight writes version {VERSION}, {HASH_NAME})")]
    Version {
        /// Its `version`.
        version: u32,
        /// Its `hash`.
        hash: String,
    },
    /// It could not be written.
    #[error("cannot write: {0}")]
    Write(#[source] io::Error),
    /// Another run holds the lock and `--no-wait-lock` was given.
    #[error("another preflight run is using it (lock {})", .lock.display())]
    Locked {
        /// The lock file.
        lock: PathBuf,
    },
    /// An asset was created, but saving the manifest that records it failed.
    #[error("asset {asset_id} was created but could not be recorded ({source}); a re-run finds it by name")]
    NotRecorded {
        /// The asset created.
        asset_id: String,
        /// The failed save.
        source: Box<UploadError>,
    },
}

/// One uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Entry {
    /// BLAKE3 of the content, 64 lowercase hex digits.
    pub hash: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The path it was uploaded from.
    pub path: String,
    /// The asset name (see [`asset_name`](super::asset_name)).
    pub name: String,
    /// The asset id.
    pub asset_id: String,
    /// The group it is in.
    pub group_id: String,
    /// `Image`, `Video` or `Audio`.
    pub asset_type: String,
    /// The sniffed format (`jpeg`, `mp4`, …).
    pub format: String,
    /// Duration in seconds (video and audio).
    pub duration_s: Option<f64>,
    /// Last known status (`Processing`, `Active`, `Failed`).
    pub status: String,
    /// When it was recorded, in seconds since 1970.
    pub uploaded_at: u64,
    /// A remote object created by URL: the URL it was checked at
    /// (`https://…`, `s3://bucket/key`; never a presigned URL). Its
    /// [`Entry::hash`] is then [`remote_key`](super::remote_key) of this
    /// URL and the validators below, not a content hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The remote object's ETag when checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The remote object's Last-Modified date when checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// A `CreateAsset` that was about to be sent and has no result yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Intent {
    /// BLAKE3 of the content.
    pub hash: String,
    /// The asset name sent.
    pub name: String,
    /// The group.
    pub group_id: String,
    /// The path it was sent from.
    pub path: String,
    /// When, in seconds since 1970.
    pub started_at: u64,
}

impl Intent {
    /// An intent started now.
    pub fn new(hash: &str, name: &str, group_id: &str, path: &Path) -> Intent {
        Intent {
            hash: hash.to_string(),
            name: name.to_string(),
            group_id: group_id.to_string(),
            path: path.to_string_lossy().into_owned(),
            started_at: now_unix(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Doc {
    version: u32,
    hash: String,
    entries: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    intents: Vec<Intent>,
}

/// The manifest, loaded in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    path: PathBuf,
    entries: Vec<Entry>,
    intents: Vec<Intent>,
}

/// The advisory lock of one manifest, held until dropped
/// ([`Manifest::lock`]).
#[derive(Debug)]
pub struct ManifestLock {
    _file: fs::File,
    path: PathBuf,
}

impl ManifestLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Manifest {
    /// An empty manifest that will be saved at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Manifest {
        Manifest {
            path: path.into(),
            entries: Vec::new(),
            intents: Vec::new(),
        }
    }

    /// Takes the exclusive lock of the manifest at `path` (the file
    /// `<path>.lock`, made when missing). When another run holds it:
    /// with `wait`, calls `on_wait` once and blocks until it is free;
    /// without, fails with [`ManifestError::Locked`].
    pub fn lock(
        path: &Path,
        wait: bool,
        on_wait: impl FnOnce(&Path),
    ) -> Result<ManifestLock, UploadError> {
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        let lock = PathBuf::from(name);
        let err = |source: ManifestError| UploadError::Manifest {
            path: path.to_path_buf(),
            source,
        };
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(|e| err(ManifestError::Write(e)))?;
        let got = file
            .try_lock_exclusive()
            .map_err(|e| err(ManifestError::Write(e)))?;
        if !got {
            if !wait {
                return Err(err(ManifestError::Locked { lock }));
            }
            on_wait(&lock);
            file.lock_exclusive()
                .map_err(|e| err(ManifestError::Write(e)))?;
        }
        Ok(ManifestLock {
            _file: file,
            path: lock,
        })
    }

    /// Reads the manifest at `path`; an absent file is an empty manifest. A
    /// file that is not a manifest is an error (it is never overwritten).
    pub fn load(path: impl Into<PathBuf>) -> Result<Manifest, UploadError> {
        let path = path.into();
        let err = |source: ManifestError| UploadError::Manifest {
            path: path.clone(),
            source,
        };
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Manifest::new(path)),
            Err(e) => return Err(err(ManifestError::Read(e))),
        };
        let doc: Doc = serde_json::from_slice(&text).map_err(|e| err(ManifestError::Parse(e)))?;
        if doc.version != VERSION || doc.hash != HASH_NAME {
            return Err(err(ManifestError::Version {
                version: doc.version,
                hash: doc.hash,
            }));
        }
        Ok(Manifest {
            path,
            entries: doc.entries,
            intents: doc.intents,
        })
    }

    /// Where it is saved.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry, in the order recorded.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry of this content in this group.
    pub fn find(&self, group_id: &str, hash: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.group_id == group_id && e.hash == hash)
    }

    /// The most recent entry of this content, in any group.
    pub fn find_hash(&self, hash: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.hash == hash)
    }

    /// The most recent entry of the remote object at `url` in this group
    /// (of any version).
    pub fn find_url(&self, group_id: &str, url: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.group_id == group_id && e.url.as_deref() == Some(url))
    }

    /// The entry of an asset id.
    pub fn find_asset(&self, asset_id: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.asset_id == asset_id)
    }

    /// Adds an entry, replacing one of the same content and group, and
    /// drops the intent it answers.
    pub fn record(&mut self, entry: Entry) {
        self.end(&entry.group_id, &entry.hash);
        match self
            .entries
            .iter_mut()
            .find(|e| e.group_id == entry.group_id && e.hash == entry.hash)
        {
            Some(old) => *old = entry,
            None => self.entries.push(entry),
        }
    }

    /// Every intent without a result, oldest first.
    pub fn intents(&self) -> &[Intent] {
        &self.intents
    }

    /// The intent of this content in this group.
    pub fn intent(&self, group_id: &str, hash: &str) -> Option<&Intent> {
        self.intents
            .iter()
            .find(|i| i.group_id == group_id && i.hash == hash)
    }

    /// Records an intent, replacing one of the same content and group.
    pub fn begin(&mut self, intent: Intent) {
        self.end(&intent.group_id.clone(), &intent.hash.clone());
        self.intents.push(intent);
    }

    /// Drops the intent of this content in this group; whether there was one.
    pub fn end(&mut self, group_id: &str, hash: &str) -> bool {
        let before = self.intents.len();
        self.intents
            .retain(|i| !(i.group_id == group_id && i.hash == hash));
        self.intents.len() != before
    }

    /// Updates the status of every entry of `asset_id`; whether there was one.
    pub fn set_status(&mut self, asset_id: &str, status: &str) -> bool {
        let mut hit = false;
        for e in self.entries.iter_mut().filter(|e| e.asset_id == asset_id) {
            e.status = status.to_string();
            hit = true;
        }
        hit
    }

    /// Writes the manifest atomically ([`preflight::fs::write_atomic`]).
    pub fn save(&self) -> Result<(), UploadError> {
        let doc = Doc {
            version: VERSION,
            hash: HASH_NAME.to_string(),
            entries: self.entries.clone(),
            intents: self.intents.clone(),
        };
        let err = |source: ManifestError| UploadError::Manifest {
            path: self.path.clone(),
            source,
        };
        let mut text = serde_json::to_vec_pretty(&doc)
            .map_err(|e| err(ManifestError::Write(io::Error::from(e))))?;
        text.push(b'\n');
        preflight::fs::write_atomic(&self.path, &text).map_err(|e| err(ManifestError::Write(e)))
    }
}

/// Seconds since 1970, for `uploaded_at`.
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(hash: &str, group: &str, id: &str) -> Entry {
        Entry {
            hash: hash.into(),
            bytes: 3,
            path: "a.jpg".into(),
            name: "a-".to_string() + hash,
            asset_id: id.into(),
            group_id: group.into(),
            asset_type: "Image".into(),
            format: "jpeg".into(),
            duration_s: None,
            status: "Processing".into(),
            uploaded_at: 1,
            url: None,
            etag: None,
            last_modified: None,
        }
    }

    #[test]
    fn round_trip_and_lookups() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        let mut m = Manifest::load(&p).unwrap();
        assert!(m.entries().is_empty());
        m.record(entry("h1", "g1", "asset-1"));
        m.record(entry("h1", "g2", "asset-2"));
        m.record(entry("h1", "g1", "asset-3"));
        assert_eq!(m.entries().len(), 2);
        assert!(m.set_status("asset-3", "Active"));
        assert!(!m.set_status("asset-9", "Active"));
        m.save().unwrap();
        let back = Manifest::load(&p).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.find("g1", "h1").unwrap().asset_id, "asset-3");
        assert_eq!(back.find("g1", "h1").unwrap().status, "Active");
        assert_eq!(back.find_hash("h1").unwrap().asset_id, "asset-2");
        assert_eq!(back.find_asset("asset-3").unwrap().group_id, "g1");
        assert!(back.find("g3", "h1").is_none());
        // Nothing but the manifest is left in the folder.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("m.json")]);
    }

    #[test]
    fn a_foreign_file_is_an_error_and_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        fs::write(&p, b"{\"not\": \"a manifest\"}").unwrap();
        assert!(matches!(
            Manifest::load(&p),
            Err(UploadError::Manifest { .. })
        ));
        fs::write(
            &p,
            b"{\"version\": 9, \"hash\": \"blake3\", \"entries\": []}",
        )
        .unwrap();
        let e = Manifest::load(&p).unwrap_err().to_string();
        assert!(e.contains("version 9"), "{e}");
        assert_eq!(
            fs::read(&p).unwrap(),
            b"{\"version\": 9, \"hash\": \"blake3\", \"entries\": []}"
        );
    }

    #[test]
    fn intents_round_trip_and_end_with_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        let mut m = Manifest::new(&p);
        m.begin(Intent::new("h1", "a-h1", "g1", Path::new("a.jpg")));
        m.begin(Intent::new("h2", "b-h2", "g1", Path::new("b.jpg")));
        m.begin(Intent::new("h1", "a-h1", "g1", Path::new("a.jpg")));
        assert_eq!(m.intents().len(), 2);
        m.save().unwrap();
        let mut back = Manifest::load(&p).unwrap();
        assert_eq!(back.intent("g1", "h2").unwrap().name, "b-h2");
        back.record(entry("h1", "g1", "asset-1"));
        assert!(back.intent("g1", "h1").is_none());
        assert!(back.end("g1", "h2"));
        assert!(back.intents().is_empty());
        back.save().unwrap();
        let text = fs::read_to_string(&p).unwrap();
        assert!(!text.contains("intents"), "{text}");
    }

    #[test]
    fn one_run_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.json");
        let held = Manifest::lock(&p, false, |_| {}).unwrap();
        assert_eq!(held.path(), dir.path().join("m.json.lock"));
        let e = Manifest::lock(&p, false, |_| {}).unwrap_err().to_string();
        assert!(e.contains("another preflight run"), "{e}");
        let waiter = std::thread::spawn(move || {
            let mut told = false;
            let l = Manifest::lock(&p, true, |_| told = true).unwrap();
            drop(l);
            told
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        drop(held);
        assert!(waiter.join().unwrap(), "the waiter was told, then got it");
    }

    #[test]
    fn saving_into_a_missing_folder_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let m = Manifest::new(dir.path().join("no/such/m.json"));
        assert!(matches!(m.save(), Err(UploadError::Manifest { .. })));
    }
}
