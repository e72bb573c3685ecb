//! `ProbeLimits` is part of the API: every cap is enforced on real files and
//! reported as `Error::Limit` (rule `file.limit`, verdict error), never a panic or a hang.

use preflight::{probe_path, Error, LimitKind, ProbeLimits, Rule};
use std::path::Path;

fn probe_with(path: &str, limits: ProbeLimits) -> Result<preflight::MediaInfo, Error> {
    probe_path(Path::new(path), &limits)
}

#[test]
fn defaults_read_every_fixture_kind() {
    let l = ProbeLimits::default();
    for p in [
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/image/ok_1280x720.jpg"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/image/ok_heic_irot_1000x600.heic"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_mov_h264_aac_1280x720_5s.mov"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/audio/ok_mp3_vbr_noxing_10s.mp3"
        ),
    ] {
        probe_with(p, l.clone()).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

#[test]
fn bytes_read_budget() {
    let l = ProbeLimits::default().max_bytes_read(1000);
    // The MP4's moov sits after 1,000 bytes: the budget is spent first.
    let e = probe_with(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_1280x720_30fps_5s_moov_end.mp4"
        ),
        l.clone(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                kind: LimitKind::BytesRead,
                max: 1000,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.rule(), Rule::FileLimit);
    // An MP3 whose frame walk cannot finish is stopped by the limit too: a
    // partial frame count is never reported as a duration.
    let l = ProbeLimits::default().max_bytes_read(60_000);
    let e = probe_with(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/audio/ok_mp3_vbr_noxing_10s.mp3"
        ),
        l,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                kind: LimitKind::BytesRead,
                max: 60_000,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.rule(), Rule::FileLimit);
}

#[test]
fn box_depth() {
    let l = ProbeLimits::default().max_box_depth(3);
    // moov > trak > mdia > minf > stbl is five deep.
    let e = probe_with(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_1280x720_30fps_5s.mp4"
        ),
        l,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                kind: LimitKind::BoxDepth,
                max: 3,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn items_visited() {
    let l = ProbeLimits::default().max_items(5);
    for p in [
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_1280x720_30fps_5s.mp4"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/image/ok_gif_anim_3f_400x400.gif"
        ),
    ] {
        let e = probe_with(p, l.clone()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Limit {
                    kind: LimitKind::Items,
                    max: 5,
                    ..
                }
            ),
            "{p}: {e}"
        );
    }
    // fmt, LIST, data: three chunks.
    let l = ProbeLimits::default().max_items(2);
    let e = probe_with(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/audio/ok_wav_list_chunk_3s.wav"
        ),
        l,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                kind: LimitKind::Items,
                max: 2,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn table_entries() {
    // The VFR fixture's stts has several entries; a cap of 1 refuses it before reading them.
    let l = ProbeLimits::default().max_table_entries(1);
    let e = probe_with(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/video/ok_vfr_24_30_50fps_6s.mp4"
        ),
        l,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Limit {
                kind: LimitKind::TableEntries,
                max: 1,
                ..
            }
        ),
        "{e}"
    );
}
