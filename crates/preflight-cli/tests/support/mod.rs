//! A fake asset service on 127.0.0.1 (port 0) that follows SPEC §5: the
//! actions, bearer auth, `model` checks, ids, pagination, the group-name
//! isolation prefix, Processing → Active after N polls, error bodies
//! `{"ResponseMetadata":{"RequestId","Error":{"Code","Message"}}}`, and
//! injected faults.
//!
//! It also plays the generation-task API (`POST`/`GET {tasks_path}[/{id}]`,
//! Ark style: `{"id"}`, `status`, `content.video_url`, `error`), where each
//! task walks through [`State::task_script`] one step per `GET`, and a CDN
//! (`GET /videos/...`) that serves [`State::video`], cut half-way on demand.
//! Their fault-queue names are `CreateTask`, `GetTask` and `Download`.
//!
//! It is a small HTTP/1.1 server on `std::net`, one request per connection
//! (`Connection: close`), so that a fault can do exactly what a real network
//! does: close the socket after the request was processed, or answer late.
#![allow(dead_code)]

use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// The isolation prefix the fake service puts before group names.
pub const PREFIX: &str = "[u-2100001]-[t-77]";
/// The token the fake service accepts.
pub const TOKEN: &str = "sk-test-7f3a9c2e51d84b06";

/// What to do to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with an optional `Retry-After` (seconds), before processing.
    TooMany(Option<u64>),
    /// 500 with an error body, before processing.
    ServerError,
    /// 502 with an HTML body, before processing.
    BadGateway,
    /// Process the request, then close the connection without a reply.
    DropAfter,
    /// Process the request, then reply after this long.
    SlowAfter(Duration),
    /// Reply 200 with a body that is not JSON (without processing).
    Malformed,
    /// Reply with this status and error code (without processing).
    Status(u16, &'static str),
}

/// A request as the service saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub action: String,
    pub method: String,
    pub path: String,
    /// The body as it came (for key order).
    pub raw: String,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    pub chunked: bool,
    /// The JSON body, or for multipart the text fields as a JSON object.
    pub body: Value,
    /// For CreateAsset: the uploaded content, decoded.
    pub upload: Option<Upload>,
    pub fault: Option<Fault>,
}

/// What a CreateAsset carried.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// `url`, `data-uri`, `base64` or `multipart`.
    pub form: &'static str,
    /// The MIME type declared (data URI or multipart part), if any.
    pub mime: Option<String>,
    /// The multipart filename.
    pub filename: Option<String>,
    /// The decoded bytes (empty for a URL).
    pub bytes: Vec<u8>,
    /// The URL, for the URL form.
    pub url: Option<String>,
    /// Why fetching the URL failed (with [`State::fetch_urls`]).
    pub fetch_error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Asset {
    pub id: String,
    pub name: String,
    pub group_id: String,
    pub asset_type: String,
    pub url: String,
    pub status: String,
    pub polls: u32,
    pub upload: Upload,
}

/// A generation task.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    /// What was submitted.
    pub body: Value,
    /// GETs so far.
    pub polls: usize,
}

/// The path of the task API unless a test moves it.
pub const TASKS_PATH: &str = "/api/v3/contents/generations/tasks";
/// `created_at` of every task; step `k` of a script is `updated_at` T0 + 60 k
/// unless the step says otherwise.
pub const T0: i64 = 1_767_225_000;

/// The default life of a task: queued, running at 50 %, succeeded with a
/// video (`"VIDEO"` is replaced by the task's URL on the fake CDN).
pub fn default_script() -> Vec<Value> {
    vec![
        json!({"status": "queued"}),
        json!({"status": "running", "progress": 50}),
        json!({"status": "succeeded", "progress": 100, "content": {"video_url": "VIDEO"}}),
    ]
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
}

/// What [`State::on_url_create`] calls.
pub type UrlHook = Arc<dyn Fn(&str) + Send + Sync>;

