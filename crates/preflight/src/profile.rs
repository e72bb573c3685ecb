//! Upload limits as data: the built-in `seedance2` profile (SPEC §1), a
//! catalogue of other video-generation services' profiles (SPEC §8, the TOML
//! files of `profiles/`, embedded), and profiles loaded from TOML files with
//! the same fields.
//!
//! Bounds named `min_*`/`max_*` are inclusive, except the `max_bytes` size
//! bounds, which are strict: a file passes only when `bytes < max_bytes`.
//! A bound a service does not state is left out: `0` for a minimum, the
//! largest value for a maximum (`inf` for a number with a fraction,
//! 4294967295 for sides and counts, 9223372036854775807, the largest TOML
//! integer, for bytes and pixels). An empty `formats` list means the service
//! takes no file of that kind.

use crate::info::{Format, Kind};
use std::fmt;
#[cfg(feature = "toml")]
use std::path::Path;
use std::path::PathBuf;

/// Every limit the checks use. All fields have the `seedance2` defaults, so a
/// TOML file need only name what differs.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Profile {
    /// The profile's name, shown in reports.
    pub name: String,
    /// What the profile is for, for people (`"Kling image-to-video"`).
    /// Absent from a TOML file: empty.
    #[cfg_attr(feature = "serde", serde(default))]
    pub title: String,
    /// Where the numbers come from (the provider's documentation). Absent
    /// from a TOML file: empty.
    #[cfg_attr(feature = "serde", serde(default))]
    pub source: String,
    /// When the numbers were read from `source`: `YYYY-MM` or `YYYY-MM-DD`
    /// (or empty).
    #[cfg_attr(feature = "serde", serde(default))]
    pub checked: String,
    /// Limits for still and animated images.
    pub image: ImageLimits,
    /// Limits for video files.
    pub video: VideoLimits,
    /// Limits for audio files.
    pub audio: AudioLimits,
    /// Limits for one generation request's bundle of references.
    pub request: RequestLimits,
}

/// Image limits.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct ImageLimits {
    /// Accepted formats (in TOML by short name: `jpeg`, `png`, …; `jpg` is read as `jpeg`).
    pub formats: Vec<Format>,
    /// Strict upper bound on file size in bytes.
    pub max_bytes: u64,
    /// Inclusive bounds on displayed width.
    pub min_width: u32,
    /// Inclusive upper bound on displayed width.
    pub max_width: u32,
    /// Inclusive lower bound on displayed height.
    pub min_height: u32,
    /// Inclusive upper bound on displayed height.
    pub max_height: u32,
    /// Inclusive lower bound on width / height.
    pub min_aspect: f64,
    /// Inclusive upper bound on width / height.
    pub max_aspect: f64,
    /// The only sizes (`[width, height]`, displayed) the service takes, as
    /// Sora's "the input image must equal the requested size"; empty: any
    /// size inside the bounds (`image.dimensions`).
    pub sizes: Vec<[u32; 2]>,
}

/// Video limits.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct VideoLimits {
    /// Accepted containers (`mp4`, `mov`).
    pub formats: Vec<Format>,
    /// Strict upper bound on file size in bytes.
    pub max_bytes: u64,
    /// Inclusive lower bound on duration in seconds.
    pub min_duration_s: f64,
    /// Inclusive upper bound on duration in seconds.
    pub max_duration_s: f64,
    /// Inclusive lower bound on width × height.
    pub min_pixels: u64,
    /// Inclusive upper bound on width × height.
    pub max_pixels: u64,
    /// Inclusive lower bound on displayed width.
    pub min_width: u32,
    /// Inclusive upper bound on displayed width.
    pub max_width: u32,
    /// Inclusive lower bound on displayed height.
    pub min_height: u32,
    /// Inclusive upper bound on displayed height.
    pub max_height: u32,
    /// Inclusive lower bound on width / height.
    pub min_aspect: f64,
    /// Inclusive upper bound on width / height.
    pub max_aspect: f64,
    /// Inclusive lower bound on the average frame rate.
    pub min_fps: f64,
    /// Inclusive upper bound on the average frame rate.
    pub max_fps: f64,
    /// Codec fourccs that pass without a `video.codec` warning; empty: any
    /// codec, no warning.
    pub codecs: Vec<String>,
    /// Codecs a video's audio track may have (`aac`, `mp3`, as
    /// [`MediaInfo::audio_codec`](crate::MediaInfo::audio_codec) names them);
    /// another fails `video.audio_codec`. Empty: any.
    pub audio_codecs: Vec<String>,
}

