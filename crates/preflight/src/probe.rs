//! Probing: sniff the format, then read that format's headers.

use crate::error::{Error, LimitKind, Result};
use crate::formats;
use crate::info::{Format, MediaInfo};
use crate::read::{Counter, HeadThen, ProbeLimits};
use crate::sniff;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

/// Buffer size between the counted file and the format readers: small, so
/// that skipping media by seeking never drags in much of it, and as large as
/// the sniffer's head, so that sniffing fills the buffer the reader then uses.
const BUF_LEN: usize = sniff::HEAD_LEN;

/// What a probe found, and how much of the file it read to find it.
#[derive(Debug)]
pub(crate) struct Probed {
    /// The result.
    pub result: Result<MediaInfo>,
    /// Bytes read from the underlying reader (seeks cost nothing).
    #[cfg_attr(not(test), allow(dead_code))]
    pub bytes_read: u64,
}

/// Reads the headers of a whole file held in memory.
///
/// The format is judged by content. Unknown data and types the service does
/// not take come back as `Ok` with [`Format::Unknown`] or the unsupported
/// format: they are verdicts, not errors. `bytes` must be the whole file: a
/// prefix is judged as a file that ends there (use a [`Prober`] with the
/// total length for a prefix).
pub fn probe_bytes(bytes: &[u8], limits: &ProbeLimits) -> Result<MediaInfo> {
    // The readers read the slice in place: no buffer, no copy.
    let len = bytes.len() as u64;
    let mut unused = Vec::new();
    let mut r = HeadThen::new(bytes, &mut unused, std::io::empty(), len, limits);
    probe_inner(&mut r, Some(len), limits)
}

/// Reads the headers from `reader`.
///
/// With `total_len` given (the file's size from its metadata, an HTTP
/// `Content-Length`, a `Blob.size`), a reader that ends before it gives
/// [`Error::Incomplete`], never a measurement of the part it had; without
/// it, the size is found by seeking to the end.
pub fn probe_reader<R: Read + Seek>(
    reader: R,
    total_len: Option<u64>,
    limits: &ProbeLimits,
) -> Result<MediaInfo> {
    probe_counted(reader, total_len, limits).result
}

/// [`probe_reader`], also telling how many bytes were read.
pub(crate) fn probe_counted<R: Read + Seek>(
    reader: R,
    size: Option<u64>,
    limits: &ProbeLimits,
) -> Probed {
    let counter = Counter::new(reader, limits.max_bytes_read).expect_len(size);
    let mut r = BufReader::with_capacity(BUF_LEN, counter);
    let result = probe_inner(&mut r, size, limits);
    Probed {
        result,
        bytes_read: r.get_ref().bytes_read(),
    }
}

/// Opens `path` and probes it (its size from the file's metadata).
#[cfg(feature = "fs")]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub fn probe_path(path: impl AsRef<std::path::Path>, limits: &ProbeLimits) -> Result<MediaInfo> {
    let file = std::fs::File::open(path.as_ref()).map_err(Error::Io)?;
    let meta = file.metadata().map_err(Error::Io)?;
    if meta.is_dir() {
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    probe_reader(file, Some(meta.len()), limits)
}

/// What a [`Prober`] wants next.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// A step is made once per `feed` and moved out at once: boxing the
// measurement would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Step {
    /// The headers are read: here is the measurement.
    Done(MediaInfo),
    /// Feed the bytes `offset .. offset + len` (more is fine; fewer too,
    /// and then the next step asks for the rest).
    NeedRange {
        /// Where the wanted range starts.
        offset: u64,
        /// How many bytes are wanted.
        len: u64,
    },
}

/// The least a [`Prober`] asks for at once: a header read is a few bytes,
/// but a round trip (an HTTP range request, a `Blob.slice`) costs far more
/// than 64 KiB.
pub const MIN_RANGE: u64 = 64 << 10;

