//! Repairs for media that fails a [`preflight`] profile: the library behind
//! `preflight fix`.
//!
//! For each failing file: [`plan`] the repairs from its [`MediaInfo`] and the
//! [`Profile`] (a value that can be printed and tested), [`apply`] them, then
//! re-check the output ([`fix_path`]). An output that does not pass is removed
//! and the file is reported as not repaired.
//!
//! Images and audio are repaired in pure Rust (`image` + `fast_image_resize`,
//! `symphonia` + `hound`); video, and the image types without a Rust decoder
//! here (AVIF, JPEG XL, PSD), go through `ffmpeg` when it is on `PATH`
//! ([`Ffmpeg::find`]). Inputs are never written: outputs go to a temporary
//! name in the output folder and are renamed into place once they pass.
//!
//! ```no_run
//! use preflight_fix::{fix_path, FixOptions, FixStatus};
//! use preflight::{Profile, ProbeLimits};
//! use std::path::Path;
//!
//! let r = fix_path(
//!     Path::new("big.jpg"),
//!     Path::new("out/big.jpg"),
//!     &Profile::seedance2(),
//!     &FixOptions::default(),
//!     &ProbeLimits::default(),
//! );
//! if r.status == FixStatus::Repaired {
//!     println!("{}", r.actions.join("; "));
//! }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audio;
pub mod image;
pub mod plan;
pub mod video;

pub use plan::{
    fit, plan, AspectMode, Bounds, FixOptions, FixPlan, Geometry, ImageTarget, Rect, Size, Step,
    TrimMode,
};
pub use video::Ffmpeg;

use preflight::check_path;
use preflight::FileReport;
use preflight::ProbeLimits;
use preflight::Profile;
use preflight::{human_bytes, Verdict};
use preflight::{Format, Kind, MediaInfo};
use serde::Serialize;
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Why a repair could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixError {
    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The input could not be decoded.
    #[error("cannot decode: {0}")]
    Decode(String),
    /// The output could not be encoded.
    #[error("cannot encode: {0}")]
    Encode(String),
    /// The repair needs a tool that is not installed.
    #[error("not repairable: needs {0}")]
    Needs(&'static str),
    /// An external tool failed.
    #[error("{tool} failed ({status}): {stderr}")]
    Tool {
        /// The tool.
        tool: &'static str,
        /// Its exit status.
        status: String,
        /// The end of what it printed on stderr.
        stderr: String,
    },
    /// The plan says the file cannot be repaired, or no output fits the limits.
    #[error("{0}")]
    NotRepairable(String),
}

/// What [`apply`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
pub struct Repaired {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// Its format.
    pub format: Format,
    /// What was done.
    pub actions: Vec<String>,
}

/// The usual extension of a format written by `fix`.
pub fn extension(f: Format) -> &'static str {
    match f {
        Format::Jpeg => "jpg",
        Format::Tiff => "tif",
        other => other.extensions().first().copied().unwrap_or("bin"),
    }
}

/// `path` with the extension of `f`, unless its extension already names `f`.
pub fn with_format_extension(path: &Path, f: Format) -> PathBuf {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if ext.as_deref().is_some_and(|e| f.extensions().contains(&e)) {
        return path.to_path_buf();
    }
    path.with_extension(extension(f))
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
        return Err(FixError::NotRepairable(r.to_string()));
    }
    match plan.kind {
        Kind::Image => image::repair(plan, data, None, profile, opts),
        Kind::Audio => audio::repair(plan, data, None, profile, opts),
        _ => Err(FixError::Needs("ffmpeg and a file path (use `apply`)")),
    }
}

static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// A temporary name beside `final_path`, hidden, with the same extension
/// (ffmpeg and the checker look at it).
fn temp_path(final_path: &Path) -> PathBuf {
    let n = TMP_SEQ.fetch_add(1, Ordering::Relaxed);
    let mut name = OsString::from(".");
    name.push(final_path.file_stem().unwrap_or_default());
    name.push(format!(".preflight-tmp-{}-{n}", std::process::id()));
    if let Some(e) = final_path.extension() {
        name.push(".");
        name.push(e);
    }
    final_path.with_file_name(name)
}

/// Removes a file on drop unless disarmed.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Applies `plan` to the file `input` and writes the result to `output`
/// (through a temporary name in the same folder, renamed into place). The
/// extension of `output` is changed when the written format differs. Refuses
/// to write over `input`.
///
/// This does not re-check the output: [`fix_path`] does.
pub fn apply(
    plan: &FixPlan,
    input: &Path,
    output: &Path,
    profile: &Profile,
    opts: &FixOptions,
) -> Result<FixOutcome, FixError> {
    let staged = stage(plan, input, output, profile, opts)?;
    staged.commit()
}

/// A repaired file under its temporary name, not yet renamed into place.
struct Staged {
    tmp: TempGuard,
    final_path: PathBuf,
    outcome: FixOutcome,
}

