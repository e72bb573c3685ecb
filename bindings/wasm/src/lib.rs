//! `preflight` in the browser and in Node, through wasm-bindgen.
//!
//! - `check(file, profile?, options?)`: the report `preflight check
//!   --format json` gives for the same file (one element of its `files`),
//!   read from a `Blob`/`File` with `Blob.slice` one range at a time, as the
//!   sans-I/O [`Prober`] asks: a 50 MB video with its `moov` at the end costs
//!   a few hundred KB of reads, never the whole file.
//! - `probe(file, options?)`: the measurement alone.
//! - `profiles()`: the built-in profiles.
//! - `request(items, options?)`: the per-request rules of
//!   [`preflight::bundle`] and the ordered `content` array.
//!
//! The JavaScript-facing functions are thin: each converts its arguments
//! and calls a plain Rust function of this crate (tested natively), so the
//! report is built by the core's [`FileReport::probed`], the same code the
//! CLI's folder walk uses.

use preflight::bundle::{AssetType, Bundle, Item, Mode};
use preflight::{
    probe_bytes, Error, FileReport, MediaInfo, ProbeLimits, Prober, Profile, Step, MIN_RANGE,
    SNIFF_LEN,
};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A value in a violation: a number, a name, names, or an inclusive range. */
export type Measure = number | string | string[] | { min: number; max: number };

/** One broken rule, or one warning. `rule` is a stable id such as `image.width`. */
export interface Violation {
  rule: string;
  actual: Measure | null;
  limit: Measure | null;
  message: string;
}

/** One file's report: the per-file object of `preflight check --format json`. */
export interface Report {
  path: string;
  kind: "image" | "video" | "audio" | "unknown";
  format: string | null;
  bytes: number | null;
  width?: number;
  height?: number;
  rotation?: number;
  duration_s?: number;
  duration_gapless_s?: number;
  fps?: number | null;
  fps_min?: number | null;
  fps_max?: number | null;
  vfr?: boolean;
  frames?: number;
  codec?: string;
  audio_codec?: string;
  sample_rate?: number;
  channels?: number;
  sar?: string;
  display_width?: number | null;
  display_height?: number | null;
  verdict: "pass" | "fail" | "error";
  violations: Violation[];
  warnings: Violation[];
}

/** What a probe measured (the core's `MediaInfo`). */
export interface MediaInfo {
  kind: "image" | "video" | "audio" | "unknown";
  format: string;
  bytes: number;
  width: number | null;
  height: number | null;
  rotation: number | null;
  duration_s: number | null;
  codec: string | null;
  [field: string]: unknown;
}

/** Options of `check` and `probe`. */
export interface CheckOptions {
  /** The name the report gives (`path`) and whose extension is compared
   *  with the content; default: the File's `name`, else "". */
  name?: string;
  /** Most bytes read from the file (default 32 MiB), as `--max-read`. */
  maxRead?: number;
  /** Called before each range is read: where it starts and how long it is. */
  onRead?: (offset: number, length: number) => void;
}

/** A built-in name (`profiles()`), a profile as TOML text, or an object
 *  with the fields of a profile TOML file (unnamed fields keep seedance2's). */
export type ProfileSpec = string | Record<string, unknown>;

/** A built-in profile: its name, what it is, where its limits come from. */
export interface ProfileInfo {
  name: string;
  title: string;
  source: string;
  checked: string;
  image: Record<string, unknown>;
  video: Record<string, unknown>;
  audio: Record<string, unknown>;
  request: Record<string, unknown>;
}

/** One reference of a request: an asset `id` (`asset://` is added) or a
 *  `url` taken as it is, and its type (`kind` as in a Report, or the API's
 *  `type`). A checked file's Report plus an `id` is an item (`request`
 *  throws on kind `unknown`: such a file never passes a check). */
export interface RequestItem {
  id?: string;
  url?: string;
  kind?: "image" | "video" | "audio" | "unknown";
  type?: "Image" | "Video" | "Audio";
  duration_s?: number | null;
}

