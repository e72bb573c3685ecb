//! Checking a [`MediaInfo`] against a [`Profile`] (SPEC §1, rule ids of SPEC §2).
//!
//! A failed rule is data, a [`Violation`], never an error. Every violation
//! carries the value that broke the rule (`actual`) and the bound it broke
//! (`limit`), so that a test or a user can see why.

use crate::info::{Format, Kind, MediaInfo};
use crate::profile::Profile;
use crate::rule::{Measure, Rule};

/// The outcome for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Verdict {
    /// Inside every limit (warnings allowed).
    Pass,
    /// At least one violation.
    Fail,
    /// The file could not be read or parsed.
    Error,
}

impl Verdict {
    /// `"pass"`, `"fail"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// One broken rule, or one warning.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Violation {
    /// Stable rule id (SPEC §2), e.g. `image.width`.
    pub rule: Rule,
    /// The value found (`None`, `null` in JSON, when it could not be determined).
    pub actual: Option<Measure>,
    /// The bound it was judged against.
    pub limit: Option<Measure>,
    /// A sentence for people.
    pub message: String,
}

impl Violation {
    /// Builds a violation.
    pub fn new(
        rule: Rule,
        actual: Option<Measure>,
        limit: Option<Measure>,
        message: impl Into<String>,
    ) -> Self {
        Violation {
            rule,
            actual,
            limit,
            message: message.into(),
        }
    }
}

/// The result of checking one [`MediaInfo`].
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Report {
    /// Broken rules; the file fails when this is not empty.
    pub violations: Vec<Violation>,
    /// Notes that do not fail the file (`video.codec`, `file.extension_mismatch`).
    pub warnings: Vec<Violation>,
}

impl Report {
    /// Pass when there is no violation, else fail.
    pub fn verdict(&self) -> Verdict {
        if self.violations.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }

    /// Whether any violation or warning has this rule id.
    pub fn has(&self, rule: Rule) -> bool {
        self.violations
            .iter()
            .chain(&self.warnings)
            .any(|v| v.rule == rule)
    }
}

/// Checks `info` against every limit of `profile` that applies to its kind.
pub fn check(info: &MediaInfo, profile: &Profile) -> Report {
    let mut r = Report::default();
    if info.bytes == 0 {
        r.violations.push(Violation::new(
            Rule::FileEmpty,
            Some(Measure::Int(0)),
            Some(Measure::Int(1)),
            "the file is empty",
        ));
        return r;
    }
    if info.format == Format::Unknown {
        r.violations.push(Violation::new(
            Rule::FileUnknownType,
            None,
            Some(accepted(profile)),
            "not a media type preflight recognises",
        ));
        return r;
    }
    if !info.format.is_supported() {
        r.violations.push(Violation::new(
            Rule::FileUnsupportedType,
            Some(info.format.name().into()),
            Some(accepted(profile)),
            format!(
                "{} {} is not a type the service takes (`preflight fix` can convert it)",
                info.format.name().to_uppercase(),
                info.kind
            ),
        ));
        return r;
    }
    if info.truncated_tail {
        r.warnings.push(Violation::new(
            Rule::FileTruncatedTail,
            None,
            None,
            "the last box claims more bytes than the file has; every sample lies inside the file",
        ));
    }
    match info.kind {
        Kind::Image => check_image(info, profile, &mut r),
        Kind::Video => check_video(info, profile, &mut r),
        Kind::Audio => check_audio(info, profile, &mut r),
        Kind::Unknown => {}
    }
    r
}

fn accepted(p: &Profile) -> Measure {
    Measure::list(
        p.image
            .formats
            .iter()
            .chain(&p.video.formats)
            .chain(&p.audio.formats)
            .map(|f| f.name()),
    )
}

fn check_format(rule: Rule, info: &MediaInfo, formats: &[Format], r: &mut Report) {
    if !formats.contains(&info.format) {
        r.violations.push(Violation::new(
            rule,
            Some(info.format.name().into()),
            Some(Measure::list(formats.iter().map(|f| f.name()))),
            format!(
                "format {} is not accepted by this profile",
                info.format.name()
            ),
        ));
    }
}

