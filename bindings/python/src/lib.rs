//! The Python module `preflight._preflight`: a thin layer over the core
//! crate `preflight` and `preflight-fix`. Every report is the core's
//! [`FileReport`] serialized as `preflight check --format json` writes it,
//! so a report from Python equals the command line's.
//!
//! The GIL is released around every probe, check and repair.

use futures::stream::{BoxStream, StreamExt};
use preflight::bundle::{AssetType, Bundle, Item, Mode};
use preflight::ProfileError as CoreProfileError;
use preflight::{
    BatchOptions, FileReport, Format, MediaInfo, ProbeLimits, Prober, Profile, Step, Verdict,
    MIN_RANGE, SNIFF_LEN,
};
use preflight_remote::{is_remote, Checked, RemoteError, RemoteOptions, Stores};
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use url::Url;

create_exception!(
    preflight,
    ProfileError,
    PyValueError,
    "A profile could not be loaded: unknown name, unreadable file, invalid TOML \
     (the message and `.line`/`.column` say where) or values that cannot hold."
);
create_exception!(
    preflight,
    ProbeError,
    PyValueError,
    "`probe()` could not measure the file; `.rule` is the rule id a check \
     reports for it (`file.corrupt`, `file.incomplete`, `file.limit`, \
     `file.unreadable`, `file.unsupported_type`)."
);

/// A `ProfileError` with `.line`, `.column` (1-based, or `None`) and `.path`.
fn profile_error(py: Python<'_>, e: &CoreProfileError) -> PyErr {
    let err = ProfileError::new_err(e.to_string());
    let (line, column, path) = match e {
        CoreProfileError::Parse {
            line, column, path, ..
        } => (*line, *column, path.clone()),
        CoreProfileError::Io { path, .. } => (None, None, Some(path.clone())),
        CoreProfileError::Invalid { path, .. } => (None, None, path.clone()),
        _ => (None, None, None),
    };
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in
    // practice; if it did, the message still says it all.
    let _ = value.setattr("line", line);
    let _ = value.setattr("column", column);
    let _ = value.setattr("path", path.map(|p| p.to_string_lossy().into_owned()));
    err
}

fn probe_error(py: Python<'_>, e: &preflight::Error) -> PyErr {
    let err = ProbeError::new_err(e.to_string());
    let _ = err.value(py).setattr("rule", e.rule().id());
    err
}

/// The limits of one service (a built-in profile or a TOML file with the
/// same fields).
#[pyclass(frozen, skip_from_py_object, module = "preflight", name = "Profile")]
#[derive(Clone)]
struct PyProfile {
    inner: Profile,
}

#[pymethods]
impl PyProfile {
    /// A built-in profile by name (`Profile.names()` lists them).
    #[staticmethod]
    fn builtin(py: Python<'_>, name: &str) -> PyResult<PyProfile> {
        Profile::builtin(name)
            .map(|inner| PyProfile { inner })
            .ok_or_else(|| {
                profile_error(
                    py,
                    &CoreProfileError::Unknown {
                        name: name.to_string(),
                    },
                )
            })
    }

    /// A profile from TOML text; fields left out keep the `seedance2` values.
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: &str) -> PyResult<PyProfile> {
        Profile::from_toml(text)
            .map(|inner| PyProfile { inner })
            .map_err(|e| profile_error(py, &e))
    }

    /// A profile from a TOML file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PyProfile> {
        Profile::load(&path)
            .map(|inner| PyProfile { inner })
            .map_err(|e| profile_error(py, &e))
    }

    /// The names of the built-in profiles.
    #[staticmethod]
    fn names() -> Vec<&'static str> {
        Profile::BUILTIN.to_vec()
    }

    /// The profile's name, as reports show it.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// What the profile is for.
    #[getter]
    fn title(&self) -> &str {
        &self.inner.title
    }

    /// Every field, as a dict (the TOML file's tables).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.inner)?)
    }

    /// The profile as a TOML file (`Profile.from_toml` reads it back).
    fn to_toml(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.to_toml().map_err(|e| profile_error(py, &e))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyProfile>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        format!("Profile({:?})", self.inner.name)
    }

    /// Pickles as its TOML text (Ray and multiprocessing ship profiles so).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let py = slf.py();
        let toml = slf
            .get()
            .inner
            .to_toml()
            .map_err(|e| profile_error(py, &e))?;
        Ok((slf.getattr("from_toml")?, (toml,)))
    }
}

/// A profile argument: a `Profile`, a built-in name, or a path to a TOML file.
fn resolve_profile(py: Python<'_>, p: Option<&Bound<'_, PyAny>>) -> PyResult<Profile> {
    let Some(p) = p.filter(|p| !p.is_none()) else {
        return Ok(Profile::seedance2());
    };
    if let Ok(p) = p.cast::<PyProfile>() {
        return Ok(p.get().inner.clone());
    }
    let name: PathBuf = p.extract().map_err(|_| {
        PyTypeError::new_err("profile must be a Profile, a built-in name or a path to a .toml file")
    })?;
    let name = name.to_string_lossy().into_owned();
    py.detach(|| Profile::from_name_or_path(&name))
        .map_err(|e| profile_error(py, &e))
}

fn to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(pythonize::pythonize(py, v)?.unbind())
}

fn get(py: Python<'_>, map: &Map<String, Value>, key: &str) -> PyResult<Py<PyAny>> {
    match map.get(key) {
        Some(v) => to_py(py, v),
        None => Ok(py.None()),
    }
}

/// The JSON object of a report, as `preflight check --format json` writes it.
fn report_map(r: &FileReport) -> Map<String, Value> {
    match serde_json::to_value(r) {
        Ok(Value::Object(m)) => m,
        // FileReport serializes to a map, always.
        _ => Map::new(),
    }
}

/// The keys of a report that are not the measurement (the judgement, and
/// whom it was judged for).
const NOT_INFO: [&str; 6] = [
    "path",
    "verdict",
    "violations",
    "warnings",
    "profile",
    "verdicts",
];

