//! PNG / APNG header reader: size from IHDR, orientation from eXIf, frame
//! count from acTL.
//!
//! Specs:
//! - PNG Specification (Third Edition), W3C Recommendation 2025: "PNG
//!   signature", "Chunk layout" (4-byte length ≤ 2^31−1, type, data, CRC),
//!   "IHDR Image header" (first chunk; width and height 1 … 2^31−1), "eXIf
//!   Exchangeable Image File (Exif) Profile" (a TIFF structure), "acTL
//!   Animation Control Chunk" (`num_frames`, `num_plays`; before IDAT).
//! - Extensions to the PNG 1.2 Specification 1.5.0 § 3.7 (eXIf): one eXIf at
//!   most. It allowed eXIf after IDAT too; like the `image` crate (whose PNG
//!   decoder reads metadata up to the first IDAT) we do not look there.
//!
//! The walk reads IHDR, then each chunk header up to the first IDAT, reading
//! only the data of eXIf and acTL and seeking over everything else. Chunk CRCs
//! are not checked. The number of chunks visited is capped by
//! [`ProbeLimits::max_items`].
//!
//! A size the check rules reject (say 65,535 × 65,535) is reported, not an
//! error: nothing is allocated from it. `frames` is `Some(n)` for an APNG
//! whose acTL declares n ≥ 2 frames, `None` for a still PNG (no acTL, or a
//! `num_frames` of 0 or 1).

use super::exif;
use crate::error::{Error, Result};
use crate::info::{Format, MediaInfo};
use crate::read::{array, ProbeLimits};
use std::io::{Read, Seek};

const FORMAT: &str = "png";
const SIGNATURE: [u8; 8] = *b"\x89PNG\r\n\x1a\n";
/// Largest chunk length and image dimension (PNG "Chunk layout", "IHDR").
const MAX_U31: u32 = 0x7FFF_FFFF;

/// Reads the headers of a PNG file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    read(r, size, limits).map_err(|e| e.in_format(FORMAT))
}

