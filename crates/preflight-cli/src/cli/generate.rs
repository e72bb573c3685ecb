//! `preflight generate --model ID --text "..." [options] ITEM...`
//!
//! Items are as in `preflight request` (`asset://ID`, an asset id, or an
//! uploaded local file). The bundle is checked against the request rules and
//! the options are validated before anything is sent; then the task is
//! submitted, its id printed on stdout (so `preflight task wait ID` can pick
//! it up after Ctrl-C), and it is waited for and its video saved as in
//! `preflight task wait`.

use super::api::{self, ApiArgs};
use super::exit;
use super::request::Lookup;
use super::task::{self, WaitOpts};
use clap::Args;
use preflight_api::generate::{self, TaskOptions};
use preflight_api::upload::manifest::DEFAULT_FILE;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// References: `asset://ID`, an asset id, or a local file already uploaded.
    #[arg(value_name = "ITEM")]
    items: Vec<String>,
    /// The model id (e.g. doubao-seedance-2-0-260128); there is no default.
    #[arg(long, value_name = "ID")]
    model: String,
    /// The text prompt.
    #[arg(long, value_name = "TEXT")]
    text: Option<String>,
    /// An image the video starts from (its own mode: no other reference beside it).
    #[arg(long, value_name = "ITEM")]
    first_frame: Option<String>,
    /// 16:9, 9:16, 4:3, 3:4, 1:1, 21:9 or adaptive (default: the model's).
    #[arg(long, value_name = "R")]
    ratio: Option<String>,
    /// 480p or 720p (1080p where the profile allows it; default: the model's).
    #[arg(long, value_name = "RES")]
    resolution: Option<String>,
    /// Seconds, 4–15, or -1 to let the model decide (default: the model's).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    duration: Option<i32>,
    /// Whether the video has sound (true or false; default: the model's).
    #[arg(long, value_name = "BOOL")]
    generate_audio: Option<bool>,
    /// Whether the video carries a watermark (true or false).
    #[arg(long, value_name = "BOOL")]
    watermark: Option<bool>,
    /// Seed, -1 (random) to 4294967295.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    seed: Option<i64>,
    /// Print the request body that would be sent, and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// The manifest that maps local files to assets.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_FILE)]
    manifest: PathBuf,
    /// Built-in profile name or a TOML file with the same fields.
    #[arg(long, default_value = "seedance2", value_name = "NAME|FILE.toml")]
    profile: String,
    #[command(flatten)]
    wait: WaitOpts,
    #[command(flatten)]
    api: ApiArgs,
}

pub fn run(args: GenerateArgs) -> u8 {
    // A dry run needs no service (asset ids may still be looked up there).
    let lookup = match Lookup::open(&args.profile, &args.manifest, &args.api, !args.dry_run) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let bundle = match lookup.bundle(args.text.clone(), args.first_frame.as_deref(), &args.items) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let mut opts = TaskOptions::new(args.model.clone())
        .tasks_path(args.wait.tasks_path.clone())
        .limits(lookup.profile.request.clone());
    opts.ratio = args.ratio.clone();
    opts.resolution = args.resolution.clone();
    opts.duration = args.duration;
    opts.generate_audio = args.generate_audio;
    opts.watermark = args.watermark;
    opts.seed = args.seed;
    let problems = opts.problems(&bundle);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("preflight: {p}");
        }
        eprintln!("preflight: nothing was sent");
        return exit::USAGE;
    }
    if !lookup.request_rules_pass(&bundle, "nothing was sent") {
        return exit::FAIL;
    }
    if args.dry_run {
        return match generate::task_body(&bundle, &opts) {
            Ok(body) => api::print_lines(&[body]),
            Err(e) => task::fail(&e),
        };
    }
    let Some(client) = &lookup.client else {
        return exit::USAGE;
    };
    let id = match generate::submit(client, &bundle, &opts) {
        Ok(id) => id,
        Err(e) => return task::fail(&e),
    };
    eprintln!(
        "preflight: task {id} submitted; if waiting stops, resume with `preflight task wait {id}`"
    );
    let code = api::print_lines(&[id.to_string()]);
    if code != exit::PASS {
        return code;
    }
    task::wait_and_save(client, &id, &args.wait)
}
