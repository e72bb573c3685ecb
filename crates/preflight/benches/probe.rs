//! Criterion benches: sniff, probe per format, check, and a batch over a
//! generated folder. Files are read from the page cache (warm), as in a batch
//! run over a folder that was just written.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use preflight::{check, check_paths, probe_bytes, probe_path, BatchOptions, ProbeLimits, Profile};
use std::hint::black_box;
use std::path::{Path, PathBuf};

const FIXTURES: [(&str, &str); 9] = [
    (
        "jpeg",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/image/ok_1280x720.jpg"
        ),
    ),
    (
        "png",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/image/ok_png_800x600.png"
        ),
    ),
    (
        "heic",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/image/ok_heic_irot_1000x600.heic"
        ),
    ),
    (
        "mp4_faststart",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_1280x720_30fps_5s.mp4"
        ),
    ),
    (
        "mp4_moov_at_end",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_1280x720_30fps_5s_moov_end.mp4"
        ),
    ),
    (
        "mov",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_mov_h264_aac_1280x720_5s.mov"
        ),
    ),
    (
        "mp3_no_xing",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/audio/ok_mp3_vbr_noxing_10s.mp3"
        ),
    ),
    (
        "mp3_cbr",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/audio/ok_mp3_cbr128_stereo_5s.mp3"
        ),
    ),
    (
        "wav",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/audio/ok_wav_pcm16_8k_mono_3s.wav"
        ),
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bench_sniff(c: &mut Criterion) {
    let mut g = c.benchmark_group("sniff");
    for (name, path) in FIXTURES {
        let bytes = std::fs::read(root().join(path)).expect(path);
        let head = bytes[..bytes.len().min(preflight::SNIFF_LEN)].to_vec();
        g.bench_with_input(BenchmarkId::from_parameter(name), &head, |b, head| {
            b.iter(|| preflight::sniff(black_box(head)))
        });
    }
    g.finish();
}

fn bench_probe(c: &mut Criterion) {
    let limits = ProbeLimits::default();
    let mut g = c.benchmark_group("probe_file");
    for (name, path) in FIXTURES {
        let p = root().join(path);
        g.bench_with_input(BenchmarkId::from_parameter(name), &p, |b, p| {
            b.iter(|| probe_path(black_box(p), &limits).expect("probe"))
        });
    }
    g.finish();
    // In memory: the parsing alone, without open/close.
    let mut g = c.benchmark_group("probe_memory");
    for (name, path) in FIXTURES {
        let bytes = std::fs::read(root().join(path)).expect(path);
        g.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |b, bytes| {
            b.iter(|| probe_bytes(black_box(bytes.as_slice()), &limits).expect("probe"))
        });
    }
    g.finish();
}

fn bench_check(c: &mut Criterion) {
    let profile = Profile::seedance2();
    let info = probe_path(root().join(FIXTURES[3].1), &ProbeLimits::default()).unwrap();
    c.bench_function("check/mp4", |b| {
        b.iter(|| check(black_box(&info), &profile))
    });
}

/// A folder of `n` files copied round-robin from the fixtures.
fn make_folder(dir: &Path, n: usize) {
    let sources: Vec<PathBuf> = walk(&root().join("../../testdata"));
    for i in 0..n {
        let src = &sources[i % sources.len()];
        let name = format!("{i:05}-{}", src.file_name().unwrap().to_string_lossy());
        std::fs::copy(src, dir.join(name)).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if !p.ends_with("hostile") {
                out.extend(walk(&p));
            }
        } else if p
            .extension()
            .is_some_and(|e| e != "sh" && e != "json" && e != "md" && e != "py")
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn bench_batch(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let n = 1000;
    make_folder(dir.path(), n);
    let profile = Profile::seedance2();
    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(20);
    g.bench_function("check_paths_1000_files", |b| {
        b.iter(|| {
            let reports = check_paths(
                vec![dir.path().to_path_buf()],
                &profile,
                &BatchOptions::default(),
            )
            .unwrap();
            assert_eq!(reports.count(), n);
        })
    });
    g.finish();
}

criterion_group!(benches, bench_sniff, bench_probe, bench_check, bench_batch);
criterion_main!(benches);
