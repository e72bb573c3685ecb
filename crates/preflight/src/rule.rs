//! Rule ids (SPEC §2) and the typed values a violation carries.

use core::fmt;
use core::str::FromStr;

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, )*) => {
        /// A stable rule id (SPEC §2). It prints and serializes as the dotted
        /// id (`image.width`); new ids may be added, none is ever renamed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in the order of SPEC §2.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The dotted id, e.g. `"image.width"`.
            pub const fn id(self) -> &'static str {
                match self {
                    $( Rule::$variant => $id, )*
                }
            }
        }

        impl FromStr for Rule {
            type Err = UnknownRule;
            fn from_str(s: &str) -> Result<Rule, UnknownRule> {
                match s {
                    $( $id => Ok(Rule::$variant), )*
                    _ => Err(UnknownRule),
                }
            }
        }
    };
}

rules! {
    /// The file could not be opened or read (also: a folder, a FIFO, a link loop).
    FileUnreadable = "file.unreadable",
    /// The file is empty.
    FileEmpty = "file.empty",
    /// Not a media type preflight recognises.
    FileUnknownType = "file.unknown_type",
    /// A real media file of a type the service does not take.
    FileUnsupportedType = "file.unsupported_type",
    /// The extension does not match the content (warning).
    FileExtensionMismatch = "file.extension_mismatch",
    /// The headers could not be parsed, or reference data past the end.
    FileCorrupt = "file.corrupt",
    /// The data given ended before the headers did: no measurement.
    FileIncomplete = "file.incomplete",
    /// A resource cap of [`ProbeLimits`](crate::ProbeLimits) stopped the probe.
    FileLimit = "file.limit",
    /// The last box claims more bytes than the file has, but every sample
    /// lies inside it (warning).
    FileTruncatedTail = "file.truncated_tail",
    /// `--verify decode` could not decode the file here (a decoder this
    /// build or machine lacks), so only its headers were judged (warning).
    FileNotVerified = "file.not_verified",
    /// A remote server ignored `Range`, so the file was read as a stream
    /// from its start until its headers ended (warning).
    FileStreamed = "file.streamed",
    /// A figure is an estimate, not a measurement: an MP3's duration from
    /// its bitrate with `--mp3-scan estimate` (warning).
    FileEstimated = "file.estimated",
    /// Image format not accepted by the profile.
    ImageFormat = "image.format",
    /// Image size in bytes.
    ImageSize = "image.size",
    /// Image width.
    ImageWidth = "image.width",
    /// Image height.
    ImageHeight = "image.height",
    /// Image aspect ratio.
    ImageAspect = "image.aspect",
    /// Image size in pixels not one of the exact sizes the profile lists.
    ImageDimensions = "image.dimensions",
    /// Video container not accepted by the profile.
    VideoFormat = "video.format",
    /// Video size in bytes.
    VideoSize = "video.size",
    /// Video duration.
    VideoDuration = "video.duration",
    /// Video pixel count (width × height).
    VideoPixels = "video.pixels",
    /// Video width.
    VideoWidth = "video.width",
    /// Video height.
    VideoHeight = "video.height",
    /// Video aspect ratio.
    VideoAspect = "video.aspect",
    /// Video frame rate.
    VideoFps = "video.fps",
    /// A codec the service may reject (warning).
    VideoCodec = "video.codec",
    /// A movie without a video track.
    VideoNoVideoTrack = "video.no_video_track",
    /// Non-square pixels (warning).
    VideoSar = "video.sar",
    /// An encrypted track.
    VideoEncrypted = "video.encrypted",
    /// The video's audio track is not in a codec the service takes.
    VideoAudioCodec = "video.audio_codec",
    /// Audio format not accepted by the profile.
    AudioFormat = "audio.format",
    /// Audio size in bytes.
    AudioSize = "audio.size",
    /// Audio duration.
    AudioDuration = "audio.duration",
    /// Too many images in one request.
    RequestCountImages = "request.count.images",
    /// Too many videos in one request.
    RequestCountVideos = "request.count.videos",
    /// Too many audio clips in one request.
    RequestCountAudios = "request.count.audios",
    /// Too many files in one request.
    RequestCountTotal = "request.count.total",
    /// Summed video duration of a request.
    RequestTotalVideoDuration = "request.total_video_duration",
    /// Summed audio duration of a request.
    RequestTotalAudioDuration = "request.total_audio_duration",
    /// Audio without an image or video beside it.
    RequestAudioOnly = "request.audio_only",
    /// Items of different request modes mixed in one request.
    RequestMode = "request.mode",
    /// Superseded by `request.mode` (SPEC §2), which is what is reported
    /// now; kept so that the id still parses.
    RequestMixedModes = "request.mixed_modes",
    /// The request body is too large.
    RequestBodySize = "request.body_size",
    /// An asset or group name is too long.
    AssetNameLength = "asset.name_length",
}

