//! RIFF chunk walking shared by the WAV and WebP readers and the WAV repair
//! of `preflight-fix`.
//!
//! A RIFF file is a 12-byte form header (`RIFF` or `RF64`/`BW64`, a 32-bit
//! little-endian size, the form type such as `WAVE` or `WEBP`) followed by
//! chunks: a fourcc, a 32-bit little-endian payload size, the payload, and a
//! pad byte when the size is odd. See the Multimedia Programming Interface and
//! Data Specifications 1.0 (IBM/Microsoft, 1991) § "Resource Interchange File
//! Format", and EBU Tech 3306 (RF64) § 3 for the 64-bit variant.
//!
//! [`Chunks`] walks the chunks inside a parent range `[start, end)`, one
//! header read and one seek per chunk: a chunk is never allowed to take the
//! walk past the parent's end, and the number of chunks visited is capped by
//! [`ProbeLimits::max_items`].

use crate::error::Result;
use crate::read::{array, seek_to, ProbeLimits};
use std::io::{Read, Seek};

/// A four-character code.
pub type FourCc = [u8; 4];

/// The 12-byte header that opens a RIFF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormHeader {
    /// `RIFF`, `RF64`, `BW64`, …
    pub id: FourCc,
    /// The 32-bit size field: bytes after the size field (form type and chunks).
    pub size: u32,
    /// The form type: `WAVE`, `WEBP`, `AVI `, …
    pub form: FourCc,
}

impl FormHeader {
    /// Where the form claims to end: `8 + size`, clamped to the file.
    pub fn end(&self, file_size: u64) -> u64 {
        (8 + u64::from(self.size)).min(file_size)
    }
}

/// Reads the form header at offset 0. A file shorter than 12 bytes gives
/// [`Error::Truncated`](crate::Error::Truncated) labelled `"file"` (the caller's format replaces it).
pub fn read_form_header<R: Read + Seek + ?Sized>(r: &mut R) -> Result<FormHeader> {
    seek_to(r, 0)?;
    let b: [u8; 12] = array(r)?;
    Ok(FormHeader {
        id: [b[0], b[1], b[2], b[3]],
        size: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        form: [b[8], b[9], b[10], b[11]],
    })
}

/// One chunk header, as found inside its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Chunk {
    /// The chunk's fourcc.
    pub id: FourCc,
    /// The payload size the header declares (32 bits, or as overridden by
    /// [`Chunks::set_size`] for RF64).
    pub size: u64,
    /// Absolute offset of the payload (just after the 8-byte header).
    pub offset: u64,
    /// Payload bytes actually inside the parent: `size`, or less when the
    /// chunk claims to run past the parent's end.
    pub avail: u64,
}

impl Chunk {
    /// Whether the declared payload runs past the parent's end.
    pub fn is_clipped(&self) -> bool {
        self.avail < self.size
    }

    /// Absolute offset just past the payload that is inside the parent.
    pub fn avail_end(&self) -> u64 {
        self.offset.saturating_add(self.avail)
    }
}

/// Iterator-like walker over the chunks of a parent range.
#[derive(Debug, Clone)]
pub struct Chunks {
    next: u64,
    end: u64,
    visited: u64,
    max_items: u64,
}

impl Chunks {
    /// Walks the chunks in `[start, end)` (absolute offsets).
    pub fn new(start: u64, end: u64, limits: &ProbeLimits) -> Chunks {
        Chunks {
            next: start,
            end,
            visited: 0,
            max_items: limits.max_items,
        }
    }

    /// The parent's end.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Reads the next chunk header, or `None` once fewer than 8 bytes of the
    /// parent are left (trailing bytes too short for a header are ignored, as
    /// writers sometimes leave a stray pad byte). The reader is left at the
    /// chunk's payload.
    pub fn next<R: Read + Seek + ?Sized>(&mut self, r: &mut R) -> Result<Option<Chunk>> {
        let Some(offset) = self.next.checked_add(8).filter(|&o| o <= self.end) else {
            return Ok(None);
        };
        crate::read::count_item(&mut self.visited, self.max_items)?;
        seek_to(r, self.next)?;
        let b: [u8; 8] = array(r)?;
        let id = [b[0], b[1], b[2], b[3]];
        let size = u64::from(u32::from_le_bytes([b[4], b[5], b[6], b[7]]));
        let chunk = self.place(id, size, offset);
        Ok(Some(chunk))
    }

    /// Replaces the size of `chunk` (the one just returned by [`next`](Self::next))
    /// with `size`, as RF64's `ds64` does for a `data` chunk whose 32-bit size
    /// is `0xFFFFFFFF`; the walk continues after the new size.
    pub fn set_size(&mut self, chunk: &Chunk, size: u64) -> Chunk {
        self.place(chunk.id, size, chunk.offset)
    }

    /// Stops the walk: the next call to [`next`](Self::next) returns `None`.
    pub fn finish(&mut self) {
        self.next = self.end;
    }

