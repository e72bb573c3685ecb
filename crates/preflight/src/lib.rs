//! `preflight` finds out what a media file really is, checks it against the
//! upload limits of the Seedance 2.0 asset library (or any [`Profile`]), and
//! reports every broken rule with a stable id ([`Rule`]).
//!
//! It reads headers only: a probe never decodes media, never reads more
//! than it needs, never sizes an allocation by a header field without a cap
//! ([`ProbeLimits`]), and never returns a measurement from data that ended
//! early ([`Error::Incomplete`]).
//!
//! # The flow
//!
//! 1. **Probe**: [`probe_bytes`] (a whole file in memory), [`probe_reader`]
//!    (any `Read + Seek`), [`probe_path`] (feature `fs`), or the sans-I/O
//!    [`Prober`] that asks for the byte ranges it needs. Each gives a
//!    [`MediaInfo`]: format by content, displayed size, duration, frame
//!    rate, codec…
//! 2. **Check**: [`check`] judges a [`MediaInfo`] against a [`Profile`] and
//!    gives a [`Report`]: a [`Verdict`], [`Violation`]s and warnings, each
//!    with its [`Rule`], the value found and the bound it broke.
//! 3. **Per request**: [`bundle::Bundle`] applies the rules of one
//!    generation request (counts, total durations, modes).
//!
//! ```
//! use preflight::{check, probe_bytes, ProbeLimits, Profile, Rule, Verdict};
//!
//! // A BMP header for a 320×100 picture (the pixels are not read).
//! let mut bmp = vec![0u8; 54];
//! bmp[..2].copy_from_slice(b"BM");
//! bmp[2..6].copy_from_slice(&(54u32 + 320 * 100 * 3).to_le_bytes());
//! bmp[10..14].copy_from_slice(&54u32.to_le_bytes());
//! bmp[14..18].copy_from_slice(&40u32.to_le_bytes());
//! bmp[18..22].copy_from_slice(&320i32.to_le_bytes());
//! bmp[22..26].copy_from_slice(&100i32.to_le_bytes());
//! bmp[26..28].copy_from_slice(&1u16.to_le_bytes());
//! bmp[28..30].copy_from_slice(&24u16.to_le_bytes());
//! bmp.resize(54 + 320 * 100 * 3, 0);
//!
//! let info = probe_bytes(&bmp, &ProbeLimits::default())?;
//! assert_eq!((info.width, info.height), (Some(320), Some(100)));
//!
//! let report = check(&info, &Profile::seedance2());
//! assert_eq!(report.verdict(), Verdict::Fail);
//! // 100 px is below the 300 px minimum, and 3.2 is wider than 2.5.
//! let rules: Vec<Rule> = report.violations.iter().map(|v| v.rule).collect();
//! assert_eq!(rules, [Rule::ImageHeight, Rule::ImageAspect]);
//! assert_eq!(
//!     report.violations[0].message,
//!     "height 100 px is below the 300 px limit"
//! );
//! # Ok::<(), preflight::Error>(())
//! ```
//!
//! # Features
//!
//! - `fs` (default): [`probe_path`], [`check_path`], [`check_paths`] (a
//!   parallel folder walk) and the [`fs`] helpers. Off for wasm.
//! - `serde` (default): `Serialize` for every data type, `Deserialize` for
//!   [`Profile`] and [`ProbeLimits`].
//! - `toml` (default): [`Profile::from_toml`] and [`Profile::load`].
//!
//! With `default-features = false` the crate depends on `thiserror` and
//! `infer` only, and builds for `wasm32-unknown-unknown` with no imports.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "fs")]
mod batch;
pub mod bundle;
mod check;
mod error;
mod formats;
#[cfg(feature = "fs")]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub mod fs;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod harness;
mod info;
pub mod mpeg_audio;
pub mod net;
mod probe;
mod profile;
mod read;
mod report;
pub mod riff;
mod rule;
mod sniff;

#[cfg(feature = "fs")]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub use batch::{
    check_path, check_path_against, check_paths, check_paths_against, check_paths_with,
    count_files, BatchError, BatchOptions,
};
pub use check::{check, fmt_apart, fmt_num, human_bytes, Report, Verdict, Violation};
pub use error::{Error, LimitKind, Result};
pub use info::{Format, Kind, MediaInfo, Rational, UnknownFormat};
#[cfg(feature = "fs")]
#[cfg_attr(docsrs, doc(cfg(feature = "fs")))]
pub use probe::probe_path;
pub use probe::{probe_bytes, probe_reader, Prober, Step, MIN_RANGE};
pub use profile::{
    AudioLimits, ImageLimits, Profile, ProfileError, ProfileProblem, RequestLimits, VideoLimits,
};
pub use read::ProbeLimits;
pub use report::{check_probed_against, FileReport, Judgement, ProfileSummary, Summary};
pub use rule::{Measure, Rule, UnknownRule};
pub use sniff::{classify as sniff, extension_matches, HEAD_LEN as SNIFF_LEN};
