//! The one error type of the crate.
//!
//! A file that breaks a profile rule is *not* an error: that is a
//! [`Violation`](crate::check::Violation). An [`Error`] means the file could
//! not be read or its headers could not be parsed.

use crate::rule::Rule;
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
    /// The headers reference data past the end of the file: it was cut short.
    #[error("{format}: truncated: samples end at byte {needed}, file has {size}")]
    DataPastEnd {
        /// Format being read.
        format: &'static str,
        /// Where the referenced data ends.
        needed: u64,
        /// The file's size.
        size: u64,
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
    /// A resource cap of [`ProbeLimits`](crate::ProbeLimits) stopped the
    /// probe. Not corruption: a larger cap may read the file.
    #[error("stopped by a limit: {} {actual} exceeds {max} (raise ProbeLimits::{})", kind.what(), kind.field())]
    Limit {
        /// Which cap.
        kind: LimitKind,
        /// The value the file asked for.
        actual: u64,
        /// The cap in force.
        max: u64,
    },
    /// The data given ended at `offset`, before the headers did (a prefix of
    /// a longer file, or a reader that ended before the size it was given).
    /// Never a measurement: give the probe more data.
    #[error("incomplete: the data given ends at byte {offset}, before the headers do")]
    Incomplete {
        /// Where the data ran out.
        offset: u64,
    },
}

/// The caps of [`ProbeLimits`](crate::ProbeLimits), each named after its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitKind {
    /// [`ProbeLimits::max_bytes_read`](crate::ProbeLimits::max_bytes_read).
    BytesRead,
    /// [`ProbeLimits::max_box_depth`](crate::ProbeLimits::max_box_depth).
    BoxDepth,
    /// [`ProbeLimits::max_items`](crate::ProbeLimits::max_items).
    Items,
    /// [`ProbeLimits::max_table_entries`](crate::ProbeLimits::max_table_entries).
    TableEntries,
}

impl LimitKind {
    /// What is counted, for messages (`"bytes read"`).
    pub fn what(self) -> &'static str {
        match self {
            LimitKind::BytesRead => "bytes read",
            LimitKind::BoxDepth => "box depth",
            LimitKind::Items => "boxes, chunks or frames visited",
            LimitKind::TableEntries => "entries of one table",
        }
    }

    /// The field of [`ProbeLimits`](crate::ProbeLimits) that sets the cap.
    pub fn field(self) -> &'static str {
        match self {
            LimitKind::BytesRead => "max_bytes_read",
            LimitKind::BoxDepth => "max_box_depth",
            LimitKind::Items => "max_items",
            LimitKind::TableEntries => "max_table_entries",
        }
    }
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.what())
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if let Some(own) = crate::read::own_error(&e) {
            return own;
        }
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
    pub(crate) fn malformed(format: &'static str, reason: &'static str) -> Self {
        Error::Malformed { format, reason }
    }

    /// Shorthand for [`Error::Truncated`].
    pub(crate) fn truncated(format: &'static str, reason: &'static str) -> Self {
        Error::Truncated { format, reason }
    }

    /// Shorthand for [`Error::Unsupported`].
    pub(crate) fn unsupported(format: &'static str, feature: &'static str) -> Self {
        Error::Unsupported { format, feature }
    }

    /// Re-labels a generic truncation (from an `UnexpectedEof`) with the format that was read.
    pub(crate) fn in_format(self, format: &'static str) -> Self {
        match self {
            Error::Truncated {
                format: "file",
                reason,
            } => Error::Truncated { format, reason },
            other => other,
        }
    }

    /// The stable rule under which this error is reported (SPEC §2).
    pub fn rule(&self) -> Rule {
        match self {
            Error::Io(_) => Rule::FileUnreadable,
            // A valid file using a feature we cannot measure (free-format MP3):
            // not corrupt, but not something we can vouch for.
            Error::Unsupported { .. } => Rule::FileUnsupportedType,
            Error::Limit { .. } => Rule::FileLimit,
            Error::Incomplete { .. } => Rule::FileIncomplete,
            Error::Truncated { .. } | Error::Malformed { .. } | Error::DataPastEnd { .. } => {
                Rule::FileCorrupt
            }
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
