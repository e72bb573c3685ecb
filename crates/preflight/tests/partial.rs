//! A probe that runs out of data never returns a measurement.
//!
//! Every fixture (good, bad and hostile) is probed whole, then from its
//! first 64 KiB with the true total size (what an upload handler holds):
//! the prefix either gives exactly the whole file's result or says it is
//! incomplete. The sans-I/O `Prober`, fed the ranges it asks for, must end
//! with exactly the whole file's result.

use preflight::{
    check, probe_bytes, probe_reader, Error, MediaInfo, ProbeLimits, Prober, Profile, Rule, Step,
};
use std::io::Cursor;
use std::path::{Path, PathBuf};

const PREFIX: usize = 64 << 10;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let mut v = Vec::new();
    for dir in [
        "image",
        "video",
        "audio",
        "unsupported",
        "unknown",
        "hostile",
    ] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let is_script = p
                .extension()
                .is_some_and(|x| x == "py" || x == "sh" || x == "md" || x == "json");
            if p.is_file() && !is_script {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() > 100, "only {} fixtures", v.len());
    v
}

/// The outcome compared across readings: the measurement, or the rule of the error.
fn outcome(r: &Result<MediaInfo, Error>) -> Result<&MediaInfo, Rule> {
    r.as_ref().map_err(|e| e.rule())
}

#[test]
fn a_prefix_with_the_true_size_never_measures_what_it_has_not_seen() {
    let limits = ProbeLimits::default();
    let (mut same, mut incomplete) = (0, 0);
    for p in fixtures() {
        let data = std::fs::read(&p).unwrap();
        let whole = probe_bytes(&data, &limits);
        let cut = &data[..data.len().min(PREFIX)];
        let part = probe_reader(Cursor::new(cut), Some(data.len() as u64), &limits);
        match &part {
            Err(Error::Incomplete { offset }) => {
                assert!(
                    data.len() > PREFIX,
                    "{}: incomplete at {offset}",
                    p.display()
                );
                assert!(*offset >= PREFIX as u64, "{}: at {offset}", p.display());
                incomplete += 1;
            }
            _ => {
                assert_eq!(outcome(&part), outcome(&whole), "{}", p.display());
                same += 1;
            }
        }
    }
    // Both kinds occur: most files' headers fit in 64 KiB; an MP3 (every
    // frame is visited) or a moov-at-end MP4 does not.
    assert!(
        same > 50 && incomplete > 5,
        "same {same}, incomplete {incomplete}"
    );
}

/// Runs a `Prober` on `data`, starting from its first `first` bytes and then
/// fetching exactly what it asks for. Returns the result and the rounds.
fn prober_loop(data: &[u8], total_known: bool, first: usize) -> (Result<MediaInfo, Error>, usize) {
    let mut p = Prober::new(
        total_known.then_some(data.len() as u64),
        ProbeLimits::default(),
    );
    let (mut offset, mut len) = (0u64, first as u64);
    for round in 1..=200 {
        let start = offset.min(data.len() as u64) as usize;
        let end = (offset + len).min(data.len() as u64) as usize;
        match p.feed(start as u64, &data[start..end]) {
            Ok(Step::Done(info)) => return (Ok(info), round),
            Ok(Step::NeedRange { offset: o, len: l }) => {
                assert!(l > 0);
                (offset, len) = (o, l);
            }
            Ok(other) => panic!("unexpected step {other:?}"),
            Err(e) => return (Err(e), round),
        }
    }
    panic!("the prober asked for more than 200 ranges");
}

#[test]
fn the_prober_fed_what_it_asks_for_agrees_with_the_whole_file() {
    let limits = ProbeLimits::default();
    let mut most_rounds = 0;
    for p in fixtures() {
        let data = std::fs::read(&p).unwrap();
        let whole = probe_bytes(&data, &limits);
        for first in [16, 4096, PREFIX] {
            let (got, rounds) = prober_loop(&data, true, first);
            assert_eq!(
                outcome(&got),
                outcome(&whole),
                "{} from {first} bytes",
                p.display()
            );
            most_rounds = most_rounds.max(rounds);
        }
        // Without the total length the prober reads to the end it is shown.
        let (got, _) = prober_loop(&data, false, PREFIX);
        assert_eq!(
            outcome(&got),
            outcome(&whole),
            "{} (no length)",
            p.display()
        );
    }
    // Ranges grow with what is held: a whole-file walk takes few rounds.
    assert!(most_rounds <= 16, "{most_rounds} rounds");
}

