//! Per-file reports and the run summary, in the JSON shape of SPEC §4.

use crate::check::{self, Report, Verdict, Violation};
use crate::error::Error;
use crate::info::{Format, MediaInfo};
use crate::profile::Profile;
use crate::rule::{Measure, Rule};
use crate::sniff;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything known about one checked file. Serializes (feature `serde`)
/// to the per-file object of SPEC §4.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FileReport {
    /// The path as given or found while walking.
    pub path: PathBuf,
    /// What the probe found; `None` when the file could not be read or parsed.
    pub info: Option<MediaInfo>,
    /// Size in bytes, when known (also for unreadable-but-present files).
    pub bytes: Option<u64>,
    /// The format judged from the first bytes when the file could not be
    /// measured (`info` is `None`); else `None` (see `info.format`).
    pub format: Option<Format>,
    /// Pass, fail or error.
    pub verdict: Verdict,
    /// Broken rules (for an error: the `file.*` rule that says why).
    pub violations: Vec<Violation>,
    /// Warnings.
    pub warnings: Vec<Violation>,
    /// The name of the profile the file was judged against (the first one
    /// when there are several).
    pub profile: Option<String>,
    /// With several profiles: each one's judgement, in the order given. The
    /// top-level `verdict` is then the worst of them, and `violations` and
    /// `warnings` hold every distinct one. Empty with a single profile.
    pub judgements: Vec<Judgement>,
}

/// One profile's judgement of a file, when a file is judged against several.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Judgement {
    /// The profile's name.
    pub profile: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// The rules of this profile the file breaks.
    pub violations: Vec<Violation>,
    /// This profile's warnings.
    pub warnings: Vec<Violation>,
}

/// `file.extension_mismatch` when the name's extension is not one of the
/// measured format's.
fn extension_warning(ext: Option<&str>, info: &MediaInfo) -> Option<Violation> {
    if info.format == Format::Unknown
        || info.bytes == 0
        || sniff::extension_matches(info.format, ext)
    {
        return None;
    }
    Some(Violation::new(
        Rule::FileExtensionMismatch,
        ext.map(Measure::from),
        Some(Measure::list(info.format.extensions())),
        format!(
            "the extension .{} does not match the content, which is {}",
            ext.unwrap_or(""),
            info.format.name().to_uppercase()
        ),
    ))
}

