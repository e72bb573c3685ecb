//! The asset-API client, the batch uploader and the `upload`, `groups`,
//! `assets` and `request` commands, against a fake service on 127.0.0.1.

mod support;

use preflight::Verdict;
use preflight::{FileReport, Format, MediaInfo, Report};
use preflight_api::upload::{
    upload_files, AssetFilter, AssetStatus, Client, ClientConfig, Manifest, Mode, Payload,
    RetryPolicy, Source, Timeouts, Token, UploadOptions,
};
use preflight_api::{CheckedFile, UploadError};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{FakeServer, Fault, PREFIX, TOKEN};

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(2))
        .max_delay(Duration::from_millis(10))
        .max_retry_after(Duration::from_secs(5))
}

fn config(server: &FakeServer) -> ClientConfig {
    let mut c = ClientConfig::new(server.url(), Token::new(TOKEN).unwrap());
    c.retry = fast_retry();
    c.timeouts = Timeouts::new(Duration::from_secs(2), Duration::from_secs(5));
    c.page_size = 3;
    c.poll_interval = Duration::from_millis(1);
    c
}

fn client(server: &FakeServer) -> Client {
    Client::new(config(server)).unwrap()
}

/// A passing report for a file written with `bytes`: the readers are not
/// needed to test the upload path.
fn checked(
    dir: &Path,
    name: &str,
    format: Format,
    bytes: &[u8],
    duration_s: Option<f64>,
) -> CheckedFile {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut info = MediaInfo::new(format, bytes.len() as u64);
    info.duration_s = duration_s;
    let report = FileReport::checked(path, info, Report::default());
    assert_eq!(report.verdict, Verdict::Pass);
    CheckedFile::from_report(&report).unwrap()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---------------------------------------------------------------- calls

#[test]
fn groups_are_created_found_with_or_without_prefix_and_listed_across_pages() {
    let s = FakeServer::start();
    let c = client(&s);
    assert_eq!(c.find_group("refs").unwrap(), None);
    let id = c.create_group("refs").unwrap();
    assert!(id.starts_with("group-"));
    assert_eq!(s.groups()[0].name, format!("{PREFIX}refs"));
    // Found by the chosen name and by the stored, prefixed one.
    assert_eq!(c.find_group("refs").unwrap().unwrap().id, id);
    assert_eq!(
        c.find_group(&format!("{PREFIX}refs")).unwrap().unwrap().id,
        id
    );
    assert_eq!(c.find_group("ref").unwrap(), None);
    // find_or_create never makes a second group of the same name.
    assert_eq!(c.find_or_create_group("refs").unwrap().id, id);
    assert_eq!(s.groups().len(), 1);
    for i in 0..7 {
        s.add_group(&format!("g{i}"));
    }
    let before = s.count("ListAssetGroups");
    let all = c.list_groups().unwrap();
    assert_eq!(all.len(), 8);
    assert_eq!(
        s.count("ListAssetGroups") - before,
        3,
        "page size 3 → 3 pages"
    );
    // Every call carried the token, the user agent and the group model.
    for r in s.seen() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            r.user_agent.as_deref(),
            Some(concat!("preflight/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(r.body["model"], "volc-asset");
    }
    // Two groups answering to one name (a race of two runs): the oldest is
    // used, and the other named, instead of failing every later run.
    s.with(|st| {
        st.groups.push(support::Group {
            id: "group-x".into(),
            name: "refs".into(),
        })
    });
    let g = c.find_group("refs").unwrap().unwrap();
    assert_eq!(
        (g.id.as_str(), g.also_named.clone()),
        (id.as_str(), vec!["group-x".to_string()])
    );
}

#[test]
fn assets_are_listed_across_pages_with_filters_and_fetched() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g1 = c.create_group("one").unwrap();
    let g2 = c.create_group("two").unwrap();
    let mut ids = Vec::new();
    for i in 0..7 {
        let f = checked(
            d.path(),
            &format!("p{i}.png"),
            Format::Png,
            format!("png{i}").as_bytes(),
            None,
        );
        let g = if i < 5 { &g1 } else { &g2 };
        ids.push(
            c.create_asset(g, &format!("p{i}"), Payload::Multipart(&f))
                .unwrap(),
        );
    }
    let all = c.list_assets(&AssetFilter::default()).unwrap();
    assert_eq!(all.len(), 7);
    let in_g1 = c
        .list_assets(&AssetFilter::new().group_id(g1.clone()))
        .unwrap();
    assert_eq!(
        in_g1.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        &ids[..5]
    );
    let sent = s
        .seen()
        .into_iter()
        .rfind(|r| r.action == "ListAssets")
        .unwrap();
    assert_eq!(sent.body["Filter"], json!({"GroupIds": [g1]}));
    assert_eq!(sent.body["PageSize"], 3);
    // Status filter.
    let a = c.get_asset(&ids[0]).unwrap();
    assert_eq!(a.status, AssetStatus::Processing);
    assert_eq!(a.asset_type, "Image");
    assert_eq!(a.name, "p0");
    assert_eq!(a.extra["ProjectName"], "default");
    c.get_asset(&ids[0]).unwrap(); // second poll: Active
    let active = c.list_assets(&AssetFilter::new().status("Active")).unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].id, ids[0]);
    // find_asset is exact on the name within the group.
    assert_eq!(c.find_asset(&g1, "p1").unwrap().unwrap().id, ids[1]);
    assert!(c.find_asset(&g2, "p1").unwrap().is_none());
    assert!(
        c.find_asset(&g1, "p").unwrap().is_none(),
        "the fake filter is fuzzy; the match is exact"
    );
    // An unknown id is the service's 404 message, at once.
    let before = s.count("GetAsset");
    let e = c.get_asset("asset-nope").unwrap_err();
    assert_eq!(s.count("GetAsset"), before + 1, "a 404 is not retried");
    assert_eq!(
        e.to_string(),
        "GetAsset: HTTP 404 NotFound: asset asset-nope not found (request req-fake-1)"
    );
}

#[test]
fn wait_active_polls_until_active_or_failed_or_timeout() {
    let s = FakeServer::start();
    s.with(|st| {
        st.polls_to_active = 3;
        st.fail_names_containing = Some("bad".into());
    });
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("w").unwrap();
    let f1 = checked(d.path(), "a.jpg", Format::Jpeg, b"aaaa", None);
    let f2 = checked(d.path(), "b.jpg", Format::Jpeg, b"bbbb", None);
    let ok = c.create_asset(&g, "good", Payload::Multipart(&f1)).unwrap();
    let bad = c.create_asset(&g, "bad", Payload::Multipart(&f2)).unwrap();
    let out = c
        .wait_active(&[ok.clone(), bad.clone()], Duration::from_secs(5))
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(
        (out[0].id.as_str(), &out[0].status),
        (ok.as_str(), &AssetStatus::Active)
    );
    assert_eq!(
        (out[1].id.as_str(), &out[1].status),
        (bad.as_str(), &AssetStatus::Failed)
    );
    assert_eq!(out[1].extra["Error"]["Code"], "ContentRejected");
    assert_eq!(
        s.count("GetAsset"),
        6,
        "three polls each, none after the final state"
    );
    // A timeout returns the last state seen.
    s.with(|st| st.polls_to_active = 1000);
    let f3 = checked(d.path(), "c.jpg", Format::Jpeg, b"cccc", None);
    let slow = c.create_asset(&g, "slow", Payload::Multipart(&f3)).unwrap();
    let out = c.wait_active(&[slow], Duration::from_millis(30)).unwrap();
    assert_eq!(out[0].status, AssetStatus::Processing);
}

// ------------------------------------------------------------ payloads

#[test]
fn multipart_streams_the_file_with_the_sniffed_mime_and_the_kind_model() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("m").unwrap();
    let cases = [
        (
            "shot.mov",
            Format::Mov,
            "Video",
            "volc-asset-video",
            "video/quicktime",
            "mov",
        ),
        (
            "shot.mp4",
            Format::Mp4,
            "Video",
            "volc-asset-video",
            "video/mp4",
            "mp4",
        ),
        (
            "take.mp3",
            Format::Mp3,
            "Audio",
            "volc-asset-audio",
            "audio/mpeg",
            "mp3",
        ),
        (
            "take.wav",
            Format::Wav,
            "Audio",
            "volc-asset-audio",
            "audio/wav",
            "wav",
        ),
        (
            "pic.webp",
            Format::Webp,
            "Image",
            "volc-asset",
            "image/webp",
            "webp",
        ),
        (
            "pic.heic",
            Format::Heic,
            "Image",
            "volc-asset",
            "image/heic",
            "heic",
        ),
    ];
    for (i, (file, format, ty, model, mime, ext)) in cases.iter().enumerate() {
        // 200 kB of non-text bytes, CR LF and "--" included.
        let bytes: Vec<u8> = (0..200_000u32)
            .map(|k| ((k * 7 + i as u32) % 256) as u8)
            .collect();
        let f = checked(d.path(), file, *format, &bytes, Some(3.0));
        let name = format!("n{i}");
        let id = c.create_asset(&g, &name, Payload::Multipart(&f)).unwrap();
        let r = s
            .seen()
            .into_iter()
            .rfind(|r| r.action == "CreateAsset")
            .unwrap();
        assert!(r
            .content_type
            .as_deref()
            .unwrap()
            .starts_with("multipart/form-data; boundary="));
        assert!(!r.chunked, "a known Content-Length is sent");
        assert!(r.content_length.unwrap() > bytes.len() as u64);
        assert_eq!(
            r.body,
            json!({"model": model, "GroupId": g, "Name": name, "AssetType": ty})
        );
        let up = r.upload.unwrap();
        assert_eq!(up.form, "multipart");
        assert_eq!(up.mime.as_deref(), Some(*mime));
        assert_eq!(up.filename, Some(format!("{name}.{ext}")));
        assert!(up.bytes == bytes, "{file}: the bytes arrive intact");
        let a = s.assets().into_iter().find(|a| a.id == id).unwrap();
        assert_eq!(a.asset_type, *ty);
    }
}

