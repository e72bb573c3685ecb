//! BMP (Windows / OS/2 bitmap) header reader.
//!
//! Specs (Microsoft Learn, Win32 `wingdi.h`):
//! - `BITMAPFILEHEADER`: `BM`, file size, 2 reserved u16, pixel data offset (14 bytes).
//! - `BITMAPCOREHEADER` (12 bytes): size, then width and height as u16.
//! - `BITMAPINFOHEADER` (40) and its extensions `BITMAPV2INFOHEADER` (52),
//!   `BITMAPV3INFOHEADER` (56), `BITMAPV4HEADER` (108), `BITMAPV5HEADER` (124),
//!   and OS/2 `OS22XBITMAPHEADER` (64, or its 16-byte short form): size, then
//!   width and height as i32 little-endian. A negative height marks a
//!   top-down bitmap; its absolute value is the height.
//!
//! Reads 26 bytes at most. No orientation, `frames` is `None`.

use crate::error::{Error, Result};
use crate::info::{Format, MediaInfo};
use crate::read::{array, ProbeLimits};
use std::io::{Read, Seek};

const FORMAT: &str = "bmp";

/// Reads the headers of a BMP file into a [`MediaInfo`].
pub fn probe<R: Read + Seek>(r: &mut R, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    let _ = limits;
    read(r, size).map_err(|e| e.in_format(FORMAT))
}

