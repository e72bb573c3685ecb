//! Bounded reading helpers shared by every format reader.
//!
//! Nothing in the crate allocates a buffer sized by a header field without
//! going through [`alloc_table`], and every reader the probe uses is wrapped
//! in a [`Counter`] that enforces [`ProbeLimits::max_bytes_read`].

use crate::error::{Error, LimitKind, Result};
use std::io::{self, Read, Seek, SeekFrom};

/// Resource caps applied while probing one file. Every field is enforced;
/// the defaults suit any real media file the service takes. A cap that
/// stops a probe is [`Error::Limit`] (rule `file.limit`), not corruption.
///
/// ```
/// let limits = preflight::ProbeLimits::default().max_bytes_read(1 << 20);
/// assert_eq!(limits.max_bytes_read, 1 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ProbeLimits {
    /// Bytes that may be read from one file (seeks are free). Default 32 MiB.
    pub max_bytes_read: u64,
    /// Deepest nesting of ISOBMFF boxes. Default 32.
    pub max_box_depth: u32,
    /// Boxes, chunks or frames visited in one file. Default 2,000,000.
    pub max_items: u64,
    /// Entries of one table (stts, iloc, ipma, …). Default 16,777,216.
    pub max_table_entries: u64,
}

impl Default for ProbeLimits {
    fn default() -> Self {
        ProbeLimits {
            max_bytes_read: 32 << 20,
            max_box_depth: 32,
            max_items: 2_000_000,
            max_table_entries: 1 << 24,
        }
    }
}

impl ProbeLimits {
    /// Sets [`ProbeLimits::max_bytes_read`].
    pub fn max_bytes_read(mut self, v: u64) -> Self {
        self.max_bytes_read = v;
        self
    }

    /// Sets [`ProbeLimits::max_box_depth`].
    pub fn max_box_depth(mut self, v: u32) -> Self {
        self.max_box_depth = v;
        self
    }

    /// Sets [`ProbeLimits::max_items`].
    pub fn max_items(mut self, v: u64) -> Self {
        self.max_items = v;
        self
    }

    /// Sets [`ProbeLimits::max_table_entries`].
    pub fn max_table_entries(mut self, v: u64) -> Self {
        self.max_table_entries = v;
        self
    }

    /// Checks a table's entry count against the limits before it is read or allocated.
    pub(crate) fn check_entries(&self, entries: u64) -> Result<()> {
        if entries > self.max_table_entries {
            return Err(Error::Limit {
                kind: LimitKind::TableEntries,
                actual: entries,
                max: self.max_table_entries,
            });
        }
        Ok(())
    }
}

/// A reader that counts the bytes read through it and fails once more than
/// `max` have been read. Seeks are passed through and cost nothing.
///
/// Given the length the data should have (`expected_len`), it also tells a
/// reader that ends early from a file that ends: a read that finds no more
/// data before that length is [`Error::Incomplete`], never an end of file.
#[derive(Debug)]
pub(crate) struct Counter<R> {
    inner: R,
    read: u64,
    max: u64,
    expected_len: Option<u64>,
    /// The inner reader's position, once known: asking for the position
    /// (which readers do often, through `BufReader`) then costs no syscall.
    pos: Option<u64>,
}

impl<R> Counter<R> {
    /// Wraps `inner`, allowing at most `max` bytes to be read.
    pub fn new(inner: R, max: u64) -> Self {
        Counter {
            inner,
            read: 0,
            max,
            expected_len: None,
            pos: None,
        }
    }

    /// Sets the length the data should have: the inner reader ending before
    /// it is an incomplete input, not the end of the file.
    pub fn expect_len(mut self, len: Option<u64>) -> Self {
        self.expected_len = len;
        self
    }

