//! EXIF / TIFF first-IFD reader and the EXIF orientation table, shared by the
//! JPEG, PNG, WebP and TIFF readers.
//!
//! Specs:
//! - TIFF 6.0 (Adobe, 1992), Section 2 "TIFF Structure": 8-byte header (`II*\0`
//!   or `MM\0*` + offset of IFD0), IFD = 2-byte entry count, 12-byte entries
//!   (tag, type, count, value or offset), SHORT = type 3, LONG = type 4.
//! - EXIF 2.32 (CIPA DC-008-2019) § 4.6.4 A, tag 0x0112 `Orientation` (SHORT, 1–8)
//!   and § 4.7.2 (APP1 "Exif\0\0" + TIFF structure in JPEG compressed data).
//!
//! [`read_ifd0`] walks IFD0 straight from a reader: it never allocates, reads
//! only the header, the entry count and the entries (plus the few bytes an
//! out-of-line value needs), and checks every offset against the end of the
//! block before seeking. [`orientation`] runs it over a byte slice.
//!
//! # Orientation convention
//!
//! [`transform`] maps an EXIF orientation to the clockwise rotation and the
//! horizontal mirror that turn the *stored* picture into the *displayed* one,
//! applied in that order: rotate clockwise first, then mirror horizontally
//! (the `image` crate's `Orientation::{Rotate90FlipH, Rotate270FlipH}` use the
//! same order). So each mirrored orientation is the horizontal mirror image of
//! an unmirrored one: 2 ↔ 1, 4 ↔ 3, 5 ↔ 6, 7 ↔ 8.
//!
//! | EXIF | name (EXIF § 4.6.4 A)    | rotation | mirrored | swaps width/height |
//! |------|--------------------------|----------|----------|--------------------|
//! | 1    | top-left (normal)        | 0        | no       | no                 |
//! | 2    | top-right                | 0        | yes      | no                 |
//! | 3    | bottom-right             | 180      | no       | no                 |
//! | 4    | bottom-left              | 180      | yes      | no                 |
//! | 5    | left-top (transpose)     | 90       | yes      | yes                |
//! | 6    | right-top                | 90       | no       | yes                |
//! | 7    | right-bottom (transverse)| 270      | yes      | yes                |
//! | 8    | left-bottom              | 270      | no       | yes                |

use crate::error::{Error, LimitKind, Result};
use crate::info::MediaInfo;
use crate::read::{array, io_error, pos, seek_to, ProbeLimits};
use std::io::{Read, Seek};

/// Tag 0x0100, `ImageWidth` (TIFF 6.0 § 8).
const TAG_IMAGE_WIDTH: u16 = 0x0100;
/// Tag 0x0101, `ImageLength` (TIFF 6.0 § 8).
const TAG_IMAGE_LENGTH: u16 = 0x0101;
/// Tag 0x0112, `Orientation` (TIFF 6.0 § 8, EXIF 2.32 § 4.6.4 A).
const TAG_ORIENTATION: u16 = 0x0112;
/// Field type SHORT (16-bit unsigned).
const TYPE_SHORT: u16 = 3;
/// Field type LONG (32-bit unsigned).
const TYPE_LONG: u16 = 4;

/// What IFD0 of a TIFF structure says about the picture.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ifd0 {
    /// `ImageWidth` (SHORT or LONG), if present.
    pub width: Option<u32>,
    /// `ImageLength` (SHORT or LONG), if present.
    pub height: Option<u32>,
    /// `Orientation` (SHORT), only when it is a valid 1–8.
    pub orientation: Option<u16>,
}

/// How to turn the stored picture into the displayed one (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transform {
    /// Clockwise rotation in degrees: 0, 90, 180 or 270. Applied first.
    pub rotation: u32,
    /// Mirror horizontally after rotating.
    pub mirrored: bool,
    /// Whether the displayed width is the stored height (orientations 5–8).
    pub swaps_dimensions: bool,
}

