//! `preflight fix PATH... --out DIR`

use super::exit;
use super::output::{is_broken_pipe, plural, sanitize};
use clap::{Args, ValueEnum};
use preflight::Profile;
use preflight_fix::{
    fix_paths_each, AspectMode, FixOptions, FixReport, FixRunOptions, FixStatus, ImageTarget,
    TrimMode,
};
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FixFormat {
    /// One block per file as it finishes, then a summary.
    Table,
    /// One JSON document, files in input order.
    Json,
    /// One JSON object per file as it finishes, then a summary object.
    Ndjson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Aspect {
    Pad,
    Crop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum To {
    Jpeg,
    Png,
    Webp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Trim {
    Start,
    Middle,
    End,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Repair budget (per file; a file over it is reported as not repaired and the run goes on):
  input size 1 GB, memory for decoded pixels and samples 1 GiB, animation frames × canvas 1 gigapixel,
  ffmpeg output 4 GB, ffmpeg wall-clock time 60 s + 10 s per second of media.
Remote inputs (URLs): checked by range; an object that fails and can be repaired is downloaded whole
  into a private temporary folder, at most 4 × the profile's size limit for its kind (256 MB when the
  profile sets none, never over 1 GB); objects that pass or cannot be repaired are not downloaded."
)]
pub struct FixArgs {
    /// Files and folders to repair (folders recursively), and URLs
    /// (`https://`, `s3://bucket/prefix/`, …): checked by range, and only
    /// those that fail and can be repaired are downloaded.
    #[arg(required = true, value_name = "PATH|URL")]
    paths: Vec<PathBuf>,
    /// Output folder; each input is mirrored under it (`fix photos --out OUT` writes OUT/photos/…).
    /// It must not be inside an input folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also copy files that already pass.
    #[arg(long)]
    all: bool,
    /// Print the plans; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FixFormat::Table)]
    format: FixFormat,
    /// Built-in profile name or a TOML file with the same fields.
    #[arg(long, default_value = "seedance2", value_name = "NAME|FILE.toml")]
    profile: String,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Aspect ratio out of bounds: letterbox (pad) or centre crop.
    #[arg(long, value_enum, default_value_t = Aspect::Pad)]
    aspect: Aspect,
    /// Colour of the letterbox bars: black, white, gray or #rrggbb.
    #[arg(long, default_value = "black", value_name = "COLOR", value_parser = parse_color)]
    pad_color: [u8; 3],
    /// Output image format (default: keep an accepted format, else JPEG, or PNG with transparency).
    #[arg(long, value_enum)]
    to: Option<To>,
    /// First JPEG quality tried.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: u8,
    /// Lowest JPEG quality tried to get under the size limit.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u8).range(1..=100))]
    min_quality: u8,
    /// Which part of a too-long audio clip to keep.
    #[arg(long, value_enum, default_value_t = Trim::Start)]
    trim: Trim,
    /// Pad too-short audio with silence.
    #[arg(long)]
    pad_audio: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    jobs: usize,
    #[command(flatten)]
    remote: super::remote::RemoteArgs,
}

fn parse_color(s: &str) -> Result<[u8; 3], String> {
    match s.to_ascii_lowercase().as_str() {
        "black" => return Ok([0, 0, 0]),
        "white" => return Ok([255, 255, 255]),
        "gray" | "grey" => return Ok([128, 128, 128]),
        _ => {}
    }
    let hex = s.strip_prefix('#').unwrap_or(s);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{s:?} is not a colour (black, white, gray or #rrggbb)"
        ));
    }
    let v = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
    Ok([(v >> 16) as u8, (v >> 8) as u8, v as u8])
}

#[derive(Debug, Default, Serialize)]
struct FixSummary {
    files: u64,
    repaired: u64,
    passed: u64,
    copied: u64,
    planned: u64,
    not_repaired: u64,
    elapsed_s: f64,
}