    /// Bytes read so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.read
    }

    /// The wrapped reader.
    #[allow(dead_code)]
    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read + Seek> Read for Counter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read >= self.max {
            return Err(io::Error::other(LimitExceeded { max: self.max }));
        }
        let room = (self.max - self.read).min(buf.len() as u64) as usize;
        let n = match self.inner.read(&mut buf[..room]) {
            Ok(n) => n,
            Err(e) => {
                self.pos = None;
                return Err(e);
            }
        };
        if n == 0 && room > 0 {
            if let Some(len) = self.expected_len {
                let at = match self.pos {
                    Some(p) => p,
                    None => self.inner.stream_position()?,
                };
                if at < len {
                    return Err(io::Error::other(EndedEarly { offset: at }));
                }
            }
        }
        self.read += n as u64;
        self.pos = self.pos.map(|p| p + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counter<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        if let (SeekFrom::Current(0), Some(p)) = (pos, self.pos) {
            return Ok(p);
        }
        let r = self.inner.seek(pos);
        self.pos = r.as_ref().ok().copied();
        r
    }
}

/// The payload of the `io::Error` a [`Counter`] returns when its budget is spent.
#[derive(Debug)]
pub(crate) struct LimitExceeded {
    pub max: u64,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "read budget of {} bytes spent", self.max)
    }
}

impl std::error::Error for LimitExceeded {}

/// The payload of the `io::Error` a reader returns when the data it was
/// given ends at `offset`, before the length it should have: the input is
/// a prefix, not a whole file.
#[derive(Debug)]
pub(crate) struct EndedEarly {
    pub offset: u64,
}

impl std::fmt::Display for EndedEarly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "data ends early, at byte {}", self.offset)
    }
}

impl std::error::Error for EndedEarly {}

/// Turns an `io::Error` into the crate's error, recognising a spent read
/// budget and data that ended early.
pub(crate) fn io_error(e: io::Error) -> Error {
    Error::from(e)
}

/// The crate error an `io::Error` from one of the crate's own readers stands
/// for, if it is one of theirs.
pub(crate) fn own_error(e: &io::Error) -> Option<Error> {
    let inner = e.get_ref()?;
    if let Some(l) = inner.downcast_ref::<LimitExceeded>() {
        // How far past the budget a probe would have read depends on the
        // buffering between it and the bytes (a file, a slice, a Blob's
        // ranges), so the report says only that it needed more: every way
        // of probing the same bytes gives the same report.
        return Some(Error::Limit {
            kind: LimitKind::BytesRead,
            actual: l.max.saturating_add(1),
            max: l.max,
        });
    }
    inner
        .downcast_ref::<EndedEarly>()
        .map(|x| Error::Incomplete { offset: x.offset })
}

/// Data of `len` bytes whose first bytes (`head`) are already in memory,
/// read as a [`BufRead`](io::BufRead): inside `head` the probe reads it in
/// place (no copy, no buffer of its own); past it, reads of `tail`
/// (positioned by absolute offsets) through a [`Counter`], which turns data
/// that ends before `len` into [`Error::Incomplete`](crate::Error::Incomplete).
/// The batch gives the head of a file and the file;
/// [`probe_bytes`](crate::probe_bytes) gives all of the bytes and no tail.
///
/// Every byte handed to the probe, from the head or the tail, again after
/// a seek back too, counts against [`ProbeLimits::max_bytes_read`]: the
/// budget bounds the work on a hostile file, not only the I/O.
pub(crate) struct HeadThen<'a, R> {
    head: &'a [u8],
    file: Counter<R>,
    pos: u64,
    /// Bytes past the head, read on demand into a buffer the caller keeps
    /// (the batch: one per thread, grown once).
    buf: &'a mut Vec<u8>,
    /// Where `buf` starts in the file, and how much of it holds data.
    buf_at: u64,
    buf_len: usize,
    /// The file's size when it was opened (what `SeekFrom::End` is from).
    len: u64,
    /// Bytes handed out so far, and the most that may be.
    taken: u64,
    max: u64,
}

/// Bytes read at once past the head.
const TAIL_READ: usize = 64 << 10;

