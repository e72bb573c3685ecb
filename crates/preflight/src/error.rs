//! The one error type of the crate.
//!
//! A file that breaks a profile rule is *not* an error: that is a
//! [`Violation`](crate::check::Violation). An [`Error`] means the file could
//! not be read or its headers could not be parsed.

use std::io;

/// Everything that can go wrong while reading a file's headers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read or a seek.
    #[error("I/O error: {0}")]
    Io(#[source] io::Error),
    /// The file ends before its headers do.
    #[error("{format}: truncated: {reason}")]
    Truncated {
        /// Format being read (`"mp4"`, `"jpeg"`, …).
        format: &'static str,
        /// What was being read when the data ran out.
        reason: &'static str,
    },
    /// The headers are present but make no sense.
    #[error("{format}: {reason}")]
    Malformed {
        /// Format being read, with the box or chunk where useful (`"mp4 (stts)"`).
        format: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A valid file using a feature this reader does not handle.
    #[error("{format}: unsupported: {feature}")]
    Unsupported {
        /// Format being read.
        format: &'static str,
        /// The feature.
        feature: &'static str,
    },
    /// A resource limit of [`ProbeLimits`](crate::ProbeLimits) was reached.
    #[error("limit reached: {kind} {actual} exceeds {max}")]
    Limit {
        /// Which limit (`"box depth"`, `"table entries"`, `"bytes read"`, …).
        kind: &'static str,
        /// The value the file asked for.
        actual: u64,
        /// The limit in force.
        max: u64,
    },
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::Truncated {
                format: "file",
                reason: "unexpected end of file",
            }
        } else {
            Error::Io(e)
        }
    }
}

impl Error {
    /// Shorthand for [`Error::Malformed`].
    pub fn malformed(format: &'static str, reason: &'static str) -> Self {
        Error::Malformed { format, reason }
    }

    /// Shorthand for [`Error::Truncated`].
    pub fn truncated(format: &'static str, reason: &'static str) -> Self {
        Error::Truncated { format, reason }
    }

    /// Shorthand for [`Error::Unsupported`].
    pub fn unsupported(format: &'static str, feature: &'static str) -> Self {
        Error::Unsupported { format, feature }
    }

    /// Re-labels a generic truncation (from an `UnexpectedEof`) with the format that was read.
    pub fn in_format(self, format: &'static str) -> Self {
        match self {
            Error::Truncated {
                format: "file",
                reason,
            } => Error::Truncated { format, reason },
            other => other,
        }
    }

    /// The stable rule id under which this error is reported (SPEC §2).
    pub fn rule(&self) -> &'static str {
        match self {
            Error::Io(_) => "file.unreadable",
            // A valid file using a feature we cannot measure (free-format MP3,
            // ADPCM WAV): not corrupt, but not something we can vouch for.
            Error::Unsupported { .. } => "file.unsupported_type",
            _ => "file.corrupt",
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
