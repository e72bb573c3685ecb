//! Inputs of the instruction-count benches (`benches/instructions.rs`): the
//! fixtures of `testdata/`, read into memory before a bench runs, so that
//! what is counted never touches the disk.

use std::path::PathBuf;

/// The path of a fixture, `rel` being relative to `testdata/`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// The whole fixture.
///
/// # Panics
/// When it cannot be read: a bench without its input must not pass.
pub fn read(rel: &str) -> Vec<u8> {
    let path = fixture(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture's first [`preflight::SNIFF_LEN`] bytes (or all of it), what
/// the sniffer is given.
pub fn head(rel: &str) -> Vec<u8> {
    let mut b = read(rel);
    b.truncate(preflight::SNIFF_LEN);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_is_the_start_of_the_file_cut_at_the_sniff_length() {
        let whole = read("video/ok_1280x720_30fps_5s.mp4");
        let h = head("video/ok_1280x720_30fps_5s.mp4");
        assert_eq!(h.len(), whole.len().min(preflight::SNIFF_LEN));
        assert_eq!(h[..], whole[..h.len()]);
        assert_eq!(preflight::sniff(&h), preflight::Format::Mp4);
    }
}
