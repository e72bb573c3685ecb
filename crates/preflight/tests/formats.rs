//! Every fixture in testdata/ probed and checked, compared with the figures
//! that ffprobe/exiftool (or, where they are wrong, the truth) gave for it in
//! testdata/expected.json, and with the verdict and rules it was made for.

use preflight::{check_path, ProbeLimits, Profile, Verdict};
use serde_json::Value;
use std::path::Path;

fn expected() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/expected.json"
    ))
    .expect(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/expected.json"
    ));
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

#[test]
fn every_fixture_matches_the_manifest() {
    let profile = Profile::seedance2();
    let limits = ProbeLimits::default();
    let mut failures = Vec::new();
    let entries = expected();
    assert!(
        entries.len() >= 100,
        "manifest has {} entries",
        entries.len()
    );
    for e in &entries {
        let rel = e["path"].as_str().unwrap();
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(rel);
        let r = check_path(&path, &profile, &limits);
        let mut bad = |what: &str, got: String, want: String| {
            failures.push(format!("{rel}: {what}: got {got}, expected {want}"));
        };
        // Verdict and rules, exactly.
        let rules: Vec<&str> = e["expect_rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let want_verdict = if rules.contains(&"file.corrupt") {
            Verdict::Error
        } else if rules.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        if r.verdict != want_verdict {
            bad(
                "verdict",
                format!("{:?} {:?}", r.verdict, r.violations),
                format!("{want_verdict:?}"),
            );
        }
        let mut got_rules: Vec<&str> = r.violations.iter().map(|v| v.rule.id()).collect();
        got_rules.sort();
        let mut want_rules = rules.clone();
        want_rules.sort();
        if got_rules != want_rules {
            bad("rules", format!("{got_rules:?}"), format!("{want_rules:?}"));
        }
        let got_warn: Vec<&str> = r.warnings.iter().map(|v| v.rule.id()).collect();
        let want_warn: Vec<&str> = e["expect_warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if got_warn != want_warn {
            bad(
                "warnings",
                format!("{got_warn:?}"),
                format!("{want_warn:?}"),
            );
        }
        let Some(info) = &r.info else { continue };
        if info.kind.as_str() != e["kind"].as_str().unwrap() {
            bad("kind", info.kind.to_string(), e["kind"].to_string());
        }
        if let Some(fmt) = e["format"].as_str() {
            if info.format.name() != fmt {
                bad("format", info.format.name().into(), fmt.into());
            }
        }
        if info.bytes != e["bytes"].as_u64().unwrap() {
            bad("bytes", info.bytes.to_string(), e["bytes"].to_string());
        }
        if !info.format.is_supported() {
            // Types the service does not take are recognised, not probed.
            continue;
        }
        let opt_u = |x: Option<u64>| x.map_or("null".to_string(), |v| v.to_string());
        for (name, got) in [
            ("width", info.width.map(u64::from)),
            ("height", info.height.map(u64::from)),
            ("rotation", info.rotation.map(u64::from)),
            ("sample_rate", info.sample_rate.map(u64::from)),
            ("channels", info.channels.map(u64::from)),
            ("frames", info.frames),
        ] {
            let want = e[name].as_u64();
            if want.is_some() && got != want {
                bad(name, opt_u(got), e[name].to_string());
            }
        }
        if let Some(want) = f(&e["duration_s"]) {
            match info.duration_s {
                Some(d) if (d - want).abs() <= 0.05 => {}
                other => bad(
                    "duration_s (±50 ms)",
                    format!("{other:?}"),
                    want.to_string(),
                ),
            }
        }
        if let Some(want) = f(&e["fps"]) {
            match info.fps.map(|r| r.to_f64()) {
                Some(got) if (got - want).abs() <= 0.01 => {}
                other => bad("fps (±0.01)", format!("{other:?}"), want.to_string()),
            }
        }
        for (name, got) in [("fps_min", info.fps_min), ("fps_max", info.fps_max)] {
            if let Some(want) = f(&e[name]) {
                match got.map(|r| r.to_f64()) {
                    Some(got) if (got - want).abs() <= 0.01 => {}
                    other => bad(name, format!("{other:?}"), want.to_string()),
                }
            }
        }
        if let Some(want) = e["vfr"].as_bool() {
            if info.vfr != want {
                bad("vfr", info.vfr.to_string(), want.to_string());
            }
        }
        if let Some(want) = e["codec"].as_str() {
            if info.has_video != Some(false) && info.codec.as_deref() != Some(want) {
                bad("codec", format!("{:?}", info.codec), want.into());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_on_disk_is_in_the_manifest() {
    let listed: Vec<String> = expected()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    for dir in ["image", "video", "audio", "unsupported", "unknown"] {
        for entry in std::fs::read_dir(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata")).join(dir),
        )
        .unwrap()
        {
            let name = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(
                listed.contains(&name),
                "{name} is not in testdata/expected.json"
            );
        }
    }
}

#[test]
fn quicktime_without_ftyp_is_read_as_mov() {
    // Old QuickTime files start with moov/mdat/wide, no ftyp: drop the fixture's ftyp.
    let src = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/video/ok_mov_h264_aac_1280x720_5s.mov"
    ))
    .unwrap();
    assert_eq!(&src[4..8], b"ftyp");
    let ftyp_len = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("old.mov");
    std::fs::write(&p, &src[ftyp_len..]).unwrap();
    let r = check_path(&p, &Profile::seedance2(), &ProbeLimits::default());
    let info = r.info.expect("probed");
    assert_eq!(info.format.name(), "mov");
    assert_eq!((info.width, info.height), (Some(1280), Some(720)));
    assert!((info.duration_s.unwrap() - 5.0).abs() < 0.05);
    assert_eq!(r.verdict, Verdict::Pass);
}