#[test]
fn data_uri_carries_the_sniffed_mime_never_png_for_a_non_png() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("d").unwrap();
    for (file, format, ty, model, mime) in [
        (
            "photo.png",
            Format::Jpeg,
            "Image",
            "volc-asset",
            "image/jpeg",
        ),
        ("x.png", Format::Png, "Image", "volc-asset", "image/png"),
        (
            "clip.mp4",
            Format::Mp4,
            "Video",
            "volc-asset-video",
            "video/mp4",
        ),
        (
            "voice.wav",
            Format::Wav,
            "Audio",
            "volc-asset-audio",
            "audio/wav",
        ),
        ("g.gif", Format::Gif, "Image", "volc-asset", "image/gif"),
    ] {
        let bytes = format!("content of {file}").repeat(50).into_bytes();
        let f = checked(d.path(), file, format, &bytes, None);
        c.create_asset(&g, file, Payload::DataUri(&f)).unwrap();
        let r = s
            .seen()
            .into_iter()
            .rfind(|r| r.action == "CreateAsset")
            .unwrap();
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(r.body["model"], model);
        assert_eq!(r.body["AssetType"], ty);
        let url = r.body["URL"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("data:{mime};base64,")),
            "{file}: {}",
            &url[..30]
        );
        let up = r.upload.unwrap();
        assert_eq!((up.form, up.bytes), ("data-uri", bytes));
    }
    // Too large for one 64 MB body: refused before anything is sent.
    let mut cfg = config(&s);
    cfg.max_body_bytes = 2000;
    let small = Client::new(cfg).unwrap();
    let f = checked(d.path(), "big.jpg", Format::Jpeg, &[7u8; 1600], None);
    let before = s.seen().len();
    assert!(matches!(
        small.create_asset(&g, "big", Payload::DataUri(&f)),
        Err(UploadError::TooLarge {
            bytes: 1600,
            max: 2000,
            ..
        })
    ));
    assert_eq!(s.seen().len(), before);
}

#[test]
fn url_payload_takes_type_and_model_from_the_checked_file() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("u").unwrap();
    let f = checked(d.path(), "v.mp4", Format::Mp4, b"movie", Some(4.0));
    c.create_asset(&g, "v", Payload::Url("https://example.com/v.mp4", &f))
        .unwrap();
    let r = s
        .seen()
        .into_iter()
        .rfind(|r| r.action == "CreateAsset")
        .unwrap();
    assert_eq!(
        r.body,
        json!({"model": "volc-asset-video", "GroupId": g, "Name": "v", "AssetType": "Video", "URL": "https://example.com/v.mp4"})
    );
}

#[test]
fn a_file_changed_after_its_check_is_not_sent() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("c").unwrap();
    let f = checked(d.path(), "a.jpg", Format::Jpeg, b"12345", None);
    std::fs::write(f.path(), b"123456").unwrap();
    assert!(matches!(
        c.create_asset(&g, "a", Payload::Multipart(&f)),
        Err(UploadError::Changed { .. })
    ));
    assert_eq!(s.count("CreateAsset"), 0);
}

// ---------------------------------------------------------------- faults

#[test]
fn a_429_is_retried_after_its_retry_after() {
    let s = FakeServer::start();
    let c = client(&s);
    s.fail_next(Some("ListAssetGroups"), Fault::TooMany(Some(1)));
    let t = Instant::now();
    assert!(c.list_groups().unwrap().is_empty());
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(s.count("ListAssetGroups"), 2);
    // A Retry-After beyond the client's patience ends the call.
    let mut cfg = config(&s);
    cfg.retry.max_retry_after = Duration::from_secs(2);
    let impatient = Client::new(cfg).unwrap();
    s.fail_next(None, Fault::TooMany(Some(3600)));
    let e = impatient.list_groups().unwrap_err();
    assert!(
        matches!(
            e,
            UploadError::RateLimited {
                retry_after_s: 3600,
                ..
            }
        ),
        "{e}"
    );
    // Without Retry-After, the backoff applies; after max_attempts the service's message shows.
    for _ in 0..4 {
        s.fail_next(None, Fault::TooMany(None));
    }
    let e = c.list_groups().unwrap_err();
    assert_eq!(
        e.to_string(),
        "ListAssetGroups: HTTP 429 TooManyRequests: slow down (request req-fake-1)"
    );
}

#[test]
fn server_errors_are_retried_and_bounded() {
    let s = FakeServer::start();
    let c = client(&s);
    s.fail_next(Some("CreateAssetGroup"), Fault::ServerError);
    s.fail_next(Some("CreateAssetGroup"), Fault::BadGateway);
    let g = c.create_group("r").unwrap();
    assert_eq!(s.groups().len(), 1);
    assert_eq!(s.count("CreateAssetGroup"), 3);
    for _ in 0..4 {
        s.fail_next(Some("GetAsset"), Fault::BadGateway);
    }
    let e = c.get_asset("asset-1").unwrap_err();
    assert_eq!(s.count("GetAsset"), 4, "max_attempts = 4");
    let msg = e.to_string();
    assert!(
        msg.starts_with("GetAsset: unexpected response (HTTP 502): <html>"),
        "{msg}"
    );
    let _ = g;
}

#[test]
fn other_client_errors_fail_at_once_with_the_service_message() {
    let s = FakeServer::start();
    let c = client(&s);
    s.fail_next(None, Fault::Status(403, "AccessDenied"));
    let e = c.create_group("x").unwrap_err();
    assert_eq!(s.count("CreateAssetGroup"), 1);
    match &e {
        UploadError::Api {
            status,
            code,
            message,
            ..
        } => assert_eq!(
            (*status, code.as_str(), message.as_str()),
            (403, "AccessDenied", "refused by fault injection")
        ),
        other => panic!("{other:?}"),
    }
    // A wrong model is the service's 400.
    let d = tmp();
    let g = c.create_group("x").unwrap();
    let f = checked(d.path(), "a.jpg", Format::Jpeg, b"1", None);
    s.fail_next(Some("CreateAsset"), Fault::Status(400, "InvalidParameter"));
    let e = c.create_asset(&g, "a", Payload::Multipart(&f)).unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert_eq!(s.count("CreateAsset"), 1);
}

#[test]
fn malformed_json_shows_status_and_the_start_of_the_body() {
    let s = FakeServer::start();
    let c = client(&s);
    s.fail_next(None, Fault::Malformed);
    let e = c.list_groups().unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("ListAssetGroups: unexpected response (HTTP 200): <html>xxx"),
        "{msg}"
    );
    match e {
        UploadError::Unexpected { body_start, .. } => {
            assert_eq!(
                body_start.chars().count(),
                201,
                "200 characters and an ellipsis"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.count("ListAssetGroups"),
        1,
        "a malformed 200 is not retried"
    );
}

#[test]
fn a_lost_reply_never_makes_a_duplicate_asset() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("lost").unwrap();
    let f = checked(d.path(), "a.jpg", Format::Jpeg, b"abc", None);
    s.fail_next(Some("CreateAsset"), Fault::DropAfter);
    let id = c.create_asset(&g, "a-1", Payload::Multipart(&f)).unwrap();
    let assets = s.assets();
    assert_eq!(assets.len(), 1, "created once");
    assert_eq!(assets[0].id, id);
    assert_eq!(
        s.count("CreateAsset"),
        1,
        "the retry found it by name instead of sending"
    );
    let lookup = s
        .seen()
        .into_iter()
        .find(|r| r.action == "ListAssets")
        .unwrap();
    assert_eq!(
        lookup.body["Filter"],
        json!({"Name": "a-1", "GroupIds": [g]})
    );
    // The same for a data URI and for a group.
    s.fail_next(Some("CreateAsset"), Fault::DropAfter);
    c.create_asset(&g, "a-2", Payload::DataUri(&f)).unwrap();
    assert_eq!(s.assets().len(), 2);
    s.fail_next(Some("CreateAssetGroup"), Fault::DropAfter);
    c.create_group("lost-too").unwrap();
    assert_eq!(s.groups().len(), 2);
    assert_eq!(s.count("CreateAssetGroup"), 2);
}

#[test]
fn a_reply_slower_than_the_timeout_never_makes_a_duplicate() {
    let s = FakeServer::start();
    let mut cfg = config(&s);
    cfg.timeouts.response = Duration::from_millis(300);
    let c = Client::new(cfg).unwrap();
    let d = tmp();
    let g = c.create_group("slow").unwrap();
    let f = checked(d.path(), "a.wav", Format::Wav, b"RIFF....", Some(3.0));
    s.fail_next(
        Some("CreateAsset"),
        Fault::SlowAfter(Duration::from_millis(1500)),
    );
    let t = Instant::now();
    let id = c.create_asset(&g, "a", Payload::Multipart(&f)).unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(1400),
        "did not wait for the slow reply"
    );
    assert_eq!(s.assets().len(), 1);
    assert_eq!(s.assets()[0].id, id);
    assert_eq!(s.count("CreateAsset"), 1);
}

#[test]
fn a_connection_refused_is_a_transport_error_after_every_attempt() {
    // A port that was just free: nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = ClientConfig::new(
        format!("http://127.0.0.1:{port}"),
        Token::new(TOKEN).unwrap(),
    );
    cfg.retry = fast_retry();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let l2 = Arc::clone(&lines);
    cfg.log = Some(Arc::new(move |s: &str| {
        l2.lock().unwrap().push(s.to_string())
    }));
    let c = Client::new(cfg).unwrap();
    let e = c.list_groups().unwrap_err();
    assert!(
        matches!(e, UploadError::Transport { attempts: 4, .. }),
        "{e}"
    );
    assert!(e.to_string().ends_with("(after 4 attempts)"), "{e}");
    assert_eq!(
        lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("→ POST"))
            .count(),
        4
    );
}

// ------------------------------------------------------------- the token