/// Maps an EXIF orientation (1–8) to its [`Transform`]; `None` for any other value.
pub fn transform(orientation: u16) -> Option<Transform> {
    let (rotation, mirrored) = match orientation {
        1 => (0, false),
        2 => (0, true),
        3 => (180, false),
        4 => (180, true),
        5 => (90, true),
        6 => (90, false),
        7 => (270, true),
        8 => (270, false),
        _ => return None,
    };
    Some(Transform {
        rotation,
        mirrored,
        swaps_dimensions: orientation >= 5,
    })
}

/// Fills the displayed `width`/`height`, `rotation` and `mirrored` of `info`
/// from the stored size and an EXIF orientation. Without an orientation (or
/// with an invalid one) the stored size is displayed as is and `rotation`
/// stays `None`.
pub(crate) fn set_displayed(
    info: &mut MediaInfo,
    width: u32,
    height: u32,
    orientation: Option<u16>,
) {
    match orientation.and_then(transform) {
        Some(t) => {
            let (w, h) = if t.swaps_dimensions {
                (height, width)
            } else {
                (width, height)
            };
            info.width = Some(w);
            info.height = Some(h);
            info.rotation = Some(t.rotation);
            info.mirrored = t.mirrored;
        }
        None => {
            info.width = Some(width);
            info.height = Some(height);
        }
    }
}

/// Reads the Orientation tag (1–8) from IFD0 of an EXIF/TIFF block.
///
/// `tiff` starts with the TIFF header (`II*\0` or `MM\0*`); a leading
/// `Exif\0\0` (the JPEG APP1 identifier, which some PNG and WebP writers copy
/// into their EXIF chunks) is skipped. Returns `None` when the block is
/// malformed, has no Orientation, or holds a value outside 1–8.
#[cfg(any(test, feature = "fuzzing"))]
pub fn orientation(tiff: &[u8]) -> Option<u16> {
    let tiff = tiff.strip_prefix(b"Exif\0\0").unwrap_or(tiff);
    let mut c = std::io::Cursor::new(tiff);
    read_ifd0(
        &mut c,
        tiff.len() as u64,
        false,
        "exif",
        &ProbeLimits::default(),
    )
    .ok()?
    .orientation
}

/// Reads the orientation of the EXIF block of `len` bytes at the current
/// position of `r`, leaving `r` at the end of the block.
///
/// A leading `Exif\0\0` is skipped. A malformed or truncated block yields
/// `Ok(None)`, as decoders ignore broken metadata; a spent read budget or an
/// I/O error is returned.
pub(crate) fn orientation_in<R: Read + Seek + ?Sized>(
    r: &mut R,
    len: u64,
    limits: &ProbeLimits,
) -> Result<Option<u16>> {
    let start = pos(r)?;
    let end = start.saturating_add(len);
    let mut body = len;
    if len >= 6 {
        match array::<6, _>(r) {
            Ok(id) if &id == b"Exif\0\0" => body -= 6,
            Ok(_) => seek_forward(r, -6)?,
            Err(e @ (Error::Io(_) | Error::Limit { .. })) => return Err(e),
            Err(_) => {
                seek_to(r, end)?;
                return Ok(None);
            }
        }
    }
    let mut ifd = Walker::new(r, body, "exif");
    match ifd.read_ifd0(false, limits) {
        Ok(i) => {
            ifd.goto_end()?;
            Ok(i.orientation)
        }
        Err(e @ (Error::Io(_) | Error::Limit { .. })) => Err(e),
        Err(_) => {
            seek_to(r, end)?;
            Ok(None)
        }
    }
}

/// Walks IFD0 of the TIFF structure of `len` bytes that starts at the current
/// position of `r`. With `want_size` false it looks for Orientation only.
///
/// Errors name `format`: [`Error::Truncated`] when an offset or the entry
/// table points past `len`, [`Error::Malformed`] for a bad header or an empty
/// IFD, [`Error::Limit`] when the entry count exceeds `limits.max_items`.
pub fn read_ifd0<R: Read + Seek + ?Sized>(
    r: &mut R,
    len: u64,
    want_size: bool,
    format: &'static str,
    limits: &ProbeLimits,
) -> Result<Ifd0> {
    Walker::new(r, len, format).read_ifd0(want_size, limits)
}

