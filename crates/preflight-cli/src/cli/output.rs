//! Small helpers for printing: broken pipes, hostile file names.

use std::io;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(sanitize("a\x1b[2Jb\n.jpg"), "a\\u{1b}[2Jb\\n.jpg");
        assert_eq!(sanitize("日本.png"), "日本.png");
    }
}
