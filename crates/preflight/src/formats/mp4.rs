//! MP4 (ISO base media) and QuickTime MOV header reader, also for fragmented
//! MP4 and for QuickTime files without an `ftyp` box.
//!
//! Specifications: ISO/IEC 14496-12:2020 — § 8.2.2 `mvhd`, § 8.3.2 `tkhd`
//! (with its transformation matrix),
//! § 8.4.2 `mdhd`, § 8.4.3 `hdlr`, § 8.5.2 `stsd` with § 12.1.3 `VisualSampleEntry`
//! and § 12.2.3 `AudioSampleEntry`, § 8.6.1.2 `stts`, § 8.6.6 `elst`,
//! § 8.8.3 `trex`, § 8.8.7 `tfhd`, § 8.8.8 `trun`; and Apple's QuickTime File
//! Format specification ("Movie atoms", "Sound sample descriptions" versions 0–2).
//!
//! Only headers are read: top-level boxes are visited by seeking, so media data
//! (`mdat`) is never read, wherever the `moov` box sits. Tables are summed entry
//! by entry (no table is ever allocated), every count being checked against
//! its box's size and [`ProbeLimits::max_table_entries`] first.
//!
//! Readings:
//! - frame rate = video samples × media timescale ÷ summed `stts`/`trun`
//!   durations (the media duration, before edit lists); a track with more than
//!   one distinct non-zero sample duration is variable-frame-rate, its
//!   `fps_min`/`fps_max` coming from the largest/smallest duration;
//! - a track's duration is its presentation duration: the sum of its edit list
//!   segments (empty edits included) in the movie timescale, a final
//!   zero-length non-empty edit being read as "to the end of the media";
//!   without an edit list, the longest of the `tkhd`, `mdhd` and summed sample
//!   durations; the movie's duration is the longest track's, else `mvhd`'s, else
//!   `mehd`'s;
//! - rotation comes from the `tkhd` matrix of the video track: with the
//!   matrix's `a, b, c, d` in 16.16 fixed point, `(0, 1, -1, 0)` is a 90°
//!   clockwise display rotation, `(-1, 0, 0, -1)` 180°, `(0, -1, 1, 0)` 270°
//!   (checked on the fixtures: ffprobe 5.1 reports these as display-matrix
//!   rotations of -90, -180 and 90, ffmpeg's counter-clockwise sign). A matrix with a negative determinant is
//!   `mirrored`; its rotation is then that of the matrix once its left-right
//!   flip (applied first) is taken out. Width and height are swapped for 90°/270°.

use super::isobmff::{fourcc_string, BoxHeader, Content, FourCC, Walker};
use crate::error::{Error, LimitKind, Result};
use crate::info::{MediaInfo, Rational};
use crate::read::ProbeLimits;
use std::collections::HashMap;
use std::io::{Read, Seek};

const FMT: &str = "mp4";

/// Most tracks one movie may declare; each costs a little memory.
const MAX_TRACKS: u64 = 1024;

/// A "duration unknown" value: all ones in the field's width.
fn known(d: u64, wide: bool) -> Option<u64> {
    let unknown = if wide { u64::MAX } else { u64::from(u32::MAX) };
    (d != unknown).then_some(d)
}

