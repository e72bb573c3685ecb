//! The ISOBMFF readers (MP4/MOV, HEIF) on real fixtures, and side by side with
//! the `mp4` 0.14 crate on the same hostile inputs.
//!
//! What the `mp4` crate does here is only what these tests show:
//! - a `moov` with an `mdhd` timescale of 0: `Mp4Reader::read_header` succeeds and
//!   `Mp4Track::duration()` then panics (division by zero); an `mvhd` timescale of 0
//!   makes `Mp4Reader::duration()` panic the same way. Ours: `Error::Malformed`.
//! - a child box of size 0 inside `moov` ("extends to the end of its container",
//!   ISO/IEC 14496-12 § 4.2): `read_header` seeks back to the same header and reads
//!   it again without end; the test stops it with a read budget instead of letting it
//!   hang. Ours reads the box as running to the end of `moov` and gives the normal
//!   answer.
//! - an `stts` entry count larger than its box: both refuse it cleanly.

use preflight::harness::read_as;
use preflight::{probe_reader, Error, Format, ProbeLimits, Rational};
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/{rel}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")
    ))
    .unwrap_or_else(|e| panic!("testdata/{rel}: {e}"))
}

/// Offset of the first box header of type `typ` (the 4-byte type follows the size).
fn find_box(data: &[u8], typ: &[u8; 4]) -> usize {
    data.windows(4).position(|w| w == typ).expect("box present") - 4
}

fn be32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(data[at..at + 4].try_into().unwrap())
}

fn put32(data: &mut [u8], at: usize, v: u32) {
    data[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// Offset of the timescale field of the `mvhd`/`mdhd` box at `at` (either version).
fn timescale_at(data: &[u8], at: usize) -> usize {
    let version = data[at + 8];
    at + 12 + if version == 1 { 16 } else { 8 }
}

fn ours_on(data: &[u8]) -> Result<preflight::MediaInfo, Error> {
    probe_reader(Cursor::new(data.to_vec()), None, &ProbeLimits::default())
}

/// A reader that fails once it has served `budget` reads, recording where it read.
struct Budgeted<R> {
    inner: R,
    reads: u64,
    budget: u64,
    last_positions: Vec<u64>,
}

impl<R: Read + Seek> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        if self.reads > self.budget {
            return Err(io::Error::other("test read budget spent"));
        }
        let pos = self.inner.stream_position()?;
        if self.last_positions.len() < 64 {
            self.last_positions.push(pos);
        } else {
            self.last_positions[(self.reads % 64) as usize] = pos;
        }
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for Budgeted<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn mdhd_timescale_zero_panics_mp4_crate_not_ours() {
    let mut data = fixture("video/ok_1280x720_30fps_5s.mp4");
    let at = timescale_at(&data, find_box(&data, b"mdhd"));
    assert_eq!(be32(&data, at), 15360, "fixture layout changed");
    put32(&mut data, at, 0);

    let size = data.len() as u64;
    let reader = mp4::Mp4Reader::read_header(Cursor::new(data.clone()), size)
        .expect("mp4 0.14 accepts an mdhd timescale of 0");
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        reader.tracks().values().map(|t| t.duration()).max()
    }));
    assert!(
        panicked.is_err(),
        "mp4 0.14 Mp4Track::duration() divides by the timescale"
    );

    let err = ours_on(&data).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Malformed {
                format: "mp4 (mdhd)",
                reason: "timescale is 0"
            }
        ),
        "{err}"
    );
}

#[test]
fn mvhd_timescale_zero_panics_mp4_crate_not_ours() {
    let mut data = fixture("video/ok_1280x720_30fps_5s.mp4");
    let at = timescale_at(&data, find_box(&data, b"mvhd"));
    assert_eq!(be32(&data, at), 1000, "fixture layout changed");
    put32(&mut data, at, 0);

    let size = data.len() as u64;
    let reader = mp4::Mp4Reader::read_header(Cursor::new(data.clone()), size)
        .expect("mp4 0.14 accepts an mvhd timescale of 0");
    assert!(catch_unwind(AssertUnwindSafe(|| reader.duration())).is_err());

    let err = ours_on(&data).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Malformed {
                format: "mp4 (mvhd)",
                reason: "timescale is 0"
            }
        ),
        "{err}"
    );
}

