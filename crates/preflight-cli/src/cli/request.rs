//! `preflight request --text "..." [--first-frame X] ITEM...`
//!
//! Each ITEM is `asset://ID`, an asset id, or a local file. A local file is
//! checked and looked up in the manifest by content hash; an asset id is
//! looked up in the manifest (type and duration), else asked of the service
//! (type only) when an API is configured. The bundle is checked against the
//! request rules; when it passes, the `content` array is printed on stdout.

use super::api::{self, ApiArgs};
use super::exit;
use super::output::sanitize;
use clap::Args;
use preflight::bundle::{Bundle, Item};
use preflight::{ProbeLimits, Profile};
use preflight_api::upload::manifest::DEFAULT_FILE;
use preflight_api::upload::{AssetStatus, AssetType, Client, Manifest};
use preflight_api::CheckedFile;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct RequestArgs {
    /// References: `asset://ID`, an asset id, or a local file already uploaded.
    #[arg(value_name = "ITEM")]
    items: Vec<String>,
    /// The text prompt.
    #[arg(long, value_name = "TEXT")]
    text: Option<String>,
    /// An image the video starts from (its own mode: no other reference beside it).
    #[arg(long, value_name = "ITEM")]
    first_frame: Option<String>,
    /// The request's mode: `reference` (images, videos and audio as
    /// references), `first-frame` (one image the video starts from) or
    /// `first-last` (two images: the first and the last frame, in the order
    /// given). Modes do not mix (`request.mode`).
    #[arg(long, value_name = "MODE", default_value = "reference")]
    mode: preflight::bundle::Mode,
    /// The manifest that maps local files to assets.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_FILE)]
    manifest: PathBuf,
    /// Built-in profile name or a TOML file with the same fields.
    #[arg(long, default_value = "seedance2", value_name = "NAME|FILE.toml")]
    profile: String,
    #[command(flatten)]
    api: ApiArgs,
}

/// Why an item could not be resolved: exit code and message.
struct Unresolved(u8, String);

pub fn run(args: RequestArgs) -> u8 {
    let lookup = match Lookup::open(&args.profile, &args.manifest, &args.api, false) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut bundle =
        match lookup.bundle(args.text.clone(), args.first_frame.as_deref(), &args.items) {
            Ok(b) => b,
            Err(code) => return code,
        };
    if args.first_frame.is_none() {
        bundle.set_mode(args.mode);
    }
    if !lookup.request_rules_pass(&bundle, "no content printed") {
        return exit::FAIL;
    }
    api::print_json(&bundle.content())
}

/// Where the items of `request` and `generate` are looked up: the profile,
/// the manifest and, when it is configured (or needed), the service.
pub(super) struct Lookup {
    pub(super) profile: Profile,
    manifest: Manifest,
    pub(super) client: Option<Client>,
}

impl Lookup {
    /// Loads the profile and the manifest, and connects to the service when
    /// `need_service` or when it is configured; the exit code when one of
    /// them cannot be had.
    pub(super) fn open(
        profile: &str,
        manifest: &Path,
        api: &ApiArgs,
        need_service: bool,
    ) -> Result<Lookup, u8> {
        let profile = Profile::from_name_or_path(profile).map_err(|e| {
            eprintln!("preflight: {e}");
            exit::USAGE
        })?;
        let manifest = Manifest::load(manifest).map_err(|e| api::fail(&e))?;
        let client = if need_service || api.configured() {
            Some(api.client().map_err(api::usage)?)
        } else {
            None
        };
        Ok(Lookup {
            profile,
            manifest,
            client,
        })
    }

    /// Checks `bundle` against the profile's request rules and prints what
    /// breaks them (✗) and the warnings (!); `false`, with "the bundle
    /// breaks the request rules; {consequence}", when something does.
    pub(super) fn request_rules_pass(&self, bundle: &Bundle, consequence: &str) -> bool {
        let report = bundle.check(&self.profile.request);
        for v in &report.violations {
            eprintln!("✗ {}: {}", v.rule, v.message);
        }
        for w in &report.warnings {
            eprintln!("! {}: {}", w.rule, w.message);
        }
        if !report.violations.is_empty() {
            eprintln!("preflight: the bundle breaks the request rules; {consequence}");
            return false;
        }
        true
    }

