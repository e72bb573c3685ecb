//! Remote inputs of `check`: HTTP(S) URLs and object-store URLs (`s3://`,
//! `gs://`, `az://`) among the paths, read by range with preflight-remote
//! on a tokio runtime of their own, their reports joined to the local ones.

use clap::{Args, ValueEnum};
use preflight::{FileReport, ProbeLimits, Profile, Rule, Verdict, Violation};
use preflight_remote::{check_all_against, is_remote, Mp3Scan, RemoteOptions};
use std::path::PathBuf;
use url::Url;

/// Objects read at once when `--jobs` is 0.
pub const DEFAULT_REMOTE_JOBS: usize = 64;

/// Flags for remote inputs.
#[derive(Args, Debug, Clone)]
pub struct RemoteArgs {
    /// Endpoint of the object store instead of the cloud's: an
    /// S3-compatible store for `s3://` inputs (MinIO, R2, Ceph, moto), a
    /// GCS-compatible base URL for `gs://` (fake-gcs-server), an account URL
    /// for `az://` (Azurite: http://127.0.0.1:10000/devstoreaccount1);
    /// credentials come from AWS_ACCESS_KEY_ID and the other usual
    /// variables of each cloud.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// How remote MP3s are measured: `full` counts every frame (exact,
    /// reads the whole file); `estimate` takes the duration from the
    /// bitrate (one request; marked `file.estimated`, not exact for VBR).
    #[arg(long, value_enum, default_value_t = Mp3ScanArg::Full, value_name = "HOW")]
    pub mp3_scan: Mp3ScanArg,
}

/// `--mp3-scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mp3ScanArg {
    /// Count every frame.
    Full,
    /// Estimate from the bitrate.
    Estimate,
}

/// Splits the inputs into URLs read remotely and local paths (order kept
/// within each; a URL given twice is checked once).
pub fn split(inputs: Vec<PathBuf>) -> (Vec<Url>, Vec<PathBuf>) {
    let mut urls: Vec<Url> = Vec::new();
    let mut local = Vec::new();
    for p in inputs {
        match p.to_str().and_then(is_remote) {
            Some(u) => {
                if !urls.contains(&u) {
                    urls.push(u)
                }
            }
            None => local.push(p),
        }
    }
    (urls, local)
}

/// The options for remote reads: `jobs` objects in flight (0: 64).
pub fn options(args: &RemoteArgs, limits: ProbeLimits, jobs: usize) -> RemoteOptions {
    RemoteOptions::default()
        .limits(limits)
        .concurrency(if jobs == 0 { DEFAULT_REMOTE_JOBS } else { jobs })
        .endpoint_url(args.endpoint_url.clone())
        .mp3_scan(match args.mp3_scan {
            Mp3ScanArg::Full => Mp3Scan::Full,
            Mp3ScanArg::Estimate => Mp3Scan::Estimate,
        })
}

/// `reports` followed by the reports of `urls`, which are checked from now
/// on (alongside the local ones) on a thread of their own. With
/// `decode`, remote files get the warning that they were not decoded.
pub fn chain(
    reports: Box<dyn Iterator<Item = FileReport>>,
    urls: Vec<Url>,
    profiles: &[Profile],
    opts: RemoteOptions,
    decode: bool,
) -> Box<dyn Iterator<Item = FileReport>> {
    if urls.is_empty() {
        return reports;
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<FileReport>(256);
    let profiles = profiles.to_vec();
    std::thread::spawn(move || {
        let rt = match runtime() {
            Ok(rt) => rt,
            Err(e) => {
                for u in urls {
                    let r = FileReport::error(
                        &PathBuf::from(u.as_str()),
                        None,
                        Violation::new(
                            Rule::FileUnreadable,
                            None,
                            None,
                            format!("cannot start the network runtime: {e}"),
                        ),
                    );
                    let _ = tx.send(r.for_profiles(profiles.iter().map(|p| p.name.as_str())));
                }
                return;
            }
        };
        rt.block_on(async move {
            use futures::StreamExt;
            let mut s = check_all_against(urls, profiles, opts);
            while let Some(c) = s.next().await {
                let mut r = c.report;
                if decode && r.verdict != Verdict::Error {
                    r.add_warning(Violation::new(
                        Rule::FileNotVerified,
                        None,
                        None,
                        "not decoded: a remote file is judged on its headers only",
                    ));
                }
                if tx.send(r).is_err() {
                    // The reader stopped (a closed stdout): stop reading.
                    break;
                }
            }
        });
    });
    Box::new(reports.chain(rx))
}

/// The network runtime of a remote check, repair or upload.
pub(super) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths() {
        let (urls, local) = split(vec![
            PathBuf::from("a.jpg"),
            PathBuf::from("https://h/x.mp4"),
            PathBuf::from("s3://b/p/"),
            PathBuf::from("clips/"),
            PathBuf::from("https://h/x.mp4"),
        ]);
        assert_eq!(
            urls.iter().map(Url::as_str).collect::<Vec<_>>(),
            ["https://h/x.mp4", "s3://b/p/"]
        );
        assert_eq!(local, [PathBuf::from("a.jpg"), PathBuf::from("clips/")]);
    }
}
