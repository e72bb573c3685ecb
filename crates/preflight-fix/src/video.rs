//! Video repairs through `ffmpeg`, found on `PATH` at run time (or named by
//! the `PREFLIGHT_FFMPEG` environment variable; `PREFLIGHT_FFMPEG=none`
//! behaves as if it were absent). Its version is read with `ffmpeg -version`
//! (4.0 or later);
//! arguments are built as a list and never pass through a shell; its stderr
//! is kept for the report.
//!
//! - Only too long, H.264/HEVC: stream copy with `-t` (no re-encode). The
//!   clip keeps its start, so the cut needs no keyframe: packets from the
//!   limit on are dropped.
//! - Anything else (pixel count, sides, aspect, frame rate, container,
//!   codec, size): re-encode as H.264 yuv420p MP4 (`libx264`, CRF 20, capped
//!   bit rate when the size limit is the problem) with AAC audio, at the
//!   geometry of [`crate::fit`] (even sides) and the frame rate of
//!   [`crate::plan::target_fps`].

use super::plan::{plan, FixOptions, FixPlan, Geometry, Size, Step};
use super::{FixError, NotRepairable};
use preflight::{Format, Kind, MediaInfo, Profile, Rational};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// An `ffmpeg` executable that answered `-version`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ffmpeg {
    /// The executable.
    pub path: PathBuf,
    /// The version it reports (`5.1.6-0+deb12u1`).
    pub version: String,
    /// `ffprobe` beside it or on `PATH`, when present.
    pub ffprobe: Option<PathBuf>,
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn version_of(exe: &Path) -> Option<String> {
    let out = Command::new(exe)
        .arg("-version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?;
    // "ffmpeg version 5.1.6-0+deb12u1 Copyright ..."
    let mut words = first.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(_), Some("version"), Some(v)) => Some(v.to_string()),
        _ => None,
    }
}

/// The oldest ffmpeg accepted: 4.0 (every option and filter used here is
/// older). Versions that do not start with a number (git builds, `N-…`) are
/// accepted.
const MIN_FFMPEG_MAJOR: u32 = 4;

fn version_supported(v: &str) -> bool {
    let v = v.trim_start_matches('n');
    let major: String = v.chars().take_while(char::is_ascii_digit).collect();
    match major.parse::<u32>() {
        Ok(m) => m >= MIN_FFMPEG_MAJOR,
        Err(_) => true,
    }
}

fn tail(bytes: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim();
    let start = s.char_indices().rev().nth(max).map(|(i, _)| i).unwrap_or(0);
    s[start..].to_string()
}

