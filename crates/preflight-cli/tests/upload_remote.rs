//! `upload` of remote media (issue 19): an `https://` (here 127.0.0.1)
//! URL is checked by range, then created with the URL form of
//! `CreateAsset` — the fake service fetches it, as the real one does; an
//! `s3://` prefix on moto_server is created from presigned URLs; and
//! `fix` of URLs downloads only what fails and can be repaired.

#[path = "../../preflight-remote/tests/common/mod.rs"]
mod common;
mod support;

use common::{moto_bucket, moto_put, start_moto, testdata, Counts, Mode, Server, MOTO_ENV};
use preflight::{FileReport, Format, MediaInfo, Report};
use preflight_api::upload::{
    upload_files, Client, ClientConfig, Manifest, RetryPolicy, Source, Timeouts, Token,
    UploadOptions, Validators,
};
use preflight_api::{CheckedFile, UploadError};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{FakeServer, TOKEN};

const PASS_VIDEO: &str = "video/ok_1280x720_30fps_5s_moov_end.mp4";
const PASS_IMAGE: &str = "image/ok_300x300.jpg";
const FAIL_IMAGE: &str = "image/err_width_299.jpg";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join(name)).unwrap()
}

/// A moov-at-end MP4 of 4 MiB: the fixture with its `mdat` padded.
const BIG_VIDEO: &str = "video/big_4MiB_moov_end.mp4";

fn bytes_of(name: &str) -> Vec<u8> {
    if name == BIG_VIDEO {
        return common::pad_mdat(&fixture(PASS_VIDEO), 4 << 20);
    }
    fixture(name)
}

fn serve(names: &[&str]) -> Arc<Server> {
    let files = names.iter().map(|n| (n.to_string(), bytes_of(n))).collect();
    Arc::new(Server::start(
        files,
        Mode {
            ranges: true,
            fail_first: false,
        },
    ))
}

fn preflight(server: &FakeServer, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    cmd.args(args)
        .current_dir(dir)
        .envs(MOTO_ENV)
        .env("PREFLIGHT_BASE_URL", server.url())
        .env("PREFLIGHT_API_KEY", TOKEN)
        .env("PREFLIGHT_RETRY_DELAY_MS", "2");
    support::no_proxy(&mut cmd);
    let out = cmd.output().unwrap();
    let (code, so, se) = support::without_token(out);
    (code.unwrap_or(-1), so, se)
}

/// Records, for each CreateAsset of the URL form, what the fixture
/// server had served of that URL when the create arrived.
fn record_reads(s: &FakeServer, files: &Arc<Server>) -> Arc<Mutex<Vec<(String, Counts)>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (log, files) = (Arc::clone(&seen), Arc::clone(files));
    let base = files.base.clone();
    s.with(|st| {
        st.fetch_urls = true;
        st.on_url_create = Some(Arc::new(move |url: &str| {
            let name = url
                .strip_prefix(&format!("{base}/"))
                .unwrap_or("")
                .to_string();
            log.lock()
                .unwrap()
                .push((url.to_string(), files.counts(&name)));
        }));
    });
    seen
}

fn manifest_entries(dir: &Path) -> Vec<Value> {
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.join("preflight-manifest.json")).unwrap())
            .unwrap();
    m["entries"].as_array().unwrap().clone()
}

