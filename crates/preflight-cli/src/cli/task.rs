//! `preflight task get ID` and `preflight task wait ID [--out DIR]`, and the
//! waiting and saving that `generate` shares.
//!
//! Waiting polls the task (2 s, growing to 15 s) until it is final, then
//! downloads the video at once (its URL expires 12 h after the task
//! finished). Ctrl-C stops waiting, prints how to resume, and exits 130; a
//! second Ctrl-C exits at once.

use super::api::{self, ApiArgs};
use super::exit;
use super::output::sanitize;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use preflight_api::generate::{
    self, format_utc, now_unix, DownloadOptions, GenerateError, PollOptions, TaskId, TaskResult,
    TaskStatus, DEFAULT_TASKS_PATH,
};
use preflight_api::upload::Client;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Poll interval in milliseconds (first and longest), mostly for tests.
pub const POLL_MS_VAR: &str = "PREFLIGHT_POLL_MS";

/// Exit code after Ctrl-C (128 + SIGINT, as shells report it).
pub use super::exit::INTERRUPTED;

#[derive(Args, Debug)]
pub struct TaskArgs {
    #[command(subcommand)]
    command: TaskCommand,
}

#[derive(Subcommand, Debug)]
enum TaskCommand {
    /// Print a task as the service describes it (JSON).
    Get(GetArgs),
    /// Wait for a task to finish and save its video.
    Wait(WaitArgs),
}

#[derive(Args, Debug)]
struct GetArgs {
    /// The task id (`cgt-…`).
    #[arg(value_name = "ID")]
    id: String,
    /// Path of the task API under the base URL (relays mount it elsewhere).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_TASKS_PATH)]
    tasks_path: String,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Args, Debug)]
struct WaitArgs {
    /// The task id (`cgt-…`).
    #[arg(value_name = "ID")]
    id: String,
    #[command(flatten)]
    wait: WaitOpts,
    #[command(flatten)]
    api: ApiArgs,
}

/// How to wait and where to save (shared with `generate`).
#[derive(Args, Debug, Clone)]
pub struct WaitOpts {
    /// Folder the video is saved in, as `<task id>.mp4` (made when missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Print the video URL and when it expires instead of downloading it.
    #[arg(long)]
    pub no_download: bool,
    /// Longest wait for the task, in seconds (it goes on at the service).
    #[arg(long, value_name = "SECS", default_value_t = 1800)]
    pub wait_timeout: u64,
    /// Path of the task API under the base URL (relays mount it elsewhere).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_TASKS_PATH)]
    pub tasks_path: String,
    /// No progress display.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(args: TaskArgs) -> u8 {
    match args.command {
        TaskCommand::Get(a) => get(a),
        TaskCommand::Wait(a) => {
            let client = match a.api.client() {
                Ok(c) => c,
                Err(u) => return api::usage(u),
            };
            let id = match TaskId::new(a.id.trim()) {
                Ok(id) => id,
                Err(e) => return fail(&e.into()),
            };
            wait_and_save(&client, &id, &a.wait)
        }
    }
}

fn get(a: GetArgs) -> u8 {
    let client = match a.api.client() {
        Ok(c) => c,
        Err(u) => return api::usage(u),
    };
    let id = match TaskId::new(a.id.trim()) {
        Ok(id) => id,
        Err(e) => return fail(&e.into()),
    };
    let t = match generate::get(&client, &a.tasks_path, &id) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    eprintln!("preflight: task {id}: {}", sanitize(&t.summary()));
    if t.video_url.is_some() {
        eprintln!("preflight: the video URL {}", expiry_text(&t));
    }
    if let Some(h) = t.moderation_hint() {
        eprintln!("preflight: hint: {h}");
    }
    api::print_json(&t.raw)
}

/// Prints an error and gives the exit code: 2 for bad options, 130 for an
/// interruption, else 1.
pub fn fail(e: &GenerateError) -> u8 {
    eprintln!("preflight: {}", sanitize(&e.to_string()));
    match e {
        GenerateError::Options(_) => exit::USAGE,
        GenerateError::Interrupted { .. } => INTERRUPTED,
        GenerateError::Api(u) => api_code(u),
        _ => exit::FAIL,
    }
}

