//! Bodies of the fuzz targets `fix_image` and `fix_audio` (in `fuzz/`), as
//! plain functions so that `tests/fuzz_fixtures.rs` runs the very same code
//! over every fixture, its cuts and its bit flips on a stable toolchain.
//!
//! Each probes the bytes as `fix` would, plans against the default profile
//! and against profiles that force every repair step (resize, convert,
//! re-encode; trim, pad, convert), and applies each plan in memory with the
//! budget on (`FIXING_LIMITS`). Whatever the bytes, nothing may panic or
//! abort; a repair that succeeds must write a non-empty file of the format
//! it reports.

use crate::{apply_bytes, plan, AspectMode, FixLimits, FixOptions, TrimMode};
use preflight::{probe_bytes, Format, Kind, ProbeLimits, Profile};

/// The budget of a fuzzed repair: small enough that libFuzzer's
/// `-malloc_limit_mb=256` catches any allocation made outside it.
pub const FIXING_LIMITS: FixLimits = FixLimits {
    max_input_bytes: 16 << 20,
    max_memory_bytes: 64 << 20,
    max_animation_pixels: 16_000_000,
    max_output_bytes: 16 << 20,
    ffmpeg_base_timeout: std::time::Duration::from_secs(5),
    ffmpeg_timeout_per_media_s: 0,
};

/// Profiles under which an image of any size must change: the default one,
/// one whose bounds force a resize and a conversion to JPEG, and one that
/// forces a crop to a square PNG.
fn image_profiles() -> Vec<(Profile, FixOptions)> {
    let base = FixOptions::new().limits(FIXING_LIMITS);
    let mut small = Profile::seedance2();
    small.image.max_width = 24;
    small.image.max_height = 24;
    small.image.min_width = 1;
    small.image.min_height = 1;
    small.image.max_bytes = 4096;
    small.image.formats = vec![Format::Jpeg];
    let mut square = small.clone();
    square.image.min_aspect = 1.0;
    square.image.max_aspect = 1.0;
    square.image.formats = vec![Format::Png];
    square.image.max_bytes = 1 << 20;
    vec![
        (Profile::seedance2(), base.clone()),
        (small, base.clone()),
        (square, base.aspect(AspectMode::Crop)),
    ]
}

/// Profiles under which any audio must change: the default one, one that
/// trims to 0.5 s in the middle and converts to WAV, and one that pads to
/// 3 s.
fn audio_profiles() -> Vec<(Profile, FixOptions)> {
    let base = FixOptions::new().limits(FIXING_LIMITS);
    let mut short = Profile::seedance2();
    short.audio.min_duration_s = 0.1;
    short.audio.max_duration_s = 0.5;
    short.audio.formats = vec![Format::Wav];
    let mut long = Profile::seedance2();
    long.audio.min_duration_s = 3.0;
    long.audio.max_duration_s = 4.0;
    vec![
        (Profile::seedance2(), base.clone()),
        (short, base.clone().trim(TrimMode::Middle)),
        (long, base.pad_audio(true)),
    ]
}

fn fix_as(kind: Kind, data: &[u8], profiles: Vec<(Profile, FixOptions)>) {
    let Ok(info) = probe_bytes(data, &ProbeLimits::default()) else {
        return;
    };
    if info.kind != kind {
        return;
    }
    for (profile, opts) in profiles {
        let plan = plan(&info, &profile, &opts);
        if let Ok(r) = apply_bytes(&plan, data, &profile, &opts) {
            assert!(!r.bytes.is_empty(), "an empty repair of {:?}", info.format);
            assert!(
                r.bytes.len() as u64 <= FIXING_LIMITS.max_memory_bytes,
                "an output over the budget"
            );
        }
    }
}

/// Repairs `data` as an image (when it probes as one) under each image
/// profile. Must not panic.
pub fn fix_image(data: &[u8]) {
    fix_as(Kind::Image, data, image_profiles());
}

/// Repairs `data` as audio (when it probes as such) under each audio
/// profile. Must not panic.
pub fn fix_audio(data: &[u8]) {
    fix_as(Kind::Audio, data, audio_profiles());
}