    /// The bundle of `text`, an optional first frame and the items; every
    /// item that cannot be resolved is reported on stderr, and the worst exit
    /// code returned.
    pub(super) fn bundle(
        &self,
        text: Option<String>,
        first_frame: Option<&str>,
        items: &[String],
    ) -> Result<Bundle, u8> {
        let mut bundle = Bundle::new(text);
        let mut worst = exit::PASS;
        let first = first_frame.map(|f| (f, true));
        for (raw, is_first) in first
            .into_iter()
            .chain(items.iter().map(|i| (i.as_str(), false)))
        {
            match self.resolve(raw) {
                Ok(item) if is_first && item.asset_type != AssetType::Image => {
                    eprintln!(
                        "preflight: {}: a first frame must be an image, not {}",
                        sanitize(raw),
                        item.asset_type
                    );
                    worst = worst.max(exit::FAIL);
                }
                Ok(item) => bundle.push(if is_first {
                    item.as_first_frame()
                } else {
                    item
                }),
                Err(Unresolved(code, msg)) => {
                    eprintln!("preflight: {}: {msg}", sanitize(raw));
                    worst = worst.max(code);
                }
            }
        }
        if worst != exit::PASS {
            return Err(worst);
        }
        Ok(bundle)
    }

    fn resolve(&self, raw: &str) -> Result<Item, Unresolved> {
        let path = Path::new(raw);
        if !raw.starts_with("asset://") && path.is_file() {
            return self.resolve_file(path);
        }
        if !raw.starts_with("asset://") {
            if let Some(why) = not_a_usable_file(path) {
                return Err(Unresolved(exit::USAGE, why));
            }
        }
        let id = raw.strip_prefix("asset://").unwrap_or(raw);
        if id.is_empty() {
            return Err(Unresolved(exit::USAGE, "empty asset id".into()));
        }
        if let Some(e) = self.manifest.find_asset(id) {
            let ty = AssetType::parse(&e.asset_type).ok_or_else(|| {
                Unresolved(
                    exit::USAGE,
                    format!("the manifest gives it an unknown type {:?}", e.asset_type),
                )
            })?;
            return Ok(Item::asset(id, ty, e.duration_s));
        }
        let Some(client) = &self.client else {
            return Err(Unresolved(
                exit::USAGE,
                format!(
                    "not a file and not in the manifest {}; set {} and {} to ask the service for its type",
                    self.manifest.path().display(),
                    api::BASE_URL_VAR,
                    api::TOKEN_VAR
                ),
            ));
        };
        let a = client
            .get_asset(id)
            .map_err(|e| Unresolved(exit::FAIL, e.to_string()))?;
        let ty = AssetType::parse(&a.asset_type).ok_or_else(|| {
            Unresolved(
                exit::FAIL,
                format!("the service gives it an unknown type {:?}", a.asset_type),
            )
        })?;
        if a.status != AssetStatus::Active {
            eprintln!(
                "preflight: warning: {} is {}, usable only once Active",
                sanitize(id),
                a.status
            );
        }
        Ok(Item::asset(id, ty, None))
    }

    fn resolve_file(&self, path: &Path) -> Result<Item, Unresolved> {
        let checked = match CheckedFile::check(path, &self.profile, &ProbeLimits::default()) {
            Ok(c) => c,
            Err(report) => {
                let rules: Vec<String> = report
                    .violations
                    .iter()
                    .map(|v| format!("{}: {}", v.rule, v.message))
                    .collect();
                return Err(Unresolved(
                    exit::FAIL,
                    format!("does not pass the check ({})", rules.join("; ")),
                ));
            }
        };
        let hash = checked
            .content_hash()
            .map_err(|e| Unresolved(exit::FAIL, e.to_string()))?;
        let Some(e) = self.manifest.find_hash(&hash) else {
            return Err(Unresolved(
                exit::USAGE,
                format!(
                    "not uploaded yet (not in {}): run `preflight upload` first",
                    self.manifest.path().display()
                ),
            ));
        };
        Ok(Item::asset(
            &e.asset_id,
            checked.asset_type(),
            checked.duration_s(),
        ))
    }
}

/// Extensions that make an argument a file name rather than an asset id.
const MEDIA_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "heic", "heif", "avif", "jxl",
    "mp4", "mov", "m4v", "mkv", "webm", "avi", "mp3", "wav", "m4a", "aac", "flac", "ogg",
];

/// Why an argument that names a path (it exists, has a folder separator or
/// a media extension) but is not a file cannot be an item: a usage error
/// said as such, never sent to the service as an asset id (issue 14, item 11).
fn not_a_usable_file(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            return Some("is a folder: name its files (request takes files, not folders)".into())
        }
        Ok(m) if !m.is_file() => return Some("is not a regular file".into()),
        Ok(_) => return None,
        Err(_) => {}
    }
    let raw = path.as_os_str().to_string_lossy();
    let media_ext = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    let path_like = raw.contains('/') || raw.contains('\\') || raw.starts_with('.') || media_ext;
    path_like.then(|| {
        "no such file (a local file must exist; an asset id has no path or extension)".into()
    })
}