fn api_code(e: &preflight_api::UploadError) -> u8 {
    match e {
        preflight_api::UploadError::Config(_) => exit::USAGE,
        _ => exit::FAIL,
    }
}

/// A flag that Ctrl-C sets; a second Ctrl-C exits at once.
pub fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    // Without a handler (it could not be set) Ctrl-C just ends the process;
    // the task id was printed before any waiting began.
    let _ = ctrlc::set_handler(move || {
        if f.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(INTERRUPTED));
        }
    });
    flag
}

/// `"expires 2026-… (12 h after the task finished)"`.
fn expiry_text(t: &TaskResult) -> String {
    let e = t.url_expiry(now_unix());
    if e.from_finish {
        format!(
            "expires {} (12 h after the task finished)",
            format_utc(e.at)
        )
    } else {
        format!(
            "expires {} at the latest (12 h from now; when the task finished is not known)",
            format_utc(e.at)
        )
    }
}

/// Polls `id` until it is final, then saves the video (or prints its URL).
pub fn wait_and_save(client: &Client, id: &TaskId, w: &WaitOpts) -> u8 {
    let cancel = interrupt_flag();
    let display = Display::new(w.quiet, id);
    let mut opts = PollOptions::default()
        .tasks_path(w.tasks_path.clone())
        .timeout(Duration::from_secs(w.wait_timeout))
        .cancel(Arc::clone(&cancel))
        .on_update(display.callback());
    if let Some(ms) = std::env::var(POLL_MS_VAR)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        opts.first_interval = Duration::from_millis(ms);
        opts.max_interval = Duration::from_millis(ms);
    }
    let result = generate::poll(client, id, &opts);
    display.finish();
    let task = match result {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    if task.status != TaskStatus::Succeeded || task.video_url.is_none() {
        eprintln!(
            "preflight: task {id} ended without a video: {}",
            sanitize(&task.summary())
        );
        if let Some(h) = task.moderation_hint() {
            eprintln!("preflight: hint: {h}");
        }
        return exit::FAIL;
    }
    let url = task.video_url.as_deref().unwrap_or_default();
    if w.no_download {
        return api::print_lines(&[url.to_string(), expiry_text(&task)]);
    }
    let d = DownloadOptions::new(&w.out).cancel(cancel);
    match generate::download(client, &task, &d) {
        Ok(saved) => {
            eprintln!(
                "preflight: saved {} ({} bytes)",
                saved.path.display(),
                saved.bytes
            );
            api::print_lines(&[format!("{id} → {}", saved.path.display())])
        }
        Err(e) => {
            let code = fail(&e);
            if code != INTERRUPTED && task.url_expiry(now_unix()).at > now_unix() {
                eprintln!(
                    "preflight: the video URL {}: retry with `preflight task wait {id} --out {}`",
                    expiry_text(&task),
                    w.out.display()
                );
            }
            code
        }
    }
}

/// Progress: a spinner on a terminal, else one line per change.
struct Display {
    bar: Option<ProgressBar>,
    id: TaskId,
    last: Arc<Mutex<String>>,
    quiet: bool,
}

impl Display {
    fn new(quiet: bool, id: &TaskId) -> Display {
        let bar = (!quiet && io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("{spinner} task {prefix}: {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.set_prefix(id.to_string());
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Display {
            bar,
            id: id.clone(),
            last: Arc::new(Mutex::new(String::new())),
            quiet,
        }
    }

    fn callback(&self) -> generate::OnUpdate {
        let bar = self.bar.clone();
        let last = Arc::clone(&self.last);
        let id = self.id.clone();
        let quiet = self.quiet;
        Arc::new(move |t: &TaskResult| {
            let now = sanitize(&t.summary());
            if let Some(b) = &bar {
                b.set_message(now);
                return;
            }
            if quiet {
                return;
            }
            let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
            if *l != now {
                eprintln!("preflight: task {id}: {now}");
                *l = now;
            }
        })
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
