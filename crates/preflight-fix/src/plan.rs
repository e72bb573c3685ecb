//! Planning repairs: a pure function of a [`MediaInfo`], a [`Profile`] and
//! [`FixOptions`]. A [`FixPlan`] can be printed, compared in tests and then
//! applied ([`crate::apply`]).
//!
//! Geometry follows SPEC §6: too many pixels → scale by
//! s = √(max_pixels ÷ (W×H)) and round each side down (to an even number for
//! video); too few → scale up and round up. Width, height and aspect bounds of
//! the profile are honoured at the same time ([`fit`]).

use crate::error::NotRepairable;
use preflight::{check, fmt_num, human_bytes, Format, Kind, MediaInfo, Profile, Rational};
use serde::Serialize;
use std::fmt;

/// What to do with an aspect ratio outside the profile's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AspectMode {
    /// Letterbox: add bars of [`FixOptions::pad_color`] (nothing is lost).
    #[default]
    Pad,
    /// Centre crop (part of the picture is lost).
    Crop,
}

/// Which part of a too-long clip to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TrimMode {
    /// Keep the beginning.
    #[default]
    Start,
    /// Keep the middle.
    Middle,
    /// Keep the end.
    End,
}

/// An image format the repair can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ImageTarget {
    /// JPEG (lossy; quality stepped down to fit the size limit).
    Jpeg,
    /// PNG (lossless).
    Png,
    /// WebP (lossless: the pure-Rust encoder has no lossy mode).
    Webp,
}

impl ImageTarget {
    /// The [`Format`] written.
    pub fn format(self) -> Format {
        match self {
            ImageTarget::Jpeg => Format::Jpeg,
            ImageTarget::Png => Format::Png,
            ImageTarget::Webp => Format::Webp,
        }
    }
}

/// Options of a repair (the `preflight fix` flags).
///
/// Build them from the defaults:
/// `FixOptions::new().aspect(AspectMode::Crop).pad_audio(true)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FixOptions {
    /// Aspect ratio outside the bounds: pad (default) or crop.
    pub aspect: AspectMode,
    /// Colour of the bars added by [`AspectMode::Pad`] (default black, as a letterbox).
    pub pad_color: [u8; 3],
    /// Output image format; `None` keeps an accepted input format (else JPEG, or PNG with alpha).
    pub to: Option<ImageTarget>,
    /// First JPEG quality tried when re-encoding (default 90).
    pub quality: u8,
    /// Lowest JPEG quality tried to get under the size limit (default 60).
    pub min_quality: u8,
    /// Which part of a too-long audio clip to keep (default the start).
    pub trim: TrimMode,
    /// Pad too-short audio with silence instead of reporting it as not repairable.
    pub pad_audio: bool,
    /// The budget of each repair.
    pub limits: crate::FixLimits,
}

impl Default for FixOptions {
    fn default() -> Self {
        FixOptions {
            aspect: AspectMode::Pad,
            pad_color: [0, 0, 0],
            to: None,
            quality: 90,
            min_quality: 60,
            trim: TrimMode::Start,
            pad_audio: false,
            limits: crate::FixLimits::default(),
        }
    }
}

impl FixOptions {
    /// The defaults (those of `preflight fix` without flags).
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        aspect: AspectMode;
        /// RGB.
        pad_color: [u8; 3];
        to: Option<ImageTarget>;
        quality: u8;
        min_quality: u8;
        trim: TrimMode;
        pad_audio: bool;
        limits: crate::FixLimits;
    }
}

/// A width × height pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Size {
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
}

impl Size {
    /// `w × h`.
    pub fn new(w: u32, h: u32) -> Size {
        Size { w, h }
    }

    /// Pixel count.
    pub fn pixels(self) -> u64 {
        self.w as u64 * self.h as u64
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}", self.w, self.h)
    }
}

/// A rectangle inside a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// One repair step, in the order it is applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// The file cannot be repaired; nothing is written.
    NotRepairable {
        /// Why (serialized as the sentence people read).
        reason: NotRepairable,
    },
    /// Decode a type the service does not take and write another.
    Convert {
        /// Input format.
        from: Format,
        /// Output format.
        to: Format,
        /// Images: write PNG instead when the picture has transparency.
        png_if_alpha: bool,
    },
    /// Turn the pixels as the EXIF orientation says and drop the tag.
    Orient {
        /// Clockwise degrees.
        rotation: u32,
        /// Mirrored.
        mirrored: bool,
    },
    /// Centre crop to an aspect ratio inside the bounds.
    Crop {
        /// Size before.
        from: Size,
        /// The kept rectangle.
        rect: Rect,
    },
    /// Scale (Lanczos3 for images, ffmpeg's bicubic for video).
    Resize {
        /// Size before.
        from: Size,
        /// Size after.
        to: Size,
    },
    /// Letterbox onto a larger canvas, centred.
    Pad {
        /// Size before.
        from: Size,
        /// Canvas size.
        to: Size,
        /// Bar colour.
        color: [u8; 3],
    },
    /// Encode the picture; JPEG quality is stepped down until the file is
    /// under `max_bytes`, never below `min_quality`. A lossless format
    /// whose size cannot be known before encoding (PNG, WebP lossless,
    /// TIFF) and that comes out over `max_bytes` is written as JPEG instead
    /// when the picture has no transparency; the report's actions say so.
    Reencode {
        /// Output format.
        format: Format,
        /// First quality tried (JPEG).
        quality: u8,
        /// Lowest quality allowed (JPEG).
        min_quality: u8,
        /// Strict size bound.
        max_bytes: u64,
    },
    /// Keep part of a too-long clip.
    Trim {
        /// Duration before.
        from_s: f64,
        /// Duration after.
        to_s: f64,
        /// Which part is kept.
        keep: TrimMode,
    },
    /// Add silence at the end of a too-short clip.
    PadAudio {
        /// Duration before.
        from_s: f64,
        /// Duration after.
        to_s: f64,
    },
    /// Write a copy in another container without re-encoding (MOV → MP4).
    Remux {
        /// Input container.
        from: Format,
        /// Output container.
        to: Format,
    },
    /// Re-encode only a video's audio track as AAC; the video stream is
    /// copied (ffmpeg `-c:v copy -c:a aac`).
    ReencodeAudio {
        /// The audio track's codec before (`opus`, `ac-3`, …).
        from: String,
    },
    /// Re-encode a video as H.264 yuv420p MP4 with AAC audio, through ffmpeg.
    ReencodeVideo {
        /// Output size (even).
        size: Option<Size>,
        /// Output frame rate; `None` keeps the input's.
        #[serde(serialize_with = "ser_fps")]
        fps: Option<Rational>,
        /// Video bit rate cap in bit/s, to get under the size limit.
        max_bitrate: Option<u64>,
    },
}

fn ser_fps<S: serde::Serializer>(r: &Option<Rational>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => s.serialize_f64(r.to_f64()),
        None => s.serialize_none(),
    }
}

