//! The fixtures of `testdata/conformance/` (made by its `make.sh` with real
//! encoders): the readings SPEC §1 settles for files that third-party test
//! collections showed we read wrong. Each is compared with what ffprobe
//! recorded for it in `expected.json` (our own reading where SPEC §1 and
//! ffprobe differ) and with the verdict, rules and warnings SPEC §1 gives.

use preflight::{check_path, ProbeLimits, Profile, Verdict};
use serde_json::Value;
use std::path::Path;

#[test]
fn every_conformance_fixture_reads_as_spec_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/conformance");
    let rows: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    assert!(rows.len() >= 13);
    for row in &rows {
        let name = row["path"].as_str().unwrap();
        let r = check_path(
            &dir.join(name),
            &Profile::seedance2(),
            &ProbeLimits::default(),
        );
        let rules: Vec<&str> = r.violations.iter().map(|v| v.rule.id()).collect();
        let warnings: Vec<&str> = r.warnings.iter().map(|v| v.rule.id()).collect();
        let strs = |k: &str| -> Vec<&str> {
            row[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect()
        };
        assert_eq!(rules, strs("expect_rules"), "{name}: {:?}", r.violations);
        assert_eq!(warnings, strs("expect_warnings"), "{name}");
        let verdict = match row["expect_verdict"].as_str().unwrap() {
            "pass" => Verdict::Pass,
            "fail" => Verdict::Fail,
            _ => Verdict::Error,
        };
        assert_eq!(r.verdict, verdict, "{name}");
        let Some(info) = r.info else { continue };
        if let Some(f) = row["format"].as_str() {
            assert_eq!(info.format.name(), f, "{name}");
        }
        if !info.format.is_supported() {
            continue; // a type the service does not take is not measured
        }
        // Our reading where SPEC §1 differs from ffprobe, else ffprobe's.
        let want = |ours: &str, theirs: &str| row.get(ours).or_else(|| row.get(theirs)).cloned();
        if let Some(d) = want("duration_s", "ffprobe_duration_s").and_then(|v| v.as_f64()) {
            let got = info.duration_s.unwrap_or(f64::NAN);
            assert!((got - d).abs() <= 0.05, "{name}: duration {got} vs {d}");
        }
        if let Some(w) = row["ffprobe_width"].as_u64() {
            assert_eq!(info.width.map(u64::from), Some(w), "{name}: stored width");
            assert_eq!(
                info.height.map(u64::from),
                row["ffprobe_height"].as_u64(),
                "{name}"
            );
        }
        if let Some(dw) = row["display_width"].as_u64() {
            assert_eq!(info.display_width.map(u64::from), Some(dw), "{name}");
            assert_eq!(
                info.display_height.map(u64::from),
                row["display_height"].as_u64(),
                "{name}"
            );
            let sar = info.sar.unwrap();
            assert_eq!(
                format!("{}:{}", sar.num, sar.den),
                row["ffprobe_sar"].as_str().unwrap(),
                "{name}"
            );
        }
        if let Some(c) = row["codec"].as_str() {
            assert_eq!(info.codec.as_deref(), Some(c), "{name}");
        }
        if let Some(a) = want("audio_codec", "ffprobe_audio_codec") {
            assert_eq!(info.audio_codec.as_deref(), a.as_str(), "{name}");
        }
        for (ours, theirs) in [
            (info.sample_rate.map(u64::from), "ffprobe_sample_rate"),
            (info.channels.map(u64::from), "ffprobe_channels"),
        ] {
            if let Some(v) = row[theirs].as_u64() {
                assert_eq!(ours, Some(v), "{name}: {theirs}");
            }
        }
    }
}
