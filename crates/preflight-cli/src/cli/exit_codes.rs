//! Exit codes of SPEC §3, the same for every command (as fd's
//! `src/exit_codes.rs`): a FIFO, a missing file or a bad flag gives the same
//! code whichever command met it.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | everything checked passes (or the command did what was asked) |
//! | 1 | at least one file fails or errors, or the service refused |
//! | 2 | usage error, or nothing could be checked |
//! | 130 | interrupted (Ctrl-C) |

/// Every checked file passes.
pub const PASS: u8 = 0;
/// At least one file fails or errors.
pub const FAIL: u8 = 1;
/// Usage error, or nothing could be checked.
pub const USAGE: u8 = 2;
/// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// How bad a code is, for [`merge`]: an interruption outranks a usage
/// error, which outranks a failure, which outranks success.
fn rank(code: u8) -> u8 {
    match code {
        PASS => 0,
        FAIL => 1,
        USAGE => 2,
        INTERRUPTED => 4,
        _ => 3,
    }
}

/// The code of a run made of several parts: the worst of them (fd's
/// `merge_exitcodes`). No parts is a success.
pub fn merge(codes: impl IntoIterator<Item = u8>) -> u8 {
    codes.into_iter().max_by_key(|&c| rank(c)).unwrap_or(PASS)
}

/// The code for a batch of file results: nothing found or nothing readable
/// is a usage error (2), any failure or error is 1, else 0.
pub fn for_batch(files: u64, unreadable: u64, failed_or_errors: u64) -> u8 {
    if files == 0 || unreadable == files {
        USAGE
    } else if failed_or_errors > 0 {
        FAIL
    } else {
        PASS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_takes_the_worst() {
        assert_eq!(merge([]), PASS);
        assert_eq!(merge([PASS, PASS]), PASS);
        assert_eq!(merge([PASS, FAIL, PASS]), FAIL);
        assert_eq!(merge([FAIL, USAGE, PASS]), USAGE);
        assert_eq!(merge([USAGE, INTERRUPTED, FAIL]), INTERRUPTED);
        assert_eq!(merge([FAIL, 3]), 3);
    }

    #[test]
    fn batches() {
        assert_eq!(for_batch(0, 0, 0), USAGE);
        assert_eq!(for_batch(2, 2, 2), USAGE, "nothing could be read");
        assert_eq!(for_batch(2, 1, 1), FAIL);
        assert_eq!(for_batch(2, 0, 0), PASS);
    }
}