fn fmt_s(v: f64) -> String {
    format!("{v:.1} s")
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let up = |x: &Format| x.name().to_uppercase();
        match self {
            Step::NotRepairable { reason } => write!(f, "not repairable: {reason}"),
            Step::Convert {
                from,
                to,
                png_if_alpha,
            } => {
                write!(f, "convert {} → {}", up(from), up(to))?;
                if *png_if_alpha {
                    f.write_str(" (PNG if transparent)")?;
                }
                Ok(())
            }
            Step::Orient { rotation, mirrored } => {
                write!(f, "apply orientation (rotate {rotation}°")?;
                if *mirrored {
                    f.write_str(", mirror")?;
                }
                f.write_str(")")
            }
            Step::Crop { from, rect } => write!(
                f,
                "crop {from} → {}×{} at ({}, {})",
                rect.w, rect.h, rect.x, rect.y
            ),
            Step::Resize { from, to } => write!(f, "resize {from} → {to}"),
            Step::Pad { from, to, color } => write!(
                f,
                "pad {from} → {to} with #{:02x}{:02x}{:02x}",
                color[0], color[1], color[2]
            ),
            Step::Reencode {
                format,
                quality,
                min_quality,
                max_bytes,
            } => {
                if *format == Format::Jpeg {
                    write!(
                        f,
                        "re-encode JPEG q={quality} (down to q={min_quality} to get under {})",
                        human_bytes(*max_bytes)
                    )
                } else {
                    write!(f, "re-encode {}", up(format))
                }
            }
            Step::Trim { from_s, to_s, keep } => {
                let part = match keep {
                    TrimMode::Start => "start",
                    TrimMode::Middle => "middle",
                    TrimMode::End => "end",
                };
                write!(
                    f,
                    "trim {} → {} (keep the {part})",
                    fmt_s(*from_s),
                    fmt_s(*to_s)
                )
            }
            Step::PadAudio { from_s, to_s } => {
                write!(f, "pad with silence {} → {}", fmt_s(*from_s), fmt_s(*to_s))
            }
            Step::Remux { from, to } => write!(f, "remux {} → {}", up(from), up(to)),
            Step::ReencodeAudio { from } => {
                write!(f, "re-encode the audio track {from} → AAC (video copied)")
            }
            Step::ReencodeVideo {
                size,
                fps,
                max_bitrate,
            } => {
                f.write_str("re-encode H.264 yuv420p MP4 + AAC")?;
                if let Some(s) = size {
                    write!(f, " at {s}")?;
                }
                if let Some(r) = fps {
                    write!(f, ", {} fps", fmt_num(r.to_f64()))?;
                }
                if let Some(b) = max_bitrate {
                    write!(f, ", ≤ {} kbit/s", b / 1000)?;
                }
                Ok(())
            }
        }
    }
}

/// The repairs for one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FixPlan {
    /// Image, video or audio.
    pub kind: Kind,
    /// Input format.
    pub input: Format,
    /// Output format (`None` when there is nothing to do or nothing can be done).
    pub output: Option<Format>,
    /// Steps in order; empty when the file already passes.
    pub steps: Vec<Step>,
    /// Whether applying needs `ffmpeg` on PATH.
    pub needs_ffmpeg: bool,
}

impl FixPlan {
    fn not_repairable(info: &MediaInfo, reason: NotRepairable) -> FixPlan {
        FixPlan {
            kind: info.kind,
            input: info.format,
            output: None,
            steps: vec![Step::NotRepairable { reason }],
            needs_ffmpeg: false,
        }
    }

    /// Nothing to do: the file already passes.
    pub fn is_noop(&self) -> bool {
        self.steps.is_empty()
    }

    /// Why the file cannot be repaired, if it cannot.
    pub fn not_repairable_reason(&self) -> Option<&NotRepairable> {
        self.steps.iter().find_map(|s| match s {
            Step::NotRepairable { reason } => Some(reason),
            _ => None,
        })
    }
}

impl fmt::Display for FixPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("nothing to do");
        }
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// The bounds a repaired picture must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bounds {
    /// Inclusive width bounds.
    pub min_w: u32,
    /// Inclusive.
    pub max_w: u32,
    /// Inclusive height bounds.
    pub min_h: u32,
    /// Inclusive.
    pub max_h: u32,
    /// Inclusive aspect (width / height) bounds.
    pub min_aspect: f64,
    /// Inclusive.
    pub max_aspect: f64,
    /// Inclusive pixel count bounds.
    pub min_pixels: u64,
    /// Inclusive.
    pub max_pixels: u64,
    /// Both sides must be even (H.264 yuv420p).
    pub even: bool,
}

impl Bounds {
    /// The image bounds of a profile.
    pub fn image(p: &Profile) -> Bounds {
        let l = &p.image;
        Bounds {
            min_w: l.min_width,
            max_w: l.max_width,
            min_h: l.min_height,
            max_h: l.max_height,
            min_aspect: l.min_aspect,
            max_aspect: l.max_aspect,
            min_pixels: 0,
            max_pixels: u64::MAX,
            even: false,
        }
    }

    /// The video bounds of a profile (even sides).
    pub fn video(p: &Profile) -> Bounds {
        let l = &p.video;
        Bounds {
            min_w: l.min_width,
            max_w: l.max_width,
            min_h: l.min_height,
            max_h: l.max_height,
            min_aspect: l.min_aspect,
            max_aspect: l.max_aspect,
            min_pixels: l.min_pixels,
            max_pixels: l.max_pixels,
            even: true,
        }
    }

    /// Whether `s` meets every bound (the same comparisons as [`preflight::check`]).
    pub fn contains(&self, s: Size) -> bool {
        if s.w == 0 || s.h == 0 {
            return false;
        }
        let a = s.w as f64 / s.h as f64;
        (self.min_w..=self.max_w).contains(&s.w)
            && (self.min_h..=self.max_h).contains(&s.h)
            && a >= self.min_aspect
            && a <= self.max_aspect
            && (self.min_pixels..=self.max_pixels).contains(&s.pixels())
            && (!self.even || (s.w % 2 == 0 && s.h % 2 == 0))
    }
}

/// How a picture of some size is brought inside [`Bounds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Geometry {
    /// Input size.
    pub input: Size,
    /// Centre crop of the input, if any.
    pub crop: Option<Rect>,
    /// Size the (cropped) input is scaled to; equal to the crop/input size when not scaled.
    pub scaled: Size,
    /// Final canvas (bigger than `scaled` only when padding).
    pub canvas: Size,
}

impl Geometry {
    /// Whether the picture is left as it is.
    pub fn is_identity(&self) -> bool {
        self.crop.is_none() && self.scaled == self.input && self.canvas == self.input
    }

    /// The geometry that the plan's `Crop`, `Resize` and `Pad` steps carry
    /// out (`None` without such steps).
    pub fn from_steps(steps: &[Step]) -> Option<Geometry> {
        let whole = |s: Size| Geometry {
            input: s,
            crop: None,
            scaled: s,
            canvas: s,
        };
        let mut g: Option<Geometry> = None;
        for s in steps {
            match *s {
                Step::Crop { from, rect } => {
                    let r = Size::new(rect.w, rect.h);
                    g = Some(Geometry {
                        input: from,
                        crop: Some(rect),
                        scaled: r,
                        canvas: r,
                    });
                }
                Step::Resize { from, to } => {
                    let mut x = g.unwrap_or(whole(from));
                    x.scaled = to;
                    x.canvas = to;
                    g = Some(x);
                }
                Step::Pad { from, to, .. } => {
                    let mut x = g.unwrap_or(whole(from));
                    x.canvas = to;
                    g = Some(x);
                }
                _ => {}
            }
        }
        g
    }

    /// The steps that carry this geometry out.
    pub fn steps(&self, color: [u8; 3]) -> Vec<Step> {
        let mut v = Vec::new();
        let mut cur = self.input;
        if let Some(rect) = self.crop {
            v.push(Step::Crop { from: cur, rect });
            cur = Size::new(rect.w, rect.h);
        }
        if self.scaled != cur {
            v.push(Step::Resize {
                from: cur,
                to: self.scaled,
            });
            cur = self.scaled;
        }
        if self.canvas != cur {
            v.push(Step::Pad {
                from: cur,
                to: self.canvas,
                color,
            });
        }
        v
    }
}

