//! A batch over a large generated folder gives, for every file, exactly the
//! report that checking the file alone gives.

use preflight::{
    check_path, check_paths, check_paths_against, check_paths_with, BatchOptions, FileReport,
    ProbeLimits, Profile, Rule, Summary,
};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

fn sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        "image",
        "video",
        "audio",
        "unsupported",
        "unknown",
        "hostile",
    ] {
        for e in std::fs::read_dir(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(dir),
        )
        .unwrap()
        {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e != "py") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A folder of `n` copies of the fixtures, spread over sub-folders.
fn copies(n: usize) -> tempfile::TempDir {
    let src = sources();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let s = &src[i % src.len()];
        let sub = dir.path().join(format!("d{}", i / 250));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::copy(
            s,
            sub.join(format!(
                "{i:05}-{}",
                s.file_name().unwrap().to_string_lossy()
            )),
        )
        .unwrap();
    }
    dir
}

#[test]
fn batch_verdicts_equal_single_file_verdicts() {
    let n = 2000;
    let dir = copies(n);
    let profile = Profile::seedance2();
    let opts = BatchOptions::new().jobs(4);
    let batch: BTreeMap<PathBuf, FileReport> =
        check_paths(vec![dir.path().to_path_buf()], &profile, &opts)
            .unwrap()
            .map(|r| (r.path.clone(), r))
            .collect();
    assert_eq!(batch.len(), n);
    let limits = ProbeLimits::default();
    for (path, r) in &batch {
        let alone = check_path(path, &profile, &limits);
        assert_eq!(&alone, r, "{}", path.display());
    }
    assert_eq!(
        preflight::count_files(&[dir.path().to_path_buf()], &opts).unwrap(),
        n as u64
    );
}

/// `check_paths_with` hands every file to one worker's state, once: the
/// states together hold the reports `check_paths` streams, and their
/// summaries, merged, count what one summary over the stream counts.
#[test]
fn reports_folded_on_the_workers_are_the_reports_streamed() {
    let n = 600;
    let dir = copies(n);
    let profiles = [Profile::seedance2(), Profile::builtin("kling-i2v").unwrap()];
    let opts = BatchOptions::new().jobs(3);
    let roots = vec![dir.path().to_path_buf()];
    let states = check_paths_with(
        roots.clone(),
        &profiles,
        &opts,
        || (Vec::new(), Summary::for_profiles(&profiles)),
        |(reports, summary), r| {
            summary.add(&r);
            reports.push(r);
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    assert!(!states.is_empty());
    let mut folded = BTreeMap::new();
    let mut merged = Summary::for_profiles(&profiles);
    for (reports, summary) in states {
        merged.merge(summary);
        for r in reports {
            assert!(folded.insert(r.path.clone(), r).is_none(), "a file twice");
        }
    }
    let mut streamed = BTreeMap::new();
    let mut counted = Summary::for_profiles(&profiles);
    for r in check_paths_against(roots, &profiles, &opts).unwrap() {
        counted.add(&r);
        streamed.insert(r.path.clone(), r);
    }
    assert_eq!(folded.len(), n);
    assert_eq!(folded, streamed);
    assert_eq!(merged, counted);
    assert!(merged.failed > 0 && merged.passed > 0 && merged.errors > 0);
    assert_eq!(merged.profiles.len(), 2);
}

/// A step that says stop ends the run: no file is started after it, so a
/// worker that stops at its first report is the only report there is with
/// one worker, and each worker finishes at most the file it holds.
#[test]
fn a_step_that_stops_ends_the_run() {
    let dir = copies(300);
    let profiles = [Profile::seedance2()];
    for jobs in [1, 2] {
        let states = check_paths_with(
            vec![dir.path().to_path_buf()],
            &profiles,
            &BatchOptions::new().jobs(jobs),
            || 0usize,
            |seen, _| {
                *seen += 1;
                ControlFlow::Break(())
            },
        )
        .unwrap();
        let seen: usize = states.iter().sum();
        assert!((1..=jobs).contains(&seen), "{jobs} workers saw {seen}");
    }
}

/// The batch takes a file shorter than its first read to be what it read,
/// and asks a longer one its size: exact on each side of the boundary, and
/// for an empty file.
#[test]
fn sizes_are_exact_on_each_side_of_the_first_read() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/image/ok_6000x2400.jpg"),
    )
    .unwrap();
    let head = preflight::SNIFF_LEN;
    let profile = Profile::seedance2();
    for n in [0, 1, head - 1, head, head + 1, 4 * head, jpeg.len()] {
        let mut bytes = jpeg.clone();
        bytes.resize(n, 0);
        let path = dir.path().join(format!("cut_{n}.jpg"));
        std::fs::write(&path, &bytes).unwrap();
        let r = check_path(&path, &profile, &ProbeLimits::default());
        assert_eq!(r.bytes, Some(n as u64), "{n} bytes");
        let alone = preflight::check_probed_against(
            &path,
            Some("jpg"),
            Some(n as u64),
            preflight::probe_bytes(&bytes, &ProbeLimits::default()),
            || None,
            std::slice::from_ref(&profile),
        );
        let rules = |r: &FileReport| r.violations.iter().map(|v| v.rule).collect::<Vec<_>>();
        assert_eq!(rules(&r), rules(&alone), "{n} bytes");
        assert_eq!(r.info, alone.info, "{n} bytes");
    }
}