fn read<R: Read>(r: &mut R, size: u64) -> Result<MediaInfo> {
    let h: [u8; 18] = array(r)?;
    if &h[..2] != b"BM" {
        return Err(Error::malformed(FORMAT, "bad signature"));
    }
    let dib = u32::from_le_bytes([h[14], h[15], h[16], h[17]]);
    let (width, height) = match dib {
        12 => {
            let d: [u8; 4] = array(r)?;
            let w = u16::from_le_bytes([d[0], d[1]]);
            let h = u16::from_le_bytes([d[2], d[3]]);
            if w == 0 || h == 0 {
                return Err(Error::malformed(
                    "bmp (BITMAPCOREHEADER)",
                    "width or height is 0",
                ));
            }
            (u32::from(w), u32::from(h))
        }
        16 | 40 | 52 | 56 | 64 | 108 | 124 => {
            let d: [u8; 8] = array(r)?;
            let w = i32::from_le_bytes([d[0], d[1], d[2], d[3]]);
            let h = i32::from_le_bytes([d[4], d[5], d[6], d[7]]);
            if w <= 0 {
                return Err(Error::malformed(
                    "bmp (BITMAPINFOHEADER)",
                    "width is 0 or negative",
                ));
            }
            if h == 0 {
                return Err(Error::malformed("bmp (BITMAPINFOHEADER)", "height is 0"));
            }
            (w.unsigned_abs(), h.unsigned_abs())
        }
        _ => return Err(Error::unsupported(FORMAT, "unknown DIB header size")),
    };
    let mut info = MediaInfo::new(Format::Bmp, size);
    info.width = Some(width);
    info.height = Some(height);
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Cursor;

    fn bmp_info(dib: u32, w: i32, h: i32) -> Vec<u8> {
        let mut v = b"BM".to_vec();
        v.extend_from_slice(&1000u32.to_le_bytes());
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(&(14 + dib).to_le_bytes());
        v.extend_from_slice(&dib.to_le_bytes());
        v.extend_from_slice(&w.to_le_bytes());
        v.extend_from_slice(&h.to_le_bytes());
        v.resize(14 + dib as usize, 0);
        v
    }

    fn bmp_core(w: u16, h: u16) -> Vec<u8> {
        let mut v = b"BM".to_vec();
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&26u32.to_le_bytes());
        v.extend_from_slice(&12u32.to_le_bytes());
        v.extend_from_slice(&w.to_le_bytes());
        v.extend_from_slice(&h.to_le_bytes());
        v.extend_from_slice(&[1, 0, 24, 0]);
        v
    }

    fn run(b: &[u8]) -> Result<MediaInfo> {
        probe(&mut Cursor::new(b), b.len() as u64, &ProbeLimits::default())
    }

    fn dims(b: &[u8]) -> (u32, u32) {
        let i = run(b).unwrap();
        assert_eq!((i.rotation, i.frames), (None, None));
        (i.width.unwrap(), i.height.unwrap())
    }

    #[test]
    fn every_header_size() {
        for dib in [16, 40, 52, 56, 64, 108, 124] {
            assert_eq!(dims(&bmp_info(dib, 320, 300)), (320, 300), "dib {dib}");
            assert_eq!(
                dims(&bmp_info(dib, 320, -300)),
                (320, 300),
                "dib {dib} top-down"
            );
        }
        assert_eq!(dims(&bmp_core(320, 300)), (320, 300));
        assert_eq!(dims(&bmp_core(65535, 65535)), (65535, 65535));
        assert_eq!(dims(&bmp_info(40, 65535, 65535)), (65535, 65535));
        assert_eq!(
            dims(&bmp_info(40, i32::MAX, i32::MIN)),
            (i32::MAX as u32, 1 << 31)
        );
    }

    #[test]
    fn bad_sizes() {
        for w in [0, -1, i32::MIN] {
            let e = run(&bmp_info(40, w, 10)).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Malformed {
                        reason: "width is 0 or negative",
                        ..
                    }
                ),
                "w={w}"
            );
        }
        let e = run(&bmp_info(124, 10, 0)).unwrap_err();
        assert!(matches!(
            e,
            Error::Malformed {
                reason: "height is 0",
                ..
            }
        ));
        for (w, h) in [(0, 1), (1, 0)] {
            let e = run(&bmp_core(w, h)).unwrap_err();
            assert!(matches!(
                e,
                Error::Malformed {
                    format: "bmp (BITMAPCOREHEADER)",
                    ..
                }
            ));
        }
    }

    #[test]
    fn hostile_headers() {
        let mut v = bmp_info(40, 1, 1);
        v[1] = b'A';
        assert!(matches!(
            run(&v),
            Err(Error::Malformed {
                reason: "bad signature",
                ..
            })
        ));
        for dib in [0, 11, 13, 41, u32::MAX] {
            let v = bmp_info(40, 1, 1);
            let mut v = v[..18].to_vec();
            v[14..18].copy_from_slice(&dib.to_le_bytes());
            v.extend_from_slice(&[1; 8]);
            assert!(
                matches!(run(&v), Err(Error::Unsupported { .. })),
                "dib {dib}"
            );
        }
    }

    #[test]
    fn truncated_at_every_byte() {
        let v = bmp_info(40, 320, 300);
        for n in 0..26 {
            let e = run(&v[..n]).unwrap_err();
            assert!(
                matches!(e, Error::Truncated { format: "bmp", .. }),
                "cut at {n}: {e}"
            );
        }
        assert_eq!(dims(&v[..26]), (320, 300));
        let v = bmp_core(320, 300);
        for n in 0..22 {
            assert!(
                matches!(run(&v[..n]), Err(Error::Truncated { format: "bmp", .. })),
                "cut at {n}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut v = b"BM".to_vec();
            v.extend(tail);
            if let Ok(i) = run(&v) {
                prop_assert!(i.width.unwrap() > 0 && i.height.unwrap() > 0);
            }
        }

        #[test]
        fn mutated_headers_never_panic(dib in prop::sample::select(vec![12u32, 16, 40, 52, 56, 64, 108, 124]),
                                       w in any::<i32>(), h in any::<i32>(), cut in 0usize..140) {
            let mut v = bmp_info(dib, w, h);
            v.truncate(cut);
            if let Ok(i) = run(&v) {
                prop_assert!(i.width.unwrap() > 0 && i.height.unwrap() > 0);
            }
        }
    }
}