/// Candidate integer sides near `x`, within `[lo, hi]` (even ones when `even`).
fn candidates(x: f64, lo: u32, hi: u32, even: bool) -> Vec<u32> {
    let step = if even { 2i64 } else { 1 };
    let base = if even {
        ((x / 2.0).floor() as i64) * 2
    } else {
        x.floor() as i64
    };
    let mut v: Vec<u32> = (-2..=3)
        .map(|k| base + k * step)
        .filter(|&c| c >= lo as i64 && c <= hi as i64 && c > 0)
        .map(|c| c as u32)
        .collect();
    // The bounds themselves (rounded inwards to even), for values clamped at a bound.
    for b in [lo, hi] {
        let b = if even && b % 2 == 1 {
            if b == lo {
                b.saturating_add(1)
            } else {
                b - 1
            }
        } else {
            b
        };
        if b >= lo && b <= hi && b > 0 && !v.contains(&b) {
            v.push(b);
        }
    }
    v
}

/// Rounds down (or up) to an integer, even when `even`, forgiving float noise.
fn round_dir(x: f64, up: bool, even: bool) -> i64 {
    let step = if even { 2.0 } else { 1.0 };
    let v = x / step;
    let r = if up {
        (v - 1e-6).ceil()
    } else {
        (v + 1e-6).floor()
    };
    (r * step) as i64
}

/// Chooses an integer size inside `b` near the real size `tw × th`. First
/// the SPEC §6 rounding: each side down (to even for video) when scaling
/// down, up when scaling up (or when only padding). If that breaks a bound
/// or the aspect ratio by more than a pixel's worth, the nearby size with
/// the closest aspect ratio, then the closest to the target.
fn round_size(tw: f64, th: f64, aspect: f64, up: bool, b: &Bounds) -> Option<Size> {
    // One pixel's worth of aspect ratio change.
    let tol = 1.0 / tw.min(th).max(1.0);
    let aerr = |s: Size| ((s.w as f64 / s.h as f64) / aspect).ln().abs();
    let (sw, sh) = (round_dir(tw, up, b.even), round_dir(th, up, b.even));
    if sw > 0 && sh > 0 && sw <= u32::MAX as i64 && sh <= u32::MAX as i64 {
        let s = Size::new(sw as u32, sh as u32);
        if b.contains(s) && aerr(s) <= tol {
            return Some(s);
        }
    }
    let ws = candidates(tw, b.min_w, b.max_w, b.even);
    let hs = candidates(th, b.min_h, b.max_h, b.even);
    let mut best: Option<(f64, f64, Size)> = None;
    for &w in &ws {
        for &h in &hs {
            let s = Size::new(w, h);
            if !b.contains(s) {
                continue;
            }
            // Prefer the rounding direction of the scale, then the nearest.
            let dir = |c: u32, t: f64| {
                let d = c as f64 - t;
                let wrong = if up { d < -1e-6 } else { d > 1e-6 };
                d.abs() + if wrong { 0.5 } else { 0.0 }
            };
            let key = ((aerr(s) / tol).floor(), dir(w, tw) + dir(h, th));
            if best.is_none_or(|(a, d, _)| key < (a, d)) {
                best = Some((key.0, key.1, s));
            }
        }
    }
    best.map(|(_, _, s)| s)
}

/// Plans how to bring a `w × h` picture inside `b`: crop or pad the aspect
/// ratio into bounds, then scale into the size and pixel bounds. `None` when
/// no size satisfies the bounds (a contradictory profile).
pub(crate) fn fit(w: u32, h: u32, b: &Bounds, mode: AspectMode) -> Option<Geometry> {
    if w == 0 || h == 0 {
        return None;
    }
    let input = Size::new(w, h);
    if b.contains(input) {
        return Some(Geometry {
            input,
            crop: None,
            scaled: input,
            canvas: input,
        });
    }
    let a = w as f64 / h as f64;
    // The aspect ratios a picture can have: the profile's bounds, narrowed by
    // the side bounds (with sides in 269..=369, nothing narrower than 269/369
    // fits). A picture outside them is cropped or padded, even when its own
    // aspect is inside the profile's bounds.
    let min_aspect = b.min_aspect.max(b.min_w as f64 / b.max_h as f64);
    let max_aspect = b.max_aspect.min(b.max_w as f64 / b.min_h as f64);
    if min_aspect > max_aspect || min_aspect.is_nan() || max_aspect.is_nan() {
        return None;
    }
    let target_aspect = a.clamp(min_aspect, max_aspect);
    // The frame in input pixels after the aspect fix: the cropped area, or the padded canvas.
    let (fw, fh, crop) = if a > max_aspect || a < min_aspect {
        match mode {
            AspectMode::Crop => {
                let (cw, ch) = if a > max_aspect {
                    ((h as f64 * target_aspect).floor().max(1.0) as u32, h)
                } else {
                    (w, (w as f64 / target_aspect).floor().max(1.0) as u32)
                };
                let rect = Rect {
                    x: (w - cw.min(w)) / 2,
                    y: (h - ch.min(h)) / 2,
                    w: cw.min(w),
                    h: ch.min(h),
                };
                (rect.w as f64, rect.h as f64, Some(rect))
            }
            AspectMode::Pad => {
                if a > max_aspect {
                    (w as f64, w as f64 / target_aspect, None)
                } else {
                    (h as f64 * target_aspect, h as f64, None)
                }
            }
        }
    } else {
        (w as f64, h as f64, None)
    };
    // Scale range that meets every size bound.
    let px = fw * fh;
    let lo = (b.min_w as f64 / fw)
        .max(b.min_h as f64 / fh)
        .max((b.min_pixels as f64 / px).sqrt());
    let hi = (b.max_w as f64 / fw)
        .min(b.max_h as f64 / fh)
        .min((b.max_pixels as f64 / px).sqrt());
    if lo.is_nan() || hi.is_nan() || lo > hi * (1.0 + 1e-9) {
        return None;
    }
    let s = 1.0f64.clamp(lo, hi.max(lo));
    let up = s >= 1.0;
    let padded = crop.is_none() && ((fw - w as f64).abs() > 1e-9 || (fh - h as f64).abs() > 1e-9);
    if padded {
        if let Some(g) = pad_exact(input, s, up, b) {
            return Some(g);
        }
    }
    let canvas = round_size(fw * s, fh * s, fw / fh, up, b)?;
    // The picture inside the canvas.
    let (scaled, crop) = match crop {
        Some(rect) => (canvas, Some(rect)),
        None => {
            let (iw, ih) = (w as f64, h as f64);
            // Scale the picture by the factor that maps the frame onto the canvas.
            let k = (canvas.w as f64 / fw).min(canvas.h as f64 / fh);
            let sw = ((iw * k).round() as u32).clamp(1, canvas.w);
            let sh = ((ih * k).round() as u32).clamp(1, canvas.h);
            // When the frame was not padded, the picture fills the canvas.
            if (fw - iw).abs() < 1e-9 && (fh - ih).abs() < 1e-9 {
                (canvas, None)
            } else {
                (Size::new(sw, sh), None)
            }
        }
    };
    Some(Geometry {
        input,
        crop,
        scaled,
        canvas,
    })
}