fn check_size(rule: Rule, bytes: u64, max: u64, r: &mut Report) {
    if bytes >= max {
        r.violations.push(Violation::new(
            rule,
            Some(bytes.into()),
            Some(max.into()),
            format!(
                "size {} is not below the {} limit",
                human_bytes(bytes),
                human_bytes(max)
            ),
        ));
    }
}

/// An inclusive range check on an optional number; `None` is a violation of its own.
fn check_range(
    rule: Rule,
    what: &str,
    unit: &str,
    actual: Option<f64>,
    min: f64,
    max: f64,
    r: &mut Report,
) {
    let Some(v) = actual else {
        r.violations.push(Violation::new(
            rule,
            None,
            Some(Measure::Range { min, max }),
            format!("{what} could not be determined"),
        ));
        return;
    };
    let (bound, side) = if v < min {
        (min, "below")
    } else if v > max {
        (max, "above")
    } else {
        return;
    };
    let shown = fmt_apart(v, bound);
    r.violations.push(Violation::new(
        rule,
        Some(Measure::Num(v)),
        Some(Measure::Range { min, max }),
        format!(
            "{what} {}{unit} is {side} the {}{unit} limit",
            shown.0, shown.1
        ),
    ));
}

fn check_dimensions(
    prefix: Kind,
    info: &MediaInfo,
    (min_w, max_w, min_h, max_h, min_a, max_a): (u32, u32, u32, u32, f64, f64),
    r: &mut Report,
) {
    let (rw, rh, ra) = match prefix {
        Kind::Video => (Rule::VideoWidth, Rule::VideoHeight, Rule::VideoAspect),
        _ => (Rule::ImageWidth, Rule::ImageHeight, Rule::ImageAspect),
    };
    let w = info.width.map(f64::from);
    let h = info.height.map(f64::from);
    check_range(rw, "width", " px", w, min_w as f64, max_w as f64, r);
    check_range(rh, "height", " px", h, min_h as f64, max_h as f64, r);
    if let (Some(w), Some(h)) = (info.width, info.height) {
        let aspect = if h == 0 {
            None
        } else {
            Some(w as f64 / h as f64)
        };
        check_range(ra, "aspect ratio", "", aspect, min_a, max_a, r);
    }
}

fn check_image(info: &MediaInfo, p: &Profile, r: &mut Report) {
    let l = &p.image;
    check_format(Rule::ImageFormat, info, &l.formats, r);
    check_size(Rule::ImageSize, info.bytes, l.max_bytes, r);
    check_dimensions(
        Kind::Image,
        info,
        (
            l.min_width,
            l.max_width,
            l.min_height,
            l.max_height,
            l.min_aspect,
            l.max_aspect,
        ),
        r,
    );
    if let (false, Some(w), Some(h)) = (l.sizes.is_empty(), info.width, info.height) {
        if !l.sizes.contains(&[w, h]) {
            let sizes: Vec<String> = l.sizes.iter().map(|[w, h]| format!("{w}x{h}")).collect();
            r.violations.push(Violation::new(
                Rule::ImageDimensions,
                Some(Measure::Text(format!("{w}x{h}"))),
                Some(Measure::list(&sizes)),
                format!(
                    "size {w}×{h} px is not one this profile takes ({})",
                    sizes.join(", ")
                ),
            ));
        }
    }
}