/// Error outranks fail, which outranks pass.
fn worst(a: Verdict, b: Verdict) -> Verdict {
    let rank = |v: Verdict| match v {
        Verdict::Pass => 0,
        Verdict::Fail => 1,
        Verdict::Error => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

fn push_distinct(into: &mut Vec<Violation>, v: &Violation) {
    if !into.contains(v) {
        into.push(v.clone());
    }
}

impl FileReport {
    /// The report of a file that was measured and checked.
    pub fn checked(path: impl Into<PathBuf>, info: MediaInfo, report: Report) -> FileReport {
        FileReport {
            path: path.into(),
            bytes: Some(info.bytes),
            format: None,
            verdict: report.verdict(),
            info: Some(info),
            violations: report.violations,
            warnings: report.warnings,
            profile: None,
            judgements: Vec::new(),
        }
    }

    /// The report of a file measured once and judged against several
    /// profiles: `reports` holds each profile's name and report, in order.
    /// With one profile this is [`FileReport::checked`] with its name set.
    pub fn judged(
        path: impl Into<PathBuf>,
        info: MediaInfo,
        reports: Vec<(String, Report)>,
    ) -> FileReport {
        let mut reports = reports.into_iter();
        let Some((name, first)) = reports.next() else {
            return FileReport::checked(path, info, Report::default());
        };
        let rest: Vec<(String, Report)> = reports.collect();
        if rest.is_empty() {
            // One profile: its report is the file's, moved, not copied.
            let mut out = FileReport::checked(path, info, first);
            out.profile = Some(name);
            return out;
        }
        let mut out = FileReport::checked(path, info, first.clone());
        out.profile = Some(name.clone());
        out.judgements.push(Judgement {
            verdict: first.verdict(),
            profile: name,
            violations: first.violations,
            warnings: first.warnings,
        });
        for (profile, r) in rest {
            out.verdict = worst(out.verdict, r.verdict());
            for v in &r.violations {
                push_distinct(&mut out.violations, v);
            }
            for w in &r.warnings {
                push_distinct(&mut out.warnings, w);
            }
            out.judgements.push(Judgement {
                verdict: r.verdict(),
                profile,
                violations: r.violations,
                warnings: r.warnings,
            });
        }
        out
    }

    /// Sets whom an error report was judged for: `profiles` names every
    /// profile of the run (an error is an error under each).
    pub fn for_profiles<'a>(mut self, profiles: impl IntoIterator<Item = &'a str>) -> FileReport {
        let names: Vec<&str> = profiles.into_iter().collect();
        self.profile = names.first().map(|n| n.to_string());
        self.judgements.clear();
        if names.len() > 1 {
            for n in names {
                self.judgements.push(Judgement {
                    profile: n.to_string(),
                    verdict: self.verdict,
                    violations: self.violations.clone(),
                    warnings: self.warnings.clone(),
                });
            }
        }
        self
    }

    /// Adds a violation found outside the profile rules (a decode that
    /// failed, say) under every profile; `error` makes the verdict an error.
    pub fn add_violation(&mut self, v: Violation, error: bool) {
        let verdict = if error { Verdict::Error } else { Verdict::Fail };
        for j in &mut self.judgements {
            j.violations.push(v.clone());
            j.verdict = worst(j.verdict, verdict);
        }
        self.violations.push(v);
        self.verdict = worst(self.verdict, verdict);
    }

    /// Adds a warning under every profile.
    pub fn add_warning(&mut self, w: Violation) {
        for j in &mut self.judgements {
            j.warnings.push(w.clone());
        }
        self.warnings.push(w);
    }

    /// Each profile's name and verdict: the judgements when there are
    /// several, else the single profile (when named) and the verdict.
    pub fn verdicts(&self) -> Vec<(&str, Verdict)> {
        self.each_verdict().collect()
    }

    /// [`FileReport::verdicts`], one at a time (nothing allocated).
    fn each_verdict(&self) -> impl Iterator<Item = (&str, Verdict)> {
        let single = match self.judgements.is_empty() {
            true => self.profile.as_deref(),
            false => None,
        };
        self.judgements
            .iter()
            .map(|j| (j.profile.as_str(), j.verdict))
            .chain(single.map(|p| (p, self.verdict)))
    }

    /// The names of the profiles under which `v` (one of `violations` or
    /// `warnings`) applies, when there are several profiles.
    pub fn profiles_of(&self, v: &Violation) -> Vec<&str> {
        self.judgements
            .iter()
            .filter(|j| j.violations.contains(v) || j.warnings.contains(v))
            .map(|j| j.profile.as_str())
            .collect()
    }

    /// The report of a file that could not be measured (verdict
    /// [`Verdict::Error`]); `bytes` when its size is known.
    pub fn error(path: &Path, bytes: Option<u64>, why: Violation) -> FileReport {
        FileReport {
            path: path.to_path_buf(),
            info: None,
            bytes,
            format: None,
            verdict: Verdict::Error,
            violations: vec![why],
            warnings: Vec::new(),
            profile: None,
            judgements: Vec::new(),
        }
    }

    /// The report of one probe's outcome, as `preflight check` gives it for
    /// a file of `bytes` bytes found at `path`: a measurement is checked
    /// against `profile` (with the `file.extension_mismatch` warning when
    /// the extension of `path` does not fit the content); an error becomes
    /// verdict [`Verdict::Error`] under the rule that says why.
    ///
    /// For an error, `head` (the first [`SNIFF_LEN`](crate::SNIFF_LEN)
    /// bytes, when the caller has them) names the format judged from the
    /// first bytes; `None` leaves it unknown.
    ///
    /// The one place that turns a probe into a report: the folder walk
    /// (feature `fs`) and the browser binding both call it, so that their
    /// reports are the same for the same file.
    pub fn probed(
        path: impl Into<PathBuf>,
        bytes: u64,
        probed: crate::error::Result<MediaInfo>,
        head: Option<&[u8]>,
        profile: &Profile,
    ) -> FileReport {
        let path = path.into();
        let ext = path.extension().and_then(|e| e.to_str());
        let sniffed = || head.map(sniff::classify).filter(|f| *f != Format::Unknown);
        let profiles = std::slice::from_ref(profile);
        check_probed_against(&path, ext, Some(bytes), probed, sniffed, profiles)
    }

    /// The report of one probe's outcome for a file named `path` of `len`
    /// bytes (`None` for a stream of unknown length), against `profile`;
    /// `sniffed` (called only on an error) gives the format judged from the
    /// first bytes. The same as [`FileReport::probed`], for callers that
    /// sniff lazily (the Python binding's streams).
    pub fn from_probe(
        path: impl Into<PathBuf>,
        len: Option<u64>,
        probed: Result<MediaInfo, Error>,
        profile: &Profile,
        sniffed: impl FnOnce() -> Option<Format>,
    ) -> FileReport {
        let path = path.into();
        let ext = path.extension().and_then(|e| e.to_str());
        let profiles = std::slice::from_ref(profile);
        check_probed_against(&path, ext, len, probed, sniffed, profiles)
    }

    /// The path as text for reports (lossy for non-UTF-8 names).
    pub fn path_str(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

/// The report of a file of `bytes` bytes (`None`: a stream of unknown
/// length) whose probe gave `result`, judged against each of `profiles` (see
/// [`FileReport::judgements`]) with the extension `ext` compared to the
/// content; or the error report that says why it could not be measured
/// (`sniffed`, called only then, tells what the file is from its first
/// bytes, SPEC §4). The one place a probe becomes a report: local files,
/// Blob ranges, Python streams and URLs (with the extension of the URL's
/// path) all end here.
pub fn check_probed_against(
    path: &Path,
    ext: Option<&str>,
    bytes: Option<u64>,
    result: crate::Result<MediaInfo>,
    sniffed: impl FnOnce() -> Option<Format>,
    profiles: &[Profile],
) -> FileReport {
    let names = profiles.iter().map(|p| p.name.as_str());
    let info = match result {
        Ok(info) => info,
        Err(e) => {
            let rule = e.rule();
            let msg = match &e {
                Error::Io(io) => format!("cannot read: {io}"),
                Error::Unsupported { .. } => format!("cannot be measured: {e}"),
                Error::Limit { .. } | Error::Incomplete { .. } => e.to_string(),
                other => format!("headers could not be parsed: {other}"),
            };
            let mut report = FileReport::error(path, bytes, Violation::new(rule, None, None, msg));
            // What the file is stays known though it could not be measured (SPEC §4).
            report.format = sniffed();
            return report.for_profiles(names);
        }
    };
    let mismatch = extension_warning(ext, &info);
    let reports = profiles
        .iter()
        .map(|p| {
            let mut r = check::check(&info, p);
            r.warnings.extend(mismatch.iter().cloned());
            (p.name.clone(), r)
        })
        .collect();
    FileReport::judged(path, info, reports)
}

#[cfg(feature = "serde")]
fn round(v: f64, places: i32) -> f64 {
    let m = 10f64.powi(places);
    (v * m).round() / m
}

#[cfg(feature = "serde")]
impl serde::Serialize for FileReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use crate::info::Kind;
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("path", &self.path.to_string_lossy())?;
        let info = self.info.as_ref();
        let format = info.map(|i| i.format).or(self.format);
        m.serialize_entry("kind", &format.map_or(Kind::Unknown, |f| f.kind()))?;
        m.serialize_entry("format", &format.map(|f| f.name()))?;
        m.serialize_entry("bytes", &info.map(|i| i.bytes).or(self.bytes))?;
        if let Some(i) = info {
            let opt = |x: Option<f64>| x.map(|v| round(v, 6));
            if i.width.is_some() {
                m.serialize_entry("width", &i.width)?;
                m.serialize_entry("height", &i.height)?;
            }
            if let Some(r) = i.rotation {
                m.serialize_entry("rotation", &r)?;
            }
            if let Some(d) = i.duration_s {
                m.serialize_entry("duration_s", &round(d, 6))?;
            }
            if let Some(d) = i.duration_gapless_s {
                m.serialize_entry("duration_gapless_s", &round(d, 6))?;
            }
            if i.fps.is_some() || i.kind == Kind::Video {
                m.serialize_entry("fps", &opt(i.fps.map(|f| f.to_f64())))?;
                m.serialize_entry("fps_min", &opt(i.fps_min.map(|f| f.to_f64())))?;
                m.serialize_entry("fps_max", &opt(i.fps_max.map(|f| f.to_f64())))?;
                m.serialize_entry("vfr", &i.vfr)?;
            }
            if let Some(f) = i.frames {
                m.serialize_entry("frames", &f)?;
            }
            if let Some(c) = &i.codec {
                m.serialize_entry("codec", c)?;
            }
            if let Some(a) = &i.audio_codec {
                m.serialize_entry("audio_codec", a)?;
            }
            if let Some(sr) = i.sample_rate {
                m.serialize_entry("sample_rate", &sr)?;
            }
            if let Some(ch) = i.channels {
                m.serialize_entry("channels", &ch)?;
            }
            if let Some(sar) = i.sar {
                m.serialize_entry("sar", &format!("{}:{}", sar.num, sar.den))?;
                m.serialize_entry("display_width", &i.display_width)?;
                m.serialize_entry("display_height", &i.display_height)?;
            }
        }
        if self.judgements.is_empty() {
            if let Some(p) = &self.profile {
                m.serialize_entry("profile", p)?;
            }
        }
        m.serialize_entry("verdict", &self.verdict)?;
        if self.judgements.is_empty() {
            m.serialize_entry("violations", &self.violations)?;
            m.serialize_entry("warnings", &self.warnings)?;
        } else {
            m.serialize_entry("verdicts", &Verdicts(self))?;
            m.serialize_entry("violations", &tagged(self, &self.violations))?;
            m.serialize_entry("warnings", &tagged(self, &self.warnings))?;
        }
        m.end()
    }
}

/// `{"profile": "verdict", ...}` in the order the profiles were given.
#[cfg(feature = "serde")]
struct Verdicts<'a>(&'a FileReport);

