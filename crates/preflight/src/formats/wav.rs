//! WAV reader: RIFF/WAVE, RF64 and BW64.
//!
//! Specs: Microsoft "Multimedia Programming Interface and Data Specifications
//! 1.0" (1991) § "WAVE Form Type" for the `fmt ` and `data` chunks;
//! Microsoft "Multiple Channel Audio Data and WAVE Files" (2007) for
//! `WAVE_FORMAT_EXTENSIBLE`; EBU Tech 3306 v1.1 (RF64) § 3 and ITU-R BS.2088-1
//! (BW64) § 3 for the `ds64` chunk that carries 64-bit sizes.
//!
//! Only chunk headers and the `fmt `/`ds64` payloads are read; the sample data
//! is seeked over. The duration is exact: whole sample frames
//! (`data bytes / block_align`) divided by the sample rate.
//!
//! Decisions where the specs are silent:
//! - The RIFF size field is not trusted (streaming writers leave 0 or
//!   `0xFFFFFFFF` there): chunks are walked to the end of the file.
//! - A `data` size of `0` or `0xFFFFFFFF` in a RIFF file is a streaming
//!   writer's placeholder: the data runs to the end of the file (as ffmpeg reads it).
//! - A `data` size that runs past the end of the file (a truncated file, or a
//!   header claiming 4 GB) is [`Error::Truncated`] (`file.corrupt`): the file
//!   ends before the samples its header promises (SPEC §1). ffprobe falls back
//!   to the bytes present, which passes a cut 15.2 s file as 8 s.
//! - In RF64/BW64, a 32-bit `data` size of `0xFFFFFFFF` is replaced by the
//!   `ds64` data size; such a file without `ds64` is malformed.
//! - PCM integer, IEEE float, A-law and µ-law: the duration is whole sample
//!   frames (`data bytes / block_align`), and `block_align` must equal
//!   channels × bytes per sample, or the file is corrupt (SPEC §1).
//! - Other encodings are still WAV (SPEC §1): MS and IMA ADPCM, GSM 6.10 and
//!   MPEG audio in WAV take their duration from the `fact` chunk (sample
//!   frames ÷ rate), else from whole blocks × the `fmt ` extension's samples
//!   per block; without either (MPEG in WAV without `fact`), or for an
//!   encoding not named here, [`Error::Unsupported`].

use crate::error::{Error, Result};
use crate::info::{Format, MediaInfo};
use crate::read::{array, ProbeLimits};
use crate::riff::{self, Chunk, Chunks};
use std::io::{Read, Seek};

const WAVE_FORMAT_PCM: u16 = 1;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 3;
const WAVE_FORMAT_ALAW: u16 = 6;
const WAVE_FORMAT_MULAW: u16 = 7;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;
const WAVE_FORMAT_ADPCM: u16 = 0x0002;
const WAVE_FORMAT_IMA_ADPCM: u16 = 0x0011;
const WAVE_FORMAT_GSM610: u16 = 0x0031;
const WAVE_FORMAT_MPEG: u16 = 0x0050;
const WAVE_FORMAT_MPEGLAYER3: u16 = 0x0055;
/// Codecs of fixed-size blocks whose extended `fmt ` gives the samples per block.
const BLOCK_CODECS: [u16; 3] = [WAVE_FORMAT_ADPCM, WAVE_FORMAT_IMA_ADPCM, WAVE_FORMAT_GSM610];

/// Bytes 2..16 shared by every `KSDATAFORMAT_SUBTYPE_*` GUID derived from a
/// format tag (`XXXXXXXX-0000-0010-8000-00AA00389B71`, little-endian fields).
const SUBTYPE_SUFFIX: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// The fields of a `fmt ` chunk that matter here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fmt {
    /// Format tag, the extensible sub-format's resolved.
    tag: u16,
    channels: u16,
    sample_rate: u32,
    block_align: u16,
    bits: u16,
    /// `wSamplesPerBlock` of the extended `fmt ` of block codecs (ADPCM, GSM).
    samples_per_block: Option<u16>,
}

impl Fmt {
    /// Whether the samples are stored as they are (duration = bytes ÷ block_align).
    fn is_pcm(&self) -> bool {
        matches!(
            self.tag,
            WAVE_FORMAT_PCM | WAVE_FORMAT_IEEE_FLOAT | WAVE_FORMAT_ALAW | WAVE_FORMAT_MULAW
        )
    }
}

