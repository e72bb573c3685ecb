//! WebP header reader: lossy (`VP8 `), lossless (`VP8L`) and extended
//! (`VP8X`: canvas, EXIF orientation, animation frames).
//!
//! Specs:
//! - RFC 9649 "WebP Image Format" (2024), "WebP Container Specification": the
//!   RIFF header (`RIFF`, size, `WEBP`) and chunks (FourCC, u32 little-endian
//!   size, data, a pad byte to an even size); "Simple File Format (Lossy)"
//!   (`VP8 `) and "(Lossless)" (`VP8L`); "Extended File Format": `VP8X`
//!   (flags; canvas width − 1 and height − 1 as u24 LE), `ANIM`, `ANMF` (one
//!   per frame), `EXIF` (a TIFF structure).
//! - RFC 6386 "VP8 Data Format and Decoding Guide" § 9.1: a key frame's 3-byte
//!   frame tag (bit 0 = 0 for a key frame), start code `9d 01 2a`, then width
//!   and height as u16 LE whose low 14 bits are the size (top 2 bits: scale).
//! - RFC 9649, "Specification for WebP Lossless Bitstream", header: signature
//!   `0x2f`, then 14 bits width − 1, 14 bits height − 1, 1 bit alpha, 3 bits
//!   version (0).
//!
//! This module reads its RIFF chunks itself (it needs only the header of each).
//! Every chunk must end inside the RIFF size; the walk is bounded by it, by
//! the data and by [`ProbeLimits::max_items`].
//!
//! A file shorter than its RIFF size is [`Error::Truncated`] (the size is
//! known without reading the data). A simple file (`VP8 `, `VP8L`) is read
//! from its first chunk. An extended
//! file is judged on its `VP8X` canvas; the walk then visits every chunk
//! header, seeking over the data, to read the first `EXIF` chunk and count
//! `ANMF` chunks. `frames` is `Some(n)` for n `ANMF` frames when the animation
//! flag is set, else `Some(1)` (a still). The `EXIF` chunk is read
//! whether or not its flag is set, as exiftool does.

use super::exif;
use crate::error::{Error, Result};
use crate::info::{Format, MediaInfo};
use crate::read::{array, read_up_to, ProbeLimits};
use std::io::{Read, Seek};

const FORMAT: &str = "webp";
/// VP8X flag: the file is an animation.
const FLAG_ANIMATION: u8 = 0x02;

/// Reads the headers of a WebP file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    read(r, size, limits).map_err(|e| e.in_format(FORMAT))
}

/// One chunk header: FourCC and the data size (without the pad byte).
struct Chunk {
    id: [u8; 4],
    len: u64,
}

/// Reads the chunk header at `*pos` (the current position), checking that the
/// chunk ends inside `riff_end`. `None` when fewer than 8 bytes remain in the RIFF.
fn chunk<R: Read>(r: &mut R, pos: &mut u64, riff_end: u64) -> Result<Option<Chunk>> {
    if pos.saturating_add(8) > riff_end {
        return Ok(None);
    }
    let mut h = [0u8; 8];
    if read_up_to(r, &mut h)? < 8 {
        return Err(Error::truncated(
            FORMAT,
            "chunk header past the end of the data",
        ));
    }
    let len = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
    *pos += 8;
    if *pos + len > riff_end {
        return Err(Error::malformed(FORMAT, "chunk extends past the RIFF size"));
    }
    Ok(Some(Chunk {
        id: [h[0], h[1], h[2], h[3]],
        len,
    }))
}

