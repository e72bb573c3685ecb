//! `preflight check PATH...`

use super::exit;
use super::output::{is_broken_pipe, sanitize};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use preflight::{
    check_paths, count_files, BatchOptions, FileReport, ProbeLimits, Profile, Summary, Verdict,
};
use preflight::{fmt_num, human_bytes};
use std::io::{self, IsTerminal, Write};
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
    /// Files and folders to check (folders recursively).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Built-in profile name or a TOML file with the same fields.
    #[arg(long, default_value = "seedance2", value_name = "NAME|FILE.toml")]
    profile: String,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
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
}

pub fn run(args: CheckArgs) -> u8 {
    let profile = match Profile::from_name_or_path(&args.profile) {
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
    let opts = BatchOptions::new()
        .jobs(args.jobs)
        .follow_links(args.follow_links)
        .include(args.include.clone())
        .exclude(args.exclude.clone())
        .limits(limits);
    let start = Instant::now();
    let reports = match check_paths(args.paths.clone(), &profile, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("preflight: {e}");
            return exit::USAGE;
        }
    };
    let bar = progress_bar(args.quiet);
    if !bar.is_hidden() {
        // Count in the background so that checking starts at once; the bar
        // gets its length (and so an ETA) when the count is done.
        let (bar, paths, opts) = (bar.clone(), args.paths.clone(), opts.clone());
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
    let mut summary = Summary::default();
    let mut unreadable = 0u64;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut kept: Vec<FileReport> = Vec::new();
    let mut write_result = Ok(());
    for r in reports {
        bar.inc(1);
        summary.add(&r);
        if r.verdict == Verdict::Error
            && r.violations
                .iter()
                .any(|v| v.rule == preflight::Rule::FileUnreadable)
        {
            unreadable += 1;
        }
        match args.format {
            OutputFormat::Ndjson => {
                if write_result.is_ok() {
                    write_result = serde_json::to_writer(&mut out, &r)
                        .map_err(io::Error::from)
                        .and_then(|_| out.write_all(b"\n"))
                        .and_then(|_| out.flush());
                }
            }
            _ => kept.push(r),
        }
    }
    bar.finish_and_clear();
    summary.elapsed_s = start.elapsed().as_secs_f64();
    kept.sort_by(|a, b| a.path.cmp(&b.path));
    if write_result.is_ok() {
        write_result = match args.format {
            OutputFormat::Ndjson => {
                write_json_line(&mut out, &serde_json::json!({ "summary": summary }))
            }
            OutputFormat::Json => write_json_document(&mut out, &kept, &summary),
            OutputFormat::Table => write_table(&mut out, &kept, &summary, &profile),
        }
        .and_then(|_| out.flush());
    }
    if let Err(e) = write_result {
        if is_broken_pipe(&e) {
            return exit::PASS;
        }
        eprintln!("preflight: cannot write output: {e}");
        return exit::FAIL;
    }
    if summary.files == 0 || unreadable == summary.files {
        if summary.files == 0 {
            eprintln!("preflight: no files to check");
        }
        return exit::USAGE;
    }
    if summary.failed + summary.errors > 0 {
        exit::FAIL
    } else {
        exit::PASS
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} files checked ({per_sec}) {elapsed}")
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
        serde_json::to_writer(&mut *out, f)?;
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

fn write_table<W: Write>(
    out: &mut W,
    files: &[FileReport],
    s: &Summary,
    p: &Profile,
) -> io::Result<()> {
    for r in files {
        let verdict = match r.verdict {
            Verdict::Pass => "PASS ",
            Verdict::Fail => "FAIL ",
            Verdict::Error => "ERROR",
        };
        writeln!(
            out,
            "{verdict}  {}  {}",
            sanitize(&r.path_str()),
            describe(r)
        )?;
        for v in &r.violations {
            writeln!(out, "         ✗ {}: {}", v.rule, v.message)?;
        }
        for w in &r.warnings {
            writeln!(out, "         ! {}: {}", w.rule, w.message)?;
        }
    }
    writeln!(
        out,
        "\n{} files checked against {}: {} passed, {} failed, {} errors in {:.2} s",
        s.files, p.name, s.passed, s.failed, s.errors, s.elapsed_s
    )?;
    if !s.rules.is_empty() {
        let by_rule: Vec<String> = s.rules.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(out, "by rule: {}", by_rule.join(", "))?;
    }
    Ok(())
}
