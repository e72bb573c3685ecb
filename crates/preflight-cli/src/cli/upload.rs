//! `preflight upload PATH... (--group NAME | --group-id ID)`
//!
//! Checks everything first and prints what fails (nothing failing is
//! uploaded), finds or makes the group, then uploads the rest with bounded
//! concurrency, printing `path → asset://ID` per file on stdout. The manifest
//! is saved after every upload, so an interrupted run (Ctrl-C, kill -9, a
//! lost network) resumes without duplicates. With `--fix`, failing files are
//! first repaired into `--fix-out` (mirrored as `preflight fix` does, each
//! output re-checked) and the repaired copies are uploaded in their place.
//! preflight's own files found in a folder (manifest, lock, `--fix-out`,
//! temporary files) are never inputs; Ctrl-C prints what finished and the
//! command that resumes.

use super::api::{self, ApiArgs};
use super::exit;
use super::output::sanitize;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use preflight::{check_paths, BatchOptions, FileReport, Profile, Verdict};
use preflight_api::upload;
use preflight_api::upload::manifest::DEFAULT_FILE;
use preflight_api::upload::{
    asset_uri, upload_files, Manifest, Mode, Outcome, Source, UploadError, UploadOptions,
};
use preflight_api::CheckedFile;
use std::collections::{HashMap, HashSet};
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// A multipart form, the file streamed from disk.
    Multipart,
    /// A data: URI in the JSON body (small files only).
    DataUri,
}

#[derive(Args, Debug)]
pub struct UploadArgs {
    /// Files and folders to upload (folders recursively), `https://` URLs
    /// (created by URL: the service fetches them) and, with --presign,
    /// `s3://bucket/prefix/` objects.
    #[arg(required = true, value_name = "PATH|URL")]
    paths: Vec<PathBuf>,
    /// Create `s3://` objects from presigned GET URLs valid this long
    /// (e.g. 24h, 90m, 7d; at most 7d, SigV4's limit). Required for
    /// object-store inputs: preflight never relies on objects being public.
    #[arg(long, value_name = "DURATION", value_parser = super::remote_upload::parse_presign)]
    presign: Option<Duration>,
    #[command(flatten)]
    remote: super::remote::RemoteArgs,
    /// The group, by the name you chose: used when it exists (with or without
    /// the service's [u-…]-[t-…] prefix), made when it does not.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "group_id",
        conflicts_with = "group_id"
    )]
    group: Option<String>,
    /// The group, by id.
    #[arg(long, value_name = "ID")]
    group_id: Option<String>,
    /// How the bytes travel.
    #[arg(long, value_enum, default_value_t = ModeArg::Multipart)]
    mode: ModeArg,
    /// Uploads in flight at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// Wait until every asset is Active or Failed, and print each final status.
    #[arg(long)]
    wait: bool,
    /// Longest wait with --wait, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    wait_timeout: u64,
    /// The manifest of finished uploads.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_FILE)]
    manifest: PathBuf,
    /// Built-in profile name or a TOML file with the same fields.
    #[arg(long, default_value = "seedance2", value_name = "NAME|FILE.toml")]
    profile: String,
    /// Repair failing files first (as `preflight fix` does) and upload the
    /// repaired copies; what cannot be repaired is not uploaded.
    #[arg(long)]
    fix: bool,
    /// Where `--fix` writes the repaired copies, mirrored as `fix --out` lays
    /// them out (kept: the manifest names them; never taken as input).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "preflight-fixed",
        requires = "fix"
    )]
    fix_out: PathBuf,
    /// Fail at once when another run holds the manifest's lock (default: wait for it).
    #[arg(long)]
    no_wait_lock: bool,
    /// Stop starting uploads after this many consecutive failures to reach
    /// the service (0: never).
    #[arg(long, value_name = "N", default_value_t = 8)]
    max_failures: u32,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[command(flatten)]
    api: ApiArgs,
}

