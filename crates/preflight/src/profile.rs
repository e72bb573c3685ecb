//! Upload limits as data: the built-in `seedance2` profile (SPEC §1) and
//! profiles loaded from TOML files with the same fields.
//!
//! Bounds named `min_*`/`max_*` are inclusive, except the `max_bytes` size
//! bounds, which are strict: a file passes only when `bytes < max_bytes`.

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
    /// Codec fourccs that pass without a `video.codec` warning.
    pub codecs: Vec<String>,
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

impl ProfileError {
    fn invalid(problem: ProfileProblem) -> Self {
        ProfileError::Invalid {
            path: None,
            problem,
        }
    }
}

impl Profile {
    /// Names of the built-in profiles.
    pub const BUILTIN: &'static [&'static str] = &["seedance2"];

    /// The built-in profile for the Seedance 2.0 asset library (SPEC §1).
    pub fn seedance2() -> Profile {
        Profile {
            name: "seedance2".into(),
            image: ImageLimits::default(),
            video: VideoLimits::default(),
            audio: AudioLimits::default(),
            request: RequestLimits::default(),
        }
    }

    /// A built-in profile by name.
    pub fn builtin(name: &str) -> Option<Profile> {
        match name {
            "seedance2" => Some(Profile::seedance2()),
            _ => None,
        }
    }

    /// Parses a profile from TOML text and validates it; fields it does not
    /// name keep the `seedance2` values.
    #[cfg(feature = "toml")]
    #[cfg_attr(docsrs, doc(cfg(feature = "toml")))]
    pub fn from_toml(text: &str) -> Result<Profile, ProfileError> {
        let p: Profile = toml::from_str(text).map_err(|e| {
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
        })?;
        p.validate()?;
        Ok(p)
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
    /// that is NaN, infinite or negative, a format under the wrong kind.
    /// [`Profile::from_toml`] and [`Profile::load`] call it; call it after
    /// changing fields by hand.
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
            if !value.is_finite() {
                return err(ProfileProblem::NotFinite { field });
            }
            if value < 0.0 {
                return err(ProfileProblem::Negative { field, value });
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
