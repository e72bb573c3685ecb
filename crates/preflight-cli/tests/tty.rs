//! Terminal behaviour, under a pseudo-terminal (expectrl): colour on a
//! terminal, `NO_COLOR` and `--color never` honoured, no progress bar with `-q`.
#![cfg(unix)]

use expectrl::{Eof, Expect, Session};
use std::process::Command;
use std::time::Duration;

/// Runs preflight on a terminal and gives back everything it printed there
/// (stdout and stderr share the terminal).
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_preflight"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut p = Session::spawn(cmd).expect("spawn under a pty");
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    let seen = p.expect(Eof).expect("preflight ends");
    String::from_utf8_lossy(seen.get(0).unwrap_or_default()).into_owned()
}

fn failing_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
    dir
}

#[test]
fn colour_on_a_terminal() {
    let dir = failing_folder();
    let text = on_a_terminal(&["check", "-q", dir.path().to_str().unwrap()], &[]);
    assert!(text.contains("\x1b[1;31mFAIL"), "{text:?}");
    assert!(
        text.contains("\x1b[36mfile.unknown_type\x1b[0m"),
        "{text:?}"
    );
    assert!(text.contains("\x1b[35m"), "paths are coloured: {text:?}");
    assert!(text.contains("1 file checked"), "{text:?}");
}

#[test]
fn no_color_and_color_never_are_honoured_on_a_terminal() {
    let dir = failing_folder();
    let p = dir.path().to_str().unwrap();
    for (args, env) in [
        (vec!["check", "-q", p], vec![("NO_COLOR", "1")]),
        (vec!["check", "-q", "--color", "never", p], vec![]),
        (vec!["check", "-q", p], vec![("TERM", "dumb")]),
    ] {
        let text = on_a_terminal(&args, &env);
        assert!(text.contains("FAIL"), "{text:?}");
        assert!(!text.contains('\x1b'), "{args:?} {env:?}: {text:?}");
    }
}

/// Issue 14: `fix` prints each file as it finishes with a progress line on
/// a terminal, and none with `-q`.
#[test]
fn fix_shows_progress_on_a_terminal_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let inp = dir.path().join("in");
    std::fs::create_dir_all(&inp).unwrap();
    for i in 0..6 {
        image::RgbImage::from_pixel(200, 200, image::Rgb([i * 40, 90, 200]))
            .save(inp.join(format!("small-{i}.png")))
            .unwrap();
    }
    let out = dir.path().join("out");
    let args = |quiet: bool, out: &str| {
        let mut a = vec!["fix", "--color", "never", inp.to_str().unwrap(), "--out"];
        a.push(out);
        if quiet {
            a.push("-q");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let loud = args(false, out.to_str().unwrap());
    let loud: Vec<&str> = loud.iter().map(String::as_str).collect();
    let text = on_a_terminal(&loud, &[]);
    assert_eq!(text.matches("REPAIRED  ").count(), 6, "{text:?}");
    assert!(text.contains("files repaired ("), "{text:?}");
    assert!(text.contains("6 files: 6 repaired"), "{text:?}");
    let out2 = dir.path().join("out2");
    let quiet = args(true, out2.to_str().unwrap());
    let quiet: Vec<&str> = quiet.iter().map(String::as_str).collect();
    let text = on_a_terminal(&quiet, &[]);
    assert_eq!(text.matches("REPAIRED  ").count(), 6, "{text:?}");
    assert!(!text.contains("files repaired ("), "{text:?}");
}