impl Ffmpeg {
    /// Finds ffmpeg once per process: `PREFLIGHT_FFMPEG` (a path, or `none`),
    /// else `ffmpeg` on `PATH`; `None` when absent or when `-version` fails.
    pub fn find() -> Option<&'static Ffmpeg> {
        static FOUND: OnceLock<Option<Ffmpeg>> = OnceLock::new();
        FOUND.get_or_init(Ffmpeg::locate).as_ref()
    }

    fn locate() -> Option<Ffmpeg> {
        let exe = match std::env::var_os("PREFLIGHT_FFMPEG") {
            Some(v) if v == "none" || v.is_empty() => return None,
            Some(v) => PathBuf::from(v),
            None => which("ffmpeg")?,
        };
        let version = version_of(&exe)?;
        if !version_supported(&version) {
            return None;
        }
        let beside = exe.with_file_name("ffprobe");
        let ffprobe = if beside.is_file() {
            Some(beside)
        } else {
            which("ffprobe")
        };
        Some(Ffmpeg {
            path: exe,
            version,
            ffprobe,
        })
    }

    fn run(&self, tool: &'static str, exe: &Path, args: &[OsString]) -> Result<Output, FixError> {
        let out = Command::new(exe)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()?;
        if !out.status.success() {
            return Err(FixError::Tool {
                tool,
                status: out.status,
                stderr: tail(&out.stderr, 2000),
            });
        }
        Ok(out)
    }

    /// Runs ffmpeg with `args` (after `-nostdin -hide_banner -v error -y`).
    pub(crate) fn ffmpeg(&self, args: &[OsString]) -> Result<Output, FixError> {
        let mut all: Vec<OsString> = ["-nostdin", "-hide_banner", "-v", "error", "-y"]
            .iter()
            .map(OsString::from)
            .collect();
        all.extend_from_slice(args);
        self.run("ffmpeg", &self.path, &all)
    }

    /// Decodes the first picture of `input` (of `format`: AVIF, JPEG XL,
    /// PSD, …) into PNG bytes.
    pub(crate) fn to_png(&self, input: &Path, format: Format) -> Result<Vec<u8>, FixError> {
        let out = self.ffmpeg(&args(&[
            "-i".as_ref(),
            input.as_os_str(),
            "-frames:v".as_ref(),
            "1".as_ref(),
            "-f".as_ref(),
            "image2pipe".as_ref(),
            "-c:v".as_ref(),
            "png".as_ref(),
            "pipe:1".as_ref(),
        ]))?;
        if out.stdout.is_empty() {
            return Err(FixError::decode(format, "ffmpeg produced no picture"));
        }
        Ok(out.stdout)
    }

    /// Reads what a re-encode needs (displayed size, frame rate, duration)
    /// with ffprobe, for containers the probe does not read (MKV, WebM, AVI);
    /// `format` is the input's, for errors.
    pub(crate) fn probe(&self, input: &Path, format: Format) -> Result<MediaInfo, FixError> {
        let exe = self.ffprobe.as_ref().ok_or(NotRepairable::NeedsFfprobe)?;
        let out = self.run(
            "ffprobe",
            exe,
            &args(&[
                "-v".as_ref(),
                "error".as_ref(),
                "-show_entries".as_ref(),
                "stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate:stream_side_data=rotation:stream_tags=rotate:format=duration".as_ref(),
                "-of".as_ref(),
                "json".as_ref(),
                input.as_os_str(),
            ]),
        )?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| FixError::decode(format, format!("ffprobe output: {e}")))?;
        let bytes = std::fs::metadata(input)?.len();
        let mut info = MediaInfo::new(Format::Mp4, bytes);
        info.kind = Kind::Video;
        info.duration_s = v["format"]["duration"]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok());
        let streams = v["streams"].as_array().cloned().unwrap_or_default();
        let video = streams.iter().find(|s| s["codec_type"] == "video");
        info.has_video = Some(video.is_some());
        if let Some(s) = video {
            let (w, h) = (
                s["width"].as_u64().unwrap_or(0) as u32,
                s["height"].as_u64().unwrap_or(0) as u32,
            );
            let rot = s["side_data_list"]
                .as_array()
                .and_then(|l| l.iter().find_map(|d| d["rotation"].as_i64()))
                .or_else(|| s["tags"]["rotate"].as_str().and_then(|r| r.parse().ok()))
                .unwrap_or(0);
            let quarter = rot.rem_euclid(180) == 90;
            let (w, h) = if quarter { (h, w) } else { (w, h) };
            if w > 0 && h > 0 {
                info.width = Some(w);
                info.height = Some(h);
            }
            let rate = |k: &str| -> Option<Rational> {
                let t = s[k].as_str()?;
                let (n, d) = t.split_once('/')?;
                let r = Rational::new(n.parse().ok()?, d.parse().ok()?)?;
                (r.num > 0).then_some(r)
            };
            info.fps = rate("avg_frame_rate").or_else(|| rate("r_frame_rate"));
            info.codec = s["codec_name"].as_str().map(|c| match c {
                "h264" => "avc1".to_string(),
                "hevc" => "hvc1".to_string(),
                other => other.to_string(),
            });
        }
        Ok(info)
    }
}

fn args(a: &[&OsStr]) -> Vec<OsString> {
    a.iter().map(|s| s.to_os_string()).collect()
}

