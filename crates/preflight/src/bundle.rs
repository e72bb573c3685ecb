//! The rules for one generation request's bundle of references (SPEC §1,
//! the `request.*` rule ids of SPEC §2) and its ordered `content` array.
//!
//! ```
//! use preflight::bundle::{Bundle, Item};
//! use preflight::bundle::AssetType;
//! use preflight::Profile;
//!
//! let mut b = Bundle::new(Some("a cat walks in".into()));
//! b.push(Item::asset("asset-2", AssetType::Video, Some(5.0)));
//! b.push(Item::asset("asset-1", AssetType::Image, None));
//! assert!(b.check(&Profile::seedance2().request).violations.is_empty());
//! let content = b.content();
//! assert_eq!(content[1]["type"], "image_url");
//! assert_eq!(content[1]["image_url"]["url"], "asset://asset-1");
//! assert_eq!(content[2]["role"], "reference_video");
//! ```

use crate::check::{fmt_num, Report, Violation};
use crate::info::Kind;
use crate::profile::RequestLimits;
use crate::rule::{Measure, Rule};
#[cfg(feature = "serde")]
use serde_json::{json, Value};
use std::fmt;

/// The service's asset type, fixed by the checked kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetType {
    /// `Image`, model `volc-asset`.
    Image,
    /// `Video`, model `volc-asset-video`.
    Video,
    /// `Audio`, model `volc-asset-audio`.
    Audio,
}

impl AssetType {
    /// The asset type for a kind; `None` for [`Kind::Unknown`].
    pub fn from_kind(kind: Kind) -> Option<AssetType> {
        match kind {
            Kind::Image => Some(AssetType::Image),
            Kind::Video => Some(AssetType::Video),
            Kind::Audio => Some(AssetType::Audio),
            Kind::Unknown => None,
        }
    }

    /// The `AssetType` value of the API (`"Image"`, `"Video"`, `"Audio"`).
    pub fn as_str(self) -> &'static str {
        match self {
            AssetType::Image => "Image",
            AssetType::Video => "Video",
            AssetType::Audio => "Audio",
        }
    }

    /// The `model` value of a create call for this type.
    pub fn model(self) -> &'static str {
        match self {
            AssetType::Image => MODEL_IMAGE,
            AssetType::Video => "volc-asset-video",
            AssetType::Audio => "volc-asset-audio",
        }
    }

    /// The matching [`Kind`].
    pub fn kind(self) -> Kind {
        match self {
            AssetType::Image => Kind::Image,
            AssetType::Video => Kind::Video,
            AssetType::Audio => Kind::Audio,
        }
    }

    /// Parses the API's value (`"Image"`, …; case-insensitive).
    pub fn parse(s: &str) -> Option<AssetType> {
        match s.to_ascii_lowercase().as_str() {
            "image" => Some(AssetType::Image),
            "video" => Some(AssetType::Video),
            "audio" => Some(AssetType::Audio),
            _ => None,
        }
    }
}

impl fmt::Display for AssetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `model` of images and of every group and list call.
pub const MODEL_IMAGE: &str = "volc-asset";

/// `asset://<ID>`, the reference a generation request uses.
pub fn asset_uri(id: &str) -> String {
    format!("asset://{id}")
}

/// The part an item plays in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// `reference_image`, `reference_video` or `reference_audio` by type.
    Reference,
    /// `first_frame`: the image the video starts from (images only; a mode
    /// of its own that does not mix with references).
    FirstFrame,
    /// `last_frame`: the image the video ends on (with a first frame only).
    LastFrame,
}

/// The request's mode: the service takes one at a time (SPEC §1); mixing
/// them is rejected, with a misleading error, so `check` says
/// `request.mode` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Multimodal reference: 0–9 images, 0–3 videos, 0–3 audio clips (or
    /// text only, with no item).
    #[default]
    Reference,
    /// One image, role `first_frame`.
    FirstFrame,
    /// Two images, roles `first_frame` and `last_frame`.
    FirstLast,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "reference" => Ok(Mode::Reference),
            "first-frame" => Ok(Mode::FirstFrame),
            "first-last" => Ok(Mode::FirstLast),
            other => Err(format!(
                "unknown mode {other:?} (reference, first-frame or first-last)"
            )),
        }
    }
}