/// Repairs each failing file into `out`, at the place `preflight fix
/// ROOTS --out OUT` would write it (`out` + the root's own name + the path
/// below it, see [`Inputs::mirrored`]); returns the checked repaired copies
/// and how many could not be repaired (each printed with its reason).
fn repair(
    failing: &[(PathBuf, PathBuf)],
    out: &Path,
    profile: &Profile,
) -> (Vec<CheckedFile>, u64) {
    use preflight_fix::{fix_path_with, FixOptions, FixRunOptions, FixStatus};
    let (mut files, mut lost) = (Vec::new(), 0u64);
    let mut claimed = HashSet::new();
    for (input, relative) in failing {
        let target = claim(&mut claimed, &out.join(relative));
        let r = fix_path_with(
            input,
            &target,
            profile,
            &FixOptions::default(),
            &FixRunOptions::default(),
        );
        let checked = match (&r.status, &r.output) {
            (FixStatus::Repaired, Some(o)) => {
                let rep = preflight::check_path(o, profile, &preflight::ProbeLimits::default());
                CheckedFile::from_report(&rep).ok().map(|f| (o.clone(), f))
            }
            _ => None,
        };
        match checked {
            Some((o, f)) => {
                eprintln!(
                    "fixed  {} → {}: {}",
                    sanitize(&r.path.to_string_lossy()),
                    sanitize(&o.to_string_lossy()),
                    r.actions.join("; ")
                );
                files.push(f);
            }
            None => {
                lost += 1;
                let why = r
                    .reason
                    .as_deref()
                    .unwrap_or("the repaired copy did not pass the check");
                eprintln!(
                    "       {}: not repaired: {why} (not uploaded)",
                    sanitize(&r.path.to_string_lossy())
                );
            }
        }
    }
    (files, lost)
}

/// A name under `target`'s folder no other repaired copy of this run has,
/// compared by stem (a format change may give `a.png` the name `a.jpg`):
/// `a.jpg`, else `a-1.jpg`, … as `preflight fix` names them.
fn claim(claimed: &mut HashSet<PathBuf>, target: &Path) -> PathBuf {
    let stem = target.file_stem().unwrap_or_default().to_string_lossy();
    let ext = target.extension().map(|e| e.to_string_lossy());
    (0..)
        .map(|n| match (n, &ext) {
            (0, _) => target.to_path_buf(),
            (_, Some(e)) => target.with_file_name(format!("{stem}-{n}.{e}")),
            (_, None) => target.with_file_name(format!("{stem}-{n}")),
        })
        .find(|name| claimed.insert(name.with_extension("")))
        .unwrap_or_else(|| target.to_path_buf())
}

/// The absolute, symlink-free form of `p`, also when `p` (or its last
/// component) does not exist yet.
fn resolve(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map_or(abs.clone(), |d| d.join(name)),
        _ => abs,
    }
}

/// What `upload` takes as input: the paths given, minus preflight's own
/// files met inside a folder (issue 14 bug 4): the manifest and its lock
/// (ours, and any other `preflight-manifest.json`), the `--fix-out` folder
/// and preflight's temporary files. A path named on the command line is
/// always taken.
struct Inputs {
    roots: Vec<(PathBuf, PathBuf)>,
    manifest: PathBuf,
    lock: PathBuf,
    fix_out: Option<PathBuf>,
}