/// Reads the headers of a WAV file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let h = riff::read_form_header(r).map_err(|e| e.in_format("wav"))?;
    let wide = match (&h.id, &h.form) {
        (b"RIFF", b"WAVE") => false,
        (b"RF64", b"WAVE") | (b"BW64", b"WAVE") => true,
        _ => {
            return Err(Error::malformed(
                "wav",
                "not a RIFF/WAVE, RF64 or BW64 file",
            ))
        }
    };
    let mut chunks = Chunks::new(12, size, limits);
    let mut fmt: Option<Fmt> = None;
    let mut data_bytes: Option<u64> = None;
    let mut ds64_data: Option<u64> = None;
    let mut fact: Option<u32> = None;
    while let Some(c) = chunks.next(r).map_err(|e| e.in_format("wav"))? {
        match &c.id {
            b"ds64" if wide && ds64_data.is_none() => ds64_data = Some(read_ds64(r, &c)?),
            b"fmt " if fmt.is_none() => fmt = Some(read_fmt(r, &c)?),
            b"fact" if fact.is_none() && c.size >= 4 => {
                if c.avail < 4 {
                    return Err(Error::truncated(
                        "wav (fact)",
                        "chunk runs past the end of the file",
                    ));
                }
                fact = Some(u32::from_le_bytes(array(r)?));
            }
            b"data" if data_bytes.is_none() => {
                let declared = match c.size {
                    0xFFFF_FFFF if wide => ds64_data.ok_or(Error::malformed(
                        "wav (ds64)",
                        "RF64 data size 0xFFFFFFFF without a ds64 chunk",
                    ))?,
                    // Streaming placeholder: the data runs to the end of the file.
                    0 | 0xFFFF_FFFF => u64::MAX,
                    n => n,
                };
                let declared = if declared == 0 { u64::MAX } else { declared };
                let placed = chunks.set_size(&c, declared);
                // Samples the header promises but the file does not hold: the
                // file was cut short (see the module docs).
                if declared != u64::MAX && placed.avail < declared {
                    return Err(Error::truncated(
                        "wav",
                        "the data chunk runs past the end of the file",
                    ));
                }
                data_bytes = Some(placed.avail);
                // A block codec's `fact` chunk may follow the data.
                if fmt.is_some_and(|f| f.is_pcm() || fact.is_some()) {
                    break;
                }
            }
            _ => {}
        }
    }
    let fmt = fmt.ok_or(Error::malformed("wav", "no fmt chunk"))?;
    let data_bytes = data_bytes.ok_or(Error::malformed("wav", "no data chunk"))?;
    let codec = codec_name(fmt.tag, fmt.bits)?;
    let sample_frames = if fmt.is_pcm() {
        // PCM stores whole sample frames: block_align must be their size.
        let frame = u64::from(fmt.channels) * u64::from(fmt.bits.div_ceil(8));
        if u64::from(fmt.block_align) != frame {
            return Err(Error::malformed(
                "wav (fmt)",
                "PCM block align is not channels × bytes per sample",
            ));
        }
        data_bytes / u64::from(fmt.block_align)
    } else {
        // A block codec: the `fact` chunk's sample frames, else whole blocks
        // × the codec's samples per block.
        match (fact, fmt.samples_per_block) {
            (Some(n), _) => u64::from(n),
            (None, Some(spb)) if spb > 0 => {
                data_bytes / u64::from(fmt.block_align) * u64::from(spb)
            }
            _ => {
                return Err(Error::unsupported(
                    "wav (fmt)",
                    "compressed audio without a fact chunk or samples per block",
                ))
            }
        }
    };

    let mut info = MediaInfo::new(Format::Wav, size);
    info.codec = Some(codec.to_string());
    info.sample_rate = Some(fmt.sample_rate);
    info.channels = Some(fmt.channels);
    info.duration_s = Some(sample_frames as f64 / f64::from(fmt.sample_rate));
    Ok(info)
}

