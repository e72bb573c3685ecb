//! A small ISO base media file format (ISOBMFF) box reader, shared by the
//! MP4/QuickTime reader ([`super::mp4`]) and the HEIF/HEIC reader ([`super::heif`]).
//!
//! Specification: ISO/IEC 14496-12:2020 § 4.2 "Object structure" (box header:
//! 32-bit `size`, `size == 1` → 64-bit `largesize`, `size == 0` → the box extends
//! to the end of its container, `uuid` → a 16-byte extended type) and § 4.2.2
//! (`FullBox`: 8-bit version, 24-bit flags).
//!
//! The reader never trusts a size:
//! - a child box is read through [`Walker::next`], which tracks the parent's
//!   end offset and rejects a child whose declared end lies past it
//!   ([`Error::Malformed`], or [`Error::Truncated`] for a top-level box that runs
//!   past the end of the file) — the idea of mp4parse's `BMFFBox`;
//! - a declared size below the header's own length is [`Error::Malformed`];
//! - nesting is capped by [`ProbeLimits::max_box_depth`] and the number of boxes
//!   visited in one file by [`ProbeLimits::max_items`] ([`Error::Limit`]);
//! - a box's fields are read through a [`Content`], which cannot read past the
//!   box's end: a field that does not fit is [`Error::Malformed`]
//!   ("box too short for its fields");
//! - a table's entry count is checked against the bytes left in its box
//!   ([`Content::table`]) before any entry is read, and against
//!   [`ProbeLimits::max_table_entries`].
//!
//! A trailing run of fewer than 8 bytes inside a container cannot hold a box
//! and is ignored as padding (QuickTime ends some `udta` lists with a 32-bit 0).

use crate::error::{Error, LimitKind, Result};
use crate::read::{self, ProbeLimits, ReadExt};
use std::io::{Read, Seek};

/// A box type: four bytes, usually printable ASCII.
pub type FourCC = [u8; 4];

/// The box type as a `String` (non-printable bytes become `?`).
pub fn fourcc_string(t: FourCC) -> String {
    t.iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// A box header, validated against its container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHeader {
    /// Box type (`moov`, `trak`, …).
    pub typ: FourCC,
    /// Extended type of a `uuid` box.
    pub uuid: Option<[u8; 16]>,
    /// Absolute offset of the box's first byte.
    pub offset: u64,
    /// Length of the header: 8, 16 with a `largesize`, plus 16 for `uuid`.
    pub header_len: u64,
    /// Total size, header included (a `size` of 0 already resolved to the container's end).
    pub size: u64,
    /// Nesting depth: 1 for a top-level box.
    pub depth: u32,
}

impl BoxHeader {
    /// Absolute offset just past the box. Never overflows: `offset + size` was
    /// checked against the container's end when the header was read.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.size)
    }

    /// Absolute offset of the box's content (after the header).
    pub fn content_offset(&self) -> u64 {
        self.offset.saturating_add(self.header_len)
    }

    /// Bytes of content after the header.
    pub fn content_len(&self) -> u64 {
        self.size.saturating_sub(self.header_len)
    }
}

/// The children of one container still to be visited.
#[derive(Debug, Clone)]
pub struct Children {
    next: u64,
    end: u64,
    depth: u32,
    top: bool,
}

/// Walks boxes of one file, counting every box visited against the limits.
#[derive(Debug)]
pub struct Walker<'l> {
    /// Format label used in structural errors (`"mp4"`, `"heif"`).
    pub fmt: &'static str,
    /// Limits in force.
    pub limits: &'l ProbeLimits,
    items: u64,
}

impl<'l> Walker<'l> {
    /// A walker for a file read as `fmt`.
    pub fn new(fmt: &'static str, limits: &'l ProbeLimits) -> Self {
        Walker {
            fmt,
            limits,
            items: 0,
        }
    }

    /// Counts one more item (a box, a fragment, …) against `max_items`.
    pub fn count_item(&mut self) -> Result<()> {
        crate::read::count_item(&mut self.items, self.limits.max_items)
    }

    /// The top-level boxes of a file of `size` bytes.
    pub fn top(&self, size: u64) -> Children {
        Children {
            next: 0,
            end: size,
            depth: 1,
            top: true,
        }
    }