fn read<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let h: [u8; 12] = array(r)?;
    if &h[..4] != b"RIFF" || &h[8..12] != b"WEBP" {
        return Err(Error::malformed(FORMAT, "not a RIFF/WEBP file"));
    }
    let riff_end = 8 + u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
    if riff_end > size {
        return Err(Error::truncated(FORMAT, "data ends before the RIFF size"));
    }
    let mut pos = 12u64;
    let Some(first) = chunk(r, &mut pos, riff_end)? else {
        return Err(Error::malformed(
            FORMAT,
            "RIFF size leaves no room for a chunk",
        ));
    };
    let mut info = MediaInfo::new(Format::Webp, size);
    info.frames = Some(1);
    match &first.id {
        b"VP8 " => {
            let (w, h) = vp8(r, first.len)?;
            exif::set_displayed(&mut info, w, h, None);
        }
        b"VP8L" => {
            let (w, h) = vp8l(r, first.len)?;
            exif::set_displayed(&mut info, w, h, None);
        }
        b"VP8X" => {
            if first.len < 10 {
                return Err(Error::malformed(
                    "webp (VP8X)",
                    "chunk shorter than 10 bytes",
                ));
            }
            let x: [u8; 10] = array(r)?;
            let flags = x[0];
            let w = u32::from_le_bytes([x[4], x[5], x[6], 0]) + 1;
            let h = u32::from_le_bytes([x[7], x[8], x[9], 0]) + 1;
            pos += 10;
            let rest = first.len - 10 + (first.len & 1);
            crate::read::skip(r, rest)?;
            pos += rest;
            let (orientation, anmf) = walk_extended(r, pos, riff_end, limits)?;
            exif::set_displayed(&mut info, w, h, orientation);
            info.frames = Some(if flags & FLAG_ANIMATION != 0 && anmf >= 1 {
                anmf
            } else {
                1
            });
        }
        _ => {
            return Err(Error::malformed(
                FORMAT,
                "first chunk is not VP8, VP8L or VP8X",
            ))
        }
    }
    Ok(info)
}

/// Reads a `VP8 ` key frame header (RFC 6386 § 9.1).
fn vp8<R: Read>(r: &mut R, len: u64) -> Result<(u32, u32)> {
    if len < 10 {
        return Err(Error::malformed(
            "webp (VP8)",
            "chunk shorter than a frame header",
        ));
    }
    let b: [u8; 10] = array(r)?;
    if b[0] & 1 != 0 {
        return Err(Error::malformed(
            "webp (VP8)",
            "first frame is not a key frame",
        ));
    }
    if b[3..6] != [0x9D, 0x01, 0x2A] {
        return Err(Error::malformed("webp (VP8)", "bad start code"));
    }
    let w = u32::from(u16::from_le_bytes([b[6], b[7]]) & 0x3FFF);
    let h = u32::from(u16::from_le_bytes([b[8], b[9]]) & 0x3FFF);
    if w == 0 || h == 0 {
        return Err(Error::malformed("webp (VP8)", "width or height is 0"));
    }
    Ok((w, h))
}

/// Reads a `VP8L` header (RFC 9649, lossless bitstream header).
fn vp8l<R: Read>(r: &mut R, len: u64) -> Result<(u32, u32)> {
    if len < 5 {
        return Err(Error::malformed(
            "webp (VP8L)",
            "chunk shorter than a header",
        ));
    }
    let b: [u8; 5] = array(r)?;
    if b[0] != 0x2F {
        return Err(Error::malformed("webp (VP8L)", "bad signature"));
    }
    let bits = u32::from_le_bytes([b[1], b[2], b[3], b[4]]);
    if bits >> 29 != 0 {
        return Err(Error::malformed("webp (VP8L)", "unknown version"));
    }
    Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
}

