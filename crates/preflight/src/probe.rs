//! Probing: sniff the format, then read that format's headers.

use crate::error::{Error, Result};
use crate::formats;
use crate::info::{Format, MediaInfo};
use crate::read::{Counter, ProbeLimits};
use crate::sniff;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Buffer size between the counted file and the format readers: small, so
/// that skipping media by seeking never drags in much of it, and as large as
/// the sniffer's head, so that sniffing fills the buffer the reader then uses.
const BUF_LEN: usize = sniff::HEAD_LEN;

/// What a probe found, and how much of the file it read to find it.
#[derive(Debug)]
pub struct Probed {
    /// The result.
    pub result: Result<MediaInfo>,
    /// Bytes read from the underlying reader (seeks cost nothing).
    pub bytes_read: u64,
}

/// Reads the headers of `reader` (a file of `size` bytes) into a [`MediaInfo`].
///
/// The format is judged by content. Unknown data and types the service does
/// not take come back as `Ok` with `format` [`Format::Unknown`] or the
/// unsupported format: they are verdicts, not errors.
pub fn probe<R: Read + Seek>(reader: R, limits: &ProbeLimits) -> Result<MediaInfo> {
    probe_counted(reader, limits).result
}

/// [`probe`], also telling how many bytes were read.
pub fn probe_counted<R: Read + Seek>(reader: R, limits: &ProbeLimits) -> Probed {
    probe_counted_sized(reader, None, limits)
}

/// [`probe`] of a file just opened (positioned at 0) whose size is already
/// known (from `metadata`): saves the two seeks that measure it.
pub fn probe_file_of_size(file: File, size: u64, limits: &ProbeLimits) -> Result<MediaInfo> {
    probe_counted_sized(file, Some(size), limits).result
}

fn probe_counted_sized<R: Read + Seek>(
    reader: R,
    size: Option<u64>,
    limits: &ProbeLimits,
) -> Probed {
    let mut r = BufReader::with_capacity(BUF_LEN, Counter::new(reader, limits.max_bytes_read));
    let result = probe_inner(&mut r, size, limits);
    Probed {
        result,
        bytes_read: r.get_ref().bytes_read(),
    }
}

/// Opens `path` and probes it.
pub fn probe_path(path: &Path, limits: &ProbeLimits) -> Result<MediaInfo> {
    let file = File::open(path).map_err(Error::Io)?;
    let meta = file.metadata().map_err(Error::Io)?;
    if meta.is_dir() {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    probe_file_of_size(file, meta.len(), limits)
}

fn probe_inner<R: Read + Seek>(
    r: &mut BufReader<R>,
    known_size: Option<u64>,
    limits: &ProbeLimits,
) -> Result<MediaInfo> {
    let size = match known_size {
        Some(size) => size,
        None => {
            let size = r.seek(SeekFrom::End(0)).map_err(crate::read::io_error)?;
            r.seek(SeekFrom::Start(0)).map_err(crate::read::io_error)?;
            size
        }
    };
    if size == 0 {
        return Ok(MediaInfo::new(Format::Unknown, 0));
    }
    // Sniff from the buffer without consuming it: the reader starts on the
    // same bytes, already in memory. Only an ID3v2 tag needs more.
    let head = r.fill_buf().map_err(crate::read::io_error)?;
    let format = if sniff::id3v2_len(head).is_some() {
        let f = sniff::sniff(r)?;
        r.seek(SeekFrom::Start(0)).map_err(crate::read::io_error)?;
        f
    } else {
        sniff::classify(head)
    };
    let mut info = read_headers(format, r, size, limits).map_err(|e| e.in_format(format.name()))?;
    info.format = format;
    info.kind = format.kind();
    info.bytes = size;
    // A constant frame rate is its own minimum and maximum.
    if info.fps.is_some() && !info.vfr && info.fps_min.is_none() {
        info.fps_min = info.fps;
        info.fps_max = info.fps;
    }
    // A picture with no orientation metadata is displayed as stored.
    if info.width.is_some() && info.rotation.is_none() {
        info.rotation = Some(0);
    }
    Ok(info)
}

/// Reads the headers of a file already judged to be `format` with that
/// format's reader (`r` at offset 0, `size` bytes long). The one dispatch
/// table from format to reader, shared with the fuzz harness.
pub(crate) fn read_headers<R: Read + Seek>(
    format: Format,
    r: &mut R,
    size: u64,
    limits: &ProbeLimits,
) -> Result<MediaInfo> {
    match format {
        Format::Jpeg => formats::jpeg::probe(r, size, limits),
        Format::Png => formats::png::probe(r, size, limits),
        Format::Gif => formats::gif::probe(r, size, limits),
        Format::Webp => formats::webp::probe(r, size, limits),
        Format::Bmp => formats::bmp::probe(r, size, limits),
        Format::Tiff => formats::tiff::probe(r, size, limits),
        Format::Heic | Format::Heif => formats::heif::probe(r, size, limits),
        Format::Mp4 | Format::Mov => formats::mp4::probe(r, size, limits),
        Format::Mp3 => formats::mp3::probe(r, size, limits),
        Format::Wav => formats::wav::probe(r, size, limits),
        // Not taken by the service, but its size helps `fix`; a reading
        // error changes nothing about the verdict.
        Format::Avif => {
            Ok(formats::heif::probe(r, size, limits)
                .unwrap_or_else(|_| MediaInfo::new(format, size)))
        }
        other => Ok(MediaInfo::new(other, size)),
    }
}