/// The batch reads a file as its first 16 KiB held in memory plus
/// positioned reads past them; `probe_bytes` reads the same bytes from one
/// slice, and `probe_reader` through a buffer of its own. Both must measure every fixture (and
/// every file of the third-party corpus, when it is beside the checkout)
/// the same. Under read budgets that stop inside the head, just past it and
/// far past it, each either measures the file the same or stops on
/// `file.limit`: the budget counts bytes handed to the format readers, and
/// how often a reader that seeks back is handed the same bytes again
/// depends on the buffering in between. A GIF's frame count, which needs
/// every sub-block, is given up (`None`) rather than the file failed when
/// the budget runs out (see the GIF reader), so it may be known on one side
/// only.
#[test]
fn a_file_on_disk_is_measured_as_the_same_bytes_in_memory() {
    let mut files = sources();
    let corpus = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance"
    ));
    if corpus.is_dir() {
        for e in walkdir::WalkDir::new(corpus) {
            let e = e.unwrap();
            if e.file_type().is_file() {
                files.push(e.into_path());
            }
        }
    }
    let profile = Profile::seedance2();
    let rules = |r: &FileReport| r.violations.iter().map(|v| v.rule).collect::<Vec<_>>();
    let stopped = |r: &FileReport| rules(r) == [Rule::FileLimit];
    let (mut same, mut one_stopped) = (0, 0);
    for limits in [
        ProbeLimits::default(),
        ProbeLimits::default().max_bytes_read(1_000),
        ProbeLimits::default().max_bytes_read(17_000),
        ProbeLimits::default().max_bytes_read(70_000),
        ProbeLimits::default().max_bytes_read(300_000),
    ] {
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let from_disk = check_path(path, &profile, &limits);
            let in_memory = preflight::check_probed_against(
                path,
                path.extension().and_then(|e| e.to_str()),
                Some(bytes.len() as u64),
                preflight::probe_bytes(&bytes, &limits),
                || None,
                std::slice::from_ref(&profile),
            );
            let equal = (from_disk.verdict, &from_disk.info, rules(&from_disk))
                == (in_memory.verdict, &in_memory.info, rules(&in_memory));
            let budget = limits != ProbeLimits::default();
            if !budget {
                // A generic reader (through the probe's own buffer) too.
                let via_reader = preflight::probe_reader(
                    std::io::Cursor::new(&bytes),
                    Some(bytes.len() as u64),
                    &limits,
                );
                // (A file that cannot be measured has no info in its report.)
                assert_eq!(
                    via_reader.as_ref().ok(),
                    in_memory.info.as_ref(),
                    "{}",
                    path.display()
                );
            }
            let without_gif_frames = |r: &FileReport| {
                let mut i = r.info.clone();
                if let Some(i) = i.as_mut().filter(|i| i.format == preflight::Format::Gif) {
                    i.frames = None;
                }
                (r.verdict, i, rules(r))
            };
            if equal {
                same += 1;
            } else if budget
                && (stopped(&from_disk)
                    || stopped(&in_memory)
                    || without_gif_frames(&from_disk) == without_gif_frames(&in_memory))
            {
                one_stopped += 1;
            } else {
                panic!(
                    "{} under {limits:?}:\n  from disk: {:?} {:?}\n  in memory: {:?} {:?}",
                    path.display(),
                    from_disk.info,
                    from_disk.violations,
                    in_memory.info,
                    in_memory.violations
                );
            }
        }
    }
    // Under the default limits every file was equal (anything else panicked above).
    assert!(same >= files.len());
    eprintln!("{same} reports equal, {one_stopped} stopped by a budget on one side only");
}
