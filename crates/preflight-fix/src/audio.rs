//! Audio repairs in pure Rust.
//!
//! - An MP3 that is only too long stays MP3: whole frames are copied
//!   (ISO/IEC 11172-3 § 2.4.1.3 headers), cut at frame boundaries so the
//!   frame count × samples per frame ÷ rate is within the limit. The
//!   Xing/Info/VBRI frame is dropped (its counts would be wrong); ID3v2 and
//!   ID3v1 tags are kept.
//! - A WAV that is only too long or too short keeps its sample format
//!   (`hound`): samples are cut or silence is appended.
//! - Everything else is decoded with `symphonia` (WAV, MP3, FLAC, Ogg
//!   Vorbis, AAC/ALAC in MP4/M4A, ADTS AAC, AIFF), trimmed or padded with
//!   silence, and written as 16-bit PCM WAV with `hound`. Types symphonia
//!   does not decode (Opus, …) are decoded by ffmpeg when it is present.

use super::plan::{FixOptions, FixPlan, Step, TrimMode};
use super::{FixError, Input, NotRepairable, Repaired};
use crate::budget::Budget;
use preflight::mpeg_audio::{self, frame_header, FrameHeader};
use preflight::riff;
use preflight::{Format, Profile};
use std::io::Cursor;
use std::path::Path;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::codecs::CodecParameters;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

/// Decoded PCM, interleaved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pcm {
    /// Samples, interleaved by channel.
    pub samples: Vec<i16>,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Channel count.
    pub channels: u16,
}

impl Pcm {
    /// Frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels.max(1) as usize
    }

    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / self.rate.max(1) as f64
    }
}

/// Grows `v` to hold `more` items of `size` bytes, reserving what it
/// allocates against `budget` first (doubling, so the count stays linear).
fn grow<T>(v: &mut Vec<T>, more: usize, budget: &mut Budget) -> Result<(), FixError> {
    let need = v.len().saturating_add(more);
    if need <= v.capacity() {
        return Ok(());
    }
    let new_cap = need.max(v.capacity().saturating_mul(2));
    let size = std::mem::size_of::<T>() as u64;
    budget.reserve_n((new_cap - v.capacity()) as u64, size)?;
    v.reserve_exact(new_cap - v.len());
    Ok(())
}

/// Decodes any audio symphonia knows into 16-bit interleaved PCM. The
/// samples a header announces are reserved against `budget` before the
/// first packet is decoded, and every allocation of samples after.
pub(crate) fn decode(
    input: Input<'_>,
    format: Format,
    budget: &mut Budget,
) -> Result<Pcm, FixError> {
    decode_packets(input, format, budget, false)
}

/// [`decode`], where `strict` makes a damaged packet an error (`check
/// --verify decode`) instead of being skipped as players do.
pub(crate) fn decode_packets(
    input: Input<'_>,
    format: Format,
    budget: &mut Budget,
    strict: bool,
) -> Result<Pcm, FixError> {
    let dec_err = |e: SymError| FixError::decode(format, e);
    let source: Box<dyn symphonia::core::io::MediaSource> = match input {
        Input::File(p) => Box::new(std::fs::File::open(p)?),
        Input::Bytes(b) => {
            budget.reserve(b.len() as u64)?;
            Box::new(Cursor::new(b.to_vec()))
        }
    };
    let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(e) = format.extensions().first() {
        hint.with_extension(e);
    }
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(dec_err)?;
    let track = reader
        .default_track(TrackType::Audio)
        .ok_or_else(|| FixError::decode(format, "no audio track"))?;
    let track_id = track.id;
    let announced = track.num_frames;
    let params = match &track.codec_params {
        Some(CodecParameters::Audio(a)) => a.clone(),
        _ => return Err(FixError::decode(format, "no audio codec parameters")),
    };
    let mut rate = params.sample_rate.unwrap_or(0);
    let mut channels = params
        .channels
        .as_ref()
        .map(|c| c.count() as u16)
        .unwrap_or(0);
    let mut samples: Vec<i16> = Vec::new();
    // Bounded before decoding: what the header announces.
    if let Some(n) = announced {
        let total = n.saturating_mul(channels.max(1) as u64);
        budget.reserve_n(total, 2)?;
        budget.free(total.saturating_mul(2));
    }
    let mut dec = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(dec_err)?;
    let mut chunk: Vec<i16> = Vec::new();
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(dec_err(e)),
        };
        if packet.track_id != track_id {
            continue;
        }
        match dec.decode(&packet) {
            Ok(buf) => {
                rate = buf.spec().rate();
                channels = buf.spec().channels().count() as u16;
                buf.copy_to_vec_interleaved(&mut chunk);
                grow(&mut samples, chunk.len(), budget)?;
                samples.extend_from_slice(&chunk);
            }
            // A damaged packet is skipped, as players do.
            Err(SymError::DecodeError(_)) if !strict => continue,
            Err(e) => return Err(dec_err(e)),
        }
    }
    if rate == 0 || channels == 0 {
        return Err(FixError::decode(
            format,
            "unknown sample rate or channel count",
        ));
    }
    Ok(Pcm {
        samples,
        rate,
        channels,
    })
}

