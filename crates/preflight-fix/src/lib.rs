//! Repairs for media that fails a [`preflight`] profile: the library behind
//! `preflight fix`.
//!
//! For each failing file: [`plan`] the repairs from its [`MediaInfo`] and the
//! [`Profile`] (a value that can be printed and tested), [`apply`] them, then
//! re-check the output ([`fix_path`]). An output that does not pass is removed
//! and the file is reported as not repaired, with a [`FixError`] that says why.
//!
//! Images and audio are repaired in pure Rust (`image` + `fast_image_resize`,
//! `symphonia` + `hound`); video, and the image types without a Rust decoder
//! here (AVIF, JPEG XL, PSD), go through `ffmpeg` when it is on `PATH`
//! ([`Ffmpeg::find`]). Inputs are never written: outputs go to a fresh
//! temporary name in the output folder ([`preflight::fs::AtomicFile`]) and are
//! renamed into place once they pass.
//!
//! ```no_run
//! use preflight::{ProbeLimits, Profile};
//! use preflight_fix::{fix_path, AspectMode, FixOptions, FixStatus};
//! use std::path::Path;
//!
//! let opts = FixOptions::new().aspect(AspectMode::Crop);
//! let r = fix_path(
//!     Path::new("big.jpg"),
//!     Path::new("out/big.jpg"),
//!     &Profile::seedance2(),
//!     &opts,
//!     &ProbeLimits::default(),
//! );
//! match (r.status, &r.error) {
//!     (FixStatus::Repaired, _) => println!("{}", r.actions.join("; ")),
//!     (_, Some(e)) => eprintln!("not repaired: {e}"),
//!     _ => {}
//! }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Builder-style setters, one per field: `fn field(mut self, v) -> Self`.
macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty;)*) => {$(
        $(#[$doc])*
        #[doc = concat!("Sets [`Self::", stringify!($field), "`].")]
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = value;
            self
        }
    )*};
}

mod audio;
mod budget;
mod error;
mod ffmpeg;
mod image;
mod inflight;
mod plan;
mod verify;
mod video;

/// Not part of the API: the bodies of the fuzz targets in `fuzz/`.
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

pub use budget::{FixLimits, Resource};
pub use error::{BoxError, FixError, FixPathsError, NotRepairable, OutDirError};
pub use ffmpeg::{stop_children, Ffmpeg};

/// Stops the repairs in flight, for a Ctrl-C or SIGTERM handler that exits
/// next: kills every ffmpeg or ffprobe still running ([`stop_children`])
/// and removes the temporary files and private folders of the repairs in
/// flight (and any a repair creates from now on). Returns how many
/// temporary paths were removed.
pub fn stop() -> usize {
    stop_children();
    inflight::remove_all()
}
pub use plan::{plan, AspectMode, FixOptions, FixPlan, ImageTarget, Rect, Size, Step, TrimMode};
pub use verify::{verify_decode, Verified};

use preflight::fs::{is_temp_file, walk, AtomicFile, WalkEntry, WalkOptions};
use preflight::{
    check_path, human_bytes, FileReport, Format, Kind, MediaInfo, ProbeLimits, Profile, Verdict,
};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What [`apply`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FixOutcome {
    /// The file written (its extension follows the format actually written).
    pub output: PathBuf,
    /// The format written.
    pub format: Format,
    /// Input size in bytes.
    pub bytes_in: u64,
    /// Output size in bytes.
    pub bytes_out: u64,
    /// What was done, for people (`resized 8000×6000 → 6000×4500`, …).
    pub actions: Vec<String>,
}

/// Bytes of a repaired file in memory, with what was done.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Repaired {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// Its format.
    pub format: Format,
    /// What was done.
    pub actions: Vec<String>,
}

/// The usual extension of a format written by `fix`.
pub(crate) fn extension(f: Format) -> &'static str {
    match f {
        Format::Jpeg => "jpg",
        Format::Tiff => "tif",
        other => other.extensions().first().copied().unwrap_or("bin"),
    }
}

/// `path` with the extension of `f`, unless its extension already names `f`.
pub(crate) fn with_format_extension(path: &Path, f: Format) -> PathBuf {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref().is_some_and(|e| f.extensions().contains(&e)) {
        return path.to_path_buf();
    }
    path.with_extension(extension(f))
}

