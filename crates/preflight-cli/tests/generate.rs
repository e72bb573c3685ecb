//! Generation tasks (`preflight_api::generate`, `preflight generate`, `preflight
//! task get|wait`) against the fake service on 127.0.0.1: submit, poll,
//! download, and what goes wrong on the way.

mod support;

use preflight::bundle::{Bundle, Item};
use preflight_api::generate::{
    self, DownloadOptions, GenerateError, OptionError, PollOptions, TaskId, TaskOptions,
    TaskResult, TaskStatus, DEFAULT_TASKS_PATH, MODERATION_HINT,
};
use preflight_api::upload::{AssetType, Client, ClientConfig, RetryPolicy, Timeouts, Token};
use preflight_api::UploadError;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{FakeServer, Fault, T0, TASKS_PATH, TOKEN};

const VIDEO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/video/ok_1280x720_30fps_5s.mp4"
);
const MODEL: &str = "doubao-seedance-2-0-260128";

fn video() -> Vec<u8> {
    std::fs::read(VIDEO).unwrap()
}

fn server() -> FakeServer {
    let s = FakeServer::start();
    s.with(|st| st.video = video());
    s
}

fn client(s: &FakeServer) -> Client {
    let mut c = ClientConfig::new(s.url(), Token::new(TOKEN).unwrap());
    c.retry = RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(2))
        .max_delay(Duration::from_millis(10))
        .max_retry_after(Duration::from_secs(5));
    c.timeouts = Timeouts::new(Duration::from_secs(2), Duration::from_secs(5));
    Client::new(c).unwrap()
}

fn fast_poll() -> PollOptions {
    PollOptions::default()
        .first_interval(Duration::from_millis(2))
        .max_interval(Duration::from_millis(5))
        .timeout(Duration::from_secs(10))
}

/// Items pushed out of order: the content must still read text, image,
/// video, audio.
fn bundle() -> Bundle {
    let mut b = Bundle::new(Some("a cat walks to the music".into()));
    b.push(Item::asset("asset-a1", AssetType::Audio, Some(4.0)));
    b.push(Item::asset("asset-v1", AssetType::Video, Some(5.0)));
    b.push(Item::asset("asset-i1", AssetType::Image, None));
    b.push(Item::asset("asset://asset-i2", AssetType::Image, None));
    b
}

fn options() -> TaskOptions {
    let mut o = TaskOptions::new(MODEL);
    o.ratio = Some("16:9".into());
    o.resolution = Some("720p".into());
    o.duration = Some(5);
    o.generate_audio = Some(true);
    o.watermark = Some(false);
    o.seed = Some(42);
    o
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn failing_script(code: &str, message: &str) -> Vec<Value> {
    vec![
        json!({"status": "running", "progress": 60}),
        json!({"status": "running", "progress": 100}),
        json!({"status": "failed", "progress": 100, "error": {"code": code, "message": message}}),
    ]
}

// ------------------------------------------------------------- library

#[test]
fn a_task_runs_queued_running_succeeded_and_its_video_is_saved_byte_identical() {
    let s = server();
    let c = client(&s);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    assert!(id.as_str().starts_with("cgt-"), "{id}");
    let seen = Arc::new(Mutex::new(Vec::<(TaskStatus, Option<u8>)>::new()));
    let log = Arc::clone(&seen);
    let mut p = fast_poll();
    p.on_update = Some(Arc::new(move |t: &TaskResult| {
        log.lock().unwrap().push((t.status.clone(), t.progress));
    }));
    let t = generate::poll(&c, &id, &p).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (TaskStatus::Queued, None),
            (TaskStatus::Running, Some(50)),
            (TaskStatus::Succeeded, Some(100)),
        ]
    );
    assert_eq!(t.status, TaskStatus::Succeeded);
    assert_eq!(t.moderation_hint(), None);
    assert_eq!(t.updated_at, Some(T0 + 120));
    let url = t.video_url.clone().unwrap();
    assert!(
        url.starts_with(&format!("{}/videos/{id}.mp4?", s.url())),
        "{url}"
    );
    let e = t.url_expiry(0);
    assert!(e.from_finish);
    assert_eq!(generate::format_utc(e.at), "2026-01-01T11:52:00Z");

    let d = tmp();
    let out = d.path().join("out");
    let saved = generate::download(&c, &t, &DownloadOptions::new(&out)).unwrap();
    assert_eq!(saved.path, out.join(format!("{id}.mp4")));
    assert_eq!(saved.bytes, video().len() as u64);
    assert_eq!(std::fs::read(&saved.path).unwrap(), video());
    assert_eq!(
        files_in(&out),
        [format!("{id}.mp4")],
        "no temporary file left"
    );
    // What the service saw: three polls of the task's path, with the token.
    let gets: Vec<_> = s
        .seen()
        .into_iter()
        .filter(|r| r.action == "GetTask")
        .collect();
    assert_eq!(gets.len(), 3);
    for g in &gets {
        assert_eq!(g.method, "GET");
        assert_eq!(g.path, format!("{TASKS_PATH}/{id}"));
        assert_eq!(
            g.authorization.as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
    }
    assert_eq!(s.count("Download"), 1);
}