/// What a probe found: the fields of the JSON report (`None` where unknown).
#[pyclass(frozen, module = "preflight", name = "MediaInfo")]
struct MediaInfoPy {
    map: Map<String, Value>,
}

macro_rules! fields {
    ($ty:ident { $($(#[$doc:meta])* $name:ident),* $(,)? } $($rest:tt)*) => {
        #[pymethods]
        impl $ty {
            $(
                $(#[$doc])*
                #[getter]
                fn $name(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                    get(py, &self.map, stringify!($name))
                }
            )*
            $($rest)*
        }
    };
}

fields!(MediaInfoPy {
    /// `image`, `video`, `audio` or `unknown`.
    kind,
    /// Format by content (`jpeg`, `mp4`, `mp3`, …).
    format,
    /// Size in bytes.
    bytes,
    /// Displayed width in pixels (after rotation).
    width,
    /// Displayed height in pixels.
    height,
    /// Rotation in degrees.
    rotation,
    /// Duration in seconds.
    duration_s,
    /// MP3: the duration decoders play (encoder delay and padding removed).
    duration_gapless_s,
    /// Average frame rate.
    fps,
    /// Lowest frame rate of a variable-frame-rate track.
    fps_min,
    /// Highest frame rate.
    fps_max,
    /// Whether the frame rate varies.
    vfr,
    /// Frame count.
    frames,
    /// Codec (`h264`, `hevc`, …).
    codec,
    /// A video's audio codec.
    audio_codec,
    /// Audio sample rate in Hz.
    sample_rate,
    /// Audio channels.
    channels,
    /// Sample aspect ratio (`"4:3"`) when not square.
    sar,
    /// The width a player shows (non-square pixels).
    display_width,
    /// The height a player shows.
    display_height,
}
    /// The fields as a dict, as in the JSON report.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.map)?)
    }

    fn __repr__(&self) -> String {
        format!("MediaInfo({})", Value::Object(self.map.clone()))
    }
);

fn media_info(map: &Map<String, Value>) -> MediaInfoPy {
    let map = map
        .iter()
        .filter(|(k, _)| !NOT_INFO.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    MediaInfoPy { map }
}

/// One broken rule or one warning.
#[pyclass(frozen, module = "preflight")]
struct Violation {
    map: Map<String, Value>,
}

fields!(Violation {
    /// The value found (number, text, list, or `None`).
    actual,
    /// The bound it was judged against.
    limit,
    /// A sentence for people.
    message,
}
    /// The stable rule id (`image.width`, `file.corrupt`, …).
    #[getter]
    fn rule(&self) -> &str {
        self.map.get("rule").and_then(Value::as_str).unwrap_or("")
    }

    /// `{"rule", "actual", "limit", "message"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.map)?)
    }

    fn __repr__(&self) -> String {
        format!(
            "Violation({:?}, {})",
            self.rule(),
            self.map
                .get("message")
                .cloned()
                .unwrap_or(Value::Null)
        )
    }
);

fn violations(list: Option<&Value>) -> Vec<Violation> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_object().cloned())
                .map(|map| Violation { map })
                .collect()
        })
        .unwrap_or_default()
}

/// The outcome of checking one file: pass, fail or error (the file could
/// not be measured), with every broken rule and warning.
#[pyclass(frozen, module = "preflight")]
struct Report {
    map: Map<String, Value>,
    /// The path as given or found (the JSON's `path` is lossy for names that
    /// are not UTF-8).
    path: PathBuf,
    verdict: Verdict,
    measured: bool,
}

impl Report {
    fn new(r: &FileReport) -> Report {
        Report {
            map: report_map(r),
            path: r.path.clone(),
            verdict: r.verdict,
            measured: r.info.is_some(),
        }
    }
}

/// The bytes of a path as the OS holds them (`os.fsencode`).
#[cfg(unix)]
fn os_bytes(p: &std::path::Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

/// The bytes of a path (UTF-8 where paths are not byte strings).
#[cfg(not(unix))]
fn os_bytes(p: &std::path::Path) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

fields!(Report {
    /// `image`, `video`, `audio` or `unknown`.
    kind,
    /// Format by content, also when the file could not be measured.
    format,
    /// Size in bytes, when known.
    bytes,
}
    /// The path checked (the `name` given for bytes and streams, else `""`;
    /// the URL of a remote object). A name that is not valid UTF-8 is
    /// decoded as `os.fsdecode` does (undecodable bytes as lone surrogates),
    /// so `open(report.path)` opens the file.
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.path.as_os_str().into_pyobject(py)?.into_any())
    }

    /// The path's bytes as the OS holds them (`os.fsencode(report.path)`).
    #[getter]
    fn path_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &os_bytes(&self.path))
    }

    /// Whether the file passes (warnings allowed).
    #[getter]
    fn ok(&self) -> bool {
        self.verdict == Verdict::Pass
    }

    /// `"pass"`, `"fail"` or `"error"`.
    #[getter]
    fn verdict(&self) -> &'static str {
        self.verdict.as_str()
    }

    /// The measurement, or `None` when the file could not be measured.
    #[getter]
    fn info(&self) -> Option<MediaInfoPy> {
        self.measured.then(|| media_info(&self.map))
    }

    /// Broken rules (for an error: the `file.*` rule that says why).
    #[getter]
    fn violations(&self) -> Vec<Violation> {
        violations(self.map.get("violations"))
    }

    /// Warnings (they do not fail the file).
    #[getter]
    fn warnings(&self) -> Vec<Violation> {
        violations(self.map.get("warnings"))
    }

    /// The rule ids of the violations.
    #[getter]
    fn rules(&self) -> Vec<String> {
        rule_ids(&self.map)
    }

    /// The report as a dict, equal to the object `preflight check --format json`
    /// prints; for a path that is not UTF-8, `"path"` is `Report.path`
    /// (the JSON text, like `to_json`, holds it with U+FFFD instead).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = pythonize::pythonize(py, &self.map)?;
        if self.path.to_str().is_none() {
            d.set_item("path", self.path(py)?)?;
        }
        Ok(d)
    }

    /// The report as JSON text (one line).
    fn to_json(&self) -> String {
        Value::Object(self.map.clone()).to_string()
    }

    fn __bool__(&self) -> bool {
        self.ok()
    }

    fn __repr__(&self) -> String {
        let path = self.map.get("path").and_then(Value::as_str).unwrap_or("");
        format!(
            "Report({path:?}, verdict={:?}, rules={:?})",
            self.verdict.as_str(),
            rule_ids(&self.map)
        )
    }
);