impl Inputs {
    /// Fails (a usage error, with what to do) when `--fix` would write into
    /// a folder that is, or holds, an input, or `--fix-out` is not a folder.
    fn new(args: &UploadArgs) -> Result<Inputs, String> {
        let roots: Vec<(PathBuf, PathBuf)> =
            args.paths.iter().map(|p| (p.clone(), resolve(p))).collect();
        let fix_out = resolve(&args.fix_out);
        let holds_input = roots.iter().any(|(_, r)| r.starts_with(&fix_out));
        if args.fix {
            if args.fix_out.exists() && !args.fix_out.is_dir() {
                return Err(format!(
                    "--fix-out {} is not a folder: choose a folder for the repaired copies with --fix-out DIR",
                    sanitize(&args.fix_out.to_string_lossy())
                ));
            }
            if holds_input {
                return Err(format!(
                    "--fix-out {} is an input folder or holds one: choose a folder outside the inputs with --fix-out DIR (e.g. --fix-out ../preflight-fixed)",
                    sanitize(&args.fix_out.to_string_lossy())
                ));
            }
        }
        // The manifest must be writable where it is named: found now, not
        // after the files were checked, repaired and uploaded.
        if args.manifest.is_dir() {
            return Err(format!(
                "--manifest {} is a folder: name a file (e.g. --manifest {}/{DEFAULT_FILE})",
                sanitize(&args.manifest.to_string_lossy()),
                sanitize(&args.manifest.to_string_lossy())
            ));
        }
        if let Err(e) = preflight::fs::AtomicFile::create(&args.manifest) {
            return Err(format!(
                "cannot write the manifest {}: {e} (choose a writable place with --manifest FILE)",
                sanitize(&args.manifest.to_string_lossy())
            ));
        }
        let manifest = resolve(&args.manifest);
        let mut lock = manifest.clone().into_os_string();
        lock.push(".lock");
        Ok(Inputs {
            roots,
            manifest,
            lock: PathBuf::from(lock),
            // Without --fix, a folder given as input is still taken whole.
            fix_out: (!holds_input).then_some(fix_out),
        })
    }

    fn named(&self, path: &Path) -> bool {
        self.roots.iter().any(|(given, _)| given == path)
    }

    /// Whether a checked path is one of preflight's own files.
    fn is_own(&self, path: &Path) -> bool {
        if self.named(path) {
            return false;
        }
        if preflight::fs::is_temp_file(path) {
            return true;
        }
        let default_lock = format!("{DEFAULT_FILE}.lock");
        if path
            .file_name()
            .is_some_and(|n| n == DEFAULT_FILE || n == default_lock.as_str())
        {
            return true;
        }
        let r = resolve(path);
        r == self.manifest
            || r == self.lock
            || self.fix_out.as_ref().is_some_and(|o| r.starts_with(o))
    }

    /// Where `preflight fix ROOTS --out OUT` mirrors `path` under `OUT`: the
    /// name of the root it was found under, then the path below that root.
    fn mirrored(&self, path: &Path) -> PathBuf {
        let base = |root: &Path| {
            root.file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("input"))
        };
        for (given, _) in &self.roots {
            if let Ok(below) = path.strip_prefix(given) {
                if below.as_os_str().is_empty() {
                    return base(given);
                }
                return base(given).join(below);
            }
        }
        path.file_name().map(PathBuf::from).unwrap_or_default()
    }
}

/// `Err` (naming the rule `asset.name_length`) when a group named `name`
/// cannot be stored behind a prefix of `prefix` characters.
fn group_name_fits(name: &str, prefix: usize) -> Result<(), String> {
    let n = name.chars().count();
    if n + prefix <= upload::MAX_NAME_CHARS {
        return Ok(());
    }
    Err(format!(
        "asset.name_length: the group name {:?} has {n} characters; behind the service's {prefix}-character [u-…]-[t-…]- prefix, names hold at most {} (choose a name of at most {} characters)",
        sanitize(name),
        upload::MAX_NAME_CHARS,
        upload::name_budget(prefix)
    ))
}

enum GroupError {
    Api(preflight_api::upload::UploadError),
    Name(String),
}

/// The group named `name`; one is made only when its name fits behind the
/// assumed prefix (a group that exists has fitted).
fn find_or_create_group(
    client: &preflight_api::upload::Client,
    name: &str,
) -> Result<preflight_api::upload::Group, GroupError> {
    if let Some(g) = client.find_group(name).map_err(GroupError::Api)? {
        return Ok(g);
    }
    group_name_fits(name, upload::ASSUMED_PREFIX_CHARS).map_err(GroupError::Name)?;
    client.create_group_and_find(name).map_err(GroupError::Api)
}

/// The service holds at most this many assets per account (SPEC §1).
const MAX_ACCOUNT_ASSETS: u64 = 10_000;