pub fn run(args: FixArgs) -> u8 {
    let profile = match Profile::from_name_or_path(&args.profile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("preflight: {e}");
            return exit::USAGE;
        }
    };
    if args.min_quality > args.quality {
        eprintln!(
            "preflight: --min-quality {} is above --quality {}",
            args.min_quality, args.quality
        );
        return exit::USAGE;
    }
    let opts = FixOptions::new()
        .aspect(match args.aspect {
            Aspect::Pad => AspectMode::Pad,
            Aspect::Crop => AspectMode::Crop,
        })
        .pad_color(args.pad_color)
        .to(args.to.map(|t| match t {
            To::Jpeg => ImageTarget::Jpeg,
            To::Png => ImageTarget::Png,
            To::Webp => ImageTarget::Webp,
        }))
        .quality(args.quality)
        .min_quality(args.min_quality)
        .trim(match args.trim {
            Trim::Start => TrimMode::Start,
            Trim::Middle => TrimMode::Middle,
            Trim::End => TrimMode::End,
        })
        .pad_audio(args.pad_audio);
    let run = FixRunOptions::new()
        .all(args.all)
        .dry_run(args.dry_run)
        .jobs(args.jobs);
    if args.out.exists() && !args.out.is_dir() {
        eprintln!(
            "preflight: --out {} is not a folder: choose a folder for the repaired copies",
            sanitize(&args.out.to_string_lossy())
        );
        return exit::USAGE;
    }
    let (urls, local) = super::remote::split(args.paths.clone());
    for p in &local {
        if std::fs::symlink_metadata(p).is_err() {
            eprintln!(
                "preflight: {}: no such file or folder",
                sanitize(&p.to_string_lossy())
            );
            return exit::USAGE;
        }
    }
    // On Ctrl-C (or SIGTERM), no ffmpeg keeps writing and nothing half
    // written stays: ffmpeg runs in its own process group, so stop it, and
    // remove the temporary files and folders of the repairs in flight.
    let _ = ctrlc::set_handler(|| {
        preflight_fix::stop();
        std::process::exit(130);
    });
    let start = Instant::now();
    let bar = super::check::spinner(args.quiet, "files repaired");
    // Table and NDJSON stream a record per file as it finishes; the JSON
    // document waits for all, in input order. A closed stdout stops the
    // stream's output (not the repairs in flight).
    let stream = io::stdout();
    let failed_write = std::sync::Mutex::new(None::<io::Error>);
    let on_done = |r: &FixReport| {
        bar.inc(1);
        let mut buf = Vec::new();
        let wrote = match args.format {
            FixFormat::Table => write_entry(&mut buf, r),
            FixFormat::Ndjson => serde_json::to_writer(&mut buf, r)
                .map_err(io::Error::from)
                .and_then(|_| buf.write_all(b"\n")),
            FixFormat::Json => return,
        };
        let mut slot = failed_write.lock().unwrap_or_else(|e| e.into_inner());
        if wrote.is_ok() && slot.is_none() {
            bar.suspend(|| {
                let mut out = stream.lock();
                if let Err(e) = out.write_all(&buf).and_then(|_| out.flush()) {
                    *slot = Some(e);
                }
            });
        }
    };
    let mut reports = if local.is_empty() {
        Vec::new()
    } else {
        match fix_paths_each(&local, &args.out, &profile, &opts, &run, &on_done) {
            Ok(r) => r,
            Err(e) => {
                bar.finish_and_clear();
                eprintln!("preflight: {e}");
                return exit::USAGE;
            }
        }
    };
    // Remote objects: checked by range, downloaded only to be repaired.
    reports.extend(super::remote_fix::fix(
        urls,
        &args.out,
        &profile,
        &args.remote,
        &opts,
        &run,
        &on_done,
    ));
    bar.finish_and_clear();
    let mut s = FixSummary::default();
    for r in &reports {
        s.files += 1;
        match r.status {
            FixStatus::Repaired => s.repaired += 1,
            FixStatus::Passed => s.passed += 1,
            FixStatus::Copied => s.copied += 1,
            FixStatus::Planned => s.planned += 1,
            FixStatus::NotRepaired => s.not_repaired += 1,
        }
    }
    s.elapsed_s = start.elapsed().as_secs_f64();
    let mut out = io::BufWriter::new(stream.lock());
    let written = match failed_write.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => match args.format {
            FixFormat::Json => serde_json::to_writer(
                &mut out,
                &serde_json::json!({ "files": reports, "summary": s }),
            )
            .map_err(io::Error::from)
            .and_then(|_| out.write_all(b"\n")),
            FixFormat::Ndjson => {
                serde_json::to_writer(&mut out, &serde_json::json!({ "summary": s }))
                    .map_err(io::Error::from)
                    .and_then(|_| out.write_all(b"\n"))
            }
            FixFormat::Table => write_summary(&mut out, &s, args.dry_run),
        }
        .and_then(|_| out.flush()),
    };
    if let Err(e) = written {
        if !is_broken_pipe(&e) {
            eprintln!("preflight: cannot write output: {e}");
            return exit::FAIL;
        }
    }
    if s.files == 0 {
        eprintln!("preflight: no files to repair");
    }
    // As `check` counts them: a FIFO, socket or unreadable file named alone
    // is a usage error (2), as it is for `check`.
    let unreadable = reports
        .iter()
        .filter(|r| r.rules.contains(&"file.unreadable"))
        .count() as u64;
    exit::for_batch(s.files, unreadable, s.not_repaired)
}