fn check_video(info: &MediaInfo, p: &Profile, r: &mut Report) {
    let l = &p.video;
    check_format(Rule::VideoFormat, info, &l.formats, r);
    check_size(Rule::VideoSize, info.bytes, l.max_bytes, r);
    check_range(
        Rule::VideoDuration,
        "duration",
        " s",
        info.duration_s,
        l.min_duration_s,
        l.max_duration_s,
        r,
    );
    if info.has_video == Some(false) {
        r.violations.push(Violation::new(
            Rule::VideoNoVideoTrack,
            Some(Measure::Int(0)),
            Some(Measure::Int(1)),
            "the file has no video track",
        ));
        return;
    }
    let pixels = match (info.width, info.height) {
        (Some(w), Some(h)) => Some(w as f64 * h as f64),
        _ => None,
    };
    check_range(
        Rule::VideoPixels,
        "pixel count",
        "",
        pixels,
        l.min_pixels as f64,
        l.max_pixels as f64,
        r,
    );
    check_dimensions(
        Kind::Video,
        info,
        (
            l.min_width,
            l.max_width,
            l.min_height,
            l.max_height,
            l.min_aspect,
            l.max_aspect,
        ),
        r,
    );
    if let (Some(sar), Some(dw), Some(dh)) = (info.sar, info.display_width, info.display_height) {
        // Non-square pixels: the displayed shape must hold the aspect bounds
        // too (SPEC §1), and the service may read either shape.
        let shown = (dh > 0).then(|| f64::from(dw) / f64::from(dh));
        let before = r.violations.len();
        check_range(
            Rule::VideoAspect,
            "displayed aspect ratio",
            "",
            shown,
            l.min_aspect,
            l.max_aspect,
            r,
        );
        // One aspect violation is enough when both shapes break it.
        if r.violations.len() > before
            && r.violations[..before]
                .iter()
                .any(|v| v.rule == Rule::VideoAspect)
        {
            r.violations.truncate(before);
        }
        r.warnings.push(Violation::new(
            Rule::VideoSar,
            Some(Measure::Text(format!("{}:{}", sar.num, sar.den))),
            Some(Measure::Text("1:1".into())),
            format!(
                "non-square pixels (SAR {}:{}): stored {}×{}, displayed {dw}×{dh}; the service may read either",
                sar.num,
                sar.den,
                info.width.unwrap_or(0),
                info.height.unwrap_or(0)
            ),
        ));
    }
    if info.encrypted {
        r.violations.push(Violation::new(
            Rule::VideoEncrypted,
            info.codec.as_deref().map(Measure::from),
            None,
            format!(
                "the {} track is encrypted: the service cannot read it",
                info.codec.as_deref().unwrap_or("media")
            ),
        ));
    }
    check_range(
        Rule::VideoFps,
        "frame rate",
        " fps",
        info.fps.map(|f| f.to_f64()),
        l.min_fps,
        l.max_fps,
        r,
    );
    if let Some(a) = &info.audio_codec {
        if !l.audio_codecs.is_empty() && !l.audio_codecs.contains(a) {
            r.violations.push(Violation::new(
                Rule::VideoAudioCodec,
                Some(a.as_str().into()),
                Some(Measure::list(&l.audio_codecs)),
                format!(
                    "the audio track is {a}: the service takes {} audio in a video",
                    l.audio_codecs.join(" or ")
                ),
            ));
        }
    }
    match &info.codec {
        _ if l.codecs.is_empty() => {}
        Some(c) if l.codecs.iter().any(|a| a == c) => {}
        other => r.warnings.push(Violation::new(
            Rule::VideoCodec,
            other.as_deref().map(Measure::from),
            Some(Measure::list(&l.codecs)),
            format!(
                "codec {} is not one of {}: the service may reject it",
                other.as_deref().unwrap_or("unknown"),
                l.codecs.join(", ")
            ),
        )),
    }
}

fn check_audio(info: &MediaInfo, p: &Profile, r: &mut Report) {
    let l = &p.audio;
    check_format(Rule::AudioFormat, info, &l.formats, r);
    check_size(Rule::AudioSize, info.bytes, l.max_bytes, r);
    check_range(
        Rule::AudioDuration,
        "duration",
        " s",
        info.duration_s,
        l.min_duration_s,
        l.max_duration_s,
        r,
    );
    // The bound fails when either reading is outside it (SPEC §1); one
    // violation is enough when both are.
    if let Some(g) = info.duration_gapless_s {
        if !r.violations.iter().any(|v| v.rule == Rule::AudioDuration) {
            check_range(
                Rule::AudioDuration,
                "gapless duration",
                " s",
                Some(g),
                l.min_duration_s,
                l.max_duration_s,
                r,
            );
        }
    }
}

