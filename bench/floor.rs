//! The I/O floor for a batch check: open each file, read its first 64 KiB,
//! close it — on all cores — and nothing else. `preflight check` cannot be
//! faster than this on the same folder; bench/compare.sh reports the ratio.
//!
//! Built by bench/compare.sh with `rustc -O` (std only).
//! Usage: floor DIR [THREADS]   (THREADS defaults to one per core)

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            walk(&e.path(), out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: floor DIR [THREADS]");
    let mut files = Vec::new();
    walk(Path::new(&dir), &mut files);
    let next = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    let threads = match args.next() {
        Some(n) => n.parse().expect("THREADS is a number"),
        None => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    };
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = files.get(i) else { break };
                    if let Ok(mut f) = File::open(p) {
                        let mut got = 0;
                        while got < buf.len() {
                            match f.read(&mut buf[got..]) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => got += n,
                            }
                        }
                        bytes.fetch_add(got, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    println!("{} files, {} bytes read", files.len(), bytes.load(Ordering::Relaxed));
}
