//! Files and folders (feature `fs`): the one folder walker that `check`, `fix`
//! and `upload` share, and the one way outputs are written
//! ([`AtomicFile`]: a fresh temporary name, renamed into place).

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How [`walk`] goes through folders.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WalkOptions {
    /// Follow symbolic links met inside folders (loops are detected and
    /// reported). Off by default, as in ripgrep and fd: a link inside a
    /// folder is skipped. A path named directly is always followed.
    pub follow_links: bool,
    /// For the batch check, which takes files in any order and never looks
    /// at [`WalkEntry::relative`]: each folder is read in the order the
    /// system lists it, and `relative` is left empty.
    pub(crate) unordered: bool,
}

impl WalkOptions {
    /// The defaults: links inside folders are skipped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`WalkOptions::follow_links`].
    pub fn follow_links(mut self, yes: bool) -> Self {
        self.follow_links = yes;
        self
    }
}

/// Why an entry met while walking could not be walked.
#[derive(Debug)]
#[non_exhaustive]
pub enum WalkError {
    /// A symbolic link points back to one of its own ancestors.
    Loop,
    /// The operating system refused to list or stat the entry.
    Io(io::Error),
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkError::Loop => f.write_str("symbolic link loop"),
            WalkError::Io(e) => write!(f, "cannot walk: {e}"),
        }
    }
}

impl std::error::Error for WalkError {}

/// One file found by [`walk`], or an entry that could not be walked.
#[derive(Debug)]
#[non_exhaustive]
pub struct WalkEntry {
    /// The path to open.
    pub path: PathBuf,
    /// The path an output mirrors: the root's own name, then the path below
    /// it (`walk(["a/photos"])` finds `a/photos/x/1.jpg` with `photos/x/1.jpg`),
    /// as `cp -r` lays out a copy.
    pub relative: PathBuf,
    /// The path was given as a root, not found inside a folder (filters
    /// such as `--include` do not apply to it).
    pub named: bool,
    /// The folder listing showed a regular file (of the link's target when
    /// links are followed): it can be opened without looking first. False
    /// for a path named directly, whose type is not known.
    pub is_file: bool,
    /// Set when the entry could not be walked (it is still reported, so
    /// that nothing given is silently dropped).
    pub error: Option<WalkError>,
}

/// Walks files and folders: a path that is not a folder is yielded as it is;
/// a folder is walked recursively in file-name order, lazily (memory stays
/// flat on millions of files). Folders themselves are not yielded; errors
/// are, as entries with [`WalkEntry::error`] set.
pub fn walk(roots: Vec<PathBuf>, opts: &WalkOptions) -> impl Iterator<Item = WalkEntry> + Send {
    let follow = opts.follow_links;
    let unordered = opts.unordered;
    roots
        .into_iter()
        .flat_map(move |root| -> Box<dyn Iterator<Item = WalkEntry> + Send> {
            let base = root
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("input"));
            if !fs::metadata(&root).is_ok_and(|m| m.is_dir()) {
                // A path named directly is always given back, whatever it is:
                // the caller's check says what is wrong with it.
                return Box::new(std::iter::once(WalkEntry {
                    path: root,
                    relative: base,
                    named: true,
                    is_file: false,
                    error: None,
                }));
            }
            let mut entries = walkdir::WalkDir::new(&root).follow_links(follow);
            if !unordered {
                entries = entries.sort_by_file_name();
            }
            let entries = entries.into_iter();
            Box::new(entries.filter_map(move |entry| match entry {
                Ok(e) if e.file_type().is_dir() => None,
                // Not following links: a link inside a folder is skipped.
                Ok(e) if e.path_is_symlink() && !follow => None,
                Ok(e) => {
                    let relative = if unordered {
                        PathBuf::new()
                    } else {
                        base.join(e.path().strip_prefix(&root).unwrap_or(e.path()))
                    };
                    let is_file = e.file_type().is_file();
                    Some(WalkEntry {
                        path: e.into_path(),
                        relative,
                        named: false,
                        is_file,
                        error: None,
                    })
                }
                Err(err) => {
                    let path = err.path().map(Path::to_path_buf).unwrap_or_default();
                    let relative = base.join(path.strip_prefix(&root).unwrap_or(&path));
                    let error = if err.loop_ancestor().is_some() {
                        WalkError::Loop
                    } else {
                        let io = err
                            .io_error()
                            .map(|e| io::Error::new(e.kind(), e.to_string()))
                            .unwrap_or_else(|| io::Error::other(err.to_string()));
                        WalkError::Io(io)
                    };
                    Some(WalkEntry {
                        path,
                        relative,
                        named: false,
                        is_file: false,
                        error: Some(error),
                    })
                }
            }))
        })
}