#[test]
fn a_url_is_checked_by_range_then_created_by_url_once() {
    let names = [PASS_VIDEO, PASS_IMAGE, FAIL_IMAGE, BIG_VIDEO];
    let files = serve(&names);
    let s = FakeServer::start();
    let reads = record_reads(&s, &files);
    let d = tempfile::tempdir().unwrap();
    let urls: Vec<String> = names.iter().map(|n| files.url(n).to_string()).collect();
    let mut args = vec!["upload", "--group", "refs", "-q"];
    args.extend(urls.iter().map(String::as_str));
    let (code, out, err) = preflight(&s, d.path(), &args);
    assert_eq!(code, 1, "one URL fails the check\n{out}\n{err}");
    assert!(
        err.contains(&urls[2]) && err.contains("image.width"),
        "{err}"
    );
    // An asset per passing URL, each of the URL form with the URL itself;
    // the service fetched the file's bytes, and the check had read the URL
    // (by range) before the create arrived.
    let assets = s.assets();
    assert_eq!(assets.len(), 3, "{err}");
    let reads = reads.lock().unwrap().clone();
    assert_eq!(reads.len(), 3);
    let passing = [
        (PASS_VIDEO, &urls[0]),
        (PASS_IMAGE, &urls[1]),
        (BIG_VIDEO, &urls[3]),
    ];
    for (name, url) in passing {
        let a = assets
            .iter()
            .find(|a| a.upload.url.as_deref() == Some(url.as_str()))
            .unwrap_or_else(|| panic!("no asset made from {url}"));
        assert_eq!(a.upload.form, "url");
        assert_eq!(a.upload.fetch_error, None);
        assert_eq!(a.upload.bytes, bytes_of(name), "{name}");
        let expected_type = if name.starts_with("video/") {
            "Video"
        } else {
            "Image"
        };
        assert_eq!(a.asset_type, expected_type);
        let (_, before) = reads.iter().find(|(u, _)| u == url).unwrap();
        assert!(
            before.requests >= 1,
            "{url} was not checked before CreateAsset"
        );
        // Ranges only: at most the head and the tail were read.
        let size = bytes_of(name).len() as u64;
        assert!(before.requests <= 2, "{url}: {before:?}");
        assert!(
            before.bytes <= size.min(2 * (64 << 10)),
            "{url}: {before:?}"
        );
        assert!(out.contains(&format!("{url} → asset://{}", a.id)), "{out}");
        let create = s
            .seen()
            .into_iter()
            .find(|r| r.action == "CreateAsset" && r.raw.contains(url.as_str()))
            .unwrap();
        println!(
            "{name}: {size} bytes; check {} request(s), {} bytes; CreateAsset body {} bytes",
            before.requests,
            before.bytes,
            create.raw.len()
        );
    }
    // Never a create for the failing URL; its only read is the check's.
    assert!(s.seen().iter().all(|r| !r.raw.contains(FAIL_IMAGE)));
    assert_eq!(files.counts(FAIL_IMAGE).requests, 1);
    // The manifest knows each by URL and validators, not by content.
    let entries = manifest_entries(d.path());
    assert_eq!(entries.len(), 3);
    for e in &entries {
        let url = e["url"].as_str().unwrap();
        assert!(urls.contains(&url.to_string()));
        assert_eq!(e["path"], url);
        assert!(
            e["etag"].as_str().is_some_and(|t| t.starts_with('"')),
            "{e}"
        );
        assert_eq!(e["last_modified"], "Tue, 01 Dec 2026 12:00:00 GMT");
        assert_eq!(e["hash"].as_str().unwrap().len(), 64);
    }
    // A re-run with the same URLs and validators creates nothing.
    let creates = s.count("CreateAsset");
    let (code, out, err) = preflight(&s, d.path(), &args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(s.count("CreateAsset"), creates, "{err}");
    assert_eq!(out.matches("(already uploaded)").count(), 3, "{out}");
    assert_eq!(s.assets().len(), 3);
}

#[test]
fn plain_http_to_another_host_and_unsigned_buckets_are_refused_before_any_request() {
    let s = FakeServer::start();
    let d = tempfile::tempdir().unwrap();
    // Plain http:// to another machine: refused, nothing checked or sent.
    for url in [
        "http://media.example.invalid/a.jpg",
        "http://10.1.2.3/b.mp4",
    ] {
        let (code, _out, err) = preflight(&s, d.path(), &["upload", "--group", "g", url]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("plain http://") && err.contains(url), "{err}");
    }
    assert!(s.seen().is_empty(), "no request to the service");
    // With a URL that passes beside it, that one is uploaded, the other not.
    let files = serve(&[PASS_IMAGE]);
    let ok = files.url(PASS_IMAGE).to_string();
    let (code, out, err) = preflight(
        &s,
        d.path(),
        &["upload", "--group", "g", "http://10.1.2.3/b.mp4", &ok],
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.contains(&ok), "{out}");
    let assets = s.assets();
    assert_eq!(assets.len(), 1);
    assert_eq!(assets[0].upload.url.as_deref(), Some(ok.as_str()));
    // An object-store URL without --presign: a usage error saying why.
    let before = s.seen().len();
    let (code, _, err) = preflight(&s, d.path(), &["upload", "--group", "g", "s3://b/p/"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--presign") && err.contains("never relies on objects being public"),
        "{err}"
    );
    // Beyond SigV4's 7 days.
    let (code, _, err) = preflight(
        &s,
        d.path(),
        &["upload", "--group", "g", "--presign", "8d", "s3://b/p/"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("7 days"), "{err}");
    assert_eq!(s.seen().len(), before, "no request to the service");
}

fn remote_checked(url: &str, etag: &str) -> CheckedFile {
    let info = MediaInfo::new(Format::Jpeg, 1000);
    let report = FileReport::checked(url, info, Report::default());
    let v = Validators::new(Some(etag.into()), None, Some(1000));
    CheckedFile::from_remote_report(&report, url, v).unwrap()
}

/// The decision for changed validators: the same URL whose ETag changed is
/// another version of the object, created as a new asset (the earlier one
/// keeps what the service fetched then); the same ETag is never sent twice.
#[test]
fn changed_validators_make_a_new_asset_and_the_same_ones_none() {
    let s = FakeServer::start();
    let mut cfg = ClientConfig::new(s.url(), Token::new(TOKEN).unwrap());
    cfg.retry = RetryPolicy::default().max_attempts(2);
    cfg.timeouts = Timeouts::new(Duration::from_secs(2), Duration::from_secs(5));
    let c = Client::new(cfg).unwrap();
    let g = c.create_group("v").unwrap();
    let d = tempfile::tempdir().unwrap();
    let mut m = Manifest::new(d.path().join("m.json"));
    let url = "https://media.example.com/a.jpg";
    let up = |m: &mut Manifest, f: CheckedFile| {
        let o = upload_files(&c, &g, &[f], m, &UploadOptions::new(), &|_| {}).unwrap();
        o.into_iter().next().unwrap().result.unwrap()
    };
    let first = up(&mut m, remote_checked(url, "\"v1\""));
    assert_eq!(first.source, Source::Created);
    let again = up(&mut m, remote_checked(url, "\"v1\""));
    assert_eq!(
        (again.source, &again.asset_id),
        (Source::Manifest, &first.asset_id)
    );
    let changed = up(&mut m, remote_checked(url, "\"v2\""));
    assert_eq!(changed.source, Source::Created);
    assert_ne!(changed.asset_id, first.asset_id);
    assert_eq!(s.count("CreateAsset"), 2);
    assert_eq!(m.find_url(&g, url).unwrap().etag.as_deref(), Some("\"v2\""));
    // The URL form carried the URL; a remote object has no bytes to send.
    assert!(s.assets().iter().all(|a| a.upload.form == "url"));
    let f = remote_checked(url, "\"v3\"");
    assert!(matches!(
        c.create_asset(&g, "x", preflight_api::upload::Payload::Multipart(&f)),
        Err(UploadError::RemoteOnly { .. })
    ));
    // A presigned URL given as input is known without its signature: not
    // stored, and the same object when signed again.
    let signed = remote_checked(
        &format!("{url}?X-Amz-Signature=abc&X-Amz-Expires=60"),
        "\"v2\"",
    );
    assert_eq!(signed.path(), Path::new(url));
    let again = up(&mut m, signed);
    assert_eq!(
        (again.source, &again.asset_id),
        (Source::Manifest, &changed.asset_id)
    );
    // Plain http:// to another machine cannot be made into one.
    let report = FileReport::checked(
        "http://media.example.com/a.jpg",
        MediaInfo::new(Format::Jpeg, 1000),
        Report::default(),
    );
    assert!(matches!(
        CheckedFile::from_remote_report(
            &report,
            "http://media.example.com/a.jpg",
            Validators::default()
        ),
        Err(UploadError::BadUrl { .. })
    ));
}

/// `upload s3://bucket/prefix/ --presign 24h` on moto_server: the service
/// gets a presigned GET URL per passing object, valid ≥ 24 h, that serves
/// the object's bytes; a re-run creates nothing.
#[test]
fn an_s3_prefix_is_uploaded_from_presigned_urls() {
    let Some((_moto, endpoint)) = start_moto() else {
        return;
    };
    moto_bucket(&endpoint, "media");
    let mut objects = HashMap::new();
    for (key, name) in [
        ("in/clip.mp4", PASS_VIDEO),
        ("in/photo.jpg", PASS_IMAGE),
        ("in/narrow.jpg", FAIL_IMAGE),
    ] {
        let body = fixture(name);
        moto_put(&endpoint, "media", key, &body);
        objects.insert(key, body);
    }
    let s = FakeServer::start();
    s.with(|st| st.fetch_urls = true);
    let d = tempfile::tempdir().unwrap();
    let args = [
        "upload",
        "--group",
        "s3refs",
        "--presign",
        "24h",
        "--endpoint-url",
        &endpoint,
        "s3://media/in/",
    ];
    let (code, out, err) = preflight(&s, d.path(), &args);
    assert_eq!(code, 1, "one object fails\n{out}\n{err}");
    assert!(err.contains("s3://media/in/narrow.jpg"), "{err}");
    let assets = s.assets();
    assert_eq!(assets.len(), 2, "{err}");
    for key in ["in/clip.mp4", "in/photo.jpg"] {
        let prefix = format!("{endpoint}/media/{key}?");
        let a = assets
            .iter()
            .find(|a| {
                a.upload
                    .url
                    .as_deref()
                    .is_some_and(|u| u.starts_with(&prefix))
            })
            .unwrap_or_else(|| panic!("no asset from a presigned URL of {key}"));
        let u = url::Url::parse(a.upload.url.as_deref().unwrap()).unwrap();
        let q: HashMap<String, String> = u.query_pairs().into_owned().collect();
        let expires: u64 = q["X-Amz-Expires"].parse().unwrap();
        assert!(expires >= 24 * 3600, "{u}");
        assert_eq!(q["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert!(q.contains_key("X-Amz-Signature") && q.contains_key("X-Amz-Credential"));
        // What the service fetched, and what the URL serves now, is the object.
        assert_eq!(a.upload.fetch_error, None);
        assert_eq!(&a.upload.bytes, &objects[key], "{key}");
        assert_eq!(&support::fetch_url(u.as_str()).unwrap(), &objects[key]);
        assert!(
            out.contains(&format!("s3://media/{key} → asset://{}", a.id)),
            "{out}"
        );
        let create = s
            .seen()
            .into_iter()
            .find(|r| r.action == "CreateAsset" && r.raw.contains(key))
            .unwrap();
        println!(
            "s3://media/{key}: {} bytes; CreateAsset body {} bytes (presigned URL {} bytes)",
            objects[key].len(),
            create.raw.len(),
            u.as_str().len()
        );
    }
    assert!(s.seen().iter().all(|r| !r.raw.contains("narrow.jpg")));
    // The manifest keeps the object's URL, never the presigned one.
    let text = std::fs::read_to_string(d.path().join("preflight-manifest.json")).unwrap();
    assert!(!text.contains("X-Amz-Signature"), "{text}");
    let urls: Vec<String> = manifest_entries(d.path())
        .iter()
        .map(|e| e["url"].as_str().unwrap().to_string())
        .collect();
    assert!(
        urls.contains(&"s3://media/in/clip.mp4".to_string()),
        "{urls:?}"
    );
    // A re-run: same objects, same ETags, nothing created.
    let (code, out, err) = preflight(&s, d.path(), &args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(s.assets().len(), 2, "{err}");
    assert_eq!(out.matches("(already uploaded)").count(), 2, "{out}");
}

/// `fix URL... --out DIR`: only the object that fails and can be repaired
/// is downloaded; the repaired copy passes.
#[test]
fn fix_of_urls_downloads_only_what_it_repairs() {
    const BIG: &str = "image/err_width_6001.jpg";
    const CORRUPT: &str = "image/err_corrupt_truncated_ihdr.png";
    let files = serve(&[BIG, PASS_IMAGE, CORRUPT]);
    let d = tempfile::tempdir().unwrap();
    let out_dir = d.path().join("out");
    let urls: Vec<String> = [BIG, PASS_IMAGE, CORRUPT]
        .iter()
        .map(|n| files.url(n).to_string())
        .collect();
    let mut args = vec![
        "fix",
        "--format",
        "json",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    args.extend(urls.iter().map(String::as_str));
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    let by_path: HashMap<&str, &Value> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f))
        .collect();
    let big = by_path[urls[0].as_str()];
    assert_eq!(big["status"], "repaired", "{big}");
    let written = out_dir.join("127.0.0.1/image/err_width_6001.jpg");
    assert_eq!(big["output"], written.to_str().unwrap());
    let check = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["check", written.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "the repaired copy passes");
    assert_eq!(by_path[urls[1].as_str()]["status"], "passed");
    assert_eq!(by_path[urls[2].as_str()]["status"], "not_repaired");
    assert_eq!(out.status.code(), Some(1), "one could not be repaired");
    // Reads: the failing one once whole after its check; the others only
    // their check's range (one request each).
    let size = |n: &str| fixture(n).len() as u64;
    let c = files.counts(BIG);
    assert_eq!(c.requests, 2, "{c:?}");
    assert!(c.bytes <= size(BIG) + (64 << 10), "{c:?}");
    for n in [PASS_IMAGE, CORRUPT] {
        let c = files.counts(n);
        assert_eq!(c.requests, 1, "{n}: {c:?}");
        assert!(c.bytes <= size(n).min(64 << 10), "{n}: {c:?}");
    }
    println!(
        "fix by URL: {BIG} {:?} (size {}), {PASS_IMAGE} {:?}, {CORRUPT} {:?}",
        files.counts(BIG),
        size(BIG),
        files.counts(PASS_IMAGE),
        files.counts(CORRUPT)
    );
    // Nothing but the repaired copy in the output folder.
    let n = walk_count(&out_dir);
    assert_eq!(n, 1);
}

fn walk_count(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        n += if p.is_dir() { walk_count(&p) } else { 1 };
    }
    n
}

/// An MP3 whose duration was estimated (`--mp3-scan estimate`) is not
/// uploaded: upload sends only what was measured exactly.
#[test]
fn an_estimated_duration_is_not_uploaded() {
    const MP3: &str = "audio/ok_mp3_vbr_noxing_10s.mp3";
    let files = serve(&[MP3]);
    let s = FakeServer::start();
    let d = tempfile::tempdir().unwrap();
    let url = files.url(MP3).to_string();
    let (code, _, err) = preflight(
        &s,
        d.path(),
        &["upload", "--group", "a", "--mp3-scan", "estimate", &url],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("estimated") && err.contains(&url), "{err}");
    assert_eq!(s.count("CreateAsset"), 0);
    // Counted frame by frame (the default), it is uploaded by URL.
    let (code, out, err) = preflight(&s, d.path(), &["upload", "--group", "a", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("{url} → asset://")), "{out}");
    assert_eq!(s.assets()[0].asset_type, "Audio");
}
