//! MPEG audio building blocks shared by the sniffer, the MP3 reader and the
//! MP3 repair of `preflight-fix`: the Layer III frame header, the ID3v2 tag
//! length, and the Xing/Info/VBRI header of the first frame.
//!
//! Frame header layout: ISO/IEC 11172-3 § 2.4.1.3 and ISO/IEC 13818-3
//! § 2.4.1.3 (MPEG-2.5 is Fraunhofer's extension: version bits `00`).
//! ID3v2: id3.org "ID3 tag version 2.4.0 - Main Structure" § 3.1 (header)
//! and § 3.4 (footer).
//!
//! ```
//! use preflight::mpeg_audio::{frame_header, id3v2_len};
//!
//! // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo.
//! let h = frame_header([0xFF, 0xFB, 0x90, 0x00]).unwrap();
//! assert_eq!((h.sample_rate, h.bitrate_kbps, h.frame_len, h.samples), (44100, 128, 417, 1152));
//! // A 10-byte ID3v2 header declaring a 100-byte body.
//! assert_eq!(id3v2_len(b"ID3\x04\x00\x00\x00\x00\x00\x64"), Some(110));
//! ```

/// One decoded MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FrameHeader {
    /// 1 for MPEG-1, 2 for MPEG-2, 25 for MPEG-2.5.
    pub version: u8,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Bit rate in kbit/s.
    pub bitrate_kbps: u32,
    /// Channel count (1 for mono, else 2).
    pub channels: u16,
    /// Whole frame length in bytes, header included.
    pub frame_len: u32,
    /// PCM samples per channel in the frame (1152 or 576).
    pub samples: u32,
}

const BITRATES_V1: [u32; 15] = [
    0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const BITRATES_V2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/// Decodes a Layer III frame header; `None` for anything else (other layers,
/// free format, reserved values).
pub fn frame_header(h: [u8; 4]) -> Option<FrameHeader> {
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = match (h[1] >> 3) & 3 {
        0 => 25,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    if (h[1] >> 1) & 3 != 1 {
        return None; // not Layer III
    }
    let bitrate_index = (h[2] >> 4) as usize;
    if bitrate_index == 0 || bitrate_index == 15 {
        return None;
    }
    let sr_index = ((h[2] >> 2) & 3) as usize;
    if sr_index == 3 {
        return None;
    }
    let base = [44100, 48000, 32000][sr_index];
    let (sample_rate, bitrate_kbps, coef, samples) = match version {
        1 => (base, BITRATES_V1[bitrate_index], 144, 1152),
        2 => (base / 2, BITRATES_V2[bitrate_index], 72, 576),
        _ => (base / 4, BITRATES_V2[bitrate_index], 72, 576),
    };
    let padding = ((h[2] >> 1) & 1) as u32;
    let frame_len = coef * bitrate_kbps * 1000 / sample_rate + padding;
    let channels = if h[3] >> 6 == 3 { 1 } else { 2 };
    Some(FrameHeader {
        version,
        sample_rate,
        bitrate_kbps,
        channels,
        frame_len,
        samples,
    })
}

/// The fields of an MPEG audio frame header of any layer, enough to chain
/// frames (the sniffer tells Layer I and II, which the service does not
/// take, from Layer III).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnyHeader {
    /// 1, 2 or 3.
    pub layer: u8,
    /// 1 for MPEG-1, 2 for MPEG-2, 25 for MPEG-2.5.
    pub version: u8,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Whole frame length in bytes, header included.
    pub frame_len: u32,
}

/// Decodes an MPEG audio frame header of any layer (ISO/IEC 11172-3
/// § 2.4.2.3, ISO/IEC 13818-3 § 2.4.2.3); `None` for free format and
/// reserved values.
pub fn any_header(h: [u8; 4]) -> Option<AnyHeader> {
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = match (h[1] >> 3) & 3 {
        0 => 25,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    let layer = match (h[1] >> 1) & 3 {
        3 => 1,
        2 => 2,
        1 => 3,
        _ => return None,
    };
    let bi = (h[2] >> 4) as usize;
    let si = ((h[2] >> 2) & 3) as usize;
    if bi == 0 || bi == 15 || si == 3 || h[3] & 3 == 2 {
        return None;
    }
    const V1L1: [u32; 15] = [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ];
    const V1L2: [u32; 15] = [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ];
    const V2L1: [u32; 15] = [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ];
    let base = [44100, 48000, 32000][si];
    let sample_rate = match version {
        1 => base,
        2 => base / 2,
        _ => base / 4,
    };
    let padding = u32::from((h[2] >> 1) & 1);
    let frame_len = match (version, layer) {
        (1, 1) => (12 * V1L1[bi] * 1000 / sample_rate + padding) * 4,
        (_, 1) => (12 * V2L1[bi] * 1000 / sample_rate + padding) * 4,
        (1, 2) => 144 * V1L2[bi] * 1000 / sample_rate + padding,
        (_, 2) => 144 * BITRATES_V2[bi] * 1000 / sample_rate + padding,
        _ => frame_header(h)?.frame_len,
    };
    Some(AnyHeader {
        layer,
        version,
        sample_rate,
        frame_len,
    })
}

/// The total length of an ID3v2 tag at the start of `b` (header, body and
/// footer); `None` when `b` does not start with a valid ID3v2 header.
pub fn id3v2_len(b: &[u8]) -> Option<u64> {
    if b.len() < 10 || &b[..3] != b"ID3" || b[3] == 0xFF || b[4] == 0xFF {
        return None;
    }
    let s = &b[6..10];
    if s.iter().any(|&x| x & 0x80 != 0) {
        return None;
    }
    let body = (s[0] as u64) << 21 | (s[1] as u64) << 14 | (s[2] as u64) << 7 | s[3] as u64;
    let footer = if b[5] & 0x10 != 0 { 10 } else { 0 };
    Some(10 + body + footer)
}

/// Free-format Layer III: a valid header except for bitrate index 0 (its
/// frame length is not in the header, so it cannot be walked).
pub fn is_free_format(h: [u8; 4]) -> bool {
    h[0] == 0xFF
        && h[1] & 0xE0 == 0xE0
        && (h[1] >> 3) & 3 != 1
        && (h[1] >> 1) & 3 == 1
        && h[2] >> 4 == 0
        && (h[2] >> 2) & 3 != 3
}

/// The kind of VBR header found in a first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VbrKind {
    /// `Xing` (VBR).
    Xing,
    /// `Info` (LAME's name for the same header in a CBR file).
    Info,
    /// Fraunhofer `VBRI`.
    Vbri,
}

/// A Xing/Info or VBRI header: a frame of metadata, not audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VbrTag {
    /// Which header.
    pub kind: VbrKind,
    /// The frame count it declares, when it has one (never trusted for a
    /// duration: the MP3 reader counts the frames).
    pub frames: Option<u32>,
    /// Encoder delay and padding in samples, from a LAME tag (written by
    /// LAME and by ffmpeg) after a Xing/Info header: what a gapless decoder
    /// trims from the start and the end.
    pub delay_padding: Option<(u16, u16)>,
}

