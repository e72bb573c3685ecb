//! Size limits with real files padded at test time (sparse where the format
//! allows it): one byte under the limit passes, the limit itself fails.
//! Padding never changes what a reader sees: JPEG bytes after EOI, an MP4
//! `free` box, a WAV `JUNK` chunk, ID3v2 padding before the first MP3 frame.

use preflight::{check_path, ProbeLimits, Profile};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

fn rules_of(p: &Path) -> Vec<&'static str> {
    let r = check_path(p, &Profile::seedance2(), &ProbeLimits::default());
    assert!(r.info.is_some(), "{}: {:?}", p.display(), r.violations);
    r.violations.iter().map(|v| v.rule.id()).collect()
}

/// Copies `src` and grows it to `total` bytes with zeros (sparse).
fn zero_padded(dir: &Path, src: &str, total: u64) -> PathBuf {
    let dst = dir.join(format!(
        "{total}-{}",
        Path::new(src).file_name().unwrap().to_string_lossy()
    ));
    std::fs::copy(src, &dst).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&dst)
        .unwrap()
        .set_len(total)
        .unwrap();
    dst
}

/// Copies `src` and appends one box/chunk header of `kind` whose size covers
/// the rest of the file up to `total` bytes; the body is a sparse hole.
fn box_padded(dir: &Path, src: &str, total: u64, kind: &[u8; 4], little_endian: bool) -> PathBuf {
    let dst = dir.join(format!(
        "{total}-{}",
        Path::new(src).file_name().unwrap().to_string_lossy()
    ));
    std::fs::copy(src, &dst).unwrap();
    let len = std::fs::metadata(&dst).unwrap().len();
    let mut f = OpenOptions::new().append(true).open(&dst).unwrap();
    if little_endian {
        // RIFF chunk: id, then the body size (without the 8-byte header).
        f.write_all(kind).unwrap();
        f.write_all(&((total - len - 8) as u32).to_le_bytes())
            .unwrap();
    } else {
        // ISOBMFF box: size (with the header), then the type.
        f.write_all(&((total - len) as u32).to_be_bytes()).unwrap();
        f.write_all(kind).unwrap();
    }
    f.set_len(total).unwrap();
    dst
}

#[test]
fn image_size_is_strict_at_30_mb() {
    let dir = tempfile::tempdir().unwrap();
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/image/ok_1280x720.jpg"
    );
    assert!(rules_of(&zero_padded(dir.path(), src, 29_999_999)).is_empty());
    assert_eq!(
        rules_of(&zero_padded(dir.path(), src, 30_000_000)),
        ["image.size"]
    );
}

#[test]
fn video_size_is_strict_at_50_mb() {
    let dir = tempfile::tempdir().unwrap();
    for src in [
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_1280x720_30fps_5s.mp4"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_1280x720_30fps_5s_moov_end.mp4"
        ),
    ] {
        assert!(
            rules_of(&box_padded(dir.path(), src, 49_999_999, b"free", false)).is_empty(),
            "{src}"
        );
        assert_eq!(
            rules_of(&box_padded(dir.path(), src, 50_000_000, b"free", false)),
            ["video.size"],
            "{src}"
        );
    }
}

#[test]
fn audio_size_is_strict_at_15_mb() {
    let dir = tempfile::tempdir().unwrap();
    let wav = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/audio/ok_wav_pcm16_8k_mono_3s.wav"
    );
    assert!(rules_of(&box_padded(dir.path(), wav, 14_999_999, b"JUNK", true)).is_empty());
    assert_eq!(
        rules_of(&box_padded(dir.path(), wav, 15_000_000, b"JUNK", true)),
        ["audio.size"]
    );

    // MP3: ID3v2 padding in front of the frames (a tag's padding is zeros).
    let mp3 = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/audio/ok_mp3_cbr128_stereo_5s.mp3"
    ))
    .unwrap();
    for (total, want) in [(14_999_999u64, vec![]), (15_000_000, vec!["audio.size"])] {
        let body = total - 10 - mp3.len() as u64;
        let mut tag = b"ID3\x04\x00\x00".to_vec();
        tag.extend([21, 14, 7, 0].map(|s| ((body >> s) & 0x7F) as u8));
        let dst = dir.path().join(format!("{total}.mp3"));
        let mut f = std::fs::File::create(&dst).unwrap();
        f.write_all(&tag).unwrap();
        f.set_len(10 + body).unwrap();
        drop(f);
        let mut f = OpenOptions::new().append(true).open(&dst).unwrap();
        f.write_all(&mp3).unwrap();
        drop(f);
        assert_eq!(std::fs::metadata(&dst).unwrap().len(), total);
        assert_eq!(rules_of(&dst), want);
        // The duration is still exact behind 15 MB of tag.
        let info = check_path(&dst, &Profile::seedance2(), &ProbeLimits::default())
            .info
            .unwrap();
        assert!((info.duration_s.unwrap() - 5.041633).abs() < 0.001);
    }
}
