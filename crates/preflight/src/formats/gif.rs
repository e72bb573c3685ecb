//! GIF header reader: canvas size from the logical screen descriptor, frame
//! count from the image descriptors.
//!
//! Spec: GIF89a (CompuServe, 1990): § 17 header, § 18 logical screen
//! descriptor (width, height: u16 little-endian; packed field with the global
//! color table flag and size), § 19 global color table (3 × 2^(size+1) bytes),
//! § 20 image descriptor (0x2C + 9 bytes) and § 21 local color table, § 22
//! table-based image data (LZW minimum code size, then data sub-blocks),
//! § 15 data sub-blocks (a length byte 1–255 + data; 0 terminates), § 23–26
//! extensions (0x21, label, sub-blocks), § 27 trailer (0x3B).
//!
//! The walk reads the screen descriptor, then, block by block, only each
//! block's fixed fields and each sub-block's length byte, seeking over color
//! tables and sub-block data. Every image descriptor is a frame. The walk
//! ends at the trailer, at the end of the data (a missing trailer is common:
//! what is there is counted, a frame counts once its descriptor is complete)
//! or at a byte that starts no block (trailing garbage, counted the same way).
//! Blocks and sub-blocks visited are capped by [`ProbeLimits::max_items`].
//!
//! Judged size: the canvas (logical screen), as for every animated image.
//! `frames` is `Some(n)`, the number of image descriptors (1 for a still).
//! Counting frames touches every sub-block's length byte, so the whole file
//! passes through the read buffer: when the read budget
//! ([`ProbeLimits::max_bytes_read`]) runs out first, the canvas is still
//! reported and `frames` is `None` (unknown) rather than failing the file.

use crate::error::{Error, LimitKind, Result};
use crate::info::{Format, MediaInfo};
use crate::read::{array, read_up_to, ProbeLimits};
use std::io::{BufRead, Seek};

const FORMAT: &str = "gif";

/// Reads the headers of a GIF file into a [`MediaInfo`].
pub fn probe<R: BufRead + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    read(r, size, limits).map_err(|e| e.in_format(FORMAT))
}

fn read<R: BufRead + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let h: [u8; 13] = array(r)?;
    if &h[..6] != b"GIF87a" && &h[..6] != b"GIF89a" {
        return Err(Error::malformed(FORMAT, "bad signature"));
    }
    let width = u16::from_le_bytes([h[6], h[7]]);
    let height = u16::from_le_bytes([h[8], h[9]]);
    if width == 0 || height == 0 {
        return Err(Error::malformed(
            FORMAT,
            "logical screen width or height is 0",
        ));
    }
    skip_color_table(r, h[10])?;
    let frames = match count_frames(r, limits) {
        Ok((0, End::Data)) => {
            return Err(Error::truncated(
                FORMAT,
                "no image before the end of the data",
            ))
        }
        Ok((0, _)) => return Err(Error::malformed(FORMAT, "no image in the file")),
        Ok((n, _)) => Some(n),
        Err(Error::Limit {
            kind: LimitKind::BytesRead,
            ..
        }) => None,
        Err(e) => return Err(e),
    };
    let mut info = MediaInfo::new(Format::Gif, size);
    info.width = Some(u32::from(width));
    info.height = Some(u32::from(height));
    info.frames = frames;
    Ok(info)
}

/// Skips the color table announced by a packed field (§ 18, § 20).
fn skip_color_table<R: Seek>(r: &mut R, packed: u8) -> Result<()> {
    if packed & 0x80 != 0 {
        crate::read::skip(r, 3 << ((packed & 7) + 1))?;
    }
    Ok(())
}

/// One byte, or `None` at the end of the data: taken from the reader's
/// buffer (the walk over sub-blocks reads a length byte at a time).
fn next_byte<R: BufRead>(r: &mut R) -> Result<Option<u8>> {
    let Some(&b) = r.fill_buf().map_err(crate::read::io_error)?.first() else {
        return Ok(None);
    };
    r.consume(1);
    Ok(Some(b))
}

/// Why the block walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The trailer 0x3B.
    Trailer,
    /// The data ran out.
    Data,
    /// A byte that starts no block.
    Garbage,
}

/// Counts one more block or sub-block against `limits.max_items`.
fn tick(items: &mut u64, limits: &ProbeLimits) -> Result<()> {
    crate::read::count_item(items, limits.max_items)
}