#[test]
fn the_submitted_json_has_the_documented_fields_in_order_and_the_strict_content_order() {
    let s = server();
    let c = client(&s);
    generate::submit(&c, &bundle(), &options()).unwrap();
    let create = s
        .seen()
        .into_iter()
        .find(|r| r.action == "CreateTask")
        .unwrap();
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, DEFAULT_TASKS_PATH);
    assert_eq!(create.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        create.authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(
        create.body,
        json!({
            "model": MODEL,
            "content": [
                {"type": "text", "text": "a cat walks to the music"},
                {"type": "image_url", "image_url": {"url": "asset://asset-i1"}, "role": "reference_image"},
                {"type": "image_url", "image_url": {"url": "asset://asset-i2"}, "role": "reference_image"},
                {"type": "video_url", "video_url": {"url": "asset://asset-v1"}, "role": "reference_video"},
                {"type": "audio_url", "audio_url": {"url": "asset://asset-a1"}, "role": "reference_audio"},
            ],
            "ratio": "16:9",
            "resolution": "720p",
            "duration": 5,
            "generate_audio": true,
            "watermark": false,
            "seed": 42,
        })
    );
    // The keys go out in the documented order.
    let raw = &create.raw;
    let pos: Vec<usize> = [
        "model",
        "content",
        "ratio",
        "resolution",
        "duration",
        "generate_audio",
        "watermark",
        "seed",
    ]
    .iter()
    .map(|k| raw.find(&format!("\"{k}\":")).unwrap())
    .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{raw}");
    // Unset options are left out (the model decides), never sent as null.
    let mut bare = TaskOptions::new(MODEL);
    bare.duration = Some(-1);
    generate::submit(&c, &bundle(), &bare).unwrap();
    let body = s.tasks()[1].body.clone();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["model", "content", "duration"]);
    assert_eq!(body["duration"], json!(-1));
}

