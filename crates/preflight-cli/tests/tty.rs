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