/// Where a repair reads its input: bytes in memory, or a file read through
/// a buffer (never read whole unless the format needs it, and then within
/// the budget).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

/// A buffered reader that can seek.
pub(crate) trait BufReadSeek: std::io::BufRead + std::io::Seek {}
impl<T: std::io::BufRead + std::io::Seek> BufReadSeek for T {}

impl<'a> Input<'a> {
    /// The file, if the input is one.
    pub fn path(&self) -> Option<&'a Path> {
        match self {
            Input::File(p) => Some(p),
            Input::Bytes(_) => None,
        }
    }

    /// The input's length in bytes.
    pub fn len(&self) -> Result<u64, FixError> {
        Ok(match self {
            Input::Bytes(b) => b.len() as u64,
            Input::File(p) => std::fs::metadata(p)?.len(),
        })
    }

    /// A buffered reader over the input.
    pub fn reader(&self) -> Result<Box<dyn BufReadSeek + 'a>, FixError> {
        Ok(match self {
            Input::Bytes(b) => Box::new(std::io::Cursor::new(*b)),
            Input::File(p) => Box::new(std::io::BufReader::new(std::fs::File::open(p)?)),
        })
    }

    /// The whole input in memory; a file's bytes are reserved against
    /// `budget` before they are read (and stay reserved).
    pub fn bytes(
        &self,
        budget: &mut budget::Budget,
    ) -> Result<std::borrow::Cow<'a, [u8]>, FixError> {
        match self {
            Input::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b)),
            Input::File(p) => {
                use std::io::Read;
                let f = std::fs::File::open(p)?;
                let len = f.metadata()?.len();
                budget.reserve(len)?;
                let mut v = Vec::new();
                f.take(len).read_to_end(&mut v)?;
                Ok(std::borrow::Cow::Owned(v))
            }
        }
    }
}

/// Repairs bytes in memory (images and audio; pure Rust, no external tool):
/// what a linking tool calls before an upload.
pub fn apply_bytes(
    plan: &FixPlan,
    data: &[u8],
    profile: &Profile,
    opts: &FixOptions,
) -> Result<Repaired, FixError> {
    if let Some(r) = plan.not_repairable_reason() {
        return Err(r.clone().into());
    }
    budget::check(
        Resource::Input,
        data.len() as u64,
        opts.limits.max_input_bytes,
    )?;
    match plan.kind {
        Kind::Image => image::repair(plan, Input::Bytes(data), profile, opts),
        Kind::Audio => audio::repair(plan, Input::Bytes(data), profile, opts),
        _ => Err(NotRepairable::NeedsFilePath.into()),
    }
}

/// Applies `plan` to the file `input` and writes the result to `output`
/// (through a temporary name in the same folder, renamed into place). The
/// extension of `output` is changed when the written format differs. Refuses
/// to write over `input`, or anywhere but `output`'s folder (a symbolic
/// link in the way is refused, not followed).
///
/// This does not re-check the output: [`fix_path`] does.
pub fn apply(
    plan: &FixPlan,
    input: &Path,
    output: &Path,
    profile: &Profile,
    opts: &FixOptions,
) -> Result<FixOutcome, FixError> {
    let guard = Guard::for_file(input, output)?;
    let duration = plan.steps.iter().find_map(|s| match s {
        Step::Trim { from_s, .. } => Some(*from_s),
        _ => None,
    });
    stage(plan, input, output, duration, profile, opts, &guard)?.commit(&guard)
}

/// A repaired file under its temporary name, not yet renamed into place
/// (dropped, the temporary file is removed).
struct Staged {
    file: AtomicFile,
    outcome: FixOutcome,
    /// Registered for Ctrl-C until committed or dropped.
    _tracked: inflight::Tracked,
}