/// Audio limits.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct AudioLimits {
    /// Accepted formats (`mp3`, `wav`).
    pub formats: Vec<Format>,
    /// Strict upper bound on file size in bytes.
    pub max_bytes: u64,
    /// Inclusive lower bound on duration in seconds.
    pub min_duration_s: f64,
    /// Inclusive upper bound on duration in seconds.
    pub max_duration_s: f64,
}

/// Per-request (bundle) limits.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct RequestLimits {
    /// Most images in one request.
    pub max_images: u32,
    /// Most videos in one request.
    pub max_videos: u32,
    /// Most audio clips in one request.
    pub max_audios: u32,
    /// Most files in one request.
    pub max_files: u32,
    /// Inclusive upper bound on the summed video duration.
    pub max_total_video_s: f64,
    /// Inclusive upper bound on the summed audio duration.
    pub max_total_audio_s: f64,
    /// Whether audio needs at least one image or video beside it.
    pub audio_needs_visual: bool,
    /// Whether a generation task may ask for `1080p` (else `480p` and `720p`
    /// only; `preflight generate`).
    pub allow_1080p: bool,
    /// Strict upper bound on the bytes of the request's items (data URIs
    /// count with their base64 size) and text: the service's 64 MB body.
    pub max_body_bytes: u64,
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            formats: vec![
                Format::Jpeg,
                Format::Png,
                Format::Gif,
                Format::Webp,
                Format::Bmp,
                Format::Tiff,
                Format::Heic,
                Format::Heif,
            ],
            max_bytes: 30_000_000,
            min_width: 300,
            max_width: 6000,
            min_height: 300,
            max_height: 6000,
            min_aspect: 0.4,
            max_aspect: 2.5,
            sizes: Vec::new(),
        }
    }
}

impl Default for VideoLimits {
    fn default() -> Self {
        VideoLimits {
            formats: vec![Format::Mp4, Format::Mov],
            max_bytes: 50_000_000,
            min_duration_s: 2.0,
            max_duration_s: 15.0,
            min_pixels: 409_600,
            max_pixels: 927_408,
            min_width: 300,
            max_width: 6000,
            min_height: 300,
            max_height: 6000,
            min_aspect: 0.4,
            max_aspect: 2.5,
            min_fps: 24.0,
            max_fps: 60.0,
            codecs: names(&["avc1", "avc3", "hvc1", "hev1"]),
            audio_codecs: names(&["aac", "mp3"]),
        }
    }
}

impl Default for AudioLimits {
    fn default() -> Self {
        AudioLimits {
            formats: vec![Format::Mp3, Format::Wav],
            max_bytes: 15_000_000,
            min_duration_s: 2.0,
            max_duration_s: 15.0,
        }
    }
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_images: 9,
            max_videos: 3,
            max_audios: 3,
            max_files: 12,
            max_total_video_s: 15.0,
            max_total_audio_s: 15.0,
            audio_needs_visual: true,
            allow_1080p: false,
            max_body_bytes: 64_000_000,
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::seedance2()
    }
}

