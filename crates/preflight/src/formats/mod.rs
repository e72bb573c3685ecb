//! One module per container or image format. Each exposes
//! `probe(&mut R, size, &ProbeLimits) -> Result<MediaInfo>` that reads headers
//! only; the dispatcher in [`crate::probe`] fills in `format`, `kind` and `bytes`.

pub mod bmp;
pub mod exif;
pub mod gif;
pub mod heif;
pub mod isobmff;
pub mod jpeg;
pub mod mp3;
pub mod mp4;
pub mod png;

pub mod tiff;
pub mod wav;
pub mod webp;
