//! The hostile corpus: every file in testdata/hostile/ has its exact outcome
//! here; every fixture truncated at 0, 1, 8, 64 bytes and at half gives a clean
//! verdict or a clean error; no check allocates more than 64 MB at its peak.

use preflight::{check_path, harness, ProbeLimits, Profile, Verdict};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Counts live and peak heap bytes of this test binary.
struct Peak;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Peak = Peak;

/// (file, verdict, rules that must be reported, in order)
const OUTCOMES: &[(&str, Verdict, &[&str])] = &[
    (
        "bomb_png_65535x65535.png",
        Verdict::Fail,
        &["image.width", "image.height"],
    ),
    (
        "bomb_png_2e31x2e31.png",
        Verdict::Fail,
        &["image.width", "image.height"],
    ),
    (
        "bomb_bmp_65535x65535.bmp",
        Verdict::Fail,
        &["image.width", "image.height"],
    ),
    (
        "bomb_jpeg_65535x65535.jpg",
        Verdict::Fail,
        &["image.width", "image.height"],
    ),
    (
        "bomb_tiff_70000x70000.tif",
        Verdict::Fail,
        &["image.width", "image.height"],
    ),
    (
        "mp4_stts_2e31_entries.mp4",
        Verdict::Error,
        &["file.corrupt"],
    ),
    (
        "mp4_stsz_2e31_entries.mp4",
        Verdict::Error,
        &["file.corrupt"],
    ),
    (
        "mp4_stco_2e31_entries.mp4",
        Verdict::Error,
        &["file.corrupt"],
    ),
    // Size 0 is "to the end of the file": valid for the last box, and moov's own
    // children come first, so this one reads as the original does.
    ("mp4_moov_size_0.mp4", Verdict::Pass, &[]),
    ("mp4_moov_size_4g.mp4", Verdict::Error, &["file.corrupt"]),
    (
        "mp4_trak_overlaps_parent.mp4",
        Verdict::Error,
        &["file.corrupt"],
    ),
    ("mp4_stsd_size_5.mp4", Verdict::Error, &["file.corrupt"]),
    (
        "mp4_mvhd_timescale_0.mp4",
        Verdict::Error,
        &["file.corrupt"],
    ),
    (
        "mp4_mdhd_timescale_0.mp4",
        Verdict::Error,
        &["file.corrupt"],
    ),
    (
        "mp4_nested_10000_deep.mp4",
        Verdict::Error,
        &["file.corrupt"],
    ),
    ("mp4_many_tiny_boxes.mp4", Verdict::Error, &["file.corrupt"]),
    ("heic_meta_size_4g.heic", Verdict::Error, &["file.corrupt"]),
    (
        "heic_ipma_2e31_entries.heic",
        Verdict::Error,
        &["file.corrupt"],
    ),
    (
        "heic_pitm_missing_item.heic",
        Verdict::Error,
        &["file.corrupt"],
    ),
    // The bytes present are what a player plays: 48,000 bytes of 16-bit mono at 8 kHz.
    ("wav_data_claims_4g.wav", Verdict::Error, &["file.corrupt"]),
    ("wav_sample_rate_0.wav", Verdict::Error, &["file.corrupt"]),
    ("wav_fmt_size_4g.wav", Verdict::Error, &["file.corrupt"]),
    // The RIFF size is ignored; chunks are walked to the end of the file.
    ("wav_riff_size_0.wav", Verdict::Pass, &[]),
    (
        "mp3_random_frame_sync.mp3",
        Verdict::Fail,
        &["file.unknown_type"],
    ),
    ("mp3_id3_claims_256m.mp3", Verdict::Error, &["file.corrupt"]),
    ("png_ihdr_length_4g.png", Verdict::Error, &["file.corrupt"]),
    ("png_ihdr_length_0.png", Verdict::Error, &["file.corrupt"]),
    (
        "jpeg_segment_length_0.jpg",
        Verdict::Error,
        &["file.corrupt"],
    ),
    (
        "jpeg_segment_length_ffff.jpg",
        Verdict::Error,
        &["file.corrupt"],
    ),
    // A WebP's RIFF size says how long the file is: shorter is truncated.
    ("webp_riff_size_4g.webp", Verdict::Error, &["file.corrupt"]),
    ("webp_chunk_size_4g.webp", Verdict::Error, &["file.corrupt"]),
    // Cut inside its first frame: the canvas is known, one frame has begun.
    ("gif_cut_in_first_frame.gif", Verdict::Pass, &[]),
    (
        "tiff_ifd_offset_past_end.tif",
        Verdict::Error,
        &["file.corrupt"],
    ),
    ("bmp_width_0.bmp", Verdict::Error, &["file.corrupt"]),
];

fn hostile(name: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/hostile"
    ))
    .join(name)
}