#[derive(Default)]
pub struct State {
    pub groups: Vec<Group>,
    pub assets: Vec<Asset>,
    pub next_id: u64,
    pub seen: Vec<Seen>,
    /// Faults for the next requests of an action (`None`: any action).
    pub queued: VecDeque<(Option<String>, Fault)>,
    /// Every n-th request fails once with the faults of this list in turn.
    pub every: Option<(u64, Vec<Fault>)>,
    pub every_counter: u64,
    pub every_used: u64,
    /// Request keys that already failed through `every`.
    pub failed_once: HashSet<String>,
    /// GetAsset polls before an asset turns Active.
    pub polls_to_active: u32,
    /// Assets whose name contains this turn Failed instead.
    pub fail_names_containing: Option<String>,
    /// Largest PageSize honoured.
    pub max_page_size: u64,
    /// Echo the Authorization header in 401 messages (a careless relay).
    pub echo_auth: bool,
    /// Delay every reply by this long (to kill a client mid-batch).
    pub delay_creates: Duration,
    /// Where the task API lives.
    pub tasks_path: String,
    pub tasks: Vec<Task>,
    /// The replies of a task, one step per GET (the last one repeats).
    pub task_script: Vec<Value>,
    /// What `/videos/...` serves.
    pub video: Vec<u8>,
    /// The base URL of the CDN in `video_url` (default: this server).
    pub video_base: Option<String>,
    /// Downloads still to cut half-way (the full Content-Length is sent).
    pub cut_downloads: u32,
    /// A CreateAsset is carried out this long after it arrived (a queued
    /// service: the client may be gone by then).
    pub create_lag: Duration,
    /// Every request is read, then the connection closed without a reply.
    pub dead: bool,
    /// After this many CreateAsset calls the service goes `dead`.
    pub dead_after_creates: Option<usize>,
    /// When it went dead.
    pub dead_since: Option<std::time::Instant>,
    /// CreateAsset answers with this id (the asset is made under its own).
    pub hostile_id: Option<String>,
    /// ListAssetGroups always claims a further page of new groups.
    pub endless_pages: bool,
    /// Downloads answer 302 to this URL.
    pub redirect_downloads: Option<String>,
    /// A CreateAsset of the URL form fetches its URL, as the service does
    /// (only `http://127.0.0.1` URLs, the tests' servers): the bytes go to
    /// [`Upload::bytes`], a failure to [`Upload::fetch_error`].
    pub fetch_urls: bool,
    /// Called with the URL of each CreateAsset of the URL form as it
    /// arrives, before anything is fetched (to see what was read before).
    pub on_url_create: Option<UrlHook>,
}

pub struct FakeServer {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

impl FakeServer {
    pub fn start() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State {
            polls_to_active: 2,
            max_page_size: 100,
            tasks_path: TASKS_PATH.to_string(),
            task_script: default_script(),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
        thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = Arc::clone(&st);
                thread::spawn(move || handle(conn, st));
            }
        });
        FakeServer { addr, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// The next request of `action` (or of any action) meets `fault`.
    pub fn fail_next(&self, action: Option<&str>, fault: Fault) {
        self.with(|s| s.queued.push_back((action.map(str::to_string), fault)));
    }

    pub fn assets(&self) -> Vec<Asset> {
        self.with(|s| s.assets.clone())
    }

    pub fn groups(&self) -> Vec<Group> {
        self.with(|s| s.groups.clone())
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.with(|s| s.seen.clone())
    }

    pub fn tasks(&self) -> Vec<Task> {
        self.with(|s| s.tasks.clone())
    }

    pub fn count(&self, action: &str) -> usize {
        self.with(|s| s.seen.iter().filter(|r| r.action == action).count())
    }

    /// Adds a group directly (stored with the prefix).
    pub fn add_group(&self, name: &str) -> String {
        self.with(|s| {
            s.next_id += 1;
            let id = format!("group-{:010}", s.next_id);
            s.groups.push(Group {
                id: id.clone(),
                name: format!("{PREFIX}{name}"),
            });
            id
        })
    }
}

struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    chunked: bool,
}

impl Req {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

fn read_request(conn: &mut TcpStream) -> Option<Req> {
    let mut r = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut req = Req {
        method,
        path,
        headers,
        body: Vec::new(),
        chunked: false,
    };
    if req
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    if req
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        req.chunked = true;
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            req.body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = req
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        req.body = vec![0; n];
        r.read_exact(&mut req.body).ok()?;
    }
    Some(req)
}

fn respond(conn: &mut TcpStream, status: u16, extra: &[(&str, String)], body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body.as_bytes());
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Write);
}

/// The video, `Content-Length` always the full size; with `cut`, only the
/// first half is sent before the connection closes.
fn respond_video(conn: &mut TcpStream, video: &[u8], cut: bool) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        video.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let body = if cut {
        &video[..video.len() / 2]
    } else {
        video
    };
    let _ = conn.write_all(body);
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Both);
}

/// An Ark-style error body `{"error":{"code","message"}}`.
pub fn ark_error(code: &str, message: &str) -> String {
    json!({"error": {"code": code, "message": message}}).to_string()
}

fn process_task(
    st: &mut State,
    action: &str,
    path: &str,
    body: &Value,
    own: &str,
) -> (u16, String) {
    if action == "CreateTask" {
        let model = body.get("model").and_then(Value::as_str).unwrap_or("");
        if model.is_empty() {
            return (400, ark_error("MissingParameter", "model is required"));
        }
        if !body.get("content").is_some_and(Value::is_array) {
            return (400, ark_error("MissingParameter", "content is required"));
        }
        st.next_id += 1;
        let id = format!("cgt-20260101000000-{:05}", st.next_id);
        st.tasks.push(Task {
            id: id.clone(),
            body: body.clone(),
            polls: 0,
        });
        return (200, json!({ "id": id }).to_string());
    }
    let id = path.rsplit('/').next().unwrap_or("");
    let script = st.task_script.clone();
    let base = st.video_base.clone().unwrap_or_else(|| own.to_string());
    let Some(t) = st.tasks.iter_mut().find(|t| t.id == id) else {
        return (
            404,
            ark_error("ResourceNotFound", &format!("task {id} not found")),
        );
    };
    let k = t.polls.min(script.len().saturating_sub(1));
    t.polls += 1;
    let mut reply = json!({
        "id": t.id, "model": t.body["model"], "created_at": T0,
        "updated_at": T0 + 60 * k as i64,
    });
    if let (Some(r), Some(Value::Object(step))) = (reply.as_object_mut(), script.get(k)) {
        for (key, v) in step {
            r.insert(key.clone(), v.clone());
        }
    }
    if reply.pointer("/content/video_url").and_then(Value::as_str) == Some("VIDEO") {
        reply["content"]["video_url"] = json!(format!(
            "{base}/videos/{}.mp4?X-Tos-Expires=43200&X-Tos-Signature=c2lnbmF0dXJl",
            t.id
        ));
    }
    (200, reply.to_string())
}

pub fn error_body(code: &str, message: &str) -> String {
    json!({"ResponseMetadata": {"RequestId": "req-fake-1", "Error": {"Code": code, "Message": message}}}).to_string()
}

