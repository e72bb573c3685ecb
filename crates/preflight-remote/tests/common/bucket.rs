//! The bucket test of every object store (S3 on moto_server, Azure on
//! Azurite, GCS on fake-gcs-server): a bucket of objects made from the
//! fixtures is listed and checked by `check_all` with the reports of local
//! checks, one request per small object, two for a moov-at-end MP4, and at
//! a rate compared with plain single ranged GETs at the same concurrency.

use crate::common::{boxes, fixtures, pad_mdat, testdata};
use futures::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use preflight::{check_path, FileReport, ProbeLimits, Profile};
use preflight_remote::{check_all, RemoteOptions};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Objects in flight, for the upload, the plain GETs and the check.
pub const JOBS: usize = 64;

/// The object count: `$var` or 500.
pub fn object_count(var: &str) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

/// How objects are put into the bucket when not by the store's `put`
/// (blocking; called on tokio's blocking threads).
pub type Upload = Arc<dyn Fn(&str, &[u8]) + Send + Sync>;

/// Fills the (empty) bucket behind `store` (with `upload`, if given) with `n` objects made from the
/// fixtures of at most 64 KiB under `set{i % 7}/`, plus two 4 MiB MP4s
/// under `big/` (moov first, moov last); then checks `base` (the bucket's
/// URL, `s3://media/` or the like) with `opts` and compares every report
/// with the local one. Returns the objects per second of the check and of
/// plain ranged GETs.
pub async fn bucket_checks_like_local(
    store: Arc<dyn ObjectStore>,
    base: &str,
    opts: RemoteOptions,
    n: usize,
    upload: Option<Upload>,
) -> (f64, f64) {
    let names: Vec<String> = fixtures()
        .into_iter()
        .filter(|f| std::fs::metadata(testdata().join(f)).unwrap().len() <= 64 << 10)
        .collect();
    let mut data: HashMap<String, bytes::Bytes> = names
        .iter()
        .map(|f| (f.clone(), std::fs::read(testdata().join(f)).unwrap().into()))
        .collect();
    let key_of = |i: usize| {
        format!(
            "set{:02}/{i:05}-{}",
            i % 7,
            names[i % names.len()].replace('/', "-")
        )
    };
    let video = |n: &str| std::fs::read(testdata().join("video").join(n)).unwrap();
    let big = [
        (
            "big/faststart_4m.mp4",
            pad_mdat(&video("ok_1280x720_30fps_5s.mp4"), 4 << 20),
        ),
        (
            "big/moov_end_4m.mp4",
            pad_mdat(&video("ok_1280x720_30fps_5s_moov_end.mp4"), 4 << 20),
        ),
    ];
    let mut uploads: Vec<(String, bytes::Bytes)> = (0..n)
        .map(|i| (key_of(i), data[&names[i % names.len()]].clone()))
        .collect();
    for (k, d) in &big {
        uploads.push((k.to_string(), d.clone().into()));
    }
    let t = Instant::now();
    futures::stream::iter(uploads)
        .map(|(key, body)| {
            let (store, upload) = (store.clone(), upload.clone());
            async move {
                match upload {
                    Some(up) => tokio::task::spawn_blocking(move || up(&key, &body))
                        .await
                        .unwrap(),
                    None => {
                        store
                            .put(&key.as_str().into(), PutPayload::from_bytes(body))
                            .await
                            .unwrap_or_else(|e| panic!("put {key}: {e}"));
                    }
                }
            }
        })
        .buffer_unordered(JOBS)
        .collect::<Vec<()>>()
        .await;
    println!(
        "{base}: uploaded {} objects in {:.1} s",
        n + big.len(),
        t.elapsed().as_secs_f64()
    );

    // The local reports, per fixture (the big ones from temporary copies).
    let profile = Profile::builtin("seedance2").unwrap();
    let mut local: HashMap<String, FileReport> = names
        .iter()
        .map(|f| {
            (
                f.clone(),
                check_path(&testdata().join(f), &profile, &ProbeLimits::default()),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for (k, d) in &big {
        let p = dir.path().join(k.replace('/', "-"));
        std::fs::write(&p, d).unwrap();
        local.insert(
            k.to_string(),
            check_path(&p, &profile, &ProbeLimits::default()),
        );
        data.insert(k.to_string(), d.clone().into());
    }
    let total = n + big.len();

    // Baseline: list, then one plain ranged GET of the head of each object.
    let t = Instant::now();
    let metas: Vec<_> = store.list(None).map(|m| m.unwrap()).collect().await;
    assert_eq!(metas.len(), total, "listing {base}");
    let plain_bytes: usize = futures::stream::iter(metas)
        .map(|m| {
            let store = store.clone();
            async move {
                if m.size == 0 {
                    return 0;
                }
                store
                    .get_range(&m.location, 0..(64 << 10).min(m.size))
                    .await
                    .unwrap()
                    .len()
            }
        })
        .buffer_unordered(JOBS)
        .collect::<Vec<usize>>()
        .await
        .into_iter()
        .sum();
    let plain_rate = total as f64 / t.elapsed().as_secs_f64();

    // preflight: list and check the bucket.
    let url = url::Url::parse(base).unwrap();
    let t = Instant::now();
    let checked: Vec<_> = check_all(vec![url], profile.clone(), opts.concurrency(JOBS))
        .collect()
        .await;
    let rate = total as f64 / t.elapsed().as_secs_f64();
    assert_eq!(checked.len(), total);
    let (mut requests, mut bytes, mut held) = (0u64, 0u64, 0u64);
    for c in &checked {
        let path = c.report.path_str();
        let key = path
            .strip_prefix(base)
            .unwrap_or_else(|| panic!("{path} is not under {base}"));
        let name = if key.starts_with("big/") {
            key.to_string()
        } else {
            let i: usize = key[6..11].parse().unwrap();
            names[i % names.len()].clone()
        };
        let mut want = local[&name].clone();
        want.path = c.report.path.clone();
        // The local extension-mismatch message names the same extension:
        // the key keeps the fixture's.
        assert_eq!(c.report, want, "{path} vs {name}");
        // Requests per object: a small one is read whole in one (an empty
        // one in none: its size is known from the listing); a 4 MiB
        // faststart MP4 in one head; a moov-at-end MP4 in head + moov.
        let len = data[&name].len();
        let want_requests = match name.as_str() {
            "big/moov_end_4m.mp4" => 2,
            _ => u32::from(len > 0),
        };
        assert_eq!(c.stats.requests, want_requests, "{path}: requests");
        if want_requests < 2 {
            assert_eq!(c.stats.bytes, len.min(64 << 10) as u64, "{path}: bytes");
        } else {
            let moov = boxes(&data[&name])
                .into_iter()
                .find(|b| &b.0 == b"moov")
                .unwrap()
                .2;
            let most = (64 << 10) + moov + (64 << 10);
            assert!(
                c.stats.bytes as usize <= most,
                "{path}: {} bytes",
                c.stats.bytes
            );
        }
        requests += u64::from(c.stats.requests);
        bytes += c.stats.bytes;
        held += c.stats.held;
    }
    println!(
        "preflight check {base}: {total} objects, {rate:.0} objects/s, {:.2} requests/object, {:.0} bytes/object (the prober held {:.0}); plain ranged GETs: {plain_rate:.0} objects/s, {:.0} bytes/object; ratio {:.0} %",
        requests as f64 / total as f64,
        bytes as f64 / total as f64,
        held as f64 / total as f64,
        plain_bytes as f64 / total as f64,
        100.0 * rate / plain_rate
    );
    assert!(
        bytes as f64 <= 1.5 * held as f64,
        "read {bytes} bytes for {held} the prober held"
    );
    // The goal is 80 % of the plain rate; on a shared two-core machine
    // (the server, the client and other work on the same cores) the test
    // only guards against a collapse.
    assert!(
        rate >= 0.5 * plain_rate,
        "{rate:.0}/s vs {plain_rate:.0}/s plain"
    );
    (rate, plain_rate)
}