impl Staged {
    fn commit(self, guard: &Guard) -> Result<FixOutcome, FixError> {
        guard.check(self.file.destination())?;
        self.file.commit()?;
        Ok(self.outcome)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Where a run may write: below one output folder, never onto an input.
#[derive(Debug)]
pub(crate) struct Guard {
    /// The output folder, canonical.
    root: PathBuf,
    /// The inputs, canonical.
    inputs: HashSet<PathBuf>,
}

impl Guard {
    /// A guard for `out` (refused when a component of it is a symbolic
    /// link; created when something is written).
    fn new(out: &Path, inputs: HashSet<PathBuf>) -> Result<Guard, FixError> {
        refuse_links_in(out)?;
        Ok(Guard {
            root: resolve(out),
            inputs,
        })
    }

    /// A guard for one file written to `output`: its folder is the root.
    fn for_file(input: &Path, output: &Path) -> Result<Guard, FixError> {
        let dir = match output.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let inputs = input.canonicalize().into_iter().collect();
        Guard::new(dir, inputs)
    }

    /// Creates the folders of `dest` below the root, one at a time,
    /// refusing any that is a symbolic link or not a folder.
    fn make_parent(&self, dest: &Path) -> Result<(), FixError> {
        let parent = dest.parent().unwrap_or(Path::new("."));
        walk_components(parent, true)?;
        self.check(dest)
    }

    /// Checks that `dest` resolves below the root and is no input.
    fn check(&self, dest: &Path) -> Result<(), FixError> {
        let parent = dest.parent().unwrap_or(Path::new("."));
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let canon = parent.canonicalize()?;
        if !canon.starts_with(&self.root) {
            return Err(FixError::UnsafeDestination {
                path: dest.to_path_buf(),
                why: "it resolves outside the output folder",
            });
        }
        let full = canon.join(dest.file_name().unwrap_or_default());
        let resolved = full.canonicalize().unwrap_or(full);
        if self.inputs.contains(&resolved) {
            return Err(NotRepairable::WouldOverwriteInput.into());
        }
        Ok(())
    }
}

/// Refuses a path whose existing components include a symbolic link.
fn refuse_links_in(p: &Path) -> Result<(), FixError> {
    walk_components(p, false)
}

/// Goes down the components of `p` (made absolute), refusing a symbolic
/// link or a file where a folder is wanted; a missing folder is created
/// when `create`, else the walk stops there.
fn walk_components(p: &Path, create: bool) -> Result<(), FixError> {
    let refuse = |why| FixError::UnsafeDestination {
        path: p.to_path_buf(),
        why,
    };
    let mut cur = PathBuf::new();
    for c in std::path::absolute(p)?.components() {
        cur.push(c);
        match std::fs::symlink_metadata(&cur) {
            // Links above the output folder are refused too: the folder
            // must be named by its real path.
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refuse("a symbolic link in the output folder"))
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(refuse("a path component is not a folder")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                std::fs::create_dir(&cur)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The temporary file for `output` written as `format`, refusing the input
/// itself and anything outside the guard's folder as the destination.
fn create_output(
    output: &Path,
    format: Format,
    guard: &Guard,
) -> Result<(AtomicFile, inflight::Tracked), FixError> {
    let final_path = with_format_extension(output, format);
    guard.make_parent(&final_path)?;
    let file = AtomicFile::create(&final_path)?;
    let tracked = inflight::Tracked::new(file.path());
    Ok((file, tracked))
}

fn stage(
    plan: &FixPlan,
    input: &Path,
    output: &Path,
    duration_s: Option<f64>,
    profile: &Profile,
    opts: &FixOptions,
    guard: &Guard,
) -> Result<Staged, FixError> {
    if let Some(r) = plan.not_repairable_reason() {
        return Err(r.clone().into());
    }
    let bytes_in = std::fs::metadata(input)?.len();
    budget::check(Resource::Input, bytes_in, opts.limits.max_input_bytes)?;
    let (file, tracked, format, mut actions) = match plan.kind {
        Kind::Image | Kind::Audio => {
            let r = if plan.kind == Kind::Image {
                image::repair(plan, Input::File(input), profile, opts)?
            } else {
                audio::repair(plan, Input::File(input), profile, opts)?
            };
            let (mut file, tracked) = create_output(output, r.format, guard)?;
            file.write_all(&r.bytes)?;
            (file, tracked, r.format, r.actions)
        }
        Kind::Video => {
            let format = plan.output.unwrap_or(Format::Mp4);
            let (file, tracked) = create_output(output, format, guard)?;
            let dir = file.path().parent().unwrap_or(Path::new("."));
            let actions = video::repair(plan, input, file.path(), dir, duration_s, opts)?;
            (file, tracked, format, actions)
        }
        Kind::Unknown => return Err(NotRepairable::UnknownType.into()),
    };
    let bytes_out = std::fs::metadata(file.path())?.len();
    actions.push(format!(
        "{} → {}",
        human_bytes(bytes_in),
        human_bytes(bytes_out)
    ));
    Ok(Staged {
        outcome: FixOutcome {
            output: file.destination().to_path_buf(),
            format,
            bytes_in,
            bytes_out,
            actions,
        },
        file,
        _tracked: tracked,
    })
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixStatus {
    /// It already passes; nothing written (or copied, with `--all`).
    Passed,
    /// It already passes and was copied to the output folder (`--all`).
    Copied,
    /// A repaired copy was written and passes the check.
    Repaired,
    /// Only planned (`--dry-run`).
    Planned,
    /// It could not be repaired (see the reason); nothing written.
    NotRepaired,
}

impl FixStatus {
    /// The status as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            FixStatus::Passed => "passed",
            FixStatus::Copied => "copied",
            FixStatus::Repaired => "repaired",
            FixStatus::Planned => "planned",
            FixStatus::NotRepaired => "not repaired",
        }
    }

    /// Whether the file ends up accepted (or would be, for a plan).
    pub fn is_ok(self) -> bool {
        !matches!(self, FixStatus::NotRepaired)
    }
}

/// The report for one file of a `fix` run.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FixReport {
    /// The input file.
    pub path: PathBuf,
    /// What happened.
    pub status: FixStatus,
    /// The file written, if any.
    pub output: Option<PathBuf>,
    /// Rule ids the input broke.
    pub rules: Vec<&'static str>,
    /// The plan, when one was made.
    pub plan: Option<FixPlan>,
    /// What was done.
    pub actions: Vec<String>,
    /// Why it was not repaired, for people (the [`FixReport::error`]'s message).
    pub reason: Option<String>,
    /// Why it was not repaired, as a value (not in the JSON report).
    #[serde(skip)]
    pub error: Option<Arc<FixError>>,
    /// Rule ids the output still broke (when the re-check failed).
    pub output_rules: Vec<&'static str>,
}

impl FixReport {
    fn new(path: &Path, status: FixStatus) -> FixReport {
        FixReport {
            path: path.to_path_buf(),
            status,
            output: None,
            rules: Vec::new(),
            plan: None,
            actions: Vec::new(),
            reason: None,
            error: None,
            output_rules: Vec::new(),
        }
    }

    /// A report with `status` for `path` and nothing else, for a caller
    /// that decides about a file without a fix run (a remote object that
    /// is not downloaded); its public fields are then set as needed.
    pub fn for_path(path: &Path, status: FixStatus) -> FixReport {
        FixReport::new(path, status)
    }

    fn not_repaired(mut self, error: impl Into<FixError>) -> FixReport {
        let error = error.into();
        self.status = FixStatus::NotRepaired;
        self.reason = Some(error.to_string());
        self.error = Some(Arc::new(error));
        self
    }
}

/// How [`fix_path_with`] and [`fix_paths`] run.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FixRunOptions {
    /// Copy files that already pass too.
    pub all: bool,
    /// Only plan; write nothing.
    pub dry_run: bool,
    /// Worker threads (0: one per core).
    pub jobs: usize,
    /// Resource caps for each probe.
    pub limits: ProbeLimits,
    /// Follow symbolic links met inside folders, as `check --follow-links`
    /// (off: they are skipped).
    pub follow_links: bool,
}

impl FixRunOptions {
    /// The defaults: repair what fails, copy nothing else, one thread per core.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        all: bool;
        dry_run: bool;
        jobs: usize;
        limits: ProbeLimits;
        follow_links: bool;
    }
}

/// Checks `input`, repairs it into `output` if it fails, and re-checks the
/// output; an output that does not pass is removed. Never panics; every
/// failure is a [`FixStatus::NotRepaired`] report with a reason.
pub fn fix_path(
    input: &Path,
    output: &Path,
    profile: &Profile,
    opts: &FixOptions,
    limits: &ProbeLimits,
) -> FixReport {
    let run = FixRunOptions::new().limits(limits.clone());
    fix_path_with(input, output, profile, opts, &run)
}

// The only places that read the core's `Violation` fields.
fn rules_of(r: &FileReport) -> Vec<&'static str> {
    r.violations.iter().map(|v| v.rule.id()).collect()
}