/// What is wrong with a profile's values.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProfileProblem {
    /// A minimum above its maximum.
    MinAboveMax {
        /// The bound pair, e.g. `image.width`.
        field: &'static str,
        /// The minimum given.
        min: f64,
        /// The maximum given.
        max: f64,
    },
    /// A bound that is NaN or infinite.
    NotFinite {
        /// The field, e.g. `video.max_fps`.
        field: &'static str,
    },
    /// A bound below zero.
    Negative {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A value of the wrong shape (a `checked` date that is not
    /// `YYYY-MM`, a size of 0 px, an empty codec name).
    BadValue {
        /// The field, e.g. `checked`.
        field: &'static str,
        /// The value given.
        value: String,
        /// What the field takes.
        expected: &'static str,
    },
    /// A format listed under the wrong kind (`mp3` among the images).
    WrongKind {
        /// The section, e.g. `image`.
        section: Kind,
        /// The format listed there.
        format: Format,
    },
}

impl fmt::Display for ProfileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::check::fmt_num;
        match self {
            ProfileProblem::MinAboveMax { field, min, max } => write!(
                f,
                "{field}: minimum {} is above maximum {}",
                fmt_num(*min),
                fmt_num(*max)
            ),
            ProfileProblem::NotFinite { field } => write!(f, "{field}: not a finite number"),
            ProfileProblem::BadValue {
                field,
                value,
                expected,
            } => write!(f, "{field}: {value:?} is not {expected}"),
            ProfileProblem::Negative { field, value } => {
                write!(f, "{field}: {} is negative", fmt_num(*value))
            }
            ProfileProblem::WrongKind { section, format } => write!(
                f,
                "{section}.formats: {format} is not an {section} format",
                section = section.as_str()
            ),
        }
    }
}

/// Why a profile could not be built or loaded. TOML errors carry the line
/// and column (1-based) where the parser stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// No built-in profile of that name, and no such file.
    #[error("unknown profile {name:?} (built-in: {builtin}; or give a path to a .toml file)", builtin = Profile::BUILTIN.join(", "))]
    Unknown {
        /// The name given.
        name: String,
    },
    /// The file could not be read.
    #[cfg(feature = "toml")]
    #[error("cannot read profile {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not valid TOML for a profile (syntax, a typo in a field
    /// name, a value of the wrong type, an unknown format).
    #[cfg(feature = "toml")]
    #[error("invalid profile{}{}: {message}", in_file(path), at(*line, *column))]
    Parse {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based line of the error, when the parser knows it.
        line: Option<usize>,
        /// 1-based column of the error.
        column: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// The values cannot hold (a minimum above its maximum, NaN, …).
    #[error("invalid profile{}: {problem}", in_file(path))]
    Invalid {
        /// The file, when the profile came from one.
        path: Option<PathBuf>,
        /// What is wrong.
        problem: ProfileProblem,
    },
}

fn in_file(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!(" {}", p.display()))
        .unwrap_or_default()
}

#[cfg(feature = "toml")]
fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// `YYYY-MM` or `YYYY-MM-DD`, digits in place, month 01–12, day 01–31.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let two = |at: usize| (b[at] - b'0') * 10 + (b[at + 1] - b'0');
    let month_ok = |b: &[u8]| b.len() >= 7 && b[4] == b'-' && digits(0..4) && digits(5..7);
    match b.len() {
        7 if month_ok(b) => (1..=12).contains(&two(5)),
        10 if month_ok(b) && b[7] == b'-' && digits(8..10) => {
            (1..=12).contains(&two(5)) && (1..=31).contains(&two(8))
        }
        _ => false,
    }
}

/// Puts `over`'s values into `base`, table by table.
#[cfg(feature = "toml")]
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

impl ProfileError {
    fn invalid(problem: ProfileProblem) -> Self {
        ProfileError::Invalid {
            path: None,
            problem,
        }
    }
}

