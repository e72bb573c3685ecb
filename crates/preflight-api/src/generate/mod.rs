//! Generation tasks: submit a checked bundle to Seedance 2.0, poll the task,
//! and save the video before its URL expires.
//!
//! The task API is the Ark-compatible one of the video-generation service
//! (Volcengine Ark, "create / query video generation task"):
//!
//! - `POST {base}{tasks_path}` with
//!   `{"model","content":[…],"ratio","resolution","duration","generate_audio","watermark","seed"}`
//!   answers `{"id":"cgt-…"}`. `content` is the bundle's array in the strict
//!   order text, image_url, video_url, audio_url ([`Bundle::content`]); an
//!   option left unset is left out (the model's default applies).
//! - `GET {base}{tasks_path}/{id}` answers `{"id","model","status",…}`:
//!   `status` is `queued`, `running`, `succeeded`, `failed` or `cancelled`
//!   (and `expired`), `content.video_url` is set on success, `error`
//!   (`{"code","message"}`) on failure; `updated_at` is a Unix time in
//!   seconds. A relay may add `progress` (percent).
//!
//! `tasks_path` defaults to [`DEFAULT_TASKS_PATH`]; relays mount it elsewhere.
//! The model id is always given by the caller: there is no hidden default.
//!
//! Creating a task is not idempotent (there is no idempotency key, and a task
//! costs money): [`submit`] resends only when the first attempt surely did
//! nothing (no connection, 429, 503). Any other failure after sending is
//! [`GenerateError::Unconfirmed`]: the task may exist anyway.
//!
//! Result URLs expire 12 hours after the task finished (SPEC §5), so
//! [`download`] is meant to run as soon as [`poll`] returns: it streams the
//! video to a hidden temporary file in the output folder, checks its size
//! against `Content-Length` and that it is a video, and only then renames it
//! into place. An interrupted or short download never leaves a file under
//! the final name.

mod download;

pub use download::{download, DownloadError, DownloadOptions, Saved};

use crate::transport::{self, body_start, escape_controls, json_text};
use crate::upload::{Client, UploadError};
use preflight::bundle::Bundle;
use preflight::RequestLimits;
use preflight::Violation;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where the task API is mounted under the base URL by default.
pub const DEFAULT_TASKS_PATH: &str = "/api/v3/contents/generations/tasks";

/// The ratios the model takes.
pub const RATIOS: [&str; 7] = ["16:9", "9:16", "4:3", "3:4", "1:1", "21:9", "adaptive"];

/// Shortest and longest `duration` in seconds (`-1` lets the model decide).
pub const DURATION_S: (i32, i32) = (4, 15);

/// How long a result URL works after the task finished (SPEC §5).
pub const URL_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// What the service documents for output that never came.
pub const MODERATION_HINT: &str = "the output was most likely blocked by content moderation \
(celebrity likeness, copyrighted characters); change the prompt or the reference image";

/// Everything that can go wrong while generating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The task options are invalid (nothing was sent).
    #[error("invalid task options: {}", join(.0))]
    Options(Vec<OptionError>),
    /// The bundle breaks the request rules (nothing was sent).
    #[error("the bundle breaks the request rules: {}", rules(.0))]
    Bundle(Vec<Violation>),
    /// The service or the network failed.
    #[error(transparent)]
    Api(#[from] UploadError),
    /// Creating the task failed after the request may have reached the service.
    #[error("{source}; the service may have created the task anyway: look for it before submitting again, or it may run (and be billed) twice")]
    Unconfirmed {
        /// What went wrong.
        source: UploadError,
    },
    /// A reply that is not the JSON of the contract.
    #[error("{action}: unexpected reply: {problem}")]
    Reply {
        /// `CreateTask` or `GetTask`.
        action: &'static str,
        /// What is wrong with it.
        problem: ReplyError,
    },
    /// The task body could not be encoded as JSON.
    #[error("cannot encode the task body: {0}")]
    Encode(#[source] serde_json::Error),
    /// The task did not finish in time; it goes on at the service.
    #[error("task {id} did not finish within {waited_s} s ({}); resume with `preflight task wait {id}`", timeout_desc(.last.as_deref(), .last_error.as_deref()))]
    Timeout {
        /// The task.
        id: TaskId,
        /// Seconds waited.
        waited_s: u64,
        /// The last state seen.
        last: Option<Box<TaskResult>>,
        /// The last error, when the last look failed.
        last_error: Option<Box<UploadError>>,
    },
    /// Waiting was interrupted (Ctrl-C); the task goes on at the service.
    #[error(
        "task {id}: stopped waiting; the task goes on: resume with `preflight task wait {id}`"
    )]
    Interrupted {
        /// The task.
        id: TaskId,
    },
    /// The video could not be downloaded.
    #[error("task {id}: downloading {url}: {error}")]
    Download {
        /// The task.
        id: TaskId,
        /// The URL without its query (the signature).
        url: String,
        /// What went wrong.
        error: DownloadError,
    },
    /// A local file could not be written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