fn handle(mut conn: TcpStream, state: Arc<Mutex<State>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    let tasks_path = state.lock().unwrap().tasks_path.clone();
    let action = if let Some(a) = req.path.strip_prefix("/volc/asset/") {
        a.to_string()
    } else if req.path.starts_with("/videos/") {
        "Download".to_string()
    } else if req.path == tasks_path && req.method == "POST" {
        "CreateTask".to_string()
    } else if req.path.starts_with(&format!("{tasks_path}/")) && req.method == "GET" {
        "GetTask".to_string()
    } else {
        String::new()
    };
    let (parsed, mut upload) = parse_body(&req, &action);
    if action == "CreateAsset" {
        let lag = state.lock().unwrap().create_lag;
        thread::sleep(lag);
    }
    if let Some(u) = upload.as_mut().filter(|u| u.form == "url") {
        let (fetch, hook) = {
            let st = state.lock().unwrap();
            (st.fetch_urls, st.on_url_create.clone())
        };
        let url = u.url.clone().unwrap_or_default();
        if let Some(h) = hook {
            h(&url);
        }
        if fetch {
            match fetch_url(&url) {
                Ok(b) => u.bytes = b,
                Err(e) => u.fetch_error = Some(e),
            }
        }
    }
    let mut st = state.lock().unwrap();
    if action == "CreateAsset" {
        let creates = st.seen.iter().filter(|r| r.action == "CreateAsset").count();
        if st.dead_after_creates.is_some_and(|n| creates >= n) && !st.dead {
            st.dead = true;
            st.dead_since = Some(std::time::Instant::now());
        }
    }
    // Which fault, if any?
    let mut fault = None;
    if let Some(pos) = st
        .queued
        .iter()
        .position(|(a, _)| a.as_deref().is_none_or(|a| a == action))
    {
        fault = st.queued.remove(pos).map(|(_, f)| f);
    }
    if fault.is_none() {
        if let Some((n, faults)) = st.every.clone() {
            st.every_counter += 1;
            let key = format!("{action} {}", parsed);
            if st.every_counter % n == 0 && !st.failed_once.contains(&key) && !faults.is_empty() {
                st.failed_once.insert(key);
                let f = faults[(st.every_used as usize) % faults.len()].clone();
                st.every_used += 1;
                fault = Some(f);
            }
        }
    }
    st.seen.push(Seen {
        action: action.clone(),
        method: req.method.clone(),
        path: req.path.clone(),
        raw: String::from_utf8_lossy(&req.body).into_owned(),
        authorization: req.header("authorization"),
        user_agent: req.header("user-agent"),
        content_type: req.header("content-type"),
        content_length: req.header("content-length").and_then(|v| v.parse().ok()),
        chunked: req.chunked,
        body: parsed.clone(),
        upload: upload.clone(),
        fault: fault.clone(),
    });
    if st.dead {
        drop(st);
        let _ = conn.shutdown(Shutdown::Both);
        return;
    }
    if let (true, Some(to)) = (action == "Download", st.redirect_downloads.clone()) {
        drop(st);
        return respond(&mut conn, 302, &[("Location", to)], "");
    }
    // Faults that happen before the service acts.
    match &fault {
        Some(Fault::TooMany(ra)) => {
            drop(st);
            let extra: Vec<(&str, String)> =
                ra.iter().map(|s| ("Retry-After", s.to_string())).collect();
            return respond(
                &mut conn,
                429,
                &extra,
                &error_body("TooManyRequests", "slow down"),
            );
        }
        Some(Fault::ServerError) => {
            drop(st);
            return respond(
                &mut conn,
                500,
                &[],
                &error_body("InternalError", "try again"),
            );
        }
        Some(Fault::BadGateway) => {
            drop(st);
            return respond(
                &mut conn,
                502,
                &[],
                "<html><body>502 Bad Gateway</body></html>",
            );
        }
        Some(Fault::Malformed) => {
            drop(st);
            let body = format!("<html>{}</html>", "x".repeat(400));
            return respond(&mut conn, 200, &[], &body);
        }
        Some(Fault::Status(code, c)) => {
            drop(st);
            return respond(
                &mut conn,
                *code,
                &[],
                &error_body(c, "refused by fault injection"),
            );
        }
        _ => {}
    }
    // The CDN asks for no token.
    if action == "Download" {
        let cut = st.cut_downloads > 0;
        if cut {
            st.cut_downloads -= 1;
        }
        let video = st.video.clone();
        drop(st);
        return respond_video(&mut conn, &video, cut);
    }
    // Auth.
    let auth = req.header("authorization");
    if auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        let msg = if st.echo_auth {
            format!("invalid credentials: {}", auth.unwrap_or_default())
        } else {
            "invalid credentials".to_string()
        };
        drop(st);
        return respond(&mut conn, 401, &[], &error_body("Unauthorized", &msg));
    }
    let delay = if action == "CreateAsset" {
        st.delay_creates
    } else {
        Duration::ZERO
    };
    let (status, body) = if action == "CreateTask" || action == "GetTask" {
        let own = conn
            .local_addr()
            .map(|a| format!("http://{a}"))
            .unwrap_or_default();
        process_task(&mut st, &action, &req.path, &parsed, &own)
    } else {
        process(&mut st, &action, &parsed, upload)
    };
    drop(st);
    match fault {
        Some(Fault::DropAfter) => {
            let _ = conn.shutdown(Shutdown::Both);
        }
        Some(Fault::SlowAfter(d)) => {
            thread::sleep(d);
            respond(&mut conn, status, &[], &body);
        }
        _ => {
            if !delay.is_zero() {
                thread::sleep(delay);
            }
            respond(&mut conn, status, &[], &body)
        }
    }
}