/// Letterboxing without needless resampling: the picture is scaled by `s`
/// (not at all when `s` is 1) and the canvas is the smallest one around it
/// whose aspect ratio (and evenness) meets the bounds. `None` when that
/// canvas breaks another bound; [`fit`] then rounds the padded frame instead.
fn pad_exact(input: Size, s: f64, up: bool, b: &Bounds) -> Option<Geometry> {
    let scaled = if s == 1.0 {
        input
    } else {
        let w = round_dir(input.w as f64 * s, up, false).max(1);
        let h = round_dir(input.h as f64 * s, up, false).max(1);
        Size::new(u32::try_from(w).ok()?, u32::try_from(h).ok()?)
    };
    const MAX_SIDE: f64 = 1_000_000.0;
    if !(b.max_aspect > 0.0 && b.min_aspect.is_finite() && b.max_aspect.is_finite()) {
        return None;
    }
    if scaled.w as f64 > MAX_SIDE || scaled.h as f64 > MAX_SIDE {
        return None;
    }
    let even = |v: u32| if b.even { v + v % 2 } else { v };
    let (mut cw, mut ch) = (even(scaled.w), even(scaled.h));
    let a = cw as f64 / ch as f64;
    let step = if b.even { 2 } else { 1 };
    if a > b.max_aspect {
        let t = (cw as f64 / b.max_aspect - 1e-9).ceil();
        if t > MAX_SIDE {
            return None;
        }
        ch = even(t as u32);
        for _ in 0..4 {
            if (cw as f64 / ch as f64) <= b.max_aspect {
                break;
            }
            ch += step;
        }
    } else if a < b.min_aspect {
        let t = (ch as f64 * b.min_aspect - 1e-9).ceil();
        if t > MAX_SIDE {
            return None;
        }
        cw = even(t as u32);
        for _ in 0..4 {
            if (cw as f64 / ch as f64) >= b.min_aspect {
                break;
            }
            cw += step;
        }
    }
    let canvas = Size::new(cw, ch);
    b.contains(canvas).then_some(Geometry {
        input,
        crop: None,
        scaled,
        canvas,
    })
}

fn accepted(formats: &[Format], f: Format) -> bool {
    formats.contains(&f)
}

/// Formats we can decode without a system library (through the `image` crate).
fn image_decodable(f: Format) -> bool {
    matches!(
        f,
        Format::Jpeg
            | Format::Png
            | Format::Gif
            | Format::Webp
            | Format::Bmp
            | Format::Tiff
            | Format::Ico
            | Format::Psd
            | Format::OtherImage("tga" | "qoi" | "pnm" | "exr" | "hdr")
    )
}

/// Formats decoded through ffmpeg when it is present (no pure-Rust decoder here).
fn image_needs_ffmpeg(f: Format) -> bool {
    matches!(f, Format::Avif | Format::Jxl)
}

/// Formats that may carry transparency worth keeping.
fn may_have_alpha(f: Format) -> bool {
    matches!(
        f,
        Format::Png
            | Format::Gif
            | Format::Webp
            | Format::Tiff
            | Format::Ico
            | Format::Avif
            | Format::Jxl
            | Format::Psd
            | Format::Heic
            | Format::Heif
            | Format::OtherImage("tga" | "qoi")
    )
}

/// Plans the repairs of one file. Pure: reads nothing, writes nothing.
///
/// A file that already passes gets an empty plan. Sizes are planned from
/// `info`; when `info` lacks them (a type the probe does not read, such as
/// AVIF or FLAC), the plan names the conversion and [`crate::apply`]
/// plans the geometry or duration again from the decoded data.
pub fn plan(info: &MediaInfo, profile: &Profile, opts: &FixOptions) -> FixPlan {
    match info.kind {
        Kind::Image => plan_image(info, profile, opts),
        Kind::Video => plan_video(info, profile, opts),
        Kind::Audio => plan_audio(info, profile, opts),
        Kind::Unknown => {
            if info.bytes == 0 {
                FixPlan::not_repairable(info, NotRepairable::Empty)
            } else {
                FixPlan::not_repairable(info, NotRepairable::UnknownType)
            }
        }
    }
}

/// Plans how to bring a `w × h` picture to exactly one of `sizes` (a
/// provider that takes only the output size, such as Sora): the size whose
/// aspect ratio is nearest the picture's (then the nearest in area), reached
/// by cropping or padding the aspect and scaling. A picture already of one
/// of the sizes is left as it is.
pub(crate) fn fit_exact(w: u32, h: u32, sizes: &[[u32; 2]], mode: AspectMode) -> Option<Geometry> {
    if w == 0 || h == 0 {
        return None;
    }
    let a = w as f64 / h as f64;
    let area = w as f64 * h as f64;
    let key = |&[tw, th]: &[u32; 2]| {
        let aspect = ((tw as f64 / th as f64) / a).ln().abs();
        let scale = ((tw as f64 * th as f64) / area).ln().abs();
        (aspect, scale)
    };
    let [tw, th] = *sizes
        .iter()
        .filter(|[tw, th]| *tw > 0 && *th > 0)
        .min_by(|x, y| {
            key(x)
                .partial_cmp(&key(y))
                .unwrap_or(std::cmp::Ordering::Equal)
        })?;
    let input = Size::new(w, h);
    let target = Size::new(tw, th);
    let ta = tw as f64 / th as f64;
    // Built directly, not through `fit`: a crop rounded to whole pixels
    // rarely has the exact aspect, and the last fraction of a pixel is
    // taken up by the scale to the exact size.
    let g = match mode {
        AspectMode::Crop => {
            let (cw, ch) = if a > ta {
                (((h as f64 * ta).round() as u32).clamp(1, w), h)
            } else {
                (w, ((w as f64 / ta).round() as u32).clamp(1, h))
            };
            let crop = (cw, ch) != (w, h);
            Geometry {
                input,
                crop: crop.then(|| Rect {
                    x: (w - cw) / 2,
                    y: (h - ch) / 2,
                    w: cw,
                    h: ch,
                }),
                scaled: target,
                canvas: target,
            }
        }
        AspectMode::Pad => {
            let k = (tw as f64 / w as f64).min(th as f64 / h as f64);
            let sw = ((w as f64 * k).round() as u32).clamp(1, tw);
            let sh = ((h as f64 * k).round() as u32).clamp(1, th);
            Geometry {
                input,
                crop: None,
                scaled: Size::new(sw, sh),
                canvas: target,
            }
        }
    };
    Some(g)
}

