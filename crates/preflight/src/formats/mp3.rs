//! MPEG-1/2/2.5 Layer III (MP3) reader: exact duration by walking the frame headers.
//!
//! Frame header layout: ISO/IEC 11172-3 § 2.4.1.3 and ISO/IEC 13818-3 § 2.4.1.3
//! (MPEG-2.5 is Fraunhofer's unofficial extension: version bits `00`).
//! Tags around the audio: ID3v2.4 (id3.org "ID3 tag version 2.4.0 - Main
//! Structure" § 3.1 header, § 3.4 footer), ID3v1 (128 bytes, `TAG`), APEv2
//! (wiki.hydrogenaud.io "APEv2 specification": 32-byte `APETAGEX` footer) and
//! Lyrics3 v2 (id3.org "Lyrics3 v2.00": `LYRICS200`). The Xing/Info VBR header
//! (Xing Technology, 1998; LAME's `Info` variant) sits after the side
//! information of the first frame, VBRI (Fraunhofer) 32 bytes after its header.
//!
//! The duration is exact: every frame header is visited (seeking from header to
//! header, nothing is decoded) and its samples are summed. A Xing/Info or VBRI
//! frame is metadata, not audio, and is not counted; its declared frame count
//! is reported in [`Scan`] but never trusted for the duration, so files
//! without such a header (where ffprobe and friends estimate from the bitrate,
//! wrong by seconds for VBR) come out just as exact. As ffprobe does, the
//! encoder delay and padding of a LAME tag are *not* subtracted: the duration is
//! that of the whole frames (ffprobe reports 2.040 s for 85 frames at 48 kHz).
//!
//! Decisions where the specs are silent:
//! - A header that does not decode where a frame should start, or one that
//!   changes MPEG version or sample rate, is damage: the walker scans forward
//!   (at most [`RESYNC_WINDOW`] bytes) for a header that chains to a second
//!   one, counts the skipped bytes, and goes on; with nothing found the walk
//!   ends there.
//! - A last frame cut short by the end of the data is not counted (no decoder
//!   can play it whole).
//! - A file whose only frame is a Xing/Info header has 0 frames and duration 0.
//! - Free-format streams (bitrate index 0) are [`Error::Unsupported`].
//! - When [`ProbeLimits::max_bytes_read`] or [`ProbeLimits::max_items`] runs
//!   out before the end of the audio, the probe fails with [`Error::Limit`]
//!   (`file.limit`): a partial frame count is never a duration.

use crate::error::{Error, LimitKind, Result};
use crate::info::{Format, MediaInfo};
use crate::mpeg_audio::{frame_header, id3v2_len, is_free_format, vbr_tag, FrameHeader, VbrKind};
use crate::read::{read_up_to, seek_to, ProbeLimits};
use std::io::{BufRead, Read, Seek};

/// Bytes scanned forward for a valid frame after damage (or before the first frame).
pub const RESYNC_WINDOW: u64 = 64 * 1024;

/// Longest Layer III frame: 144 × 320 kbit/s ÷ 32 kHz + 1 (MPEG-1), also
/// 72 × 160 kbit/s ÷ 8 kHz + 1 (MPEG-2.5).
const MAX_FRAME_LEN: usize = 1441;

/// Bytes whose candidate headers one resync read checks.
const SCAN_STEP: usize = 4096;

/// What the frame walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// 1 (MPEG-1), 2 (MPEG-2) or 25 (MPEG-2.5), from the first frame.
    pub version: u8,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels of the first frame.
    pub channels: u16,
    /// Audio frames counted (the Xing/VBRI frame excluded).
    pub frames: u64,
    /// Samples per channel in those frames.
    pub samples: u64,
    /// The VBR header of the first frame, if any.
    pub vbr_header: Option<VbrKind>,
    /// Frame count declared by the Xing/VBRI header (informational only).
    pub vbr_header_frames: Option<u32>,
    /// Encoder delay and padding of a LAME tag, in samples.
    pub delay_padding: Option<(u16, u16)>,
    /// Samples per frame of the stream (1152 or 576).
    pub samples_per_frame: u32,
    /// Offset of the first frame (after any ID3v2 tags and leading junk).
    pub audio_start: u64,
    /// End of the audio data (before trailing ID3v1/APE/Lyrics3 tags).
    pub audio_end: u64,
    /// Bytes between `audio_start` and `audio_end` that were not part of a counted frame.
    pub skipped_bytes: u64,
    /// Times the walker lost and regained frame sync.
    pub resyncs: u64,
}

impl Scan {
    /// Exact duration in seconds of the counted frames.
    pub fn duration_s(&self) -> f64 {
        self.samples as f64 / f64::from(self.sample_rate)
    }

