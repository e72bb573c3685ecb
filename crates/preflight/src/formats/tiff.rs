//! TIFF header reader: size and orientation from the first IFD.
//!
//! Spec: TIFF 6.0 (Adobe, 1992), Section 2 (header: `II*\0` little-endian or
//! `MM\0*` big-endian, then the offset of IFD0; an IFD is a 2-byte entry count
//! and 12-byte entries), Section 8 (`ImageWidth` 0x0100 and `ImageLength`
//! 0x0101, SHORT or LONG; `Orientation` 0x0112, SHORT 1–8, whose meaning is
//! EXIF's).
//!
//! Only IFD0 (the first page) is read, through [`super::exif::read_ifd0`]:
//! the header, the entry count and the entries, every offset checked against
//! the file size first. An offset or entry table past the end of the file is
//! [`Error::Truncated`]; a missing or zero size is [`Error::Malformed`]. The
//! reported size is the displayed one (orientation 5–8 swaps it). `frames` is
//! `None` (pages are not counted).

use super::exif;
use crate::error::{Error, Result};
use crate::info::{Format, MediaInfo};
use crate::read::ProbeLimits;
use std::io::{Read, Seek};

const FORMAT: &str = "tiff (IFD0)";

/// Reads the headers of a TIFF file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let ifd = exif::read_ifd0(r, size, true, FORMAT, limits).map_err(|e| e.in_format("tiff"))?;
    let width = ifd
        .width
        .ok_or_else(|| Error::malformed(FORMAT, "no ImageWidth"))?;
    let height = ifd
        .height
        .ok_or_else(|| Error::malformed(FORMAT, "no ImageLength"))?;
    if width == 0 || height == 0 {
        return Err(Error::malformed(FORMAT, "width or height is 0"));
    }
    let mut info = MediaInfo::new(Format::Tiff, size);
    exif::set_displayed(&mut info, width, height, ifd.orientation);
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::exif::build::{long, short, tiff};
    use proptest::prelude::*;
    use std::io::Cursor;

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

    /// A TIFF with the usual first entries and 100 bytes of "strip data".
    fn file(be: bool, w: u32, h: u32, o: Option<u16>) -> Vec<u8> {
        let mut e = vec![
            long(be, 0x00FE, 0),
            short(be, 0x0100, w as u16),
            long(be, 0x0101, h),
            short(be, 0x0102, 8),
            short(be, 0x0103, 5),
        ];
        if let Some(o) = o {
            e.push(short(be, 0x0112, o));
        }
        e.push(short(be, 0x0115, 3));
        tiff(be, &e, &[0x33; 100])
    }

    #[test]
    fn both_byte_orders() {
        for be in [false, true] {
            assert_eq!(
                dims(&run(&file(be, 640, 480, None)).unwrap()),
                (640, 480, None, false, None)
            );
        }
    }

    #[test]
    fn every_orientation() {
        for be in [false, true] {
            for o in 1..=8u16 {
                let t = exif::transform(o).unwrap();
                let (w, h) = if o >= 5 { (600, 1000) } else { (1000, 600) };
                let got = dims(&run(&file(be, 1000, 600, Some(o))).unwrap());
                assert_eq!(
                    got,
                    (w, h, Some(t.rotation), t.mirrored, None),
                    "be={be} o={o}"
                );
            }
            // 0 and 9 are not orientations: ignored.
            for o in [0, 9] {
                let got = dims(&run(&file(be, 1000, 600, Some(o))).unwrap());
                assert_eq!(got, (1000, 600, None, false, None));
            }
        }
    }

    #[test]
    fn huge_and_zero_sizes() {
        let be = false;
        let t = tiff(be, &[long(be, 0x0100, 65535), long(be, 0x0101, 65535)], &[]);
        assert_eq!(dims(&run(&t).unwrap()), (65535, 65535, None, false, None));
        let t = tiff(
            be,
            &[long(be, 0x0100, u32::MAX), long(be, 0x0101, u32::MAX)],
            &[],
        );
        assert_eq!(
            dims(&run(&t).unwrap()),
            (u32::MAX, u32::MAX, None, false, None)
        );
        let t = tiff(be, &[long(be, 0x0100, 0), long(be, 0x0101, 5)], &[]);
        assert!(matches!(
            run(&t),
            Err(Error::Malformed {
                reason: "width or height is 0",
                ..
            })
        ));
        let t = tiff(be, &[long(be, 0x0101, 5)], &[]);
        assert!(matches!(
            run(&t),
            Err(Error::Malformed {
                reason: "no ImageWidth",
                ..
            })
        ));
        let t = tiff(be, &[long(be, 0x0100, 5)], &[]);
        assert!(matches!(
            run(&t),
            Err(Error::Malformed {
                reason: "no ImageLength",
                ..
            })
        ));
        // A RATIONAL width is not a width.
        let t = tiff(be, &[(0x0100, 5, 1, [0; 4]), long(be, 0x0101, 5)], &[]);
        assert!(matches!(
            run(&t),
            Err(Error::Malformed {
                reason: "no ImageWidth",
                ..
            })
        ));
    }

    #[test]
    fn truncated_at_every_byte() {
        let v = file(true, 640, 480, Some(6));
        // Header 8 + count 2 + 7 entries.
        let entries_end = 8 + 2 + 7 * 12;
        for n in 0..entries_end {
            let e = run(&v[..n]).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Truncated {
                        format: "tiff (IFD0)",
                        ..
                    }
                ),
                "cut at {n}: {e}"
            );
        }
        assert_eq!(
            dims(&run(&v[..entries_end]).unwrap()),
            (480, 640, Some(90), false, None)
        );
    }

    #[test]
    fn offsets_past_the_end() {
        let mut v = file(false, 640, 480, None);
        v[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            run(&v),
            Err(Error::Truncated {
                reason: "IFD0 offset past the end",
                ..
            })
        ));
        let mut v = file(false, 640, 480, None);
        v[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
        assert!(matches!(
            run(&v),
            Err(Error::Truncated {
                reason: "IFD0 entries past the end",
                ..
            })
        ));
        let mut v = file(false, 640, 480, None);
        v[4..8].copy_from_slice(&2u32.to_le_bytes());
        assert!(matches!(
            run(&v),
            Err(Error::Malformed {
                reason: "IFD0 offset inside the TIFF header",
                ..
            })
        ));
    }

    #[test]
    fn reads_only_what_it_needs() {
        // IFD0 at the end of the file, after the strip data, as many writers place it.
        let be = false;
        let mut v = b"II*\0".to_vec();
        v.extend_from_slice(&108u32.to_le_bytes());
        v.extend_from_slice(&[0x44; 100]);
        v.extend_from_slice(&2u16.to_le_bytes());
        for (tag, val) in [(0x0100u16, 300u32), (0x0101, 200)] {
            let (t, ty, c, b) = long(be, tag, val);
            v.extend_from_slice(&t.to_le_bytes());
            v.extend_from_slice(&ty.to_le_bytes());
            v.extend_from_slice(&c.to_le_bytes());
            v.extend_from_slice(&b);
        }
        let mut c = Cursor::new(&v);
        let i = probe(&mut c, v.len() as u64, &ProbeLimits::default()).unwrap();
        assert_eq!(dims(&i), (300, 200, None, false, None));
        // The strip data was sought over, not read.
        assert_eq!(c.position(), v.len() as u64);
        // Once size and orientation are known, later entries are not read.
        let v = file(false, 640, 480, Some(6));
        let mut c = Cursor::new(&v);
        probe(&mut c, v.len() as u64, &ProbeLimits::default()).unwrap();
        assert_eq!(c.position(), 8 + 2 + 6 * 12);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(be in any::<bool>(), tail in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut v = if be { b"MM\0*".to_vec() } else { b"II*\0".to_vec() };
            v.extend(tail);
            let _ = run(&v);
        }

        #[test]
        fn mutated_headers_never_panic(be in any::<bool>(), o in 0u16..10, i in 0usize..100, x in any::<u8>(), cut in 0usize..220) {
            let mut v = file(be, 1000, 600, Some(o));
            if let Some(b) = v.get_mut(i) { *b ^= x; }
            v.truncate(cut);
            if let Ok(info) = run(&v) {
                prop_assert!(info.width.unwrap() > 0 && info.height.unwrap() > 0);
            }
        }
    }
}