#[test]
fn options_and_bundle_rules_are_checked_before_anything_is_sent() {
    let s = server();
    let c = client(&s);
    let bad = |f: &dyn Fn(&mut TaskOptions)| {
        let mut o = options();
        f(&mut o);
        match generate::submit(&c, &bundle(), &o) {
            Err(GenerateError::Options(p)) => p
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            other => panic!("{other:?}"),
        }
    };
    assert!(bad(&|o| o.duration = Some(16)).contains("duration 16 s: must be 4–15 s"));
    assert!(bad(&|o| o.duration = Some(3)).contains("duration 3 s"));
    assert!(bad(&|o| o.ratio = Some("2:1".into())).contains("ratio \"2:1\""));
    assert!(bad(&|o| o.resolution = Some("1080p".into())).contains("does not allow 1080p"));
    assert!(bad(&|o| o.model = String::new()).contains("model id is required"));
    let mut o = options();
    o.resolution = Some("1080p".into());
    o.limits.allow_1080p = true;
    assert!(generate::submit(&c, &bundle(), &o).is_ok());
    assert_eq!(s.count("CreateTask"), 1);
    // An empty prompt.
    let mut b = bundle();
    b.text = Some("   ".into());
    match generate::submit(&c, &b, &options()) {
        Err(GenerateError::Options(p)) => {
            assert_eq!(p, [OptionError::EmptyPrompt]);
            assert_eq!(p[0].to_string(), "the prompt is empty (--text)");
        }
        other => panic!("{other:?}"),
    }
    // Four videos break request.count.videos.
    let mut b = Bundle::new(Some("x".into()));
    for i in 0..4 {
        b.push(Item::asset(
            &format!("asset-v{i}"),
            AssetType::Video,
            Some(2.0),
        ));
    }
    match generate::submit(&c, &b, &options()) {
        Err(GenerateError::Bundle(v)) => assert_eq!(v[0].rule, "request.count.videos"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.count("CreateTask"), 1, "nothing invalid was sent");
}

#[test]
fn a_moderation_failure_is_reported_with_the_hint() {
    let s = server();
    s.with(|st| {
        st.task_script = failing_script(
            "OutputVideoSensitiveContentDetected",
            "The request failed because the output video may contain sensitive information.",
        )
    });
    let c = client(&s);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let t = generate::poll(&c, &id, &fast_poll()).unwrap();
    assert_eq!(t.status, TaskStatus::Failed);
    assert_eq!(
        t.error.as_ref().map(|e| e.code.as_str()),
        Some("OutputVideoSensitiveContentDetected")
    );
    assert_eq!(t.moderation_hint(), Some(MODERATION_HINT));
    assert!(MODERATION_HINT.contains("celebrity likeness, copyrighted characters"));
    // Nothing to download: the error says why.
    let d = tmp();
    let e = generate::download(&c, &t, &DownloadOptions::new(d.path())).unwrap_err();
    assert!(e.to_string().contains(MODERATION_HINT), "{e}");
    assert!(files_in(d.path()).is_empty());
    // Succeeded without a video: the same hint.
    s.with(|st| st.task_script = vec![json!({"status": "succeeded", "progress": 100})]);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let t = generate::poll(&c, &id, &fast_poll()).unwrap();
    assert_eq!(
        (t.status.clone(), t.video_url.clone()),
        (TaskStatus::Succeeded, None)
    );
    assert_eq!(t.moderation_hint(), Some(MODERATION_HINT));
    // An ordinary failure gets no such hint.
    s.with(|st| {
        st.task_script = vec![
            json!({"status": "failed", "progress": 20, "error": {"code": "InternalServiceError", "message": "worker lost"}}),
        ]
    });
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let t = generate::poll(&c, &id, &fast_poll()).unwrap();
    assert_eq!(t.moderation_hint(), None);
}

#[test]
fn a_task_that_never_finishes_times_out_naming_the_task() {
    let s = server();
    s.with(|st| st.task_script = vec![json!({"status": "running", "progress": 30})]);
    let c = client(&s);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let mut p = fast_poll();
    p.timeout = Duration::from_millis(150);
    let started = Instant::now();
    let e = generate::poll(&c, &id, &p).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    match &e {
        GenerateError::Timeout { id: tid, last, .. } => {
            assert_eq!(tid, &id);
            assert_eq!(
                last.as_ref().map(|t| t.summary()).as_deref(),
                Some("running, 30 %")
            );
            assert!(e.to_string().contains("(last status running, 30 %)"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("task {id} did not finish"))
            && msg.contains(&format!("preflight task wait {id}")),
        "{msg}"
    );
    assert!(s.count("GetTask") >= 2);
    // Stuck at 100 % without a video: the timeout carries the hint.
    s.with(|st| st.task_script = vec![json!({"status": "running", "progress": 100})]);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let e = generate::poll(&c, &id, &p).unwrap_err();
    assert!(e.to_string().contains(MODERATION_HINT), "{e}");
}

#[test]
fn polling_rides_out_429_and_5xx() {
    let s = server();
    let c = client(&s);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    // Retried inside one look, as the upload client retries.
    s.fail_next(Some("GetTask"), Fault::TooMany(Some(0)));
    s.fail_next(Some("GetTask"), Fault::ServerError);
    s.fail_next(Some("GetTask"), Fault::BadGateway);
    // More 429s than one look's attempts (4): polling goes on.
    for _ in 0..6 {
        s.fail_next(Some("GetTask"), Fault::TooMany(None));
    }
    let t = generate::poll(&c, &id, &fast_poll()).unwrap();
    assert_eq!(t.status, TaskStatus::Succeeded);
    let faults = s
        .seen()
        .iter()
        .filter(|r| r.action == "GetTask" && r.fault.is_some())
        .count();
    assert_eq!(faults, 9);
    assert_eq!(s.tasks()[0].polls, 3, "every state was still seen");
    // A 404 is final: the task does not exist.
    let ghost = TaskId::new("cgt-nope").unwrap();
    match generate::poll(&c, &ghost, &fast_poll()) {
        Err(GenerateError::Api(UploadError::Api {
            status: 404, code, ..
        })) => {
            assert_eq!(code, "ResourceNotFound")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_lost_reply_to_a_create_is_not_resent_but_429_and_503_are() {
    let s = server();
    let c = client(&s);
    // The service created the task, the reply was lost: sending again would
    // make (and bill) a second one.
    s.fail_next(Some("CreateTask"), Fault::DropAfter);
    let e = generate::submit(&c, &bundle(), &options()).unwrap_err();
    assert!(matches!(e, GenerateError::Unconfirmed { .. }), "{e:?}");
    assert!(e.to_string().contains("may have created the task"), "{e}");
    assert_eq!((s.count("CreateTask"), s.tasks().len()), (1, 1));
    // A 500 may have come after the work too.
    s.fail_next(Some("CreateTask"), Fault::ServerError);
    let e = generate::submit(&c, &bundle(), &options()).unwrap_err();
    assert!(matches!(e, GenerateError::Unconfirmed { .. }), "{e:?}");
    // 429 and 503 say nothing was done: resent.
    s.fail_next(Some("CreateTask"), Fault::TooMany(Some(0)));
    s.fail_next(Some("CreateTask"), Fault::Status(503, "ServiceUnavailable"));
    generate::submit(&c, &bundle(), &options()).unwrap();
    assert_eq!((s.count("CreateTask"), s.tasks().len()), (5, 2));
    // A 4xx is a plain refusal.
    s.fail_next(Some("CreateTask"), Fault::Status(400, "InvalidParameter"));
    let e = generate::submit(&c, &bundle(), &options()).unwrap_err();
    assert!(
        matches!(e, GenerateError::Api(UploadError::Api { status: 400, .. })),
        "{e:?}"
    );
}

#[test]
fn a_download_cut_half_way_leaves_no_file_under_the_final_name() {
    let s = server();
    let c = client(&s);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let t = generate::poll(&c, &id, &fast_poll()).unwrap();
    let d = tmp();
    // Every attempt is cut: an error, and nothing left behind.
    s.with(|st| st.cut_downloads = u32::MAX);
    let e = generate::download(&c, &t, &DownloadOptions::new(d.path())).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, GenerateError::Download { .. }), "{e:?}");
    assert!(msg.contains("after 4 attempts"), "{msg}");
    assert!(
        !msg.contains("X-Tos-Signature"),
        "no signature in errors: {msg}"
    );
    assert_eq!(s.count("Download"), 4);
    assert!(files_in(d.path()).is_empty(), "{:?}", files_in(d.path()));
    // Cut once: the retry saves the whole video.
    s.with(|st| st.cut_downloads = 1);
    let saved = generate::download(&c, &t, &DownloadOptions::new(d.path())).unwrap();
    assert_eq!(std::fs::read(&saved.path).unwrap(), video());
    assert_eq!(files_in(d.path()), [format!("{id}.mp4")]);
}

#[test]
fn an_expired_url_or_a_body_that_is_not_a_video_is_an_error() {
    let s = server();
    let c = client(&s);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let t = generate::poll(&c, &id, &fast_poll()).unwrap();
    let d = tmp();
    s.fail_next(Some("Download"), Fault::Status(403, "AccessDenied"));
    let e = generate::download(&c, &t, &DownloadOptions::new(d.path())).unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");
    assert_eq!(s.count("Download"), 1, "a 403 is not retried");
    // An HTML page served with 200 is not saved as a video.
    s.with(|st| st.video = b"<html>sign in</html>".to_vec());
    let e = generate::download(&c, &t, &DownloadOptions::new(d.path())).unwrap_err();
    assert!(e.to_string().contains("not a video"), "{e}");
    assert!(files_in(d.path()).is_empty());
}

/// A succeeded task whose video is on a CDN, another server than the API:
/// `(api, cdn, client, task)`.
fn task_on_a_cdn() -> (FakeServer, FakeServer, Client, TaskResult) {
    let api = server();
    let cdn = server();
    api.with(|st| st.video_base = Some(cdn.url()));
    let c = client(&api);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let t = generate::poll(&c, &id, &fast_poll()).unwrap();
    (api, cdn, c, t)
}

#[test]
fn a_video_on_another_host_is_fetched_without_the_token() {
    let (api, cdn, c, t) = task_on_a_cdn();
    let d = tmp();
    generate::download(&c, &t, &DownloadOptions::new(d.path())).unwrap();
    assert_eq!((api.count("Download"), cdn.count("Download")), (0, 1));
    let get = cdn.seen().pop().unwrap();
    assert_eq!(get.authorization, None);
}

#[test]
fn the_tasks_path_is_configurable() {
    let s = server();
    s.with(|st| st.tasks_path = "/relay/v3/tasks".into());
    let c = client(&s);
    let mut o = options();
    o.tasks_path = "/relay/v3/tasks".into();
    let id = generate::submit(&c, &bundle(), &o).unwrap();
    let mut p = fast_poll();
    p.tasks_path = o.tasks_path.clone();
    let t = generate::poll(&c, &id, &p).unwrap();
    assert_eq!(t.status, TaskStatus::Succeeded);
    // The default path is not there.
    assert!(generate::submit(&c, &bundle(), &options()).is_err());
}

// ------------------------------------------------------------------ CLI

fn command(server: Option<&FakeServer>, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("PREFLIGHT_BASE_URL")
        .env_remove("PREFLIGHT_API_KEY")
        .env("PREFLIGHT_RETRY_DELAY_MS", "2")
        .env("PREFLIGHT_POLL_MS", "5");
    support::no_proxy(&mut cmd);
    if let Some(s) = server {
        cmd.env("PREFLIGHT_BASE_URL", s.url())
            .env("PREFLIGHT_API_KEY", TOKEN);
    }
    cmd
}

/// Runs the binary; the token must never show in its output.
fn preflight(server: Option<&FakeServer>, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = command(server, dir, args).output().unwrap();
    let (code, so, se) = support::without_token(out);
    (code.unwrap_or(-1), so, se)
}

fn write_manifest(dir: &Path) -> PathBuf {
    let entry = |id: &str, ty: &str, dur: Option<f64>| {
        json!({"hash": format!("{id:0>64}"), "bytes": 1, "path": format!("{id}.bin"), "name": id,
               "asset_id": id, "group_id": "group-1", "asset_type": ty, "format": "x",
               "duration_s": dur, "status": "Active", "uploaded_at": 0})
    };
    let p = dir.join("preflight-manifest.json");
    let entries = json!([
        entry("asset-i1", "Image", None),
        entry("asset-v1", "Video", Some(5.0)),
        entry("asset-v2", "Video", Some(12.0)),
        entry("asset-a1", "Audio", Some(4.0)),
    ]);
    std::fs::write(
        &p,
        json!({"version": 1, "hash": "blake3", "entries": entries}).to_string(),
    )
    .unwrap();
    p
}

#[test]
fn cli_generate_submits_waits_and_saves_the_video() {
    let s = server();
    let d = tmp();
    write_manifest(d.path());
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &[
            "generate",
            "--model",
            MODEL,
            "--text",
            "a cat walks",
            "--ratio",
            "9:16",
            "--resolution",
            "480p",
            "--duration",
            "-1",
            "--out",
            "videos",
            "asset://asset-a1",
            "asset-v1",
            "asset-i1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let id = s.tasks()[0].id.clone();
    let saved = PathBuf::from("videos").join(format!("{id}.mp4"));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [id.clone(), format!("{id} → {}", saved.display())]
    );
    assert!(
        err.contains(&format!("task {id} submitted"))
            && err.contains(&format!("preflight task wait {id}")),
        "{err}"
    );
    for status in ["queued", "running, 50 %", "succeeded, 100 %"] {
        assert!(
            err.contains(&format!("task {id}: {status}")),
            "{status}: {err}"
        );
    }
    assert_eq!(std::fs::read(d.path().join(&saved)).unwrap(), video());
    assert_eq!(files_in(&d.path().join("videos")), [format!("{id}.mp4")]);
    let body = &s.tasks()[0].body;
    assert_eq!(
        (
            &body["model"],
            &body["ratio"],
            &body["resolution"],
            &body["duration"]
        ),
        (&json!(MODEL), &json!("9:16"), &json!("480p"), &json!(-1))
    );
    let types: Vec<&str> = body["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["text", "image_url", "video_url", "audio_url"]);
}

#[test]
fn cli_generate_with_no_download_prints_the_url_and_its_expiry() {
    let s = server();
    let d = tmp();
    write_manifest(d.path());
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &[
            "generate",
            "--model",
            MODEL,
            "--text",
            "x",
            "--no-download",
            "-q",
            "asset-i1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let id = s.tasks()[0].id.clone();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], id);
    assert!(
        lines[1].starts_with(&format!("{}/videos/{id}.mp4?", s.url())),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "expires 2026-01-01T11:52:00Z (12 h after the task finished)"
    );
    assert_eq!(s.count("Download"), 0);
    assert!(!err.contains("running"), "-q shows no progress: {err}");
}

#[test]
fn cli_generate_refuses_bad_options_and_bundles_and_sends_nothing() {
    let s = server();
    let d = tmp();
    write_manifest(d.path());
    let base = ["generate", "--model", MODEL];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        if !extra.contains(&"--text") {
            args.extend(["--text", "x"]);
        }
        args.extend(extra);
        preflight(Some(&s), d.path(), &args)
    };
    for (extra, want) in [
        (
            &["--duration", "3", "asset-i1"][..],
            "duration 3 s: must be 4–15 s, or -1",
        ),
        (&["--duration", "16", "asset-i1"][..], "duration 16 s"),
        (&["--ratio", "2:1", "asset-i1"][..], "ratio \"2:1\""),
        (
            &["--resolution", "1080p", "asset-i1"][..],
            "the profile does not allow 1080p",
        ),
        (&["--text", "", "asset-i1"][..], "the prompt is empty"),
        (&["--seed", "-5", "asset-i1"][..], "seed -5"),
    ] {
        let (code, out, err) = run(extra);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(want), "{extra:?}: {err}");
        assert!(out.is_empty(), "{out}");
    }
    // The request rules: 5 + 12 s of video is over 15 s.
    let (code, _, err) = run(&["asset-v1", "asset-v2"]);
    assert_eq!(code, 1);
    assert!(err.contains("request.total_video_duration"), "{err}");
    // No model: clap says so.
    let (code, _, err) = preflight(Some(&s), d.path(), &["generate", "--text", "x", "asset-i1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--model"), "{err}");
    // 1080p where the profile allows it.
    std::fs::write(d.path().join("hd.toml"), "[request]\nallow_1080p = true\n").unwrap();
    let (code, out, err) = run(&[
        "--resolution",
        "1080p",
        "--profile",
        "hd.toml",
        "--dry-run",
        "asset-i1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.count("CreateTask"), 0, "nothing was sent");
    let body: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(body["resolution"], "1080p");
    assert_eq!(body["content"][1]["image_url"]["url"], "asset://asset-i1");
}

#[test]
fn cli_task_wait_and_get_report_moderation_with_the_hint() {
    let s = server();
    s.with(|st| {
        st.task_script = failing_script(
            "OutputVideoSensitiveContentDetected",
            &format!("sensitive output (request by {TOKEN})"),
        )
    });
    let c = client(&s);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let d = tmp();
    let (code, out, err) = preflight(Some(&s), d.path(), &["task", "wait", id.as_str()]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("ended without a video: failed, 100 %: OutputVideoSensitiveContentDetected"),
        "{err}"
    );
    assert!(err.contains(&format!("hint: {MODERATION_HINT}")), "{err}");
    assert!(err.contains("***"), "the echoed token is scrubbed: {err}");
    let (code, out, err) = preflight(Some(&s), d.path(), &["task", "get", id.as_str()]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["id"].as_str(), v["status"].as_str()),
        (Some(id.as_str()), Some("failed"))
    );
    assert!(err.contains(MODERATION_HINT), "{err}");
    // A bad id never reaches a URL.
    let (code, _, err) = preflight(Some(&s), d.path(), &["task", "get", "../x"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn cli_task_wait_times_out_naming_the_task_and_resumes_later() {
    let s = server();
    s.with(|st| st.task_script = vec![json!({"status": "running", "progress": 10})]);
    let c = client(&s);
    let id = generate::submit(&c, &bundle(), &options()).unwrap();
    let d = tmp();
    let (code, _, err) = preflight(
        Some(&s),
        d.path(),
        &["task", "wait", id.as_str(), "--wait-timeout", "0"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("task {id} did not finish within 0 s"))
            && err.contains(&format!("resume with `preflight task wait {id}`")),
        "{err}"
    );
    // Later the task is done: `task wait` picks it up and saves the video.
    s.with(|st| st.task_script = support::default_script());
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &["task", "wait", id.as_str(), "--out", "o"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        format!(
            "{id} → {}",
            Path::new("o").join(format!("{id}.mp4")).display()
        )
    );
    assert_eq!(
        std::fs::read(d.path().join("o").join(format!("{id}.mp4"))).unwrap(),
        video()
    );
}

/// Issue 14 bug 12: 501 and 505 are permanent, so `task wait` stops at the
/// first one instead of polling until its timeout.
#[test]
fn cli_task_wait_stops_at_once_on_501_and_505() {
    for (status, code) in [(501, "NotImplemented"), (505, "HTTPVersionNotSupported")] {
        let s = server();
        s.with(|st| st.task_script = vec![json!({"status": "running", "progress": 10})]);
        let c = client(&s);
        let id = generate::submit(&c, &bundle(), &options()).unwrap();
        for _ in 0..20 {
            s.fail_next(Some("GetTask"), Fault::Status(status, code));
        }
        let d = tmp();
        let started = Instant::now();
        let (exit, out, err) = preflight(
            Some(&s),
            d.path(),
            &["task", "wait", id.as_str(), "--wait-timeout", "60"],
        );
        assert_eq!(exit, 1, "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(&status.to_string()), "{err}");
        assert_eq!(s.count("GetTask"), 1, "asked once: {err}");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}

#[cfg(unix)]
#[test]
fn cli_ctrl_c_while_waiting_prints_how_to_resume() {
    let s = server();
    s.with(|st| st.task_script = vec![json!({"status": "queued"})]);
    let d = tmp();
    write_manifest(d.path());
    let child = command(
        Some(&s),
        d.path(),
        &["generate", "--model", MODEL, "--text", "x", "asset-i1"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait until it polls, then Ctrl-C.
    let (code, so, se) = support::ctrl_c_when(child, || s.count("GetTask") >= 2);
    let id = s.tasks()[0].id.clone();
    assert_eq!(code, Some(130), "{se}");
    assert_eq!(so.trim(), id, "the id is on stdout");
    assert!(
        se.contains(&format!("resume with `preflight task wait {id}`")),
        "{se}"
    );
}

/// The README's session: check → upload → generate.
#[test]
fn cli_check_upload_generate_in_one_session() {
    let s = server();
    let d = tmp();
    let refs = d.path().join("refs");
    std::fs::create_dir(&refs).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/image/ok_300x300.jpg"
        ),
        refs.join("cat.jpg"),
    )
    .unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/audio/ok_mp3_cbr128_stereo_5s.mp3"
        ),
        refs.join("beat.mp3"),
    )
    .unwrap();
    let (code, _, err) = preflight(Some(&s), d.path(), &["check", "refs"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &["upload", "refs", "--group", "launch", "--wait"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Active"), "{out}");
    let (code, out, err) = preflight(
        Some(&s),
        d.path(),
        &[
            "generate",
            "--model",
            MODEL,
            "--text",
            "the cat walks to the music",
            "--duration",
            "5",
            "--out",
            "out",
            "refs/beat.mp3",
            "refs/cat.jpg",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let id = s.tasks()[0].id.clone();
    assert!(
        out.ends_with(&format!(
            "{}\n",
            Path::new("out").join(format!("{id}.mp4")).display()
        )),
        "{out}"
    );
    assert_eq!(
        std::fs::read(d.path().join("out").join(format!("{id}.mp4"))).unwrap(),
        video()
    );
    let assets = s.assets();
    let by_type = |ty: &str| {
        assets
            .iter()
            .find(|a| a.asset_type == ty)
            .map(|a| format!("asset://{}", a.id))
            .unwrap()
    };
    let content = &s.tasks()[0].body["content"];
    assert_eq!(content[1]["image_url"]["url"], json!(by_type("Image")));
    assert_eq!(content[2]["audio_url"]["url"], json!(by_type("Audio")));
}

#[test]
fn a_redirect_to_a_private_address_or_to_plain_http_is_refused() {
    let (_api, cdn, c, t) = task_on_a_cdn();
    // A stand-in for a metadata endpoint, on loopback.
    let inner = server();
    let d = tmp();
    for (to, why) in [
        (
            format!("https://127.0.0.1:{}/videos/x.mp4", inner.addr.port()),
            "loopback",
        ),
        (
            format!("https://localhost:{}/latest/meta-data", inner.addr.port()),
            "loopback",
        ),
        (
            format!("{}/latest/meta-data?X-Sig=s", inner.url()),
            "must be https",
        ),
    ] {
        cdn.with(|st| st.redirect_downloads = Some(to.clone()));
        let e = generate::download(&c, &t, &DownloadOptions::new(d.path())).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("redirect to") && msg.contains(why),
            "{to}: {msg}"
        );
        assert!(!msg.contains("X-Sig"), "{msg}");
    }
    assert_eq!(inner.seen().len(), 0, "nothing reached the private address");
    assert!(files_in(d.path()).is_empty());
}
