//! `preflight check PATH...`

use super::exit;
use super::output::{
    is_broken_pipe, pad, paint, plural, sanitize, stdout_is_live, write_report_json, Paint,
};
use super::paths;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use preflight::{
    check_paths_with, count_files, BatchOptions, FileReport, ProbeLimits, Profile, Summary, Verdict,
};
use preflight::{fmt_num, human_bytes};
use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One line per file, then a summary.
    Table,
    /// One JSON document, files ordered by path.
    Json,
    /// One JSON object per file as it finishes, then a summary object.
    Ndjson,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files and folders to check (folders recursively). A path given
    /// twice, or inside a folder also given, is checked once.
    #[arg(required_unless_present = "files_from", value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Also check the paths listed in FILE (`-`: standard input), one per
    /// line, or separated by NUL bytes when the list has any (`fd -0`, `find -print0`).
    #[arg(long, value_name = "FILE|-")]
    files_from: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Built-in profile name or a TOML file with the same fields. Repeat it
    /// to judge each file against several profiles in one pass (each file is
    /// read once; the JSON report gains `verdicts`).
    #[arg(long, default_value = "seedance2", value_name = "NAME|FILE.toml")]
    profile: Vec<String>,
    /// Worker threads: 0 is one per core; at most 1024, and never more than
    /// 8 per core or one per file named when no folder is given.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0, value_parser = paths::parse_jobs)]
    jobs: usize,
    /// Follow symbolic links inside folders.
    #[arg(long)]
    follow_links: bool,
    /// Check only files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Most bytes read from one file (default 32 MiB); a file that needs
    /// more is reported as `file.limit`.
    #[arg(long, value_name = "BYTES")]
    max_read: Option<u64>,
    /// `headers` (default): judge each file on its headers. `decode`: also
    /// decode every picture, audio packet and (with ffmpeg) video frame of
    /// the files that were measured; a file that does not decode is
    /// `file.corrupt`.
    #[arg(long, value_enum, default_value_t = Verify::Headers)]
    verify: Verify,
    #[command(flatten)]
    remote: super::remote::RemoteArgs,
}

/// How far `check` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Verify {
    /// The headers only.
    Headers,
    /// The headers, then a full decode.
    Decode,
}

/// Decodes a measured file (on the worker that checked it) and turns a
/// decoding failure into `file.corrupt`.
fn decoded(mut r: FileReport, limits: &preflight_fix::FixLimits) -> FileReport {
    if r.verdict == Verdict::Error {
        return r;
    }
    let Some(info) = &r.info else { return r };
    match preflight_fix::verify_decode(&r.path, info, limits) {
        Ok(preflight_fix::Verified::Skipped(why)) => r.add_warning(preflight::Violation::new(
            preflight::Rule::FileNotVerified,
            None,
            None,
            format!("not decoded: {why}"),
        )),
        Ok(preflight_fix::Verified::Decoded) | Ok(_) => {}
        Err(e) => r.add_violation(
            preflight::Violation::new(
                preflight::Rule::FileCorrupt,
                None,
                None,
                format!("decoding failed: {e}"),
            ),
            true,
        ),
    }
    r
}

/// NDJSON is written in blocks of about this size when nobody reads it as
/// it comes (a file, `/dev/null`).
const OUT_BLOCK: usize = 64 << 10;

/// Where the reports of a run go: each worker adds the reports it makes to
/// a [`Tally`] of its own (its lines not yet written, its counts), so the
/// workers print and count side by side and no report crosses a thread.
struct Sink<'a> {
    format: OutputFormat,
    /// Write each line as it is made (someone reads as it comes).
    flush_each: bool,
    bar: &'a ProgressBar,
    profiles: &'a [Profile],
    decode: Option<preflight_fix::FixLimits>,
}

/// A worker's part of a run.
struct Tally {
    /// NDJSON lines not yet written.
    out: Vec<u8>,
    summary: Summary,
    unreadable: u64,
    /// The reports of `json` and `table`, printed in order at the end.
    kept: Vec<FileReport>,
    /// Why its lines could not be written (a closed stdout ends the run).
    failed: Option<io::Error>,
}