#[derive(Debug, Default, Clone, PartialEq)]
struct SampleEntry {
    fourcc: FourCC,
    /// An `encv`/`enca` entry: `fourcc` is the original format from `frma`.
    encrypted: bool,
    /// Pixel aspect ratio from `pasp` (h_spacing, v_spacing).
    pasp: Option<(u32, u32)>,
    width: u32,
    height: u32,
    sample_rate: Option<u32>,
    channels: Option<u16>,
    /// An audio entry's codec by name (`aac`, `mp3`, `opus`, …).
    audio_codec: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Edits {
    /// Sum of segment durations, movie timescale.
    total: u64,
    /// Media time of a final zero-length, non-empty edit ("to the end of the media").
    open_end: Option<u64>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Track {
    id: u32,
    enabled: bool,
    /// `tkhd` duration in the movie timescale.
    tkhd_duration: Option<u64>,
    /// `a, b, c, d` of the `tkhd` matrix, 16.16 fixed point.
    matrix: [i32; 4],
    tkhd_size: (u32, u32),
    edits: Option<Edits>,
    handler: FourCC,
    media_timescale: Option<u32>,
    mdhd_duration: Option<u64>,
    entry: Option<SampleEntry>,
    /// The sample size, chunk offset and sample-to-chunk tables, read only
    /// when the file's last box claims more bytes than the file has.
    stsz: Option<BoxHeader>,
    stco: Option<BoxHeader>,
    stsc: Option<BoxHeader>,
    samples: u64,
    ticks: u64,
    min_delta: Option<u32>,
    max_delta: Option<u32>,
    trex_duration: u32,
}

impl Track {
    /// Adds `count` samples of `delta` ticks each.
    fn add_run(&mut self, count: u64, delta: u32, fmt: &'static str) -> Result<()> {
        let overflow = || Error::malformed(fmt, "sample durations overflow");
        self.samples = self.samples.checked_add(count).ok_or_else(overflow)?;
        let t = count.checked_mul(u64::from(delta)).ok_or_else(overflow)?;
        self.ticks = self.ticks.checked_add(t).ok_or_else(overflow)?;
        if count > 0 && delta > 0 {
            self.min_delta = Some(self.min_delta.map_or(delta, |m| m.min(delta)));
            self.max_delta = Some(self.max_delta.map_or(delta, |m| m.max(delta)));
        }
        Ok(())
    }

    fn media_seconds(&self) -> Option<f64> {
        let ts = f64::from(self.media_timescale?);
        if self.ticks > 0 {
            Some(self.ticks as f64 / ts)
        } else {
            self.mdhd_duration.filter(|&d| d > 0).map(|d| d as f64 / ts)
        }
    }

    /// Presentation duration in seconds.
    fn duration_s(&self, movie_ts: u32) -> Option<f64> {
        let mts = f64::from(movie_ts);
        if let Some(e) = self.edits {
            let mut total = e.total as f64 / mts;
            if let (Some(start), Some(media), Some(ts)) =
                (e.open_end, self.media_seconds(), self.media_timescale)
            {
                total += (media - start as f64 / f64::from(ts)).max(0.0);
            }
            if total > 0.0 {
                return Some(total);
            }
        }
        let tkhd = self.tkhd_duration.map(|d| d as f64 / mts);
        let mdhd = self
            .media_timescale
            .and_then(|ts| self.mdhd_duration.map(|d| d as f64 / f64::from(ts)));
        let samples = self
            .media_timescale
            .filter(|_| self.ticks > 0)
            .map(|ts| self.ticks as f64 / f64::from(ts));
        [tkhd, mdhd, samples]
            .into_iter()
            .flatten()
            .filter(|&d| d > 0.0)
            .reduce(f64::max)
    }

    /// Display rotation (clockwise degrees) and mirroring from the matrix.
    fn orientation(&self) -> (u32, bool) {
        let [a, b, c, d] = self.matrix.map(i64::from);
        let mirrored = a * d - b * c < 0;
        // Take out a left-right flip applied first: F·R with F = diag(-1, 1).
        let (a, b) = if mirrored { (-a, -b) } else { (a, b) };
        if a == 0 && b == 0 {
            return (0, mirrored);
        }
        // Row-vector convention: the x axis maps to (a, b); y points down, so a
        // positive angle is clockwise on screen.
        let deg = (b as f64).atan2(a as f64).to_degrees();
        let quarter = (deg / 90.0).round() as i64;
        (quarter.rem_euclid(4) as u32 * 90, mirrored)
    }

    fn fps(&self) -> Option<Rational> {
        let ts = self.media_timescale?;
        if self.samples == 0 || self.ticks == 0 {
            return None;
        }
        ratio(
            u128::from(self.samples) * u128::from(ts),
            u128::from(self.ticks),
        )
    }
}

/// `num / den` reduced, when it fits a [`Rational`].
fn ratio(num: u128, den: u128) -> Option<Rational> {
    let (mut a, mut b) = (num, den);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let g = a.max(1);
    let (n, d) = (u64::try_from(num / g).ok()?, u64::try_from(den / g).ok()?);
    Rational::new(n, d)
}

#[derive(Debug, Default)]
struct Movie {
    timescale: u32,
    duration: Option<u64>,
    fragment_duration: Option<u64>,
    tracks: Vec<Track>,
    by_id: HashMap<u32, usize>,
}

/// Reads the headers of an MP4 or QuickTime file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let mut w = Walker::new(FMT, limits);
    let mut top = w.top(size);
    let mut movie: Option<Movie> = None;
    // The last top-level box may claim more bytes than the file has.
    let mut claimed_past_end = false;
    while let Some((h, past_end)) = w.next_top_tolerant(r, &mut top)? {
        if past_end {
            if matches!(&h.typ, b"moov" | b"moof") {
                return Err(Error::truncated(
                    FMT,
                    "box extends past the end of the file",
                ));
            }
            claimed_past_end = true;
            break;
        }
        match &h.typ {
            b"moov" if movie.is_none() => movie = Some(read_moov(r, &mut w, &h)?),
            b"moof" => match movie.as_mut() {
                Some(m) => read_moof(r, &mut w, &h, m)?,
                None => {
                    return Err(Error::malformed(
                        "mp4 (moof)",
                        "movie fragment before the moov box",
                    ))
                }
            },
            _ => {} // mdat, free, ftyp, a second moov, …: skipped by seeking
        }
    }
    let movie = movie.ok_or_else(|| Error::malformed(FMT, "no moov box"))?;
    let mut info = media_info(&movie);
    if claimed_past_end {
        // Judge the truncation by what the sample tables reference (SPEC §1).
        let mut end = 0u64;
        for t in &movie.tracks {
            match samples_end(r, t, w.limits)? {
                Some(e) => end = end.max(e),
                // Samples whose place the tables do not say: the cut cannot
                // be judged harmless.
                None => {
                    return Err(Error::truncated(
                        FMT,
                        "box extends past the end of the file",
                    ))
                }
            }
        }
        if end > size {
            return Err(Error::DataPastEnd {
                format: FMT,
                needed: end,
                size,
            });
        }
        info.truncated_tail = true;
    }
    Ok(info)
}

/// The end of a track's sample data: the chunk at the highest offset
/// (`stco`/`co64`), plus the sizes (`stsz`/`stz2`) of its samples (found
/// through `stsc`). Each table is read once, entry by entry. A track with
/// no samples references nothing; one with samples but without the tables
/// gives `None` (where its samples lie is unknown).
fn samples_end<R: Read + Seek>(r: &mut R, t: &Track, limits: &ProbeLimits) -> Result<Option<u64>> {
    let (Some(stco), Some(stsc), Some(stsz)) = (t.stco, t.stsc, t.stsz) else {
        return Ok((t.samples == 0).then_some(0));
    };
    // 1. The chunk at the highest offset.
    let wide = &stco.typ == b"co64";
    let mut b = Content::open(r, &stco, "mp4 (stco)")?;
    b.full_box()?;
    let chunks = b.u32()?;
    b.table(u64::from(chunks), if wide { 8 } else { 4 }, limits)?;
    let (mut last, mut last_offset) = (None, 0u64);
    for i in 0..chunks {
        let o = b.u32_or_u64(wide)?;
        if last.is_none() || o >= last_offset {
            (last, last_offset) = (Some(i), o);
        }
    }
    let Some(last) = last else { return Ok(Some(0)) };
    // 2. Its first sample and sample count, from the sample-to-chunk runs.
    let mut b = Content::open(r, &stsc, "mp4 (stsc)")?;
    b.full_box()?;
    let runs = b.u32()?;
    b.table(u64::from(runs), 12, limits)?;
    let chunk_no = u64::from(last) + 1; // stsc counts chunks from 1
    let (mut before, mut in_chunk) = (0u64, 0u64);
    let mut run: Option<(u64, u64)> = None; // (first chunk, samples per chunk)
    let overflow = || Error::malformed("mp4 (stsc)", "sample counts overflow");
    for _ in 0..runs {
        let first = u64::from(b.u32()?);
        let per = u64::from(b.u32()?);
        b.skip(4)?; // sample description index
        if first > chunk_no {
            break;
        }
        if let Some((f, p)) = run {
            let n = first
                .saturating_sub(f)
                .checked_mul(p)
                .ok_or_else(overflow)?;
            before = before.checked_add(n).ok_or_else(overflow)?;
        }
        run = Some((first, per));
    }
    if let Some((f, p)) = run {
        let n = chunk_no
            .saturating_sub(f)
            .checked_mul(p)
            .ok_or_else(overflow)?;
        before = before.checked_add(n).ok_or_else(overflow)?;
        in_chunk = p;
    }
    // 3. The bytes of those samples.
    let mut b = Content::open(r, &stsz, "mp4 (stsz)")?;
    b.full_box()?;
    let bytes = if &stsz.typ == b"stsz" {
        let constant = u64::from(b.u32()?);
        let count = u64::from(b.u32()?);
        let in_chunk = in_chunk.min(count.saturating_sub(before));
        if constant > 0 {
            constant.saturating_mul(in_chunk)
        } else {
            b.skip(before.saturating_mul(4))?;
            let mut sum = 0u64;
            for _ in 0..in_chunk {
                sum = sum.saturating_add(u64::from(b.u32()?));
            }
            sum
        }
    } else {
        b.skip(3)?;
        let field = b.u8()?;
        let count = u64::from(b.u32()?);
        let in_chunk = in_chunk.min(count.saturating_sub(before));
        let mut sum = 0u64;
        match field {
            4 => {
                b.skip(before / 2)?;
                let mut byte = if before % 2 == 1 { Some(b.u8()?) } else { None };
                for _ in 0..in_chunk {
                    sum += u64::from(match byte.take() {
                        Some(x) => x & 0x0F,
                        None => {
                            let x = b.u8()?;
                            byte = Some(x);
                            x >> 4
                        }
                    });
                }
            }
            8 => {
                b.skip(before)?;
                for _ in 0..in_chunk {
                    sum += u64::from(b.u8()?);
                }
            }
            _ => {
                b.skip(before.saturating_mul(2))?;
                for _ in 0..in_chunk {
                    sum += u64::from(b.u16()?);
                }
            }
        }
        sum
    };
    Ok(Some(last_offset.saturating_add(bytes)))
}

/// The stored width of a video track: its sample entry's, else `tkhd`'s.
fn coded_w(v: &Track) -> u32 {
    match v.entry.as_ref() {
        Some(e) if e.width > 0 && e.height > 0 => e.width,
        _ => v.tkhd_size.0 >> 16,
    }
}

/// The stored height of a video track.
fn coded_h(v: &Track) -> u32 {
    match v.entry.as_ref() {
        Some(e) if e.width > 0 && e.height > 0 => e.height,
        _ => v.tkhd_size.1 >> 16,
    }
}

fn media_info(m: &Movie) -> MediaInfo {
    let mut info = MediaInfo::new(crate::info::Format::Mp4, 0);
    // `pict`: the image-sequence tracks of HEIF (ISO/IEC 23008-12 § 7), only
    // when there is no `vide` track.
    let handler = if m.tracks.iter().any(|t| &t.handler == b"vide") {
        b"vide"
    } else {
        b"pict"
    };
    let videos = || m.tracks.iter().filter(|t| &t.handler == handler);
    let video = videos().find(|t| t.enabled).or_else(|| videos().next());
    let audio = m.tracks.iter().find(|t| &t.handler == b"soun");
    info.has_video = Some(video.is_some());
    if let Some(v) = video {
        let (rotation, mirrored) = v.orientation();
        info.rotation = Some(rotation);
        info.mirrored = mirrored;
        let (w, h) = (coded_w(v), coded_h(v));
        let (w, h) = if rotation % 180 == 90 { (h, w) } else { (w, h) };
        info.width = (w > 0).then_some(w);
        info.height = (h > 0).then_some(h);
        info.codec = v.entry.as_ref().map(|e| fourcc_string(e.fourcc));
        info.encrypted = v.entry.as_ref().is_some_and(|e| e.encrypted);
        if let Some((hs, vs)) = v.entry.as_ref().and_then(|e| e.pasp) {
            let sar = Rational::new(u64::from(hs), u64::from(vs));
            if let Some(sar) = sar.filter(|r| r.num != r.den) {
                // The displayed shape: stored width scaled by the pixel
                // aspect ratio, then the rotation.
                let dw = (u64::from(coded_w(v)) * sar.num).div_ceil(sar.den);
                let dw = u32::try_from(dw).unwrap_or(u32::MAX);
                let dh = coded_h(v);
                let (dw, dh) = if rotation % 180 == 90 {
                    (dh, dw)
                } else {
                    (dw, dh)
                };
                info.sar = Some(sar);
                info.display_width = Some(dw);
                info.display_height = Some(dh);
            }
        }
        info.frames = Some(v.samples);
        info.fps = v.fps();
        if let (Some(ts), Some(lo), Some(hi)) = (v.media_timescale, v.min_delta, v.max_delta) {
            if lo != hi {
                info.vfr = true;
                info.fps_min = Rational::new(u64::from(ts), u64::from(hi));
                info.fps_max = Rational::new(u64::from(ts), u64::from(lo));
            }
        }
    } else if let Some(a) = audio {
        info.codec = a.entry.as_ref().map(|e| fourcc_string(e.fourcc));
    }
    if audio
        .and_then(|a| a.entry.as_ref())
        .is_some_and(|e| e.encrypted)
    {
        info.encrypted = true;
    }
    if let Some(e) = audio.and_then(|a| a.entry.as_ref()) {
        info.sample_rate = e.sample_rate;
        info.channels = e.channels;
        info.audio_codec = e.audio_codec.clone();
    }
    let ts = f64::from(m.timescale);
    info.duration_s = m
        .tracks
        .iter()
        .filter_map(|t| t.duration_s(m.timescale))
        .reduce(f64::max)
        .or_else(|| m.duration.filter(|&d| d > 0).map(|d| d as f64 / ts))
        .or_else(|| {
            m.fragment_duration
                .filter(|&d| d > 0)
                .map(|d| d as f64 / ts)
        });
    info
}

fn read_moov<R: Read + Seek>(r: &mut R, w: &mut Walker, moov: &BoxHeader) -> Result<Movie> {
    let mut m = Movie::default();
    let mut have_mvhd = false;
    let mut trex: Vec<(u32, u32)> = Vec::new();
    let mut c = w.children(moov, 0)?;
    while let Some(h) = w.next(r, &mut c)? {
        match &h.typ {
            b"mvhd" if !have_mvhd => {
                read_mvhd(r, &h, &mut m)?;
                have_mvhd = true;
            }
            b"trak" => {
                if m.tracks.len() as u64 >= MAX_TRACKS {
                    return Err(Error::Limit {
                        kind: LimitKind::Items,
                        actual: MAX_TRACKS + 1,
                        max: MAX_TRACKS,
                    });
                }
                let t = read_trak(r, w, &h)?;
                m.by_id.entry(t.id).or_insert(m.tracks.len());
                m.tracks.push(t);
            }
            b"mvex" => {
                let mut mc = w.children(&h, 0)?;
                while let Some(x) = w.next(r, &mut mc)? {
                    match &x.typ {
                        b"mehd" => {
                            let mut b = Content::open(r, &x, "mp4 (mehd)")?;
                            let (v, _) = b.full_box()?;
                            m.fragment_duration = known(b.u32_or_u64(v == 1)?, v == 1);
                        }
                        b"trex" => {
                            let mut b = Content::open(r, &x, "mp4 (trex)")?;
                            b.full_box()?;
                            let id = b.u32()?;
                            b.skip(4)?; // default_sample_description_index
                            let dur = b.u32()?;
                            if trex.len() as u64 >= MAX_TRACKS {
                                return Err(Error::malformed(
                                    "mp4 (trex)",
                                    "more trex boxes than tracks",
                                ));
                            }
                            trex.push((id, dur));
                        }
                        _ => {}
                    }
                }
            }
            b"cmov" => return Err(Error::unsupported("mp4 (cmov)", "compressed movie header")),
            _ => {}
        }
    }
    if !have_mvhd {
        return Err(Error::malformed("mp4 (moov)", "no mvhd box"));
    }
    for (id, dur) in trex {
        if let Some(&i) = m.by_id.get(&id) {
            if let Some(t) = m.tracks.get_mut(i) {
                t.trex_duration = dur;
            }
        }
    }
    Ok(m)
}

fn read_mvhd<R: Read + Seek>(r: &mut R, h: &BoxHeader, m: &mut Movie) -> Result<()> {
    let mut b = Content::open(r, h, "mp4 (mvhd)")?;
    let (v, _) = b.full_box()?;
    if v > 1 {
        return Err(Error::unsupported("mp4 (mvhd)", "box version above 1"));
    }
    let wide = v == 1;
    b.skip(if wide { 16 } else { 8 })?; // creation and modification times
    m.timescale = b.u32()?;
    if m.timescale == 0 {
        return Err(Error::malformed("mp4 (mvhd)", "timescale is 0"));
    }
    m.duration = known(b.u32_or_u64(wide)?, wide);
    Ok(())
}

fn read_trak<R: Read + Seek>(r: &mut R, w: &mut Walker, trak: &BoxHeader) -> Result<Track> {
    let mut t = Track::default();
    let mut have_tkhd = false;
    let mut c = w.children(trak, 0)?;
    while let Some(h) = w.next(r, &mut c)? {
        match &h.typ {
            b"tkhd" if !have_tkhd => {
                read_tkhd(r, &h, &mut t)?;
                have_tkhd = true;
            }
            b"edts" if t.edits.is_none() => {
                let mut ec = w.children(&h, 0)?;
                if let Some(elst) = w.find(r, &mut ec, b"elst")? {
                    t.edits = Some(read_elst(r, &elst, w.limits)?);
                }
            }
            b"mdia" => read_mdia(r, w, &h, &mut t)?,
            _ => {}
        }
    }
    Ok(t)
}

fn read_tkhd<R: Read + Seek>(r: &mut R, h: &BoxHeader, t: &mut Track) -> Result<()> {
    let mut b = Content::open(r, h, "mp4 (tkhd)")?;
    let (v, flags) = b.full_box()?;
    if v > 1 {
        return Err(Error::unsupported("mp4 (tkhd)", "box version above 1"));
    }
    let wide = v == 1;
    t.enabled = flags & 1 != 0;
    b.skip(if wide { 16 } else { 8 })?;
    t.id = b.u32()?;
    b.skip(4)?;
    t.tkhd_duration = known(b.u32_or_u64(wide)?, wide);
    // reserved[2], layer, alternate_group, volume, reserved
    b.skip(16)?;
    let a = b.i32()?;
    let bb = b.i32()?;
    b.skip(4)?; // u
    let c = b.i32()?;
    let d = b.i32()?;
    b.skip(16)?; // v, x, y, w
    t.matrix = [a, bb, c, d];
    t.tkhd_size = (b.u32()?, b.u32()?);
    Ok(())
}

fn read_elst<R: Read + Seek>(r: &mut R, h: &BoxHeader, limits: &ProbeLimits) -> Result<Edits> {
    let mut b = Content::open(r, h, "mp4 (elst)")?;
    let (v, _) = b.full_box()?;
    if v > 1 {
        return Err(Error::unsupported("mp4 (elst)", "box version above 1"));
    }
    let wide = v == 1;
    let n = b.u32()?;
    b.table(u64::from(n), if wide { 20 } else { 12 }, limits)?;
    let mut e = Edits::default();
    for i in 0..n {
        let dur = b.u32_or_u64(wide)?;
        let media_time = if wide { b.i64()? } else { i64::from(b.i32()?) };
        b.skip(4)?; // media_rate
        e.total = e
            .total
            .checked_add(dur)
            .ok_or_else(|| Error::malformed("mp4 (elst)", "edit durations overflow"))?;
        e.open_end = if i + 1 == n && dur == 0 {
            u64::try_from(media_time).ok()
        } else {
            None
        };
    }
    Ok(e)
}

fn read_mdia<R: Read + Seek>(
    r: &mut R,
    w: &mut Walker,
    mdia: &BoxHeader,
    t: &mut Track,
) -> Result<()> {
    let mut stsd: Option<BoxHeader> = None;
    let mut have_stts = false;
    let mut c = w.children(mdia, 0)?;
    while let Some(h) = w.next(r, &mut c)? {
        match &h.typ {
            b"mdhd" if t.media_timescale.is_none() => {
                let mut b = Content::open(r, &h, "mp4 (mdhd)")?;
                let (v, _) = b.full_box()?;
                if v > 1 {
                    return Err(Error::unsupported("mp4 (mdhd)", "box version above 1"));
                }
                let wide = v == 1;
                b.skip(if wide { 16 } else { 8 })?;
                let ts = b.u32()?;
                if ts == 0 {
                    return Err(Error::malformed("mp4 (mdhd)", "timescale is 0"));
                }
                t.media_timescale = Some(ts);
                t.mdhd_duration = known(b.u32_or_u64(wide)?, wide);
            }
            b"hdlr" if t.handler == [0; 4] => {
                let mut b = Content::open(r, &h, "mp4 (hdlr)")?;
                b.full_box()?;
                b.skip(4)?; // pre_defined (QuickTime: component type)
                t.handler = b.bytes()?;
            }
            b"minf" => {
                let mut mc = w.children(&h, 0)?;
                if let Some(stbl) = w.find(r, &mut mc, b"stbl")? {
                    let mut sc = w.children(&stbl, 0)?;
                    while let Some(x) = w.next(r, &mut sc)? {
                        match &x.typ {
                            b"stsd" if stsd.is_none() => stsd = Some(x),
                            b"stts" if !have_stts => {
                                read_stts(r, &x, w.limits, t)?;
                                have_stts = true;
                            }
                            b"stsz" | b"stz2" | b"stco" | b"co64" | b"stsc" | b"ctts" | b"stss" => {
                                check_table(r, &x, w.limits)?;
                                match &x.typ {
                                    b"stsz" | b"stz2" => t.stsz = t.stsz.or(Some(x)),
                                    b"stco" | b"co64" => t.stco = t.stco.or(Some(x)),
                                    b"stsc" => t.stsc = t.stsc.or(Some(x)),
                                    _ => {}
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(h) = stsd {
        t.entry = read_stsd(r, w, &h, &t.handler)?;
    }
    Ok(())
}

fn read_stts<R: Read + Seek>(
    r: &mut R,
    h: &BoxHeader,
    limits: &ProbeLimits,
    t: &mut Track,
) -> Result<()> {
    let mut b = Content::open(r, h, "mp4 (stts)")?;
    b.full_box()?;
    let n = b.u32()?;
    b.table(u64::from(n), 8, limits)?;
    for _ in 0..n {
        let count = b.u32()?;
        let delta = b.u32()?;
        t.add_run(u64::from(count), delta, "mp4 (stts)")?;
    }
    Ok(())
}

/// Checks the entry count of a sample table this reader does not otherwise
/// need (sizes, chunk offsets, sample-to-chunk, composition offsets, sync
/// samples) against its box and the limits, without reading the entries: a
/// table that cannot be what it claims means a corrupt file.
fn check_table<R: Read + Seek>(r: &mut R, h: &BoxHeader, limits: &ProbeLimits) -> Result<()> {
    let (fmt, entry_size): (&'static str, u64) = match &h.typ {
        b"stsz" => ("mp4 (stsz)", 4),
        b"stz2" => ("mp4 (stz2)", 0),
        b"stco" => ("mp4 (stco)", 4),
        b"co64" => ("mp4 (co64)", 8),
        b"stsc" => ("mp4 (stsc)", 12),
        b"ctts" => ("mp4 (ctts)", 8),
        _ => ("mp4 (stss)", 4),
    };
    let mut b = Content::open(r, h, fmt)?;
    b.full_box()?;
    match &h.typ {
        b"stsz" => {
            let constant_size = b.u32()?;
            let n = u64::from(b.u32()?);
            if constant_size == 0 {
                b.table(n, entry_size, limits)?;
            }
        }
        b"stz2" => {
            b.skip(3)?;
            let field_size = b.u8()?;
            let n = u64::from(b.u32()?);
            match field_size {
                4 => b.table(n.div_ceil(2), 1, limits)?,
                8 => b.table(n, 1, limits)?,
                16 => b.table(n, 2, limits)?,
                _ => return Err(Error::malformed(fmt, "field size is not 4, 8 or 16")),
            }
        }
        _ => {
            let n = u64::from(b.u32()?);
            b.table(n, entry_size, limits)?;
        }
    }
    Ok(())
}

/// Reads the child boxes of a sample entry that this reader needs: `pasp`
/// (pixel aspect ratio, ISO/IEC 14496-12 § 12.1.4) and, for an encrypted
/// entry (`encv`/`enca`, ISO/IEC 23001-7), `sinf`/`frma` with the original
/// format. Entries too short to hold children have none.
fn entry_children<R: Read + Seek>(
    r: &mut R,
    w: &mut Walker,
    eh: &BoxHeader,
    children_at: u64,
    e: &mut SampleEntry,
) -> Result<()> {
    if children_at > eh.content_len() {
        return Ok(());
    }
    let encrypted = matches!(&eh.typ, b"encv" | b"enca");
    let mut c = w.children(eh, children_at)?;
    while let Some(x) = w.next(r, &mut c)? {
        match &x.typ {
            b"pasp" if e.pasp.is_none() => {
                let mut b = Content::open(r, &x, "mp4 (pasp)")?;
                let (h, v) = (b.u32()?, b.u32()?);
                e.pasp = (h > 0 && v > 0).then_some((h, v));
            }
            b"sinf" if encrypted => {
                let mut sc = w.children(&x, 0)?;
                if let Some(f) = w.find(r, &mut sc, b"frma")? {
                    let mut b = Content::open(r, &f, "mp4 (frma)")?;
                    e.fourcc = b.bytes()?;
                }
            }
            _ => {}
        }
    }
    e.encrypted = encrypted;
    Ok(())
}

fn read_stsd<R: Read + Seek>(
    r: &mut R,
    w: &mut Walker,
    h: &BoxHeader,
    handler: &FourCC,
) -> Result<Option<SampleEntry>> {
    let mut b = Content::open(r, h, "mp4 (stsd)")?;
    let (stsd_version, _) = b.full_box()?;
    let n = b.u32()?;
    b.table(u64::from(n), 8, w.limits)?;
    if n == 0 {
        return Ok(None);
    }
    let mut c = w.children(h, 8)?;
    let Some(eh) = w.next(r, &mut c)? else {
        return Ok(None);
    };
    let mut e = SampleEntry {
        fourcc: eh.typ,
        ..SampleEntry::default()
    };
    let mut b = Content::open(r, &eh, "mp4 (stsd)")?;
    match handler {
        b"vide" | b"pict" => {
            // SampleEntry: reserved[6], data_reference_index; VisualSampleEntry:
            // pre_defined, reserved, pre_defined[3] (16 bytes), then width, height.
            b.skip(24)?;
            e.width = u32::from(b.u16()?);
            e.height = u32::from(b.u16()?);
            // Child boxes follow the 78 bytes of a VisualSampleEntry.
            entry_children(r, w, &eh, 78, &mut e)?;
        }
        b"soun" => {
            b.skip(8)?;
            let version = b.u16()?;
            b.skip(6)?; // revision level, vendor
                        // Where the child boxes start: ISO AudioSampleEntry (and QuickTime
                        // version 0) 28 bytes into the entry, QuickTime version 1 44, version 2 64.
                        // An ISO AudioSampleEntryV1 (only in a version 1 stsd) keeps the 28.
            let children_at = match version {
                1 if stsd_version == 0 => 44,
                2 => 64,
                _ => 28,
            };
            if version == 2 {
                // QuickTime sound description version 2: always3, always16,
                // alwaysMinus2, always0, always65536, sizeOfStructOnly, then
                // audioSampleRate (float64) and numAudioChannels.
                b.skip(16)?;
                let rate = f64::from_bits(b.u64()?);
                let channels = b.u32()?;
                e.sample_rate = (1.0..4_294_967_295.0)
                    .contains(&rate)
                    .then(|| rate.round() as u32);
                e.channels = u16::try_from(channels).ok().filter(|&c| c > 0);
            } else {
                let channels = b.u16()?;
                b.skip(6)?; // sample size, pre_defined / compression id, reserved / packet size
                let rate = b.u32()? >> 16;
                e.sample_rate = (rate > 0).then_some(rate);
                e.channels = (channels > 0).then_some(channels);
            }
            entry_children(r, w, &eh, children_at, &mut e)?;
            let mut object_type = None;
            if &e.fourcc == b"mp4a" {
                // MP4 writers may leave channelcount at its template value 2 (ffmpeg
                // does): the AAC AudioSpecificConfig in `esds` has the real layout.
                if let Some(esds) = aac_config(r, w, &eh, children_at)? {
                    object_type = Some(esds.object_type);
                    if let Some((rate, channels)) = esds.config {
                        e.sample_rate = e.sample_rate.or(rate);
                        e.channels = channels.or(e.channels);
                    }
                }
            }
            e.audio_codec = Some(audio_codec_name(e.fourcc, object_type));
        }
        _ => {}
    }
    Ok(Some(e))
}

/// An audio sample entry's codec by name: the fourcc, and for `mp4a` the
/// object type of its `esds` (ISO/IEC 14496-1 § 7.2.6.6.2, the MP4RA
/// object types). An unknown `mp4a` object type is named as RFC 6381 does
/// (`mp4a.a5`), an unknown fourcc by itself.
fn audio_codec_name(fourcc: FourCC, object_type: Option<u8>) -> String {
    let name = match &fourcc {
        b"mp4a" => match object_type {
            Some(0x40 | 0x66 | 0x67 | 0x68) => "aac",
            Some(0x69 | 0x6B) => "mp3",
            Some(0xA5) => "ac3",
            Some(0xA6) => "eac3",
            Some(0xAD) => "opus",
            Some(0xDD) => "vorbis",
            Some(t) => return format!("mp4a.{t:02x}"),
            None => "mp4a",
        },
        b".mp3" | b"ms\0\x55" => "mp3",
        b"Opus" => "opus",
        b"alac" => "alac",
        b"fLaC" => "flac",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b"ac-4" => "ac4",
        b"samr" => "amr",
        b"sawb" => "amr_wb",
        b"ulaw" => "ulaw",
        b"alaw" => "alaw",
        b"lpcm" | b"sowt" | b"twos" | b"raw " | b"in24" | b"in32" | b"fl32" | b"fl64" | b"ipcm"
        | b"fpcm" | b"NONE" => "pcm",
        _ => return fourcc_string(fourcc),
    };
    name.to_string()
}

/// What an `esds` says: the object type, and for AAC the sample rate and
/// channel count of its AudioSpecificConfig.
struct Esds {
    object_type: u8,
    config: Option<(Option<u32>, Option<u16>)>,
}

/// Finds `esds` (directly or in a QuickTime `wave`) among the children of an
/// `mp4a` sample entry and reads its object type and, for AAC, the sample
/// rate and channel count of its AudioSpecificConfig.
fn aac_config<R: Read + Seek>(
    r: &mut R,
    w: &mut Walker,
    entry: &BoxHeader,
    children_at: u64,
) -> Result<Option<Esds>> {
    if children_at > entry.content_len() {
        return Ok(None);
    }
    let mut c = w.children(entry, children_at)?;
    while let Some(h) = w.next(r, &mut c)? {
        match &h.typ {
            b"esds" => return read_esds(r, &h),
            b"wave" => {
                let mut wc = w.children(&h, 0)?;
                if let Some(esds) = w.find(r, &mut wc, b"esds")? {
                    return read_esds(r, &esds);
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Reads an MPEG-4 descriptor length: 1 to 4 bytes of 7 bits (ISO/IEC 14496-1 § 8.3.3).
fn descriptor_len<R: Read + Seek>(b: &mut Content<'_, R>) -> Result<u32> {
    let mut len = 0u32;
    for _ in 0..4 {
        let x = b.u8()?;
        len = (len << 7) | u32::from(x & 0x7f);
        if x & 0x80 == 0 {
            break;
        }
    }
    Ok(len)
}

/// `esds` (ISO/IEC 14496-14 § 5.6): ES_Descriptor → DecoderConfigDescriptor →
/// DecoderSpecificInfo, an AudioSpecificConfig (ISO/IEC 14496-3 § 1.6.2.1)
/// when the object type is MPEG-4 or MPEG-2 AAC.
fn read_esds<R: Read + Seek>(r: &mut R, h: &BoxHeader) -> Result<Option<Esds>> {
    let mut b = Content::open(r, h, "mp4 (esds)")?;
    b.full_box()?;
    if b.u8()? != 0x03 {
        return Ok(None);
    }
    descriptor_len(&mut b)?;
    b.skip(2)?; // ES_ID
    let flags = b.u8()?;
    if flags & 0x80 != 0 {
        b.skip(2)?; // dependsOn_ES_ID
    }
    if flags & 0x40 != 0 {
        let n = b.u8()?;
        b.skip(u64::from(n))?; // URL
    }
    if flags & 0x20 != 0 {
        b.skip(2)?; // OCR_ES_Id
    }
    if b.u8()? != 0x04 {
        return Ok(None);
    }
    descriptor_len(&mut b)?;
    let object_type = b.u8()?;
    b.skip(12)?; // streamType, bufferSizeDB, maxBitrate, avgBitrate
    let mut esds = Esds {
        object_type,
        config: None,
    };
    if !matches!(object_type, 0x40 | 0x66 | 0x67 | 0x68) || b.u8()? != 0x05 {
        return Ok(Some(esds));
    }
    let len = descriptor_len(&mut b)?;
    let mut asc = [0u8; 6];
    for byte in asc.iter_mut().take(len.min(6) as usize) {
        *byte = b.u8()?;
    }
    esds.config = Some(audio_specific_config(asc));
    Ok(Some(esds))
}

/// Sample rate and channel count of an AudioSpecificConfig (first 6 bytes,
/// zero-padded); `None` where it defers to a program config element.
fn audio_specific_config(asc: [u8; 6]) -> (Option<u32>, Option<u16>) {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let bits = u64::from_be_bytes([0, 0, asc[0], asc[1], asc[2], asc[3], asc[4], asc[5]]);
    let mut at = 48u32; // bits left
    let mut take = |n: u32| {
        at = at.saturating_sub(n);
        ((bits >> at) & ((1u64 << n) - 1)) as u32
    };
    if take(5) == 31 {
        take(6); // audioObjectTypeExt
    }
    let index = take(4);
    let rate = if index == 15 {
        Some(take(24)).filter(|&r| r > 0)
    } else {
        RATES.get(index as usize).copied()
    };
    let channels = match take(4) {
        c @ 1..=6 => Some(c as u16),
        7 => Some(8),
        _ => None,
    };
    (rate, channels)
}

fn read_moof<R: Read + Seek>(
    r: &mut R,
    w: &mut Walker,
    moof: &BoxHeader,
    m: &mut Movie,
) -> Result<()> {
    let mut c = w.children(moof, 0)?;
    while let Some(h) = w.next(r, &mut c)? {
        if &h.typ != b"traf" {
            continue;
        }
        let mut tc = w.children(&h, 0)?;
        // (track index, default duration) from tfhd
        let mut current: Option<(Option<usize>, u32)> = None;
        while let Some(x) = w.next(r, &mut tc)? {
            match &x.typ {
                b"tfhd" => {
                    let mut b = Content::open(r, &x, "mp4 (tfhd)")?;
                    let (_, flags) = b.full_box()?;
                    let id = b.u32()?;
                    if flags & 0x01 != 0 {
                        b.skip(8)?; // base_data_offset
                    }
                    if flags & 0x02 != 0 {
                        b.skip(4)?; // sample_description_index
                    }
                    let idx = m.by_id.get(&id).copied();
                    let default = if flags & 0x08 != 0 {
                        b.u32()?
                    } else {
                        idx.and_then(|i| m.tracks.get(i))
                            .map_or(0, |t| t.trex_duration)
                    };
                    current = Some((idx, default));
                }
                b"trun" => {
                    let Some((idx, default)) = current else {
                        return Err(Error::malformed("mp4 (traf)", "trun before tfhd"));
                    };
                    // A fragment of a track the movie does not declare is ignored.
                    if let Some(t) = idx.and_then(|i| m.tracks.get_mut(i)) {
                        read_trun(r, &x, w.limits, t, default)?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn read_trun<R: Read + Seek>(
    r: &mut R,
    h: &BoxHeader,
    limits: &ProbeLimits,
    t: &mut Track,
    default: u32,
) -> Result<()> {
    const FMT_TRUN: &str = "mp4 (trun)";
    let mut b = Content::open(r, h, FMT_TRUN)?;
    let (_, flags) = b.full_box()?;
    let n = b.u32()?;
    if flags & 0x01 != 0 {
        b.skip(4)?; // data_offset
    }
    if flags & 0x04 != 0 {
        b.skip(4)?; // first_sample_flags
    }
    let fields = (flags & 0xf00).count_ones();
    b.table(u64::from(n), 4 * u64::from(fields), limits)?;
    if flags & 0x100 == 0 {
        return t.add_run(u64::from(n), default, FMT_TRUN);
    }
    for _ in 0..n {
        let delta = b.u32()?;
        for _ in 1..fields {
            b.u32()?;
        }
        t.add_run(1, delta, FMT_TRUN)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::isobmff::build::*;
    use super::*;
    use crate::read::assert_item_limit;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn run(data: &[u8]) -> Result<MediaInfo> {
        probe(
            &mut Cursor::new(data),
            data.len() as u64,
            &ProbeLimits::default(),
        )
    }

    fn ftyp() -> Vec<u8> {
        bx(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41")
    }

    fn mvhd(v: u8, timescale: u32, duration: u64) -> Vec<u8> {
        let mut b = Vec::new();
        if v == 1 {
            b.extend_from_slice(&[0u8; 16]);
            b.extend_from_slice(&timescale.to_be_bytes());
            b.extend_from_slice(&duration.to_be_bytes());
        } else {
            b.extend_from_slice(&[0u8; 8]);
            b.extend_from_slice(&timescale.to_be_bytes());
            b.extend_from_slice(&(duration as u32).to_be_bytes());
        }
        b.extend_from_slice(&[0u8; 80]); // rate, volume, reserved, matrix, pre_defined, next_track_ID
        full(b"mvhd", v, 0, &b)
    }

    const IDENTITY: [i32; 4] = [0x10000, 0, 0, 0x10000];

    fn tkhd(v: u8, id: u32, duration: u64, m: [i32; 4], w: u32, h: u32) -> Vec<u8> {
        let mut b = Vec::new();
        if v == 1 {
            b.extend_from_slice(&[0u8; 16]);
            b.extend_from_slice(&id.to_be_bytes());
            b.extend_from_slice(&[0u8; 4]);
            b.extend_from_slice(&duration.to_be_bytes());
        } else {
            b.extend_from_slice(&[0u8; 8]);
            b.extend_from_slice(&id.to_be_bytes());
            b.extend_from_slice(&[0u8; 4]);
            b.extend_from_slice(&(duration as u32).to_be_bytes());
        }
        b.extend_from_slice(&[0u8; 16]);
        for x in [m[0], m[1], 0, m[2], m[3], 0, 0, 0, 0x4000_0000] {
            b.extend_from_slice(&x.to_be_bytes());
        }
        b.extend_from_slice(&(w << 16).to_be_bytes());
        b.extend_from_slice(&(h << 16).to_be_bytes());
        full(b"tkhd", v, 3, &b)
    }

    fn mdhd(v: u8, timescale: u32, duration: u64) -> Vec<u8> {
        let mut b = Vec::new();
        if v == 1 {
            b.extend_from_slice(&[0u8; 16]);
            b.extend_from_slice(&timescale.to_be_bytes());
            b.extend_from_slice(&duration.to_be_bytes());
        } else {
            b.extend_from_slice(&[0u8; 8]);
            b.extend_from_slice(&timescale.to_be_bytes());
            b.extend_from_slice(&(duration as u32).to_be_bytes());
        }
        b.extend_from_slice(&[0x55, 0xc4, 0, 0]);
        full(b"mdhd", v, 0, &b)
    }

    fn hdlr(kind: &[u8; 4]) -> Vec<u8> {
        let mut b = vec![0u8; 4];
        b.extend_from_slice(kind);
        b.extend_from_slice(&[0u8; 13]);
        full(b"hdlr", 0, 0, &b)
    }

    fn visual_entry(fourcc: &[u8; 4], w: u16, h: u16) -> Vec<u8> {
        let mut b = vec![0u8; 6];
        b.extend_from_slice(&1u16.to_be_bytes());
        b.extend_from_slice(&[0u8; 16]);
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[0, 0x48, 0, 0, 0, 0x48, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0u8; 32]);
        b.extend_from_slice(&[0, 0x18, 0xff, 0xff]);
        bx(fourcc, &b)
    }

    fn audio_entry(rate: u32, channels: u16) -> Vec<u8> {
        let mut b = vec![0u8; 6];
        b.extend_from_slice(&1u16.to_be_bytes());
        b.extend_from_slice(&[0u8; 8]);
        b.extend_from_slice(&channels.to_be_bytes());
        b.extend_from_slice(&16u16.to_be_bytes());
        b.extend_from_slice(&[0u8; 4]);
        b.extend_from_slice(&(rate << 16).to_be_bytes());
        bx(b"mp4a", &b)
    }

    fn stsd(entry: &[u8]) -> Vec<u8> {
        full(b"stsd", 0, 0, &cat(&[&1u32.to_be_bytes(), entry]))
    }

    fn stts(runs: &[(u32, u32)]) -> Vec<u8> {
        let mut b = (runs.len() as u32).to_be_bytes().to_vec();
        for (c, d) in runs {
            b.extend_from_slice(&c.to_be_bytes());
            b.extend_from_slice(&d.to_be_bytes());
        }
        full(b"stts", 0, 0, &b)
    }

    fn elst(v: u8, edits: &[(u64, i64)]) -> Vec<u8> {
        let mut b = (edits.len() as u32).to_be_bytes().to_vec();
        for &(d, t) in edits {
            if v == 1 {
                b.extend_from_slice(&d.to_be_bytes());
                b.extend_from_slice(&t.to_be_bytes());
            } else {
                b.extend_from_slice(&(d as u32).to_be_bytes());
                b.extend_from_slice(&(t as i32).to_be_bytes());
            }
            b.extend_from_slice(&[0, 1, 0, 0]);
        }
        bx(b"edts", &full(b"elst", v, 0, &b))
    }

    struct T {
        tkhd: Vec<u8>,
        edts: Vec<u8>,
        mdhd: Vec<u8>,
        hdlr: Vec<u8>,
        stsd: Vec<u8>,
        stts: Vec<u8>,
    }

    impl T {
        fn video(w: u16, h: u16, ts: u32, runs: &[(u32, u32)]) -> T {
            let ticks: u64 = runs.iter().map(|&(c, d)| u64::from(c) * u64::from(d)).sum();
            T {
                tkhd: tkhd(
                    0,
                    1,
                    ticks * 1000 / u64::from(ts),
                    IDENTITY,
                    w.into(),
                    h.into(),
                ),
                edts: Vec::new(),
                mdhd: mdhd(0, ts, ticks),
                hdlr: hdlr(b"vide"),
                stsd: stsd(&visual_entry(b"avc1", w, h)),
                stts: stts(runs),
            }
        }

        fn audio(rate: u32, channels: u16, frames: u32) -> T {
            let ticks = u64::from(frames) * 1024;
            T {
                tkhd: tkhd(0, 2, ticks * 1000 / u64::from(rate), IDENTITY, 0, 0),
                edts: Vec::new(),
                mdhd: mdhd(0, rate, ticks),
                hdlr: hdlr(b"soun"),
                stsd: stsd(&audio_entry(rate, channels)),
                stts: stts(&[(frames, 1024)]),
            }
        }

        fn build(&self) -> Vec<u8> {
            let stbl = bx(b"stbl", &cat(&[&self.stsd, &self.stts]));
            let minf = bx(b"minf", &stbl);
            let mdia = bx(b"mdia", &cat(&[&self.mdhd, &self.hdlr, &minf]));
            bx(b"trak", &cat(&[&self.tkhd, &self.edts, &mdia]))
        }
    }

    fn moov(mvhd: &[u8], traks: &[&T]) -> Vec<u8> {
        let mut b = mvhd.to_vec();
        for t in traks {
            b.extend_from_slice(&t.build());
        }
        bx(b"moov", &b)
    }

    fn file(moov: &[u8]) -> Vec<u8> {
        cat(&[&ftyp(), moov, &bx(b"mdat", &[0u8; 64])])
    }

    /// 1280x720, 150 samples of 512 ticks at 15360 Hz = 30 fps, 5 s.
    fn cfr() -> T {
        T::video(1280, 720, 15360, &[(150, 512)])
    }

    #[test]
    fn plain_mp4() {
        let f = file(&moov(&mvhd(0, 1000, 5000), &[&cfr()]));
        let i = run(&f).unwrap();
        assert_eq!((i.width, i.height), (Some(1280), Some(720)));
        assert_eq!(i.fps, Rational::new(30, 1));
        assert_eq!(i.frames, Some(150));
        assert_eq!(i.codec.as_deref(), Some("avc1"));
        assert_eq!(i.duration_s, Some(5.0));
        assert_eq!(i.rotation, Some(0));
        assert_eq!(i.has_video, Some(true));
        assert!(!i.vfr && !i.mirrored);
        assert_eq!((i.fps_min, i.fps_max), (None, None));
    }

    #[test]
    fn version_1_boxes() {
        let mut t = cfr();
        t.tkhd = tkhd(1, 1, 5000, IDENTITY, 1280, 720);
        t.mdhd = mdhd(1, 15360, 76800);
        t.edts = elst(1, &[(5000, 0)]);
        let i = run(&file(&moov(&mvhd(1, 1000, 5000), &[&t]))).unwrap();
        assert_eq!(i.duration_s, Some(5.0));
        assert_eq!(i.fps, Rational::new(30, 1));
    }

    #[test]
    fn moov_at_end_and_mdat_with_largesize() {
        let f = cat(&[
            &ftyp(),
            &large(b"mdat", &[0u8; 100]),
            &moov(&mvhd(0, 1000, 5000), &[&cfr()]),
        ]);
        assert_eq!(run(&f).unwrap().frames, Some(150));
    }

    #[test]
    fn quicktime_without_ftyp_and_size_zero_mdat() {
        let f = cat(&[
            &bx(b"wide", &[]),
            &moov(&mvhd(0, 1000, 5000), &[&cfr()]),
            &raw(0, b"mdat", &[1u8; 40]),
        ]);
        let i = run(&f).unwrap();
        assert_eq!(i.duration_s, Some(5.0));
        assert_eq!(i.width, Some(1280));
    }

    #[test]
    fn rotation_matrices() {
        type Case = ([i32; 4], u32, bool, (u32, u32));
        let one = 0x10000;
        let cases: [Case; 8] = [
            (IDENTITY, 0, false, (1280, 720)),
            ([0, one, -one, 0], 90, false, (720, 1280)),
            ([-one, 0, 0, -one], 180, false, (1280, 720)),
            ([0, -one, one, 0], 270, false, (720, 1280)),
            ([-one, 0, 0, one], 0, true, (1280, 720)),
            ([one, 0, 0, -one], 180, true, (1280, 720)),
            ([0, one, one, 0], 270, true, (720, 1280)),
            ([2 * one, 0, 0, 2 * one], 0, false, (1280, 720)),
        ];
        for (m, rot, mirrored, size) in cases {
            let mut t = cfr();
            t.tkhd = tkhd(0, 1, 5000, m, 1280, 720);
            let i = run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).unwrap();
            assert_eq!(i.rotation, Some(rot), "{m:?}");
            assert_eq!(i.mirrored, mirrored, "{m:?}");
            assert_eq!((i.width.unwrap(), i.height.unwrap()), size, "{m:?}");
        }
    }

    #[test]
    fn vfr_reports_min_and_max() {
        // timescale 3600: 48 × 150 (24 fps), 60 × 120 (30 fps), 100 × 72 (50 fps)
        let t = T::video(640, 640, 3600, &[(48, 150), (60, 120), (100, 72)]);
        let i = run(&file(&moov(&mvhd(0, 1000, 6000), &[&t]))).unwrap();
        assert!(i.vfr);
        assert_eq!(i.frames, Some(208));
        // 208 × 3600 / (7200 + 7200 + 7200)
        assert_eq!(i.fps, Rational::new(208, 6));
        assert_eq!(i.fps_min, Rational::new(24, 1));
        assert_eq!(i.fps_max, Rational::new(50, 1));
        assert_eq!(i.duration_s, Some(6.0));
    }

    #[test]
    fn zero_samples_or_ticks_leave_fps_unknown() {
        for runs in [&[][..], &[(0, 512)][..], &[(150, 0)][..]] {
            let t = T::video(640, 640, 15360, runs);
            let i = run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).unwrap();
            assert_eq!(i.fps, None, "{runs:?}");
            assert!(!i.vfr);
        }
    }

    #[test]
    fn edit_list_sets_duration_not_fps() {
        // media 7.5 s (225 samples), presented 3 s
        let mut t = T::video(640, 640, 15360, &[(225, 512)]);
        t.edts = elst(0, &[(3000, 512 * 45)]);
        let i = run(&file(&moov(&mvhd(0, 1000, 3000), &[&t]))).unwrap();
        assert_eq!(i.duration_s, Some(3.0));
        assert_eq!(i.fps, Rational::new(30, 1));
        // empty edits count
        let mut t = cfr();
        t.edts = elst(0, &[(1000, -1), (5000, 0)]);
        let i = run(&file(&moov(&mvhd(0, 1000, 6000), &[&t]))).unwrap();
        assert_eq!(i.duration_s, Some(6.0));
        // a final zero-length edit runs to the end of the media (5 s - 1 s)
        let mut t = cfr();
        t.edts = elst(0, &[(0, 15360)]);
        let i = run(&file(&moov(&mvhd(0, 1000, 0), &[&t]))).unwrap();
        assert_eq!(i.duration_s, Some(4.0));
    }

    #[test]
    fn duration_is_the_longest_track_with_audio_info() {
        let v = T::video(640, 640, 15360, &[(54, 512)]); // 1.8 s
        let a = T::audio(48000, 2, 118); // 2.517 s
        let i = run(&file(&moov(&mvhd(0, 1000, 1800), &[&v, &a]))).unwrap();
        assert!((i.duration_s.unwrap() - 118.0 * 1024.0 / 48000.0).abs() < 1e-3);
        assert_eq!((i.sample_rate, i.channels), (Some(48000), Some(2)));
        assert_eq!(i.codec.as_deref(), Some("avc1"));
    }

    #[test]
    fn audio_only() {
        let a = T::audio(44100, 1, 100);
        let i = run(&file(&moov(&mvhd(0, 1000, 2322), &[&a]))).unwrap();
        assert_eq!(i.has_video, Some(false));
        assert_eq!(
            (i.width, i.height, i.fps, i.frames),
            (None, None, None, None)
        );
        assert_eq!(i.codec.as_deref(), Some("mp4a"));
        // No esds: the object type is unknown.
        assert_eq!(i.audio_codec.as_deref(), Some("mp4a"));
        assert_eq!(i.sample_rate, Some(44100));
    }

    #[test]
    fn audio_codecs_are_named_by_fourcc_and_object_type() {
        let name = |f: &[u8; 4], t| audio_codec_name(*f, t);
        assert_eq!(name(b"mp4a", Some(0x40)), "aac");
        assert_eq!(name(b"mp4a", Some(0x67)), "aac");
        assert_eq!(name(b"mp4a", Some(0x69)), "mp3");
        assert_eq!(name(b"mp4a", Some(0x6B)), "mp3");
        assert_eq!(name(b"mp4a", Some(0xA5)), "ac3");
        assert_eq!(name(b"mp4a", Some(0x21)), "mp4a.21");
        assert_eq!(name(b".mp3", None), "mp3");
        assert_eq!(name(b"Opus", None), "opus");
        assert_eq!(name(b"alac", None), "alac");
        assert_eq!(name(b"ec-3", None), "eac3");
        assert_eq!(name(b"sowt", None), "pcm");
        assert_eq!(name(b"twos", None), "pcm");
        assert_eq!(name(b"zzzz", None), "zzzz");
    }

    #[test]
    fn first_enabled_video_track_wins() {
        let mut off = T::video(320, 320, 15360, &[(10, 512)]);
        let mut b = tkhd(0, 1, 333, IDENTITY, 320, 320);
        b[11] = 0; // flags: not enabled
        off.tkhd = b;
        let on = T::video(1280, 720, 15360, &[(150, 512)]);
        let i = run(&file(&moov(&mvhd(0, 1000, 5000), &[&off, &on]))).unwrap();
        assert_eq!(i.width, Some(1280));
    }

    #[test]
    fn durations_fall_back_to_tkhd_mdhd_then_mvhd() {
        let mut t = cfr();
        t.stts = stts(&[]);
        let i = run(&file(&moov(&mvhd(0, 1000, 9000), &[&t]))).unwrap();
        assert_eq!(i.duration_s, Some(5.0)); // tkhd and mdhd
        t.tkhd = tkhd(0, 1, 0, IDENTITY, 1280, 720);
        t.mdhd = mdhd(0, 15360, 0);
        let i = run(&file(&moov(&mvhd(0, 1000, 9000), &[&t]))).unwrap();
        assert_eq!(i.duration_s, Some(9.0)); // mvhd
        t.tkhd = tkhd(0, 1, u64::from(u32::MAX), IDENTITY, 1280, 720);
        let i = run(&file(&moov(&mvhd(0, 1000, u64::from(u32::MAX)), &[&t]))).unwrap();
        assert_eq!(i.duration_s, None); // all ones = unknown
    }

    fn fragmented(trun_flags: u32, samples: &[u32], tfhd_default: Option<u32>) -> Vec<u8> {
        let mut t = cfr();
        t.stts = stts(&[]);
        t.tkhd = tkhd(0, 1, 0, IDENTITY, 1280, 720);
        t.mdhd = mdhd(0, 15360, 0);
        let mvex = bx(
            b"mvex",
            &cat(&[
                &full(b"mehd", 0, 0, &5000u32.to_be_bytes()),
                &full(b"trex", 0, 0, &u32s(&[1, 1, 512, 0, 0])),
            ]),
        );
        let mv = bx(b"moov", &cat(&[&mvhd(0, 1000, 0), &t.build(), &mvex]));
        let mut tfhd_body = 1u32.to_be_bytes().to_vec();
        let mut tfhd_flags = 0x20000;
        if let Some(d) = tfhd_default {
            tfhd_flags |= 0x08;
            tfhd_body.extend_from_slice(&d.to_be_bytes());
        }
        let tfhd = full(b"tfhd", 0, tfhd_flags, &tfhd_body);
        let mut out = cat(&[&ftyp(), &mv]);
        // two fragments, each with its own mdat
        for _ in 0..2 {
            let mut trun_body = (samples.len() as u32).to_be_bytes().to_vec();
            trun_body.extend_from_slice(&0u32.to_be_bytes()); // data_offset
            for &d in samples {
                if trun_flags & 0x100 != 0 {
                    trun_body.extend_from_slice(&d.to_be_bytes());
                }
                if trun_flags & 0x200 != 0 {
                    trun_body.extend_from_slice(&100u32.to_be_bytes());
                }
            }
            let trun = full(b"trun", 0, trun_flags | 1, &trun_body);
            let traf = bx(b"traf", &cat(&[&tfhd, &trun]));
            let moof = bx(b"moof", &cat(&[&full(b"mfhd", 0, 0, &[0, 0, 0, 1]), &traf]));
            out.extend_from_slice(&moof);
            out.extend_from_slice(&bx(b"mdat", &[0u8; 32]));
        }
        out
    }

    #[test]
    fn fragmented_with_trex_defaults() {
        let i = run(&fragmented(0x200, &[0; 75], None)).unwrap();
        assert_eq!(i.frames, Some(150));
        assert_eq!(i.fps, Rational::new(30, 1));
        assert_eq!(i.duration_s, Some(5.0));
    }

    #[test]
    fn fragmented_with_tfhd_defaults_and_per_sample_durations() {
        let i = run(&fragmented(0x200, &[0; 75], Some(1024))).unwrap();
        assert_eq!(i.fps, Rational::new(15, 1));
        assert_eq!(i.duration_s, Some(10.0));
        let mut durs = vec![512u32; 74];
        durs.push(256);
        let i = run(&fragmented(0x300, &durs, None)).unwrap();
        assert!(i.vfr);
        assert_eq!(i.frames, Some(150));
        assert_eq!(i.fps_max, Rational::new(60, 1));
        assert_eq!(i.fps_min, Rational::new(30, 1));
    }

    #[test]
    fn trun_count_beyond_box_is_malformed() {
        let mut f = fragmented(0x300, &[512; 4], None);
        // the first trun's sample_count (4) -> 5
        let p = f.windows(4).position(|w| w == b"trun").unwrap() + 8;
        assert_eq!(f[p..p + 4], 4u32.to_be_bytes());
        f[p + 3] = 5;
        assert!(matches!(
            run(&f),
            Err(Error::Malformed {
                format: "mp4 (trun)",
                reason: "entry count exceeds box size"
            })
        ));
    }

    #[test]
    fn moof_before_moov_is_malformed() {
        let f = cat(&[
            &ftyp(),
            &bx(b"moof", &[]),
            &moov(&mvhd(0, 1000, 5000), &[&cfr()]),
        ]);
        assert!(matches!(
            run(&f),
            Err(Error::Malformed {
                format: "mp4 (moof)",
                ..
            })
        ));
    }

    #[test]
    fn timescale_zero_is_malformed() {
        let e = run(&file(&moov(&mvhd(0, 0, 5000), &[&cfr()]))).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Malformed {
                    format: "mp4 (mvhd)",
                    reason: "timescale is 0"
                }
            ),
            "{e}"
        );
        let mut t = cfr();
        t.mdhd = mdhd(0, 0, 100);
        let e = run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Malformed {
                    format: "mp4 (mdhd)",
                    reason: "timescale is 0"
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn stts_count_beyond_box_is_malformed() {
        let mut t = cfr();
        t.stts = full(b"stts", 0, 0, &u32s(&[0x2000_0000, 150, 512]));
        let e = run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Malformed {
                    format: "mp4 (stts)",
                    reason: "entry count exceeds box size"
                }
            ),
            "{e}"
        );
        t.stts = full(b"stts", 0, 0, &u32s(&[u32::MAX]));
        assert!(matches!(
            run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn other_sample_tables_are_checked_against_their_box() {
        for (typ, body) in [
            (b"stsz", u32s(&[0, 3, 100, 100])),
            (b"stco", u32s(&[2, 8])),
            (b"co64", u32s(&[2, 0, 8, 0])),
            (b"stsc", u32s(&[1, 1, 1])),
            (b"ctts", u32s(&[1, 1])),
            (b"stss", u32s(&[0x8000_0000, 1])),
            (b"stz2", u32s(&[8, 5, 0])),
            (b"stz2", u32s(&[4, 9, 0])),
        ] {
            let mut t = cfr();
            t.stts = cat(&[&stts(&[(150, 512)]), &full(typ, 0, 0, &body)]);
            let e = run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Malformed {
                        reason: "entry count exceeds box size",
                        ..
                    }
                ),
                "{}: {e}",
                String::from_utf8_lossy(typ)
            );
        }
        // the same tables, whole
        let mut t = cfr();
        t.stts = cat(&[
            &stts(&[(150, 512)]),
            &full(b"stsz", 0, 0, &u32s(&[0, 2, 100, 100])),
            &full(b"stsz", 0, 0, &u32s(&[100, 0x7fff_ffff])), // one size for all: no table
            &full(b"stz2", 0, 0, &u32s(&[4, 3, 0])),
            &full(b"stco", 0, 0, &u32s(&[1, 8])),
            &full(b"stss", 0, 0, &u32s(&[1, 1])),
        ]);
        assert!(run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).is_ok());
        t.stts = cat(&[&stts(&[(150, 512)]), &full(b"stz2", 0, 0, &u32s(&[3, 0]))]);
        assert!(matches!(
            run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))),
            Err(Error::Malformed {
                format: "mp4 (stz2)",
                reason: "field size is not 4, 8 or 16"
            })
        ));
    }

    #[test]
    fn stts_entries_over_limit() {
        let runs: Vec<(u32, u32)> = (0..10).map(|_| (1, 512)).collect();
        let mut t = cfr();
        t.stts = stts(&runs);
        let f = file(&moov(&mvhd(0, 1000, 5000), &[&t]));
        let l = ProbeLimits {
            max_table_entries: 9,
            ..ProbeLimits::default()
        };
        let e = probe(&mut Cursor::new(&f[..]), f.len() as u64, &l).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Limit {
                    kind: LimitKind::TableEntries,
                    actual: 10,
                    max: 9
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn stts_tick_overflow_is_malformed() {
        let mut t = cfr();
        t.stts = stts(&[(u32::MAX, u32::MAX); 6]);
        let e = run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Malformed {
                    format: "mp4 (stts)",
                    reason: "sample durations overflow"
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn no_moov_or_no_mvhd() {
        let f = cat(&[&ftyp(), &bx(b"mdat", &[0u8; 10])]);
        assert!(matches!(
            run(&f),
            Err(Error::Malformed {
                format: "mp4",
                reason: "no moov box"
            })
        ));
        let f = file(&bx(b"moov", &cfr().build()));
        assert!(matches!(
            run(&f),
            Err(Error::Malformed {
                format: "mp4 (moov)",
                reason: "no mvhd box"
            })
        ));
    }

    #[test]
    fn child_box_of_size_zero_ends_its_parent() {
        // A size-0 child inside moov: extends to moov's end (the mp4 crate loops on this).
        let inner = cat(&[
            &mvhd(0, 1000, 5000),
            &cfr().build(),
            &raw(0, b"free", &[0u8; 8]),
        ]);
        let f = file(&bx(b"moov", &inner));
        assert_eq!(run(&f).unwrap().frames, Some(150));
    }

    #[test]
    fn box_past_parent_is_malformed() {
        let mut t = cfr();
        t.stts = raw(200, b"stts", &[0u8; 12]);
        let e = run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Malformed {
                    format: "mp4",
                    reason: "box extends past its parent"
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn truncated_at_every_point_never_passes_silently() {
        let f = file(&moov(&mvhd(0, 1000, 5000), &[&cfr()]));
        let moov_end = f.len() - 72; // before the mdat
        for n in 0..f.len() {
            let res = run(&f[..n]);
            if n < moov_end {
                assert!(res.is_err(), "cut at {n} accepted");
            } else if n < moov_end + 8 {
                // mdat header missing or partial: padding
                assert!(res.is_ok(), "cut at {n}: {res:?}");
            } else {
                assert!(
                    matches!(res, Err(Error::Truncated { format: "mp4", .. })),
                    "cut at {n}: {res:?}"
                );
            }
        }
    }

    #[test]
    fn sample_entry_too_short_is_malformed() {
        let mut t = cfr();
        t.stsd = stsd(&bx(b"avc1", &[0u8; 20]));
        let e = run(&file(&moov(&mvhd(0, 1000, 5000), &[&t]))).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Malformed {
                    format: "mp4 (stsd)",
                    reason: "box too short for its fields"
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn quicktime_v2_sound_description() {
        let mut b = vec![0u8; 6];
        b.extend_from_slice(&1u16.to_be_bytes());
        b.extend_from_slice(&2u16.to_be_bytes()); // version 2
        b.extend_from_slice(&[0u8; 6]);
        b.extend_from_slice(&[0, 3, 0, 16, 0xff, 0xfe, 0, 0, 0, 1, 0, 0, 0, 0, 0, 72]);
        b.extend_from_slice(&96000f64.to_bits().to_be_bytes());
        b.extend_from_slice(&6u32.to_be_bytes());
        b.extend_from_slice(&[0u8; 20]);
        let mut a = T::audio(48000, 2, 100);
        a.stsd = stsd(&bx(b"lpcm", &b));
        let i = run(&file(&moov(&mvhd(0, 1000, 2000), &[&cfr(), &a]))).unwrap();
        assert_eq!((i.sample_rate, i.channels), (Some(96000), Some(6)));
    }

    fn esds(asc: &[u8]) -> Vec<u8> {
        let mut dsi = vec![0x05, asc.len() as u8];
        dsi.extend_from_slice(asc);
        let mut dcd = vec![0x04, 0x80, 0x80, 0x80, (13 + dsi.len()) as u8, 0x40, 0x15];
        dcd.extend_from_slice(&[0u8; 11]);
        dcd.extend_from_slice(&dsi);
        let mut es = vec![0x03, (3 + dcd.len()) as u8, 0, 1, 0];
        es.extend_from_slice(&dcd);
        full(b"esds", 0, 0, &es)
    }

    #[test]
    fn aac_channels_come_from_esds() {
        // ffmpeg's MP4 muxer writes channelcount 2 for mono AAC; the ASC says 1.
        let mut entry = audio_entry(48000, 2);
        let asc = [0x11, 0x88]; // AAC LC, 48 kHz (index 3), 1 channel
        entry.extend_from_slice(&esds(&asc));
        let len = entry.len() as u32;
        entry[..4].copy_from_slice(&len.to_be_bytes());
        let mut a = T::audio(48000, 2, 100);
        a.stsd = stsd(&entry);
        let i = run(&file(&moov(&mvhd(0, 1000, 2200), &[&a]))).unwrap();
        assert_eq!((i.sample_rate, i.channels), (Some(48000), Some(1)));
    }

    #[test]
    fn audio_specific_config_fields() {
        assert_eq!(
            audio_specific_config([0x12, 0x10, 0, 0, 0, 0]),
            (Some(44100), Some(2))
        );
        assert_eq!(
            audio_specific_config([0x11, 0xb8, 0, 0, 0, 0]),
            (Some(48000), Some(8))
        );
        // explicit frequency (index 15): 0x00BB80 = 48000, channel config 1
        let asc = [0x17, 0x80, 0x5d, 0xc0, 0x08, 0];
        assert_eq!(audio_specific_config(asc), (Some(48000), Some(1)));
        // escape object type 31 + 6 bits, index 4 (44100), channel config 0 (PCE)
        assert_eq!(
            audio_specific_config([0xf8, 0x08, 0, 0, 0, 0]),
            (Some(44100), None)
        );
        // reserved frequency index 13
        assert_eq!(
            audio_specific_config([0x16, 0x88, 0, 0, 0, 0]),
            (None, Some(1))
        );
    }

    #[test]
    fn too_many_items_is_a_limit() {
        let f = file(&moov(&mvhd(0, 1000, 5000), &[&cfr()]));
        let l = ProbeLimits::default().max_items(5);
        assert_item_limit(probe(&mut Cursor::new(&f[..]), f.len() as u64, &l), 5);
    }

    #[test]
    fn moov_40mb_after_mdat_reads_under_1mb() {
        use std::io::{Seek, SeekFrom, Write};
        let mut tmp = tempfile::tempfile().unwrap();
        let mdat_len: u64 = 40_000_000;
        tmp.write_all(&ftyp()).unwrap();
        tmp.write_all(&(mdat_len as u32).to_be_bytes()).unwrap();
        tmp.write_all(b"mdat").unwrap();
        let end = ftyp().len() as u64 + mdat_len;
        tmp.set_len(end).unwrap(); // sparse
        tmp.seek(SeekFrom::Start(end)).unwrap();
        tmp.write_all(&moov(&mvhd(0, 1000, 5000), &[&cfr()]))
            .unwrap();
        tmp.seek(SeekFrom::Start(0)).unwrap();
        let p = crate::probe::probe_counted(tmp, None, &ProbeLimits::default());
        let i = p.result.unwrap();
        assert_eq!(i.format, crate::Format::Mp4);
        assert_eq!(i.frames, Some(150));
        assert!(p.bytes_read < 1_000_000, "read {} bytes", p.bytes_read);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = run(&data);
        }

        #[test]
        fn mutated_files_never_panic(
            muts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut a = T::audio(48000, 2, 100);
            a.edts = elst(0, &[(1000, -1), (2000, 1024)]);
            let mut f = cat(&[
                &file(&moov(&mvhd(0, 1000, 5000), &[&cfr(), &a])),
                &fragmented(0x300, &[512, 256, 512], Some(7)),
            ]);
            for (i, b) in muts {
                let at = i.index(f.len());
                f[at] = b;
            }
            let n = cut.index(f.len() + 1);
            let _ = run(&f[..n]);
        }
    }
}