fn rule_ids(map: &Map<String, Value>) -> Vec<String> {
    map.get("violations")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.get("rule").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Where the bytes of a `src` come from.
enum Source<'py> {
    Path(PathBuf),
    Bytes(Bound<'py, PyBytes>),
    /// A byte view (memoryview, bytearray) read range by range.
    View(Bound<'py, PyAny>),
    /// A binary file-like object with `read` and `seek`.
    Stream(Bound<'py, PyAny>),
}

impl<'py> Source<'py> {
    fn of(src: &Bound<'py, PyAny>) -> PyResult<Source<'py>> {
        if let Ok(b) = src.cast::<PyBytes>() {
            return Ok(Source::Bytes(b.clone()));
        }
        if src.is_instance_of::<PyByteArray>() {
            return Ok(Source::View(PyMemoryView::from(src)?.into_any()));
        }
        if src.is_instance_of::<PyMemoryView>() {
            // One byte per item, whatever the view's format (C-contiguous only).
            let flat = src.call_method1("cast", ("B",)).map_err(|_| {
                PyTypeError::new_err("a memoryview must be C-contiguous to be checked")
            })?;
            return Ok(Source::View(flat));
        }
        if src.is_instance_of::<PyString>() {
            return Ok(Source::Path(src.extract()?));
        }
        if src.hasattr("read")? && src.hasattr("seek")? {
            return Ok(Source::Stream(src.clone()));
        }
        if let Ok(p) = src.extract::<PathBuf>() {
            return Ok(Source::Path(p));
        }
        Err(PyTypeError::new_err(
            "src must be a path, bytes, a memoryview/bytearray, or a binary file object with read() and seek()",
        ))
    }
}

/// Feeds a [`Prober`] the ranges it asks for, read by `fetch(offset, len)`
/// (which may give fewer bytes; none means the data ended there). Python
/// errors raised by `fetch` propagate; probe errors are the inner `Err`.
fn drive(
    py: Python<'_>,
    total: u64,
    limits: &ProbeLimits,
    head: &mut Vec<u8>,
    mut fetch: impl FnMut(u64, u64) -> PyResult<Vec<u8>>,
) -> PyResult<Result<MediaInfo, preflight::Error>> {
    let mut prober = Prober::new(Some(total), limits.clone());
    let (mut offset, mut len) = (0u64, MIN_RANGE);
    let mut fed_empty = false;
    loop {
        let want = len.max(MIN_RANGE).min(total.saturating_sub(offset));
        let chunk = if want == 0 {
            Vec::new()
        } else {
            fetch(offset, want)?
        };
        if chunk.is_empty() && (offset < total || fed_empty) {
            // The data ended before the length it claimed (or the prober
            // asks past the end again): never loop, never guess.
            return Ok(Err(preflight::Error::Incomplete { offset }));
        }
        fed_empty |= chunk.is_empty();
        if offset == 0 {
            head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_LEN)]);
        }
        match py.detach(|| prober.feed(offset, &chunk)) {
            Ok(Step::Done(info)) => return Ok(Ok(info)),
            Ok(Step::NeedRange { offset: o, len: l }) => (offset, len) = (o, l),
            Ok(_) => {
                return Ok(Err(preflight::Error::Incomplete { offset }));
            }
            Err(e) => return Ok(Err(e)),
        }
    }
}

fn as_vec(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    Err(PyTypeError::new_err(
        "read() must return bytes: open the file in binary mode ('rb')",
    ))
}

/// Probes a source; `Err(PyErr)` for Python errors (a bad argument, an
/// exception from a stream), `Ok(Err)` for a file that could not be measured.
fn probe_source(
    py: Python<'_>,
    src: &Source<'_>,
    limits: &ProbeLimits,
    head: &mut Vec<u8>,
) -> PyResult<(Option<u64>, Result<MediaInfo, preflight::Error>)> {
    match src {
        Source::Path(p) => py.detach(|| {
            use std::io::Read;
            let len = std::fs::metadata(p).ok().map(|m| m.len());
            let probed = preflight::probe_path(p, limits);
            if probed.is_err() {
                // The format by content, for the error report.
                if let Ok(f) = std::fs::File::open(p) {
                    let _ = f.take(SNIFF_LEN as u64).read_to_end(head);
                }
            }
            Ok((len, probed))
        }),
        Source::Bytes(b) => {
            let data = b.as_bytes();
            head.extend_from_slice(&data[..data.len().min(SNIFF_LEN)]);
            Ok((
                Some(data.len() as u64),
                py.detach(|| preflight::probe_bytes(data, limits)),
            ))
        }
        Source::View(v) => {
            let total = v.len()? as u64;
            let r = drive(py, total, limits, head, |o, l| {
                let end = o.saturating_add(l).min(total);
                as_vec(
                    &v.get_item(pyo3::types::PySlice::new(py, o as isize, end as isize, 1))?
                        .call_method0("tobytes")?,
                )
            })?;
            Ok((Some(total), r))
        }
        Source::Stream(f) => {
            let start = f.call_method0("tell")?;
            f.call_method1("seek", (0, 2))?;
            // `tell`, not seek's return value: not every file object returns the position.
            let total: u64 = f.call_method0("tell")?.extract()?;
            let r = drive(py, total, limits, head, |o, l| {
                f.call_method1("seek", (o,))?;
                as_vec(&f.call_method1("read", (l,))?)
            });
            // Leave the stream where it was, whatever happened.
            f.call_method1("seek", (start,))?;
            Ok((Some(total), r?))
        }
    }
}

fn sniffed(head: &[u8]) -> Option<Format> {
    Some(preflight::sniff(head)).filter(|f| *f != Format::Unknown)
}

/// The name a source goes by in its report: `name`, else the path, else a
/// file object's `.name` when it is text, else `""`.
fn source_name(src: &Source<'_>, name: Option<PathBuf>) -> PathBuf {
    if let Some(n) = name {
        return n;
    }
    match src {
        Source::Path(p) => p.clone(),
        Source::Stream(f) => f
            .getattr("name")
            .ok()
            .and_then(|n| n.extract::<String>().ok())
            .map(PathBuf::from)
            .unwrap_or_default(),
        _ => PathBuf::new(),
    }
}

fn limits(max_read: Option<u64>) -> ProbeLimits {
    match max_read {
        Some(m) => ProbeLimits::default().max_bytes_read(m),
        None => ProbeLimits::default(),
    }
}

/// Objects read at once from remote stores when `remote_jobs` is `None`
/// (the CLI's default too).
const REMOTE_JOBS: usize = 64;

/// How remote inputs are read: `endpoint_url` for `s3://` (else the
/// store's usual environment: `AWS_ENDPOINT_URL`, `AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, …), `remote_jobs` objects in flight. A plain
/// `http://` endpoint, given or from the environment, is allowed.
fn remote_opts(
    endpoint_url: Option<String>,
    remote_jobs: Option<usize>,
    max_read: Option<u64>,
) -> RemoteOptions {
    let env_http = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| v.starts_with("http://")));
    RemoteOptions::default()
        .limits(limits(max_read))
        .concurrency(remote_jobs.unwrap_or(REMOTE_JOBS).max(1))
        .allow_http(env_http)
        .endpoint_url(endpoint_url)
}

