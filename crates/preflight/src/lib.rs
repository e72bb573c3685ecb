//! `preflight` finds out what a media file really is, checks it against the
//! upload limits of the Seedance 2.0 asset library (or any profile loaded
//! from TOML), and reports every broken rule with a stable id.
//!
//! It reads headers only: a check never reads a whole file, and no
//! allocation is sized by a header field without a cap ([`ProbeLimits`]).
//!
//! ```
//! use preflight::{check_path, Profile, ProbeLimits, Verdict};
//!
//! let report = check_path(
//!     concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/video/ok_1280x720_30fps_5s.mp4").as_ref(),
//!     &Profile::seedance2(),
//!     &ProbeLimits::default(),
//! );
//! assert_eq!(report.verdict, Verdict::Pass);
//! let info = report.info.unwrap();
//! assert_eq!((info.width, info.height), (Some(1280), Some(720)));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod bundle;
pub mod check;
pub mod error;
pub mod formats;
#[cfg(feature = "fs")]
pub mod fs;
#[doc(hidden)]
pub mod harness;
pub mod info;
pub mod probe;
pub mod profile;
pub mod read;
pub mod report;
pub mod sniff;

pub use batch::{check_path, check_paths, count_files, BatchOptions};
pub use check::{check, Report, Verdict, Violation};
pub use error::{Error, Result};
pub use info::{Format, Kind, MediaInfo, Rational};
pub use probe::{probe, probe_counted, probe_path};
pub use profile::Profile;
pub use read::ProbeLimits;
pub use report::{FileReport, Summary};
