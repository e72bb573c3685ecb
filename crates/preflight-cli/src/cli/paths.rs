//! The paths a command is given: `--files-from FILE|-`, duplicates and
//! nested roots, and how many workers a batch gets.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Most worker threads `--jobs` accepts; a larger number is a usage error.
pub const MAX_JOBS: usize = 1024;
/// Workers per core at most: checking waits on the disk, so a few more
/// threads than cores help on a slow or network file system, and many more
/// only cost memory and start-up time.
pub const JOBS_PER_CORE: usize = 8;

/// `--jobs N`: 0 (one per core) up to [`MAX_JOBS`].
pub fn parse_jobs(s: &str) -> Result<usize, String> {
    let n: u128 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))?;
    if n > MAX_JOBS as u128 {
        return Err(format!(
            "{n} is more than {MAX_JOBS} (0 means one per core; more than {JOBS_PER_CORE} per core are not used)"
        ));
    }
    Ok(n as usize)
}

/// The number of workers to start: `asked` (0 = one per core), at most
/// [`JOBS_PER_CORE`] per core, and at most one per path when every path is
/// a file (two files never need a thousand threads).
pub fn effective_jobs(asked: usize, cores: usize, roots: &[PathBuf]) -> usize {
    let cores = cores.max(1);
    let mut jobs = if asked == 0 { cores } else { asked };
    jobs = jobs.min(cores * JOBS_PER_CORE);
    if roots.len() < jobs && roots.iter().all(|p| !p.is_dir()) {
        jobs = roots.len();
    }
    jobs.max(1)
}

/// The paths of a `--files-from` list: separated by NUL when the list holds
/// one (`fd -0`, `find -print0`), else by newlines (a trailing `\r` is
/// dropped); empty entries are skipped. Bytes are taken as they are, so a
/// name that is not UTF-8 is kept (on Unix).
pub fn split_list(data: &[u8]) -> Vec<PathBuf> {
    let sep = if data.contains(&0) { 0 } else { b'\n' };
    data.split(|&b| b == sep)
        .map(|e| {
            if sep == b'\n' {
                e.strip_suffix(b"\r").unwrap_or(e)
            } else {
                e
            }
        })
        .filter(|e| !e.is_empty())
        .map(path_from_bytes)
        .collect()
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

/// Reads a `--files-from` list: `-` is standard input.
pub fn read_list(source: &Path) -> io::Result<Vec<PathBuf>> {
    let mut data = Vec::new();
    if source == Path::new("-") {
        io::stdin().lock().read_to_end(&mut data)?;
    } else {
        std::fs::File::open(source)?.read_to_end(&mut data)?;
    }
    Ok(split_list(&data))
}

/// Drops paths that would be checked twice: the same file or folder named
/// again (by canonical path: `media`, `./media`, a link to it), and a path
/// inside a folder that is also given (`media/image` beside `media`). A
/// file inside a given folder is kept when `filtered` (an `--include` or
/// `--exclude` might leave it out of the walk, and a named file is always
/// checked). Paths that do not exist are kept (once), to be reported.
/// The order of the first mention is kept.
pub fn dedupe_roots(roots: Vec<PathBuf>, filtered: bool) -> Vec<PathBuf> {
    let canon: Vec<(PathBuf, Option<PathBuf>, bool)> = roots
        .into_iter()
        .map(|p| {
            let c = std::fs::canonicalize(&p).ok();
            let dir = c.as_ref().is_some_and(|c| c.is_dir());
            (p, c, dir)
        })
        .collect();
    let dirs: Vec<&PathBuf> = canon
        .iter()
        .filter(|(_, _, d)| *d)
        .filter_map(|(_, c, _)| c.as_ref())
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (p, c, is_dir) in &canon {
        let key = c.clone().unwrap_or_else(|| p.clone());
        if !seen.insert(key.clone()) {
            continue;
        }
        if let Some(c) = c {
            let inside = dirs.iter().any(|d| c != *d && c.starts_with(d));
            if inside && (*is_dir || !filtered) {
                continue;
            }
        }
        out.push(p.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_bounded() {
        assert_eq!(parse_jobs("0"), Ok(0));
        assert_eq!(parse_jobs("1024"), Ok(1024));
        assert!(parse_jobs("100000").unwrap_err().contains("more than 1024"));
        assert!(parse_jobs("4294967296").is_err());
        assert!(parse_jobs("99999999999999999999999999999999999999999").is_err());
        assert!(parse_jobs("-1").is_err());
        let dir = tempfile::tempdir().unwrap();
        let d = vec![dir.path().to_path_buf()];
        assert_eq!(effective_jobs(0, 2, &d), 2);
        assert_eq!(effective_jobs(1000, 2, &d), 16);
        assert_eq!(effective_jobs(3, 2, &d), 3);
        let files = vec![PathBuf::from("a.jpg"), PathBuf::from("b.jpg")];
        assert_eq!(effective_jobs(1000, 2, &files), 2);
        assert_eq!(effective_jobs(0, 64, &files), 2);
    }

    #[test]
    fn lists_split_on_nul_or_newline() {
        assert_eq!(
            split_list(b"a.jpg\nb c.png\r\n\n"),
            [PathBuf::from("a.jpg"), PathBuf::from("b c.png")]
        );
        assert_eq!(
            split_list(b"a\nb.jpg\0c.png\0"),
            [PathBuf::from("a\nb.jpg"), PathBuf::from("c.png")]
        );
        assert!(split_list(b"").is_empty());
    }

    #[test]
    fn duplicates_and_nested_roots_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("media/image")).unwrap();
        std::fs::write(d.join("media/image/a.jpg"), b"x").unwrap();
        std::fs::write(d.join("b.jpg"), b"x").unwrap();
        let media = d.join("media");
        let got = dedupe_roots(
            vec![
                media.clone(),
                d.join("media/image"),
                d.join("media/./"),
                d.join("media/image/a.jpg"),
                d.join("b.jpg"),
                d.join("missing"),
                d.join("missing"),
            ],
            false,
        );
        assert_eq!(got, [media.clone(), d.join("b.jpg"), d.join("missing")]);
        // With filters, a named file inside a given folder stays.
        let got = dedupe_roots(vec![media.clone(), d.join("media/image/a.jpg")], true);
        assert_eq!(got.len(), 2);
    }
}