/// The error of parsing an unknown rule id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule;

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown rule id")
    }
}

impl std::error::Error for UnknownRule {}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl PartialEq<str> for Rule {
    fn eq(&self, other: &str) -> bool {
        self.id() == other
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rule, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format_args!("unknown rule id {s:?}")))
    }
}

/// A value in a violation: what was found (`actual`) or the bound it broke
/// (`limit`). Serializes as plain JSON: a number (integral values as
/// integers), a string, a list of strings, or `{"min", "max"}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Measure {
    /// A count or a size in bytes.
    Int(u64),
    /// A measurement (seconds, frames per second, a ratio).
    Num(f64),
    /// A name (a format, a codec, an extension).
    Text(String),
    /// Several names (accepted formats, codecs, extensions).
    List(Vec<String>),
    /// An inclusive range.
    Range {
        /// The lower bound.
        min: f64,
        /// The upper bound.
        max: f64,
    },
}

impl Measure {
    /// The value as a number, for `Int` and `Num`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Measure::Int(v) => Some(v as f64),
            Measure::Num(v) => Some(v),
            _ => None,
        }
    }

    /// The value as text, for `Text`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Measure::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A list of names.
    pub fn list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Measure {
        Measure::List(items.into_iter().map(|s| s.as_ref().to_string()).collect())
    }
}

impl From<u64> for Measure {
    fn from(v: u64) -> Self {
        Measure::Int(v)
    }
}

impl From<u32> for Measure {
    fn from(v: u32) -> Self {
        Measure::Int(v.into())
    }
}

impl From<usize> for Measure {
    fn from(v: usize) -> Self {
        Measure::Int(v as u64)
    }
}

impl From<f64> for Measure {
    fn from(v: f64) -> Self {
        Measure::Num(v)
    }
}

impl From<&str> for Measure {
    fn from(v: &str) -> Self {
        Measure::Text(v.to_string())
    }
}

impl From<String> for Measure {
    fn from(v: String) -> Self {
        Measure::Text(v)
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Measure::Int(v) => write!(f, "{v}"),
            Measure::Num(v) => f.write_str(&crate::check::fmt_num(*v)),
            Measure::Text(s) => f.write_str(s),
            Measure::List(v) => f.write_str(&v.join(", ")),
            Measure::Range { min, max } => write!(
                f,
                "{}–{}",
                crate::check::fmt_num(*min),
                crate::check::fmt_num(*max)
            ),
        }
    }
}

#[cfg(feature = "serde")]
fn ser_num<S: serde::Serializer>(v: f64, s: S) -> Result<S::Ok, S::Error> {
    // Integral values print as integers (`6000`, not `6000.0`).
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        s.serialize_i64(v as i64)
    } else {
        s.serialize_f64(v)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Measure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct N(f64);
        impl serde::Serialize for N {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                ser_num(self.0, s)
            }
        }
        match self {
            Measure::Int(v) => s.serialize_u64(*v),
            Measure::Num(v) => ser_num(*v, s),
            Measure::Text(v) => s.serialize_str(v),
            Measure::List(v) => v.serialize(s),
            Measure::Range { min, max } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("min", &N(*min))?;
                m.serialize_entry("max", &N(*max))?;
                m.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in Rule::ALL {
            assert!(seen.insert(r.id()), "{r} twice");
            assert_eq!(r.id().parse::<Rule>(), Ok(*r));
            assert_eq!(r.to_string(), r.id());
        }
        assert!("image.widht".parse::<Rule>().is_err());
        assert!(Rule::ImageWidth == "image.width");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn measures_serialize_as_plain_json() {
        let j = |m: &Measure| serde_json::to_string(m).unwrap();
        assert_eq!(j(&Measure::Int(6400)), "6400");
        assert_eq!(j(&Measure::Num(6000.0)), "6000");
        assert_eq!(j(&Measure::Num(2.5)), "2.5");
        assert_eq!(j(&Measure::Text("avif".into())), "\"avif\"");
        assert_eq!(j(&Measure::list(["mp4", "mov"])), "[\"mp4\",\"mov\"]");
        assert_eq!(
            j(&Measure::Range {
                min: 300.0,
                max: 6000.0
            }),
            "{\"min\":300,\"max\":6000}"
        );
        assert_eq!(
            serde_json::to_string(&Rule::VideoFps).unwrap(),
            "\"video.fps\""
        );
    }
}
