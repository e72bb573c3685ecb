//! `ffmpeg` and `ffprobe` run as untrusted work on untrusted files.
//!
//! ffmpeg is found on `PATH` at run time (or named by the
//! `PREFLIGHT_FFMPEG` environment variable; `PREFLIGHT_FFMPEG=none` behaves
//! as if it were absent); its version is read with `ffmpeg -version` (4.0
//! or later). Every run:
//!
//! - names its input as a `file:` URL of an absolute path, so that no file
//!   name (`tcp:127.0.0.1:80`, `concat:a|b`, `-y`) is read as a protocol or
//!   an option, with `-protocol_whitelist file` so that nothing inside the
//!   file (an HLS playlist, a `concat` list) opens the network;
//! - forces the demuxer from the format preflight sniffed (`-f mov`,
//!   `-f matroska`, …): no other demuxer gets to probe the bytes;
//! - writes only to a `file:` URL inside a fresh private folder (mode 0700,
//!   random name, removed on drop), never to a pipe that we would buffer,
//!   with `-n` (never overwrite) and `-fs` (stop at a size);
//! - has `-nostdin`, a wall-clock timeout ([`crate::FixLimits`]; the child
//!   is killed when it passes), a CPU-time cap (`-timelimit`, which also
//!   stops a child left behind if preflight itself is killed), and a capped
//!   stderr;
//! - runs in its own process group (a Ctrl-C on the terminal does not reach
//!   it half-way through a write) and is registered, so that
//!   [`stop_children`] kills every child still running when preflight exits;
//! - runs through `setpriv --pdeathsig KILL` (util-linux) when it is on
//!   `PATH`, so that the kernel kills it when preflight dies, even by
//!   SIGKILL.

use crate::{FixError, FixLimits, NotRepairable};
use preflight::Format;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// An `ffmpeg` executable that answered `-version`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ffmpeg {
    /// The executable.
    pub path: PathBuf,
    /// The version it reports (`5.1.6-0+deb12u1`).
    pub version: String,
    /// `ffprobe` beside it or on `PATH`, when present.
    pub ffprobe: Option<PathBuf>,
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn version_of(exe: &Path) -> Option<String> {
    let out = run(
        exe,
        &["-version".into()],
        Duration::from_secs(10),
        Capture::Stdout(64 * 1024),
    )
    .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?;
    // "ffmpeg version 5.1.6-0+deb12u1 Copyright ..."
    let mut words = first.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(_), Some("version"), Some(v)) => Some(v.to_string()),
        _ => None,
    }
}

/// The oldest ffmpeg accepted: 4.0 (every option and filter used here is
/// older). Versions that do not start with a number (git builds, `N-…`) are
/// accepted.
const MIN_FFMPEG_MAJOR: u32 = 4;

/// Most of ffmpeg's stderr kept (its end is what explains a failure).
const MAX_STDERR: usize = 64 * 1024;

/// Most of ffprobe's JSON read.
const MAX_PROBE_JSON: usize = 1 << 20;

pub(crate) fn version_supported(v: &str) -> bool {
    let v = v.trim_start_matches('n');
    let major: String = v.chars().take_while(char::is_ascii_digit).collect();
    match major.parse::<u32>() {
        Ok(m) => m >= MIN_FFMPEG_MAJOR,
        Err(_) => true,
    }
}

pub(crate) fn tail(bytes: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim();
    let start = s.char_indices().rev().nth(max).map(|(i, _)| i).unwrap_or(0);
    s[start..].to_string()
}

/// ffmpeg's demuxer for a sniffed format; `None` for a format we do not
/// hand to ffmpeg (it is then not repaired through ffmpeg).
pub(crate) fn demuxer(f: Format) -> Option<&'static str> {
    Some(match f {
        Format::Mp4 | Format::Mov | Format::M4a | Format::Avif | Format::Heic | Format::Heif => {
            "mov"
        }
        Format::OtherVideo("3gp") => "mov",
        Format::Mkv | Format::Webm => "matroska",
        Format::Avi => "avi",
        Format::OtherVideo("asf") => "asf",
        Format::OtherVideo("flv") => "flv",
        Format::OtherVideo("mpegts") => "mpegts",
        Format::OtherVideo("mpeg") => "mpeg",
        Format::Mp3 => "mp3",
        Format::Wav => "wav",
        Format::Flac => "flac",
        Format::Ogg => "ogg",
        Format::Aac => "aac",
        Format::OtherAudio("aiff") => "aiff",
        Format::OtherAudio("amr") => "amr",
        Format::Jxl => "jpegxl_pipe",
        Format::Psd => "psd_pipe",
        Format::Ico => "ico",
        Format::Tiff => "tiff_pipe",
        Format::Png => "png_pipe",
        Format::Jpeg => "jpeg_pipe",
        Format::Bmp => "bmp_pipe",
        Format::Webp => "webp_pipe",
        Format::Gif => "gif",
        _ => return None,
    })
}