/// The `-vf` filter chain for a geometry and frame rate (ffmpeg applies the
/// input's rotation before the filters, so sizes are displayed sizes).
pub(crate) fn filter_chain(g: Option<&Geometry>, fps: Option<Rational>, color: [u8; 3]) -> String {
    let mut f = Vec::new();
    if let Some(g) = g {
        if let Some(r) = g.crop {
            f.push(format!("crop={}:{}:{}:{}", r.w, r.h, r.x, r.y));
        }
        let cropped = g.crop.map(|r| Size::new(r.w, r.h)).unwrap_or(g.input);
        if g.scaled != cropped {
            f.push(format!("scale={}:{}:flags=lanczos", g.scaled.w, g.scaled.h));
        }
        if g.canvas != g.scaled {
            f.push(format!(
                "pad={}:{}:(ow-iw)/2:(oh-ih)/2:color=0x{:02x}{:02x}{:02x}",
                g.canvas.w, g.canvas.h, color[0], color[1], color[2]
            ));
        }
    }
    f.push("setsar=1".into());
    if let Some(r) = fps {
        f.push(format!("fps={}/{}", r.num, r.den));
    }
    f.push("format=yuv420p".into());
    f.join(",")
}

fn geometry_of(
    plan: &FixPlan,
    info: &MediaInfo,
    p: &Profile,
    opts: &FixOptions,
) -> Option<Geometry> {
    let has_geometry = plan.steps.iter().any(|s| {
        matches!(
            s,
            Step::Resize { .. } | Step::Crop { .. } | Step::Pad { .. }
        )
    });
    let (w, h) = (info.width?, info.height?);
    let g = super::plan::fit(w, h, &super::plan::Bounds::video(p), opts.aspect)?;
    // Odd sides must become even for yuv420p, even when the plan kept them.
    (has_geometry || w % 2 == 1 || h % 2 == 1).then_some(g)
}