impl Staged {
    fn tmp_path(&self) -> &Path {
        self.tmp.0.as_deref().unwrap_or(Path::new(""))
    }

    fn commit(mut self) -> Result<FixOutcome, FixError> {
        let tmp = self.tmp.0.take().unwrap_or_default();
        if let Err(e) = std::fs::rename(&tmp, &self.final_path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        Ok(self.outcome)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn stage(
    plan: &FixPlan,
    input: &Path,
    output: &Path,
    profile: &Profile,
    opts: &FixOptions,
) -> Result<Staged, FixError> {
    if let Some(r) = plan.not_repairable_reason() {
        return Err(FixError::NotRepairable(r.to_string()));
    }
    let bytes_in = std::fs::metadata(input)?.len();
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let (tmp, format, actions) = match plan.kind {
        Kind::Image | Kind::Audio => {
            let data = std::fs::read(input)?;
            let r = if plan.kind == Kind::Image {
                image::repair(plan, &data, Some(input), profile, opts)?
            } else {
                audio::repair(plan, &data, Some(input), profile, opts)?
            };
            let final_path = with_format_extension(output, r.format);
            if same_file(&final_path, input) {
                return Err(FixError::NotRepairable(
                    "the output would overwrite the input".into(),
                ));
            }
            let tmp = temp_path(&final_path);
            let guard = TempGuard(Some(tmp.clone()));
            write_new(&tmp, &r.bytes)?;
            (guard, r.format, r.actions)
        }
        Kind::Video => {
            let out_fmt = plan.output.unwrap_or(Format::Mp4);
            let final_path = with_format_extension(output, out_fmt);
            if same_file(&final_path, input) {
                return Err(FixError::NotRepairable(
                    "the output would overwrite the input".into(),
                ));
            }
            let tmp = temp_path(&final_path);
            let guard = TempGuard(Some(tmp.clone()));
            let actions = video::repair(plan, input, &tmp, profile, opts)?;
            (guard, out_fmt, actions)
        }
        Kind::Unknown => {
            return Err(FixError::NotRepairable(
                "not a media type preflight recognises".into(),
            ))
        }
    };
    let tmp_path = tmp.0.clone().unwrap_or_default();
    let final_path = with_format_extension(output, format);
    let bytes_out = std::fs::metadata(&tmp_path)?.len();
    let mut actions = actions;
    actions.push(format!(
        "{} → {}",
        human_bytes(bytes_in),
        human_bytes(bytes_out)
    ));
    Ok(Staged {
        tmp,
        outcome: FixOutcome {
            output: final_path.clone(),
            format,
            bytes_in,
            bytes_out,
            actions,
        },
        final_path,
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
    /// Why it was not repaired.
    pub reason: Option<String>,
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
            output_rules: Vec::new(),
        }
    }

    fn not_repaired(mut self, reason: impl Into<String>) -> FixReport {
        self.status = FixStatus::NotRepaired;
        self.reason = Some(reason.into());
        self
    }
}

/// How [`fix_path_with`] and [`fix_paths`] run.
#[derive(Debug, Clone, Default)]
pub struct FixRunOptions {
    /// Copy files that already pass too.
    pub all: bool,
    /// Only plan; write nothing.
    pub dry_run: bool,
    /// Worker threads (0: one per core).
    pub jobs: usize,
    /// Resource caps for each probe.
    pub limits: ProbeLimits,
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
    let run = FixRunOptions {
        limits: limits.clone(),
        ..FixRunOptions::default()
    };
    fix_path_with(input, output, profile, opts, &run)
}

fn rules_of(r: &FileReport) -> Vec<&'static str> {
    r.violations.iter().map(|v| v.rule.id()).collect()
}

/// [`fix_path`] with `--all` / `--dry-run`.
pub fn fix_path_with(
    input: &Path,
    output: &Path,
    profile: &Profile,
    opts: &FixOptions,
    run: &FixRunOptions,
) -> FixReport {
    let mut rep = FixReport::new(input, FixStatus::NotRepaired);
    let before = check_path(input, profile, &run.limits);
    rep.rules = rules_of(&before);
    let info: MediaInfo = match (&before.info, before.verdict) {
        (Some(i), _) => i.clone(),
        (None, _) => {
            let why = before
                .violations
                .first()
                .map(|v| v.message.clone())
                .unwrap_or_else(|| "cannot read".into());
            return rep.not_repaired(why);
        }
    };
    let plan = plan::plan(&info, profile, opts);
    let codec_warning = before.warnings.iter().any(|w| w.rule == "video.codec");
    if before.verdict == Verdict::Pass && (plan.is_noop() || !codec_warning && opts.to.is_none()) {
        rep.plan = Some(plan);
        if !run.all {
            rep.status = FixStatus::Passed;
            return rep;
        }
        if run.dry_run {
            rep.status = FixStatus::Planned;
            rep.actions.push("copy".into());
            return rep;
        }
        return copy_passing(input, output, rep);
    }
    if let Some(reason) = plan.not_repairable_reason() {
        let reason = reason.to_string();
        rep.plan = Some(plan);
        return rep.not_repaired(reason);
    }
    if plan.needs_ffmpeg && Ffmpeg::find().is_none() {
        rep.plan = Some(plan);
        return rep.not_repaired("needs ffmpeg (not found on PATH)");
    }
    if run.dry_run {
        rep.status = FixStatus::Planned;
        rep.actions = plan.steps.iter().map(|s| s.to_string()).collect();
        rep.output = Some(with_format_extension(
            output,
            plan.output.unwrap_or(info.format),
        ));
        rep.plan = Some(plan);
        return rep;
    }
    let staged = match stage(&plan, input, output, profile, opts) {
        Ok(s) => s,
        Err(e) => {
            rep.plan = Some(plan);
            return rep.not_repaired(e.to_string());
        }
    };
    rep.plan = Some(plan);
    rep.actions = staged.outcome.actions.clone();
    let after = check_path(staged.tmp_path(), profile, &run.limits);
    if after.verdict != Verdict::Pass {
        rep.output_rules = rules_of(&after);
        let why: Vec<String> = after
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.rule, v.message))
            .collect();
        return rep.not_repaired(format!(
            "the repaired output still fails ({}); removed",
            why.join("; ")
        ));
    }
    match staged.commit() {
        Ok(o) => {
            rep.status = FixStatus::Repaired;
            rep.output = Some(o.output);
            rep
        }
        Err(e) => rep.not_repaired(e.to_string()),
    }
}