    /// What a gapless decoder plays: the counted samples less the LAME
    /// tag's encoder delay and padding (SPEC §1), when the tag gives them.
    pub fn gapless_duration_s(&self) -> Option<f64> {
        let (delay, padding) = self.delay_padding?;
        let trimmed = u64::from(delay) + u64::from(padding);
        (trimmed < self.samples)
            .then(|| (self.samples - trimmed) as f64 / f64::from(self.sample_rate))
    }
}

/// Reads the frames of an MP3 file into a [`MediaInfo`].
pub fn probe<R: BufRead + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let s = scan(r, size, limits)?;
    let mut info = MediaInfo::new(Format::Mp3, size);
    info.codec = Some("mp3".to_string());
    info.sample_rate = Some(s.sample_rate);
    info.channels = Some(s.channels);
    info.frames = Some(s.frames);
    info.duration_s = Some(s.duration_s());
    info.duration_gapless_s = s.gapless_duration_s();
    Ok(info)
}

/// Walks every frame header of an MP3 file of `size` bytes. Every byte of
/// the audio passes through `r`'s buffer; headers that lie in it are read
/// from it in place.
pub fn scan<R: BufRead + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<Scan> {
    let start = skip_id3v2(r, size, limits)?;
    let end = audio_end(r, start, size)?;
    seek_to(r, start)?;
    let mut w = Walker {
        br: r,
        pos: start,
        end,
        items: 0,
        max_items: limits.max_items,
        saw_free_format: false,
    };

    // The first frame: a header that chains to a second one. Errors here
    // (including a spent read budget) are errors: nothing is known yet.
    let mut head = [0u8; 4];
    let n = w.read_at(start, &mut head)?;
    if n == 4 && is_free_format(head) {
        return Err(Error::unsupported("mp3", "free-format bitrate"));
    }
    let Some(first_pos) = w.resync(start, None)? else {
        if w.saw_free_format {
            return Err(Error::unsupported("mp3", "free-format bitrate"));
        }
        return Err(Error::malformed("mp3", "no MPEG audio frame found"));
    };
    let mut first = [0u8; MAX_FRAME_LEN];
    let n = w.read_at(first_pos, &mut first)?;
    let fh = first
        .get(..4)
        .and_then(|h| frame_header([h[0], h[1], h[2], h[3]]))
        .ok_or(Error::malformed("mp3", "no MPEG audio frame found"))?;
    let frame = first.get(..n.min(fh.frame_len as usize)).unwrap_or(&[]);
    let tag = vbr_tag(frame, &fh);
    let (vbr_header, vbr_header_frames) = (tag.map(|t| t.kind), tag.and_then(|t| t.frames));
    let mut s = Scan {
        version: fh.version,
        sample_rate: fh.sample_rate,
        channels: fh.channels,
        frames: 0,
        samples: 0,
        vbr_header,
        vbr_header_frames,
        delay_padding: tag.and_then(|t| t.delay_padding),
        samples_per_frame: fh.samples,
        audio_start: first_pos,
        audio_end: end,
        skipped_bytes: first_pos - start,
        resyncs: 0,
    };
    let pos = if vbr_header.is_some() {
        first_pos + u64::from(fh.frame_len)
    } else {
        first_pos
    };
    // A cap (`max_bytes_read`, `max_items`) reached mid-walk is an error
    // (`file.limit`): the frame count would only be a lower bound.
    w.walk(pos, &mut s)?;
    Ok(s)
}

/// Skips every ID3v2 tag at the start; returns where the audio starts.
fn skip_id3v2<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<u64> {
    let mut pos = 0u64;
    for _ in 0..limits.max_items {
        seek_to(r, pos)?;
        let mut h = [0u8; 10];
        let n = read_up_to(r, &mut h)?;
        let Some(len) = id3v2_len(&h[..n]) else {
            return Ok(pos);
        };
        pos = pos.saturating_add(len);
        if pos > size {
            return Err(Error::truncated(
                "mp3 (id3v2)",
                "tag runs past the end of the file",
            ));
        }
    }
    Err(Error::Limit {
        kind: LimitKind::Items,
        actual: limits.max_items.saturating_add(1),
        max: limits.max_items,
    })
}

/// Reads `N` bytes at `at`.
fn read_at<const N: usize, R: Read + Seek>(r: &mut R, at: u64) -> Result<[u8; N]> {
    seek_to(r, at)?;
    let mut b = [0u8; N];
    let n = read_up_to(r, &mut b)?;
    if n < N {
        return Err(Error::truncated("mp3", "file shorter than its size"));
    }
    Ok(b)
}