/** Options of `request`. */
export interface RequestOptions {
  text?: string;
  /** `reference` (default), `first-frame` or `first-last`. */
  mode?: "reference" | "first-frame" | "first-last";
  profile?: ProfileSpec;
}

/** The bundle's verdict under the request rules and, when it passes, the
 *  `content` array of the generation request (as `preflight request`). */
export interface RequestReport {
  verdict: "pass" | "fail";
  violations: Violation[];
  warnings: Violation[];
  body_bytes: number;
  content: Array<Record<string, unknown>> | null;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// A `Blob` or `File`, or anything with `size` and `slice(start, end)`
    /// giving something with `arrayBuffer()`.
    type BlobLike;
    #[wasm_bindgen(method, getter)]
    fn size(this: &BlobLike) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn name(this: &BlobLike) -> JsValue;
    #[wasm_bindgen(method, catch)]
    fn slice(this: &BlobLike, start: f64, end: f64) -> Result<BlobLike, JsValue>;
    #[wasm_bindgen(method, catch, js_name = arrayBuffer)]
    fn array_buffer(this: &BlobLike) -> Result<js_sys::Promise, JsValue>;
}

/// `check`'s and `probe`'s options, read from the JavaScript object.
struct Options {
    name: Option<String>,
    limits: ProbeLimits,
    on_read: Option<js_sys::Function>,
}

fn get(obj: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if obj.is_object() {
        js_sys::Reflect::get(obj, &JsValue::from_str(key))
    } else {
        Ok(JsValue::UNDEFINED)
    }
}

fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

fn read_options(options: &JsValue) -> Result<Options, JsValue> {
    if !(options.is_undefined() || options.is_null() || options.is_object()) {
        return Err(type_error("options must be an object"));
    }
    let name = get(options, "name")?;
    let name = match name.as_string() {
        Some(s) => Some(s),
        None if name.is_undefined() || name.is_null() => None,
        None => return Err(type_error("options.name must be a string")),
    };
    let max = get(options, "maxRead")?;
    let limits = match max.as_f64() {
        Some(v) => ProbeLimits::default().max_bytes_read(max_read(v).map_err(|e| type_error(&e))?),
        None if max.is_undefined() || max.is_null() => ProbeLimits::default(),
        None => return Err(type_error("options.maxRead must be a number")),
    };
    let on_read = get(options, "onRead")?;
    let on_read = match on_read.dyn_into::<js_sys::Function>() {
        Ok(f) => Some(f),
        Err(v) if v.is_undefined() || v.is_null() => None,
        Err(_) => return Err(type_error("options.onRead must be a function")),
    };
    Ok(Options {
        name,
        limits,
        on_read,
    })
}

/// `maxRead` as a byte count: a whole number of at least 1.
pub fn max_read(v: f64) -> Result<u64, String> {
    if v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= 9.0e15 {
        Ok(v as u64)
    } else {
        Err(format!(
            "maxRead must be a whole number of bytes ≥ 1, not {v}"
        ))
    }
}

/// Where a file's bytes come from.
enum Source {
    Bytes(Vec<u8>),
    Blob(BlobLike),
}

fn source_of(file: JsValue) -> Result<Source, JsValue> {
    if let Some(a) = file.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(Source::Bytes(a.to_vec()));
    }
    if let Some(b) = file.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(Source::Bytes(js_sys::Uint8Array::new(b).to_vec()));
    }
    let blob_like = file.is_object()
        && get(&file, "slice")?.is_function()
        && get(&file, "size")?.as_f64().is_some();
    if blob_like {
        return Ok(Source::Blob(file.unchecked_into()));
    }
    Err(type_error(
        "file must be a Blob, a File, a Uint8Array or an ArrayBuffer",
    ))
}

/// An exception from JavaScript as an I/O error (for `file.unreadable`).
fn js_io_error(e: JsValue) -> Error {
    let msg = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.to_string()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the browser refused the read".into());
    Error::Io(std::io::Error::other(msg))
}

