//! Checking files and folders: one file at a time ([`check_path`]) or many in
//! parallel, streamed as they finish ([`check_paths`]).

use crate::check::Violation;
use crate::info::Format;

use crate::profile::Profile;
use crate::read::{HeadThen, ProbeLimits};
use crate::report::FileReport;
use crate::rule::Rule;
use crate::sniff;
use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use std::fs::File;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a batch is run.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BatchOptions {
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Follow symbolic links while walking (loops are detected and reported).
    pub follow_links: bool,
    /// Only files matching one of these globs are checked (all when empty).
    pub include: Vec<String>,
    /// Files matching one of these globs are skipped.
    pub exclude: Vec<String>,
    /// Resource caps for each probe.
    pub limits: ProbeLimits,
}

/// Why a batch could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// An `--include`/`--exclude` pattern is not a valid glob.
    #[error("bad glob {glob:?}: {source}")]
    Glob {
        /// The pattern given.
        glob: String,
        /// The parser's error.
        source: globset::Error,
    },
    /// The worker threads could not be started.
    #[error("cannot start {jobs} worker threads: {source}")]
    Threads {
        /// The number asked for.
        jobs: usize,
        /// The cause.
        source: rayon::ThreadPoolBuildError,
    },
}

impl BatchOptions {
    /// The defaults: one worker per core, links inside folders skipped, all
    /// files, default [`ProbeLimits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`BatchOptions::jobs`].
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs;
        self
    }

    /// Sets [`BatchOptions::follow_links`].
    pub fn follow_links(mut self, yes: bool) -> Self {
        self.follow_links = yes;
        self
    }

    /// Sets [`BatchOptions::include`].
    pub fn include(mut self, globs: Vec<String>) -> Self {
        self.include = globs;
        self
    }

    /// Sets [`BatchOptions::exclude`].
    pub fn exclude(mut self, globs: Vec<String>) -> Self {
        self.exclude = globs;
        self
    }

    /// Sets [`BatchOptions::limits`].
    pub fn limits(mut self, limits: ProbeLimits) -> Self {
        self.limits = limits;
        self
    }
}

fn error_report(path: &Path, bytes: Option<u64>, rule: Rule, message: String) -> FileReport {
    FileReport::error(path, bytes, Violation::new(rule, None, None, message))
}

/// Checks one file. Never panics and never fails: an unreadable or corrupt
/// file is a report with verdict [`Verdict::Error`](crate::Verdict::Error) and the rule that says why.
pub fn check_path(path: &Path, profile: &Profile, limits: &ProbeLimits) -> FileReport {
    check_path_against(path, std::slice::from_ref(profile), limits)
}

/// Checks one file against several profiles: it is read and measured once,
/// then judged by each (see [`FileReport::judgements`]). With no profile at
/// all, a file that can be measured passes.
pub fn check_path_against(path: &Path, profiles: &[Profile], limits: &ProbeLimits) -> FileReport {
    check_file(path.to_path_buf(), false, profiles, limits)
}

/// A worker's buffers: the head of each file, and what is read past it.
struct Buffers {
    head: Vec<u8>,
    tail: Vec<u8>,
}

/// How much of a file [`check_file`] reads in one go before probing: the
/// whole of most pictures and short clips, and the headers of most others
/// (a Prober's [`MIN_RANGE`](crate::MIN_RANGE)).
const HEAD_READ: usize = 64 << 10;

thread_local! {
    /// The head and tail buffers of each worker, allocated once.
    static BUFFERS: std::cell::RefCell<Buffers> = const {
        std::cell::RefCell::new(Buffers { head: Vec::new(), tail: Vec::new() })
    };
}

/// [`check_path`] with what the walker knows: `walked_file` says the folder
/// listing showed a regular file, so the path is opened without a `stat`
/// before (a FIFO or a device is never opened: opening one may block or act).
///
/// The file is opened once, its size taken from the open file, and its first
/// 64 KiB (or all of it) read in one call into a buffer the thread keeps; the
/// probe reads from that buffer and asks the file only for what lies beyond.
fn check_file(
    path: PathBuf,
    walked_file: bool,
    profiles: &[Profile],
    limits: &ProbeLimits,
) -> FileReport {
    let report = measure_and_judge(path, walked_file, profiles, limits);
    if report.profile.is_none() {
        // A file that could not be opened or read is an error under each.
        report.for_profiles(profiles.iter().map(|p| p.name.as_str()))
    } else {
        report
    }
}