#[test]
fn the_token_never_appears_in_debug_errors_or_log_lines() {
    let s = FakeServer::start();
    s.with(|st| st.echo_auth = true);
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let l2 = Arc::clone(&lines);
    let mut cfg = config(&s);
    cfg.log = Some(Arc::new(move |s: &str| {
        l2.lock().unwrap().push(s.to_string())
    }));
    let c = Client::new(cfg.clone()).unwrap();
    let mut texts = vec![
        format!("{c:?}"),
        format!("{cfg:?}"),
        format!("{}", cfg.token),
    ];
    // Every kind of failure, with the relay echoing the Authorization header back.
    let mut wrong = cfg.clone();
    wrong.token = Token::new(format!("{TOKEN}-but-wrong")).unwrap();
    let e = Client::new(wrong).unwrap().list_groups().unwrap_err();
    texts.push(e.to_string());
    texts.push(format!("{e:?}"));
    s.fail_next(None, Fault::Malformed);
    let e = c.list_groups().unwrap_err();
    texts.push(format!("{e} {e:?}"));
    for _ in 0..4 {
        s.fail_next(None, Fault::ServerError);
    }
    let e = c.list_groups().unwrap_err();
    texts.push(format!("{e} {e:?}"));
    let g = c.create_group("t").unwrap();
    let d = tmp();
    let f = checked(d.path(), "a.jpg", Format::Jpeg, b"abc", None);
    s.fail_next(Some("CreateAsset"), Fault::DropAfter);
    c.create_asset(&g, "a", Payload::Multipart(&f)).unwrap();
    texts.extend(lines.lock().unwrap().iter().cloned());
    let all = texts.join("\n");
    assert!(!all.contains(TOKEN), "token leaked:\n{all}");
    assert!(
        !all.contains("7f3a9c2e"),
        "part of the token leaked:\n{all}"
    );
    assert!(
        all.contains("invalid credentials: Bearer ***"),
        "the echo was scrubbed:\n{all}"
    );
    assert!(all.contains("Authorization: Bearer ***"));
    assert!(
        lines.lock().unwrap().len() > 10,
        "the log saw every request and reply"
    );
}

// ----------------------------------------------------------- the batch

fn make_batch(dir: &Path, n: usize) -> Vec<CheckedFile> {
    (0..n)
        .map(|i| {
            let (name, fmt, dur) = match i % 3 {
                0 => (format!("img{i:02}.jpg"), Format::Jpeg, None),
                1 => (format!("clip{i:02}.mp4"), Format::Mp4, Some(3.0)),
                _ => (format!("voice{i:02}.mp3"), Format::Mp3, Some(2.5)),
            };
            checked(
                dir,
                &name,
                fmt,
                format!("content {i}").repeat(20).as_bytes(),
                dur,
            )
        })
        .collect()
}

fn quiet(_: &preflight_api::upload::Outcome) {}

#[test]
fn thirty_files_four_jobs_every_fifth_request_failing_once_make_exactly_thirty_assets() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("bulk").unwrap();
    let files = make_batch(d.path(), 30);
    s.with(|st| {
        st.every = Some((
            5,
            vec![
                Fault::DropAfter,
                Fault::ServerError,
                Fault::TooMany(Some(0)),
                Fault::BadGateway,
                Fault::DropAfter,
            ],
        ))
    });
    // And, for certain, one create whose reply is lost.
    s.fail_next(Some("CreateAsset"), Fault::DropAfter);
    let mut m = Manifest::new(d.path().join("m.json"));
    let opts = UploadOptions::new().mode(Mode::Multipart).jobs(4);
    let out = upload_files(&c, &g, &files, &mut m, &opts, &quiet).unwrap();
    for o in &out {
        assert!(o.result.is_ok(), "{}: {:?}", o.path.display(), o.result);
    }
    let assets = s.assets();
    assert_eq!(assets.len(), 30, "exactly one asset per file");
    let mut names: Vec<&str> = assets.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 30);
    // Every fifth request fails once; a fifth request that is itself the retry of
    // a failed one is let through, so how many faults land depends on timing.
    let injected = s.with(|st| st.every_used);
    assert!(injected >= 3, "only {injected} faults were injected");
    assert!(
        s.seen()
            .iter()
            .any(|r| r.action == "CreateAsset" && r.fault == Some(Fault::DropAfter)),
        "at least one reply to a create was lost"
    );
    // The manifest holds all 30, each with the id the service gave.
    let back = Manifest::load(d.path().join("m.json")).unwrap();
    assert_eq!(back.entries().len(), 30);
    for (o, f) in out.iter().zip(&files) {
        let u = o.result.as_ref().unwrap();
        let e = back.find(&g, &u.hash).unwrap();
        assert_eq!(e.asset_id, u.asset_id);
        assert_eq!(e.path, f.path().to_string_lossy());
        assert_eq!(e.asset_type, f.asset_type().as_str());
        let a = assets.iter().find(|a| a.id == u.asset_id).unwrap();
        assert_eq!(a.name, u.name);
        assert_eq!(a.upload.bytes, std::fs::read(f.path()).unwrap());
    }
}

#[test]
fn an_interrupted_batch_resumes_without_duplicates_and_loses_nothing() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("resume").unwrap();
    let files = make_batch(d.path(), 10);
    let mpath = d.path().join("m.json");
    // The network dies for good after 5 creations.
    let cancel = Arc::new(AtomicBool::new(false));
    let (cancel2, count) = (Arc::clone(&cancel), Arc::new(Mutex::new(0)));
    let on_done = move |o: &preflight_api::upload::Outcome| {
        if o.result.is_ok() {
            let mut n = count.lock().unwrap();
            *n += 1;
            if *n == 5 {
                cancel2.store(true, Ordering::SeqCst);
            }
        }
    };
    let mut m = Manifest::load(&mpath).unwrap();
    let opts = UploadOptions::new()
        .mode(Mode::DataUri)
        .jobs(1)
        .cancel(Arc::clone(&cancel));
    let out = upload_files(&c, &g, &files, &mut m, &opts, &on_done).unwrap();
    let done: Vec<&preflight_api::upload::Uploaded> =
        out.iter().filter_map(|o| o.result.as_ref().ok()).collect();
    assert_eq!(done.len(), 5);
    assert!(out[5..]
        .iter()
        .all(|o| matches!(o.result, Err(UploadError::Cancelled))));
    // The manifest on disk holds exactly the finished uploads.
    let on_disk = Manifest::load(&mpath).unwrap();
    let mut recorded: Vec<&str> = on_disk
        .entries()
        .iter()
        .map(|e| e.asset_id.as_str())
        .collect();
    let mut created: Vec<String> = s.assets().into_iter().map(|a| a.id).collect();
    recorded.sort();
    created.sort();
    assert_eq!(recorded, created);
    assert_eq!(created.len(), 5);
    // A re-run uploads the other five only.
    let mut m = Manifest::load(&mpath).unwrap();
    let opts = UploadOptions::new().mode(Mode::DataUri).jobs(3);
    let creates_before = s.count("CreateAsset");
    let out = upload_files(&c, &g, &files, &mut m, &opts, &quiet).unwrap();
    assert!(out.iter().all(|o| o.result.is_ok()));
    let sources: Vec<Source> = out
        .iter()
        .map(|o| o.result.as_ref().unwrap().source)
        .collect();
    assert_eq!(&sources[..5], &[Source::Manifest; 5]);
    assert_eq!(&sources[5..], &[Source::Created; 5]);
    assert_eq!(s.count("CreateAsset"), creates_before + 5);
    assert_eq!(s.assets().len(), 10);
    assert_eq!(Manifest::load(&mpath).unwrap().entries().len(), 10);
    // And a third run sends nothing at all.
    let requests = s.seen().len();
    let out = upload_files(&c, &g, &files, &mut m, &opts, &quiet).unwrap();
    assert!(out
        .iter()
        .all(|o| o.result.as_ref().unwrap().source == Source::Manifest));
    assert_eq!(s.seen().len(), requests);
}

#[test]
fn a_lost_manifest_is_healed_from_the_group_listing() {
    // The process died between the service's reply and the manifest write:
    // the asset exists, the manifest does not know it.
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("heal").unwrap();
    let files = make_batch(d.path(), 4);
    let mut m = Manifest::new(d.path().join("m.json"));
    upload_files(
        &c,
        &g,
        &files[..2],
        &mut m,
        &UploadOptions::default(),
        &quiet,
    )
    .unwrap();
    std::fs::remove_file(d.path().join("m.json")).unwrap();
    let mut m = Manifest::load(d.path().join("m.json")).unwrap();
    let out = upload_files(&c, &g, &files, &mut m, &UploadOptions::default(), &quiet).unwrap();
    let sources: Vec<Source> = out
        .iter()
        .map(|o| o.result.as_ref().unwrap().source)
        .collect();
    assert_eq!(
        sources,
        [
            Source::Existing,
            Source::Existing,
            Source::Created,
            Source::Created
        ]
    );
    assert_eq!(s.assets().len(), 4);
    assert_eq!(m.entries().len(), 4);
}

#[test]
fn identical_files_are_uploaded_once() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("same").unwrap();
    let a = checked(d.path(), "a.jpg", Format::Jpeg, b"same bytes", None);
    let b = checked(d.path(), "b.jpg", Format::Jpeg, b"same bytes", None);
    let mut m = Manifest::new(d.path().join("m.json"));
    let opts = UploadOptions::new().jobs(2);
    let out = upload_files(&c, &g, &[a, b], &mut m, &opts, &quiet).unwrap();
    let ids: Vec<&str> = out
        .iter()
        .map(|o| o.result.as_ref().unwrap().asset_id.as_str())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(s.assets().len(), 1);
}

// ------------------------------------------------------------------ CLI

fn preflight(server: Option<&FakeServer>, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("PREFLIGHT_BASE_URL")
        .env_remove("PREFLIGHT_API_KEY")
        .env("PREFLIGHT_RETRY_DELAY_MS", "2");
    support::no_proxy(&mut cmd);
    if let Some(s) = server {
        cmd.env("PREFLIGHT_BASE_URL", s.url())
            .env("PREFLIGHT_API_KEY", TOKEN);
    }
    let out = cmd.output().unwrap();
    let (code, so, se) = support::without_token(out);
    (code.unwrap_or(-1), so, se)
}

#[test]
fn cli_groups_and_assets_in_table_and_json() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("cli").unwrap();
    s.add_group("other");
    let f = checked(d.path(), "a.mp4", Format::Mp4, b"movie", Some(3.0));
    let id = c
        .create_asset(&g, "a-0123456789ab", Payload::Multipart(&f))
        .unwrap();

    let (code, out, err) = preflight(Some(&s), d.path(), &["groups", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&g) && out.contains("cli") && out.contains("other"),
        "{out}"
    );
    let (code, out, _) = preflight(Some(&s), d.path(), &["groups", "list", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["Id"], g.as_str());
    assert_eq!(v[0]["Name"], format!("{PREFIX}cli"));

    let (code, out, _) = preflight(Some(&s), d.path(), &["assets", "list", "--group-id", &g]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&id) && out.contains("Video") && out.contains("Processing"),
        "{out}"
    );
    let (code, out, _) = preflight(
        Some(&s),
        d.path(),
        &["assets", "list", "--status", "Active", "--format", "json"],
    );
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!([]));
    let (code, out, _) = preflight(
        Some(&s),
        d.path(),
        &["assets", "get", &id, "--format", "json"],
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["Id"].as_str(), v["AssetType"].as_str()),
        (Some(id.as_str()), Some("Video"))
    );
    let (code, out, _) = preflight(
        Some(&s),
        d.path(),
        &["assets", "get", &format!("asset://{id}")],
    );
    assert_eq!(code, 0);
    assert!(out.contains(&format!("asset://{id}")), "{out}");
    // A service error: exit 1, its message on stderr.
    let (code, _, err) = preflight(Some(&s), d.path(), &["assets", "get", "asset-missing"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("NotFound: asset asset-missing not found"),
        "{err}"
    );
}

