//! The read loop: the core's sans-I/O [`Prober`] says which bytes it needs,
//! this module fetches them in as few requests as it can.

use crate::fetch::{FetchError, Got, Source};
use crate::{FetchStats, Mp3Scan, RemoteOptions};
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use preflight::{Format, MediaInfo, Prober, Step};
use std::ops::Range;

/// Why a remote probe gave no measurement.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The headers could not be read (corrupt, incomplete, a cap of
    /// `ProbeLimits`): the core's own error, as for a local file.
    Probe(preflight::Error),
    /// The bytes could not be had.
    Fetch(FetchError),
    /// The per-object request budget ran out.
    Requests { max: u32 },
}

impl From<preflight::Error> for Failure {
    fn from(e: preflight::Error) -> Self {
        Failure::Probe(e)
    }
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        Failure::Fetch(e)
    }
}

/// The outcome of one probe.
pub(crate) struct Outcome {
    pub result: Result<MediaInfo, Failure>,
    /// The object's size once known.
    pub total: Option<u64>,
    /// The first bytes of the object (for the format of an unmeasured one).
    pub head: Bytes,
    /// The MP3 duration is an estimate (`--mp3-scan estimate`).
    pub estimated: bool,
}

/// Sorted, disjoint ranges already fetched.
#[derive(Default)]
struct Held(Vec<Range<u64>>);