/// One reference of the bundle.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Item {
    /// What goes into the `url` field: `asset://<ID>` or a URL.
    pub url: String,
    /// Image, video or audio.
    pub asset_type: AssetType,
    /// Duration in seconds, when known (video and audio).
    pub duration_s: Option<f64>,
    /// Its role.
    pub role: Role,
}

impl Item {
    /// A reference to an asset by id (`asset-…` or `asset://asset-…`).
    pub fn asset(id: &str, asset_type: AssetType, duration_s: Option<f64>) -> Item {
        let id = id.strip_prefix("asset://").unwrap_or(id);
        Item {
            url: asset_uri(id),
            asset_type,
            duration_s,
            role: Role::Reference,
        }
    }

    /// The same item as the first frame.
    pub fn as_first_frame(mut self) -> Item {
        self.role = Role::FirstFrame;
        self
    }

    /// The `role` value of the request: `first_frame`, `reference_image`,
    /// `reference_video` or `reference_audio`.
    pub fn role_name(&self) -> &'static str {
        match (self.role, self.asset_type) {
            (Role::FirstFrame, _) => "first_frame",
            (Role::LastFrame, _) => "last_frame",
            (Role::Reference, AssetType::Image) => "reference_image",
            (Role::Reference, AssetType::Video) => "reference_video",
            (Role::Reference, AssetType::Audio) => "reference_audio",
        }
    }

    /// The content item's `type`: `image_url`, `video_url` or `audio_url`.
    pub fn type_name(&self) -> &'static str {
        match self.asset_type {
            AssetType::Image => "image_url",
            AssetType::Video => "video_url",
            AssetType::Audio => "audio_url",
        }
    }

    #[cfg(feature = "serde")]
    fn to_json(&self) -> Value {
        let t = self.type_name();
        json!({ "type": t, t: { "url": self.url }, "role": self.role_name() })
    }
}

/// The text prompt and the references of one request.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Bundle {
    /// The prompt.
    pub text: Option<String>,
    /// The references, in the order given.
    pub items: Vec<Item>,
}

impl Bundle {
    /// A bundle with a prompt and no references.
    pub fn new(text: Option<String>) -> Bundle {
        Bundle {
            text,
            items: Vec::new(),
        }
    }

    /// Adds a reference.
    pub fn push(&mut self, item: Item) {
        self.items.push(item);
    }

    /// Gives the items the roles of `mode`: in `first-frame` mode the first
    /// image is the first frame; in `first-last` the first image is the
    /// first frame and the second the last; other items keep their role
    /// (and [`Bundle::check`] says `request.mode` when they do not fit).
    pub fn set_mode(&mut self, mode: Mode) {
        let roles: &[Role] = match mode {
            Mode::Reference => &[],
            Mode::FirstFrame => &[Role::FirstFrame],
            Mode::FirstLast => &[Role::FirstFrame, Role::LastFrame],
        };
        for i in self.items.iter_mut() {
            i.role = Role::Reference;
        }
        let images = self
            .items
            .iter_mut()
            .filter(|i| i.asset_type == AssetType::Image);
        for (item, role) in images.zip(roles) {
            item.role = *role;
        }
    }

    fn count(&self, t: AssetType) -> usize {
        self.items.iter().filter(|i| i.asset_type == t).count()
    }