#[cfg(feature = "serde")]
impl serde::Serialize for Verdicts<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.judgements.len()))?;
        for (name, verdict) in self.0.verdicts() {
            m.serialize_entry(name, &verdict)?;
        }
        m.end()
    }
}

#[cfg(feature = "serde")]
fn tagged<'a>(r: &'a FileReport, list: &'a [Violation]) -> Vec<Tagged<'a>> {
    list.iter()
        .map(|v| Tagged {
            v,
            profiles: r.profiles_of(v),
        })
        .collect()
}

/// A violation with the profiles it applies under.
#[cfg(feature = "serde")]
#[derive(serde::Serialize)]
struct Tagged<'a> {
    #[serde(flatten)]
    v: &'a Violation,
    profiles: Vec<&'a str>,
}

/// Counts over a run.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Summary {
    /// Files checked.
    pub files: u64,
    /// Files that passed.
    pub passed: u64,
    /// Files that failed a rule.
    pub failed: u64,
    /// Files that could not be read or parsed.
    pub errors: u64,
    /// Wall-clock seconds for the run.
    pub elapsed_s: f64,
    /// How many files broke each rule (violations and warnings).
    pub rules: BTreeMap<Rule, u64>,
    /// The profiles judged against, with their source and counts, in the
    /// order given.
    pub profiles: Vec<ProfileSummary>,
}