/// `path` as a `file:` URL of its absolute form: ffmpeg reads no protocol
/// prefix or option from it.
pub(crate) fn file_url(path: &Path) -> Result<OsString, FixError> {
    let abs = std::path::absolute(path)?;
    let mut s = OsString::from("file:");
    s.push(abs.as_os_str());
    Ok(s)
}

/// What a run keeps of the child's stdout.
enum Capture {
    /// Nothing (stdout is `/dev/null`).
    Nothing,
    /// Up to this many bytes (more is an error).
    Stdout(usize),
}

/// What a run returns.
struct RunOutput {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Children still running, by a run number: [`stop_children`] kills them.
fn running() -> &'static Mutex<HashMap<u64, Arc<Mutex<Child>>>> {
    static RUNNING: OnceLock<Mutex<HashMap<u64, Arc<Mutex<Child>>>>> = OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

/// Kills every ffmpeg or ffprobe that a repair started and that is still
/// running (call it from a Ctrl-C handler, or before exiting). Runs whose
/// child was killed end in an error, and their partial outputs are removed.
pub fn stop_children() {
    let all: Vec<_> = running()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .cloned()
        .collect();
    for c in all {
        let _ = c.lock().unwrap_or_else(|e| e.into_inner()).kill();
    }
}

/// Removes the child from the registry and kills it, whatever happens to the run.
struct Registered {
    id: u64,
    child: Arc<Mutex<Child>>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        running()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
        let mut c = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(None) = c.try_wait() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn read_capped(mut r: impl Read, max: usize, keep_tail: bool) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let mut over = false;
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() > max {
                    over = true;
                    if keep_tail {
                        out.drain(..out.len() - max);
                    } else {
                        out.truncate(max);
                    }
                }
            }
        }
    }
    (out, over)
}

/// `setpriv` from util-linux (2.33 or later: `--pdeathsig`), found once:
/// ffmpeg and ffprobe run through it, so that the kernel kills them when
/// preflight dies, however it dies. The crate forbids `unsafe`, so it
/// cannot call `prctl(PR_SET_PDEATHSIG)` between fork and exec itself.
/// Absent (or `PREFLIGHT_SETPRIV=none`), children are stopped by
/// [`stop_children`], their timeout and `-timelimit` only.
fn setpriv() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            if !cfg!(target_os = "linux") {
                return None;
            }
            let exe = match std::env::var_os("PREFLIGHT_SETPRIV") {
                Some(v) if v == "none" || v.is_empty() => return None,
                Some(v) => PathBuf::from(v),
                None => which("setpriv")?,
            };
            let works = Command::new(&exe)
                .args(["--pdeathsig", "KILL", "--", "true"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            works.then_some(exe)
        })
        .as_deref()
}

