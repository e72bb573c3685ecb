//! A batch over a large generated folder gives, for every file, exactly the
//! report that checking the file alone gives.

use preflight::{check_path, check_paths, BatchOptions, FileReport, ProbeLimits, Profile};
use std::collections::BTreeMap;
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

#[test]
fn batch_verdicts_equal_single_file_verdicts() {
    let src = sources();
    let dir = tempfile::tempdir().unwrap();
    let n = 2000;
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