fn plan_image(info: &MediaInfo, p: &Profile, opts: &FixOptions) -> FixPlan {
    let report = check(info, p);
    let needs_convert = !info.format.is_supported() || !accepted(&p.image.formats, info.format);
    let forced = opts.to.is_some_and(|t| t.format() != info.format);
    if report.violations.is_empty() && !forced {
        return FixPlan {
            kind: info.kind,
            input: info.format,
            output: None,
            steps: Vec::new(),
            needs_ffmpeg: false,
        };
    }
    let mut needs_ffmpeg = false;
    match info.format {
        Format::Heic | Format::Heif if !cfg!(feature = "heif") => {
            return FixPlan::not_repairable(info, NotRepairable::NeedsHeifFeature);
        }
        f if image_needs_ffmpeg(f) => needs_ffmpeg = true,
        f if image_decodable(f) || matches!(f, Format::Heic | Format::Heif) => {}
        f => return FixPlan::not_repairable(info, NotRepairable::NoDecoder(f)),
    }
    if info.frames.is_some_and(|n| n > 1) && info.format != Format::Gif {
        return FixPlan::not_repairable(info, NotRepairable::Animated(info.format));
    }
    // Output format.
    let keepable = matches!(
        info.format,
        Format::Jpeg | Format::Png | Format::Gif | Format::Webp | Format::Bmp | Format::Tiff
    ) && !needs_convert;
    let (output, png_if_alpha) = match opts.to {
        Some(t) => (t.format(), false),
        None if keepable => (info.format, false),
        None => (Format::Jpeg, may_have_alpha(info.format)),
    };
    let mut steps = Vec::new();
    if output != info.format {
        steps.push(Step::Convert {
            from: info.format,
            to: output,
            png_if_alpha,
        });
    }
    if info.rotation.is_some_and(|r| r != 0) || info.mirrored {
        steps.push(Step::Orient {
            rotation: info.rotation.unwrap_or(0),
            mirrored: info.mirrored,
        });
    }
    if let (Some(w), Some(h)) = (info.width, info.height) {
        let g = if p.image.sizes.is_empty() {
            fit(w, h, &Bounds::image(p), opts.aspect)
        } else {
            fit_exact(w, h, &p.image.sizes, opts.aspect)
        };
        match g {
            Some(g) => steps.extend(g.steps(opts.pad_color)),
            None => return FixPlan::not_repairable(info, NotRepairable::ImageBoundsUnreachable),
        }
    }
    // An uncompressed BMP's size is known before it is written: one that
    // cannot fit under the limit is planned as JPEG, as the encoder would
    // otherwise decide on its own (the plan says what is applied).
    let mut output = output;
    if output == Format::Bmp {
        if let Some((w, h)) = final_size(info, &steps) {
            let row = (u64::from(w) * 3).div_ceil(4) * 4;
            if 54 + row * u64::from(h) >= p.image.max_bytes
                && accepted(&p.image.formats, Format::Jpeg)
            {
                match steps.iter_mut().find_map(|s| match s {
                    Step::Convert { to, .. } => Some(to),
                    _ => None,
                }) {
                    Some(to) => *to = Format::Jpeg,
                    None => steps.insert(
                        0,
                        Step::Convert {
                            from: info.format,
                            to: Format::Jpeg,
                            png_if_alpha: false,
                        },
                    ),
                }
                output = Format::Jpeg;
            }
        }
    }
    steps.push(Step::Reencode {
        format: output,
        quality: opts.quality.clamp(1, 100),
        min_quality: opts.min_quality.clamp(1, opts.quality.clamp(1, 100)),
        max_bytes: p.image.max_bytes,
    });
    FixPlan {
        kind: info.kind,
        input: info.format,
        output: Some(output),
        steps,
        needs_ffmpeg,
    }
}

/// The picture's size after the plan's geometry steps (its displayed size
/// when there are none).
fn final_size(info: &MediaInfo, steps: &[Step]) -> Option<(u32, u32)> {
    let mut size = info.width.zip(info.height);
    for s in steps {
        match s {
            Step::Crop { rect, .. } => size = Some((rect.w, rect.h)),
            Step::Resize { to, .. } | Step::Pad { to, .. } => size = Some((to.w, to.h)),
            _ => {}
        }
    }
    size
}

fn plan_audio(info: &MediaInfo, p: &Profile, opts: &FixOptions) -> FixPlan {
    let l = &p.audio;
    let report = check(info, p);
    if report.violations.is_empty() {
        return FixPlan {
            kind: info.kind,
            input: info.format,
            output: None,
            steps: Vec::new(),
            needs_ffmpeg: false,
        };
    }
    let needs_ffmpeg = matches!(info.format, Format::OtherAudio(_))
        || (info.format == Format::Ogg && info.codec.as_deref() == Some("opus"));
    let mut steps = Vec::new();
    let mut output = Format::Wav;
    let keep_mp3 = info.format == Format::Mp3
        && info.duration_s.is_some_and(|d| d > l.max_duration_s)
        && !report.has(preflight::Rule::AudioSize);
    if keep_mp3 {
        output = Format::Mp3;
    } else if info.format != Format::Wav {
        steps.push(Step::Convert {
            from: info.format,
            to: Format::Wav,
            png_if_alpha: false,
        });
    }
    if let Some(d) = info.duration_s {
        if d > l.max_duration_s {
            steps.push(Step::Trim {
                from_s: d,
                to_s: l.max_duration_s,
                keep: opts.trim,
            });
        } else if d < l.min_duration_s {
            if !opts.pad_audio {
                return FixPlan::not_repairable(
                    info,
                    NotRepairable::AudioTooShort {
                        duration_s: d,
                        min_s: l.min_duration_s,
                    },
                );
            }
            steps.push(Step::PadAudio {
                from_s: d,
                to_s: l.min_duration_s,
            });
        }
    } else if info.format.is_supported() {
        return FixPlan::not_repairable(info, NotRepairable::UnknownDuration);
    }
    if steps.is_empty() && report.has(preflight::Rule::AudioSize) && info.format == Format::Wav {
        // A WAV over the size limit within the duration bounds: rewrite as 16-bit PCM.
        steps.push(Step::Convert {
            from: Format::Wav,
            to: Format::Wav,
            png_if_alpha: false,
        });
    }
    if steps.is_empty() {
        return FixPlan::not_repairable(info, NotRepairable::NoRepairKnown);
    }
    FixPlan {
        kind: info.kind,
        input: info.format,
        output: Some(output),
        steps,
        needs_ffmpeg,
    }
}

/// The frame rate a repaired video gets when its own is out of bounds: the
/// nearest whole number inside the bounds (24 for 23.976, 60 for 120), 30
/// when the rate is unknown and 30 is allowed.
pub(crate) fn target_fps(fps: Option<Rational>, min: f64, max: f64) -> Option<Rational> {
    let pick = |v: f64| -> Option<Rational> {
        let c = v.round();
        let c = if c < min { min.ceil() } else { c };
        let c = if c > max { max.floor() } else { c };
        if c >= min && c <= max && c >= 1.0 {
            Rational::new(c as u64, 1)
        } else {
            None
        }
    };
    match fps {
        Some(f) if f.to_f64() < min => pick(min),
        Some(f) if f.to_f64() > max => pick(max),
        Some(_) => None,
        None => pick(30.0f64.clamp(min, max)),
    }
}