/// The `ds64` chunk: RIFF size, data size, sample count (all u64), then a table we skip.
fn read_ds64<R: Read + Seek>(r: &mut R, c: &Chunk) -> Result<u64> {
    if c.size < 24 {
        return Err(Error::malformed(
            "wav (ds64)",
            "chunk shorter than 24 bytes",
        ));
    }
    if c.avail < 24 {
        return Err(Error::truncated(
            "wav (ds64)",
            "chunk runs past the end of the file",
        ));
    }
    let b: [u8; 24] = array(r).map_err(|e| e.in_format("wav (ds64)"))?;
    let mut d = [0u8; 8];
    d.copy_from_slice(&b[8..16]);
    Ok(u64::from_le_bytes(d))
}

fn read_fmt<R: Read + Seek>(r: &mut R, c: &Chunk) -> Result<Fmt> {
    if c.size < 16 {
        return Err(Error::malformed("wav (fmt)", "chunk shorter than 16 bytes"));
    }
    if c.avail < 16 {
        return Err(Error::truncated(
            "wav (fmt)",
            "chunk runs past the end of the file",
        ));
    }
    let b: [u8; 16] = array(r).map_err(|e| e.in_format("wav (fmt)"))?;
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let mut tag = u16_at(0);
    let mut samples_per_block = None;
    let channels = u16_at(2);
    let sample_rate = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let block_align = u16_at(12);
    let bits = u16_at(14);
    if tag == WAVE_FORMAT_EXTENSIBLE {
        // cbSize, wValidBitsPerSample, dwChannelMask, SubFormat GUID.
        if c.size < 40 {
            return Err(Error::malformed(
                "wav (fmt)",
                "extensible format shorter than 40 bytes",
            ));
        }
        if c.avail < 40 {
            return Err(Error::truncated(
                "wav (fmt)",
                "chunk runs past the end of the file",
            ));
        }
        let x: [u8; 24] = array(r).map_err(|e| e.in_format("wav (fmt)"))?;
        let guid = &x[8..24];
        if guid[2..] != SUBTYPE_SUFFIX {
            return Err(Error::unsupported(
                "wav (fmt)",
                "extensible sub-format GUID",
            ));
        }
        tag = u16::from_le_bytes([guid[0], guid[1]]);
    } else if c.size >= 20 && c.avail >= 20 && BLOCK_CODECS.contains(&tag) {
        // cbSize, then wSamplesPerBlock (IMA and MS ADPCM, GSM 6.10).
        let x: [u8; 4] = array(r).map_err(|e| e.in_format("wav (fmt)"))?;
        let cb = u16::from_le_bytes([x[0], x[1]]);
        if cb >= 2 {
            samples_per_block = Some(u16::from_le_bytes([x[2], x[3]]));
        }
    }
    if channels == 0 {
        return Err(Error::malformed("wav (fmt)", "channel count is 0"));
    }
    if sample_rate == 0 {
        return Err(Error::malformed("wav (fmt)", "sample rate is 0"));
    }
    if block_align == 0 {
        return Err(Error::malformed("wav (fmt)", "block align is 0"));
    }
    Ok(Fmt {
        tag,
        channels,
        sample_rate,
        block_align,
        bits,
        samples_per_block,
    })
}

