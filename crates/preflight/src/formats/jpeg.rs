//! JPEG header reader: size from the first frame header, orientation from EXIF.
//!
//! Specs:
//! - ITU-T T.81 (ISO/IEC 10918-1) Annex B: § B.1.1.2 markers (any marker may
//!   be preceded by fill bytes `0xFF`), § B.1.1.4 marker segments (2-byte length
//!   that counts itself), § B.2.2 frame header (SOF*n*: P, Y, X, Nf, then Nf × 3
//!   bytes), Table B.1 (C4 = DHT, C8 = JPG, CC = DAC are not frame headers;
//!   D0–D7 RST*m*, 01 TEM stand alone), § B.2.5 (Y = 0: the height comes in a
//!   DNL segment after the first scan).
//! - EXIF 2.32 (CIPA DC-008-2019) § 4.7.2: APP1 `Exif\0\0` followed by a TIFF
//!   structure (read by [`super::exif`]).
//!
//! Bytes between segments that are not a marker are skipped, as libjpeg
//! does (a warning there, not an error), so a file with stray bytes after a
//! segment is read as every decoder reads it.
//!
//! The walk starts at SOI, seeks over every segment body, reads the first
//! `Exif` APP1 (at most that segment, < 64 KiB) and stops at the first frame
//! header. A scan (SOS) or end of image (EOI) before any frame header is an
//! error. Entropy-coded data is never read. An EXIF APP1 after the frame
//! header is not looked at; nor is an EXIF thumbnail, which sits inside the
//! APP1 segment that is read or skipped whole.
//!
//! `frames` stays `None` (a JPEG is a still); `rotation` is set only when an
//! EXIF Orientation is present.

use super::exif;
use crate::error::{Error, Result};
use crate::info::{Format, MediaInfo};
use crate::read::{array, ProbeLimits, ReadExt};
use std::io::{Read, Seek};

const FORMAT: &str = "jpeg";

/// Whether marker `m` starts a frame header (SOF0–SOF15 except DHT, JPG, DAC).
fn is_sof(m: u8) -> bool {
    (0xC0..=0xCF).contains(&m) && !matches!(m, 0xC4 | 0xC8 | 0xCC)
}

/// Reads the headers of a JPEG file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    read(r, size, limits).map_err(|e| e.in_format(FORMAT))
}

fn read<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    if array::<2, _>(r)? != [0xFF, 0xD8] {
        return Err(Error::malformed(FORMAT, "missing SOI marker"));
    }
    let mut orientation = None;
    let mut exif_seen = false;
    let mut segments = 0u64;
    loop {
        crate::read::count_item(&mut segments, limits.max_items)?;
        let m = next_marker(r)?;
        match m {
            0x01 | 0xD0..=0xD7 => continue, // TEM, RSTm: no length
            0xD8 => return Err(Error::malformed(FORMAT, "second SOI before a frame header")),
            0xD9 => {
                return Err(Error::malformed(
                    FORMAT,
                    "end of image before a frame header",
                ))
            }
            0xDA => return Err(Error::malformed("jpeg (SOS)", "scan before a frame header")),
            _ => {}
        }
        let len = r.u16_be()?;
        let body = len
            .checked_sub(2)
            .ok_or_else(|| Error::malformed(FORMAT, "segment length below 2"))?;
        if is_sof(m) {
            return frame_header(r, body, size, orientation);
        }
        if m == 0xE1 && !exif_seen && body >= 6 {
            let id: [u8; 6] = array(r)?;
            if &id == b"Exif\0\0" {
                exif_seen = true;
                orientation = exif::orientation_in(r, u64::from(body - 6), limits)?;
            } else {
                crate::read::skip(r, u64::from(body - 6))?;
            }
            continue;
        }
        crate::read::skip(r, u64::from(body))?;
    }
}

