//! Video repairs through `ffmpeg` (run as untrusted work: [`crate::Ffmpeg`]).
//!
//! The applier carries out the plan's steps and nothing else:
//!
//! - Only too long, H.264/HEVC: stream copy with `-t` (no re-encode). The
//!   clip keeps its start, so the cut needs no keyframe: packets from the
//!   limit on are dropped.
//! - Only an audio track the service does not take (Opus, AC-3, PCM…):
//!   the audio is re-encoded as AAC and every other stream copied
//!   (`-c copy -c:a aac`), with the trim when the clip is also too long.
//! - Anything else (pixel count, sides, aspect, frame rate, container,
//!   codec, size): re-encode as H.264 yuv420p MP4 (`libx264`, CRF 20, capped
//!   bit rate when the size limit is the problem) with AAC audio, with the
//!   plan's crop, resize and pad, at the plan's frame rate.
//!
//! For containers the probe does not measure (MKV, WebM, AVI), what the plan
//! needs (displayed size, frame rate, duration) is read with ffprobe
//! *before* planning ([`complete_info`]), so that `--dry-run` prints the
//! plan the real run applies.

use super::plan::{FixOptions, FixPlan, Geometry, Size, Step};
use super::{FixError, NotRepairable};
use crate::ffmpeg::{private_dir, Ffmpeg};
use preflight::{Format, Kind, MediaInfo, Rational};
use std::ffi::{OsStr, OsString};
use std::path::Path;

/// Fills in what the probe could not measure in a video (size, frame rate,
/// duration) from ffprobe; the info is returned as it was when it is
/// complete, not a video, or ffprobe is absent or fails.
pub(crate) fn complete_info(info: &MediaInfo, input: &Path, opts: &FixOptions) -> MediaInfo {
    if info.kind != Kind::Video || (info.width.is_some() && info.height.is_some()) {
        return info.clone();
    }
    let Some(ff) = Ffmpeg::find() else {
        return info.clone();
    };
    match probe(ff, input, info.format, opts) {
        Ok(p) => {
            let mut i = info.clone();
            i.width = i.width.or(p.width);
            i.height = i.height.or(p.height);
            i.fps = i.fps.or(p.fps);
            i.duration_s = i.duration_s.or(p.duration_s);
            i.has_video = i.has_video.or(p.has_video);
            i.codec = i.codec.or(p.codec);
            i
        }
        Err(_) => info.clone(),
    }
}

/// Reads what a re-encode needs (displayed size, frame rate, duration)
/// with ffprobe.
fn probe(
    ff: &Ffmpeg,
    input: &Path,
    format: Format,
    opts: &FixOptions,
) -> Result<MediaInfo, FixError> {
    let v = ff.probe_json(
        input,
        format,
        "stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate:stream_side_data=rotation:stream_tags=rotate:format=duration",
        &opts.limits,
    )?;
    let bytes = std::fs::metadata(input)?.len();
    let mut info = MediaInfo::new(format, bytes);
    info.kind = Kind::Video;
    info.duration_s = v["format"]["duration"]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0);
    let streams = v["streams"].as_array().cloned().unwrap_or_default();
    let video = streams.iter().find(|s| s["codec_type"] == "video");
    info.has_video = Some(video.is_some());
    if let Some(s) = video {
        let (w, h) = (
            s["width"].as_u64().unwrap_or(0).min(u32::MAX as u64) as u32,
            s["height"].as_u64().unwrap_or(0).min(u32::MAX as u64) as u32,
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

/// Repairs the video `input` as `plan` says, into a new file that ffmpeg
/// writes in a private folder inside `out_dir`; the file is then moved onto
/// `output` (a fresh temporary file of ours in `out_dir`). Returns what
/// was done.
pub(crate) fn repair(
    plan: &FixPlan,
    input: &Path,
    output: &Path,
    out_dir: &Path,
    duration_s: Option<f64>,
    opts: &FixOptions,
) -> Result<Vec<String>, FixError> {
    let ff = Ffmpeg::find().ok_or(NotRepairable::NeedsFfmpeg)?;
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
    let audio_only = plan.steps.iter().find_map(|s| match s {
        Step::ReencodeAudio { from } => Some(from.clone()),
        _ => None,
    });
    let mut a: Vec<OsString> = Vec::new();
    if let Some((_, to)) = trim {
        a.extend(args(&["-t".as_ref(), format!("{to}").as_ref()]));
    }
    let out_fmt = plan.output.unwrap_or(Format::Mp4);
    match reencode {
        None => {
            // Trimming and the audio track only: copy the other streams.
            a.extend(args(&[
                "-map".as_ref(),
                "0".as_ref(),
                "-c".as_ref(),
                "copy".as_ref(),
            ]));
            if let Some(from) = &audio_only {
                a.extend(args(&[
                    "-c:a".as_ref(),
                    "aac".as_ref(),
                    "-b:a".as_ref(),
                    "128k".as_ref(),
                ]));
                actions.push(format!(
                    "re-encoded the audio track {} → AAC (video stream copy)",
                    if from.is_empty() { "?" } else { from }
                ));
            }
        }
        Some((fps, max_bitrate)) => {
            let g = Geometry::from_steps(&plan.steps);
            let color = plan
                .steps
                .iter()
                .find_map(|s| match s {
                    Step::Pad { color, .. } => Some(*color),
                    _ => None,
                })
                .unwrap_or(opts.pad_color);
            let vf = filter_chain(g.as_ref(), fps, color);
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
            if plan.input != Format::Mp4 {
                actions.push(format!(
                    "converted {} → MP4 (H.264 yuv420p + AAC)",
                    plan.input.name().to_uppercase()
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
            if let Some(r) = fps {
                actions.push(format!(
                    "frame rate → {} fps",
                    preflight::fmt_num(r.to_f64())
                ));
            }
            if let Some(b) = max_bitrate {
                actions.push(format!("video bit rate capped at {} kbit/s", b / 1000));
            }
        }
    }
    let muxer = if out_fmt == Format::Mov { "mov" } else { "mp4" };
    a.extend(args(&["-movflags".as_ref(), "+faststart".as_ref()]));
    let dir = private_dir(Some(out_dir))?;
    let written = ff.transcode(
        input,
        plan.input,
        &a,
        muxer,
        dir.path(),
        opts.limits.max_output_bytes,
        &opts.limits,
        duration_s,
    )?;
    std::fs::File::open(&written)?.sync_all()?;
    // Onto our own temporary file (a rename within the output folder): the
    // destination is never a name that ffmpeg opened.
    std::fs::rename(&written, output)?;
    if let Some((from, to)) = trim {
        let how = if reencode.is_none() && audio_only.is_none() {
            " (stream copy)"
        } else {
            ""
        };
        let (from, to) = preflight::fmt_apart(from, to);
        actions.insert(0, format!("trimmed {from} s → {to} s{how}"));
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{fit, AspectMode, Bounds};
    use preflight::Profile;

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
}
