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
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
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
        text.contains("1 files checked against seedance2: 0 passed, 1 failed, 0 errors"),
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
    let fifo = d.join("pipe.mp3");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
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
    assert!(v["files"][0]["path"]
        .as_str()
        .unwrap()
        .contains("bad\u{FFFD}name.txt"));
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