/// Warns when `adding` more assets could take the account past the
/// service's 10,000; a count the service does not give is no warning.
fn warn_account_limit(client: &preflight_api::upload::Client, adding: u64) {
    let filter = preflight_api::upload::AssetFilter::new();
    if let Ok(Some(held)) = client.count_assets(&filter) {
        if held.saturating_add(adding) > MAX_ACCOUNT_ASSETS {
            eprintln!(
                "preflight: warning: the account holds {held} assets and this batch adds up to {adding}: the service keeps at most {MAX_ACCOUNT_ASSETS} per account, so uploads past it will be refused"
            );
        }
    }
}

pub fn run(args: UploadArgs) -> u8 {
    let profile = match Profile::from_name_or_path(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("preflight: {e}");
            return exit::USAGE;
        }
    };
    let client = match args.api.client() {
        Ok(c) => c,
        Err(u) => return api::usage(u),
    };
    let inputs = match Inputs::new(&args) {
        Ok(i) => i,
        Err(why) => {
            eprintln!("preflight: {why}");
            return exit::USAGE;
        }
    };
    // A group name that cannot be stored, whatever the prefix, is refused
    // before any work (asset.name_length).
    if let Some(name) = &args.group {
        if let Err(why) = group_name_fits(name, upload::MIN_PREFIX_CHARS) {
            eprintln!("preflight: {why}");
            return exit::USAGE;
        }
    }
    // URLs: refused before any request when they cannot be sent.
    let (urls, local) = super::remote::split(args.paths.clone());
    let (urls, refused) = match super::remote_upload::screen(urls, args.presign, &profile) {
        Ok(u) => u,
        Err(why) => {
            eprintln!("preflight: {why}");
            return exit::USAGE;
        }
    };
    let stop = Interrupt::install();
    // 1. Check everything first.
    let opts = BatchOptions::default();
    let mut reports: Vec<FileReport> = if local.is_empty() {
        Vec::new()
    } else {
        match check_paths(local, &profile, &opts) {
            Ok(r) => r.filter(|r| !inputs.is_own(&r.path)).collect(),
            Err(e) => {
                eprintln!("preflight: {e}");
                return exit::USAGE;
            }
        }
    };
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    // Remote objects: checked by range; those that pass travel by URL.
    let remote = super::remote_upload::check(urls, &profile, &args.remote, args.presign);
    let remote_paths: HashSet<PathBuf> = remote.reports.iter().map(|r| r.path.clone()).collect();
    let mut remote_files = remote.files;
    reports.extend(refused);
    reports.extend(remote.reports);
    let unreadable = reports
        .iter()
        .filter(|r| {
            r.verdict == Verdict::Error
                && r.violations
                    .iter()
                    .any(|v| v.rule == preflight::Rule::FileUnreadable)
        })
        .count() as u64;
    let mut files = Vec::new();
    let mut rejected = 0u64;
    let mut to_fix = Vec::new();
    let limits = preflight::ProbeLimits::default();
    for r in &reports {
        let is_remote = remote_paths.contains(&r.path);
        if is_remote && r.verdict == Verdict::Pass {
            if let Some((_, why)) = remote.unsendable.iter().find(|(p, _)| *p == r.path) {
                rejected += 1;
                eprintln!("error  {}  (not uploaded)", sanitize(&r.path_str()));
                eprintln!("         ✗ {}", sanitize(why));
            }
            continue;
        }
        // Pinned right after the check: what is sent must hash the same.
        let checked = if is_remote {
            Err(())
        } else {
            CheckedFile::from_report(r)
                .and_then(|f| f.pin(&limits).map(|_| f))
                .map_err(|_| ())
        };
        match checked {
            Ok(f) => files.push(f),
            Err(_) if args.fix && r.verdict == Verdict::Fail && !is_remote => {
                to_fix.push((r.path.clone(), inputs.mirrored(&r.path)))
            }
            Err(_) => {
                rejected += 1;
                let what = if r.verdict == Verdict::Error {
                    "error"
                } else {
                    "fail "
                };
                eprintln!("{what}  {}  (not uploaded)", sanitize(&r.path_str()));
                for v in &r.violations {
                    eprintln!("         ✗ {}: {}", v.rule, sanitize(&v.message));
                }
                if is_remote && args.fix && r.verdict == Verdict::Fail {
                    eprintln!("         (--fix does not repair remote objects: `preflight fix URL --out DIR`, then upload the repaired copies)");
                }
            }
        }
    }
    files.append(&mut remote_files);
    let mut repair_lost = 0u64;
    if !to_fix.is_empty() {
        let (fixed, lost) = repair(&to_fix, &args.fix_out, &profile);
        files.extend(fixed);
        repair_lost = lost;
    }
    // The same input gives the same code as `check` (issue 14): nothing
    // checked or nothing readable is a usage error, any failure is 1.
    let checked_code = exit::for_batch(reports.len() as u64, unreadable, rejected + repair_lost);
    rejected += repair_lost;
    if files.is_empty() {
        eprintln!(
            "preflight: nothing to upload ({} file{} checked, {rejected} failed)",
            reports.len(),
            if reports.len() == 1 { "" } else { "s" }
        );
        return exit::merge([checked_code, exit::FAIL]);
    }
    if stop.cancel.load(Ordering::SeqCst) {
        eprintln!(
            "preflight: interrupted before any upload: no file was sent; resume with:\n  {}",
            resume_command()
        );
        return exit::INTERRUPTED;
    }
    // 2. One run per manifest: the lock, the manifest, then the group.
    let _lock = match Manifest::lock(&args.manifest, !args.no_wait_lock, |lock| {
        eprintln!(
            "preflight: another run is using {}; waiting for it to finish (lock {})",
            args.manifest.display(),
            lock.display()
        )
    }) {
        Ok(l) => l,
        Err(e) => return api::fail(&e),
    };
    let mut manifest = match Manifest::load(&args.manifest) {
        Ok(m) => m,
        Err(e) => return api::fail(&e),
    };
    // The isolation prefix the service puts before names: as a listed group
    // shows it, else the longest assumed.
    let mut prefix = upload::ASSUMED_PREFIX_CHARS;
    let group_id = match (&args.group_id, &args.group) {
        (Some(id), _) => id.clone(),
        (None, Some(name)) => match find_or_create_group(&client, name) {
            Ok(g) => {
                if let Some(n) = upload::prefix_chars(&g.name, name) {
                    prefix = n;
                }
                if !g.also_named.is_empty() {
                    eprintln!(
                        "preflight: {} groups are named {}: using the oldest, {} (the others: {})",
                        g.also_named.len() + 1,
                        sanitize(name),
                        g.id,
                        g.also_named.join(", ")
                    );
                }
                g.id
            }
            Err(GroupError::Api(e)) => return api::fail(&e),
            Err(GroupError::Name(why)) => {
                eprintln!("preflight: {why}");
                return exit::USAGE;
            }
        },
        (None, None) => return api::usage(api::Usage("give --group NAME or --group-id ID".into())),
    };
    // A remote object uploaded before whose validators changed is another
    // version: it becomes a new asset (the earlier one keeps the content
    // the service fetched then).
    for f in files.iter().filter(|f| f.send_url().is_some()) {
        let url = f.path().to_string_lossy();
        if let (Some(e), Ok(key)) = (manifest.find_url(&group_id, &url), f.content_hash()) {
            if e.hash != key {
                eprintln!(
                    "note   {}: changed since it was uploaded as {} (ETag {} → {}, Last-Modified {} → {}): uploading it as a new asset",
                    sanitize(&url),
                    asset_uri(&e.asset_id),
                    sanitize(e.etag.as_deref().unwrap_or("none")),
                    sanitize(f.validators().and_then(|v| v.etag.as_deref()).unwrap_or("none")),
                    sanitize(e.last_modified.as_deref().unwrap_or("none")),
                    sanitize(f.validators().and_then(|v| v.last_modified.as_deref()).unwrap_or("none")),
                );
            }
        }
        if f.validators().is_some_and(|v| !v.identify()) {
            eprintln!(
                "note   {}: the server gives no ETag or Last-Modified: a re-run knows it by URL and size only",
                sanitize(&url)
            );
        }
    }
    warn_account_limit(&client, files.len() as u64);
    // 3. Upload.
    let bar = progress_bar(args.quiet, files.len() as u64);
    let (created, reused, failed) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let not_sent = AtomicU64::new(0);
    let on_done = |o: &Outcome| {
        bar.inc(1);
        let path = sanitize(&o.path.to_string_lossy());
        bar.suspend(|| match &o.result {
            Ok(u) => {
                let note = match u.source {
                    Source::Created => {
                        created.fetch_add(1, Ordering::Relaxed);
                        ""
                    }
                    Source::Manifest => {
                        reused.fetch_add(1, Ordering::Relaxed);
                        "  (already uploaded)"
                    }
                    Source::Existing => {
                        reused.fetch_add(1, Ordering::Relaxed);
                        "  (already in the group)"
                    }
                };
                FINISHED.fetch_add(1, Ordering::SeqCst);
                out_line(format_args!("{path} → {}{note}", asset_uri(&u.asset_id)));
            }
            Err(UploadError::Cancelled) => {}
            Err(e) => {
                failed.fetch_add(1, Ordering::Relaxed);
                if matches!(e, UploadError::ServiceDown { .. }) {
                    not_sent.fetch_add(1, Ordering::Relaxed);
                }
                eprintln!("error  {path}: {}", sanitize(&e.to_string()));
            }
        });
    };
    let opts = UploadOptions::new()
        .mode(match args.mode {
            ModeArg::Multipart => Mode::Multipart,
            ModeArg::DataUri => Mode::DataUri,
        })
        .jobs(args.jobs.max(1))
        .max_failures(args.max_failures)
        .intent_wait(intent_wait())
        .name_chars(upload::name_budget(prefix))
        .cancel(Arc::clone(&stop.cancel));
    TOTAL.store(files.len() as u64, Ordering::SeqCst);
    PHASE.store(UPLOADING, Ordering::SeqCst);
    let outcomes = match upload_files(&client, &group_id, &files, &mut manifest, &opts, &on_done) {
        Ok(o) => o,
        Err(e) => {
            bar.finish_and_clear();
            return api::fail(&e);
        }
    };
    bar.finish_and_clear();
    if stop.cancel.load(Ordering::SeqCst) {
        let (made, there) = (
            created.load(Ordering::Relaxed),
            reused.load(Ordering::Relaxed),
        );
        eprintln!(
            "preflight: interrupted: {} of {} file{} finished ({made} uploaded, {there} already there, {} could not be uploaded), {} not sent; the manifest {} records them; resume with:\n  {}",
            made + there,
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            failed.load(Ordering::Relaxed),
            outcomes
                .iter()
                .filter(|o| matches!(o.result, Err(UploadError::Cancelled)))
                .count(),
            args.manifest.display(),
            resume_command()
        );
        return exit::INTERRUPTED;
    }
    let mut code = exit::merge([
        checked_code,
        if failed.load(Ordering::Relaxed) > 0 {
            exit::FAIL
        } else {
            exit::PASS
        },
    ]);
    // 4. Optionally wait for the service to process them.
    PHASE.store(WAITING, Ordering::SeqCst);
    if args.wait {
        let mut ids: Vec<String> = Vec::new();
        let mut paths: HashMap<String, Vec<String>> = HashMap::new();
        for o in &outcomes {
            if let Ok(u) = &o.result {
                if !paths.contains_key(&u.asset_id) {
                    ids.push(u.asset_id.clone());
                }
                paths
                    .entry(u.asset_id.clone())
                    .or_default()
                    .push(sanitize(&o.path.to_string_lossy()));
            }
        }
        match client.wait_active(&ids, Duration::from_secs(args.wait_timeout)) {
            Ok(assets) => {
                for a in &assets {
                    manifest.set_status(&a.id, a.status.as_str());
                    for p in paths.get(&a.id).into_iter().flatten() {
                        out_line(format_args!("{p} → {}  {}", asset_uri(&a.id), a.status));
                    }
                    if !a.status.is_final() {
                        eprintln!(
                            "preflight: {} is still {} after {} s",
                            a.id, a.status, args.wait_timeout
                        );
                    }
                    if a.status != preflight_api::upload::AssetStatus::Active {
                        code = exit::FAIL;
                    }
                }
                if let Err(e) = manifest.save() {
                    code = api::fail(&e).max(code);
                }
            }
            Err(e) => code = api::fail(&e).max(code),
        }
    }
    if not_sent.load(Ordering::Relaxed) > 0 {
        eprintln!(
            "preflight: the service failed {} times in a row: stopped with {} file(s) not sent; resume with:\n  {}",
            args.max_failures,
            not_sent.load(Ordering::Relaxed),
            resume_command()
        );
    }
    eprintln!(
        "{} uploaded, {} already there, {} failed the check, {} could not be uploaded (group {}, manifest {})",
        created.load(Ordering::Relaxed),
        reused.load(Ordering::Relaxed),
        rejected,
        failed.load(Ordering::Relaxed),
        sanitize(&group_id),
        args.manifest.display()
    );
    code
}