    /// Checks the bundle against `limits`: the counts, the total video and
    /// audio durations (inclusive bounds), and audio needing an image or a
    /// video beside it. An unknown duration cannot be added up: it makes a
    /// warning under the duration rule, not a pass in silence. A first frame
    /// or last frame mixed with anything else breaks `request.mode`; a body
    /// of 64 MB or more, `request.body_size`.
    pub fn check(&self, limits: &RequestLimits) -> Report {
        let mut r = Report::default();
        let (images, videos, audios) = (
            self.count(AssetType::Image),
            self.count(AssetType::Video),
            self.count(AssetType::Audio),
        );
        for (rule, what, n, max) in [
            (
                Rule::RequestCountImages,
                "images",
                images,
                limits.max_images,
            ),
            (
                Rule::RequestCountVideos,
                "videos",
                videos,
                limits.max_videos,
            ),
            (
                Rule::RequestCountAudios,
                "audio clips",
                audios,
                limits.max_audios,
            ),
            (
                Rule::RequestCountTotal,
                "files",
                self.items.len(),
                limits.max_files,
            ),
        ] {
            if n > max as usize {
                r.violations.push(Violation::new(
                    rule,
                    Some(n.into()),
                    Some(max.into()),
                    format!("{n} {what} in one request; at most {max}"),
                ));
            }
        }
        for (rule, t, what, max) in [
            (
                Rule::RequestTotalVideoDuration,
                AssetType::Video,
                "video",
                limits.max_total_video_s,
            ),
            (
                Rule::RequestTotalAudioDuration,
                AssetType::Audio,
                "audio",
                limits.max_total_audio_s,
            ),
        ] {
            let of_type: Vec<&Item> = self.items.iter().filter(|i| i.asset_type == t).collect();
            let total: f64 = of_type.iter().filter_map(|i| i.duration_s).sum();
            let unknown: Vec<&str> = of_type
                .iter()
                .filter(|i| i.duration_s.is_none())
                .map(|i| i.url.as_str())
                .collect();
            if total > max {
                r.violations.push(Violation::new(
                    rule,
                    Some(Measure::Num((total * 1e6).round() / 1e6)),
                    Some(Measure::Num(max)),
                    format!(
                        "total {what} duration {} s is above the {} s limit",
                        fmt_num(total),
                        fmt_num(max)
                    ),
                ));
            }
            if !unknown.is_empty() {
                r.warnings.push(Violation::new(
                    rule,
                    None,
                    Some(Measure::Num(max)),
                    format!(
                        "duration unknown for {}: the {what} total is not verified",
                        unknown.join(", ")
                    ),
                ));
            }
        }
        if limits.audio_needs_visual && audios > 0 && images + videos == 0 {
            r.violations.push(Violation::new(
                Rule::RequestAudioOnly,
                Some(audios.into()),
                Some("at least one image or video".into()),
                "audio needs at least one image or video beside it",
            ));
        }
        let role = |x: Role| self.items.iter().filter(|i| i.role == x).count();
        let (first, last) = (role(Role::FirstFrame), role(Role::LastFrame));
        let n = self.items.len();
        let mode_error = match (first, last) {
            (0, 0) => None,
            (1, 0) if n == 1 => None,
            (1, 1) if n == 2 => None,
            (0, _) => Some("a last frame needs a first frame: use first-last mode with two images"),
            (1, 0) => Some("first-frame mode takes one image and nothing else"),
            (1, 1) => Some("first-last mode takes two images and nothing else"),
            _ => Some("a request has at most one first frame and one last frame"),
        };
        if let Some(why) = mode_error {
            r.violations.push(Violation::new(
                Rule::RequestMode,
                Some(n.into()),
                Some(Measure::Int(if last > 0 { 2 } else { 1 })),
                format!("{why}; references and frames are separate modes"),
            ));
        }
        let body = self.body_bytes();
        if body >= limits.max_body_bytes {
            r.violations.push(Violation::new(
                Rule::RequestBodySize,
                Some(body.into()),
                Some(limits.max_body_bytes.into()),
                format!(
                    "the request body would be {} (data URIs count in base64): not below the {} limit",
                    crate::check::human_bytes(body),
                    crate::check::human_bytes(limits.max_body_bytes)
                ),
            ));
        }
        r
    }

    /// Bytes the items (data URIs with their base64 size, as written) and
    /// the text add to the request body.
    pub fn body_bytes(&self) -> u64 {
        let urls: u64 = self.items.iter().map(|i| i.url.len() as u64).sum();
        urls + self.text.as_ref().map_or(0, |t| t.len() as u64)
    }

