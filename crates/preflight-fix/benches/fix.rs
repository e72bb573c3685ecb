//! Criterion bench of the image repair path: a 48-megapixel (8000×6000) JPEG
//! is downscaled to fit 6000 px a side (6000×4500, Lanczos3) and re-encoded
//! as JPEG q=90, in memory (no disk I/O), as `preflight fix` does it. The
//! parts (decode, resize, encode) are timed on their own too.
//!
//! `bench/compare_fix.sh` times the same job with ImageMagick and libvips.

use criterion::{criterion_group, criterion_main, Criterion};
use image::{DynamicImage, RgbImage};
use preflight::{Format, MediaInfo, Profile};
use preflight_fix::__bench::{decode, encode, resize};
use preflight_fix::{apply_bytes, plan, FixOptions, Size};
use std::hint::black_box;
use std::time::Duration;

/// A photo-like 8000×6000 picture: smooth gradients with some texture, so
/// that the JPEG is neither trivially small nor noise.
fn picture(w: u32, h: u32) -> DynamicImage {
    let mut seed = 0x2545_F491u32;
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = seed & 15;
        let r = (x * 200 / w + n) as u8;
        let g = (y * 200 / h + n) as u8;
        let b = (((x / 40 + y / 40) % 2) * 60 + 80 + n) as u8;
        image::Rgb([r, g, b])
    }))
}

fn bench_fix(c: &mut Criterion) {
    let (w, h) = (8000, 6000);
    let jpeg = encode(&picture(w, h), Format::Jpeg, 90).expect("encode");
    let mut info = MediaInfo::new(Format::Jpeg, jpeg.len() as u64);
    info.width = Some(w);
    info.height = Some(h);
    let profile = Profile::seedance2();
    let opts = FixOptions::default();
    let p = plan(&info, &profile, &opts);
    eprintln!("input: {} bytes; plan: {p}", jpeg.len());

    let mut g = c.benchmark_group("fix_image");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("downscale_8000x6000_jpeg_to_6000_q90", |b| {
        b.iter(|| apply_bytes(black_box(&p), black_box(&jpeg), &profile, &opts).expect("repair"))
    });
    g.bench_function("decode_8000x6000_jpeg", |b| {
        b.iter(|| decode(black_box(&jpeg), Format::Jpeg).expect("decode"))
    });
    let decoded = decode(&jpeg, Format::Jpeg).expect("decode");
    g.bench_function("resize_8000x6000_to_6000x4500_lanczos3", |b| {
        b.iter(|| resize(black_box(&decoded), Size::new(6000, 4500)).expect("resize"))
    });
    let small = resize(&decoded, Size::new(6000, 4500)).expect("resize");
    g.bench_function("encode_6000x4500_jpeg_q90", |b| {
        b.iter(|| encode(black_box(&small), Format::Jpeg, 90).expect("encode"))
    });
    g.finish();
}

criterion_group!(benches, bench_fix);
criterion_main!(benches);