/// A number for messages: integers as integers, else up to 3 decimals.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `v` and `bound` for a message, with as many decimals as it takes (up to
/// 9) for them not to read the same: `1.9995 s` against `2 s`, never
/// `2 s < 2 s`.
pub fn fmt_apart(v: f64, bound: f64) -> (String, String) {
    let at = |d: usize| {
        let f = |x: f64| {
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                format!("{}", x as i64)
            } else {
                let s = format!("{x:.d$}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        };
        (f(v), f(bound))
    };
    (3..=9)
        .map(at)
        .find(|(a, b)| a != b)
        .unwrap_or_else(|| at(9))
}

/// Bytes for people: `41.2 MB` (decimal units, as the limits are read).
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if b < 1000 {
        return format!("{b} B");
    }
    let mut v = b as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::info::Rational;

    fn image(w: u32, h: u32) -> MediaInfo {
        let mut m = MediaInfo::new(Format::Jpeg, 1000);
        m.width = Some(w);
        m.height = Some(h);
        m
    }

    fn rules(r: &Report) -> Vec<&'static str> {
        r.violations.iter().map(|v| v.rule.id()).collect()
    }

    #[test]
    fn image_bounds_are_inclusive() {
        let p = Profile::seedance2();
        assert!(rules(&check(&image(300, 300), &p)).is_empty());
        assert_eq!(rules(&check(&image(299, 400), &p)), ["image.width"]);
        assert_eq!(rules(&check(&image(400, 1000), &p)), Vec::<&str>::new());
        assert_eq!(rules(&check(&image(1000, 400), &p)), Vec::<&str>::new());
        assert_eq!(rules(&check(&image(399, 1000), &p)), ["image.aspect"]);
        assert_eq!(rules(&check(&image(1001, 400), &p)), ["image.aspect"]);
    }

    #[test]
    fn message_names_value_and_limit() {
        let r = check(&image(6400, 4000), &Profile::seedance2());
        let v = &r.violations[0];
        assert_eq!(v.rule, "image.width");
        assert_eq!(v.message, "width 6400 px is above the 6000 px limit");
        assert_eq!(v.actual, Some(Measure::Num(6400.0)));
        assert_eq!(
            v.limit,
            Some(Measure::Range {
                min: 300.0,
                max: 6000.0
            })
        );
    }

    #[test]
    fn size_bound_is_strict() {
        let p = Profile::seedance2();
        let mut m = image(1000, 1000);
        m.bytes = 29_999_999;
        assert!(check(&m, &p).violations.is_empty());
        m.bytes = 30_000_000;
        assert_eq!(rules(&check(&m, &p)), ["image.size"]);
    }

    #[test]
    fn video_unknown_fps_fails_and_codec_warns() {
        let mut m = MediaInfo::new(Format::Mp4, 1000);
        m.width = Some(1280);
        m.height = Some(720);
        m.duration_s = Some(5.0);
        m.has_video = Some(true);
        m.codec = Some("vp09".into());
        let r = check(&m, &Profile::seedance2());
        assert_eq!(rules(&r), ["video.fps"]);
        assert_eq!(r.warnings[0].rule, "video.codec");
        m.fps = Rational::new(24000, 1001);
        assert_eq!(rules(&check(&m, &Profile::seedance2())), ["video.fps"]);
        m.fps = Rational::new(24, 1);
        assert!(check(&m, &Profile::seedance2()).violations.is_empty());
    }

    #[test]
    fn messages_show_the_difference_from_the_bound() {
        assert_eq!(fmt_apart(1.9995, 2.0), ("1.9995".into(), "2".into()));
        assert_eq!(fmt_apart(15.2, 15.0), ("15.2".into(), "15".into()));
        let mut m = MediaInfo::new(Format::Mp3, 1000);
        m.duration_s = Some(1.9999);
        let r = check(&m, &Profile::seedance2());
        assert_eq!(
            r.violations[0].message,
            "duration 1.9999 s is below the 2 s limit"
        );
    }

    #[test]
    fn an_mp3_fails_when_either_reading_is_outside_the_bound() {
        // 77 frames × 1152 ÷ 44,100 = 2.01 s of frames, 1.98 s of sound.
        let mut m = MediaInfo::new(Format::Mp3, 1000);
        m.duration_s = Some(2.011);
        m.duration_gapless_s = Some(1.98);
        let r = check(&m, &Profile::seedance2());
        assert_eq!(rules(&r), ["audio.duration"]);
        assert_eq!(
            r.violations[0].message,
            "gapless duration 1.98 s is below the 2 s limit"
        );
        m.duration_gapless_s = Some(2.0);
        assert!(check(&m, &Profile::seedance2()).violations.is_empty());
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(41_200_000), "41.2 MB");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(15.2), "15.2");
    }
}
