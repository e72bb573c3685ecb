//! The built-in catalogue (SPEC §8): every profile parses, round-trips
//! through TOML, holds SPEC §8's figures, and judges one synthetic file inside
//! and one outside each of its bounds.

use preflight::{check, Format, Kind, MediaInfo, Profile, Rational, Rule};

fn rules(info: &MediaInfo, p: &Profile) -> Vec<Rule> {
    check(info, p).violations.iter().map(|v| v.rule).collect()
}

fn all() -> Vec<Profile> {
    Profile::BUILTIN
        .iter()
        .map(|n| Profile::builtin(n).unwrap_or_else(|| panic!("{n} does not load")))
        .collect()
}

#[test]
fn the_catalogue_is_complete_named_and_dated() {
    assert_eq!(Profile::BUILTIN.len(), 11);
    for (name, p) in Profile::BUILTIN.iter().zip(all()) {
        assert_eq!(&p.name, name);
        assert!(!p.title.is_empty() && !p.source.is_empty(), "{name}");
        assert_eq!(p.checked, "2026-12", "{name}");
        let text = toml::to_string(&p).unwrap();
        assert_eq!(Profile::from_toml(&text).unwrap(), p, "{name} round trip");
    }
    assert_eq!(Profile::builtin("seedance2").unwrap(), Profile::seedance2());
    assert_eq!(Profile::default(), Profile::seedance2());
    assert!(Profile::builtin("seedance3").is_none());
}

/// A file of `kind` inside every bound of `p`.
fn inside(p: &Profile, kind: Kind) -> Option<MediaInfo> {
    match kind {
        Kind::Image => {
            let l = &p.image;
            let mut m = MediaInfo::new(*l.formats.first()?, 1000);
            let [w, h] = l.sizes.first().copied().unwrap_or_else(|| {
                let s = l.min_width.max(l.min_height).max(500);
                [s.min(l.max_width), s.min(l.max_height)]
            });
            (m.width, m.height) = (Some(w), Some(h));
            Some(m)
        }
        Kind::Video => {
            let l = &p.video;
            let mut m = MediaInfo::new(*l.formats.first()?, 1000);
            (m.width, m.height) = (Some(800), Some(800));
            m.duration_s = Some(5.0_f64.clamp(l.min_duration_s, l.max_duration_s));
            m.fps = Rational::new(30, 1);
            m.codec = Some("avc1".into());
            m.audio_codec = Some("aac".into());
            m.has_video = Some(true);
            Some(m)
        }
        _ => {
            let l = &p.audio;
            let mut m = MediaInfo::new(*l.formats.first()?, 1000);
            m.duration_s = Some(5.0_f64.clamp(l.min_duration_s, l.max_duration_s));
            Some(m)
        }
    }
}

/// Files just outside each bound `p` sets for `kind`, with the rule each breaks.
fn outside(p: &Profile, kind: Kind, ok: &MediaInfo) -> Vec<(MediaInfo, Rule)> {
    let mut out = Vec::new();
    let mut with = |rule: Rule, f: &dyn Fn(&mut MediaInfo)| {
        let mut m = ok.clone();
        f(&mut m);
        out.push((m, rule));
    };
    let (w, h) = (ok.width.unwrap_or(0), ok.height.unwrap_or(0));
    match kind {
        Kind::Image => {
            let l = &p.image;
            let other = [
                Format::Jpeg,
                Format::Png,
                Format::Webp,
                Format::Heic,
                Format::Gif,
            ]
            .into_iter()
            .find(|f| !l.formats.contains(f));
            if let Some(other) = other {
                with(Rule::ImageFormat, &|m| m.format = other);
            }
            if l.max_bytes < i64::MAX as u64 {
                with(Rule::ImageSize, &|m| m.bytes = l.max_bytes);
            }
            if l.min_width > 0 {
                with(Rule::ImageWidth, &|m| m.width = Some(l.min_width - 1));
            }
            if l.min_height > 0 {
                with(Rule::ImageHeight, &|m| m.height = Some(l.min_height - 1));
            }
            if l.max_width < u32::MAX {
                with(Rule::ImageWidth, &|m| m.width = Some(l.max_width + 1));
            }
            if l.max_height < u32::MAX {
                with(Rule::ImageHeight, &|m| m.height = Some(l.max_height + 1));
            }
            if l.min_aspect > 0.0 {
                let tall = (f64::from(w) / l.min_aspect).ceil() as u32 + 1;
                with(Rule::ImageAspect, &|m| m.height = Some(tall));
            }
            if l.max_aspect.is_finite() {
                let wide = (f64::from(h) * l.max_aspect).ceil() as u32 + 1;
                with(Rule::ImageAspect, &|m| m.width = Some(wide));
            }
            if !l.sizes.is_empty() {
                with(Rule::ImageDimensions, &|m| m.width = Some(w + 1));
            }
        }
        Kind::Video => {
            let l = &p.video;
            let rules = [Rule::VideoFormat, Rule::VideoSize, Rule::VideoDuration];
            let bounds = (l.max_bytes, l.min_duration_s, l.max_duration_s);
            kind_bounds(&mut with, rules, Format::Mov, &l.formats, bounds);
            if l.min_pixels > 0 {
                with(Rule::VideoPixels, &|m| {
                    (m.width, m.height) = (Some(639), Some(640))
                });
            }
            if l.max_pixels < i64::MAX as u64 {
                let side = (l.max_pixels as f64).sqrt().ceil() as u32 + 1;
                with(Rule::VideoPixels, &|m| {
                    (m.width, m.height) = (Some(side), Some(side))
                });
            }
            if l.min_fps > 0.0 {
                with(Rule::VideoFps, &|m| m.fps = Rational::new(23, 1));
            }
            if l.max_fps.is_finite() {
                with(Rule::VideoFps, &|m| m.fps = Rational::new(61, 1));
            }
            if !l.audio_codecs.is_empty() {
                with(Rule::VideoAudioCodec, &|m| {
                    m.audio_codec = Some("opus".into())
                });
            }
        }
        _ => {
            let l = &p.audio;
            let rules = [Rule::AudioFormat, Rule::AudioSize, Rule::AudioDuration];
            let bounds = (l.max_bytes, l.min_duration_s, l.max_duration_s);
            kind_bounds(&mut with, rules, Format::Wav, &l.formats, bounds);
        }
    }
    out
}

