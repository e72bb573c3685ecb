//! The client of the Seedance asset library and of its generation tasks
//! (SPEC §5): exactly-once uploads of checked files, the manifest that makes
//! re-runs resume, task submission and video downloads.
//!
//! It depends on the core [`preflight`] crate for the checks; the rules of a
//! request bundle ([`preflight::bundle`]) live there.
#![warn(missing_docs)]

pub mod generate;
pub mod upload;

pub use upload::{CheckedFile, UploadError};