/// Where the audio ends: before trailing ID3v1 (and Enhanced TAG), APEv2,
/// Lyrics3 v2 and appended ID3v2 tags, in any order.
fn audio_end<R: Read + Seek>(r: &mut R, start: u64, size: u64) -> Result<u64> {
    let mut end = size;
    // Each pass strips at least one tag; there are only a few kinds.
    for _ in 0..8 {
        let before = end;
        let room = end.saturating_sub(start);
        if room >= 128 && &read_at::<3, _>(r, end - 128)? == b"TAG" {
            end -= 128;
            if end.saturating_sub(start) >= 227 && &read_at::<4, _>(r, end - 227)? == b"TAG+" {
                end -= 227;
            }
        }
        let room = end.saturating_sub(start);
        if room >= 32 {
            let f = read_at::<32, _>(r, end - 32)?;
            if &f[..8] == b"APETAGEX" {
                let tag = u64::from(u32::from_le_bytes([f[12], f[13], f[14], f[15]]));
                let flags = u32::from_le_bytes([f[20], f[21], f[22], f[23]]);
                let total = tag + if flags & (1 << 31) != 0 { 32 } else { 0 };
                if tag >= 32 && total <= room {
                    end -= total;
                }
            }
        }
        let room = end.saturating_sub(start);
        if room >= 15 + 11 {
            let f = read_at::<15, _>(r, end - 15)?;
            if &f[6..] == b"LYRICS200" && f[..6].iter().all(u8::is_ascii_digit) {
                let body = f[..6]
                    .iter()
                    .fold(0u64, |a, d| a * 10 + u64::from(d - b'0'));
                let total = body + 15;
                if body >= 11
                    && total <= room
                    && &read_at::<11, _>(r, end - total)? == b"LYRICSBEGIN"
                {
                    end -= total;
                }
            }
        }
        let room = end.saturating_sub(start);
        if room >= 20 {
            let mut f = read_at::<10, _>(r, end - 10)?;
            if &f[..3] == b"3DI" {
                // An appended tag: its footer mirrors the header.
                f[..3].copy_from_slice(b"ID3");
                // An appended tag must have its footer flag set, so the
                // length covers header, body and footer.
                if let Some(len) = id3v2_len(&f).filter(|&l| f[5] & 0x10 != 0 && l <= room) {
                    end -= len;
                }
            }
        }
        if end == before {
            break;
        }
    }
    Ok(end)
}

/// Where [`Walker::walk_buffered`] stopped.
enum Buffered {
    /// At this offset, with a header the buffer cannot settle.
    At(u64),
    /// At the end of the audio, a last frame cut short.
    Ended,
}

/// The frame walker: a large buffer over the reader, moved with relative seeks
/// that keep the buffer.
struct Walker<'r, R> {
    br: &'r mut R,
    /// Logical position of `br`.
    pos: u64,
    /// End of the audio data.
    end: u64,
    items: u64,
    max_items: u64,
    /// Whether a free-format header was seen while looking for the first frame.
    saw_free_format: bool,
}