    /// The children of `parent`, starting `skip` bytes into its content (4 for
    /// a `FullBox` container such as `meta`, 8 for `stsd` after its entry count).
    pub fn children(&self, parent: &BoxHeader, skip: u64) -> Result<Children> {
        let depth = parent.depth.saturating_add(1);
        if depth > self.limits.max_box_depth {
            return Err(Error::Limit {
                kind: LimitKind::BoxDepth,
                actual: u64::from(depth),
                max: u64::from(self.limits.max_box_depth),
            });
        }
        if skip > parent.content_len() {
            return Err(Error::malformed(self.fmt, "box too short for its fields"));
        }
        Ok(Children {
            next: parent.content_offset().saturating_add(skip),
            end: parent.end(),
            depth,
            top: false,
        })
    }

    /// Reads the header of the next child in `c`, or `None` when the container
    /// is exhausted. Leaves `r` positioned at the child's content.
    pub fn next<R: Read + Seek>(
        &mut self,
        r: &mut R,
        c: &mut Children,
    ) -> Result<Option<BoxHeader>> {
        let remaining = c.end.saturating_sub(c.next);
        if remaining < 8 {
            // Nothing, or padding too short to be a box.
            c.next = c.end;
            return Ok(None);
        }
        self.count_item()?;
        let offset = c.next;
        goto(r, offset)?;
        let size32 = r.u32_be()?;
        let typ: FourCC = read::array(r)?;
        let mut header_len = 8u64;
        let size = match size32 {
            0 => remaining,
            1 => {
                if remaining < 16 {
                    return Err(self.past_end(c.top));
                }
                header_len = 16;
                let large = r.u64_be()?;
                if large < 16 {
                    return Err(Error::malformed(
                        self.fmt,
                        "box size smaller than its header",
                    ));
                }
                large
            }
            2..=7 => {
                return Err(Error::malformed(
                    self.fmt,
                    "box size smaller than its header",
                ))
            }
            n => u64::from(n),
        };
        if size > remaining {
            return Err(self.past_end(c.top));
        }
        let uuid = if &typ == b"uuid" {
            header_len += 16;
            if size < header_len {
                return Err(Error::malformed(
                    self.fmt,
                    "box size smaller than its header",
                ));
            }
            Some(read::array::<16, _>(r)?)
        } else {
            None
        };
        c.next = offset + size; // size <= remaining = end - offset: no overflow
        Ok(Some(BoxHeader {
            typ,
            uuid,
            offset,
            header_len,
            size,
            depth: c.depth,
        }))
    }

    /// Like [`Walker::next`], but a top-level box that claims more bytes than
    /// the file has is returned with its declared size and ends the walk,
    /// for the caller to judge (an `mdat` whose samples all lie inside the
    /// file is only a truncated tail). `Ok(Some((header, true)))` for such a box.
    pub fn next_top_tolerant<R: Read + Seek>(
        &mut self,
        r: &mut R,
        c: &mut Children,
    ) -> Result<Option<(BoxHeader, bool)>> {
        let start = c.next;
        match self.next(r, c) {
            Ok(h) => Ok(h.map(|h| (h, false))),
            Err(Error::Truncated { .. }) if c.top => {
                // Re-read the header and keep what it declares.
                goto(r, start)?;
                let size32 = r.u32_be()?;
                let typ: FourCC = read::array(r)?;
                let (header_len, size) = match size32 {
                    1 => (16, r.u64_be()?),
                    n => (8, u64::from(n)),
                };
                c.next = c.end;
                Ok(Some((
                    BoxHeader {
                        typ,
                        uuid: None,
                        offset: start,
                        header_len,
                        size,
                        depth: c.depth,
                    },
                    true,
                )))
            }
            Err(e) => Err(e),
        }
    }

    /// The first child of type `typ` in `c`, skipping the others.
    pub fn find<R: Read + Seek>(
        &mut self,
        r: &mut R,
        c: &mut Children,
        typ: &FourCC,
    ) -> Result<Option<BoxHeader>> {
        while let Some(h) = self.next(r, c)? {
            if &h.typ == typ {
                return Ok(Some(h));
            }
        }
        Ok(None)
    }

    fn past_end(&self, top: bool) -> Error {
        if top {
            Error::truncated(self.fmt, "box extends past the end of the file")
        } else {
            Error::malformed(self.fmt, "box extends past its parent")
        }
    }
}

/// Moves `r` to absolute `target` by a relative seek, which lets a
/// `BufReader` keep its buffer when the target is inside it. Nothing between
/// the two positions is read.
fn goto<R: Read + Seek>(r: &mut R, target: u64) -> Result<()> {
    let cur = read::pos(r)?;
    if cur == target {
        return Ok(());
    }
    let delta = i64::try_from(i128::from(target) - i128::from(cur))
        .map_err(|_| Error::malformed("file", "seek beyond 2^63 bytes"))?;
    r.seek_relative(delta).map_err(read::io_error)
}

