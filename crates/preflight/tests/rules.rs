//! Property tests for the rules: a file passes iff it is inside every bound,
//! and each violation names the value and the bound that caused it.

use preflight::{check, Format, MediaInfo, Profile, Rational};
use proptest::prelude::*;
use serde_json::json;

fn arb_profile() -> impl Strategy<Value = Profile> {
    (
        (1u32..4000, 0u32..4000, 1u32..4000, 0u32..4000),
        (1u32..40, 0u32..40, 1u64..100_000_000),
        (
            1u64..4000,
            0u64..60,
            1u64..1_000_000,
            0u64..2_000_000,
            1u32..100,
            0u32..100,
        ),
    )
        .prop_map(
            |((minw, dw, minh, dh), (mina, da, maxb), (mind, dd, minp, dp, minf, df))| {
                let mut p = Profile::seedance2();
                p.image.min_width = minw;
                p.image.max_width = minw + dw;
                p.image.min_height = minh;
                p.image.max_height = minh + dh;
                p.image.min_aspect = mina as f64 / 10.0;
                p.image.max_aspect = (mina + da) as f64 / 10.0;
                p.image.max_bytes = maxb;
                p.video.min_width = minw;
                p.video.max_width = minw + dw;
                p.video.min_height = minh;
                p.video.max_height = minh + dh;
                p.video.min_aspect = mina as f64 / 10.0;
                p.video.max_aspect = (mina + da) as f64 / 10.0;
                p.video.max_bytes = maxb;
                p.video.min_duration_s = mind as f64 / 100.0;
                p.video.max_duration_s = (mind + dd * 100) as f64 / 100.0;
                p.video.min_pixels = minp;
                p.video.max_pixels = minp + dp;
                p.video.min_fps = minf as f64;
                p.video.max_fps = (minf + df) as f64;
                p.audio.max_bytes = maxb;
                p.audio.min_duration_s = mind as f64 / 100.0;
                p.audio.max_duration_s = (mind + dd * 100) as f64 / 100.0;
                p
            },
        )
}

/// A violation's value as it appears in the JSON report.
fn js(m: &Option<preflight::Measure>) -> serde_json::Value {
    serde_json::to_value(m).unwrap()
}

fn rules(r: &preflight::Report) -> Vec<&'static str> {
    let mut v: Vec<_> = r.violations.iter().map(|v| v.rule.id()).collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn image_passes_iff_inside_every_bound(p in arb_profile(), w in 1u32..8000, h in 1u32..8000, bytes in 1u64..120_000_000) {
        let mut m = MediaInfo::new(Format::Png, bytes);
        m.width = Some(w);
        m.height = Some(h);
        let l = &p.image;
        let aspect = w as f64 / h as f64;
        let mut expect = Vec::new();
        if aspect < l.min_aspect || aspect > l.max_aspect { expect.push("image.aspect"); }
        if h < l.min_height || h > l.max_height { expect.push("image.height"); }
        if bytes >= l.max_bytes { expect.push("image.size"); }
        if w < l.min_width || w > l.max_width { expect.push("image.width"); }
        let r = check(&m, &p);
        prop_assert_eq!(rules(&r), expect);
        for v in &r.violations {
            match v.rule.id() {
                "image.width" => {
                    prop_assert_eq!(&js(&v.actual), &json!(w));
                    prop_assert_eq!(&js(&v.limit), &json!({"min": l.min_width, "max": l.max_width}));
                }
                "image.height" => prop_assert_eq!(&js(&v.actual), &json!(h)),
                "image.size" => {
                    prop_assert_eq!(&js(&v.actual), &json!(bytes));
                    prop_assert_eq!(&js(&v.limit), &json!(l.max_bytes));
                }
                "image.aspect" => prop_assert!((v.actual.as_ref().and_then(|a| a.as_f64()).unwrap() - aspect).abs() < 1e-12),
                other => prop_assert!(false, "unexpected rule {}", other),
            }
        }
    }

    #[test]
    fn video_passes_iff_inside_every_bound(
        p in arb_profile(), w in 1u32..3000, h in 1u32..3000, bytes in 1u64..120_000_000,
        ticks in 1u64..100_000, frames in 1u64..5000, dur_ms in 0u64..40_000,
    ) {
        let mut m = MediaInfo::new(Format::Mp4, bytes);
        m.width = Some(w);
        m.height = Some(h);
        m.has_video = Some(true);
        m.codec = Some("avc1".into());
        m.duration_s = Some(dur_ms as f64 / 1000.0);
        m.fps = Rational::new(frames * 1000, ticks);
        let l = &p.video;
        let fps = (frames * 1000) as f64 / ticks as f64;
        let pixels = w as u64 * h as u64;
        let aspect = w as f64 / h as f64;
        let d = dur_ms as f64 / 1000.0;
        let mut expect = Vec::new();
        if aspect < l.min_aspect || aspect > l.max_aspect { expect.push("video.aspect"); }
        if d < l.min_duration_s || d > l.max_duration_s { expect.push("video.duration"); }
        if fps < l.min_fps || fps > l.max_fps { expect.push("video.fps"); }
        if h < l.min_height || h > l.max_height { expect.push("video.height"); }
        if pixels < l.min_pixels || pixels > l.max_pixels { expect.push("video.pixels"); }
        if bytes >= l.max_bytes { expect.push("video.size"); }
        if w < l.min_width || w > l.max_width { expect.push("video.width"); }
        let r = check(&m, &p);
        prop_assert_eq!(rules(&r), expect);
        prop_assert!(r.warnings.is_empty());
        for v in &r.violations {
            if v.rule == "video.pixels" {
                prop_assert_eq!(&js(&v.actual), &json!(pixels));
                prop_assert_eq!(&js(&v.limit), &json!({"min": l.min_pixels, "max": l.max_pixels}));
            }
        }
    }

    #[test]
    fn audio_passes_iff_inside_every_bound(p in arb_profile(), bytes in 1u64..40_000_000, dur_ms in 0u64..40_000) {
        let mut m = MediaInfo::new(Format::Mp3, bytes);
        m.duration_s = Some(dur_ms as f64 / 1000.0);
        let l = &p.audio;
        let d = dur_ms as f64 / 1000.0;
        let mut expect = Vec::new();
        if d < l.min_duration_s || d > l.max_duration_s { expect.push("audio.duration"); }
        if bytes >= l.max_bytes { expect.push("audio.size"); }
        prop_assert_eq!(rules(&check(&m, &p)), expect);
    }
}