impl<R: BufRead + Seek> Walker<'_, R> {
    fn goto(&mut self, to: u64) -> Result<()> {
        if to != self.pos {
            let delta = i64::try_from(i128::from(to) - i128::from(self.pos))
                .map_err(|_| Error::malformed("mp3", "seek beyond 2^63 bytes"))?;
            self.br
                .seek_relative(delta)
                .map_err(crate::read::io_error)?;
            self.pos = to;
        }
        Ok(())
    }

    /// Reads up to `buf.len()` bytes at `at`; fewer only at end of file.
    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> Result<usize> {
        self.goto(at)?;
        let n = read_up_to(self.br, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn count_item(&mut self) -> Result<()> {
        crate::read::count_item(&mut self.items, self.max_items)
    }

    /// Counts frames from `pos` to the end of the audio.
    fn walk(&mut self, mut pos: u64, s: &mut Scan) -> Result<()> {
        let lock = (s.version, s.sample_rate);
        loop {
            if pos.saturating_add(4) > self.end {
                s.skipped_bytes += self.end.saturating_sub(pos);
                return Ok(());
            }
            // The common case, frame after good frame, straight from the
            // buffer; anything else (a bad header, a header split by the
            // buffer's end, the last frame) is left to the steps below.
            match self.walk_buffered(pos, lock, s)? {
                Buffered::Ended => return Ok(()),
                Buffered::At(p) if p != pos => {
                    pos = p;
                    continue;
                }
                Buffered::At(_) => {}
            }
            self.count_item()?;
            let mut h = [0u8; 4];
            if self.read_at(pos, &mut h)? < 4 {
                // The file is shorter than its size said.
                return Ok(());
            }
            match frame_header(h).filter(|f| (f.version, f.sample_rate) == lock) {
                Some(f) => {
                    let next = pos + u64::from(f.frame_len);
                    if next > self.end {
                        // A last frame cut short: not counted.
                        s.skipped_bytes += self.end - pos;
                        return Ok(());
                    }
                    s.frames += 1;
                    s.samples += u64::from(f.samples);
                    pos = next;
                }
                None => match self.resync(pos + 1, Some(lock))? {
                    Some(p) => {
                        s.resyncs += 1;
                        s.skipped_bytes += p - pos;
                        pos = p;
                    }
                    None => {
                        s.skipped_bytes += self.end - pos;
                        return Ok(());
                    }
                },
            }
        }
    }

    /// Counts the frames from `pos` whose headers are already in the
    /// buffer, exactly as [`Walker::walk`]'s step would, without a read or
    /// a seek per frame. Stops before a header that does not decode (or
    /// changes version or sample rate) or does not lie whole in the buffer;
    /// returns where it stopped, or that the audio ended with a frame cut
    /// short.
    fn walk_buffered(&mut self, pos: u64, lock: (u8, u32), s: &mut Scan) -> Result<Buffered> {
        self.goto(pos)?;
        let buf = self.br.fill_buf().map_err(crate::read::io_error)?;
        // Offsets in `buf` are below its length, so they fit in a u64.
        let mut off = 0usize;
        // Frame after frame repeats its header but for the padding bit (and
        // a VBR file a few bitrates): what a header says depends only on its
        // bits that `KEY` keeps, so the last two are kept decoded.
        const KEY: u32 = 0xFFFF_FFC0;
        let mut seen: [(u32, Option<FrameHeader>); 2] = [(0, None); 2];
        let outcome = loop {
            let at = pos + off as u64;
            let Some(h) = buf.get(off..off + 4) else {
                break Buffered::At(at);
            };
            if at + 4 > self.end {
                break Buffered::At(at);
            }
            let key = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) & KEY;
            let header = match seen.iter().find(|(k, f)| *k == key && f.is_some()) {
                Some((_, f)) => *f,
                None => {
                    let f = frame_header([h[0], h[1], h[2], h[3]]);
                    seen = [(key, f), seen[0]];
                    f
                }
            };
            let Some(f) = header.filter(|f| (f.version, f.sample_rate) == lock) else {
                break Buffered::At(at);
            };
            // `buf` borrows the reader, so the count is kept field by field.
            crate::read::count_item(&mut self.items, self.max_items)?;
            let next = at + u64::from(f.frame_len);
            if next > self.end {
                // A last frame cut short: not counted.
                s.skipped_bytes += self.end - at;
                break Buffered::Ended;
            }
            s.frames += 1;
            s.samples += u64::from(f.samples);
            off += f.frame_len as usize;
        };
        let used = off.min(buf.len());
        self.br.consume(used);
        self.pos += used as u64;
        Ok(outcome)
    }

    /// Finds, within [`RESYNC_WINDOW`] bytes from `from`, a header (of the
    /// locked version and sample rate, if any) whose frame lies inside the
    /// audio and is followed by another matching header, or by the end of the
    /// audio. Returns its offset.
    fn resync(&mut self, from: u64, lock: Option<(u8, u32)>) -> Result<Option<u64>> {
        let stop = from.saturating_add(RESYNC_WINDOW).min(self.end);
        let mut buf = [0u8; SCAN_STEP + 2 * MAX_FRAME_LEN + 8];
        let mut at = from;
        while at < stop {
            self.count_item()?;
            let want = (self.end - at).min(buf.len() as u64) as usize;
            let n = self.read_at(at, &mut buf[..want])?;
            let b = &buf[..n];
            let scan_to = ((stop - at) as usize).min(SCAN_STEP).min(n);
            for i in 0..scan_to {
                if b[i] != 0xFF {
                    continue;
                }
                let Some(h) = b.get(i..i + 4) else { break };
                let h = [h[0], h[1], h[2], h[3]];
                let Some(f) = frame_header(h) else {
                    self.saw_free_format |= lock.is_none() && is_free_format(h);
                    continue;
                };
                let key = (f.version, f.sample_rate);
                if lock.is_some_and(|l| l != key) {
                    continue;
                }
                let next = i + f.frame_len as usize;
                let abs_next = at + next as u64;
                if abs_next > self.end {
                    continue;
                }
                if abs_next.saturating_add(4) > self.end {
                    return Ok(Some(at + i as u64));
                }
                let chained = b
                    .get(next..next + 4)
                    .and_then(|g| frame_header([g[0], g[1], g[2], g[3]]))
                    .is_some_and(|g| (g.version, g.sample_rate) == key);
                if chained {
                    return Ok(Some(at + i as u64));
                }
            }
            if n < want {
                break; // end of file
            }
            at += scan_to as u64;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::assert_item_limit;
    use crate::read::Counter;
    use proptest::prelude::*;
    use std::io::{BufReader, Cursor};

    /// One frame: MPEG version (1, 2, 25), bitrate and sample-rate indexes,
    /// mono or not; the body is zeros.
    fn frame(version: u8, br: u8, sr: u8, mono: bool) -> Vec<u8> {
        let b1 = match version {
            1 => 0xFB,
            2 => 0xF3,
            _ => 0xE3,
        };
        let h = [0xFF, b1, br << 4 | sr << 2, if mono { 0xC0 } else { 0x00 }];
        let len = frame_header(h).unwrap().frame_len as usize;
        let mut v = h.to_vec();
        v.resize(len, 0);
        v
    }

    /// MPEG-1, 64 kbit/s, 48 kHz, mono: 192 bytes, 1152 samples (24 ms).
    fn f48() -> Vec<u8> {
        frame(1, 5, 1, true)
    }

    fn frames(n: usize) -> Vec<u8> {
        f48().repeat(n)
    }

    fn id3v2(body: usize, footer: bool) -> Vec<u8> {
        let s = body as u32;
        let mut v = b"ID3\x04\x00".to_vec();
        v.push(if footer { 0x10 } else { 0 });
        v.extend_from_slice(&[
            (s >> 21) as u8 & 0x7F,
            (s >> 14) as u8 & 0x7F,
            (s >> 7) as u8 & 0x7F,
            s as u8 & 0x7F,
        ]);
        v.extend(std::iter::repeat_n(0xAAu8, body));
        if footer {
            let mut f = v[..10].to_vec();
            f[..3].copy_from_slice(b"3DI");
            v.extend(f);
        }
        v
    }

    /// A first frame holding a Xing/Info header declaring `n` frames.
    fn xing_frame(tag: &[u8; 4], n: u32) -> Vec<u8> {
        let mut v = f48();
        v[4 + 17..4 + 21].copy_from_slice(tag);
        v[25..29].copy_from_slice(&1u32.to_be_bytes());
        v[29..33].copy_from_slice(&n.to_be_bytes());
        v
    }

    fn scan_bytes(v: &[u8]) -> Result<Scan> {
        scan(&mut Cursor::new(v), v.len() as u64, &ProbeLimits::default())
    }

    fn run(v: &[u8]) -> Result<MediaInfo> {
        probe(&mut Cursor::new(v), v.len() as u64, &ProbeLimits::default())
    }

    #[test]
    fn counts_every_frame() {
        let v = frames(100);
        let i = run(&v).unwrap();
        assert_eq!(i.frames, Some(100));
        assert_eq!(i.duration_s, Some(2.4));
        assert_eq!(i.sample_rate, Some(48000));
        assert_eq!(i.channels, Some(1));
        assert_eq!(i.codec.as_deref(), Some("mp3"));
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.skipped_bytes, s.resyncs, s.vbr_header), (0, 0, None));
    }

    #[test]
    fn mpeg2_and_2_5_frames() {
        // MPEG-2, 32 kbit/s, 22.05 kHz: 576 samples.
        let v = frame(2, 4, 0, true).repeat(50);
        let s = scan_bytes(&v).unwrap();
        assert_eq!(
            (s.version, s.sample_rate, s.frames, s.samples),
            (2, 22050, 50, 50 * 576)
        );
        // MPEG-2.5, 8 kHz stereo: 576 samples = 72 ms.
        let v = frame(25, 1, 2, false).repeat(25);
        let i = run(&v).unwrap();
        assert_eq!(
            (i.sample_rate, i.channels, i.frames),
            (Some(8000), Some(2), Some(25))
        );
        assert_eq!(i.duration_s, Some(1.8));
    }

    #[test]
    fn variable_bitrate_frames() {
        let mut v = Vec::new();
        for k in 0..60u8 {
            v.extend(frame(1, 1 + k % 14, 0, false));
        }
        let s = scan_bytes(&v).unwrap();
        assert_eq!(s.frames, 60);
        assert_eq!(s.duration_s(), 60.0 * 1152.0 / 44100.0);
    }

    #[test]
    fn xing_and_info_frames_are_not_audio() {
        for (tag, kind) in [(b"Xing", VbrKind::Xing), (b"Info", VbrKind::Info)] {
            let mut v = xing_frame(tag, 999);
            v.extend(frames(10));
            let s = scan_bytes(&v).unwrap();
            assert_eq!(s.vbr_header, Some(kind));
            // The declared count is reported but not trusted.
            assert_eq!(s.vbr_header_frames, Some(999));
            assert_eq!(s.frames, 10);
            assert_eq!(run(&v).unwrap().duration_s, Some(0.24));
        }
        // Frame-count flag clear: no declared count.
        let mut v = xing_frame(b"Xing", 5);
        v[25..29].copy_from_slice(&0u32.to_be_bytes());
        v.extend(frames(3));
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.vbr_header_frames, s.frames), (None, 3));
        // "Xing" elsewhere in a later frame is audio.
        let mut v = frames(3);
        v.extend(xing_frame(b"Xing", 1));
        assert_eq!(scan_bytes(&v).unwrap().frames, 4);
    }

    #[test]
    fn xing_offsets_per_version_and_mode() {
        // (version, mode mono, side info length)
        for (version, br, mono, side) in [
            (1, 9, false, 32),
            (1, 9, true, 17),
            (2, 8, false, 17),
            (2, 8, true, 9),
            (25, 8, true, 9),
        ] {
            let mut x = frame(version, br, 0, mono);
            x[4 + side..8 + side].copy_from_slice(b"Info");
            let mut v = x.clone();
            v.extend(frame(version, br, 0, mono).repeat(4));
            let s = scan_bytes(&v).unwrap();
            assert_eq!(
                (s.vbr_header, s.frames),
                (Some(VbrKind::Info), 4),
                "{version} {mono}"
            );
            // At a wrong offset it is not a header.
            let mut x = frame(version, br, 0, mono);
            x[5 + side..9 + side].copy_from_slice(b"Info");
            let mut v = x;
            v.extend(frame(version, br, 0, mono).repeat(4));
            assert_eq!(scan_bytes(&v).unwrap().frames, 5, "{version} {mono}");
        }
    }

    #[test]
    fn vbri_frame_is_not_audio() {
        let mut x = f48();
        x[36..40].copy_from_slice(b"VBRI");
        x[50..54].copy_from_slice(&77u32.to_be_bytes());
        let mut v = x;
        v.extend(frames(7));
        let s = scan_bytes(&v).unwrap();
        assert_eq!(
            (s.vbr_header, s.vbr_header_frames, s.frames),
            (Some(VbrKind::Vbri), Some(77), 7)
        );
    }

    #[test]
    fn only_a_xing_frame() {
        let v = xing_frame(b"Xing", 0);
        let i = run(&v).unwrap();
        assert_eq!((i.frames, i.duration_s), (Some(0), Some(0.0)));
    }

    #[test]
    fn id3v2_tags_are_skipped() {
        // Two stacked tags, the second with a footer, a 300 KB "cover" in the first.
        let mut v = id3v2(300_000, false);
        v.extend(id3v2(100, true));
        let start = v.len() as u64;
        v.extend(frames(20));
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.audio_start, s.frames, s.skipped_bytes), (start, 20, 0));
        // Zero padding after the tag is junk before the first frame.
        let mut v = id3v2(10, false);
        v.extend([0u8; 100]);
        v.extend(frames(20));
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.audio_start, s.frames, s.skipped_bytes), (120, 20, 100));
    }

    #[test]
    fn id3v2_reading_is_bounded_by_bytes() {
        // The cover is seeked over, not read.
        let mut v = id3v2(1_000_000, false);
        v.extend(frames(10));
        let limits = ProbeLimits {
            max_bytes_read: 200_000,
            ..ProbeLimits::default()
        };
        let mut r = BufReader::with_capacity(
            crate::sniff::HEAD_LEN,
            Counter::new(Cursor::new(&v), limits.max_bytes_read),
        );
        let i = probe(&mut r, v.len() as u64, &limits).unwrap();
        assert_eq!(i.frames, Some(10));
        assert!(
            r.get_ref().bytes_read() < 100_000,
            "{}",
            r.get_ref().bytes_read()
        );
    }

    #[test]
    fn id3v2_past_the_end() {
        let mut v = id3v2(10, false);
        v[9] = 0x7F; // body 137 bytes in a 20-byte file
        let err = run(&v).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Truncated {
                    format: "mp3 (id3v2)",
                    ..
                }
            ),
            "{err}"
        );
    }

    fn ape(items: &[u8], header: bool) -> Vec<u8> {
        let footer = |is_header: bool| {
            let mut f = b"APETAGEX".to_vec();
            f.extend_from_slice(&2000u32.to_le_bytes());
            f.extend_from_slice(&(items.len() as u32 + 32).to_le_bytes());
            f.extend_from_slice(&1u32.to_le_bytes());
            let flags = if header { 1u32 << 31 } else { 0 } | if is_header { 1 << 29 } else { 0 };
            f.extend_from_slice(&flags.to_le_bytes());
            f.extend_from_slice(&[0; 8]);
            f
        };
        let mut v = if header { footer(true) } else { Vec::new() };
        v.extend_from_slice(items);
        v.extend(footer(false));
        v
    }

    fn lyrics3(body: &[u8]) -> Vec<u8> {
        let mut v = b"LYRICSBEGIN".to_vec();
        v.extend_from_slice(body);
        let n = v.len();
        v.extend_from_slice(format!("{n:06}").as_bytes());
        v.extend_from_slice(b"LYRICS200");
        v
    }

    fn id3v1() -> Vec<u8> {
        let mut v = b"TAG".to_vec();
        v.resize(128, b' ');
        v
    }

    #[test]
    fn trailing_tags_end_the_audio() {
        // Each tag holds two chained frames: counted only if the tag were taken for audio.
        let bait = frames(2);
        let tails: Vec<(&str, Vec<u8>)> = vec![
            ("id3v1", id3v1()),
            ("ape+hdr", ape(&bait, true)),
            ("ape", ape(&bait, false)),
            ("lyrics3", lyrics3(&bait)),
            ("id3v2 appended", {
                let mut t = id3v2(bait.len(), true);
                t[10..10 + bait.len()].copy_from_slice(&bait);
                t
            }),
            ("all", [ape(&bait, true), lyrics3(&bait), id3v1()].concat()),
            (
                "lyrics then ape",
                [lyrics3(&bait), ape(&bait, false), id3v1()].concat(),
            ),
        ];
        for (name, tail) in tails {
            let mut v = frames(30);
            let audio_end = v.len() as u64;
            v.extend(&tail);
            let s = scan_bytes(&v).unwrap();
            assert_eq!(
                (s.frames, s.audio_end, s.skipped_bytes),
                (30, audio_end, 0),
                "{name}"
            );
        }
        // Enhanced TAG+ before ID3v1.
        let mut v = frames(30);
        let mut plus = b"TAG+".to_vec();
        plus.resize(227, 0);
        v.extend(plus);
        v.extend(id3v1());
        assert_eq!(scan_bytes(&v).unwrap().audio_end, 30 * 192);
    }

    #[test]
    fn hostile_trailing_tag_sizes() {
        // APE size 2^32-1, Lyrics3 size 999999, 3DI size past the start: none stripped.
        let mut ape_big = ape(&[], false);
        let n = ape_big.len();
        ape_big[n - 20..n - 16].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut ly = b"999999LYRICS200".to_vec();
        ly.splice(0..0, [0u8; 4]);
        let mut appended = id3v2(0, true);
        appended[16..20].copy_from_slice(&[0x7F; 4]);
        for tail in [ape_big, ly, appended, b"TAG".to_vec()] {
            let mut v = frames(5);
            v.extend(&tail);
            let s = scan_bytes(&v).unwrap();
            assert_eq!(s.frames, 5);
            assert_eq!(s.audio_end, v.len() as u64);
            assert_eq!(s.skipped_bytes, tail.len() as u64);
        }
        // A one-frame file with an ID3v1 tag.
        let mut v = frames(1);
        v.extend(id3v1());
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.frames, s.audio_end, s.skipped_bytes), (1, 192, 0));
    }

    #[test]
    fn resyncs_over_garbage() {
        let mut v = frames(10);
        v.extend([0x12u8; 333]);
        v.extend(frames(10));
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.frames, s.skipped_bytes, s.resyncs), (20, 333, 1));
        // Garbage holding a lone sync word that does not chain.
        let mut v = frames(10);
        v.extend([0xFF, 0xFB, 0x54, 0xC0, 1, 2, 3]);
        v.extend(frames(10));
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.frames, s.skipped_bytes, s.resyncs), (20, 7, 1));
    }

    #[test]
    fn garbage_longer_than_the_window_ends_the_walk() {
        let mut v = frames(10);
        v.extend(vec![0u8; RESYNC_WINDOW as usize + 10]);
        v.extend(frames(10));
        let s = scan_bytes(&v).unwrap();
        assert_eq!(s.frames, 10);
        assert_eq!(s.skipped_bytes, v.len() as u64 - 10 * 192);
        // Just inside the window: found.
        let mut v = frames(10);
        v.extend(vec![0u8; RESYNC_WINDOW as usize - 1]);
        v.extend(frames(10));
        assert_eq!(scan_bytes(&v).unwrap().frames, 20);
    }

    #[test]
    fn sample_rate_change_is_not_followed() {
        let mut v = frames(10);
        v.extend(frame(1, 5, 0, true).repeat(10)); // 44.1 kHz
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.frames, s.sample_rate), (10, 48000));
        assert_eq!(s.skipped_bytes, v.len() as u64 - 10 * 192);
        // And back to 48 kHz after the change: resync finds it.
        v.extend(frames(5));
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.frames, s.resyncs), (15, 1));
    }

    #[test]
    fn truncation_at_every_byte() {
        let v = frames(3);
        for cut in 0..=v.len() {
            let got = run(&v[..cut]);
            let whole = (cut / 192) as u64;
            if whole == 0 {
                assert!(
                    matches!(
                        got,
                        Err(Error::Malformed {
                            format: "mp3",
                            reason: "no MPEG audio frame found"
                        })
                    ),
                    "{cut}: {got:?}"
                );
            } else {
                assert_eq!(got.unwrap().frames, Some(whole), "{cut}");
            }
        }
    }

    #[test]
    fn no_frame_at_all() {
        for v in [vec![], vec![0u8; 5000], id3v2(100, false), vec![0xFF; 3000]] {
            let got = run(&v);
            assert!(
                matches!(
                    got,
                    Err(Error::Malformed {
                        format: "mp3",
                        reason: "no MPEG audio frame found"
                    })
                ),
                "{got:?}"
            );
        }
    }

    #[test]
    fn free_format_is_unsupported() {
        let free = [0xFF, 0xFB, 0x04, 0xC0];
        let mut v = free.to_vec();
        v.resize(500, 0);
        let got = run(&v);
        assert!(
            matches!(got, Err(Error::Unsupported { format: "mp3", .. })),
            "{got:?}"
        );
        // After junk, found by the first-frame scan.
        let mut v = id3v2(10, false);
        v.extend([0u8; 7]);
        v.extend(free);
        v.resize(600, 0);
        let got = run(&v);
        assert!(
            matches!(got, Err(Error::Unsupported { format: "mp3", .. })),
            "{got:?}"
        );
        assert!(!is_free_format([0xFF, 0xFB, 0x54, 0xC0]));
        assert!(!is_free_format([0xFF, 0xFD, 0x04, 0xC0])); // Layer II
    }

    #[test]
    fn truncated_last_frame_is_not_counted() {
        let mut v = frames(10);
        v.extend(&f48()[..100]);
        let s = scan_bytes(&v).unwrap();
        assert_eq!((s.frames, s.skipped_bytes), (10, 100));
    }

    #[test]
    fn spent_read_budget_is_a_limit_error() {
        // 1000 frames = 192,000 bytes; 50,000 may be read: a partial frame
        // count is never a duration.
        let v = frames(1000);
        for max in [3, 50_000] {
            let limits = ProbeLimits::default().max_bytes_read(max);
            let mut r = BufReader::with_capacity(
                crate::sniff::HEAD_LEN,
                Counter::new(Cursor::new(&v), limits.max_bytes_read),
            );
            let got = probe(&mut r, v.len() as u64, &limits);
            assert!(
                matches!(
                    got,
                    Err(Error::Limit {
                        kind: LimitKind::BytesRead,
                        ..
                    })
                ),
                "{max}: {got:?}"
            );
        }
    }

    #[test]
    fn item_limit_is_a_limit_error() {
        let v = frames(100);
        let limits = ProbeLimits::default().max_items(50);
        assert_item_limit(probe(&mut Cursor::new(&v), v.len() as u64, &limits), 50);
    }

    #[test]
    fn walk_reads_each_byte_about_once() {
        let v = frames(2000);
        let limits = ProbeLimits::default();
        let mut r = BufReader::with_capacity(
            crate::sniff::HEAD_LEN,
            Counter::new(Cursor::new(&v), limits.max_bytes_read),
        );
        let i = probe(&mut r, v.len() as u64, &limits).unwrap();
        assert_eq!(i.frames, Some(2000));
        assert!(
            r.get_ref().bytes_read() < v.len() as u64 + 200_000,
            "{}",
            r.get_ref().bytes_read()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_walk_does_not_depend_on_the_buffer(
            parts in proptest::collection::vec(
                prop_oneof![
                    // Frames of MPEG-1 (several bitrates, padded or not) and MPEG-2.
                    (1u8..15, 0u8..2, 1u8..40).prop_map(|(br, pad, n)| {
                        let mut f = frame(1, br, 1, true);
                        if pad == 1 {
                            f[2] |= 2;
                            f.push(0);
                        }
                        f.repeat(n as usize)
                    }),
                    (1u8..15, 1u8..5).prop_map(|(br, n)| frame(2, br, 0, false).repeat(n as usize)),
                    // Junk, with and without sync-like bytes.
                    proptest::collection::vec(any::<u8>(), 1..600),
                    proptest::collection::vec(prop_oneof![Just(0xFFu8), Just(0xFB), any::<u8>()], 1..64),
                ],
                1..12,
            ),
            cut in 0usize..400,
        ) {
            let mut v = f48();
            for p in &parts {
                v.extend(p);
            }
            v.truncate(v.len().saturating_sub(cut).max(4));
            let limits = ProbeLimits::default();
            let at = |n| {
                let mut r = std::io::BufReader::with_capacity(n, Cursor::new(&v));
                format!("{:?}", scan(&mut r, v.len() as u64, &limits))
            };
            let whole = at(64 << 10);
            for n in [1, 4, 5, 97, 1441, 4096] {
                prop_assert_eq!(&at(n), &whole, "buffer of {} bytes", n);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(i) = run(&v) {
                prop_assert!(i.duration_s.is_some_and(|d| d.is_finite() && d >= 0.0));
            }
        }

        #[test]
        fn mutated_streams_never_panic(
            edits in proptest::collection::vec((0usize..3000, any::<u8>()), 0..8),
            cut in 0usize..3200,
        ) {
            let mut v = id3v2(20, true);
            v.extend(xing_frame(b"Xing", 12));
            v.extend(frames(12));
            v.extend(ape(&[], true));
            v.extend(id3v1());
            for (at, b) in edits {
                if let Some(x) = v.get_mut(at) {
                    *x = b;
                }
            }
            v.truncate(cut);
            if let Ok(s) = scan_bytes(&v) {
                prop_assert!(s.frames <= 14);
                prop_assert!(s.audio_start <= s.audio_end && s.audio_end <= v.len() as u64);
                prop_assert!(s.skipped_bytes <= v.len() as u64);
            }
        }
    }
}
