//! What a probe found out about a file.

use std::fmt;
use std::str::FromStr;

/// The broad kind of a media file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Kind {
    /// A still or animated picture.
    Image,
    /// A movie with at least a container the service takes.
    Video,
    /// Sound only.
    Audio,
    /// Not recognised.
    Unknown,
}

impl Kind {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Video => "video",
            Kind::Audio => "audio",
            Kind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file format, judged from content.
///
/// The first group is what the service takes (SPEC §1); the rest are common
/// media types it does not take, reported as `file.unsupported_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// JPEG / JFIF / EXIF.
    Jpeg,
    /// PNG (also APNG, judged on its canvas).
    Png,
    /// GIF 87a/89a.
    Gif,
    /// WebP (lossy, lossless, extended, animated).
    Webp,
    /// Windows bitmap.
    Bmp,
    /// TIFF, either byte order.
    Tiff,
    /// HEIF holding HEVC images (brands heic, heix, heim, heis, hevc, hevx).
    Heic,
    /// HEIF of another brand (mif1, msf1).
    Heif,
    /// ISO base media MP4.
    Mp4,
    /// QuickTime movie.
    Mov,
    /// MPEG-1/2/2.5 Layer III.
    Mp3,
    /// RIFF/WAVE or RF64.
    Wav,
    /// AV1 image file.
    Avif,
    /// JPEG XL (codestream or container).
    Jxl,
    /// Windows icon / cursor.
    Ico,
    /// Photoshop document.
    Psd,
    /// Other images the service does not take (TGA, QOI, OpenEXR, …), with their short name.
    OtherImage(&'static str),
    /// Matroska.
    Mkv,
    /// WebM.
    Webm,
    /// AVI.
    Avi,
    /// Other video containers (FLV, MPEG-TS, …), with their short name.
    OtherVideo(&'static str),
    /// FLAC.
    Flac,
    /// Ogg (Vorbis, Opus, …).
    Ogg,
    /// AAC or ALAC in an MP4 container (M4A).
    M4a,
    /// Raw ADTS AAC.
    Aac,
    /// MPEG-1/2 Audio Layer I.
    Mp1,
    /// MPEG-1/2 Audio Layer II.
    Mp2,
    /// Other audio (AIFF, AMR, …), with their short name.
    OtherAudio(&'static str),
    /// Not recognised at all.
    Unknown,
}

impl Format {
    /// The short lowercase name used in reports (`"jpeg"`, `"mp4"`, …).
    pub fn name(self) -> &'static str {
        use Format::*;
        match self {
            Jpeg => "jpeg",
            Png => "png",
            Gif => "gif",
            Webp => "webp",
            Bmp => "bmp",
            Tiff => "tiff",
            Heic => "heic",
            Heif => "heif",
            Mp4 => "mp4",
            Mov => "mov",
            Mp3 => "mp3",
            Wav => "wav",
            Avif => "avif",
            Jxl => "jxl",
            Ico => "ico",
            Psd => "psd",
            Mkv => "mkv",
            Webm => "webm",
            Avi => "avi",
            Flac => "flac",
            Ogg => "ogg",
            M4a => "m4a",
            Aac => "aac",
            Mp1 => "mp1",
            Mp2 => "mp2",
            OtherImage(n) | OtherVideo(n) | OtherAudio(n) => n,
            Unknown => "unknown",
        }
    }

    /// Image, video or audio.
    pub fn kind(self) -> Kind {
        use Format::*;
        match self {
            Jpeg | Png | Gif | Webp | Bmp | Tiff | Heic | Heif | Avif | Jxl | Ico | Psd
            | OtherImage(_) => Kind::Image,
            Mp4 | Mov | Mkv | Webm | Avi | OtherVideo(_) => Kind::Video,
            Mp3 | Wav | Flac | Ogg | M4a | Aac | Mp1 | Mp2 | OtherAudio(_) => Kind::Audio,
            Unknown => Kind::Unknown,
        }
    }

    /// Whether the service takes this format at all (SPEC §1).
    pub fn is_supported(self) -> bool {
        use Format::*;
        matches!(
            self,
            Jpeg | Png | Gif | Webp | Bmp | Tiff | Heic | Heif | Mp4 | Mov | Mp3 | Wav
        )
    }

    /// File extensions usual for this format, lowercase, without the dot.
    pub fn extensions(self) -> &'static [&'static str] {
        use Format::*;
        match self {
            Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            Png => &["png", "apng"],
            Gif => &["gif"],
            Webp => &["webp"],
            Bmp => &["bmp", "dib"],
            Tiff => &["tif", "tiff"],
            Heic | Heif => &["heic", "heif", "hif", "heics", "heifs"],
            Mp4 => &["mp4", "m4v"],
            Mov => &["mov", "qt"],
            Mp3 => &["mp3"],
            Wav => &["wav", "wave", "rf64"],
            Avif => &["avif"],
            Jxl => &["jxl"],
            Ico => &["ico", "cur"],
            Psd => &["psd", "psb"],
            Mkv => &["mkv", "mka", "mk3d"],
            Webm => &["webm"],
            Avi => &["avi"],
            Flac => &["flac"],
            Ogg => &["ogg", "oga", "opus", "ogv", "spx"],
            M4a => &["m4a", "m4b", "mp4"],
            Aac => &["aac", "adts"],
            Mp1 => &["mp1", "m1a"],
            Mp2 => &["mp2", "mpa", "m2a"],
            OtherImage(_) | OtherVideo(_) | OtherAudio(_) | Unknown => &[],
        }
    }

    /// The MIME type, for uploads and reports.
    pub fn mime(self) -> &'static str {
        use Format::*;
        match self {
            Jpeg => "image/jpeg",
            Png => "image/png",
            Gif => "image/gif",
            Webp => "image/webp",
            Bmp => "image/bmp",
            Tiff => "image/tiff",
            Heic => "image/heic",
            Heif => "image/heif",
            Mp4 => "video/mp4",
            Mov => "video/quicktime",
            Mp3 => "audio/mpeg",
            Wav => "audio/wav",
            Avif => "image/avif",
            Jxl => "image/jxl",
            Ico => "image/vnd.microsoft.icon",
            Psd => "image/vnd.adobe.photoshop",
            Mkv => "video/x-matroska",
            Webm => "video/webm",
            Avi => "video/x-msvideo",
            Flac => "audio/flac",
            Ogg => "audio/ogg",
            M4a => "audio/mp4",
            Aac => "audio/aac",
            Mp1 | Mp2 => "audio/mpeg",
            OtherImage(_) | OtherVideo(_) | OtherAudio(_) | Unknown => "application/octet-stream",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown format name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown format {:?} (one of: jpeg, png, gif, webp, bmp, tiff, heic, heif, mp4, mov, mp3, wav, \
             avif, jxl, ico, psd, mkv, webm, avi, flac, ogg, m4a, aac, mp1, mp2)",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Parses a format's report name (`"jpeg"`, `"mp4"`, …) or one of its
    /// usual extensions (`"jpg"`, `"tif"`, `"heics"`), case-insensitively.
    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        use Format::*;
        const NAMED: [Format; 25] = [
            Jpeg, Png, Gif, Webp, Bmp, Tiff, Heic, Heif, Mp4, Mov, Mp3, Wav, Avif, Jxl, Ico, Psd,
            Mkv, Webm, Avi, Flac, Ogg, M4a, Aac, Mp1, Mp2,
        ];
        let lower = s.trim().to_ascii_lowercase();
        NAMED
            .iter()
            .find(|f| f.name() == lower)
            // An extension shared by two formats (`.mp4` is also M4A's) names the first.
            .or_else(|| {
                NAMED
                    .iter()
                    .find(|f| f.extensions().contains(&lower.as_str()))
            })
            .copied()
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Format, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An exact non-negative rational number (frame rates, durations in ticks).
/// Serializes as `{"num", "den"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Rational {
    /// Numerator.
    pub num: u64,
    /// Denominator; never 0 in a value the crate hands out.
    pub den: u64,
}

impl Rational {
    /// `num / den`, reduced; `None` when `den` is 0.
    pub fn new(num: u64, den: u64) -> Option<Rational> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        Some(Rational {
            num: num / g,
            den: den / g,
        })
    }

    /// The value as a float.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Compares `self` with `other` exactly (no rounding).
    pub fn cmp_exact(self, other: Rational) -> std::cmp::Ordering {
        (self.num as u128 * other.den as u128).cmp(&(other.num as u128 * self.den as u128))
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// Everything a probe found out about one file. Fields a format does not
/// carry stay `None`.
///
/// `width` and `height` are the *displayed* size: after EXIF orientation,
/// HEIF `irot`, or a video track's rotation matrix.
///
/// Build one with [`MediaInfo::new`] and set the fields; new fields may be
/// added in any release.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct MediaInfo {
    /// Image, video or audio.
    pub kind: Kind,
    /// The format, judged by content.
    pub format: Format,
    /// File size in bytes.
    pub bytes: u64,
    /// Displayed width in pixels.
    pub width: Option<u32>,
    /// Displayed height in pixels.
    pub height: Option<u32>,
    /// Clockwise rotation in degrees (0, 90, 180, 270) applied for display.
    pub rotation: Option<u32>,
    /// Whether the picture is mirrored for display (EXIF 2/4/5/7, HEIF `imir`, video matrix).
    pub mirrored: bool,
    /// Duration in seconds (for video: the longest track after edit lists).
    pub duration_s: Option<f64>,
    /// MP3: the duration a gapless decoder plays (the frames less the LAME
    /// tag's encoder delay and padding), when the tag gives them.
    pub duration_gapless_s: Option<f64>,
    /// Average frame rate of the video track (frames per second, exact).
    pub fps: Option<Rational>,
    /// Lowest instantaneous frame rate (VFR tracks).
    pub fps_min: Option<Rational>,
    /// Highest instantaneous frame rate (VFR tracks).
    pub fps_max: Option<Rational>,
    /// Whether the video track has more than one distinct frame duration.
    pub vfr: bool,
    /// Number of frames: video samples, or animation frames of a GIF/WebP/PNG.
    pub frames: Option<u64>,
    /// Codec: the sample entry fourcc for video (`avc1`, `hvc1`, …), `mp3`, or
    /// the WAV encoding (`pcm_s16le`, `pcm_f32le`, …).
    pub codec: Option<String>,
    /// Codec of a movie's first audio track: `aac`, `mp3`, `opus`, `alac`,
    /// `ac3`, `eac3`, `pcm`, …, or the sample entry fourcc when unknown.
    /// `None` for a movie without audio and for other kinds.
    pub audio_codec: Option<String>,
    /// Audio sample rate in Hz.
    pub sample_rate: Option<u32>,
    /// Audio channel count.
    pub channels: Option<u16>,
    /// Whether the file has a video track (video containers only).
    pub has_video: Option<bool>,
    /// The last box claims more bytes than the file has, but every sample
    /// the headers reference lies inside it (warning `file.truncated_tail`).
    pub truncated_tail: bool,
    /// A track is encrypted (`encv`/`enca`); `codec` is its original format.
    pub encrypted: bool,
    /// Sample (pixel) aspect ratio of the video track, when not 1:1 (`pasp`).
    pub sar: Option<Rational>,
    /// Width a player shows: the stored width × `sar`, after rotation.
    pub display_width: Option<u32>,
    /// Height a player shows, after rotation.
    pub display_height: Option<u32>,
}

impl MediaInfo {
    /// An empty record for a file of `format` and `bytes` size.
    pub fn new(format: Format, bytes: u64) -> MediaInfo {
        MediaInfo {
            kind: format.kind(),
            format,
            bytes,
            width: None,
            height: None,
            rotation: None,
            mirrored: false,
            duration_s: None,
            duration_gapless_s: None,
            fps: None,
            fps_min: None,
            fps_max: None,
            vfr: false,
            frames: None,
            codec: None,
            audio_codec: None,
            sample_rate: None,
            channels: None,
            has_video: None,
            truncated_tail: false,
            encrypted: false,
            sar: None,
            display_width: None,
            display_height: None,
        }
    }

    /// Width / height of the displayed picture.
    pub fn aspect(&self) -> Option<f64> {
        match (self.width, self.height) {
            (Some(w), Some(h)) if h > 0 => Some(w as f64 / h as f64),
            _ => None,
        }
    }
}