/// Repairs the video `input` as `plan` says, writing `output` (a new file).
/// Returns what was done.
pub(crate) fn repair(
    plan0: &FixPlan,
    input: &Path,
    output: &Path,
    p: &Profile,
    opts: &FixOptions,
) -> Result<Vec<String>, FixError> {
    let ff = Ffmpeg::find().ok_or(NotRepairable::NeedsFfmpeg)?;
    // What ffprobe sees (displayed size, rate, duration): the plan of a type
    // the probe does not read is made again from it.
    let info = ff.probe(input, plan0.input)?;
    let replanned;
    let plan = if plan0
        .steps
        .iter()
        .any(|s| matches!(s, Step::Convert { .. }))
    {
        let mut i = info.clone();
        i.codec = Some("reencode".into());
        replanned = plan(&i, p, opts);
        if let Some(r) = replanned.not_repairable_reason() {
            return Err(r.clone().into());
        }
        &replanned
    } else {
        plan0
    };
    let mut actions = Vec::new();
    let trim = plan.steps.iter().find_map(|s| match s {
        Step::Trim { from_s, to_s, .. } => Some((*from_s, *to_s)),
        _ => None,
    });
    let reencode = plan.steps.iter().find_map(|s| match s {
        Step::ReencodeVideo {
            fps, max_bitrate, ..
        } => Some((*fps, *max_bitrate)),
        _ => None,
    });
    let mut a: Vec<OsString> = args(&["-i".as_ref(), input.as_os_str()]);
    if let Some((_, to)) = trim {
        a.extend(args(&["-t".as_ref(), format!("{to}").as_ref()]));
    }
    let out_fmt = plan.output.unwrap_or(Format::Mp4);
    match reencode {
        None => {
            // Only trimming: copy the streams.
            a.extend(args(&[
                "-map".as_ref(),
                "0".as_ref(),
                "-c".as_ref(),
                "copy".as_ref(),
            ]));
        }
        Some((fps, max_bitrate)) => {
            let g = geometry_of(plan, &info, p, opts);
            let vf = filter_chain(g.as_ref(), fps, opts.pad_color);
            a.extend(args(&[
                "-map".as_ref(),
                "0:v:0".as_ref(),
                "-map".as_ref(),
                "0:a:0?".as_ref(),
                "-vf".as_ref(),
                vf.as_ref(),
                "-c:v".as_ref(),
                "libx264".as_ref(),
                "-preset".as_ref(),
                "fast".as_ref(),
                "-crf".as_ref(),
                "20".as_ref(),
                "-pix_fmt".as_ref(),
                "yuv420p".as_ref(),
                "-c:a".as_ref(),
                "aac".as_ref(),
                "-b:a".as_ref(),
                "128k".as_ref(),
            ]));
            if let Some(b) = max_bitrate {
                let b = b.to_string();
                a.extend(args(&[
                    "-maxrate".as_ref(),
                    b.as_ref(),
                    "-bufsize".as_ref(),
                    b.as_ref(),
                ]));
            }
            if plan0.input != Format::Mp4 {
                actions.push(format!(
                    "converted {} → MP4 (H.264 yuv420p + AAC)",
                    plan0.input.name().to_uppercase()
                ));
            } else {
                actions.push("re-encoded H.264 yuv420p + AAC".into());
            }
            if let Some(g) = g {
                if let Some(r) = g.crop {
                    actions.push(format!("cropped {} → {}×{} (centre)", g.input, r.w, r.h));
                }
                let from = g.crop.map(|r| Size::new(r.w, r.h)).unwrap_or(g.input);
                if g.scaled != from {
                    actions.push(format!("resized {from} → {}", g.scaled));
                }
                if g.canvas != g.scaled {
                    actions.push(format!("padded {} → {}", g.scaled, g.canvas));
                }
            }
            if let (Some(r), Some(before)) = (fps, info.fps) {
                actions.push(format!(
                    "frame rate {} → {} fps",
                    preflight::fmt_num((before.to_f64() * 1000.0).round() / 1000.0),
                    preflight::fmt_num(r.to_f64())
                ));
            }
            if let Some(b) = max_bitrate {
                actions.push(format!("video bit rate capped at {} kbit/s", b / 1000));
            }
        }
    }
    let muxer = if out_fmt == Format::Mov { "mov" } else { "mp4" };
    a.extend(args(&[
        "-movflags".as_ref(),
        "+faststart".as_ref(),
        "-f".as_ref(),
        muxer.as_ref(),
        output.as_os_str(),
    ]));
    ff.ffmpeg(&a)?;
    if let Some((from, to)) = trim {
        let how = if reencode.is_none() {
            " (stream copy)"
        } else {
            ""
        };
        actions.insert(0, format!("trimmed {from:.1} s → {to:.1} s{how}"));
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{fit, AspectMode, Bounds};

    #[test]
    fn filter_chain_for_pixels_and_fps() {
        let g = fit(
            840,
            1120,
            &Bounds::video(&Profile::seedance2()),
            AspectMode::Pad,
        )
        .unwrap();
        assert_eq!(
            filter_chain(Some(&g), Rational::new(60, 1), [0, 0, 0]),
            "scale=834:1112:flags=lanczos,setsar=1,fps=60/1,format=yuv420p"
        );
        let g = fit(
            1366,
            300,
            &Bounds::video(&Profile::seedance2()),
            AspectMode::Pad,
        )
        .unwrap();
        let chain = filter_chain(Some(&g), None, [255, 255, 255]);
        assert!(
            chain.contains("pad=") && chain.contains("color=0xffffff"),
            "{chain}"
        );
        assert_eq!(filter_chain(None, None, [0; 3]), "setsar=1,format=yuv420p");
    }

    #[test]
    fn ffmpeg_versions() {
        assert!(version_supported("5.1.9-0+deb12u1"));
        assert!(version_supported("n6.1"));
        assert!(version_supported("N-112345-gabcdef"));
        assert!(!version_supported("3.4.8"));
    }

    #[test]
    fn found_ffmpeg_reports_its_version() {
        match Ffmpeg::find() {
            Some(ff) => assert!(ff.version.chars().next().is_some(), "{ff:?}"),
            None => eprintln!("skipped: ffmpeg is not on PATH"),
        }
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail(b"abcdef", 2), "def");
        assert_eq!(tail(b"  ab \n", 10), "ab");
    }
}