/// Walks the chunks after `VP8X`: the first `EXIF` chunk's orientation and the `ANMF` count.
fn walk_extended<R: Read + Seek>(
    r: &mut R,
    mut pos: u64,
    riff_end: u64,
    limits: &ProbeLimits,
) -> Result<(Option<u16>, u64)> {
    let mut orientation = None;
    let mut exif_seen = false;
    let mut anmf = 0u64;
    let mut chunks = 1u64; // VP8X
    while let Some(c) = chunk(r, &mut pos, riff_end)? {
        crate::read::count_item(&mut chunks, limits.max_items)?;
        let padded = c.len + (c.len & 1);
        match &c.id {
            b"EXIF" if !exif_seen => {
                exif_seen = true;
                orientation = exif::orientation_in(r, c.len, limits)?;
                crate::read::skip(r, c.len & 1)?;
            }
            b"ANMF" => {
                anmf += 1;
                crate::read::skip(r, padded)?;
            }
            _ => crate::read::skip(r, padded)?,
        }
        pos += padded;
    }
    Ok((orientation, anmf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::exif::build;
    use crate::read::assert_item_limit;
    use proptest::prelude::*;
    use std::io::Cursor;

    /// VP8X flag: the file holds an `EXIF` chunk.
    const FLAG_EXIF: u8 = 0x08;

    fn chunk(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&(4 + body.len() as u32).to_le_bytes());
        v.extend_from_slice(b"WEBP");
        v.extend(body);
        v
    }

    fn vp8_chunk(w: u16, h: u16) -> Vec<u8> {
        let mut d = vec![0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A];
        d.extend_from_slice(&w.to_le_bytes());
        d.extend_from_slice(&h.to_le_bytes());
        d.extend_from_slice(&[0x11; 21]); // odd length: padded
        chunk(b"VP8 ", &d)
    }

    fn vp8l_chunk(w: u32, h: u32) -> Vec<u8> {
        let bits = (w - 1) | ((h - 1) << 14) | (1 << 28);
        let mut d = vec![0x2F];
        d.extend_from_slice(&bits.to_le_bytes());
        d.extend_from_slice(&[0x22; 8]);
        chunk(b"VP8L", &d)
    }

    fn vp8x_chunk(flags: u8, w: u32, h: u32) -> Vec<u8> {
        let mut d = vec![flags, 0, 0, 0];
        d.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
        d.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
        chunk(b"VP8X", &d)
    }

    fn anmf() -> Vec<u8> {
        let mut d = vec![0u8; 16];
        d.extend(vp8_chunk(8, 8));
        chunk(b"ANMF", &d)
    }

    fn run(b: &[u8]) -> Result<MediaInfo> {
        probe(&mut Cursor::new(b), b.len() as u64, &ProbeLimits::default())
    }

    fn dims(i: &MediaInfo) -> (u32, u32, Option<u32>, bool, Option<u64>) {
        (
            i.width.unwrap(),
            i.height.unwrap(),
            i.rotation,
            i.mirrored,
            i.frames,
        )
    }

    #[test]
    fn simple_lossy_and_lossless() {
        assert_eq!(
            dims(&run(&riff(&[vp8_chunk(800, 600)])).unwrap()),
            (800, 600, None, false, Some(1))
        );
        // The top 2 bits of each VP8 dimension are a scale, not size.
        let v = riff(&[vp8_chunk(800 | 0xC000, 600 | 0x4000)]);
        assert_eq!(dims(&run(&v).unwrap()), (800, 600, None, false, Some(1)));
        assert_eq!(
            dims(&run(&riff(&[vp8l_chunk(640, 480)])).unwrap()),
            (640, 480, None, false, Some(1))
        );
        assert_eq!(
            dims(&run(&riff(&[vp8l_chunk(16384, 16384)])).unwrap()),
            (16384, 16384, None, false, Some(1))
        );
        assert_eq!(
            dims(&run(&riff(&[vp8l_chunk(1, 1)])).unwrap()),
            (1, 1, None, false, Some(1))
        );
    }

    #[test]
    fn extended_every_orientation() {
        for o in 1..=8u16 {
            let v = riff(&[
                vp8x_chunk(FLAG_EXIF, 1000, 600),
                vp8_chunk(1000, 600),
                chunk(b"EXIF", &build::exif_orientation(o % 3 == 0, o)),
            ]);
            let t = exif::transform(o).unwrap();
            let (w, h) = if o >= 5 { (600, 1000) } else { (1000, 600) };
            assert_eq!(
                dims(&run(&v).unwrap()),
                (w, h, Some(t.rotation), t.mirrored, Some(1)),
                "o={o}"
            );
        }
        // Read even without the flag, and with an "Exif\0\0" prefix.
        let mut d = b"Exif\0\0".to_vec();
        d.extend(build::exif_orientation(false, 6));
        let v = riff(&[
            vp8x_chunk(0, 1000, 600),
            vp8l_chunk(1000, 600),
            chunk(b"EXIF", &d),
        ]);
        assert_eq!(
            dims(&run(&v).unwrap()),
            (600, 1000, Some(90), false, Some(1))
        );
    }

    #[test]
    fn animation_counts_anmf_and_judges_canvas() {
        let mut cs = vec![
            vp8x_chunk(FLAG_ANIMATION, 400, 400),
            chunk(b"ANIM", &[0; 6]),
        ];
        cs.extend((0..3).map(|_| anmf()));
        assert_eq!(
            dims(&run(&riff(&cs)).unwrap()),
            (400, 400, None, false, Some(3))
        );
        // One frame: a still.
        let v = riff(&[
            vp8x_chunk(FLAG_ANIMATION, 400, 400),
            chunk(b"ANIM", &[0; 6]),
            anmf(),
        ]);
        assert_eq!(run(&v).unwrap().frames, Some(1));
        // ANMF without the animation flag is not an animation: a still.
        let v = riff(&[vp8x_chunk(0, 400, 400), anmf(), anmf()]);
        assert_eq!(run(&v).unwrap().frames, Some(1));
        // Largest canvas: 2^24 x 2^24, reported as is.
        let v = riff(&[vp8x_chunk(0, 1 << 24, 1 << 24), vp8_chunk(8, 8)]);
        assert_eq!(
            dims(&run(&v).unwrap()),
            (1 << 24, 1 << 24, None, false, Some(1))
        );
        let v = riff(&[vp8x_chunk(0, 65535, 65535), vp8_chunk(8, 8)]);
        assert_eq!(
            dims(&run(&v).unwrap()),
            (65535, 65535, None, false, Some(1))
        );
    }

    #[test]
    fn odd_riff_size_without_final_pad_is_accepted() {
        let mut v = riff(&[
            vp8x_chunk(FLAG_EXIF, 100, 100),
            vp8_chunk(100, 100),
            chunk(b"XMP ", b"abc"),
        ]);
        v.pop(); // drop the last pad byte
        let riff_size = (v.len() - 8) as u32;
        v[4..8].copy_from_slice(&riff_size.to_le_bytes());
        assert_eq!(dims(&run(&v).unwrap()), (100, 100, None, false, Some(1)));
    }

    #[test]
    fn hostile_structures() {
        let e = |v: &[u8]| run(v).unwrap_err();
        let mut v = riff(&[vp8_chunk(8, 8)]);
        v[8] = b'X';
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "not a RIFF/WEBP file",
                ..
            }
        ));
        let mut v = riff(&[vp8_chunk(8, 8)]);
        v[4..8].copy_from_slice(&4u32.to_le_bytes());
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "RIFF size leaves no room for a chunk",
                ..
            }
        ));
        // A chunk claiming 2^32-1 bytes.
        let mut v = riff(&[vp8_chunk(8, 8)]);
        v[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "chunk extends past the RIFF size",
                ..
            }
        ));
        assert!(matches!(
            e(&riff(&[chunk(b"ALPH", &[0; 10])])),
            Error::Malformed {
                reason: "first chunk is not VP8, VP8L or VP8X",
                ..
            }
        ));
        assert!(matches!(
            e(&riff(&[chunk(b"VP8 ", &[0; 9])])),
            Error::Malformed {
                format: "webp (VP8)",
                ..
            }
        ));
        let mut c = vp8_chunk(8, 8);
        c[8] |= 1; // inter frame
        assert!(matches!(
            e(&riff(&[c])),
            Error::Malformed {
                reason: "first frame is not a key frame",
                ..
            }
        ));
        let mut c = vp8_chunk(8, 8);
        c[11] = 0;
        assert!(matches!(
            e(&riff(&[c])),
            Error::Malformed {
                reason: "bad start code",
                ..
            }
        ));
        assert!(matches!(
            e(&riff(&[vp8_chunk(0, 8)])),
            Error::Malformed {
                reason: "width or height is 0",
                ..
            }
        ));
        assert!(matches!(
            e(&riff(&[vp8_chunk(8, 0x4000)])),
            Error::Malformed {
                reason: "width or height is 0",
                ..
            }
        ));
        let mut c = vp8l_chunk(8, 8);
        c[8] = 0x2E;
        assert!(matches!(
            e(&riff(&[c])),
            Error::Malformed {
                reason: "bad signature",
                ..
            }
        ));
        let mut c = vp8l_chunk(8, 8);
        c[12] |= 0x20;
        assert!(matches!(
            e(&riff(&[c])),
            Error::Malformed {
                reason: "unknown version",
                ..
            }
        ));
        assert!(matches!(
            e(&riff(&[chunk(b"VP8L", &[0x2F, 0, 0])])),
            Error::Malformed {
                format: "webp (VP8L)",
                ..
            }
        ));
        assert!(matches!(
            e(&riff(&[chunk(b"VP8X", &[0; 9])])),
            Error::Malformed {
                format: "webp (VP8X)",
                ..
            }
        ));
        // A chunk inside ANMF territory running past the RIFF end.
        let mut v = riff(&[vp8x_chunk(FLAG_ANIMATION, 10, 10), anmf(), anmf()]);
        let last = v.len() - anmf().len();
        v[last + 4..last + 8].copy_from_slice(&1000u32.to_le_bytes());
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "chunk extends past the RIFF size",
                ..
            }
        ));
    }

    #[test]
    fn truncated_at_every_byte() {
        let mut cs = vec![
            vp8x_chunk(FLAG_ANIMATION | FLAG_EXIF, 400, 300),
            chunk(b"ANIM", &[0; 6]),
        ];
        cs.extend((0..3).map(|_| anmf()));
        cs.push(chunk(b"EXIF", &build::exif_orientation(false, 6)));
        let v = riff(&cs);
        assert_eq!(
            dims(&run(&v).unwrap()),
            (300, 400, Some(90), false, Some(3))
        );
        for n in 0..v.len() {
            let e = run(&v[..n]).unwrap_err();
            assert!(
                matches!(e, Error::Truncated { format: "webp", .. }),
                "cut at {n}: {e}"
            );
        }
        // Simple files too: the RIFF size tells, without reading the bitstream.
        let v = riff(&[vp8_chunk(800, 600)]);
        for n in 0..v.len() {
            let e = run(&v[..n]).unwrap_err();
            assert!(
                matches!(e, Error::Truncated { format: "webp", .. }),
                "cut at {n}: {e}"
            );
        }
        // Bytes after the RIFF end are ignored.
        let mut v = v;
        v.extend_from_slice(b"trailing");
        assert_eq!(dims(&run(&v).unwrap()), (800, 600, None, false, Some(1)));
    }

    #[test]
    fn endless_chunk_chain_hits_max_items() {
        let mut cs = vec![vp8x_chunk(0, 10, 10)];
        cs.extend((0..500).map(|_| chunk(b"XMP ", b"")));
        let v = riff(&cs);
        let l = ProbeLimits::default().max_items(100);
        assert_item_limit(probe(&mut Cursor::new(&v), v.len() as u64, &l), 100);
        assert!(run(&v).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut v = b"RIFF\xff\xff\xff\xffWEBP".to_vec();
            v.extend(tail);
            let _ = run(&v);
        }

        #[test]
        fn mutated_headers_never_panic(i in 0usize..300, x in any::<u8>(), cut in 0usize..400) {
            let mut cs = vec![vp8x_chunk(FLAG_ANIMATION | FLAG_EXIF, 400, 300), chunk(b"ANIM", &[0; 6])];
            cs.extend((0..3).map(|_| anmf()));
            cs.push(chunk(b"EXIF", &build::exif_orientation(false, 6)));
            let mut v = riff(&cs);
            if let Some(b) = v.get_mut(i) { *b ^= x; }
            v.truncate(cut);
            if let Ok(info) = run(&v) {
                prop_assert!(info.width.unwrap() > 0 && info.height.unwrap() > 0);
            }
        }
    }
}
