//! Errors: why a file was not repaired ([`FixError`], with the plan-level
//! reasons in [`NotRepairable`]) and why a whole run was refused
//! ([`FixPathsError`]).
//!
//! Each `Display` is the sentence a person reads in the report; the
//! underlying library error (`image::ImageError`,
//! `symphonia::core::errors::Error`, `hound::Error`, …) is kept as the
//! [`std::error::Error::source`], boxed so that the versions of those crates
//! are not part of this crate's API (downcast it to inspect it).

use crate::budget::Resource;
use preflight::fs::WalkError;
use preflight::human_bytes;
use preflight::Format;
use std::path::PathBuf;
use std::process::ExitStatus;

/// A library error kept as a [`std::error::Error::source`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why one file could not be repaired.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixError {
    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The input could not be read or measured (its check says why).
    #[error("{message}")]
    Unreadable {
        /// The check's message (`cannot read: …`, `headers could not be parsed: …`).
        message: String,
    },
    /// The walk could not list or follow the entry.
    #[error(transparent)]
    Walk(WalkError),
    /// The input could not be decoded.
    #[error("cannot decode: {source}{}", if *.needs_ffmpeg { "; not repairable: needs ffmpeg" } else { "" })]
    Decode {
        /// The format being decoded.
        format: Format,
        /// What the decoder said.
        #[source]
        source: BoxError,
        /// ffmpeg, which might decode it, is not installed.
        needs_ffmpeg: bool,
    },
    /// The picture could not be resized.
    #[error("cannot encode: resize: {source}")]
    Resize {
        /// What the resizer said.
        #[source]
        source: BoxError,
    },
    /// The output could not be encoded.
    #[error("cannot encode: {source}")]
    Encode {
        /// The format being written.
        format: Format,
        /// What the encoder said.
        #[source]
        source: BoxError,
    },
    /// An external tool failed.
    #[error("{tool} failed ({status}): {stderr}")]
    Tool {
        /// The tool (`ffmpeg`, `ffprobe`).
        tool: &'static str,
        /// Its exit status.
        status: ExitStatus,
        /// The end of what it printed on stderr.
        stderr: String,
    },
    /// A file that already passes could not be copied (`--all`).
    #[error("cannot copy: {0}")]
    Copy(#[source] std::io::Error),
    /// The file cannot be repaired under this profile and these options.
    #[error(transparent)]
    NotRepairable(#[from] NotRepairable),
    /// The repair would go over the budget ([`crate::FixLimits`]).
    #[error("would need {} (limit {})", need_text(*.resource, *.need), limit_text(*.resource, *.limit))]
    OverBudget {
        /// What would run out.
        resource: Resource,
        /// What the repair would need (at least).
        need: u64,
        /// The limit.
        limit: u64,
    },
    /// An external tool ran past its wall-clock timeout and was killed.
    #[error("{tool} took longer than {} s; stopped", .after.as_secs())]
    Timeout {
        /// The tool (`ffmpeg`, `ffprobe`).
        tool: &'static str,
        /// The timeout.
        after: std::time::Duration,
    },
    /// The destination resolved outside the output folder or onto an input
    /// (a symbolic link in the way); nothing was written there.
    #[error("refused to write {}: {why}", .path.display())]
    UnsafeDestination {
        /// The destination.
        path: PathBuf,
        /// Why.
        why: &'static str,
    },
}

fn need_text(r: Resource, v: u64) -> String {
    match r {
        Resource::Memory => format!("{} to decode", human_bytes(v)),
        Resource::Input => format!("{} to read", human_bytes(v)),
        Resource::AnimationPixels => format!("{} megapixels of animation frames", v / 1_000_000),
    }
}

fn limit_text(r: Resource, v: u64) -> String {
    match r {
        Resource::AnimationPixels => (v / 1_000_000).to_string(),
        _ => human_bytes(v),
    }
}

impl FixError {
    pub(crate) fn decode(format: Format, source: impl Into<BoxError>) -> FixError {
        FixError::Decode {
            format,
            source: source.into(),
            needs_ffmpeg: false,
        }
    }

    pub(crate) fn encode(format: Format, source: impl Into<BoxError>) -> FixError {
        FixError::Encode {
            format,
            source: source.into(),
        }
    }
}

/// Why a file cannot be repaired: found by [`crate::plan`] before anything
/// is decoded, or met while repairing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NotRepairable {
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The content is no media type preflight recognises.
    #[error("not a media type preflight recognises")]
    UnknownType,
    /// HEIC/HEIF must be decoded and the `heif` feature is off.
    #[error("HEIC/HEIF decoding needs the `heif` feature (libheif)")]
    NeedsHeifFeature,
    /// No decoder for this image format.
    #[error("no decoder for {} images", .0.name().to_uppercase())]
    NoDecoder(Format),
    /// An animation in a format other than GIF.
    #[error("re-encoding an animated {} is not supported (only animated GIF)", .0.name().to_uppercase())]
    Animated(Format),
    /// No picture size meets the profile's side, pixel and aspect bounds
    /// together (the aspect ratio cannot be reached within the side bounds).
    #[error("the profile's image bounds leave no size to scale to")]
    ImageBoundsUnreachable,
    /// As [`NotRepairable::ImageBoundsUnreachable`], for video.
    #[error("the profile's video bounds leave no size to scale to")]
    VideoBoundsUnreachable,
    /// Audio shorter than the minimum, and `--pad-audio` was not given.
    #[error("too short ({} < {}); --pad-audio pads it with silence", secs(*.duration_s), secs(*.min_s))]
    AudioTooShort {
        /// Its duration in seconds.
        duration_s: f64,
        /// The profile's minimum.
        min_s: f64,
    },
    /// Video shorter than the minimum (there is nothing to add).
    #[error("too short ({} < {})", secs(*.duration_s), secs(*.min_s))]
    VideoTooShort {
        /// Its duration in seconds.
        duration_s: f64,
        /// The profile's minimum.
        min_s: f64,
    },
    /// The audio's duration is unknown, so no trim or pad can be planned.
    #[error("the duration could not be determined")]
    UnknownDuration,
    /// A video file without a video track.
    #[error("the file has no video track")]
    NoVideoTrack,
    /// No whole frame rate lies within the profile's bounds.
    #[error("no whole frame rate fits the profile")]
    NoFrameRate,
    /// No repair is known for what the file breaks.
    #[error("no repair known for this failure")]
    NoRepairKnown,
    /// The repair needs ffmpeg, which is not installed.
    #[error("needs ffmpeg (not found on PATH)")]
    NeedsFfmpeg,
    /// The repair needs ffprobe, which is not beside ffmpeg nor on `PATH`.
    #[error("not repairable: needs ffprobe")]
    NeedsFfprobe,
    /// The repair goes through ffmpeg, which reads a file: bytes in memory
    /// are not enough ([`crate::apply_bytes`]).
    #[error("not repairable: needs ffmpeg and a file path (use `apply`)")]
    NeedsFilePath,
    /// Even at `--min-quality` and the smallest size the bounds allow, the
    /// picture is over the size limit.
    #[error("cannot get under {} at quality ≥ {min_quality} within the size bounds", human_bytes(*.max_bytes))]
    SizeUnreachable {
        /// The profile's strict size bound.
        max_bytes: u64,
        /// The lowest JPEG quality allowed.
        min_quality: u8,
    },
    /// A re-encoded animated GIF is still over the size limit.
    #[error("the animated GIF is still {} (limit {})", human_bytes(*.bytes), human_bytes(*.max_bytes))]
    AnimationTooLarge {
        /// Its size in bytes.
        bytes: u64,
        /// The profile's strict size bound.
        max_bytes: u64,
    },
    /// The output path is the input.
    #[error("the output would overwrite the input")]
    WouldOverwriteInput,
    /// The repaired output did not pass the re-check; it was removed.
    #[error("the repaired output still fails ({}); removed", .0.join("; "))]
    OutputStillFails(Vec<String>),
}

fn secs(v: f64) -> String {
    format!("{v:.1} s")
}

impl serde::Serialize for NotRepairable {
    /// As the sentence people read (the JSON report's `reason`).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An output folder that [`crate::fix_paths`] refuses: writing there could
/// touch the inputs or be read back as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the output folder {} would put repaired files inside the input {}: choose a folder outside the inputs",
    out.display(),
    input.display()
)]
#[non_exhaustive]
pub struct OutDirError {
    /// The output folder, as given.
    pub out: PathBuf,
    /// The input folder the outputs would land in (or the input file they
    /// would overwrite).
    pub input: PathBuf,
}

/// Why [`crate::fix_paths`] did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixPathsError {
    /// The output folder is inside an input folder.
    #[error(transparent)]
    OutDir(#[from] OutDirError),
    /// A component of the output folder is a symbolic link.
    #[error("the output folder {} goes through a symbolic link: name the real folder", .0.display())]
    OutLink(PathBuf),
    /// The output folder could not be created.
    #[error("cannot create the output folder: {0}")]
    Io(#[source] std::io::Error),
    /// The worker threads could not be started.
    #[error(transparent)]
    Threads(#[from] rayon::ThreadPoolBuildError),
}