impl Held {
    fn add(&mut self, r: Range<u64>) {
        if r.is_empty() {
            return;
        }
        self.0.push(r);
        self.0.sort_by_key(|r| r.start);
        let mut out: Vec<Range<u64>> = Vec::with_capacity(self.0.len());
        for r in self.0.drain(..) {
            match out.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        self.0 = out;
    }

    /// Whether `offset` is where a held range ends (the reader goes on
    /// reading in sequence, rather than jumping).
    fn continues(&self, offset: u64) -> bool {
        self.0.iter().any(|r| r.end == offset)
    }

    /// The end of the last held range that ends at or before `offset`.
    fn prev_end(&self, offset: u64) -> Option<u64> {
        self.0.iter().map(|r| r.end).filter(|&e| e <= offset).max()
    }

    /// The start of the first held range after `offset`.
    fn next_start(&self, offset: u64) -> Option<u64> {
        self.0.iter().map(|r| r.start).find(|&s| s > offset)
    }
}

/// The range to fetch for the prober's wish `offset, len`: at least
/// `min_range`; a jump (a reader seeking to a box or chunk past what it has,
/// as an MP4's `moov` after its media) whose rest of the object is at most
/// `max_tail` reads to the end in one request; a gap of at most `min_range`
/// after bytes held is read too (one request instead of two); never bytes
/// already held.
fn plan(offset: u64, len: u64, total: u64, held: &Held, opts: &RemoteOptions) -> Range<u64> {
    let mut end = offset.saturating_add(len.max(opts.min_range)).min(total);
    if !held.continues(offset) && total.saturating_sub(offset) <= opts.max_tail {
        end = total;
    }
    let start = match held.prev_end(offset) {
        Some(e) if offset - e <= opts.min_range => e,
        _ => offset,
    };
    if let Some(next) = held.next_start(offset) {
        end = end.min(next);
    }
    start..end.max(offset + 1)
}

/// Probes the object behind `src`.
pub(crate) async fn probe(src: &Source, opts: &RemoteOptions, stats: &mut FetchStats) -> Outcome {
    let mut out = Outcome {
        result: Err(Failure::Fetch(FetchError::NotFound)),
        total: src.known_size(),
        head: Bytes::new(),
        estimated: false,
    };
    out.result = run(src, opts, stats, &mut out).await;
    out
}

async fn run(
    src: &Source,
    opts: &RemoteOptions,
    stats: &mut FetchStats,
    out: &mut Outcome,
) -> Result<MediaInfo, Failure> {
    if src.known_size() == Some(0) {
        return done(Prober::new(Some(0), opts.limits.clone()).feed(0, &[])?);
    }
    let head_end = src
        .known_size()
        .map_or(opts.head_len, |s| s.min(opts.head_len))
        .max(1);
    let (start, total, bytes) = match src.get(0..head_end, stats, opts).await? {
        Got::Part {
            start,
            total,
            bytes,
        } => (start, total, bytes),
        Got::Whole { total, body } => {
            stats.streamed = true;
            out.total = total;
            return streamed(src, opts, stats, out, total, body).await;
        }
    };
    out.total = Some(total);
    out.head = bytes.clone();
    let mut prober = Prober::new(Some(total), opts.limits.clone());
    let mut held = Held::default();
    held.add(start..start + bytes.len() as u64);
    let mut step = prober.feed(start, &bytes);
    loop {
        stats.held = prober.bytes_held();
        let (offset, len) = match step? {
            Step::Done(info) => return Ok(info),
            Step::NeedRange { offset, len } => (offset, len),
            _ => return Err(unexpected_step()),
        };
        if let Some(info) = estimate_mp3(opts, &out.head, total) {
            out.estimated = true;
            return Ok(info);
        }
        if stats.requests >= opts.max_requests {
            return Err(Failure::Requests {
                max: opts.max_requests,
            });
        }
        let want = plan(offset, len, total, &held, opts);
        match src.get(want.clone(), stats, opts).await? {
            Got::Part {
                start,
                total: t,
                bytes,
            } => {
                if t != total {
                    return Err(
                        FetchError::Changed(format!("its size went from {total} to {t}")).into(),
                    );
                }
                if bytes.is_empty() {
                    return Err(FetchError::Protocol(format!(
                        "no bytes for the range {}-{}",
                        want.start, want.end
                    ))
                    .into());
                }
                held.add(start..start + bytes.len() as u64);
                step = prober.feed(start, &bytes);
            }
            Got::Whole { .. } => return Err(FetchError::Protocol(
                "the server answered a range with the whole object after answering one with a part"
                    .into(),
            )
            .into()),
        }
    }
}

fn done(step: Step) -> Result<MediaInfo, Failure> {
    match step {
        Step::Done(info) => Ok(info),
        _ => Err(unexpected_step()),
    }
}

fn unexpected_step() -> Failure {
    Failure::Fetch(FetchError::Protocol("the prober asked for nothing".into()))
}

/// The read when the server ignores `Range`: the body is streamed from byte
/// 0, only the bytes the prober asks for are kept, and the transfer stops as
/// soon as the headers are read. A wish for bytes already passed starts a
/// new transfer (within the request budget).
async fn streamed(
    src: &Source,
    opts: &RemoteOptions,
    stats: &mut FetchStats,
    out: &mut Outcome,
    total: Option<u64>,
    mut body: BoxStream<'static, Result<Bytes, FetchError>>,
) -> Result<MediaInfo, Failure> {
    let mut prober = Prober::new(total, opts.limits.clone());
    let (mut want_off, mut want_len) = (0u64, opts.head_len);
    let mut pos = 0u64;
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = body.next().await.transpose()?;
        let ended = chunk.is_none();
        if let Some(c) = &chunk {
            stats.bytes += c.len() as u64;
            if stats.bytes > opts.max_stream_bytes {
                return Err(Failure::Probe(preflight::Error::Limit {
                    kind: preflight::LimitKind::BytesRead,
                    actual: stats.bytes,
                    max: opts.max_stream_bytes,
                }));
            }
            let cstart = pos;
            pos += c.len() as u64;
            if let Some(t) = total {
                if pos > t {
                    return Err(FetchError::Protocol(format!(
                        "the body is longer than its Content-Length {t}"
                    ))
                    .into());
                }
            }
            if pos > want_off {
                let from = want_off.saturating_sub(cstart) as usize;
                pending.extend_from_slice(&c[from..]);
                if out.head.len() < opts.head_len as usize && want_off == 0 {
                    out.head = Bytes::copy_from_slice(
                        &pending[..pending.len().min(opts.head_len as usize)],
                    );
                }
            }
        }
        let covered = pending.len() as u64 >= want_len;
        if !covered && !ended {
            continue;
        }
        let start = pos - pending.len() as u64;
        let mut step = prober.feed(start, &pending)?;
        pending.clear();
        if ended && total.is_none() {
            step = prober.feed(pos, &[])?;
        }
        stats.held = prober.bytes_held();
        let (offset, len) = match step {
            Step::Done(info) => return Ok(info),
            Step::NeedRange { offset, len } => (offset, len),
            _ => return Err(unexpected_step()),
        };
        if let Some(info) = estimate_mp3(opts, &out.head, total.unwrap_or(pos)) {
            out.estimated = true;
            return Ok(info);
        }
        if offset < pos || ended {
            // Bytes already passed (or a short body): start over.
            if stats.requests >= opts.max_requests {
                return Err(Failure::Requests {
                    max: opts.max_requests,
                });
            }
            let end = offset.saturating_add(len.max(opts.min_range));
            match src.get(offset..end, stats, opts).await? {
                Got::Whole { body: b, .. } => {
                    body = b;
                    pos = 0;
                }
                Got::Part {
                    start,
                    bytes,
                    total: _,
                } => {
                    // The server honours ranges after all: feed and go on
                    // streaming nothing more from the old body.
                    let step = prober.feed(start, &bytes)?;
                    if let Step::Done(info) = step {
                        return Ok(info);
                    }
                    return Err(FetchError::Protocol(
                        "the server answered ranges inconsistently".into(),
                    )
                    .into());
                }
            }
        }
        want_off = offset;
        want_len = len;
    }
}