/// GETs a URL of a server of the tests (127.0.0.1 only), as the service
/// fetches the URL form.
pub fn fetch_url(url: &str) -> Result<Vec<u8>, String> {
    if !url.starts_with("http://127.0.0.1:") {
        return Err(format!("not a URL of the tests: {url}"));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(true)
        .build()
        .into();
    let mut resp = agent.get(url).call().map_err(|e| e.to_string())?;
    resp.body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .map_err(|e| e.to_string())
}

fn parse_body(req: &Req, action: &str) -> (Value, Option<Upload>) {
    let ct = req.header("content-type").unwrap_or_default();
    if let Some(b) = ct.strip_prefix("multipart/form-data; boundary=") {
        return parse_multipart(&req.body, b);
    }
    let v: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let mut upload = None;
    if action == "CreateAsset" {
        if let Some(u) = v.get("URL").and_then(Value::as_str) {
            upload = Some(if let Some(rest) = u.strip_prefix("data:") {
                let (mime, data) = rest.split_once(";base64,").unwrap_or(("", ""));
                Upload {
                    form: "data-uri",
                    mime: Some(mime.to_string()),
                    filename: None,
                    bytes: base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .unwrap_or_default(),
                    url: None,
                    fetch_error: None,
                }
            } else if u.starts_with("http://") || u.starts_with("https://") {
                Upload {
                    form: "url",
                    mime: None,
                    filename: None,
                    bytes: Vec::new(),
                    url: Some(u.to_string()),
                    fetch_error: None,
                }
            } else {
                // Raw base64 is taken as PNG by the service.
                Upload {
                    form: "base64",
                    mime: Some("image/png".into()),
                    filename: None,
                    bytes: base64::engine::general_purpose::STANDARD
                        .decode(u)
                        .unwrap_or_default(),
                    url: None,
                    fetch_error: None,
                }
            });
        }
    }
    (v, upload)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_multipart(body: &[u8], boundary: &str) -> (Value, Option<Upload>) {
    let delim = format!("--{boundary}");
    let mut fields = serde_json::Map::new();
    let mut upload = None;
    let mut rest = body;
    while let Some(start) = find(rest, delim.as_bytes()) {
        rest = &rest[start + delim.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let Some(head_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        let after = &rest[head_end + 4..];
        let end = find(after, format!("\r\n{delim}").as_bytes()).unwrap_or(after.len());
        let content = &after[..end];
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        if name == "file" {
            let filename = head
                .split("filename=\"")
                .nth(1)
                .and_then(|s| s.split('"').next());
            let mime = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Type: "))
                .map(str::to_string);
            upload = Some(Upload {
                form: "multipart",
                mime,
                filename: filename.map(str::to_string),
                bytes: content.to_vec(),
                url: None,
                fetch_error: None,
            });
        } else {
            fields.insert(name.to_string(), json!(String::from_utf8_lossy(content)));
        }
        rest = &after[end..];
    }
    (Value::Object(fields), upload)
}

/// The service's rule: a name with its isolation prefix holds at most 64
/// characters (SPEC §1).
fn too_long(name: &str) -> bool {
    PREFIX.chars().count() + name.chars().count() > 64
}

fn bad(msg: &str) -> (u16, String) {
    (400, error_body("InvalidParameter", msg))
}

fn model_for(asset_type: &str) -> Option<&'static str> {
    match asset_type {
        "Image" => Some("volc-asset"),
        "Video" => Some("volc-asset-video"),
        "Audio" => Some("volc-asset-audio"),
        _ => None,
    }
}

fn asset_json(a: &Asset) -> Value {
    json!({
        "Id": a.id, "Name": a.name, "URL": a.url, "AssetType": a.asset_type, "GroupId": a.group_id,
        "Status": a.status, "ProjectName": "default", "CreateTime": "2026-01-01T00:00:00Z",
        "UpdateTime": "2026-01-01T00:00:00Z",
    })
}

fn page(body: &Value, max: u64, items: Vec<Value>) -> (u16, String) {
    let n = body
        .get("PageNumber")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1);
    let size = body
        .get("PageSize")
        .and_then(Value::as_u64)
        .unwrap_or(10)
        .clamp(1, max);
    let total = items.len() as u64;
    let from = ((n - 1) * size).min(total) as usize;
    let to = (n * size).min(total) as usize;
    let json =
        json!({"PageNumber": n, "PageSize": size, "TotalCount": total, "Items": items[from..to]});
    (200, json.to_string())
}

fn process(st: &mut State, action: &str, body: &Value, upload: Option<Upload>) -> (u16, String) {
    let model = body.get("model").and_then(Value::as_str).unwrap_or("");
    let s = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match action {
        "CreateAssetGroup" => {
            if model != "volc-asset" {
                return bad("model must be volc-asset");
            }
            let name = s("Name");
            if name.is_empty() {
                return bad("Name is required");
            }
            if too_long(&name) {
                return bad("Name is too long");
            }
            st.next_id += 1;
            let id = format!("group-{:010}", st.next_id);
            st.groups.push(Group {
                id: id.clone(),
                name: format!("{PREFIX}{name}"),
            });
            (200, json!({ "Id": id }).to_string())
        }
        "CreateAsset" => {
            let ty = s("AssetType");
            let Some(want) = model_for(&ty) else {
                return bad("AssetType must be Image, Video or Audio");
            };
            if model != want {
                return bad(&format!("model {model} does not match AssetType {ty}"));
            }
            let group_id = s("GroupId");
            if !st.groups.iter().any(|g| g.id == group_id) {
                return (404, error_body("NotFound", "no such group"));
            }
            let Some(upload) = upload else {
                return bad("URL or file is required");
            };
            if let Some(m) = &upload.mime {
                if !m.starts_with(&ty.to_ascii_lowercase()) {
                    return bad(&format!("content {m} is not {ty}"));
                }
            }
            if too_long(&s("Name")) {
                return bad("Name is too long");
            }
            st.next_id += 1;
            let id = format!("asset-{:010}", st.next_id);
            st.assets.push(Asset {
                id: id.clone(),
                name: s("Name"),
                group_id,
                asset_type: ty,
                url: format!("https://cdn.fake/{id}"),
                status: "Processing".into(),
                polls: 0,
                upload,
            });
            let id = st.hostile_id.clone().unwrap_or(id);
            (200, json!({ "Id": id }).to_string())
        }
        "ListAssetGroups" => {
            if model != "volc-asset" {
                return bad("model must be volc-asset");
            }
            let name = body
                .pointer("/Filter/Name")
                .and_then(Value::as_str)
                .unwrap_or("");
            if st.endless_pages {
                // Always a full page of new groups, and always one more page.
                let n = body.get("PageNumber").and_then(Value::as_u64).unwrap_or(1);
                let size = body.get("PageSize").and_then(Value::as_u64).unwrap_or(10);
                let items: Vec<Value> = (0..size)
                    .map(|i| json!({"Id": format!("group-p{n}-{i}"), "Name": "endless"}))
                    .collect();
                let json = json!({"PageNumber": n, "PageSize": size,
                    "TotalCount": (n + 1) * size, "Items": items});
                return (200, json.to_string());
            }
            let items = st
                .groups
                .iter()
                .filter(|g| g.name.contains(name))
                .map(|g| {
                    // Ids are made in order: the counter is the creation time.
                    let t = g.id.rsplit('-').next().unwrap_or("").to_string();
                    json!({"Id": g.id, "Name": g.name, "Description": "", "CreateTime": t})
                })
                .collect();
            page(body, st.max_page_size, items)
        }
        "ListAssets" => {
            if model != "volc-asset" {
                return bad("model must be volc-asset");
            }
            let f = body.get("Filter").cloned().unwrap_or(json!({}));
            let name = f.get("Name").and_then(Value::as_str).unwrap_or("");
            let ids: Vec<&str> = f
                .get("GroupIds")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let statuses: Vec<&str> = f
                .get("Statuses")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let items = st
                .assets
                .iter()
                .filter(|a| a.name.contains(name))
                .filter(|a| ids.is_empty() || ids.contains(&a.group_id.as_str()))
                .filter(|a| statuses.is_empty() || statuses.contains(&a.status.as_str()))
                .map(asset_json)
                .collect();
            page(body, st.max_page_size, items)
        }
        "GetAsset" => {
            let id = s("Id");
            let (polls_to_active, fail) = (st.polls_to_active, st.fail_names_containing.clone());
            match st.assets.iter_mut().find(|a| a.id == id) {
                Some(a) => {
                    a.polls += 1;
                    if a.status == "Processing" && a.polls >= polls_to_active {
                        a.status = if fail.is_some_and(|f| a.name.contains(&f)) {
                            "Failed"
                        } else {
                            "Active"
                        }
                        .into();
                    }
                    let mut j = asset_json(a);
                    if a.status == "Failed" {
                        j["Error"] = json!({"Code": "ContentRejected", "Message": "moderation"});
                    }
                    (200, j.to_string())
                }
                None => (
                    404,
                    error_body("NotFound", &format!("asset {id} not found")),
                ),
            }
        }
        _ => (404, error_body("InvalidAction", "no such action")),
    }
}

/// Once `ready` holds (within 30 s), sends Ctrl-C (SIGINT) to `child` and
/// returns its exit code, stdout and stderr; the token must not show.
#[cfg(unix)]
pub fn ctrl_c_when(
    child: std::process::Child,
    ready: impl Fn() -> bool,
) -> (Option<i32>, String, String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(std::time::Instant::now() < deadline, "never got ready");
        thread::sleep(Duration::from_millis(5));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    without_token(child.wait_with_output().unwrap())
}

/// A run's exit code, stdout and stderr, once it is shown that neither
/// output holds the token.
pub fn without_token(out: std::process::Output) -> (Option<i32>, String, String) {
    let so = String::from_utf8_lossy(&out.stdout).into_owned();
    let se = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !so.contains(TOKEN) && !se.contains(TOKEN),
        "token leaked:\n{so}\n{se}"
    );
    (out.status.code(), so, se)
}

/// Clears the proxy variables, so that a request to 127.0.0.1 goes there.
pub fn no_proxy(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for v in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        cmd.env_remove(v);
    }
    cmd
}
