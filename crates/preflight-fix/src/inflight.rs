//! The temporary files and private folders of the repairs in flight, so
//! that an interrupted run (Ctrl-C, SIGTERM) removes them before exiting
//! ([`crate::stop`]): its drop handlers never run when the process exits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

#[derive(Debug, Default)]
pub(crate) struct Registry {
    /// Set by [`remove_all`]: anything registered after it is removed at once.
    stopping: bool,
    paths: HashMap<u64, PathBuf>,
}

fn registry() -> &'static Mutex<Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(Default::default)
}

fn remove(p: &Path) {
    if std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) {
        let _ = std::fs::remove_dir_all(p);
    } else {
        let _ = std::fs::remove_file(p);
    }
}

/// A temporary path registered while it exists (unregistered on drop; the
/// owner removes or renames it as usual).
#[derive(Debug)]
pub(crate) struct Tracked(u64, &'static Mutex<Registry>);

impl Tracked {
    /// Registers `path` (a file or a folder preflight just created).
    pub fn new(path: &Path) -> Tracked {
        Tracked::in_registry(path, registry())
    }

    fn in_registry(path: &Path, registry: &'static Mutex<Registry>) -> Tracked {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut r = registry.lock().unwrap_or_else(|e| e.into_inner());
        if r.stopping {
            remove(path);
        } else {
            r.paths.insert(id, path.to_path_buf());
        }
        Tracked(id, registry)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .paths
            .remove(&self.0);
    }
}

/// Removes every registered temporary file and folder, and any registered
/// from now on. Returns how many were removed.
pub(crate) fn remove_all() -> usize {
    remove_all_in(registry())
}

fn remove_all_in(registry: &Mutex<Registry>) -> usize {
    let mut r = registry.lock().unwrap_or_else(|e| e.into_inner());
    r.stopping = true;
    let paths: Vec<PathBuf> = r.paths.drain().map(|(_, p)| p).collect();
    for p in &paths {
        remove(p);
    }
    paths.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_paths_are_removed_and_dropped_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a.partial"),
            dir.path().join("b"),
            dir.path().join("c.partial"),
        );
        std::fs::write(&a, b"x").unwrap();
        std::fs::create_dir(&b).unwrap();
        std::fs::write(b.join("inner"), b"y").unwrap();
        std::fs::write(&c, b"z").unwrap();
        // A registry of its own: the process-wide one is never stopped here.
        let reg: &'static Mutex<Registry> = Box::leak(Box::default());
        let _ta = Tracked::in_registry(&a, reg);
        let _tb = Tracked::in_registry(&b, reg);
        drop(Tracked::in_registry(&c, reg));
        assert_eq!(remove_all_in(reg), 2);
        assert!(!a.exists() && !b.exists());
        assert!(c.exists(), "a path no longer in flight is not touched");
        // Registered after the stop: removed at once.
        std::fs::write(&a, b"x").unwrap();
        let _late = Tracked::in_registry(&a, reg);
        assert!(!a.exists());
    }
}