/// Runs `exe args` in its own process group with stdin closed, stderr
/// capped, and a wall-clock `timeout` after which it is killed.
fn run(
    exe: &Path,
    args: &[OsString],
    timeout: Duration,
    capture: Capture,
) -> Result<RunOutput, FixError> {
    let tool = if exe.file_name().is_some_and(|n| n == "ffprobe") {
        "ffprobe"
    } else {
        "ffmpeg"
    };
    let mut cmd = match setpriv() {
        // The child gets SIGKILL when the thread that started it (and so
        // preflight) dies, even by SIGKILL: no ffmpeg outlives preflight.
        Some(setpriv) => {
            let mut c = Command::new(setpriv);
            c.args(["--pdeathsig", "KILL", "--"]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(match capture {
            Capture::Nothing => Stdio::null(),
            Capture::Stdout(_) => Stdio::piped(),
        });
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn()?;
    let stderr = child.stderr.take();
    let stdout = child.stdout.take();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let reg = Registered {
        id: NEXT.fetch_add(1, Ordering::Relaxed),
        child: Arc::new(Mutex::new(child)),
    };
    running()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(reg.id, reg.child.clone());
    let err_reader = std::thread::spawn(move || {
        stderr.map_or((Vec::new(), false), |s| read_capped(s, MAX_STDERR, true))
    });
    let out_max = match capture {
        Capture::Stdout(n) => n,
        Capture::Nothing => 0,
    };
    let out_reader = std::thread::spawn(move || {
        stdout.map_or((Vec::new(), false), |s| read_capped(s, out_max, false))
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        let polled = reg
            .child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_wait()?;
        if let Some(s) = polled {
            break s;
        }
        if Instant::now() >= deadline {
            drop(reg);
            let _ = err_reader.join();
            let _ = out_reader.join();
            return Err(FixError::Timeout {
                tool,
                after: timeout,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(reg);
    let (stderr, _) = err_reader.join().unwrap_or_default();
    let (stdout, over) = out_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(FixError::Tool {
            tool,
            status,
            stderr: tail(&stderr, 2000),
        });
    }
    if over {
        return Err(FixError::Tool {
            tool,
            status,
            stderr: format!("wrote more than {out_max} bytes on stdout"),
        });
    }
    Ok(RunOutput {
        status,
        stdout,
        stderr,
    })
}

/// A fresh private folder (0700, random name marked as preflight's
/// temporary, removed with what is inside on drop, or by [`crate::stop`])
/// for ffmpeg to write into.
pub(crate) struct PrivateDir {
    dir: tempfile::TempDir,
    _tracked: crate::inflight::Tracked,
}

impl PrivateDir {
    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A [`PrivateDir`] in `near`, or in the system's temporary folder.
pub(crate) fn private_dir(near: Option<&Path>) -> Result<PrivateDir, FixError> {
    let mut b = tempfile::Builder::new();
    b.prefix(".ffmpeg.").suffix(preflight::fs::TEMP_MARKER);
    let dir = match near {
        Some(d) => b.tempdir_in(d)?,
        None => b.tempdir()?,
    };
    let tracked = crate::inflight::Tracked::new(dir.path());
    Ok(PrivateDir {
        dir,
        _tracked: tracked,
    })
}

/// The name ffmpeg writes inside a [`private_dir`] (hidden and marked as
/// preflight's temporary, so no walker takes it for media).
pub(crate) const OUTPUT_NAME: &str = ".output.preflight-tmp";

impl Ffmpeg {
    /// Finds ffmpeg once per process: `PREFLIGHT_FFMPEG` (a path, or `none`),
    /// else `ffmpeg` on `PATH`; `None` when absent or when `-version` fails.
    pub fn find() -> Option<&'static Ffmpeg> {
        static FOUND: OnceLock<Option<Ffmpeg>> = OnceLock::new();
        FOUND.get_or_init(Ffmpeg::locate).as_ref()
    }

    fn locate() -> Option<Ffmpeg> {
        let exe = match std::env::var_os("PREFLIGHT_FFMPEG") {
            Some(v) if v == "none" || v.is_empty() => return None,
            Some(v) => PathBuf::from(v),
            None => which("ffmpeg")?,
        };
        let version = version_of(&exe)?;
        if !version_supported(&version) {
            return None;
        }
        let beside = exe.with_file_name("ffprobe");
        let ffprobe = if beside.is_file() {
            Some(beside)
        } else {
            which("ffprobe")
        };
        Some(Ffmpeg {
            path: exe,
            version,
            ffprobe,
        })
    }

    /// Runs ffmpeg on `input` (of the sniffed `format`) with `args` (output
    /// options), writing a file of `muxer` into `dir` (a [`private_dir`]);
    /// returns the path written. Stopped at `max_bytes` of output and after
    /// the timeout of `limits` for `duration_s` of media.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn transcode(
        &self,
        input: &Path,
        format: Format,
        args: &[OsString],
        muxer: &str,
        dir: &Path,
        max_bytes: u64,
        limits: &FixLimits,
        duration_s: Option<f64>,
    ) -> Result<PathBuf, FixError> {
        let demuxer = demuxer(format).ok_or(NotRepairable::NoDecoder(format))?;
        let timeout = limits.ffmpeg_timeout(duration_s);
        let output = dir.join(OUTPUT_NAME);
        let mut a: Vec<OsString> = [
            "-nostdin",
            "-hide_banner",
            "-v",
            "error",
            "-n",
            "-timelimit",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        a.push(timeout.as_secs().max(1).to_string().into());
        a.extend(
            ["-protocol_whitelist", "file", "-f", demuxer, "-i"]
                .iter()
                .map(OsString::from),
        );
        a.push(file_url(input)?);
        a.extend_from_slice(args);
        a.extend(["-fs".into(), max_bytes.to_string().into()]);
        a.extend(["-f".into(), muxer.into()]);
        a.push(file_url(&output)?);
        run(&self.path, &a, timeout, Capture::Nothing)?;
        Ok(output)
    }

    /// Decodes every frame of every stream of `input` (of `format`) and
    /// throws the frames away (`-f null`); any decoding error is an error,
    /// within the timeout of `limits` for `duration_s` of media.
    pub(crate) fn decode_all(
        &self,
        input: &Path,
        format: Format,
        limits: &FixLimits,
        duration_s: Option<f64>,
    ) -> Result<(), FixError> {
        let demuxer = demuxer(format).ok_or(NotRepairable::NoDecoder(format))?;
        let timeout = limits.ffmpeg_timeout(duration_s);
        let mut a: Vec<OsString> = [
            "-nostdin",
            "-hide_banner",
            "-v",
            "error",
            "-xerror",
            "-timelimit",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        a.push(timeout.as_secs().max(1).to_string().into());
        a.extend(
            [
                "-err_detect",
                "explode",
                "-protocol_whitelist",
                "file",
                "-f",
                demuxer,
                "-i",
            ]
            .iter()
            .map(OsString::from),
        );
        a.push(file_url(input)?);
        a.extend(["-f", "null", "-"].iter().map(OsString::from));
        let out = run(&self.path, &a, timeout, Capture::Nothing)?;
        if out.stderr.is_empty() {
            Ok(())
        } else {
            Err(FixError::decode(format, tail(&out.stderr, 2000)))
        }
    }

    /// Decodes the first picture of `input` (of `format`: AVIF, JPEG XL,
    /// PSD, …) into a PNG file in `dir`, of at most `max_bytes`.
    pub(crate) fn to_png(
        &self,
        input: &Path,
        format: Format,
        dir: &Path,
        max_bytes: u64,
        limits: &FixLimits,
    ) -> Result<PathBuf, FixError> {
        let args: Vec<OsString> = ["-frames:v", "1", "-c:v", "png"]
            .iter()
            .map(OsString::from)
            .collect();
        let out = self.transcode(input, format, &args, "image2", dir, max_bytes, limits, None)?;
        match std::fs::metadata(&out) {
            Ok(m) if m.len() > 0 => Ok(out),
            _ => Err(FixError::decode(format, "ffmpeg produced no picture")),
        }
    }

    /// Runs ffprobe on `input` (of `format`) and returns its JSON.
    pub(crate) fn probe_json(
        &self,
        input: &Path,
        format: Format,
        entries: &str,
        limits: &FixLimits,
    ) -> Result<serde_json::Value, FixError> {
        let exe = self.ffprobe.as_ref().ok_or(NotRepairable::NeedsFfprobe)?;
        let demuxer = demuxer(format).ok_or(NotRepairable::NoDecoder(format))?;
        let mut a: Vec<OsString> = [
            "-v",
            "error",
            "-protocol_whitelist",
            "file",
            "-f",
            demuxer,
            "-show_entries",
            entries,
            "-of",
            "json",
            "-i",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        a.push(file_url(input)?);
        let out = run(
            exe,
            &a,
            limits.ffmpeg_base_timeout,
            Capture::Stdout(MAX_PROBE_JSON),
        )?;
        let _ = &out.stderr;
        let _ = out.status;
        serde_json::from_slice(&out.stdout)
            .map_err(|e| FixError::decode(format, format!("ffprobe output: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpeg_versions() {
        assert!(version_supported("5.1.9-0+deb12u1"));
        assert!(version_supported("n6.1"));
        assert!(version_supported("N-112345-gabcdef"));
        assert!(!version_supported("3.4.8"));
    }

    #[test]
    fn found_ffmpeg_reports_its_version() {
        match Ffmpeg::find() {
            Some(ff) => assert!(ff.version.chars().next().is_some(), "{ff:?}"),
            None => eprintln!("skipped: ffmpeg is not on PATH"),
        }
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail(b"abcdef", 2), "def");
        assert_eq!(tail(b"  ab \n", 10), "ab");
    }

    #[test]
    fn names_become_file_urls() {
        let u = file_url(Path::new("tcp:127.0.0.1:47012")).unwrap();
        let u = u.to_string_lossy();
        assert!(u.starts_with("file:/"), "{u}");
        assert!(u.ends_with("/tcp:127.0.0.1:47012"), "{u}");
        let u = file_url(Path::new("-y")).unwrap();
        assert!(u.to_string_lossy().starts_with("file:/"));
    }

    #[test]
    fn a_run_past_its_timeout_is_killed() {
        let t = Instant::now();
        let e = run(
            Path::new("sleep"),
            &["30".into()],
            Duration::from_millis(200),
            Capture::Nothing,
        )
        .err()
        .unwrap();
        assert!(matches!(e, FixError::Timeout { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn runs_through_setpriv_when_present() {
        let out = run(
            Path::new("true"),
            &[],
            Duration::from_secs(10),
            Capture::Nothing,
        )
        .unwrap();
        assert!(out.status.success());
        match which("setpriv") {
            Some(_) => assert!(setpriv().is_some(), "setpriv on PATH but unused"),
            None => eprintln!("skipped: setpriv is not on PATH"),
        }
    }

    #[test]
    fn stderr_is_capped() {
        let (v, over) = read_capped(&[b'x'; 100_000][..], 1000, true);
        assert_eq!(v.len(), 1000);
        assert!(over);
    }
}