/// Looks for a Xing/Info or VBRI header in a first frame's bytes (`frame`
/// starts at its header).
pub fn vbr_tag(frame: &[u8], fh: &FrameHeader) -> Option<VbrTag> {
    let side = match (fh.version, fh.channels) {
        (1, 1) => 17,
        (1, _) => 32,
        (_, 1) => 9,
        _ => 17,
    };
    let be32 = |at: usize| {
        frame
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    // Writers put it right after the side information; with a CRC, after the CRC too.
    for off in [4 + side, 4 + side + 2] {
        let kind = match frame.get(off..off + 4) {
            Some(b"Xing") => VbrKind::Xing,
            Some(b"Info") => VbrKind::Info,
            _ => continue,
        };
        let flags = be32(off + 4)?;
        let frames = (flags & 1 != 0).then(|| be32(off + 8)).flatten();
        // The LAME tag follows the fields the flags announce: frames, bytes,
        // a 100-byte TOC, quality (4, 4, 100, 4 bytes).
        let lame = off
            + 8
            + [(1, 4), (2, 4), (4, 100), (8, 4)]
                .iter()
                .filter(|(bit, _)| flags & bit != 0)
                .map(|(_, n)| n)
                .sum::<usize>();
        // Encoder name (9 bytes), then 12 bytes of settings, then delay and
        // padding in 3 bytes (12 bits each): the LAME 3.90+ tag layout.
        let delay_padding = match frame.get(lame..lame + 24) {
            Some(t) if matches!(&t[..4], b"LAME" | b"Lavc" | b"Lavf") => {
                let (a, b, c) = (u16::from(t[21]), u16::from(t[22]), u16::from(t[23]));
                Some(((a << 4) | (b >> 4), ((b & 0x0F) << 8) | c))
            }
            _ => None,
        };
        return Some(VbrTag {
            kind,
            frames,
            delay_padding,
        });
    }
    // VBRI: id, version, delay, quality (2 bytes each after the id), bytes, frames.
    if frame.get(36..40) == Some(b"VBRI") {
        return Some(VbrTag {
            kind: VbrKind::Vbri,
            frames: be32(36 + 14),
            delay_padding: None,
        });
    }
    None
}
