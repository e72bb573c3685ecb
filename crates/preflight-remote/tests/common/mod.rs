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

// ---- moto_server, the S3-compatible server of the S3 tests ----

pub struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PREFLIGHT_MOTO_SERVER") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("moto_server"))
        .find(|p| p.is_file())
}

/// Starts moto_server on a free 127.0.0.1 port; `None` (with the reason
/// printed) when it is not installed and not required.
pub fn start_moto() -> Option<(Moto, String)> {
    let required = std::env::var("PREFLIGHT_REQUIRE_MOTO").is_ok_and(|v| v == "1");
    let Some(bin) = moto_binary() else {
        assert!(
            !required,
            "PREFLIGHT_REQUIRE_MOTO=1 but moto_server is not on PATH (run .ci/remote.sh)"
        );
        println!(
            "SKIPPED: moto_server not found (pip install 'moto[server]', or run .ci/remote.sh)"
        );
        return None;
    };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut moto = Moto(child);
    let addr = format!("127.0.0.1:{port}");
    let start = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        // A shim (pyenv) may stand where no moto is installed: it exits.
        if let Ok(Some(status)) = moto.0.try_wait() {
            assert!(!required, "{} exited at start ({status})", bin.display());
            println!("SKIPPED: {} exited at start ({status})", bin.display());
            return None;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "moto_server did not listen on {addr} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((moto, format!("http://{addr}")))
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