fn plan_video(info: &MediaInfo, p: &Profile, opts: &FixOptions) -> FixPlan {
    let l = &p.video;
    let report = check(info, p);
    let bad_codec = report.has(preflight::Rule::VideoCodec);
    let bad_audio = report.has(preflight::Rule::VideoAudioCodec);
    if report.violations.is_empty() && !bad_codec {
        return FixPlan {
            kind: info.kind,
            input: info.format,
            output: None,
            steps: Vec::new(),
            needs_ffmpeg: false,
        };
    }
    if info.has_video == Some(false) {
        return FixPlan::not_repairable(info, NotRepairable::NoVideoTrack);
    }
    if let Some(d) = info.duration_s {
        if d < l.min_duration_s {
            return FixPlan::not_repairable(
                info,
                NotRepairable::VideoTooShort {
                    duration_s: d,
                    min_s: l.min_duration_s,
                },
            );
        }
    }
    let mut steps = Vec::new();
    let container_ok = accepted(&l.formats, info.format) && info.format.is_supported();
    let mut reencode = !container_ok || bad_codec;
    if !container_ok {
        steps.push(Step::Convert {
            from: info.format,
            to: Format::Mp4,
            png_if_alpha: false,
        });
    }
    let mut size = None;
    let geometry_at = steps.len();
    let mut odd = None;
    if let (Some(w), Some(h)) = (info.width, info.height) {
        let b = Bounds::video(p);
        // Odd sides are fine as they are, unless the picture is re-encoded anyway.
        let ok_as_is = {
            let mut b2 = b;
            b2.even = false;
            b2.contains(Size::new(w, h))
        };
        if ok_as_is && (w % 2 == 1 || h % 2 == 1) {
            odd = fit(w, h, &b, opts.aspect);
        }
        if !ok_as_is {
            match fit(w, h, &b, opts.aspect) {
                Some(g) => {
                    steps.extend(g.steps(opts.pad_color));
                    size = Some(g.canvas);
                    reencode = true;
                }
                None => {
                    return FixPlan::not_repairable(info, NotRepairable::VideoBoundsUnreachable)
                }
            }
        }
    }
    let fps_bad = report.has(preflight::Rule::VideoFps);
    let fps = if fps_bad {
        reencode = true;
        match target_fps(info.fps, l.min_fps, l.max_fps) {
            Some(r) => Some(r),
            None => return FixPlan::not_repairable(info, NotRepairable::NoFrameRate),
        }
    } else {
        None
    };
    let too_long = info.duration_s.filter(|&d| d > l.max_duration_s);
    if let Some(d) = too_long {
        steps.push(Step::Trim {
            from_s: d,
            to_s: l.max_duration_s,
            keep: TrimMode::Start,
        });
    }
    let mut max_bitrate = None;
    if report.has(preflight::Rule::VideoSize) {
        reencode = true;
        let d = info
            .duration_s
            .unwrap_or(l.max_duration_s)
            .min(l.max_duration_s)
            .max(0.1);
        // 90 % of the limit, less 128 kbit/s of AAC audio.
        let total = (l.max_bytes as f64 * 0.9 * 8.0 / d) as u64;
        max_bitrate = Some(total.saturating_sub(128_000).max(100_000));
    }
    // Odd sides must become even for yuv420p when the video is re-encoded:
    // the plan says so.
    if let (true, None, Some(g)) = (reencode, size, odd) {
        let g_steps = g.steps(opts.pad_color);
        steps.splice(geometry_at..geometry_at, g_steps);
        size = Some(g.canvas);
    }
    if reencode {
        // The re-encode writes AAC audio: a bad audio track is mended with it.
        steps.push(Step::ReencodeVideo {
            size,
            fps,
            max_bitrate,
        });
    } else if bad_audio {
        steps.push(Step::ReencodeAudio {
            from: info.audio_codec.clone().unwrap_or_default(),
        });
    }
    if steps.is_empty() {
        return FixPlan::not_repairable(info, NotRepairable::NoRepairKnown);
    }
    FixPlan {
        kind: info.kind,
        input: info.format,
        output: Some(if reencode { Format::Mp4 } else { info.format }),
        steps,
        needs_ffmpeg: true,
    }
}

#[cfg(test)]
mod exact_tests {
    use super::*;