/// Reads `start .. end` of `blob`: a slice, then its bytes.
async fn read_range(
    blob: &BlobLike,
    start: u64,
    end: u64,
    on_read: Option<&js_sys::Function>,
) -> Result<Vec<u8>, Error> {
    if let Some(f) = on_read {
        f.call2(
            &JsValue::NULL,
            &JsValue::from_f64(start as f64),
            &JsValue::from_f64((end - start) as f64),
        )
        .map_err(js_io_error)?;
    }
    let part = blob.slice(start as f64, end as f64).map_err(js_io_error)?;
    let promise = part.array_buffer().map_err(js_io_error)?;
    let buf = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(js_io_error)?;
    if !buf.is_instance_of::<js_sys::ArrayBuffer>() {
        return Err(js_io_error(JsValue::from_str(
            "arrayBuffer() did not give an ArrayBuffer",
        )));
    }
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// What a probe of one file gave: the size, the outcome, and its first
/// bytes (to name the format of a file that could not be measured).
struct Probed {
    bytes: u64,
    result: Result<MediaInfo, Error>,
    head: Vec<u8>,
}

async fn probe_source(source: &Source, opts: &Options) -> Result<Probed, JsValue> {
    match source {
        Source::Bytes(b) => Ok(Probed {
            bytes: b.len() as u64,
            result: probe_bytes(b, &opts.limits),
            head: b[..b.len().min(SNIFF_LEN)].to_vec(),
        }),
        Source::Blob(blob) => {
            let size = blob.size().as_f64().filter(|s| s.is_finite() && *s >= 0.0);
            let Some(size) = size else {
                return Err(type_error("the Blob's size is not a byte count"));
            };
            let size = size as u64;
            let mut head = Vec::new();
            let result = probe_blob(blob, size, opts, &mut head).await;
            Ok(Probed {
                bytes: size,
                result,
                head,
            })
        }
    }
}

/// Feeds a [`Prober`] the ranges it asks for, read from `blob`; keeps the
/// first bytes in `head`.
async fn probe_blob(
    blob: &BlobLike,
    size: u64,
    opts: &Options,
    head: &mut Vec<u8>,
) -> Result<MediaInfo, Error> {
    let mut prober = Prober::new(Some(size), opts.limits.clone());
    let (mut offset, mut len) = (0u64, MIN_RANGE.min(size));
    loop {
        let end = offset.saturating_add(len).min(size);
        let chunk = if end > offset {
            read_range(blob, offset, end, opts.on_read.as_ref()).await?
        } else {
            Vec::new()
        };
        if offset == 0 && head.is_empty() {
            head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_LEN)]);
        }
        // A Blob that gives less than it holds changed under us (a file
        // truncated on disk): the data ended early, as `check` says of a
        // file shorter than its metadata.
        if (chunk.len() as u64) < end - offset {
            return Err(Error::Incomplete {
                offset: offset + chunk.len() as u64,
            });
        }
        match prober.feed(offset, &chunk)? {
            Step::Done(info) => return Ok(info),
            Step::NeedRange { offset: o, len: l } => (offset, len) = (o, l),
            _ => {
                return Err(Error::Io(std::io::Error::other(
                    "the prober asked for something this binding does not know",
                )))
            }
        }
    }
}

/// The profile `spec` names: `None` is `seedance2`; a built-in name; else
/// TOML text.
pub fn profile_from_str(spec: Option<&str>) -> Result<Profile, String> {
    let Some(spec) = spec else {
        return Ok(Profile::seedance2());
    };
    if let Some(p) = Profile::builtin(spec) {
        return Ok(p);
    }
    if spec.contains('=') || spec.contains('[') {
        return Profile::from_toml(spec).map_err(|e| e.to_string());
    }
    Err(format!(
        "unknown profile {spec:?} (built-in: {}; or TOML text, or an object with a profile's fields)",
        Profile::BUILTIN.join(", ")
    ))
}

