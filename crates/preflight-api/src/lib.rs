//! The client of the Seedance asset library and of its generation tasks
//! (SPEC §5): exactly-once uploads of checked files, the manifest that makes
//! re-runs resume, task submission and video downloads.
//!
//! - [`upload`]: [`CheckedFile`] (only a file that passed the check can be
//!   sent), the asset [`Client`](upload::Client), the batch uploader and the
//!   [`Manifest`](upload::Manifest).
//! - [`generate`]: submit a task, poll it, download its video.
//!
//! Both speak through one private HTTP transport: the token goes in a
//! `Bearer` header and never into an error or a log line; connection
//! errors, timeouts, 429 (after its `Retry-After`) and 5xx are retried with
//! backoff ([`RetryPolicy`](upload::RetryPolicy)).
//!
//! It depends on the core [`preflight`] crate for the checks; the rules of a
//! request bundle ([`preflight::bundle`]) live there.
//!
//! # Example
//!
//! Check a folder's file, upload it into a group, and wait until it is
//! usable (this talks to the service, so it is not run as a test):
//!
//! ```no_run
//! use preflight::{Profile, ProbeLimits};
//! use preflight_api::upload::{Client, ClientConfig, Payload, Token};
//! use preflight_api::CheckedFile;
//! use std::path::Path;
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let token = Token::from_env("PREFLIGHT_API_KEY")?.ok_or("set PREFLIGHT_API_KEY")?;
//! let client = Client::new(ClientConfig::new("https://relay.example.com", token))?;
//! let path = Path::new("refs/cat.jpg");
//! let file = CheckedFile::check(path, &Profile::seedance2(), &ProbeLimits::default())
//!     .map_err(|report| format!("{} does not pass: {:?}", path.display(), report.verdict))?;
//! let group = client.find_or_create_group("launch-refs")?;
//! let name = preflight_api::upload::asset_name(file.path(), &file.content_hash()?);
//! let id = client.create_asset(&group.id, &name, Payload::Multipart(&file))?;
//! let assets = client.wait_active(&[id], Duration::from_secs(300))?;
//! println!("asset://{} is {}", assets[0].id, assets[0].status);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

/// Builder setters of option structs, `fn field(mut self, value) -> Self`:
/// `field: T;` sets the field to `value.into()`, `field: Some(T);` to
/// `Some(value.into())`.
macro_rules! setters {
    () => {};
    ($name:ident: Some($ty:ty); $($rest:tt)*) => {
        #[doc = concat!("Sets [`", stringify!($name), "`](#structfield.", stringify!($name), ").")]
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = Some(value.into());
            self
        }
        setters!($($rest)*);
    };
    ($name:ident: $ty:ty; $($rest:tt)*) => {
        #[doc = concat!("Sets [`", stringify!($name), "`](#structfield.", stringify!($name), ").")]
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = value.into();
            self
        }
        setters!($($rest)*);
    };
}

pub mod generate;
mod transport;
pub mod upload;

pub use transport::escape_controls;
pub use upload::{CheckedFile, UploadError};