/// Moves `n` bytes from the current position (negative: back) without
/// discarding a `BufReader`'s buffer when the target lies inside it.
pub(crate) fn seek_forward<R: Seek + ?Sized>(r: &mut R, n: i64) -> Result<()> {
    r.seek_relative(n).map_err(io_error)
}

/// A cursor over a TIFF structure of `len` bytes inside `r`: `cur` is the
/// offset from the TIFF header, every move is checked against `len`.
struct Walker<'a, R: ?Sized> {
    r: &'a mut R,
    len: u64,
    cur: u64,
    big_endian: bool,
    format: &'static str,
}

impl<'a, R: Read + Seek + ?Sized> Walker<'a, R> {
    fn new(r: &'a mut R, len: u64, format: &'static str) -> Self {
        Walker {
            r,
            len,
            cur: 0,
            big_endian: false,
            format,
        }
    }

    /// Moves to offset `off` of the structure (which the caller has checked).
    fn goto(&mut self, off: u64) -> Result<()> {
        let delta = i64::try_from(off)
            .ok()
            .and_then(|o| o.checked_sub(i64::try_from(self.cur).ok()?))
            .ok_or_else(|| Error::malformed(self.format, "offset beyond 2^63"))?;
        seek_forward(self.r, delta)?;
        self.cur = off;
        Ok(())
    }

    /// Moves to the end of the structure.
    fn goto_end(&mut self) -> Result<()> {
        crate::read::skip(self.r, self.len - self.cur)?;
        self.cur = self.len;
        Ok(())
    }