/// One file's block of the table.
fn write_entry<W: Write>(out: &mut W, r: &FixReport) -> io::Result<()> {
    let path = sanitize(&r.path.to_string_lossy());
    let dest = r
        .output
        .as_ref()
        .map(|o| format!(" → {}", sanitize(&o.to_string_lossy())))
        .unwrap_or_default();
    match r.status {
        FixStatus::Passed => writeln!(out, "PASS      {path}  (already passes; --all copies it)"),
        FixStatus::Copied => writeln!(out, "COPIED    {path}{dest}"),
        FixStatus::Repaired => {
            writeln!(out, "REPAIRED  {path}{dest}")?;
            writeln!(out, "          {}", sanitize(&r.actions.join("; ")))
        }
        FixStatus::Planned => {
            writeln!(out, "PLAN      {path}{dest}")?;
            writeln!(out, "          {}", sanitize(&r.actions.join("; ")))
        }
        FixStatus::NotRepaired => {
            writeln!(out, "NOT REPAIRED  {path}")?;
            if !r.rules.is_empty() {
                writeln!(out, "          fails: {}", r.rules.join(", "))?;
            }
            writeln!(
                out,
                "          {}",
                sanitize(r.reason.as_deref().unwrap_or("unknown reason"))
            )
        }
    }
}

fn write_summary<W: Write>(out: &mut W, s: &FixSummary, dry_run: bool) -> io::Result<()> {
    let verb = if dry_run {
        "would be repaired"
    } else {
        "repaired"
    };
    let n = if dry_run { s.planned } else { s.repaired };
    writeln!(
        out,
        "\n{}: {n} {verb}, {} already passed{}, {} not repaired in {:.2} s",
        plural(s.files, "file", "files"),
        s.passed + s.copied,
        if s.copied > 0 {
            format!(" ({} copied)", s.copied)
        } else {
            String::new()
        },
        s.not_repaired,
        s.elapsed_s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("white"), Ok([255, 255, 255]));
        assert_eq!(parse_color("#FF8000"), Ok([255, 128, 0]));
        assert_eq!(parse_color("00ff00"), Ok([0, 255, 0]));
        assert!(parse_color("#12345").is_err());
        assert!(parse_color("#12345g").is_err());
    }
}