/// Writes 16-bit PCM WAV.
pub(crate) fn write_wav(pcm: &Pcm) -> Result<Vec<u8>, FixError> {
    let spec = hound::WavSpec {
        channels: pcm.channels,
        sample_rate: pcm.rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut buf = Cursor::new(Vec::new());
    {
        let enc = |e: hound::Error| FixError::encode(Format::Wav, e);
        let mut w = hound::WavWriter::new(&mut buf, spec).map_err(enc)?;
        let mut w16 = w.get_i16_writer(pcm.samples.len() as u32);
        for &s in &pcm.samples {
            w16.write_sample(s);
        }
        w16.flush().map_err(enc)?;
        w.finalize().map_err(enc)?;
    }
    Ok(buf.into_inner())
}

/// The first frame and how many frames to keep out of `n` so that at most
/// `keep` remain, as `mode` says.
fn window(n: usize, keep: usize, mode: TrimMode) -> (usize, usize) {
    if n <= keep {
        return (0, n);
    }
    let start = match mode {
        TrimMode::Start => 0,
        TrimMode::Middle => (n - keep) / 2,
        TrimMode::End => n - keep,
    };
    (start, keep)
}

/// Trims PCM to at most `max_s` seconds.
pub(crate) fn trim(pcm: &mut Pcm, max_s: f64, mode: TrimMode) {
    let keep = (max_s * pcm.rate as f64).floor() as usize;
    let ch = pcm.channels.max(1) as usize;
    let (start, len) = window(pcm.frames(), keep, mode);
    pcm.samples.truncate((start + len) * ch);
    pcm.samples.drain(..start * ch);
}

/// Pads PCM with silence to at least `min_s` seconds (the silence is
/// reserved against `budget` first: the rate comes from the file).
pub(crate) fn pad(pcm: &mut Pcm, min_s: f64, budget: &mut Budget) -> Result<(), FixError> {
    let want = (min_s * pcm.rate as f64).ceil() as usize;
    let ch = pcm.channels.max(1) as usize;
    if pcm.frames() < want {
        let total = want.saturating_mul(ch);
        let more = total - pcm.samples.len();
        grow(&mut pcm.samples, more, budget)?;
        pcm.samples.resize(total, 0);
    }
    Ok(())
}

/// One MPEG audio frame found in a file.
#[derive(Debug, Clone, Copy)]
struct FrameAt {
    offset: usize,
    header: FrameHeader,
}

/// Length of the ID3v2 tag at the start of `data` (0 without one), within `data`.
fn id3v2_len(data: &[u8]) -> usize {
    mpeg_audio::id3v2_len(data).map_or(0, |n| {
        usize::try_from(n).unwrap_or(usize::MAX).min(data.len())
    })
}

/// Whether a frame is a Xing/Info/VBRI header frame (no audio).
fn is_vbr_header(frame: &[u8], h: &FrameHeader) -> bool {
    mpeg_audio::vbr_tag(frame, h).is_some()
}

/// Walks the MPEG frames after the ID3v2 tag; stops at the first byte that
/// does not start a frame (what follows is kept as a trailer only if it is
/// an ID3v1 tag).
fn frames(data: &[u8]) -> Vec<FrameAt> {
    let mut out = Vec::new();
    let mut at = id3v2_len(data);
    // Tolerate junk between the tag and the first frame: find a sync whose next frame chains.
    let start_limit = (at + 64 * 1024).min(data.len());
    while at + 4 <= start_limit {
        if let Some(h) = frame_header([data[at], data[at + 1], data[at + 2], data[at + 3]]) {
            let next = at + h.frame_len as usize;
            let chained = data
                .get(next..next + 4)
                .and_then(|b| frame_header([b[0], b[1], b[2], b[3]]))
                .is_some();
            if chained || next == data.len() {
                break;
            }
        }
        at += 1;
    }
    while let Some(b) = data.get(at..at + 4) {
        let Some(h) = frame_header([b[0], b[1], b[2], b[3]]) else {
            break;
        };
        if h.frame_len < 4 || at + h.frame_len as usize > data.len() {
            break;
        }
        out.push(FrameAt {
            offset: at,
            header: h,
        });
        at += h.frame_len as usize;
    }
    out
}

/// Cuts an MP3 to at most `max_s` seconds at frame boundaries, keeping the
/// part `mode` says. Returns the new file and its duration.
pub(crate) fn trim_mp3(
    data: &[u8],
    max_s: f64,
    mode: TrimMode,
) -> Result<(Vec<u8>, f64), FixError> {
    let mut all = frames(data);
    let Some(first) = all.first().copied() else {
        return Err(FixError::decode(Format::Mp3, "mp3: no MPEG audio frames"));
    };
    let (rate, spf) = (first.header.sample_rate, first.header.samples);
    let first_end = first.offset + first.header.frame_len as usize;
    if is_vbr_header(&data[first.offset..first_end], &first.header) {
        all.remove(0);
    }
    let keep = ((max_s * rate as f64) / spf as f64).floor() as usize;
    let (start, len) = window(all.len(), keep, mode);
    let kept = &all[start..start + len];
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(&data[..id3v2_len(data)]);
    for f in kept {
        out.extend_from_slice(&data[f.offset..f.offset + f.header.frame_len as usize]);
    }
    if data.len() >= 128 && &data[data.len() - 128..data.len() - 125] == b"TAG" {
        out.extend_from_slice(&data[data.len() - 128..]);
    }
    Ok((out, len as f64 * spf as f64 / rate as f64))
}

/// Repairs audio as `plan` says, within the budget of `opts.limits`.
pub(crate) fn repair(
    plan: &FixPlan,
    input: Input<'_>,
    p: &Profile,
    opts: &FixOptions,
) -> Result<Repaired, FixError> {
    let l = &p.audio;
    let mut budget = Budget::new(&opts.limits);
    let mut actions = Vec::new();
    if plan.output == Some(Format::Mp3) && plan.input == Format::Mp3 {
        let from = plan.steps.iter().find_map(|s| match s {
            Step::Trim { from_s, .. } => Some(*from_s),
            _ => None,
        });
        let data = input.bytes(&mut budget)?;
        // The output is at most the input.
        budget.reserve(data.len() as u64)?;
        let (bytes, d) = trim_mp3(&data, l.max_duration_s, opts.trim)?;
        let (from, to) = preflight::fmt_apart(from.unwrap_or(0.0), d);
        actions.push(format!("trimmed {from} s → {to} s at MP3 frame boundaries"));
        return Ok(Repaired {
            bytes,
            format: Format::Mp3,
            actions,
        });
    }
    let rewrite = plan.steps.iter().any(|s| matches!(s, Step::Convert { .. }));
    if plan.input == Format::Wav && !rewrite {
        if let Some(r) = repair_wav_same_format(input, p, opts, &mut budget)? {
            return Ok(r);
        }
    }
    let mut pcm = match decode(input, plan.input, &mut budget) {
        Ok(pcm) => pcm,
        Err(e @ FixError::OverBudget { .. }) => return Err(e),
        Err(e) => match (super::Ffmpeg::find(), input.path()) {
            (Some(ff), Some(path)) => {
                let mut fresh = Budget::new(&opts.limits);
                let pcm = decode_with_ffmpeg(ff, path, plan.input, opts, &mut fresh)?;
                budget = fresh;
                actions.push("decoded with ffmpeg".into());
                pcm
            }
            // ffmpeg, the decoder of last resort, is absent.
            (None, _) => {
                return Err(match e {
                    FixError::Decode { format, source, .. } => FixError::Decode {
                        format,
                        source,
                        needs_ffmpeg: true,
                    },
                    other => other,
                })
            }
            (_, None) => return Err(e),
        },
    };
    if plan.input != Format::Wav {
        actions.push(format!(
            "converted {} → WAV (PCM 16-bit)",
            plan.input.name().to_uppercase()
        ));
    } else {
        actions.push("rewrote as WAV PCM 16-bit".into());
    }
    let d = pcm.duration_s();
    if d > l.max_duration_s {
        trim(&mut pcm, l.max_duration_s, opts.trim);
        let (from, to) = preflight::fmt_apart(d, pcm.duration_s());
        actions.push(format!("trimmed {from} s → {to} s"));
    } else if d < l.min_duration_s {
        if !opts.pad_audio {
            return Err(NotRepairable::AudioTooShort {
                duration_s: d,
                min_s: l.min_duration_s,
            }
            .into());
        }
        pad(&mut pcm, l.min_duration_s, &mut budget)?;
        let (from, to) = preflight::fmt_apart(d, pcm.duration_s());
        actions.push(format!("padded with silence {from} s → {to} s"));
    }
    budget.reserve_n(pcm.samples.len() as u64, 2)?;
    let bytes = write_wav(&pcm)?;
    Ok(Repaired {
        bytes,
        format: Format::Wav,
        actions,
    })
}

/// Decodes `path` with ffmpeg into a 16-bit WAV file in a private folder
/// (stopped at what the budget has left), then reads it within the budget.
fn decode_with_ffmpeg(
    ff: &super::Ffmpeg,
    path: &Path,
    format: Format,
    opts: &FixOptions,
    budget: &mut Budget,
) -> Result<Pcm, FixError> {
    let dir = crate::ffmpeg::private_dir(None)?;
    // The file and its samples are both held: half the budget each.
    let cap = budget.remaining() / 2;
    let args: Vec<std::ffi::OsString> = ["-vn", "-c:a", "pcm_s16le"]
        .iter()
        .map(Into::into)
        .collect();
    let wav = ff.transcode(
        path,
        format,
        &args,
        "wav",
        dir.path(),
        cap,
        &opts.limits,
        None,
    )?;
    let len = std::fs::metadata(&wav)?.len();
    if len >= cap {
        // `-fs` stopped it: the decoded audio is at least this large.
        return Err(FixError::OverBudget {
            resource: crate::Resource::Memory,
            need: len.saturating_mul(2),
            limit: opts.limits.max_memory_bytes,
        });
    }
    let data = Input::File(&wav).bytes(budget)?;
    budget.reserve(len)?;
    decode_streamed_wav(&data)
}

/// Trims or pads a WAV keeping its sample format (8/16/24/32-bit integer or
/// 32-bit float PCM) through `hound`. `Ok(None)` when hound cannot read it
/// (RF64, compressed codecs): the caller decodes it with symphonia instead.
fn repair_wav_same_format(
    input: Input<'_>,
    p: &Profile,
    opts: &FixOptions,
    budget: &mut Budget,
) -> Result<Option<Repaired>, FixError> {
    let l = &p.audio;
    let Ok(reader) = hound::WavReader::new(input.reader()?) else {
        return Ok(None);
    };
    let spec = reader.spec();
    let ch = spec.channels.max(1) as usize;
    let rate = spec.sample_rate.max(1) as f64;
    // Samples are read as 4-byte values: bounded before reading, from the
    // header's count (and the file's size, which a header cannot exceed).
    let in_file = input.len()? / (u64::from(spec.bits_per_sample.max(8)) / 8);
    budget.reserve_n(u64::from(reader.len()).min(in_file), 4)?;
    let mut actions = Vec::new();
    enum Samples {
        Int(Vec<i32>),
        Float(Vec<f32>),
    }
    let samples = match spec.sample_format {
        hound::SampleFormat::Int => reader
            .into_samples::<i32>()
            .collect::<Result<Vec<_>, _>>()
            .map(Samples::Int),
        hound::SampleFormat::Float => reader
            .into_samples::<f32>()
            .collect::<Result<Vec<_>, _>>()
            .map(Samples::Float),
    };
    let Ok(mut samples) = samples else {
        return Ok(None);
    };
    let len = match &samples {
        Samples::Int(v) => v.len(),
        Samples::Float(v) => v.len(),
    };
    let frames = len / ch;
    let d = frames as f64 / rate;
    let (start, keep) = if d > l.max_duration_s {
        window(
            frames,
            (l.max_duration_s * rate).floor() as usize,
            opts.trim,
        )
    } else if d < l.min_duration_s {
        if !opts.pad_audio {
            return Err(NotRepairable::AudioTooShort {
                duration_s: d,
                min_s: l.min_duration_s,
            }
            .into());
        }
        let keep = (l.min_duration_s * rate).ceil() as usize;
        // The silence: the rate comes from the header.
        budget.reserve_n(keep.saturating_mul(ch) as u64, 4)?;
        (0, keep)
    } else {
        (0, frames)
    };
    let (a, b) = (start * ch, (start + keep) * ch);
    match &mut samples {
        Samples::Int(v) => {
            v.truncate(b.min(v.len()));
            v.drain(..a.min(v.len()));
            v.resize(keep * ch, 0);
        }
        Samples::Float(v) => {
            v.truncate(b.min(v.len()));
            v.drain(..a.min(v.len()));
            v.resize(keep * ch, 0.0);
        }
    }
    let new_d = keep as f64 / rate;
    if keep < frames {
        let (from, to) = preflight::fmt_apart(d, new_d);
        actions.push(format!("trimmed {from} s → {to} s"));
    } else if keep > frames {
        let (from, to) = preflight::fmt_apart(d, new_d);
        actions.push(format!("padded with silence {from} s → {to} s"));
    }
    budget.reserve_n(
        (keep * ch) as u64,
        u64::from(spec.bits_per_sample.max(8)) / 8,
    )?;
    let mut buf = Cursor::new(Vec::new());
    {
        let enc = |e: hound::Error| FixError::encode(Format::Wav, e);
        let mut w = hound::WavWriter::new(&mut buf, spec).map_err(enc)?;
        match &samples {
            Samples::Int(v) => v.iter().try_for_each(|&x| w.write_sample(x)),
            Samples::Float(v) => v.iter().try_for_each(|&x| w.write_sample(x)),
        }
        .map_err(enc)?;
        w.finalize().map_err(enc)?;
    }
    Ok(Some(Repaired {
        bytes: buf.into_inner(),
        format: Format::Wav,
        actions,
    }))
}

/// Reads a 16-bit PCM WAV written to a pipe (its RIFF and data sizes may be
/// 0 or -1): the samples are everything after the `data` chunk header.
fn decode_streamed_wav(wav: &[u8]) -> Result<Pcm, FixError> {
    let bad = || FixError::decode(Format::Wav, "ffmpeg wrote no usable WAV");
    let mut r = std::io::Cursor::new(wav);
    let form = riff::read_form_header(&mut r).map_err(|_| bad())?;
    if &form.id != b"RIFF" || &form.form != b"WAVE" {
        return Err(bad());
    }
    let limits = preflight::ProbeLimits::default();
    let mut chunks = riff::Chunks::new(12, wav.len() as u64, &limits);
    let (mut rate, mut channels) = (0u32, 0u16);
    while let Some(c) = chunks.next(&mut r).map_err(|_| bad())? {
        let body = usize::try_from(c.offset).map_err(|_| bad())?;
        if &c.id == b"fmt " && c.avail >= 16 {
            let f = &wav[body..body + 16];
            channels = u16::from_le_bytes([f[2], f[3]]);
            rate = u32::from_le_bytes([f[4], f[5], f[6], f[7]]);
        } else if &c.id == b"data" {
            if rate == 0 || channels == 0 {
                return Err(bad());
            }
            // ffmpeg writing to a pipe cannot seek back to fill in the sizes:
            // a placeholder (0 or 0xFFFFFFFF) means the data runs to the end.
            let end = match c.size {
                0 | 0xFFFF_FFFF => wav.len(),
                _ => body + usize::try_from(c.avail).map_err(|_| bad())?,
            };
            let samples = wav[body..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Ok(Pcm {
                samples,
                rate,
                channels,
            });
        }
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;
    use preflight::MediaInfo;

    fn tone(secs: f64, rate: u32, channels: u16) -> Pcm {
        let n = (secs * rate as f64) as usize;
        let mut samples = Vec::with_capacity(n * channels as usize);
        for i in 0..n {
            let v =
                ((i as f64 * 440.0 * std::f64::consts::TAU / rate as f64).sin() * 8000.0) as i16;
            for _ in 0..channels {
                samples.push(v);
            }
        }
        Pcm {
            samples,
            rate,
            channels,
        }
    }

    fn wav_info(secs: f64) -> MediaInfo {
        let mut i = MediaInfo::new(Format::Wav, 1000);
        i.duration_s = Some(secs);
        i
    }

    #[test]
    fn wav_round_trips_through_symphonia() {
        let pcm = tone(0.5, 8000, 2);
        let bytes = write_wav(&pcm).unwrap();
        assert_eq!(
            decode(
                Input::Bytes(&bytes),
                Format::Wav,
                &mut Budget::new(&crate::FixLimits::default())
            )
            .unwrap(),
            pcm
        );
    }

    #[test]
    fn long_wav_is_trimmed_to_exactly_15_s() {
        let pcm = tone(15.2, 8000, 1);
        let bytes = write_wav(&pcm).unwrap();
        let p = Profile::seedance2();
        for mode in [TrimMode::Start, TrimMode::Middle, TrimMode::End] {
            let o = FixOptions {
                trim: mode,
                ..FixOptions::default()
            };
            let r = repair(&plan(&wav_info(15.2), &p, &o), Input::Bytes(&bytes), &p, &o).unwrap();
            let back = decode(
                Input::Bytes(&r.bytes),
                Format::Wav,
                &mut Budget::new(&crate::FixLimits::default()),
            )
            .unwrap();
            assert_eq!(back.frames(), 120_000);
            let skip = match mode {
                TrimMode::Start => 0,
                TrimMode::Middle => 800,
                TrimMode::End => 1600,
            };
            assert_eq!(back.samples[..100], pcm.samples[skip..skip + 100]);
            assert!(
                r.actions.contains(&"trimmed 15.2 s → 15 s".to_string()),
                "{:?}",
                r.actions
            );
        }
    }

    #[test]
    fn wav_keeps_its_sample_format_when_only_trimmed() {
        for (bits, fmt) in [
            (8, hound::SampleFormat::Int),
            (24, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Float),
        ] {
            let spec = hound::WavSpec {
                channels: 2,
                sample_rate: 8000,
                bits_per_sample: bits,
                sample_format: fmt,
            };
            let mut buf = Cursor::new(Vec::new());
            {
                let mut w = hound::WavWriter::new(&mut buf, spec).unwrap();
                for i in 0..(15.2 * 8000.0) as i32 * 2 {
                    match fmt {
                        hound::SampleFormat::Int => w.write_sample(i % 100).unwrap(),
                        hound::SampleFormat::Float => {
                            w.write_sample((i % 100) as f32 / 100.0).unwrap()
                        }
                    }
                }
                w.finalize().unwrap();
            }
            let data = buf.into_inner();
            let p = Profile::seedance2();
            let o = FixOptions {
                trim: TrimMode::End,
                ..FixOptions::default()
            };
            let r = repair(&plan(&wav_info(15.2), &p, &o), Input::Bytes(&data), &p, &o).unwrap();
            assert_eq!(r.actions, vec!["trimmed 15.2 s → 15 s"]);
            let back = hound::WavReader::new(Cursor::new(&r.bytes)).unwrap();
            assert_eq!(back.spec(), spec);
            assert_eq!(back.duration(), 120_000);
            if fmt == hound::SampleFormat::Int {
                // The end was kept: the first sample is sample 3,200 of the input.
                let first = back.into_samples::<i32>().next().unwrap().unwrap();
                assert_eq!(first, 3200 % 100);
            }
        }
    }

    #[test]
    fn short_wav_is_padded_only_when_asked() {
        let bytes = write_wav(&tone(1.9, 8000, 1)).unwrap();
        let p = Profile::seedance2();
        let o = FixOptions::default();
        assert!(plan(&wav_info(1.9), &p, &o)
            .not_repairable_reason()
            .is_some());
        let o = FixOptions {
            pad_audio: true,
            ..o
        };
        let r = repair(&plan(&wav_info(1.9), &p, &o), Input::Bytes(&bytes), &p, &o).unwrap();
        let back = decode(
            Input::Bytes(&r.bytes),
            Format::Wav,
            &mut Budget::new(&crate::FixLimits::default()),
        )
        .unwrap();
        assert_eq!(back.frames(), 16_000);
        assert!(back.samples[15_300..].iter().all(|&s| s == 0));
    }

    /// A CBR MPEG-1 Layer III stream of `n` silent frames (128 kbit/s, 44.1 kHz, mono).
    fn mp3(n: usize, xing: bool) -> Vec<u8> {
        let mut out = b"ID3\x03\0\0\0\0\0\x05hello".to_vec();
        for k in 0..n + xing as usize {
            // 0xFFFB: MPEG-1 Layer III no CRC; 0x90: 128 kbit/s 44.1 kHz, no padding; 0xC0: mono.
            let mut f = vec![0u8; 417];
            f[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0xC0]);
            if xing && k == 0 {
                f[4 + 17..4 + 21].copy_from_slice(b"Xing");
            }
            out.extend_from_slice(&f);
        }
        out
    }

    #[test]
    fn mp3_is_cut_at_frame_boundaries_and_xing_dropped() {
        let h = frame_header([0xFF, 0xFB, 0x90, 0xC0]).unwrap();
        assert_eq!(h.frame_len, 417);
        // 600 frames × 1152 / 44100 = 15.67 s; 15 s holds 574 frames (14.994 s).
        let data = mp3(600, true);
        let (out, d) = trim_mp3(&data, 15.0, TrimMode::Start).unwrap();
        assert_eq!(frames(&out).len(), 574);
        assert!((d - 574.0 * 1152.0 / 44100.0).abs() < 1e-9 && d <= 15.0);
        assert_eq!(&out[..15], &data[..15], "ID3v2 kept");
        assert!(!out.windows(4).any(|w| w == b"Xing"));
        assert_eq!(out.len(), 15 + 574 * 417);
        let (out, _) = trim_mp3(&mp3(574, false), 15.0, TrimMode::End).unwrap();
        assert_eq!(frames(&out).len(), 574);
    }

    #[test]
    fn mp3_without_frames_is_an_error() {
        assert!(trim_mp3(b"ID3\x03\0\0\0\0\0\0", 15.0, TrimMode::Start).is_err());
        assert!(trim_mp3(&[0xFF; 3], 15.0, TrimMode::Start).is_err());
    }

    #[test]
    fn streamed_wav_is_read() {
        let mut bytes = write_wav(&tone(0.1, 8000, 1)).unwrap();
        // As ffmpeg writes to a pipe: sizes unknown.
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let at = bytes.windows(4).position(|w| w == b"data").unwrap();
        bytes[at + 4..at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        let pcm = decode_streamed_wav(&bytes).unwrap();
        assert_eq!(pcm.frames(), 800);
        assert!(decode_streamed_wav(b"RIFF").is_err());
    }

    #[test]
    fn windows() {
        assert_eq!(window(10, 4, TrimMode::Start), (0, 4));
        assert_eq!(window(10, 4, TrimMode::Middle), (3, 4));
        assert_eq!(window(10, 4, TrimMode::End), (6, 4));
        assert_eq!(window(3, 4, TrimMode::End), (0, 3));
    }
}