impl From<OptionError> for GenerateError {
    fn from(e: OptionError) -> Self {
        GenerateError::Options(vec![e])
    }
}

/// One invalid task option (or prompt), found before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// No model id.
    #[error("a model id is required (--model)")]
    MissingModel,
    /// A model id with white space or control characters.
    #[error("model id {0:?} holds whitespace")]
    BadModel(String),
    /// No prompt, or only white space.
    #[error("the prompt is empty (--text)")]
    EmptyPrompt,
    /// A ratio not in [`RATIOS`].
    #[error("ratio {0:?}: must be one of {ratios}", ratios = RATIOS.join(", "))]
    BadRatio(String),
    /// A resolution the profile does not allow.
    #[error("resolution {value:?}: must be {}{}", resolutions(*.allow_1080p).join(" or "), if .value == "1080p" && !.allow_1080p { " (the profile does not allow 1080p: set request.allow_1080p)" } else { "" })]
    BadResolution {
        /// The resolution asked for.
        value: String,
        /// Whether the profile allows 1080p.
        allow_1080p: bool,
    },
    /// A duration outside [`DURATION_S`] (and not -1).
    #[error("duration {0} s: must be {lo}–{hi} s, or -1 to let the model decide", lo = DURATION_S.0, hi = DURATION_S.1)]
    BadDuration(i32),
    /// A seed outside -1 to 2^32-1.
    #[error("seed {0}: must be -1 (random) to {max}", max = u32::MAX)]
    BadSeed(i64),
    /// A tasks path that is not an absolute path without a query.
    #[error("tasks path {0:?}: must start with '/', not end with '/', and hold no query")]
    BadTasksPath(String),
    /// A task id with characters other than letters, digits, `.`, `_`, `-`.
    #[error("task id {0:?} is not an id (letters, digits, '.', '_', '-')")]
    BadTaskId(String),
    /// A download file name that is not a plain file name.
    #[error("file name {0:?} is not a plain file name")]
    BadFileName(String),
}

/// What is wrong with a reply of the task API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A create reply without `id`.
    #[error("no task id: {body_start}")]
    NoTaskId {
        /// The start of the reply (scrubbed).
        body_start: String,
    },
    /// A create reply whose `id` is not an id.
    #[error("task id {id:?} is not an id")]
    BadTaskId {
        /// The id sent (scrubbed).
        id: String,
    },
    /// A task without `status`.
    #[error("no status: {body_start}")]
    NoStatus {
        /// The start of the reply (scrubbed).
        body_start: String,
    },
    /// The reply describes another task.
    #[error("asked for task {asked}, got {got:?}: {body_start}")]
    WrongTask {
        /// The task asked for.
        asked: TaskId,
        /// The id in the reply (scrubbed).
        got: String,
        /// The start of the reply (scrubbed).
        body_start: String,
    },
}

fn join(v: &[OptionError]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn resolutions(allow_1080p: bool) -> &'static [&'static str] {
    if allow_1080p {
        &["480p", "720p", "1080p"]
    } else {
        &["480p", "720p"]
    }
}

/// The last status seen by [`poll`] (and the last error, or the moderation
/// hint), for [`GenerateError::Timeout`].
fn timeout_desc(last: Option<&TaskResult>, last_error: Option<&UploadError>) -> String {
    let mut desc = match last {
        Some(t) => format!("last status {}", t.summary()),
        None => "no status seen".to_string(),
    };
    if let Some(e) = last_error {
        desc.push_str(&format!("; last error: {e}"));
    }
    if last.is_some_and(|t| t.progress == Some(100)) {
        desc.push_str(&format!("; at 100 % without a video: {MODERATION_HINT}"));
    }
    desc
}