/// The next marker, read as libjpeg's `next_marker` does: bytes that are
/// not a marker (stray data between segments, `FF 00`) are skipped, and so
/// are fill bytes `0xFF` (T.81 § B.1.1.2). Each skipped byte is one byte read,
/// so the skipping is bounded by the file and by `max_bytes_read`.
fn next_marker<R: Read>(r: &mut R) -> Result<u8> {
    loop {
        while r.u8()? != 0xFF {}
        let mut m = r.u8()?;
        while m == 0xFF {
            m = r.u8()?;
        }
        if m != 0 {
            return Ok(m);
        }
    }
}

/// Reads a frame header body of `body` bytes (T.81 § B.2.2).
fn frame_header<R: Read>(
    r: &mut R,
    body: u16,
    size: u64,
    orientation: Option<u16>,
) -> Result<MediaInfo> {
    if body < 6 {
        return Err(Error::malformed(
            "jpeg (SOF)",
            "frame header shorter than 6 bytes",
        ));
    }
    let [_precision, h0, h1, w0, w1, components] = array(r)?;
    let height = u16::from_be_bytes([h0, h1]);
    let width = u16::from_be_bytes([w0, w1]);
    if components == 0 {
        return Err(Error::malformed("jpeg (SOF)", "no components"));
    }
    if u32::from(body) < 6 + 3 * u32::from(components) {
        return Err(Error::malformed(
            "jpeg (SOF)",
            "frame header shorter than its components",
        ));
    }
    if width == 0 {
        return Err(Error::malformed("jpeg (SOF)", "width is 0"));
    }
    if height == 0 {
        return Err(Error::unsupported(
            "jpeg (SOF)",
            "height defined by a DNL marker",
        ));
    }
    let mut info = MediaInfo::new(Format::Jpeg, size);
    exif::set_displayed(&mut info, u32::from(width), u32::from(height), orientation);
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::exif::build;
    use crate::read::assert_item_limit;
    use proptest::prelude::*;
    use std::io::Cursor;

    /// A marker segment: FF, marker, length (body + 2), body.
    fn seg(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn sof(marker: u8, w: u16, h: u16) -> Vec<u8> {
        let mut b = vec![8];
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        seg(marker, &b)
    }

    fn app1_exif(tiff: &[u8]) -> Vec<u8> {
        let mut b = b"Exif\0\0".to_vec();
        b.extend_from_slice(tiff);
        seg(0xE1, &b)
    }

    /// SOI, APP0 JFIF, optional APP1 EXIF, DQT, SOF0, DHT, SOS + some scan bytes, EOI.
    fn jpeg(w: u16, h: u16, orientation: Option<u16>) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend(seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        if let Some(o) = orientation {
            v.extend(app1_exif(&build::exif_orientation(true, o)));
        }
        v.extend(seg(0xDB, &[0u8; 65]));
        v.extend(sof(0xC0, w, h));
        v.extend(seg(0xC4, &[0u8; 20]));
        v.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
        v.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56]);
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    fn run(b: &[u8]) -> Result<MediaInfo> {
        probe(&mut Cursor::new(b), b.len() as u64, &ProbeLimits::default())
    }

    fn dims(i: &MediaInfo) -> (u32, u32, Option<u32>, bool) {
        (i.width.unwrap(), i.height.unwrap(), i.rotation, i.mirrored)
    }

    #[test]
    fn plain_baseline() {
        let i = run(&jpeg(1280, 720, None)).unwrap();
        assert_eq!(dims(&i), (1280, 720, None, false));
        assert_eq!(i.frames, None);
    }

    #[test]
    fn every_orientation() {
        let expect = [
            (1000, 600, 0, false),
            (1000, 600, 0, true),
            (1000, 600, 180, false),
            (1000, 600, 180, true),
            (600, 1000, 90, true),
            (600, 1000, 90, false),
            (600, 1000, 270, true),
            (600, 1000, 270, false),
        ];
        for o in 1..=8u16 {
            let (w, h, rot, m) = expect[o as usize - 1];
            assert_eq!(
                dims(&run(&jpeg(1000, 600, Some(o))).unwrap()),
                (w, h, Some(rot), m),
                "o={o}"
            );
        }
        // Invalid orientation values are ignored.
        assert_eq!(
            dims(&run(&jpeg(1000, 600, Some(9))).unwrap()),
            (1000, 600, None, false)
        );
    }

    #[test]
    fn every_sof_kind_and_not_dht_jpg_dac() {
        for m in 0xC0..=0xCFu8 {
            let mut v = vec![0xFF, 0xD8];
            v.extend(sof(m, 300, 200));
            v.extend(sof(0xC0, 40, 30));
            let i = run(&v).unwrap();
            // DHT, JPG and DAC are skipped like any segment; the next SOF counts.
            let want = if matches!(m, 0xC4 | 0xC8 | 0xCC) {
                (40, 30)
            } else {
                (300, 200)
            };
            assert_eq!(
                (i.width.unwrap(), i.height.unwrap()),
                want,
                "marker {m:02X}"
            );
        }
    }

    #[test]
    fn fill_bytes_and_standalone_markers() {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0x01, 0xFF, 0xD3];
        v.extend(sof(0xC2, 640, 480));
        v.insert(8, 0xFF); // fill byte before SOF2 too
        assert_eq!(dims(&run(&v).unwrap()), (640, 480, None, false));
    }

    #[test]
    fn thumbnail_sof_inside_app1_is_not_taken() {
        // EXIF block whose tail holds a whole thumbnail JPEG (with its own SOF).
        let thumb = jpeg(160, 90, None);
        let tiff = build::tiff(false, &[build::short(false, 0x0112, 1)], &thumb);
        let mut v = vec![0xFF, 0xD8];
        v.extend(app1_exif(&tiff));
        v.extend(sof(0xC0, 1280, 720));
        assert_eq!(dims(&run(&v).unwrap()), (1280, 720, Some(0), false));
    }

    #[test]
    fn only_first_exif_and_not_xmp_app1() {
        let mut v = vec![0xFF, 0xD8];
        v.extend(seg(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>"));
        v.extend(app1_exif(&build::exif_orientation(false, 6)));
        v.extend(app1_exif(&build::exif_orientation(false, 3)));
        v.extend(sof(0xC0, 1000, 600));
        assert_eq!(dims(&run(&v).unwrap()), (600, 1000, Some(90), false));
        // An APP1 after the SOF is never read.
        let mut v = vec![0xFF, 0xD8];
        v.extend(sof(0xC0, 1000, 600));
        v.extend(app1_exif(&build::exif_orientation(false, 6)));
        assert_eq!(dims(&run(&v).unwrap()), (1000, 600, None, false));
    }

    #[test]
    fn broken_exif_is_ignored() {
        let mut v = vec![0xFF, 0xD8];
        v.extend(app1_exif(b"MM\0*\xff\xff\xff\xff"));
        v.extend(sof(0xC0, 1000, 600));
        assert_eq!(dims(&run(&v).unwrap()), (1000, 600, None, false));
    }

    #[test]
    fn reads_nothing_after_sof() {
        let v = jpeg(800, 600, Some(1));
        // Marker, length, then P, Y, X, Nf: the component specifications are not read.
        let sof_end = v.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap() + 2 + 2 + 6;
        let mut c = Cursor::new(&v);
        probe(&mut c, v.len() as u64, &ProbeLimits::default()).unwrap();
        assert_eq!(c.position(), sof_end as u64);
        // Everything after the SOF may be missing.
        assert!(run(&v[..sof_end]).is_ok());
    }

    #[test]
    fn truncated_at_every_byte_before_sof_end() {
        let v = jpeg(800, 600, Some(6));
        let sof_end = v.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap() + 2 + 2 + 6;
        for n in 0..sof_end {
            let e = run(&v[..n]).unwrap_err();
            assert!(
                matches!(e, Error::Truncated { format: "jpeg", .. }),
                "cut at {n}: {e}"
            );
        }
    }

    #[test]
    fn zero_sizes() {
        let one = |w, h| {
            let mut v = vec![0xFF, 0xD8];
            v.extend(sof(0xC0, w, h));
            run(&v)
        };
        assert!(matches!(
            one(100, 0),
            Err(Error::Unsupported {
                feature: "height defined by a DNL marker",
                ..
            })
        ));
        assert!(matches!(
            one(0, 100),
            Err(Error::Malformed {
                reason: "width is 0",
                ..
            })
        ));
        assert_eq!(
            dims(&one(65535, 65535).unwrap()),
            (65535, 65535, None, false)
        );
    }

    #[test]
    fn stray_bytes_between_segments_are_skipped_as_libjpeg_does() {
        // An APP0 segment, then junk and a stuffed `FF 00`, then the frame header.
        let mut v = b"\xFF\xD8\xFF\xE0\x00\x04ab".to_vec();
        v.extend_from_slice(b"junk\xFF\x00more");
        v.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 200, 1, 44, 1, 1, 0x11, 0]);
        let i = run(&v).unwrap();
        assert_eq!((i.width, i.height), (Some(300), Some(200)));
    }

    #[test]
    fn hostile_structures() {
        let e = |v: &[u8]| run(v).unwrap_err();
        assert!(matches!(
            e(b"\xFF\xD9"),
            Error::Malformed {
                reason: "missing SOI marker",
                ..
            }
        ));
        // Stray bytes and `FF 00` are skipped; with no marker after them the
        // data ends before a frame header.
        assert!(matches!(e(b"\xFF\xD8\x00"), Error::Truncated { .. }));
        assert!(matches!(e(b"\xFF\xD8\xFF\x00"), Error::Truncated { .. }));
        assert!(matches!(e(b"\xFF\xD8\xFF\xD8"), Error::Malformed { .. }));
        assert!(matches!(
            e(b"\xFF\xD8\xFF\xD9"),
            Error::Malformed {
                reason: "end of image before a frame header",
                ..
            }
        ));
        assert!(matches!(
            e(b"\xFF\xD8\xFF\xDA\x00\x02"),
            Error::Malformed {
                format: "jpeg (SOS)",
                ..
            }
        ));
        assert!(matches!(
            e(b"\xFF\xD8\xFF\xE0\x00\x01"),
            Error::Malformed {
                reason: "segment length below 2",
                ..
            }
        ));
        assert!(matches!(
            e(b"\xFF\xD8\xFF\xC0\x00\x07\x08\x00\x01\x00\x01"),
            Error::Malformed {
                reason: "frame header shorter than 6 bytes",
                ..
            }
        ));
        assert!(matches!(
            e(b"\xFF\xD8\xFF\xC0\x00\x08\x08\x00\x01\x00\x01\x03"),
            Error::Malformed {
                reason: "frame header shorter than its components",
                ..
            }
        ));
        assert!(matches!(
            e(b"\xFF\xD8\xFF\xC0\x00\x08\x08\x00\x01\x00\x01\x00"),
            Error::Malformed {
                reason: "no components",
                ..
            }
        ));
        // A segment length past the end: truncated at the next marker read.
        assert!(matches!(
            e(b"\xFF\xD8\xFF\xE0\xFF\xFF\x00"),
            Error::Truncated { format: "jpeg", .. }
        ));
        // Only fill bytes: truncated.
        let mut v = vec![0xFF, 0xD8];
        v.extend([0xFF; 64]);
        assert!(matches!(e(&v), Error::Truncated { format: "jpeg", .. }));
    }

    #[test]
    fn endless_segments_hit_max_items() {
        let mut v = vec![0xFF, 0xD8];
        for _ in 0..100 {
            v.extend(seg(0xFE, b"comment"));
        }
        v.extend(sof(0xC0, 10, 10));
        let l = ProbeLimits::default().max_items(50);
        assert_item_limit(probe(&mut Cursor::new(&v), v.len() as u64, &l), 50);
        assert!(run(&v).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut v = vec![0xFF, 0xD8];
            v.extend(tail);
            let _ = run(&v);
        }

        #[test]
        fn mutated_headers_never_panic(o in 0u16..10, i in 0usize..200, x in any::<u8>(), cut in 0usize..400) {
            let mut v = jpeg(1000, 600, Some(o));
            if let Some(b) = v.get_mut(i) { *b ^= x; }
            v.truncate(cut);
            if let Ok(info) = run(&v) {
                prop_assert!(info.width.unwrap() > 0 && info.height.unwrap() > 0);
            }
        }
    }
}