/// Records a file changed by the closure, with the rule it must break.
type With<'a> = dyn FnMut(Rule, &dyn Fn(&mut MediaInfo)) + 'a;

/// The format, size and duration cases videos and audio share.
fn kind_bounds(
    with: &mut With<'_>,
    [format, size, duration]: [Rule; 3],
    other: Format,
    formats: &[Format],
    (max_bytes, min_s, max_s): (u64, f64, f64),
) {
    if !formats.contains(&other) {
        with(format, &|m| m.format = other);
    }
    if max_bytes < i64::MAX as u64 {
        with(size, &|m| m.bytes = max_bytes);
    }
    if min_s > 0.0 {
        with(duration, &|m| m.duration_s = Some(min_s - 0.01));
    }
    if max_s.is_finite() {
        with(duration, &|m| m.duration_s = Some(max_s + 0.01));
    }
}

#[test]
fn every_profile_judges_a_file_inside_and_outside_each_bound() {
    for p in all() {
        for kind in [Kind::Image, Kind::Video, Kind::Audio] {
            let Some(ok) = inside(&p, kind) else {
                // The service takes no file of this kind.
                let mut m = MediaInfo::new(
                    match kind {
                        Kind::Image => Format::Jpeg,
                        Kind::Video => Format::Mp4,
                        _ => Format::Mp3,
                    },
                    1000,
                );
                (m.width, m.height, m.duration_s) = (Some(800), Some(800), Some(5.0));
                assert!(!rules(&m, &p).is_empty(), "{}: takes {kind:?}?", p.name);
                continue;
            };
            assert_eq!(
                rules(&ok, &p),
                Vec::<Rule>::new(),
                "{}: {kind:?} inside",
                p.name
            );
            for (bad, rule) in outside(&p, kind, &ok) {
                assert!(
                    rules(&bad, &p).contains(&rule),
                    "{}: {bad:?} should fail {rule}",
                    p.name
                );
            }
        }
    }
}

fn image(p: &str, format: Format, bytes: u64, w: u32, h: u32) -> Vec<&'static str> {
    let mut m = MediaInfo::new(format, bytes);
    (m.width, m.height) = (Some(w), Some(h));
    let p = Profile::builtin(p).unwrap();
    check(&m, &p)
        .violations
        .iter()
        .map(|v| v.rule.id())
        .collect()
}