/// Counts image descriptors up to the trailer or the end of the data.
fn count_frames<R: BufRead + Seek>(r: &mut R, limits: &ProbeLimits) -> Result<(u64, End)> {
    let mut frames = 0u64;
    let mut items = 0u64;
    loop {
        tick(&mut items, limits)?;
        match next_byte(r)? {
            Some(0x2C) => {
                let mut d = [0u8; 9];
                if read_up_to(r, &mut d)? < 9 {
                    return Ok((frames, End::Data));
                }
                frames += 1;
                skip_color_table(r, d[8])?;
                // LZW minimum code size, then the data sub-blocks.
                if next_byte(r)?.is_none() {
                    return Ok((frames, End::Data));
                }
            }
            Some(0x21) => {
                // Extension label, then sub-blocks.
                if next_byte(r)?.is_none() {
                    return Ok((frames, End::Data));
                }
            }
            Some(0x3B) => return Ok((frames, End::Trailer)),
            Some(_) => return Ok((frames, End::Garbage)),
            None => return Ok((frames, End::Data)),
        }
        // Data sub-blocks: length byte, data; a 0 length ends them.
        loop {
            tick(&mut items, limits)?;
            match next_byte(r)? {
                None => return Ok((frames, End::Data)),
                Some(0) => break,
                Some(n) => crate::read::skip(r, u64::from(n))?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::assert_item_limit;
    use crate::read::Counter;
    use proptest::prelude::*;
    use std::io::{BufReader, Cursor};

    fn header(w: u16, h: u16, gct_bits: Option<u8>) -> Vec<u8> {
        let mut v = b"GIF89a".to_vec();
        v.extend_from_slice(&w.to_le_bytes());
        v.extend_from_slice(&h.to_le_bytes());
        match gct_bits {
            Some(b) => {
                v.extend_from_slice(&[0x80 | b, 0, 0]);
                v.extend(std::iter::repeat_n(0x11, 3 << (b + 1)));
            }
            None => v.extend_from_slice(&[0, 0, 0]),
        }
        v
    }

    fn sub_blocks(data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        for c in data.chunks(255) {
            v.push(c.len() as u8);
            v.extend_from_slice(c);
        }
        v.push(0);
        v
    }

    /// Graphic control extension + image descriptor (with a local table if `lct`) + LZW data.
    fn frame(w: u16, h: u16, lct: bool, data_len: usize) -> Vec<u8> {
        let mut v = vec![0x21, 0xF9, 4, 0, 10, 0, 0, 0];
        v.push(0x2C);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v.extend_from_slice(&w.to_le_bytes());
        v.extend_from_slice(&h.to_le_bytes());
        if lct {
            v.push(0x81); // 4-entry local table
            v.extend_from_slice(&[0x22; 12]);
        } else {
            v.push(0);
        }
        v.push(8);
        v.extend(sub_blocks(&vec![0x5A; data_len]));
        v
    }

    fn netscape_loop() -> Vec<u8> {
        let mut v = vec![0x21, 0xFF, 11];
        v.extend_from_slice(b"NETSCAPE2.0");
        v.extend_from_slice(&[3, 1, 0, 0, 0]);
        v
    }

    fn gif(w: u16, h: u16, frames: usize) -> Vec<u8> {
        let mut v = header(w, h, Some(7));
        v.extend(netscape_loop());
        for i in 0..frames {
            v.extend(frame(w / 2, h / 2, i % 2 == 1, 300 + i * 7));
        }
        v.push(0x3B);
        v
    }

    fn run(b: &[u8]) -> Result<MediaInfo> {
        probe(&mut Cursor::new(b), b.len() as u64, &ProbeLimits::default())
    }

    fn dims(i: &MediaInfo) -> (u32, u32, Option<u64>, Option<u32>) {
        (i.width.unwrap(), i.height.unwrap(), i.frames, i.rotation)
    }

    #[test]
    fn still_and_animated() {
        assert_eq!(
            dims(&run(&gif(500, 300, 1)).unwrap()),
            (500, 300, Some(1), None)
        );
        assert_eq!(
            dims(&run(&gif(400, 400, 3)).unwrap()),
            (400, 400, Some(3), None)
        );
        assert_eq!(
            dims(&run(&gif(400, 400, 50)).unwrap()),
            (400, 400, Some(50), None)
        );
        // GIF87a, no global table, no extensions.
        let mut v = b"GIF87a".to_vec();
        v.extend_from_slice(&[10, 0, 20, 0, 0, 0, 0]);
        v.extend(&frame(10, 20, false, 3)[8..]);
        v.push(0x3B);
        assert_eq!(dims(&run(&v).unwrap()), (10, 20, Some(1), None));
    }

    #[test]
    fn canvas_is_judged_not_frames() {
        let mut v = header(300, 200, None);
        v.extend(frame(6000, 6000, false, 10));
        v.extend(frame(1, 1, false, 10));
        v.push(0x3B);
        assert_eq!(dims(&run(&v).unwrap()), (300, 200, Some(2), None));
    }

    #[test]
    fn missing_trailer_and_trailing_garbage_count_what_is_there() {
        let mut v = gif(400, 400, 3);
        v.pop();
        assert_eq!(run(&v).unwrap().frames, Some(3));
        v.extend_from_slice(b"garbage after the last frame");
        assert_eq!(run(&v).unwrap().frames, Some(3));
    }

    #[test]
    fn truncated_at_every_byte() {
        let v = gif(400, 400, 3);
        let starts: Vec<usize> = (0..v.len())
            .filter(|&i| v[i] == 0x2C && v.get(i.wrapping_sub(1)) == Some(&0))
            .collect();
        assert_eq!(starts.len(), 3);
        for n in 0..v.len() {
            let got = run(&v[..n]);
            // Frames whose 10-byte descriptor is complete at the cut.
            let complete = starts.iter().filter(|&&s| s + 10 <= n).count() as u64;
            if complete == 0 {
                // Cut in the header, the color table, the extensions or the first descriptor.
                let e = got.unwrap_err();
                assert!(
                    matches!(e, Error::Truncated { format: "gif", .. }),
                    "cut at {n}: {e}"
                );
            } else {
                let want = Some(complete);
                assert_eq!(got.unwrap().frames, want, "cut at {n}");
            }
        }
    }

    #[test]
    fn hostile_headers() {
        let e = |v: &[u8]| run(v).unwrap_err();
        let mut v = gif(10, 10, 1);
        v[4] = b'8';
        v[5] = b'8';
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "bad signature",
                ..
            }
        ));
        for (w, h) in [(0, 10), (10, 0)] {
            assert!(matches!(
                e(&gif(w, h, 1)),
                Error::Malformed {
                    reason: "logical screen width or height is 0",
                    ..
                }
            ));
        }
        // Trailer right after the header.
        let mut v = header(10, 10, None);
        v.push(0x3B);
        assert!(matches!(
            e(&v),
            Error::Malformed {
                reason: "no image in the file",
                ..
            }
        ));
        assert_eq!(
            dims(&run(&gif(65535, 65535, 2)).unwrap()),
            (65535, 65535, Some(2), None)
        );
    }

    #[test]
    fn endless_sub_blocks_hit_max_items() {
        let v = gif(100, 100, 4); // each frame: ~2-3 sub-blocks
        let l = ProbeLimits::default().max_items(10);
        assert_item_limit(probe(&mut Cursor::new(&v), v.len() as u64, &l), 10);
        // An endless chain of empty extensions: bounded by the data.
        let mut v = gif(100, 100, 1);
        v.pop();
        for _ in 0..10_000 {
            v.extend_from_slice(&[0x21, 0xFE, 0]);
        }
        assert_eq!(run(&v).unwrap().frames, Some(1));
    }

    #[test]
    fn spent_read_budget_reports_canvas_without_frames() {
        let v = gif(640, 480, 40);
        let r = Counter::new(Cursor::new(&v), 2000);
        let mut r = BufReader::with_capacity(256, r);
        let i = probe(&mut r, v.len() as u64, &ProbeLimits::default()).unwrap();
        assert_eq!(dims(&i), (640, 480, None, None));
        // With a budget covering the file, all 40 are counted through the same buffered path.
        let r = Counter::new(Cursor::new(&v), 1 << 20);
        let mut r = BufReader::with_capacity(256, r);
        let i = probe(&mut r, v.len() as u64, &ProbeLimits::default()).unwrap();
        assert_eq!(i.frames, Some(40));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut v = b"GIF89a".to_vec();
            v.extend(tail);
            let _ = run(&v);
        }

        #[test]
        fn mutated_headers_never_panic(i in 0usize..2000, x in any::<u8>(), cut in 0usize..2500) {
            let mut v = gif(400, 300, 3);
            if let Some(b) = v.get_mut(i) { *b ^= x; }
            v.truncate(cut);
            if let Ok(info) = run(&v) {
                prop_assert!(info.frames.is_none_or(|n| n >= 1));
            }
        }
    }
}