fn video(w: u32, h: u32, fps: Rational, dur: f64) -> MediaInfo {
    let mut m = MediaInfo::new(Format::Mp4, 1000);
    m.width = Some(w);
    m.height = Some(h);
    m.has_video = Some(true);
    m.codec = Some("avc1".into());
    m.fps = Some(fps);
    m.duration_s = Some(dur);
    m
}

#[test]
fn seedance2_boundaries_behave_as_the_spec_says() {
    let p = Profile::seedance2();
    let r30 = Rational::new(30, 1).unwrap();
    let ok = |m: &MediaInfo| rules(&check(m, &p));
    assert!(ok(&video(640, 640, r30, 5.0)).is_empty());
    assert!(ok(&video(834, 1112, r30, 5.0)).is_empty());
    assert_eq!(ok(&video(639, 640, r30, 5.0)), ["video.pixels"]);
    assert_eq!(ok(&video(840, 1120, r30, 5.0)), ["video.pixels"]);
    assert!(ok(&video(640, 640, Rational::new(24, 1).unwrap(), 2.0)).is_empty());
    assert!(ok(&video(640, 640, Rational::new(60, 1).unwrap(), 15.0)).is_empty());
    assert_eq!(
        ok(&video(640, 640, Rational::new(24000, 1001).unwrap(), 5.0)),
        ["video.fps"]
    );
    assert_eq!(
        ok(&video(640, 640, Rational::new(120, 1).unwrap(), 5.0)),
        ["video.fps"]
    );
    assert_eq!(ok(&video(640, 640, r30, 1.9)), ["video.duration"]);
    assert_eq!(ok(&video(640, 640, r30, 15.2)), ["video.duration"]);
    // Size bounds are strict; "MB" is 1,000,000 bytes.
    let mut m = video(640, 640, r30, 5.0);
    m.bytes = 49_999_999;
    assert!(ok(&m).is_empty());
    m.bytes = 50_000_000;
    assert_eq!(ok(&m), ["video.size"]);
    let mut a = MediaInfo::new(Format::Wav, 14_999_999);
    a.duration_s = Some(2.0);
    assert!(ok(&a).is_empty());
    a.bytes = 15_000_000;
    a.duration_s = Some(15.0);
    assert_eq!(ok(&a), ["audio.size"]);
}

#[test]
fn unsupported_and_no_video_track() {
    let p = Profile::seedance2();
    let r = check(&MediaInfo::new(Format::Avif, 10), &p);
    assert_eq!(rules(&r), ["file.unsupported_type"]);
    assert_eq!(js(&r.violations[0].actual), json!("avif"));
    let mut m = MediaInfo::new(Format::Mp4, 10);
    m.duration_s = Some(5.0);
    m.has_video = Some(false);
    assert_eq!(rules(&check(&m, &p)), ["video.no_video_track"]);
}
