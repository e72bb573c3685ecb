//! Remote inputs of `upload`: an `https://` URL is checked by range (as
//! `check` reads it) and, when it passes, created with the URL form of
//! `CreateAsset` — the service fetches it, no byte goes through us. An
//! `s3://` object is created from a presigned `GET` URL (`--presign`), never
//! from the object being public.

use super::output::sanitize;
use super::remote::RemoteArgs;
use preflight::{FileReport, ProbeLimits, Profile, Rule, Violation};
use preflight_api::upload::{url_for_service, Validators};
use preflight_api::CheckedFile;
use preflight_remote::{check_all_against, Stores, MAX_PRESIGN};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Parses `--presign`: `24h`, `90m`, `3600s`, `7d` or plain seconds; at
/// most 7 days (SigV4 refuses longer).
pub fn parse_presign(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 24h, 90m, 3600s, 7d)"))?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(|| format!("{s:?} is not a duration (e.g. 24h, 90m, 3600s, 7d)"))?;
    let d = Duration::from_secs(secs);
    if d.is_zero() {
        return Err("a presigned URL must be valid for at least 1 s".into());
    }
    if d > MAX_PRESIGN {
        return Err(format!(
            "{s} is longer than 7 days, the most a SigV4 presigned URL can be valid"
        ));
    }
    Ok(d)
}

/// Refuses, before any request, the remote inputs `upload` cannot take: an
/// object-store URL without `--presign` (or of a store other than S3), a
/// plain `http://` URL to another machine. `Err` is a usage error; the
/// refused URLs (each with its report) are returned beside the others.
pub fn screen(
    urls: Vec<Url>,
    presign: Option<Duration>,
    profile: &Profile,
) -> Result<(Vec<Url>, Vec<FileReport>), String> {
    let mut keep = Vec::new();
    let mut refused = Vec::new();
    for u in urls {
        match u.scheme() {
            "http" | "https" => match url_for_service(u.as_str()) {
                Ok(()) => keep.push(u),
                Err(why) => refused.push(refusal(&u, &why, profile)),
            },
            "s3" | "s3a" if presign.is_none() => {
                return Err(format!(
                    "{}: an object-store input is uploaded from a presigned URL: give --presign DURATION (e.g. --presign 24h, at most 7d). preflight never relies on objects being public: the service gets a URL that is signed for that one object and expires",
                    sanitize(u.as_str())
                ))
            }
            "s3" | "s3a" => keep.push(u),
            other => {
                return Err(format!(
                    "{}: {other}:// objects cannot be uploaded yet (presigning is done for s3:// only); check them with `preflight check`",
                    sanitize(u.as_str())
                ))
            }
        }
    }
    Ok((keep, refused))
}

fn refusal(u: &Url, why: &str, profile: &Profile) -> FileReport {
    FileReport::error(
        &PathBuf::from(u.as_str()),
        None,
        Violation::new(Rule::FileUnreadable, None, None, format!("not sent: {why}")),
    )
    .for_profiles([profile.name.as_str()])
}

/// What the remote check gave: every report, and the objects that passed
/// made into [`CheckedFile`]s that travel by URL (or why one could not be).
pub struct Remote {
    pub reports: Vec<FileReport>,
    pub files: Vec<CheckedFile>,
    /// Passed the check but cannot be sent (presigning failed, …): path, why.
    pub unsendable: Vec<(PathBuf, String)>,
    /// Requests and bytes the check read, over all objects.
    pub requests: u64,
    pub bytes: u64,
}

/// Checks `urls` by range (prefixes listed) and turns each object that
/// passes into a [`CheckedFile`] to be created from its URL: the URL
/// itself for `https://`, a presigned `GET` URL valid for `presign` for
/// `s3://`. Nothing is sent to the asset service here.
pub fn check(
    urls: Vec<Url>,
    profile: &Profile,
    args: &RemoteArgs,
    presign: Option<Duration>,
) -> Remote {
    let mut out = Remote {
        reports: Vec::new(),
        files: Vec::new(),
        unsendable: Vec::new(),
        requests: 0,
        bytes: 0,
    };
    if urls.is_empty() {
        return out;
    }
    let opts = super::remote::options(args, ProbeLimits::default(), 0);
    let rt = match super::remote::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            for u in urls {
                out.reports.push(refusal(
                    &u,
                    &format!("cannot start the network runtime: {e}"),
                    profile,
                ));
            }
            return out;
        }
    };
    rt.block_on(async {
        use futures::StreamExt;
        let stores = Stores::new(&opts).ok();
        let mut s = check_all_against(urls, vec![profile.clone()], opts.clone());
        while let Some(c) = s.next().await {
            out.requests += u64::from(c.stats.requests);
            out.bytes += c.stats.bytes;
            let r = c.report;
            let passed = r.verdict == preflight::Verdict::Pass;
            let estimated = r.warnings.iter().any(|w| w.rule == Rule::FileEstimated);
            if let (true, Err(e)) = (passed, CheckedFile::from_report(&r)) {
                out.unsendable.push((r.path.clone(), e.to_string()));
            } else if passed && estimated {
                out.unsendable.push((
                    r.path.clone(),
                    "its duration was estimated (--mp3-scan estimate), not measured: upload only what was checked exactly (leave --mp3-scan at full)".into(),
                ));
            } else if passed {
                let url = Url::parse(&r.path.to_string_lossy()).ok();
                let send = match (&url, &stores, presign) {
                    (Some(u), _, _) if matches!(u.scheme(), "http" | "https") => Ok(u.to_string()),
                    (Some(u), Some(st), Some(d)) => st
                        .presign_get(u, d)
                        .await
                        .map(|p| p.to_string())
                        .map_err(|e| e.to_string()),
                    _ => Err("no URL to give the service".to_string()),
                };
                let v = Validators::new(c.stats.etag, c.stats.last_modified, c.stats.size);
                match send.and_then(|s| {
                    CheckedFile::from_remote_report(&r, &s, v).map_err(|e| e.to_string())
                }) {
                    Ok(f) => out.files.push(f),
                    Err(why) => out.unsendable.push((r.path.clone(), why)),
                }
            }
            out.reports.push(r);
        }
    });
    out.reports.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.sort_by(|a, b| a.path().cmp(b.path()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presign_durations() {
        assert_eq!(parse_presign("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_presign("90m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_presign("3600"), Ok(Duration::from_secs(3_600)));
        assert_eq!(parse_presign("7d"), Ok(MAX_PRESIGN));
        for bad in [
            "8d",
            "169h",
            "0s",
            "h",
            "24x",
            "-1h",
            "99999999999999999999d",
        ] {
            assert!(parse_presign(bad).is_err(), "{bad}");
        }
        assert!(parse_presign("8d").unwrap_err().contains("7 days"));
    }
}
