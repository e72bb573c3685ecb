//! Every fixture served over HTTP on 127.0.0.1 — by a server that honours
//! `Range`, one that ignores it, one that fails each first request — gives
//! the report a local check gives, within the request and byte goals.

mod common;

use common::{fixtures, pad_mdat, testdata, Mode, Server};
use preflight::{check_path, FileReport, ProbeLimits, Profile, Rule};
use preflight_remote::{check_url, probe_url, Checked, Mp3Scan, RemoteOptions};
use std::collections::HashMap;
use std::path::PathBuf;

const HEAD: u64 = 64 << 10;

/// Files made here on top of the fixtures, larger than one head.
fn big_files() -> Vec<(String, Vec<u8>)> {
    let video = |n: &str| std::fs::read(testdata().join("video").join(n)).unwrap();
    let faststart = video("ok_1280x720_30fps_5s.mp4");
    let moov_end = video("ok_1280x720_30fps_5s_moov_end.mp4");
    // A moov of 1 MiB (a long video's sample tables): a `free` box inside it.
    let mut big_moov = Vec::new();
    for (t, at, size) in common::boxes(&moov_end) {
        if &t == b"moov" {
            let pad = 1usize << 20;
            big_moov.extend_from_slice(&((size + pad) as u32).to_be_bytes());
            big_moov.extend_from_slice(&moov_end[at + 4..at + size]);
            big_moov.extend_from_slice(&(pad as u32).to_be_bytes());
            big_moov.extend_from_slice(b"free");
            big_moov.resize(big_moov.len() + pad - 8, 0);
        } else {
            big_moov.extend_from_slice(&moov_end[at..at + size]);
        }
    }
    // 8 MiB of 16-bit mono PCM at 48 kHz.
    let data = 8usize << 20;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&((36 + data) as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&48_000u32.to_le_bytes());
    wav.extend_from_slice(&96_000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data as u32).to_le_bytes());
    wav.resize(wav.len() + data, 0);
    vec![
        ("big/faststart_4m.mp4".into(), pad_mdat(&faststart, 4 << 20)),
        ("big/moov_end_4m.mp4".into(), pad_mdat(&moov_end, 4 << 20)),
        (
            "big/moov_end_1m_moov.mp4".into(),
            pad_mdat(&big_moov, 4 << 20),
        ),
        ("big/pcm16_8m.wav".into(), wav),
    ]
}

struct Corpus {
    files: HashMap<String, Vec<u8>>,
    dir: tempfile::TempDir,
}

impl Corpus {
    fn new() -> Corpus {
        let dir = tempfile::tempdir().unwrap();
        let mut files = HashMap::new();
        for name in fixtures() {
            files.insert(name.clone(), std::fs::read(testdata().join(&name)).unwrap());
        }
        for (name, bytes) in big_files() {
            let p = dir.path().join(&name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &bytes).unwrap();
            files.insert(name, bytes);
        }
        Corpus { files, dir }
    }

    fn local_path(&self, name: &str) -> PathBuf {
        if name.starts_with("big/") {
            self.dir.path().join(name)
        } else {
            testdata().join(name)
        }
    }

    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.files.keys().cloned().collect();
        v.sort();
        v
    }
}

/// The corpus served from 127.0.0.1 in one mode, and the profile the
/// tests judge by.
struct Served {
    corpus: Corpus,
    server: Server,
    profile: Profile,
}

fn served(ranges: bool, fail_first: bool) -> Served {
    let corpus = Corpus::new();
    let server = Server::start(corpus.files.clone(), Mode { ranges, fail_first });
    let profile = Profile::builtin("seedance2").unwrap();
    Served {
        corpus,
        server,
        profile,
    }
}

impl Served {
    /// Checks the file served as `name` (a path under the server).
    async fn check(&self, name: &str, opts: &RemoteOptions) -> Checked {
        check_url(&self.server.url(name), &self.profile, opts).await
    }

    /// The report a local check of `name` gives.
    fn local(&self, name: &str) -> FileReport {
        local(&self.corpus, name, &self.profile)
    }