fn rules(v: &[Violation]) -> String {
    v.iter()
        .map(|v| format!("{}: {}", v.rule, v.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The id of a generation task (`cgt-…`). Only letters, digits, `.`, `_` and
/// `-` (at most 128), so that it is safe in a URL path and a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TaskId(String);

impl TaskId {
    /// Checks and wraps an id.
    /// ```
    /// use preflight_api::generate::TaskId;
    /// assert!(TaskId::new("cgt-20250331175019-68d9t").is_ok());
    /// assert!(TaskId::new("../x").is_err());
    /// ```
    pub fn new(id: impl Into<String>) -> Result<TaskId, OptionError> {
        let id: String = id.into();
        let ok = !id.is_empty()
            && id.len() <= 128
            && id != "."
            && id != ".."
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(TaskId(id))
        } else {
            Err(OptionError::BadTaskId(id.chars().take(140).collect()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The options of a task besides its content: [`TaskOptions::new`], then
/// the setters (or the fields).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskOptions {
    /// The model id (required; no default).
    pub model: String,
    /// One of [`RATIOS`]; `None` leaves it to the model.
    pub ratio: Option<String>,
    /// `480p`, `720p`, or `1080p` where [`RequestLimits::allow_1080p`].
    pub resolution: Option<String>,
    /// Seconds, 4–15, or -1 for "the model decides".
    pub duration: Option<i32>,
    /// Whether the video has sound.
    pub generate_audio: Option<bool>,
    /// Whether the video carries a watermark.
    pub watermark: Option<bool>,
    /// -1 (random) to 2^32-1.
    pub seed: Option<i64>,
    /// The task API's path under the base URL.
    pub tasks_path: String,
    /// The request rules the bundle must keep (the profile's `request`).
    pub limits: RequestLimits,
}

impl TaskOptions {
    /// Options for `model`, everything else left to the model, the
    /// `seedance2` request rules, and [`DEFAULT_TASKS_PATH`].
    pub fn new(model: impl Into<String>) -> TaskOptions {
        TaskOptions {
            model: model.into(),
            ratio: None,
            resolution: None,
            duration: None,
            generate_audio: None,
            watermark: None,
            seed: None,
            tasks_path: DEFAULT_TASKS_PATH.to_string(),
            limits: RequestLimits::default(),
        }
    }

    setters! {
        ratio: Some(impl Into<String>);
        resolution: Some(impl Into<String>);
        duration: Some(i32);
        generate_audio: Some(bool);
        watermark: Some(bool);
        seed: Some(i64);
        tasks_path: impl Into<String>;
        limits: RequestLimits;
    }

    /// Every problem of the options and the prompt, before anything is sent.
    pub fn problems(&self, bundle: &Bundle) -> Vec<OptionError> {
        let mut p = Vec::new();
        let model = self.model.trim();
        if model.is_empty() {
            p.push(OptionError::MissingModel);
        } else if model.chars().any(|c| c.is_whitespace() || c.is_control()) {
            p.push(OptionError::BadModel(self.model.clone()));
        }
        if bundle.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
            p.push(OptionError::EmptyPrompt);
        }
        if let Some(r) = &self.ratio {
            if !RATIOS.contains(&r.as_str()) {
                p.push(OptionError::BadRatio(r.clone()));
            }
        }
        if let Some(r) = &self.resolution {
            if !resolutions(self.limits.allow_1080p).contains(&r.as_str()) {
                p.push(OptionError::BadResolution {
                    value: r.clone(),
                    allow_1080p: self.limits.allow_1080p,
                });
            }
        }
        if let Some(d) = self.duration {
            let (lo, hi) = DURATION_S;
            if d != -1 && !(lo..=hi).contains(&d) {
                p.push(OptionError::BadDuration(d));
            }
        }
        if let Some(s) = self.seed {
            if !(-1..=i64::from(u32::MAX)).contains(&s) {
                p.push(OptionError::BadSeed(s));
            }
        }
        if let Err(e) = check_tasks_path(&self.tasks_path) {
            p.push(e);
        }
        p
    }

    /// The options and the prompt are valid, and the bundle keeps the rules.
    pub fn validate(&self, bundle: &Bundle) -> Result<(), GenerateError> {
        let p = self.problems(bundle);
        if !p.is_empty() {
            return Err(GenerateError::Options(p));
        }
        let report = bundle.check(&self.limits);
        if !report.violations.is_empty() {
            return Err(GenerateError::Bundle(report.violations));
        }
        Ok(())
    }
}

fn check_tasks_path(path: &str) -> Result<(), OptionError> {
    let ok = path.starts_with('/')
        && path.len() > 1
        && !path.ends_with('/')
        && !path
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#'));
    if ok {
        Ok(())
    } else {
        Err(OptionError::BadTasksPath(path.to_string()))
    }
}

/// The body of a create call, keys in the documented order.
#[derive(Serialize)]
struct TaskBody<'a> {
    model: &'a str,
    content: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generate_audio: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    watermark: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
}

impl<'a> TaskBody<'a> {
    fn new(bundle: &Bundle, o: &'a TaskOptions) -> TaskBody<'a> {
        TaskBody {
            model: o.model.trim(),
            content: bundle.content(),
            ratio: o.ratio.as_deref(),
            resolution: o.resolution.as_deref(),
            duration: o.duration,
            generate_audio: o.generate_audio,
            watermark: o.watermark,
            seed: o.seed,
        }
    }
}

/// The JSON text a [`submit`] would send (keys in the documented order),
/// after the same validation.
pub fn task_body(bundle: &Bundle, opts: &TaskOptions) -> Result<String, GenerateError> {
    opts.validate(bundle)?;
    serde_json::to_string_pretty(&TaskBody::new(bundle, opts)).map_err(GenerateError::Encode)
}

/// Validates the options and the bundle, then creates the task.
pub fn submit(
    client: &Client,
    bundle: &Bundle,
    opts: &TaskOptions,
) -> Result<TaskId, GenerateError> {
    opts.validate(bundle)?;
    let body = TaskBody::new(bundle, opts);
    let transport = client.transport();
    let reply = transport
        .post_json("CreateTask", &opts.tasks_path, &body, false)
        .map_err(|(source, maybe_done)| {
            if maybe_done {
                GenerateError::Unconfirmed { source }
            } else {
                GenerateError::Api(source)
            }
        })?;
    let problem = match reply.get("id").and_then(Value::as_str) {
        Some(id) => match TaskId::new(id) {
            Ok(id) => return Ok(id),
            Err(_) => ReplyError::BadTaskId {
                id: transport.scrub(id),
            },
        },
        None => ReplyError::NoTaskId {
            body_start: transport.body_start(reply.to_string().as_bytes()),
        },
    };
    Err(GenerateError::Reply {
        action: "CreateTask",
        problem,
    })
}

/// Where a task is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskStatus {
    /// Waiting for a worker.
    Queued,
    /// Being generated.
    Running,
    /// Done; `content.video_url` holds the result.
    Succeeded,
    /// Failed; `error` says why.
    Failed,
    /// Cancelled while queued.
    Cancelled,
    /// Not run before its deadline.
    Expired,
    /// A value this client does not know (not final).
    Other(String),
}

impl TaskStatus {
    /// Parses the service's spelling (case-insensitive).
    pub fn parse(s: &str) -> TaskStatus {
        match s.to_ascii_lowercase().as_str() {
            "queued" => TaskStatus::Queued,
            "running" => TaskStatus::Running,
            "succeeded" => TaskStatus::Succeeded,
            "failed" => TaskStatus::Failed,
            "cancelled" => TaskStatus::Cancelled,
            "expired" => TaskStatus::Expired,
            _ => TaskStatus::Other(s.to_string()),
        }
    }

    /// The service's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            TaskStatus::Queued => "queued",
            TaskStatus::Running => "running",
            TaskStatus::Succeeded => "succeeded",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
            TaskStatus::Expired => "expired",
            TaskStatus::Other(s) => s,
        }
    }

    /// Nothing more will happen.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            TaskStatus::Succeeded
                | TaskStatus::Failed
                | TaskStatus::Cancelled
                | TaskStatus::Expired
        )
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` object of a failed task (control characters escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskFailure {
    /// The error code (`OutputVideoSensitiveContentDetected`, …).
    pub code: String,
    /// The message.
    pub message: String,
}

impl TaskFailure {
    /// Whether the code or message reads like content moderation.
    pub(crate) fn looks_like_moderation(&self) -> bool {
        const WORDS: [&str; 12] = [
            "sensitive",
            "moderat",
            "policyviolation",
            "policy violation",
            "copyright",
            "celebrit",
            "likeness",
            "privacyinformation",
            "contentfilter",
            "content filter",
            "敏感",
            "审核",
        ];
        let text = format!("{} {}", self.code, self.message).to_lowercase();
        WORDS.iter().any(|w| text.contains(w))
    }
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code.is_empty(), self.message.is_empty()) {
            (false, false) => write!(f, "{}: {}", self.code, self.message),
            (false, true) => f.write_str(&self.code),
            (true, _) => f.write_str(&self.message),
        }
    }
}

/// A task as the service last described it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskResult {
    /// The task.
    pub id: TaskId,
    /// Its status.
    pub status: TaskStatus,
    /// Percent done, when the service says.
    pub progress: Option<u8>,
    /// The result URL (`content.video_url`).
    pub video_url: Option<String>,
    /// Why it failed (`error`).
    pub error: Option<TaskFailure>,
    /// When it was created (Unix seconds).
    pub created_at: Option<i64>,
    /// When its status last changed (Unix seconds).
    pub updated_at: Option<i64>,
    /// The reply as it came (scrubbed of the token).
    pub raw: Value,
}

/// When a result URL stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Expiry {
    /// Unix seconds.
    pub at: i64,
    /// Counted from when the task finished (else from now: a lower bound is
    /// not known, so this may be late).
    pub from_finish: bool,
}

impl TaskResult {
    /// Reads a task reply; `id` is the one asked for. `v` is scrubbed of
    /// the token already.
    pub(crate) fn from_json(id: &TaskId, v: Value) -> Result<TaskResult, GenerateError> {
        let bad = |problem| GenerateError::Reply {
            action: "GetTask",
            problem,
        };
        let start = || body_start(v.to_string().as_bytes());
        let status = match v.get("status").and_then(Value::as_str) {
            Some(s) if !s.is_empty() => TaskStatus::parse(s),
            _ => {
                return Err(bad(ReplyError::NoStatus {
                    body_start: start(),
                }))
            }
        };
        if let Some(other) = v.get("id").and_then(Value::as_str) {
            if other != id.as_str() {
                return Err(bad(ReplyError::WrongTask {
                    asked: id.clone(),
                    got: escape_controls(other),
                    body_start: start(),
                }));
            }
        }
        let video_url = v
            .pointer("/content/video_url")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string);
        let error = v.get("error").filter(|e| e.is_object()).and_then(|e| {
            let f = TaskFailure {
                code: escape_controls(&json_text(e, "code", "code")),
                message: escape_controls(&json_text(e, "message", "message")),
            };
            (!f.code.is_empty() || !f.message.is_empty()).then_some(f)
        });
        Ok(TaskResult {
            id: id.clone(),
            status,
            progress: v.get("progress").and_then(parse_progress),
            video_url,
            error,
            created_at: v.get("created_at").and_then(unix_seconds),
            updated_at: v.get("updated_at").and_then(unix_seconds),
            raw: v,
        })
    }

    /// [`MODERATION_HINT`] when the task ended without a video in a way that
    /// moderation explains: `succeeded` without a URL, or `failed` after
    /// reaching 100 % or with a moderation-like error.
    pub fn moderation_hint(&self) -> Option<&'static str> {
        let blocked = match self.status {
            TaskStatus::Succeeded => self.video_url.is_none(),
            TaskStatus::Failed => {
                self.progress == Some(100)
                    || self
                        .error
                        .as_ref()
                        .is_some_and(TaskFailure::looks_like_moderation)
            }
            _ => false,
        };
        blocked.then_some(MODERATION_HINT)
    }

    /// When the result URL expires: 12 h after the task finished
    /// (`updated_at` of a finished task), else 12 h after `now` (Unix s).
    pub fn url_expiry(&self, now: i64) -> Expiry {
        let lifetime = URL_LIFETIME.as_secs() as i64;
        match self.updated_at.filter(|_| self.status.is_final()) {
            Some(t) => Expiry {
                at: t.saturating_add(lifetime),
                from_finish: true,
            },
            None => Expiry {
                at: now.saturating_add(lifetime),
                from_finish: false,
            },
        }
    }

    /// One line: status, progress, error.
    pub fn summary(&self) -> String {
        let mut s = self.status.to_string();
        if let Some(p) = self.progress {
            s.push_str(&format!(", {p} %"));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!(": {e}"));
        }
        s
    }
}

/// Percent done: an integer 0–100 or `"40%"`; a fraction below 1 with a
/// decimal point (`0.4`) is read as a share.
fn parse_progress(v: &Value) -> Option<u8> {
    let pct = match v {
        Value::Number(n) => {
            if let Some(i) = n.as_u64() {
                i as f64
            } else {
                let f = n.as_f64()?;
                if (0.0..1.0).contains(&f) {
                    f * 100.0
                } else {
                    f
                }
            }
        }
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (pct.is_finite() && pct >= 0.0).then(|| pct.min(100.0).floor() as u8)
}

/// Unix seconds from an integer (milliseconds when it is that large).
fn unix_seconds(v: &Value) -> Option<i64> {
    let n = v.as_i64()?;
    Some(if n > 100_000_000_000 { n / 1000 } else { n })
}

/// The current Unix time in seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A Unix time as RFC 3339 UTC (`2026-01-01T12:00:00Z`).
/// ```
/// assert_eq!(preflight_api::generate::format_utc(1_767_268_800), "2026-01-01T12:00:00Z");
/// ```
pub fn format_utc(unix: i64) -> String {
    let t = unix.clamp(0, 253_402_300_799);
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `GET` the task once.
pub fn get(client: &Client, tasks_path: &str, id: &TaskId) -> Result<TaskResult, GenerateError> {
    check_tasks_path(tasks_path)?;
    let transport = client.transport();
    let v = transport.get_json("GetTask", &format!("{tasks_path}/{id}"))?;
    // A careless relay could echo the token: scrub every string.
    TaskResult::from_json(id, transport.redact_value(v))
}

/// Called with every state [`poll`] sees.
pub type OnUpdate = Arc<dyn Fn(&TaskResult) + Send + Sync>;

/// How [`poll`] waits: [`PollOptions::default`], then the setters.
#[derive(Clone)]
#[non_exhaustive]
pub struct PollOptions {
    /// The task API's path under the base URL.
    pub tasks_path: String,
    /// Delay after the first look (2 s).
    pub first_interval: Duration,
    /// Longest delay between looks (15 s); each delay is 1.5 × the last.
    pub max_interval: Duration,
    /// Give up after this long (30 min); the task goes on at the service.
    pub timeout: Duration,
    /// Set to stop waiting ([`GenerateError::Interrupted`]).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Progress reports.
    pub on_update: Option<OnUpdate>,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            tasks_path: DEFAULT_TASKS_PATH.to_string(),
            first_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(15),
            timeout: Duration::from_secs(30 * 60),
            cancel: None,
            on_update: None,
        }
    }
}

impl PollOptions {
    setters! {
        tasks_path: impl Into<String>;
        first_interval: Duration;
        max_interval: Duration;
        timeout: Duration;
        cancel: Some(Arc<AtomicBool>);
        on_update: Some(OnUpdate);
    }
}

impl fmt::Debug for PollOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollOptions")
            .field("tasks_path", &self.tasks_path)
            .field("first_interval", &self.first_interval)
            .field("max_interval", &self.max_interval)
            .field("timeout", &self.timeout)
            .field("cancel", &self.cancel)
            .field("on_update", &self.on_update.as_ref().map(|_| "…"))
            .finish()
    }
}