impl Sink<'_> {
    fn tally(&self) -> Tally {
        let ndjson = self.format == OutputFormat::Ndjson;
        Tally {
            out: Vec::with_capacity(if ndjson { OUT_BLOCK + (4 << 10) } else { 0 }),
            summary: Summary::for_profiles(self.profiles),
            unreadable: 0,
            kept: Vec::new(),
            failed: None,
        }
    }

    fn add(&self, t: &mut Tally, r: FileReport) -> ControlFlow<()> {
        let r = match &self.decode {
            Some(limits) => decoded(r, limits),
            None => r,
        };
        self.bar.inc(1);
        t.summary.add(&r);
        if r.verdict == Verdict::Error
            && r.violations
                .iter()
                .any(|v| v.rule == preflight::Rule::FileUnreadable)
        {
            t.unreadable += 1;
        }
        if self.format != OutputFormat::Ndjson {
            t.kept.push(r);
            return ControlFlow::Continue(());
        }
        let written = write_report_json(&mut t.out, &r).and_then(|_| {
            t.out.push(b'\n');
            if self.flush_each || t.out.len() >= OUT_BLOCK {
                write_block(&mut t.out)
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                // A closed stdout (`| head -1`) stops the run.
                t.failed = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// Writes whole lines to stdout under its lock (lines from two workers never
/// mix) and empties `out`.
fn write_block(out: &mut Vec<u8>) -> io::Result<()> {
    let mut lock = io::stdout().lock();
    lock.write_all(out)?;
    lock.flush()?;
    out.clear();
    Ok(())
}

/// The profiles named by `--profile`, in order; a usage error when one
/// cannot be loaded or two share a name (their verdicts would collide).
pub(crate) fn load_profiles(names: &[String]) -> Result<Vec<Profile>, String> {
    let mut profiles: Vec<Profile> = Vec::with_capacity(names.len());
    for n in names {
        let p = Profile::from_name_or_path(n).map_err(|e| e.to_string())?;
        if profiles.iter().any(|q| q.name == p.name) {
            return Err(format!(
                "--profile {}: a profile named {:?} is already given",
                sanitize(n),
                sanitize(&p.name)
            ));
        }
        profiles.push(p);
    }
    Ok(profiles)
}

pub fn run(args: CheckArgs) -> u8 {
    let profiles = match load_profiles(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("preflight: {e}");
            return exit::USAGE;
        }
    };
    let mut limits = ProbeLimits::default();
    if let Some(max) = args.max_read {
        limits = limits.max_bytes_read(max);
    }
    let mut roots = args.paths.clone();
    if let Some(list) = &args.files_from {
        match paths::read_list(list) {
            Ok(more) => roots.extend(more),
            Err(e) => {
                eprintln!(
                    "preflight: cannot read --files-from {}: {e}",
                    sanitize(&list.to_string_lossy())
                );
                return exit::USAGE;
            }
        }
    }
    // URLs (https://, s3://, gs://, az://) are read remotely, by range.
    let (urls, roots) = super::remote::split(roots);
    let has_remote = !urls.is_empty();
    let filtered = !args.include.is_empty() || !args.exclude.is_empty();
    let roots = paths::dedupe_roots(roots, filtered);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let opts = BatchOptions::new()
        .jobs(paths::effective_jobs(args.jobs, cores, &roots))
        .follow_links(args.follow_links)
        .include(args.include.clone())
        .exclude(args.exclude.clone())
        .limits(limits);
    let start = Instant::now();
    let decode = args.verify == Verify::Decode;
    // Remote objects are read (by a thread of their own) while the local
    // files are checked, and counted in after them.
    let remote_opts = super::remote::options(&args.remote, opts.limits.clone(), args.jobs);
    let remote = super::remote::chain(
        Box::new(std::iter::empty()),
        urls,
        &profiles,
        remote_opts,
        decode,
    );
    let bar = progress_bar(args.quiet);
    // With remote inputs the bar counts objects as they finish (no total).
    if !bar.is_hidden() && !has_remote {
        // Count in the background so that checking starts at once; the bar
        // gets its length (and so an ETA) when the count is done.
        let (bar, paths, opts) = (bar.clone(), roots.clone(), opts.clone());
        std::thread::spawn(move || {
            if let Ok(n) = count_files(&paths, &opts) {
                bar.set_length(n);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:30} {pos}/{len} files ({per_sec}, ETA {eta}) {elapsed}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
            }
        });
    }
    let sink = Sink {
        format: args.format,
        // Line by line only when someone reads as it comes (a terminal, a pipe).
        flush_each: args.format == OutputFormat::Ndjson && stdout_is_live(),
        bar: &bar,
        profiles: &profiles,
        decode: decode.then(preflight_fix::FixLimits::default),
    };
    let mut tallies = match check_paths_with(
        roots,
        &profiles,
        &opts,
        || sink.tally(),
        |t, r| sink.add(t, r),
    ) {
        Ok(t) => t,
        Err(e) => {
            bar.finish_and_clear();
            eprintln!("preflight: {e}");
            return exit::USAGE;
        }
    };
    if tallies.iter().all(|t| t.failed.is_none()) {
        // Remote reports are judged on their headers (`remote::chain` says
        // so in each): nothing local to decode.
        let sink = Sink {
            decode: None,
            ..sink
        };
        let mut rest = sink.tally();
        for r in remote {
            if sink.add(&mut rest, r).is_break() {
                break;
            }
        }
        tallies.push(rest);
    }
    let mut summary = Summary::for_profiles(&profiles);
    let mut unreadable = 0u64;
    let mut kept: Vec<FileReport> = Vec::new();
    let mut write_result = Ok(());
    for mut t in tallies {
        if let Some(e) = t.failed.take() {
            write_result = write_result.and(Err(e));
        }
        if write_result.is_ok() && !t.out.is_empty() {
            write_result = write_block(&mut t.out);
        }
        summary.merge(t.summary);
        unreadable += t.unreadable;
        kept.append(&mut t.kept);
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 << 10, stdout.lock());
    bar.finish_and_clear();
    summary.elapsed_s = start.elapsed().as_secs_f64();
    kept.sort_by(|a, b| a.path.cmp(&b.path));
    if write_result.is_ok() {
        write_result = match args.format {
            OutputFormat::Ndjson => {
                write_json_line(&mut out, &serde_json::json!({ "summary": summary }))
            }
            OutputFormat::Json => write_json_document(&mut out, &kept, &summary),
            OutputFormat::Table => write_table(&mut out, &kept, &summary),
        }
        .and_then(|_| out.flush());
    }
    let written = match write_result {
        Ok(()) => exit::PASS,
        // Whoever read the output has what they wanted (`| head`).
        Err(e) if is_broken_pipe(&e) => return exit::PASS,
        Err(e) => {
            eprintln!("preflight: cannot write output: {e}");
            exit::FAIL
        }
    };
    if summary.files == 0 {
        eprintln!("preflight: no files to check");
    }
    exit::merge([
        written,
        exit::for_batch(summary.files, unreadable, summary.failed + summary.errors),
    ])
}

fn progress_bar(quiet: bool) -> ProgressBar {
    spinner(quiet, "files checked")
}

/// A spinner counting files on stderr when it is a terminal (hidden with
/// `quiet` or when stderr is not a terminal).
pub(crate) fn spinner(quiet: bool, what: &str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{pos}} {what} ({{per_sec}}) {{elapsed}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn write_json_line<W: Write>(out: &mut W, v: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")
}

/// `{"files": [...], "summary": {...}}`, written record by record (no
/// intermediate JSON tree of the whole run).
fn write_json_document<W: Write>(
    out: &mut W,
    files: &[FileReport],
    summary: &Summary,
) -> io::Result<()> {
    out.write_all(b"{\"files\":[")?;
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_report_json(out, f)?;
    }
    out.write_all(b"],\"summary\":")?;
    serde_json::to_writer(&mut *out, summary)?;
    out.write_all(b"}\n")
}

fn describe(r: &FileReport) -> String {
    let Some(i) = &r.info else {
        return String::new();
    };
    let mut parts = vec![i.format.name().to_string()];
    if let (Some(w), Some(h)) = (i.width, i.height) {
        parts.push(format!("{w}×{h}"));
    }
    if let Some(rot) = i.rotation.filter(|&r| r != 0) {
        parts.push(format!("rot {rot}°"));
    }
    if let Some(f) = i.fps {
        let vfr = if i.vfr { " vfr" } else { "" };
        parts.push(format!(
            "{} fps{vfr}",
            fmt_num((f.to_f64() * 1000.0).round() / 1000.0)
        ));
    }
    if let Some(d) = i.duration_s {
        parts.push(format!("{d:.2} s"));
    }
    if let Some(c) = &i.codec {
        parts.push(c.clone());
    }
    if let Some(sr) = i.sample_rate {
        parts.push(format!("{sr} Hz"));
    }
    parts.push(human_bytes(i.bytes));
    parts.join(" ")
}

/// Paths longer than this do not widen the path column of the table.
const MAX_PATH_COLUMN: usize = 60;

fn write_table<W: Write>(out: &mut W, files: &[FileReport], s: &Summary) -> io::Result<()> {
    let several = s.profiles.len() > 1;
    let names: Vec<String> = files.iter().map(|r| sanitize(&r.path_str())).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .filter(|&n| n <= MAX_PATH_COLUMN)
        .max()
        .unwrap_or(0);
    for (r, name) in files.iter().zip(&names) {
        let verdict = match r.verdict {
            Verdict::Pass => paint(Paint::Green, "PASS "),
            Verdict::Fail => paint(Paint::Red, "FAIL "),
            Verdict::Error => paint(Paint::Yellow, "ERROR"),
        };
        let mut about = describe(r);
        if several {
            let each: Vec<String> = r
                .verdicts()
                .iter()
                .map(|(p, v)| format!("{} {}", sanitize(p), v.as_str()))
                .collect();
            about = format!("{about}  [{}]", each.join(", "));
        }
        if about.is_empty() {
            writeln!(out, "{verdict}  {}", paint(Paint::Magenta, name))?;
        } else {
            writeln!(
                out,
                "{verdict}  {}  {about}",
                paint(Paint::Magenta, &pad(name, width))
            )?;
        }
        // With several profiles, a reason names the profiles it is theirs
        // when it is not everyone's.
        let whose = |v: &preflight::Violation| -> String {
            let names = r.profiles_of(v);
            if !several || names.len() == s.profiles.len() {
                String::new()
            } else {
                format!(" [{}]", sanitize(&names.join(", ")))
            }
        };
        for v in &r.violations {
            let id = paint(Paint::Cyan, &v.rule.to_string());
            let mark = paint(Paint::Red, "✗");
            writeln!(out, "       {mark} {id}{}: {}", whose(v), v.message)?;
        }
        for w in &r.warnings {
            let id = paint(Paint::Cyan, &w.rule.to_string());
            let mark = paint(Paint::Yellow, "!");
            writeln!(out, "       {mark} {id}{}: {}", whose(w), w.message)?;
        }
    }
    let names: Vec<&str> = s.profiles.iter().map(|p| p.name.as_str()).collect();
    writeln!(
        out,
        "\n{} checked against {}: {} passed, {} failed, {} in {:.2} s",
        plural(s.files, "file", "files"),
        sanitize(&names.join(" and ")),
        s.passed,
        s.failed,
        plural(s.errors, "error", "errors"),
        s.elapsed_s
    )?;
    for p in &s.profiles {
        let source = if p.source.is_empty() {
            "no source given".to_string()
        } else if p.checked.is_empty() {
            p.source.clone()
        } else {
            format!("{}, read {}", p.source, p.checked)
        };
        if several {
            writeln!(
                out,
                "{}: {} passed, {} failed, {} — {} ({})",
                sanitize(&p.name),
                p.passed,
                p.failed,
                plural(p.errors, "error", "errors"),
                sanitize(&p.title),
                sanitize(&source)
            )?;
        } else {
            writeln!(
                out,
                "profile {}: {} ({})",
                sanitize(&p.name),
                sanitize(&p.title),
                sanitize(&source)
            )?;
        }
    }
    if !s.rules.is_empty() {
        let by_rule: Vec<String> = s.rules.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(out, "by rule: {}", by_rule.join(", "))?;
    }
    Ok(())
}