    fn place(&mut self, id: FourCc, size: u64, offset: u64) -> Chunk {
        let room = self.end.saturating_sub(offset);
        let avail = size.min(room);
        // The pad byte after an odd payload; a chunk running past the parent
        // ends the walk.
        self.next = offset
            .checked_add(size)
            .and_then(|e| e.checked_add(size & 1))
            .filter(|&e| e <= self.end)
            .unwrap_or(self.end);
        Chunk {
            id,
            size,
            offset,
            avail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, LimitKind};
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

    fn walk(data: &[u8], start: u64, end: u64) -> Result<Vec<Chunk>> {
        let mut r = Cursor::new(data);
        let mut c = Chunks::new(start, end, &ProbeLimits::default());
        let mut out = Vec::new();
        while let Some(ch) = c.next(&mut r)? {
            out.push(ch);
        }
        Ok(out)
    }

    #[test]
    fn walks_chunks_with_pad_bytes() {
        let mut v = chunk(b"abcd", &[1, 2, 3]);
        v.extend(chunk(b"efgh", &[]));
        v.extend(chunk(b"ijkl", &[9; 4]));
        let got = walk(&v, 0, v.len() as u64).unwrap();
        let ids: Vec<_> = got
            .iter()
            .map(|c| (&c.id, c.size, c.offset, c.avail))
            .collect();
        assert_eq!(
            ids,
            vec![(b"abcd", 3, 8, 3), (b"efgh", 0, 20, 0), (b"ijkl", 4, 28, 4)]
        );
    }

    #[test]
    fn chunk_past_parent_is_clipped_and_ends_walk() {
        let mut v = chunk(b"abcd", &[1, 2]);
        v.extend_from_slice(b"bigg");
        v.extend_from_slice(&u32::MAX.to_le_bytes());
        v.extend_from_slice(&[0; 6]);
        let got = walk(&v, 0, v.len() as u64).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].size, u32::MAX as u64);
        assert_eq!(got[1].avail, 6);
        assert!(got[1].is_clipped());
        assert_eq!(got[1].avail_end(), v.len() as u64);
    }

    #[test]
    fn parent_range_bounds_the_walk() {
        // The second chunk lies outside the parent [0, 10): never visited.
        let mut v = chunk(b"abcd", &[1, 2]);
        v.extend(chunk(b"efgh", &[3, 4]));
        let got = walk(&v, 0, 10).unwrap();
        assert_eq!(got.len(), 1);
        // Fewer than 8 trailing bytes: ignored.
        let got = walk(&v, 0, 17).unwrap();
        assert_eq!(got.len(), 1);
        // Start past the end: nothing.
        assert!(walk(&v, 20, 10).unwrap().is_empty());
    }

    #[test]
    fn parent_end_beyond_data_is_truncated() {
        let v = chunk(b"abcd", &[1, 2]);
        let err = walk(&v, 0, 100).unwrap_err();
        assert!(
            matches!(err, Error::Truncated { format: "file", .. }),
            "{err}"
        );
    }

    #[test]
    fn odd_size_at_parent_end_without_pad() {
        let mut v = b"abcd".to_vec();
        v.extend_from_slice(&3u32.to_le_bytes());
        v.extend_from_slice(&[1, 2, 3]);
        let got = walk(&v, 0, v.len() as u64).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].avail, 3);
    }

    #[test]
    fn set_size_moves_the_walk() {
        let mut v = b"data".to_vec();
        v.extend_from_slice(&u32::MAX.to_le_bytes());
        v.extend_from_slice(&[0; 4]);
        v.extend(chunk(b"LIST", &[1]));
        let mut r = Cursor::new(&v);
        let mut c = Chunks::new(0, v.len() as u64, &ProbeLimits::default());
        let d = c.next(&mut r).unwrap().unwrap();
        assert_eq!(d.avail, v.len() as u64 - 8);
        let d = c.set_size(&d, 4);
        assert_eq!((d.size, d.avail), (4, 4));
        let l = c.next(&mut r).unwrap().unwrap();
        assert_eq!((&l.id, l.size, l.offset), (b"LIST", 1, 20));
        assert!(c.next(&mut r).unwrap().is_none());
        // A huge override cannot overflow.
        let mut c = Chunks::new(0, v.len() as u64, &ProbeLimits::default());
        let d = c.next(&mut r).unwrap().unwrap();
        let d = c.set_size(&d, u64::MAX);
        assert_eq!(d.avail, v.len() as u64 - 8);
        assert!(c.next(&mut r).unwrap().is_none());
    }

    #[test]
    fn chunk_count_is_capped() {
        let mut v = Vec::new();
        for _ in 0..10 {
            v.extend(chunk(b"junk", &[]));
        }
        let limits = ProbeLimits {
            max_items: 5,
            ..ProbeLimits::default()
        };
        let mut r = Cursor::new(&v);
        let mut c = Chunks::new(0, v.len() as u64, &limits);
        let mut n = 0;
        let err = loop {
            match c.next(&mut r) {
                Ok(Some(_)) => n += 1,
                Ok(None) => panic!("walk ended"),
                Err(e) => break e,
            }
        };
        assert_eq!(n, 5);
        assert!(matches!(
            err,
            Error::Limit {
                kind: LimitKind::Items,
                actual: 6,
                max: 5
            }
        ));
    }

    #[test]
    fn form_header() {
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&100u32.to_le_bytes());
        v.extend_from_slice(b"WAVE");
        let h = read_form_header(&mut Cursor::new(&v)).unwrap();
        assert_eq!(
            h,
            FormHeader {
                id: *b"RIFF",
                size: 100,
                form: *b"WAVE"
            }
        );
        assert_eq!(h.end(50), 50);
        assert_eq!(h.end(500), 108);
        let err = read_form_header(&mut Cursor::new(&v[..11])).unwrap_err();
        assert!(
            matches!(err, Error::Truncated { format: "file", .. }),
            "{err}"
        );
    }
}
