//! `preflight upload PATH... (--group NAME | --group-id ID)`
//!
//! Checks everything first and prints what fails (nothing failing is
//! uploaded), finds or makes the group, then uploads the rest with bounded
//! concurrency, printing `path → asset://ID` per file on stdout. The manifest
//! is saved after every upload, so an interrupted run (Ctrl-C, kill -9, a
//! lost network) resumes without duplicates. With `--fix`, failing files are
//! first repaired into `--fix-out` (as `preflight fix` does, each output
//! re-checked) and the repaired copies are uploaded in their place.

use super::api::{self, ApiArgs};
use super::exit;
use super::output::sanitize;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use preflight::{check_paths, BatchOptions, FileReport, Profile, Verdict};
use preflight_api::upload::manifest::DEFAULT_FILE;
use preflight_api::upload::{
    asset_uri, upload_files, Manifest, Mode, Outcome, Source, UploadError, UploadOptions,
};
use preflight_api::CheckedFile;
use std::collections::HashMap;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Files and folders to upload (folders recursively).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
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
    /// Where `--fix` writes the repaired copies (kept: the manifest names them).
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

/// Repairs the failing files into `out`; returns the checked repaired copies
/// and how many could not be repaired (each printed with its reason).
fn repair(
    failing: &[PathBuf],
    out: &std::path::Path,
    profile: &Profile,
) -> Result<(Vec<CheckedFile>, u64), String> {
    use preflight_fix::{fix_paths, FixOptions, FixRunOptions, FixStatus};
    let reports = fix_paths(
        failing,
        out,
        profile,
        &FixOptions::default(),
        &FixRunOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    let (mut files, mut lost) = (Vec::new(), 0u64);
    for r in reports {
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
    Ok((files, lost))
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
    // 1. Check everything first.
    let opts = BatchOptions::default();
    let mut reports: Vec<FileReport> = match check_paths(args.paths.clone(), &profile, &opts) {
        Ok(r) => r.collect(),
        Err(e) => {
            eprintln!("preflight: {e}");
            return exit::USAGE;
        }
    };
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    let mut files = Vec::new();
    let mut rejected = 0u64;
    let mut to_fix = Vec::new();
    let limits = preflight::ProbeLimits::default();
    for r in &reports {
        // Pinned right after the check: what is sent must hash the same.
        match CheckedFile::from_report(r).and_then(|f| f.pin(&limits).map(|_| f)) {
            Ok(f) => files.push(f),
            Err(_) if args.fix && r.verdict == Verdict::Fail => to_fix.push(r.path.clone()),
            Err(_) => {
                rejected += 1;
                let what = if r.verdict == Verdict::Error {
                    "error"
                } else {
                    "fail "
                };
                eprintln!("{what}  {}  (not uploaded)", sanitize(&r.path_str()));
                for v in &r.violations {
                    eprintln!("         ✗ {}: {}", v.rule, v.message);
                }
            }
        }
    }
    if !to_fix.is_empty() {
        match repair(&to_fix, &args.fix_out, &profile) {
            Ok((fixed, lost)) => {
                files.extend(fixed);
                rejected += lost;
            }
            Err(e) => {
                eprintln!("preflight: {e}");
                return exit::USAGE;
            }
        }
    }
    if files.is_empty() {
        eprintln!(
            "preflight: nothing to upload ({} file{} checked, {rejected} failed)",
            reports.len(),
            if reports.len() == 1 { "" } else { "s" }
        );
        return if reports.is_empty() {
            exit::USAGE
        } else {
            exit::FAIL
        };
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
    let group_id = match (&args.group_id, &args.group) {
        (Some(id), _) => id.clone(),
        (None, Some(name)) => match client.find_or_create_group(name) {
            Ok(g) => {
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
            Err(e) => return api::fail(&e),
        },
        (None, None) => return api::usage(api::Usage("give --group NAME or --group-id ID".into())),
    };
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
                out_line(format_args!("{path} → {}{note}", asset_uri(&u.asset_id)));
            }
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
        .intent_wait(intent_wait());
    let outcomes = match upload_files(&client, &group_id, &files, &mut manifest, &opts, &on_done) {
        Ok(o) => o,
        Err(e) => {
            bar.finish_and_clear();
            return api::fail(&e);
        }
    };
    bar.finish_and_clear();
    let mut code = if rejected + failed.load(Ordering::Relaxed) > 0 {
        exit::FAIL
    } else {
        exit::PASS
    };
    // 4. Optionally wait for the service to process them.
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
