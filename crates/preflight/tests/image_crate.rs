//! Our image header readers against the `image` crate (0.25) on every image
//! fixture under `testdata/image` that is JPEG, PNG, GIF, WebP, BMP or TIFF
//! (judged by content, as the probe does; HEIF has its own tests).
//!
//! For each fixture the `image` crate's decoder gives the stored size
//! (`dimensions()`) and the EXIF orientation (`orientation()`); we apply the
//! orientation's width/height swap ourselves and compare with our displayed
//! size, rotation and mirror flag. For GIF, WebP and APNG the frames of its
//! `AnimationDecoder` are counted and compared with our `frames` (`None` for
//! a still, `Some(n)` for n ≥ 2).
//!
//! Note: `ImageReader::into_dimensions()` ignores EXIF orientation (it returns
//! the stored size): `displayed_size_is_not_into_dimensions` asserts that on
//! the fixtures whose orientation swaps the sides, which is exactly why we
//! cannot take it as the displayed size.

use image::metadata::Orientation;
use image::{AnimationDecoder, ImageDecoder, ImageReader};
use preflight::{Format, MediaInfo, ProbeLimits};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/image");

/// The fixtures our image readers handle, sorted by path.
fn fixtures() -> Vec<(PathBuf, Format)> {
    let dir = Path::new(DIR);
    assert!(
        dir.is_dir(),
        "{DIR} is missing: the fixtures come from testdata/make.sh"
    );
    let mut v: Vec<(PathBuf, Format)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let head = std::fs::read(&p).unwrap();
            let format = preflight::sniff(&head[..head.len().min(preflight::SNIFF_LEN)]);
            matches!(
                format,
                Format::Jpeg
                    | Format::Png
                    | Format::Gif
                    | Format::Webp
                    | Format::Bmp
                    | Format::Tiff
            )
            .then_some((p, format))
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn ours(p: &Path) -> preflight::Result<MediaInfo> {
    preflight::probe_path(p, &ProbeLimits::default())
}

/// Our (rotation, mirrored) for an `image` orientation; see `preflight::formats::exif`.
fn rotation_of(o: Orientation) -> (u32, bool) {
    match o {
        Orientation::NoTransforms => (0, false),
        Orientation::Rotate90 => (90, false),
        Orientation::Rotate180 => (180, false),
        Orientation::Rotate270 => (270, false),
        Orientation::FlipHorizontal => (0, true),
        Orientation::FlipVertical => (180, true),
        Orientation::Rotate90FlipH => (90, true),
        Orientation::Rotate270FlipH => (270, true),
    }
}

fn swaps(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Stored size and orientation from the `image` crate.
fn reference(p: &Path) -> image::ImageResult<((u32, u32), Orientation)> {
    let mut d = ImageReader::open(p)?
        .with_guessed_format()?
        .into_decoder()?;
    Ok((d.dimensions(), d.orientation()?))
}

/// Frames of an animation, counted by decoding with the `image` crate; 1 for a still.
fn reference_frames(p: &Path, format: Format) -> usize {
    let r = || BufReader::new(File::open(p).unwrap());
    match format {
        Format::Gif => image::codecs::gif::GifDecoder::new(r())
            .unwrap()
            .into_frames()
            .count(),
        Format::Webp => {
            let d = image::codecs::webp::WebPDecoder::new(r()).unwrap();
            if d.has_animation() {
                d.into_frames().count()
            } else {
                1
            }
        }
        Format::Png => {
            let d = image::codecs::png::PngDecoder::new(r()).unwrap();
            if d.is_apng().unwrap() {
                d.apng().unwrap().into_frames().count()
            } else {
                1
            }
        }
        _ => 1,
    }
}

#[test]
fn displayed_size_matches_the_image_crate() {
    let mut compared = 0;
    let mut errors = 0;
    for (p, format) in fixtures() {
        let name = p.display();
        match (ours(&p), reference(&p)) {
            (Ok(info), Ok(((w, h), o))) => {
                let want = if swaps(o) { (h, w) } else { (w, h) };
                assert_eq!(
                    (info.width, info.height),
                    (Some(want.0), Some(want.1)),
                    "{name}"
                );
                assert_eq!(info.format, format, "{name}");
                let (rot, mirrored) = rotation_of(o);
                assert_eq!(
                    (info.rotation.unwrap_or(0), info.mirrored),
                    (rot, mirrored),
                    "{name}"
                );
                compared += 1;
            }
            // Both refuse the file (a truncated IHDR, …).
            (Err(_), Err(_)) => errors += 1,
            (a, b) => panic!("{name}: ours {a:?}, image crate {:?}", b.map(|x| x.0)),
        }
    }
    assert!(compared >= 25, "only {compared} fixtures compared");
    assert!(errors >= 1, "expected at least one corrupt fixture");
}

#[test]
fn displayed_size_is_not_into_dimensions() {
    let mut swapped = 0;
    for (p, _) in fixtures() {
        let Ok(((w, h), o)) = reference(&p) else {
            continue;
        };
        let stored = ImageReader::open(&p)
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .into_dimensions()
            .unwrap();
        // into_dimensions() is the stored size whatever the EXIF orientation says.
        assert_eq!(stored, (w, h), "{}", p.display());
        if swaps(o) && w != h {
            let info = ours(&p).unwrap();
            assert_eq!(
                (info.width, info.height),
                (Some(h), Some(w)),
                "{}",
                p.display()
            );
            assert_ne!(
                (info.width.unwrap(), info.height.unwrap()),
                stored,
                "{}",
                p.display()
            );
            swapped += 1;
        }
    }
    // JPEG (orientation 6 and 8), PNG eXIf, WebP EXIF and TIFF Orientation 6.
    assert!(
        swapped >= 5,
        "only {swapped} fixtures with a swapping orientation"
    );
}

#[test]
fn frame_counts_match_the_image_crate() {
    let mut animations = 0;
    for (p, format) in fixtures() {
        if !matches!(format, Format::Gif | Format::Webp | Format::Png) {
            continue;
        }
        let Ok(info) = ours(&p) else { continue };
        let n = reference_frames(&p, format);
        // GIF and WebP always report their frame count (1 for a still); a PNG
        // only when it is an APNG of two frames or more.
        let want = match format {
            Format::Png => (n >= 2).then_some(n as u64),
            _ => Some(n as u64),
        };
        assert_eq!(info.frames, want, "{}", p.display());
        animations += usize::from(n >= 2);
    }
    assert!(animations >= 2, "only {animations} animated fixtures");
}
