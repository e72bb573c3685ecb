//! Issue 18: the third-party conformance corpus (`../shared/conformance`),
//! read by the `preflight` binary through the corpus's own `compare.py`.
//! Every disagreement with the peers must be classed, and none may be
//! PREFLIGHT WRONG. Rows the shared `classified.json` does not class yet
//! take this project's proposed class from `testdata/conformance/settled.json`
//! only while both readings are exactly the recorded ones.
//!
//! The test lives beside the binary (not in the core) because `compare.py`
//! runs `preflight check` as a user would.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

#[test]
fn conformance_corpus_has_no_wrong_or_unclassified_reading() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join("../shared/conformance");
    let script = corpus.join("compare.py");
    if !script.is_file() {
        eprintln!("skipped: {} is not beside the checkout", corpus.display());
        return;
    }
    let python = ["python3", "python"]
        .into_iter()
        .find(|p| Command::new(p).arg("--version").output().is_ok());
    let Some(python) = python else {
        eprintln!("skipped: no python3 to run compare.py");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out_json = tmp.path().join("rows.json");
    let out = Command::new(python)
        .arg(&script)
        .arg("--json")
        .arg(&out_json)
        .env("PREFLIGHT_BIN", env!("CARGO_BIN_EXE_preflight"))
        .current_dir(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "compare.py failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run: Value = serde_json::from_slice(&std::fs::read(&out_json).unwrap()).unwrap();
    let shared: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("classified.json")).unwrap()).unwrap();
    let settled: Value = serde_json::from_slice(
        &std::fs::read(root.join("testdata/conformance/settled.json")).unwrap(),
    )
    .unwrap();

    // No crash, panic or hang on any file.
    let results = run["results"].as_object().unwrap();
    assert!(
        results.len() >= 500,
        "only {} files were run",
        results.len()
    );
    for (name, r) in results {
        assert!(r["crash"].is_null(), "{name}: {}", r["crash"]);
    }
    let mut bad = Vec::new();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for row in run["rows"].as_array().unwrap() {
        let (file, field) = (row[0].as_str().unwrap(), row[1].as_str().unwrap());
        let key = format!("{file}|{field}");
        let class = match shared.get(&key).and_then(|c| c[0].as_str()) {
            Some(c) => c.to_string(),
            None => match settled.get(&key) {
                Some(s) if s["preflight"] == row[2] && s["reference"] == row[3] => {
                    s["class"].as_str().unwrap().to_string()
                }
                _ => "UNCLASSIFIED".to_string(),
            },
        };
        *counts.entry(class.clone()).or_default() += 1;
        if class == "PREFLIGHT WRONG" || class == "UNCLASSIFIED" {
            bad.push(format!(
                "{class}: {key}: preflight {} vs {}",
                row[2], row[3]
            ));
        }
    }
    eprintln!("conformance rows by class: {counts:?}");
    assert!(bad.is_empty(), "{}\n\n{text}", bad.join("\n"));
    // A settled row that no longer occurs is stale: say so, so that the
    // proposals stay true.
    let occurring: std::collections::HashSet<String> = run["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}|{}", r[0].as_str().unwrap(), r[1].as_str().unwrap()))
        .collect();
    let stale: Vec<&String> = settled
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('_') && !occurring.contains(*k))
        .collect();
    assert!(
        stale.is_empty(),
        "settled rows that no longer occur: {stale:?}"
    );
}
