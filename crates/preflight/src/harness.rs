//! Bodies of the fuzz targets in `fuzz/`, as plain functions so that the
//! regression tests in `tests/hostile.rs` run the very same code on a stable
//! toolchain. Each asserts the invariants that must hold for any input.

use crate::check::check;
use crate::error::Result;
use crate::info::{Format, Kind, MediaInfo};
use crate::probe::{probe_bytes, read_headers};
use crate::profile::Profile;
use crate::read::{Counter, ProbeLimits};
use crate::report::FileReport;
use crate::rule::Rule;
use crate::{formats, sniff};
use std::io::{BufReader, Cursor};

pub use crate::formats::mp3::Scan as Mp3Scan;
pub use crate::mpeg_audio::VbrKind;

/// Runs the reader of `format` on `data` directly, bypassing the sniffer.
pub fn read_as(format: Format, data: &[u8], limits: &ProbeLimits) -> Result<MediaInfo> {
    let size = data.len() as u64;
    let mut r = BufReader::new(
        Counter::new(Cursor::new(data), limits.max_bytes_read).expect_len(Some(size)),
    );
    read_headers(format, &mut r, size, limits)
}

/// The MP3 frame walk over `data`, with what it found beyond [`MediaInfo`].
pub fn mp3_scan(data: &[u8]) -> Result<Mp3Scan> {
    let limits = ProbeLimits::default();
    let mut r = Cursor::new(data);
    formats::mp3::scan(&mut r, data.len() as u64, &limits)
}

/// The format readers reachable from a fuzz target, by name.
pub const READERS: [&str; 12] = [
    "jpeg", "png", "gif", "webp", "bmp", "tiff", "heif", "mp4", "mp3", "wav", "exif", "sniff",
];

/// Sniffs `data`; must not panic and must agree with itself.
pub fn sniff_bytes(data: &[u8]) {
    let a = sniff::classify(data);
    let b = sniff::classify(data);
    assert_eq!(a, b);
    let _ = sniff::sniff(&mut Cursor::new(data));
}

/// Runs one reader directly on `data` (bypassing the sniffer), with the
/// default limits. Must not panic; a successful result must be coherent.
pub fn probe_reader(reader: &str, data: &[u8]) {
    let limits = ProbeLimits::default();
    let size = data.len() as u64;
    let mut r = BufReader::new(
        Counter::new(Cursor::new(data), limits.max_bytes_read).expect_len(Some(size)),
    );
    let format = match reader {
        "jpeg" => Format::Jpeg,
        "png" => Format::Png,
        "gif" => Format::Gif,
        "webp" => Format::Webp,
        "bmp" => Format::Bmp,
        "tiff" => Format::Tiff,
        "heif" => Format::Heic,
        "mp4" => Format::Mp4,
        "mp3" => Format::Mp3,
        "wav" => Format::Wav,
        "exif" => {
            let _ = formats::exif::orientation(data);
            return;
        }
        "sniff" => {
            sniff_bytes(data);
            return;
        }
        other => panic!("no reader {other}"),
    };
    let result = read_headers(format, &mut r, size, &limits);
    if let Ok(info) = result {
        if let Some(d) = info.duration_s {
            assert!(d.is_finite() && d >= 0.0, "duration {d}");
        }
        if let Some(f) = info.fps {
            assert!(f.den != 0);
        }
        if let Some(r) = info.rotation {
            assert!(matches!(r, 0 | 90 | 180 | 270), "rotation {r}");
        }
    }
}

/// The whole path a user's file takes: sniff, probe, check, report as JSON.
pub fn probe_and_check(data: &[u8]) {
    let profile = Profile::seedance2();
    match probe_bytes(data, &ProbeLimits::default()) {
        Ok(info) => {
            assert_eq!(info.bytes, data.len() as u64);
            assert_eq!(info.kind, info.format.kind());
            if data.is_empty() {
                assert_eq!(info.format, Format::Unknown);
            }
            let report = check(&info, &profile);
            if info.format.is_supported() && info.kind == Kind::Image && data.len() < 30_000_000 {
                // A supported image within the size limit fails only on its dimensions.
                assert!(report
                    .violations
                    .iter()
                    .all(|v| v.rule.id().starts_with("image.")));
            }
            let file = FileReport::checked("fuzz", info, report);
            #[cfg(feature = "serde")]
            serde_json::to_string(&file).expect("report serialises");
            let _ = file;
        }
        Err(e) => {
            // Whole data in memory: never incomplete, never unreadable.
            assert!(
                matches!(
                    e.rule(),
                    Rule::FileCorrupt | Rule::FileLimit | Rule::FileUnsupportedType
                ),
                "{e}"
            );
            assert!(!e.to_string().is_empty());
        }
    }
}

/// The sans-I/O [`Prober`](crate::Prober), fed the ranges it asks for in
/// pieces whose size the first byte of `data` picks, must agree exactly with
/// a probe of the whole data; it must never ask for an empty range, for
/// bytes past the end, or for bytes it holds (so each feed brings at least
/// one new byte, and it is done after at most one feed per byte).
pub fn prober_agrees(data: &[u8]) {
    let Some((&k, data)) = data.split_first() else {
        return;
    };
    let limits = ProbeLimits::default();
    let whole = probe_bytes(data, &limits).map_err(|e| e.rule());
    let piece = 1 + (k as u64 % 64) * 97;
    let mut p = crate::Prober::new(Some(data.len() as u64), limits);
    let (mut offset, mut len) = (0u64, piece);
    let mut fed = vec![false; data.len()];
    // Each feed starts at a byte the prober does not hold.
    for _ in 0..=data.len() + 1 {
        let start = offset as usize;
        assert!(
            start <= data.len(),
            "asked for offset {offset} past {}",
            data.len()
        );
        let end = (offset + len.min(piece)).min(data.len() as u64) as usize;
        fed[start..end].fill(true);
        match p.feed(start as u64, &data[start..end]) {
            Ok(crate::Step::Done(info)) => {
                assert_eq!(Ok(info), whole);
                return;
            }
            Ok(crate::Step::NeedRange { offset: o, len: l }) => {
                assert!(l > 0, "asked for an empty range");
                assert!(
                    !fed.get(o as usize).copied().unwrap_or(false),
                    "asked for offset {o} again"
                );
                (offset, len) = (o, l);
            }
            Err(e) => {
                assert_eq!(whole.err(), Some(e.rule()), "{e}");
                return;
            }
        }
    }
    panic!("the prober asked for bytes it holds: more feeds than bytes");
}