fn has_warning(r: &FileReport, rule: &str) -> bool {
    r.warnings.iter().any(|w| w.rule == rule)
}

fn violation_texts(r: &FileReport) -> Vec<String> {
    r.violations
        .iter()
        .map(|v| format!("{}: {}", v.rule, v.message))
        .collect()
}

fn unreadable(r: &FileReport) -> FixError {
    let message = r
        .violations
        .first()
        .map(|v| v.message.clone())
        .unwrap_or_else(|| "cannot read".into());
    FixError::Unreadable { message }
}

/// [`fix_path`] with `--all` / `--dry-run`. Writes only into `output`'s
/// folder (refused when a component of it is a symbolic link).
pub fn fix_path_with(
    input: &Path,
    output: &Path,
    profile: &Profile,
    opts: &FixOptions,
    run: &FixRunOptions,
) -> FixReport {
    if run.dry_run {
        return fix_one(input, output, profile, opts, run, None);
    }
    match Guard::for_file(input, output) {
        Ok(g) => fix_one(input, output, profile, opts, run, Some(&g)),
        Err(e) => FixReport::new(input, FixStatus::NotRepaired).not_repaired(e),
    }
}

/// The plan of one file as both `--dry-run` and the real run make it: from
/// the probe, completed by ffprobe for a video container the probe does not
/// measure.
fn plan_file(input: &Path, info: &MediaInfo, profile: &Profile, opts: &FixOptions) -> FixPlan {
    let info = video::complete_info(info, input, opts);
    plan::plan(&info, profile, opts)
}