fn copy_passing(input: &Path, output: &Path, mut rep: FixReport) -> FixReport {
    if same_file(output, input) {
        return rep.not_repaired("the output would overwrite the input");
    }
    let result = (|| -> std::io::Result<()> {
        if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = temp_path(output);
        let guard = TempGuard(Some(tmp.clone()));
        std::fs::copy(input, &tmp)?;
        std::fs::rename(&tmp, output)?;
        std::mem::forget(guard);
        Ok(())
    })();
    match result {
        Ok(()) => {
            rep.status = FixStatus::Copied;
            rep.output = Some(output.to_path_buf());
            rep.actions.push("copied (already passes)".into());
            rep
        }
        Err(e) => rep.not_repaired(format!("cannot copy: {e}")),
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

/// Refuses an output folder that is an input folder or lies inside one
/// (for a file named directly: its folder).
pub fn check_out_dir(paths: &[PathBuf], out: &Path) -> Result<(), String> {
    let out_r = resolve(out);
    for p in paths {
        let pr = resolve(p);
        let dir = if pr.is_dir() {
            pr
        } else {
            pr.parent().map(Path::to_path_buf).unwrap_or(pr)
        };
        if out_r.starts_with(&dir) {
            return Err(format!(
                "the output folder {} is inside the input folder {}: choose a folder outside the inputs",
                out.display(),
                dir.display()
            ));
        }
    }
    Ok(())
}

/// One file found under a root, with the relative path its output mirrors.
fn walk(paths: &[PathBuf]) -> Vec<(PathBuf, PathBuf)> {
    let mut v = Vec::new();
    for root in paths {
        let base = root
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("input"));
        if !root.is_dir() {
            v.push((root.clone(), base));
            continue;
        }
        for e in walkdir::WalkDir::new(root).sort_by_file_name() {
            match e {
                Ok(e) if e.file_type().is_file() => {
                    let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                    v.push((e.path().to_path_buf(), base.join(rel)));
                }
                Ok(_) => {}
                // An unreadable entry is still reported (as unreadable) by the check.
                Err(err) => {
                    if let Some(p) = err.path() {
                        let rel = p.strip_prefix(root).unwrap_or(p);
                        v.push((p.to_path_buf(), base.join(rel)));
                    }
                }
            }
        }
    }
    v
}

/// Repairs files and folders (recursively) in parallel into `out`, mirroring
/// each input root under `out` as `cp -r` would (`fix photos --out OUT`
/// writes `OUT/photos/...`). Refuses an `out` inside an input folder.
/// Reports come back in input order.
pub fn fix_paths(
    paths: &[PathBuf],
    out: &Path,
    profile: &Profile,
    opts: &FixOptions,
    run: &FixRunOptions,
) -> Result<Vec<FixReport>, String> {
    check_out_dir(paths, out)?;
    let files = walk(paths);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(run.jobs)
        .build()
        .map_err(|e| e.to_string())?;
    let inputs: HashSet<PathBuf> = files.iter().map(|(p, _)| resolve(p)).collect();
    let claimed = Arc::new(Mutex::new(HashSet::<PathBuf>::new()));
    use rayon::prelude::*;
    let reports = pool.install(|| {
        files
            .par_iter()
            .map(|(input, rel)| {
                let target = out.join(rel);
                // Two inputs may map to one output (a.png → a.jpg beside a.jpg): claim names.
                let target = claim(&claimed, &target, &inputs);
                fix_path_with(input, &target, profile, opts, run)
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