    /// Every picture, in either aspect mode, comes out at exactly one of the
    /// sizes: the one of nearest aspect.
    #[test]
    fn fit_exact_reaches_the_nearest_size_exactly() {
        let sizes = [[1280, 720], [720, 1280]];
        for (w, h) in [
            (1920, 1080),
            (640, 480),
            (8000, 6000),
            (1000, 1001),
            (1001, 1000),
            (300, 2000),
            (1279, 721),
            (7, 3),
            (1, 5000),
        ] {
            for mode in [AspectMode::Crop, AspectMode::Pad] {
                let g = fit_exact(w, h, &sizes, mode).unwrap_or_else(|| panic!("{w}x{h} {mode:?}"));
                let want = if w >= h {
                    Size::new(1280, 720)
                } else {
                    Size::new(720, 1280)
                };
                if w == 1000 && h == 1001 {
                    assert_eq!(g.canvas, Size::new(720, 1280));
                } else if w == 1001 && h == 1000 {
                    assert_eq!(g.canvas, Size::new(1280, 720));
                } else {
                    assert_eq!(g.canvas, want, "{w}x{h} {mode:?}");
                }
                // Crop keeps no bars; pad keeps the whole picture.
                match mode {
                    AspectMode::Crop => assert_eq!(g.scaled, g.canvas, "{w}x{h}"),
                    AspectMode::Pad => assert!(g.crop.is_none(), "{w}x{h}"),
                }
            }
        }
        for mode in [AspectMode::Crop, AspectMode::Pad] {
            let g = fit_exact(1280, 720, &sizes, mode).unwrap();
            assert!(g.steps([0, 0, 0]).is_empty(), "{g:?}");
        }
        let g = fit_exact(1280, 720, &sizes, AspectMode::Pad).unwrap();
        assert_eq!(
            (g.crop, g.scaled, g.canvas),
            (None, Size::new(1280, 720), Size::new(1280, 720))
        );
        assert!(fit_exact(0, 10, &sizes, AspectMode::Pad).is_none());
        assert!(fit_exact(10, 10, &[], AspectMode::Pad).is_none());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn image(format: Format, w: u32, h: u32, bytes: u64) -> MediaInfo {
        let mut i = MediaInfo::new(format, bytes);
        i.width = Some(w);
        i.height = Some(h);
        i
    }

    fn video(w: u32, h: u32, fps: (u64, u64), dur: f64) -> MediaInfo {
        let mut i = MediaInfo::new(Format::Mp4, 1_000_000);
        i.width = Some(w);
        i.height = Some(h);
        i.fps = Rational::new(fps.0, fps.1);
        i.duration_s = Some(dur);
        i.codec = Some("avc1".into());
        i.has_video = Some(true);
        i
    }

    fn audio(format: Format, dur: f64) -> MediaInfo {
        let mut i = MediaInfo::new(format, 100_000);
        i.duration_s = Some(dur);
        i
    }

    fn p() -> Profile {
        Profile::seedance2()
    }

    #[test]
    fn passing_file_has_empty_plan() {
        let plan = super::plan(
            &image(Format::Jpeg, 1280, 720, 1000),
            &p(),
            &FixOptions::default(),
        );
        assert!(plan.is_noop());
        assert_eq!(plan.to_string(), "nothing to do");
    }

    #[test]
    fn big_jpeg_is_downscaled_to_6000() {
        let plan = super::plan(
            &image(Format::Jpeg, 8000, 6000, 41_200_000),
            &p(),
            &FixOptions::default(),
        );
        assert_eq!(
            plan.steps,
            vec![
                Step::Resize {
                    from: Size::new(8000, 6000),
                    to: Size::new(6000, 4500)
                },
                Step::Reencode {
                    format: Format::Jpeg,
                    quality: 90,
                    min_quality: 60,
                    max_bytes: 30_000_000
                }
            ]
        );
        assert_eq!(plan.output, Some(Format::Jpeg));
        assert_eq!(
            plan.to_string(),
            "resize 8000×6000 → 6000×4500; re-encode JPEG q=90 (down to q=60 to get under 30.0 MB)"
        );
    }

    #[test]
    fn small_png_is_upscaled_to_300() {
        let plan = super::plan(
            &image(Format::Png, 200, 200, 1000),
            &p(),
            &FixOptions::default(),
        );
        assert_eq!(
            plan.steps[0],
            Step::Resize {
                from: Size::new(200, 200),
                to: Size::new(300, 300)
            }
        );
        assert_eq!(plan.output, Some(Format::Png));
        let plan = plan_image(
            &image(Format::Png, 299, 400, 1000),
            &p(),
            &FixOptions::default(),
        );
        assert_eq!(
            plan.steps[0],
            Step::Resize {
                from: Size::new(299, 400),
                to: Size::new(300, 402)
            }
        );
    }

    #[test]
    fn wide_image_is_padded_or_cropped() {
        let wide = image(Format::Jpeg, 3000, 500, 1000);
        let pad = super::super::plan(&wide, &p(), &FixOptions::default());
        assert_eq!(
            pad.steps[0],
            Step::Pad {
                from: Size::new(3000, 500),
                to: Size::new(3000, 1200),
                color: [0, 0, 0]
            }
        );
        let crop = super::plan(
            &wide,
            &p(),
            &FixOptions {
                aspect: AspectMode::Crop,
                ..FixOptions::default()
            },
        );
        // 1250×500 would be 2.5 exactly; 500 px tall is fine.
        assert_eq!(
            crop.steps[0],
            Step::Crop {
                from: Size::new(3000, 500),
                rect: Rect {
                    x: 875,
                    y: 0,
                    w: 1250,
                    h: 500
                }
            }
        );
        assert_eq!(crop.steps.len(), 2);
    }

    #[test]
    fn aspect_fixture_1001x400_pads_one_row() {
        let plan = super::plan(
            &image(Format::Jpeg, 1001, 400, 1000),
            &p(),
            &FixOptions::default(),
        );
        assert_eq!(
            plan.steps[0],
            Step::Pad {
                from: Size::new(1001, 400),
                to: Size::new(1001, 401),
                color: [0, 0, 0]
            }
        );
    }

    #[test]
    fn tiny_and_wide_is_padded_then_upscaled() {
        let g = fit(100, 10, &Bounds::image(&p()), AspectMode::Pad).unwrap();
        assert!(Bounds::image(&p()).contains(g.canvas), "{g:?}");
        assert_eq!(g.canvas, Size::new(750, 300));
        assert_eq!(g.scaled, Size::new(750, 75));
    }

    #[test]
    fn exif_rotation_adds_orient_step() {
        let mut i = image(Format::Jpeg, 600, 8000, 1000);
        i.rotation = Some(90);
        let plan = super::plan(&i, &p(), &FixOptions::default());
        assert_eq!(
            plan.steps[0],
            Step::Orient {
                rotation: 90,
                mirrored: false
            }
        );
    }

    #[test]
    fn unsupported_images_convert() {
        let i = MediaInfo::new(Format::OtherImage("tga"), 1000);
        let plan = super::plan(&i, &p(), &FixOptions::default());
        assert_eq!(plan.output, Some(Format::Jpeg));
        assert_eq!(
            plan.to_string().split(';').next().unwrap(),
            "convert TGA → JPEG (PNG if transparent)"
        );
        let avif = plan_image(
            &MediaInfo::new(Format::Avif, 1000),
            &p(),
            &FixOptions::default(),
        );
        assert!(avif.needs_ffmpeg);
        let heic = image(Format::Heic, 8000, 6000, 1000);
        let plan = super::plan(&heic, &p(), &FixOptions::default());
        if cfg!(feature = "heif") {
            assert_eq!(plan.output, Some(Format::Jpeg));
        } else {
            assert_eq!(
                plan.not_repairable_reason()
                    .map(ToString::to_string)
                    .as_deref(),
                Some("HEIC/HEIF decoding needs the `heif` feature (libheif)")
            );
        }
        // A passing HEIC is left alone.
        let ok = image(Format::Heic, 1280, 720, 1000);
        assert!(plan_image(&ok, &p(), &FixOptions::default()).is_noop());
    }

    #[test]
    fn to_forces_conversion_of_passing_image() {
        let opts = FixOptions {
            to: Some(ImageTarget::Png),
            ..FixOptions::default()
        };
        let plan = super::plan(&image(Format::Jpeg, 1280, 720, 1000), &p(), &opts);
        assert_eq!(plan.output, Some(Format::Png));
        let plan = plan_image(&image(Format::Png, 1280, 720, 1000), &p(), &opts);
        assert!(plan.is_noop());
    }

    #[test]
    fn animated_webp_is_not_repairable() {
        let mut i = image(Format::Webp, 8000, 400, 1000);
        i.frames = Some(3);
        let plan = super::plan(&i, &p(), &FixOptions::default());
        let why = plan.not_repairable_reason().unwrap();
        assert_eq!(why, &NotRepairable::Animated(Format::Webp));
        assert!(why.to_string().contains("animated WEBP"));
    }

    #[test]
    fn audio_plans() {
        let o = FixOptions::default();
        let long = super::plan(&audio(Format::Mp3, 15.24), &p(), &o);
        assert_eq!(long.output, Some(Format::Mp3));
        assert_eq!(long.to_string(), "trim 15.2 s → 15.0 s (keep the start)");
        let long = super::plan(&audio(Format::Wav, 15.2), &p(), &o);
        assert_eq!(long.output, Some(Format::Wav));
        let short = super::plan(&audio(Format::Wav, 1.9), &p(), &o);
        let why = short.not_repairable_reason().unwrap();
        assert!(
            matches!(why, NotRepairable::AudioTooShort { .. }),
            "{why:?}"
        );
        assert_eq!(
            why.to_string(),
            "too short (1.9 s < 2.0 s); --pad-audio pads it with silence"
        );
        let padded = super::plan(
            &audio(Format::Mp3, 1.9),
            &p(),
            &FixOptions {
                pad_audio: true,
                ..o.clone()
            },
        );
        assert_eq!(padded.output, Some(Format::Wav));
        assert_eq!(
            padded.to_string(),
            "convert MP3 → WAV; pad with silence 1.9 s → 2.0 s"
        );
        let flac = super::plan(&MediaInfo::new(Format::Flac, 1000), &p(), &o);
        assert_eq!(flac.to_string(), "convert FLAC → WAV");
        assert!(super::plan(&audio(Format::Mp3, 5.0), &p(), &o).is_noop());
    }

    #[test]
    fn video_pixels_are_scaled_as_comfyui_does() {
        // 840×1120 = 940,800 > 927,408: s = √(927408 / 940800) → 834.0×1112.0 → even 834×1112.
        let plan = super::plan(
            &video(840, 1120, (30, 1), 5.0),
            &p(),
            &FixOptions::default(),
        );
        assert_eq!(
            plan.steps,
            vec![
                Step::Resize {
                    from: Size::new(840, 1120),
                    to: Size::new(834, 1112)
                },
                Step::ReencodeVideo {
                    size: Some(Size::new(834, 1112)),
                    fps: None,
                    max_bitrate: None
                }
            ]
        );
        // 639×640 is too few: scale up and round up to even.
        let plan = super::plan(&video(639, 640, (30, 1), 5.0), &p(), &FixOptions::default());
        match &plan.steps[0] {
            Step::Resize { to, .. } => {
                assert!(
                    to.pixels() >= 409_600 && to.w % 2 == 0 && to.h % 2 == 0,
                    "{to}"
                );
                assert_eq!(to.pixels(), Size::new(640, 642).pixels());
                assert_eq!((to.w, to.h), (640, 642));
            }
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn video_fps_and_duration() {
        let o = FixOptions::default();
        let fast = super::plan(&video(1280, 720, (120, 1), 5.0), &p(), &o);
        assert_eq!(
            fast.steps,
            vec![Step::ReencodeVideo {
                size: None,
                fps: Rational::new(60, 1),
                max_bitrate: None
            }]
        );
        let slow = super::plan(&video(1280, 720, (24000, 1001), 5.0), &p(), &o);
        assert_eq!(
            slow.to_string(),
            "re-encode H.264 yuv420p MP4 + AAC, 24 fps"
        );
        let long = super::plan(&video(1280, 720, (30, 1), 15.2), &p(), &o);
        assert_eq!(long.to_string(), "trim 15.2 s → 15.0 s (keep the start)");
        assert_eq!(long.output, Some(Format::Mp4));
        let short = super::plan(&video(1280, 720, (30, 1), 1.9), &p(), &o);
        let why = short.not_repairable_reason().unwrap();
        assert!(why.to_string().contains("too short"), "{why}");
        let mut mkv = MediaInfo::new(Format::Mkv, 1000);
        mkv.kind = Kind::Video;
        let plan = super::plan(&mkv, &p(), &o);
        assert_eq!(
            plan.to_string(),
            "convert MKV → MP4; re-encode H.264 yuv420p MP4 + AAC"
        );
        assert!(plan.needs_ffmpeg);
        let mut none = video(1280, 720, (30, 1), 5.0);
        none.has_video = Some(false);
        none.width = None;
        assert_eq!(
            super::plan(&none, &p(), &o).not_repairable_reason(),
            Some(&NotRepairable::NoVideoTrack)
        );
    }

    #[test]
    fn letterbox_does_not_resample_when_no_scale_is_needed() {
        let b = Bounds::video(&p());
        let g = fit(1366, 300, &b, AspectMode::Pad).unwrap();
        assert_eq!(
            (g.scaled, g.canvas),
            (Size::new(1366, 300), Size::new(1366, 548))
        );
        let g = fit(1202, 480, &b, AspectMode::Pad).unwrap();
        assert_eq!(
            (g.scaled, g.canvas),
            (Size::new(1202, 480), Size::new(1202, 482))
        );
        let g = fit(299, 1370, &b, AspectMode::Pad).unwrap();
        assert_eq!(
            (g.scaled, g.canvas),
            (Size::new(299, 1370), Size::new(548, 1370))
        );
    }

    #[test]
    fn oversized_video_gets_a_bit_rate_cap() {
        let mut big = video(1280, 720, (30, 1), 10.0);
        big.bytes = 60_000_000;
        let plan = super::plan(&big, &p(), &FixOptions::default());
        // 90 % of 50 MB over 10 s = 36 Mbit/s, less 128 kbit/s of audio.
        assert_eq!(
            plan.steps,
            vec![Step::ReencodeVideo {
                size: None,
                fps: None,
                max_bitrate: Some(35_872_000)
            }]
        );
        assert_eq!(
            plan.to_string(),
            "re-encode H.264 yuv420p MP4 + AAC, ≤ 35872 kbit/s"
        );
        // A MOV that is only too long stays MOV (stream copy).
        let mut mov = video(1280, 720, (30, 1), 20.0);
        mov.format = Format::Mov;
        let plan = super::plan(&mov, &p(), &FixOptions::default());
        assert_eq!(plan.output, Some(Format::Mov));
        assert_eq!(plan.to_string(), "trim 20.0 s → 15.0 s (keep the start)");
    }

    #[test]
    fn target_fps_picks_nearest_bound() {
        assert_eq!(
            target_fps(Rational::new(120, 1), 24.0, 60.0),
            Rational::new(60, 1)
        );
        assert_eq!(
            target_fps(Rational::new(15, 1), 24.0, 60.0),
            Rational::new(24, 1)
        );
        assert_eq!(target_fps(None, 24.0, 60.0), Rational::new(30, 1));
        assert_eq!(target_fps(Rational::new(30, 1), 24.0, 60.0), None);
        assert_eq!(target_fps(Rational::new(10, 1), 24.5, 24.9), None);
    }

    #[test]
    fn contradictory_bounds_are_not_repairable() {
        let mut prof = p();
        prof.image.max_width = 400;
        prof.image.min_height = 300;
        prof.image.max_height = 6000;
        prof.image.min_aspect = 2.0;
        // width ≤ 400 with aspect ≥ 2 means height ≤ 200 < 300.
        let plan = super::plan(
            &image(Format::Jpeg, 1000, 1000, 10),
            &prof,
            &FixOptions::default(),
        );
        assert!(plan.not_repairable_reason().is_some());
    }

    fn check_geometry(g: &Geometry, w: u32, h: u32, b: &Bounds, mode: AspectMode) {
        assert!(b.contains(g.canvas), "{w}×{h} → {g:?}");
        assert!(
            g.scaled.w <= g.canvas.w && g.scaled.h <= g.canvas.h,
            "{g:?}"
        );
        if let Some(r) = g.crop {
            assert_eq!(mode, AspectMode::Crop);
            assert!(r.x + r.w <= w && r.y + r.h <= h, "{g:?}");
        }
        if mode == AspectMode::Pad && g.scaled.w.min(g.scaled.h) > 2 {
            // Padding keeps the picture's own aspect within rounding (a side
            // scaled below 1 px is clamped to 1 and cannot).
            let a0 = w as f64 / h as f64;
            let a1 = g.scaled.w as f64 / g.scaled.h as f64;
            let tol = 1.0 / g.scaled.w.min(g.scaled.h) as f64 + 1e-9;
            assert!((a1 / a0 - 1.0).abs() <= 2.0 * tol, "{w}×{h} → {g:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn planned_image_size_is_inside_every_bound(
            w in 1u32..40_000, h in 1u32..40_000, crop in any::<bool>()
        ) {
            let mode = if crop { AspectMode::Crop } else { AspectMode::Pad };
            let b = Bounds::image(&p());
            let g = fit(w, h, &b, mode).expect("seedance2 bounds are satisfiable");
            check_geometry(&g, w, h, &b, mode);
            if b.contains(Size::new(w, h)) {
                prop_assert!(g.is_identity());
            }
        }

        #[test]
        fn planned_video_size_is_inside_every_bound(
            w in 2u32..8_000, h in 2u32..8_000, crop in any::<bool>()
        ) {
            let mode = if crop { AspectMode::Crop } else { AspectMode::Pad };
            let b = Bounds::video(&p());
            let g = fit(w, h, &b, mode).expect("seedance2 bounds are satisfiable");
            check_geometry(&g, w, h, &b, mode);
        }

        #[test]
        fn repaired_image_info_passes_check(w in 1u32..30_000, h in 1u32..30_000) {
            let prof = p();
            let plan = super::plan(&image(Format::Jpeg, w, h, 1000), &prof, &FixOptions::default());
            let out = plan.steps.iter().rev().find_map(|s| match s {
                Step::Resize { to, .. } | Step::Pad { to, .. } => Some(*to),
                Step::Crop { rect, .. } => Some(Size::new(rect.w, rect.h)),
                _ => None,
            }).unwrap_or(Size::new(w, h));
            let fixed = image(Format::Jpeg, out.w, out.h, 1000);
            prop_assert!(check(&fixed, &prof).violations.is_empty(), "{w}×{h}: {plan}");
        }

        #[test]
        fn arbitrary_profiles_never_panic(
            w in 0u32..100_000, h in 0u32..100_000,
            min_w in 0u32..5000, span_w in 0u32..5000,
            min_h in 0u32..5000, span_h in 0u32..5000,
            min_a in 0.01f64..5.0, span_a in 0.0f64..5.0,
        ) {
            let mut prof = p();
            prof.image.min_width = min_w;
            prof.image.max_width = min_w + span_w;
            prof.image.min_height = min_h;
            prof.image.max_height = min_h + span_h;
            prof.image.min_aspect = min_a;
            prof.image.max_aspect = min_a + span_a;
            let b = Bounds::image(&prof);
            if let Some(g) = fit(w, h, &b, AspectMode::Pad) {
                prop_assert!(b.contains(g.canvas));
            }
            if let Some(g) = fit(w, h, &b, AspectMode::Crop) {
                prop_assert!(b.contains(g.canvas));
            }
        }
    }
}