/// The codec as ffprobe names it. Integer PCM is named by whole bytes per
/// sample, as ffmpeg does (12-bit → `pcm_s16le`, 20-bit → `pcm_s24le`).
fn codec_name(tag: u16, bits: u16) -> Result<&'static str> {
    Ok(match tag {
        WAVE_FORMAT_PCM => match bits.div_ceil(8) {
            1 => "pcm_u8",
            2 => "pcm_s16le",
            3 => "pcm_s24le",
            4 => "pcm_s32le",
            8 => "pcm_s64le",
            _ => return Err(Error::unsupported("wav (fmt)", "PCM sample size")),
        },
        WAVE_FORMAT_IEEE_FLOAT => match bits {
            32 => "pcm_f32le",
            64 => "pcm_f64le",
            _ => return Err(Error::unsupported("wav (fmt)", "float sample size")),
        },
        WAVE_FORMAT_ALAW => "pcm_alaw",
        WAVE_FORMAT_MULAW => "pcm_mulaw",
        WAVE_FORMAT_ADPCM => "adpcm_ms",
        WAVE_FORMAT_IMA_ADPCM => "adpcm_ima_wav",
        WAVE_FORMAT_GSM610 => "gsm_ms",
        WAVE_FORMAT_MPEG => "mp2",
        WAVE_FORMAT_MPEGLAYER3 => "mp3",
        _ => return Err(Error::unsupported("wav (fmt)", "audio encoding")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::assert_item_limit;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn chunk(id: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        v.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    /// A `fmt ` payload: tag, channels, rate, block align, bits.
    fn fmt(tag: u16, ch: u16, rate: u32, align: u16, bits: u16) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&ch.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * align as u32).to_le_bytes());
        v.extend_from_slice(&align.to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v
    }

    fn extensible(sub: u16, ch: u16, rate: u32, align: u16, bits: u16) -> Vec<u8> {
        let mut v = fmt(WAVE_FORMAT_EXTENSIBLE, ch, rate, align, bits);
        v.extend_from_slice(&22u16.to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v.extend_from_slice(&4u32.to_le_bytes());
        v.extend_from_slice(&sub.to_le_bytes());
        v.extend_from_slice(&SUBTYPE_SUFFIX);
        v
    }

    fn wav(form: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut v = form.to_vec();
        v.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
        v.extend_from_slice(b"WAVE");
        v.extend(body);
        v
    }

    fn run(v: &[u8]) -> Result<MediaInfo> {
        probe(&mut Cursor::new(v), v.len() as u64, &ProbeLimits::default())
    }

    /// A data chunk header declaring `size`, followed by `present` bytes.
    fn data_claiming(size: u32, present: usize) -> Vec<u8> {
        let mut v = b"data".to_vec();
        v.extend_from_slice(&size.to_le_bytes());
        v.extend(std::iter::repeat_n(0u8, present));
        v
    }

    #[test]
    fn pcm16_mono() {
        let v = wav(
            b"RIFF",
            &[
                chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                chunk(b"data", &[0; 48000]),
            ],
        );
        let i = run(&v).unwrap();
        assert_eq!(i.codec.as_deref(), Some("pcm_s16le"));
        assert_eq!(i.sample_rate, Some(8000));
        assert_eq!(i.channels, Some(1));
        assert_eq!(i.duration_s, Some(3.0));
        assert_eq!(i.frames, None);
    }

    /// An extended `fmt ` payload of a block codec: cbSize 2 and samples per block.
    fn block_fmt(tag: u16, ch: u16, rate: u32, align: u16, spb: u16) -> Vec<u8> {
        let mut v = fmt(tag, ch, rate, align, 4);
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&spb.to_le_bytes());
        v
    }

    #[test]
    fn block_codecs_are_wav_with_an_exact_duration() {
        // IMA ADPCM, mono 8 kHz, 256-byte blocks of 505 samples; 10 blocks.
        let data = chunk(b"data", &[0; 2560]);
        let fact = chunk(b"fact", &4000u32.to_le_bytes());
        let f = chunk(b"fmt ", &block_fmt(0x11, 1, 8000, 256, 505));
        // With `fact`: its sample frames.
        let i = run(&wav(b"RIFF", &[f.clone(), fact.clone(), data.clone()])).unwrap();
        assert_eq!(i.duration_s, Some(0.5));
        assert_eq!(i.codec.as_deref(), Some("adpcm_ima_wav"));
        // `fact` after the data is found too.
        let i = run(&wav(b"RIFF", &[f.clone(), data.clone(), fact])).unwrap();
        assert_eq!(i.duration_s, Some(0.5));
        // Without: whole blocks × samples per block.
        let i = run(&wav(b"RIFF", &[f, data.clone()])).unwrap();
        assert_eq!(i.duration_s, Some(10.0 * 505.0 / 8000.0));
        // MPEG audio in WAV without `fact`: not measurable from the headers.
        let m = chunk(b"fmt ", &fmt(0x55, 1, 8000, 1, 0));
        assert!(matches!(
            run(&wav(b"RIFF", &[m, data])),
            Err(Error::Unsupported { .. })
        ));
    }

    #[test]
    fn pcm_block_align_must_match_the_sample_size() {
        // 16-bit mono with block_align 200: 16,000 bytes are 8,000 samples
        // (1 s at 8 kHz), not 80 blocks; the header contradicts itself.
        let v = wav(
            b"RIFF",
            &[
                chunk(b"fmt ", &fmt(1, 1, 8000, 200, 16)),
                chunk(b"data", &[0; 16000]),
            ],
        );
        assert!(matches!(
            run(&v),
            Err(Error::Malformed {
                format: "wav (fmt)",
                ..
            })
        ));
    }

    #[test]
    fn codec_names() {
        let cases: [(u16, u16, &str); 12] = [
            (1, 8, "pcm_u8"),
            (1, 12, "pcm_s16le"),
            (1, 16, "pcm_s16le"),
            (1, 20, "pcm_s24le"),
            (1, 24, "pcm_s24le"),
            (1, 32, "pcm_s32le"),
            (1, 64, "pcm_s64le"),
            (3, 32, "pcm_f32le"),
            (3, 64, "pcm_f64le"),
            (6, 8, "pcm_alaw"),
            (7, 8, "pcm_mulaw"),
            (1, 7, "pcm_u8"),
        ];
        for (tag, bits, name) in cases {
            assert_eq!(codec_name(tag, bits).unwrap(), name, "{tag} {bits}");
        }
        for (tag, name) in [
            (2, "adpcm_ms"),
            (0x11, "adpcm_ima_wav"),
            (0x31, "gsm_ms"),
            (0x50, "mp2"),
            (0x55, "mp3"),
        ] {
            assert_eq!(codec_name(tag, 4).unwrap(), name, "{tag}");
        }
        for (tag, bits) in [(1, 0), (1, 40), (3, 16), (0x161, 16), (0, 16)] {
            assert!(matches!(
                codec_name(tag, bits),
                Err(Error::Unsupported {
                    format: "wav (fmt)",
                    ..
                })
            ));
        }
    }

    #[test]
    fn extensible_uses_sub_format() {
        let v = wav(
            b"RIFF",
            &[
                chunk(b"fmt ", &extensible(1, 2, 48000, 6, 24)),
                chunk(b"data", &[0; 6 * 4800]),
            ],
        );
        let i = run(&v).unwrap();
        assert_eq!(i.codec.as_deref(), Some("pcm_s24le"));
        assert_eq!(i.channels, Some(2));
        assert_eq!(i.duration_s, Some(0.1));
        let v = wav(
            b"RIFF",
            &[
                chunk(b"fmt ", &extensible(3, 1, 8000, 4, 32)),
                chunk(b"data", &[0; 8]),
            ],
        );
        assert_eq!(run(&v).unwrap().codec.as_deref(), Some("pcm_f32le"));
        // Unknown GUID.
        let mut f = extensible(1, 1, 8000, 2, 16);
        let last = f.len() - 1;
        f[last] ^= 1;
        let v = wav(b"RIFF", &[chunk(b"fmt ", &f), chunk(b"data", &[0; 8])]);
        assert!(matches!(
            run(&v),
            Err(Error::Unsupported {
                format: "wav (fmt)",
                ..
            })
        ));
        // Extensible tag with an 18-byte fmt chunk.
        let mut f = fmt(WAVE_FORMAT_EXTENSIBLE, 1, 8000, 2, 16);
        f.extend_from_slice(&[0, 0]);
        let v = wav(b"RIFF", &[chunk(b"fmt ", &f), chunk(b"data", &[0; 8])]);
        let err = run(&v).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Malformed {
                    format: "wav (fmt)",
                    reason: "extensible format shorter than 40 bytes"
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn skips_unknown_and_odd_chunks() {
        let v = wav(
            b"RIFF",
            &[
                chunk(b"JUNK", &[0; 27]),
                chunk(b"fmt ", &fmt(1, 2, 44100, 4, 16)),
                chunk(b"LIST", b"INFOINAM\x03\x00\x00\x00odd"),
                chunk(b"data", &[0; 4 * 441]),
                chunk(b"id3 ", &[1, 2, 3]),
            ],
        );
        let i = run(&v).unwrap();
        assert_eq!(i.duration_s, Some(0.01));
    }

    #[test]
    fn data_before_fmt() {
        let v = wav(
            b"RIFF",
            &[
                chunk(b"data", &[0; 16000]),
                chunk(b"fmt ", &fmt(1, 1, 8000, 1, 8)),
            ],
        );
        assert_eq!(run(&v).unwrap().duration_s, Some(2.0));
    }

    #[test]
    fn partial_block_is_not_counted() {
        let v = wav(
            b"RIFF",
            &[
                chunk(b"fmt ", &fmt(1, 2, 1000, 4, 16)),
                chunk(b"data", &[0; 4 * 1000 + 3]),
            ],
        );
        assert_eq!(run(&v).unwrap().duration_s, Some(1.0));
    }

    #[test]
    fn corrupt_fmt_fields() {
        let cases: [(Vec<u8>, &str); 3] = [
            (fmt(1, 1, 0, 2, 16), "sample rate is 0"),
            (fmt(1, 0, 8000, 2, 16), "channel count is 0"),
            (fmt(1, 1, 8000, 0, 16), "block align is 0"),
        ];
        for (f, why) in cases {
            let v = wav(b"RIFF", &[chunk(b"fmt ", &f), chunk(b"data", &[0; 8])]);
            match run(&v) {
                Err(Error::Malformed {
                    format: "wav (fmt)",
                    reason,
                }) => assert_eq!(reason, why),
                other => panic!("{why}: {other:?}"),
            }
        }
        let v = wav(
            b"RIFF",
            &[chunk(b"fmt ", &[1, 0, 1, 0]), chunk(b"data", &[0; 8])],
        );
        assert!(matches!(
            run(&v),
            Err(Error::Malformed {
                format: "wav (fmt)",
                reason: "chunk shorter than 16 bytes"
            })
        ));
    }

    #[test]
    fn missing_chunks() {
        let v = wav(b"RIFF", &[chunk(b"data", &[0; 8])]);
        assert!(matches!(
            run(&v),
            Err(Error::Malformed {
                format: "wav",
                reason: "no fmt chunk"
            })
        ));
        let v = wav(b"RIFF", &[chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16))]);
        assert!(matches!(
            run(&v),
            Err(Error::Malformed {
                format: "wav",
                reason: "no data chunk"
            })
        ));
        let v = wav(b"RIFF", &[]);
        assert!(matches!(
            run(&v),
            Err(Error::Malformed {
                format: "wav",
                reason: "no fmt chunk"
            })
        ));
        let mut v = wav(b"RIFF", &[]);
        v[8..12].copy_from_slice(b"AVI ");
        assert!(matches!(
            run(&v),
            Err(Error::Malformed { format: "wav", .. })
        ));
    }

    #[test]
    fn truncation_everywhere() {
        let v = wav(
            b"RIFF",
            &[
                chunk(b"fmt ", &extensible(1, 1, 8000, 2, 16)),
                chunk(b"data", &[0; 100]),
            ],
        );
        // fmt chunk header ends at 20, its payload at 60; data header at 68.
        for cut in 0..v.len() {
            let got = run(&v[..cut]);
            match cut {
                0..=11 => assert!(
                    matches!(got, Err(Error::Truncated { format: "wav", .. })),
                    "{cut}: {got:?}"
                ),
                12..=19 => assert!(
                    matches!(
                        got,
                        Err(Error::Malformed {
                            format: "wav",
                            reason: "no fmt chunk"
                        })
                    ),
                    "{cut}: {got:?}"
                ),
                20..=59 => assert!(
                    matches!(
                        got,
                        Err(Error::Truncated {
                            format: "wav (fmt)",
                            ..
                        })
                    ),
                    "{cut}: {got:?}"
                ),
                60..=67 => assert!(
                    matches!(
                        got,
                        Err(Error::Malformed {
                            format: "wav",
                            reason: "no data chunk"
                        })
                    ),
                    "{cut}: {got:?}"
                ),
                // A data chunk cut short: the file ends before its samples do.
                _ => assert!(
                    matches!(got, Err(Error::Truncated { format: "wav", .. })),
                    "{cut}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn data_claiming_4_gb() {
        // 0xFFFFFFF0 bytes declared, 16000 present: a file cut short, not a
        // 2-second file.
        let v = wav(
            b"RIFF",
            &[
                chunk(b"fmt ", &fmt(1, 1, 8000, 1, 8)),
                data_claiming(0xFFFF_FFF0, 16000),
            ],
        );
        assert!(matches!(
            run(&v),
            Err(Error::Truncated { format: "wav", .. })
        ));
    }

    #[test]
    fn streaming_placeholders_run_to_end_of_file() {
        for size in [0, u32::MAX] {
            let v = wav(
                b"RIFF",
                &[
                    chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                    data_claiming(size, 24000),
                ],
            );
            assert_eq!(run(&v).unwrap().duration_s, Some(1.5), "{size:#x}");
        }
        // The RIFF size itself is not trusted.
        let mut v = wav(
            b"RIFF",
            &[
                chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                chunk(b"data", &[0; 1600]),
            ],
        );
        v[4..8].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(run(&v).unwrap().duration_s, Some(0.1));
    }

    fn ds64(riff: u64, data: u64) -> Vec<u8> {
        let mut p = riff.to_le_bytes().to_vec();
        p.extend_from_slice(&data.to_le_bytes());
        p.extend_from_slice(&0u64.to_le_bytes());
        p.extend_from_slice(&0u32.to_le_bytes());
        chunk(b"ds64", &p)
    }

    #[test]
    fn rf64_and_bw64_take_the_ds64_size() {
        for form in [b"RF64", b"BW64"] {
            let v = wav(
                form,
                &[
                    ds64(0, 16000),
                    chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                    data_claiming(u32::MAX, 16000),
                    chunk(b"LIST", &[0; 10]),
                ],
            );
            assert_eq!(run(&v).unwrap().duration_s, Some(1.0));
            // Without ds64 the size is unknown.
            let v = wav(
                form,
                &[
                    chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                    data_claiming(u32::MAX, 16000),
                ],
            );
            assert!(matches!(
                run(&v),
                Err(Error::Malformed {
                    format: "wav (ds64)",
                    ..
                })
            ));
        }
        // A ds64 data size of 2^64-1 is a placeholder (the bytes present);
        // one past the end is a file cut short.
        for size in [1 << 40, u64::MAX] {
            let v = wav(
                b"RF64",
                &[
                    ds64(0, size),
                    chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                    data_claiming(u32::MAX, 800),
                ],
            );
            if size == u64::MAX {
                assert_eq!(run(&v).unwrap().duration_s, Some(0.05));
            } else {
                assert!(matches!(run(&v), Err(Error::Truncated { .. })));
            }
        }
        // A real 32-bit size is used as is in RF64.
        let v = wav(
            b"RF64",
            &[
                ds64(0, 999_999),
                chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                chunk(b"data", &[0; 800]),
            ],
        );
        assert_eq!(run(&v).unwrap().duration_s, Some(0.05));
        // Short ds64.
        let v = wav(
            b"RF64",
            &[
                chunk(b"ds64", &[0; 8]),
                chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                data_claiming(u32::MAX, 8),
            ],
        );
        assert!(matches!(
            run(&v),
            Err(Error::Malformed {
                format: "wav (ds64)",
                reason: "chunk shorter than 24 bytes"
            })
        ));
        // ds64 means nothing in a plain RIFF file.
        let v = wav(
            b"RIFF",
            &[
                ds64(0, 2),
                chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)),
                data_claiming(u32::MAX, 1600),
            ],
        );
        assert_eq!(run(&v).unwrap().duration_s, Some(0.1));
    }

    #[test]
    fn chunk_flood_hits_item_limit() {
        let mut chunks: Vec<Vec<u8>> = (0..100).map(|_| chunk(b"junk", &[])).collect();
        chunks.push(chunk(b"fmt ", &fmt(1, 1, 8000, 2, 16)));
        chunks.push(chunk(b"data", &[0; 2]));
        let v = wav(b"RIFF", &chunks);
        let limits = ProbeLimits::default().max_items(50);
        assert_item_limit(probe(&mut Cursor::new(&v), v.len() as u64, &limits), 50);
        assert!(run(&v).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(mut v in proptest::collection::vec(any::<u8>(), 0..256), form in 0usize..3) {
            if v.len() >= 12 {
                v[..4].copy_from_slice([b"RIFF", b"RF64", b"BW64"][form]);
                v[8..12].copy_from_slice(b"WAVE");
            }
            let _ = run(&v);
        }

        #[test]
        fn mutated_headers_never_panic(
            at in 0usize..120,
            byte in any::<u8>(),
            cut in 0usize..200,
        ) {
            let mut v = wav(b"RF64", &[ds64(0, 40), chunk(b"fmt ", &extensible(1, 2, 8000, 4, 16)), data_claiming(u32::MAX, 40)]);
            if let Some(b) = v.get_mut(at) {
                *b = byte;
            }
            v.truncate(cut);
            if let Ok(i) = run(&v) {
                let d = i.duration_s.unwrap();
                prop_assert!(d.is_finite() && d >= 0.0);
            }
        }
    }
}