impl<'a, R: Read + Seek> HeadThen<'a, R> {
    pub(crate) fn new(
        head: &'a [u8],
        buf: &'a mut Vec<u8>,
        tail: R,
        len: u64,
        limits: &ProbeLimits,
    ) -> Self {
        HeadThen {
            head,
            // The budget is kept here, over the head and the file alike.
            file: Counter::new(tail, u64::MAX).expect_len(Some(len)),
            pos: 0,
            buf,
            buf_at: 0,
            buf_len: 0,
            len,
            taken: 0,
            max: limits.max_bytes_read,
        }
    }

    /// How many more bytes may be handed out (at most `want`), or the
    /// error that says the budget is spent.
    fn room(&self, want: usize) -> io::Result<usize> {
        if self.taken >= self.max {
            return Err(io::Error::other(LimitExceeded { max: self.max }));
        }
        Ok(usize::try_from(self.max - self.taken).map_or(want, |r| r.min(want)))
    }

    /// The offset of `pos` in the head, if it lies there.
    fn in_head(&self) -> Option<usize> {
        usize::try_from(self.pos)
            .ok()
            .filter(|&at| at < self.head.len())
    }

    /// The offset of `pos` in `buf`, if it lies there.
    fn in_buf(&self) -> Option<usize> {
        let off = self.pos.checked_sub(self.buf_at)?;
        usize::try_from(off).ok().filter(|&o| o < self.buf_len)
    }

    /// The next `n` bytes when they are already in memory (in the head or
    /// the buffer) and within the budget: what one `read` would hand out.
    fn ready(&self, n: usize) -> Option<&[u8]> {
        if self.max.saturating_sub(self.taken) < n as u64 {
            return None;
        }
        let held = match self.in_head() {
            Some(at) => &self.head[at..],
            None => &self.buf[self.in_buf()?..self.buf_len],
        };
        held.get(..n)
    }
}

impl<R: Read + Seek> io::BufRead for HeadThen<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(at) = self.in_head() {
            let room = self.room(self.head.len() - at)?;
            return Ok(&self.head[at..at + room]);
        }
        if self.pos >= self.len {
            // The end: nothing to read, nothing to allocate.
            self.room(0)?;
            return Ok(&[]);
        }
        if self.in_buf().is_none() {
            if self.buf.len() < TAIL_READ {
                self.buf.resize(TAIL_READ, 0);
            }
            self.file.seek(io::SeekFrom::Start(self.pos))?;
            self.buf_len = 0;
            self.buf_at = self.pos;
            self.buf_len = self.file.read(&mut self.buf[..TAIL_READ])?;
        }
        let off = self.in_buf().unwrap_or(self.buf_len);
        let room = self.room(self.buf_len - off)?;
        Ok(&self.buf[off..off + room])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n as u64;
        self.taken += n as u64;
    }
}