/// A profile from the JSON of an object with the fields of a profile TOML
/// file; the fields it does not name keep `seedance2`'s values.
pub fn profile_from_json(json: &str) -> Result<Profile, String> {
    let p: Profile = serde_json::from_str(json).map_err(|e| format!("bad profile: {e}"))?;
    p.validate().map_err(|e| e.to_string())?;
    Ok(p)
}

fn profile_of(spec: &JsValue) -> Result<Profile, JsValue> {
    let p = if spec.is_undefined() || spec.is_null() {
        profile_from_str(None)
    } else if let Some(s) = spec.as_string() {
        profile_from_str(Some(&s))
    } else if spec.is_object() {
        let json = js_sys::JSON::stringify(spec)?;
        profile_from_json(&String::from(json))
    } else {
        return Err(type_error("profile must be a name, TOML text or an object"));
    };
    p.map_err(|e| js_sys::Error::new(&e).into())
}

fn json_to_js(json: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(json)
}

fn to_js<T: serde::Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    let json = serde_json::to_string(v).map_err(|e| js_sys::Error::new(&e.to_string()))?;
    json_to_js(&json)
}

/// Checks a file against a profile: the report `preflight check --format
/// json` gives for it. Reads only the ranges the headers need.
#[wasm_bindgen(unchecked_return_type = "Report")]
pub async fn check(
    #[wasm_bindgen(unchecked_param_type = "Blob | Uint8Array | ArrayBuffer")] file: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ProfileSpec | null")] profile: Option<JsValue>,
    #[wasm_bindgen(unchecked_optional_param_type = "CheckOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let profile = profile_of(&profile.unwrap_or(JsValue::UNDEFINED))?;
    let opts = read_options(&options.unwrap_or(JsValue::UNDEFINED))?;
    let name_of_file = match &file.dyn_ref::<js_sys::Object>() {
        Some(_) if !file.is_instance_of::<js_sys::Uint8Array>() => get(&file, "name")?.as_string(),
        _ => None,
    };
    let source = source_of(file)?;
    let p = probe_source(&source, &opts).await?;
    let name = opts.name.clone().or(name_of_file).unwrap_or_default();
    let report = FileReport::probed(name, p.bytes, p.result, Some(&p.head), &profile);
    to_js(&report)
}

/// Measures a file (no profile): what its headers say. Rejects with an
/// `Error` whose `rule` is the `file.*` rule id when the file cannot be
/// measured.
#[wasm_bindgen(unchecked_return_type = "MediaInfo")]
pub async fn probe(
    #[wasm_bindgen(unchecked_param_type = "Blob | Uint8Array | ArrayBuffer")] file: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CheckOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let opts = read_options(&options.unwrap_or(JsValue::UNDEFINED))?;
    let source = source_of(file)?;
    let p = probe_source(&source, &opts).await?;
    match p.result {
        Ok(info) => to_js(&info),
        Err(e) => {
            let err = js_sys::Error::new(&e.to_string());
            js_sys::Reflect::set(&err, &"rule".into(), &e.rule().id().into())?;
            Err(err.into())
        }
    }
}

/// The built-in profiles, `seedance2` (the default) first.
#[wasm_bindgen(unchecked_return_type = "ProfileInfo[]")]
pub fn profiles() -> Result<JsValue, JsValue> {
    to_js(&builtin_profiles())
}

/// The built-in profiles as data.
pub fn builtin_profiles() -> Vec<Profile> {
    Profile::BUILTIN
        .iter()
        .filter_map(|n| Profile::builtin(n))
        .collect()
}