    /// Fails unless `n` bytes from offset `off` lie inside the structure.
    fn check(&self, off: u64, n: u64, what: &'static str) -> Result<()> {
        match off.checked_add(n) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Error::truncated(self.format, what)),
        }
    }

    fn read<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        self.check(self.cur, N as u64, what)?;
        let b = array::<N, _>(self.r).map_err(|e| match e {
            Error::Truncated { .. } => Error::truncated(self.format, what),
            e => e,
        })?;
        self.cur += N as u64;
        Ok(b)
    }

    fn u16(&self, b: [u8; 2]) -> u16 {
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn u32(&self, b: [u8; 4]) -> u32 {
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn read_ifd0(&mut self, want_size: bool, limits: &ProbeLimits) -> Result<Ifd0> {
        let h: [u8; 8] = self.read("TIFF header")?;
        self.big_endian = match [h[0], h[1]] {
            [b'I', b'I'] => false,
            [b'M', b'M'] => true,
            _ => return Err(Error::malformed(self.format, "bad TIFF byte order mark")),
        };
        if self.u16([h[2], h[3]]) != 42 {
            return Err(Error::malformed(self.format, "bad TIFF magic number"));
        }
        let ifd = u64::from(self.u32([h[4], h[5], h[6], h[7]]));
        if ifd < 8 {
            return Err(Error::malformed(
                self.format,
                "IFD0 offset inside the TIFF header",
            ));
        }
        self.check(ifd, 2, "IFD0 offset past the end")?;
        self.goto(ifd)?;
        let count_bytes = self.read("IFD0 entry count")?;
        let count = u64::from(self.u16(count_bytes));
        if count == 0 {
            return Err(Error::malformed(self.format, "IFD0 has no entries"));
        }
        if count > limits.max_items {
            return Err(Error::Limit {
                kind: LimitKind::Items,
                actual: count,
                max: limits.max_items,
            });
        }
        self.check(ifd + 2, count * 12, "IFD0 entries past the end")?;
        let mut out = Ifd0::default();
        for _ in 0..count {
            let e: [u8; 12] = self.read("IFD0 entry")?;
            let tag = self.u16([e[0], e[1]]);
            if !matches!(tag, TAG_IMAGE_WIDTH | TAG_IMAGE_LENGTH | TAG_ORIENTATION) {
                continue;
            }
            let Some(value) = self.first_value(e)? else {
                continue;
            };
            match tag {
                TAG_IMAGE_WIDTH if out.width.is_none() => out.width = Some(value),
                TAG_IMAGE_LENGTH if out.height.is_none() => out.height = Some(value),
                TAG_ORIENTATION
                    if out.orientation.is_none() && self.u16([e[2], e[3]]) == TYPE_SHORT =>
                {
                    out.orientation = u16::try_from(value).ok().filter(|o| (1..=8).contains(o));
                }
                _ => {}
            }
            let done_size = !want_size || (out.width.is_some() && out.height.is_some());
            if done_size && out.orientation.is_some() {
                break;
            }
        }
        Ok(out)
    }

    /// The first value of a SHORT or LONG entry; `None` for other types or a count of 0.
    /// Values longer than 4 bytes live at an offset, which is checked and read.
    fn first_value(&mut self, e: [u8; 12]) -> Result<Option<u32>> {
        let ty = self.u16([e[2], e[3]]);
        let count = self.u32([e[4], e[5], e[6], e[7]]);
        let size: u64 = match ty {
            TYPE_SHORT => 2,
            TYPE_LONG => 4,
            _ => return Ok(None),
        };
        if count == 0 {
            return Ok(None);
        }
        let inline = [e[8], e[9], e[10], e[11]];
        let bytes = if u64::from(count) * size <= 4 {
            inline
        } else {
            let off = u64::from(self.u32(inline));
            self.check(off, size, "IFD0 value offset past the end")?;
            let back = self.cur;
            self.goto(off)?;
            let v: [u8; 4] = if size == 2 {
                let s: [u8; 2] = self.read("IFD0 value")?;
                [s[0], s[1], 0, 0]
            } else {
                self.read("IFD0 value")?
            };
            self.goto(back)?;
            v
        };
        Ok(Some(if size == 2 {
            u32::from(self.u16([bytes[0], bytes[1]]))
        } else {
            self.u32(bytes)
        }))
    }
}

/// Test helpers that build TIFF structures in code, shared with the other image readers' tests.
#[cfg(test)]
pub(crate) mod build {
    /// One IFD entry: tag, type, count, 4 value bytes (already in the file's byte order).
    pub type Entry = (u16, u16, u32, [u8; 4]);

    /// A TIFF structure with IFD0 at offset 8 holding `entries`, then `tail`.
    pub fn tiff(big_endian: bool, entries: &[Entry], tail: &[u8]) -> Vec<u8> {
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut t = Vec::new();
        t.extend_from_slice(if big_endian { b"MM\0*" } else { b"II*\0" });
        t.extend_from_slice(&u32b(8));
        t.extend_from_slice(&u16b(entries.len() as u16));
        for &(tag, ty, count, value) in entries {
            t.extend_from_slice(&u16b(tag));
            t.extend_from_slice(&u16b(ty));
            t.extend_from_slice(&u32b(count));
            t.extend_from_slice(&value);
        }
        t.extend_from_slice(&u32b(0)); // no IFD1
        t.extend_from_slice(tail);
        t
    }

    /// A SHORT entry with an inline value.
    pub fn short(big_endian: bool, tag: u16, v: u16) -> Entry {
        let b = if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        (tag, 3, 1, [b[0], b[1], 0, 0])
    }

    /// A LONG entry with an inline value.
    pub fn long(big_endian: bool, tag: u16, v: u32) -> Entry {
        (
            tag,
            4,
            1,
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            },
        )
    }

    /// An EXIF block (TIFF structure) holding only an Orientation entry.
    pub fn exif_orientation(big_endian: bool, o: u16) -> Vec<u8> {
        tiff(big_endian, &[short(big_endian, 0x0112, o)], &[])
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    #[test]
    fn transform_table() {
        let t = |r, m, s| {
            Some(Transform {
                rotation: r,
                mirrored: m,
                swaps_dimensions: s,
            })
        };
        assert_eq!(transform(0), None);
        assert_eq!(transform(1), t(0, false, false));
        assert_eq!(transform(2), t(0, true, false));
        assert_eq!(transform(3), t(180, false, false));
        assert_eq!(transform(4), t(180, true, false));
        assert_eq!(transform(5), t(90, true, true));
        assert_eq!(transform(6), t(90, false, true));
        assert_eq!(transform(7), t(270, true, true));
        assert_eq!(transform(8), t(270, false, true));
        assert_eq!(transform(9), None);
        assert_eq!(transform(u16::MAX), None);
    }

    #[test]
    fn set_displayed_swaps_for_5_to_8() {
        for o in 1..=8u16 {
            let mut i = MediaInfo::new(crate::info::Format::Jpeg, 0);
            set_displayed(&mut i, 1000, 600, Some(o));
            let expect = if o >= 5 { (600, 1000) } else { (1000, 600) };
            assert_eq!(
                (i.width.unwrap(), i.height.unwrap()),
                expect,
                "orientation {o}"
            );
            assert_eq!(
                i.rotation,
                Some([0, 0, 180, 180, 90, 90, 270, 270][o as usize - 1])
            );
            assert_eq!(i.mirrored, [2, 4, 5, 7].contains(&o));
        }
        let mut i = MediaInfo::new(crate::info::Format::Jpeg, 0);
        set_displayed(&mut i, 1000, 600, None);
        assert_eq!(
            (i.width, i.height, i.rotation, i.mirrored),
            (Some(1000), Some(600), None, false)
        );
        set_displayed(&mut i, 1000, 600, Some(9));
        assert_eq!(
            (i.width, i.height, i.rotation),
            (Some(1000), Some(600), None)
        );
    }

    #[test]
    fn every_orientation_both_byte_orders() {
        for be in [false, true] {
            for o in 1..=8 {
                assert_eq!(
                    orientation(&exif_orientation(be, o)),
                    Some(o),
                    "be={be} o={o}"
                );
            }
            assert_eq!(orientation(&exif_orientation(be, 0)), None);
            assert_eq!(orientation(&exif_orientation(be, 9)), None);
            assert_eq!(orientation(&exif_orientation(be, 0xFFFF)), None);
        }
    }

    #[test]
    fn exif_prefix_is_skipped() {
        let mut b = b"Exif\0\0".to_vec();
        b.extend(exif_orientation(true, 6));
        assert_eq!(orientation(&b), Some(6));
    }

    #[test]
    fn orientation_among_other_tags_and_first_wins() {
        let be = false;
        let t = tiff(
            be,
            &[
                short(be, 0x010F, 7), // Make (wrong type, ignored)
                long(be, 0x0100, 4000),
                short(be, 0x0112, 3),
                short(be, 0x0112, 8),
            ],
            &[],
        );
        assert_eq!(orientation(&t), Some(3));
    }

    #[test]
    fn orientation_must_be_short() {
        let be = true;
        assert_eq!(orientation(&tiff(be, &[long(be, 0x0112, 6)], &[])), None);
        // Count 0: no value.
        assert_eq!(
            orientation(&tiff(be, &[(0x0112, 3, 0, [0, 6, 0, 0])], &[])),
            None
        );
    }

    #[test]
    fn truncated_at_every_byte_is_none_never_panics() {
        let t = exif_orientation(false, 6);
        for n in 0..t.len() {
            // The entry ends 4 bytes before the end (the next-IFD offset follows).
            let expect = if n >= t.len() - 4 { Some(6) } else { None };
            assert_eq!(orientation(&t[..n]), expect, "cut at {n}");
        }
    }

    #[test]
    fn read_ifd0_exact_errors() {
        let l = ProbeLimits::default();
        let run =
            |b: &[u8]| read_ifd0(&mut Cursor::new(b), b.len() as u64, true, "tiff (IFD0)", &l);
        assert!(matches!(
            run(b"II*"),
            Err(Error::Truncated {
                reason: "TIFF header",
                ..
            })
        ));
        assert!(matches!(
            run(b"XX*\0\x08\0\0\0"),
            Err(Error::Malformed {
                reason: "bad TIFF byte order mark",
                ..
            })
        ));
        assert!(matches!(
            run(b"II+\0\x08\0\0\0"),
            Err(Error::Malformed {
                reason: "bad TIFF magic number",
                ..
            })
        ));
        assert!(matches!(
            run(b"II*\0\x04\0\0\0"),
            Err(Error::Malformed {
                reason: "IFD0 offset inside the TIFF header",
                ..
            })
        ));
        assert!(matches!(
            run(b"II*\0\xff\xff\xff\xff"),
            Err(Error::Truncated {
                reason: "IFD0 offset past the end",
                ..
            })
        ));
        assert!(matches!(
            run(b"II*\0\x08\0\0\0\0\0"),
            Err(Error::Malformed {
                reason: "IFD0 has no entries",
                ..
            })
        ));
        // 65,535 entries declared, none present.
        assert!(matches!(
            run(b"II*\0\x08\0\0\0\xff\xff"),
            Err(Error::Truncated {
                reason: "IFD0 entries past the end",
                ..
            })
        ));
        // A value offset pointing far past the end.
        let be = false;
        let t = tiff(be, &[(0x0100, 3, 4, 0xFFFF_FFF0u32.to_le_bytes())], &[]);
        assert!(matches!(
            run(&t),
            Err(Error::Truncated {
                reason: "IFD0 value offset past the end",
                ..
            })
        ));
        let small = ProbeLimits {
            max_items: 1,
            ..ProbeLimits::default()
        };
        let t = tiff(be, &[long(be, 0x0100, 1), long(be, 0x0101, 2)], &[]);
        assert!(matches!(
            read_ifd0(&mut Cursor::new(&t), t.len() as u64, true, "tiff", &small),
            Err(Error::Limit {
                kind: LimitKind::Items,
                actual: 2,
                max: 1
            })
        ));
    }

    #[test]
    fn read_ifd0_sizes_inline_and_out_of_line() {
        let l = ProbeLimits::default();
        for be in [false, true] {
            let t = tiff(
                be,
                &[
                    short(be, 0x0100, 640),
                    long(be, 0x0101, 480),
                    short(be, 0x0112, 6),
                ],
                &[],
            );
            let i = read_ifd0(&mut Cursor::new(&t), t.len() as u64, true, "tiff", &l).unwrap();
            assert_eq!(
                i,
                Ifd0 {
                    width: Some(640),
                    height: Some(480),
                    orientation: Some(6)
                }
            );
            // Width as three SHORTs stored at offset 26 + 12 + 4 = 42: only the first counts.
            let off = 8 + 2 + 12 + 4;
            let offb = if be {
                (off as u32).to_be_bytes()
            } else {
                (off as u32).to_le_bytes()
            };
            let mut tail = Vec::new();
            for v in [321u16, 1, 2] {
                tail.extend(if be { v.to_be_bytes() } else { v.to_le_bytes() });
            }
            let t = tiff(be, &[(0x0100, 3, 3, offb)], &tail);
            let i = read_ifd0(&mut Cursor::new(&t), t.len() as u64, true, "tiff", &l).unwrap();
            assert_eq!(i.width, Some(321));
        }
    }

    #[test]
    fn orientation_in_leaves_reader_at_block_end() {
        let l = ProbeLimits::default();
        let mut block = b"Exif\0\0".to_vec();
        block.extend(exif_orientation(true, 8));
        let mut data = block.clone();
        data.extend_from_slice(b"NEXT");
        let mut c = Cursor::new(&data);
        assert_eq!(
            orientation_in(&mut c, block.len() as u64, &l).unwrap(),
            Some(8)
        );
        assert_eq!(c.position(), block.len() as u64);
        // A broken block: None, and still at its end.
        let mut bad = vec![0u8; 40];
        bad.extend_from_slice(b"NEXT");
        let mut c = Cursor::new(&bad);
        assert_eq!(orientation_in(&mut c, 40, &l).unwrap(), None);
        assert_eq!(c.position(), 40);
        // Shorter than the "Exif\0\0" identifier.
        let mut c = Cursor::new(&b"II*"[..]);
        assert_eq!(orientation_in(&mut c, 3, &l).unwrap(), None);
        assert_eq!(c.position(), 3);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..256)) {
            let o = orientation(&b);
            prop_assert!(o.is_none_or(|o| (1..=8).contains(&o)));
        }

        #[test]
        fn mutated_blocks_never_panic(be in any::<bool>(), o in 0u16..10, i in 0usize..64, x in any::<u8>(), cut in 0usize..64) {
            let mut t = exif_orientation(be, o);
            t.extend_from_slice(&[0u8; 16]);
            if let Some(b) = t.get_mut(i) { *b ^= x; }
            t.truncate(cut.min(t.len()));
            let got = orientation(&t);
            prop_assert!(got.is_none_or(|o| (1..=8).contains(&o)));
        }
    }
}