/// One file; `guard` is `None` only for a dry run (nothing is written).
fn fix_one(
    input: &Path,
    output: &Path,
    profile: &Profile,
    opts: &FixOptions,
    run: &FixRunOptions,
    guard: Option<&Guard>,
) -> FixReport {
    let mut rep = FixReport::new(input, FixStatus::NotRepaired);
    let before = check_path(input, profile, &run.limits);
    rep.rules = rules_of(&before);
    let info: MediaInfo = match &before.info {
        Some(i) => i.clone(),
        None => return rep.not_repaired(unreadable(&before)),
    };
    let plan = plan_file(input, &info, profile, opts);
    let codec_warning = has_warning(&before, "video.codec");
    if before.verdict == Verdict::Pass && (plan.is_noop() || !codec_warning && opts.to.is_none()) {
        rep.plan = Some(plan);
        if !run.all {
            rep.status = FixStatus::Passed;
            return rep;
        }
        let Some(guard) = guard.filter(|_| !run.dry_run) else {
            rep.status = FixStatus::Planned;
            rep.actions.push("copy".into());
            return rep;
        };
        return copy_passing(input, output, rep, guard);
    }
    if let Some(reason) = plan.not_repairable_reason() {
        let reason = reason.clone();
        rep.plan = Some(plan);
        return rep.not_repaired(reason);
    }
    if plan.needs_ffmpeg && Ffmpeg::find().is_none() {
        rep.plan = Some(plan);
        return rep.not_repaired(NotRepairable::NeedsFfmpeg);
    }
    let Some(guard) = guard.filter(|_| !run.dry_run) else {
        rep.status = FixStatus::Planned;
        rep.actions = plan.steps.iter().map(|s| s.to_string()).collect();
        rep.output = Some(with_format_extension(
            output,
            plan.output.unwrap_or(info.format),
        ));
        rep.plan = Some(plan);
        return rep;
    };
    let staged = stage(&plan, input, output, info.duration_s, profile, opts, guard);
    rep.plan = Some(plan);
    let staged = match staged {
        Ok(s) => s,
        Err(e) => return rep.not_repaired(e),
    };
    rep.actions = staged.outcome.actions.clone();
    let after = check_path(staged.file.path(), profile, &run.limits);
    if after.verdict != Verdict::Pass {
        rep.output_rules = rules_of(&after);
        return rep.not_repaired(NotRepairable::OutputStillFails(violation_texts(&after)));
    }
    match staged.commit(guard) {
        Ok(o) => {
            rep.status = FixStatus::Repaired;
            rep.output = Some(o.output);
            rep
        }
        Err(e) => rep.not_repaired(e),
    }
}