/// A tokio runtime of its own (for the thread that streams `check_many`'s
/// remote reports).
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("preflight-remote")
        .enable_all()
        .build()
}

/// The process's network runtime and the object stores set up on it,
/// kept between calls: setting up the HTTP clients (TLS roots) costs
/// ~80 ms, more than reading a nearby object. A forked child (its `pid`
/// differs) makes its own: the parent's runtime threads do not exist there.
struct Net {
    pid: u32,
    rt: tokio::runtime::Runtime,
    stores: Mutex<HashMap<String, Arc<Stores>>>,
}

static NET: Mutex<Option<Arc<Net>>> = Mutex::new(None);

fn net() -> std::io::Result<Arc<Net>> {
    let mut slot = NET.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    if let Some(n) = slot.as_ref() {
        if n.pid == pid {
            return Ok(n.clone());
        }
    }
    if let Some(stale) = slot.take() {
        // Dropping a runtime whose threads are the parent's would wait for them.
        std::mem::forget(stale);
    }
    let n = Arc::new(Net {
        pid,
        rt: runtime()?,
        stores: Mutex::new(HashMap::new()),
    });
    *slot = Some(n.clone());
    Ok(n)
}

impl Net {
    /// The stores for `opts`, set up once per endpoint, concurrency and
    /// cloud environment (a changed `AWS_*` variable sets up new ones).
    fn stores(&self, opts: &RemoteOptions) -> Result<Arc<Stores>, RemoteError> {
        let mut env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| {
                ["AWS_", "GOOGLE_", "AZURE_"]
                    .iter()
                    .any(|p| k.starts_with(p))
            })
            .collect();
        env.sort();
        let key = format!(
            "{:?} {} {} {env:?}",
            opts.endpoint_url, opts.allow_http, opts.concurrency
        );
        let mut map = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get(&key) {
            return Ok(s.clone());
        }
        let s = Arc::new(Stores::new(opts)?);
        map.insert(key, s.clone());
        Ok(s)
    }
}

/// An error report for each URL (the network runtime could not start).
fn unreadable_all(urls: &[Url], profile: &Profile, why: &str) -> Vec<FileReport> {
    urls.iter()
        .map(|u| {
            FileReport::error(
                &PathBuf::from(u.as_str()),
                None,
                preflight::Violation::new(
                    preflight::Rule::FileUnreadable,
                    None,
                    None,
                    format!("cannot start the network runtime: {why}"),
                ),
            )
            .for_profiles([profile.name.as_str()])
        })
        .collect()
}

/// Runs a stream of remote checks to the end on the process's runtime
/// (the GIL must be released).
fn remote_reports(
    urls: Vec<Url>,
    profile: &Profile,
    make: impl FnOnce(Vec<Url>) -> BoxStream<'static, Checked>,
) -> Vec<FileReport> {
    if urls.is_empty() {
        return Vec::new();
    }
    match net() {
        Ok(n) => n.rt.block_on(make(urls).map(|c| c.report).collect()),
        Err(e) => unreadable_all(&urls, profile, &e.to_string()),
    }
}

/// Checks each URL as one object, in order, with the kept stores.
fn remote_each(urls: Vec<Url>, profile: &Profile, opts: RemoteOptions) -> Vec<FileReport> {
    if urls.is_empty() {
        return Vec::new();
    }
    let n = match net() {
        Ok(n) => n,
        Err(e) => return unreadable_all(&urls, profile, &e.to_string()),
    };
    match n.stores(&opts) {
        Ok(stores) => {
            let profiles = vec![profile.clone()];
            n.rt.block_on(
                preflight_remote::check_each_with(stores, urls, profiles, opts)
                    .map(|c| c.report)
                    .collect(),
            )
        }
        // As check_each_against reports stores that cannot be set up.
        Err(_) => n.rt.block_on(
            preflight_remote::check_each_against(urls, vec![profile.clone()], opts)
                .map(|c| c.report)
                .collect(),
        ),
    }
}

