//! Per-file reports and the run summary, in the JSON shape of SPEC §4.

use crate::check::{Report, Verdict, Violation};
use crate::info::{Format, MediaInfo};
use crate::rule::Rule;
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
        }
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
        }
    }

    /// The path as text for reports (lossy for non-UTF-8 names).
    pub fn path_str(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
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
        m.serialize_entry("verdict", &self.verdict)?;
        m.serialize_entry("violations", &self.violations)?;
        m.serialize_entry("warnings", &self.warnings)?;
        m.end()
    }
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
}

impl Summary {
    /// Counts one report in.
    pub fn add(&mut self, r: &FileReport) {
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
}