fn copy_passing(input: &Path, output: &Path, mut rep: FixReport, guard: &Guard) -> FixReport {
    if same_file(output, input) {
        return rep.not_repaired(NotRepairable::WouldOverwriteInput);
    }
    if let Err(e) = guard.make_parent(output) {
        return rep.not_repaired(e);
    }
    let result = (|| -> std::io::Result<(AtomicFile, inflight::Tracked)> {
        let mut file = AtomicFile::create(output)?;
        let tracked = inflight::Tracked::new(file.path());
        std::io::copy(&mut std::fs::File::open(input)?, file.file())?;
        Ok((file, tracked))
    })()
    .map_err(FixError::Copy)
    .and_then(|(file, _tracked)| {
        guard.check(file.destination())?;
        file.commit().map_err(FixError::Copy)
    });
    match result {
        Ok(()) => {
            rep.status = FixStatus::Copied;
            rep.output = Some(output.to_path_buf());
            rep.actions.push("copied (already passes)".into());
            rep
        }
        Err(e) => rep.not_repaired(e),
    }
}

/// An absolute, normalised form of `p`: `.` and `..` removed lexically, then
/// symbolic links resolved for the longest part that exists.
fn resolve(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut lexical = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(mut out) = existing.canonicalize() {
            out.extend(rest.iter().rev());
            return out;
        }
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return lexical,
        }
    }
}

/// Refuses an output folder where a repair would write into an input
/// folder: `out` inside (or equal to) a folder walked, or the mirrored
/// destination of an input (`out/NAME` for an input named `NAME`) inside a
/// folder walked (`fix a/image --out a` would write `a/image/…`), or onto
/// an input file. A file named directly only forbids writing onto itself:
/// `fix big.jpg --out fixed/` beside it is fine.
pub fn check_out_dir(paths: &[PathBuf], out: &Path) -> Result<(), OutDirError> {
    let out_r = resolve(out);
    let roots: Vec<PathBuf> = paths.iter().map(|p| resolve(p)).collect();
    let folders: Vec<&PathBuf> = roots.iter().filter(|p| p.is_dir()).collect();
    let refuse = |input: &Path| OutDirError {
        out: out.to_path_buf(),
        input: input.to_path_buf(),
    };
    for dir in &folders {
        if out_r.starts_with(dir) {
            return Err(refuse(dir));
        }
    }
    for p in &roots {
        let Some(name) = p.file_name() else { continue };
        let dest = out_r.join(name);
        if let Some(dir) = folders.iter().find(|d| dest.starts_with(d)) {
            return Err(refuse(dir));
        }
        if roots.iter().any(|q| !q.is_dir() && *q == dest) {
            return Err(refuse(p));
        }
    }
    Ok(())
}

/// The report for an entry the walk could not list or follow.
fn walk_failure(entry: WalkEntry) -> FixReport {
    let mut rep = FixReport::new(&entry.path, FixStatus::NotRepaired);
    // As `check` reports it.
    rep.rules = vec!["file.unreadable"];
    match entry.error {
        Some(e) => rep.not_repaired(FixError::Walk(e)),
        None => rep,
    }
}

/// Repairs files and folders (recursively) in parallel into `out`, mirroring
/// each input root under `out` as `cp -r` would (`fix photos --out OUT`
/// writes `OUT/photos/...`). Refuses an `out` inside an input folder.
/// Folders are walked as `check` walks them ([`preflight::fs::walk`]);
/// preflight's own temporary files are never taken as inputs.
/// Reports come back in input order.
pub fn fix_paths(
    paths: &[PathBuf],
    out: &Path,
    profile: &Profile,
    opts: &FixOptions,
    run: &FixRunOptions,
) -> Result<Vec<FixReport>, FixPathsError> {
    fix_paths_each(paths, out, profile, opts, run, &|_| {})
}