fn cancelled(c: &Option<Arc<AtomicBool>>) -> bool {
    c.as_ref().is_some_and(|c| c.load(Ordering::SeqCst))
}

/// Sleeps `d` in short slices; `false` when cancelled meanwhile.
fn sleep_unless_cancelled(d: Duration, cancel: &Option<Arc<AtomicBool>>) -> bool {
    let start = Instant::now();
    loop {
        if cancelled(cancel) {
            return false;
        }
        let elapsed = start.elapsed();
        if elapsed >= d {
            return true;
        }
        std::thread::sleep((d - elapsed).min(Duration::from_millis(100)));
    }
}

/// The delay after `d`: 1.5 × `d`, at most `max`.
fn next_interval(d: Duration, max: Duration) -> Duration {
    d.checked_add(d / 2).unwrap_or(max).min(max)
}

/// Looks at the task until it is final, the timeout passes, or `cancel` is
/// set. The delay starts at `first_interval` and grows to `max_interval`.
/// 429 and 5xx are retried by the client; when they persist, polling goes on
/// until the timeout (a blip must not lose a long task). A final task is
/// returned as it is, failed or not: see [`TaskResult::moderation_hint`].
pub fn poll(client: &Client, id: &TaskId, opts: &PollOptions) -> Result<TaskResult, GenerateError> {
    let start = Instant::now();
    let mut interval = opts.first_interval.min(opts.max_interval);
    let mut last: Option<TaskResult> = None;
    loop {
        if cancelled(&opts.cancel) {
            return Err(GenerateError::Interrupted { id: id.clone() });
        }
        let last_error = match get(client, &opts.tasks_path, id) {
            Ok(t) => {
                if let Some(f) = &opts.on_update {
                    f(&t);
                }
                if t.status.is_final() {
                    return Ok(t);
                }
                last = Some(t);
                None
            }
            Err(GenerateError::Api(e)) if transport::transient(&e) => {
                client
                    .transport()
                    .log(|| format!("GetTask {id}: {e}; polling goes on"));
                Some(Box::new(e))
            }
            Err(e) => return Err(e),
        };
        let waited = start.elapsed();
        if waited >= opts.timeout {
            return Err(GenerateError::Timeout {
                id: id.clone(),
                waited_s: waited.as_secs(),
                last: last.map(Box::new),
                last_error,
            });
        }
        if !sleep_unless_cancelled(interval.min(opts.timeout - waited), &opts.cancel) {
            return Err(GenerateError::Interrupted { id: id.clone() });
        }
        interval = next_interval(interval, opts.max_interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::AssetType;
    use preflight::bundle::Item;
    use serde_json::json;

    fn bundle() -> Bundle {
        let mut b = Bundle::new(Some("a cat walks".into()));
        b.push(Item::asset("asset-a1", AssetType::Audio, Some(3.0)));
        b.push(Item::asset("asset-i1", AssetType::Image, None));
        b
    }

    fn opts() -> TaskOptions {
        let mut o = TaskOptions::new("doubao-seedance-2-0-260128");
        o.ratio = Some("16:9".into());
        o.resolution = Some("720p".into());
        o.duration = Some(5);
        o
    }

    fn problems(o: &TaskOptions, b: &Bundle) -> Vec<String> {
        o.problems(b).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn valid_options_pass() {
        assert_eq!(problems(&opts(), &bundle()), Vec::<String>::new());
        let mut o = opts();
        for d in [4, 15, -1] {
            o.duration = Some(d);
            assert!(problems(&o, &bundle()).is_empty(), "{d}");
        }
        for r in RATIOS {
            o.ratio = Some(r.into());
            assert!(problems(&o, &bundle()).is_empty(), "{r}");
        }
        o.seed = Some(-1);
        assert!(problems(&o, &bundle()).is_empty());
        o.seed = Some(4_294_967_295);
        assert!(problems(&o, &bundle()).is_empty());
    }

    #[test]
    fn each_bad_option_is_named() {
        let b = bundle();
        let one = |f: &dyn Fn(&mut TaskOptions)| {
            let mut o = opts();
            f(&mut o);
            let p = problems(&o, &b);
            assert_eq!(p.len(), 1, "{p:?}");
            p[0].clone()
        };
        assert_eq!(
            one(&|o| o.duration = Some(3)),
            "duration 3 s: must be 4–15 s, or -1 to let the model decide"
        );
        assert!(one(&|o| o.duration = Some(16)).starts_with("duration 16 s"));
        assert!(one(&|o| o.duration = Some(0)).starts_with("duration 0 s"));
        assert!(one(&|o| o.duration = Some(-2)).starts_with("duration -2 s"));
        assert!(one(&|o| o.ratio = Some("2:1".into())).starts_with("ratio \"2:1\""));
        assert!(one(&|o| o.ratio = Some("16/9".into())).starts_with("ratio"));
        assert_eq!(
            one(&|o| o.resolution = Some("1080p".into())),
            "resolution \"1080p\": must be 480p or 720p (the profile does not allow 1080p: set request.allow_1080p)"
        );
        assert!(one(&|o| o.resolution = Some("720".into())).starts_with("resolution \"720\""));
        assert!(one(&|o| o.model = " ".into()).contains("model id is required"));
        assert!(one(&|o| o.model = "a b".into()).contains("whitespace"));
        assert!(one(&|o| o.seed = Some(-2)).starts_with("seed -2"));
        assert!(one(&|o| o.seed = Some(4_294_967_296)).starts_with("seed"));
        assert!(one(&|o| o.tasks_path = "api/tasks".into()).starts_with("tasks path"));
        assert!(one(&|o| o.tasks_path = "/tasks/".into()).starts_with("tasks path"));
        assert!(one(&|o| o.tasks_path = "/tasks?x=1".into()).starts_with("tasks path"));
        let mut o = opts();
        o.limits.allow_1080p = true;
        o.resolution = Some("1080p".into());
        assert!(problems(&o, &b).is_empty());
        // An empty or blank prompt.
        for text in [None, Some(""), Some("  \n")] {
            let mut nb = b.clone();
            nb.text = text.map(str::to_string);
            assert_eq!(
                problems(&opts(), &nb),
                ["the prompt is empty (--text)".to_string()]
            );
        }
        // Several at once, all reported.
        let mut o = opts();
        o.duration = Some(2);
        o.ratio = Some("x".into());
        assert_eq!(problems(&o, &b).len(), 2);
    }

    #[test]
    fn validate_checks_the_bundle_rules_too() {
        let mut b = Bundle::new(Some("x".into()));
        b.push(Item::asset("asset-a1", AssetType::Audio, Some(3.0)));
        match opts().validate(&b) {
            Err(GenerateError::Bundle(v)) => assert_eq!(v[0].rule, "request.audio_only"),
            other => panic!("{other:?}"),
        }
        assert!(opts().validate(&bundle()).is_ok());
    }

    #[test]
    fn body_keys_are_in_the_documented_order_and_unset_ones_left_out() {
        let text = task_body(&bundle(), &opts()).unwrap();
        let keys: Vec<usize> = [
            "\"model\"",
            "\"content\"",
            "\"ratio\"",
            "\"resolution\"",
            "\"duration\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({
                "model": "doubao-seedance-2-0-260128",
                "content": [
                    {"type": "text", "text": "a cat walks"},
                    {"type": "image_url", "image_url": {"url": "asset://asset-i1"}, "role": "reference_image"},
                    {"type": "audio_url", "audio_url": {"url": "asset://asset-a1"}, "role": "reference_audio"},
                ],
                "ratio": "16:9", "resolution": "720p", "duration": 5,
            })
        );
        let mut o = opts();
        o.generate_audio = Some(false);
        o.watermark = Some(true);
        o.seed = Some(7);
        let text = task_body(&bundle(), &o).unwrap();
        let (a, w, s) = (
            text.find("\"generate_audio\"").unwrap(),
            text.find("\"watermark\"").unwrap(),
            text.find("\"seed\"").unwrap(),
        );
        assert!(text.find("\"duration\"").unwrap() < a && a < w && w < s);
        assert!(matches!(
            task_body(&bundle(), &TaskOptions::new("")),
            Err(GenerateError::Options(_))
        ));
    }

    #[test]
    fn task_ids_are_safe_in_paths() {
        for ok in ["cgt-20250331175019-68d9t", "a", "A.b_c-1"] {
            assert_eq!(TaskId::new(ok).unwrap().as_str(), ok);
        }
        for bad in ["", ".", "..", "a/b", "a?b", "a b", "ü", &"x".repeat(129)] {
            assert!(TaskId::new(bad).is_err(), "{bad}");
        }
    }

    fn task(v: Value) -> TaskResult {
        TaskResult::from_json(&TaskId::new("cgt-1").unwrap(), v).unwrap()
    }

    #[test]
    fn replies_are_read() {
        let t = task(json!({
            "id": "cgt-1", "model": "m", "status": "succeeded",
            "content": {"video_url": "https://cdn/x.mp4?sig=1"},
            "created_at": 1_767_225_000, "updated_at": 1_767_225_600,
        }));
        assert_eq!(t.status, TaskStatus::Succeeded);
        assert_eq!(t.video_url.as_deref(), Some("https://cdn/x.mp4?sig=1"));
        assert_eq!(
            (t.created_at, t.updated_at),
            (Some(1_767_225_000), Some(1_767_225_600))
        );
        assert_eq!(t.error, None);
        assert_eq!(t.moderation_hint(), None);
        let t = task(
            json!({"status": "failed", "error": {"code": "InternalError", "message": "boom"}}),
        );
        assert_eq!(t.summary(), "failed: InternalError: boom");
        assert_eq!(t.moderation_hint(), None);
        let t = task(json!({"status": "Running", "progress": 40, "error": null}));
        assert_eq!(
            (t.status.clone(), t.progress, t.error.clone()),
            (TaskStatus::Running, Some(40), None)
        );
        assert!(!t.status.is_final());
        assert_eq!(
            task(json!({"status": "weird"})).status,
            TaskStatus::Other("weird".into())
        );
        assert!(TaskStatus::parse("expired").is_final());
        let bad = |v: Value| TaskResult::from_json(&TaskId::new("cgt-1").unwrap(), v).is_err();
        assert!(bad(json!({"id": "cgt-1"})));
        assert!(bad(json!({"status": ""})));
        assert!(bad(json!({"id": "cgt-2", "status": "queued"})));
    }

    #[test]
    fn progress_forms() {
        for (v, want) in [
            (json!(40), Some(40)),
            (json!(100), Some(100)),
            (json!(250), Some(100)),
            (json!(0.4), Some(40)),
            (json!(40.5), Some(40)),
            (json!("40%"), Some(40)),
            (json!(" 7 % "), Some(7)),
            (json!(-1), None),
            (json!("x"), None),
            (json!(null), None),
        ] {
            assert_eq!(parse_progress(&v), want, "{v}");
        }
    }

    #[test]
    fn moderation_is_recognised() {
        let hint = Some(MODERATION_HINT);
        assert_eq!(task(json!({"status": "succeeded"})).moderation_hint(), hint);
        assert_eq!(
            task(json!({"status": "succeeded", "content": {"video_url": ""}})).moderation_hint(),
            hint
        );
        assert_eq!(
            task(json!({"status": "failed", "progress": 100, "error": {"code": "X"}}))
                .moderation_hint(),
            hint
        );
        for (code, message) in [
            (
                "OutputVideoSensitiveContentDetected",
                "The request failed because the output video may contain sensitive information.",
            ),
            ("InputImageSensitiveContentDetected.PrivacyInformation", ""),
            ("ContentModeration", ""),
            ("", "blocked: copyright"),
            ("Rejected", "视频内容审核未通过"),
        ] {
            let t = task(json!({"status": "failed", "error": {"code": code, "message": message}}));
            assert_eq!(t.moderation_hint(), hint, "{code} {message}");
        }
        assert_eq!(
            task(json!({"status": "failed", "progress": 60, "error": {"code": "Timeout", "message": "worker lost"}})).moderation_hint(),
            None
        );
        assert_eq!(
            task(json!({"status": "running", "progress": 100})).moderation_hint(),
            None
        );
        assert_eq!(task(json!({"status": "cancelled"})).moderation_hint(), None);
    }

    #[test]
    fn expiry_counts_from_the_finish_or_from_now() {
        let t = task(json!({"status": "succeeded", "updated_at": 1_767_225_600}));
        assert_eq!(
            t.url_expiry(2_000_000_000),
            Expiry {
                at: 1_767_268_800,
                from_finish: true
            }
        );
        assert_eq!(format_utc(t.url_expiry(0).at), "2026-01-01T12:00:00Z");
        // Milliseconds are recognised.
        let t = task(json!({"status": "succeeded", "updated_at": 1_767_225_600_000i64}));
        assert_eq!(t.url_expiry(0).at, 1_767_268_800);
        let t = task(json!({"status": "succeeded"}));
        assert_eq!(
            t.url_expiry(100),
            Expiry {
                at: 100 + 43_200,
                from_finish: false
            }
        );
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(format_utc(-5), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(i64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn polling_backs_off_from_2_to_15_s() {
        let p = PollOptions::default();
        let mut d = p.first_interval;
        let mut seen = vec![d.as_secs_f64()];
        for _ in 0..6 {
            d = next_interval(d, p.max_interval);
            seen.push(d.as_secs_f64());
        }
        assert_eq!(seen, [2.0, 3.0, 4.5, 6.75, 10.125, 15.0, 15.0]);
        assert_eq!(next_interval(Duration::MAX, Duration::MAX), Duration::MAX);
    }
}
