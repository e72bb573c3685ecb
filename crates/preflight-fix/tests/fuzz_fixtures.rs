//! The bodies of the fuzz targets `fix_image` and `fix_audio` (see
//! `fuzz/README.md`), run on a stable toolchain over every image and audio
//! fixture, the hostile corpus, and cuts and bit flips of each: none may
//! panic or abort, with the budget on.

use preflight_fix::__fuzz::{fix_audio, fix_image};
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("md" | "py" | "sh" | "json")
            )
        })
        .collect();
    v.sort();
    v
}

/// The file whole, cut at a few lengths, and with single bits flipped at
/// positions spread over it (more of them in the headers); fewer of each
/// for a large file, whose decode dominates the time.
fn variants(data: &[u8]) -> Vec<Vec<u8>> {
    let n = data.len();
    let large = n > 64 * 1024;
    let mut out = vec![data.to_vec()];
    let cuts: &[usize] = if large {
        &[16, n / 2]
    } else {
        &[0, 1, 16, n / 3, n.saturating_sub(1)]
    };
    for &cut in cuts {
        if cut < n {
            out.push(data[..cut].to_vec());
        }
    }
    let (head, spread) = if large { (2, 2) } else { (6, 4) };
    let mut positions: Vec<usize> = (0..head).map(|i| i * 7 + 3).collect();
    positions.extend((1..=spread).map(|i| n * i / (spread + 1)));
    for (k, pos) in positions.into_iter().enumerate() {
        if pos < n {
            let mut v = data.to_vec();
            v[pos] ^= 1 << (k % 8);
            out.push(v);
        }
    }
    out
}

fn run_over(dir: &str, body: fn(&[u8])) -> usize {
    let mut n = 0;
    for path in files_in(&testdata().join(dir)) {
        let data = std::fs::read(&path).unwrap();
        for v in variants(&data) {
            let r = std::panic::catch_unwind(|| body(&v));
            assert!(
                r.is_ok(),
                "{} ({} bytes of {}) panicked",
                path.display(),
                v.len(),
                data.len()
            );
            n += 1;
        }
    }
    n
}

/// `body` over the fixtures of `kind` and the hostile corpus.
fn run_with_hostile(kind: &str, body: fn(&[u8])) {
    let n: usize = [kind, "hostile", "hostile/fix"]
        .into_iter()
        .map(|d| run_over(d, body))
        .sum();
    assert!(n > 200, "{n} inputs");
}

#[test]
fn fix_image_never_panics_on_fixtures_cuts_and_flips() {
    run_with_hostile("image", fix_image);
}

#[test]
fn fix_audio_never_panics_on_fixtures_cuts_and_flips() {
    run_with_hostile("audio", fix_audio);
}