#[test]
fn the_cases_of_the_issue_never_pass_on_a_prefix() {
    // A 15.2 s MP3 and a 15.2 s WAV, of which an upload handler holds the
    // first 64 KiB: incomplete, not a short file that passes.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/audio");
    for name in ["err_mp3_15.2s.mp3", "err_wav_15.2s.wav"] {
        let data = std::fs::read(root.join(name)).unwrap();
        assert!(data.len() > PREFIX, "{name} is {} bytes", data.len());
        let whole = probe_bytes(&data, &ProbeLimits::default()).unwrap();
        let verdict = check(&whole, &Profile::seedance2()).verdict();
        assert_eq!(verdict, preflight::Verdict::Fail, "{name}");
        let got = probe_reader(
            Cursor::new(&data[..PREFIX]),
            Some(data.len() as u64),
            &ProbeLimits::default(),
        );
        // The WAV's header is complete in the prefix: its duration comes from
        // the data chunk's size, so it is measured whole; the MP3 needs every frame.
        match got {
            Ok(info) => assert_eq!(info, whole, "{name}"),
            Err(e) => assert_eq!(e.rule(), Rule::FileIncomplete, "{name}: {e}"),
        }
        // The same prefix taken as a whole file: the WAV's data chunk runs
        // past its end, which is corrupt; the MP3 is a shorter MP3.
        let cut = probe_bytes(&data[..PREFIX], &ProbeLimits::default());
        if name.ends_with(".wav") {
            assert_eq!(cut.unwrap_err().rule(), Rule::FileCorrupt, "{name}");
        }
    }
}

#[test]
fn the_prober_fed_small_pieces_agrees_with_the_whole_file() {
    // The fuzz target's body, on every fixture under 256 KB and on its
    // first half: pieces of 98 and 6,112 bytes, whatever the prober asks.
    for p in fixtures() {
        let data = std::fs::read(&p).unwrap();
        if data.len() > 256 << 10 {
            continue;
        }
        for k in [1u8, 63] {
            for cut in [data.len(), data.len() / 2] {
                let mut input = vec![k];
                input.extend_from_slice(&data[..cut]);
                preflight::harness::prober_agrees(&input);
            }
        }
    }
}

#[test]
fn the_prober_fed_part_of_a_range_asks_for_the_rest_of_it() {
    // Fed a byte at a time, the prober asks for the rest of the range it
    // asked for (the first byte of it not yet fed, to its end) without
    // probing again for at least 4 KiB, never asks for a byte it was
    // given, and ends with the whole file's result: a caller whose source
    // gives a little at a time costs a probe per 4 KiB at most (or per
    // quarter of what is held), not a probe per byte.
    let limits = ProbeLimits::default();
    let mut shrunk = 0;
    for p in fixtures() {
        let data = std::fs::read(&p).unwrap();
        if data.len() > 256 << 10 {
            continue;
        }
        let mut fed = vec![false; data.len()];
        let mut prober = Prober::new(Some(data.len() as u64), limits.clone());
        let first = data.len().min(16);
        fed[..first].fill(true);
        let mut step = prober.feed(0, &data[..first]);
        // Bytes fed since the prober last asked for something other than
        // the rest of its range (that is, since it last probed).
        let mut since_probe = 0;
        let (mut rounds, mut probes) = (0usize, 1usize);
        let got = loop {
            match step {
                Ok(Step::NeedRange { offset, len }) => {
                    let (at, end) = (offset as usize, (offset + len) as usize);
                    assert!(!fed[at], "{}: asked for {at} again", p.display());
                    fed[at] = true;
                    since_probe += 1;
                    rounds += 1;
                    step = prober.feed(offset, &data[at..at + 1]);
                    let rest = (at + 1..end).find(|&i| !fed[i]).map(|gap| Step::NeedRange {
                        offset: gap as u64,
                        len: (end - gap) as u64,
                    });
                    if rest.is_some() && since_probe < 4096 {
                        assert_eq!(step.as_ref().ok(), rest.as_ref(), "{}", p.display());
                        shrunk += 1;
                    } else if step.as_ref().ok() != rest.as_ref() {
                        since_probe = 0;
                        probes += 1;
                    }
                }
                Ok(Step::Done(info)) => break Ok(info),
                Ok(other) => panic!("unexpected step {other:?}"),
                Err(e) => break Err(e),
            }
        };
        let whole = probe_bytes(&data, &limits);
        assert_eq!(outcome(&got), outcome(&whole), "{}", p.display());
        assert!(
            probes <= 2 + rounds / 1024,
            "{}: {probes} probes for {rounds} bytes",
            p.display()
        );
    }
    assert!(shrunk > 10_000, "{shrunk}");
}

#[test]
fn mpeg_audio_after_other_bytes_is_found_alike_however_much_is_held() {
    // Frames that start just inside the 64 KiB searched for MPEG audio and
    // chain past it, then more bytes: a probe of the whole slice, of a
    // reader, and the prober in pieces of 1 and 98 bytes must all find the
    // MP3 (fuzzing found the slice saying MP3 and the others Unknown: the
    // chain was checked against whatever the caller held).
    let mut data = vec![0x55u8; 65_300];
    for _ in 0..40 {
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417 bytes a frame.
        let mut f = vec![0u8; 417];
        f[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        data.extend_from_slice(&f);
    }
    data.extend_from_slice(&[0x55; 70_000]);
    let limits = ProbeLimits::default();
    let whole = probe_bytes(&data, &limits).unwrap();
    assert_eq!(whole.format, preflight::Format::Mp3);
    let read = probe_reader(Cursor::new(&data), Some(data.len() as u64), &limits).unwrap();
    assert_eq!(read, whole);
    let (fed, _) = prober_loop(&data, true, 16);
    assert_eq!(fed.unwrap(), whole);
    for k in [0u8, 1] {
        let mut input = vec![k];
        input.extend_from_slice(&data);
        preflight::harness::prober_agrees(&input);
    }
}
