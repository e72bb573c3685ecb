//! Checking files and folders: one file at a time ([`check_path`]) or many in
//! parallel, streamed as they finish ([`check_paths`]).

use crate::check::Violation;
use crate::probe::probe_reader;
use crate::profile::Profile;
use crate::read::ProbeLimits;
use crate::report::FileReport;
use crate::rule::Rule;
use crate::sniff;
use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    let names = profiles.iter().map(|p| p.name.as_str());
    match open_for_probe(path) {
        Ok((file, len)) => {
            let probed = probe_reader(file, Some(len), limits);
            // On an error, the first bytes tell what the file is (SPEC §4).
            let head = probed.is_err().then(|| head_of(path)).flatten();
            FileReport::probed_against(path, len, probed, head.as_deref(), profiles)
        }
        Err(report) => report.for_profiles(names),
    }
}

/// Opens a regular file for probing, with its length; an error report
/// when it cannot be.
fn open_for_probe(path: &Path) -> Result<(File, u64), Box<FileReport>> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            return Err(Box::new(error_report(
                path,
                None,
                Rule::FileUnreadable,
                format!("cannot read: {e}"),
            )))
        }
    };
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (FIFO, socket or device)"
        };
        return Err(Box::new(error_report(
            path,
            None,
            Rule::FileUnreadable,
            format!("cannot check: {what}"),
        )));
    }
    match File::open(path) {
        Ok(f) => Ok((f, meta.len())),
        Err(e) => Err(Box::new(error_report(
            path,
            Some(meta.len()),
            Rule::FileUnreadable,
            format!("cannot open: {e}"),
        ))),
    }
}

/// The first bytes of the file at `path` (as many as the sniffer looks
/// at), when it can be read.
fn head_of(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(sniff::HEAD_LEN);
    File::open(path)
        .ok()?
        .take(sniff::HEAD_LEN as u64)
        .read_to_end(&mut head)
        .ok()?;
    Some(head)
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
    File(PathBuf),
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
    let opts = crate::fs::WalkOptions::new().follow_links(follow_links);
    crate::fs::walk(roots, &opts).filter_map(move |e| match e.error {
        Some(err) => Some(Item::Failed(Box::new(error_report(
            &e.path,
            None,
            Rule::FileUnreadable,
            err.to_string(),
        )))),
        // A path named directly is always checked, whatever the filters say.
        None if e.named || filter.keep(&e.path) => Some(Item::File(e.path)),
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
    let (tx, rx) = std::sync::mpsc::sync_channel::<FileReport>(1024);
    std::thread::spawn(move || {
        let _stopped_early = pool.install(|| {
            walk(paths, follow, filter)
                .par_bridge()
                .try_for_each_with(tx, |tx, item| {
                    let report = match item {
                        Item::File(p) => check_path_against(&p, &profiles, &limits),
                        Item::Failed(r) => r.for_profiles(profiles.iter().map(|p| p.name.as_str())),
                    };
                    // The receiver may have gone (a broken pipe, an iterator
                    // dropped half-way): the error stops the walk and the workers.
                    tx.send(report).map_err(drop)
                })
        });
    });
    Ok(rx.into_iter())
}
