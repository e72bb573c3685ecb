//! The `preflight` binary end to end: outputs, exit codes, edge cases of walking.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn preflight(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .output()
        .expect("run preflight")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Makes a FIFO at `path` and gives the path back.
#[cfg(unix)]
fn mkfifo(path: &Path) -> std::path::PathBuf {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
    path.to_path_buf()
}

/// Each line of an ndjson output.
fn ndjson_of(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(preflight(&[]).status.code(), Some(2));
    assert_eq!(preflight(&["check"]).status.code(), Some(2));
    assert_eq!(
        preflight(&["check", "--format", "xml", "x"]).status.code(),
        Some(2)
    );
    let out = preflight(&["check", "--profile", "nope", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown profile"));
}

#[test]
fn missing_path_is_unreadable_and_nothing_checked_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jpg");
    let out = preflight(&["check", "--format", "json", path_str(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    let v = json_of(&out);
    assert_eq!(v["files"][0]["verdict"], "error");
    assert_eq!(v["files"][0]["violations"][0]["rule"], "file.unreadable");
    assert!(v["files"][0]["violations"][0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot read"));
}

#[test]
fn empty_unknown_and_directory_named_like_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.mp4"), b"").unwrap();
    std::fs::write(
        dir.path().join("notes.jpg"),
        b"just some text, not a picture\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("folder.png")).unwrap();
    let out = preflight(&["check", "--format", "json", path_str(dir.path())]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    let files = v["files"].as_array().unwrap();
    // The directory named like a file is walked into (it is empty), not checked as a file.
    assert_eq!(files.len(), 2, "{v}");
    assert!(files[0]["path"].as_str().unwrap().ends_with("empty.mp4"));
    assert_eq!(files[0]["violations"][0]["rule"], "file.empty");
    assert_eq!(files[0]["verdict"], "fail");
    assert!(files[1]["path"].as_str().unwrap().ends_with("notes.jpg"));
    assert_eq!(files[1]["kind"], "unknown");
    assert_eq!(files[1]["violations"][0]["rule"], "file.unknown_type");
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["summary"]["failed"], 2);
    assert_eq!(v["summary"]["rules"]["file.empty"], 1);

    // Named directly, a directory named like a file is an unreadable "file".
    let out = preflight(&[
        "check",
        "--format",
        "ndjson",
        path_str(&dir.path().join("folder.png")),
    ]);
    let lines = ndjson_of(&out);
    // An empty folder: nothing to check.
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["summary"]["files"], 0);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn table_lists_reasons_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
    let out = preflight(&["check", path_str(dir.path())]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FAIL"), "{text}");
    assert!(text.contains("file.unknown_type"), "{text}");
    assert!(
        text.contains("1 file checked against seedance2: 0 passed, 1 failed, 0 errors"),
        "{text}"
    );
    // No progress bar when stderr is not a terminal.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn fifo_symlink_loop_and_unreadable_file_are_reported_and_the_run_goes_on() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("plain.txt"), b"text").unwrap();
    mkfifo(&d.join("pipe.mp3"));
    std::fs::create_dir(d.join("sub")).unwrap();
    symlink(d, d.join("sub/loop")).unwrap();
    let secret = d.join("secret.jpg");
    std::fs::write(&secret, b"\xFF\xD8\xFF").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let running_as_root = std::fs::read(&secret).is_ok();

    // Without --follow-links the link is skipped, not walked into.
    let out = preflight(&["check", "--format", "json", path_str(d)]);
    let v = json_of(&out);
    assert!(!v.to_string().contains("loop"), "{v}");
    assert_eq!(v["summary"]["files"], 3, "plain.txt, pipe.mp3, secret.jpg");

    // With it, the loop is detected and reported, and the run goes on.
    let out = preflight(&["check", "--format", "json", "--follow-links", path_str(d)]);
    let v = json_of(&out);
    let by_name = |name: &str| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} missing from {v}"))
            .clone()
    };
    let pipe = by_name("pipe.mp3");
    assert_eq!(pipe["verdict"], "error");
    assert_eq!(pipe["violations"][0]["rule"], "file.unreadable");
    let lp = by_name("loop");
    assert_eq!(lp["violations"][0]["rule"], "file.unreadable");
    assert!(
        lp["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("loop"),
        "{lp}"
    );
    if !running_as_root {
        let s = by_name("secret.jpg");
        assert_eq!(s["violations"][0]["rule"], "file.unreadable");
    }
    assert_eq!(
        by_name("plain.txt")["violations"][0]["rule"],
        "file.unknown_type"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_names_are_checked() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = OsStr::from_bytes(b"bad\xFFname.txt");
    std::fs::write(dir.path().join(name), b"text").unwrap();
    let out = preflight(&["check", "--format", "json", path_str(dir.path())]);
    let v = json_of(&out);
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
    let f = &v["files"][0];
    assert!(f["path"].as_str().unwrap().contains("bad\u{FFFD}name.txt"));
    // Item 13: the raw bytes, base64, right after `path`, open the file again.
    let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
    assert_eq!(keys[..2], ["path", "path_bytes"], "{f}");
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(f["path_bytes"].as_str().unwrap())
        .unwrap();
    let again = Path::new(OsStr::from_bytes(&raw));
    assert_eq!(std::fs::read(again).unwrap(), b"text");
    // The same in ndjson; and a UTF-8 name has no `path_bytes`.
    std::fs::write(dir.path().join("good.txt"), b"text").unwrap();
    let out = preflight(&["check", "--format", "ndjson", path_str(dir.path())]);
    let lines = ndjson_of(&out);
    assert_eq!(lines.len(), 3);
    for l in &lines[..2] {
        let utf8 = l["path"].as_str().unwrap().ends_with("good.txt");
        assert_eq!(l.get("path_bytes").is_some(), !utf8, "{l}");
    }
}

#[test]
fn include_and_exclude_filter_walked_files() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["a.txt", "b.dat", ".hidden.txt"] {
        std::fs::write(dir.path().join(n), b"text").unwrap();
    }
    let out = preflight(&[
        "check",
        "--format",
        "json",
        "--include",
        "*.txt",
        path_str(dir.path()),
    ]);
    let v = json_of(&out);
    let names: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, [".hidden.txt", "a.txt"], "hidden files are checked");
    let out = preflight(&[
        "check",
        "--format",
        "json",
        "--exclude",
        "*.txt",
        path_str(dir.path()),
    ]);
    assert_eq!(json_of(&out)["files"].as_array().unwrap().len(), 1);
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Runs preflight with `stdin` fed and the environment changed.
fn preflight_with(args: &[&str], stdin: &[u8], env: &[(&str, Option<&str>)]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd.spawn().expect("run preflight");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Item 1: absurd `--jobs` are refused at once; large ones are capped, so two
/// files never start a thousand threads.
#[test]
fn absurd_jobs_are_refused_and_large_ones_capped() {
    let img = fixtures().join("image");
    assert_eq!(
        preflight(&["check", "-j", "-1", path_str(&img)])
            .status
            .code(),
        Some(2)
    );
    for j in ["100000", "4294967296", "many"] {
        let out = preflight(&["check", "-j", j, path_str(&img)]);
        assert_eq!(out.status.code(), Some(2), "-j {j}");
        assert!(stderr_of(&out).contains("--jobs"), "{}", stderr_of(&out));
    }
    let a = img.join("ok_tiff_le_640x480.tif");
    let b = img.join("ok_tiff_be_640x480.tif");
    let start = std::time::Instant::now();
    let out = preflight(&["check", "-j", "1024", path_str(&a), path_str(&b)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    // 1024 threads took seconds; two are started now.
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

/// Item 9: `--max-read` is the read cap, and a file stopped by it says so.
#[test]
fn max_read_caps_what_is_read_and_says_so() {
    let mp3 = fixtures().join("audio/err_mp3_vbr_noxing_16s.mp3");
    let out = preflight(&[
        "check",
        "--format",
        "json",
        "--max-read",
        "4096",
        path_str(&mp3),
    ]);
    let v = json_of(&out);
    let f = &v["files"][0];
    assert_eq!(f["verdict"], "error", "{f}");
    assert_eq!(f["violations"][0]["rule"], "file.limit", "{f}");
    // Without the cap the same file is measured (it fails on its duration).
    let out = preflight(&["check", "--format", "json", path_str(&mp3)]);
    let v = json_of(&out);
    assert_eq!(v["files"][0]["verdict"], "fail", "{v}");
    assert!(v["files"][0]["duration_s"].as_f64().unwrap() > 15.0);
}

/// Item 14: a path given twice, or inside a folder also given, is checked once.
#[test]
fn paths_given_twice_or_nested_are_checked_once() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(media.join("image")).unwrap();
    std::fs::write(media.join("image/a.txt"), b"a").unwrap();
    std::fs::write(media.join("b.txt"), b"b").unwrap();
    let dot = media.join(".");
    let out = preflight(&[
        "check",
        "--format",
        "json",
        path_str(&media),
        path_str(&media.join("image")),
        path_str(&media),
        path_str(&dot),
        path_str(&media.join("b.txt")),
    ]);
    let v = json_of(&out);
    assert_eq!(v["summary"]["files"], 2, "{v}");
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
}

/// Item 15: `check --format ndjson big/ | head -1` stops the walk and the
/// workers once stdout is closed, and exits 0.
#[cfg(unix)]
#[test]
fn a_closed_stdout_stops_the_run() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        let sub = dir.path().join(format!("d{i:02}"));
        std::fs::create_dir(&sub).unwrap();
        for j in 0..500 {
            std::fs::write(sub.join(format!("{j:03}.txt")), b"x").unwrap();
        }
    }
    let args = [
        "check",
        "--format",
        "ndjson",
        "-j",
        "1",
        path_str(dir.path()),
    ];
    // The whole tree, read to the end.
    let start = Instant::now();
    let full = preflight(&args);
    let full_time = start.elapsed();
    assert_eq!(full.stdout.iter().filter(|&&b| b == b'\n').count(), 20_001);

    // One line read, then the pipe closed (what `head -1` does).
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("{\"path\""), "{first}");
    let status = child.wait().unwrap();
    let early_time = start.elapsed();
    assert_eq!(status.code(), Some(0));
    assert!(
        early_time * 3 < full_time.max(Duration::from_millis(300)),
        "stopped after {early_time:?}; the whole tree takes {full_time:?}"
    );
}

/// Each worker writes its own lines: into a pipe one at a time, into a
/// file in blocks of many. Either way NDJSON holds each file's report once,
/// on a line of its own, and then the summary, which counts them all.
#[test]
fn ndjson_from_several_workers_is_whole_lines_into_a_pipe_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut sources: Vec<_> = ["image", "video", "audio"]
        .iter()
        .flat_map(|k| std::fs::read_dir(fixtures().join(k)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    sources.sort();
    let n = 3000;
    for i in 0..n {
        let s = &sources[i % sources.len()];
        let name = format!("{i:04}-{}", s.file_name().unwrap().to_string_lossy());
        std::fs::copy(s, dir.path().join(name)).unwrap();
    }
    let args = [
        "check",
        "--format",
        "ndjson",
        "-j",
        "3",
        path_str(dir.path()),
    ];
    let piped = preflight(&args).stdout;
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().join("out.ndjson");
    let status = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .stdout(std::fs::File::create(&file).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "some fixtures fail");
    let blocks = std::fs::read(&file).unwrap();
    assert!(
        blocks.len() > 4 * 65536,
        "{} bytes: more than a few blocks",
        blocks.len()
    );
    let mut outputs = Vec::new();
    for out in [piped, blocks] {
        let text = String::from_utf8(out).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let summary: Value = serde_json::from_str(lines.pop().unwrap()).unwrap();
        assert_eq!(summary["summary"]["files"], n);
        let mut paths: Vec<String> = lines
            .iter()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                v["path"].as_str().unwrap().to_string()
            })
            .collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), n);
        lines.sort();
        outputs.push(lines.join("\n"));
    }
    assert_eq!(outputs[0], outputs[1], "the same lines either way");
}

/// Item 16: the big-endian TIFF fixture really is big-endian (`MM\0*`).
#[test]
fn big_endian_tiff_fixture_is_big_endian() {
    let be = fixtures().join("image/ok_tiff_be_640x480.tif");
    let le = fixtures().join("image/ok_tiff_le_640x480.tif");
    let bytes = std::fs::read(&be).unwrap();
    assert_eq!(&bytes[..4], b"MM\0*");
    assert_eq!(&std::fs::read(&le).unwrap()[..4], b"II*\0");
    let v = json_of(&preflight(&["check", "--format", "json", path_str(&be)]));
    let f = &v["files"][0];
    assert_eq!(
        (f["width"].as_u64(), f["height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(f["verdict"], "pass", "{f}");
}

#[test]
fn files_from_takes_newline_or_nul_separated_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for n in ["a.txt", "b c.txt", "d\ne.txt"] {
        std::fs::write(d.join(n), b"text").unwrap();
    }
    let list = format!(
        "{}\n{}\n\n",
        d.join("a.txt").display(),
        d.join("b c.txt").display()
    );
    let names = |out: &Output| -> Vec<String> {
        json_of(out)["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    // From standard input, newline-separated.
    let out = preflight_with(
        &["check", "--format", "json", "--files-from", "-"],
        list.as_bytes(),
        &[],
    );
    assert_eq!(names(&out), ["a.txt", "b c.txt"]);
    // From a file, NUL-separated (a name with a newline in it), beside a PATH.
    let nul = format!(
        "{}\0{}\0",
        d.join("d\ne.txt").display(),
        d.join("a.txt").display()
    );
    let list_file = d.join("list");
    std::fs::write(&list_file, nul).unwrap();
    let out = preflight(&[
        "check",
        "--format",
        "json",
        "--files-from",
        path_str(&list_file),
        path_str(&d.join("b c.txt")),
    ]);
    assert_eq!(names(&out), ["a.txt", "b c.txt", "d\ne.txt"]);
    // A list that cannot be read is a usage error; so is an empty one.
    let out = preflight(&["check", "--files-from", path_str(&d.join("nope"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--files-from"));
    let out = preflight_with(&["check", "--files-from", "-"], b"", &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn colour_follows_color_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
    let p = path_str(dir.path());
    let esc = |out: &Output| out.stdout.contains(&0x1b);
    // Into a pipe: no colour unless asked.
    assert!(!esc(&preflight(&["check", p])));
    assert!(!esc(&preflight(&["check", "--color", "auto", p])));
    let out = preflight_with(
        &["check", "--color", "always", p],
        b"",
        &[("NO_COLOR", Some("1"))],
    );
    assert!(esc(&out), "always wins over NO_COLOR");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\x1b[1;31mFAIL"), "{text}");
    assert!(text.contains("\x1b[36mfile.unknown_type\x1b[0m"), "{text}");
    assert!(
        !esc(&preflight(&["--color", "never", "check", p])),
        "global flag"
    );
    // JSON is never coloured.
    assert!(!esc(&preflight(&[
        "check", "--color", "always", "--format", "json", p
    ])));
    assert_eq!(
        preflight(&["check", "--color", "pink", p]).status.code(),
        Some(2)
    );
}

#[test]
fn table_columns_are_aligned() {
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .current_dir(fixtures().join("image"))
        .args([
            "check",
            "ok_tiff_le_640x480.tif",
            "ok_tiff_orient6_1000x600.tif",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let starts: Vec<usize> = text
        .lines()
        .filter(|l| l.starts_with("PASS"))
        .map(|l| l.find("tiff ").unwrap())
        .collect();
    assert_eq!(starts.len(), 2, "{text}");
    assert_eq!(starts[0], starts[1], "{text}");
    assert!(text.contains("2 files checked"), "{text}");
    assert!(text.contains("0 errors"), "{text}");
}

/// Every command and subcommand shows examples, the exit codes and the
/// environment in `--help`; `upload` says `--group` or `--group-id` is required.
#[test]
fn every_help_has_examples() {
    let commands: &[&[&str]] = &[
        &[],
        &["check"],
        &["fix"],
        &["upload"],
        &["groups"],
        &["groups", "list"],
        &["assets"],
        &["assets", "list"],
        &["assets", "get"],
        &["request"],
        &["generate"],
        &["task"],
        &["task", "get"],
        &["task", "wait"],
        &["completions"],
        &["man"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let out = preflight(&args);
        assert_eq!(out.status.code(), Some(0), "{c:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        for want in ["Examples:\n  preflight", "Exit codes:", "PREFLIGHT_API_KEY"] {
            assert!(text.contains(want), "{c:?} --help lacks {want:?}:\n{text}");
        }
    }
    let text = String::from_utf8(preflight(&["upload", "--help"]).stdout).unwrap();
    assert!(text.contains("<--group <NAME>|--group-id <ID>>"), "{text}");
}

#[test]
fn completions_and_man_page() {
    for (shell, marker) in [
        ("bash", "_preflight()"),
        ("zsh", "#compdef preflight"),
        ("fish", "complete -c preflight"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[preflight]"),
    ] {
        let out = preflight(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(text.contains("files-from"), "{shell}");
    }
    assert_eq!(preflight(&["completions", "tcsh"]).status.code(), Some(2));
    let out = preflight(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(".TH preflight 1"), "{text}");
    assert!(text.contains(".TH preflight-check 1"));
    assert!(text.contains(".TH preflight-task-wait 1"));
    assert!(text.contains("max\\-read"));
}

/// One input, one exit code: a missing file and a FIFO named alone are
/// "nothing could be checked" (2); beside a readable file they are errors (1).
#[cfg(unix)]
#[test]
fn exit_codes_for_missing_files_and_fifos() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = mkfifo(&d.join("pipe.mp3"));
    let missing = d.join("missing.jpg");
    let ok = fixtures().join("image/ok_tiff_le_640x480.tif");
    for bad in [&fifo, &missing] {
        assert_eq!(preflight(&["check", path_str(bad)]).status.code(), Some(2));
        assert_eq!(
            preflight(&["check", path_str(bad), path_str(&ok)])
                .status
                .code(),
            Some(1)
        );
    }
    assert_eq!(preflight(&["check", path_str(&ok)]).status.code(), Some(0));
}

/// Item 11: `request nosuch.jpg` and `request refs/` (a folder) are usage
/// errors said as such, not sent to the service as asset ids.
#[test]
fn request_of_a_missing_file_or_a_folder_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("refs")).unwrap();
    for (item, want) in [
        ("nosuch.jpg", "no such file"),
        ("refs", "is a folder"),
        ("refs/", "is a folder"),
        ("./gone/cat.png", "no such file"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
            .current_dir(dir.path())
            // An API that is configured but unreachable: nothing may be asked of it.
            .env("PREFLIGHT_BASE_URL", "http://127.0.0.1:9")
            .env("PREFLIGHT_API_KEY", "sk-test")
            .args(["request", "--text", "hi", "--retries", "1", item])
            .output()
            .unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{item}: {err}");
        assert!(err.contains(want), "{item}: {err}");
        assert!(
            !err.contains("HTTP") && !err.contains("connect"),
            "{item}: {err}"
        );
    }
}

/// Item 7: an unknown `--status` is a usage error before anything is asked.
#[test]
fn assets_list_refuses_an_unknown_status() {
    let out = preflight_with(
        &[
            "assets",
            "list",
            "--status",
            "Bogus",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        b"",
        &[("PREFLIGHT_API_KEY", Some("sk-test"))],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("Processing, Active or Failed"), "{err}");
}

#[test]
fn verify_decode_catches_what_headers_pass() {
    // A PNG cut inside its image data: the headers are whole, the pixels are not.
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read(fixtures().join("image/ok_png_800x600.png")).unwrap();
    let idat = src.windows(4).position(|w| w == b"IDAT").unwrap();
    let cut = dir.path().join("cut.png");
    std::fs::write(&cut, &src[..idat + 40]).unwrap();
    let good = fixtures().join("image/ok_png_800x600.png");
    let video = fixtures().join("video/ok_1280x720_30fps_5s.mp4");
    let args = |verify: &str| {
        let out = preflight(&[
            "check",
            "--format",
            "json",
            "--verify",
            verify,
            path_str(&cut),
            path_str(&good),
            path_str(&video),
        ]);
        json_of(&out)
    };
    // Files are ordered by path, and where the temp folder sorts depends on the
    // machine: look each file up by its path.
    let verdict_of = |j: &Value, p: &std::path::Path| -> (String, Value) {
        let f = j["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str() == Some(path_str(p)))
            .unwrap_or_else(|| panic!("{} not in {j}", p.display()));
        (f["verdict"].as_str().unwrap().to_string(), f.clone())
    };
    let headers = args("headers");
    assert_eq!(headers["files"].as_array().unwrap().len(), 3, "{headers}");
    for p in [&cut, &good, &video] {
        assert_eq!(verdict_of(&headers, p).0, "pass", "{headers}");
    }
    let decoded = args("decode");
    assert_eq!(verdict_of(&decoded, &good).0, "pass", "{decoded}");
    assert_eq!(verdict_of(&decoded, &video).0, "pass", "{decoded}");
    let (verdict, cut_report) = verdict_of(&decoded, &cut);
    assert_eq!(verdict, "error", "{decoded}");
    let why = &cut_report["violations"][0];
    assert_eq!(why["rule"], "file.corrupt");
    assert!(
        why["message"]
            .as_str()
            .unwrap()
            .starts_with("decoding failed"),
        "{why}"
    );
    // Without ffmpeg a video is not decoded, and the report says so.
    let out = preflight_with(
        &[
            "check",
            "--format",
            "json",
            "--verify",
            "decode",
            path_str(&video),
        ],
        b"",
        &[("PREFLIGHT_FFMPEG", Some("none"))],
    );
    let j = json_of(&out);
    assert_eq!(j["files"][0]["verdict"], "pass");
    assert_eq!(
        j["files"][0]["warnings"][0]["rule"], "file.not_verified",
        "{j}"
    );
}

#[test]
fn profiles_lists_the_catalogue_and_shows_one_as_toml() {
    let out = preflight(&["profiles"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // A line per profile (its name first), one for its source, a header and a total.
    let names: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(names.len(), 12, "{text}");
    for name in [
        "seedance2",
        "seedance2-1080p",
        "kling-i2v",
        "sora2",
        "wan2.6",
    ] {
        assert!(names.contains(&name), "{name} in {text}");
    }
    assert!(
        text.contains("docs.dev.runwayml.com/assets/inputs"),
        "{text}"
    );
    assert!(text.contains("2026-12"), "{text}");

    let out = preflight(&["profiles", "show", "kling-i2v"]);
    assert!(out.status.success());
    let toml = String::from_utf8(out.stdout).unwrap();
    assert!(toml.starts_with("name = \"kling-i2v\"\n"), "{toml}");
    assert!(toml.contains("max_bytes = 10000000"), "{toml}");
    // What `show` prints is a profile `--profile` takes back.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, &toml).unwrap();
    let out = preflight(&["profiles", "show", path_str(&file)]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), toml);

    let out = preflight(&["profiles", "show", "seedance9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kling-i2v"));
}

/// Issue 11: `--profile a --profile b` judges each file against both in one
/// pass: a verdict per profile, the worst on top, each reason tagged with
/// the profiles it belongs to, and the counts per profile in the summary.
#[test]
fn several_profiles_give_a_verdict_each() {
    let dir = fixtures();
    let out = preflight(&[
        "check",
        "--format",
        "json",
        "--profile",
        "seedance2",
        "--profile",
        "kling-i2v",
        path_str(&dir),
    ]);
    let v = json_of(&out);
    let files = v["files"].as_array().unwrap();
    assert!(files.len() > 50, "{}", files.len());
    let rank = |s: &str| {
        ["pass", "fail", "error"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    for f in files {
        let verdicts = f["verdicts"].as_object().unwrap_or_else(|| panic!("{f}"));
        let names: Vec<&String> = verdicts.keys().collect();
        assert_eq!(names, ["seedance2", "kling-i2v"], "{f}");
        let worst = verdicts
            .values()
            .map(|x| rank(x.as_str().unwrap()))
            .max()
            .unwrap();
        assert_eq!(rank(f["verdict"].as_str().unwrap()), worst, "{f}");
        for why in f["violations"].as_array().unwrap() {
            let under: Vec<&str> = why["profiles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert!(!under.is_empty(), "{f}");
            for p in under {
                assert_ne!(
                    verdicts[p], "pass",
                    "a passing profile has no violation: {f}"
                );
            }
        }
    }
    let find = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap()
    };
    // A still GIF: the asset library takes it, Kling takes JPEG and PNG only.
    let gif = find("image/ok_gif_still_500x300.gif");
    assert_eq!(gif["verdicts"]["seedance2"], "pass", "{gif}");
    assert_eq!(gif["verdicts"]["kling-i2v"], "fail", "{gif}");
    assert_eq!(gif["verdict"], "fail");
    assert_eq!(gif["violations"][0]["rule"], "image.format");
    assert_eq!(
        gif["violations"][0]["profiles"],
        serde_json::json!(["kling-i2v"])
    );
    // A file that cannot be measured is an error under each.
    let bad = find("image/err_corrupt_truncated_ihdr.png");
    assert_eq!(bad["verdicts"]["seedance2"], "error");
    assert_eq!(bad["verdicts"]["kling-i2v"], "error");
    assert_eq!(
        bad["violations"][0]["profiles"],
        serde_json::json!(["seedance2", "kling-i2v"])
    );
    // The summary names both profiles with their sources and counts.
    let profiles = v["summary"]["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 2);
    assert_eq!(profiles[0]["name"], "seedance2");
    assert_eq!(profiles[1]["name"], "kling-i2v");
    for p in profiles {
        assert!(!p["source"].as_str().unwrap().is_empty(), "{p}");
        let n: u64 = ["passed", "failed", "errors"]
            .iter()
            .map(|k| p[*k].as_u64().unwrap())
            .sum();
        assert_eq!(n, files.len() as u64, "{p}");
        let name = p["name"].as_str().unwrap();
        let passed = files
            .iter()
            .filter(|f| f["verdicts"][name] == "pass")
            .count();
        assert_eq!(p["passed"].as_u64().unwrap(), passed as u64, "{p}");
    }
    // Both pass only where each passes.
    let both = files.iter().filter(|f| f["verdict"] == "pass").count() as u64;
    assert_eq!(v["summary"]["passed"].as_u64().unwrap(), both);
    assert!(both < profiles[0]["passed"].as_u64().unwrap());

    // The table shows each verdict, tags a reason that is one profile's,
    // and a line per profile with its source.
    let out = preflight(&[
        "check",
        "--color",
        "never",
        "--profile",
        "seedance2",
        "--profile",
        "kling-i2v",
        path_str(&dir.join("image/ok_gif_still_500x300.gif")),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[seedance2 pass, kling-i2v fail]"), "{text}");
    assert!(text.contains("image.format [kling-i2v]:"), "{text}");
    assert!(
        text.contains("checked against seedance2 and kling-i2v"),
        "{text}"
    );
    assert!(
        text.contains("kling-i2v: 0 passed, 1 failed, 0 errors — Kling image-to-video"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// Every report names the profile it was judged against; the table names
/// its source.
#[test]
fn reports_name_the_profile_and_its_source() {
    let png = fixtures().join("image/ok_png_800x600.png");
    let v = json_of(&preflight(&["check", "--format", "json", path_str(&png)]));
    assert_eq!(v["files"][0]["profile"], "seedance2");
    assert!(v["files"][0].get("verdicts").is_none());
    assert_eq!(v["summary"]["profiles"][0]["name"], "seedance2");
    let out = preflight(&[
        "check",
        "--color",
        "never",
        "--profile",
        "sora2",
        path_str(&png),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let sora = preflight::Profile::builtin("sora2").unwrap();
    assert!(
        text.contains(&format!("profile sora2: {} ({}", sora.title, sora.source)),
        "{text}"
    );
    // Two profiles of one name would collide in `verdicts`: refused.
    let out = preflight(&[
        "check",
        "--profile",
        "vidu",
        "--profile",
        "vidu",
        path_str(&png),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already given"));
}