#[test]
fn every_hostile_file_has_its_exact_outcome() {
    let profile = Profile::seedance2();
    let limits = ProbeLimits::default();
    let mut wrong = Vec::new();
    for (name, verdict, rules) in OUTCOMES {
        let r = check_path(&hostile(name), &profile, &limits);
        let got: Vec<&str> = r.violations.iter().map(|v| v.rule.id()).collect();
        if r.verdict != *verdict || got != *rules {
            wrong.push(format!(
                "{name}: got {:?} {:?}, expected {verdict:?} {rules:?}",
                r.verdict, r.violations
            ));
        }
        if r.verdict == Verdict::Error {
            // A clear message naming what was wrong.
            assert!(
                r.violations[0].message.len() > 10,
                "{name}: {:?}",
                r.violations
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_table_covers_every_file_in_the_corpus() {
    for entry in std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/hostile"
    ))
    .unwrap()
    {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        // `fix/` holds the repair corpus, with its own test in preflight-cli.
        if name.ends_with(".py") || name.ends_with(".md") || name == "regression" || name == "fix" {
            continue;
        }
        assert!(
            OUTCOMES.iter().any(|(n, ..)| *n == name),
            "{name} has no expected outcome"
        );
    }
}

#[test]
fn bombs_report_their_declared_size_without_allocating_it() {
    let r = check_path(
        &hostile("bomb_png_65535x65535.png"),
        &Profile::seedance2(),
        &ProbeLimits::default(),
    );
    let info = r.info.unwrap();
    assert_eq!((info.width, info.height), (Some(65535), Some(65535)));
    assert_eq!(
        r.violations[0].message,
        "width 65535 px is above the 6000 px limit"
    );
}

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["image", "video", "audio", "unsupported", "unknown"] {
        for e in std::fs::read_dir(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(dir),
        )
        .unwrap()
        {
            out.push(e.unwrap().path());
        }
    }
    out.sort();
    out
}

#[test]
fn truncated_fixtures_give_clean_outcomes() {
    let profile = Profile::seedance2();
    let limits = ProbeLimits::default();
    let dir = tempfile::tempdir().unwrap();
    for src in fixtures() {
        let bytes = std::fs::read(&src).unwrap();
        for cut in [0, 1, 8, 64, bytes.len() / 2] {
            if cut > bytes.len() {
                continue;
            }
            let p = dir.path().join(src.file_name().unwrap());
            std::fs::write(&p, &bytes[..cut]).unwrap();
            let r = check_path(&p, &profile, &limits);
            let rules: Vec<&str> = r.violations.iter().map(|v| v.rule.id()).collect();
            let what = format!(
                "{} cut at {cut}: {:?} {:?}",
                src.display(),
                r.verdict,
                r.violations
            );
            match cut {
                0 => assert_eq!(rules, ["file.empty"], "{what}"),
                // One byte identifies nothing.
                1 => assert_eq!(rules, ["file.unknown_type"], "{what}"),
                _ => match r.verdict {
                    Verdict::Error => {
                        assert!(
                            matches!(rules[..], ["file.corrupt"] | ["file.unsupported_type"]),
                            "{what}"
                        )
                    }
                    // Anything else must come with a probed MediaInfo.
                    _ => assert!(r.info.is_some(), "{what}"),
                },
            }
            // The same bytes through the fuzz harness: same invariants as the fuzzers.
            harness::probe_and_check(&bytes[..cut]);
        }
    }
}

#[test]
fn bit_flipped_fixtures_never_panic() {
    // Deterministic flips at spread-out offsets of every fixture (headers first).
    for src in fixtures() {
        let bytes = std::fs::read(&src).unwrap();
        if bytes.is_empty() {
            continue;
        }
        let mut offsets: Vec<usize> = (0..bytes.len().min(512)).step_by(3).collect();
        offsets.extend((0..bytes.len()).step_by((bytes.len() / 64).max(1)));
        for at in offsets {
            for bit in [0x01u8, 0x80] {
                let mut b = bytes.clone();
                b[at] ^= bit;
                harness::probe_and_check(&b);
            }
        }
    }
}

#[test]
fn peak_heap_for_any_hostile_file_is_under_64_mb() {
    let profile = Profile::seedance2();
    let limits = ProbeLimits::default();
    let mut worst = (0usize, String::new());
    for (name, ..) in OUTCOMES {
        // Other tests run in parallel threads of this binary: measure the growth
        // over what is live, and take the worst across files.
        let base = LIVE.load(Relaxed);
        PEAK.store(base, Relaxed);
        let _ = check_path(&hostile(name), &profile, &limits);
        let grew = PEAK.load(Relaxed).saturating_sub(base);
        if grew > worst.0 {
            worst = (grew, name.to_string());
        }
    }
    assert!(
        worst.0 < 64 << 20,
        "{} peaked at {} bytes",
        worst.1,
        worst.0
    );
}

mod random_damage {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn corpus() -> &'static Vec<Vec<u8>> {
        static C: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
        C.get_or_init(|| {
            fixtures()
                .iter()
                .map(|p| std::fs::read(p).unwrap())
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1500))]

        /// Any fixture, cut anywhere and with a few bytes changed anywhere,
        /// gives a clean verdict or `file.corrupt`/`file.unsupported_type`.
        #[test]
        fn damaged_fixtures_give_clean_outcomes(
            which in any::<prop::sample::Index>(),
            cut in any::<prop::sample::Index>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..6),
        ) {
            let src = &corpus()[which.index(corpus().len())];
            let mut b = src[..cut.index(src.len() + 1)].to_vec();
            for (at, x) in flips {
                if !b.is_empty() {
                    let i = at.index(b.len());
                    b[i] ^= x;
                }
            }
            harness::probe_and_check(&b);
        }
    }
}
