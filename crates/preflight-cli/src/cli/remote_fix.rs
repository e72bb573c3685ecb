//! Remote inputs of `fix`: each object is checked by range (as `check`
//! reads it); only one that fails and that the repair plan can repair is
//! downloaded — whole, at most [`cap`] bytes, into a private temporary
//! folder removed afterwards — repaired into `--out` and re-checked.
//! Objects that pass, or cannot be repaired, cost only their header reads.

use super::remote::RemoteArgs;
use preflight::{FileReport, Kind, ProbeLimits, Profile, Verdict};
use preflight_fix::{fix_path_with, plan, FixOptions, FixReport, FixRunOptions, FixStatus};
use preflight_remote::{check_all_against, Stores};
use std::path::{Path, PathBuf};
use url::Url;

/// The repair budget's input size: no download is larger.
const MAX_DOWNLOAD: u64 = 1_000_000_000;
/// The cap when the profile sets no size limit for the kind.
const NO_LIMIT_CAP: u64 = 256_000_000;

/// The most bytes downloaded to repair one remote object of `kind`: 4 × the
/// profile's size limit for the kind (a file over the limit is often
/// repaired by re-encoding it, so the cap must exceed it), 256 MB when the
/// profile sets none, never above the repair budget's 1 GB input.
pub fn cap(profile: &Profile, kind: Kind) -> u64 {
    let limit = match kind {
        Kind::Image => profile.image.max_bytes,
        Kind::Video => profile.video.max_bytes,
        Kind::Audio => profile.audio.max_bytes,
        _ => u64::MAX,
    };
    let c = if limit == u64::MAX {
        NO_LIMIT_CAP
    } else {
        limit.saturating_mul(4)
    };
    c.min(MAX_DOWNLOAD)
}

/// Where the repaired copy of `url` goes under `out`: the host (or
/// bucket), then the path's segments, each percent-decoded and made safe
/// (no `..`, no separators), as `fix` mirrors a local tree.
pub fn mirrored(url: &Url) -> PathBuf {
    let safe = |s: &str| -> String {
        let s: String = s
            .chars()
            .map(|c| {
                if c == '/' || c == '\\' || c == '\0' || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        match s.as_str() {
            "" | "." | ".." => format!("_{s}"),
            _ => s,
        }
    };
    let mut p = PathBuf::from(safe(url.host_str().unwrap_or("host")));
    for seg in url.path_segments().into_iter().flatten() {
        if seg.is_empty() {
            continue;
        }
        let dec = percent_decode(seg);
        p.push(safe(&dec));
    }
    p
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn not_repaired(path: &Path, report: &FileReport, reason: String) -> FixReport {
    let mut r = FixReport::for_path(path, FixStatus::NotRepaired);
    r.reason = Some(reason);
    r.rules = report.violations.iter().map(|v| v.rule.id()).collect();
    r
}

/// Checks `urls`, downloads and repairs what fails and can be repaired,
/// calling `on_done` with each report as it is made.
pub fn fix(
    urls: Vec<Url>,
    out: &Path,
    profile: &Profile,
    args: &RemoteArgs,
    opts: &FixOptions,
    run: &FixRunOptions,
    on_done: &(dyn Fn(&FixReport) + Sync),
) -> Vec<FixReport> {
    let mut reports = Vec::new();
    if urls.is_empty() {
        return reports;
    }
    let ropts = super::remote::options(args, ProbeLimits::default(), 0);
    let rt = match super::remote::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            for u in urls {
                let mut r = FixReport::for_path(Path::new(u.as_str()), FixStatus::NotRepaired);
                r.reason = Some(format!("cannot start the network runtime: {e}"));
                on_done(&r);
                reports.push(r);
            }
            return reports;
        }
    };
    let checked: Vec<_> = rt.block_on(async {
        use futures::StreamExt;
        check_all_against(urls, vec![profile.clone()], ropts.clone())
            .collect()
            .await
    });
    let stores = Stores::new(&ropts).ok();
    let mut checked = checked;
    checked.sort_by(|a, b| a.report.path.cmp(&b.report.path));
    for c in checked {
        let r = one(
            &rt,
            stores.as_ref(),
            &c.report,
            &c.stats,
            out,
            profile,
            opts,
            run,
        );
        on_done(&r);
        reports.push(r);
    }
    reports
}

#[allow(clippy::too_many_arguments)]
fn one(
    rt: &tokio::runtime::Runtime,
    stores: Option<&Stores>,
    rep: &FileReport,
    stats: &preflight_remote::FetchStats,
    out: &Path,
    profile: &Profile,
    opts: &FixOptions,
    run: &FixRunOptions,
) -> FixReport {
    let path = rep.path.as_path();
    let Some(info) = rep.info.as_ref().filter(|_| rep.verdict != Verdict::Error) else {
        let why = rep
            .violations
            .first()
            .map(|v| v.message.clone())
            .unwrap_or_else(|| "could not be measured".into());
        return not_repaired(path, rep, why);
    };
    let p = plan(info, profile, opts);
    if rep.verdict == Verdict::Pass && !run.all {
        return FixReport::for_path(path, FixStatus::Passed);
    }
    if let Some(why) = p.not_repairable_reason() {
        return not_repaired(path, rep, format!("{why} (not downloaded)"));
    }
    let Ok(url) = Url::parse(&path.to_string_lossy()) else {
        return not_repaired(path, rep, "not a URL".into());
    };
    let target = out.join(mirrored(&url));
    if run.dry_run {
        let mut r = FixReport::for_path(path, FixStatus::Planned);
        r.output = Some(target);
        r.actions = vec![p.to_string()];
        r.plan = Some(p);
        r.rules = rep.violations.iter().map(|v| v.rule.id()).collect();
        return r;
    }
    let size = stats.size.unwrap_or(info.bytes);
    let cap = cap(profile, info.kind);
    if size > cap {
        return not_repaired(
            path,
            rep,
            format!(
                "not downloaded: {size} bytes is more than the {cap}-byte cap for repairing a remote {} (4 × the profile's size limit, at most 1 GB)",
                info.kind.as_str()
            ),
        );
    }
    let Some(stores) = stores else {
        return not_repaired(path, rep, "cannot set up the network client".into());
    };
    // A private folder (0700), removed when this function returns.
    let dir = match tempfile::Builder::new()
        .prefix("preflight-remote-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => return not_repaired(path, rep, format!("cannot make a temporary folder: {e}")),
    };
    let name = mirrored(&url)
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("object"));
    let input = dir.path().join(name);
    let got = (|| {
        let mut f = std::fs::File::create(&input).map_err(|e| e.to_string())?;
        let n = rt
            .block_on(stores.download(&url, stats.etag.as_deref(), cap, &mut f))
            .map_err(|e| e.to_string())?;
        f.sync_all().map_err(|e| e.to_string())?;
        Ok::<u64, String>(n)
    })();
    let n = match got {
        Ok(n) => n,
        Err(e) => return not_repaired(path, rep, format!("cannot download: {e}")),
    };
    if let Some(parent) = target.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return not_repaired(path, rep, format!("cannot make {}: {e}", parent.display()));
        }
    }
    let mut r = fix_path_with(&input, &target, profile, opts, run);
    r.path = path.to_path_buf();
    r.actions.insert(0, format!("downloaded {n} bytes"));
    r
}