/// The built-in catalogue: each service's limits as a TOML file (SPEC §8),
/// embedded. A file names only the bounds its service states; the rest are
/// left out (see [`Profile::open`]).
#[cfg(feature = "toml")]
const CATALOGUE: &[(&str, &str)] = &[
    ("seedance2", include_str!("../profiles/seedance2.toml")),
    (
        "seedance2-1080p",
        include_str!("../profiles/seedance2-1080p.toml"),
    ),
    (
        "seedance1-pro",
        include_str!("../profiles/seedance1-pro.toml"),
    ),
    (
        "seedance1-lite",
        include_str!("../profiles/seedance1-lite.toml"),
    ),
    ("kling-i2v", include_str!("../profiles/kling-i2v.toml")),
    ("runway-gen4", include_str!("../profiles/runway-gen4.toml")),
    ("veo3", include_str!("../profiles/veo3.toml")),
    ("sora2", include_str!("../profiles/sora2.toml")),
    ("hailuo02", include_str!("../profiles/hailuo02.toml")),
    ("vidu", include_str!("../profiles/vidu.toml")),
    ("wan2.6", include_str!("../profiles/wan2.6.toml")),
];

/// "No bound" for byte and pixel counts: the largest integer TOML holds.
const NO_MAX_U64: u64 = i64::MAX as u64;