impl<R: Read + Seek> Read for HeadThen<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        use io::BufRead;
        if out.len() >= TAIL_READ && self.in_head().is_none() && self.in_buf().is_none() {
            // A large read past the head goes straight to the caller.
            let room = self.room(out.len())?;
            self.file.seek(io::SeekFrom::Start(self.pos))?;
            let n = self.file.read(&mut out[..room])?;
            self.consume(n);
            return Ok(n);
        }
        let b = self.fill_buf()?;
        let n = b.len().min(out.len());
        out[..n].copy_from_slice(&b[..n]);
        self.consume(n);
        Ok(n)
    }

    /// The probes read their fields a few bytes at a time: when the bytes
    /// are in memory this is one copy, with no call through `read`.
    fn read_exact(&mut self, out: &mut [u8]) -> io::Result<()> {
        use io::BufRead;
        if let Some(b) = self.ready(out.len()) {
            out.copy_from_slice(b);
            self.consume(out.len());
            return Ok(());
        }
        let mut out = out;
        while !out.is_empty() {
            match self.read(out) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => out = &mut out[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl<R> Seek for HeadThen<'_, R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(p) => Some(p),
            io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

/// Counts one more item (a box, a chunk, a segment, a frame…) in `items`
/// against [`ProbeLimits::max_items`] (`max`): past it, [`Error::Limit`].
pub(crate) fn count_item(items: &mut u64, max: u64) -> Result<()> {
    *items = items.saturating_add(1);
    if *items > max {
        return Err(Error::Limit {
            kind: LimitKind::Items,
            actual: *items,
            max,
        });
    }
    Ok(())
}

/// Asserts that `got` is the item limit `max` passed by one item (what
/// [`count_item`] reports): the tests of each reader's endless chains.
#[cfg(test)]
#[track_caller]
pub(crate) fn assert_item_limit<T: std::fmt::Debug>(got: Result<T>, max: u64) {
    match got {
        Err(Error::Limit {
            kind: LimitKind::Items,
            actual,
            max: m,
        }) if m == max && actual == max + 1 => {}
        other => panic!("expected the item limit {max} passed by one, got {other:?}"),
    }
}

/// Reads exactly `N` bytes.
pub(crate) fn array<const N: usize, R: Read + ?Sized>(r: &mut R) -> Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(io_error)?;
    Ok(b)
}

/// Big- and little-endian integer reads on any reader.
pub(crate) trait ReadExt: Read {
    /// One byte.
    fn u8(&mut self) -> Result<u8> {
        Ok(array::<1, _>(self)?[0])
    }
    /// Big-endian u16.
    fn u16_be(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(array(self)?))
    }
    /// Big-endian u32.
    fn u32_be(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(array(self)?))
    }
    /// Big-endian u64.
    fn u64_be(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(array(self)?))
    }
}

impl<R: Read + ?Sized> ReadExt for R {}

/// Moves `n` bytes forward without reading them. A relative seek, so that a
/// `BufReader` keeps its buffer when the target is inside it.
pub(crate) fn skip<R: Seek + ?Sized>(r: &mut R, n: u64) -> Result<()> {
    let n = i64::try_from(n).map_err(|_| Error::malformed("file", "skip beyond 2^63 bytes"))?;
    r.seek_relative(n).map_err(io_error)?;
    Ok(())
}

/// Current position.
pub(crate) fn pos<R: Seek + ?Sized>(r: &mut R) -> Result<u64> {
    r.stream_position().map_err(io_error)
}

/// Moves to absolute `offset`.
pub(crate) fn seek_to<R: Seek + ?Sized>(r: &mut R, offset: u64) -> Result<()> {
    r.seek(SeekFrom::Start(offset)).map_err(io_error)?;
    Ok(())
}

/// Reads up to `buf.len()` bytes, stopping early only at end of file.
pub(crate) fn read_up_to<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn counter_stops_at_budget() {
        let mut c = Counter::new(Cursor::new(vec![7u8; 100]), 10);
        let mut buf = [0u8; 64];
        let err = read_up_to(&mut c, &mut buf).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Limit {
                    kind: LimitKind::BytesRead,
                    max: 10,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(c.bytes_read(), 10);
    }

    #[test]
    fn counter_knows_its_position_after_seeks_and_reads() {
        let mut c = Counter::new(Cursor::new(vec![7u8; 100]), 1000);
        assert_eq!(c.seek(SeekFrom::Start(10)).unwrap(), 10);
        let mut buf = [0u8; 5];
        c.read_exact(&mut buf).unwrap();
        assert_eq!(c.stream_position().unwrap(), 15);
        assert_eq!(c.seek(SeekFrom::Current(-3)).unwrap(), 12);
        assert_eq!(c.stream_position().unwrap(), 12);
        assert_eq!(c.seek(SeekFrom::End(0)).unwrap(), 100);
    }

    #[test]
    fn eof_maps_to_truncated() {
        let mut c = Cursor::new(vec![1u8, 2]);
        assert!(matches!(c.u32_be(), Err(Error::Truncated { .. })));
    }
}