/// One profile of a run: what it is, where its figures come from, and how
/// the files fared under it.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ProfileSummary {
    /// The profile's name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Where its figures come from (a document's URL).
    pub source: String,
    /// When the figures were read.
    pub checked: String,
    /// Files that passed under it.
    pub passed: u64,
    /// Files that failed under it.
    pub failed: u64,
    /// Files that could not be measured.
    pub errors: u64,
}

impl Summary {
    /// An empty summary of a run against these profiles.
    pub fn for_profiles(profiles: &[crate::Profile]) -> Summary {
        Summary {
            profiles: profiles
                .iter()
                .map(|p| ProfileSummary {
                    name: p.name.clone(),
                    title: p.title.clone(),
                    source: p.source.clone(),
                    checked: p.checked.clone(),
                    ..ProfileSummary::default()
                })
                .collect(),
            ..Summary::default()
        }
    }

    /// Counts one report in.
    pub fn add(&mut self, r: &FileReport) {
        for (name, verdict) in r.each_verdict() {
            let i = match self.profiles.iter().position(|p| p.name == name) {
                Some(i) => i,
                None => {
                    self.profiles.push(ProfileSummary {
                        name: name.to_string(),
                        ..ProfileSummary::default()
                    });
                    self.profiles.len() - 1
                }
            };
            let p = &mut self.profiles[i];
            match verdict {
                Verdict::Pass => p.passed += 1,
                Verdict::Fail => p.failed += 1,
                Verdict::Error => p.errors += 1,
            }
        }
        self.files += 1;
        match r.verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
            Verdict::Error => self.errors += 1,
        }
        for v in r.violations.iter().chain(&r.warnings) {
            *self.rules.entry(v.rule).or_default() += 1;
        }
    }

    /// Counts another summary's files in: the sum of two parts of a run
    /// (say, each worker's of `check_paths_with`).
    /// Profiles are matched by name; one only `other` has is added at the
    /// end. `elapsed_s` is left as it is: the parts ran side by side.
    pub fn merge(&mut self, other: Summary) {
        self.files += other.files;
        self.passed += other.passed;
        self.failed += other.failed;
        self.errors += other.errors;
        for (rule, n) in other.rules {
            *self.rules.entry(rule).or_default() += n;
        }
        for p in other.profiles {
            match self.profiles.iter_mut().find(|q| q.name == p.name) {
                Some(q) => {
                    q.passed += p.passed;
                    q.failed += p.failed;
                    q.errors += p.errors;
                }
                None => self.profiles.push(p),
            }
        }
    }
}
