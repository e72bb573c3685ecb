//! Instruction-count benches (gungraun, under Valgrind's callgrind): the hot
//! paths that do not touch the disk. Each bench runs once; its count does not
//! depend on the machine's load, so `.ci/bench.sh` compares it with the
//! baseline committed in `bench/baseline/` and fails on a regression.
//!
//! Files are read into memory in the setup, which is not counted.
//!
//!     bash .ci/bench.sh            (the benches and the comparison)
//!     cargo bench -p preflight-instructions   (the benches alone)
//!
//! (needs `valgrind` and `gungraun-runner` of the same version as the
//! `gungraun` dev-dependency; `.ci/bench.sh` installs both.)

use gungraun::{library_benchmark, library_benchmark_group, main};
use preflight::bundle::{AssetType, Bundle, Item, Mode};
use preflight::{check, probe_bytes, MediaInfo, ProbeLimits, Prober, Profile, Report, Step};
use preflight_instructions::{head, read};
use std::hint::black_box;

#[library_benchmark(setup = head)]
#[bench::mp4_faststart("video/ok_1280x720_30fps_5s.mp4")]
#[bench::mov("video/ok_mov_h264_aac_1280x720_5s.mov")]
#[bench::heic("image/ok_heic_irot_1000x600.heic")]
#[bench::jpeg_exif("image/ok_exif_orient6_1000x600.jpg")]
#[bench::png("image/ok_png_800x600.png")]
#[bench::gif("image/ok_gif_anim_3f_400x400.gif")]
#[bench::webp("image/ok_webp_lossy_800x600.webp")]
#[bench::tiff("image/ok_tiff_le_640x480.tif")]
#[bench::mp3("audio/ok_mp3_vbr_xing_5s.mp3")]
#[bench::wav("audio/ok_wav_pcm16_8k_mono_3s.wav")]
fn sniff(head: Vec<u8>) -> preflight::Format {
    black_box(preflight::sniff(black_box(&head)))
}

#[library_benchmark(setup = read)]
#[bench::mp4_faststart("video/ok_1280x720_30fps_5s.mp4")]
#[bench::mp4_moov_at_end("video/ok_1280x720_30fps_5s_moov_end.mp4")]
#[bench::mov("video/ok_mov_h264_aac_1280x720_5s.mov")]
#[bench::heic("image/ok_heic_irot_1000x600.heic")]
#[bench::jpeg_exif("image/ok_exif_orient6_1000x600.jpg")]
#[bench::png("image/ok_png_800x600.png")]
#[bench::gif("image/ok_gif_anim_3f_400x400.gif")]
#[bench::webp("image/ok_webp_lossy_800x600.webp")]
#[bench::tiff("image/ok_tiff_le_640x480.tif")]
#[bench::mp3_xing("audio/ok_mp3_vbr_xing_5s.mp3")]
#[bench::mp3_no_xing("audio/ok_mp3_vbr_noxing_10s.mp3")]
#[bench::wav("audio/ok_wav_pcm16_8k_mono_3s.wav")]
fn probe(bytes: Vec<u8>) -> MediaInfo {
    let limits = ProbeLimits::default();
    black_box(probe_bytes(black_box(&bytes), &limits).expect("a fixture that probes"))
}

// The sans-I/O `Prober` as the browser and remote checks drive it: fed the
// first 64 KiB, then each range it asks for.
#[library_benchmark(setup = read)]
#[bench::mp4_moov_at_end("video/ok_1280x720_30fps_5s_moov_end.mp4")]
#[bench::jpeg_exif("image/ok_exif_orient6_1000x600.jpg")]
#[bench::gif("image/ok_gif_anim_3f_400x400.gif")]
#[bench::mp3_no_xing("audio/ok_mp3_vbr_noxing_10s.mp3")]
fn prober(bytes: Vec<u8>) -> MediaInfo {
    let total = bytes.len() as u64;
    let mut p = Prober::new(Some(total), ProbeLimits::default());
    let (mut offset, mut len) = (0u64, preflight::MIN_RANGE);
    loop {
        let end = (offset + len).min(total);
        match p.feed(offset, black_box(&bytes[offset as usize..end as usize])) {
            Ok(Step::Done(info)) => return black_box(info),
            Ok(Step::NeedRange { offset: o, len: l }) => (offset, len) = (o, l),
            other => panic!("a fixture that probes: {other:?}"),
        }
    }
}

/// A measured file and the profile to check it against.
fn measured(rel: &str) -> (MediaInfo, Profile) {
    let info = probe_bytes(&read(rel), &ProbeLimits::default()).expect("a fixture that probes");
    (info, Profile::seedance2())
}

#[library_benchmark(setup = measured)]
#[bench::mp4_pass("video/ok_1280x720_30fps_5s.mp4")]
#[bench::mp4_fail("video/err_fps_120.mp4")]
#[bench::jpeg_pass("image/ok_exif_orient6_1000x600.jpg")]
#[bench::jpeg_fail("image/err_width_6001.jpg")]
#[bench::mp3_pass("audio/ok_mp3_vbr_xing_5s.mp3")]
fn check_file(input: (MediaInfo, Profile)) -> Report {
    let (info, profile) = input;
    black_box(check(black_box(&info), &profile))
}

/// A request of `images` images, `videos` videos and `audios` audio clips
/// (5 s each), in `mode`, with Seedance 2.0's request limits.
fn request(images: usize, videos: usize, audios: usize, mode: Mode) -> (Bundle, Profile) {
    let mut b = Bundle::new(Some("a cat walks in, looks at the camera".into()));
    let items = [
        (images, AssetType::Image, None),
        (videos, AssetType::Video, Some(5.0)),
        (audios, AssetType::Audio, Some(5.0)),
    ];
    for (n, t, d) in items {
        for i in 0..n {
            b.push(Item::asset(&format!("asset-{}-{i:04}", t.as_str()), t, d));
        }
    }
    b.set_mode(mode);
    (b, Profile::seedance2())
}

#[library_benchmark(setup = request)]
#[bench::reference_mixed(4, 2, 1, Mode::Reference)]
#[bench::first_last(2, 0, 0, Mode::FirstLast)]
#[bench::over_every_count(12, 5, 5, Mode::Reference)]
fn request_rules(input: (Bundle, Profile)) -> (Report, u64) {
    let (bundle, profile) = input;
    let report = bundle.check(&profile.request);
    black_box((report, bundle.body_bytes()))
}

library_benchmark_group!(name = sniff_group; benchmarks = sniff);
library_benchmark_group!(name = probe_group; benchmarks = probe, prober);
library_benchmark_group!(name = check_group; benchmarks = check_file, request_rules);

main!(
    library_benchmark_groups = sniff_group,
    probe_group,
    check_group
);
