//! `preflight check` of URLs — a 127.0.0.1 HTTP server, and buckets on
//! object-store servers started here (moto_server for S3, Azurite for
//! Azure, fake-gcs-server for GCS) — gives the verdicts and figures of a
//! check of the local copies.

#[path = "../../preflight-remote/tests/common/mod.rs"]
mod common;

use common::{
    azurite_put, fake_gcs_bucket, fake_gcs_put, fixtures, moto_bucket, moto_put, start_azurite,
    start_fake_gcs, start_moto, testdata, Mode, Server, AZURITE_ACCOUNT, AZURITE_KEY, MOTO_ENV,
};
use serde_json::Value;
use std::collections::HashMap;
use std::process::{Command, Output};

fn preflight(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .envs(MOTO_ENV)
        .output()
        .expect("run preflight")
}

fn files_by_path(out: &Output) -> HashMap<String, Value> {
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

/// The local reports of `names` (under testdata/), keyed by name.
fn local(names: &[String]) -> HashMap<String, Value> {
    let paths: Vec<String> = names
        .iter()
        .map(|n| testdata().join(n).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["check", "--format", "json"];
    args.extend(paths.iter().map(String::as_str));
    let by_path = files_by_path(&preflight(&args));
    names
        .iter()
        .zip(&paths)
        .map(|(n, p)| (n.clone(), by_path[p].clone()))
        .collect()
}

fn same_but_path(mut remote: Value, mut local: Value) -> (Value, Value) {
    remote["path"] = Value::Null;
    local["path"] = Value::Null;
    (remote, local)
}

#[test]
fn urls_and_local_paths_mixed_give_the_local_reports() {
    let names = fixtures();
    let files = names
        .iter()
        .map(|n| (n.clone(), std::fs::read(testdata().join(n)).unwrap()))
        .collect();
    let server = Server::start(
        files,
        Mode {
            ranges: true,
            fail_first: false,
        },
    );
    let urls: Vec<String> = names.iter().map(|n| server.url(n).to_string()).collect();
    let a_local = testdata().join("image/ok_300x300.jpg");
    let mut args = vec!["check", "--format", "json", "-q", "--jobs", "8"];
    args.extend(urls.iter().map(String::as_str));
    args.push(a_local.to_str().unwrap());
    let out = preflight(&args);
    assert_eq!(out.status.code(), Some(1), "some fixtures fail");
    let remote = files_by_path(&out);
    assert_eq!(remote.len(), names.len() + 1);
    assert!(remote.contains_key(a_local.to_str().unwrap()));
    let local = local(&names);
    for (n, u) in names.iter().zip(&urls) {
        let r = remote
            .get(u)
            .unwrap_or_else(|| panic!("no report with the URL {u} as path"));
        let (r, l) = same_but_path(r.clone(), local[n].clone());
        assert_eq!(r, l, "{n}");
    }
}

/// A 127.0.0.1 server (honouring `Range`) of the one fixture `name`.
fn serve_one(name: &str) -> Server {
    let body = std::fs::read(testdata().join(name)).unwrap();
    let mode = Mode {
        ranges: true,
        fail_first: false,
    };
    Server::start([(name.to_string(), body)].into(), mode)
}

#[test]
fn one_passing_url_exits_0_and_a_missing_one_is_unreadable() {
    let name = "video/ok_1280x720_30fps_5s_moov_end.mp4";
    let server = serve_one(name);
    let out = preflight(&["check", server.url(name).as_str()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(server.url(name).as_str()));
    let missing = server.url("missing.mp4");
    let out = preflight(&["check", "--format", "json", missing.as_str()]);
    let r = files_by_path(&out);
    assert_eq!(
        r[missing.as_str()]["violations"][0]["rule"],
        "file.unreadable"
    );
    assert_eq!(out.status.code(), Some(2), "nothing could be read");
}

/// `--verify decode` decodes the local files only: a URL is judged on its
/// headers and says so (`file.not_verified`), next to a local file that was
/// decoded.
#[test]
fn verify_decode_judges_urls_on_their_headers() {
    let name = "image/ok_300x300.jpg";
    let server = serve_one(name);
    let url = server.url(name);
    let a_local = testdata().join(name);
    let out = preflight(&[
        "check",
        "--format",
        "json",
        "--verify",
        "decode",
        url.as_str(),
        a_local.to_str().unwrap(),
    ]);
    let r = files_by_path(&out);
    let remote = &r[url.as_str()];
    assert_eq!(remote["verdict"], "pass", "{remote}");
    assert_eq!(remote["violations"], serde_json::json!([]), "{remote}");
    assert_eq!(
        remote["warnings"][0]["rule"], "file.not_verified",
        "{remote}"
    );
    let local = &r[a_local.to_str().unwrap()];
    assert_eq!(local["verdict"], "pass", "{local}");
    assert_eq!(local["warnings"], serde_json::json!([]), "{local}");
    assert_eq!(out.status.code(), Some(0));
}

/// Settings of a run of `preflight`: environment variables and arguments.
type Config<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

/// Puts the fixtures under `{base}in/` with `put(key, body)` and one object
/// `out/x.jpg` outside that prefix; then, for each of `configs`, `check
/// {base}in/` lists every object under the prefix and gives each the local
/// report of the fixture it was made from, and a single key and a prefix
/// without its slash (`{base}out`) are checked too.
fn prefix_checks_like_local(base: &str, put: impl Fn(&str, &[u8]), configs: &[Config]) {
    let names = fixtures();
    let mut keys = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        let key = format!("in/{i:03}-{}", n.replace('/', "-"));
        put(&key, &std::fs::read(testdata().join(n)).unwrap());
        keys.insert(format!("{base}{key}"), n.clone());
    }
    put("out/x.jpg", b"x");
    let local = local(&names);
    for (envs, args) in configs {
        let run = |extra: &[&str]| {
            let mut all = vec!["check", "--format", "json"];
            all.extend_from_slice(args);
            all.extend_from_slice(extra);
            let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
                .args(&all)
                .envs(MOTO_ENV)
                .envs(envs.iter().copied())
                .output()
                .expect("run preflight");
            (files_by_path(&out), out)
        };
        let prefix = format!("{base}in/");
        let (remote, out) = run(&["--jobs", "16", &prefix]);
        assert_eq!(
            remote.len(),
            names.len(),
            "{envs:?} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for (url, n) in &keys {
            let (r, l) = same_but_path(remote[url].clone(), local[n].clone());
            assert_eq!(r, l, "{url} ({envs:?} {args:?})");
        }
        // A single key and a prefix without its slash work too.
        let one = keys.keys().next().unwrap();
        let out_prefix = format!("{base}out");
        let (r, out) = run(&[one, &out_prefix]);
        assert_eq!(r.len(), 2, "{}", String::from_utf8_lossy(&out.stderr));
        assert!(r.contains_key(one) && r.contains_key(&format!("{base}out/x.jpg")));
        let (a, b) = same_but_path(r[one].clone(), local[&keys[one]].clone());
        assert_eq!(a, b, "{one}");
    }
}

/// A bucket on moto_server: `check s3://bucket/` lists every object and
/// gives each the local report of the fixture it was made from.
#[test]
fn an_s3_prefix_checks_like_its_local_copies() {
    let Some((_moto, endpoint)) = start_moto() else {
        return;
    };
    moto_bucket(&endpoint, "media");
    let put = |key: &str, body: &[u8]| moto_put(&endpoint, "media", key, body);
    prefix_checks_like_local("s3://media/", put, &[(&[], &["--endpoint-url", &endpoint])]);
}

/// A container on Azurite: `check az://container/prefix/` with the
/// emulator settings object_store reads (`AZURE_STORAGE_USE_EMULATOR`,
/// `AZURITE_BLOB_STORAGE_URL`), and with `--endpoint-url` (the account URL)
/// and the account's name and key, as for any Azure-compatible endpoint.
#[test]
fn an_az_prefix_checks_like_its_local_copies() {
    let Some((_azurite, endpoint)) = start_azurite() else {
        return;
    };
    azurite_put(&endpoint, "/media", &[("restype", "container")], b"");
    let put = |key: &str, body: &[u8]| azurite_put(&endpoint, &format!("/media/{key}"), &[], body);
    let account_url = format!("{endpoint}/{AZURITE_ACCOUNT}");
    prefix_checks_like_local(
        "az://media/",
        put,
        &[
            (
                &[
                    ("AZURE_STORAGE_USE_EMULATOR", "true"),
                    ("AZURITE_BLOB_STORAGE_URL", &endpoint),
                ],
                &[],
            ),
            (
                &[
                    ("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT),
                    ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY),
                ],
                &["--endpoint-url", &account_url],
            ),
        ],
    );
}

/// A bucket on fake-gcs-server: `check gs://bucket/prefix/` with the
/// Google SDKs' emulator variable (`STORAGE_EMULATOR_HOST`, no
/// credentials), and with `--endpoint-url` and object_store's
/// `GOOGLE_SKIP_SIGNATURE` (anonymous reads, as of a public bucket).
#[test]
fn a_gs_prefix_checks_like_its_local_copies() {
    let Some((_gcs, endpoint)) = start_fake_gcs() else {
        return;
    };
    fake_gcs_bucket(&endpoint, "media");
    let put = |key: &str, body: &[u8]| fake_gcs_put(&endpoint, "media", key, body);
    let host = endpoint.trim_start_matches("http://");
    prefix_checks_like_local(
        "gs://media/",
        put,
        &[
            (&[("STORAGE_EMULATOR_HOST", host)], &[]),
            (
                &[("GOOGLE_SKIP_SIGNATURE", "true")],
                &["--endpoint-url", &endpoint],
            ),
        ],
    );
}