/// [`fix_paths`], calling `on_done` with each report as soon as its file is
/// finished (from the worker threads, in no particular order), so that a
/// caller can stream progress; the reports are also returned in input order.
pub fn fix_paths_each(
    paths: &[PathBuf],
    out: &Path,
    profile: &Profile,
    opts: &FixOptions,
    run: &FixRunOptions,
    on_done: &(dyn Fn(&FixReport) + Sync),
) -> Result<Vec<FixReport>, FixPathsError> {
    check_out_dir(paths, out)?;
    if !run.dry_run {
        refuse_links_in(out).map_err(|_| FixPathsError::OutLink(out.to_path_buf()))?;
    }
    let walk_opts = WalkOptions::new().follow_links(run.follow_links);
    let entries: Vec<WalkEntry> = walk(paths.to_vec(), &walk_opts)
        .filter(|e| !is_temp_file(&e.path))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(run.jobs)
        .build()?;
    let inputs: HashSet<PathBuf> = entries
        .iter()
        .filter(|e| e.error.is_none())
        .map(|e| resolve(&e.path))
        .collect();
    let guard = if run.dry_run {
        None
    } else {
        Some(Guard::new(out, inputs.clone()).map_err(|e| match e {
            FixError::Io(e) => FixPathsError::Io(e),
            _ => FixPathsError::OutLink(out.to_path_buf()),
        })?)
    };
    let claimed = Arc::new(Mutex::new(HashSet::<PathBuf>::new()));
    use rayon::prelude::*;
    let reports = pool.install(|| {
        entries
            .into_par_iter()
            .map(|e| {
                let r = if e.error.is_some() {
                    walk_failure(e)
                } else {
                    // Two inputs may map to one output (a.png → a.jpg beside a.jpg): claim names.
                    let target = claim(&claimed, &out.join(&e.relative), &inputs);
                    fix_one(&e.path, &target, profile, opts, run, guard.as_ref())
                };
                on_done(&r);
                r
            })
            .collect()
    });
    Ok(reports)
}

fn claim(claimed: &Mutex<HashSet<PathBuf>>, target: &Path, inputs: &HashSet<PathBuf>) -> PathBuf {
    let mut set = claimed.lock().unwrap_or_else(|e| e.into_inner());
    let stem = target
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let ext = target.extension().map(|e| e.to_string_lossy().into_owned());
    let mut n = 0;
    loop {
        let name = match (n, &ext) {
            (0, _) => target.to_path_buf(),
            (_, Some(e)) => target.with_file_name(format!("{stem}-{n}.{e}")),
            (_, None) => target.with_file_name(format!("{stem}-{n}")),
        };
        // Claim the stem (any extension), so a format change cannot collide.
        let key = name.with_extension("");
        if !set.contains(&key) && !inputs.contains(&resolve(&name)) {
            set.insert(key);
            return name;
        }
        n += 1;
    }
}

/// Not part of the API: the stages `benches/fix.rs` times on their own.
#[doc(hidden)]
pub mod __bench {
    use crate::{FixError, Size};
    use ::image::DynamicImage;
    use preflight::Format;

    /// Decodes a picture (EXIF orientation applied).
    pub fn decode(data: &[u8], format: Format) -> Result<DynamicImage, FixError> {
        let mut b = crate::budget::Budget::new(&crate::FixLimits::default());
        crate::image::decode(crate::Input::Bytes(data), format, &mut b).map(|d| d.image)
    }

    /// Resizes with Lanczos3.
    pub fn resize(img: &DynamicImage, to: Size) -> Result<DynamicImage, FixError> {
        crate::image::resize(img, None, to)
    }