fn measure_and_judge(
    path: PathBuf,
    walked_file: bool,
    profiles: &[Profile],
    limits: &ProbeLimits,
) -> FileReport {
    if !walked_file {
        if let Some(report) = not_a_file(&path) {
            return report;
        }
    }
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            let size = std::fs::metadata(&path).ok().map(|m| m.len());
            return error_report(
                &path,
                size,
                Rule::FileUnreadable,
                format!("cannot open: {e}"),
            );
        }
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => {
            return error_report(
                &path,
                None,
                Rule::FileUnreadable,
                format!("cannot read: {e}"),
            )
        }
    };
    if !meta.is_file() {
        // Replaced since it was listed.
        return error_report(&path, None, Rule::FileUnreadable, not_a_file_message(&meta));
    }
    let len = meta.len();
    BUFFERS.with(|cell| {
        // A re-entrant call (none today) gets buffers of its own.
        let mut own = Buffers {
            head: Vec::new(),
            tail: Vec::new(),
        };
        let mut borrowed = cell.try_borrow_mut();
        let Buffers { head: buf, tail } = match borrowed.as_deref_mut() {
            Ok(b) => b,
            Err(_) => &mut own,
        };
        let want = len.min(HEAD_READ as u64).min(limits.max_bytes_read) as usize;
        if buf.len() < want {
            buf.resize(want, 0);
        }
        let got = match read_head(&file, &mut buf[..want]) {
            Ok(n) => n,
            Err(e) => {
                return error_report(
                    &path,
                    Some(len),
                    Rule::FileUnreadable,
                    format!("cannot read: {e}"),
                )
            }
        };
        let head = &buf[..got];
        let mut reader = HeadThen::new(
            head,
            tail,
            FileAt {
                file: &file,
                pos: 0,
            },
            len,
            limits,
        );
        let result = crate::probe::probe_inner(&mut reader, Some(len), limits);
        // On an error, what the file is stays known from its first bytes (SPEC §4).
        let sniffed = || {
            let first = &head[..head.len().min(sniff::HEAD_LEN)];
            Some(sniff::classify(first)).filter(|f| *f != Format::Unknown)
        };
        let ext = path.extension().and_then(|e| e.to_str());
        crate::report::check_probed_against(&path, ext, Some(len), result, sniffed, profiles)
    })
}

/// The report of a path that is not a regular file (or cannot be looked
/// at), or `None` for a regular file.
fn not_a_file(path: &Path) -> Option<FileReport> {
    match std::fs::metadata(path) {
        Err(e) => Some(error_report(
            path,
            None,
            Rule::FileUnreadable,
            format!("cannot read: {e}"),
        )),
        Ok(m) if !m.is_file() => Some(error_report(
            path,
            None,
            Rule::FileUnreadable,
            not_a_file_message(&m),
        )),
        Ok(_) => None,
    }
}

fn not_a_file_message(meta: &std::fs::Metadata) -> String {
    let what = if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file (FIFO, socket or device)"
    };
    format!("cannot check: {what}")
}

/// Fills `buf` from the start of `file` (fewer bytes only at its end).
fn read_head(file: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match read_at(file, &mut buf[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// One positioned read (`pread`): no seek, and no shared file position.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_at(mut file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read(buf)
}

/// A file read by positioned reads from a position of its own.
struct FileAt<'a> {
    file: &'a File,
    pos: u64,
}

impl std::io::Read for FileAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = read_at(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for FileAt<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        match to {
            std::io::SeekFrom::Start(p) => self.pos = p,
            // Only the probe's own positioning reaches here, by absolute
            // offsets; the other forms are answered for completeness.
            std::io::SeekFrom::Current(d) => {
                self.pos = self.pos.checked_add_signed(d).ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
                })?
            }
            std::io::SeekFrom::End(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "seek from the end of a positioned file",
                ))
            }
        }
        Ok(self.pos)
    }
}

fn globset(globs: &[String]) -> Result<Option<GlobSet>, BatchError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|source| BatchError::Glob {
            glob: g.clone(),
            source,
        })?);
    }
    b.build().map(Some).map_err(|source| BatchError::Glob {
        glob: globs.join(" "),
        source,
    })
}

/// One unit of work found while walking: a file to check, or a walk error.
enum Item {
    /// A path, and whether the folder listing showed a regular file.
    File(PathBuf, bool),
    Failed(Box<FileReport>),
}