/// The URL a `str` source names, when it is one preflight reads remotely
/// (`s3://`, `gs://`, `az://`, `http(s)://`, …).
fn remote_src(src: &Bound<'_, PyAny>) -> Option<Url> {
    if !src.is_instance_of::<PyString>() {
        return None;
    }
    src.extract::<String>().ok().as_deref().and_then(is_remote)
}

/// Splits inputs into URLs read remotely and local paths (order kept in each).
fn split(paths: Vec<PathBuf>) -> (Vec<Url>, Vec<PathBuf>) {
    let mut urls = Vec::new();
    let mut local = Vec::new();
    for p in paths {
        match p.to_str().and_then(is_remote) {
            Some(u) => urls.push(u),
            None => local.push(p),
        }
    }
    (urls, local)
}

/// Reads the headers of `src` (a path, bytes, a memoryview or bytearray, or
/// a binary file object with `read` and `seek`) and returns what it is.
/// Raises `ProbeError` (with `.rule`) when it cannot be measured.
#[pyfunction]
#[pyo3(signature = (src, *, max_read=None, endpoint_url=None))]
fn probe(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    max_read: Option<u64>,
    endpoint_url: Option<String>,
) -> PyResult<MediaInfoPy> {
    if let Some(url) = remote_src(src) {
        let opts = remote_opts(endpoint_url, Some(1), max_read);
        let probed = py.detach(|| match net() {
            Ok(n) => {
                let probed = match n.stores(&opts) {
                    Ok(stores) => {
                        n.rt.block_on(preflight_remote::probe_url_with(&stores, &url, &opts))
                    }
                    Err(_) => n.rt.block_on(preflight_remote::probe_url(&url, &opts)),
                };
                probed.result.map_err(|e| (remote_rule(&e), e.to_string()))
            }
            Err(e) => Err((
                preflight::Rule::FileUnreadable,
                format!("cannot start the network runtime: {e}"),
            )),
        });
        let info = probed.map_err(|(rule, msg)| {
            let err = ProbeError::new_err(msg);
            let _ = err.value(py).setattr("rule", rule.id());
            err
        })?;
        let r = FileReport::checked(url.as_str(), info, preflight::Report::default());
        return Ok(media_info(&report_map(&r)));
    }
    let source = Source::of(src)?;
    let mut head = Vec::new();
    let (_, probed) = probe_source(py, &source, &limits(max_read), &mut head)?;
    let info = probed.map_err(|e| probe_error(py, &e))?;
    let r = FileReport::checked(
        source_name(&source, None),
        info,
        preflight::Report::default(),
    );
    Ok(media_info(&report_map(&r)))
}

/// The rule a remote failure is reported under.
fn remote_rule(e: &RemoteError) -> preflight::Rule {
    match e {
        RemoteError::Probe(e) => e.rule(),
        RemoteError::Requests { .. } => preflight::Rule::FileLimit,
        _ => preflight::Rule::FileUnreadable,
    }
}

/// Checks `src` against `profile` (a `Profile`, a built-in name or a TOML
/// file; default `seedance2`). A file that cannot be read or parsed is a
/// report with verdict `error`, not an exception. A `str` that is a URL
/// (`s3://`, `https://`, …) is read remotely, headers only.
#[pyfunction]
#[pyo3(signature = (src, profile=None, *, name=None, max_read=None, endpoint_url=None))]
fn check(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    profile: Option<&Bound<'_, PyAny>>,
    name: Option<PathBuf>,
    max_read: Option<u64>,
    endpoint_url: Option<String>,
) -> PyResult<Report> {
    let profile = resolve_profile(py, profile)?;
    if let (Some(url), None) = (remote_src(src), &name) {
        let opts = remote_opts(endpoint_url, Some(1), max_read);
        let mut r = py.detach(|| remote_each(vec![url], &profile, opts));
        // One URL in, one report out.
        return match r.pop() {
            Some(r) => Ok(Report::new(&r)),
            None => Err(PyValueError::new_err("no report for the URL")),
        };
    }
    let source = Source::of(src)?;
    let limits = limits(max_read);
    if let (Source::Path(p), None) = (&source, &name) {
        let r = py.detach(|| preflight::check_path(p, &profile, &limits));
        return Ok(Report::new(&r));
    }
    let mut head = Vec::new();
    let (len, probed) = probe_source(py, &source, &limits, &mut head)?;
    let name = source_name(&source, name);
    let r = py.detach(|| FileReport::from_probe(name, len, probed, &profile, || sniffed(&head)));
    Ok(Report::new(&r))
}

type Reports = Box<dyn Iterator<Item = FileReport> + Send>;

/// Reports as the checks finish (parallel in Rust; not in input order).
#[pyclass(module = "preflight")]
struct ReportIter {
    inner: Mutex<Reports>,
}

#[pymethods]
impl ReportIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> Option<Report> {
        let next = py.detach(|| match self.inner.lock() {
            Ok(mut it) => it.next(),
            Err(poisoned) => poisoned.into_inner().next(),
        });
        next.as_ref().map(Report::new)
    }
}

fn paths_of(paths: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if paths.is_instance_of::<PyString>() {
        return Ok(vec![paths.extract()?]);
    }
    let mut out = Vec::new();
    for p in paths.try_iter()? {
        out.push(p?.extract::<PathBuf>()?);
    }
    Ok(out)
}