/// With `--mp3-scan estimate`, an MP3 whose frames the prober wants to walk
/// is measured from its first frame instead: the duration is the audio
/// bytes over the bitrate (exact for constant bitrate, an estimate for
/// variable), and the report says so.
fn estimate_mp3(opts: &RemoteOptions, head: &[u8], total: u64) -> Option<MediaInfo> {
    if opts.mp3_scan != Mp3Scan::Estimate || preflight::sniff(head) != Format::Mp3 {
        return None;
    }
    use preflight::mpeg_audio::{frame_header, id3v2_len};
    let start = id3v2_len(head).unwrap_or(0) as usize;
    let rest = head.get(start..)?;
    // The first frame: a valid header whose next frame also starts with one.
    let (at, fh) = (0..rest.len().saturating_sub(4)).find_map(|i| {
        let fh = frame_header(rest[i..i + 4].try_into().ok()?)?;
        let next = i + fh.frame_len as usize;
        match rest.get(next..next + 4) {
            Some(h) => frame_header(h.try_into().ok()?).map(|_| (i, fh)),
            None => Some((i, fh)),
        }
    })?;
    if fh.bitrate_kbps == 0 {
        return None;
    }
    let audio = total.saturating_sub((start + at) as u64);
    let mut info = MediaInfo::new(Format::Mp3, total);
    info.kind = Format::Mp3.kind();
    info.sample_rate = Some(fh.sample_rate);
    info.channels = Some(fh.channels);
    info.codec = Some("mp3".into());
    info.duration_s = Some(audio as f64 * 8.0 / (f64::from(fh.bitrate_kbps) * 1000.0));
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> RemoteOptions {
        RemoteOptions::default()
    }

    #[test]
    fn a_jump_near_the_end_reads_to_the_end() {
        let mut held = Held::default();
        held.add(0..65536);
        // moov at 900 KB of a 1 MB file: one request for the rest.
        assert_eq!(
            plan(900_000, 65536, 1_000_000, &held, &opts()),
            900_000..1_000_000
        );
        // Reading on in sequence asks only for the wish (rounded up).
        assert_eq!(plan(65536, 100, 1_000_000, &held, &opts()), 65536..131072);
        // A jump far from the end of a big object is not read to the end.
        let big = 1 << 40;
        assert_eq!(
            plan(1 << 30, 8, big, &held, &opts()),
            (1 << 30)..((1 << 30) + 65536)
        );
    }

    #[test]
    fn never_refetches_held_bytes() {
        let mut held = Held::default();
        held.add(0..65536);
        held.add(900_000..1_000_000);
        assert_eq!(
            plan(800_000, 65536, 1_000_000, &held, &opts()),
            800_000..900_000
        );
        assert_eq!(
            plan(880_000, 65536, 1_000_000, &held, &opts()),
            880_000..900_000
        );
        // A small gap after held bytes is read with the wish.
        assert_eq!(
            plan(100_000, 128, 100_000_000, &held, &opts()),
            65536..165_536
        );
        assert_eq!(
            plan(999_872, 128, 1_000_000, &held, &opts()),
            999_872..1_000_000
        );
    }

    #[test]
    fn held_ranges_merge() {
        let mut held = Held::default();
        held.add(10..20);
        held.add(0..5);
        held.add(5..10);
        held.add(30..40);
        assert_eq!(held.0, vec![0..20, 30..40]);
        assert!(held.continues(20));
        assert!(!held.continues(25));
        assert_eq!(held.next_start(20), Some(30));
    }
}