    /// The `content` array in the strict order text, image_url, video_url,
    /// audio_url (a first frame, then a last frame, before the reference images); within a type,
    /// the order given.
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    pub fn content(&self) -> Value {
        let mut out = Vec::with_capacity(self.items.len() + 1);
        if let Some(t) = &self.text {
            out.push(json!({ "type": "text", "text": t }));
        }
        let images = self
            .items
            .iter()
            .filter(|i| i.asset_type == AssetType::Image);
        for role in [Role::FirstFrame, Role::LastFrame, Role::Reference] {
            out.extend(images.clone().filter(|i| i.role == role).map(Item::to_json));
        }
        for t in [AssetType::Video, AssetType::Audio] {
            out.extend(
                self.items
                    .iter()
                    .filter(|i| i.asset_type == t)
                    .map(Item::to_json),
            );
        }
        Value::Array(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    fn limits() -> RequestLimits {
        Profile::seedance2().request
    }

    fn bundle(images: usize, videos: &[f64], audios: &[f64]) -> Bundle {
        let mut b = Bundle::new(Some("t".into()));
        for i in 0..images {
            b.push(Item::asset(&format!("asset-i{i}"), AssetType::Image, None));
        }
        for (i, d) in videos.iter().enumerate() {
            b.push(Item::asset(
                &format!("asset-v{i}"),
                AssetType::Video,
                Some(*d),
            ));
        }
        for (i, d) in audios.iter().enumerate() {
            b.push(Item::asset(
                &format!("asset-a{i}"),
                AssetType::Audio,
                Some(*d),
            ));
        }
        b
    }

    fn rules(r: &Report) -> Vec<&'static str> {
        r.violations.iter().map(|v| v.rule.id()).collect()
    }

    #[test]
    fn counts_are_inclusive() {
        let l = limits();
        assert_eq!(rules(&bundle(9, &[], &[]).check(&l)), Vec::<&str>::new());
        assert_eq!(
            rules(&bundle(10, &[], &[]).check(&l)),
            ["request.count.images"]
        );
        assert_eq!(
            rules(&bundle(1, &[2.0, 2.0, 2.0], &[]).check(&l)),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules(&bundle(1, &[2.0, 2.0, 2.0, 2.0], &[]).check(&l)),
            ["request.count.videos"]
        );
        assert_eq!(
            rules(&bundle(1, &[], &[2.0, 2.0, 2.0]).check(&l)),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules(&bundle(1, &[], &[2.0, 2.0, 2.0, 2.0]).check(&l)),
            ["request.count.audios"]
        );
        // 9 + 3 = 12 is fine; 9 + 3 + 1 = 13 is one too many in all.
        assert_eq!(
            rules(&bundle(9, &[2.0, 2.0, 2.0], &[]).check(&l)),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules(&bundle(9, &[2.0, 2.0, 2.0], &[2.0]).check(&l)),
            ["request.count.total"]
        );
        let v = &bundle(10, &[], &[]).check(&l).violations[0];
        assert_eq!(
            (v.actual.clone(), v.limit.clone()),
            (Some(Measure::Int(10)), Some(Measure::Int(9)))
        );
        assert_eq!(v.message, "10 images in one request; at most 9");
    }

    #[test]
    fn durations_add_up_inclusively() {
        let l = limits();
        assert_eq!(
            rules(&bundle(0, &[5.0, 5.0, 5.0], &[]).check(&l)),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules(&bundle(0, &[5.0, 5.0, 5.01], &[]).check(&l)),
            ["request.total_video_duration"]
        );
        assert_eq!(
            rules(&bundle(1, &[], &[7.5, 7.5]).check(&l)),
            Vec::<&str>::new()
        );
        let r = bundle(1, &[], &[7.5, 7.6]).check(&l);
        assert_eq!(rules(&r), ["request.total_audio_duration"]);
        assert_eq!(r.violations[0].actual, Some(Measure::Num(15.1)));
        assert_eq!(
            r.violations[0].message,
            "total audio duration 15.1 s is above the 15 s limit"
        );
    }

    #[test]
    fn unknown_duration_warns() {
        let mut b = bundle(1, &[3.0], &[]);
        b.push(Item::asset("asset-x", AssetType::Video, None));
        let r = b.check(&limits());
        assert!(r.violations.is_empty());
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].rule, "request.total_video_duration");
        assert!(r.warnings[0].message.contains("asset://asset-x"));
    }

    #[test]
    fn audio_needs_a_picture() {
        let l = limits();
        assert_eq!(
            rules(&bundle(0, &[], &[3.0]).check(&l)),
            ["request.audio_only"]
        );
        assert_eq!(
            rules(&bundle(0, &[3.0], &[3.0]).check(&l)),
            Vec::<&str>::new()
        );
        assert_eq!(rules(&bundle(1, &[], &[3.0]).check(&l)), Vec::<&str>::new());
        let mut relaxed = limits();
        relaxed.audio_needs_visual = false;
        assert_eq!(
            rules(&bundle(0, &[], &[3.0]).check(&relaxed)),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn content_is_ordered_text_image_video_audio() {
        let mut b = Bundle::new(Some("go".into()));
        b.push(Item::asset("a1", AssetType::Audio, Some(3.0)));
        b.push(Item::asset("v1", AssetType::Video, Some(3.0)));
        b.push(Item::asset("asset://i1", AssetType::Image, None));
        b.push(Item::asset("i2", AssetType::Image, None));
        b.push(Item::asset("v2", AssetType::Video, Some(3.0)));
        let c = b.content();
        let order: Vec<(&str, &str)> = c
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let t = x["type"].as_str().unwrap();
                let u = if t == "text" {
                    x["text"].as_str().unwrap()
                } else {
                    x[t]["url"].as_str().unwrap()
                };
                (t, u)
            })
            .collect();
        assert_eq!(
            order,
            [
                ("text", "go"),
                ("image_url", "asset://i1"),
                ("image_url", "asset://i2"),
                ("video_url", "asset://v1"),
                ("video_url", "asset://v2"),
                ("audio_url", "asset://a1"),
            ]
        );
        assert_eq!(
            c[1],
            json!({"type": "image_url", "image_url": {"url": "asset://i1"}, "role": "reference_image"})
        );
        assert_eq!(c[3]["role"], "reference_video");
        assert_eq!(c[5]["role"], "reference_audio");
        assert_eq!(Bundle::new(None).content(), json!([]));
    }

    #[test]
    fn modes_set_roles_and_do_not_mix() {
        let img = |id: &str| Item::asset(id, AssetType::Image, None);
        // first-last: two images, roles in the order given.
        let mut b = Bundle::new(Some("a day passes".into()));
        b.push(img("a"));
        b.push(img("b"));
        b.set_mode(Mode::FirstLast);
        assert!(b.check(&limits()).violations.is_empty());
        let c = b.content();
        assert_eq!(
            (c[1]["role"].as_str(), c[2]["role"].as_str()),
            (Some("first_frame"), Some("last_frame"))
        );
        // A reference video mixed in: request.mode.
        b.push(Item::asset("v", AssetType::Video, Some(5.0)));
        assert_eq!(rules(&b.check(&limits())), ["request.mode"]);
        // first-frame with two images: the second stays a reference, a mix.
        let mut b = Bundle::new(None);
        b.push(img("a"));
        b.push(img("b"));
        b.set_mode(Mode::FirstFrame);
        assert_eq!(rules(&b.check(&limits())), ["request.mode"]);
        // Back to reference mode: both are references again.
        b.set_mode(Mode::Reference);
        assert!(b.check(&limits()).violations.is_empty());
        assert_eq!("first-last".parse::<Mode>(), Ok(Mode::FirstLast));
        assert!("last".parse::<Mode>().is_err());
    }

    #[test]
    fn data_uris_count_against_the_body_size() {
        let mut b = Bundle::new(None);
        let uri = |n: usize| {
            let mut i = Item::asset("x", AssetType::Image, None);
            i.url = format!("data:image/png;base64,{}", "A".repeat(n));
            i
        };
        b.push(uri(40_000_000));
        assert!(b.check(&limits()).violations.is_empty());
        b.push(uri(24_000_000));
        let r = b.check(&limits());
        assert_eq!(rules(&r), ["request.body_size"]);
        assert!(
            r.violations[0].message.contains("64.0 MB"),
            "{}",
            r.violations[0].message
        );
    }

    #[test]
    fn first_frame_is_its_own_mode() {
        let mut b = Bundle::new(Some("go".into()));
        b.push(Item::asset("i1", AssetType::Image, None).as_first_frame());
        assert!(b.check(&limits()).violations.is_empty());
        assert_eq!(b.content()[1]["role"], "first_frame");
        b.push(Item::asset("i2", AssetType::Image, None));
        assert_eq!(rules(&b.check(&limits())), ["request.mode"]);
        let c = b.content();
        assert_eq!(
            (c[1]["role"].as_str(), c[2]["role"].as_str()),
            (Some("first_frame"), Some("reference_image"))
        );
    }
}