/// `reports` followed by the reports of `urls`, checked from now on (beside
/// the local ones) on a thread of their own, as the CLI does.
fn chain_remote(
    reports: Reports,
    urls: Vec<Url>,
    profile: Profile,
    opts: RemoteOptions,
) -> Reports {
    if urls.is_empty() {
        return reports;
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<FileReport>(256);
    std::thread::spawn(move || match runtime() {
        Ok(rt) => rt.block_on(async move {
            let mut s = preflight_remote::check_all(urls, profile, opts);
            while let Some(c) = s.next().await {
                if tx.send(c.report).is_err() {
                    // The iterator was dropped: stop reading.
                    break;
                }
            }
        }),
        Err(e) => {
            for r in unreadable_all(&urls, &profile, &e.to_string()) {
                let _ = tx.send(r);
            }
        }
    });
    Box::new(reports.chain(rx))
}

/// Checks files and folders (recursively) in parallel and yields each
/// report as it finishes. URLs among the paths are read remotely: an
/// `s3://bucket/prefix/` (or `gs://`, `az://`) is listed, each object and
/// each `http(s)://` URL read by range, headers only.
#[pyfunction]
#[pyo3(signature = (paths, profile=None, *, jobs=None, max_read=None, endpoint_url=None, remote_jobs=None))]
fn check_many(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    profile: Option<&Bound<'_, PyAny>>,
    jobs: Option<usize>,
    max_read: Option<u64>,
    endpoint_url: Option<String>,
    remote_jobs: Option<usize>,
) -> PyResult<ReportIter> {
    let profile = resolve_profile(py, profile)?;
    let (urls, local) = split(paths_of(paths)?);
    let opts = BatchOptions::new()
        .jobs(jobs.unwrap_or(0))
        .limits(limits(max_read));
    let local: Reports = if local.is_empty() && !urls.is_empty() {
        Box::new(std::iter::empty())
    } else {
        Box::new(
            preflight::check_paths(local, &profile, &opts)
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        )
    };
    let ropts = remote_opts(endpoint_url, remote_jobs, max_read);
    Ok(ReportIter {
        inner: Mutex::new(chain_remote(local, urls, profile, ropts)),
    })
}

/// The objects that `inputs` name (URLs): a bucket or a prefix (`s3://bucket/dir/`,
/// or a key that names no object but prefixes some) is listed; an object key
/// or an `http(s)://` URL is itself. Raises `OSError` when a listing fails
/// and `ValueError` for an input that is not such a URL.
#[pyfunction]
#[pyo3(signature = (inputs, *, endpoint_url=None))]
fn list_objects(
    py: Python<'_>,
    inputs: &Bound<'_, PyAny>,
    endpoint_url: Option<String>,
) -> PyResult<Vec<String>> {
    let mut urls = Vec::new();
    for p in paths_of(inputs)? {
        let s = p.to_string_lossy();
        urls.push(is_remote(&s).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{s:?} is not an s3://, gs://, az:// or http(s):// URL"
            ))
        })?);
    }
    let opts = remote_opts(endpoint_url, None, None);
    let listed: Result<Vec<String>, String> = py.detach(|| {
        let n = net().map_err(|e| format!("cannot start the network runtime: {e}"))?;
        n.rt.block_on(async {
            let mut out = Vec::new();
            let mut s = preflight_remote::list_objects(urls, &opts);
            while let Some(r) = s.next().await {
                match r {
                    Ok((u, _)) => out.push(u.to_string()),
                    Err((u, why)) => return Err(format!("{u}: {why}")),
                }
            }
            Ok(out)
        })
    });
    listed.map_err(pyo3::exceptions::PyOSError::new_err)
}

/// The flat columns of `check_table` (SPEC §4 names), in this order.
const COLUMNS: [&str; 14] = [
    "path",
    "kind",
    "format",
    "bytes",
    "width",
    "height",
    "rotation",
    "duration_s",
    "fps",
    "codec",
    "sample_rate",
    "channels",
    "verdict",
    "rules",
];

/// Checks each path (files; folders walked when `walk`) and returns the
/// report columns as a dict of lists: in input order without `walk`, one
/// row per path (a URL is one object); ordered by path with it (URL
/// prefixes listed).
#[pyfunction]
#[pyo3(signature = (paths, profile=None, *, jobs=None, walk=false, max_read=None, endpoint_url=None, remote_jobs=None))]
#[allow(clippy::too_many_arguments)]
fn _check_columns<'py>(
    py: Python<'py>,
    paths: &Bound<'py, PyAny>,
    profile: Option<&Bound<'py, PyAny>>,
    jobs: Option<usize>,
    walk: bool,
    max_read: Option<u64>,
    endpoint_url: Option<String>,
    remote_jobs: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let profile = resolve_profile(py, profile)?;
    let paths = paths_of(paths)?;
    let ropts = remote_opts(endpoint_url, remote_jobs, max_read);
    let limits = limits(max_read);
    let jobs = jobs.unwrap_or(0);
    let maps: Vec<Map<String, Value>> = py.detach(|| -> PyResult<_> {
        let profiles = vec![profile.clone()];
        let reports: Vec<FileReport> = if walk {
            let (urls, local) = split(paths);
            let opts = BatchOptions::new().jobs(jobs).limits(limits.clone());
            let mut all: Vec<FileReport> = if local.is_empty() {
                Vec::new()
            } else {
                preflight::check_paths(local, &profile, &opts)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?
                    .collect()
            };
            all.extend(remote_reports(urls, &profile, |u| {
                preflight_remote::check_all_against(u, profiles, ropts)
            }));
            all.sort_by(|a, b| a.path.cmp(&b.path));
            all
        } else {
            use rayon::prelude::*;
            // The rows that are URLs, read remotely (in order), the rest here.
            let (remote_rows, urls): (Vec<usize>, Vec<Url>) = paths
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some((i, p.to_str().and_then(is_remote)?)))
                .unzip();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(jobs)
                .build()
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            let mut rows: Vec<Option<FileReport>> = pool.install(|| {
                paths
                    .par_iter()
                    .enumerate()
                    .map(|(i, p)| {
                        (remote_rows.binary_search(&i).is_err())
                            .then(|| preflight::check_path(p, &profile, &limits))
                    })
                    .collect()
            });
            let remote = remote_each(urls, &profile, ropts);
            for (i, r) in remote_rows.into_iter().zip(remote) {
                rows[i] = Some(r);
            }
            // Every row was filled: a local check or a remote one each.
            rows.into_iter().flatten().collect()
        };
        use rayon::prelude::*;
        Ok(reports.par_iter().map(report_map).collect())
    })?;
    let out = PyDict::new(py);
    for col in COLUMNS {
        let list = PyList::empty(py);
        for m in &maps {
            if col == "rules" {
                list.append(rule_ids(m))?;
            } else {
                list.append(get(py, m, col)?)?;
            }
        }
        out.set_item(col, list)?;
    }
    Ok(out)
}

