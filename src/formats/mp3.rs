//! MPEG-1/2/2.5 Layer III (MP3) reader (frame walker to be written).
//!
//! Frame header layout: ISO/IEC 11172-3 § 2.4.1.3 and ISO/IEC 13818-3 § 2.4.1.3.

use crate::error::{Error, Result};
use crate::info::MediaInfo;
use crate::read::ProbeLimits;
use std::io::{Read, Seek};

/// One decoded MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Reads the frames of an MP3 file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let _ = (r, size, limits);
    Err(Error::unsupported("mp3", "reader not written yet"))
}
