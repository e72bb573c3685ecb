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

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// How much of a file [`check_file`] reads in one go before probing: what
/// the sniffer looks at ([`SNIFF_LEN`](crate::SNIFF_LEN), 16 KiB), which
/// holds the whole of most pictures and short clips and the headers of
/// most other files. Only what a reader needs past it is read after (an
/// MP3's frames, a GIF's, a moov at the end): a file is not read further
/// for nothing, and most are read in fewer bytes than a 64 KiB read takes.
const HEAD_READ: usize = sniff::HEAD_LEN;

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
/// The file is opened once and its first 16 KiB (or all of it) read into a
/// buffer the thread keeps; the probe reads from that buffer and asks the
/// file only for what lies beyond. A file shorter than that is measured by
/// what was read; only a longer one is asked its size (see below).
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
        let want = (HEAD_READ as u64).min(limits.max_bytes_read) as usize;
        if buf.len() < want {
            buf.resize(want, 0);
        }
        let got = match read_head(&file, &mut buf[..want]) {
            Ok(n) => n,
            Err(e) => {
                let size = file.metadata().ok().map(|m| m.len());
                return error_report(
                    &path,
                    size,
                    Rule::FileUnreadable,
                    format!("cannot read: {e}"),
                );
            }
        };
        // A head shorter than asked for is the whole file: `read_head` stops
        // early only where a read gives nothing, at the end. So most files
        // need no `stat`: their size is what was read (the floor's two reads,
        // not a `stat` and a read). A longer file, or none at all (an empty
        // file, or a device swapped in since the listing), is looked at.
        let len = if got > 0 && got < want {
            got as u64
        } else {
            match file.metadata() {
                Ok(m) if m.is_file() => m.len(),
                // Replaced since it was listed.
                Ok(m) => {
                    return error_report(&path, None, Rule::FileUnreadable, not_a_file_message(&m))
                }
                Err(e) => {
                    return error_report(
                        &path,
                        None,
                        Rule::FileUnreadable,
                        format!("cannot read: {e}"),
                    )
                }
            }
        };
        // What was read is all there is to read (the file may have grown since).
        let got = got.min(usize::try_from(len).unwrap_or(usize::MAX));
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
    let run = Run::new(opts)?;
    let profiles: Arc<[Profile]> = profiles.into();
    // Reports travel in small batches: one channel hand-over (and at most one
    // wake-up of the reader) for many files. A batch goes when it is full or
    // when its first report has waited REPORT_WAIT, so a report reaches the
    // reader no later than that after the next file its worker finishes.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<FileReport>>(64);
    std::thread::spawn(move || {
        let send = |batch: &mut Batch| -> ControlFlow<()> {
            match tx.send(std::mem::take(&mut batch.reports)) {
                Ok(()) => ControlFlow::Continue(()),
                // A receiver that has gone (a broken pipe, an iterator
                // dropped half-way) stops the walk and the workers.
                Err(_) => ControlFlow::Break(()),
            }
        };
        let left = run.fold(paths, &profiles, Batch::default, |batch, report| {
            if batch.reports.is_empty() {
                batch.since = Some(Instant::now());
            }
            batch.reports.push(report);
            let waited = batch.since.is_some_and(|t| t.elapsed() >= REPORT_WAIT);
            if batch.reports.len() >= REPORT_BATCH || waited {
                send(batch)?;
            }
            ControlFlow::Continue(())
        });
        for mut batch in left.into_iter().filter(|b| !b.reports.is_empty()) {
            if send(&mut batch).is_break() {
                break;
            }
        }
    });
    Ok(rx.into_iter().flatten())
}

/// [`check_paths_against`] with each report handed over on the worker that
/// made it, with no thread in between: each worker folds its reports into
/// a state of its own (made by `init`, added to by `step`), and the call
/// returns the states, for the caller to merge, when every file is done.
/// This is how to print, count or collect reports at the speed of the disk:
/// no report crosses a thread and no worker waits for a reader (the CLI's
/// `check` prints each worker's lines in large blocks this way).
///
/// A `step` that returns [`ControlFlow::Break`] (say, on a closed output)
/// ends the run: no file is started after it, and the states are returned
/// as they are. The call blocks; `step` runs on `opts.jobs` worker threads.
///
/// ```
/// use preflight::{check_paths_with, BatchOptions, Profile, Verdict};
/// use std::ops::ControlFlow;
/// # let dir = tempfile::tempdir().unwrap();
/// # std::fs::write(dir.path().join("notes.txt"), b"not media").unwrap();
/// # std::fs::write(dir.path().join("empty.mp4"), b"").unwrap();
/// // Files and failures, counted by each worker and summed at the end.
/// let per_worker = check_paths_with(
///     vec![dir.path().to_path_buf()],
///     &[Profile::seedance2()],
///     &BatchOptions::new(),
///     || (0u64, 0u64),
///     |(files, failed), report| {
///         *files += 1;
///         *failed += u64::from(report.verdict != Verdict::Pass);
///         ControlFlow::Continue(())
///     },
/// )?;
/// let (files, failed) = per_worker
///     .iter()
///     .fold((0, 0), |(f, x), (g, y)| (f + g, x + y));
/// assert_eq!((files, failed), (2, 2));
/// # Ok::<(), preflight::BatchError>(())
/// ```
pub fn check_paths_with<S, I, F>(
    paths: Vec<PathBuf>,
    profiles: &[Profile],
    opts: &BatchOptions,
    init: I,
    step: F,
) -> Result<Vec<S>, BatchError>
where
    S: Send,
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, FileReport) -> ControlFlow<()> + Sync + Send,
{
    Ok(Run::new(opts)?.fold(paths, profiles, init, step))
}

/// What a batch needs before it starts: its filters and its workers.
struct Run {
    filter: Filter,
    pool: rayon::ThreadPool,
    follow_links: bool,
    limits: ProbeLimits,
}

impl Run {
    fn new(opts: &BatchOptions) -> Result<Run, BatchError> {
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
        Ok(Run {
            filter,
            pool,
            follow_links: opts.follow_links,
            limits: opts.limits.clone(),
        })
    }

    /// Walks `paths` lazily and checks each file on the pool, folding the
    /// reports into the workers' states (see [`check_paths_with`]).
    fn fold<S, I, F>(self, paths: Vec<PathBuf>, profiles: &[Profile], init: I, step: F) -> Vec<S>
    where
        S: Send,
        I: Fn() -> S + Sync + Send,
        F: Fn(&mut S, FileReport) -> ControlFlow<()> + Sync + Send,
    {
        let Run {
            filter,
            pool,
            follow_links,
            limits,
        } = self;
        let stop = AtomicBool::new(false);
        let stopped = || stop.load(Ordering::Relaxed);
        pool.install(|| {
            walk(paths, follow_links, filter)
                // After a stop the walk ends at the next file asked for.
                .take_while(|_| !stopped())
                .par_bridge()
                .fold(&init, |mut state, item| {
                    if stopped() {
                        return state;
                    }
                    let report = match item {
                        Item::File(p, is_file) => check_file(p, is_file, profiles, &limits),
                        Item::Failed(r) => r.for_profiles(profiles.iter().map(|p| p.name.as_str())),
                    };
                    if step(&mut state, report).is_break() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    state
                })
                .collect()
        })
    }
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