/// The outcome of `check_request`: the request rules' verdict and the
/// ordered `content` array.
#[pyclass(frozen, module = "preflight")]
struct RequestReport {
    map: Map<String, Value>,
    ok: bool,
}

#[pymethods]
impl RequestReport {
    /// Whether the bundle breaks no request rule.
    #[getter]
    fn ok(&self) -> bool {
        self.ok
    }

    /// `"pass"` or `"fail"`.
    #[getter]
    fn verdict(&self) -> &'static str {
        if self.ok {
            "pass"
        } else {
            "fail"
        }
    }

    /// Broken request rules.
    #[getter]
    fn violations(&self) -> Vec<Violation> {
        violations(self.map.get("violations"))
    }

    /// Warnings (an unknown duration, …).
    #[getter]
    fn warnings(&self) -> Vec<Violation> {
        violations(self.map.get("warnings"))
    }

    /// The request's `content` array in the service's order.
    #[getter]
    fn content(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        get(py, &self.map, "content")
    }

    /// `{"verdict", "violations", "warnings", "content"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.map)?)
    }

    fn __repr__(&self) -> String {
        format!(
            "RequestReport(verdict={:?}, rules={:?})",
            self.verdict(),
            rule_ids(&self.map)
        )
    }
}

/// One request item from Python: a `Report`, a path, or a dict.
fn request_item(py: Python<'_>, obj: &Bound<'_, PyAny>, profile: &Profile) -> PyResult<Item> {
    let from_report = |map: &Map<String, Value>| -> PyResult<Item> {
        let path = map.get("path").and_then(Value::as_str).unwrap_or("");
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("unknown");
        let t = AssetType::parse(kind).ok_or_else(|| {
            PyValueError::new_err(format!("{path:?}: not an image, a video or audio ({kind})"))
        })?;
        let mut item = Item::asset(path, t, map.get("duration_s").and_then(Value::as_f64));
        // A local file stands for the asset it will become.
        item.url = path.to_string();
        Ok(item)
    };
    if let Ok(r) = obj.cast::<Report>() {
        return from_report(&r.get().map);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let t: String = d
            .get_item("type")?
            .ok_or_else(|| PyValueError::new_err("a request item dict needs \"type\""))?
            .extract()?;
        let t = AssetType::parse(t.trim_end_matches("_url")).ok_or_else(|| {
            PyValueError::new_err(format!("unknown item type {t:?} (image, video or audio)"))
        })?;
        let url: String = match (d.get_item("url")?, d.get_item("id")?) {
            (Some(u), _) => u.extract()?,
            (None, Some(id)) => {
                preflight::bundle::asset_uri(id.extract::<String>()?.trim_start_matches("asset://"))
            }
            (None, None) => {
                return Err(PyValueError::new_err(
                    "a request item dict needs \"url\" or \"id\"",
                ))
            }
        };
        let duration: Option<f64> = match d.get_item("duration_s")? {
            Some(v) if !v.is_none() => Some(v.extract()?),
            _ => None,
        };
        let mut item = Item::asset("", t, duration);
        item.url = url;
        return Ok(item);
    }
    let path: PathBuf = obj.extract().map_err(|_| {
        PyTypeError::new_err("a request item is a Report, a path, or a dict with type and url/id")
    })?;
    let r = py.detach(|| preflight::check_path(&path, profile, &ProbeLimits::default()));
    from_report(&report_map(&r))
}

/// Checks one generation request's references against the request rules
/// of `profile` (counts, total durations, mode, body size) and gives the
/// ordered `content` array. Items are `Report`s, paths (checked first), or
/// dicts `{"type": "image"|"video"|"audio", "url" or "id", "duration_s"}`.
/// `mode`: `reference`, `first-frame` or `first-last`.
#[pyfunction]
#[pyo3(signature = (items, mode="reference", *, text=None, profile=None))]
fn check_request(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    mode: &str,
    text: Option<String>,
    profile: Option<&Bound<'_, PyAny>>,
) -> PyResult<RequestReport> {
    let profile = resolve_profile(py, profile)?;
    let mode: Mode = mode
        .replace('_', "-")
        .parse()
        .map_err(PyValueError::new_err)?;
    let mut bundle = Bundle::new(text);
    for obj in items.try_iter()? {
        bundle.push(request_item(py, &obj?, &profile)?);
    }
    bundle.set_mode(mode);
    let report = bundle.check(&profile.request);
    let ok = report.violations.is_empty();
    let mut map = Map::new();
    map.insert(
        "verdict".into(),
        Value::from(if ok { "pass" } else { "fail" }),
    );
    map.insert(
        "violations".into(),
        serde_json::to_value(&report.violations).unwrap_or(Value::Null),
    );
    map.insert(
        "warnings".into(),
        serde_json::to_value(&report.warnings).unwrap_or(Value::Null),
    );
    map.insert("content".into(), bundle.content());
    Ok(RequestReport { map, ok })
}

/// What `fix` did to one file.
#[pyclass(frozen, module = "preflight")]
struct FixResult {
    map: Map<String, Value>,
}

fields!(FixResult {
    /// The input file.
    path,
    /// `passed`, `copied`, `repaired`, `planned` or `not_repaired`.
    status,
    /// The file written, if any.
    output,
    /// Rule ids the input broke.
    rules,
    /// What was done (`resized 8000×6000 → 6000×4500`, …).
    actions,
    /// Why it was not repaired.
    reason,
    /// Rule ids the output still broke, when its re-check failed.
    output_rules,
}
    /// Whether the file ends up accepted (passed, copied, repaired or planned).
    #[getter]
    fn ok(&self) -> bool {
        self.map.get("status").and_then(Value::as_str) != Some("not_repaired")
    }

    /// The report as a dict, as `preflight fix --format json` prints it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.map)?)
    }

    fn __repr__(&self) -> String {
        let s = |k: &str| self.map.get(k).cloned().unwrap_or(Value::Null);
        format!("FixResult({}, status={})", s("path"), s("status"))
    }
);