/// The fields of one box: a reader that cannot go past the box's end.
#[derive(Debug)]
pub struct Content<'a, R> {
    r: &'a mut R,
    left: u64,
    /// Label for errors, such as `"mp4 (stts)"`.
    pub fmt: &'static str,
}

impl<'a, R: Read + Seek> Content<'a, R> {
    /// Opens the content of `h` (positions `r` at its first content byte);
    /// errors are labelled `fmt`.
    pub fn open(r: &'a mut R, h: &BoxHeader, fmt: &'static str) -> Result<Self> {
        goto(r, h.content_offset())?;
        Ok(Content {
            r,
            left: h.content_len(),
            fmt,
        })
    }

    fn take(&mut self, n: u64) -> Result<()> {
        if n > self.left {
            return Err(Error::malformed(self.fmt, "box too short for its fields"));
        }
        self.left -= n;
        Ok(())
    }

    /// Reads `N` bytes.
    pub fn bytes<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N as u64)?;
        read::array(self.r)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes::<1>()?[0])
    }

    /// Big-endian u16.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.bytes()?))
    }

    /// Big-endian u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.bytes()?))
    }

    /// Big-endian i32.
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.bytes()?))
    }

    /// Big-endian u64.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.bytes()?))
    }

    /// Big-endian i64.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.bytes()?))
    }

    /// A u32 when `wide` is false, else a u64 (the version 0 / version 1 fields).
    pub fn u32_or_u64(&mut self, wide: bool) -> Result<u64> {
        if wide {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    /// The `FullBox` version and flags (ISO/IEC 14496-12 § 4.2.2).
    pub fn full_box(&mut self) -> Result<(u8, u32)> {
        let v = self.u32()?;
        Ok(((v >> 24) as u8, v & 0x00ff_ffff))
    }

    /// Skips `n` bytes of the box.
    pub fn skip(&mut self, n: u64) -> Result<()> {
        self.take(n)?;
        let n = i64::try_from(n)
            .map_err(|_| Error::malformed(self.fmt, "box too short for its fields"))?;
        self.r.seek_relative(n).map_err(read::io_error)
    }

    /// Checks a table of `count` entries of `entry_size` bytes each against
    /// the bytes left in the box (`Malformed` "entry count exceeds box size"),
    /// then against [`ProbeLimits::max_table_entries`] (`Limit`). Call it
    /// before reading or allocating anything for the table.
    pub fn table(&self, count: u64, entry_size: u64, limits: &ProbeLimits) -> Result<()> {
        match count.checked_mul(entry_size) {
            Some(bytes) if bytes <= self.left => {}
            _ => return Err(Error::malformed(self.fmt, "entry count exceeds box size")),
        }
        limits.check_entries(count)
    }
}

/// Builders for boxes in tests (in the manner of mp4parse's `make_box`).
#[cfg(test)]
pub(crate) mod build {
    /// A box with a 32-bit size.
    pub fn bx(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(body.len() + 8);
        v.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
        v.extend_from_slice(typ);
        v.extend_from_slice(body);
        v
    }

    /// A full box (version, flags) with a 32-bit size.
    pub fn full(typ: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = vec![version];
        b.extend_from_slice(&flags.to_be_bytes()[1..]);
        b.extend_from_slice(body);
        bx(typ, &b)
    }

    /// A box with an explicit 32-bit size field (which may lie).
    pub fn raw(size: u32, typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = size.to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(body);
        v
    }

    /// A box with a 64-bit `largesize`.
    pub fn large(typ: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = 1u32.to_be_bytes().to_vec();
        v.extend_from_slice(typ);
        v.extend_from_slice(&((body.len() + 16) as u64).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    /// Concatenates parts.
    pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    /// Big-endian bytes of several u32 values.
    pub fn u32s(vals: &[u32]) -> Vec<u8> {
        vals.iter().flat_map(|v| v.to_be_bytes()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use std::io::Cursor;

    fn headers(data: &[u8], limits: &ProbeLimits) -> Result<Vec<(FourCC, u64, u64, u64)>> {
        let mut r = Cursor::new(data);
        let mut w = Walker::new("test", limits);
        let mut c = w.top(data.len() as u64);
        let mut out = Vec::new();
        while let Some(h) = w.next(&mut r, &mut c)? {
            out.push((h.typ, h.offset, h.header_len, h.size));
        }
        Ok(out)
    }

    #[test]
    fn reads_plain_large_zero_and_uuid_headers() {
        let uuid_box = {
            let mut v = raw(8 + 16 + 3, b"uuid", &[7u8; 16]);
            v.extend_from_slice(&[1, 2, 3]);
            v
        };
        let data = cat(&[
            &bx(b"ftyp", b"isom\0\0\0\0"),
            &large(b"mdat", &[0u8; 5]),
            &uuid_box,
            &raw(0, b"free", &[9u8; 10]),
        ]);
        let l = ProbeLimits::default();
        let hs = headers(&data, &l).unwrap();
        assert_eq!(
            hs,
            vec![
                (*b"ftyp", 0, 8, 16),
                (*b"mdat", 16, 16, 21),
                (*b"uuid", 37, 24, 27),
                (*b"free", 64, 8, 18),
            ]
        );
    }

    #[test]
    fn uuid_extended_type_is_returned() {
        let data = raw(8 + 16, b"uuid", &[0xab; 16]);
        let mut r = Cursor::new(&data[..]);
        let l = ProbeLimits::default();
        let mut w = Walker::new("test", &l);
        let mut c = w.top(data.len() as u64);
        let h = w.next(&mut r, &mut c).unwrap().unwrap();
        assert_eq!(h.uuid, Some([0xab; 16]));
        assert_eq!(h.content_len(), 0);
    }

    #[test]
    fn sizes_below_header_are_malformed() {
        let l = ProbeLimits::default();
        for s in 2..8u32 {
            let data = raw(s, b"free", &[0u8; 16]);
            let e = headers(&data, &l).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Malformed {
                        reason: "box size smaller than its header",
                        ..
                    }
                ),
                "size {s}: {e}"
            );
        }
        // largesize below 16
        let mut data = 1u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"free");
        data.extend_from_slice(&15u64.to_be_bytes());
        data.extend_from_slice(&[0u8; 8]);
        assert!(matches!(
            headers(&data, &l),
            Err(Error::Malformed {
                reason: "box size smaller than its header",
                ..
            })
        ));
        // uuid box too small for its extended type
        let data = raw(16, b"uuid", &[0u8; 16]);
        assert!(matches!(
            headers(&data, &l),
            Err(Error::Malformed {
                reason: "box size smaller than its header",
                ..
            })
        ));
    }

    #[test]
    fn top_level_box_past_end_of_file_is_truncated() {
        let l = ProbeLimits::default();
        let data = raw(u32::MAX, b"mdat", &[0u8; 100]);
        assert!(matches!(
            headers(&data, &l),
            Err(Error::Truncated {
                format: "test",
                reason: "box extends past the end of the file"
            })
        ));
        let mut data = 1u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"mdat");
        data.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(headers(&data, &l), Err(Error::Truncated { .. })));
        // largesize header cut short
        let data = cat(&[&1u32.to_be_bytes(), b"mdat", &[0, 0, 0]]);
        assert!(matches!(headers(&data, &l), Err(Error::Truncated { .. })));
    }

    #[test]
    fn child_past_parent_end_is_malformed() {
        // moov of 24 bytes whose child claims 32.
        let child = raw(32, b"trak", &[0u8; 8]);
        let mut moov = bx(b"moov", &child);
        moov.extend_from_slice(&[0u8; 64]); // the file goes on: only the parent bounds the child
        let l = ProbeLimits::default();
        let mut r = Cursor::new(&moov[..]);
        let mut w = Walker::new("test", &l);
        let mut top = w.top(moov.len() as u64);
        let h = w.next(&mut r, &mut top).unwrap().unwrap();
        assert_eq!(h.size, 24);
        let mut c = w.children(&h, 0).unwrap();
        assert!(matches!(
            w.next(&mut r, &mut c),
            Err(Error::Malformed {
                format: "test",
                reason: "box extends past its parent"
            })
        ));
    }

    #[test]
    fn size_zero_child_extends_to_parent_end_only() {
        let child = raw(0, b"free", &[1u8; 4]);
        let mut data = bx(b"moov", &child);
        data.extend_from_slice(&bx(b"free", &[]));
        let l = ProbeLimits::default();
        let mut r = Cursor::new(&data[..]);
        let mut w = Walker::new("test", &l);
        let mut top = w.top(data.len() as u64);
        let moov = w.next(&mut r, &mut top).unwrap().unwrap();
        let mut c = w.children(&moov, 0).unwrap();
        let h = w.next(&mut r, &mut c).unwrap().unwrap();
        assert_eq!((h.offset, h.size), (8, 12));
        assert!(w.next(&mut r, &mut c).unwrap().is_none());
        let next = w.next(&mut r, &mut top).unwrap().unwrap();
        assert_eq!((&next.typ, next.offset), (b"free", 20));
    }

    #[test]
    fn short_tail_is_padding() {
        let mut data = bx(b"ftyp", b"isom");
        data.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(headers(&data, &ProbeLimits::default()).unwrap().len(), 1);
    }

    #[test]
    fn depth_is_capped() {
        let mut b = bx(b"free", &[]);
        for _ in 0..5 {
            b = bx(b"moov", &b);
        }
        let l = ProbeLimits {
            max_box_depth: 3,
            ..ProbeLimits::default()
        };
        let mut r = Cursor::new(&b[..]);
        let mut w = Walker::new("test", &l);
        let mut c = w.top(b.len() as u64);
        let mut deepest = 0;
        let err = loop {
            let h = match w.next(&mut r, &mut c) {
                Ok(Some(h)) => h,
                Ok(None) => panic!("ran out of boxes"),
                Err(e) => break e,
            };
            deepest = h.depth;
            c = match w.children(&h, 0) {
                Ok(c) => c,
                Err(e) => break e,
            };
        };
        assert_eq!(deepest, 3);
        assert!(
            matches!(
                err,
                Error::Limit {
                    kind: LimitKind::BoxDepth,
                    actual: 4,
                    max: 3
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn items_are_capped() {
        let data: Vec<u8> = (0..10).flat_map(|_| bx(b"free", &[])).collect();
        let l = ProbeLimits {
            max_items: 4,
            ..ProbeLimits::default()
        };
        assert!(matches!(
            headers(&data, &l),
            Err(Error::Limit {
                kind: LimitKind::Items,
                actual: 5,
                max: 4
            })
        ));
    }

    #[test]
    fn content_cannot_read_past_box_end() {
        let data = cat(&[&full(b"mdhd", 0, 0, &[0, 0, 0, 1]), &[0xff; 16]]);
        let mut r = Cursor::new(&data[..]);
        let l = ProbeLimits::default();
        let mut w = Walker::new("test", &l);
        let mut c = w.top(data.len() as u64);
        let h = w.next(&mut r, &mut c).unwrap().unwrap();
        let mut body = Content::open(&mut r, &h, "mp4 (mdhd)").unwrap();
        assert_eq!(body.full_box().unwrap(), (0, 0));
        assert_eq!(body.u32().unwrap(), 1);
        assert!(matches!(
            body.u8(),
            Err(Error::Malformed {
                format: "mp4 (mdhd)",
                reason: "box too short for its fields"
            })
        ));
        assert!(matches!(body.skip(1), Err(Error::Malformed { .. })));
    }

    #[test]
    fn table_counts_checked_against_box_then_limits() {
        let data = full(b"stts", 0, 0, &u32s(&[3, 1, 1, 1, 1, 1, 1]));
        let mut r = Cursor::new(&data[..]);
        let l = ProbeLimits {
            max_table_entries: 2,
            ..ProbeLimits::default()
        };
        let mut w = Walker::new("test", &l);
        let mut c = w.top(data.len() as u64);
        let h = w.next(&mut r, &mut c).unwrap().unwrap();
        let mut body = Content::open(&mut r, &h, "mp4 (stts)").unwrap();
        body.full_box().unwrap();
        let n = body.u32().unwrap();
        assert!(matches!(
            body.table(u64::from(n) + 1, 8, &l),
            Err(Error::Malformed {
                format: "mp4 (stts)",
                reason: "entry count exceeds box size"
            })
        ));
        assert!(matches!(
            body.table(u64::MAX, 8, &l),
            Err(Error::Malformed {
                reason: "entry count exceeds box size",
                ..
            })
        ));
        assert!(matches!(
            body.table(u64::from(n), 8, &l),
            Err(Error::Limit {
                kind: LimitKind::TableEntries,
                actual: 3,
                max: 2
            })
        ));
        assert!(body.table(2, 8, &l).is_ok());
    }

    #[test]
    fn fourcc_string_replaces_unprintable() {
        assert_eq!(fourcc_string(*b"avc1"), "avc1");
        assert_eq!(fourcc_string([0, b'a', 0xff, b' ']), "?a? ");
    }
}
