//! Small helpers for printing: broken pipes, hostile file names, colour,
//! plurals, and the JSON form of a report (with `path_bytes`).

use base64::Engine as _;
use clap::ValueEnum;
use preflight::FileReport;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether an error is a closed pipe (`preflight check … | head`): not a failure.
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// Escapes control characters in a name before it reaches a terminal, so a
/// file called `"\x1b[2J"` cannot clear the screen.
/// (The same escaping the API client applies to what the server sends.)
pub fn sanitize(s: &str) -> String {
    preflight_api::escape_controls(s)
}

/// `--color`: when to colour what goes to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (to anything but empty) or `TERM=dumb`.
    #[default]
    Auto,
    /// Always, even into a pipe.
    Always,
    /// Never.
    Never,
}

static COLOR: AtomicBool = AtomicBool::new(false);

impl ColorChoice {
    /// Whether to colour, given the environment and whether stdout is a terminal.
    pub fn enabled(self, no_color: Option<&str>, term: Option<&str>, tty: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                tty && no_color.is_none_or(str::is_empty) && term.is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// Decides once, at start, whether stdout is coloured.
pub fn init_color(choice: ColorChoice) {
    let no_color = std::env::var("NO_COLOR").ok();
    let term = std::env::var("TERM").ok();
    let on = choice.enabled(
        no_color.as_deref(),
        term.as_deref(),
        io::stdout().is_terminal(),
    );
    COLOR.store(on, Ordering::Relaxed);
}

/// A colour for part of a line.
#[derive(Debug, Clone, Copy)]
pub enum Paint {
    /// Success (`PASS`).
    Green,
    /// Failure (`FAIL`, `✗`).
    Red,
    /// Warnings and errors that are not failures (`ERROR`, `!`).
    Yellow,
    /// Rule ids.
    Cyan,
    /// Paths.
    Magenta,
}

/// `text` wrapped in the ANSI codes of `p` when colour is on, else as it is.
pub fn paint(p: Paint, text: &str) -> String {
    if !COLOR.load(Ordering::Relaxed) {
        return text.to_string();
    }
    let code = match p {
        Paint::Green => "1;32",
        Paint::Red => "1;31",
        Paint::Yellow => "1;33",
        Paint::Cyan => "36",
        Paint::Magenta => "35",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `1 file`, `2 files`: a count and its noun, in the plural unless the count is one.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Pads `text` with spaces to `width` characters (as counted by `chars`).
pub fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    let mut s = text.to_string();
    s.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    s
}

/// The raw bytes of a path, base64 (standard alphabet, padded), when the path
/// is not UTF-8; `None` when it is. Like ripgrep's JSON `{"bytes": ...}`:
/// the lossy `path` shows the name, `path_bytes` opens it again.
pub fn path_bytes(path: &std::path::Path) -> Option<String> {
    if path.to_str().is_some() {
        return None;
    }
    #[cfg(unix)]
    let raw: Vec<u8> = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let raw: Vec<u8> = path.to_string_lossy().into_owned().into_bytes();
    Some(base64::engine::general_purpose::STANDARD.encode(raw))
}

/// Writes one report as JSON (SPEC §4): `path_bytes` follows `path` when the
/// path is not UTF-8.
pub fn write_report_json<W: Write>(out: &mut W, r: &FileReport) -> io::Result<()> {
    match path_bytes(&r.path) {
        None => serde_json::to_writer(&mut *out, r).map_err(io::Error::from),
        Some(b64) => {
            let mut v = serde_json::to_value(r).map_err(io::Error::from)?;
            if let Some(map) = v.as_object_mut() {
                let at = map.keys().position(|k| k == "path").map_or(0, |i| i + 1);
                map.shift_insert(at, "path_bytes".into(), b64.into());
            }
            serde_json::to_writer(&mut *out, &v).map_err(io::Error::from)
        }
    }
}

/// Whether someone may be reading stdout as it is written: a terminal, a
/// pipe or a socket (`| jq`, `| head -1`). NDJSON is then flushed line by
/// line; into a file or `/dev/null` it goes in large blocks, one `write` for
/// many files instead of one for each.
pub fn stdout_is_live() -> bool {
    if io::stdout().is_terminal() {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::FileTypeExt;
        let kind = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .and_then(|fd| std::fs::File::from(fd).metadata())
            .map(|m| m.file_type());
        match kind {
            Ok(t) => t.is_fifo() || t.is_socket(),
            Err(_) => true,
        }
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(sanitize("a\x1b[2Jb\n.jpg"), "a\\u{1b}[2Jb\\n.jpg");
        assert_eq!(sanitize("日本.png"), "日本.png");
    }

    #[test]
    fn colour_choice() {
        use ColorChoice::*;
        assert!(Auto.enabled(None, Some("xterm"), true));
        assert!(!Auto.enabled(None, None, false), "not on a pipe");
        assert!(!Auto.enabled(Some("1"), None, true), "NO_COLOR");
        assert!(
            Auto.enabled(Some(""), None, true),
            "an empty NO_COLOR is unset"
        );
        assert!(!Auto.enabled(None, Some("dumb"), true));
        assert!(Always.enabled(Some("1"), None, false));
        assert!(!Never.enabled(None, None, true));
    }

    #[test]
    fn plurals_and_padding() {
        assert_eq!(plural(1, "file", "files"), "1 file");
        assert_eq!(plural(0, "file", "files"), "0 files");
        assert_eq!(plural(2, "error", "errors"), "2 errors");
        assert_eq!(pad("日本", 4), "日本  ");
        assert_eq!(pad("abcdef", 3), "abcdef");
    }

    #[cfg(unix)]
    #[test]
    fn path_bytes_only_for_non_utf8() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        assert_eq!(path_bytes(std::path::Path::new("a.jpg")), None);
        let p = std::path::Path::new(OsStr::from_bytes(b"bad\xFFname.jpg"));
        assert_eq!(path_bytes(p).as_deref(), Some("YmFk/25hbWUuanBn"));
    }
}
