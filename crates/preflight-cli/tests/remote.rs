//! `preflight check` of URLs — a 127.0.0.1 HTTP server, and an S3 bucket of
//! a moto_server started here — gives the verdicts and figures of a check
//! of the local copies.

#[path = "../../preflight-remote/tests/common/mod.rs"]
mod common;

use common::{fixtures, start_moto, testdata, Mode, Server, MOTO_ENV};
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

#[test]
fn one_passing_url_exits_0_and_a_missing_one_is_unreadable() {
    let name = "video/ok_1280x720_30fps_5s_moov_end.mp4";
    let files = [(
        name.to_string(),
        std::fs::read(testdata().join(name)).unwrap(),
    )]
    .into();
    let server = Server::start(
        files,
        Mode {
            ranges: true,
            fail_first: false,
        },
    );
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

/// A bucket on moto_server: `check s3://bucket/` lists every object and
/// gives each the local report of the fixture it was made from.
#[test]
fn an_s3_prefix_checks_like_its_local_copies() {
    let Some((_moto, endpoint)) = start_moto() else {
        return;
    };
    let names = fixtures();
    // An unsigned PUT per object (moto does not check signatures).
    let agent = ureq::Agent::new_with_defaults();
    agent
        .put(&format!("{endpoint}/media"))
        .send_empty()
        .expect("create the bucket");
    let mut keys = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        let key = format!("in/{i:03}-{}", n.replace('/', "-"));
        let body = std::fs::read(testdata().join(n)).unwrap();
        agent
            .put(&format!("{endpoint}/media/{key}"))
            .send(&body[..])
            .expect("put an object");
        keys.insert(format!("s3://media/{key}"), n.clone());
    }
    // One object outside the prefix is not listed.
    agent
        .put(&format!("{endpoint}/media/out/x.jpg"))
        .send(&b"x"[..])
        .unwrap();
    let out = preflight(&[
        "check",
        "--format",
        "json",
        "--endpoint-url",
        &endpoint,
        "--jobs",
        "16",
        "s3://media/in/",
    ]);
    let remote = files_by_path(&out);
    assert_eq!(
        remote.len(),
        names.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local = local(&names);
    for (url, n) in &keys {
        let (r, l) = same_but_path(remote[url].clone(), local[n].clone());
        assert_eq!(r, l, "{url}");
    }
    // A single key and a prefix without its slash work too.
    let one = keys.keys().next().unwrap();
    let out = preflight(&[
        "check",
        "--format",
        "json",
        "--endpoint-url",
        &endpoint,
        one,
        "s3://media/out",
    ]);
    let r = files_by_path(&out);
    assert_eq!(r.len(), 2);
    assert!(r.contains_key(one) && r.contains_key("s3://media/out/x.jpg"));
}