    /// Encodes at a JPEG quality.
    pub fn encode(img: &DynamicImage, format: Format, quality: u8) -> Result<Vec<u8>, FixError> {
        crate::image::encode(img, format, quality, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_png(path: &Path) {
        ::image::RgbImage::from_pixel(200, 200, ::image::Rgb([10, 20, 30]))
            .save(path)
            .unwrap();
    }

    fn names(reports: &[FixReport]) -> Vec<String> {
        reports
            .iter()
            .map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn walk_skips_temp_files_and_links_inside_folders() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        std::fs::create_dir_all(&input).unwrap();
        small_png(&input.join("a.png"));
        // The temporary file of an interrupted run is never an input.
        std::fs::copy(
            input.join("a.png"),
            input.join(".a.png.0123456789abcdef.preflight-tmp"),
        )
        .unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(input.join("a.png"), input.join("link.png")).unwrap();
        let p = Profile::seedance2();
        let o = FixOptions::new();
        let out = dir.path().join("out");
        let run = FixRunOptions::new().jobs(1);
        let reports = fix_paths(std::slice::from_ref(&input), &out, &p, &o, &run).unwrap();
        assert_eq!(names(&reports), ["a.png"]);
        assert_eq!(reports[0].status, FixStatus::Repaired, "{:?}", reports[0]);
        assert_eq!(reports[0].output, Some(out.join("in/a.png")));
        // Following links (as `check --follow-links`), the link is an input too.
        #[cfg(unix)]
        {
            let out = dir.path().join("out2");
            let run = run.follow_links(true);
            let reports = fix_paths(std::slice::from_ref(&input), &out, &p, &o, &run).unwrap();
            assert_eq!(names(&reports), ["a.png", "link.png"]);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_loop_is_reported_as_check_reports_it() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        std::fs::create_dir_all(&input).unwrap();
        std::os::unix::fs::symlink(&input, input.join("loop")).unwrap();
        let run = FixRunOptions::new().jobs(1).follow_links(true);
        let reports = fix_paths(
            std::slice::from_ref(&input),
            &dir.path().join("out"),
            &Profile::seedance2(),
            &FixOptions::new(),
            &run,
        )
        .unwrap();
        assert_eq!(names(&reports), ["loop"]);
        let r = &reports[0];
        assert_eq!(r.rules, ["file.unreadable"]);
        assert!(
            matches!(r.error.as_deref(), Some(FixError::Walk(_))),
            "{r:?}"
        );
        assert_eq!(r.reason.as_deref(), Some("symbolic link loop"));
    }

    #[test]
    fn a_report_carries_the_typed_reason_and_its_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let (p, o, l) = (
            Profile::seedance2(),
            FixOptions::new(),
            ProbeLimits::default(),
        );
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "hello").unwrap();
        let r = fix_path(&notes, &dir.path().join("out/notes.txt"), &p, &o, &l);
        assert_eq!(r.status, FixStatus::NotRepaired);
        assert!(
            matches!(
                r.error.as_deref(),
                Some(FixError::NotRepairable(NotRepairable::UnknownType))
            ),
            "{r:?}"
        );
        assert_eq!(
            r.reason.as_deref(),
            Some("not a media type preflight recognises")
        );
        let r = fix_path(
            &dir.path().join("missing.jpg"),
            &dir.path().join("out/m.jpg"),
            &p,
            &o,
            &l,
        );
        assert!(
            matches!(r.error.as_deref(), Some(FixError::Unreadable { .. })),
            "{r:?}"
        );
        assert!(r.reason.unwrap().starts_with("cannot read"));
        assert!(!dir.path().join("out").exists());
    }

    #[test]
    fn a_plan_serializes_its_reason_as_the_sentence() {
        let info = MediaInfo::new(Format::Unknown, 0);
        let p = plan(&info, &Profile::seedance2(), &FixOptions::new());
        assert_eq!(p.not_repairable_reason(), Some(&NotRepairable::Empty));
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v["steps"][0],
            serde_json::json!({"step": "not_repairable", "reason": "the file is empty"})
        );
        assert_eq!(p.to_string(), "not repairable: the file is empty");
    }

    #[test]
    fn video_bytes_need_a_path() {
        let mut info = MediaInfo::new(Format::Mkv, 1000);
        info.kind = Kind::Video;
        let (p, o) = (Profile::seedance2(), FixOptions::new());
        let e = apply_bytes(&plan(&info, &p, &o), b"", &p, &o).unwrap_err();
        assert!(
            matches!(e, FixError::NotRepairable(NotRepairable::NeedsFilePath)),
            "{e:?}"
        );
    }
}