fn read<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    if array::<8, _>(r)? != SIGNATURE {
        return Err(Error::malformed(FORMAT, "bad signature"));
    }
    // IHDR: length, type, 13 bytes of data, CRC.
    let h: [u8; 25] = array(r)?;
    if &h[4..8] != b"IHDR" {
        return Err(Error::malformed("png (IHDR)", "first chunk is not IHDR"));
    }
    if h[..4] != 13u32.to_be_bytes() {
        return Err(Error::malformed("png (IHDR)", "length is not 13"));
    }
    let width = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
    let height = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
    if width == 0 || height == 0 {
        return Err(Error::malformed("png (IHDR)", "width or height is 0"));
    }
    if width > MAX_U31 || height > MAX_U31 {
        return Err(Error::malformed(
            "png (IHDR)",
            "width or height above 2^31-1",
        ));
    }

    let mut orientation = None;
    let mut exif_seen = false;
    let mut frames = None;
    let mut chunks = 1u64; // IHDR
    loop {
        crate::read::count_item(&mut chunks, limits.max_items)?;
        let c: [u8; 8] = array(r)?;
        let len = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        if len > MAX_U31 {
            return Err(Error::malformed(FORMAT, "chunk length above 2^31-1"));
        }
        let len = u64::from(len);
        match &[c[4], c[5], c[6], c[7]] {
            b"IDAT" => break,
            b"IEND" => return Err(Error::malformed("png (IEND)", "no IDAT before IEND")),
            b"eXIf" if !exif_seen => {
                exif_seen = true;
                orientation = exif::orientation_in(r, len, limits)?;
                crate::read::skip(r, 4)?;
            }
            b"acTL" if frames.is_none() && len >= 8 => {
                let a: [u8; 8] = array(r)?;
                frames = Some(u32::from_be_bytes([a[0], a[1], a[2], a[3]]));
                crate::read::skip(r, len - 8 + 4)?;
            }
            _ => crate::read::skip(r, len + 4)?,
        }
    }
    let mut info = MediaInfo::new(Format::Png, size);
    exif::set_displayed(&mut info, width, height, orientation);
    info.frames = frames.filter(|&n| n >= 2).map(u64::from);
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::exif::build;
    use crate::read::assert_item_limit;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn chunk(ty: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(ty);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]); // CRC, not checked
        v
    }

    fn ihdr(w: u32, h: u32) -> Vec<u8> {
        let mut d = w.to_be_bytes().to_vec();
        d.extend_from_slice(&h.to_be_bytes());
        d.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(b"IHDR", &d)
    }

    fn actl(n: u32) -> Vec<u8> {
        let mut d = n.to_be_bytes().to_vec();
        d.extend_from_slice(&0u32.to_be_bytes());
        chunk(b"acTL", &d)
    }

    /// Signature, IHDR, `before` chunks, IDAT, IEND.
    fn png(w: u32, h: u32, before: &[Vec<u8>]) -> Vec<u8> {
        let mut v = SIGNATURE.to_vec();
        v.extend(ihdr(w, h));
        for c in before {
            v.extend_from_slice(c);
        }
        v.extend(chunk(b"IDAT", &[0x78, 0x9C, 1, 2, 3]));
        v.extend(chunk(b"IEND", &[]));
        v
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
    fn plain() {
        assert_eq!(
            dims(&run(&png(800, 600, &[])).unwrap()),
            (800, 600, None, false, None)
        );
        let p = png(
            800,
            600,
            &[chunk(b"gAMA", &[0, 0, 0xB1, 0x8F]), chunk(b"tEXt", b"a\0b")],
        );
        assert_eq!(dims(&run(&p).unwrap()), (800, 600, None, false, None));
    }

    #[test]
    fn every_exif_orientation() {
        for o in 1..=8u16 {
            let p = png(
                1000,
                600,
                &[chunk(b"eXIf", &build::exif_orientation(o % 2 == 0, o))],
            );
            let i = run(&p).unwrap();
            let want = crate::formats::exif::transform(o).unwrap();
            let wh = if o >= 5 { (600, 1000) } else { (1000, 600) };
            assert_eq!(
                dims(&i),
                (wh.0, wh.1, Some(want.rotation), want.mirrored, None),
                "o={o}"
            );
        }
        // "Exif\0\0"-prefixed eXIf (seen in the wild) is accepted too.
        let mut d = b"Exif\0\0".to_vec();
        d.extend(build::exif_orientation(false, 8));
        let i = run(&png(1000, 600, &[chunk(b"eXIf", &d)])).unwrap();
        assert_eq!(dims(&i), (600, 1000, Some(270), false, None));
    }

    #[test]
    fn exif_after_idat_is_not_read() {
        let mut v = SIGNATURE.to_vec();
        v.extend(ihdr(1000, 600));
        v.extend(chunk(b"IDAT", &[1]));
        v.extend(chunk(b"eXIf", &build::exif_orientation(false, 6)));
        v.extend(chunk(b"IEND", &[]));
        assert_eq!(dims(&run(&v).unwrap()), (1000, 600, None, false, None));
    }

    #[test]
    fn broken_exif_is_ignored_and_walk_continues() {
        let p = png(1000, 600, &[chunk(b"eXIf", b"II*\0\xff\0\0\0"), actl(3)]);
        assert_eq!(dims(&run(&p).unwrap()), (1000, 600, None, false, Some(3)));
    }

    #[test]
    fn apng_frames() {
        assert_eq!(run(&png(400, 400, &[actl(3)])).unwrap().frames, Some(3));
        assert_eq!(
            run(&png(400, 400, &[actl(u32::MAX)])).unwrap().frames,
            Some(u64::from(u32::MAX))
        );
        assert_eq!(run(&png(400, 400, &[actl(1)])).unwrap().frames, None);
        assert_eq!(run(&png(400, 400, &[actl(0)])).unwrap().frames, None);
        // A short acTL is skipped like an unknown chunk.
        assert_eq!(
            run(&png(400, 400, &[chunk(b"acTL", &[0, 0, 0, 5])]))
                .unwrap()
                .frames,
            None
        );
    }

    #[test]
    fn huge_declared_sizes_are_reported() {
        assert_eq!(
            dims(&run(&png(65535, 65535, &[])).unwrap()),
            (65535, 65535, None, false, None)
        );
        assert_eq!(
            dims(&run(&png(MAX_U31, MAX_U31, &[])).unwrap()),
            (MAX_U31, MAX_U31, None, false, None)
        );
    }

    #[test]
    fn bad_sizes() {
        for (w, h) in [(0, 1), (1, 0), (0, 0)] {
            let e = run(&png(w, h, &[])).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Malformed {
                        reason: "width or height is 0",
                        ..
                    }
                ),
                "{w}x{h}"
            );
        }
        for (w, h) in [(MAX_U31 + 1, 1), (1, u32::MAX)] {
            let e = run(&png(w, h, &[])).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Malformed {
                        reason: "width or height above 2^31-1",
                        ..
                    }
                ),
                "{w}x{h}"
            );
        }
    }

    #[test]
    fn hostile_structures() {
        let e = |v: &[u8]| run(v).unwrap_err();
        let mut v = SIGNATURE.to_vec();
        v.extend(chunk(b"gAMA", &[0; 13]));
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "first chunk is not IHDR",
                ..
            }
        ));
        let mut v = SIGNATURE.to_vec();
        v.extend(chunk(b"IHDR", &[0; 14]));
        v.extend([0; 8]);
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "length is not 13",
                ..
            }
        ));
        let mut v = png(1, 1, &[]);
        v[0] = 0;
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "bad signature",
                ..
            }
        ));
        // IEND before any IDAT.
        let mut v = SIGNATURE.to_vec();
        v.extend(ihdr(10, 10));
        v.extend(chunk(b"IEND", &[]));
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "no IDAT before IEND",
                ..
            }
        ));
        // Chunk length 2^32-1.
        let mut v = SIGNATURE.to_vec();
        v.extend(ihdr(10, 10));
        v.extend([0xFF, 0xFF, 0xFF, 0xFF]);
        v.extend(b"tEXt");
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "chunk length above 2^31-1",
                ..
            }
        ));
        // Chunk length 2^31-1 past the end: truncated at the next header.
        let mut v = SIGNATURE.to_vec();
        v.extend(ihdr(10, 10));
        v.extend(MAX_U31.to_be_bytes());
        v.extend(b"tEXt");
        assert!(matches!(e(&v), Error::Truncated { format: "png", .. }));
        // eXIf claiming more bytes than the file has: truncated, not a panic.
        let mut v = SIGNATURE.to_vec();
        v.extend(ihdr(10, 10));
        v.extend(1000u32.to_be_bytes());
        v.extend(b"eXIf");
        v.extend(build::exif_orientation(false, 6));
        assert!(matches!(e(&v), Error::Truncated { format: "png", .. }));
    }

    #[test]
    fn truncated_at_every_byte_before_idat() {
        let v = png(
            1000,
            600,
            &[chunk(b"eXIf", &build::exif_orientation(true, 6)), actl(2)],
        );
        let idat_header_end = v.windows(4).position(|w| w == b"IDAT").unwrap() + 4;
        for n in 0..idat_header_end {
            let e = run(&v[..n]).unwrap_err();
            assert!(
                matches!(e, Error::Truncated { format: "png", .. }),
                "cut at {n}: {e}"
            );
        }
        assert_eq!(
            dims(&run(&v[..idat_header_end]).unwrap()),
            (600, 1000, Some(90), false, Some(2))
        );
    }

    #[test]
    fn endless_chunk_chain_hits_max_items() {
        let many: Vec<Vec<u8>> = (0..1000).map(|_| chunk(b"tEXt", b"k\0v")).collect();
        let v = png(10, 10, &many);
        let l = ProbeLimits::default().max_items(100);
        assert_item_limit(probe(&mut Cursor::new(&v), v.len() as u64, &l), 100);
        assert!(run(&v).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut v = SIGNATURE.to_vec();
            v.extend(tail);
            let _ = run(&v);
        }

        #[test]
        fn mutated_headers_never_panic(o in 0u16..10, i in 0usize..160, x in any::<u8>(), cut in 0usize..200) {
            let mut v = png(1000, 600, &[chunk(b"eXIf", &build::exif_orientation(false, o)), actl(3)]);
            if let Some(b) = v.get_mut(i) { *b ^= x; }
            v.truncate(cut);
            if let Ok(info) = run(&v) {
                let (w, h) = (info.width.unwrap(), info.height.unwrap());
                prop_assert!(w > 0 && h > 0 && w <= MAX_U31 && h <= MAX_U31);
            }
        }
    }
}