/// Where a run is, for what Ctrl-C does: before any upload and while
/// waiting for the assets it ends the run at once (nothing is lost: every
/// finished upload is in the manifest); while uploading the first Ctrl-C
/// lets the uploads in flight finish and be recorded, a second one ends it.
const CHECKING: u8 = 0;
const UPLOADING: u8 = 1;
const WAITING: u8 = 2;
static PHASE: AtomicU8 = AtomicU8::new(CHECKING);
/// Files uploaded or found already there, of `TOTAL` to upload.
static FINISHED: AtomicU64 = AtomicU64::new(0);
static TOTAL: AtomicU64 = AtomicU64::new(0);

/// The Ctrl-C handler of `upload`.
struct Interrupt {
    cancel: Arc<AtomicBool>,
}

impl Interrupt {
    fn install() -> Interrupt {
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        let resume = resume_command();
        // Without a handler Ctrl-C just ends the process: the manifest
        // already holds every finished upload.
        let _ = ctrlc::set_handler(move || {
            let phase = PHASE.load(Ordering::SeqCst);
            if phase == UPLOADING && !flag.swap(true, Ordering::SeqCst) {
                eprintln!(
                    "\npreflight: stopping: the uploads in flight finish and are recorded (Ctrl-C again to stop at once)"
                );
                return;
            }
            flag.store(true, Ordering::SeqCst);
            let (done, total) = (
                FINISHED.load(Ordering::SeqCst),
                TOTAL.load(Ordering::SeqCst),
            );
            let what = match phase {
                CHECKING => "interrupted before any upload: no file was sent".to_string(),
                WAITING => format!(
                    "interrupted while waiting: {done} of {total} finished, every upload is in the manifest"
                ),
                _ => format!("interrupted: {done} of {total} finished, {} not sent or in flight", total.saturating_sub(done)),
            };
            eprintln!("\npreflight: {what}; resume with:\n  {resume}");
            std::process::exit(i32::from(exit::INTERRUPTED));
        });
        Interrupt { cancel }
    }
}

/// How long a re-run waits for the creates a killed run left in flight:
/// 30 s, or `PREFLIGHT_INTENT_WAIT_MS` (for tests).
fn intent_wait() -> Duration {
    std::env::var("PREFLIGHT_INTENT_WAIT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(30), Duration::from_millis)
}

/// This very command line, shell-quoted, to run again (its paths and
/// values are the user's own; control characters are escaped).
fn resume_command() -> String {
    std::env::args_os()
        .map(|a| {
            let a = sanitize(&a.to_string_lossy());
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line on stdout; a closed pipe (`… | head`) must not stop the uploads
/// (the manifest is what counts), so write errors are ignored.
fn out_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = io::stdout().lock();
    let _ = out
        .write_fmt(args)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush());
}

fn progress_bar(quiet: bool, len: u64) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} uploaded {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