struct Filter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl Filter {
    fn keep(&self, path: &Path) -> bool {
        let name = path.file_name().map(Path::new).unwrap_or(path);
        let hit = |set: &GlobSet| set.is_match(path) || set.is_match(name);
        self.include.as_ref().is_none_or(hit) && !self.exclude.as_ref().is_some_and(hit)
    }
}

fn walk(
    roots: Vec<PathBuf>,
    follow_links: bool,
    filter: Filter,
) -> impl Iterator<Item = Item> + Send {
    let mut opts = crate::fs::WalkOptions::new().follow_links(follow_links);
    // Reports come back in any order: sorting each folder buys nothing.
    opts.unordered = true;
    crate::fs::walk(roots, &opts).filter_map(move |e| match e.error {
        Some(err) => Some(Item::Failed(Box::new(error_report(
            &e.path,
            None,
            Rule::FileUnreadable,
            err.to_string(),
        )))),
        // A path named directly is always checked, whatever the filters say.
        None if e.named || filter.keep(&e.path) => Some(Item::File(e.path, e.is_file)),
        None => None,
    })
}

/// Counts the files [`check_paths`] would check with these options, by
/// walking the same way (used for a progress bar's length and ETA).
pub fn count_files(paths: &[PathBuf], opts: &BatchOptions) -> Result<u64, BatchError> {
    let filter = Filter {
        include: globset(&opts.include)?,
        exclude: globset(&opts.exclude)?,
    };
    Ok(walk(paths.to_vec(), opts.follow_links, filter).count() as u64)
}

/// Checks files and folders (recursively) in parallel and yields each
/// report as it finishes, in no particular order. Memory stays flat: paths
/// are walked lazily and reports are handed out as they come.
///
/// Symbolic links inside folders are reported, not followed, unless
/// `opts.follow_links`; a path named directly is always followed.
pub fn check_paths(
    paths: Vec<PathBuf>,
    profile: &Profile,
    opts: &BatchOptions,
) -> Result<impl Iterator<Item = FileReport>, BatchError> {
    check_paths_against(paths, std::slice::from_ref(profile), opts)
}

/// [`check_paths`] against several profiles: each file is read and
/// measured once, then judged by each (see [`check_path_against`]).
pub fn check_paths_against(
    paths: Vec<PathBuf>,
    profiles: &[Profile],
    opts: &BatchOptions,
) -> Result<impl Iterator<Item = FileReport>, BatchError> {
    let filter = Filter {
        include: globset(&opts.include)?,
        exclude: globset(&opts.exclude)?,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|source| BatchError::Threads {
            jobs: opts.jobs,
            source,
        })?;
    let profiles: Arc<[Profile]> = profiles.into();
    let limits = opts.limits.clone();
    let follow = opts.follow_links;
    // Reports travel in small batches: one channel hand-over (and at most one
    // wake-up of the reader) for many files. A batch goes when it is full or
    // when its first report has waited REPORT_WAIT, so a report reaches the
    // reader no later than that after the next file its worker finishes.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<FileReport>>(64);
    std::thread::spawn(move || {
        let tx = &tx;
        // A receiver that has gone (a broken pipe, an iterator dropped
        // half-way) stops the walk and the workers.
        let _stopped_early = pool.install(|| {
            walk(paths, follow, filter)
                .par_bridge()
                .try_fold(Batch::default, |mut batch, item| {
                    let report = match item {
                        Item::File(p, is_file) => check_file(p, is_file, &profiles, &limits),
                        Item::Failed(r) => r.for_profiles(profiles.iter().map(|p| p.name.as_str())),
                    };
                    if batch.reports.is_empty() {
                        batch.since = Some(Instant::now());
                    }
                    batch.reports.push(report);
                    let waited = batch.since.is_some_and(|t| t.elapsed() >= REPORT_WAIT);
                    if batch.reports.len() >= REPORT_BATCH || waited {
                        tx.send(std::mem::take(&mut batch.reports)).map_err(drop)?;
                    }
                    Ok::<Batch, ()>(batch)
                })
                .try_for_each(|batch| {
                    let batch = batch?;
                    if batch.reports.is_empty() {
                        Ok(())
                    } else {
                        tx.send(batch.reports).map_err(drop)
                    }
                })
        });
    });
    Ok(rx.into_iter().flatten())
}

/// Reports handed to the reader at once, at most.
const REPORT_BATCH: usize = 32;
/// How long a finished report may wait for its batch to fill.
const REPORT_WAIT: Duration = Duration::from_millis(20);

/// The reports a worker has finished and not yet handed over.
#[derive(Default)]
struct Batch {
    reports: Vec<FileReport>,
    since: Option<Instant>,
}