    /// A remote report with the local path of `name`, to compare.
    fn as_local(&self, r: FileReport, name: &str) -> FileReport {
        as_local(r, &self.corpus, name)
    }
}

fn local(c: &Corpus, name: &str, profile: &Profile) -> FileReport {
    check_path(&c.local_path(name), profile, &ProbeLimits::default())
}

/// The remote report with the local path, for comparison.
fn as_local(mut r: FileReport, c: &Corpus, name: &str) -> FileReport {
    r.path = c.local_path(name);
    r
}

fn moov_size(d: &[u8]) -> u64 {
    common::boxes(d)
        .into_iter()
        .find(|b| &b.0 == b"moov")
        .map_or(0, |b| b.2 as u64)
}

fn is_moov_end(d: &[u8]) -> bool {
    let b = common::boxes(d);
    let moov = b.iter().position(|x| &x.0 == b"moov");
    let mdat = b.iter().position(|x| &x.0 == b"mdat");
    matches!((moov, mdat), (Some(m), Some(d)) if m > d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranged_reports_equal_local_within_the_goals() {
    let s = served(true, false);
    let opts = RemoteOptions::default();
    let mut table = Vec::new();
    for name in s.corpus.names() {
        let data = &s.corpus.files[&name];
        let Checked { report, stats, .. } = s.check(&name, &opts).await;
        assert_eq!(
            report.path.to_str(),
            Some(s.server.url(&name).as_str()),
            "the report keeps the URL as its path"
        );
        let want = s.local(&name);
        assert_eq!(s.as_local(report, &name), want, "{name}");
        let served = s.server.counts(&name);
        assert_eq!(
            served.requests, stats.requests,
            "{name}: requests seen by both sides"
        );
        assert_eq!(
            served.bytes, stats.bytes,
            "{name}: bytes seen by both sides"
        );
        let total = data.len() as u64;
        let ext = name.rsplit('.').next().unwrap_or("");
        if total <= HEAD {
            assert_eq!(stats.requests, 1, "{name}: fits in the head");
        }
        if matches!(ext, "jpg" | "png" | "wav") && want.info.is_some()
            || name.starts_with("big/faststart")
        {
            assert_eq!(stats.requests, 1, "{name}: one request");
        }
        if ext == "mp4" && is_moov_end(data) {
            assert!(stats.requests <= 3, "{name}: {} requests", stats.requests);
            let moov = moov_size(data);
            assert!(
                stats.bytes <= HEAD + moov + HEAD,
                "{name}: {} bytes > head + moov {moov} + 64 KiB",
                stats.bytes
            );
        }
        assert!(stats.bytes <= total, "{name}: nothing read twice");
        table.push(format!(
            "{name}\t{total}\t{}\t{}",
            stats.requests, stats.bytes
        ));
    }
    // The measured figures (README "Remote media").
    println!("file\tbytes\trequests\tbytes read");
    for row in table {
        println!("{row}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_ignores_range_is_streamed_and_said_so() {
    let s = served(false, false);
    let opts = RemoteOptions::default();
    for name in s.corpus.names() {
        let Checked { report, stats, .. } = s.check(&name, &opts).await;
        assert!(stats.streamed, "{name}");
        let mut want = s.local(&name);
        let mut got = s.as_local(report, &name);
        // The remote report says how it was read; apart from that, the same.
        let said = got
            .warnings
            .iter()
            .position(|w| w.rule == Rule::FileStreamed)
            .map(|i| got.warnings.remove(i));
        assert!(said.is_some(), "{name}: no file.streamed warning");
        want.path = got.path.clone();
        assert_eq!(got, want, "{name}");
    }
    // Early stop: a faststart 4 MiB MP4 is judged from its first bytes.
    let Checked { stats, .. } = s.check("big/faststart_4m.mp4", &opts).await;
    assert!(
        stats.bytes < 1 << 20,
        "received {} bytes of 4 MiB",
        stats.bytes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_and_missing_files_reported() {
    let s = served(true, true);
    let opts = RemoteOptions::default();
    let name = "video/ok_1280x720_30fps_5s.mp4";
    let Checked { report, stats, .. } = s.check(name, &opts).await;
    assert_eq!(s.as_local(report, name), s.local(name));
    assert_eq!((stats.requests, stats.retries), (2, 1));

    let Checked { report, .. } = s.check("no/such.mp4", &opts).await;
    assert_eq!(report.verdict, preflight::Verdict::Error);
    assert_eq!(report.violations[0].rule, Rule::FileUnreadable);
    assert!(
        report.violations[0].message.contains("not found"),
        "{:?}",
        report.violations
    );

    // Nothing listens there any more: a connection error, after the retries.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let url = url::Url::parse(&format!("http://{dead}/a.mp4")).unwrap();
    let probed = probe_url(&url, &opts.clone().retries(1)).await;
    assert!(probed.result.is_err());
    assert_eq!(probed.stats.requests, 2);
}

/// An input's redirects are followed, five at most: the sixth is refused
/// (not retried), and the report says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_five_times_and_no_more() {
    let s = served(true, false);
    let opts = RemoteOptions::default();
    let name = "video/ok_1280x720_30fps_5s.mp4";
    // redirect/4 → 3 → 2 → 1 → 0 → the file: five redirects.
    let Checked { report, .. } = s.check(&format!("redirect/4/{name}"), &opts).await;
    assert_eq!(s.as_local(report, name), s.local(name));
    let Checked { report, stats, .. } = s.check(&format!("redirect/5/{name}"), &opts).await;
    assert_eq!(report.verdict, preflight::Verdict::Error);
    assert_eq!(report.violations[0].rule, Rule::FileUnreadable);
    let message = &report.violations[0].message;
    assert!(
        message.contains("redirect not followed: more than 5 redirects"),
        "{message}"
    );
    assert_eq!(stats.requests, 1, "a refused redirect is not retried");
    assert_eq!(
        s.server.counts(name).requests,
        1,
        "only the first check reached the file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_stop_a_probe() {
    let s = served(true, false);
    // The moov-at-end file needs a second request.
    let opts = RemoteOptions::default().max_requests(1);
    let Checked { report, stats, .. } = s.check("big/moov_end_4m.mp4", &opts).await;
    assert_eq!(report.violations[0].rule, Rule::FileLimit);
    assert_eq!(stats.requests, 1);
    // A byte budget smaller than the moov.
    let opts = RemoteOptions::default().limits(ProbeLimits::default().max_bytes_read(256 << 10));
    let Checked { report, .. } = s.check("big/moov_end_1m_moov.mp4", &opts).await;
    assert_eq!(report.violations[0].rule, Rule::FileLimit, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mp3_estimate_is_one_request_and_marked() {
    let s = served(true, false);
    // 81 KB, constant bitrate: the head holds its first frames.
    let name = "audio/ok_mp3_cbr128_stereo_5s.mp3";
    let full = s.check(name, &RemoteOptions::default()).await;
    assert!(
        full.stats.requests > 1,
        "a full scan walks the frames past the head"
    );
    let opts = RemoteOptions::default().mp3_scan(Mp3Scan::Estimate);
    let est = s.check(name, &opts).await;
    assert_eq!(est.stats.requests, 1);
    assert!(est
        .report
        .warnings
        .iter()
        .any(|w| w.rule == Rule::FileEstimated));
    let (d_full, d_est) = (
        full.report.info.as_ref().unwrap().duration_s.unwrap(),
        est.report.info.as_ref().unwrap().duration_s.unwrap(),
    );
    // A constant-bitrate file: the estimate is near the count.
    assert!((d_full - d_est).abs() < 0.5, "{d_full} vs {d_est}");
    // A 200 KB ID3v2 cover before the first frame: the reader jumps past
    // it and the rest is read at once, so the frames are counted (exact).
    let name = "audio/ok_mp3_id3v2_cover_id3v1_5s.mp3";
    let est = s.check(name, &opts).await;
    assert_eq!(est.stats.requests, 2);
    assert!(!est
        .report
        .warnings
        .iter()
        .any(|w| w.rule == Rule::FileEstimated));
}
