//! `check --verify decode`: a file whose headers pass may still not decode.
//! Every picture is decoded (the first frame of an animation; a JPEG by
//! ffmpeg too, whose decoder reports damage ours conceals), every audio
//! packet (a damaged one is an error here, where a repair skips it), and
//! every video frame through ffmpeg when it is on `PATH`; all within the
//! repair budget ([`FixLimits`]): memory, ffmpeg's time and output.

use crate::budget::{Budget, FixLimits};
use crate::error::FixError;
use crate::ffmpeg::Ffmpeg;
use crate::{audio, image, Input};
use preflight::{Format, Kind, MediaInfo};
use std::path::Path;

/// What a decode check did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verified {
    /// Every picture, packet or frame decoded.
    Decoded,
    /// Not decoded, and why (a decoder this build or machine lacks).
    Skipped(&'static str),
}

/// Decodes the file at `path`, measured as `info`, and fails where decoding
/// fails ([`FixError`], whose text says where).
pub fn verify_decode(
    path: &Path,
    info: &MediaInfo,
    limits: &FixLimits,
) -> Result<Verified, FixError> {
    let format = info.format;
    if !format.is_supported() {
        return Ok(Verified::Skipped("not a type the service takes"));
    }
    let mut budget = Budget::new(limits);
    match info.kind {
        Kind::Image => {
            if matches!(format, Format::Heic | Format::Heif) && !cfg!(feature = "heif") {
                return Ok(Verified::Skipped(
                    "decoding HEIC/HEIF needs the `heif` feature",
                ));
            }
            image::decode(Input::File(path), format, &mut budget)?;
            // The JPEG decoder here conceals damage that libjpeg and
            // ffmpeg report: ask ffmpeg too, when it is there.
            if format == Format::Jpeg {
                if let Some(ff) = Ffmpeg::find() {
                    ff.decode_all(path, format, limits, None)?;
                }
            }
            Ok(Verified::Decoded)
        }
        Kind::Audio => {
            audio::decode_packets(Input::File(path), format, &mut budget, true)?;
            Ok(Verified::Decoded)
        }
        Kind::Video => match Ffmpeg::find() {
            Some(ff) => {
                ff.decode_all(path, format, limits, info.duration_s)?;
                Ok(Verified::Decoded)
            }
            None => Ok(Verified::Skipped("decoding video needs ffmpeg")),
        },
        Kind::Unknown => Ok(Verified::Skipped("not a media type")),
    }
}
