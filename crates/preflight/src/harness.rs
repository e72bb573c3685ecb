//! Bodies of the fuzz targets in `fuzz/`, as plain functions so that the
//! regression tests in `tests/hostile.rs` run the very same code on a stable
//! toolchain. Each asserts the invariants that must hold for any input.

use crate::check::check;
use crate::info::{Format, Kind};
use crate::probe::{probe, read_headers};
use crate::profile::Profile;
use crate::read::{Counter, ProbeLimits};
use crate::report::FileReport;
use crate::{formats, sniff};
use std::io::{BufReader, Cursor};

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
    let mut r = BufReader::new(Counter::new(Cursor::new(data), limits.max_bytes_read));
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
    match probe(Cursor::new(data), &ProbeLimits::default()) {
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
                    .all(|v| v.rule.starts_with("image.")));
            }
            let file = FileReport {
                path: "fuzz".into(),
                bytes: Some(info.bytes),
                verdict: report.verdict(),
                info: Some(info),
                violations: report.violations,
                warnings: report.warnings,
            };
            serde_json::to_string(&file).expect("report serialises");
        }
        Err(e) => {
            assert!(matches!(
                e.rule(),
                "file.corrupt" | "file.unreadable" | "file.unsupported_type"
            ));
            assert!(!e.to_string().is_empty());
        }
    }
}