/// `pad_color`: a name (black, white, gray), `#rrggbb`, or an `(r, g, b)` tuple.
fn pad_color(c: &Bound<'_, PyAny>) -> PyResult<[u8; 3]> {
    if let Ok((r, g, b)) = c.extract::<(u8, u8, u8)>() {
        return Ok([r, g, b]);
    }
    let bad = || {
        PyValueError::new_err(format!(
            "pad_color {c} is not a colour (black, white, gray, #rrggbb or an (r, g, b) tuple of 0-255)"
        ))
    };
    let s: String = c.extract().map_err(|_| bad())?;
    match s.to_ascii_lowercase().as_str() {
        "black" => return Ok([0, 0, 0]),
        "white" => return Ok([255, 255, 255]),
        "gray" | "grey" => return Ok([128, 128, 128]),
        _ => {}
    }
    let hex = s.strip_prefix('#').unwrap_or(&s);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let v = u32::from_str_radix(hex, 16).map_err(|_| bad())?;
    Ok([(v >> 16) as u8, (v >> 8) as u8, v as u8])
}

/// One of `choices` (`name=value` pairs) by name, else a `ValueError`.
fn choice<T: Copy>(arg: &str, value: &str, choices: &[(&str, T)]) -> PyResult<T> {
    choices
        .iter()
        .find(|(n, _)| *n == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<String> = choices.iter().map(|(n, _)| format!("{n:?}")).collect();
            PyValueError::new_err(format!(
                "{arg} must be one of {}, not {value:?}",
                names.join(", ")
            ))
        })
}

/// Repairs `src` (a file or a folder, recursively) into `out_dir`, as
/// `preflight fix SRC --out OUT_DIR` does: a repaired copy of every file
/// that fails but can be repaired, re-checked; inputs are never modified.
/// The keyword arguments are the CLI's flags: `aspect` (`pad`/`crop`),
/// `pad_color`, `to` (`jpeg`/`png`/`webp`, for images), `quality` and
/// `min_quality` (JPEG, 1-100), `trim` (`start`/`middle`/`end`, for
/// too-long audio), `pad_audio` (pad too-short audio with silence).
#[pyfunction]
#[pyo3(signature = (
    src, out_dir, profile=None, *, all=false, dry_run=false, aspect="pad",
    pad_color=None, to=None, quality=90, min_quality=60, trim="start", pad_audio=false,
    jobs=None
))]
#[allow(clippy::too_many_arguments)]
fn fix(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    out_dir: PathBuf,
    profile: Option<&Bound<'_, PyAny>>,
    all: bool,
    dry_run: bool,
    aspect: &str,
    pad_color: Option<&Bound<'_, PyAny>>,
    to: Option<&str>,
    quality: u8,
    min_quality: u8,
    trim: &str,
    pad_audio: bool,
    jobs: Option<usize>,
) -> PyResult<Vec<FixResult>> {
    use preflight_fix::{AspectMode, ImageTarget, TrimMode};
    let profile = resolve_profile(py, profile)?;
    let paths = paths_of(src)?;
    let aspect = choice(
        "aspect",
        aspect,
        &[("pad", AspectMode::Pad), ("crop", AspectMode::Crop)],
    )?;
    let pad_color = match pad_color.filter(|c| !c.is_none()) {
        Some(c) => self::pad_color(c)?,
        None => [0, 0, 0],
    };
    let to = to
        .map(|t| {
            choice(
                "to",
                t,
                &[
                    ("jpeg", ImageTarget::Jpeg),
                    ("png", ImageTarget::Png),
                    ("webp", ImageTarget::Webp),
                ],
            )
        })
        .transpose()?;
    let trim = choice(
        "trim",
        trim,
        &[
            ("start", TrimMode::Start),
            ("middle", TrimMode::Middle),
            ("end", TrimMode::End),
        ],
    )?;
    for (arg, q) in [("quality", quality), ("min_quality", min_quality)] {
        if !(1..=100).contains(&q) {
            return Err(PyValueError::new_err(format!(
                "{arg} must be 1-100, not {q}"
            )));
        }
    }
    if min_quality > quality {
        return Err(PyValueError::new_err(format!(
            "min_quality {min_quality} is above quality {quality}"
        )));
    }
    for p in &paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(PyValueError::new_err(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
    }
    let opts = preflight_fix::FixOptions::new()
        .aspect(aspect)
        .pad_color(pad_color)
        .to(to)
        .quality(quality)
        .min_quality(min_quality)
        .trim(trim)
        .pad_audio(pad_audio);
    let run = preflight_fix::FixRunOptions::new()
        .all(all)
        .dry_run(dry_run)
        .jobs(jobs.unwrap_or(0));
    let reports = py
        .detach(|| preflight_fix::fix_paths(&paths, &out_dir, &profile, &opts, &run))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(reports
        .iter()
        .map(|r| FixResult {
            map: match serde_json::to_value(r) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            },
        })
        .collect())
}

#[pymodule]
fn _preflight(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ProfileError", py.get_type::<ProfileError>())?;
    m.add("ProbeError", py.get_type::<ProbeError>())?;
    m.add_class::<PyProfile>()?;
    m.add_class::<MediaInfoPy>()?;
    m.add_class::<Violation>()?;
    m.add_class::<Report>()?;
    m.add_class::<ReportIter>()?;
    m.add_class::<RequestReport>()?;
    m.add_class::<FixResult>()?;
    m.add_function(wrap_pyfunction!(probe, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(check_many, m)?)?;
    m.add_function(wrap_pyfunction!(list_objects, m)?)?;
    m.add_function(wrap_pyfunction!(_check_columns, m)?)?;
    m.add_function(wrap_pyfunction!(check_request, m)?)?;
    m.add_function(wrap_pyfunction!(fix, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