/// One reference of a request, as JavaScript gives it.
#[derive(Debug, Deserialize)]
pub struct RequestItem {
    /// An asset id (`asset://` is added when missing).
    #[serde(default)]
    pub id: Option<String>,
    /// A URL taken as it is (`https://…`, `data:…`).
    #[serde(default)]
    pub url: Option<String>,
    /// `image`, `video` or `audio` (a report's `kind`).
    #[serde(default)]
    pub kind: Option<String>,
    /// `Image`, `Video` or `Audio` (the API's asset type).
    #[serde(default, rename = "type")]
    pub asset_type: Option<String>,
    /// Seconds, for video and audio.
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// Builds the bundle of `items` in `mode` with `text`, checks it against
/// the request limits of `profile`, and gives the JSON of a
/// `RequestReport`.
pub fn request_json(
    items: &[RequestItem],
    text: Option<String>,
    mode: Option<&str>,
    profile: &Profile,
) -> Result<String, String> {
    let mut bundle = Bundle::new(text);
    for (i, it) in items.iter().enumerate() {
        let named = it.asset_type.as_deref().or(it.kind.as_deref());
        let t = named.and_then(AssetType::parse).ok_or_else(|| {
            format!("item {i}: needs a kind (image, video, audio) or a type (Image, Video, Audio)")
        })?;
        let item = match (&it.id, &it.url) {
            (Some(id), None) if !id.is_empty() => Item::asset(id, t, it.duration_s),
            (None, Some(url)) if !url.is_empty() => {
                let mut item = Item::asset("", t, it.duration_s);
                item.url = url.clone();
                item
            }
            _ => return Err(format!("item {i}: give either an id or a url")),
        };
        bundle.push(item);
    }
    let mode: Mode = mode.unwrap_or("reference").parse()?;
    bundle.set_mode(mode);
    let report = bundle.check(&profile.request);
    let pass = report.violations.is_empty();
    let out = serde_json::json!({
        "verdict": if pass { "pass" } else { "fail" },
        "violations": report.violations,
        "warnings": report.warnings,
        "body_bytes": bundle.body_bytes(),
        "content": if pass { bundle.content() } else { serde_json::Value::Null },
    });
    Ok(out.to_string())
}

/// Applies the per-request rules (counts, total durations, mode, body
/// size) to a bundle of references and, when it passes, gives the ordered
/// `content` array of the generation request.
#[wasm_bindgen(unchecked_return_type = "RequestReport")]
pub fn request(
    #[wasm_bindgen(unchecked_param_type = "RequestItem[]")] items: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    if !js_sys::Array::is_array(&items) {
        return Err(type_error("items must be an array"));
    }
    let items_json = String::from(js_sys::JSON::stringify(&items)?);
    let items: Vec<RequestItem> =
        serde_json::from_str(&items_json).map_err(|e| type_error(&format!("bad item: {e}")))?;
    let options = options.unwrap_or(JsValue::UNDEFINED);
    let text = get(&options, "text")?.as_string();
    let mode = get(&options, "mode")?.as_string();
    let profile = profile_of(&get(&options, "profile")?)?;
    let json = request_json(&items, text, mode.as_deref(), &profile)
        .map_err(|e| JsValue::from(js_sys::Error::new(&e)))?;
    json_to_js(&json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, kind: &str, d: Option<f64>) -> RequestItem {
        RequestItem {
            id: Some(id.into()),
            url: None,
            kind: Some(kind.into()),
            asset_type: None,
            duration_s: d,
        }
    }