/// A sans-I/O prober: it does no I/O of its own but asks for byte ranges,
/// for callers whose bytes come from elsewhere (an upload handler holding
/// the first chunk, HTTP range requests, a browser `Blob`, an object store).
///
/// Feed it what you have, starting at offset 0; it answers
/// [`Step::NeedRange`] until the headers are complete, then
/// [`Step::Done`]. It never measures from data that ended early: a range it
/// has not seen is asked for, not guessed.
///
/// Give the total length when you know it. Without it the prober reads on
/// until you mark the end by feeding an empty chunk at the offset where the
/// data ends.
///
/// ```
/// use preflight::{ProbeLimits, Prober, Step};
///
/// // A 64×48 GIF, held by "the server"; we fetch ranges from it.
/// let mut file = b"GIF89a\x40\x00\x30\x00\x00\x00\x00".to_vec();
/// file.extend_from_slice(b"\x2c\x00\x00\x00\x00\x40\x00\x30\x00\x00\x02\x02\x44\x01\x00\x3b");
/// let mut p = Prober::new(Some(file.len() as u64), ProbeLimits::default());
/// let (mut offset, mut len) = (0u64, 8u64); // start with any prefix
/// let info = loop {
///     let end = (offset + len).min(file.len() as u64);
///     match p.feed(offset, &file[offset as usize..end as usize]).unwrap() {
///         Step::Done(info) => break info,
///         Step::NeedRange { offset: o, len: l } => (offset, len) = (o, l),
///         _ => unreachable!(),
///     }
/// };
/// assert_eq!((info.width, info.height), (Some(64), Some(48)));
/// ```
#[derive(Debug, Clone)]
pub struct Prober {
    total: Option<u64>,
    limits: ProbeLimits,
    /// Sorted, disjoint, non-adjacent ranges of the file seen so far.
    ranges: Vec<(u64, Vec<u8>)>,
    cached: u64,
    /// The range last asked for (start, end), until it is all held: a feed
    /// of part of it asks for the rest without probing again, until
    /// [`PROBE_STEP`] or a quarter of what was held at the last probe has
    /// come since. (A caller that fed a byte at a time made each byte a
    /// whole probe, quadratic in the file; probing only once the range is
    /// whole would read a source that gives little at a time further than
    /// the headers need.)
    wanted: Option<(u64, u64)>,
    /// What was held at the last probe.
    held_at_probe: u64,
}

/// The least a [`Prober`] is fed between two probes while a range it
/// asked for is still coming.
const PROBE_STEP: u64 = 4 << 10;

impl Prober {
    /// A prober for a file of `total_len` bytes (`None`: unknown).
    pub fn new(total_len: Option<u64>, limits: ProbeLimits) -> Prober {
        Prober {
            total: total_len,
            limits,
            ranges: Vec::new(),
            cached: 0,
            wanted: None,
            held_at_probe: 0,
        }
    }

    /// The total length, once known.
    pub fn total_len(&self) -> Option<u64> {
        self.total
    }

    /// Bytes held so far (at most [`ProbeLimits::max_bytes_read`]).
    pub fn bytes_held(&self) -> u64 {
        self.cached
    }

    /// Adds the bytes found at `offset` and tries the probe again. An empty
    /// chunk marks the end of the data when the total length is unknown.
    ///
    /// Errors are those of [`probe_reader`]: corrupt headers, a cap of
    /// [`ProbeLimits`] reached (the bytes held count against
    /// `max_bytes_read`), or data past the total length given.
    pub fn feed(&mut self, offset: u64, bytes: &[u8]) -> Result<Step> {
        let end = offset
            .checked_add(bytes.len() as u64)
            .ok_or(Error::malformed("prober", "range ends past 2^64"))?;
        if bytes.is_empty() && self.total.is_none() {
            self.total = Some(offset);
        }
        if let Some(total) = self.total {
            if end > total {
                return Err(Error::malformed(
                    "prober",
                    "bytes fed past the total length given",
                ));
            }
        }
        self.insert(offset, bytes)?;
        let Some(total) = self.total else {
            // Without the length, nothing can be measured: read on to the end.
            let next = self.first_gap(0);
            return Ok(Step::NeedRange {
                offset: next,
                len: self.want_len(),
            });
        };
        if let Some((start, end)) = self.wanted {
            let end = end.min(total);
            let gap = self.first_gap(start);
            let step = PROBE_STEP.max(self.held_at_probe / 4);
            if gap < end && self.cached - self.held_at_probe < step {
                return Ok(Step::NeedRange {
                    offset: gap,
                    len: end - gap,
                });
            }
            self.wanted = None;
        }
        self.held_at_probe = self.cached;
        let sparse = Sparse {
            ranges: &self.ranges,
            total,
            pos: 0,
        };
        // The range from offset 0 (usually the whole file, or all the
        // headers) is read in place, as `probe_bytes` reads a slice; past it
        // the other ranges are read through a buffer.
        let head = match self.ranges.first() {
            Some((0, data)) => &data[..],
            _ => &[],
        };
        let mut past_head = Vec::new();
        let mut r = HeadThen::new(head, &mut past_head, sparse, total, &self.limits);
        match probe_inner(&mut r, Some(total), &self.limits) {
            Ok(info) => Ok(Step::Done(info)),
            Err(Error::Incomplete { offset }) => {
                let len = self.want_len().min(total.saturating_sub(offset)).max(1);
                self.wanted = Some((offset, offset.saturating_add(len)));
                Ok(Step::NeedRange { offset, len })
            }
            Err(e) => Err(e),
        }
    }

    /// Asks for at least [`MIN_RANGE`], and for as much as is already held
    /// (so that a reader that walks the whole file, such as the MP3 frame
    /// walker, needs only a logarithmic number of rounds).
    fn want_len(&self) -> u64 {
        let room = self
            .limits
            .max_bytes_read
            .saturating_sub(self.cached)
            .max(1);
        self.cached.max(MIN_RANGE).min(room)
    }

    /// The first offset at or after `from` that no range covers.
    fn first_gap(&self, mut from: u64) -> u64 {
        for (start, data) in &self.ranges {
            if *start <= from && from < start + data.len() as u64 {
                from = start + data.len() as u64;
            }
        }
        from
    }