#[test]
fn size_zero_child_loops_mp4_crate_not_ours() {
    // Append a `free` box of size 0 as the last child of moov (moov grows by 8).
    let orig = fixture("video/ok_1280x720_30fps_5s.mp4");
    let moov = find_box(&orig, b"moov");
    let moov_len = be32(&orig, moov) as usize;
    let end = moov + moov_len;
    let mut data = orig[..end].to_vec();
    data.extend_from_slice(&[0, 0, 0, 0, b'f', b'r', b'e', b'e']);
    data.extend_from_slice(&orig[end..]);
    put32(&mut data, moov, (moov_len + 8) as u32);

    let size = data.len() as u64;
    let mut budgeted = Budgeted {
        inner: Cursor::new(data.clone()),
        reads: 0,
        budget: 100_000,
        last_positions: Vec::new(),
    };
    let res = mp4::Mp4Reader::read_header(&mut budgeted, size);
    let err = res
        .err()
        .expect("mp4 0.14 never finishes: only the read budget stops it");
    assert!(err.to_string().contains("test read budget spent"), "{err}");
    // It was reading the same header over and over.
    assert!(
        budgeted.last_positions.iter().all(|&p| p == end as u64),
        "{:?}",
        budgeted.last_positions
    );

    let i = ours_on(&data).unwrap();
    assert_eq!(
        (i.width, i.height, i.frames),
        (Some(1280), Some(720), Some(150))
    );
}

#[test]
fn stts_count_past_box_refused_by_both() {
    let mut data = fixture("video/ok_1280x720_30fps_5s.mp4");
    let stts = find_box(&data, b"stts");
    put32(&mut data, stts + 12, 0x1000_0000);
    let size = data.len() as u64;
    assert!(mp4::Mp4Reader::read_header(Cursor::new(data.clone()), size).is_err());
    let err = ours_on(&data).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Malformed {
                format: "mp4 (stts)",
                reason: "entry count exceeds box size"
            }
        ),
        "{err}"
    );
}

#[test]
fn rotation_sign_agrees_with_ffprobe_display_matrix() {
    // ffprobe 5.1 side data "rotation" (counter-clockwise, signed) on these files:
    // rot90cw -90, rot180 -180, rot270cw 90 (testdata/expected.json `ffprobe_rotation`).
    for (rel, ffprobe_rotation, size) in [
        ("video/ok_rot90cw_1280x720_5s.mp4", -90i32, (720, 1280)),
        ("video/ok_rot180_1280x720_5s.mp4", -180, (1280, 720)),
        ("video/ok_rot270cw_1280x720_5s.mp4", 90, (720, 1280)),
    ] {
        let i = ours_on(&fixture(rel)).unwrap();
        assert_eq!(
            i.rotation,
            Some(((-ffprobe_rotation).rem_euclid(360)) as u32),
            "{rel}"
        );
        assert_eq!((i.width.unwrap(), i.height.unwrap()), size, "{rel}");
        assert!(!i.mirrored);
    }
}

#[test]
fn fixtures_read_as_ffprobe_does() {
    // (file, width, height, frames, fps, duration) with ffprobe 5.1's figures.
    let cases: [(&str, u32, u32, u64, Rational, f64); 6] = [
        (
            "video/ok_1280x720_30fps_5s_moov_end.mp4",
            1280,
            720,
            150,
            Rational { num: 30, den: 1 },
            5.0,
        ),
        (
            "video/ok_fragmented_1280x720_5s.mp4",
            1280,
            720,
            150,
            Rational { num: 30, den: 1 },
            5.0,
        ),
        (
            "video/err_fps_23.976.mp4",
            640,
            640,
            72,
            Rational {
                num: 24000,
                den: 1001,
            },
            3.003,
        ),
        (
            "video/ok_editlist_media16.4s_shown14.5s.mp4",
            640,
            640,
            492,
            Rational { num: 30, den: 1 },
            14.5,
        ),
        (
            "video/ok_vfr_24_30_50fps_6s.mp4",
            640,
            640,
            208,
            Rational { num: 104, den: 3 },
            6.0,
        ),
        (
            "video/ok_mov_h264_aac_1280x720_5s.mov",
            1280,
            720,
            150,
            Rational { num: 30, den: 1 },
            5.0,
        ),
    ];
    for (rel, w, h, frames, fps, dur) in cases {
        let i = ours_on(&fixture(rel)).unwrap();
        assert_eq!(
            (i.width, i.height, i.frames),
            (Some(w), Some(h), Some(frames)),
            "{rel}"
        );
        assert_eq!(i.fps, Some(fps), "{rel}");
        assert!(
            (i.duration_s.unwrap() - dur).abs() < 0.05,
            "{rel}: {:?}",
            i.duration_s
        );
    }
    let vfr = ours_on(&fixture("video/ok_vfr_24_30_50fps_6s.mp4")).unwrap();
    assert!(vfr.vfr);
    assert_eq!(
        (vfr.fps_min, vfr.fps_max),
        (Rational::new(24, 1), Rational::new(50, 1))
    );
    // ffprobe: AAC mono 48 kHz (ffmpeg's MP4 sample entry says 2 channels; esds says 1)
    let a = ours_on(&fixture("video/err_no_video_track.mp4")).unwrap();
    assert_eq!(
        (a.has_video, a.sample_rate, a.channels),
        (Some(false), Some(48000), Some(1))
    );
    let mov = ours_on(&fixture("video/ok_mov_h264_aac_1280x720_5s.mov")).unwrap();
    assert_eq!(mov.format, Format::Mov);
    assert_eq!((mov.sample_rate, mov.channels), (Some(48000), Some(1)));
}