impl Profile {
    /// Names of the built-in profiles (the catalogue of SPEC §8; `seedance2`,
    /// the default, first).
    #[cfg(feature = "toml")]
    pub const BUILTIN: &'static [&'static str] = &[
        "seedance2",
        "seedance2-1080p",
        "seedance1-pro",
        "seedance1-lite",
        "kling-i2v",
        "runway-gen4",
        "veo3",
        "sora2",
        "hailuo02",
        "vidu",
        "wan2.6",
    ];

    /// Names of the built-in profiles (without the `toml` feature, only the
    /// default `seedance2`; the catalogue is read from TOML).
    #[cfg(not(feature = "toml"))]
    pub const BUILTIN: &'static [&'static str] = &["seedance2"];

    /// The built-in profile for the Seedance 2.0 asset library (SPEC §1).
    pub fn seedance2() -> Profile {
        Profile {
            name: "seedance2".into(),
            title: "Seedance 2.0 asset library (480p/720p output)".into(),
            source: "Volcengine Seedance 2.0 asset-library page (SPEC §1)".into(),
            checked: "2026-12".into(),
            image: ImageLimits::default(),
            video: VideoLimits::default(),
            audio: AudioLimits::default(),
            request: RequestLimits::default(),
        }
    }

    /// A profile without any bound, taking no format: the base the
    /// catalogue's files are read over, so that a bound a service does not
    /// state is left out rather than guessed.
    pub fn open() -> Profile {
        let image = ImageLimits {
            formats: Vec::new(),
            max_bytes: NO_MAX_U64,
            min_width: 0,
            max_width: u32::MAX,
            min_height: 0,
            max_height: u32::MAX,
            min_aspect: 0.0,
            max_aspect: f64::INFINITY,
            sizes: Vec::new(),
        };
        let video = VideoLimits {
            formats: Vec::new(),
            max_bytes: image.max_bytes,
            min_duration_s: 0.0,
            max_duration_s: f64::INFINITY,
            min_pixels: 0,
            max_pixels: NO_MAX_U64,
            min_width: image.min_width,
            max_width: image.max_width,
            min_height: image.min_height,
            max_height: image.max_height,
            min_aspect: image.min_aspect,
            max_aspect: image.max_aspect,
            min_fps: 0.0,
            max_fps: f64::INFINITY,
            codecs: Vec::new(),
            audio_codecs: Vec::new(),
        };
        Profile {
            name: String::new(),
            title: String::new(),
            source: String::new(),
            checked: String::new(),
            image,
            video,
            audio: AudioLimits {
                formats: Vec::new(),
                max_bytes: NO_MAX_U64,
                min_duration_s: 0.0,
                max_duration_s: f64::INFINITY,
            },
            request: RequestLimits {
                max_images: u32::MAX,
                max_videos: u32::MAX,
                max_audios: u32::MAX,
                max_files: u32::MAX,
                max_total_video_s: f64::INFINITY,
                max_total_audio_s: f64::INFINITY,
                audio_needs_visual: false,
                allow_1080p: false,
                max_body_bytes: NO_MAX_U64,
            },
        }
    }

    /// A built-in profile by name (one of [`Profile::BUILTIN`]).
    pub fn builtin(name: &str) -> Option<Profile> {
        if name == "seedance2" {
            return Some(Profile::seedance2());
        }
        #[cfg(feature = "toml")]
        if let Some((_, text)) = CATALOGUE.iter().find(|(n, _)| *n == name) {
            // Every file is parsed and validated by the tests.
            return Profile::from_toml_over(Some(Profile::open()), text).ok();
        }
        None
    }

    /// Parses a profile from TOML text and validates it; fields it does not
    /// name keep the `seedance2` values.
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn from_toml(text: &str) -> Result<Profile, ProfileError> {
        Profile::from_toml_over(None, text)
    }

    /// Reads `text` over `base`: the fields it names replace `base`'s
    /// (without a base, the serde defaults: `seedance2`'s limits, empty
    /// `title`, `source` and `checked`).
    #[cfg(feature = "toml")]
    fn from_toml_over(base: Option<Profile>, text: &str) -> Result<Profile, ProfileError> {
        let parse_error = |e: toml::de::Error| {
            let (line, column) = match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    (Some(line), Some(column))
                }
                None => (None, None),
            };
            ProfileError::Parse {
                path: None,
                line,
                column,
                message: e.message().trim_end().to_string(),
            }
        };
        let p: Profile = if let Some(base) = base {
            let over: toml::Table = toml::from_str(text).map_err(parse_error)?;
            let mut merged = toml::Table::try_from(&base).map_err(|e| ProfileError::Parse {
                path: None,
                line: None,
                column: None,
                message: e.to_string(),
            })?;
            merge(&mut merged, over);
            toml::Value::Table(merged).try_into().map_err(parse_error)?
        } else {
            toml::from_str(text).map_err(parse_error)?
        };
        p.validate()?;
        Ok(p)
    }

    /// The profile as TOML, every field named: what [`Profile::from_toml`]
    /// reads back to the same profile (a starting point for a custom one).
    /// Fails when the profile does not [`validate`](Profile::validate).
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn to_toml(&self) -> Result<String, ProfileError> {
        self.validate()?;
        toml::to_string(self).map_err(|e| ProfileError::Parse {
            path: None,
            line: None,
            column: None,
            message: e.to_string(),
        })
    }

    /// Reads a profile from a TOML file. Unless the file names itself
    /// (`name = "…"`), the profile is named after the file's stem.
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn load(path: impl AsRef<Path>) -> Result<Profile, ProfileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut p = Profile::from_toml(&text).map_err(|e| match e {
            ProfileError::Parse {
                line,
                column,
                message,
                ..
            } => ProfileError::Parse {
                path: Some(path.to_path_buf()),
                line,
                column,
                message,
            },
            ProfileError::Invalid { problem, .. } => ProfileError::Invalid {
                path: Some(path.to_path_buf()),
                problem,
            },
            other => other,
        })?;
        if p.name == "seedance2" && !text.lines().any(|l| l.trim_start().starts_with("name")) {
            p.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "profile".into());
        }
        Ok(p)
    }

    /// What the CLI's `--profile` takes: a built-in name, or a path to a
    /// TOML file.
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn from_name_or_path(name_or_path: &str) -> Result<Profile, ProfileError> {
        if let Some(p) = Profile::builtin(name_or_path) {
            return Ok(p);
        }
        let path = Path::new(name_or_path);
        if !name_or_path.ends_with(".toml") && !path.exists() {
            return Err(ProfileError::Unknown {
                name: name_or_path.into(),
            });
        }
        Profile::load(path)
    }

    /// Rejects values that cannot hold: a minimum above its maximum, a bound
    /// that is NaN, negative or infinite (a maximum may be `inf`: no bound),
    /// a count above the largest TOML integer, a format under the wrong
    /// kind, a `checked` that is not a date, a size of 0 px, an empty codec
    /// name. [`Profile::from_toml`] and [`Profile::load`] call it; call it
    /// after changing fields by hand.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let err = |p| Err(ProfileError::invalid(p));
        let (i, v, a, r) = (&self.image, &self.video, &self.audio, &self.request);
        let floats: [(&'static str, f64); 12] = [
            ("image.min_aspect", i.min_aspect),
            ("image.max_aspect", i.max_aspect),
            ("video.min_duration_s", v.min_duration_s),
            ("video.max_duration_s", v.max_duration_s),
            ("video.min_aspect", v.min_aspect),
            ("video.max_aspect", v.max_aspect),
            ("video.min_fps", v.min_fps),
            ("video.max_fps", v.max_fps),
            ("audio.min_duration_s", a.min_duration_s),
            ("audio.max_duration_s", a.max_duration_s),
            ("request.max_total_video_s", r.max_total_video_s),
            ("request.max_total_audio_s", r.max_total_audio_s),
        ];
        for (field, value) in floats {
            // A maximum may be `inf`: no bound.
            let open_max = field.contains(".max_") && value == f64::INFINITY;
            if !value.is_finite() && !open_max {
                return err(ProfileProblem::NotFinite { field });
            }
            if value < 0.0 {
                return err(ProfileProblem::Negative { field, value });
            }
        }
        for (field, value) in [
            ("image.max_bytes", i.max_bytes),
            ("video.max_bytes", v.max_bytes),
            ("video.min_pixels", v.min_pixels),
            ("video.max_pixels", v.max_pixels),
            ("audio.max_bytes", a.max_bytes),
        ] {
            if value > NO_MAX_U64 {
                return err(ProfileProblem::BadValue {
                    field,
                    value: value.to_string(),
                    expected: "at most 9223372036854775807 (the largest TOML integer)",
                });
            }
        }
        if !self.checked.is_empty() && !is_date(&self.checked) {
            return err(ProfileProblem::BadValue {
                field: "checked",
                value: self.checked.clone(),
                expected: "a date (YYYY-MM or YYYY-MM-DD)",
            });
        }
        if let Some(&[w, h]) = i.sizes.iter().find(|s| s.contains(&0)) {
            return err(ProfileProblem::BadValue {
                field: "image.sizes",
                value: format!("{w}x{h}"),
                expected: "a size of at least 1x1 px",
            });
        }
        for (field, list) in [
            ("video.codecs", &v.codecs),
            ("video.audio_codecs", &v.audio_codecs),
        ] {
            if list.iter().any(|c| c.trim().is_empty()) {
                return err(ProfileProblem::BadValue {
                    field,
                    value: String::new(),
                    expected: "a codec name",
                });
            }
        }
        let pairs: [(&'static str, f64, f64); 10] = [
            ("image.width", i.min_width.into(), i.max_width.into()),
            ("image.height", i.min_height.into(), i.max_height.into()),
            ("image.aspect", i.min_aspect, i.max_aspect),
            ("video.duration_s", v.min_duration_s, v.max_duration_s),
            ("video.pixels", v.min_pixels as f64, v.max_pixels as f64),
            ("video.width", v.min_width.into(), v.max_width.into()),
            ("video.height", v.min_height.into(), v.max_height.into()),
            ("video.aspect", v.min_aspect, v.max_aspect),
            ("video.fps", v.min_fps, v.max_fps),
            ("audio.duration_s", a.min_duration_s, a.max_duration_s),
        ];
        for (field, min, max) in pairs {
            if min > max {
                return err(ProfileProblem::MinAboveMax { field, min, max });
            }
        }
        for (section, formats) in [
            (Kind::Image, &i.formats),
            (Kind::Video, &v.formats),
            (Kind::Audio, &a.formats),
        ] {
            if let Some(&format) = formats.iter().find(|f| f.kind() != section) {
                return err(ProfileProblem::WrongKind { section, format });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seedance2_matches_spec() {
        let p = Profile::seedance2();
        assert_eq!(p.image.max_bytes, 30_000_000);
        assert_eq!(p.video.max_bytes, 50_000_000);
        assert_eq!(p.audio.max_bytes, 15_000_000);
        assert_eq!(p.video.min_pixels, 640 * 640);
        assert_eq!(p.video.max_pixels, 834 * 1112);
        assert_eq!(
            (
                p.request.max_images,
                p.request.max_videos,
                p.request.max_audios,
                p.request.max_files
            ),
            (9, 3, 3, 12)
        );
    }

    #[cfg(feature = "toml")]
    #[test]
    fn toml_overrides_only_what_it_names() {
        let p = Profile::from_toml(
            "name = \"strict\"\n[image]\nmax_width = 4096\n[video]\nmax_fps = 30.0\n",
        )
        .unwrap();
        assert_eq!(p.name, "strict");
        assert_eq!(p.image.max_width, 4096);
        assert_eq!(p.image.min_width, 300);
        assert_eq!(p.video.max_fps, 30.0);
        assert_eq!(p.audio, AudioLimits::default());
    }

    #[cfg(feature = "toml")]
    #[test]
    fn toml_rejects_typos_and_impossible_bounds() {
        let e = Profile::from_toml("name = \"x\"\n[image]\nmax_widht = 1\n").unwrap_err();
        assert!(e.to_string().contains("max_widht"), "{e}");
        match e {
            ProfileError::Parse { line, column, .. } => {
                assert_eq!((line, column), (Some(3), Some(1)))
            }
            other => panic!("{other:?}"),
        }
        let e = Profile::from_toml("[image]\nmin_width = 7000\n").unwrap_err();
        assert!(
            matches!(
                e,
                ProfileError::Invalid {
                    problem: ProfileProblem::MinAboveMax {
                        field: "image.width",
                        ..
                    },
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "invalid profile: image.width: minimum 7000 is above maximum 6000"
        );
        let nan = Profile::from_toml("[video]\nmax_fps = nan\n").unwrap_err();
        assert!(
            nan.to_string().contains("video.max_fps: not a finite"),
            "{nan}"
        );
        let neg = Profile::from_toml("[audio]\nmin_duration_s = -1.0\n").unwrap_err();
        assert!(neg.to_string().contains("negative"), "{neg}");
        let kind = Profile::from_toml("[image]\nformats = [\"jpeg\", \"mp3\"]\n").unwrap_err();
        assert!(
            kind.to_string().contains("mp3 is not an image format"),
            "{kind}"
        );
        let unknown = Profile::from_toml("[image]\nformats = [\"jpegg\"]\n").unwrap_err();
        assert!(unknown.to_string().contains("jpegg"), "{unknown}");
    }

    #[cfg(feature = "toml")]
    #[test]
    fn format_aliases_are_read_as_the_format() {
        let p = Profile::from_toml("[image]\nformats = [\"jpg\", \"PNG\"]\n").unwrap();
        assert_eq!(p.image.formats, [Format::Jpeg, Format::Png]);
    }

    #[test]
    fn hand_edited_profiles_are_validated() {
        let mut p = Profile::seedance2();
        assert!(p.validate().is_ok());
        p.video.min_fps = f64::NAN;
        assert!(p.validate().is_err());
    }

    #[cfg(feature = "toml")]
    #[test]
    fn builtin_round_trips_through_toml() {
        let text = toml::to_string(&Profile::seedance2()).unwrap();
        assert_eq!(Profile::from_toml(&text).unwrap(), Profile::seedance2());
    }
}