    /// Whether `grown` more bytes may be held ([`ProbeLimits::max_bytes_read`]).
    fn room_for(&self, grown: u64) -> Result<()> {
        let actual = self.cached.saturating_add(grown);
        if actual > self.limits.max_bytes_read {
            return Err(Error::Limit {
                kind: LimitKind::BytesRead,
                actual,
                max: self.limits.max_bytes_read,
            });
        }
        Ok(())
    }

    fn insert(&mut self, offset: u64, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let end = offset + bytes.len() as u64;
        // The usual feed continues a range and reaches no other: appended
        // in place (amortized, where rebuilding the range made a caller
        // feeding small pieces copy the file once per piece).
        let i = self.ranges.partition_point(|(s, _)| *s < offset);
        if let Some(prev) = i.checked_sub(1) {
            let (s, d) = &self.ranges[prev];
            let next_start = self.ranges.get(i).map_or(u64::MAX, |r| r.0);
            if s + d.len() as u64 == offset && end < next_start {
                let grown = bytes.len() as u64;
                self.room_for(grown)?;
                self.ranges[prev].1.extend_from_slice(bytes);
                self.cached += grown;
                return Ok(());
            }
        }
        // Merge every range that overlaps or touches [offset, end).
        let mut start = offset;
        let mut stop = end;
        let mut merged_from = Vec::new();
        let mut keep = Vec::with_capacity(self.ranges.len() + 1);
        for (s, d) in self.ranges.drain(..) {
            let e = s + d.len() as u64;
            if e < offset || s > end {
                keep.push((s, d));
            } else {
                start = start.min(s);
                stop = stop.max(e);
                merged_from.push((s, d));
            }
        }
        let old: u64 = merged_from.iter().map(|(_, d)| d.len() as u64).sum();
        let grown = (stop - start).saturating_sub(old);
        if let Err(e) = self.room_for(grown) {
            self.ranges = keep;
            self.ranges.extend(merged_from);
            self.ranges.sort_by_key(|r| r.0);
            return Err(e);
        }
        let mut buf = vec![0u8; (stop - start) as usize];
        for (s, d) in &merged_from {
            let at = (s - start) as usize;
            buf[at..at + d.len()].copy_from_slice(d);
        }
        let at = (offset - start) as usize;
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        keep.push((start, buf));
        keep.sort_by_key(|r| r.0);
        self.ranges = keep;
        self.cached += grown;
        Ok(())
    }
}

/// A `Read + Seek` view of the ranges a [`Prober`] holds: a read inside a
/// range is served, a read at or past the total length finds the end, and
/// a read anywhere else is [`Error::Incomplete`] at that offset.
struct Sparse<'a> {
    ranges: &'a [(u64, Vec<u8>)],
    total: u64,
    pos: u64,
}

impl Read for Sparse<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.pos >= self.total {
            return Ok(0);
        }
        let i = self.ranges.partition_point(|(s, _)| *s <= self.pos);
        if i > 0 {
            let (s, d) = &self.ranges[i - 1];
            let end = s + d.len() as u64;
            if self.pos < end {
                let from = (self.pos - s) as usize;
                let n = buf.len().min(d.len() - from);
                buf[..n].copy_from_slice(&d[from..from + n]);
                self.pos += n as u64;
                return Ok(n);
            }
        }
        Err(std::io::Error::other(crate::read::EndedEarly {
            offset: self.pos,
        }))
    }
}

impl Seek for Sparse<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.total.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start",
            )),
        }
    }
}

pub(crate) fn probe_inner<R: BufRead + Seek>(
    r: &mut R,
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
    // One read usually fills the buffer; when it gave less than the sniffer
    // needs (a short read, a prefix), the sniffer reads on itself.
    let short = (head.len() as u64) < size.min(sniff::HEAD_LEN as u64);
    let format = if short || crate::mpeg_audio::id3v2_len(head).is_some() {
        let f = sniff::sniff(r)?;
        r.seek(SeekFrom::Start(0)).map_err(crate::read::io_error)?;
        f
    } else {
        // The sniffer's window, however much the buffer holds (the whole
        // file for `probe_bytes`): the same bytes decide on every path.
        let head = &head[..head.len().min(sniff::HEAD_LEN)];
        match sniff::classify(head) {
            // MPEG audio may start after up to 64 KiB of other bytes.
            Format::Unknown if size > head.len() as u64 => {
                let f = sniff::sniff(r)?;
                r.seek(SeekFrom::Start(0)).map_err(crate::read::io_error)?;
                f
            }
            f => f,
        }
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
pub(crate) fn read_headers<R: BufRead + Seek>(
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
        Format::Avif => match formats::heif::probe(r, size, limits) {
            Err(e @ Error::Incomplete { .. }) => Err(e),
            other => Ok(other.unwrap_or_else(|_| MediaInfo::new(format, size))),
        },
        other => Ok(MediaInfo::new(other, size)),
    }
}