#[test]
fn heic_primary_item_and_irot() {
    let cases = [
        ("image/ok_heic_1280x720.heic", (1280, 720), 0),
        ("image/ok_heic_primary_second_1280x720.heic", (1280, 720), 0),
        ("image/ok_heic_irot_1000x600.heic", (600, 1000), 90),
        ("image/ok_heic_irot_exif6_1000x600.heic", (600, 1000), 90),
        ("image/ok_heic_exif6_noirot_1000x600.heic", (1000, 600), 0),
    ];
    for (rel, (w, h), rot) in cases {
        let i = ours_on(&fixture(rel)).unwrap();
        assert_eq!(
            (i.width, i.height, i.rotation),
            (Some(w), Some(h), Some(rot)),
            "{rel}"
        );
        assert_eq!(i.codec.as_deref(), Some("hvc1"), "{rel}");
    }
}

#[test]
fn avif_reads_through_the_heif_reader() {
    // The dispatcher reports AVIF as an unsupported type without probing it;
    // the HEIF reader still reads it when called directly.
    let data = fixture("unsupported/err_avif_640x480.avif");
    let i = read_as(Format::Heic, &data, &ProbeLimits::default()).unwrap();
    assert_eq!(
        (i.width, i.height, i.rotation),
        (Some(640), Some(480), Some(0))
    );
    assert_eq!(i.codec.as_deref(), Some("av01"));
}

#[test]
fn no_moov_is_corrupt() {
    let data = fixture("video/err_corrupt_no_moov.mp4");
    let err = read_as(Format::Mp4, &data, &ProbeLimits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Malformed {
                format: "mp4",
                reason: "no moov box"
            }
        ),
        "{err}"
    );
}

/// The faststart fixture with its trailing `mdat` made to claim `extra`
/// bytes more than the file has, and cut by `cut` bytes.
fn claiming_mdat(extra: u32, cut: usize) -> Vec<u8> {
    let mut data = fixture("video/ok_1280x720_30fps_5s.mp4");
    let at = data.windows(4).rposition(|w| w == b"mdat").unwrap() - 4;
    let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap());
    assert_eq!(at + size as usize, data.len(), "mdat is the last box");
    data[at..at + 4].copy_from_slice(&(size + extra).to_be_bytes());
    data.truncate(data.len() - cut);
    data
}

#[test]
fn a_trailing_mdat_that_claims_too_much_is_a_truncated_tail() {
    let whole = ours_on(&fixture("video/ok_1280x720_30fps_5s.mp4")).unwrap();
    assert!(!whole.truncated_tail);
    // Every sample is inside the file: the same reading, with the warning.
    let info = ours_on(&claiming_mdat(1000, 0)).unwrap();
    assert!(info.truncated_tail);
    assert_eq!(
        (info.width, info.duration_s, info.frames),
        (whole.width, whole.duration_s, whole.frames)
    );
    let report = preflight::check(&info, &preflight::Profile::seedance2());
    assert_eq!(report.verdict(), preflight::Verdict::Pass);
    assert_eq!(report.warnings[0].rule, preflight::Rule::FileTruncatedTail);
    // Cut into the last samples: corrupt, saying where the samples end.
    let cut = claiming_mdat(1000, 100);
    let len = cut.len() as u64;
    match ours_on(&cut) {
        Err(Error::DataPastEnd { needed, size, .. }) => {
            assert_eq!(size, len);
            assert_eq!(
                needed,
                size + 100,
                "the last sample ends where the file did"
            );
        }
        other => panic!("{other:?}"),
    }
}