    #[test]
    fn profiles_by_name_toml_and_json() {
        assert_eq!(profile_from_str(None).unwrap().name, "seedance2");
        assert_eq!(profile_from_str(Some("veo3")).unwrap().name, "veo3");
        let err = profile_from_str(Some("nope")).unwrap_err();
        assert!(err.contains("seedance2") && err.contains("nope"), "{err}");
        let p = profile_from_str(Some("name = \"mine\"\n[image]\nmax_width = 1000\n")).unwrap();
        assert_eq!((p.name.as_str(), p.image.max_width), ("mine", 1000));
        let p = profile_from_json(r#"{"name":"j","video":{"max_duration_s":5}}"#).unwrap();
        assert_eq!((p.name.as_str(), p.video.max_duration_s), ("j", 5.0));
        // Unnamed fields keep seedance2's.
        assert_eq!(p.image.max_width, Profile::seedance2().image.max_width);
        assert!(profile_from_json(r#"{"image":{"min_width":10,"max_width":5}}"#).is_err());
        assert_eq!(builtin_profiles().len(), Profile::BUILTIN.len());
        assert_eq!(builtin_profiles()[0].name, "seedance2");
    }

    #[test]
    fn max_read_is_a_whole_positive_count() {
        assert_eq!(max_read(1024.0), Ok(1024));
        for bad in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY] {
            assert!(max_read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_orders_content_and_applies_the_rules() {
        let p = Profile::seedance2();
        let items = [
            item("vid", "video", Some(5.0)),
            item("img", "image", None),
            RequestItem {
                id: None,
                url: Some("https://example.com/a.mp3".into()),
                kind: None,
                asset_type: Some("Audio".into()),
                duration_s: Some(3.0),
            },
        ];
        let out: serde_json::Value =
            serde_json::from_str(&request_json(&items, Some("a cat".into()), None, &p).unwrap())
                .unwrap();
        assert_eq!(out["verdict"], "pass");
        let c = &out["content"];
        assert_eq!(c[0]["type"], "text");
        assert_eq!(c[1]["image_url"]["url"], "asset://img");
        assert_eq!(c[2]["role"], "reference_video");
        assert_eq!(c[3]["audio_url"]["url"], "https://example.com/a.mp3");

        // 20 s of video in one request: request.total_video_duration, no content.
        let long = [
            item("a", "video", Some(10.0)),
            item("b", "video", Some(10.0)),
        ];
        let out: serde_json::Value =
            serde_json::from_str(&request_json(&long, None, None, &p).unwrap()).unwrap();
        assert_eq!(out["verdict"], "fail");
        assert_eq!(out["violations"][0]["rule"], "request.total_video_duration");
        assert!(out["content"].is_null());

        // first-last mode gives the two images their roles.
        let two = [item("f", "image", None), item("l", "image", None)];
        let out: serde_json::Value =
            serde_json::from_str(&request_json(&two, None, Some("first-last"), &p).unwrap())
                .unwrap();
        assert_eq!(out["content"][0]["role"], "first_frame");
        assert_eq!(out["content"][1]["role"], "last_frame");
    }

    #[test]
    fn request_rejects_items_it_cannot_place() {
        let p = Profile::seedance2();
        let no_kind = [RequestItem {
            id: Some("x".into()),
            url: None,
            kind: None,
            asset_type: None,
            duration_s: None,
        }];
        assert!(request_json(&no_kind, None, None, &p)
            .unwrap_err()
            .contains("kind"));
        let unknown = [item("x", "unknown", None)];
        assert!(request_json(&unknown, None, None, &p).is_err());
        let both = [RequestItem {
            url: Some("https://e/x.png".into()),
            ..item("x", "image", None)
        }];
        assert!(request_json(&both, None, None, &p)
            .unwrap_err()
            .contains("either"));
        assert!(request_json(&[], None, Some("sideways"), &p).is_err());
    }

    #[test]
    fn a_report_from_bytes_is_the_cores() {
        // The byte path of `check` is the core's probe plus FileReport::probed.
        let gif = b"GIF89a\x40\x00\x30\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x40\x00\x30\x00\x00\x02\x02\x44\x01\x00\x3b";
        let r = FileReport::probed(
            "x.png",
            gif.len() as u64,
            probe_bytes(gif, &ProbeLimits::default()),
            Some(gif),
            &Profile::seedance2(),
        );
        let rules: Vec<&str> = r
            .violations
            .iter()
            .chain(&r.warnings)
            .map(|v| v.rule.id())
            .collect();
        assert!(rules.contains(&"file.extension_mismatch"), "{rules:?}");
        assert!(rules.contains(&"image.width"), "{rules:?}");
    }
}