/// The marker in the name of every temporary file preflight writes
/// (`.{name}.{random}.preflight-tmp`): walkers can leave such files out,
/// and a file with it is never an output.
pub const TEMP_MARKER: &str = ".preflight-tmp";

/// Whether `path` is one of preflight's temporary files.
pub fn is_temp_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.ends_with(TEMP_MARKER))
}

/// A file written under a fresh, unpredictable temporary name in its
/// destination's folder, and renamed over the destination only by
/// [`AtomicFile::commit`]. Dropped without a commit, the temporary file is
/// removed: a reader of the destination sees the old file or the whole new
/// one, never a part.
///
/// The temporary file is created with `create_new` (`O_EXCL`): it is never
/// a file or link that was there before, so nothing is written through a
/// planted symbolic link. The rename replaces a link at the destination
/// itself, not what it points to.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: File,
}

fn random_u64() -> u64 {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded from the OS per process; mixing in a counter,
    // the pid and the time makes each name fresh without a dependency.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(SEQ.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.finish()
}

impl AtomicFile {
    /// Creates the temporary file for `dest` (its folder must exist).
    pub fn create(dest: &Path) -> io::Result<AtomicFile> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        for _ in 0..16 {
            let mut tmp_name = OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".{:016x}{TEMP_MARKER}", random_u64()));
            let tmp = dir.join(tmp_name);
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => {
                    return Ok(AtomicFile {
                        tmp,
                        dest: dest.to_path_buf(),
                        file,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no fresh temporary name after 16 tries",
        ))
    }

    /// The temporary file's path, for a program that writes it by name
    /// (the file exists, empty, and belongs to this process).
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The destination.
    pub fn destination(&self) -> &Path {
        &self.dest
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Flushes the data to disk and renames the temporary file over the
    /// destination.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.sync_all()?;
        fs::rename(&self.tmp, &self.dest)?;
        // Make the rename durable where the platform allows it.
        if let Some(dir) = self.dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `dest` through an [`AtomicFile`].
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_file_commits_or_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        {
            let mut f = AtomicFile::create(&dest).unwrap();
            f.write_all(b"half").unwrap();
            assert!(is_temp_file(f.path()), "{}", f.path().display());
            // Dropped without commit.
        }
        assert!(!dest.exists());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temp left behind"
        );
        write_atomic(&dest, b"whole").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"whole");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_file_never_writes_through_a_link_at_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep").unwrap();
        let dest = dir.path().join("out");
        std::os::unix::fs::symlink(&victim, &dest).unwrap();
        write_atomic(&dest, b"new").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert!(!fs::symlink_metadata(&dest)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn temp_names_are_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.jpg");
        let a = AtomicFile::create(&dest).unwrap();
        let b = AtomicFile::create(&dest).unwrap();
        assert_ne!(a.path(), b.path());
    }

    #[test]
    fn walk_mirrors_roots_and_reports_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("photos");
        fs::create_dir_all(root.join("x")).unwrap();
        fs::write(root.join("x/1.jpg"), b"1").unwrap();
        fs::write(root.join("0.jpg"), b"0").unwrap();
        let single = dir.path().join("single.mp3");
        let got: Vec<_> = walk(vec![root.clone(), single.clone()], &WalkOptions::new())
            .map(|e| (e.relative, e.error.is_some()))
            .collect();
        assert_eq!(
            got,
            vec![
                (PathBuf::from("photos/0.jpg"), false),
                (PathBuf::from("photos/x/1.jpg"), false),
                // Missing: given back as it is, for the check to report.
                (PathBuf::from("single.mp3"), false),
            ]
        );
    }
}
