//! Upload limits as data: the built-in `seedance2` profile (SPEC §1) and
//! profiles loaded from TOML files with the same fields.
//!
//! Bounds named `min_*`/`max_*` are inclusive, except the `max_bytes` size
//! bounds, which are strict: a file passes only when `bytes < max_bytes`.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Every limit the checks use. All fields have the `seedance2` defaults, so a
/// TOML file need only name what differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImageLimits {
    /// Accepted formats by short name (`jpeg`, `png`, …).
    pub formats: Vec<String>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VideoLimits {
    /// Accepted containers (`mp4`, `mov`).
    pub formats: Vec<String>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudioLimits {
    /// Accepted formats (`mp3`, `wav`).
    pub formats: Vec<String>,
    /// Strict upper bound on file size in bytes.
    pub max_bytes: u64,
    /// Inclusive lower bound on duration in seconds.
    pub min_duration_s: f64,
    /// Inclusive upper bound on duration in seconds.
    pub max_duration_s: f64,
}

/// Per-request (bundle) limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// only; see [`crate::generate`]).
    pub allow_1080p: bool,
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            formats: names(&["jpeg", "png", "gif", "webp", "bmp", "tiff", "heic", "heif"]),
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
            formats: names(&["mp4", "mov"]),
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
            formats: names(&["mp3", "wav"]),
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

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// No built-in profile of that name, and no such file.
    #[error("unknown profile {0:?} (built-in: seedance2; or give a path to a .toml file)")]
    Unknown(String),
    /// The file could not be read.
    #[error("cannot read profile {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid profile.
    #[error("invalid profile {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Profile {
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

    /// Parses a profile from TOML text; unnamed fields keep the `seedance2` values.
    pub fn from_toml(text: &str) -> Result<Profile, String> {
        let p: Profile = toml::from_str(text).map_err(|e| e.to_string())?;
        p.validate()?;
        Ok(p)
    }

    /// A built-in profile by name, or a TOML file by path.
    pub fn load(name_or_path: &str) -> Result<Profile, ProfileError> {
        if name_or_path == "seedance2" {
            return Ok(Profile::seedance2());
        }
        let path = Path::new(name_or_path);
        if !name_or_path.ends_with(".toml") && !path.exists() {
            return Err(ProfileError::Unknown(name_or_path.into()));
        }
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
            path: name_or_path.into(),
            source,
        })?;
        let mut p = Profile::from_toml(&text).map_err(|message| ProfileError::Invalid {
            path: name_or_path.into(),
            message,
        })?;
        if p.name == "seedance2" {
            p.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| name_or_path.into());
        }
        Ok(p)
    }

    /// Rejects bounds that cannot hold (a minimum above its maximum, NaN).
    pub fn validate(&self) -> Result<(), String> {
        fn pair<T: PartialOrd + std::fmt::Display>(what: &str, lo: T, hi: T) -> Result<(), String> {
            if lo <= hi {
                Ok(())
            } else {
                Err(format!("{what}: minimum {lo} is above maximum {hi}"))
            }
        }
        let (i, v, a) = (&self.image, &self.video, &self.audio);
        pair("image width", i.min_width, i.max_width)?;
        pair("image height", i.min_height, i.max_height)?;
        pair("image aspect", i.min_aspect, i.max_aspect)?;
        pair("video duration", v.min_duration_s, v.max_duration_s)?;
        pair("video pixels", v.min_pixels, v.max_pixels)?;
        pair("video width", v.min_width, v.max_width)?;
        pair("video height", v.min_height, v.max_height)?;
        pair("video aspect", v.min_aspect, v.max_aspect)?;
        pair("video fps", v.min_fps, v.max_fps)?;
        pair("audio duration", a.min_duration_s, a.max_duration_s)?;
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

    #[test]
    fn toml_rejects_typos_and_impossible_bounds() {
        assert!(Profile::from_toml("[image]\nmax_widht = 1\n")
            .unwrap_err()
            .contains("max_widht"));
        assert!(Profile::from_toml("[image]\nmin_width = 7000\n")
            .unwrap_err()
            .contains("image width"));
    }

    #[test]
    fn builtin_round_trips_through_toml() {
        let text = toml::to_string(&Profile::seedance2()).unwrap();
        assert_eq!(Profile::from_toml(&text).unwrap(), Profile::seedance2());
    }
}