/// Issue 14 bug 3: the `-` the service puts after its prefix is not part of
/// the name the user chose.
#[test]
fn cli_groups_list_shows_the_chosen_name_without_the_prefix_or_its_separator() {
    let s = FakeServer::start();
    s.with(|st| {
        st.groups.push(support::Group {
            id: "group-7001".into(),
            name: "[u-7001]-[t-42]-launch-refs".into(),
        })
    });
    let d = tmp();
    let (code, out, err) = preflight(Some(&s), d.path(), &["groups", "list"]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("group-7001")).unwrap();
    assert_eq!(line.split_whitespace().nth(1), Some("launch-refs"), "{out}");
    // And `upload --group launch-refs` finds it instead of making another.
    std::fs::copy(fixture("audio/ok_wav_2.0s.wav"), d.path().join("a.wav")).unwrap();
    let (code, _, err) = preflight(
        Some(&s),
        d.path(),
        &["upload", "a.wav", "--group", "launch-refs"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.groups().len(), 1, "{err}");
    assert_eq!(s.assets()[0].group_id, "group-7001");
}

#[test]
fn cli_needs_a_token_and_a_base_url_and_never_prints_the_token() {
    let s = FakeServer::start();
    s.with(|st| st.echo_auth = true);
    let d = tmp();
    let (code, _, err) = preflight(None, d.path(), &["groups", "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("PREFLIGHT_BASE_URL"), "{err}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    let out = cmd
        .args(["groups", "list", "--base-url", &s.url()])
        .env_remove("PREFLIGHT_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PREFLIGHT_API_KEY"));
    // --verbose shows every request, but never the token; nor does an error
    // whose body echoes the Authorization header.
    let (code, _, err) = preflight(Some(&s), d.path(), &["groups", "list", "--verbose"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("→ POST") && err.contains("Bearer ***"),
        "{err}"
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    let out = cmd
        .args(["assets", "list", "--verbose", "--base-url", &s.url()])
        .env("PREFLIGHT_API_KEY", format!("{TOKEN}x"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(!err.contains(TOKEN), "{err}");
    assert!(err.contains("invalid credentials: Bearer ***"), "{err}");
}

#[test]
fn cli_upload_to_a_new_group_looks_it_up_once_creates_it_and_lists_once_more() {
    let s = FakeServer::start();
    let d = tmp();
    std::fs::copy(fixture("audio/ok_wav_2.0s.wav"), d.path().join("a.wav")).unwrap();
    let (code, _, err) = preflight(Some(&s), d.path(), &["upload", "a.wav", "--group", "fresh"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.count("CreateAssetGroup"), 1);
    // One look-up (not found), then one listing after creating it (to find
    // the oldest of that name, should another run have made one too).
    assert_eq!(s.count("ListAssetGroups"), 2);
    assert_eq!(s.assets().len(), 1);
}

#[test]
fn cli_upload_uploads_nothing_that_fails_the_check() {
    let s = FakeServer::start();
    let d = tmp();
    // FLAC and an unknown blob: real files the service does not take.
    std::fs::write(d.path().join("a.flac"), b"fLaC\0\0\0\x22 not really").unwrap();
    std::fs::write(d.path().join("b.jpg"), b"hello, not a picture").unwrap();
    let (code, out, err) = preflight(Some(&s), d.path(), &["upload", ".", "--group", "g"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("file.unsupported_type") && err.contains("file.unknown_type"),
        "{err}"
    );
    assert_eq!(s.count("CreateAsset"), 0);
    assert_eq!(
        s.count("CreateAssetGroup"),
        0,
        "nothing to upload: no group made"
    );
    assert!(!d.path().join("preflight-manifest.json").exists());
}

fn write_manifest(dir: &Path, entries: Value) -> PathBuf {
    let p = dir.join("preflight-manifest.json");
    std::fs::write(
        &p,
        json!({"version": 1, "hash": "blake3", "entries": entries}).to_string(),
    )
    .unwrap();
    p
}

fn entry(id: &str, ty: &str, dur: Option<f64>) -> Value {
    json!({"hash": format!("{id:0>64}"), "bytes": 1, "path": format!("{id}.bin"), "name": id, "asset_id": id,
           "group_id": "group-1", "asset_type": ty, "format": "x", "duration_s": dur, "status": "Active",
           "uploaded_at": 0})
}

#[test]
fn cli_request_prints_the_ordered_content_and_checks_the_rules() {
    let d = tmp();
    write_manifest(
        d.path(),
        json!([
            entry("asset-v1", "Video", Some(8.0)),
            entry("asset-v2", "Video", Some(7.5)),
            entry("asset-i1", "Image", None),
            entry("asset-a1", "Audio", Some(4.0)),
        ]),
    );
    let (code, out, err) = preflight(
        None,
        d.path(),
        &[
            "request",
            "--text",
            "a cat dances",
            "asset://asset-a1",
            "asset-v1",
            "asset://asset-i1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        json!([
            {"type": "text", "text": "a cat dances"},
            {"type": "image_url", "image_url": {"url": "asset://asset-i1"}, "role": "reference_image"},
            {"type": "video_url", "video_url": {"url": "asset://asset-v1"}, "role": "reference_video"},
            {"type": "audio_url", "audio_url": {"url": "asset://asset-a1"}, "role": "reference_audio"},
        ])
    );
    // 8 + 7.5 s of video is over 15 s: a violation, exit 1, the rule id on stderr.
    let (code, out, err) = preflight(
        None,
        d.path(),
        &["request", "--text", "x", "asset-v1", "asset-v2"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("request.total_video_duration"), "{err}");
    assert!(
        out.is_empty(),
        "no content array for a failing bundle: {out}"
    );
    // Audio alone.
    let (code, _, err) = preflight(None, d.path(), &["request", "--text", "x", "asset-a1"]);
    assert_eq!(code, 1);
    assert!(err.contains("request.audio_only"), "{err}");
    // An asset nobody knows, with no API configured: a usage error naming it.
    let (code, _, err) = preflight(None, d.path(), &["request", "--text", "x", "asset-zzz"]);
    assert_eq!(code, 2);
    assert!(err.contains("asset-zzz"), "{err}");
}

#[test]
fn cli_request_modes_set_roles_and_do_not_mix() {
    let d = tmp();
    write_manifest(
        d.path(),
        json!([
            entry("asset-i1", "Image", None),
            entry("asset-i2", "Image", None),
            entry("asset-v1", "Video", Some(5.0)),
        ]),
    );
    let (code, out, err) = preflight(
        None,
        d.path(),
        &[
            "request",
            "--mode",
            "first-last",
            "--text",
            "dawn to dusk",
            "asset-i1",
            "asset-i2",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        json!([
            {"type": "text", "text": "dawn to dusk"},
            {"type": "image_url", "image_url": {"url": "asset://asset-i1"}, "role": "first_frame"},
            {"type": "image_url", "image_url": {"url": "asset://asset-i2"}, "role": "last_frame"},
        ])
    );
    // A reference video mixed into first-last mode: request.mode, exit 1.
    let (code, out, err) = preflight(
        None,
        d.path(),
        &[
            "request",
            "--mode",
            "first-last",
            "asset-i1",
            "asset-i2",
            "asset-v1",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("request.mode"), "{err}");
    assert!(out.is_empty());
    // An unknown mode is a usage error.
    let (code, _, _) = preflight(None, d.path(), &["request", "--mode", "last", "asset-i1"]);
    assert_eq!(code, 2);
}

#[test]
fn cli_request_asks_the_service_for_an_asset_missing_from_the_manifest() {
    let s = FakeServer::start();
    let c = client(&s);
    let d = tmp();
    let g = c.create_group("r").unwrap();
    let f = checked(d.path(), "p.png", Format::Png, b"png", None);
    let id = c.create_asset(&g, "p", Payload::Multipart(&f)).unwrap();
    let (code, out, err) = preflight(Some(&s), d.path(), &["request", "--text", "go", &id]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[1]["type"], "image_url");
    assert_eq!(v[1]["image_url"]["url"], format!("asset://{id}"));
}

// ------------------------------------------- CLI on real fixtures (audio)

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// Copies fixtures into `dir/in/`.
fn copy_fixtures(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    let inp = dir.join("in");
    std::fs::create_dir_all(&inp).unwrap();
    names
        .iter()
        .map(|n| {
            let to = inp.join(Path::new(n).file_name().unwrap());
            std::fs::copy(fixture(n), &to).unwrap();
            to
        })
        .collect()
}

#[test]
fn cli_upload_checks_first_uploads_the_rest_and_a_rerun_sends_nothing() {
    let s = FakeServer::start();
    let d = tmp();
    copy_fixtures(
        d.path(),
        &[
            "audio/ok_wav_2.0s.wav",
            "audio/ok_mp3_cbr128_stereo_5s.mp3",
            "audio/ok_wav_pcm16_8k_mono_3s.wav",
            "audio/err_wav_1.9s.wav",
        ],
    );
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &[
            "upload",
            "in",
            "--group",
            "refs",
            "--jobs",
            "2",
            "--wait",
            "--verbose",
        ],
    );
    assert_eq!(code, 1, "one file fails its check\n{out}\n{err}");
    assert!(
        err.contains("in/err_wav_1.9s.wav") && err.contains("audio.duration"),
        "{err}"
    );
    assert!(
        err.contains("Bearer ***"),
        "--verbose logs the requests: {err}"
    );
    assert_eq!(s.groups().len(), 1);
    assert_eq!(s.groups()[0].name, format!("{PREFIX}refs"));
    let assets = s.assets();
    assert_eq!(assets.len(), 3);
    for (file, mime) in [
        ("ok_wav_2.0s.wav", "audio/wav"),
        ("ok_mp3_cbr128_stereo_5s.mp3", "audio/mpeg"),
        ("ok_wav_pcm16_8k_mono_3s.wav", "audio/wav"),
    ] {
        let stem = file.rsplit_once('.').unwrap().0;
        let a = assets
            .iter()
            .find(|a| a.name.starts_with(&format!("{stem}-")))
            .unwrap();
        assert_eq!(a.asset_type, "Audio");
        assert_eq!(a.upload.mime.as_deref(), Some(mime));
        assert!(a.upload.bytes == std::fs::read(fixture(&format!("audio/{file}"))).unwrap());
        let hash = blake3::hash(&a.upload.bytes).to_hex().to_string();
        assert_eq!(
            a.name,
            format!("{stem}-{}", &hash[..12]),
            "the documented deterministic name"
        );
        assert!(
            out.contains(&format!("in/{file} → asset://{}\n", a.id)),
            "{out}"
        );
        assert!(
            out.contains(&format!("in/{file} → asset://{}  Active\n", a.id)),
            "{out}"
        );
    }
    assert!(!out.contains("err_wav"), "{out}");
    let creates = s
        .seen()
        .iter()
        .filter(|r| r.action == "CreateAsset")
        .cloned()
        .collect::<Vec<_>>();
    assert!(creates
        .iter()
        .all(|r| r.body["model"] == "volc-asset-audio"));
    let m = Manifest::load(d.path().join("preflight-manifest.json")).unwrap();
    assert_eq!(m.entries().len(), 3);
    assert!(m
        .entries()
        .iter()
        .all(|e| e.status == "Active" && e.asset_type == "Audio"));
    let wav = m
        .entries()
        .iter()
        .find(|e| e.path == "in/ok_wav_2.0s.wav")
        .unwrap();
    assert_eq!(wav.duration_s, Some(2.0));
    assert_eq!(
        wav.bytes,
        std::fs::metadata(fixture("audio/ok_wav_2.0s.wav"))
            .unwrap()
            .len()
    );

    // A re-run finds the group by name and sends no file again.
    let (code, out, _) = preflight(Some(&s), d.path(), &["upload", "in", "--group", "refs"]);
    assert_eq!(code, 1);
    assert_eq!(out.matches("(already uploaded)").count(), 3, "{out}");
    assert_eq!(s.groups().len(), 1);
    assert_eq!(s.count("CreateAsset"), 3);
    assert_eq!(s.count("CreateAssetGroup"), 1);

    // The same files to another group by id, as data URIs.
    let g2 = s.add_group("second");
    let (code, _, err) = preflight(
        Some(&s),
        d.path(),
        &[
            "upload",
            "in/ok_wav_2.0s.wav",
            "--group-id",
            &g2,
            "--mode",
            "data-uri",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let a = s.assets().into_iter().find(|a| a.group_id == g2).unwrap();
    assert_eq!(
        (a.upload.form, a.upload.mime.as_deref()),
        ("data-uri", Some("audio/wav"))
    );
    assert_eq!(
        Manifest::load(d.path().join("preflight-manifest.json"))
            .unwrap()
            .entries()
            .len(),
        4
    );

    // A request from the uploaded files and an image already in the library.
    let c = client(&s);
    let img = checked(d.path(), "p.png", Format::Png, b"png", None);
    let img_id = c.create_asset(&g2, "p", Payload::Multipart(&img)).unwrap();
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &[
            "request",
            "--text",
            "sing",
            "in/ok_wav_2.0s.wav",
            &format!("asset://{img_id}"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[1]["image_url"]["url"], format!("asset://{img_id}"));
    assert_eq!(v[2]["type"], "audio_url");
    assert_eq!(v[2]["role"], "reference_audio");
    let wav_id = Manifest::load(d.path().join("preflight-manifest.json"))
        .unwrap()
        .find_hash(
            blake3::hash(&std::fs::read(fixture("audio/ok_wav_2.0s.wav")).unwrap())
                .to_hex()
                .as_str(),
        )
        .unwrap()
        .asset_id
        .clone();
    assert_eq!(v[2]["audio_url"]["url"], format!("asset://{wav_id}"));
    // A local file never uploaded is named, not guessed.
    std::fs::copy(
        fixture("audio/ok_wav_list_chunk_3s.wav"),
        d.path().join("new.wav"),
    )
    .unwrap();
    let (code, _, err) = preflight(Some(&s), d.path(), &["request", "new.wav", &img_id]);
    assert_eq!(code, 2);
    assert!(err.contains("new.wav: not uploaded yet"), "{err}");
}

#[test]
fn cli_upload_killed_mid_batch_resumes_without_duplicates() {
    let s = FakeServer::start();
    s.with(|st| st.delay_creates = Duration::from_millis(150));
    let d = tmp();
    let files = copy_fixtures(
        d.path(),
        &[
            "audio/ok_mp3_2.0s.mp3",
            "audio/ok_mp3_cbr128_stereo_5s.mp3",
            "audio/ok_mp3_vbr_xing_5s.mp3",
            "audio/ok_wav_2.0s.wav",
            "audio/ok_wav_pcm16_8k_mono_3s.wav",
            "audio/ok_wav_pcm24_8k_mono_3s.wav",
            "audio/ok_wav_rf64_3s.wav",
            "audio/ok_wav_float32_8k_mono_3s.wav",
        ],
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["upload", "in", "--group", "k", "--jobs", "1"])
        .current_dir(d.path())
        .env("PREFLIGHT_BASE_URL", s.url())
        .env("PREFLIGHT_API_KEY", TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while s.assets().len() < 3 && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let created = s.assets();
    assert!(
        created.len() >= 3 && created.len() < files.len(),
        "killed half-way: {}",
        created.len()
    );
    // The manifest on disk is whole, and holds only real, finished uploads.
    let m = Manifest::load(d.path().join("preflight-manifest.json")).unwrap();
    assert!(m.entries().len() >= 2, "{}", m.entries().len());
    for e in m.entries() {
        let a = created
            .iter()
            .find(|a| a.id == e.asset_id)
            .expect("recorded asset exists");
        assert_eq!(a.name, e.name);
    }
    // The re-run completes the batch with exactly one asset per file.
    s.with(|st| st.delay_creates = Duration::ZERO);
    let (code, out, err) = preflight(Some(&s), d.path(), &["upload", "in", "--group", "k"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let assets = s.assets();
    assert_eq!(assets.len(), files.len());
    let mut names: Vec<&str> = assets.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), files.len());
    assert_eq!(s.groups().len(), 1);
    assert_eq!(
        Manifest::load(d.path().join("preflight-manifest.json"))
            .unwrap()
            .entries()
            .len(),
        files.len()
    );
}

#[test]
fn cli_upload_images_with_the_mime_of_their_content_and_build_a_request_from_files() {
    let s = FakeServer::start();
    let d = tmp();
    copy_fixtures(
        d.path(),
        &[
            "image/ok_png_named.jpg",
            "image/ok_1280x720.jpg",
            "image/ok_webp_lossy_800x600.webp",
            "audio/ok_mp3_cbr128_stereo_5s.mp3",
        ],
    );
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &["upload", "in", "--group", "imgs", "--mode", "data-uri"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let assets = s.assets();
    assert_eq!(assets.len(), 4);
    for (stem, ty, mime) in [
        ("ok_png_named", "Image", "image/png"), // a PNG named .jpg goes as PNG
        ("ok_1280x720", "Image", "image/jpeg"),
        ("ok_webp_lossy_800x600", "Image", "image/webp"),
        ("ok_mp3_cbr128_stereo_5s", "Audio", "audio/mpeg"),
    ] {
        let a = assets
            .iter()
            .find(|a| a.name.starts_with(&format!("{stem}-")))
            .unwrap();
        assert_eq!(
            (a.asset_type.as_str(), a.upload.mime.as_deref()),
            (ty, Some(mime)),
            "{stem}"
        );
        assert_eq!(a.upload.form, "data-uri");
    }
    for r in s.seen().iter().filter(|r| r.action == "CreateAsset") {
        let want = if r.body["AssetType"] == "Image" {
            "volc-asset"
        } else {
            "volc-asset-audio"
        };
        assert_eq!(r.body["model"], want);
    }
    // A request straight from the local files, without any API call.
    let (code, out, err) = preflight(
        None,
        d.path(),
        &[
            "request",
            "--text",
            "dance",
            "in/ok_mp3_cbr128_stereo_5s.mp3",
            "in/ok_png_named.jpg",
            "in/ok_1280x720.jpg",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let types: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["text", "image_url", "image_url", "audio_url"]);
    let id_of = |stem: &str| {
        let a = assets
            .iter()
            .find(|a| a.name.starts_with(&format!("{stem}-")))
            .unwrap();
        format!("asset://{}", a.id)
    };
    assert_eq!(v[1]["image_url"]["url"], id_of("ok_png_named"));
    assert_eq!(v[2]["image_url"]["url"], id_of("ok_1280x720"));
    assert_eq!(v[3]["audio_url"]["url"], id_of("ok_mp3_cbr128_stereo_5s"));
    // A file failing its check is refused by `request` too.
    std::fs::copy(
        fixture("image/err_width_299.jpg"),
        d.path().join("narrow.jpg"),
    )
    .unwrap();
    let (code, _, err) = preflight(None, d.path(), &["request", "narrow.jpg"]);
    assert_eq!(code, 1);
    assert!(err.contains("image.width"), "{err}");
}

#[test]
fn cli_upload_fix_repairs_failing_files_and_uploads_the_repaired_copies() {
    let s = FakeServer::start();
    let d = tmp();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(d.path().join("in")).unwrap();
    // 299 px wide: fails image.width, repairable by scaling up.
    let small = d.path().join("in/small.jpg");
    std::fs::copy(root.join("../../testdata/image/err_width_299.jpg"), &small).unwrap();
    let before = std::fs::read(&small).unwrap();
    // Not media at all: not repairable, not uploaded.
    std::fs::write(d.path().join("in/notes.txt"), b"just text").unwrap();
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &["upload", "in", "--group", "g", "--fix"],
    );
    assert_eq!(code, 1, "one file could not be repaired:\n{out}\n{err}");
    assert!(err.contains("fixed  in/small.jpg"), "{err}");
    assert!(err.contains("notes.txt: not repaired"), "{err}");
    assert_eq!(s.count("CreateAsset"), 1, "{out}\n{err}");
    // Mirrored as `fix in --out preflight-fixed` lays it out.
    let repaired = d.path().join("preflight-fixed/in/small.jpg");
    assert!(repaired.exists(), "{err}");
    assert!(
        out.contains("preflight-fixed/in/small.jpg → asset://"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&small).unwrap(),
        before,
        "the input is untouched"
    );
    let info = preflight::probe_path(&repaired, &preflight::ProbeLimits::default()).unwrap();
    assert!(info.width.unwrap() >= 300, "{info:?}");
    // Without --fix the same file is only reported.
    let s2 = FakeServer::start();
    let d2 = tmp();
    std::fs::copy(
        root.join("../../testdata/image/err_width_299.jpg"),
        d2.path().join("small.jpg"),
    )
    .unwrap();
    let (code, _, err) = preflight(Some(&s2), d2.path(), &["upload", ".", "--group", "g"]);
    assert_eq!(code, 1);
    assert!(err.contains("image.width"), "{err}");
    assert_eq!(s2.count("CreateAsset"), 0);
}

// ------------------------------------------- concurrency, trust (issue 13)

const FOUR_AUDIO: [&str; 4] = [
    "audio/ok_mp3_2.0s.mp3",
    "audio/ok_wav_2.0s.wav",
    "audio/ok_wav_pcm16_8k_mono_3s.wav",
    "audio/ok_wav_rf64_3s.wav",
];

fn upload_cmd(s: &FakeServer, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    cmd.args(args)
        .current_dir(dir)
        .env("PREFLIGHT_BASE_URL", s.url())
        .env("PREFLIGHT_API_KEY", TOKEN)
        .env("PREFLIGHT_RETRY_DELAY_MS", "2")
        .env("PREFLIGHT_INTENT_WAIT_MS", "3000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

/// Every asset of the service has its own name, and there are `n`.
fn assert_no_duplicates(s: &FakeServer, n: usize, why: &str) {
    let assets = s.assets();
    let mut names: Vec<&str> = assets.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    let all = names.len();
    names.dedup();
    assert_eq!(
        (all, names.len()),
        (n, n),
        "{why}: {all} assets, {} names",
        names.len()
    );
}

#[test]
fn four_concurrent_runs_on_one_folder_make_one_group_and_no_duplicates() {
    let s = FakeServer::start();
    s.with(|st| st.delay_creates = Duration::from_millis(40));
    let d = tmp();
    let files = copy_fixtures(d.path(), &FOUR_AUDIO);
    let runs: Vec<_> = (0..4)
        .map(|_| {
            upload_cmd(&s, d.path(), &["upload", "in", "--group", "g8", "-j", "2"])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut waited = 0;
    for r in runs {
        let out = r.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        waited += usize::from(err.contains("waiting for it to finish"));
    }
    assert!(waited >= 1, "the later runs waited for the lock");
    assert_eq!(s.groups().len(), 1, "one group g8");
    assert_no_duplicates(&s, files.len(), "4 runs at once");
    // With --no-wait-lock a run fails at once while another holds the lock.
    let m = d.path().join("preflight-manifest.json");
    let _held = Manifest::lock(&m, false, |_| {}).unwrap();
    let t = Instant::now();
    let (code, _, err) = preflight(
        Some(&s),
        d.path(),
        &["upload", "in", "--group", "g8", "--no-wait-lock"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("another preflight run is using it"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn kill_9_then_an_immediate_rerun_twenty_times_makes_no_duplicates() {
    for round in 0..20u64 {
        let s = FakeServer::start();
        // The service carries a create out 300 ms after it came: a client
        // killed meanwhile never learns the id, and a re-run that only
        // listed the group would create it a second time.
        s.with(|st| st.create_lag = Duration::from_millis(300));
        let d = tmp();
        let files = copy_fixtures(d.path(), &FOUR_AUDIO);
        let mut child = upload_cmd(&s, d.path(), &["upload", "in", "--group", "k", "-j", "2"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill when 1 to 3 creates have been sent, a few ms apart.
        let sent = 1 + (round % 3) as usize;
        let t = Instant::now();
        while s.count("CreateAsset") < sent && t.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(round % 7 * 15));
        child.kill().unwrap();
        child.wait().unwrap();
        let out = upload_cmd(&s, d.path(), &["upload", "in", "--group", "k"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}: {err}");
        // Let any create still queued at the service land before counting.
        std::thread::sleep(Duration::from_millis(350));
        assert_no_duplicates(&s, files.len(), &format!("round {round}"));
        let m = Manifest::load(d.path().join("preflight-manifest.json")).unwrap();
        assert_eq!(m.entries().len(), files.len(), "round {round}");
        assert!(m.intents().is_empty(), "round {round}");
    }
}

#[test]
fn a_file_swapped_after_its_check_is_not_uploaded() {
    for mode in [Mode::Multipart, Mode::DataUri] {
        let s = FakeServer::start();
        let c = client(&s);
        let g = c.create_group("swap").unwrap();
        let d = tmp();
        let f = checked(d.path(), "a.jpg", Format::Jpeg, &[7u8; 300_000], None);
        let pinned = f.content_hash().unwrap();
        // Other bytes of the same size: the size check cannot see it.
        std::fs::write(f.path(), [8u8; 300_000]).unwrap();
        let mut m = Manifest::new(d.path().join("m.json"));
        let out = upload_files(
            &c,
            &g,
            std::slice::from_ref(&f),
            &mut m,
            &UploadOptions::new().mode(mode),
            &quiet,
        )
        .unwrap();
        match &out[0].result {
            Err(e @ UploadError::ChangedWhileUploading { checked, .. }) => {
                assert_eq!(checked, &pinned[..12]);
                assert!(e.to_string().contains("changed while uploading"), "{e}");
            }
            other => panic!("{mode:?}: {other:?}"),
        }
        assert!(s.assets().is_empty(), "{mode:?}: no asset of the new bytes");
        assert!(m.entries().is_empty() && m.intents().is_empty());
    }
}

#[test]
fn a_token_over_plain_http_to_another_machine_is_refused() {
    let d = tmp();
    std::fs::create_dir(d.path().join("empty")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    let out = cmd
        .args([
            "groups",
            "list",
            "--base-url",
            "http://relay.example.invalid",
        ])
        .current_dir(d.path())
        .env("PREFLIGHT_API_KEY", TOKEN)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("clear text") && err.contains("--allow-insecure-http"),
        "{err}"
    );
    // Allowed on request, with a warning on every run (no request is made
    // here: the folder holds nothing to upload).
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["upload", "empty", "--group", "g", "--allow-insecure-http"])
        .args(["--base-url", "http://relay.example.invalid"])
        .current_dir(d.path())
        .env("PREFLIGHT_API_KEY", TOKEN)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: the token goes over plain http://"),
        "{err}"
    );
    // Loopback is this machine: allowed without the flag.
    let mut cfg = ClientConfig::new("http://localhost:9", Token::new(TOKEN).unwrap());
    assert!(Client::new(cfg.clone()).is_ok());
    cfg.base_url = "http://10.0.0.8".into();
    assert!(matches!(
        Client::new(cfg.clone()),
        Err(UploadError::Config(_))
    ));
    cfg.allow_insecure_http = true;
    assert!(Client::new(cfg).is_ok());
}

#[test]
fn escape_sequences_and_the_token_never_reach_the_terminal_or_the_manifest() {
    let s = FakeServer::start();
    let hostile = format!("asset-\x1b[2J\x1b]0;PWNED\x07-{TOKEN}");
    s.with(|st| st.hostile_id = Some(hostile.clone()));
    s.add_group(&format!("\x1b[31mred\x1b]0;PWNED\x07{TOKEN}"));
    let d = tmp();
    copy_fixtures(d.path(), &FOUR_AUDIO[..1]);
    // `preflight` asserts that the token is in neither stream.
    let (code, out, err) = preflight(Some(&s), d.path(), &["upload", "in", "--group", "h"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("invalid id"), "{err}");
    let (code, list, lerr) = preflight(Some(&s), d.path(), &["groups", "list"]);
    assert_eq!(code, 0, "{lerr}");
    assert!(list.contains("red"), "{list}");
    for text in [&out, &err, &list, &lerr] {
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    }
    let (_, json, _) = preflight(Some(&s), d.path(), &["groups", "list", "--format", "json"]);
    assert!(!json.contains('\x1b') && json.contains("***"), "{json}");
    let manifest = std::fs::read_to_string(d.path().join("preflight-manifest.json")).unwrap();
    assert!(
        !manifest.contains(TOKEN) && !manifest.contains("PWNED") && !manifest.contains('\x1b'),
        "{manifest}"
    );
    assert!(
        !manifest.contains("\"entries\": [\n    {"),
        "no entry: {manifest}"
    );
}

#[test]
fn paging_stops_when_the_service_always_claims_more() {
    let s = FakeServer::start();
    s.with(|st| st.endless_pages = true);
    let c = client(&s);
    let t = Instant::now();
    let groups = c.list_groups().unwrap();
    // Page 1 says 6 in all (2 pages of 3): at most 2 + 2 pages are read.
    assert!(
        s.count("ListAssetGroups") <= 4,
        "{}",
        s.count("ListAssetGroups")
    );
    assert!(groups.len() <= 12);
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_dead_service_stops_the_batch_within_10_s_of_8_failures() {
    let s = FakeServer::start();
    s.with(|st| st.dead_after_creates = Some(5));
    let mut cfg = config(&s);
    // The real backoff: 0.5 s doubling, 5 attempts.
    cfg.retry = RetryPolicy::default();
    let c = Client::new(cfg).unwrap();
    let g = c.create_group("dead").unwrap();
    let d = tmp();
    let files = make_batch(d.path(), 40);
    let mut m = Manifest::new(d.path().join("m.json"));
    let out = upload_files(
        &c,
        &g,
        &files,
        &mut m,
        &UploadOptions::new().jobs(4),
        &quiet,
    )
    .unwrap();
    let since = s.with(|st| st.dead_since).expect("went dead");
    assert!(
        since.elapsed() < Duration::from_secs(10),
        "stopped {:?} after the service died",
        since.elapsed()
    );
    let while_dead = s.with(|st| st.seen.len())
        - s.seen()
            .iter()
            .position(|r| r.action == "CreateAsset")
            .unwrap()
        - 5;
    assert!(
        while_dead <= 8 + 4,
        "{while_dead} requests to a dead service"
    );
    let not_sent = out
        .iter()
        .filter(|o| matches!(o.result, Err(UploadError::ServiceDown { .. })))
        .count();
    assert!(not_sent >= 25, "{not_sent} files not started");
    // What went out before is recorded; a re-run picks up the rest.
    assert!(m.entries().len() <= 5);
}

#[test]
fn cli_upload_stops_on_a_dead_service_and_prints_the_resume_command() {
    let s = FakeServer::start();
    s.with(|st| st.dead_after_creates = Some(1));
    let d = tmp();
    copy_fixtures(d.path(), &FOUR_AUDIO);
    let (code, _, err) = preflight(
        Some(&s),
        d.path(),
        &[
            "upload",
            "in",
            "--group",
            "d",
            "-j",
            "1",
            "--max-failures",
            "3",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("failed 3 times in a row"), "{err}");
    assert!(
        err.contains("resume with:") && err.contains("upload in --group d"),
        "{err}"
    );
}

// ------------------------------------------------------------- TLS

/// A TLS server on 127.0.0.1 with a certificate for 127.0.0.1 signed by a
/// fresh test CA; it answers every request with an empty group list and
/// counts the connections. Returns the CA's PEM, the port and the count.
fn tls_server() -> (String, u16, Arc<std::sync::atomic::AtomicUsize>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use std::io::{Read, Write};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n = Arc::clone(&count);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            n.fetch_add(1, Ordering::SeqCst);
            let cfg = Arc::clone(&cfg);
            std::thread::spawn(move || {
                let Ok(tls) = rustls::ServerConnection::new(cfg) else {
                    return;
                };
                let mut s = rustls::StreamOwned::new(tls, conn);
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match s.read(&mut b) {
                        Ok(1) => head.push(b[0]),
                        _ => return,
                    }
                }
                // Read the request's body too: closing a socket with unread
                // bytes makes the kernel send a reset, which can reach the
                // client before the reply does ("connection reset by peer").
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let len: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                let mut request_body = vec![0u8; len.min(1 << 20)];
                if s.read_exact(&mut request_body).is_err() {
                    return;
                }
                let body = r#"{"PageNumber":1,"PageSize":100,"TotalCount":0,"Items":[]}"#;
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.flush();
                s.conn.send_close_notify();
                let _ = s.flush();
            });
        }
    });
    (ca_cert.pem(), port, count)
}

fn groups_over_tls(port: u16, ca_file: &Path, dir: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args([
            "groups",
            "list",
            "--base-url",
            &format!("https://127.0.0.1:{port}"),
        ])
        .current_dir(dir)
        .env("PREFLIGHT_API_KEY", TOKEN)
        .env("PREFLIGHT_RETRY_DELAY_MS", "2")
        .env("SSL_CERT_FILE", ca_file)
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), err)
}

#[test]
fn a_test_ca_in_ssl_cert_file_is_trusted_and_a_certificate_error_fails_at_once() {
    let d = tmp();
    let (ca, port, count) = tls_server();
    let good = d.path().join("ca.pem");
    std::fs::write(&good, ca).unwrap();
    let (code, err) = groups_over_tls(port, &good, d.path());
    assert_eq!(code, 0, "{err}");
    // Another CA: the certificate is not trusted, and that is not retried.
    let (other, _, _) = tls_server();
    let bad = d.path().join("other.pem");
    std::fs::write(&bad, other).unwrap();
    let before = count.load(Ordering::SeqCst);
    let t = Instant::now();
    let (code, err) = groups_over_tls(port, &bad, d.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("TLS") && err.contains("after 1 attempt"),
        "{err}"
    );
    assert_eq!(
        count.load(Ordering::SeqCst) - before,
        1,
        "one handshake, no retry"
    );
    assert!(t.elapsed() < Duration::from_secs(5));
}

// ------------------------------------------------------ issue 14 (upload)

/// Bug 4: `upload .` takes none of preflight's own files as input: the
/// manifest, its lock, the `--fix-out` folder and temporary files.
#[test]
fn cli_upload_dot_never_takes_its_manifest_lock_fix_out_or_temp_files() {
    let s = FakeServer::start();
    let d = tmp();
    std::fs::copy(fixture("audio/ok_wav_2.0s.wav"), d.path().join("a.wav")).unwrap();
    let (code, _, err) = preflight(Some(&s), d.path(), &["upload", ".", "--group", "g"]);
    assert_eq!(code, 0, "{err}");
    assert!(d.path().join("preflight-manifest.json").exists());
    assert!(d.path().join("preflight-manifest.json.lock").exists());
    // A repaired copy of an earlier `--fix` run and a temporary file left by
    // a killed one: valid media, and still never inputs.
    std::fs::create_dir_all(d.path().join("preflight-fixed/input")).unwrap();
    std::fs::copy(
        fixture("audio/ok_wav_pcm16_8k_mono_3s.wav"),
        d.path().join("preflight-fixed/input/b.wav"),
    )
    .unwrap();
    std::fs::copy(
        fixture("audio/ok_wav_pcm16_8k_mono_3s.wav"),
        d.path().join(".c.wav.x7Yq2.preflight-tmp"),
    )
    .unwrap();
    for _ in 0..2 {
        let (code, out, err) = preflight(Some(&s), d.path(), &["upload", ".", "--group", "g"]);
        assert_eq!(code, 0, "a re-run passes: {out}\n{err}");
        assert!(out.contains("a.wav → asset://"), "{out}");
        assert!(
            !out.contains("b.wav")
                && !out.contains("preflight-tmp")
                && !err.contains("not uploaded"),
            "{out}\n{err}"
        );
    }
    // A manifest under another name: its own file and lock are left out too.
    for _ in 0..2 {
        let (code, out, err) = preflight(
            Some(&s),
            d.path(),
            &["upload", ".", "--group", "g", "--manifest", "m.json"],
        );
        assert_eq!(code, 0, "{out}\n{err}");
    }
    assert_eq!(s.count("CreateAsset"), 1, "only a.wav was ever sent");
    // Named on the command line, such a file is taken (and fails its check).
    let (code, _, err) = preflight(
        Some(&s),
        d.path(),
        &["upload", "preflight-manifest.json", "--group", "g"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("preflight-manifest.json  (not uploaded)"),
        "{err}"
    );
    assert_eq!(s.count("CreateAsset"), 1, "and nothing more was sent");
}

/// `upload --fix` mirrors the input tree into `--fix-out` as `fix --out`
/// does; `upload . --fix` works with the default `--fix-out`, and a
/// `--fix-out` that holds an input is refused with how to choose one.
#[test]
fn cli_upload_fix_mirrors_the_tree_and_the_default_fix_out_works_for_dot() {
    let s = FakeServer::start();
    let d = tmp();
    let run =
        |dir: &Path, line: &str| preflight(Some(&s), dir, &line.split(' ').collect::<Vec<_>>());
    std::fs::create_dir_all(d.path().join("in/sub")).unwrap();
    for (from, to) in [
        ("err_width_299.jpg", "in/small.jpg"),
        ("err_width_299.jpg", "in/sub/small.jpg"),
        ("err_height_299.jpg", "in/sub/short.jpg"),
    ] {
        std::fs::copy(fixture(&format!("image/{from}")), d.path().join(to)).unwrap();
    }
    let (code, out, err) = run(d.path(), "upload in --group g --fix --fix-out fixed");
    assert_eq!(code, 0, "{out}\n{err}");
    for f in ["in/small.jpg", "in/sub/small.jpg", "in/sub/short.jpg"] {
        assert!(d.path().join("fixed").join(f).is_file(), "{f}: {err}");
        assert!(out.contains(&format!("fixed/{f} → asset://")), "{out}");
    }
    // The two small.jpg are repaired into identical bytes: sent once.
    assert_eq!(s.count("CreateAsset"), 2);
    // `upload . --fix` from inside the folder: the default preflight-fixed/
    // is in it, and is never taken as input.
    let inp = d.path().join("in");
    let (code, out, err) = run(&inp, "upload . --group g --fix");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        inp.join("preflight-fixed/input/sub/small.jpg").is_file(),
        "{err}"
    );
    let before = s.count("CreateAsset");
    let (code, out, err) = run(&inp, "upload . --group g --fix");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        !out.contains("preflight-fixed/input/preflight-fixed"),
        "{out}"
    );
    assert_eq!(s.count("CreateAsset"), before, "a re-run sends nothing");
    // A --fix-out that is, or holds, an input folder, or a file where the
    // folder should be: a usage error, said before any work, with what to do.
    for (dir, line, says) in [
        (
            &inp,
            "upload . --group g --fix --fix-out .",
            "outside the inputs with --fix-out DIR",
        ),
        (
            &inp,
            "upload . --group g --fix --fix-out ..",
            "outside the inputs with --fix-out DIR",
        ),
        (
            &inp,
            "upload . --group g --fix --fix-out small.jpg",
            "is not a folder",
        ),
    ] {
        let (code, _, err) = run(dir, line);
        assert_eq!(code, 2, "{line}: {err}");
        assert!(err.contains(says), "{line}: {err}");
        assert_eq!(s.count("CreateAsset"), before, "{line}: nothing sent");
    }
}

/// Ctrl-C during `upload` lets the uploads in flight finish, prints how
/// many finished and the command that resumes; the resumed run sends the
/// rest and nothing twice.
#[cfg(unix)]
#[test]
fn cli_upload_ctrl_c_prints_what_finished_and_how_to_resume() {
    let s = FakeServer::start();
    s.with(|st| st.delay_creates = Duration::from_millis(300));
    let d = tmp();
    let files = copy_fixtures(d.path(), &FOUR_AUDIO);
    let child = upload_cmd(&s, d.path(), &["upload", "in", "--group", "g", "-j", "1"])
        .spawn()
        .unwrap();
    let (code, so, se) = support::ctrl_c_when(child, || s.count("CreateAsset") >= 1);
    assert_eq!(code, Some(130), "{so}\n{se}");
    let finished = so.lines().filter(|l| l.contains("→ asset://")).count();
    assert!((1..files.len()).contains(&finished), "{so}\n{se}");
    assert!(
        se.contains(&format!(
            "interrupted: {finished} of {} files finished",
            files.len()
        )),
        "{se}"
    );
    assert!(se.contains("resume with:\n  "), "{se}");
    assert!(se.contains("upload in --group g -j 1"), "{se}");
    // The command it printed resumes: the rest is sent, nothing twice.
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &["upload", "in", "--group", "g", "-j", "1"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("(already uploaded)").count(), finished, "{out}");
    assert_no_duplicates(&s, files.len(), "after Ctrl-C and a resume");
}

/// The same input gives the same exit code in `check` and `upload`: a
/// missing file or a FIFO named alone is 2, a failing file 1, a passing 0.
#[test]
fn cli_exit_codes_agree_between_check_and_upload() {
    let s = FakeServer::start();
    let d = tmp();
    std::fs::copy(fixture("audio/ok_wav_2.0s.wav"), d.path().join("ok.wav")).unwrap();
    std::fs::copy(fixture("audio/err_wav_1.9s.wav"), d.path().join("bad.wav")).unwrap();
    let mut cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["missing.wav"], 2),
        (vec!["bad.wav"], 1),
        (vec!["missing.wav", "ok.wav"], 1),
        (vec!["ok.wav"], 0),
    ];
    #[cfg(unix)]
    {
        let made = Command::new("mkfifo")
            .arg(d.path().join("pipe"))
            .status()
            .is_ok_and(|s| s.success());
        if made {
            cases.push((vec!["pipe"], 2));
        }
    }
    for (paths, want) in cases {
        let mut check = vec!["check"];
        check.extend(&paths);
        let (code, _, err) = preflight(Some(&s), d.path(), &check);
        assert_eq!(code, want, "check {paths:?}: {err}");
        let mut upload = vec!["upload"];
        upload.extend(&paths);
        upload.extend(["--group", "g"]);
        let (code, _, err) = preflight(Some(&s), d.path(), &upload);
        assert_eq!(code, want, "upload {paths:?}: {err}");
    }
}

/// The README's shell examples for check, upload, groups, assets and request
/// run as shown, against the fake service, in a folder holding the files
/// they name. Left out, and why: the `export` of a real relay URL and token
/// (the fake service's are set instead), `cargo` lines (they build), and a
/// line whose tool (`fd`, `jq`) is not installed. `group-…` is the id the
/// upload before it made.
#[cfg(unix)]
#[test]
fn readme_examples_run_against_the_fake_service() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let section = |title: &str| {
        let from = readme.find(title).unwrap();
        let rest = &readme[from..];
        let end = rest[1..].find("\n## ").map_or(rest.len(), |e| e + 1);
        rest[..end].to_string()
    };
    let mut lines = Vec::new();
    for title in ["## Check files", "## Upload to the asset library"] {
        let text = section(title);
        let mut in_sh = false;
        for l in text.lines() {
            match l.trim() {
                "```sh" => in_sh = true,
                "```" => in_sh = false,
                t if in_sh && !t.is_empty() => lines.push(t.to_string()),
                _ => {}
            }
        }
    }
    assert!(lines.len() >= 9, "{lines:?}");
    let s = FakeServer::start();
    s.with(|st| st.polls_to_active = 1);
    let d = tmp();
    let put = |from: &str, to: &str| {
        let to = d.path().join(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture(from), to).unwrap();
    };
    put("image/ok_1280x720.jpg", "photo.jpg");
    put("video/ok_1280x720_30fps_5s.mp4", "clips/walk.mp4");
    put("audio/ok_mp3_2.0s.mp3", "sounds/beat.mp3");
    put("image/ok_1280x720.jpg", "media/a.jpg");
    put("video/ok_1280x720_30fps_5s.mp4", "media/b.mp4");
    put("image/ok_300x300.jpg", "refs/cat.jpg");
    put("audio/ok_mp3_cbr128_stereo_5s.mp3", "refs/beat.mp3");
    let toml = section("## Profiles");
    let toml = &toml[toml.find("```toml\n").unwrap() + 8..];
    std::fs::write(
        d.path().join("strict.toml"),
        &toml[..toml.find("```").unwrap()],
    )
    .unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_preflight")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let has = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut ran = 0;
    for line in lines {
        let first = line.split_whitespace().next().unwrap_or("");
        if first == "export" || first == "cargo" {
            continue;
        }
        if ["fd", "jq"]
            .iter()
            .any(|t| line.contains(&format!("{t} ")) && !has(t))
        {
            continue;
        }
        let line = match s.groups().first() {
            Some(g) => line.replace("group-…", &g.id),
            None => line,
        };
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &line])
            .current_dir(d.path())
            .env("PATH", &path)
            .env("PREFLIGHT_BASE_URL", s.url())
            .env("PREFLIGHT_API_KEY", TOKEN)
            .env("PREFLIGHT_RETRY_DELAY_MS", "2")
            .env("PREFLIGHT_POLL_MS", "5")
            .stdin(std::process::Stdio::null());
        support::no_proxy(&mut cmd);
        let out = cmd.output().unwrap();
        let (so, se) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(!so.contains(TOKEN) && !se.contains(TOKEN));
        assert!(out.status.success(), "{line}\n{so}\n{se}");
        ran += 1;
    }
    assert!(ran >= 8, "{ran} examples ran");
    assert!(s.assets().iter().all(|a| a.status == "Active"));
    let content: Value =
        serde_json::from_slice(&std::fs::read(d.path().join("content.json")).unwrap()).unwrap();
    assert!(content.to_string().contains("asset://"), "{content}");
}

/// Names: a long stem is shortened (hash kept) to fit behind the prefix the
/// service showed; a group name that cannot fit is refused before any work
/// or any group is made; an existing group keeps working.
#[test]
fn cli_upload_fits_names_within_64_characters_with_the_prefix() {
    let s = FakeServer::start();
    let d = tmp();
    let src = fixture("audio/ok_wav_2.0s.wav");
    std::fs::create_dir_all(d.path().join("in")).unwrap();
    let long = format!("{}.wav", "take-".repeat(30));
    std::fs::copy(&src, d.path().join("in").join(&long)).unwrap();
    let (code, out, err) = preflight(Some(&s), d.path(), &["upload", "in", "--group", "refs"]);
    assert_eq!(code, 0, "{out}{err}");
    let assets = s.assets();
    assert_eq!(assets.len(), 1);
    let name = &assets[0].name;
    // The fake's prefix is 18 characters: 46 are left, all used.
    assert_eq!(name.chars().count(), 64 - PREFIX.chars().count(), "{name}");
    assert!(name.starts_with("take-take-"), "{name}");
    assert_eq!(name.rsplit('-').next().unwrap().len(), 12, "{name}");

    // Longer than any prefix allows: refused before anything is sent.
    let before = s.seen().len();
    let huge = "g".repeat(60);
    let (code, _, err) = preflight(Some(&s), d.path(), &["upload", "in", "--group", &huge]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("asset.name_length"), "{err}");
    assert_eq!(s.seen().len(), before, "no request was made");

    // 40 characters fit only a short prefix: a new group of that name is
    // not made (the prefix is not known before it exists) ...
    let forty = "h".repeat(40);
    let (code, _, err) = preflight(Some(&s), d.path(), &["upload", "in", "--group", &forty]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("asset.name_length") && err.contains("at most 34"),
        "{err}"
    );
    assert_eq!(s.count("CreateAssetGroup"), 1, "only refs was made");
    // ... but one that exists (so fits) is used.
    s.add_group(&forty);
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &["upload", "in", "--group", &forty, "--manifest", "m2.json"],
    );
    assert_eq!(code, 0, "{out}{err}");
}

/// An account near the service's 10,000 assets is warned about before the
/// batch; one far from it is not.
#[test]
fn cli_upload_warns_before_passing_the_account_limit() {
    let s = FakeServer::start();
    let d = tmp();
    copy_fixtures(
        d.path(),
        &["audio/ok_wav_2.0s.wav", "audio/ok_mp3_cbr128_stereo_5s.mp3"],
    );
    let (code, out, err) = preflight(Some(&s), d.path(), &["upload", "in", "--group", "refs"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("10000"), "{err}");
    // 9,999 assets held: two more would pass 10,000.
    s.with(|st| {
        let template = st.assets[0].clone();
        for i in 0..9_997 {
            let mut a = template.clone();
            a.id = format!("asset-9{i:09}");
            a.name = format!("other-{i}");
            // In another group: only the account's total counts.
            a.group_id = "group-9000000001".into();
            st.assets.push(a);
        }
    });
    let d2 = tmp();
    copy_fixtures(
        d2.path(),
        &[
            "audio/ok_wav_pcm16_8k_mono_3s.wav",
            "image/ok_png_800x600.png",
        ],
    );
    let (code, out, err) = preflight(Some(&s), d2.path(), &["upload", "in", "--group", "refs"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("holds 9999 assets") && err.contains("at most 10000"),
        "{err}"
    );
}

/// Issue 14, item 8: a manifest that cannot be written (its folder missing
/// or read-only, or a folder in its place) is refused before any file is
/// checked, repaired or sent.
#[cfg(unix)]
#[test]
fn cli_upload_refuses_an_unwritable_manifest_before_any_work() {
    use std::os::unix::fs::PermissionsExt;
    let s = FakeServer::start();
    let d = tmp();
    copy_fixtures(d.path(), &["audio/ok_wav_2.0s.wav"]);
    let ro = d.path().join("ro");
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores folder permissions: only then is the read-only case moot.
    let root_writes = std::fs::write(ro.join("probe"), b"").is_ok();
    let _ = std::fs::remove_file(ro.join("probe"));
    let mut cases = vec![
        ("nosuch/dir/m.json", "cannot write the manifest"),
        ("in", "is a folder"),
    ];
    if !root_writes {
        cases.push(("ro/m.json", "cannot write the manifest"));
    }
    for (manifest, says) in cases {
        let (code, out, err) = preflight(
            Some(&s),
            d.path(),
            &[
                "upload",
                "in",
                "--group",
                "g",
                "--fix",
                "--manifest",
                manifest,
            ],
        );
        assert_eq!(code, 2, "{manifest}: {out}{err}");
        assert!(err.contains(says), "{manifest}: {err}");
        assert!(s.seen().is_empty(), "{manifest}: a request was made");
        assert!(
            !d.path().join("preflight-fixed").exists(),
            "{manifest}: work was done"
        );
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}