/// SPEC §8's figures, written out: a typo in a TOML file fails here.
#[test]
fn the_figures_are_spec_8s() {
    use Format::*;
    let none: [&str; 0] = [];
    // seedance1-pro / -lite: < 30 MB, 300–6000, 0.4–2.5, no HEIC.
    for p in ["seedance1-pro", "seedance1-lite"] {
        assert_eq!(image(p, Tiff, 29_999_999, 960, 2400), none);
        assert_eq!(
            image(p, Png, 30_000_000, 6001, 2401),
            ["image.size", "image.width"]
        );
        assert_eq!(image(p, Heic, 1000, 500, 500), ["image.format"]);
    }
    assert_eq!(
        Profile::builtin("seedance1-pro")
            .unwrap()
            .request
            .max_images,
        2
    );
    assert_eq!(
        Profile::builtin("seedance1-lite")
            .unwrap()
            .request
            .max_images,
        4
    );
    // kling-i2v: JPEG/PNG, 10 MB, sides ≥ 300, 0.4–2.5, no maximum side.
    assert_eq!(image("kling-i2v", Jpeg, 9_999_999, 20000, 8000), none);
    assert_eq!(
        image("kling-i2v", Webp, 10_000_000, 299, 300),
        ["image.format", "image.size", "image.width"]
    );
    // runway-gen4: 5 MB as data URI, sides ≤ 7999, 0.5–2.0.
    assert_eq!(image("runway-gen4", Heic, 4_999_999, 7999, 4000), none);
    assert_eq!(
        image("runway-gen4", Png, 5_000_000, 8000, 3999),
        ["image.size", "image.width", "image.aspect"]
    );
    assert_eq!(image("runway-gen4", Png, 1000, 10, 20), none);
    assert_eq!(
        Profile::builtin("runway-gen4").unwrap().video.max_bytes,
        16_000_000
    );
    // veo3: JPEG/PNG, 20 MB, 16:9 to 9:16.
    assert_eq!(image("veo3", Png, 19_999_999, 1280, 720), none);
    assert_eq!(image("veo3", Png, 1000, 720, 1280), none);
    assert_eq!(
        image("veo3", Webp, 20_000_000, 1281, 720),
        ["image.format", "image.size", "image.aspect"]
    );
    assert_eq!(Profile::builtin("veo3").unwrap().request.max_images, 3);
    // sora2: exactly 1280×720 or 720×1280.
    assert_eq!(image("sora2", Webp, 50_000_000, 720, 1280), none);
    assert_eq!(image("sora2", Jpeg, 1000, 1792, 1024), ["image.dimensions"]);
    assert_eq!(Profile::builtin("sora2").unwrap().request.max_files, 1);
    // hailuo02: < 20 MB, short side > 300, 0.4–2.5.
    assert_eq!(image("hailuo02", Webp, 19_999_999, 301, 301), none);
    assert_eq!(
        image("hailuo02", Jpeg, 20_000_000, 300, 301),
        ["image.size", "image.width"]
    );
    // vidu: < 10 MB decoded, ≥ 128×128, 1:4–4:1.
    assert_eq!(image("vidu", Png, 9_999_999, 512, 128), none);
    assert_eq!(
        image("vidu", Png, 10_000_000, 513, 128),
        ["image.size", "image.aspect"]
    );
    assert_eq!(image("vidu", Png, 1000, 127, 128), ["image.width"]);
    // wan2.6: 10 MB, sides 360–2000; audio MP3 3–30 s, 15 MB.
    assert_eq!(image("wan2.6", Bmp, 9_999_999, 360, 2000), none);
    assert_eq!(
        image("wan2.6", Gif, 1000, 2001, 359),
        ["image.format", "image.width", "image.height"]
    );
    let wan = Profile::builtin("wan2.6").unwrap();
    assert_eq!(
        (
            wan.audio.max_bytes,
            wan.audio.min_duration_s,
            wan.audio.max_duration_s
        ),
        (15_000_000, 3.0, 30.0)
    );
    assert_eq!(wan.audio.formats, [Mp3]);
    // seedance2-1080p: seedance2 with 2,073,600 px, its source unconfirmed.
    let hd = Profile::builtin("seedance2-1080p").unwrap();
    assert_eq!(hd.video.max_pixels, 2_073_600);
    assert!(hd.source.contains("UNCONFIRMED"));
    let mut sd = Profile::seedance2();
    (sd.name, sd.title, sd.source) = (hd.name.clone(), hd.title.clone(), hd.source.clone());
    (sd.video.max_pixels, sd.request.allow_1080p) = (2_073_600, true);
    assert_eq!(hd, sd);
}

#[test]
fn a_custom_profile_does_not_inherit_seedance2s_source() {
    let p = Profile::from_toml("name = \"mine\"\n").unwrap();
    assert_eq!(
        (p.title.as_str(), p.source.as_str(), p.checked.as_str()),
        ("", "", "")
    );
    assert_eq!(p.image, Profile::seedance2().image);
    for bad in [
        "checked = \"December\"\n",
        "checked = \"2026-13\"\n",
        "[image]\nsizes = [[0, 720]]\n",
        "[video]\naudio_codecs = [\"\"]\n",
        "[image]\nmin_aspect = inf\n",
    ] {
        assert!(Profile::from_toml(bad).is_err(), "{bad}");
    }
    let open = Profile::from_toml("[image]\nmax_aspect = inf\n").unwrap();
    assert_eq!(open.image.max_aspect, f64::INFINITY);
}
